//! The C declaration parser on arbitrary text: strict (`cdef`), lenient
//! (`Declarations::from_preprocessed`, as for headers), one type name
//! (`str::parse::<CType>`), and what comes out (`type_of`, `c_decl` and its
//! parse, constants). No input may panic, overflow the stack or hang.
//!
//! `cargo fuzz run cdef` (from the repository root, with cargo-fuzz).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rctypes::{CType, Declarations, cdef};

fn walk(d: &Declarations) {
    for name in d.type_names().iter().take(64) {
        if let Ok(t) = d.type_of(name) {
            let text = t.c_decl("v");
            if !t.is_incomplete() && !t.is_void() {
                assert!(
                    cdef(&format!("{text};")).is_ok(),
                    "c_decl gave unparsable text: {text}"
                );
            }
        }
    }
    for name in d.constant_names().iter().take(64) {
        let _ = d.constant(name);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(d) = cdef(&text) {
        walk(&d);
    }
    walk(&Declarations::from_preprocessed(&text));
    let _ = text.parse::<CType>();
});
