//! Stage 2 of a call: the prepared signature (`Plan`, built once) and the
//! per-call frame of argument slots and `avalues` pointers.

use std::cell::UnsafeCell;
use std::ffi::{c_uint, c_void};
use std::mem::MaybeUninit;
use std::ptr;

use libffi::raw::{self, ffi_cif, ffi_type};

use super::convert::{ArgConv, Slot, convert_arg};
use super::invoke::invoke;
use super::result::{ResultBuf, RetConv};
use crate::ctype::CType;
use crate::ctype::ffi::{Role, ffi_type_for};
use crate::error::{Error, Result};
use crate::memory::keep::{Keep, KeepList};
use crate::value::Value;

/// Arguments up to this count live on the stack during a call: no heap
/// allocation for scalar and pointer calls.
const INLINE_ARGS: usize = 16;

/// A signature prepared for libffi: done once, then shared by every call
/// (and every thread) with that signature.
pub(crate) struct Plan {
    /// libffi's call interface. It points into `atypes` and at the ffi_type
    /// descriptions of `types`; both live exactly as long as the cif.
    cif: UnsafeCell<ffi_cif>,
    /// The cif's `arg_types` array; it must outlive the cif (heap-allocated, so
    /// moving the Plan does not move it).
    _atypes: Box<[*mut ffi_type]>,
    /// Declared argument types, with how each converts.
    args: Box<[(CType, ArgConv)]>,
    /// How the result buffer becomes a Value.
    ret: RetConv,
    /// The register assignment, when every argument and the result fit in
    /// registers: calls then skip libffi.
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    regs: Option<super::regs::RegPlan>,
}

// SAFETY: after `ffi_prep_cif` the cif and the arrays it points to are never
// written again (ffi_call only reads the cif), and the ffi_types it points at
// are libffi's immutable statics; so sharing a Plan between threads is sharing
// read-only data.
unsafe impl Send for Plan {}
// SAFETY: as above; no method mutates a Plan after construction.
unsafe impl Sync for Plan {}

