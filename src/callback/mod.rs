//! Callbacks (ctypes' `CFUNCTYPE(...)(python_function)`): C-callable code
//! that runs a Rust closure.
//!
//! A [`Callback`] compiles its prototype into the same [`Plan`] that foreign
//! calls use. On x86-64 System V, C enters it through one of a fixed pool
//! of thunks (`thunk`), whose entry spills the argument registers and finds
//! the caller's stack arguments; [`invoke`] then reads each argument
//! straight from where the plan's layout says it is, runs the closure under
//! `catch_unwind`, and puts the result where C expects it (registers, the
//! x87 stack, or the caller's memory for a structure returned through a
//! hidden pointer). Elsewhere, with `RCTYPES_CALL_PLAN=off`, or when the
//! pool is exhausted, C enters through a libffi closure and the same
//! [`invoke`] reads libffi's argument pointers instead, except for the
//! signatures libffi's closures misread, which always take a thunk.

#[cfg(call_plan)]
mod thunk;
#[cfg(call_plan)]
pub(crate) use thunk::TypedSlot;

use std::cell::RefCell;
use std::ffi::c_void;
use std::fmt;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use libffi::raw::{self, ffi_cif, ffi_closure};

use crate::call::errno;
use crate::call::plan::{ArgKind, Param, Plan, Purpose, RetKind};
#[cfg(call_plan)]
use crate::call::sysv::{Layout, Place, Regs, RetPlace};
use crate::call::typed::{Signature, TypedBody, TypedCallback};
use crate::conv::{self, Referent, Sink, Wide, WideUnit};
use crate::ctype::{CType, Kind};
use crate::error::{Error, Result};
use crate::memory::CData;
use crate::memory::keep::Keep;
use crate::small::InlineValues;
use crate::value::Value;

/// The closure type a [`Callback`] runs: the decoded arguments in, the
/// result (or an error) out.
pub type CallbackFn = dyn Fn(&[Value]) -> Result<Value> + Send + Sync;

/// The closure type of [`Callback::new_local`]: not `Send + Sync`, and
/// `FnMut`, since it only ever runs on one thread.
type LocalFn = dyn FnMut(&[Value]) -> Result<Value>;

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
/// it in a structure field keeps it alive as long as the structure. Each
/// call from C holds the callback until it returns, so a closure may drop
/// the last handle to itself.
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
/// A closure that is not `Send + Sync` (holding an `Rc` or a `RefCell`) is
/// made with [`Callback::new_local`]: it runs only on the thread that made
/// it.
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
/// its duration ([`Entered`]), so a closure that drops the last
/// [`Callback`] handle while C is calling it is freed only once that call
/// has returned.
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
    /// A closure that is not `Send + Sync` ([`Callback::new_local`]).
    Local(LocalBody),
    /// A typed closure ([`Callback::typed`]).
    Typed(Box<dyn TypedBody>),
}

/// A closure that may run, and be dropped, only on the thread that made it.
struct LocalBody {
    f: ManuallyDrop<Box<RefCell<LocalFn>>>,
    owner: ThreadId,
}

impl Drop for LocalBody {
    fn drop(&mut self) {
        if std::thread::current().id() == self.owner {
            // SAFETY: dropped once, here, on the thread that owns it.
            unsafe { ManuallyDrop::drop(&mut self.f) };
        }
        // Dropped elsewhere (the last handle went to another thread): the
        // closure is leaked, since what it captured (an Rc, a RefCell) may
        // only be touched by its own thread.
    }
}

