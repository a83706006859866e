//! Callbacks (ctypes' `CFUNCTYPE(...)(python_function)`): C-callable code
//! that runs a Rust closure.
//!
//! A [`Callback`] owns a libffi closure whose code address C can call. The
//! closure's call interface is the same prepared [`Plan`] that foreign calls
//! use, so a prototype that cannot be called cannot be a callback either.
//! When C calls, [`trampoline`] decodes each argument into a [`Value`], runs
//! the Rust closure under `catch_unwind`, and encodes the result into the
//! buffer libffi hands over (integers widened to a full `ffi_arg`).

#[cfg(all(target_arch = "x86_64", not(windows)))]
mod thunk;

use std::ffi::c_void;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use libffi::raw::{self, ffi_cif, ffi_closure};

use crate::call::convert::ArgConv;
use crate::call::errno;
use crate::call::frame::Plan;
use crate::call::result::RetConv;
use crate::call::typed::{Signature, TypedBody, TypedCallback};
use crate::ctype::{CType, Kind};
use crate::error::{Error, Result};
use crate::memory::CData;
use crate::memory::codec;
use crate::memory::keep::Keep;
use crate::small::SmallList;
use crate::value::Value;

/// The closure type a [`Callback`] runs: the decoded arguments in, the
/// result (or an error) out.
pub type CallbackFn = dyn Fn(&[Value]) -> Result<Value> + Send + Sync;

/// Arguments up to this count are decoded into a stack array: no heap
/// allocation for the argument list of common callbacks.
const INLINE_ARGS: usize = 8;

/// A Rust closure that C can call through a function pointer (ctypes'
/// `CFUNCTYPE(restype, *argtypes)(function)`).
///
/// Pass `&callback` where an argtype (or a field) of the same
/// [`CType::function`] prototype is declared; C receives the address of
/// generated code that converts the arguments to [`Value`]s, runs the
/// closure, and converts its result back.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{Callback, CDll, CType, Value};
/// // int (*compar)(const void *, const void *), for libc's qsort
/// let int_p = CType::c_int().pointer();
/// let compar = CType::function(CType::c_int(), [int_p.clone(), int_p]);
/// let cmp = Callback::new(&compar, |args: &[Value]| {
///     // SAFETY: qsort passes pointers to two elements of the array.
///     let (a, b) = unsafe { (args[0].clone().into_data()?.read(0)?, args[1].clone().into_data()?.read(0)?) };
///     Ok(Value::from(a.as_i64()?.cmp(&b.as_i64()?) as i32))
/// })?;
/// let libc = CDll::this_process()?;
/// let qsort = libc.function("qsort")?
///     .argtypes([CType::c_void_p(), CType::c_size_t(), CType::c_size_t(), compar])
///     .restype(CType::void());
/// let arr = rctypes::CData::from_values(&CType::c_int().array(5), [5, 1, 4, 2, 3])?;
/// // SAFETY: qsort's real signature; the array holds 5 ints of 4 bytes.
/// unsafe { qsort.call(&[(&arr).into(), 5usize.into(), 4usize.into(), (&cmp).into()])? };
/// assert_eq!(arr.to_bytes(), [1, 2, 3, 4, 5].map(i32::to_ne_bytes).concat());
/// # Ok(()) }
/// ```
///
/// # Lifetime
///
/// The generated code lives exactly as long as the `Callback` (and its
/// clones, which share it): dropping the last one frees the code and the
/// closure. C must not call the function pointer after that; a library that
/// keeps the pointer (a registered handler) needs the `Callback` kept for as
/// long as it may call, or [`Callback::forever`] for registrations that never
/// end. Passing a callback as an argument keeps it alive for the call; storing
/// it in a structure field keeps it alive as long as the structure.
///
/// # Errors and panics inside the closure
///
/// Neither ever unwinds into C. When the closure returns `Err`, panics, or
/// returns a value that does not fit the restype, C receives a zeroed result
/// (0, 0.0, NULL, or an all-zero structure), the error is recorded in the
/// callback, and the call into C continues normally; read it with
/// [`take_error`](Callback::take_error) after the foreign call returns
/// ([`failures`](Callback::failures) counts them). This is ctypes' policy
/// (it prints the exception and returns a zeroed result), minus the
/// printing: the panic hook still reports a panic as usual. A panic is
/// recorded as [`Error::Callback`] with the panic's message.
///
/// # Threads
///
/// `Callback` is `Send + Sync`, and C may call it from any thread, including
/// threads C created, concurrently: the closure is `Send + Sync`, and the
/// arguments it receives are made on the calling thread and dropped there.
///
/// # Safety contract with C
///
/// Handing the callback to C happens in an `unsafe` foreign call; part of
/// that call's contract is that C calls the pointer with arguments matching
/// the prototype (a `c_char_p` argument is read as a NUL-terminated string, a
/// structure argument is copied from where C put it).
#[derive(Clone)]
pub struct Callback {
    inner: Arc<CallbackInner>,
}

