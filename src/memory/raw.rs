//! ctypes' functions over raw addresses: `string_at`, `wstring_at`,
//! `memmove`, `memset`. All are `unsafe`: an address is a promise only the
//! caller can keep.

use std::ffi::{CStr, c_char};

use crate::conv::{self, WideUnit};
use crate::error::Result;

/// `ctypes.string_at(address, size)`: a copy of the bytes at `address`, up to
/// (not including) the first NUL when `len` is `None`, or exactly `len` bytes.
///
/// # Safety
/// `address` must be readable for `len` bytes, or up to and including a NUL
/// byte when `len` is `None`. Address 0 is never read: it gives no bytes.
///
/// ```
/// let s = b"hi\0";
/// // SAFETY: `s` is a live NUL-terminated buffer.
/// assert_eq!(unsafe { rctypes::string_at(s.as_ptr() as usize, None) }, b"hi");
/// ```
pub unsafe fn string_at(address: usize, len: Option<usize>) -> Vec<u8> {
    if address == 0 {
        return Vec::new();
    }
    match len {
        // SAFETY: the caller guarantees a NUL-terminated string at `address`.
        None => unsafe { CStr::from_ptr(address as *const c_char) }
            .to_bytes()
            .to_vec(),
        // SAFETY: the caller guarantees `n` readable bytes at `address`.
        Some(n) => unsafe { std::slice::from_raw_parts(address as *const u8, n) }.to_vec(),
    }
}

/// `ctypes.wstring_at(address, size)`: the `wchar_t` string at `address`, up
/// to the first NUL when `len` is `None`, or exactly `len` characters.
///
/// # Safety
/// `address` must be readable for `len` `wchar_t`s, or up to and including a
/// NUL `wchar_t` when `len` is `None`. Address 0 is never read: it gives "".
///
/// # Errors
/// [`Error::ValueType`](crate::Error::ValueType) when the units are not valid
/// Unicode.
pub unsafe fn wstring_at(address: usize, len: Option<usize>) -> Result<String> {
    if address == 0 {
        return Ok(String::new());
    }
    // SAFETY: forwarded from the caller.
    unsafe { conv::read_wide(address as *const WideUnit, len) }
}

/// `ctypes.memmove(dst, src, count)`: copies `count` bytes; the regions may
/// overlap.
///
/// # Safety
/// `src` must be readable and `dst` writable for `count` bytes, and writing
/// there must not break any Rust or C invariant.
pub unsafe fn memmove(dst: usize, src: usize, count: usize) {
    // SAFETY: forwarded from the caller.
    unsafe { std::ptr::copy(src as *const u8, dst as *mut u8, count) };
}

/// `ctypes.memset(dst, c, count)`: fills `count` bytes with `byte`.
///
/// # Safety
/// `dst` must be writable for `count` bytes, and writing there must not break
/// any Rust or C invariant.
pub unsafe fn memset(dst: usize, byte: u8, count: usize) {
    // SAFETY: forwarded from the caller.
    unsafe { std::ptr::write_bytes(dst as *mut u8, byte, count) };
}