/// The code C calls.
enum Entry {
    /// A libffi closure: the writable side of the allocation from
    /// `ffi_closure_alloc`, freed in `Drop`.
    Libffi(*mut ffi_closure),
    /// A thunk of the pool; its slot is released when it is dropped.
    #[cfg(call_plan)]
    Thunk(#[allow(dead_code)] thunk::Thunk),
    /// A typed thunk, which calls a typed closure's direct entry.
    #[cfg(call_plan)]
    TypedThunk(thunk::TypedThunk),
}

/// What every invocation needs.
pub(super) struct Shared {
    /// The `CFUNCTYPE` this callback implements.
    prototype: CType,
    /// The compiled prototype: conversions, and the layout a thunk reads.
    pub(super) plan: Plan,
    /// Dropped in `Drop`, where a panic in a capture's `Drop` is contained
    /// (the last handle may go in a callback's entry, called from C).
    body: ManuallyDrop<Body>,
    use_errno: AtomicBool,
    /// The most recent failure not yet taken.
    last_error: Mutex<Option<Error>>,
    failures: AtomicU64,
}

// SAFETY: a libffi closure is only written by `ffi_prep_closure_loc` during
// construction and freed in `Drop` (which has exclusive access); everything
// else is immutable after construction, atomic, or behind a Mutex. The
// bodies of `new` and `typed` are `Send + Sync`; a local body is called and
// dropped only on its owner thread (checked at each call, and in
// `LocalBody::drop`), so sharing the handle never touches it elsewhere. The
// Plan is `Send + Sync` itself.
unsafe impl Send for CallbackInner {}
// SAFETY: as above: shared access only reads immutable data, atomics and a
// Mutex, and runs a local body only on its own thread.
unsafe impl Sync for CallbackInner {}

impl Drop for CallbackInner {
    fn drop(&mut self) {
        // (without the call plan, a libffi closure is the only entry)
        #[allow(irrefutable_let_patterns)]
        if let Entry::Libffi(closure) = self.entry {
            // SAFETY: `closure` came from `ffi_closure_alloc` and is freed
            // once, here; `shared` is still alive (it is dropped after this).
            unsafe { raw::ffi_closure_free(closure.cast()) };
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: taken once, here; `body` is not used afterwards.
        let body = unsafe { ManuallyDrop::take(&mut self.body) };
        drop_contained(body);
        drop_contained(self.last_error.get_mut().map(Option::take));
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

    /// A callback whose closure need not be `Send + Sync` (it may hold an
    /// `Rc` or a `RefCell`, and be `FnMut`): for libraries that call back
    /// synchronously on the caller's thread (`qsort`, `sqlite3_exec`,
    /// expat's handlers). The closure runs only on the thread that made the
    /// callback; when C calls it from another thread, the closure does not
    /// run: C receives a zeroed result and the failure is recorded, as for
    /// an `Err`. A call that re-enters the closure while it runs is such a
    /// failure too.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use std::{cell::RefCell, rc::Rc};
    /// use rctypes::{Callback, CDll, CType, Value};
    /// let int_p = CType::c_int().pointer();
    /// let compar = CType::function(CType::c_int(), [int_p.clone(), int_p]);
    /// let calls = Rc::new(RefCell::new(0));
    /// let counter = Rc::clone(&calls);
    /// let cmp = Callback::new_local(&compar, move |args: &[Value]| {
    ///     *counter.borrow_mut() += 1;
    ///     // SAFETY: qsort passes pointers to two elements of the array.
    ///     let (a, b) = unsafe { (args[0].as_data()?.read(0)?, args[1].as_data()?.read(0)?) };
    ///     Ok(Value::from(a.as_i64()?.cmp(&b.as_i64()?) as i32))
    /// })?;
    /// let qsort = CDll::this_process()?.function("qsort")?
    ///     .argtypes([CType::c_void_p(), CType::c_size_t(), CType::c_size_t(), compar])
    ///     .restype(CType::void());
    /// let arr = rctypes::CData::from_values(&CType::c_int().array(3), [3, 1, 2])?;
    /// // SAFETY: qsort's real signature; the array holds 3 ints of 4 bytes.
    /// unsafe { qsort.call(&[(&arr).into(), 3usize.into(), 4usize.into(), (&cmp).into()])? };
    /// assert!(*calls.borrow() > 0);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Callback::new`].
    pub fn new_local(
        prototype: &CType,
        f: impl FnMut(&[Value]) -> Result<Value> + 'static,
    ) -> Result<Callback> {
        let f: Box<RefCell<LocalFn>> = Box::new(RefCell::new(f));
        Callback::with_body(
            prototype,
            Body::Local(LocalBody {
                f: ManuallyDrop::new(f),
                owner: std::thread::current().id(),
            }),
        )
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
        if let Some((restype, argtypes)) = prototype.prototype()
            && let Some(why) = F::mismatch(argtypes, restype)
        {
            return Err(Error::Signature {
                function: prototype.to_string().into(),
                message: why.into(),
            });
        }
        Callback::with_body(prototype, Body::Typed(f.into_body()))
    }

    fn with_body(prototype: &CType, body: Body) -> Result<Callback> {
        let Kind::Function(sig) = prototype.kind() else {
            return Err(Error::Unsupported {
                operation: "creating a callback".into(),
                type_name: prototype.to_string().into(),
                reason: "a callback needs a function type made by CType::function".into(),
            });
        };
        let name = prototype.to_string();
        let plan = Plan::new(&name, &sig.argtypes, None, &sig.restype, Purpose::Callback)?;
        let shared = Shared {
            prototype: prototype.clone(),
            plan,
            body: ManuallyDrop::new(body),
            use_errno: AtomicBool::new(false),
            last_error: Mutex::new(None),
            failures: AtomicU64::new(0),
        };
        // A typed closure whose arguments all travel in registers is
        // called directly, through a typed thunk.
        #[cfg(call_plan)]
        if let (Body::Typed(body), Some(layout)) = (&*shared.body, shared.plan.layout())
            && let Some(gprs) = layout.free_gpr()
        {
            let (entries, closure) = body.direct();
            if let Some(thunk) = thunk::TypedThunk::claim(gprs, entries) {
                let inner = Arc::new(CallbackInner {
                    code: thunk.address(),
                    entry: Entry::TypedThunk(thunk),
                    shared,
                });
                if let Entry::TypedThunk(thunk) = &inner.entry {
                    // the closure is boxed in the Arc's allocation, which
                    // outlives the thunk (Drop releases it first)
                    thunk.bind(Arc::as_ptr(&inner).cast(), closure);
                }
                return Ok(Callback { inner });
            }
        }
        // A thunk, when the plan has a layout.
        #[cfg(call_plan)]
        if shared.plan.layout().is_some() {
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
            if shared.plan.libffi_problem(Purpose::Callback).is_some() {
                return Err(Error::Unsupported {
                    operation: "creating a callback".into(),
                    type_name: name.into(),
                    reason: "every entry thunk is in use, and libffi's closures misread this \
                             prototype (a structure with a padding-only eightbyte, or one \
                             returned on the x87 stack); drop unused callbacks"
                        .into(),
                });
            }
        }
        shared.plan.cif()?; // prepared now, so that a refusal is reported here
        let mut code: *mut c_void = ptr::null_mut();
        // SAFETY: asks libffi for a closure of the right size; `code`
        // receives the executable address.
        let closure = unsafe { raw::ffi_closure_alloc(size_of::<ffi_closure>(), &mut code) }
            .cast::<ffi_closure>();
        if closure.is_null() || code.is_null() {
            return Err(Error::Ffi {
                function: name.into(),
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
        // the cif lives in the Arc's allocation now: its address is stable
        let cif = inner.shared.plan.cif()?.as_ptr();
        // SAFETY: `closure`/`code` are a fresh allocation from
        // ffi_closure_alloc; the cif and `user_data` live in the Arc's
        // allocation, which the closure never outlives (Drop frees the
        // closure first).
        let status = unsafe {
            raw::ffi_prep_closure_loc(closure, cif, Some(trampoline), user_data.cast(), code)
        };
        if status != raw::ffi_status_FFI_OK {
            return Err(Error::Ffi {
                function: inner.shared.prototype.to_string().into(),
                message: format!("ffi_prep_closure_loc failed with status {status}").into(),
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
        #[cfg(call_plan)]
        if let Entry::TypedThunk(thunk) = &self.inner.entry {
            thunk.use_errno(yes);
        }
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

/// The code every callback entered through a libffi closure runs.
///
/// # Safety
/// Called by libffi only, with the cif prepared for this closure, a result
/// buffer large enough for the restype (at least an `ffi_arg`), one argument
/// pointer per parameter libffi sees, and the `CallbackInner` the closure
/// was prepared with as `user_data`.
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
    let mut frame = Frame::Libffi {
        args: args.cast_const().cast(),
        ret: ret.cast(),
        entry: std::marker::PhantomData,
    };
    // SAFETY: libffi's contract, forwarded.
    unsafe { invoke(&callback, &mut frame) }
}

/// A strong reference to a callback, taken when C enters it and released
/// when the call ends: a closure that drops the last [`Callback`] handle
/// while running is freed only after it has returned. Releasing it never
/// unwinds into C: `Shared`'s `Drop` contains a panic of a captured value.
pub(super) struct Entered(Arc<CallbackInner>);

impl Entered {
    /// # Safety
    /// `inner` points at the `CallbackInner` of a callback that is alive
    /// (its strong count is at least one) when this is called.
    #[inline(always)]
    pub(super) unsafe fn new(inner: *const CallbackInner) -> Entered {
        // SAFETY: forwarded from the caller: the count is at least one, and
        // the reference taken here is released once, when `Entered` drops.
        Entered(unsafe {
            Arc::increment_strong_count(inner);
            Arc::from_raw(inner)
        })
    }
}

impl std::ops::Deref for Entered {
    type Target = CallbackInner;
    #[inline(always)]
    fn deref(&self) -> &CallbackInner {
        &self.0
    }
}

/// Where a callback's arguments are, and where its result goes.
pub(super) enum Frame<'a> {
    /// Entered through a thunk: the spilled registers (and the caller's
    /// stack arguments), placed by the plan's layout.
    #[cfg(call_plan)]
    Regs(&'a mut Regs, &'a Layout),
    /// Entered through a libffi closure: one pointer per argument libffi
    /// sees (structures of size 0 are left out), and libffi's result buffer
    /// (at least an `ffi_arg`, or the result's size).
    Libffi {
        args: *const *const u8,
        ret: *mut u8,
        /// The frame is libffi's for the duration of the entry, as the
        /// thunk's registers are (and `'a` is used without the call plan).
        entry: std::marker::PhantomData<&'a mut u8>,
    },
}

/// What every entry runs: the errno swap when asked, the body under
/// `catch_unwind`, and on failure a zeroed result and a recorded error.
///
/// # Safety
/// `frame` describes a call of this callback's prototype (its registers, or
/// libffi's pointers), with room for the result.
pub(super) unsafe fn invoke(callback: &Entered, frame: &mut Frame<'_>) {
    let shared = &callback.shared;
    let use_errno = shared.use_errno.load(Ordering::Relaxed);
    // (a failure is handled where it happens, so that only the small
    // outcome of `catch_unwind` travels back here)
    let outcome = errno::swapped(use_errno, || {
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: forwarded from the caller.
            if let Err(e) = unsafe { shared.run(frame) } {
                // SAFETY: as above.
                unsafe { shared.fail(frame, e) };
            }
        }))
    });
    if let Err(payload) = outcome {
        let error = shared.panic_error(payload);
        // SAFETY: forwarded from the caller.
        unsafe { shared.fail(frame, error) };
    }
}

/// The body of a typed callback's direct entry: holds the callback for the
/// call, swaps errno when `ERRNO` (the entry is chosen by
/// [`Callback::use_errno`]), runs the closure and catches a panic
/// (recorded; C receives a zero).
///
/// # Safety
/// `slot` is a typed thunk's slot bound to a callback that is alive when
/// the call starts, whose closure is a `Func`.
#[cfg(call_plan)]
#[inline(always)]
pub(crate) unsafe fn run_direct<const ERRNO: bool, R: crate::call::typed::CReturn, Func>(
    slot: *const TypedSlot,
    call: impl FnOnce(&Func) -> R,
) -> R {
    // SAFETY: forwarded from the caller: a bound slot of a static table.
    let slot = unsafe { &*slot };
    // SAFETY: the slot's callback is alive (forwarded).
    let callback = unsafe { Entered::new(slot.inner().cast()) };
    // SAFETY: the closure is a `Func` (forwarded), boxed in the callback,
    // which `callback` holds for the call.
    let f = unsafe { &*slot.closure().cast::<Func>() };
    match errno::swapped(ERRNO, || catch_unwind(AssertUnwindSafe(|| call(f)))) {
        Ok(r) => r,
        Err(payload) => {
            callback.shared.record_panic(payload);
            R::zero()
        }
    }
}

/// Drops `value` without letting a panic in its `Drop` unwind into C (a
/// panic payload whose own drop panics, a closure's capture). The payload
/// of that second panic (usually its message) is dropped the same way; only
/// a payload of a third panic, from that drop, is leaked, so that a chain
/// of panicking drops ends.
#[cold]
#[inline(never)]
fn drop_contained<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value)))
        && let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload)))
    {
        std::mem::forget(again);
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
    /// The error a panic of the closure is recorded as (the payload is
    /// dropped without unwinding).
    #[cold]
    fn panic_error(&self, payload: Box<dyn std::any::Any + Send>) -> Error {
        let message = panic_message(&*payload);
        drop_contained(payload);
        Error::Callback {
            prototype: self.prototype.to_string().into(),
            message: format!("the closure panicked: {message}").into(),
        }
    }

    /// A failed call from C: C gets a zeroed result, the error is recorded.
    ///
    /// # Safety
    /// The frame has room for the result.
    #[cold]
    #[inline(never)]
    unsafe fn fail(&self, frame: &mut Frame<'_>, error: Error) {
        // SAFETY: forwarded.
        unsafe { self.zero_result(frame) };
        self.record(error);
    }

    /// Records a failure of a call from C.
    #[cold]
    fn record(&self, error: Error) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        *lock(&self.last_error) = Some(error);
    }

    /// Records a panic of the closure.
    #[cfg(call_plan)]
    #[cold]
    fn record_panic(&self, payload: Box<dyn std::any::Any + Send>) {
        let error = self.panic_error(payload);
        self.record(error);
    }
}

