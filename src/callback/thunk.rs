//! The entry thunks: C enters a callback through one of a fixed pool of
//! thunks instead of a libffi closure, for every prototype the call plan
//! lays out.
//!
//! Each thunk is 16 bytes of code in the binary's text section
//! (`movl $slot, %r11d; jmp entry`), so nothing is generated at run time and
//! no writable-and-executable memory is needed. The common [`thunk_entry`]
//! spills the six integer and eight vector argument registers into a
//! [`Regs`] on its stack, points it at the caller's stack arguments, and
//! calls [`thunk_dispatch`], which finds the callback in the slot table and
//! runs it over that frame with the prototype's layout; the entry then
//! loads the result registers (and the x87 stack) from the frame.
//!
//! A callback that cannot use a thunk (every slot is taken, the plans are
//! off, or the target is not x86-64 System V) uses a libffi closure; both
//! entries run the same body.

use std::arch::{global_asm, naked_asm};
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use once_cell::sync::Lazy;

use super::{CallbackInner, Entered, Frame};
use crate::call::sysv::Regs;

/// How many callbacks can use a thunk at once (64 KiB of code).
const THUNKS: usize = 4096;

/// Which callback each thunk enters; null when the slot is free.
static SLOTS: [AtomicPtr<CallbackInner>; THUNKS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; THUNKS];

/// The free slots.
static FREE: Lazy<Mutex<Vec<u16>>> = Lazy::new(|| Mutex::new((0..THUNKS as u16).rev().collect()));

// The pool: thunk `i` starts at `__rctypes_thunk_table + 16 * i`, loads `i`
// into r11 (scratch, and not an argument register) and jumps to the entry.
global_asm!(
    ".pushsection .text.rctypes_thunks,\"ax\",@progbits",
    ".p2align 4",
    ".globl __rctypes_thunk_table",
    ".hidden __rctypes_thunk_table",
    "__rctypes_thunk_table:",
    ".set rctypes_thunk_index, 0",
    ".rept {n}",
    "movl $rctypes_thunk_index, %r11d",
    "jmp {entry}",
    ".p2align 4, 0xcc",
    ".set rctypes_thunk_index, rctypes_thunk_index + 1",
    ".endr",
    ".popsection",
    n = const THUNKS,
    entry = sym thunk_entry,
    options(att_syntax)
);

/// The address of thunk 0.
#[unsafe(naked)]
extern "C" fn table() -> usize {
    naked_asm!("lea rax, [rip + __rctypes_thunk_table]", "ret")
}

/// What every thunk jumps to, with the callback's slot in r11.
///
/// # Safety
/// Entered only from a thunk, by C calling a callback whose prototype the
/// call plan laid out.
#[unsafe(naked)]
unsafe extern "C" fn thunk_entry() {
    // Entry: rsp = 8 mod 16 (the caller's return address). After `push rbp`
    // it is 0 mod 16, and the 208-byte frame keeps it so for the call. The
    // caller's stack arguments start at rbp + 16.
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, 208",
        "mov qword ptr [rsp], rdi",
        "mov qword ptr [rsp + 8], rsi",
        "mov qword ptr [rsp + 16], rdx",
        "mov qword ptr [rsp + 24], rcx",
        "mov qword ptr [rsp + 32], r8",
        "mov qword ptr [rsp + 40], r9",
        "movq qword ptr [rsp + 48], xmm0",
        "movq qword ptr [rsp + 56], xmm1",
        "movq qword ptr [rsp + 64], xmm2",
        "movq qword ptr [rsp + 72], xmm3",
        "movq qword ptr [rsp + 80], xmm4",
        "movq qword ptr [rsp + 88], xmm5",
        "movq qword ptr [rsp + 96], xmm6",
        "movq qword ptr [rsp + 104], xmm7",
        "lea rax, [rbp + 16]",
        "mov qword ptr [rsp + 176], rax",
        "mov edi, r11d",
        "mov rsi, rsp",
        "call {dispatch}",
        // x87 results: st(1) first, so that st(0) ends on top
        "mov rcx, qword ptr [rsp + 192]",
        "test rcx, rcx",
        "jz 2f",
        "cmp rcx, 1",
        "je 3f",
        "fld tbyte ptr [rsp + 160]",
        "3:",
        "fld tbyte ptr [rsp + 144]",
        "2:",
        "mov rax, qword ptr [rsp + 112]",
        "mov rdx, qword ptr [rsp + 120]",
        "movq xmm0, qword ptr [rsp + 128]",
        "movq xmm1, qword ptr [rsp + 136]",
        "leave",
        "ret",
        dispatch = sym thunk_dispatch,
    );
}

