//! A signature compiled once: how each argument converts (its [`ArgKind`]),
//! where it travels, how the result comes back; and the call itself, made
//! by the x86-64 System V layout and stub (`sysv`) or by libffi.
//!
//! Both paths convert with the one conversion per type of `conv`; they
//! differ only in where the images go.

use std::cell::UnsafeCell;
use std::ffi::{c_uint, c_void};
use std::mem::MaybeUninit;
use std::ptr;

use libffi::raw::{self, ffi_cif, ffi_type};
#[cfg(call_plan)]
use once_cell::sync::Lazy;

use super::errno;
use crate::conv::{
    self, Referent, Refused, Sink, Wide, WideUnit, address_of, aggregate_mismatch, encode_wide,
};
use crate::ctype::ffi::{Role, ffi_type_for};
use crate::ctype::{CType, Kind, Scalar};
use crate::error::{Error, Result};
use crate::memory::CData;
use crate::value::Value;

#[cfg(call_plan)]
use super::sysv::{Layout, Loc, Place, Regs, RetPlace, Shape};

#[cfg(call_plan)]
/// Whether the x86-64 call plan is used (not when `RCTYPES_CALL_PLAN=off`,
/// except for signatures libffi would mishandle).
pub(crate) static PLANS_ENABLED: Lazy<bool> =
    Lazy::new(|| std::env::var("RCTYPES_CALL_PLAN").map_or(true, |v| v != "off"));

/// How an argument converts, decided once per signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// A fundamental type with a one-word image.
    Word(Scalar),
    /// A fundamental type with a wide image (`long double`, the complex
    /// types wider than 8 bytes).
    Wide(Scalar),
    /// A data or code pointer (`POINTER(T)`, a function pointer, an array
    /// parameter): the address a value stands for.
    Address,
    /// A structure or union of size > 0 by value: an instance of exactly it.
    Aggregate,
    /// A structure or union of size 0: passed as nothing.
    Empty,
}

impl ArgKind {
    /// The conversion for a parameter of type `ty` (`void` is refused
    /// before this is asked).
    pub(crate) fn of(ty: &CType) -> ArgKind {
        match ty.kind() {
            Kind::Scalar { scalar, .. } if scalar.has_word_image() => ArgKind::Word(*scalar),
            Kind::Scalar { scalar, .. } => ArgKind::Wide(*scalar),
            Kind::Pointer(_) | Kind::Array { .. } | Kind::Function(_) | Kind::Void => {
                ArgKind::Address
            }
            Kind::Record(_) if ty.size() == 0 => ArgKind::Empty,
            Kind::Record(_) => ArgKind::Aggregate,
        }
    }

    #[cfg(call_plan)]
    fn shape(self) -> Shape {
        match self {
            ArgKind::Word(s) | ArgKind::Wide(s) => Shape::Scalar(s),
            ArgKind::Address => Shape::Address,
            ArgKind::Aggregate | ArgKind::Empty => Shape::Aggregate,
        }
    }
}

/// How the result converts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetKind {
    /// `void` (and a structure of size 0, whose instance has no bytes).
    Void,
    /// A fundamental type with a one-word image.
    Word(Scalar),
    /// A fundamental type with a wide image.
    Wide(Scalar),
    /// `POINTER(T)` or a function pointer: an instance holding the address.
    Address,
    /// A structure or union: written into an instance.
    Aggregate,
}

impl RetKind {
    fn of(ty: &CType) -> RetKind {
        match ty.kind() {
            Kind::Void | Kind::Array { .. } => RetKind::Void,
            Kind::Scalar { scalar, .. } if scalar.has_word_image() => RetKind::Word(*scalar),
            Kind::Scalar { scalar, .. } => RetKind::Wide(*scalar),
            Kind::Pointer(_) | Kind::Function(_) => RetKind::Address,
            Kind::Record(_) => RetKind::Aggregate,
        }
    }
}

/// A parameter: its type and how it converts.
pub(crate) struct Param {
    pub(crate) ty: CType,
    pub(crate) kind: ArgKind,
    /// For [`ArgKind::Word`]: the type's conversions.
    pub(crate) word: Option<&'static crate::conv::codec::Word>,
    /// `sizeof` the type.
    #[cfg(call_plan)]
    pub(crate) size: usize,
}

/// A libffi call interface, prepared once.
pub(crate) struct Cif {
    /// libffi's call interface. It points into `_atypes` and at the
    /// ffi_type descriptions of the parameter types; both live exactly as
    /// long as the cif.
    cif: UnsafeCell<ffi_cif>,
    /// The cif's `arg_types` array (heap-allocated, so moving the Cif does
    /// not move it).
    _atypes: Box<[*mut ffi_type]>,
}

// SAFETY: after `ffi_prep_cif` the cif and the arrays it points to are never
// written again (ffi_call and closures only read the cif), and the ffi_types
// it points at are immutable (libffi's statics, and rctypes' aggregate
// descriptions, which libffi never writes: see ctype::ffi).
unsafe impl Send for Cif {}
// SAFETY: as above: shared read-only data.
unsafe impl Sync for Cif {}