/// The largest number of parameters a typed callback has.
const TYPED_MAX: usize = 12;

impl Shared {
    /// Reads the arguments, runs the closure, writes its result.
    ///
    /// # Safety
    /// As [`invoke`].
    #[inline]
    unsafe fn run(&self, frame: &mut Frame<'_>) -> Result<()> {
        let params = self.plan.params();
        let func: &dyn Fn(&[Value]) -> Result<Value> = match &*self.body {
            Body::Typed(body) => {
                let mut words = [0u64; TYPED_MAX];
                for (i, (w, param)) in words.iter_mut().zip(params).enumerate() {
                    // SAFETY: forwarded: the frame holds argument `i`.
                    *w = unsafe { incoming_word(frame, i, param) };
                }
                let n = params.len().min(TYPED_MAX);
                let r = body.call_words(&words[..n]);
                // SAFETY: the frame has room for the result.
                unsafe { self.put_word(frame, r) };
                return Ok(());
            }
            Body::Values(f) => &**f,
            Body::Local(local) => {
                if std::thread::current().id() != local.owner {
                    return Err(self.failure(
                        "a callback made with new_local was called from another thread; \
                         its closure runs only on the thread that made it",
                    ));
                }
                let Ok(mut f) = local.f.try_borrow_mut() else {
                    return Err(self.failure(
                        "a callback made with new_local was called again while it was running",
                    ));
                };
                // SAFETY: as below.
                let result = unsafe { self.with_arguments(frame, |args| f(args)) }?;
                drop(f);
                // SAFETY: the frame has room for the result.
                return unsafe { self.put_result(frame, result) };
            }
        };
        // SAFETY: forwarded: the frame holds one argument per parameter.
        let result = unsafe { self.with_arguments(frame, func) }?;
        // SAFETY: the frame has room for the result.
        unsafe { self.put_result(frame, result) }
    }

