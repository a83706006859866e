//! `rctypes`: C declarations on the command line.
//!
//! * `rctypes call [-l LIB]... [--header H]... [LIB] 'double cos(double)' 0.5`
//!   calls a C function and prints the result as Python's ctypes would.
//! * `rctypes layout [--header H]... 'struct z_stream_s'` prints a type's
//!   size, alignment and every member's offset, size and bits, like `pahole`.
//! * `rctypes check LIB --header H` lists the functions the header declares
//!   that the library does not export, and the reverse.
//!
//! Every error is one line on stderr and exit code 2; `check` exits 1 when
//! it found differences.

mod render;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use rctypes::{
    CDll, CType, Declarations, HeaderOptions, Value, exported_functions, find_library,
    find_library_path, get_errno,
};

/// C declarations on the command line: call functions, show layouts, check headers.
#[derive(Parser)]
#[command(name = "rctypes", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Call a C function: `rctypes call libm.so.6 'double cos(double)' 0.5`.
    ///
    /// The first positional argument is a library when it has no `(` (and,
    /// with --header, is not a function the headers declare); then comes a
    /// prototype (or, with --header, a function name) and the arguments,
    /// converted by the declared parameter types: integers (decimal, 0x
    /// hex, 0o octal, 0b binary, negative), floating numbers, strings for
    /// `char *`, NULL for pointers. Without a library, the functions of
    /// this process (libc, libm) are searched.
    Call(CallArgs),
    /// Show a type's layout: size, alignment, and each member's offset,
    /// size and bits.
    Layout(LayoutArgs),
    /// Compare a header with a library: functions declared but not
    /// exported, and exported but not declared. Exits 1 when they differ.
    Check(CheckArgs),
}

/// Where declarations come from.
#[derive(Args)]
struct Headers {
    /// A header to read declarations from (repeatable), run through the C preprocessor.
    #[arg(long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// A directory to search for headers (repeatable).
    #[arg(short = 'I', value_name = "DIR")]
    include: Vec<PathBuf>,
    /// A macro to define before reading the headers (repeatable).
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    define: Vec<String>,
    /// C declarations given as text (repeatable), added after the headers.
    #[arg(long = "cdef", value_name = "TEXT")]
    cdef: Vec<String>,
}

#[derive(Args)]
struct CallArgs {
    /// A library to search for the function (repeatable): a short name as
    /// for `cc -l` (m, z, sqlite3), a file name the loader finds
    /// (libm.so.6), or a path.
    #[arg(short = 'l', long = "lib", value_name = "LIB")]
    libs: Vec<String>,
    #[command(flatten)]
    decls: Headers,
    /// Also print errno as the function left it.
    #[arg(long)]
    errno: bool,
    /// An optional library, then a prototype (or, with --header, a
    /// function name), then the arguments.
    #[arg(
        value_name = "ARGS",
        required = true,
        num_args = 1..,
        allow_negative_numbers = true,
        trailing_var_arg = true
    )]
    rest: Vec<String>,
}

#[derive(Args)]
struct LayoutArgs {
    #[command(flatten)]
    decls: Headers,
    /// The type: a typedef name, `struct tag`, or any C type name.
    #[arg(value_name = "TYPE")]
    type_name: String,
}

#[derive(Args)]
struct CheckArgs {
    /// The library: a short name (z), a file name (libz.so.1), or a path.
    #[arg(value_name = "LIB")]
    lib: String,
    #[command(flatten)]
    decls: Headers,
    /// Check every function the preprocessed headers declare, not only
    /// those declared in the named headers themselves.
    #[arg(long)]
    all: bool,
}

/// An error for the user: printed on one line, exit code 2.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

type Res<T> = Result<T, Failure>;