/// Owns the code C calls and what it uses. It lives in an `Arc` whose
/// address the entry holds; every invocation takes a strong reference for
/// its duration, so a closure that drops the last [`Callback`] handle while
/// C is calling it is freed only once that call has returned.
pub(super) struct CallbackInner {
    /// How C enters the callback; released in `Drop`, before `shared`
    /// (field order), so no entry outlives what it points at.
    entry: Entry,
    /// The executable address C calls.
    code: usize,
    /// What every invocation uses.
    pub(super) shared: Shared,
}

/// What runs when C calls.
enum Body {
    /// A closure over [`Value`]s ([`Callback::new`]).
    Values(Box<CallbackFn>),
    /// A typed closure reading its arguments where they arrived
    /// ([`Callback::typed`]).
    Typed(Box<TypedBody>),
}

/// The code C calls.
enum Entry {
    /// A libffi closure: the writable side of the allocation from
    /// `ffi_closure_alloc`, freed in `Drop`.
    Libffi(*mut ffi_closure),
    /// A thunk of the closure plan (register-only prototypes); its slot is
    /// released when it is dropped.
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    Thunk(#[allow(dead_code)] thunk::Thunk),
}

/// What the trampoline needs at every call.
pub(super) struct Shared {
    /// The `CFUNCTYPE` this callback implements.
    prototype: CType,
    /// Its restype, for converting results.
    restype: CType,
    /// The prepared call interface; the closure's cif points into it.
    pub(super) plan: Plan,
    body: Body,
    use_errno: AtomicBool,
    /// The most recent failure not yet taken.
    last_error: Mutex<Option<Error>>,
    failures: AtomicU64,
}

// SAFETY: a libffi closure is only written by `ffi_prep_closure_loc` during
// construction and freed in `Drop` (which has exclusive access); everything
// else is immutable after construction, atomic, or behind a Mutex, and the
// closure `func` is `Send + Sync`. The Plan is `Send + Sync` itself.
unsafe impl Send for CallbackInner {}
// SAFETY: as above: shared access only reads immutable data, atomics and a Mutex.
unsafe impl Sync for CallbackInner {}

impl Drop for CallbackInner {
    fn drop(&mut self) {
        if let Entry::Libffi(closure) = self.entry {
            // SAFETY: `closure` came from `ffi_closure_alloc` and is freed
            // once, here; `shared` is still alive (it is dropped after this).
            unsafe { raw::ffi_closure_free(closure.cast()) };
        }
    }
}

impl Callback {
    /// Makes `f` callable from C with the prototype `prototype` (a type made
    /// by [`CType::function`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when `prototype` is not a function type or uses
    /// a type that cannot cross the call (a `void` argument, an array
    /// result), [`Error::Ffi`] when libffi refuses the signature or cannot
    /// allocate a closure.
    pub fn new(
        prototype: &CType,
        f: impl Fn(&[Value]) -> Result<Value> + Send + Sync + 'static,
    ) -> Result<Callback> {
        Callback::with_body(prototype, Body::Values(Box::new(f)))
    }

