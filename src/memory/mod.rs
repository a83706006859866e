//! C instances: typed views of memory that rctypes owns or that C owns.

pub(crate) mod codec;
pub(crate) mod longdouble;
pub(crate) mod raw;

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::ctype::{CType, Kind, Scalar};
use crate::error::{Error, Result};
use crate::library::CDll;
use crate::value::Value;
use codec::Keep;

/// A C instance: a value of some [`CType`] living in memory, like a ctypes
/// instance (`c_int(42)`, `Point()`, `(c_int * 4)()`, `POINTER(c_int)()`).
///
/// Instances made by rctypes ([`CData::new`], [`CData::with_value`], call
/// results) own zero-initialised memory aligned for their type. Instances made
/// over foreign memory ([`CData::from_address`], [`CDll::variable`]) view C's
/// memory and keep their library loaded.
///
/// Cloning a `CData` is cheap and makes another handle to the *same* memory,
/// as assigning a ctypes object to a second name does. Use
/// [`to_bytes`](CData::to_bytes) and [`from_bytes`](CData::from_bytes) for a copy.
///
/// # Thread safety
///
/// `CData` is neither `Send` nor `Sync`: its memory is read and written
/// through shared handles without locks, so it stays on the thread that made
/// it (Python's ctypes relies on the GIL for the same reason). To move data to
/// another thread, send its bytes and rebuild it there. The C code you call
/// may of course use the memory from any thread; that is part of the contract
/// of the `unsafe` call.
///
/// ```
/// use rctypes::{CData, CType};
/// let n = CData::with_value(&CType::c_int(), 42).unwrap();
/// n.set_value(100).unwrap();
/// assert_eq!(n.value().unwrap().as_i64().unwrap(), 100);
/// assert!(n.set_value(1i64 << 40).is_err()); // does not fit in a c_int
/// ```
#[derive(Clone)]
pub struct CData {
    ty: CType,
    mem: Rc<Memory>,
    /// Where this instance starts inside `mem` (non-zero for views).
    offset: usize,
}

/// A block of memory and what it holds on to.
pub(crate) struct Memory {
    /// The first byte. Owned: from `alloc_zeroed(layout)`. Foreign: the
    /// address an unsafe constructor's caller vouched for.
    base: NonNull<u8>,
    /// Bytes valid from `base`.
    len: usize,
    /// `Some` when rctypes allocated `base` with this layout and frees it on drop.
    alloc: Option<Layout>,
    /// Foreign memory whose caller promised that its `char *` / `wchar_t *`
    /// hold readable strings (see `from_address`). Owned memory is never
    /// trusted: only pointers rctypes stored itself are followed there.
    trusted: bool,
    /// ctypes' `_objects`: for each offset where a pointer was stored, what it
    /// points into. Replaced when that pointer is overwritten.
    keep: RefCell<Vec<(usize, Keep)>>,
    /// Keeps foreign memory's owner (its library) alive.
    _owner: Option<CDll>,
}

impl Drop for Memory {
    fn drop(&mut self) {
        if let Some(layout) = self.alloc {
            // SAFETY: `base` came from `alloc_zeroed(layout)` in `Memory::owned`
            // and is freed only here, once.
            unsafe { alloc::dealloc(self.base.as_ptr(), layout) };
        }
    }
}

impl Memory {
    /// Zeroed memory for `size` bytes at `align`.
    fn owned(size: usize, align: usize) -> Result<Memory> {
        let layout =
            Layout::from_size_align(size.max(1), align).map_err(|e| Error::Unsupported {
                operation: "allocating an instance".into(),
                type_name: format!("{size} bytes aligned to {align}"),
                reason: e.to_string(),
            })?;
        // SAFETY: `layout` has a non-zero size.
        let p = unsafe { alloc::alloc_zeroed(layout) };
        let Some(base) = NonNull::new(p) else {
            alloc::handle_alloc_error(layout);
        };
        Ok(Memory {
            base,
            len: size,
            alloc: Some(layout),
            trusted: false,
            keep: RefCell::new(Vec::new()),
            _owner: None,
        })
    }
}

impl CData {
    /// A zero-initialised instance of `ty` (ctypes `T()`).
    ///
    /// # Panics
    /// When `ty` cannot be instantiated: `void`, an incomplete structure, or an
    /// array too large for memory. [`CData::try_new`] reports these as errors.
    pub fn new(ty: &CType) -> CData {
        match CData::try_new(ty) {
            Ok(d) => d,
            Err(e) => panic!("CData::new: {e}"),
        }
    }

    /// A zero-initialised instance of `ty`, or an error when `ty` has no
    /// size (`void`, an incomplete structure) or is too large.
    ///
    /// # Errors
    /// [`Error::Unsupported`] or [`Error::Definition`] as above.
    pub fn try_new(ty: &CType) -> Result<CData> {
        if ty.is_void() {
            return Err(Error::Unsupported {
                operation: "creating an instance".into(),
                type_name: ty.to_string(),
                reason: "void has no values".into(),
            });
        }
        let size = ty.layout_size()?;
        Ok(CData {
            ty: ty.clone(),
            mem: Rc::new(Memory::owned(size, ty.align())?),
            offset: 0,
        })
    }

