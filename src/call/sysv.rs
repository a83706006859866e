//! The x86-64 System V call plan: where each argument and the result of a
//! signature travel, decided once, and the assembly that makes the call.
//!
//! [`Layout::new`] assigns every argument to registers or to the stack area
//! by the ABI's rules (§3.2.3: INTEGER eightbytes to the six general
//! registers, SSE eightbytes to the eight vector registers, MEMORY-class
//! aggregates, `long double` and what does not fit to the stack, an
//! aggregate result in MEMORY through a hidden pointer in `rdi`) and says
//! where the result comes back (`rax`/`rdx`, `xmm0`/`xmm1`, the x87 stack,
//! or the hidden pointer). A call fills a [`Regs`] and a stack area from the
//! values, and one of three stubs loads the registers, copies the stack
//! area, calls, and stores the result registers back (LuaJIT's C calls and
//! libffi 3.8's call plans work the same way). A callback entered through a
//! thunk reads its arguments from a [`Regs`] filled by the entry, through
//! the same layout.

use std::arch::naked_asm;
use std::mem::MaybeUninit;

use crate::ctype::ffi::sysv::{Class, classify_aggregate};
use crate::ctype::scalar::{LONG_DOUBLE, LongDoubleFormat};
use crate::ctype::{CType, Scalar};

pub(crate) const GPRS: usize = 6;
pub(crate) const SSES: usize = 8;

/// The largest alignment of a by-value argument on the stack: the stub
/// aligns the stack area to this.
pub(crate) const MAX_STACK_ALIGN: usize = 64;

/// Where one eightbyte of an argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// A general register, 0..6 (rdi, rsi, rdx, rcx, r8, r9).
    Gpr(u8),
    /// The low 64 bits of a vector register, 0..8.
    Sse(u8),
    /// A word of the stack area, by index.
    Stack(u32),
}

/// How an argument travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// One eightbyte: a word image (a scalar or an address).
    Word(Loc),
    /// Two eightbytes in two locations (`double _Complex` in two vector
    /// registers, an aggregate of up to 16 bytes in registers; `None` is an
    /// eightbyte of padding, passed nowhere).
    Pair([Option<Loc>; 2]),
    /// `size` bytes copied into the stack area from word `word` on.
    Stack { word: u32, size: u32 },
    /// Nothing: a structure of size 0.
    Nothing,
}

/// Where the result comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetPlace {
    /// `void`.
    Void,
    /// A word in `rax`.
    Rax,
    /// A word in `xmm0`.
    Xmm0,
    /// Up to two eightbytes: INTEGER ones in `rax` then `rdx`, SSE ones in
    /// `xmm0` then `xmm1`, in order; `None` is padding.
    Pair([Option<Class>; 2]),
    /// On the x87 stack: one value in `st(0)` (`long double`, a structure
    /// holding only one) or two (`long double _Complex`: `st(0)`, `st(1)`).
    X87(u8),
    /// Written by the callee through a hidden pointer passed in `rdi`, and
    /// returned in `rax`.
    Memory,
}

/// What the stubs and the thunk entry read and write. The layout is fixed:
/// the assembly uses these offsets.
///
/// The register words are `MaybeUninit`: a call writes only the registers
/// its arguments use (the stub loads the others as they are, and the callee
/// ignores them), so nothing is zeroed per call.
#[repr(C)]
pub(crate) struct Regs {
    /// rdi, rsi, rdx, rcx, r8, r9, then the low 64 bits of xmm0..xmm7.
    args: [MaybeUninit<u64>; GPRS + SSES],
    /// rax, rdx, xmm0, xmm1 after the call (written by the stub, or by a
    /// callback's body before its entry returns).
    ret: [MaybeUninit<u64>; 4],
    /// st(0) and st(1) as 80-bit values in 16-byte slots.
    x87: [MaybeUninit<u64>; 4],
    /// The stack area: words copied below the return address (calls), or
    /// where the caller put them (callbacks).
    pub(crate) stack: *const u64,
    /// How many words the stack area has (calls).
    pub(crate) words: usize,
    /// How many x87 values the result has (0, 1 or 2).
    pub(crate) x87n: u64,
    _pad: u64,
}