impl Cif {
    /// The raw interface, for `ffi_call` and closures.
    pub(crate) fn as_ptr(&self) -> *mut ffi_cif {
        self.cif.get()
    }
}

/// A signature prepared once, shared by every call (and every thread) with
/// it.
pub(crate) struct Plan {
    params: Box<[Param]>,
    restype: CType,
    ret: RetKind,
    /// Where everything travels, when the call plan makes the calls.
    #[cfg(call_plan)]
    layout: Option<Layout>,
    /// libffi's interface, when libffi makes the calls (or a callback
    /// needs a libffi closure).
    cif: once_cell::sync::OnceCell<Cif>,
    /// For a variadic call, how many arguments are fixed.
    fixed: Option<usize>,
    function: String,
}

/// What a plan is for: calls made by rctypes, or a callback entered by C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Call,
    Callback,
}

impl Plan {
    /// Compiles a signature. `fixed` is `Some(n)` for a variadic call whose
    /// first `n` arguments are the fixed ones.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a type that cannot cross a call (a `void`
    /// argument, an array or incomplete result), [`Error::Ffi`] when libffi
    /// refuses the signature on the path that needs it.
    pub(crate) fn new(
        function: &str,
        argtypes: &[CType],
        fixed: Option<usize>,
        restype: &CType,
        purpose: Purpose,
    ) -> Result<Plan> {
        let mut params = Vec::with_capacity(argtypes.len());
        for (index, ty) in argtypes.iter().enumerate() {
            check_type(ty, Role::Argument, || {
                format!("argument {index} of `{function}`")
            })?;
            let kind = ArgKind::of(ty);
            params.push(Param {
                ty: ty.clone(),
                kind,
                word: match kind {
                    ArgKind::Word(s) => crate::conv::codec::Word::of(s),
                    _ => None,
                },
                #[cfg(call_plan)]
                size: ty.size(),
            });
        }
        check_type(restype, Role::Result, || {
            format!("the restype of `{function}`")
        })?;
        let ret = RetKind::of(restype);
        let plan = Plan {
            params: params.into_boxed_slice(),
            restype: restype.clone(),
            ret,
            #[cfg(call_plan)]
            layout: None,
            cif: once_cell::sync::OnceCell::new(),
            fixed,
            function: function.to_owned(),
        };
        #[cfg(call_plan)]
        let plan = {
            let mut plan = plan;
            if *PLANS_ENABLED || plan.libffi_problem(purpose).is_some() {
                plan.layout = Some(plan.compute_layout()?);
                return Ok(plan);
            }
            plan
        };
        // Built without the call plan: what libffi would pass wrongly is
        // refused rather than mis-passed.
        #[cfg(all(not(call_plan), target_arch = "x86_64", not(windows)))]
        if let Some(problem) = plan.libffi_problem(purpose) {
            return Err(Error::Unsupported {
                operation: match purpose {
                    Purpose::Call => format!("calling `{function}`"),
                    Purpose::Callback => format!("creating a callback of `{function}`"),
                }
                .into(),
                type_name: function.to_owned().into(),
                reason: format!(
                    "libffi passes this signature wrongly ({problem}), and rctypes was built \
                     without its own call plan (the `call-plan` feature, on by default)"
                )
                .into(),
            });
        }
        let _ = purpose;
        // libffi makes the calls: prepare it now, so that a refusal is
        // reported here.
        plan.cif()?;
        Ok(plan)
    }

    #[cfg(call_plan)]
    fn compute_layout(&self) -> Result<Layout> {
        let args: Vec<(CType, Shape)> = self
            .params
            .iter()
            .map(|p| (p.ty.clone(), p.kind.shape()))
            .collect();
        let ret = match self.ret {
            RetKind::Void if self.restype.is_void() => None,
            RetKind::Void => Some((self.restype.clone(), Shape::Aggregate)),
            RetKind::Word(s) | RetKind::Wide(s) => Some((self.restype.clone(), Shape::Scalar(s))),
            RetKind::Address => Some((self.restype.clone(), Shape::Address)),
            RetKind::Aggregate => Some((self.restype.clone(), Shape::Aggregate)),
        };
        Layout::new(&args, ret).map_err(|reason| Error::Unsupported {
            operation: format!("calling `{}`", self.function).into(),
            type_name: self.function.clone().into(),
            reason: reason.into(),
        })
    }

