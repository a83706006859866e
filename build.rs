//! Builds the C fixture library for this package's own tests and examples
//! — and nothing for anyone who depends on rctypes.
//!
//! The fixtures are compiled only when `RCTYPES_BUILD_FIXTURES` is set (to
//! anything but `0`), and `.cargo/config.toml` sets it. Cargo reads that file
//! only when it runs inside this directory: the repository, or an unpacked
//! copy of the published package (which ships `fixtures-c/` so that its
//! tests run). A project that depends on rctypes runs cargo in its own
//! directory, so the variable is unset there and this script does nothing.
//! (Cargo gives build scripts no other way to tell; `cargo test
//! --manifest-path` from elsewhere needs `RCTYPES_BUILD_FIXTURES=1`.)
//!
//! When it builds them, every `fixtures-c/*.c` is compiled into
//! `$OUT_DIR/libfixtures.so` (by `fixtures-c/compile.rs`, which
//! `benches/build.rs` shares) and the crate's targets get its path as
//! `RCTYPES_FIXTURE_LIB` (and its directory as `RCTYPES_FIXTURE_DIR`).

//!
//! It also sets `cfg(call_plan)`, the one name the sources use for "the
//! crate's own x86-64 System V call plan and callback thunks are compiled
//! in": the `call-plan` feature (on by default) on x86-64 outside Windows.

use std::env;
use std::path::{Path, PathBuf};

#[path = "fixtures-c/compile.rs"]
mod fixtures;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    call_plan_cfg();
    println!("cargo:rerun-if-env-changed=RCTYPES_BUILD_FIXTURES");
    let wanted = env::var_os("RCTYPES_BUILD_FIXTURES").is_some_and(|v| v != "0");
    // docs.rs builds the documentation only.
    if !wanted || env::var_os("DOCS_RS").is_some() {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let lib = fixtures::build(Path::new("fixtures-c"), &out);
    println!("cargo:rustc-env=RCTYPES_FIXTURE_LIB={}", lib.display());
    println!("cargo:rustc-env=RCTYPES_FIXTURE_DIR={}", out.display());
}

/// Emits `cfg(call_plan)` when the `call-plan` feature is on and the target
/// is x86-64 System V (not Windows, whose x64 convention differs).
fn call_plan_cfg() {
    println!("cargo:rustc-check-cfg=cfg(call_plan)");
    let feature = env::var_os("CARGO_FEATURE_CALL_PLAN").is_some();
    let x86_64 = env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "x86_64");
    let windows = env::var_os("CARGO_CFG_WINDOWS").is_some();
    if feature && x86_64 && !windows {
        println!("cargo:rustc-cfg=call_plan");
    }
}
