//! The random-program generator and driver shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/instances.rs`, which includes this module by path)
//! and the bounded property test (`tests/fuzz_model.rs`).
//!
//! A [`Program`] is plain data decoded from bytes with `arbitrary`:
//! libFuzzer hands its input to `Program`'s `Arbitrary` impl, proptest
//! hands random byte vectors to [`Program::from_bytes`], and both decode the
//! same bytes into the same program (so a cargo-fuzz artifact replays under
//! `cargo test`). [`run`] executes it against rctypes' safe API: random
//! types (every fundamental type, complex ones included; pointers; arrays
//! of any length including 0 and overflowing ones; function types;
//! structures and unions with bitfields of every width, pack, align,
//! per-field alignment, gcc or ms layout, byte order, anonymous members,
//! duplicate and odd names, declare and define with self-referential
//! pointers), random values (every `Value` variant with its edge cases) and
//! a random sequence of operations on instances, field handles, slices,
//! iterators, formatting and prepared calls. See [`recipe`] for what is
//! generated and [`driver`] for what counts as a finding.
//!
//! Both includers use different parts of it, hence `dead_code` is allowed.
#![allow(dead_code)]

pub mod driver;
pub mod recipe;

pub use driver::{Avoid, run};
pub use recipe::Program;
