//! Stage 3 of a call: the only `ffi_call` in the crate, inside the errno swap
//! when `use_errno` is set.

use std::ffi::c_void;

use libffi::raw::{self, ffi_cif};

use super::errno;

/// Calls `code` through libffi.
///
/// With `use_errno`, the thread's private errno copy is swapped into the real
/// `errno` immediately before the call and swapped back immediately after it:
/// nothing runs in between that could change `errno`.
///
/// # Safety
/// `cif` must be prepared for `code`'s real signature; `avalues` must hold one
/// valid pointer per argument, each to a value of the argument's type;
/// `rvalue` must be writable for the result (at least 8 bytes for integer
/// results, and the result's size); `code` must be callable.
#[inline]
pub(crate) unsafe fn invoke(
    cif: *mut ffi_cif,
    code: usize,
    rvalue: *mut c_void,
    avalues: *mut *mut c_void,
    use_errno: bool,
) {
    // SAFETY: `code` is a non-null function address (checked by the callers)
    // and is only ever called through libffi with the prepared cif.
    let f: unsafe extern "C" fn() =
        unsafe { std::mem::transmute::<usize, unsafe extern "C" fn()>(code) };
    if use_errno {
        let real = errno::location();
        let private = errno::private();
        // SAFETY: both are this thread's errno pointers; the call's
        // requirements are forwarded from the caller.
        unsafe {
            errno::swap(real, private);
            raw::ffi_call(cif, Some(f), rvalue, avalues);
            errno::swap(real, private);
        }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { raw::ffi_call(cif, Some(f), rvalue, avalues) };
    }
}