    /// A callback whose signature is also known at compile time (the
    /// counterpart of [`Function::typed`](crate::Function::typed)): the
    /// closure takes and returns plain Rust values, read where C put them,
    /// with no [`Value`] made. `F` (`fn(i32, i32) -> i32`) is checked once
    /// against `prototype`, with the same type correspondence as
    /// `Function::typed`. A panic is caught and handled as for
    /// [`Callback::new`] (C receives a zeroed result; the error is kept).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{Callback, CDll, CType};
    /// let int_p = CType::c_int().pointer();
    /// let compar = CType::function(CType::c_int(), [int_p.clone(), int_p]);
    /// let cmp = Callback::typed::<fn(*const i32, *const i32) -> i32>(&compar, |a: *const i32, b: *const i32| {
    ///     // SAFETY: qsort passes pointers to two elements of the array.
    ///     unsafe { (*a).cmp(&*b) as i32 }
    /// })?;
    /// let libc = CDll::this_process()?;
    /// let qsort = libc.function("qsort")?
    ///     .argtypes([CType::c_void_p(), CType::c_size_t(), CType::c_size_t(), compar])
    ///     .restype(CType::void());
    /// let arr = rctypes::CData::from_slice(&CType::c_int(), &[3, 1, 2])?;
    /// // SAFETY: qsort's real signature; the array holds 3 ints of 4 bytes.
    /// unsafe { qsort.call(&[(&arr).into(), 3usize.into(), 4usize.into(), (&cmp).into()])? };
    /// assert_eq!(arr.to_bytes(), [1, 2, 3].map(i32::to_ne_bytes).concat());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Signature`] when `F` disagrees with `prototype`, and as
    /// [`Callback::new`] otherwise.
    pub fn typed<F: Signature>(prototype: &CType, f: impl TypedCallback<F>) -> Result<Callback> {
        if let Some((restype, argtypes)) = prototype.prototype() {
            if let Some(why) = F::mismatch(argtypes, restype) {
                return Err(Error::Signature {
                    function: prototype.to_string(),
                    message: why,
                });
            }
        }
        Callback::with_body(prototype, Body::Typed(f.into_body()))
    }

    fn with_body(prototype: &CType, body: Body) -> Result<Callback> {
        let Kind::Function(sig) = prototype.kind() else {
            return Err(Error::Unsupported {
                operation: "creating a callback".into(),
                type_name: prototype.to_string(),
                reason: "a callback needs a function type made by CType::function".into(),
            });
        };
        let name = prototype.to_string();
        let plan = Plan::new(&name, &sig.argtypes, None, &sig.restype)?;
        let shared = Shared {
            prototype: prototype.clone(),
            restype: sig.restype.clone(),
            plan,
            body,
            use_errno: AtomicBool::new(false),
            last_error: Mutex::new(None),
            failures: AtomicU64::new(0),
        };
        // The closure plan first: a thunk, for prototypes in registers.
        #[cfg(all(target_arch = "x86_64", not(windows)))]
        if shared.plan.regs().is_some() {
            if let Some(thunk) = thunk::Thunk::claim() {
                let inner = Arc::new(CallbackInner {
                    code: thunk.address(),
                    entry: Entry::Thunk(thunk),
                    shared,
                });
                if let Entry::Thunk(thunk) = &inner.entry {
                    // the Arc's address is stable until the last handle goes
                    thunk.bind(Arc::as_ptr(&inner));
                }
                return Ok(Callback { inner });
            }
        }
        let mut code: *mut c_void = std::ptr::null_mut();
        // SAFETY: asks libffi for a closure of the right size; `code`
        // receives the executable address.
        let closure = unsafe { raw::ffi_closure_alloc(size_of::<ffi_closure>(), &mut code) }
            .cast::<ffi_closure>();
        if closure.is_null() || code.is_null() {
            return Err(Error::Ffi {
                function: name,
                message: "ffi_closure_alloc failed".into(),
            });
        }
        // From here on, dropping `inner` frees the closure.
        let inner = Arc::new(CallbackInner {
            entry: Entry::Libffi(closure),
            code: code as usize,
            shared,
        });
        let user_data = Arc::as_ptr(&inner).cast_mut();
        // SAFETY: `closure`/`code` are a fresh allocation from
        // ffi_closure_alloc; the cif and `user_data` live in the Arc's
        // allocation, which the closure never outlives (Drop frees the
        // closure first).
        let status = unsafe {
            raw::ffi_prep_closure_loc(
                closure,
                inner.shared.plan.cif_ptr(),
                Some(trampoline),
                user_data.cast(),
                code,
            )
        };
        if status != raw::ffi_status_FFI_OK {
            return Err(Error::Ffi {
                function: inner.shared.prototype.to_string(),
                message: format!("ffi_prep_closure_loc failed with status {status}"),
            });
        }
        Ok(Callback { inner })
    }

