//! Real headers: the system C preprocessor (`cc -E -dD`, keeping the
//! `#define`s), then the lenient parse of everything it outputs. Running the
//! preprocessor is the only part of `cdef` that needs a compiler.

use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Declarations;
use crate::error::{Error, Result};

/// How [`Declarations::from_header`] preprocesses a header: include
/// directories, macro definitions, and the compiler to run.
///
/// ```
/// use rctypes::HeaderOptions;
/// let opts = HeaderOptions::new().include_dir("include").define("NDEBUG", "1");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderOptions {
    include_dirs: Vec<PathBuf>,
    defines: Vec<(String, String)>,
    compiler: Option<OsString>,
    flags: Vec<OsString>,
}

impl HeaderOptions {
    /// The defaults: the compiler named by `CC`, else `cc`; no extra
    /// directories or definitions.
    pub fn new() -> HeaderOptions {
        HeaderOptions::default()
    }

    /// Searches `dir` for headers (`-I dir`), before the system directories.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> HeaderOptions {
        self.include_dirs.push(dir.into());
        self
    }

    /// Defines a macro (`-D name=value`) before the header is read.
    pub fn define(mut self, name: impl Into<String>, value: impl Into<String>) -> HeaderOptions {
        self.defines.push((name.into(), value.into()));
        self
    }

    /// The C compiler to run as the preprocessor (default: `$CC`, else `cc`).
    pub fn compiler(mut self, cc: impl Into<OsString>) -> HeaderOptions {
        self.compiler = Some(cc.into());
        self
    }

    /// An extra command-line argument for the preprocessor (`-std=c11`, `-m32`, ...).
    pub fn flag(mut self, flag: impl Into<OsString>) -> HeaderOptions {
        self.flags.push(flag.into());
        self
    }

    /// Runs the preprocessor (`cc -E -dD` with these options) on one
    /// translation unit that includes each header in turn (`#include
    /// <name>`, or `"name"` for a path or a file in the current directory)
    /// and returns its output: the text
    /// [`Declarations::from_preprocessed`] parses.
    ///
    /// ```no_run
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{Declarations, HeaderOptions};
    /// let text = HeaderOptions::new().preprocess(&["stdio.h", "pthread.h"])?;
    /// let decls = Declarations::from_preprocessed(&text);
    /// assert!(decls.function_names().contains(&"pthread_create".to_string()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Header`] (naming the headers) for an empty list or a name
    /// that cannot be included (with a newline, NUL, `"` or `>`), when no C
    /// compiler can be run, or with the compiler's diagnostics when it fails.
    pub fn preprocess<S: AsRef<str>>(&self, headers: &[S]) -> Result<String> {
        let names: Vec<&str> = headers.iter().map(AsRef::as_ref).collect();
        preprocess(&names, self)
    }
}

impl Declarations {
    /// Reads a header as the C compiler sees it: runs the system
    /// preprocessor (`cc -E -dD` with the options' include directories and
    /// definitions) on `#include <name>` (or `"name"` for a path), then
    /// parses everything the output declares, the headers it includes too.
    ///
    /// GNU extensions are understood (`__attribute__`, `__extension__`,
    /// `__asm__("symbol")` renames, `__typeof__` of a declared name, inline
    /// function bodies, which are skipped). What rctypes cannot express
    /// (`__int128`, `_Float128`, complex integers, vector types, static
    /// functions) is listed by [`skipped`](Declarations::skipped) with the
    /// reason; it is never an error.
    ///
    /// ```no_run
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CDll, Declarations, HeaderOptions};
    /// let z = Declarations::from_header("zlib.h", &HeaderOptions::new())?;
    /// let lib = unsafe { CDll::open("libz.so.1")? };
    /// let version = z.function(&lib, "zlibVersion")?;
    /// println!("{:?}", unsafe { version.call(&[])? }.as_str()?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Header`] when no C compiler can be run (the message says
    /// so: [`cdef`](crate::cdef) needs none), or with the compiler's
    /// diagnostics when the header cannot be preprocessed (not found, an
    /// `#error`).
    pub fn from_header(name: &str, options: &HeaderOptions) -> Result<Declarations> {
        Declarations::from_headers(&[name], options)
    }

    /// Reads several headers as one translation unit, as a C file that
    /// includes them in turn sees them (what
    /// [`from_header`](Declarations::from_header) does for one; see
    /// [`HeaderOptions::preprocess`]).
    ///
    /// ```no_run
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{Declarations, HeaderOptions};
    /// let d = Declarations::from_headers(&["stdio.h", "stdlib.h"], &HeaderOptions::new())?;
    /// assert!(d.function_names().contains(&"qsort".to_string()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`HeaderOptions::preprocess`].
    pub fn from_headers<S: AsRef<str>>(
        names: &[S],
        options: &HeaderOptions,
    ) -> Result<Declarations> {
        let text = options.preprocess(names)?;
        Ok(Declarations::from_preprocessed(&text))
    }
}