/// Runs the callback in `slot` over the registers spilled into `regs`.
///
/// # Safety
/// Called by [`thunk_entry`] only, with a frame holding the argument
/// registers and the caller's stack pointer of a call to the callback in
/// `slot`.
unsafe extern "C" fn thunk_dispatch(slot: u32, regs: *mut Regs) {
    // SAFETY: the entry passes its own, live frame.
    let regs = unsafe { &mut *regs };
    let inner = SLOTS
        .get(slot as usize)
        .map_or(std::ptr::null_mut(), |s| s.load(Ordering::Acquire));
    if inner.is_null() {
        // a freed slot: C gets zero
        regs.x87n = 0;
        regs.set_ret([0; 4]);
        return;
    }
    // SAFETY: a slot holds a live callback's `CallbackInner` (the callback
    // clears it before freeing anything); C calling a freed callback breaks
    // the contract of the call that handed it over, and finds null here at
    // most. `callback` keeps it alive until this function returns, even if
    // the closure drops its last handle.
    let callback = unsafe { Entered::new(inner) };
    let Some(layout) = callback.shared.plan.layout() else {
        regs.x87n = 0;
        regs.set_ret([0; 4]);
        return;
    };
    regs.x87n = layout.x87_results();
    let mut frame = Frame::Regs(regs, layout);
    // SAFETY: the frame holds the arguments of a call of this prototype,
    // placed by its layout, and has room for the result (registers, the
    // x87 slots, or the caller's memory behind the hidden pointer).
    unsafe { super::invoke(&callback, &mut frame) };
}

/// A claimed thunk; releases its slot when dropped.
pub(super) struct Thunk {
    slot: u16,
}

impl Thunk {
    /// Claims a free thunk, or `None` when all are taken. It enters nothing
    /// until [`bind`](Thunk::bind) is called.
    pub(super) fn claim() -> Option<Thunk> {
        let slot = FREE.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
        Some(Thunk { slot })
    }

    /// Makes the thunk enter `callback`, which must stay where it is and
    /// alive until the thunk is dropped.
    pub(super) fn bind(&self, callback: *const CallbackInner) {
        SLOTS[usize::from(self.slot)].store(callback.cast_mut(), Ordering::Release);
    }

    /// The code address C calls.
    pub(super) fn address(&self) -> usize {
        table() + 16 * usize::from(self.slot)
    }
}

impl Drop for Thunk {
    fn drop(&mut self) {
        SLOTS[usize::from(self.slot)].store(std::ptr::null_mut(), Ordering::Release);
        FREE.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(self.slot);
    }
}

/// How many typed thunks there are for each number of general registers
/// the arguments use (0 to 5).
const TYPED_PER_POOL: usize = 1024;

/// A typed thunk's slot, read by the assembly by offset (24 bytes). Typed
/// thunks come in six pools, one for each number `k` of general registers
/// a signature's arguments use: a thunk of pool `k` loads its slot's
/// address into general register `k` (the first the arguments leave free)
/// and jumps to the slot's `entry`, the monomorphized Rust entry, which
/// takes the arguments in their own registers and the slot as a trailing
/// pointer.
#[repr(C)]
pub(crate) struct TypedSlot {
    /// The Rust entry (offset 0); [`typed_free`] once the slot is freed.
    entry: AtomicUsize,
    /// The callback's `CallbackInner`.
    inner: AtomicUsize,
    /// The closure.
    closure: AtomicUsize,
}

const _: () = assert!(size_of::<TypedSlot>() == 24);

impl TypedSlot {
    /// The bound callback's `CallbackInner`.
    #[inline(always)]
    pub(crate) fn inner(&self) -> *const () {
        self.inner.load(Ordering::Relaxed) as *const ()
    }

    /// The bound closure.
    #[inline(always)]
    pub(crate) fn closure(&self) -> *const () {
        self.closure.load(Ordering::Relaxed) as *const ()
    }
}

/// The typed thunks' slots, pool after pool. A slot's entry is 0 until it
/// is first bound; the thunk of a never-bound slot is never handed out.
static TYPED_SLOTS: [TypedSlot; 6 * TYPED_PER_POOL] = [const {
    TypedSlot {
        entry: AtomicUsize::new(0),
        inner: AtomicUsize::new(0),
        closure: AtomicUsize::new(0),
    }
}; 6 * TYPED_PER_POOL];