    /// ctypes' `use_errno=True` for a callback: while the closure runs, this
    /// thread's private errno copy and C's `errno` are swapped, so the
    /// closure reads what C left in `errno` with [`get_errno`](crate::get_errno)
    /// and what it sets with [`set_errno`](crate::set_errno) is C's `errno`
    /// when the callback returns. Applies to every clone.
    pub fn use_errno(self, yes: bool) -> Callback {
        self.inner.shared.use_errno.store(yes, Ordering::Relaxed);
        self
    }

    /// The address of the C-callable code (what C receives).
    pub fn address(&self) -> usize {
        self.inner.code
    }

    /// How many handles share this callback's code.
    pub(crate) fn handles(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    /// The prototype this callback implements.
    pub fn prototype(&self) -> &CType {
        &self.inner.shared.prototype
    }

    /// Keeps the callback (its code and closure) alive until the process
    /// ends, for registrations that are never undone (an `atexit` handler, a
    /// signal handler, a logging hook a library keeps forever).
    ///
    /// The callback is recorded in a process-wide list, so it stays
    /// reachable (memory checkers see it as in use, not as a leak).
    pub fn forever(self) -> &'static Callback {
        static FOREVER: Mutex<Vec<&'static Callback>> = Mutex::new(Vec::new());
        let kept: &'static Callback = Box::leak(Box::new(self));
        lock(&FOREVER).push(kept);
        kept
    }

    /// The most recent failure (an `Err` returned by the closure, a panic, or
    /// a result that did not fit the restype) not yet taken, and clears it.
    pub fn take_error(&self) -> Option<Error> {
        lock(&self.inner.shared.last_error).take()
    }