    /// What libffi would get wrong about this signature, if anything, so
    /// that the crate's own plan must make (or enter) it even when plans
    /// are off: by-value arguments aligned beyond 16 bytes (libffi aligns
    /// its stack area to 16 only), a structure returned on the x87 stack
    /// (libffi has no such return), and for callbacks a structure with a
    /// padding-only eightbyte in registers (libffi's closure entry counts
    /// the padding as a register and shifts every later argument).
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    pub(crate) fn libffi_problem(&self, purpose: Purpose) -> Option<&'static str> {
        use crate::ctype::ffi::sysv::{Class, classify_aggregate};
        if self
            .params
            .iter()
            .any(|p| p.kind == ArgKind::Aggregate && p.ty.align() > 16)
        {
            return Some("a structure argument aligned beyond 16 bytes");
        }
        if self.ret == RetKind::Aggregate
            && matches!(
                classify_aggregate(&self.restype).as_deref(),
                Some([Class::X87, Class::X87Up])
            )
        {
            return Some("a structure returned on the x87 stack");
        }
        if purpose == Purpose::Callback
            && self.params.iter().any(|p| {
                p.kind == ArgKind::Aggregate
                    && classify_aggregate(&p.ty).is_some_and(|c| c.contains(&Class::Empty))
            })
        {
            return Some("a callback argument structure with a padding-only eightbyte");
        }
        None
    }

    /// libffi's call interface for this signature, prepared on first use.
    ///
    /// # Errors
    /// [`Error::Ffi`] or [`Error::Unsupported`] when libffi cannot express
    /// the signature.
    pub(crate) fn cif(&self) -> Result<&Cif> {
        self.cif.get_or_try_init(|| {
            let function = &self.function;
            let mut atypes = Vec::with_capacity(self.params.len());
            // how many of the fixed arguments libffi sees (not those passed
            // as nothing)
            let mut fixed_seen: c_uint = 0;
            for (index, p) in self.params.iter().enumerate() {
                let context = format!("argument {index} of `{function}`");
                if let Some(t) = ffi_type_for(&p.ty, Role::Argument, &context)? {
                    atypes.push(t);
                    if self.fixed.is_some_and(|n| index < n) {
                        fixed_seen += 1;
                    }
                }
            }
            let rtype = ffi_type_for(
                &self.restype,
                Role::Result,
                &format!("the restype of `{function}`"),
            )?
            .unwrap_or(&raw mut raw::ffi_type_void);
            let nargs = c_uint::try_from(atypes.len()).map_err(|_| Error::Ffi {
                function: function.clone().into(),
                message: "too many arguments".into(),
            })?;
            let mut atypes = atypes.into_boxed_slice();
            let mut cif = ffi_cif::default();
            let status = match self.fixed {
                // SAFETY: `cif` is a fresh ffi_cif; `atypes` holds `nargs`
                // valid ffi_type pointers and `rtype` is valid; all outlive
                // the cif because the Cif owns them (the types are statics
                // or owned by the parameter types, which the Plan holds).
                None => unsafe {
                    raw::ffi_prep_cif(
                        &mut cif,
                        raw::ffi_abi_FFI_DEFAULT_ABI,
                        nargs,
                        rtype,
                        atypes.as_mut_ptr(),
                    )
                },
                // SAFETY: as above; `fixed_seen <= nargs`.
                Some(_) => unsafe {
                    raw::ffi_prep_cif_var(
                        &mut cif,
                        raw::ffi_abi_FFI_DEFAULT_ABI,
                        fixed_seen,
                        nargs,
                        rtype,
                        atypes.as_mut_ptr(),
                    )
                },
            };
            if status != raw::ffi_status_FFI_OK {
                return Err(Error::Ffi {
                    function: function.clone().into(),
                    message: match status {
                        raw::ffi_status_FFI_BAD_TYPEDEF => {
                            "bad type definition (FFI_BAD_TYPEDEF)".into()
                        }
                        raw::ffi_status_FFI_BAD_ABI => "bad ABI (FFI_BAD_ABI)".into(),
                        raw::ffi_status_FFI_BAD_ARGTYPE => {
                            "bad argument type (FFI_BAD_ARGTYPE)".into()
                        }
                        other => format!("ffi_prep_cif failed with status {other}").into(),
                    },
                });
            }
            Ok(Cif {
                cif: UnsafeCell::new(cif),
                _atypes: atypes,
            })
        })
    }

    /// The placement, when the call plan makes (or enters) this signature.
    #[cfg(call_plan)]
    pub(crate) fn layout(&self) -> Option<&Layout> {
        self.layout.as_ref()
    }

    /// How many arguments the signature takes.
    #[inline(always)]
    pub(crate) fn arity(&self) -> usize {
        self.params.len()
    }

    /// The parameters and how each converts.
    pub(crate) fn params(&self) -> &[Param] {
        &self.params
    }

    /// How the result converts.
    pub(crate) fn ret(&self) -> RetKind {
        self.ret
    }

    /// The result type.
    pub(crate) fn restype(&self) -> &CType {
        &self.restype
    }

    /// Whether calls with this plan skip libffi (for tests).
    #[cfg(all(test, call_plan))]
    pub(crate) fn uses_call_plan(&self) -> bool {
        self.layout.is_some()
    }

    /// Converts `values`, calls `code`, and decodes the result: through the
    /// call plan when there is one, through libffi otherwise. A structure
    /// result is written into `into` when given (an instance of the
    /// restype), into a new instance otherwise.
    ///
    /// # Safety
    /// `code` must be a function with this plan's signature, and calling it
    /// with these arguments must be sound; `into`, when given, is an
    /// instance of exactly the restype.
    #[inline(always)]
    pub(crate) unsafe fn call(
        &self,
        code: usize,
        values: &[Value],
        use_errno: bool,
        into: Option<&CData>,
    ) -> Result<Value> {
        debug_assert_eq!(values.len(), self.params.len());
        #[cfg(call_plan)]
        if let Some(layout) = &self.layout {
            // SAFETY: forwarded from the caller.
            return unsafe { self.call_planned(layout, code, values, use_errno, into) };
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.call_libffi(code, values, use_errno, into) }
    }

    /// The error for argument `index`.
    #[cold]
    #[inline(never)]
    fn at(&self, index: usize, e: crate::error::ConvError) -> Error {
        e.at_argument(&self.function, index)
    }

    /// A new instance of the restype for a structure result, or `into`.
    fn result_instance(&self, into: Option<&CData>) -> Result<CData> {
        match into {
            Some(d) => Ok(d.clone()),
            None => CData::try_new(&self.restype),
        }
    }

    /// The call through the System V layout and a stub.
    ///
    /// # Safety
    /// As [`Plan::call`].
    #[cfg(call_plan)]
    #[inline(always)]
    unsafe fn call_planned(
        &self,
        layout: &Layout,
        code: usize,
        values: &[Value],
        use_errno: bool,
        into: Option<&CData>,
    ) -> Result<Value> {
        // Copies of string arguments live here until the call returns.
        let mut strings = CallStrings::new();
        let mut stack: StackArea = Scratch::new(layout.words as usize);
        let mut regs = Regs::new(stack.as_ptr(), layout.words as usize, layout.x87_results());
        for (i, ((param, place), v)) in self.params.iter().zip(&layout.args).zip(values).enumerate()
        {
            place_arg(&mut regs, &mut stack, param, *place, v, &mut strings)
                .map_err(|e| self.at(i, *e))?;
        }
        let mut out = None;
        if layout.ret == RetPlace::Memory {
            let d = self.result_instance(into)?;
            regs.set(Loc::Gpr(0), d.address() as u64);
            out = Some(d);
        }
        let stub = layout.stub_code;
        // (The branch is spelled out so that the common call builds no
        // closure.)
        if use_errno {
            // SAFETY: the registers and the stack area hold every argument
            // where the signature places it; what they point into (strings
            // in `strings`, instances in `values`) outlives the call; the
            // caller guarantees `code` has this signature.
            unsafe { errno::swapped(true, || stub(&mut regs, code)) };
        } else {
            // SAFETY: as above.
            unsafe { stub(&mut regs, code) };
        }
        // `strings` lives until the result is decoded (it is dropped after
        // the tail expression): a result may point into an argument's copy
        // (a function that returns its `char *` argument).
        // SAFETY: the stub stored the result registers (and popped the x87
        // results) of a call of this signature.
        unsafe { self.planned_result(layout, &regs, out, into) }
    }

    /// Decodes the result registers.
    ///
    /// # Safety
    /// `regs` holds what a function of this signature returned.
    #[cfg(call_plan)]
    #[inline(always)]
    unsafe fn planned_result(
        &self,
        layout: &Layout,
        regs: &Regs,
        out: Option<CData>,
        into: Option<&CData>,
    ) -> Result<Value> {
        // Each arm reads only the registers its place has (the leanest
        // stubs store rax alone).
        // SAFETY (every `regs` read below): forwarded from the caller: the
        // stub stored the result registers of its kind and popped the x87
        // results.
        match (self.ret, layout.ret) {
            (RetKind::Void, _) if self.restype.is_void() => Ok(Value::Void),
            // SAFETY: as above; a char * / wchar_t * result is NULL or a
            // string (the caller of the foreign call vouched for it).
            (RetKind::Word(s), RetPlace::Xmm0) => unsafe {
                conv::decode_word(s, regs.ret()[2], true)
            },
            // SAFETY: as above.
            (RetKind::Word(s), _) => unsafe { conv::decode_word(s, regs.rax(), true) },
            // SAFETY: as above.
            (RetKind::Wide(s), RetPlace::X87(_)) => conv::decode_wide(s, &unsafe { regs.x87() }),
            (RetKind::Wide(s), _) => {
                // SAFETY: as above.
                let [_, _, xmm0, xmm1] = unsafe { regs.ret() };
                conv::decode_wide(s, &[xmm0, xmm1, 0, 0])
            }
            // SAFETY: as above.
            (RetKind::Address, _) => self.address_result(unsafe { regs.rax() } as usize),
            (RetKind::Aggregate | RetKind::Void, place) => {
                let d = match out {
                    Some(d) => d, // written by the callee through the hidden pointer
                    None => {
                        let d = self.result_instance(into)?;
                        let bytes: [u64; 2] = match place {
                            RetPlace::X87(_) => {
                                // SAFETY: as above.
                                let x87 = unsafe { regs.x87() };
                                [x87[0], x87[1]]
                            }
                            // SAFETY: as above (a pair comes from a stub
                            // that stores all four).
                            RetPlace::Pair(classes) => pair_result(unsafe { regs.ret() }, classes),
                            _ => [0, 0],
                        };
                        let size = d.ctype().size().min(16);
                        // SAFETY: the instance holds `size` bytes, and
                        // `bytes` 16.
                        unsafe {
                            ptr::copy_nonoverlapping(bytes.as_ptr().cast::<u8>(), d.ptr(), size)
                        };
                        d
                    }
                };
                Ok(Value::Data(d))
            }
        }
    }

    /// A `POINTER(T)` or function-pointer result: an instance holding it.
    fn address_result(&self, addr: usize) -> Result<Value> {
        Ok(Value::Data(CData::from_bytes(
            &self.restype,
            &addr.to_ne_bytes(),
        )?))
    }

    /// The call through libffi.
    ///
    /// # Safety
    /// As [`Plan::call`].
    unsafe fn call_libffi(
        &self,
        code: usize,
        values: &[Value],
        use_errno: bool,
        into: Option<&CData>,
    ) -> Result<Value> {
        let cif = self.cif()?;
        let n = values.len();
        let mut slots: Scratch<Wide> = Scratch::new(n);
        let mut avalues: Scratch<*mut c_void> = Scratch::new(n);
        let mut strings = CallStrings::new();
        let mut next = 0;
        let avalue_slots = avalues.items();
        for (i, ((param, v), slot)) in self
            .params
            .iter()
            .zip(values)
            .zip(slots.items())
            .enumerate()
        {
            let at = ffi_arg(param, v, slot, &mut strings).map_err(|e| self.at(i, *e))?;
            if let (Some(at), Some(avalue)) = (at, avalue_slots.get_mut(next)) {
                avalue.write(at);
                next += 1;
            }
        }
        let out = match self.ret {
            RetKind::Aggregate => Some(self.result_instance(into)?),
            _ => None,
        };
        // Scalars and pointers: libffi widens integer results to a full
        // register and stores x87 values as 10 of 16 bytes; 32 bytes hold
        // every fundamental result.
        let mut buf = Aligned([0; 4]);
        let rvalue: *mut c_void = match &out {
            Some(d) => d.ptr().cast(),
            None => buf.0.as_mut_ptr().cast(),
        };
        let f = code;
        // SAFETY: `code` is a non-null function address (checked by the
        // callers) called through the prepared cif; every avalues entry
        // points at a converted argument (in `slots`, in an instance
        // borrowed from `values`, or in `strings`) that outlives the call;
        // the result buffer is large enough for what libffi writes; the
        // caller guarantees `code` has this signature.
        unsafe {
            let f: unsafe extern "C" fn() = std::mem::transmute::<usize, unsafe extern "C" fn()>(f);
            let avalues = avalues.as_ptr().cast_mut();
            errno::swapped(use_errno, || {
                raw::ffi_call(cif.as_ptr(), Some(f), rvalue, avalues)
            });
        }
        // `strings` lives until the result is decoded (dropped after the
        // tail expression)
        match self.ret {
            RetKind::Void => Ok(Value::Void),
            RetKind::Aggregate => Ok(Value::Data(out.ok_or_else(internal_no_result)?)),
            RetKind::Word(s) => {
                // libffi stores integer results widened to a full register;
                // on big-endian targets the narrow value is at the end.
                let at = if cfg!(target_endian = "big") && s.is_integer() && s.size() < 8 {
                    8 - s.size()
                } else {
                    0
                };
                // SAFETY: the buffer holds the result; `at + size <= 8`.
                let w = unsafe { conv::load_word(s, false, buf.0.as_ptr().cast::<u8>().add(at)) };
                // SAFETY: a char * / wchar_t * result is NULL or a string.
                unsafe { conv::decode_word(s, w, true) }
            }
            RetKind::Wide(s) => conv::decode_wide(s, &buf.0),
            RetKind::Address => self.address_result(buf.0[0] as usize),
        }
    }
}