const _: () = assert!(std::mem::offset_of!(Regs, ret) == 112);
const _: () = assert!(std::mem::offset_of!(Regs, x87) == 144);
const _: () = assert!(std::mem::offset_of!(Regs, stack) == 176);
const _: () = assert!(std::mem::offset_of!(Regs, words) == 184);
const _: () = assert!(std::mem::offset_of!(Regs, x87n) == 192);
const _: () = assert!(size_of::<Regs>() == 208);

impl Loc {
    /// The register's word in [`Regs`], for register locations.
    #[inline(always)]
    fn reg(self) -> Option<usize> {
        match self {
            Loc::Gpr(i) => Some(usize::from(i)),
            Loc::Sse(i) => Some(GPRS + usize::from(i)),
            Loc::Stack(_) => None,
        }
    }
}

impl Regs {
    /// Registers with nothing written yet (nothing is zeroed), for a call
    /// with this stack area and this many x87 results. (The three fields
    /// are given here rather than zeroed and set: zero stores next to the
    /// uninitialised words let the compiler merge them all into one memset.)
    #[inline(always)]
    pub(crate) fn new(stack: *const u64, words: usize, x87n: u64) -> Regs {
        Regs {
            args: [MaybeUninit::uninit(); GPRS + SSES],
            ret: [MaybeUninit::uninit(); 4],
            x87: [MaybeUninit::uninit(); 4],
            stack,
            words,
            x87n,
            _pad: 1,
        }
    }

    /// Writes the register at `loc` (stack locations have none).
    #[inline(always)]
    pub(crate) fn set(&mut self, loc: Loc, w: u64) {
        if let Some(slot) = loc.reg().and_then(|i| self.args.get_mut(i)) {
            slot.write(w);
        }
    }

    /// The word at `loc`, reading stack words from the area at `stack`.
    ///
    /// # Safety
    /// The register at `loc` was written (a callback's entry writes them
    /// all); for a stack location, `stack` must be readable at that word.
    #[inline(always)]
    pub(crate) unsafe fn read(&self, loc: Loc) -> u64 {
        match loc.reg() {
            // SAFETY: forwarded from the caller.
            Some(i) => self.args.get(i).map_or(0, |w| unsafe { w.assume_init() }),
            None => match loc {
                // SAFETY: forwarded from the caller.
                Loc::Stack(w) => unsafe { self.stack.add(w as usize).read_unaligned() },
                _ => 0,
            },
        }
    }

    /// The result register `rax`.
    ///
    /// # Safety
    /// A stub has run (every stub stores `rax`), or
    /// [`set_ret`](Regs::set_ret) was called.
    #[inline(always)]
    pub(crate) unsafe fn rax(&self) -> u64 {
        // SAFETY: forwarded from the caller.
        unsafe { self.ret[0].assume_init() }
    }

    /// The result registers: rax, rdx, xmm0, xmm1.
    ///
    /// # Safety
    /// A stub that stores all four has run (every stub but
    /// [`Stub::Ints`]), or [`set_ret`](Regs::set_ret) was called.
    #[inline(always)]
    pub(crate) unsafe fn ret(&self) -> [u64; 4] {
        // SAFETY: forwarded from the caller.
        self.ret.map(|w| unsafe { w.assume_init() })
    }

    /// Sets the result registers.
    #[inline(always)]
    pub(crate) fn set_ret(&mut self, ret: [u64; 4]) {
        self.ret = ret.map(MaybeUninit::new);
    }

    /// The x87 results (st(0), st(1)).
    ///
    /// # Safety
    /// The stub popped them (`x87n` values), or
    /// [`set_x87`](Regs::set_x87) was called.
    pub(crate) unsafe fn x87(&self) -> [u64; 4] {
        let n = self.x87n.min(2) as usize * 2;
        let mut out = [0; 4];
        for (o, w) in out.iter_mut().zip(&self.x87).take(n) {
            // SAFETY: forwarded from the caller.
            *o = unsafe { w.assume_init() };
        }
        out
    }

    /// Sets the x87 results.
    pub(crate) fn set_x87(&mut self, x87: [u64; 4]) {
        self.x87 = x87.map(MaybeUninit::new);
    }

    /// The hidden pointer of a structure returned in memory, as it arrived
    /// in `rdi` (callbacks).
    ///
    /// # Safety
    /// The register was written (a callback's entry writes them all).
    pub(crate) unsafe fn gpr0(&self) -> u64 {
        // SAFETY: forwarded from the caller.
        unsafe { self.args[0].assume_init() }
    }
}