    /// How many calls have failed since the callback was created.
    pub fn failures(&self) -> u64 {
        self.inner.shared.failures.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Callback({} at {:#x})",
            self.inner.shared.prototype, self.inner.code
        )
    }
}

/// Two handles are equal when they share the same code.
impl PartialEq for Callback {
    fn eq(&self, other: &Callback) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The code every callback runs when C calls it through a libffi closure.
///
/// # Safety
/// Called by libffi only, with the cif prepared for this closure, a result
/// buffer large enough for the restype (at least an `ffi_arg`), one argument
/// pointer per parameter, and the `CallbackInner` the closure was prepared
/// with as `user_data`.
unsafe extern "C" fn trampoline(
    _cif: *mut ffi_cif,
    ret: *mut c_void,
    args: *mut *mut c_void,
    user_data: *mut c_void,
) {
    // SAFETY: `user_data` is the `CallbackInner` of a live callback (C calls
    // it only while a handle exists, which is the contract of the call that
    // handed it over).
    let callback = unsafe { Entered::new(user_data.cast_const().cast()) };
    let params = callback.shared.plan.args();
    if params.iter().all(|(_, conv)| *conv != ArgConv::Empty) {
        // SAFETY: libffi's contract, forwarded.
        return unsafe { invoke(&callback, ret, args) };
    }
    // libffi's list leaves out the arguments passed as nothing (zero-size
    // structures): give the body one pointer per parameter.
    let mut full = Vec::with_capacity(params.len());
    let mut next = 0;
    for (_, conv) in params {
        if *conv == ArgConv::Empty {
            full.push(std::ptr::NonNull::<u8>::dangling().as_ptr().cast());
        } else {
            // SAFETY: libffi passes one pointer per argument it sees.
            full.push(unsafe { *args.add(next) });
            next += 1;
        }
    }
    // SAFETY: libffi's contract, with the list completed as above (a
    // zero-size argument is never read).
    unsafe { invoke(&callback, ret, full.as_mut_ptr()) }
}

/// A strong reference to a callback, taken when C enters it and released
/// when the call ends: a closure that drops the last [`Callback`] handle
/// while running is freed only after it has returned. Releasing it never
/// unwinds into C, even if a captured value's `Drop` panics.
pub(super) struct Entered(std::mem::ManuallyDrop<Arc<CallbackInner>>);

impl Entered {
    /// # Safety
    /// `inner` points at the `CallbackInner` of a callback that is alive
    /// (its strong count is at least one) when this is called.
    pub(super) unsafe fn new(inner: *const CallbackInner) -> Entered {
        // SAFETY: forwarded from the caller: the count is at least one, and
        // the reference taken here is released exactly once, in Drop.
        let arc = unsafe {
            Arc::increment_strong_count(inner);
            Arc::from_raw(inner)
        };
        Entered(std::mem::ManuallyDrop::new(arc))
    }
}

impl std::ops::Deref for Entered {
    type Target = CallbackInner;
    fn deref(&self) -> &CallbackInner {
        &self.0
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        // SAFETY: taken once, here; `self.0` is not used afterwards.
        let arc = unsafe { std::mem::ManuallyDrop::take(&mut self.0) };
        drop_contained(arc);
    }
}

/// The body both entries run: the errno swap when asked, the closure under
/// `catch_unwind`, and on failure a zeroed result and a recorded error.
///
/// # Safety
/// `args` holds one pointer per parameter, each at a value of its type;
/// `ret` is writable for the result (at least an `ffi_arg`, or the
/// structure's size).
unsafe fn invoke(callback: &Entered, ret: *mut c_void, args: *mut *mut c_void) {
    let shared = &callback.shared;
    let outcome = if shared.use_errno.load(Ordering::Relaxed) {
        let (real, private) = (errno::location(), errno::private());
        // SAFETY: both are this thread's errno pointers.
        unsafe { errno::swap(real, private) };
        // SAFETY: forwarded from the caller.
        let outcome = catch_unwind(AssertUnwindSafe(|| unsafe { shared.run(ret, args) }));
        // SAFETY: as above.
        unsafe { errno::swap(real, private) };
        outcome
    } else {
        // SAFETY: forwarded from the caller.
        catch_unwind(AssertUnwindSafe(|| unsafe { shared.run(ret, args) }))
    };
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(payload) => {
            let message = panic_message(&*payload);
            drop_contained(payload);
            Some(Error::Callback {
                prototype: shared.prototype.to_string(),
                message: format!("the closure panicked: {message}"),
            })
        }
    };
    if let Some(error) = error {
        // SAFETY: the result buffer holds at least `result_size` bytes.
        unsafe { std::ptr::write_bytes(ret.cast::<u8>(), 0, shared.result_size()) };
        shared.failures.fetch_add(1, Ordering::Relaxed);
        *lock(&shared.last_error) = Some(error);
    }
}

/// Drops `value` without letting a panic in its `Drop` unwind into C (a
/// panic payload whose own drop panics, a closure's capture): a second
/// panic's payload is leaked rather than dropped.
fn drop_contained<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        std::mem::forget(payload);
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

impl Shared {
    /// Bytes of the result buffer libffi provides: a full `ffi_arg` for
    /// scalars, the size for aggregates.
    fn result_size(&self) -> usize {
        match self.plan.ret() {
            RetConv::Void => 0,
            RetConv::Aggregate(ty) => ty.size(),
            RetConv::Scalar(s) => s.size().max(size_of::<raw::ffi_arg>()),
            RetConv::Pointer(_) => size_of::<usize>(),
        }
    }

