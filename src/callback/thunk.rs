//! The closure plan: C enters a callback through one of a fixed pool of entry
//! thunks instead of a libffi closure, for prototypes whose arguments and
//! result all travel in registers (the same [`RegPlan`] the call plan uses).
//!
//! libffi's closure entry classifies every argument again on every call.
//! Here each thunk is 16 bytes of code in the binary's text section
//! (`movl $slot, %r11d; jmp entry`), so nothing is generated at run time and
//! no writable-and-executable memory is needed. The common [`thunk_entry`]
//! spills the six integer and eight vector argument registers into a
//! [`Frame`] on its stack and calls [`thunk_dispatch`], which finds the
//! callback in the slot table, points libffi-style argument pointers into
//! the frame, runs the callback's shared body, and leaves the result in the
//! frame's return registers for the entry to load.
//!
//! A callback that cannot use a thunk (its prototype needs the stack or the
//! x87 unit, every slot is taken, or `RCTYPES_CALL_PLAN=off`) uses a libffi
//! closure; both entries run the same body.

use std::arch::{global_asm, naked_asm};
use std::ffi::c_void;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

use once_cell::sync::Lazy;

use super::{CallbackInner, Entered};
use crate::call::regs::{Frame, MAX_ARGS};

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
/// Entered only from a thunk, by C calling a callback whose prototype has a
/// register plan.
#[unsafe(naked)]
unsafe extern "C" fn thunk_entry() {
    // Entry: rsp = 8 mod 16 (the caller's return address). After `push rbp`
    // it is 0 mod 16, and the 144-byte frame keeps it so for the call.
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, 144",
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
        "mov edi, r11d",
        "mov rsi, rsp",
        "call {dispatch}",
        "mov rax, qword ptr [rsp + 112]",
        "mov rdx, qword ptr [rsp + 120]",
        "movq xmm0, qword ptr [rsp + 128]",
        "movq xmm1, qword ptr [rsp + 136]",
        "leave",
        "ret",
        dispatch = sym thunk_dispatch,
    );
}

const _: () = assert!(size_of::<Frame>() == 144);

/// Runs the callback in `slot` over the registers spilled into `frame`.
///
/// # Safety
/// Called by [`thunk_entry`] only, with a frame holding the argument
/// registers of a call to the callback in `slot`.
unsafe extern "C" fn thunk_dispatch(slot: u32, frame: *mut Frame) {
    // SAFETY: the entry passes its own, live frame.
    let frame = unsafe { &mut *frame };
    let inner = SLOTS
        .get(slot as usize)
        .map_or(std::ptr::null_mut(), |s| s.load(Ordering::Acquire));
    if inner.is_null() {
        frame.ret = [0; 4];
        return;
    }
    // SAFETY: a slot holds a live callback's `CallbackInner` (the callback
    // clears it before freeing anything); C calling a freed callback breaks
    // the contract of the call that handed it over, and finds null here at
    // most. `callback` keeps it alive until this function returns, even if
    // the closure drops its last handle.
    let callback = unsafe { Entered::new(inner) };
    let Some(regs) = callback.shared.plan.regs() else {
        frame.ret = [0; 4];
        return;
    };
    let mut scratch = [[0u64; 2]; MAX_ARGS];
    let mut avalues = [std::ptr::null_mut::<c_void>(); MAX_ARGS];
    let mut buf = [0u64; 2];
    let ret = regs.callee_args(frame, &mut scratch, &mut avalues, &mut buf);
    // SAFETY: `avalues` points at each argument as the prototype has it,
    // and `ret` at a buffer large enough for the result (16 bytes, or the
    // caller's memory for a structure returned through a hidden pointer).
    unsafe { super::invoke(&callback, ret, avalues.as_mut_ptr()) };
    regs.callee_result(frame, &buf);
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