#[cfg(call_plan)]
use crate::ctype::ffi::sysv::Class as sysv_class;

/// Reassembles a structure returned in up to two registers: INTEGER
/// eightbytes from `rax` then `rdx`, SSE ones from `xmm0` then `xmm1`.
#[cfg(call_plan)]
pub(crate) fn pair_result(ret: [u64; 4], classes: [Option<sysv_class>; 2]) -> [u64; 2] {
    let [rax, rdx, xmm0, xmm1] = ret;
    let (mut ints, mut sses) = ([rax, rdx].into_iter(), [xmm0, xmm1].into_iter());
    let mut words = [0u64; 2];
    for (w, class) in words.iter_mut().zip(classes) {
        *w = match class {
            Some(sysv_class::Integer) => ints.next().unwrap_or(0),
            Some(sysv_class::Sse) => sses.next().unwrap_or(0),
            _ => 0,
        };
    }
    words
}

#[cold]
fn internal_no_result() -> Error {
    Error::Ffi {
        function: String::new().into(),
        message: "internal: no result instance".into(),
    }
}

/// Checks that `ty` can cross a call in `role`.
fn check_type(ty: &CType, role: Role, context: impl Fn() -> String) -> Result<()> {
    let unsupported = |reason: &str| Error::Unsupported {
        operation: context().into(),
        type_name: ty.to_string().into(),
        reason: reason.to_owned().into(),
    };
    match ty.kind() {
        Kind::Void if role == Role::Argument => Err(unsupported("void cannot be an argument type")),
        Kind::Array { .. } if role == Role::Result => {
            Err(unsupported("C functions cannot return arrays"))
        }
        Kind::Record(r) if r.body.get().is_none() => Err(unsupported(
            "the type is incomplete: declared but not yet defined",
        )),
        Kind::Record(_) if !cfg!(all(target_arch = "x86_64", not(windows))) => {
            // libffi's own classification of rctypes' layouts is only
            // verified for x86-64 System V
            Err(unsupported(
                "structures and unions by value are implemented for the x86-64 System V ABI \
                 only; pass a pointer instead",
            ))
        }
        _ => Ok(()),
    }
}