    /// Decodes the arguments, runs the closure, encodes its result.
    ///
    /// # Safety
    /// As [`trampoline`].
    unsafe fn run(&self, ret: *mut c_void, args: *mut *mut c_void) -> Result<()> {
        let func = match &self.body {
            Body::Values(func) => func,
            Body::Typed(body) => {
                body(args, ret);
                return Ok(());
            }
        };
        let params = self.plan.args();
        let mut values: SmallList<Value, INLINE_ARGS> = SmallList::with_capacity(params.len());
        for (i, (ty, conv)) in params.iter().enumerate() {
            // SAFETY: libffi passes one valid pointer per parameter.
            let p = unsafe { *args.add(i) }.cast::<u8>();
            // SAFETY: `p` points at a value of parameter i's type.
            let v = unsafe { decode_arg(ty, *conv, p) }.map_err(|e| Error::Callback {
                prototype: self.prototype.to_string(),
                message: format!("argument {i}: {e}"),
            })?;
            values.push(v);
        }
        let result = func(values.as_slice())?;
        // SAFETY: `ret` is libffi's result buffer for this restype.
        unsafe { self.encode_result(result, ret.cast()) }.map_err(|e| Error::Callback {
            prototype: self.prototype.to_string(),
            message: format!("the result: {e}"),
        })
    }