    #[cold]
    fn failure(&self, message: &str) -> Error {
        Error::Callback {
            prototype: self.prototype.to_string().into(),
            message: message.to_owned().into(),
        }
    }

    /// Runs `f` over every argument as a Value: kept inline for up to
    /// [`INLINE_ARGS`] parameters (no allocation), in a `Vec` past them. The
    /// arguments are dropped before the result is returned.
    ///
    /// # Safety
    /// As [`invoke`].
    #[inline(always)]
    unsafe fn with_arguments(
        &self,
        frame: &Frame<'_>,
        f: impl FnOnce(&[Value]) -> Result<Value>,
    ) -> Result<Value> {
        let n = self.plan.params().len();
        if n <= INLINE_ARGS {
            let mut list = InlineValues::<INLINE_ARGS>::new();
            // SAFETY: forwarded; the list has room for every parameter
            // (a value it refused would be dropped, never lost unsafely).
            unsafe { self.arguments(frame, &mut |v| drop(list.push(v))) }?;
            f(list.as_slice())
        } else {
            let mut list = Vec::with_capacity(n);
            // SAFETY: forwarded.
            unsafe { self.arguments(frame, &mut |v| list.push(v)) }?;
            f(&list)
        }
    }

    /// Passes every argument, as a Value, to `push`, in order.
    ///
    /// # Safety
    /// As [`invoke`].
    #[inline(always)]
    unsafe fn arguments(&self, frame: &Frame<'_>, push: &mut impl FnMut(Value)) -> Result<()> {
        let params = self.plan.params();
        // The thunk's frame: a scalar in a register or stack word is read
        // and converted inline; anything else by `incoming`.
        #[cfg(call_plan)]
        if let Frame::Regs(regs, layout) = frame {
            for (i, (param, place)) in params.iter().zip(layout.args.iter()).enumerate() {
                let v = match (param.word, place) {
                    // SAFETY: forwarded (stack words are the caller's); a
                    // char * / wchar_t * argument is NULL or a string: the
                    // prototype is C's promise.
                    (Some(word), Place::Word(loc)) => unsafe {
                        (word.decode)(regs.read(*loc), true)
                    },
                    // SAFETY: forwarded.
                    _ => unsafe { incoming(frame, i, param, &mut 0) },
                };
                push(v.map_err(|e| self.argument_error(i, e))?);
            }
            return Ok(());
        }
        let mut next = 0; // libffi's list leaves out arguments passed as nothing
        for (i, param) in params.iter().enumerate() {
            // SAFETY: forwarded.
            let v = unsafe { incoming(frame, i, param, &mut next) };
            push(v.map_err(|e| self.argument_error(i, e))?);
        }
        Ok(())
    }

