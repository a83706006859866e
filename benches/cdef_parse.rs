//! Parsing speed of C declarations, preprocessor time aside: `sqlite3.h`
//! and libc's six headers (`stdio.h`, `stdlib.h`, `string.h`, `time.h`,
//! `unistd.h`, `pthread.h` in one translation unit), each preprocessed once
//! with `cc -E -dD`, then parsed with `Declarations::from_preprocessed` 50
//! times; prints the median and the fastest run.
//!
//! `cargo bench --bench cdef_parse`

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rctypes::Declarations;

fn preprocess(includes: &str) -> Option<String> {
    let mut child = Command::new("cc")
        .args(["-E", "-dD", "-x", "c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(includes.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn main() {
    let cases = [
        ("sqlite3.h", "#include <sqlite3.h>\n"),
        (
            "libc (6 headers)",
            "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <time.h>\n#include <unistd.h>\n#include <pthread.h>\n",
        ),
        ("zlib.h", "#include <zlib.h>\n"),
    ];
    for (name, includes) in cases {
        let Some(text) = preprocess(includes) else {
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