/// The free typed slots of each pool, by index within the pool.
static TYPED_FREE: Lazy<Mutex<[Vec<u16>; 6]>> = Lazy::new(|| {
    Mutex::new(std::array::from_fn(|_| {
        (0..TYPED_PER_POOL as u16).rev().collect()
    }))
});

// The typed pools: thunk `i` of pool `k` starts at
// `__rctypes_typed_table + 16 * (k * TYPED_PER_POOL + i)`, loads the
// address of its slot into general register `k` and jumps to the slot's
// entry.
macro_rules! typed_pool {
    ($($k:literal => $reg:literal),*) => {
        global_asm!(
            ".pushsection .text.rctypes_typed_thunks,\"ax\",@progbits",
            ".p2align 4",
            ".globl __rctypes_typed_table",
            ".hidden __rctypes_typed_table",
            "__rctypes_typed_table:",
            ".set rctypes_typed_index, 0",
            $(
                ".rept {n}",
                concat!("leaq {slots}+24*rctypes_typed_index(%rip), %", $reg),
                concat!("jmpq *(%", $reg, ")"),
                ".p2align 4, 0xcc",
                ".set rctypes_typed_index, rctypes_typed_index + 1",
                ".endr",
            )*
            ".popsection",
            n = const TYPED_PER_POOL,
            slots = sym TYPED_SLOTS,
            options(att_syntax)
        );
    };
}
typed_pool!(0 => "rdi", 1 => "rsi", 2 => "rdx", 3 => "rcx", 4 => "r8", 5 => "r9");

/// The address of typed thunk 0.
#[unsafe(naked)]
extern "C" fn typed_table() -> usize {
    naked_asm!("lea rax, [rip + __rctypes_typed_table]", "ret")
}

/// The entry of a freed slot: C called a callback that was dropped (which
/// it must not); it gets zero rather than a jump through a stale entry.
///
/// # Safety
/// Entered only from a typed thunk.
#[unsafe(naked)]
unsafe extern "C" fn typed_free() {
    naked_asm!("xor eax, eax", "xorps xmm0, xmm0", "ret")
}

/// A claimed typed thunk; releases its slot when dropped.
pub(super) struct TypedThunk {
    /// The slot's index in [`TYPED_SLOTS`] (pool and index within it).
    slot: usize,
    /// The direct entries without and with the errno swap.
    entries: [usize; 2],
}

impl TypedThunk {
    /// Claims a free typed thunk for a closure with these direct entries
    /// (without and with the errno swap) whose arguments use `gprs`
    /// general registers (at most 5: the slot pointer follows them), or
    /// `None` when that pool is used up or `gprs` is out of range.
    pub(super) fn claim(gprs: u8, entries: [usize; 2]) -> Option<TypedThunk> {
        let pool = usize::from(gprs);
        let mut free = TYPED_FREE.lock().unwrap_or_else(|p| p.into_inner());
        let index = free.get_mut(pool)?.pop()?;
        Some(TypedThunk {
            slot: pool * TYPED_PER_POOL + usize::from(index),
            entries,
        })
    }

    /// Makes the thunk call its entry without the errno swap with the
    /// callback `inner` and its `closure`, which must stay where they are
    /// and alive until the thunk is dropped.
    pub(super) fn bind(&self, inner: *const (), closure: *const ()) {
        let s = &TYPED_SLOTS[self.slot];
        s.inner.store(inner as usize, Ordering::Relaxed);
        s.closure.store(closure as usize, Ordering::Relaxed);
        s.entry.store(self.entries[0], Ordering::Release);
    }

    /// Switches to the entry with (or without) the errno swap.
    pub(super) fn use_errno(&self, yes: bool) {
        TYPED_SLOTS[self.slot]
            .entry
            .store(self.entries[usize::from(yes)], Ordering::Relaxed);
    }

    /// The code address C calls.
    pub(super) fn address(&self) -> usize {
        typed_table() + 16 * self.slot
    }
}

impl Drop for TypedThunk {
    fn drop(&mut self) {
        let free: unsafe extern "C" fn() = typed_free;
        TYPED_SLOTS[self.slot]
            .entry
            .store(free as usize, Ordering::Release);
        let (pool, index) = (self.slot / TYPED_PER_POOL, self.slot % TYPED_PER_POOL);
        if let (Some(list), Ok(index)) = (
            TYPED_FREE
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_mut(pool),
            u16::try_from(index),
        ) {
            list.push(index);
        }
    }
}