/// A signature's placement, computed once.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Per argument.
    pub(crate) args: Box<[Place]>,
    pub(crate) ret: RetPlace,
    /// Words in the stack area.
    pub(crate) words: u32,
    /// Which stub makes the call.
    pub(crate) stub: Stub,
    /// Its code (`stub.code()`, looked up once).
    pub(crate) stub_code: unsafe extern "C" fn(*mut Regs, usize),
}

/// The three stubs, from the cheapest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stub {
    /// `n` integer arguments in the first `n` general registers and an
    /// integer (or no) result in `rax`: the leanest call, which loads and
    /// stores only those.
    Ints(u8),
    /// General registers only.
    Gpr,
    /// General and vector registers.
    Regs,
    /// Anything: a stack area, x87 results.
    General,
}

/// The ABI class of a parameter or result, as far as placement goes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    /// A fundamental type.
    Scalar(Scalar),
    /// A data or code pointer (`POINTER(T)`, a function pointer, an array
    /// parameter).
    Address,
    /// A structure or union.
    Aggregate,
}

/// Hands out argument registers in order.
struct Alloc {
    gpr: u8,
    sse: u8,
    /// Next free byte of the stack area.
    stack: usize,
}

impl Alloc {
    /// Whether `gprs` general and `sses` vector registers are still free.
    fn fits(&self, gprs: usize, sses: usize) -> bool {
        usize::from(self.gpr) + gprs <= GPRS && usize::from(self.sse) + sses <= SSES
    }

    fn gpr(&mut self) -> Loc {
        self.gpr += 1;
        Loc::Gpr(self.gpr - 1)
    }

    fn sse(&mut self) -> Loc {
        self.sse += 1;
        Loc::Sse(self.sse - 1)
    }

    /// A stack slot of `size` bytes aligned to `align` (at least 8, at most
    /// [`MAX_STACK_ALIGN`], to which the stub aligns the area).
    fn stack(&mut self, size: usize, align: usize) -> Option<(u32, u32)> {
        let align = align.max(8);
        if align > MAX_STACK_ALIGN {
            return None;
        }
        let at = self.stack.checked_add(align - 1)? & !(align - 1);
        self.stack = at.checked_add(size.checked_add(7)? & !7)?;
        Some((u32::try_from(at / 8).ok()?, u32::try_from(size).ok()?))
    }

    fn stack_word(&mut self) -> Option<Loc> {
        self.stack(8, 8).map(|(w, _)| Loc::Stack(w))
    }
}

/// Why a signature has no layout: only what the ABI or the stub cannot do.
pub(crate) type Refusal = String;

impl Layout {
    /// The placement of a signature. `args` are the parameters' types and
    /// shapes (variadic arguments are placed like fixed ones, after the
    /// default promotions: the callee finds them where the ABI says).
    pub(crate) fn new(
        args: &[(CType, Shape)],
        ret: Option<(CType, Shape)>,
    ) -> Result<Layout, Refusal> {
        let mut alloc = Alloc {
            gpr: 0,
            sse: 0,
            stack: 0,
        };
        let mut x87 = false;
        let ret = match &ret {
            None => RetPlace::Void,
            Some((ty, shape)) => {
                let place = ret_place(ty, *shape);
                match place {
                    RetPlace::Memory => {
                        alloc.gpr(); // the hidden pointer takes rdi
                    }
                    RetPlace::X87(_) => x87 = true,
                    _ => {}
                }
                place
            }
        };
        let mut places = Vec::with_capacity(args.len());
        for (ty, shape) in args {
            places.push(arg_place(&mut alloc, ty, *shape).ok_or_else(|| {
                format!(
                    "{ty} cannot be placed on the stack (aligned to {} bytes; at most \
                     {MAX_STACK_ALIGN} are supported), or the argument area would overflow",
                    ty.align()
                )
            })?);
        }
        let words = u32::try_from(alloc.stack / 8)
            .map_err(|_| "the arguments take more stack than a call can have".to_owned())?;
        let stub = if words > 0 || x87 {
            Stub::General
        } else if alloc.sse > 0 || ret_uses_sse(&ret) {
            Stub::Regs
        } else if matches!(ret, RetPlace::Rax | RetPlace::Void) {
            Stub::Ints(alloc.gpr)
        } else {
            Stub::Gpr
        };
        Ok(Layout {
            args: places.into_boxed_slice(),
            ret,
            words,
            stub,
            stub_code: stub.code(),
        })
    }