impl Plan {
    /// Prepares a signature. `fixed` is `Some(n)` for a variadic call whose
    /// first `n` arguments are the fixed ones.
    pub(crate) fn new(
        function: &str,
        argtypes: &[CType],
        fixed: Option<usize>,
        restype: &CType,
    ) -> Result<Plan> {
        let mut atypes = Vec::with_capacity(argtypes.len());
        let mut args = Vec::with_capacity(argtypes.len());
        // how many of the fixed arguments libffi sees (not those passed as nothing)
        let mut fixed_seen = 0;
        for (index, ty) in argtypes.iter().enumerate() {
            let context = format!("argument {index} of `{function}`");
            if let Some(t) = ffi_type_for(ty, Role::Argument, &context)? {
                atypes.push(t);
                if fixed.is_some_and(|n| index < n) {
                    fixed_seen += 1;
                }
            }
            args.push((ty.clone(), ArgConv::of(ty)));
        }
        let rtype = ffi_type_for(
            restype,
            Role::Result,
            &format!("the restype of `{function}`"),
        )?
        .unwrap_or(&raw mut raw::ffi_type_void);
        let ret = RetConv::of(restype);
        let nargs = c_uint::try_from(atypes.len()).map_err(|_| Error::Ffi {
            function: function.to_owned(),
            message: "too many arguments".into(),
        })?;
        let mut atypes = atypes.into_boxed_slice();
        let mut cif = ffi_cif::default();
        let status = match fixed {
            // SAFETY: `cif` is a fresh ffi_cif; `atypes` holds `nargs` valid
            // ffi_type pointers and `rtype` is valid; all outlive the cif
            // because the Plan owns them.
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
                function: function.to_owned(),
                message: match status {
                    raw::ffi_status_FFI_BAD_TYPEDEF => {
                        "bad type definition (FFI_BAD_TYPEDEF)".into()
                    }
                    raw::ffi_status_FFI_BAD_ABI => "bad ABI (FFI_BAD_ABI)".into(),
                    raw::ffi_status_FFI_BAD_ARGTYPE => "bad argument type (FFI_BAD_ARGTYPE)".into(),
                    other => format!("ffi_prep_cif failed with status {other}"),
                },
            });
        }
        #[cfg(all(target_arch = "x86_64", not(windows)))]
        let regs = super::regs::RegPlan::new(&args, &ret);
        Ok(Plan {
            cif: UnsafeCell::new(cif),
            _atypes: atypes,
            args: args.into_boxed_slice(),
            ret,
            #[cfg(all(target_arch = "x86_64", not(windows)))]
            regs,
        })
    }

    /// libffi's call interface, for preparing a closure over it.
    pub(crate) fn cif_ptr(&self) -> *mut ffi_cif {
        self.cif.get()
    }

    /// The register plan, when the signature has one.
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    pub(crate) fn regs(&self) -> Option<&super::regs::RegPlan> {
        self.regs.as_ref()
    }

    /// How many arguments the signature takes.
    #[inline(always)]
    pub(crate) fn arity(&self) -> usize {
        self.args.len()
    }

    /// The parameters and how each converts.
    pub(crate) fn args(&self) -> &[(CType, ArgConv)] {
        &self.args
    }

    /// How the result converts.
    pub(crate) fn ret(&self) -> &RetConv {
        &self.ret
    }

    /// Whether calls with this plan skip libffi (for tests and benchmarks).
    #[cfg(test)]
    pub(crate) fn uses_registers(&self) -> bool {
        #[cfg(all(target_arch = "x86_64", not(windows)))]
        return self.regs.is_some();
        #[cfg(not(all(target_arch = "x86_64", not(windows))))]
        return false;
    }

    /// Converts `values`, calls `code`, and decodes the result: through the
    /// register plan when there is one, through libffi otherwise.
    ///
    /// # Safety
    /// `code` must be a function with this plan's signature, and calling it
    /// with these arguments must be sound.
    #[inline(always)]
    pub(crate) unsafe fn call(
        &self,
        function: &str,
        code: usize,
        values: &[Value],
        use_errno: bool,
    ) -> Result<Value> {
        debug_assert_eq!(values.len(), self.args.len());
        #[cfg(all(target_arch = "x86_64", not(windows)))]
        if let Some(regs) = &self.regs {
            // SAFETY: forwarded from the caller.
            return unsafe { regs.call(function, &self.args, code, values, use_errno) };
        }
        let n = values.len();
        if n <= INLINE_ARGS {
            let mut slots = [MaybeUninit::<Slot>::uninit(); INLINE_ARGS];
            let mut avalues = [ptr::null_mut::<c_void>(); INLINE_ARGS];
            // SAFETY: forwarded from the caller; the arrays hold `n` entries.
            unsafe {
                self.call_in(
                    function,
                    code,
                    values,
                    use_errno,
                    &mut slots[..n],
                    &mut avalues[..n],
                )
            }
        } else {
            let mut slots = vec![MaybeUninit::<Slot>::uninit(); n];
            let mut avalues = vec![ptr::null_mut::<c_void>(); n];
            // SAFETY: forwarded from the caller; the vectors hold `n` entries.
            unsafe { self.call_in(function, code, values, use_errno, &mut slots, &mut avalues) }
        }
    }

    /// The libffi call, over caller-provided frame storage.
    ///
    /// # Safety
    /// As [`Plan::call`]; the two slices have `values.len()` entries.
    unsafe fn call_in(
        &self,
        function: &str,
        code: usize,
        values: &[Value],
        use_errno: bool,
        slots: &mut [MaybeUninit<Slot>],
        avalues: &mut [*mut c_void],
    ) -> Result<Value> {
        // What converted arguments point into (strings rctypes copied) must
        // outlive the call; nothing is allocated unless one does.
        let mut keeps = KeepList::default();
        // libffi's argument list leaves out arguments passed as nothing
        let mut next = 0;
        for (i, ((value, (ty, conv)), slot)) in values
            .iter()
            .zip(self.args.iter())
            .zip(slots.iter_mut())
            .enumerate()
        {
            let slot = slot.write(Slot::ZERO);
            let mut keep = Keep::None;
            let at = convert_arg(ty, *conv, value, slot, &mut keep)
                .map_err(|e| e.at_argument(function, i))?;
            if let (Some(at), Some(avalue)) = (at, avalues.get_mut(next)) {
                *avalue = at;
                next += 1;
            }
            if keep.is_copy() {
                keeps.push(keep);
            }
        }
        let mut result = ResultBuf::new(&self.ret)?;
        // SAFETY: the cif was prepared for this signature; every avalues entry
        // points at a converted argument (in `slots`, or an instance's memory
        // borrowed from `values`) that outlives the call, as does what `keeps`
        // holds; the result buffer is large enough for libffi's writes; the
        // caller guarantees `code` has this signature.
        unsafe {
            invoke(
                self.cif.get(),
                code,
                result.as_mut_ptr(),
                avalues.as_mut_ptr(),
                use_errno,
            )
        };
        // `keeps` lives to the end: a result may point into an argument's
        // copy (a function that returns its `char *` argument).
        // SAFETY: libffi wrote a value of the restype into the buffer.
        unsafe { result.decode(&self.ret) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::CDll;
    use crate::memory::codec;

    /// libffi writes a full register (`ffi_arg`, 8 bytes) for integer results
    /// narrower than it, and 16 bytes at most for `long double`: guard bytes
    /// around the result show where it writes, and that the narrow value is
    /// decoded from the right bytes even when C leaves garbage in the upper
    /// bits of the register.
    #[test]
    fn narrow_results_stay_inside_the_reserved_bytes() {
        // SAFETY: the fixture library has no initialisers with requirements.
        let lib = unsafe { CDll::open(env!("RCTYPES_FIXTURE_LIB")) }.unwrap();
        let int = CType::c_int();
        let cases: Vec<(&str, CType, CType, Value, Value)> = vec![
            (
                "i8_from_int",
                int.clone(),
                CType::c_int8(),
                Value::Int(0x1ff),
                Value::Int(-1),
            ),
            (
                "u8_from_int",
                int.clone(),
                CType::c_uint8(),
                Value::Int(-2),
                Value::UInt(254),
            ),
            (
                "i16_from_int",
                int.clone(),
                CType::c_int16(),
                Value::Int(0x18000),
                Value::Int(-32768),
            ),
            (
                "u16_from_int",
                int.clone(),
                CType::c_uint16(),
                Value::Int(-1),
                Value::UInt(65535),
            ),
            (
                "echo_i32",
                CType::c_int32(),
                CType::c_int32(),
                Value::Int(-5),
                Value::Int(-5),
            ),
            (
                "echo_u32",
                CType::c_uint32(),
                CType::c_uint32(),
                Value::UInt(u32::MAX.into()),
                Value::UInt(u32::MAX.into()),
            ),
            (
                "is_even",
                int.clone(),
                CType::c_bool(),
                Value::Int(4),
                Value::Bool(true),
            ),
            (
                "next_char",
                CType::c_char(),
                CType::c_char(),
                Value::Int(0x7e),
                Value::Bytes(vec![0x7f]),
            ),
            (
                "wide_upper",
                CType::c_wchar(),
                CType::c_wchar(),
                Value::from('q'),
                Value::from('Q'),
            ),
            (
                "echo_i64",
                CType::c_int64(),
                CType::c_int64(),
                Value::Int(i64::MIN),
                Value::Int(i64::MIN),
            ),
            (
                "add_f",
                CType::c_float(),
                CType::c_float(),
                Value::Float(1.5),
                Value::Float(3.0),
            ),
            (
                "add_d",
                CType::c_double(),
                CType::c_double(),
                Value::Float(1.25),
                Value::Float(2.5),
            ),
            (
                "add_ld",
                CType::c_longdouble(),
                CType::c_longdouble(),
                Value::Float(0.5),
                Value::Float(1.0),
            ),
        ];
        const GUARD: u8 = 0xa5;
        #[repr(C, align(16))]
        struct Fenced([u8; 64]);
        for (name, argty, restype, arg, want) in cases {
            let two = matches!(name, "add_f" | "add_d" | "add_ld");
            let argtypes = if two {
                vec![argty.clone(), argty.clone()]
            } else {
                vec![argty.clone()]
            };
            let plan = Plan::new(name, &argtypes, None, &restype).unwrap();
            let mut slots = [Slot::ZERO; 2];
            let mut keeps = [Keep::None, Keep::None];
            let mut avalues = [ptr::null_mut::<c_void>(); 2];
            for (i, (slot, keep)) in slots
                .iter_mut()
                .zip(keeps.iter_mut())
                .enumerate()
                .take(argtypes.len())
            {
                avalues[i] = convert_arg(&argty, ArgConv::of(&argty), &arg, slot, keep)
                    .unwrap()
                    .unwrap();
            }
            let code = lib.symbol_address(name).unwrap();
            let mut buf = Fenced([GUARD; 64]);
            let start = 16;
            // SAFETY: the plan was prepared for this fixture's signature; the
            // result pointer has 48 bytes after it, more than libffi writes.
            unsafe {
                invoke(
                    plan.cif_ptr(),
                    code,
                    buf.0.as_mut_ptr().add(start).cast(),
                    avalues.as_mut_ptr(),
                    false,
                )
            };
            let size = restype.size();
            let reserved = if size < 8 { 8 } else { size };
            assert!(
                buf.0[..start].iter().all(|&b| b == GUARD),
                "{name}: wrote before the result"
            );
            assert!(
                buf.0[start + reserved..].iter().all(|&b| b == GUARD),
                "{name}: wrote past {reserved} bytes: {:02x?}",
                &buf.0[start..]
            );
            let s = restype.scalar().unwrap();
            // SAFETY: libffi wrote a value of the restype at `start`.
            let got = unsafe { codec::decode_scalar(s, buf.0.as_ptr().add(start), false) }.unwrap();
            assert_eq!(got, want, "{name}");
        }
    }

    /// Which signatures the register call plan takes (everything else goes
    /// through libffi; the test suite runs both ways).
    #[test]
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    fn the_register_plan_covers_register_only_signatures() {
        if std::env::var("RCTYPES_CALL_PLAN").is_ok_and(|v| v == "off") {
            return; // plans are disabled for this whole run
        }
        let s = |fields: &[CType]| {
            fields
                .iter()
                .enumerate()
                .fold(CType::structure("S"), |b, (i, t)| {
                    b.field(format!("f{i}"), t.clone())
                })
                .build()
                .unwrap()
        };
        let (i, d, ld) = (CType::c_int(), CType::c_double(), CType::c_longdouble());
        let point = s(&[i.clone(), i.clone()]);
        let dd = s(&[d.clone(), d.clone()]);
        let big = s(&[d.clone(), d.clone(), d.clone()]);
        let plan = |args: Vec<CType>, ret: &CType| {
            Plan::new("f", &args, None, ret).unwrap().uses_registers()
        };
        assert!(plan(vec![i.clone(); 2], &i));
        assert!(plan(vec![i.clone(); 6], &CType::void()));
        assert!(plan(vec![d.clone(); 8], &d));
        assert!(plan(
            vec![i.clone(), d.clone(), CType::c_char_p(), i.pointer()],
            &CType::c_void_p()
        ));
        assert!(
            plan(vec![point.clone(), dd.clone()], &point),
            "small structures in registers"
        );
        assert!(
            plan(vec![i.clone(); 5], &big),
            "a memory-class result takes rdi"
        );
        assert!(
            !plan(vec![i.clone(); 7], &i),
            "a seventh integer goes on the stack"
        );
        assert!(
            !plan(vec![d.clone(); 9], &d),
            "a ninth double goes on the stack"
        );
        assert!(
            !plan(vec![i.clone(); 6], &big),
            "no register left for the hidden pointer"
        );
        assert!(
            !plan(vec![ld.clone()], &i),
            "long double arguments go in memory"
        );
        assert!(!plan(vec![], &ld), "long double results come back in st(0)");
        assert!(
            !plan(vec![big.clone()], &i),
            "large structures go in memory"
        );
        assert!(
            !plan(vec![dd.clone(); 5], &i),
            "ten SSE eightbytes do not fit"
        );
    }
}