/// Converts one argument into its registers or stack words.
#[cfg(call_plan)]
#[inline(always)]
pub(crate) fn place_arg(
    regs: &mut Regs,
    stack: &mut (impl StackWords + ?Sized),
    param: &Param,
    place: Place,
    v: &Value,
    sink: &mut dyn Sink,
) -> std::result::Result<(), Refused> {
    match param.kind {
        ArgKind::Word(s) => {
            let w = conv::encode_word(s, &param.ty, v, sink)?;
            put_word(regs, stack, place, w);
        }
        ArgKind::Address => {
            let w = address_of(&param.ty, v, sink)? as u64;
            put_word(regs, stack, place, w);
        }
        ArgKind::Wide(s) => {
            let w = encode_wide(s, &param.ty, v)?;
            put_bytes(regs, stack, place, &w, s.size());
        }
        ArgKind::Aggregate => {
            let d = instance_of(param, v)?;
            match place {
                Place::Stack { word, size } => {
                    // SAFETY: the instance holds `size` readable bytes
                    // (checked), and the area has room for them at `word`.
                    unsafe { stack.copy_in(word, d.ptr(), size as usize) };
                }
                Place::Pair(locs) => {
                    // one word per eightbyte, the last one zero-padded
                    let size = param.size;
                    let src = d.ptr();
                    for (i, loc) in locs.iter().enumerate() {
                        let Some(loc) = loc else { continue };
                        let at = 8 * i;
                        let mut word = [0u8; 8];
                        let n = size.saturating_sub(at).min(8);
                        // SAFETY: bytes `at..at + n` lie inside the instance.
                        unsafe { ptr::copy_nonoverlapping(src.add(at), word.as_mut_ptr(), n) };
                        put_word(regs, stack, Place::Word(*loc), u64::from_ne_bytes(word));
                    }
                }
                Place::Word(_) | Place::Nothing => {}
            }
        }
        ArgKind::Empty => {
            instance_of(param, v)?;
        }
    }
    Ok(())
}

