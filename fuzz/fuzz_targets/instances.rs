//! Fuzz target `instances`: random C types, values and instance operations
//! over rctypes' safe API.
//!
//! The input decodes (through `arbitrary`) into a program of up to 64
//! operations: type definitions (every fundamental type, `POINTER(T)`,
//! arrays of any length including 0 and lengths whose size overflows,
//! `CFUNCTYPE`s, structures and unions with bitfields of in- and
//! out-of-range widths, `pack`, `align` and `field_align` up to 2^63, gcc
//! and ms layouts, big and little endian, anonymous members, duplicate and
//! odd names, `declare`/`define` with self-referential pointers), values of
//! every `Value` variant (integers at every type's range limits,
//! NaN/inf/huge floats and complex numbers, bytes with interior NULs,
//! non-ASCII text, NULL and small raw addresses, `ByRef` with any offset up
//! to `usize::MAX`, instances, callbacks), and operations on instances
//! (`try_new`, `with_value`, `from_values`, `from_bytes`, `to_bytes`,
//! `value`/`set_value`, `get`/`set`/`field` by known, nested, anonymous and
//! unknown names, `at`/`get_index`/`set_index` in and out of range,
//! `pointer`, `cast`, `byref`/`byref_at`, formatting), plus callbacks of
//! random prototypes, random signatures declared on libc's `abs` and
//! `prepare()`d, and symbol and library lookups by odd names. The later API
//! too: field handles (`CType::field_handle`, `get`/`set` on instances of
//! the right type, views and instances of other types), `from_values` on
//! arrays of every number type against `set_index`, `from_slice`/`to_vec`
//! for every `CRepr` type, `iter()`, `Debug`/`Display` with flags, the
//! sized string buffers, `set_raw`, `Value` clones outliving their
//! original, and `Function::prepared()` with random declarations (set,
//! never called). `contents`,
//! `read` and `write` go only through pointers known to point into a live
//! instance (made by `pointer()` or a cast of an array or such a pointer, or
//! checked against the live instances), which the crate's contract makes
//! sound. The only foreign functions called are libc's `labs` and `abs`,
//! through prepared calls declared exactly `labs(long) -> long` and
//! `abs(int) -> int`: they read one integer and dereference nothing.
//!
//! A finding is any panic (rctypes promises an `Error` for every mistake),
//! an AddressSanitizer or LeakSanitizer report, a timeout, or a failed
//! invariant assertion of the driver (a refused write that changed bytes,
//! `to_bytes` of the wrong length, equal types that hash differently, ...).
//!
//! The generator and driver live in `tests/fuzz_common/`, shared with the
//! bounded property test `tests/fuzz_model.rs` that runs in `cargo test`.
//! RCTYPES_FUZZ_AVOID steers around known bugs (see `Avoid`).
//!
//! Run: `cargo +nightly fuzz run instances -- -max_total_time=60` (from the
//! repository root or from `fuzz/`).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/fuzz_common/mod.rs"]
mod fuzz_common;

fn avoid() -> fuzz_common::Avoid {
    static AVOID: OnceLock<fuzz_common::Avoid> = OnceLock::new();
    *AVOID.get_or_init(fuzz_common::Avoid::from_env)
}

fuzz_target!(|program: fuzz_common::Program| {
    fuzz_common::run(&program, avoid());
});
