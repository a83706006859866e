//! C strings: NUL-terminated copies of Rust strings and bytes, and reading
//! `wchar_t` strings.

use std::rc::Rc;

use crate::error::{Error, Result};

/// A `wchar_t` code unit.
#[cfg(not(windows))]
pub(crate) type WideUnit = u32;
/// A `wchar_t` code unit.
#[cfg(windows)]
pub(crate) type WideUnit = u16;

/// `sizeof(wchar_t)`: UTF-32 on every Unix, UTF-16 on Windows.
pub(crate) const WCHAR_BYTES: usize = size_of::<WideUnit>();

/// Whether `bytes` hold a NUL: the C library's `memchr`, which is
/// vectorised and quick on the short strings arguments usually are (the
/// portable search in `core` costs several times more on them).
#[inline]
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    unsafe extern "C" {
        fn memchr(
            s: *const std::ffi::c_void,
            c: std::ffi::c_int,
            n: usize,
        ) -> *mut std::ffi::c_void;
    }
    // SAFETY: `bytes` is readable for its length (an empty slice's dangling
    // pointer is never read: n is 0).
    !bytes.is_empty() && !unsafe { memchr(bytes.as_ptr().cast(), 0, bytes.len()) }.is_null()
}

/// Why a byte string cannot be a C string, if it cannot: the position of an
/// interior NUL.
#[inline]
pub(crate) fn interior_nul(bytes: &[u8]) -> Option<String> {
    // the position only for the message
    if !has_nul(bytes) {
        return None;
    }
    bytes
        .iter()
        .position(|&b| b == 0)
        .map(|pos| format!("interior NUL byte at position {pos}"))
}

/// Why a text cannot be a wide C string, if it cannot.
pub(crate) fn interior_nul_char(text: &str) -> Option<String> {
    text.chars()
        .position(|c| c == '\0')
        .map(|pos| format!("interior NUL character at position {pos}"))
}

/// The `wchar_t` units of a text (without a NUL), and how many there are.
pub(crate) fn wide_units(text: &str) -> (impl Iterator<Item = WideUnit> + '_, usize) {
    #[cfg(not(windows))]
    {
        (text.chars().map(u32::from), text.chars().count())
    }
    #[cfg(windows)]
    {
        (text.encode_utf16(), text.encode_utf16().count())
    }
}

/// A NUL-terminated `wchar_t` copy of a string, refusing interior NULs.
pub(crate) fn c_wide(text: &str) -> std::result::Result<Rc<[WideUnit]>, String> {
    if let Some(why) = interior_nul_char(text) {
        return Err(why);
    }
    let (units, _) = wide_units(text);
    Ok(units.chain(std::iter::once(0)).collect())
}

/// Reads a `wchar_t` string at `p`: up to the NUL, or exactly `len` units.
///
/// # Safety
/// `p` must point to a readable NUL-terminated wide string, or to `len`
/// readable units when `len` is given.
pub(crate) unsafe fn read_wide(p: *const WideUnit, len: Option<usize>) -> Result<String> {
    let n = match len {
        Some(n) => n,
        None => {
            let mut n = 0;
            // SAFETY: the caller guarantees the string is NUL-terminated.
            while unsafe { p.add(n).read_unaligned() } != 0 {
                n += 1;
            }
            n
        }
    };
    let mut units = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: `i < n`, and the caller guarantees `n` readable units.
        units.push(unsafe { p.add(i).read_unaligned() });
    }
    wide_to_string(&units)
}

/// Decodes `wchar_t` units (UTF-32 on Unix, UTF-16 on Windows).
pub(crate) fn wide_to_string(units: &[WideUnit]) -> Result<String> {
    #[cfg(not(windows))]
    {
        units
            .iter()
            .map(|&u| {
                char::from_u32(u).ok_or_else(|| Error::ValueType {
                    expected: "a wide string of Unicode scalar values".into(),
                    given: format!("the code unit {u:#x}").into(),
                })
            })
            .collect()
    }
    #[cfg(windows)]
    {
        String::from_utf16(units).map_err(|e| Error::ValueType {
            expected: "a UTF-16 wide string".into(),
            given: e.to_string(),
        })
    }
}