/// The compiler and its leading arguments: the options', `$CC`, or `cc`.
fn compiler(options: &HeaderOptions) -> (OsString, Vec<OsString>) {
    if let Some(c) = &options.compiler {
        return (c.clone(), Vec::new());
    }
    if let Some(cc) = std::env::var_os("CC").filter(|c| !c.is_empty()) {
        let s = cc.to_string_lossy().into_owned();
        let mut words = s.split_whitespace().map(OsString::from);
        if let Some(first) = words.next() {
            return (first, words.collect());
        }
    }
    (OsString::from("cc"), Vec::new())
}

/// The `#include` line for a header: `"name"` for a path or a file in the
/// current directory, `<name>` otherwise; `None` for a name that cannot be
/// included.
fn include_line(name: &str) -> Option<String> {
    if name.is_empty() || name.contains(['\n', '\0', '"', '>']) {
        None
    } else if name.contains('/') || Path::new(name).is_file() {
        Some(format!("#include \"{name}\"\n"))
    } else {
        Some(format!("#include <{name}>\n"))
    }
}

/// Runs the preprocessor on a text that includes each header; returns its output.
fn preprocess(names: &[&str], options: &HeaderOptions) -> Result<String> {
    let fail = |message: String| Error::Header {
        header: names.join(", ").into(),
        message: message.into(),
    };
    if names.is_empty() {
        return Err(fail("no header given".into()));
    }
    let mut include = String::new();
    for name in names {
        let line =
            include_line(name).ok_or_else(|| fail(format!("`{name}` is not a header name")))?;
        include.push_str(&line);
    }
    let (cc, mut args) = compiler(options);
    args.extend(["-E", "-dD"].map(OsString::from));
    for dir in &options.include_dirs {
        args.push(OsString::from("-I"));
        args.push(dir.clone().into_os_string());
    }
    for (k, v) in &options.defines {
        args.push(OsString::from(format!("-D{k}={v}")));
    }
    args.extend(options.flags.iter().cloned());
    args.extend(["-x", "c", "-"].map(OsString::from));
    let mut child = Command::new(&cc)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let cc = cc.to_string_lossy();
            if e.kind() == ErrorKind::NotFound {
                fail(format!(
                    "no C compiler: `{cc}` was not found (install gcc or clang, or set CC; \
                     rctypes::cdef needs no compiler)"
                ))
            } else {
                fail(format!("cannot run the C compiler `{cc}`: {e}"))
            }
        })?;
    // Written from another thread: many headers may not fit the pipe, and
    // the compiler may write output before it has read them all.
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let r = stdin.write_all(include.as_bytes());
            drop(stdin); // the end of the text
            r
        })
    });
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("the preprocessor failed: {e}")))?;
    let written = match writer.map(std::thread::JoinHandle::join) {
        Some(Ok(r)) => r.map_err(|e| e.to_string()),
        Some(Err(_)) => Err("the writing thread panicked".to_string()),
        None => Err("no pipe to the preprocessor".to_string()),
    };
    if !out.status.success() {
        let diag = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = diag
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(5)
            .collect();
        return Err(fail(
            if lines.is_empty() && out.status.code() == Some(127) {
                // what a failed exec reports where the spawn cannot (a shell's
                // "command not found"; posix_spawn under some tools)
                format!(
                    "no C compiler: `{}` could not be run (exit status 127; install gcc or clang, \
                 or set CC; rctypes::cdef needs no compiler)",
                    cc.to_string_lossy()
                )
            } else if lines.is_empty() {
                format!("the preprocessor exited with {}", out.status)
            } else {
                lines.join("; ")
            },
        ));
    }
    written.map_err(|e| fail(format!("cannot write to the preprocessor: {e}")))?;
    String::from_utf8(out.stdout)
        .or_else(|e| Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()))
}
