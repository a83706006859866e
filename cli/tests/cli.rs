//! The `rctypes` binary end to end: its output and exit codes for `call`,
//! `layout` and `check`, and a clear one-line message with exit code 2 (never
//! a panic) for every kind of bad input.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rctypes"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects success with exactly this output.
fn ok(args: &[&str], expected: &str) {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    assert_eq!(stdout(&o), expected, "{args:?}");
}

/// Runs and expects exit code 2 with one line on stderr containing `what`.
fn fails(args: &[&str], what: &str) {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(err.contains(what), "{args:?}: {err}");
    if err.starts_with("rctypes: error:") {
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

fn has_header(h: &str) -> bool {
    let o = run(&["layout", "--header", h, "int"]);
    if !o.status.success() {
        println!("skipping: {h} is not installed");
    }
    o.status.success()
}

#[test]
fn call_prints_results_as_python_does() {
    let cases: &[(&[&str], &str)] = &[
        (&["call", "libm.so.6", "double cos(double)", "0"], "1.0\n"),
        (
            &["call", "-l", "m", "double pow(double, double)", "2", "10"],
            "1024.0\n",
        ),
        (
            &["call", "double sqrt(double)", "2"],
            "1.4142135623730951\n",
        ),
        (
            &["call", "double ldexp(double, int)", "1", "-20"],
            "9.5367431640625e-07\n",
        ),
        (&["call", "int abs(int)", "-5"], "5\n"),
        (&["call", "size_t strlen(const char *)", "hello"], "5\n"),
        (
            &[
                "call",
                "long strtol(const char *, char **, int)",
                "0x1f",
                "NULL",
                "0",
            ],
            "31\n",
        ),
        (
            &[
                "call",
                "unsigned long strtoul(const char *, char **, int)",
                "ff",
                "NULL",
                "0x10",
            ],
            "255\n",
        ),
        (
            &["call", "char *getenv(const char *)", "RCTYPES_SURELY_UNSET"],
            "None\n",
        ),
        (&["call", "int atoi(const char *);", "42"], "42\n"),
        (&["call", "void srand(unsigned)", "1"], ""),
        // Variadic: the extra arguments are guessed as ctypes guesses.
        (
            &[
                "call",
                "int printf(const char *, ...)",
                "%d|%s|%.1f\n",
                "42",
                "hi",
                "2.5",
            ],
            "42|hi|2.5\n10\n",
        ),
        (
            &["call", "int printf(const char *, ...)", "%s\n", "NULL"],
            "(null)\n7\n",
        ),
        // Complex numbers, as Python writes them.
        (
            &[
                "call",
                "-l",
                "m",
                "double _Complex cexp(double _Complex)",
                "0",
            ],
            "(1+0j)\n",
        ),
        (
            &[
                "call",
                "-l",
                "m",
                "double creal(double _Complex)",
                "(2.5-1j)",
            ],
            "2.5\n",
        ),
        // A structure result.
        (
            &[
                "call",
                "typedef struct { int quot; int rem; } div_t; div_t div(int, int)",
                "17",
                "5",
            ],
            "div_t(quot=3, rem=2)\n",
        ),
        // errno when asked.
        (
            &["call", "--errno", "int close(int)", "-1"],
            "-1\nerrno: 9\n",
        ),
    ];
    for (args, expected) in cases {
        ok(args, expected);
    }
}

#[test]
fn call_with_headers() {
    if !has_header("zlib.h") {
        return;
    }
    let o = run(&["call", "--header", "zlib.h", "-l", "z", "zlibVersion"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("b'1."), "{}", stdout(&o));
    ok(
        &[
            "call",
            "--header",
            "zlib.h",
            "-l",
            "z",
            "compressBound",
            "100",
        ],
        "113\n",
    );
    // A library given positionally, then a function name.
    ok(
        &["call", "--header", "zlib.h", "z", "compressBound", "0"],
        "13\n",
    );
    // A prototype using the header's typedefs.
    ok(
        &[
            "call",
            "--header",
            "zlib.h",
            "-l",
            "z",
            "uLong compressBound(uLong)",
            "7",
        ],
        "20\n",
    );
}

#[test]
fn bad_input_is_one_line_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["call", "libm.so.6", "double cos(double", "0"],
            "expected `,` or `)`",
        ),
        (
            &["call", "libm.so.6", "double cos(double)", "abc"],
            "argument 0 (`abc`)",
        ),
        (
            &["call", "libm.so.6", "double cos(double)"],
            "takes 1 argument",
        ),
        (
            &["call", "libm.so.6", "double cos(double)", "1", "2"],
            "takes 1 argument",
        ),
        (
            &["call", "libm.so.6", "double no_such_fn(double)", "1"],
            "not found",
        ),
        (
            &["call", "no_such_library_xyz", "int f(void)"],
            "`no_such_library_xyz` not found",
        ),
        (
            &["call", "./nope/libnothing.so", "int f(void)"],
            "cannot load library",
        ),
        (&["call", "int abs(int)", "99999999999"], "argument 0"),
        (&["call", "int abs(int)", "1e3"], "argument 0"),
        (&["call", "cos"], "expected a prototype"),
        (&["call", "int x;"], "expected a prototype"),
        (&["call", "int x(void); int y;"], "symbol `x` not found"),
        (&["call", "__int128 f(void)"], "__int128"),
        (
            &[
                "call",
                "struct in_addr { unsigned s_addr; }; char *inet_ntoa(struct in_addr)",
                "1",
            ],
            "cannot be given on the command line",
        ),
        (
            &[
                "call",
                "void qsort(void *, size_t, size_t, int (*)(const void *, const void *))",
                "NULL",
                "0",
                "0",
                "xyz",
            ],
            "NULL or an address",
        ),
        (
            &["call", "--header", "no_such_header_xyz.h", "f"],
            "cannot preprocess",
        ),
        (&["call", "int f(@)"], "not a C token"),
        (&["layout", "struct nope"], "no type `struct nope`"),
        (&["layout", "int int"], "invalid combination"),
        (&["layout", "--cdef", "struct { int", "int"], "line 1"),
        (&["check", "z"], "check needs --header"),
        (
            &["check", "no_such_library_xyz", "--header", "stdio.h"],
            "not found",
        ),
        // clap's own usage errors exit with 2 as well.
        (&["call"], "required"),
        (&["frob"], "unrecognized subcommand"),
        (&["layout"], "required"),
        (&["call", "--nope", "int f(void)"], "unexpected argument"),
    ];
    for (args, what) in cases {
        fails(args, what);
    }
}

