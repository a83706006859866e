//! The call plan: calls on x86-64 System V without libffi at call time.
//!
//! libffi's `ffi_call` classifies every argument again on every call. For
//! the signatures most calls have — integer, pointer and floating-point
//! arguments that all fit in registers, small structures that do too, and a
//! scalar or structure result — the register each argument goes to depends
//! only on the signature, so [`RegPlan::new`] works it out once. A call then
//! converts each value straight into its register slot of a [`Frame`], and
//! [`call_stub`] loads the six integer and eight vector argument registers
//! from the frame, calls, and stores `rax`, `rdx`, `xmm0` and `xmm1` back
//! (LuaJIT's C calls and libffi 3.8's call plans work the same way).
//!
//! Anything else — arguments on the stack, `long double`, structures in
//! memory as arguments — has no plan and goes through libffi. Setting the
//! environment variable `RCTYPES_CALL_PLAN=off` disables plans for the whole
//! process, so the test suite can run both ways and compare.

use std::arch::naked_asm;

use once_cell::sync::Lazy;

use super::convert::ArgConv;
use super::errno;
use super::result::RetConv;
use crate::ctype::ffi::sysv::{Class, classify_aggregate};
use crate::ctype::{CType, Scalar};
use crate::error::{ConvError, Error, Result};
use crate::memory::CData;
use crate::memory::codec;
use crate::memory::keep::KeepList;
use crate::value::Value;

const GPRS: usize = 6;
const SSES: usize = 8;

/// Whether call plans are used (not when `RCTYPES_CALL_PLAN=off`).
static ENABLED: Lazy<bool> =
    Lazy::new(|| std::env::var("RCTYPES_CALL_PLAN").map_or(true, |v| v != "off"));

/// An argument register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reg {
    Gpr(u8),
    Sse(u8),
}

impl Reg {
    /// Its slot in [`Frame::args`].
    fn index(self) -> usize {
        match self {
            Reg::Gpr(i) => usize::from(i),
            Reg::Sse(i) => GPRS + usize::from(i),
        }
    }
}

/// How a fundamental argument becomes a register, decided once: plain
/// integers (range-checked with their width precomputed) and floats are
/// converted inline; every other type and value goes through the codec.
#[derive(Clone, Copy, Debug)]
enum Fast {
    /// A signed integer of this many bits.
    Signed(u32),
    /// An unsigned integer of this many bits.
    Unsigned(u32),
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// Any other fundamental type.
    Other,
}

/// How one argument reaches its registers.
#[derive(Clone, Copy, Debug)]
enum ArgPlan {
    /// A fundamental type in one register (sign- or zero-extended), at
    /// this index of [`Frame::args`].
    Scalar(Scalar, Fast, usize),
    /// A pointer (`POINTER(T)`, an array, a function pointer) in a GPR.
    Pointer(usize),
    /// A structure or union of up to 16 bytes, one register per eightbyte.
    Aggregate {
        size: usize,
        regs: [Option<usize>; 2],
    },
}

/// Where the result comes back.
#[derive(Clone, Debug)]
enum RetPlan {
    Void,
    /// A fixed-width integer in `rax`: shift left then right (arithmetic
    /// when signed) by this much to narrow it.
    Int {
        shift: u32,
        signed: bool,
    },
    /// `rax` (other integers, pointers) or `xmm0` (float, double).
    Scalar(Scalar),
    /// A `POINTER(T)` or function pointer in `rax`.
    Pointer(CType),
    /// A structure or union in up to two registers, by its eightbyte classes.
    InRegs(CType, [Option<Class>; 2]),
    /// A structure or union written through a hidden pointer passed in `rdi`.
    Memory(CType),
}

/// A signature's register assignment, computed once.
#[derive(Debug)]
pub(crate) struct RegPlan {
    args: Box<[ArgPlan]>,
    ret: RetPlan,
    /// The stub to call: without vector loads when no argument uses them.
    stub: unsafe extern "C" fn(*mut Frame, usize),
}

/// What the stub reads and writes. The layout is fixed: the assembly uses
/// these offsets.
#[repr(C)]
pub(crate) struct Frame {
    /// rdi, rsi, rdx, rcx, r8, r9 (offsets 0..48), then the low 64 bits of
    /// xmm0..xmm7 (offsets 48..112): one array, indexed by [`Reg::index`].
    pub(crate) args: [u64; GPRS + SSES],
    /// rax, rdx, xmm0, xmm1 after the call (offset 112).
    pub(crate) ret: [u64; 4],
}