/// The instance a structure argument must be: of exactly its type, and
/// readable.
#[inline(always)]
fn instance_of<'v>(param: &Param, v: &'v Value) -> std::result::Result<&'v CData, Refused> {
    match v {
        Value::Data(d) if d.ctype() == &param.ty => {
            d.check_readable("passing")
                .map_err(|e| conv::refuse(&param.ty, v, &e.to_string()))?;
            Ok(d)
        }
        _ => Err(aggregate_mismatch(&param.ty, v)),
    }
}

#[cfg(call_plan)]
#[inline(always)]
fn put_word(regs: &mut Regs, stack: &mut (impl StackWords + ?Sized), place: Place, w: u64) {
    match place {
        Place::Word(Loc::Stack(at)) => stack.set(at, w),
        Place::Word(loc) => regs.set(loc, w),
        _ => {}
    }
}

#[cfg(call_plan)]
fn put_bytes(
    regs: &mut Regs,
    stack: &mut (impl StackWords + ?Sized),
    place: Place,
    w: &Wide,
    size: usize,
) {
    match place {
        Place::Stack { word, .. } => {
            // SAFETY: `w` holds 32 bytes, at least `size`.
            unsafe { stack.copy_in(word, w.as_ptr().cast::<u8>(), size.min(32)) };
        }
        Place::Pair(locs) => {
            for (i, loc) in locs.iter().enumerate() {
                match loc {
                    Some(Loc::Stack(at)) => stack.set(*at, w[i]),
                    Some(loc) => regs.set(*loc, w[i]),
                    None => {}
                }
            }
        }
        Place::Word(loc) => put_word(regs, stack, Place::Word(loc), w[0]),
        Place::Nothing => {}
    }
}

/// Converts one argument for libffi into `slot` (or points at the
/// instance), returning where libffi reads it, or `None` for an argument
/// passed as nothing.
#[inline(always)]
pub(crate) fn ffi_arg(
    param: &Param,
    v: &Value,
    slot: &mut MaybeUninit<Wide>,
    sink: &mut dyn Sink,
) -> std::result::Result<Option<*mut c_void>, Refused> {
    // A scalar through its type's own conversion (no dispatch here).
    if let Some(word) = param.word {
        let w = (word.encode)(&param.ty, v, sink)?;
        let out: *mut u8 = slot.as_mut_ptr().cast();
        // a whole word, so that libffi's 8-byte loads of narrow floats read
        // initialised bytes
        // SAFETY: a slot holds 32 bytes, more than a word.
        unsafe {
            out.cast::<u64>().write(0);
            (word.store)(w, out);
        }
        return Ok(Some(out.cast()));
    }
    ffi_arg_general(param, v, slot, sink)
}

