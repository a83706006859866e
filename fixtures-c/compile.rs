//! How `fixtures-c/` becomes `libfixtures.so`, the C library that this
//! repository's tests, examples and benchmarks call. Shared by the build
//! scripts that need it (`build.rs` of rctypes, `benches/build.rs`) through
//! `#[path = ".../fixtures-c/compile.rs"] mod fixtures;`, so the library is
//! built the same way everywhere.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles every `dir/*.c` with the `cc` crate (PIC, `-O2`, warnings on)
/// and links the objects into `out/libfixtures.so`; returns its path.
/// Prints the `rerun-if-changed` lines for the sources and headers, with
/// `dir` as given (relative to the calling package's manifest directory).
///
/// # Panics
///
/// When `dir` cannot be read, or compiling or linking fails (a build script
/// reports failure by panicking).
pub fn build(dir: &Path, out: &Path) -> PathBuf {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut sources = Vec::new();
    for entry in
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{} is not readable: {e}", dir.display()))
    {
        let path = entry.expect("a readable directory entry").path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("c") => sources.push(path),
            Some("h") => println!("cargo:rerun-if-changed={}", path.display()),
            _ => continue,
        }
    }
    sources.sort();
    for src in &sources {
        println!("cargo:rerun-if-changed={}", src.display());
    }

    let mut build = cc::Build::new();
    build
        .files(&sources)
        .include(dir)
        .out_dir(out)
        .pic(true)
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-scalar-storage-order")
        .flag_if_supported("-Wno-psabi")
        .flag("-pthread")
        .cargo_metadata(false);
    // Under `-Zsanitizer=address` cc instruments C code too (it adds
    // `-fsanitize=address`), and linking this shared library with it pulls
    // in gcc's shared ASan runtime, a second runtime beside the one rustc
    // links into the test binary: every binary that loads the library
    // aborts. The fixtures stay uninstrumented (the Rust side is what the
    // AddressSanitizer pass checks); a later flag wins.
    if env::var("CARGO_CFG_SANITIZE").is_ok_and(|s| s.split(',').any(|n| n == "address")) {
        build.flag("-fno-sanitize=address");
    }
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
    lib
}