    /// For a direct typed entry: when every argument is one register and
    /// the result is in `rax`/`xmm0` (or void), the number of general
    /// registers the arguments use, if one is left over for the entry's
    /// trailing context pointer.
    pub(crate) fn free_gpr(&self) -> Option<u8> {
        if self.words != 0 || !matches!(self.ret, RetPlace::Rax | RetPlace::Xmm0 | RetPlace::Void) {
            return None;
        }
        let mut gprs = 0u8;
        for place in &self.args {
            match place {
                Place::Word(Loc::Gpr(_)) => gprs += 1,
                Place::Word(Loc::Sse(_)) => {}
                _ => return None,
            }
        }
        (gprs < 6).then_some(gprs)
    }

    /// How many x87 values the result has.
    pub(crate) fn x87_results(&self) -> u64 {
        match self.ret {
            RetPlace::X87(n) => u64::from(n),
            _ => 0,
        }
    }
}

fn ret_uses_sse(ret: &RetPlace) -> bool {
    matches!(ret, RetPlace::Xmm0)
        || matches!(ret, RetPlace::Pair(c) if c.contains(&Some(Class::Sse)))
}

/// The eightbyte classes of a scalar passed by value.
fn scalar_classes(s: Scalar) -> Option<[Option<Class>; 2]> {
    match s {
        Scalar::F32 | Scalar::F64 | Scalar::ComplexF32 => Some([Some(Class::Sse), None]),
        Scalar::LongDouble if LONG_DOUBLE == LongDoubleFormat::Double => {
            Some([Some(Class::Sse), None])
        }
        Scalar::ComplexF64 => Some([Some(Class::Sse), Some(Class::Sse)]),
        // memory as an argument; the x87 stack as a result
        Scalar::LongDouble | Scalar::ComplexLongDouble => None,
        _ => Some([Some(Class::Integer), None]),
    }
}

/// The eightbyte classes of an aggregate of at most 16 bytes passed in
/// registers, or `None` for MEMORY (and for a lone `long double`, X87).
fn aggregate_classes(ty: &CType) -> Option<[Option<Class>; 2]> {
    let classes = classify_aggregate(ty)?;
    if classes.len() > 2 {
        return None;
    }
    let mut out = [None; 2];
    for (slot, class) in out.iter_mut().zip(&classes) {
        *slot = match class {
            Class::Integer | Class::Sse => Some(*class),
            Class::Empty => None,
            Class::X87 | Class::X87Up | Class::Memory => return None,
        };
    }
    Some(out)
}

fn arg_place(alloc: &mut Alloc, ty: &CType, shape: Shape) -> Option<Place> {
    let size = ty.size();
    if size == 0 && matches!(shape, Shape::Aggregate) {
        return Some(Place::Nothing);
    }
    let classes = match shape {
        Shape::Address => Some([Some(Class::Integer), None]),
        Shape::Scalar(s) => scalar_classes(s),
        Shape::Aggregate => aggregate_classes(ty),
    };
    let Some(classes) = classes else {
        let (word, size) = alloc.stack(size, ty.align())?;
        return Some(Place::Stack { word, size });
    };
    let need = |c| classes.iter().filter(|x| **x == Some(c)).count();
    let (gprs, sses) = (need(Class::Integer), need(Class::Sse));
    let single = !matches!(shape, Shape::Aggregate) && classes[1].is_none();
    if !alloc.fits(gprs, sses) {
        // the whole argument goes on the stack
        if single {
            return Some(Place::Word(alloc.stack_word()?));
        }
        let (word, size) = alloc.stack(size, ty.align())?;
        return Some(Place::Stack { word, size });
    }
    let mut locs = [None; 2];
    for (loc, class) in locs.iter_mut().zip(classes) {
        *loc = match class {
            Some(Class::Integer) => Some(alloc.gpr()),
            Some(Class::Sse) => Some(alloc.sse()),
            _ => None,
        };
    }
    Some(match (single, locs) {
        (true, [Some(loc), None]) => Place::Word(loc),
        _ => Place::Pair(locs),
    })
}