    /// An instance of `ty` holding `value` (ctypes `c_int(42)`).
    ///
    /// # Errors
    /// As [`CData::set_value`]: the value must fit the type.
    pub fn with_value(ty: &CType, value: impl Into<Value>) -> Result<CData> {
        let d = CData::try_new(ty)?;
        d.set_value(value)?;
        Ok(d)
    }

    /// A view of C memory at `address` as an instance of `ty`
    /// (ctypes `T.from_address(addr)`). Nothing is copied: reads and writes go
    /// to that memory.
    ///
    /// # Safety
    /// For as long as the returned instance (or any view or value derived from
    /// it) is used, `address` must be valid for reads and writes of
    /// `sizeof(ty)` bytes, and any `char *` or `wchar_t *` stored there must be
    /// NULL or point to a readable NUL-terminated string (they are followed
    /// when read). The memory must not be freed meanwhile.
    pub unsafe fn from_address(ty: &CType, address: usize) -> CData {
        // SAFETY: forwarded from the caller.
        unsafe { CData::foreign(ty, address, None) }
    }

    /// A view of foreign memory kept alive by `owner`.
    ///
    /// # Safety
    /// As [`CData::from_address`].
    pub(crate) unsafe fn foreign(ty: &CType, address: usize, owner: Option<CDll>) -> CData {
        let base = NonNull::new(address as *mut u8).unwrap_or(NonNull::dangling());
        CData {
            ty: ty.clone(),
            mem: Rc::new(Memory {
                base,
                len: if address == 0 { 0 } else { ty.size() },
                alloc: None,
                trusted: true,
                keep: RefCell::new(Vec::new()),
                _owner: owner,
            }),
            offset: 0,
        }
    }

    /// The instance's C type.
    pub fn ctype(&self) -> &CType {
        &self.ty
    }

    /// The address of the instance's first byte (ctypes `addressof(obj)`).
    pub fn address(&self) -> usize {
        self.mem.base.as_ptr() as usize + self.offset
    }

    /// A raw pointer to the first byte; valid for `self.ty.size()` bytes.
    pub(crate) fn ptr(&self) -> *mut u8 {
        // `offset` lies within the allocation by construction of every view.
        self.mem.base.as_ptr().wrapping_add(self.offset)
    }

    /// Whether two handles are the same instance (same memory, same type).
    pub(crate) fn same_instance(&self, other: &CData) -> bool {
        Rc::ptr_eq(&self.mem, &other.mem) && self.offset == other.offset && self.ty == other.ty
    }

    /// Checks that the instance's memory is really there (foreign memory at
    /// address 0 is not).
    fn check_readable(&self, what: &str) -> Result<()> {
        if self.mem.len < self.offset + self.ty.size() {
            return Err(Error::NullPointer {
                what: format!("{what} of a {} instance at address 0", self.ty),
            });
        }
        Ok(())
    }

    /// The value of a pointer-typed instance (`void *`, `char *`,
    /// `POINTER(T)`, function pointers): the address it holds.
    pub(crate) fn pointer_value(&self) -> Option<usize> {
        let is_ptr = match self.ty.kind() {
            Kind::Scalar { scalar, .. } => scalar.is_pointer(),
            Kind::Pointer(_) | Kind::Function(_) => true,
            _ => false,
        };
        if !is_ptr || self.check_readable("reading").is_err() {
            return None;
        }
        let mut bytes = [0u8; std::mem::size_of::<usize>()];
        // SAFETY: the instance is a pointer type, so its memory holds at least
        // a pointer's bytes, and `check_readable` confirmed the memory exists.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(), bytes.as_mut_ptr(), bytes.len()) };
        Some(usize::from_ne_bytes(bytes))
    }

    /// Whether the `char *` / `wchar_t *` stored at this instance may be
    /// followed: in trusted foreign memory always; in owned memory only when
    /// it points at the buffer rctypes stored there itself.
    fn may_follow(&self, stored: usize) -> bool {
        self.mem.trusted
            || self
                .mem
                .keep
                .borrow()
                .iter()
                .any(|(off, k)| *off == self.offset && k.buffer_address() == Some(stored))
    }