fn fail<T>(msg: impl Into<String>) -> Res<T> {
    Err(Failure(msg.into()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Call(a) => call(a),
        Command::Layout(a) => layout(a),
        Command::Check(a) => check(a),
    };
    match result {
        Ok(code) => code,
        Err(Failure(msg)) => {
            let one_line = msg.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("rctypes: error: {one_line}");
            ExitCode::from(2)
        }
    }
}

/// The declarations from --header (all headers preprocessed together) and --cdef.
fn declarations(h: &Headers) -> Res<Declarations> {
    let mut opts = HeaderOptions::new();
    for dir in &h.include {
        opts = opts.include_dir(dir);
    }
    for d in &h.define {
        let (k, v) = d.split_once('=').unwrap_or((d.as_str(), "1"));
        opts = opts.define(k, v);
    }
    // All the headers in one translation unit.
    let mut decls = if h.headers.is_empty() {
        Declarations::new()
    } else {
        Declarations::from_headers(&h.headers, &opts)?
    };
    for text in &h.cdef {
        decls.cdef(text)?;
    }
    Ok(decls)
}

/// Opens a library as the user named it: a path or file name as is, a
/// short name through `find_library` (as ctypes does).
fn open_library(name: &str) -> Res<(CDll, String)> {
    let target: PathBuf = if name.contains('/') || name.contains(".so") || name.contains(".dylib") {
        PathBuf::from(name)
    } else {
        match find_library(name) {
            Some(p) => p,
            None => return fail(format!("library `{name}` not found")),
        }
    };
    // SAFETY: loading a library runs its initialisers; the user asked for it.
    let lib = unsafe { CDll::open(&target) }?;
    Ok((lib, target.to_string_lossy().into_owned()))
}

fn looks_like_prototype(s: &str) -> bool {
    s.contains('(')
}

fn call(a: CallArgs) -> Res<ExitCode> {
    let mut decls = declarations(&a.decls)?;
    let mut rest = a.rest.as_slice();
    let mut lib_names = a.libs.clone();
    // A first positional without '(' is a library, unless the headers
    // declare a function of that name.
    if let [first, more @ ..] = rest {
        let is_function = decls.symbol(first).is_some();
        if !looks_like_prototype(first) && !more.is_empty() && !is_function {
            lib_names.push(first.clone());
            rest = more;
        } else if !looks_like_prototype(first) && !is_function && a.decls.headers.is_empty() {
            return fail(format!(
                "`{first}`: expected a prototype such as 'double cos(double)' (or --header to call a function by name)"
            ));
        }
    }
    let Some((proto, args)) = rest.split_first() else {
        return fail("expected a prototype or a function name");
    };
    let name = if looks_like_prototype(proto) {
        let before = decls.function_names();
        decls.cdef_prototype(proto)?;
        let after = decls.function_names();
        match after.iter().find(|n| !before.contains(n)) {
            Some(n) => n.clone(),
            None => match prototype_name(proto) {
                Some(n) if decls.symbol(&n).is_some() => n,
                _ => {
                    let why = decls
                        .skipped()
                        .last()
                        .map(|s| format!(": {}", s.reason))
                        .unwrap_or_default();
                    return fail(format!(
                        "`{proto}` declares no function rctypes can call{why}"
                    ));
                }
            },
        }
    } else {
        proto.clone()
    };
    let mut libs = Vec::new();
    for l in &lib_names {
        libs.push(open_library(l)?);
    }
    if libs.is_empty() {
        // As a C program linked with -lm sees it: this process, then libm.
        libs.push((CDll::this_process()?, "this process".to_string()));
        if let Some(m) = find_library("m") {
            // SAFETY: libm's initialisers are safe to run.
            if let Ok(lib) = unsafe { CDll::open(&m) } {
                libs.push((lib, m.to_string_lossy().into_owned()));
            }
        }
    }
    let symbol = decls.symbol(&name).unwrap_or(&name).to_string();
    let Some((lib, _)) = libs.iter().find(|(l, _)| l.symbol_address(&symbol).is_ok()) else {
        let where_ = libs
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return fail(format!("symbol `{symbol}` not found in {where_}"));
    };
    let mut func = decls.function(lib, &name)?;
    if a.errno {
        func = func.use_errno(true);
    }
    let fixed = func.declared_argtypes().map(<[CType]>::to_vec);
    let mut values = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let ty = fixed.as_ref().and_then(|f| f.get(i));
        values.push(
            render::parse_arg(arg, ty)
                .map_err(|e| Failure(format!("argument {i} (`{arg}`): {e}")))?,
        );
    }
    // SAFETY: the user vouches for the prototype, as with ctypes; a wrong
    // one is undefined behaviour rctypes cannot detect.
    let result: Value = unsafe { func.call(&values) }?;
    flush_c_stdio();
    let text = render::python_repr(&result);
    if !text.is_empty() {
        println!("{text}");
    }
    if a.errno {
        println!("errno: {}", get_errno());
    }
    Ok(ExitCode::SUCCESS)
}