fn ret_place(ty: &CType, shape: Shape) -> RetPlace {
    match shape {
        Shape::Address => RetPlace::Rax,
        Shape::Scalar(s) => match s {
            Scalar::LongDouble if LONG_DOUBLE == LongDoubleFormat::X87 => RetPlace::X87(1),
            Scalar::ComplexLongDouble => RetPlace::X87(2),
            Scalar::ComplexF64 => RetPlace::Pair([Some(Class::Sse), Some(Class::Sse)]),
            s => match scalar_classes(s) {
                Some([Some(Class::Sse), None]) => RetPlace::Xmm0,
                _ => RetPlace::Rax,
            },
        },
        Shape::Aggregate => {
            if ty.size() == 0 {
                return RetPlace::Void;
            }
            match classify_aggregate(ty).as_deref() {
                Some([Class::X87, Class::X87Up]) => RetPlace::X87(1),
                _ => match aggregate_classes(ty) {
                    Some(classes) => RetPlace::Pair(classes),
                    None => RetPlace::Memory,
                },
            }
        }
    }
}

/// Calls `code` with the six general-register arguments as given and
/// returns its `rax`, by jumping to it: the arguments are already where the
/// callee reads them, and it returns straight to the caller (the seventh
/// argument, `code`, is the caller's stack word, which the callee ignores).
///
/// # Safety
/// `code` must be a function that takes integer arguments only, in at most
/// the six general registers (the others are ignored), is not variadic,
/// and returns an integer, a pointer or nothing in `rax`.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn call_gprs(
    a: u64,
    b: u64,
    c: u64,
    d: u64,
    e: u64,
    f: u64,
    code: usize,
) -> u64 {
    // Entry: [rsp] is the return address, [rsp + 8] the seventh argument.
    naked_asm!("jmp qword ptr [rsp + 8]");
}

/// Loads the general registers from `regs`, calls `code`, stores `rax`,
/// `rdx`, `xmm0` and `xmm1` back.
///
/// # Safety
/// `regs` must be valid for reads and writes; `code` must be a function
/// whose signature takes its arguments in exactly the general registers
/// `regs` fills (no vector registers, no stack, no x87 result).
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn stub_gpr(regs: *mut Regs, code: usize) {
    // Entry: rsp = 8 mod 16. Pushing rbx (callee-saved, it keeps `regs`
    // across the call) makes it 0 mod 16, as `call` requires.
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
        // al: an upper bound on the vector registers used (variadic callees)
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

/// [`stub_gpr`] with the vector registers loaded too.
///
/// # Safety
/// As [`stub_gpr`], for signatures in general and vector registers.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn stub_regs(regs: *mut Regs, code: usize) {
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

/// The general stub: copies `regs.words` words from `regs.stack` to the
/// stack below the return address (aligned to [`MAX_STACK_ALIGN`]), loads
/// every argument register, calls, stores the result registers, and pops
/// `regs.x87n` values off the x87 stack into `regs.x87`.
///
/// # Safety
/// `regs` must be valid for reads and writes, `regs.stack` readable for
/// `regs.words` words; `code` must be a function whose signature takes its
/// arguments exactly where they were placed and returns `regs.x87n` values
/// on the x87 stack.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn stub_general(regs: *mut Regs, code: usize) {
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "mov rbx, rdi",
        "mov r12, rsi",
        // the stack area, aligned for over-aligned arguments
        "mov rcx, qword ptr [rbx + 184]",
        "lea rax, [rcx * 8]",
        "sub rsp, rax",
        "and rsp, -64",
        "mov rsi, qword ptr [rbx + 176]",
        "mov rdi, rsp",
        "rep movsq",
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
        "mov eax, 8",
        "call r12",
        "mov qword ptr [rbx + 112], rax",
        "mov qword ptr [rbx + 120], rdx",
        "movq qword ptr [rbx + 128], xmm0",
        "movq qword ptr [rbx + 136], xmm1",
        "mov rcx, qword ptr [rbx + 192]",
        "test rcx, rcx",
        "jz 2f",
        "fstp tbyte ptr [rbx + 144]",
        "cmp rcx, 1",
        "je 2f",
        "fstp tbyte ptr [rbx + 160]",
        "2:",
        "lea rsp, [rbp - 16]",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    );
}

