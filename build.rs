//! Builds the C fixture library used by this repository's tests, examples and
//! benchmarks: every `fixtures-c/*.c` is compiled with the `cc` crate and the
//! objects are linked into one shared library, whose path is exported to the
//! crate's targets as `RCTYPES_FIXTURE_LIB`.
//!
//! When `fixtures-c/` is absent (the published package excludes it) this does
//! nothing, so users of the crate never compile the test C code.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = Path::new("fixtures-c");
    if !dir.is_dir() {
        return;
    }
    println!("cargo:rerun-if-changed=fixtures-c");

    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures-c/ is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    for src in &sources {
        println!("cargo:rerun-if-changed={}", src.display());
    }
    for header in std::fs::read_dir(dir)
        .expect("fixtures-c/ is readable")
        .flatten()
    {
        if header.path().extension().is_some_and(|e| e == "h") {
            println!("cargo:rerun-if-changed={}", header.path().display());
        }
    }

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut build = cc::Build::new();
    build
        .files(&sources)
        .include(dir)
        .pic(true)
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-scalar-storage-order")
        .flag_if_supported("-Wno-psabi")
        .flag("-pthread")
        .cargo_metadata(false);
    let objects = build.compile_intermediates();

    let lib = out.join("libfixtures.so");
    let compiler = build.get_compiler();
    let status = Command::new(compiler.path())
        .args(compiler.args())
        .arg("-shared")
        .arg("-pthread")
        .arg("-o")
        .arg(&lib)
        .args(&objects)
        .arg("-lm")
        .status()
        .expect("the C compiler can be started to link the fixture library");
    assert!(status.success(), "linking {} failed", lib.display());

    println!("cargo:rustc-env=RCTYPES_FIXTURE_LIB={}", lib.display());
    println!("cargo:rustc-env=RCTYPES_FIXTURE_DIR={}", out.display());
}