    /// The error of an argument C passed that has no Value.
    #[cold]
    #[inline(never)]
    fn argument_error(&self, i: usize, e: Error) -> Error {
        Error::Callback {
            prototype: self.prototype.to_string().into(),
            message: format!("argument {i}: {e}").into(),
        }
    }

    /// Writes the closure's result where C expects it.
    ///
    /// A pointer C receives (a string, an instance's address, a structure's
    /// pointer fields) must point at memory that something other than the
    /// result itself keeps alive: the result is dropped when the callback
    /// returns, and what only it kept would be freed under C's feet. Such a
    /// result is refused (C then gets a zeroed result).
    ///
    /// # Safety
    /// The frame has room for a result of the restype.
    #[inline(always)]
    unsafe fn put_result(&self, frame: &mut Frame<'_>, v: Value) -> Result<()> {
        // A number refers to nothing: converted and written, no keeps.
        if let RetKind::Word(s) = self.plan.ret()
            && s.is_number()
            && v.owns_nothing()
            && let Some(w) = conv::encode_word_fast(s, &v, &mut conv::NoStrings)
        {
            // SAFETY: forwarded.
            unsafe { self.put_word(frame, w) };
            std::mem::forget(v); // owns nothing
            return Ok(());
        }
        // SAFETY: forwarded.
        unsafe { self.put_result_general(frame, v) }
    }

