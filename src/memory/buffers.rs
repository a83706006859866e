//! `create_string_buffer` and `create_unicode_buffer`: mutable C strings.

use super::CData;
use crate::conv::WideUnit;
use crate::ctype::CType;
use crate::error::Result;

/// What a string buffer is created from: initial bytes or text (a NUL is
/// added), or a size in elements (all zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BufferInit {
    /// The buffer holds these bytes (or characters) plus a NUL.
    Content(Vec<u8>),
    /// The buffer holds this many zero elements.
    Size(usize),
}

impl From<&[u8]> for BufferInit {
    fn from(b: &[u8]) -> Self {
        BufferInit::Content(b.to_vec())
    }
}
impl<const N: usize> From<&[u8; N]> for BufferInit {
    fn from(b: &[u8; N]) -> Self {
        BufferInit::Content(b.to_vec())
    }
}
impl From<Vec<u8>> for BufferInit {
    fn from(b: Vec<u8>) -> Self {
        BufferInit::Content(b)
    }
}
impl From<&str> for BufferInit {
    fn from(s: &str) -> Self {
        BufferInit::Content(s.as_bytes().to_vec())
    }
}
impl From<usize> for BufferInit {
    fn from(n: usize) -> Self {
        BufferInit::Size(n)
    }
}
/// So that a literal works: `create_string_buffer(100)`. A negative size is
/// treated as 0, the empty buffer.
impl From<i32> for BufferInit {
    fn from(n: i32) -> Self {
        BufferInit::Size(usize::try_from(n).unwrap_or(0))
    }
}

/// `ctypes.create_string_buffer(init)`: a mutable `char[]`.
///
/// From bytes or text it holds them plus a NUL (`b"hello"` gives 6 bytes);
/// from a size it holds that many zero bytes. Its
/// [`value`](CData::value) is the bytes up to the first NUL and its
/// [`raw`](CData::raw) is all of them. Pass it where `char *` or
/// `POINTER(c_char)` is declared, and C can write into it.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::create_string_buffer;
/// let buf = create_string_buffer(b"hello");
/// assert_eq!(rctypes::sizeof(&buf), 6);
/// assert_eq!(buf.value()?.as_bytes()?, b"hello");
/// buf.set_value(b"hi")?;
/// assert_eq!(buf.raw(), b"hi\0lo\0");
/// assert_eq!(create_string_buffer(100).raw(), vec![0u8; 100]);
/// # Ok(()) }
/// ```
pub fn create_string_buffer(init: impl Into<BufferInit>) -> CData {
    let (bytes, len) = match init.into() {
        BufferInit::Content(b) => {
            let len = b.len() + 1;
            (b, len)
        }
        BufferInit::Size(n) => (Vec::new(), n),
    };
    let buf = CData::new(&CType::c_char().array(len));
    // SAFETY: the buffer is fresh owned memory of `len >= bytes.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.ptr(), bytes.len()) };
    buf
}

/// `ctypes.create_string_buffer(init, size)`: a mutable `char[size]` that
/// starts with `init` (any bytes, NULs included), followed by a NUL when
/// there is room, then zeros. `size` may equal `init`'s length (no NUL is
/// added then, as in ctypes).
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::create_string_buffer_sized;
/// let buf = create_string_buffer_sized(b"hi", 5)?;
/// assert_eq!(buf.raw(), b"hi\0\0\0");
/// assert_eq!(buf.value()?.as_bytes()?, b"hi");
/// assert!(create_string_buffer_sized(b"too long", 4).is_err());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Conversion`](crate::Error::Conversion) when `init` is longer
/// than `size` (ctypes' "byte string too long"), and as
/// [`CData::try_new`] when `size` bytes cannot be allocated.
pub fn create_string_buffer_sized(init: impl AsRef<[u8]>, size: usize) -> Result<CData> {
    let buf = CData::try_new(&CType::c_char().array(size))?;
    buf.set_value(init.as_ref())?;
    Ok(buf)
}

/// What a wide string buffer is created from: text (a NUL is added) or a
/// size in characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WideBufferInit {
    /// The buffer holds this text plus a NUL.
    Text(String),
    /// The buffer holds this many zero characters.
    Size(usize),
}

impl From<&str> for WideBufferInit {
    fn from(s: &str) -> Self {
        WideBufferInit::Text(s.to_owned())
    }
}
impl From<String> for WideBufferInit {
    fn from(s: String) -> Self {
        WideBufferInit::Text(s)
    }
}
impl From<usize> for WideBufferInit {
    fn from(n: usize) -> Self {
        WideBufferInit::Size(n)
    }
}
/// A negative size is treated as 0, the empty buffer.
impl From<i32> for WideBufferInit {
    fn from(n: i32) -> Self {
        WideBufferInit::Size(usize::try_from(n).unwrap_or(0))
    }
}

/// `ctypes.create_unicode_buffer(init)`: a mutable `wchar_t[]`.
///
/// From text it holds the characters plus a NUL; from a size, that many zero
/// characters. Interior NULs are kept (the value stops at the first one).
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// let wbuf = rctypes::create_unicode_buffer("héllo");
/// assert_eq!(wbuf.len(), 6);
/// assert_eq!(wbuf.value()?.as_str()?, "héllo");
/// # Ok(()) }
/// ```
pub fn create_unicode_buffer(init: impl Into<WideBufferInit>) -> CData {
    let (units, len): (Vec<WideUnit>, usize) = match init.into() {
        WideBufferInit::Text(text) => {
            #[cfg(not(windows))]
            let units: Vec<WideUnit> = text.chars().map(u32::from).collect();
            #[cfg(windows)]
            let units: Vec<WideUnit> = text.encode_utf16().collect();
            let len = units.len() + 1;
            (units, len)
        }
        WideBufferInit::Size(n) => (Vec::new(), n),
    };
    let buf = CData::new(&CType::c_wchar().array(len));
    // SAFETY: the buffer is fresh owned memory of `len >= units.len()` units,
    // aligned for wchar_t.
    unsafe {
        std::ptr::copy_nonoverlapping(units.as_ptr(), buf.ptr().cast::<WideUnit>(), units.len())
    };
    buf
}

/// `ctypes.create_unicode_buffer(init, size)`: a mutable `wchar_t[size]`
/// that starts with the characters of `init`, followed by a NUL when there
/// is room, then zeros.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// let wbuf = rctypes::create_unicode_buffer_sized("né", 8)?;
/// assert_eq!((wbuf.len(), wbuf.value()?.as_str()?), (8, "né"));
/// assert!(rctypes::create_unicode_buffer_sized("too long", 3).is_err());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Conversion`](crate::Error::Conversion) when `init` has more
/// characters than `size` (or a NUL), and as [`CData::try_new`] when the
/// buffer cannot be allocated.
pub fn create_unicode_buffer_sized(init: &str, size: usize) -> Result<CData> {
    let buf = CData::try_new(&CType::c_wchar().array(size))?;
    buf.set_value(init)?;
    Ok(buf)
}
