//! Foreign functions (ctypes' function objects) and the call path:
//! [`convert`] → [`frame`] → [`invoke`] → [`result`] → errcheck.

mod dynamic;
pub(crate) mod errno;
pub(crate) mod plan;
pub(crate) mod prepared;
#[cfg(call_plan)]
pub(crate) mod sysv;
pub(crate) mod typed;

use std::fmt;
use std::sync::Arc;

use once_cell::sync::OnceCell;

use crate::callback::Callback;
use crate::ctype::CType;
use crate::error::{Error, Result};
use crate::library::CDll;
use crate::memory::CData;
use crate::value::Value;
use dynamic::DynamicPlans;
use plan::{Plan, Purpose};

/// The signature of an `errcheck` hook: the decoded result and the arguments
/// of the call; what it returns is what `call` returns.
pub type ErrCheck = dyn Fn(Value, &[Value]) -> Result<Value> + Send + Sync;

/// A foreign function: a code address with a signature described at run
/// time (ctypes' function objects: `lib.add`, with `argtypes` and `restype`).
///
/// `Function` is a cheap handle (an `Arc`) and is `Send + Sync`: one
/// `Function` can be called from many threads at once. The libffi call
/// interface is prepared once per signature, at the first call, and shared.
/// A `Function` taken from a [`CDll`] keeps the library loaded.
///
/// The builder methods ([`argtypes`](Function::argtypes),
/// [`restype`](Function::restype), ...) consume the handle and return the
/// updated function; other clones keep their own signature.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CDll, CType, Value};
/// let libc = CDll::this_process()?;
/// let labs = libc.function("labs")?.argtypes([CType::c_long()]).restype(CType::c_long());
/// // SAFETY: labs(long) -> long is labs' real signature.
/// let r: Value = unsafe { labs.call(&[(-42i64).into()])? };
/// assert_eq!(r.as_i64()?, 42);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Function {
    inner: Arc<FnInner>,
}

struct FnInner {
    /// The code address; 0 only for `from_address(0)`, refused at call time.
    code: usize,
    /// The symbol, or a description of the address, for messages.
    name: String,
    /// Keeps the library that holds `code` loaded.
    lib: Option<CDll>,
    /// Keeps a Rust callback's code alive, for a function taken from a
    /// function pointer that holds one ([`CData::as_function`]).
    callback: Option<Callback>,
    argtypes: Option<Vec<CType>>,
    restype: CType,
    variadic: bool,
    use_errno: bool,
    errcheck: Option<Arc<ErrCheck>>,
    /// The prepared signature for declared, non-variadic argtypes (never
    /// set for address 0).
    plan: OnceCell<Plan>,
    /// Prepared signatures for calls whose types depend on the values (no
    /// argtypes, or the variadic part), keyed by the full list of types.
    dynamic_plans: DynamicPlans,
}

impl FnInner {
    /// A copy with the same declaration and nothing prepared.
    fn redeclare(&self) -> FnInner {
        FnInner {
            code: self.code,
            name: self.name.clone(),
            lib: self.lib.clone(),
            callback: self.callback.clone(),
            argtypes: self.argtypes.clone(),
            restype: self.restype.clone(),
            variadic: self.variadic,
            use_errno: self.use_errno,
            errcheck: self.errcheck.clone(),
            plan: OnceCell::new(),
            dynamic_plans: DynamicPlans::default(),
        }
    }
}

impl Function {
    /// A function at `code` with ctypes' defaults (no argtypes, restype `c_int`).
    pub(crate) fn bound(code: usize, name: String, lib: Option<CDll>, use_errno: bool) -> Function {
        Function {
            inner: Arc::new(FnInner {
                code,
                name,
                lib,
                callback: None,
                argtypes: None,
                restype: CType::c_int(),
                variadic: false,
                use_errno,
                errcheck: None,
                plan: OnceCell::new(),
                dynamic_plans: DynamicPlans::default(),
            }),
        }
    }

