//! # rctypes: Python's ctypes for Rust
//!
//! Load a shared library at run time, describe C functions and C types *as
//! data* (argtypes and restype, fundamental types, pointers, arrays,
//! structures and unions, function prototypes), and call into C through
//! libffi — no bindgen step, no compile-time signatures.
//!
//! ```
//! # fn main() -> rctypes::Result<()> {
//! use rctypes::{byref, CData, CDll, CType, Value};
//!
//! let libc = CDll::this_process()?;                      // ctypes.CDLL(None)
//! let strtol = libc.function("strtol")?                  // libc.strtol
//!     .argtypes([CType::c_char_p(), CType::c_void_p(), CType::c_int()])
//!     .restype(CType::c_long());
//! // SAFETY: strtol(const char *, char **, int) -> long; NULL endptr is allowed.
//! let r: Value = unsafe { strtol.call(&["ff".into(), Value::Null, 16.into()])? };
//! assert_eq!(r.as_i64()?, 255);
//!
//! let n = CData::with_value(&CType::c_int(), 42)?;       // c_int(42)
//! assert_eq!(n.value()?.as_i64()?, 42);
//! let _arg = byref(&n);                                  // byref(n), for an int* parameter
//! # Ok(()) }
//! ```
//!
//! ## Where to start
//!
//! * [`cdef`] reads C declarations (`typedef struct {..} Point; int add(int, int);`)
//!   into the same types and prototypes the builders below make, and
//!   [`Declarations::from_header`] reads a library's real header; then
//!   [`Declarations::function`] binds a declared function to a library, and
//!   [`CDll::declare`] does it for one prototype.
//! * [`CDll`] loads a library (ctypes `CDLL`); [`find_library`] finds one by
//!   its short name, [`find_library_path`] gives its file, and
//!   [`exported_functions`] lists the functions that file exports.
//! * [`Function`] is a foreign function: declare [`argtypes`](Function::argtypes)
//!   and [`restype`](Function::restype), then [`call`](Function::call) it with
//!   [`Value`]s; [`Function::typed`] gives a direct call when the signature is
//!   also known at compile time.
//! * [`CType`] describes C types: the fundamental types, `pointer()`,
//!   `array(n)`, [`CType::structure`] / [`CType::union`] (with pack, align,
//!   bitfields, unnamed bitfields, anonymous members, byte order; laid out as
//!   gcc does, or by MSVC's rules with [`Layout::Ms`]), and
//!   [`CType::function`] prototypes.
//! * [`CData`] is an instance: C memory with a type, owned by rctypes or
//!   viewing C's, with fields, elements, pointers and ctypes' keep-alive rules;
//!   [`create_string_buffer`] makes mutable strings. What C hands back is
//!   used in one call each: [`CData::read_many`] (`ptr[0:n]`),
//!   [`CData::iter`] and [`CData::to_vec`] (arrays), [`CData::pointer_at`]
//!   (an address as a typed pointer), [`CData::follow`] (a `char *` C
//!   stored) and [`CData::as_function`] (a function pointer C stored).
//! * [`Callback`] makes a Rust closure callable from C.
//! * [`get_errno`] / [`set_errno`]: ctypes' private errno.
//!
//! ## What is `unsafe`
//!
//! Loading a library (its initialisers run) and calling a foreign function
//! (a wrong signature is undefined behaviour rctypes cannot detect) are
//! `unsafe`, as is anything that dereferences an address C handed over
//! ([`string_at`], [`CData::from_address`], [`CData::follow`], ...). Describing types, creating and
//! reading instances rctypes owns, and every conversion are safe, and every
//! mistake that can be caught before C runs is an [`Error`].
//!
//! The full contract — each `unsafe` operation's duties, the guarantees of
//! safe code, thread safety, and what happens when a callback fails — is in
//! the [`safety`] module.
//!
//! ## Differences from ctypes
//!
//! * Integers are range-checked: `c_uint` refuses `-1` and `c_int` refuses
//!   `2**40`, where ctypes silently masks them.
//! * A `c_char_p` parameter accepts Rust strings (`Str`) as well as bytes,
//!   passed as UTF-8.
//! * Without argtypes, an integer that does not fit in a C `int` is an error
//!   (ctypes raises too, past `long`); pass a typed instance instead.
//!
//! ## Cargo features
//!
//! * `call-plan` (on by default): the crate's own x86-64 System V call plan
//!   and callback entry thunks (naked-function assembly). Without it, or on
//!   another target, or at run time with `RCTYPES_CALL_PLAN=off`, every call
//!   and callback goes through libffi. The few signatures libffi passes
//!   wrongly (a by-value argument aligned beyond 16 bytes, a structure
//!   returned on the x87 stack, a callback taking a structure with a
//!   padding-only eightbyte) are then refused with [`Error::Unsupported`]
//!   when the plan is compiled out; `RCTYPES_CALL_PLAN=off` still makes
//!   them with the plan.
//! * `system-libffi` (off by default): link the system's libffi (`-lffi`)
//!   instead of building the bundled copy, for distributions. libffi before
//!   3.4.7 (Debian 12 ships 3.4.4) mis-passes, on x86-64, a structure larger
//!   than 8 bytes whose first eightbyte is an integer landing in the sixth
//!   integer register: a `float` or `double` passed earlier in `xmm0` arrives
//!   corrupted ([libffi#574](https://github.com/libffi/libffi/issues/574)).
//!   On x86-64 the call plan (on unless `RCTYPES_CALL_PLAN=off`) makes every
//!   call without libffi, so calls are right with any libffi; with the plan
//!   off, or on another target, libffi makes them. The default, the bundled
//!   libffi 3.5, is fixed.

#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod safety {
    //! What is `unsafe` in rctypes and why, what safe code is guaranteed,
    //! the thread-safety of each public type, and the callback policy
    //! (the text of `docs/SAFETY.md`).
    #![doc = include_str!("../docs/SAFETY.md")]
}

mod call;
mod callback;
mod cdef;
mod conv;
mod ctype;
mod error;
mod findlib;
mod layout;
mod library;
mod memory;
mod small;
mod value;

pub use call::errno::{get_errno, set_errno};
pub use call::prepared::PreparedCall;
pub use call::typed::{CRepr, CReturn, Signature, Typed, TypedCallback};
pub use call::{ErrCheck, Function};
pub use callback::{Callback, CallbackFn};
pub use cdef::{DeclKind, Declarations, HeaderOptions, Skipped, cdef};
pub use ctype::{BitField, CType, Field, FieldHandle, RecordBuilder, alignment, sizeof};
pub use error::{Error, ErrorText, Result};
pub use findlib::{exported_functions, find_library_path};
pub use layout::Layout;
pub use library::{CDll, OpenOptions, find_library};
pub use memory::buffers::{
    BufferInit, WideBufferInit, create_string_buffer, create_string_buffer_sized,
    create_unicode_buffer, create_unicode_buffer_sized,
};
pub use memory::raw::{memmove, memset, string_at, wstring_at};
pub use memory::{CData, Elements};
pub use value::{Value, byref, byref_at};