#[test]
fn layout_is_like_pahole() {
    let o = run(&[
        "layout",
        "--cdef",
        "struct s { char c; int a:3; unsigned b:5; union { int i; double d; }; long tail; };",
        "struct s",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let expected = [
        "struct s {",
        "char c;",
        "/*     0     1 */",
        "int a : 3;",
        "/*     0:8    4 */",
        "unsigned int b : 5;",
        "/*     0:11   4 */",
        "/* XXX 4 bytes hole */",
        "union {",
        "double d;",
        "long tail;",
        "/*    16     8 */",
        "/* size: 24, align: 8, members: 7, holes: 1 */",
    ];
    for e in expected {
        assert!(out.contains(e), "missing {e:?} in\n{out}");
    }
    ok(
        &["layout", "int *[3]"],
        "int *[3]: int *[3] /* size: 24, align: 8 */\n",
    );
    if has_header("zlib.h") {
        let o = run(&["layout", "--header", "zlib.h", "struct z_stream_s"]);
        let out = stdout(&o);
        assert!(out.starts_with("struct z_stream_s {"), "{out}");
        assert!(out.contains("unsigned char *next_in;"), "{out}");
        assert!(
            out.contains("/* size: 112, align: 8, members: 14, holes: 3 */"),
            "{out}"
        );
        let o = run(&["layout", "--header", "zlib.h", "z_stream"]);
        assert!(
            stdout(&o).starts_with("struct z_stream_s /* z_stream */ {"),
            "{}",
            stdout(&o)
        );
    }
    if has_header("pthread.h") {
        let o = run(&["layout", "--header", "pthread.h", "pthread_mutex_t"]);
        assert!(
            stdout(&o).starts_with("union pthread_mutex_t {"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn check_compares_header_and_library() {
    if !has_header("zlib.h") {
        return;
    }
    let o = run(&["check", "z", "--header", "zlib.h"]);
    let out = stdout(&o);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(
        out.contains("declared in zlib.h but not exported by z (0):"),
        "{out}"
    );
    assert!(
        out.contains("exported by z but not declared in zlib.h"),
        "{out}"
    );
    // The file is the one the loader opens, whether the library is named
    // by its short name, its file name or its path; the counts are exact.
    let file = rctypes::find_library_path("z").expect("zlib is installed");
    let exported = rctypes::exported_functions(&file).unwrap();
    let path = file.to_string_lossy();
    let first = out.lines().next().unwrap_or_default();
    let suffix = format!("; {path}: {} functions exported", exported.len());
    assert!(first.ends_with(&suffix), "{first}");
    for name in ["libz.so.1", path.as_ref()] {
        let o = run(&["check", name, "--header", "zlib.h"]);
        let again = stdout(&o);
        assert_eq!(again.lines().next(), Some(first), "{name}");
        assert_eq!(
            again.lines().skip(1).count(),
            out.lines().skip(1).count(),
            "{name}"
        );
    }
    if has_header("sqlite3.h") {
        // The Windows-only functions are declared but not exported on Linux.
        let o = run(&["check", "sqlite3", "--header", "sqlite3.h"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stdout(&o).contains("  sqlite3_win32_set_directory\n"),
            "{}",
            stdout(&o)
        );
    }
}