    /// A function at a raw code address, with ctypes' defaults (no argtypes,
    /// restype `c_int`): ctypes' `CFUNCTYPE(...)(address)`. Declare its
    /// signature with the builder methods.
    ///
    /// Calling a function made from address 0 is an [`Error::NullPointer`].
    ///
    /// # Safety
    /// `address` must be 0 or the address of a function that stays callable
    /// for as long as the returned `Function` (and its clones) may be called;
    /// nothing keeps its library loaded.
    pub unsafe fn from_address(address: usize) -> Function {
        Function::bound(address, format!("function at {address:#x}"), None, false)
    }

    /// The function a function pointer of the prototype `proto` (a
    /// `CFUNCTYPE`) holds: argtypes and restype from the prototype.
    /// `callback` is the Rust callback whose code `code` is, if it is one:
    /// the function keeps it alive.
    pub(crate) fn from_pointer(code: usize, proto: &CType, callback: Option<Callback>) -> Function {
        let (restype, argtypes) = match proto.prototype() {
            Some((restype, argtypes)) => (restype.clone(), Some(argtypes.to_vec())),
            None => (CType::c_int(), None),
        };
        Function {
            inner: Arc::new(FnInner {
                code,
                name: format!("{proto} at {code:#x}"),
                lib: None,
                callback,
                argtypes,
                restype,
                variadic: false,
                use_errno: false,
                errcheck: None,
                plan: OnceCell::new(),
                dynamic_plans: DynamicPlans::default(),
            }),
        }
    }