    /// [`put_result`](Shared::put_result) for every result.
    ///
    /// # Safety
    /// As [`put_result`](Shared::put_result).
    #[inline(never)]
    unsafe fn put_result_general(&self, frame: &mut Frame<'_>, v: Value) -> Result<()> {
        let restype = self.plan.restype();
        let mut keeps = ResultKeeps(Vec::new());
        let refused = |e: conv::Refused| -> Error {
            Error::Callback {
                prototype: self.prototype.to_string().into(),
                message: format!("the result: {}", Error::from(*e)).into(),
            }
        };
        match self.plan.ret() {
            RetKind::Void => {
                if restype.is_record() {
                    // a structure of size 0: nothing to write
                    if !matches!(&v, Value::Data(d) if d.ctype() == restype) {
                        return Err(refused(conv::aggregate_mismatch(restype, &v)));
                    }
                }
            }
            RetKind::Word(s) => {
                let w = conv::encode_word(s, restype, &v, &mut keeps).map_err(refused)?;
                // SAFETY: forwarded.
                unsafe { self.put_word(frame, w) };
            }
            RetKind::Address => {
                let w = conv::address_of(restype, &v, &mut keeps).map_err(refused)?;
                // SAFETY: forwarded.
                unsafe { self.put_word(frame, w as u64) };
            }
            RetKind::Wide(s) => {
                let w = conv::encode_wide(s, restype, &v).map_err(refused)?;
                // SAFETY: forwarded.
                unsafe { self.put_bytes(frame, &w, s.size()) };
            }
            RetKind::Aggregate => match &v {
                Value::Data(d) if d.ctype() == restype => {
                    d.check_readable("returning")?;
                    let size = restype.size();
                    // SAFETY: forwarded; the instance holds `size` bytes.
                    unsafe { self.put_aggregate(frame, d.ptr(), size) };
                    keeps.0.extend(d.keeps_within());
                }
                _ => return Err(refused(conv::aggregate_mismatch(restype, &v))),
            },
        }
        if keeps.0.iter().all(|k| matches!(k, Keep::None)) {
            return Ok(());
        }
        let described = v.describe();
        drop(v);
        if keeps.0.iter().all(Keep::is_shared) {
            return Ok(());
        }
        Err(Error::Unsupported {
            operation: "returning a pointer from a callback".into(),
            type_name: restype.to_string().into(),
            reason: format!(
                "nothing would own what the result ({described}) points into once the \
                 callback returns (only the result keeps it alive); return memory that \
                 outlives the call (an instance the closure keeps, or C's own memory)"
            )
            .into(),
        })
    }

    /// Writes a word result: `rax` or `xmm0`, or libffi's buffer as a full
    /// register.
    ///
    /// # Safety
    /// The frame has room for the result.
    #[inline(always)]
    unsafe fn put_word(&self, frame: &mut Frame<'_>, w: u64) {
        match frame {
            #[cfg(call_plan)]
            Frame::Regs(regs, layout) => match layout.ret {
                RetPlace::Xmm0 => regs.set_ret([0, 0, w, 0]),
                _ => regs.set_ret([w, 0, 0, 0]),
            },
            // SAFETY: libffi's buffer holds at least a full ffi_arg.
            Frame::Libffi { ret, .. } => unsafe { ret.cast::<u64>().write_unaligned(w) },
        }
    }

    /// Writes a wide result (`long double`, complex).
    ///
    /// # Safety
    /// The frame has room for the result.
    unsafe fn put_bytes(&self, frame: &mut Frame<'_>, w: &Wide, size: usize) {
        match frame {
            #[cfg(call_plan)]
            Frame::Regs(regs, layout) => match layout.ret {
                RetPlace::X87(_) => regs.set_x87(*w),
                _ => regs.set_ret([0, 0, w[0], w[1]]),
            },
            // SAFETY: libffi's buffer holds the result's size.
            Frame::Libffi { ret, .. } => unsafe {
                ptr::copy_nonoverlapping(w.as_ptr().cast::<u8>(), *ret, size.min(32))
            },
        }
    }

    /// Writes a structure result: into registers, onto the x87 stack, or
    /// through the caller's hidden pointer.
    ///
    /// # Safety
    /// The frame has room for the result; `src` is readable for `size`.
    unsafe fn put_aggregate(&self, frame: &mut Frame<'_>, src: *const u8, size: usize) {
        match frame {
            #[cfg(call_plan)]
            Frame::Regs(regs, layout) => {
                let mut w = [0u64; 2];
                match layout.ret {
                    RetPlace::Memory => {
                        // the hidden pointer arrived in rdi; rax returns it
                        // SAFETY: the entry spilled every argument register.
                        let hidden = unsafe { regs.gpr0() };
                        // SAFETY: the caller passed memory for the result.
                        unsafe { ptr::copy_nonoverlapping(src, hidden as *mut u8, size) };
                        regs.set_ret([hidden, 0, 0, 0]);
                        return;
                    }
                    _ => {
                        // SAFETY: a register result has at most 16 bytes.
                        unsafe {
                            ptr::copy_nonoverlapping(src, w.as_mut_ptr().cast::<u8>(), size.min(16))
                        };
                    }
                }
                match layout.ret {
                    RetPlace::X87(_) => regs.set_x87([w[0], w[1], 0, 0]),
                    RetPlace::Pair(classes) => {
                        let mut ret = [0u64; 4];
                        let (mut int, mut sse) = (0, 2);
                        for (word, class) in w.iter().zip(classes) {
                            let at = match class {
                                Some(crate::ctype::ffi::sysv::Class::Integer) => &mut int,
                                Some(crate::ctype::ffi::sysv::Class::Sse) => &mut sse,
                                _ => continue,
                            };
                            if let Some(r) = ret.get_mut(*at) {
                                *r = *word;
                            }
                            *at += 1;
                        }
                        regs.set_ret(ret);
                    }
                    _ => {}
                }
            }
            // SAFETY: libffi's buffer holds the structure's size.
            Frame::Libffi { ret, .. } => unsafe { ptr::copy_nonoverlapping(src, *ret, size) },
        }
    }

