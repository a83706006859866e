//! The fuzz target's generator and driver (`tests/fuzz_common`) as a bounded
//! property test: random programs of type definitions and instance
//! operations over the safe API, each of which must end in `Ok` or `Err`,
//! never a panic or a broken invariant (see `fuzz_common::driver`).
//!
//! 1,000 programs per run by default (about a second in a debug build);
//! RCTYPES_FUZZ_CASES sets another number, and RCTYPES_FUZZ_AVOID steers
//! around known bugs (`fuzz_common::Avoid`). The unbounded search is the
//! cargo-fuzz target: `cargo +nightly fuzz run instances`.

mod fuzz_common;

use proptest::collection::vec;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("RCTYPES_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}

/// Prints the program being run if it panics (proptest shows only the bytes).
struct ShowOnPanic<'a>(&'a fuzz_common::Program);

impl Drop for ShowOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the failing program: {:#?}", self.0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    /// Random programs never panic, and keep every invariant the driver checks.
    #[test]
    fn random_programs_end_in_ok_or_err(bytes in vec(any::<u8>(), 0..2048)) {
        let program = fuzz_common::Program::from_bytes(&bytes);
        let _show = ShowOnPanic(&program);
        fuzz_common::run(&program, fuzz_common::Avoid::from_env());
    }
}

/// Replays inputs saved by cargo-fuzz (artifacts, corpus entries) without
/// nightly or sanitizers: RCTYPES_FUZZ_REPLAY names the files, separated by
/// `:`; each decoded program is printed, then run. Does nothing when unset.
#[test]
fn replay_saved_inputs() {
    let Ok(paths) = std::env::var("RCTYPES_FUZZ_REPLAY") else {
        return;
    };
    for path in paths.split(':').filter(|p| !p.is_empty()) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let program = fuzz_common::Program::from_bytes(&bytes);
        eprintln!("{path}: {program:#?}");
        fuzz_common::run(&program, fuzz_common::Avoid::from_env());
    }
}