    /// Writes the closure's result where libffi expects it.
    ///
    /// A pointer C receives (a string, an instance's address, a structure's
    /// pointer fields) must point at memory that something other than the
    /// result itself keeps alive: the result is dropped when the callback
    /// returns, and what only it kept would be freed under C's feet. Such a
    /// result is refused (C then gets a zeroed result).
    ///
    /// # Safety
    /// `ret` must be writable for [`Shared::result_size`] bytes.
    unsafe fn encode_result(&self, v: Value, ret: *mut u8) -> Result<()> {
        let keeps = match self.plan.ret() {
            RetConv::Void => return Ok(()),
            RetConv::Scalar(s) => {
                // the commonest results (an integer or a float in range) as
                // the full register libffi reads
                if let Some(word) = codec::scalar_word(*s, &v) {
                    // SAFETY: the buffer holds at least a full ffi_arg.
                    unsafe { std::ptr::copy_nonoverlapping(word.to_ne_bytes().as_ptr(), ret, 8) };
                    return Ok(());
                }
                let mut tmp = [0u8; 16];
                // SAFETY: `tmp` has room for every fundamental type.
                let keep =
                    unsafe { codec::encode_scalar(*s, &self.restype, &v, tmp.as_mut_ptr()) }?;
                if s.is_integer() && s.size() < size_of::<raw::ffi_arg>() {
                    // libffi expects a full register: sign- or zero-extend.
                    let wide = codec::widen(&tmp[..s.size()], s.is_signed()).to_ne_bytes();
                    // SAFETY: the buffer holds a full ffi_arg for integer results.
                    unsafe { std::ptr::copy_nonoverlapping(wide.as_ptr(), ret, wide.len()) };
                } else {
                    // SAFETY: the buffer holds the restype's size.
                    unsafe { std::ptr::copy_nonoverlapping(tmp.as_ptr(), ret, s.size()) };
                }
                vec![keep]
            }
            RetConv::Pointer(ty) => {
                let (addr, keep) = codec::pointer_target(ty, &v, true)?;
                let bytes = addr.to_ne_bytes();
                // SAFETY: the buffer holds a pointer.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ret, bytes.len()) };
                vec![keep]
            }
            RetConv::Aggregate(ty) => match &v {
                Value::Data(d) if d.ctype() == ty => {
                    d.check_readable("returning")?;
                    // SAFETY: the buffer holds `size` bytes; so does the instance.
                    unsafe { std::ptr::copy_nonoverlapping(d.ptr(), ret, ty.size()) };
                    d.keeps_within()
                }
                _ => {
                    return Err(crate::error::ConvError::new(
                        ty.to_string(),
                        v.describe(),
                        "a structure or union result takes an instance of exactly its type",
                    )
                    .into());
                }
            },
        };
        if keeps.iter().all(|k| matches!(k, Keep::None)) {
            return Ok(());
        }
        let described = v.describe();
        drop(v);
        if keeps.iter().all(Keep::is_shared) {
            return Ok(());
        }
        Err(Error::Unsupported {
            operation: "returning a pointer from a callback".into(),
            type_name: self.restype.to_string(),
            reason: format!(
                "nothing would own what the result ({described}) points into once the \
                 callback returns (only the result keeps it alive); return memory that \
                 outlives the call (an instance the closure keeps, or C's own memory)"
            ),
        })
    }
}

/// One argument C passed, as a Value.
///
/// # Safety
/// `p` must point at a value of type `ty`; a `char *`/`wchar_t *` there must
/// be NULL or a NUL-terminated string (the prototype is C's promise).
unsafe fn decode_arg(ty: &CType, conv: ArgConv, p: *const u8) -> Result<Value> {
    match conv {
        // SAFETY: forwarded from the caller.
        ArgConv::Scalar(s) => unsafe { codec::decode_scalar_fast(s, p) },
        ArgConv::Pointer | ArgConv::FnPtr => {
            let mut addr = [0u8; size_of::<usize>()];
            // SAFETY: a pointer-sized value is at `p`.
            unsafe { std::ptr::copy_nonoverlapping(p, addr.as_mut_ptr(), addr.len()) };
            // An array parameter is a pointer to its first element.
            let pointer_type = match ty.kind() {
                Kind::Array { elem, .. } => elem.pointer(),
                _ => ty.clone(),
            };
            Ok(Value::Data(CData::from_bytes(&pointer_type, &addr)?))
        }
        ArgConv::Empty => Ok(Value::Data(CData::try_new(ty)?)),
        ArgConv::Aggregate => {
            // SAFETY: a structure of `size` bytes is at `p`.
            let bytes = unsafe { std::slice::from_raw_parts(p, ty.size()) };
            Ok(Value::Data(CData::from_bytes(ty, bytes)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prototypes in registers get a thunk; the others a libffi closure.
    #[test]
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    fn register_prototypes_enter_through_thunks() {
        let uses_thunk = |cb: &Callback| matches!(cb.inner.entry, Entry::Thunk(_));
        let plans_on = std::env::var("RCTYPES_CALL_PLAN").map_or(true, |v| v != "off");
        let int = CType::c_int();
        let binop = CType::function(int.clone(), [int.clone(), int.clone()]);
        let cb = Callback::new(&binop, |_| Ok(Value::Int(0))).unwrap();
        assert_eq!(uses_thunk(&cb), plans_on);
        let seven = CType::function(int.clone(), vec![int.clone(); 7]);
        let cb7 = Callback::new(&seven, |_| Ok(Value::Int(0))).unwrap();
        assert!(
            !uses_thunk(&cb7),
            "a seventh integer argument is on the stack"
        );
        let ld = CType::function(CType::c_longdouble(), []);
        assert!(!uses_thunk(
            &Callback::new(&ld, |_| Ok(Value::Float(0.0))).unwrap()
        ));
        // slots are reused once released
        let before = cb.address();
        drop(cb);
        let again = Callback::new(&binop, |_| Ok(Value::Int(0))).unwrap();
        if plans_on {
            assert_eq!(again.address(), before);
        }
    }
}