/// The stubs of [`Stub::Ints`]: load the first `n` general registers, call,
/// store `rax`.
macro_rules! int_stubs {
    ($($name:ident: $($load:literal),*;)*) => {$(
        /// Loads the general registers the arguments use, calls `code`,
        /// stores `rax` (see [`Stub::Ints`]).
        ///
        /// # Safety
        /// As [`stub_gpr`], for a signature of integer arguments in exactly
        /// these registers and a result in `rax` (or none); only `rax` is
        /// stored back.
        #[unsafe(naked)]
        unsafe extern "C" fn $name(regs: *mut Regs, code: usize) {
            naked_asm!(
                "push rbx",
                "mov rbx, rdi",
                "mov r11, rsi",
                $($load,)*
                "xor eax, eax",
                "call r11",
                "mov qword ptr [rbx + 112], rax",
                "pop rbx",
                "ret",
            );
        }
    )*};
}

int_stubs! {
    stub_ints0: ;
    stub_ints1: "mov rdi, qword ptr [rbx]";
    stub_ints2: "mov rdi, qword ptr [rbx]", "mov rsi, qword ptr [rbx + 8]";
    stub_ints3: "mov rdi, qword ptr [rbx]", "mov rsi, qword ptr [rbx + 8]",
        "mov rdx, qword ptr [rbx + 16]";
    stub_ints4: "mov rdi, qword ptr [rbx]", "mov rsi, qword ptr [rbx + 8]",
        "mov rdx, qword ptr [rbx + 16]", "mov rcx, qword ptr [rbx + 24]";
    stub_ints5: "mov rdi, qword ptr [rbx]", "mov rsi, qword ptr [rbx + 8]",
        "mov rdx, qword ptr [rbx + 16]", "mov rcx, qword ptr [rbx + 24]",
        "mov r8, qword ptr [rbx + 32]";
    stub_ints6: "mov rdi, qword ptr [rbx]", "mov rsi, qword ptr [rbx + 8]",
        "mov rdx, qword ptr [rbx + 16]", "mov rcx, qword ptr [rbx + 24]",
        "mov r8, qword ptr [rbx + 32]", "mov r9, qword ptr [rbx + 40]";
}

impl Stub {
    /// The stub's code.
    pub(crate) fn code(self) -> unsafe extern "C" fn(*mut Regs, usize) {
        match self {
            Stub::Ints(0) => stub_ints0,
            Stub::Ints(1) => stub_ints1,
            Stub::Ints(2) => stub_ints2,
            Stub::Ints(3) => stub_ints3,
            Stub::Ints(4) => stub_ints4,
            Stub::Ints(5) => stub_ints5,
            Stub::Ints(_) => stub_ints6,
            Stub::Gpr => stub_gpr,
            Stub::Regs => stub_regs,
            Stub::General => stub_general,
        }
    }