    /// A zeroed result of the restype: what C receives when the closure
    /// fails.
    ///
    /// # Safety
    /// The frame has room for the result.
    unsafe fn zero_result(&self, frame: &mut Frame<'_>) {
        match frame {
            #[cfg(call_plan)]
            Frame::Regs(regs, layout) => {
                regs.set_ret([0; 4]);
                regs.set_x87([0; 4]);
                if layout.ret == RetPlace::Memory {
                    let size = self.plan.restype().size();
                    // SAFETY: the entry spilled every argument register.
                    let hidden = unsafe { regs.gpr0() };
                    // SAFETY: the caller passed memory for the result.
                    unsafe { ptr::write_bytes(hidden as *mut u8, 0, size) };
                    regs.set_ret([hidden, 0, 0, 0]);
                }
            }
            Frame::Libffi { ret, .. } => {
                let size = match self.plan.ret() {
                    RetKind::Void => 0,
                    RetKind::Aggregate => self.plan.restype().size(),
                    RetKind::Word(_) | RetKind::Address => size_of::<raw::ffi_arg>(),
                    RetKind::Wide(s) => s.size(),
                };
                // SAFETY: libffi's buffer holds `size` bytes.
                unsafe { ptr::write_bytes(*ret, 0, size) };
            }
        }
    }
}

/// Collects what a callback's result keeps alive, for the check that it
/// outlives the return (strings are copied: a copy only the result holds is
/// refused).
struct ResultKeeps(Vec<Keep>);

impl Sink for ResultKeeps {
    fn bytes(&mut self, bytes: &[u8]) -> usize {
        let copy: std::rc::Rc<[u8]> = bytes.iter().copied().chain(std::iter::once(0)).collect();
        let addr = copy.as_ptr() as usize;
        self.0.push(Keep::Bytes(copy));
        addr
    }

    fn wide(&mut self, units: &mut dyn Iterator<Item = WideUnit>, _len: usize) -> usize {
        let copy: std::rc::Rc<[WideUnit]> = units.chain(std::iter::once(0)).collect();
        let addr = copy.as_ptr() as usize;
        self.0.push(Keep::Wide(copy));
        addr
    }

    fn refers(&mut self, target: Referent<'_>) {
        self.0.push(match target {
            Referent::Data(d) => Keep::Data(d.clone()),
            Referent::Callback(cb) => Keep::Callback(cb.clone()),
            Referent::KeptBy(d) => d.kept_by_self().unwrap_or_default(),
        });
    }
}

/// The word image of argument `i` (a word or address parameter), for typed
/// bodies.
///
/// # Safety
/// As [`invoke`].
unsafe fn incoming_word(frame: &Frame<'_>, i: usize, param: &Param) -> u64 {
    match frame {
        #[cfg(call_plan)]
        Frame::Regs(regs, layout) => match layout.args.get(i) {
            // SAFETY: the thunk entry pointed `stack` at the caller's stack
            // arguments.
            Some(Place::Word(loc)) => unsafe { regs.read(*loc) },
            _ => 0,
        },
        Frame::Libffi { args, .. } => {
            // typed prototypes have no structures, so libffi's list has
            // one pointer per parameter
            // SAFETY: libffi passes one pointer per parameter.
            let p = unsafe { *args.add(i) };
            match param.kind {
                // SAFETY: a value of the parameter's type is at `p`.
                ArgKind::Word(s) => unsafe { conv::load_word(s, false, p) },
                // SAFETY: a pointer is at `p`.
                _ => unsafe { p.cast::<u64>().read_unaligned() },
            }
        }
    }
}

