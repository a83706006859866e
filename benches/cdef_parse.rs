//! Parsing speed of C declarations, preprocessor time aside: `sqlite3.h`
//! and libc's six headers (`stdio.h`, `stdlib.h`, `string.h`, `time.h`,
//! `unistd.h`, `pthread.h` in one translation unit), each preprocessed once
//! (`HeaderOptions::preprocess`: the system's `cc -E -dD`), then parsed with
//! `Declarations::from_preprocessed` 50 times; prints the median and the
//! fastest run.
//!
//! Then the shapes that were once quadratic, at 3,000 and 12,000 items:
//! the time ratio is about 4 for a linear parse (16 for a quadratic one).
//!
//! `cargo bench -p rctypes-benches --bench cdef_parse`

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
    large_inputs();
}

/// The fastest of five parses of `text`.
fn fastest(text: &str) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(Declarations::from_preprocessed(text));
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Parse time of 3,000 and 12,000 items of each shape, and the ratio.
fn large_inputs() {
    type Shape = (&'static str, fn(usize) -> String);
    let shapes: [Shape; 6] = [
        ("parameters with typedef types", |n| {
            let params: Vec<String> = (0..n).map(|i| format!("T p{i}")).collect();
            format!("typedef int T; void f({});", params.join(", "))
        }),
        ("skipped, then declared", |n| {
            let statics: String = (0..n)
                .map(|i| format!("static int f{i}(void);\n"))
                .collect();
            let externs: String = (0..n).map(|i| format!("int f{i}(void);\n")).collect();
            statics + &externs
        }),
        ("members", |n| {
            let members: String = (0..n).map(|i| format!("int m{i}; ")).collect();
            format!("struct big {{ {members}}};")
        }),
        ("enumerators", |n| {
            let values: Vec<String> = (0..n).map(|i| format!("E{i} = {i}")).collect();
            format!("enum e {{ {} }};", values.join(", "))
        }),
        ("typedefs and macros", |n| {
            (0..n)
                .map(|i| format!("typedef int t{i};\n#define C{i} ({i} + 1)\n"))
                .collect()
        }),
        ("unparsable declarations", |n| "int f(int;\n".repeat(n)),
    ];
    for (what, make) in shapes {
        let (small, large) = (fastest(&make(3000)), fastest(&make(12_000)));
        println!(
            "large inputs, {what}: 3,000 in {:.2} ms, 12,000 in {:.2} ms (x{:.1})",
            small.as_secs_f64() * 1e3,
            large.as_secs_f64() * 1e3,
            large.as_secs_f64() / small.as_secs_f64().max(1e-9)
        );
    }
}