    /// Whether the stub stores only `rax` (not `rdx`, `xmm0`, `xmm1`).
    pub(crate) fn rax_only(self) -> bool {
        matches!(self, Stub::Ints(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(args: &[(CType, Shape)], ret: Option<(CType, Shape)>) -> Layout {
        Layout::new(args, ret).unwrap()
    }
    fn int() -> (CType, Shape) {
        (CType::c_int(), Shape::Scalar(Scalar::I32))
    }
    fn dbl() -> (CType, Shape) {
        (CType::c_double(), Shape::Scalar(Scalar::F64))
    }
    fn record(fields: &[CType]) -> (CType, Shape) {
        let ty = fields
            .iter()
            .enumerate()
            .fold(CType::structure("S"), |b, (i, t)| {
                b.field(format!("f{i}"), t.clone())
            })
            .build()
            .unwrap();
        (ty, Shape::Aggregate)
    }

    #[test]
    fn integers_then_the_stack() {
        let l = layout(&vec![int(); 8], Some(int()));
        assert_eq!(l.args[0], Place::Word(Loc::Gpr(0)));
        assert_eq!(l.args[5], Place::Word(Loc::Gpr(5)));
        assert_eq!(l.args[6], Place::Word(Loc::Stack(0)));
        assert_eq!(layout(&vec![int(); 2], Some(int())).stub, Stub::Ints(2));
        assert_eq!(l.args[7], Place::Word(Loc::Stack(1)));
        assert_eq!((l.words, l.ret, l.stub), (2, RetPlace::Rax, Stub::General));
    }

    #[test]
    fn doubles_fill_eight_vector_registers() {
        let l = layout(&vec![dbl(); 9], Some(dbl()));
        assert_eq!(l.args[7], Place::Word(Loc::Sse(7)));
        assert_eq!(l.args[8], Place::Word(Loc::Stack(0)));
        assert_eq!(l.ret, RetPlace::Xmm0);
        let l = layout(&[int(), dbl()], Some(int()));
        assert_eq!(l.stub, Stub::Regs);
    }

    #[test]
    fn aggregates() {
        let i = CType::c_int();
        let d = CType::c_double();
        // {int, int} in one register; {double, double} in two vector ones
        let l = layout(
            &[
                record(&[i.clone(), i.clone()]),
                record(&[d.clone(), d.clone()]),
            ],
            None,
        );
        assert_eq!(l.args[0], Place::Pair([Some(Loc::Gpr(0)), None]));
        assert_eq!(
            l.args[1],
            Place::Pair([Some(Loc::Sse(0)), Some(Loc::Sse(1))])
        );
        // 24 bytes: MEMORY, on the stack
        let big = record(&[d.clone(), d.clone(), d.clone()]);
        let l = layout(&[big.clone(), int()], Some(big.clone()));
        assert_eq!(l.args[0], Place::Stack { word: 0, size: 24 });
        assert_eq!(
            l.args[1],
            Place::Word(Loc::Gpr(1)),
            "rdi holds the hidden pointer"
        );
        assert_eq!(l.ret, RetPlace::Memory);
        // a 16-byte aggregate that no longer fits in registers goes whole
        // to the stack, and later scalars still take registers
        let mut args = vec![int(); 5];
        args.push(record(&[i.clone(), i.clone(), i.clone(), i.clone()]));
        args.push((CType::c_char_p(), Shape::Scalar(Scalar::CharP)));
        let l = layout(&args, None);
        assert_eq!(l.args[5], Place::Stack { word: 0, size: 16 });
        assert_eq!(l.args[6], Place::Word(Loc::Gpr(5)));
    }

    #[test]
    fn long_double_and_complex() {
        let ld = (CType::c_longdouble(), Shape::Scalar(Scalar::LongDouble));
        let l = layout(&[int(), ld.clone(), int()], Some(ld.clone()));
        assert_eq!(l.args[1], Place::Stack { word: 0, size: 16 });
        assert_eq!(l.args[2], Place::Word(Loc::Gpr(1)));
        assert_eq!((l.ret, l.x87_results()), (RetPlace::X87(1), 1));
        let cd = (CType::c_double_complex(), Shape::Scalar(Scalar::ComplexF64));
        let l = layout(&[cd.clone(), cd.clone()], Some(cd));
        assert_eq!(
            l.args[0],
            Place::Pair([Some(Loc::Sse(0)), Some(Loc::Sse(1))])
        );
        assert_eq!(l.ret, RetPlace::Pair([Some(Class::Sse), Some(Class::Sse)]));
        let cld = (
            CType::c_longdouble_complex(),
            Shape::Scalar(Scalar::ComplexLongDouble),
        );
        let l = layout(&[int(), cld.clone()], Some(cld));
        assert_eq!(l.args[1], Place::Stack { word: 0, size: 32 });
        assert_eq!(l.ret, RetPlace::X87(2));
        // a structure holding only a long double comes back in st(0)
        let only = record(&[CType::c_longdouble()]);
        assert_eq!(layout(&[], Some(only)).ret, RetPlace::X87(1));
    }

    #[test]
    fn padding_eightbytes_take_no_register() {
        let pad = CType::structure("PadInt")
            .field("c", CType::c_char())
            .align(16)
            .build()
            .unwrap();
        let l = layout(&[(pad, Shape::Aggregate), int()], None);
        assert_eq!(l.args[0], Place::Pair([Some(Loc::Gpr(0)), None]));
        assert_eq!(l.args[1], Place::Word(Loc::Gpr(1)));
    }

    #[test]
    fn over_aligned_stack_arguments() {
        let wide = CType::structure("A32")
            .field("x", CType::c_int())
            .align(32)
            .build()
            .unwrap();
        let l = layout(&[int(), (wide, Shape::Aggregate)], None);
        assert_eq!(l.args[1], Place::Stack { word: 0, size: 32 });
        let l = layout(
            &[
                (CType::c_longdouble(), Shape::Scalar(Scalar::LongDouble)),
                (CType::c_longdouble(), Shape::Scalar(Scalar::LongDouble)),
            ],
            None,
        );
        assert_eq!(l.args[1], Place::Stack { word: 2, size: 16 });
    }
}
