//! Builds the C fixture library the benchmarks call, with the same code as
//! rctypes' own build script (`fixtures-c/compile.rs`), into this package's
//! `OUT_DIR`, and gives the benchmarks its path as `RCTYPES_FIXTURE_LIB`.
//! (A dependency's build script cannot hand environment variables to another
//! package's targets, and rctypes builds the fixtures only for its own.)

use std::env;
use std::path::{Path, PathBuf};

#[path = "../fixtures-c/compile.rs"]
mod fixtures;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let lib = fixtures::build(Path::new("../fixtures-c"), &out);
    println!("cargo:rustc-env=RCTYPES_FIXTURE_LIB={}", lib.display());
}