/// The most arguments a register plan can have.
pub(crate) const MAX_ARGS: usize = GPRS + SSES;

/// Loads the argument registers from `frame`, calls `code`, stores the
/// result registers into `frame`.
///
/// # Safety
/// `frame` must be valid for reads and writes; `code` must be a function
/// whose System V signature takes its arguments in exactly the registers the
/// frame fills (and no stack arguments).
#[unsafe(naked)]
unsafe extern "C" fn call_stub(frame: *mut Frame, code: usize) {
    // Entry: rsp = 8 mod 16. Pushing rbx (callee-saved, it keeps the frame
    // pointer across the call) makes it 0 mod 16, as `call` requires.
    naked_asm!(
        "push rbx",
        "mov rbx, rdi",
        "mov r11, rsi",
        "movq xmm0, qword ptr [rbx + 48]",
        "movq xmm1, qword ptr [rbx + 56]",
        "movq xmm2, qword ptr [rbx + 64]",
        "movq xmm3, qword ptr [rbx + 72]",
        "movq xmm4, qword ptr [rbx + 80]",
        "movq xmm5, qword ptr [rbx + 88]",
        "movq xmm6, qword ptr [rbx + 96]",
        "movq xmm7, qword ptr [rbx + 104]",
        "mov rdi, qword ptr [rbx]",
        "mov rsi, qword ptr [rbx + 8]",
        "mov rdx, qword ptr [rbx + 16]",
        "mov rcx, qword ptr [rbx + 24]",
        "mov r8, qword ptr [rbx + 32]",
        "mov r9, qword ptr [rbx + 40]",
        // al: an upper bound on the vector registers used (variadic callees).
        "mov eax, 8",
        "call r11",
        "mov qword ptr [rbx + 112], rax",
        "mov qword ptr [rbx + 120], rdx",
        "movq qword ptr [rbx + 128], xmm0",
        "movq qword ptr [rbx + 136], xmm1",
        "pop rbx",
        "ret",
    );
}

/// [`call_stub`] for signatures with no floating-point argument: the vector
/// registers are left alone.
///
/// # Safety
/// As [`call_stub`].
#[unsafe(naked)]
unsafe extern "C" fn call_stub_gpr(frame: *mut Frame, code: usize) {
    naked_asm!(
        "push rbx",
        "mov rbx, rdi",
        "mov r11, rsi",
        "mov rdi, qword ptr [rbx]",
        "mov rsi, qword ptr [rbx + 8]",
        "mov rdx, qword ptr [rbx + 16]",
        "mov rcx, qword ptr [rbx + 24]",
        "mov r8, qword ptr [rbx + 32]",
        "mov r9, qword ptr [rbx + 40]",
        "xor eax, eax",
        "call r11",
        "mov qword ptr [rbx + 112], rax",
        "mov qword ptr [rbx + 120], rdx",
        "movq qword ptr [rbx + 128], xmm0",
        "movq qword ptr [rbx + 136], xmm1",
        "pop rbx",
        "ret",
    );
}

const _: () = assert!(std::mem::offset_of!(Frame, args) == 0);
const _: () = assert!(std::mem::offset_of!(Frame, ret) == 112);

/// Hands out argument registers in order.
struct Alloc {
    gpr: u8,
    sse: u8,
}

impl Alloc {
    fn gpr(&mut self) -> Option<Reg> {
        (usize::from(self.gpr) < GPRS).then(|| {
            self.gpr += 1;
            Reg::Gpr(self.gpr - 1)
        })
    }

    fn sse(&mut self) -> Option<Reg> {
        (usize::from(self.sse) < SSES).then(|| {
            self.sse += 1;
            Reg::Sse(self.sse - 1)
        })
    }
}