/// Flushes C's stdout, so that what the called function printed comes
/// before the result (C buffers a piped stdout until exit).
fn flush_c_stdio() {
    if let Ok(libc) = CDll::this_process()
        && let Ok(fflush) = libc.declare("int fflush(void *)")
    {
        // SAFETY: fflush(NULL) flushes every C output stream.
        let _ = unsafe { fflush.call(&[Value::Null]) };
    }
}

/// The declarator name of a simple prototype: the last identifier before
/// the first `(`.
fn prototype_name(proto: &str) -> Option<String> {
    let head = proto.split('(').next()?;
    let name: String = head
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let name: String = name.chars().rev().collect();
    (!name.is_empty()).then_some(name)
}

fn layout(a: LayoutArgs) -> Res<ExitCode> {
    let decls = declarations(&a.decls)?;
    let ty = decls.type_of(&a.type_name)?;
    let mut out = String::new();
    render::layout(
        &mut out,
        &a.type_name,
        &ty,
        decls.typedef_alignment(&a.type_name),
    );
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// A titled list with its count, one name an indented line.
fn list(out: &mut String, title: &str, names: &[&String]) {
    let _ = writeln!(out, "{title} ({}):", names.len());
    for n in names {
        let _ = writeln!(out, "  {n}");
    }
}

fn check(a: CheckArgs) -> Res<ExitCode> {
    if a.decls.headers.is_empty() {
        return fail("check needs --header");
    }
    let decls = declarations(&a.decls)?;
    let (lib, _) = open_library(&a.lib)?;
    // The file the loader opens: a path as given, else the loader's search.
    let file = if a.lib.contains('/') {
        Some(PathBuf::from(&a.lib))
    } else {
        find_library_path(&a.lib)
    };
    let file = file.ok_or_else(|| {
        Failure(format!(
            "cannot find the file of `{}` to read its exports (give a path)",
            a.lib
        ))
    })?;
    let exported = exported_functions(&file)?;
    // The functions of the named headers (not of everything they include).
    let basenames: Vec<&str> = a
        .decls
        .headers
        .iter()
        .map(|h| h.rsplit('/').next().unwrap_or(h))
        .collect();
    let ours = |name: &str| -> bool {
        a.all
            || decls.file_of(name).is_some_and(|f| {
                let base = f.rsplit('/').next().unwrap_or(f);
                basenames.contains(&base)
            })
    };
    let declared: Vec<String> = decls
        .function_names()
        .into_iter()
        .filter(|n| ours(n))
        .collect();
    let symbols: Vec<String> = declared
        .iter()
        .map(|n| decls.symbol(n).unwrap_or(n).to_string())
        .collect();
    let missing: Vec<&String> = declared
        .iter()
        .zip(&symbols)
        .filter(|(_, s)| lib.symbol_address(s).is_err())
        .map(|(n, _)| n)
        .collect();
    let symbol_set: HashSet<&str> = symbols.iter().map(String::as_str).collect();
    let undeclared: Vec<&String> = exported
        .iter()
        .filter(|e| !symbol_set.contains(e.as_str()))
        .collect();
    let headers = a.decls.headers.join(", ");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{headers}: {} functions declared; {}: {} functions exported",
        declared.len(),
        file.display(),
        exported.len()
    );
    let name = &a.lib;
    let title = format!("declared in {headers} but not exported by {name}");
    list(&mut out, &title, &missing);
    let title = format!("exported by {name} but not declared in {headers}");
    list(&mut out, &title, &undeclared);
    print!("{out}");
    Ok(if missing.is_empty() && undeclared.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
