//! `find_library` skips malformed libraries in the directories of
//! `LD_LIBRARY_PATH` (truncated, lying offsets and counts, links that loop or
//! lead to a device, directories) and still finds a valid one beside them.
//!
//! `LD_LIBRARY_PATH` is process-global, so this test binary holds this one
//! test and nothing else reads or writes the environment while it runs.

use rctypes::find_library;
use std::fs;
use std::path::{Path, PathBuf};

/// Path of the fixture library that build.rs compiled: a valid ELF shared
/// object for this machine, without a `DT_SONAME`.
const FIXTURE: &str = env!("RCTYPES_FIXTURE_LIB");

/// Where the ELF header keeps the fields the test overwrites.
struct Header {
    /// Size of an address or offset word.
    word: usize,
    /// Offset of `e_phoff`.
    phoff: usize,
    /// Offset of `e_shoff`.
    shoff: usize,
    /// Offset of `e_phnum`.
    phnum: usize,
    /// Offset of `e_shnum`.
    shnum: usize,
    /// Size of a program header.
    phdr_size: usize,
    /// Offsets of `p_offset`, `p_vaddr` and `p_filesz` in a program header.
    phdr_fields: [usize; 3],
}

/// The layout of `elf`'s class (the fixture is built for this machine, so
/// in its byte order).
fn header(elf: &[u8]) -> Header {
    match elf[4] {
        2 => Header {
            word: 8,
            phoff: 32,
            shoff: 40,
            phnum: 56,
            shnum: 60,
            phdr_size: 56,
            phdr_fields: [8, 16, 32],
        },
        1 => Header {
            word: 4,
            phoff: 28,
            shoff: 32,
            phnum: 44,
            shnum: 48,
            phdr_size: 32,
            phdr_fields: [4, 8, 16],
        },
        class => panic!("the fixture has ELF class {class}"),
    }
}

/// Writes the low `width` bytes of `value` at `at`, in this machine's byte
/// order.
fn put(buf: &mut [u8], at: usize, width: usize, value: u64) {
    let bytes = value.to_ne_bytes();
    let field = if cfg!(target_endian = "little") {
        &bytes[..width]
    } else {
        &bytes[8 - width..]
    };
    buf[at..at + width].copy_from_slice(field);
}

/// Reads the native-endian word of `width` bytes at `at`.
fn get(buf: &[u8], at: usize, width: usize) -> u64 {
    let mut bytes = [0u8; 8];
    if cfg!(target_endian = "little") {
        bytes[..width].copy_from_slice(&buf[at..at + width]);
    } else {
        bytes[8 - width..].copy_from_slice(&buf[at..at + width]);
    }
    u64::from_ne_bytes(bytes)
}

/// The fixture's bytes with header fields overwritten: `(offset, width,
/// value)`.
fn patched(valid: &[u8], fields: &[(usize, usize, u64)]) -> Vec<u8> {
    let mut elf = valid.to_vec();
    for &(at, width, value) in fields {
        put(&mut elf, at, width, value);
    }
    elf
}

/// A fresh, empty directory under the system's temporary directory.
fn temp_dir(what: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("rctypes-findlib-env-{what}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sets `LD_LIBRARY_PATH` to `dirs`.
fn set_library_path(dirs: &[&Path]) {
    let value = std::env::join_paths(dirs).unwrap();
    // SAFETY: this binary's only test is the one running, so no other thread
    // reads or writes the environment meanwhile.
    unsafe { std::env::set_var("LD_LIBRARY_PATH", value) };
}

#[test]
fn malformed_libraries_in_ld_library_path_are_skipped() {
    let valid = fs::read(FIXTURE).unwrap();
    let h = header(&valid);
    let w = h.word;
    let phoff = usize::try_from(get(&valid, h.phoff, w)).unwrap();
    let phnum = usize::try_from(get(&valid, h.phnum, 2)).unwrap();
    let len = valid.len() as u64;

    // Every candidate below outranks libbogus.so.1 (the unversioned name
    // first, then the highest version), so each is tried and must be skipped.
    let bad = temp_dir("bad");
    let write = |name: &str, bytes: &[u8]| fs::write(bad.join(name), bytes).unwrap();
    // e_phoff at the end of the address space: the old parser's
    // `off + 4` overflowed.
    write(
        "libbogus.so",
        &patched(&valid, &[(h.phoff, w, u64::MAX - 3)]),
    );
    // Cut inside the program header table.
    write("libbogus.so.9", &valid[..phoff + h.phdr_size / 2]);
    // 65535 program headers: more than the parser reads.
    write("libbogus.so.8", &patched(&valid, &[(h.phnum, 2, 0xffff)]));
    // Program headers past the end of the file, and lying section headers.
    write(
        "libbogus.so.7",
        &patched(
            &valid,
            &[
                (h.phoff, w, len + 1000),
                (h.shoff, w, u64::MAX),
                (h.shnum, 2, 0xffff),
            ],
        ),
    );
    // A link to itself.
    std::os::unix::fs::symlink("libbogus.so.6", bad.join("libbogus.so.6")).unwrap();
    // A link to a device that never ends (the old code read it whole).
    std::os::unix::fs::symlink("/dev/zero", bad.join("libbogus.so.5")).unwrap();
    // Every program header's offset, address and size at the top.
    let mut lying = valid.clone();
    for i in 0..phnum {
        for field in h.phdr_fields {
            put(&mut lying, phoff + i * h.phdr_size + field, w, u64::MAX);
        }
    }
    write("libbogus.so.4", &lying);
    // The ELF magic and garbage.
    let mut garbage = b"\x7fELF".to_vec();
    garbage.extend([0xff; 60]);
    write("libbogus.so.3", &garbage);
    // A directory.
    fs::create_dir(bad.join("libbogus.so.2")).unwrap();
    // The valid library, found by path as it has no soname.
    write("libbogus.so.1", &valid);

    set_library_path(&[&bad]);
    assert_eq!(find_library("bogus"), Some(bad.join("libbogus.so.1")));

    // With only the malformed ones, nothing is found (the ld.so cache and
    // the system directories have no libbogus).
    fs::remove_file(bad.join("libbogus.so.1")).unwrap();
    assert_eq!(find_library("bogus"), None);

    // Section headers are not read: lying ones do not hide a library, and an
    // earlier directory wins.
    let shdrs = temp_dir("shdrs");
    fs::write(
        shdrs.join("libbogus.so"),
        patched(&valid, &[(h.shoff, w, u64::MAX), (h.shnum, 2, 0xffff)]),
    )
    .unwrap();
    set_library_path(&[&shdrs, &bad]);
    assert_eq!(find_library("bogus"), Some(shdrs.join("libbogus.so")));

    // Other names still come from the ld.so cache or the system directories.
    assert!(find_library("c").is_some_and(|p| p.to_string_lossy().starts_with("libc.so.")));

    fs::remove_dir_all(&bad).unwrap();
    fs::remove_dir_all(&shdrs).unwrap();
}