impl RegPlan {
    /// The plan for a signature, or `None` when any part of it needs the
    /// stack, the x87 unit, or plans are disabled.
    pub(crate) fn new(args: &[(CType, ArgConv)], ret: &RetConv) -> Option<RegPlan> {
        if !*ENABLED {
            return None;
        }
        let mut alloc = Alloc { gpr: 0, sse: 0 };
        let ret = match ret {
            RetConv::Void => RetPlan::Void,
            RetConv::Scalar(Scalar::LongDouble) => return None,
            RetConv::Scalar(s) if s.is_plain_int() => RetPlan::Int {
                shift: 64 - 8 * s.size() as u32,
                signed: s.is_signed(),
            },
            RetConv::Scalar(s) => RetPlan::Scalar(*s),
            RetConv::Pointer(ty) => RetPlan::Pointer(ty.clone()),
            RetConv::Aggregate(ty) => match classify_aggregate(ty) {
                None => {
                    alloc.gpr()?; // the hidden pointer takes rdi
                    RetPlan::Memory(ty.clone())
                }
                Some(classes) => RetPlan::InRegs(ty.clone(), eightbytes(&classes)?),
            },
        };
        let mut plans = Vec::with_capacity(args.len());
        for (ty, conv) in args {
            plans.push(match conv {
                ArgConv::Scalar(Scalar::LongDouble) => return None,
                ArgConv::Scalar(s) => {
                    let bits = 8 * s.size() as u32;
                    let (fast, reg) = match s {
                        Scalar::F32 => (Fast::F32, alloc.sse()?),
                        Scalar::F64 => (Fast::F64, alloc.sse()?),
                        s if s.is_plain_int() && s.is_signed() => {
                            (Fast::Signed(bits), alloc.gpr()?)
                        }
                        s if s.is_plain_int() => (Fast::Unsigned(bits), alloc.gpr()?),
                        _ => (Fast::Other, alloc.gpr()?),
                    };
                    ArgPlan::Scalar(*s, fast, reg.index())
                }
                ArgConv::Pointer | ArgConv::FnPtr => ArgPlan::Pointer(alloc.gpr()?.index()),
                ArgConv::Aggregate | ArgConv::Empty => {
                    let classes = classify_aggregate(ty)?;
                    let mut regs = [None; 2];
                    for (slot, class) in regs.iter_mut().zip(eightbytes(&classes)?) {
                        *slot = match class {
                            Some(Class::Integer) => Some(alloc.gpr()?.index()),
                            Some(Class::Sse) => Some(alloc.sse()?.index()),
                            _ => None,
                        };
                    }
                    ArgPlan::Aggregate {
                        size: ty.size(),
                        regs,
                    }
                }
            });
        }
        Some(RegPlan {
            args: plans.into_boxed_slice(),
            ret,
            stub: if alloc.sse == 0 {
                call_stub_gpr
            } else {
                call_stub
            },
        })
    }

    /// Converts `values` into registers, calls `code`, decodes the result.
    ///
    /// # Safety
    /// `code` must be a function with the signature this plan was made for,
    /// and calling it with these arguments must be sound.
    #[inline(always)]
    pub(crate) unsafe fn call(
        &self,
        function: &str,
        params: &[(CType, ArgConv)],
        code: usize,
        values: &[Value],
        use_errno: bool,
    ) -> Result<Value> {
        let mut frame = Frame {
            args: [0; GPRS + SSES],
            ret: [0; 4],
        };
        // What converted arguments point into (strings rctypes copied) must
        // outlive the call; nothing is allocated unless one does.
        let mut keeps = KeepList::default();
        let n = self.args.len().min(values.len()).min(params.len());
        for i in 0..n {
            place(
                &mut frame,
                &self.args[i],
                &params[i].0,
                &values[i],
                &mut keeps,
            )
            .map_err(|e| e.at_argument(function, i))?;
        }
        if let RetPlan::Memory(ty) = &self.ret {
            // SAFETY: forwarded from the caller.
            return unsafe { self.call_to_memory(ty, &mut frame, code, use_errno) };
        }
        // SAFETY: forwarded from the caller; the frame holds every argument.
        unsafe { self.run(&mut frame, code, use_errno) };
        // `keeps` lives to the end: a result may point into an argument's
        // copy (a function that returns its `char *` argument).
        let [rax, rdx, xmm0, xmm1] = frame.ret;
        match &self.ret {
            RetPlan::Void => Ok(Value::Void),
            // the register holds a narrow value in its low bytes
            RetPlan::Int {
                shift,
                signed: true,
            } => Ok(Value::Int(((rax << shift) as i64) >> shift)),
            RetPlan::Int {
                shift,
                signed: false,
            } => Ok(Value::UInt((rax << shift) >> shift)),
            RetPlan::Scalar(Scalar::F64) => Ok(Value::Float(f64::from_bits(xmm0))),
            RetPlan::Scalar(Scalar::F32) => {
                Ok(Value::Float(f64::from(f32::from_bits(xmm0 as u32))))
            }
            RetPlan::Scalar(s) => {
                let bits = rax;
                let bytes = bits.to_ne_bytes();
                // SAFETY: `bytes` holds the register; a char * / wchar_t *
                // result is NULL or a string (the caller vouched for it).
                unsafe { codec::decode_scalar(*s, bytes.as_ptr(), true) }
            }
            RetPlan::Pointer(ty) => Ok(Value::Data(CData::from_bytes(ty, &rax.to_ne_bytes())?)),
            RetPlan::InRegs(ty, classes) => {
                // INTEGER eightbytes come back in rax then rdx, SSE ones in
                // xmm0 then xmm1, each in order of appearance.
                let (mut ints, mut sses) = ([rax, rdx].into_iter(), [xmm0, xmm1].into_iter());
                let mut bytes = [0u8; 16];
                for (chunk, class) in bytes.chunks_mut(8).zip(classes) {
                    let word = match class {
                        Some(Class::Integer) => ints.next().unwrap_or(0),
                        Some(Class::Sse) => sses.next().unwrap_or(0),
                        _ => 0,
                    };
                    chunk.copy_from_slice(&word.to_ne_bytes());
                }
                Ok(Value::Data(CData::from_bytes(ty, &bytes)?))
            }
            RetPlan::Memory(_) => Err(Error::Ffi {
                function: function.to_owned(),
                message: "internal: a structure returned in memory took the register path".into(),
            }),
        }
    }