    /// Applies a change to the declaration, dropping anything prepared.
    fn redeclared(self, change: impl FnOnce(&mut FnInner)) -> Function {
        let mut inner = match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.plan = OnceCell::new();
                inner.dynamic_plans = DynamicPlans::default();
                inner
            }
            Err(shared) => shared.redeclare(),
        };
        change(&mut inner);
        Function {
            inner: Arc::new(inner),
        }
    }

    /// Declares the parameter types (ctypes `argtypes = [...]`). Calls must
    /// then pass exactly this many arguments (at least this many when
    /// [`variadic`](Function::variadic)), each converted with a range check.
    pub fn argtypes(self, types: impl IntoIterator<Item = CType>) -> Function {
        let types: Vec<CType> = types.into_iter().collect();
        self.redeclared(|f| f.argtypes = Some(types))
    }

    /// Declares the result type (ctypes `restype`); the default is `c_int`.
    /// Use [`CType::void`] for functions that return nothing.
    pub fn restype(self, ty: CType) -> Function {
        self.redeclared(|f| f.restype = ty)
    }

    /// Declares the function variadic (`int printf(const char *, ...)`): the
    /// declared argtypes are the fixed parameters; further arguments are
    /// passed as C variadic arguments after the default promotions (`float`
    /// → `double`, integers narrower than `int` → `int`), with their types
    /// chosen as when no argtypes are declared.
    pub fn variadic(self) -> Function {
        self.redeclared(|f| f.variadic = true)
    }

    /// Whether calls swap `errno` with this thread's private copy (ctypes
    /// `use_errno`). Overrides the library's [`OpenOptions`](crate::OpenOptions).
    pub fn use_errno(self, yes: bool) -> Function {
        self.redeclared(|f| f.use_errno = yes)
    }

    /// Installs a hook that sees every result and the call's arguments, and
    /// returns the value `call` returns, or an error (ctypes `errcheck`).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CDll, CType, Error};
    /// let libc = CDll::this_process()?;
    /// let atoi = libc.function("atoi")?.argtypes([CType::c_char_p()])
    ///     .errcheck(|r, _args| if r.as_i64()? == 0 { Err(Error::custom("not a number")) } else { Ok(r) });
    /// // SAFETY: atoi(const char *) -> int.
    /// assert_eq!(unsafe { atoi.call(&["12".into()])? }.as_i64()?, 12);
    /// assert!(unsafe { atoi.call(&["x".into()]) }.is_err());
    /// # Ok(()) }
    /// ```
    pub fn errcheck(
        self,
        hook: impl Fn(Value, &[Value]) -> Result<Value> + Send + Sync + 'static,
    ) -> Function {
        let hook: Arc<ErrCheck> = Arc::new(hook);
        self.redeclared(|f| f.errcheck = Some(hook))
    }

    /// The code address (ctypes `cast(f, c_void_p).value`).
    pub fn address(&self) -> usize {
        self.inner.code
    }

    /// The symbol name, or a description of the address.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The declared argtypes, if any.
    pub fn declared_argtypes(&self) -> Option<&[CType]> {
        self.inner.argtypes.as_deref()
    }

    /// The declared restype.
    pub fn declared_restype(&self) -> &CType {
        &self.inner.restype
    }

    /// Whether the function was declared variadic.
    pub fn is_variadic(&self) -> bool {
        self.inner.variadic
    }

    /// Prepares the call interface now rather than at the first call, so
    /// that a signature libffi refuses is reported here.
    ///
    /// # Errors
    /// [`Error::Unsupported`] or [`Error::Ffi`] for a signature that cannot be
    /// called (a `void` argument, an array restype, ...).
    pub fn prepare(&self) -> Result<()> {
        if let (Some(types), false) = (&self.inner.argtypes, self.inner.variadic)
            && self.inner.code != 0
        {
            self.fixed_plan(types)?;
        }
        Ok(())
    }

    fn fixed_plan(&self, types: &[CType]) -> Result<&Plan> {
        let f = &*self.inner;
        f.plan.get_or_try_init(|| {
            if f.code == 0 {
                // never prepared, so every call takes the path that refuses it
                return Err(Error::NullPointer {
                    what: format!("calling `{}`", f.name).into(),
                });
            }
            Plan::new(&f.name, types, None, &f.restype, Purpose::Call)
        })
    }

    /// Calls the function (ctypes `f(*args)`).
    ///
    /// Arguments are converted to their argtypes with range checks; without
    /// argtypes they convert as in ctypes (`Int` → `c_int`, `Float` →
    /// `double`, `Bytes`/`Str` → `char *` to a NUL-terminated copy, `Null` →
    /// NULL, instances by their type). The result is decoded by the restype
    /// and passed through the errcheck hook, if any.
    ///
    /// # Safety
    /// The declared signature must be the function's real one, and the call
    /// must be sound in C's terms: pointers passed must be valid for what the
    /// function does with them, and a `char *`/`wchar_t *` result must be
    /// NULL or a NUL-terminated string. A wrong signature is undefined
    /// behaviour that rctypes cannot detect.
    ///
    /// # Errors
    /// Before C runs: [`Error::ArgumentCount`] for the wrong number of
    /// arguments, [`Error::Argument`] (with the index and both types) for a
    /// value that does not fit its parameter, [`Error::NullPointer`] for a
    /// function at address 0, [`Error::Unsupported`]/[`Error::Ffi`] for a
    /// signature that cannot be called. After: decoding errors (a wide string
    /// that is not Unicode) and whatever the errcheck hook returns.
    pub unsafe fn call(&self, args: &[Value]) -> Result<Value> {
        // SAFETY: forwarded from the caller.
        unsafe { self.call_with(args, None) }
    }

    /// Calls the function with a structure or union result written into
    /// `out`, a caller-provided instance of the restype, instead of a new
    /// instance: no allocation for the result. For other restypes `out` is
    /// ignored and the result is returned as [`call`](Function::call) does.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CDll, CType};
    /// let libc = CDll::this_process()?;
    /// let div_t = CType::structure("div_t")
    ///     .field("quot", CType::c_int())
    ///     .field("rem", CType::c_int())
    ///     .build()?;
    /// let div = libc.function("div")?.argtypes([CType::c_int(), CType::c_int()]).restype(div_t.clone());
    /// let out = CData::new(&div_t);
    /// // SAFETY: div(int, int) -> div_t.
    /// unsafe { div.call_into(&[17.into(), 5.into()], &out)? };
    /// assert_eq!((out.get("quot")?.as_i64()?, out.get("rem")?.as_i64()?), (3, 2));
    /// # Ok(()) }
    /// ```
    ///
    /// # Safety
    /// As [`Function::call`].
    ///
    /// # Errors
    /// As [`Function::call`], and [`Error::Conversion`] when `out` is not
    /// an instance of the restype.
    pub unsafe fn call_into(&self, args: &[Value], out: &CData) -> Result<Value> {
        let f = &*self.inner;
        if f.restype.is_record() {
            if out.ctype() != &f.restype {
                return Err(crate::error::ConvError::new(
                    f.restype.to_string(),
                    format!("{} instance", out.ctype()),
                    "the result instance must be of exactly the restype",
                )
                .into());
            }
            out.check_readable("writing the result")?;
        }
        // SAFETY: forwarded from the caller; `out` is of the restype.
        unsafe { self.call_with(args, Some(out)) }
    }

    /// # Safety
    /// As [`Function::call`]; `into`, when given, is an instance of the
    /// restype.
    #[inline(always)]
    unsafe fn call_with(&self, args: &[Value], into: Option<&CData>) -> Result<Value> {
        let f = &*self.inner;
        // The common case first: declared argtypes, already prepared (a plan
        // exists only for a non-NULL address and a matching arity).
        let result = match f.plan.get() {
            Some(plan) if args.len() == plan.arity() => {
                // SAFETY: the caller guarantees the declared signature is the
                // function's real one.
                unsafe { plan.call(f.code, args, f.use_errno, into) }
            }
            // SAFETY: as above.
            _ => unsafe { self.call_slow(args, into) },
        };
        match &f.errcheck {
            None => result,
            Some(hook) => hook(result?, args),
        }
    }

    /// Everything but a prepared fixed-signature call: the first call
    /// (which prepares), the refusals, and calls whose types come from the
    /// values.
    ///
    /// # Safety
    /// As [`Function::call_with`].
    #[cold]
    unsafe fn call_slow(&self, args: &[Value], into: Option<&CData>) -> Result<Value> {
        let f = &*self.inner;
        if f.code == 0 {
            return Err(Error::NullPointer {
                what: format!("calling `{}`", f.name).into(),
            });
        }
        match (&f.argtypes, f.variadic) {
            (Some(types), false) => {
                if args.len() != types.len() {
                    return Err(Error::ArgumentCount {
                        function: f.name.clone().into(),
                        expected: types.len(),
                        given: args.len(),
                        variadic: false,
                    });
                }
                let plan = self.fixed_plan(types)?;
                // SAFETY: forwarded from the caller.
                unsafe { plan.call(f.code, args, f.use_errno, into) }
            }
            // SAFETY: forwarded from the caller.
            _ => unsafe { self.call_dynamic(args, into) },
        }
    }

    /// A call whose argument types come (at least partly) from the values:
    /// no argtypes, or the variadic part of a variadic function.
    ///
    /// # Safety
    /// As [`Function::call_with`].
    unsafe fn call_dynamic(&self, args: &[Value], into: Option<&CData>) -> Result<Value> {
        let f = &*self.inner;
        let declared = f.argtypes.as_deref().unwrap_or(&[]);
        if args.len() < declared.len() {
            return Err(Error::ArgumentCount {
                function: f.name.clone().into(),
                expected: declared.len(),
                given: args.len(),
                variadic: f.variadic,
            });
        }
        let fixed = f.variadic.then_some(declared.len());
        let (plan, values) = f.dynamic_plans.plan_for(
            declared,
            args,
            f.variadic,
            |types| Plan::new(&f.name, types, fixed, &f.restype, Purpose::Call),
            &f.name,
        )?;
        // SAFETY: forwarded from the caller.
        unsafe { plan.call(f.code, &values, f.use_errno, into) }
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        write!(f, "Function({} at {:#x}: ", inner.name, inner.code)?;
        match &inner.argtypes {
            Some(types) => {
                f.write_str("(")?;
                for (i, t) in types.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                if inner.variadic {
                    f.write_str(", ...")?;
                }
                f.write_str(")")?;
            }
            None => f.write_str("(?)")?,
        }
        write!(f, " -> {})", inner.restype)
    }
}
