//! errno with ctypes semantics: each thread has a private copy that is swapped
//! with the real `errno` immediately before and after a call made with
//! `use_errno`, so that nothing else (an allocation, a lock, Rust's own
//! runtime) can disturb what C set.

use std::cell::Cell;
use std::ffi::c_int;

thread_local! {
    /// The private per-thread copy that `get_errno`/`set_errno` read and write.
    static PRIVATE: Cell<c_int> = const { Cell::new(0) };
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "fuchsia",
    target_os = "redox",
    target_os = "cygwin"
))]
unsafe extern "C" {
    #[cfg_attr(target_os = "android", link_name = "__errno")]
    fn __errno_location() -> *mut c_int;
}
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
unsafe extern "C" {
    #[link_name = "__error"]
    fn __errno_location() -> *mut c_int;
}
#[cfg(windows)]
unsafe extern "C" {
    #[link_name = "_errno"]
    fn __errno_location() -> *mut c_int;
}

/// The real `errno` of the calling thread.
pub(crate) fn location() -> *mut c_int {
    // SAFETY: the C library's errno accessor takes no arguments and returns
    // the calling thread's errno address, valid for the thread's lifetime.
    unsafe { __errno_location() }
}

/// The private copy of the calling thread, for swapping around a call.
pub(crate) fn private() -> *mut c_int {
    PRIVATE.with(Cell::as_ptr)
}

/// Exchanges the real errno with the private copy.
///
/// # Safety
/// `real` and `private` must be the calling thread's [`location`] and
/// [`private`] pointers.
#[inline(always)]
pub(crate) unsafe fn swap(real: *mut c_int, private: *mut c_int) {
    // SAFETY: both pointers are the calling thread's own, valid and aligned.
    unsafe { std::ptr::swap(real, private) };
}

/// Runs `call` inside the errno swap when asked: the thread's private errno
/// copy is swapped into the real `errno` immediately before and back
/// immediately after, with nothing in between that could change it.
#[inline(always)]
pub(crate) fn swapped<R>(use_errno: bool, call: impl FnOnce() -> R) -> R {
    if use_errno { swap_around(call) } else { call() }
}

/// [`swapped`] with the swap, out of the hot path's way.
#[cold]
#[inline(never)]
fn swap_around<R>(call: impl FnOnce() -> R) -> R {
    let (real, private) = (location(), private());
    // SAFETY: this thread's errno pointers, swapped right around the call.
    unsafe { swap(real, private) };
    let r = call();
    // SAFETY: as above.
    unsafe { swap(real, private) };
    r
}

/// `ctypes.get_errno()`: this thread's private errno copy, which holds what C
/// left in `errno` during the last call made with `use_errno` on this thread.
///
/// ```
/// rctypes::set_errno(7);
/// assert_eq!(rctypes::get_errno(), 7);
/// ```
pub fn get_errno() -> i32 {
    PRIVATE.with(Cell::get)
}

/// `ctypes.set_errno(value)`: sets this thread's private errno copy (which
/// becomes C's `errno` at the start of the next `use_errno` call) and returns
/// the old value. The real `errno` is not touched.
///
/// ```
/// let before = rctypes::set_errno(0);
/// assert_eq!(rctypes::set_errno(before), 0);
/// ```
pub fn set_errno(value: i32) -> i32 {
    PRIVATE.with(|c| c.replace(value))
}