    /// For a callee (a callback entered through a thunk): points
    /// `avalues[i]` at argument `i` as it arrived in `frame`, libffi-style
    /// (structures are reassembled in `scratch`), and returns where the
    /// result must be written: the hidden pointer for a structure returned
    /// in memory, `buf` otherwise.
    pub(crate) fn callee_args(
        &self,
        frame: &mut Frame,
        scratch: &mut [[u64; 2]; MAX_ARGS],
        avalues: &mut [*mut std::ffi::c_void; MAX_ARGS],
        buf: &mut [u64; 2],
    ) -> *mut std::ffi::c_void {
        for (i, plan) in self.args.iter().enumerate().take(MAX_ARGS) {
            avalues[i] = match *plan {
                // a scalar's bytes are the low bytes of its register slot
                ArgPlan::Scalar(_, _, at) | ArgPlan::Pointer(at) => {
                    (&raw mut frame.args[at]).cast()
                }
                ArgPlan::Aggregate { regs, .. } => {
                    for (word, at) in scratch[i].iter_mut().zip(regs) {
                        *word = at.map_or(0, |at| frame.args[at]);
                    }
                    scratch[i].as_mut_ptr().cast()
                }
            };
        }
        match self.ret {
            RetPlan::Memory(_) => frame.args[0] as *mut std::ffi::c_void,
            _ => buf.as_mut_ptr().cast(),
        }
    }

    /// For a callee: moves the result the closure wrote (see
    /// [`callee_args`](RegPlan::callee_args)) into the return registers.
    pub(crate) fn callee_result(&self, frame: &mut Frame, buf: &[u64; 2]) {
        frame.ret = [0; 4];
        match &self.ret {
            RetPlan::Void => {}
            RetPlan::Scalar(Scalar::F32 | Scalar::F64) => frame.ret[2] = buf[0],
            RetPlan::Int { .. } | RetPlan::Scalar(_) | RetPlan::Pointer(_) => frame.ret[0] = buf[0],
            RetPlan::InRegs(_, classes) => {
                let (mut int, mut sse) = (0, 2);
                for (word, class) in buf.iter().zip(classes) {
                    match class {
                        Some(Class::Integer) => {
                            frame.ret[int] = *word;
                            int += 1;
                        }
                        Some(Class::Sse) => {
                            frame.ret[sse] = *word;
                            sse += 1;
                        }
                        _ => {}
                    }
                }
            }
            // the ABI returns the hidden pointer in rax
            RetPlan::Memory(_) => frame.ret[0] = frame.args[0],
        }
    }

    /// Calls the stub, inside the errno swap when asked.
    ///
    /// # Safety
    /// The frame holds every argument in the register the signature assigns
    /// it, and `code` has this plan's signature.
    #[inline(always)]
    unsafe fn run(&self, frame: &mut Frame, code: usize, use_errno: bool) {
        let frame: *mut Frame = frame;
        if use_errno {
            let (real, private) = (errno::location(), errno::private());
            // SAFETY: this thread's errno pointers; the call's requirements
            // are forwarded from the caller.
            unsafe {
                errno::swap(real, private);
                (self.stub)(frame, code);
                errno::swap(real, private);
            }
        } else {
            // SAFETY: forwarded from the caller.
            unsafe { (self.stub)(frame, code) };
        }
    }