/// [`ffi_arg`] for the other kinds of argument.
#[inline(never)]
fn ffi_arg_general(
    param: &Param,
    v: &Value,
    slot: &mut MaybeUninit<Wide>,
    sink: &mut dyn Sink,
) -> std::result::Result<Option<*mut c_void>, Refused> {
    let out: *mut u8 = slot.as_mut_ptr().cast();
    match param.kind {
        ArgKind::Word(s) => {
            let w = conv::encode_word(s, &param.ty, v, sink)?;
            // a whole word, so that libffi's 8-byte loads of narrow floats
            // read initialised bytes
            // SAFETY: a slot holds 32 bytes, more than a word.
            unsafe {
                out.cast::<u64>().write(0);
                conv::store_word(s, false, w, out);
            }
        }
        ArgKind::Address => {
            let w = address_of(&param.ty, v, sink)?;
            // SAFETY: as above.
            unsafe { out.cast::<usize>().write(w) };
        }
        ArgKind::Wide(s) => {
            slot.write(encode_wide(s, &param.ty, v)?);
        }
        ArgKind::Empty => {
            instance_of(param, v)?;
            return Ok(None);
        }
        ArgKind::Aggregate => {
            let d = instance_of(param, v)?;
            let size = param.ty.size();
            if size > 16 {
                // In memory: libffi copies exactly `size` bytes from the instance.
                return Ok(Some(d.ptr().cast()));
            }
            // In registers: libffi loads whole eightbytes, so give it a
            // zero-padded copy rather than reading past the instance.
            let slot = slot.write([0; 4]);
            // SAFETY: the instance holds `size <= 16` readable bytes
            // (checked) and the slot has room for them.
            unsafe { ptr::copy_nonoverlapping(d.ptr(), slot.as_mut_ptr().cast::<u8>(), size) };
        }
    }
    Ok(Some(out.cast()))
}

/// 32 bytes aligned to 16: a result buffer for every fundamental type.
#[repr(C, align(16))]
struct Aligned(Wide);

/// Arguments up to this count keep their libffi slots on the stack, and
/// stack areas up to this many words.
const INLINE: usize = 16;

/// Per-call scratch storage: `n` uninitialised items, on the stack for up
/// to [`INLINE`], on the heap past that.
pub(crate) enum Scratch<T: Copy> {
    Inline([MaybeUninit<T>; INLINE], usize),
    Heap(Vec<MaybeUninit<T>>),
}

impl<T: Copy> Scratch<T> {
    #[inline(always)]
    pub(crate) fn new(n: usize) -> Scratch<T> {
        if n <= INLINE {
            Scratch::Inline([MaybeUninit::uninit(); INLINE], n)
        } else {
            let mut v = Vec::with_capacity(n);
            v.resize(n, MaybeUninit::uninit());
            Scratch::Heap(v)
        }
    }

    /// The `n` items.
    #[inline(always)]
    pub(crate) fn items(&mut self) -> &mut [MaybeUninit<T>] {
        match self {
            Scratch::Inline(a, n) => &mut a[..(*n).min(INLINE)],
            Scratch::Heap(v) => v,
        }
    }

    pub(crate) fn as_ptr(&self) -> *const T {
        match self {
            Scratch::Inline(a, _) => a.as_ptr().cast(),
            Scratch::Heap(v) => v.as_ptr().cast(),
        }
    }
}

#[cfg(call_plan)]
/// The stack area of a planned call: words placed by the layout (the gaps
/// that alignment leaves are never read by the callee).
pub(crate) type StackArea = Scratch<u64>;

/// Words of a stack area that arguments are placed into.
#[cfg(call_plan)]
pub(crate) trait StackWords {
    /// The words.
    fn words(&mut self) -> &mut [MaybeUninit<u64>];

    /// Sets word `at`, within the area.
    #[inline(always)]
    fn set(&mut self, at: u32, w: u64) {
        if let Some(slot) = self.words().get_mut(at as usize) {
            slot.write(w);
        }
    }

    /// Copies `size` bytes from `src` to the area from word `at` on,
    /// within the area.
    ///
    /// # Safety
    /// `src` must be readable for `size` bytes.
    unsafe fn copy_in(&mut self, at: u32, src: *const u8, size: usize) {
        let words = self.words();
        let start = (at as usize).min(words.len());
        let room = (words.len() - start) * 8;
        let dst: *mut u8 = words[start..].as_mut_ptr().cast();
        // SAFETY: the area has `room` bytes from `start`; the caller
        // guarantees `size` readable bytes at `src`.
        unsafe { ptr::copy_nonoverlapping(src, dst, size.min(room)) };
    }
}