/// Argument `i` as a Value: read where the layout (or libffi) put it, with
/// the one conversion of its type.
///
/// # Safety
/// As [`invoke`]; `next` counts libffi's pointers used so far.
#[inline(never)]
#[cfg_attr(not(call_plan), allow(unused_variables))] // `i` places thunk arguments
unsafe fn incoming(frame: &Frame<'_>, i: usize, param: &Param, next: &mut usize) -> Result<Value> {
    if param.kind == ArgKind::Empty {
        return Ok(Value::Data(CData::try_new(&param.ty)?));
    }
    // Where the bytes of a stack or libffi argument are, or the registers
    // of one in registers.
    let at: *const u8 = match frame {
        #[cfg(call_plan)]
        Frame::Regs(regs, layout) => match layout.args.get(i).copied() {
            Some(Place::Word(loc)) => {
                // SAFETY: forwarded (stack words are the caller's).
                let w = unsafe { regs.read(loc) };
                return word_value(param, w);
            }
            Some(Place::Pair(locs)) => {
                let mut w: Wide = [0; 4];
                for (slot, loc) in w.iter_mut().zip(locs) {
                    // SAFETY: as above.
                    *slot = loc.map_or(0, |l| unsafe { regs.read(l) });
                }
                return wide_value(param, &w);
            }
            // SAFETY: the caller's stack area holds the argument at `word`.
            Some(Place::Stack { word, .. }) => unsafe { regs.stack.add(word as usize).cast() },
            Some(Place::Nothing) | None => return Ok(Value::Data(CData::try_new(&param.ty)?)),
        },
        Frame::Libffi { args, .. } => {
            // SAFETY: libffi passes one pointer per argument it sees.
            let p = unsafe { *args.add(*next) };
            *next += 1;
            p
        }
    };
    match param.kind {
        ArgKind::Word(s) => {
            // SAFETY: a value of the parameter's type is at `at`.
            let w = unsafe { conv::load_word(s, false, at) };
            word_value(param, w)
        }
        ArgKind::Address => {
            // SAFETY: a pointer is at `at`.
            let w = unsafe { at.cast::<u64>().read_unaligned() };
            word_value(param, w)
        }
        ArgKind::Wide(s) => {
            // SAFETY: a value of the parameter's type is at `at`.
            let w = unsafe { conv::load_wide(s, at) };
            conv::decode_wide(s, &w)
        }
        ArgKind::Aggregate | ArgKind::Empty => {
            // SAFETY: a structure of `size` bytes is at `at`.
            let bytes = unsafe { std::slice::from_raw_parts(at, param.ty.size()) };
            Ok(Value::Data(CData::from_bytes(&param.ty, bytes)?))
        }
    }
}

/// The value of a word or address argument.
fn word_value(param: &Param, w: u64) -> Result<Value> {
    match param.kind {
        // SAFETY: a char * / wchar_t * argument is NULL or a string: the
        // prototype is C's promise.
        ArgKind::Word(s) => unsafe { conv::decode_word(s, w, true) },
        _ => {
            // An array parameter is a pointer to its first element.
            let pointer_type = match param.ty.kind() {
                Kind::Array { elem, .. } => elem.pointer(),
                _ => param.ty.clone(),
            };
            Ok(Value::Data(CData::from_bytes(
                &pointer_type,
                &(w as usize).to_ne_bytes(),
            )?))
        }
    }
}

/// The value of an argument that arrived in two registers.
#[cfg(call_plan)]
fn wide_value(param: &Param, w: &Wide) -> Result<Value> {
    match param.kind {
        ArgKind::Wide(s) => conv::decode_wide(s, w),
        _ => {
            let size = param.ty.size().min(16);
            // SAFETY: `w` holds 32 bytes, at least `size`.
            let bytes = unsafe { std::slice::from_raw_parts(w.as_ptr().cast::<u8>(), size) };
            Ok(Value::Data(CData::from_bytes(&param.ty, bytes)?))
        }
    }
}

#[cfg(all(test, call_plan))]
mod tests {
    use super::*;

    /// With the call plan on every prototype enters through a thunk (stack
    /// arguments and x87 results included); with it off, libffi closures,
    /// except for prototypes libffi's closure entry would misread.
    #[test]
    #[cfg(call_plan)]
    fn prototypes_enter_through_thunks() {
        let uses_thunk = |cb: &Callback| matches!(cb.inner.entry, Entry::Thunk(_));
        let plans_on = std::env::var("RCTYPES_CALL_PLAN").map_or(true, |v| v != "off");
        let int = CType::c_int();
        let binop = CType::function(int.clone(), [int.clone(), int.clone()]);
        let cb = Callback::new(&binop, |_| Ok(Value::Int(0))).unwrap();
        assert_eq!(uses_thunk(&cb), plans_on);
        let seven = CType::function(int.clone(), vec![int.clone(); 7]);
        let cb7 = Callback::new(&seven, |_| Ok(Value::Int(0))).unwrap();
        assert_eq!(uses_thunk(&cb7), plans_on, "a stack argument");
        let ld = CType::function(CType::c_longdouble(), []);
        let cbld = Callback::new(&ld, |_| Ok(Value::Float(0.0))).unwrap();
        assert_eq!(uses_thunk(&cbld), plans_on, "an x87 result");
        let pad = CType::structure("Pad")
            .field("c", CType::c_char())
            .align(16)
            .build()
            .unwrap();
        let padded = CType::function(int.clone(), [pad, int.clone()]);
        let cbpad = Callback::new(&padded, |_| Ok(Value::Int(0))).unwrap();
        assert!(
            uses_thunk(&cbpad),
            "libffi's closures misread a padding eightbyte"
        );
        // slots are reused once released
        let before = cb.address();
        drop(cb);
        let again = Callback::new(&binop, |_| Ok(Value::Int(0))).unwrap();
        if plans_on {
            assert_eq!(again.address(), before);
        }
    }
}