    /// The instance's value (ctypes `.value`).
    ///
    /// Integers, floats, `bool`, `char` (one byte), `wchar_t`; `char[]`
    /// buffers give their bytes up to the first NUL, `wchar_t[]` their text;
    /// pointers give their address ([`Value::Null`] when NULL).
    ///
    /// A `c_char_p` or `c_wchar_p` instance gives its string when the pointer
    /// is one rctypes stored (from a Rust string) or lies in foreign memory
    /// whose safety contract covers it ([`from_address`](CData::from_address),
    /// [`CDll::variable`]); otherwise it gives the address as
    /// [`Value::Pointer`], because following an arbitrary address is not safe:
    /// read it with [`string_at`](crate::string_at).
    ///
    /// Other instances (structures, unions, other arrays) give
    /// `Value::Data(self.clone())`.
    ///
    /// # Errors
    /// [`Error::NullPointer`] for an instance over address 0.
    pub fn value(&self) -> Result<Value> {
        self.check_readable("reading the value")?;
        match self.ty.kind() {
            Kind::Scalar { scalar, .. } => {
                let follow = match scalar {
                    Scalar::CharP | Scalar::WCharP => {
                        self.pointer_value().is_some_and(|p| self.may_follow(p))
                    }
                    _ => false,
                };
                // SAFETY: the memory holds `scalar.size()` bytes (checked
                // above), and strings are followed only where `may_follow`
                // vouches for them.
                unsafe { codec::decode_scalar(*scalar, self.ptr(), follow) }
            }
            Kind::Pointer(_) | Kind::Function(_) => Ok(match self.pointer_value() {
                Some(0) | None => Value::Null,
                Some(p) => Value::Pointer(p),
            }),
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::Char) => {
                let bytes = self.to_bytes();
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(*len);
                Ok(Value::Bytes(bytes[..end].to_vec()))
            }
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::WChar) => {
                let units: Vec<codec::WideUnit> = (0..*len)
                    .map(|i| {
                        // SAFETY: element `i < len` lies inside the array's memory.
                        unsafe {
                            (self.ptr() as *const codec::WideUnit)
                                .add(i)
                                .read_unaligned()
                        }
                    })
                    .take_while(|&u| u != 0)
                    .collect();
                Ok(Value::Str(codec::wide_to_string(&units)?))
            }
            Kind::Void | Kind::Array { .. } => Ok(Value::Data(self.clone())),
        }
    }

    /// Sets the instance's value (ctypes `.value = v`), checking that it fits.
    ///
    /// Storing a string in a `c_char_p`/`c_wchar_p`/`c_void_p` instance keeps a
    /// NUL-terminated copy alive with the instance; storing an instance's
    /// address keeps that instance alive (ctypes' `_objects`).
    ///
    /// # Errors
    /// [`Error::Conversion`] when the value does not fit the type (an integer
    /// out of range, a float for an integer, an interior NUL, ...);
    /// [`Error::Unsupported`] for types without a settable value.
    pub fn set_value(&self, value: impl Into<Value>) -> Result<()> {
        let value = value.into();
        self.check_readable("setting the value")?;
        let Some(scalar) = self.ty.scalar() else {
            return Err(Error::Unsupported {
                operation: "set_value".into(),
                type_name: self.ty.to_string(),
                reason: "only fundamental types have a settable value".into(),
            });
        };
        // SAFETY: the memory holds `scalar.size()` writable bytes (checked
        // above; views and owned blocks are sized for their type).
        let keep = unsafe { codec::encode_scalar(scalar, &self.ty, &value, self.ptr()) }?;
        self.store_keep(self.offset, keep);
        Ok(())
    }

    /// Records (or replaces) what the pointer stored at `offset` keeps alive.
    pub(crate) fn store_keep(&self, offset: usize, keep: Keep) {
        let mut kept = self.mem.keep.borrow_mut();
        kept.retain(|(off, _)| *off != offset);
        if !matches!(keep, Keep::None) {
            kept.push((offset, keep));
        }
    }

    /// A copy of the instance's bytes (ctypes `bytes(obj)`).
    ///
    /// An instance over foreign address 0 gives no bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.check_readable("reading").is_err() {
            return Vec::new();
        }
        let mut out = vec![0u8; self.ty.size()];
        // SAFETY: the instance's memory holds `size` readable bytes (checked).
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(), out.as_mut_ptr(), out.len()) };
        out
    }

    /// A new instance of `ty` holding a copy of `bytes` (ctypes
    /// `T.from_buffer_copy(bytes)`). Extra bytes are ignored, as in ctypes.
    ///
    /// # Errors
    /// [`Error::Conversion`] when `bytes` is shorter than `sizeof(ty)`.
    pub fn from_bytes(ty: &CType, bytes: &[u8]) -> Result<CData> {
        let d = CData::try_new(ty)?;
        let size = ty.size();
        if bytes.len() < size {
            return Err(Error::Conversion {
                expected: ty.to_string(),
                given: format!("{} bytes", bytes.len()),
                reason: format!("a buffer of at least {size} bytes is needed"),
            });
        }
        // SAFETY: `d` owns `size` fresh bytes; `bytes` has at least `size`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), d.ptr(), size) };
        Ok(d)
    }
}

impl AsRef<CType> for CData {
    fn as_ref(&self) -> &CType {
        &self.ty
    }
}

impl fmt::Debug for CData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CData({} at {:#x}", self.ty, self.address())?;
        if self.ty.scalar().is_some() {
            if let Ok(v) = self.value() {
                write!(f, " = {v:?}")?;
            }
        }
        f.write_str(")")
    }
}