#[cfg(call_plan)]
impl StackWords for StackArea {
    #[inline(always)]
    fn words(&mut self) -> &mut [MaybeUninit<u64>] {
        self.items()
    }
}

#[cfg(call_plan)]
impl StackWords for [MaybeUninit<u64>] {
    #[inline(always)]
    fn words(&mut self) -> &mut [MaybeUninit<u64>] {
        self
    }
}

/// Bytes of string copies a call keeps on its own stack.
const ARENA: usize = 256;

/// Where a call puts the NUL-terminated copies of its string arguments:
/// first in an arena on the stack, then on the heap. The copies live until
/// the call's result has been decoded (a `char *` result may be the
/// argument itself).
///
/// `repr(C)` with the arena last: the initialised fields come first, so the
/// compiler does not merge their stores and the arena into one memset.
#[repr(C)]
pub(crate) struct CallStrings {
    used: usize,
    spilled: Vec<Box<[u64]>>,
    arena: [MaybeUninit<u64>; ARENA / 8],
}

impl CallStrings {
    #[inline(always)]
    pub(crate) fn new() -> CallStrings {
        CallStrings {
            used: 0,
            spilled: Vec::new(),
            arena: [MaybeUninit::uninit(); ARENA / 8],
        }
    }

    /// Room for `len` bytes aligned to 8: in the arena when it fits.
    #[inline(always)]
    fn room(&mut self, len: usize) -> *mut u8 {
        let words = len.div_ceil(8);
        match self.arena.get_mut(self.used..self.used + words) {
            Some(free) => {
                self.used += words;
                free.as_mut_ptr().cast::<u8>()
            }
            None => self.spill(words),
        }
    }

    /// Room on the heap, when the arena is full.
    #[cold]
    fn spill(&mut self, words: usize) -> *mut u8 {
        let mut block = vec![0u64; words.max(1)].into_boxed_slice();
        let p = block.as_mut_ptr().cast::<u8>();
        self.spilled.push(block);
        p
    }
}

impl Sink for CallStrings {
    #[inline]
    fn bytes(&mut self, bytes: &[u8]) -> usize {
        let p = self.room(bytes.len() + 1);
        // SAFETY: `room` gave `len + 1` writable bytes.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            p.add(bytes.len()).write(0);
        }
        p as usize
    }

    fn wide(&mut self, units: &mut dyn Iterator<Item = WideUnit>, len: usize) -> usize {
        let unit = size_of::<WideUnit>();
        let p = self.room((len + 1) * unit).cast::<WideUnit>();
        let mut n = 0;
        for u in units.take(len) {
            // SAFETY: `room` gave `len + 1` units, 8-aligned.
            unsafe { p.add(n).write(u) };
            n += 1;
        }
        // SAFETY: `n <= len`.
        unsafe { p.add(n).write(0) };
        p as usize
    }

    fn refers(&mut self, _target: Referent<'_>) {
        // the arguments outlive the call: nothing to keep
    }
}

#[cfg(all(test, call_plan))]
mod tests {
    use super::*;

    /// With the call plan on, every x86-64 System V signature has a layout
    /// (no libffi at call time); with it off, libffi makes the calls except
    /// where it would get them wrong.
    #[test]
    #[cfg(call_plan)]
    fn the_call_plan_covers_every_signature() {
        let s = |fields: &[CType], align: Option<usize>| {
            let b = fields
                .iter()
                .enumerate()
                .fold(CType::structure("S"), |b, (i, t)| {
                    b.field(format!("f{i}"), t.clone())
                });
            match align {
                Some(a) => b.align(a),
                None => b,
            }
            .build()
            .unwrap()
        };
        let (i, d, ld) = (CType::c_int(), CType::c_double(), CType::c_longdouble());
        let big = s(&[d.clone(), d.clone(), d.clone()], None);
        let only_ld = s(std::slice::from_ref(&ld), None);
        let a32 = s(std::slice::from_ref(&d), Some(32));
        let empty = s(&[], None);
        let on = *PLANS_ENABLED;
        let plan = |args: Vec<CType>, ret: &CType| {
            Plan::new("f", &args, None, ret, Purpose::Call)
                .unwrap()
                .uses_call_plan()
        };
        for (args, ret) in [
            (vec![i.clone(); 2], i.clone()),
            (vec![i.clone(); 9], i.clone()),
            (vec![d.clone(); 17], d.clone()),
            (vec![ld.clone(), i.clone()], ld.clone()),
            (vec![big.clone(); 3], big.clone()),
            (vec![empty.clone(), i.clone()], empty.clone()),
            (
                vec![CType::c_double_complex(), CType::c_float_complex()],
                CType::c_longdouble_complex(),
            ),
        ] {
            assert_eq!(plan(args.clone(), &ret), on, "{args:?} -> {ret}");
        }
        // libffi cannot do these: the plan makes them whatever the switch
        assert!(plan(vec![], &only_ld), "a structure returned in st(0)");
        assert!(plan(vec![a32], &i), "an argument aligned to 32");
    }
}