    /// The call for a structure returned through a hidden pointer: `rdi`
    /// carries the address of a fresh instance, which C fills.
    ///
    /// # Safety
    /// As [`RegPlan::run`]; `frame.args[0]` is reserved for the pointer.
    #[cold]
    unsafe fn call_to_memory(
        &self,
        ty: &CType,
        frame: &mut Frame,
        code: usize,
        use_errno: bool,
    ) -> Result<Value> {
        let d = CData::try_new(ty)?;
        frame.args[0] = d.address() as u64;
        // SAFETY: forwarded from the caller; the instance holds `size` bytes
        // for C to write.
        unsafe { self.run(frame, code, use_errno) };
        Ok(Value::Data(d))
    }
}

/// Up to two eightbyte classes, or `None` for anything but INTEGER, SSE and
/// padding (x87 results, more than 16 bytes).
fn eightbytes(classes: &[Class]) -> Option<[Option<Class>; 2]> {
    if classes.len() > 2 {
        return None;
    }
    let mut out = [None; 2];
    for (slot, class) in out.iter_mut().zip(classes) {
        *slot = match class {
            Class::Integer | Class::Sse => Some(*class),
            Class::Empty => None,
            Class::X87 | Class::X87Up | Class::Memory => return None,
        };
    }
    Some(out)
}

/// Converts one value into its registers.
#[inline(always)]
fn place(
    frame: &mut Frame,
    plan: &ArgPlan,
    ty: &CType,
    v: &Value,
    keeps: &mut KeepList,
) -> std::result::Result<(), ConvError> {
    match *plan {
        ArgPlan::Scalar(s, fast, at) => {
            // the commonest kinds inline, dispatched on what the plan
            // precomputed (measured: ~5 instructions an argument less than
            // dispatching on the type here); `scalar_word` has the same
            // rules, decides the rest, and the codec reports the errors
            let word = match (fast, v) {
                (Fast::Signed(bits), Value::Int(i)) if codec::fits_signed(*i, bits) => {
                    Some(*i as u64)
                }
                (Fast::Unsigned(bits), Value::UInt(u)) if codec::fits_unsigned(*u, bits) => {
                    Some(*u)
                }
                (Fast::Unsigned(bits), Value::Int(i))
                    if *i >= 0 && codec::fits_unsigned(*i as u64, bits) =>
                {
                    Some(*i as u64)
                }
                (Fast::F64, Value::Float(x)) => Some(x.to_bits()),
                (Fast::F32, Value::Float(x)) => {
                    let f = *x as f32;
                    (!f.is_infinite() || x.is_infinite()).then_some(u64::from(f.to_bits()))
                }
                _ => codec::scalar_word(s, v),
            };
            frame.args[at] = match word {
                Some(word) => word,
                None => general_word(s, ty, v, keeps)?,
            };
        }
        ArgPlan::Pointer(at) => {
            let (addr, _) = codec::pointer_target(ty, v, false)?;
            frame.args[at] = addr as u64;
        }
        ArgPlan::Aggregate { size, regs } => {
            let d = match v {
                Value::Data(d) if d.ctype() == ty => d,
                _ => return Err(codec::aggregate_mismatch(ty, v)),
            };
            d.check_readable("passing")
                .map_err(|e| ConvError::new(ty.to_string(), v.describe(), e.to_string()))?;
            let mut bytes = [0u8; 16];
            // SAFETY: the instance holds `size <= 16` readable bytes.
            unsafe { std::ptr::copy_nonoverlapping(d.ptr(), bytes.as_mut_ptr(), size) };
            for (chunk, at) in bytes.chunks(8).zip(regs) {
                if let Some(at) = at {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(chunk);
                    frame.args[at] = u64::from_ne_bytes(word);
                }
            }
        }
    }
    Ok(())
}

/// The codec's general path: every conversion rule, and every error.
#[cold]
fn general_word(
    s: Scalar,
    ty: &CType,
    v: &Value,
    keeps: &mut KeepList,
) -> std::result::Result<u64, ConvError> {
    let mut tmp = [0u8; 16];
    // SAFETY: `tmp` has room for every fundamental type.
    let keep = unsafe { codec::encode_scalar(s, ty, v, tmp.as_mut_ptr()) }?;
    if keep.is_copy() {
        keeps.push(keep);
    }
    Ok(codec::widen(
        &tmp[..s.size()],
        s.is_integer() && s.is_signed(),
    ))
}
