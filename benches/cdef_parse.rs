//! Parsing speed of C declarations, preprocessor time aside: `sqlite3.h`
//! and libc's six headers (`stdio.h`, `stdlib.h`, `string.h`, `time.h`,
//! `unistd.h`, `pthread.h` in one translation unit), each preprocessed once
//! (`HeaderOptions::preprocess`: the system's `cc -E -dD`), then parsed with
//! `Declarations::from_preprocessed` 50 times; prints the median and the
//! fastest run.
//!
//! `cargo bench --bench cdef_parse`

use std::time::{Duration, Instant};

use rctypes::{Declarations, HeaderOptions};

fn main() {
    let libc: &[&str] = &[
        "stdio.h",
        "stdlib.h",
        "string.h",
        "time.h",
        "unistd.h",
        "pthread.h",
    ];
    let cases = [
        ("sqlite3.h", &["sqlite3.h"][..]),
        ("libc (6 headers)", libc),
        ("zlib.h", &["zlib.h"][..]),
    ];
    for (name, headers) in cases {
        let Ok(text) = HeaderOptions::new().preprocess(headers) else {
            println!("{name}: not installed");
            continue;
        };
        let lines = text.lines().count();
        let decl_lines = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        let mut times: Vec<Duration> = (0..50)
            .map(|_| {
                let t = Instant::now();
                let d = Declarations::from_preprocessed(&text);
                let e = t.elapsed();
                std::hint::black_box(d);
                e
            })
            .collect();
        times.sort();
        let d = Declarations::from_preprocessed(&text);
        println!(
            "{name}: {lines} lines with -dD ({decl_lines} non-blank lines outside directives): \
             median {:.2} ms, fastest {:.2} ms; {} functions, {} types, {} constants",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            d.function_names().len(),
            d.type_names().len(),
            d.constant_names().len()
        );
    }
}
