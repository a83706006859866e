//! C declarations as input (cffi's and LuaJIT's `ffi.cdef`): C text, or a
//! real header run through the system preprocessor, turned into the same
//! [`CType`]s, prototypes and constants the builder API makes.
//!
//! * [`cdef`] / [`Declarations::cdef`] parse declarations: typedefs,
//!   structures, unions and enums (bitfields, `packed`, `aligned`,
//!   `#pragma pack`), prototypes, `extern` variables, enum constants and
//!   `#define` constants.
//! * [`Declarations::from_header`] runs `cc -E` on a header and parses
//!   everything it declares; what rctypes cannot express is listed by
//!   [`Declarations::skipped`], never fatal.
//! * [`Declarations::function`] and [`Declarations::variable`] bind the
//!   declarations to a loaded library; [`CDll::declare`] does it for one
//!   prototype; `"int (*)(int)".parse::<CType>()` reads one type name and
//!   [`CType::c_decl`] writes one back.
//!
//! The parser is pure Rust (no compiler needed for [`cdef`]), never panics
//! and bounds its recursion; layouts come from the crate's one layout engine.

mod cdecl;
mod expr;
mod header;
mod lexer;
mod parser;
mod ty;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::call::Function;
use crate::ctype::CType;
use crate::error::{Error, Result};
use crate::library::CDll;
use crate::memory::CData;
use crate::value::Value;
use expr::CVal;
use parser::{PErr, Parser};
use ty::{FnTy, Ty};

pub use header::HeaderOptions;

/// What kind of declaration a [`Skipped`] entry was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeclKind {
    /// A function prototype (or definition).
    Function,
    /// A variable.
    Variable,
    /// A typedef, structure, union or enum.
    Type,
    /// An enum constant.
    Constant,
}

impl fmt::Display for DeclKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeclKind::Function => "function",
            DeclKind::Variable => "variable",
            DeclKind::Type => "type",
            DeclKind::Constant => "constant",
        })
    }
}

/// A declaration that could not be expressed (an `__int128` parameter, a
/// `_Float128` function, a static inline function no library exports, a
/// structure the layout engine refuses, a declaration the parser could not
/// read in a real header), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The declared name (a structure's `struct tag`).
    pub name: String,
    /// What it declared.
    pub kind: DeclKind,
    /// Why it was skipped, with where it is (`file:line` for headers).
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`: {}", self.kind, self.name, self.reason)
    }
}

/// A typedef: its type, and an alignment given to the typedef itself
/// (`typedef struct {..} T __attribute__((aligned(16)))`), which applies
/// where `T` is a member's type.
#[derive(Clone)]
pub(crate) struct Typedef {
    pub ty: Ty,
    pub align: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagKind {
    Struct,
    Union,
    Enum,
}

impl TagKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            TagKind::Struct => "struct",
            TagKind::Union => "union",
            TagKind::Enum => "enum",
        }
    }
}

/// A structure, union or enum tag. Records are declared (incomplete) until
/// defined; an enum declared before its definition has no type yet.
#[derive(Clone)]
pub(crate) struct Tag {
    pub kind: TagKind,
    pub ty: Option<CType>,
}

/// A declared function or variable: its type, and where it binds.
#[derive(Clone)]
pub(crate) struct Decl<T> {
    /// The declared type.
    pub ty: T,
    /// The `__asm__("name")` label: the symbol to bind.
    pub symbol: Option<String>,
    /// The header that declared it (from the preprocessor's line markers).
    pub file: Option<Arc<str>>,
}

/// A declared function.
pub(crate) type FuncDecl = Decl<Arc<FnTy>>;
/// A declared variable.
pub(crate) type VarDecl = Decl<CType>;

/// A `#define`: its body's text, its parameters if function-like, and
/// whether it is one of the compiler's predefined macros.
#[derive(Clone)]
pub(crate) struct Macro {
    pub body: String,
    pub params: Option<Vec<String>>,
    pub builtin: bool,
}

/// C declarations, parsed: types, functions, variables and constants, by
/// name (cffi's `ffi` after `ffi.cdef`).
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{cdef, sizeof, CType};
/// let decls = cdef(r#"
///     typedef struct { int x, y; } Point;
///     enum color { RED, GREEN = 5, BLUE };
///     #define BUF_SIZE 256
///     double hypot(double, double);
/// "#)?;
/// assert_eq!(sizeof(&decls.type_of("Point")?), 8);
/// assert_eq!(decls.constant("BLUE")?.as_i64()?, 6);
/// assert_eq!(decls.constant("BUF_SIZE")?.as_i64()?, 256);
/// assert_eq!(decls.type_of("enum color")?, CType::c_uint());
/// assert_eq!(decls.function_names(), ["hypot"]);
/// # Ok(()) }
/// ```
///
/// Names follow C's scopes: typedef names, functions, variables and enum
/// constants share one namespace, tags another; a tag declared inside a
/// structure is visible at file scope; a parameter name hides a typedef of
/// the same name within its prototype. A typedef names one shared type.
/// An identical redefinition is accepted; a different one is an
/// [`Error::Declaration`] and the first declaration stays.
///
/// C types map as a ctypes user would write them: `char *` is `c_char_p`,
/// `wchar_t *` `c_wchar_p`, `void *` `c_void_p`, `signed char` `c_byte`,
/// `unsigned char` `c_ubyte`, `char` `c_char`, a pointer to a function its
/// `CFUNCTYPE`, an enum the integer type gcc gives it (`unsigned int` when
/// no value is negative, `int` otherwise, wider when needed). The fixed-width
/// and system type names (`size_t`, `int32_t`, `wchar_t`, `off_t`, `time_t`,
/// `va_list`, ...) need no declaration.
#[derive(Clone, Default)]
pub struct Declarations {
    pub(crate) typedefs: HashMap<String, Typedef>,
    pub(crate) typedef_order: Vec<String>,
    pub(crate) tags: HashMap<String, Tag>,
    pub(crate) tag_order: Vec<String>,
    pub(crate) functions: HashMap<String, FuncDecl>,
    pub(crate) function_order: Vec<String>,
    pub(crate) variables: HashMap<String, VarDecl>,
    pub(crate) variable_order: Vec<String>,
    pub(crate) enum_consts: HashMap<String, CVal>,
    pub(crate) enum_order: Vec<String>,
    pub(crate) macros: HashMap<String, Macro>,
    pub(crate) macro_order: Vec<String>,
    /// The `#define`s (not the compiler's own) whose bodies are constants.
    pub(crate) constants: HashMap<String, CVal>,
    /// The skipped declarations, in order; after a parse, only those in
    /// `skipped_keys` (see [`compact_skipped`](Declarations::compact_skipped)).
    pub(crate) skipped: Vec<Skipped>,
    /// The (kind, name) of every skipped entry and its index in `skipped`,
    /// for constant-time checks and look-ups.
    pub(crate) skipped_keys: HashMap<(DeclKind, String), usize>,
}

impl fmt::Debug for Declarations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Declarations")
            .field("types", &(self.typedefs.len() + self.tags.len()))
            .field("functions", &self.functions.len())
            .field("variables", &self.variables.len())
            .field(
                "constants",
                &(self.enum_consts.len() + self.constants.len()),
            )
            .field("skipped", &self.skipped.len())
            .finish()
    }
}

/// Parses C declarations (`ffi.cdef`): see [`Declarations`].
///
/// # Errors
/// [`Error::Declaration`] with the 1-based line and column and what was
/// expected, for text that is not C declarations, a preprocessor directive
/// other than `#define`, `#undef` and `#pragma`, or a conflicting
/// redefinition.
///
/// ```
/// let e = rctypes::cdef("int f(int;").unwrap_err();
/// assert!(matches!(e, rctypes::Error::Declaration { line: 1, column: 10, .. }), "{e}");
/// ```
pub fn cdef(text: &str) -> Result<Declarations> {
    let mut d = Declarations::new();
    d.cdef(text)?;
    Ok(d)
}

/// One C type name, as a type: with only the built-in type names known, or
/// those of `known` too.
fn parse_type_name(text: &str, known: Option<&Declarations>) -> Result<CType> {
    let mut scratch = Declarations::new();
    let t = Parser::new(text, &mut scratch, known, true)
        .whole_type_name()
        .map_err(|e| declaration_error(text, e))?;
    t.ctype()
        .map_err(|reason| unsupported_type(text.trim().to_string(), &reason))
}

/// A type rctypes cannot describe, and why.
fn unsupported_type(type_name: String, reason: &str) -> Error {
    Error::Unsupported {
        operation: "describing the type".into(),
        type_name: type_name.into(),
        reason: reason.to_string().into(),
    }
}

/// Turns a parser error into the crate's error, with line and column.
fn declaration_error(text: &str, e: PErr) -> Error {
    let (line, column) = lexer::line_col(text, e.offset);
    Error::Declaration {
        line,
        column,
        message: e.message.into(),
    }
}

impl Declarations {
    /// No declarations yet.
    pub fn new() -> Declarations {
        Declarations::default()
    }

    /// Adds the declarations in `text` (C after preprocessing, plus
    /// `#define` constants and `#pragma pack`) to these.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// let mut decls = rctypes::Declarations::new();
    /// decls.cdef("typedef unsigned long ulong_t;")?;
    /// decls.cdef("ulong_t twice(ulong_t);")?;
    /// assert_eq!(decls.function_names(), ["twice"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`cdef`]. The declarations before the faulty one have been added;
    /// the faulty one and those after it have not.
    pub fn cdef(&mut self, text: &str) -> Result<()> {
        self.parse(text, true)
            .map_err(|e| declaration_error(text, e))
    }

    /// Adds C text that may lack its last `;`, as a prototype is written on
    /// its own (`"int abs(int)"`): what [`CDll::declare`] reads. A
    /// declaration left unfinished is reported as ending with the text.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// let mut decls = rctypes::Declarations::new();
    /// decls.cdef_prototype("typedef unsigned long ulong_t; ulong_t twice(ulong_t)")?;
    /// assert_eq!(decls.function_names(), ["twice"]);
    /// let e = decls.cdef_prototype("int f(int").unwrap_err();
    /// assert!(e.to_string().ends_with("found the end of the text"), "{e}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`cdef`].
    pub fn cdef_prototype(&mut self, text: &str) -> Result<()> {
        let trimmed = text.trim_end();
        if trimmed.ends_with(';') {
            return self.cdef(trimmed);
        }
        // The `;` is ours: a missing piece is reported where the text ends.
        self.cdef(&format!("{trimmed};")).map_err(|e| match e {
            Error::Declaration {
                line,
                column,
                message,
            } => Error::Declaration {
                line,
                column,
                message: message
                    .replace("found `;`", "found the end of the text")
                    .into(),
            },
            other => other,
        })
    }

    /// Parses `text` into these declarations (strictly: the first error
    /// stops it; leniently: what cannot be parsed is skipped), then settles
    /// what depends on the whole: the skipped list and the constants.
    fn parse(&mut self, text: &str, strict: bool) -> std::result::Result<(), PErr> {
        let r = Parser::new(text, self, None, strict).parse_unit();
        self.compact_skipped();
        self.evaluate_constants();
        r
    }

    /// Drops the skipped entries of declarations that were declared after
    /// all (the parser only takes their keys off the list, so that many
    /// such take linear time), and renumbers the rest.
    fn compact_skipped(&mut self) {
        if self.skipped.len() == self.skipped_keys.len() {
            return;
        }
        let keys = &self.skipped_keys;
        let mut i = 0usize;
        self.skipped.retain(|s| {
            let live = keys.get(&(s.kind, s.name.clone())) == Some(&i);
            i += 1;
            live
        });
        for (i, s) in self.skipped.iter().enumerate() {
            self.skipped_keys.insert((s.kind, s.name.clone()), i);
        }
    }

    /// The skipped entry for a name of a kind.
    fn skipped_entry(&self, kind: DeclKind, name: &str) -> Option<&Skipped> {
        let i = *self.skipped_keys.get(&(kind, name.to_string()))?;
        self.skipped.get(i)
    }

    /// Parses the output of a C preprocessor (`cc -E`, ideally with `-dD`
    /// to keep `#define`s) as [`from_header`](Declarations::from_header)
    /// does: everything that cannot be read or expressed is listed by
    /// [`skipped`](Declarations::skipped) and the rest is kept.
    ///
    /// ```
    /// let d = rctypes::Declarations::from_preprocessed("int ok(void); int bad(int; long fine;");
    /// assert_eq!(d.function_names(), ["ok"]);
    /// assert_eq!(d.variable_names(), ["fine"]);
    /// assert_eq!(d.skipped()[0].name, "bad");
    /// ```
    pub fn from_preprocessed(text: &str) -> Declarations {
        let mut d = Declarations::new();
        // Lenient parsing only stops at the end of the text.
        let _ = d.parse(text, false);
        d
    }

    /// Evaluates every `#define` whose body is a constant expression.
    fn evaluate_constants(&mut self) {
        let names: Vec<String> = self
            .macro_order
            .iter()
            .filter(|n| {
                self.macros
                    .get(*n)
                    .is_some_and(|m| !m.builtin && m.params.is_none() && !m.body.is_empty())
            })
            .cloned()
            .collect();
        let mut scratch = Declarations::new();
        let mut values = HashMap::with_capacity(names.len());
        {
            let mut p = Parser::new("", &mut scratch, Some(self), true);
            for n in names {
                if let Some(v) = p.macro_value(&n) {
                    values.insert(n, v);
                }
            }
        }
        self.constants = values;
    }

    /// The C type a type name denotes: a typedef (`"Point"`), a tag
    /// (`"struct flags"`, `"enum color"`), or any type name built from
    /// them (`"int (*)(int, int)"`, `"char *[4]"`, `"const Point *"`).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{cdef, CType};
    /// let d = cdef("typedef struct { int x, y; } Point;")?;
    /// assert_eq!(d.type_of("Point *")?, d.type_of("Point")?.pointer());
    /// assert_eq!(d.type_of("char *[4]")?, CType::c_char_p().array(4));
    /// assert_eq!(
    ///     d.type_of("int (*)(int, int)")?,
    ///     CType::function(CType::c_int(), [CType::c_int(), CType::c_int()])
    /// );
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotDeclared`] for a name or tag that is not declared;
    /// [`Error::Unsupported`] for a type rctypes cannot express (the reason
    /// says which part); [`Error::Declaration`] for text that is not a type name.
    pub fn type_of(&self, name: &str) -> Result<CType> {
        let words: Vec<&str> = name.split_whitespace().collect();
        match words.as_slice() {
            [kw @ ("struct" | "union" | "enum"), tag] if !self.tags.contains_key(*tag) => {
                return Err(self.not_declared(DeclKind::Type, &format!("{kw} {tag}")));
            }
            [single]
                if lexer::keyword(single).is_none()
                    && single
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_')
                    && !self.typedefs.contains_key(*single)
                    && !ty::BUILTIN_TYPEDEFS.contains_key(single) =>
            {
                return Err(self.not_declared(DeclKind::Type, single));
            }
            _ => {}
        }
        let t = parse_type_name(name, Some(self))?;
        // A structure that could not be laid out stays declared (pointers to
        // it work); asked for by its name, it says why it is incomplete.
        if t.is_incomplete() {
            let key = words.join(" ");
            if let Some(s) = self.skipped_entry(DeclKind::Type, &key) {
                return Err(unsupported_type(key, &s.reason));
            }
        }
        Ok(t)
    }

    /// The function declared as `name` (or through a macro alias such as
    /// gmp's `#define mpz_init __gmpz_init`).
    fn find_function(&self, name: &str) -> Option<(&str, &FuncDecl)> {
        let mut n = name;
        for _ in 0..16 {
            if let Some((k, f)) = self.functions.get_key_value(n) {
                return Some((k.as_str(), f));
            }
            n = self.alias_target(n)?;
        }
        None
    }

    /// The identifier a macro forwards to: `#define a b` or
    /// `#define a(x, y) b(x, y)`.
    fn alias_target(&self, name: &str) -> Option<&str> {
        let m = self.macros.get(name)?;
        let ident = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
                && !s.as_bytes()[0].is_ascii_digit()
        };
        match &m.params {
            None => ident(&m.body).then_some(m.body.as_str()),
            Some(params) => {
                let (target, rest) = m.body.split_once('(')?;
                let target = target.trim();
                let args = rest.trim().strip_suffix(')')?;
                let args: Vec<&str> = if args.trim().is_empty() {
                    Vec::new()
                } else {
                    args.split(',').map(str::trim).collect()
                };
                (ident(target) && args == params.iter().map(String::as_str).collect::<Vec<_>>())
                    .then_some(target)
            }
        }
    }

    fn not_declared(&self, kind: DeclKind, name: &str) -> Error {
        let message = if let Some(s) = self.skipped_entry(kind, name) {
            format!("it was skipped: {}", s.reason)
        } else if kind != DeclKind::Function && self.find_function(name).is_some() {
            "it is a function".to_string()
        } else if kind != DeclKind::Variable && self.variables.contains_key(name) {
            "it is a variable".to_string()
        } else if kind != DeclKind::Type && self.typedefs.contains_key(name) {
            "it is a type".to_string()
        } else {
            String::new()
        };
        Error::NotDeclared {
            kind: kind.to_string().into(),
            name: name.to_string().into(),
            message: message.into(),
        }
    }

    /// The declared function `name`, bound to `lib`: its argtypes, restype
    /// and variadic flag come from the declaration, and the symbol from an
    /// `__asm__("label")` if it has one. A macro that forwards to a function
    /// (`#define mpz_init __gmpz_init`) binds its target. A function
    /// declared without a prototype (`int f();`) has no argtypes, as in ctypes.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{cdef, CDll};
    /// let libc = CDll::this_process()?;
    /// let decls = cdef("long strtol(const char *restrict, char **restrict, int);")?;
    /// let strtol = decls.function(&libc, "strtol")?;
    /// // SAFETY: the declaration is libc's.
    /// let r = unsafe { strtol.call(&["-ff".into(), rctypes::Value::Null, 16.into()])? };
    /// assert_eq!(r.as_i64()?, -255);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotDeclared`] when no function `name` is declared (the
    /// message says when it was skipped, and why); [`Error::SymbolNotFound`]
    /// when the library does not export it.
    pub fn function(&self, lib: &CDll, name: &str) -> Result<Function> {
        let Some((cname, f)) = self.find_function(name) else {
            return Err(self.not_declared(DeclKind::Function, name));
        };
        let symbol = f.symbol.as_deref().unwrap_or(cname);
        let func = lib.function(symbol)?;
        bind(func, &f.ty, name)
    }

    /// The declared variable `name` in `lib`, as an instance over the
    /// library's memory (`T.in_dll(lib, name)` with `T` from the declaration).
    ///
    /// # Safety
    /// As [`CDll::variable`]: the declaration must be the variable's real
    /// type, and `char *`/`wchar_t *` stored in it NULL or valid strings.
    ///
    /// # Errors
    /// [`Error::NotDeclared`] when no variable `name` is declared;
    /// [`Error::SymbolNotFound`]; [`Error::Unsupported`] when its type is
    /// incomplete.
    pub unsafe fn variable(&self, lib: &CDll, name: &str) -> Result<CData> {
        let Some((cname, v)) = self.variables.get_key_value(name) else {
            return Err(self.not_declared(DeclKind::Variable, name));
        };
        v.ty.layout_size()?;
        let symbol = v.symbol.as_deref().unwrap_or(cname);
        // SAFETY: forwarded from the caller.
        unsafe { lib.variable(symbol, &v.ty) }
    }

    /// An enum constant or a `#define` constant: integers as
    /// [`Value::Int`]/[`Value::UInt`] (after C's typing: `0xFFFFFFFFu` is
    /// unsigned), floating constants as [`Value::Float`], strings as
    /// [`Value::Bytes`] (wide ones [`Value::Str`]), an integer cast to a
    /// pointer type as [`Value::Pointer`] (or [`Value::Null`] for 0).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// let d = rctypes::cdef(r#"
    ///     #define MAX_NAME (16 * 4 - 1)
    ///     #define VERSION "1.2.3"
    ///     #define RATIO 0.5f
    ///     #define ALL_BITS (~0u)
    /// "#)?;
    /// assert_eq!(d.constant("MAX_NAME")?.as_i64()?, 63);
    /// assert_eq!(d.constant("VERSION")?.as_bytes()?, b"1.2.3");
    /// assert_eq!(d.constant("RATIO")?.as_f64()?, 0.5);
    /// assert_eq!(d.constant("ALL_BITS")?.as_u64()?, 0xFFFF_FFFF);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotDeclared`] when `name` is neither an enum constant nor a
    /// `#define` whose body is a constant expression.
    pub fn constant(&self, name: &str) -> Result<Value> {
        if let Some(v) = self
            .enum_consts
            .get(name)
            .or_else(|| self.constants.get(name))
        {
            return Ok(v.to_value());
        }
        if self.macros.contains_key(name) {
            return Err(Error::NotDeclared {
                kind: "constant".into(),
                name: name.to_string().into(),
                message: "it is a macro whose body is not a constant expression".into(),
            });
        }
        Err(self.not_declared(DeclKind::Constant, name))
    }

    /// The declarations that could not be expressed, and why: functions
    /// and variables whose types rctypes has no counterpart for
    /// (`__int128`, `_Float128`, complex integers, vector types), static
    /// functions (no library exports them), structures the layout engine
    /// refuses, and, in headers, declarations the parser could not read.
    /// Plain macros are not listed.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The declared functions, in declaration order (C names; see
    /// [`symbol`](Declarations::symbol) for the symbols they bind to).
    pub fn function_names(&self) -> Vec<String> {
        self.function_order.clone()
    }

    /// The declared variables, in declaration order.
    pub fn variable_names(&self) -> Vec<String> {
        self.variable_order.clone()
    }

    /// The declared type names: typedefs, then tags as `struct x`,
    /// `union y`, `enum z` (incomplete ones included), in declaration order.
    pub fn type_names(&self) -> Vec<String> {
        let mut out = self.typedef_order.clone();
        for t in &self.tag_order {
            if let Some(tag) = self.tags.get(t) {
                out.push(format!("{} {t}", tag.kind.keyword()));
            }
        }
        out
    }

    /// The enum constants, then the `#define` constants (those whose body is
    /// a constant expression; the compiler's predefined macros excluded).
    pub fn constant_names(&self) -> Vec<String> {
        let mut out = self.enum_order.clone();
        for m in &self.macro_order {
            if self.constants.contains_key(m) && !self.enum_consts.contains_key(m) {
                out.push(m.clone());
            }
        }
        out
    }

    /// The symbol a declared function or variable binds to: its name, or
    /// its `__asm__("label")` (glibc's `fscanf` is `__isoc99_fscanf`).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// let d = rctypes::cdef(r#"int my_scanf(const char *, ...) __asm__("" "__isoc99_scanf");"#)?;
    /// assert_eq!(d.symbol("my_scanf"), Some("__isoc99_scanf"));
    /// # Ok(()) }
    /// ```
    pub fn symbol(&self, name: &str) -> Option<&str> {
        if let Some((k, f)) = self.find_function(name) {
            return Some(f.symbol.as_deref().unwrap_or(k));
        }
        self.variables
            .get_key_value(name)
            .map(|(k, v)| v.symbol.as_deref().unwrap_or(k))
    }

    /// The file that declared a function or variable, as the preprocessor
    /// named it (`/usr/include/zlib.h`); `None` for text given to
    /// [`cdef`](Declarations::cdef) without line markers.
    ///
    /// ```
    /// let d = rctypes::Declarations::from_preprocessed("# 1 \"/inc/x.h\"\nint f(void);");
    /// assert_eq!(d.file_of("f"), Some("/inc/x.h"));
    /// ```
    pub fn file_of(&self, name: &str) -> Option<&str> {
        match self.functions.get(name) {
            Some(f) => f.file.as_deref(),
            None => self.variables.get(name).and_then(|v| v.file.as_deref()),
        }
    }

    /// The alignment a typedef adds to its type, when declared with
    /// `__attribute__((aligned(n)))` on the typedef itself (then `sizeof`
    /// stays the type's, as in gcc, and members of this type are aligned to
    /// `n`): glibc's `__pthread_unwind_buf_t`, for example.
    pub fn typedef_alignment(&self, name: &str) -> Option<usize> {
        self.typedefs.get(name).and_then(|t| t.align)
    }
}

/// Sets a function's signature from its declaration.
fn bind(func: Function, f: &FnTy, name: &str) -> Result<Function> {
    let unsupported = |reason: Arc<str>| Error::Unsupported {
        operation: "binding the function".into(),
        type_name: name.to_string().into(),
        reason: reason.to_string().into(),
    };
    let ret = f.ret.ctype().map_err(unsupported)?;
    let mut func = func.restype(ret);
    if f.prototyped {
        let mut args = Vec::with_capacity(f.params.len());
        for p in &f.params {
            args.push(p.ty.ctype().map_err(unsupported)?);
        }
        func = func.argtypes(args);
        if f.variadic {
            func = func.variadic();
        }
    }
    Ok(func)
}

impl FromStr for CType {
    type Err = Error;

    /// One C type name, with only the built-in type names known
    /// (`"unsigned long"`, `"const char *"`, `"int (*)(const void *, const void *)"`,
    /// `"struct { int a:3; unsigned b:5; }"`).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::CType;
    /// let t: CType = "int (*)(const void *, const void *)".parse()?;
    /// assert_eq!(t, CType::function(CType::c_int(), [CType::c_void_p(), CType::c_void_p()]));
    /// let s: CType = "struct { int a:3; unsigned b:5; }".parse()?;
    /// assert_eq!(rctypes::sizeof(&s), 4);
    /// assert!("int int".parse::<CType>().is_err());
    /// # Ok(()) }
    /// ```
    fn from_str(s: &str) -> Result<CType> {
        parse_type_name(s, None)
    }
}

impl CType {
    /// C text declaring `name` with this type (`name` may be empty for a
    /// type name): `c_int.pointer()` gives `int *p`, a `CFUNCTYPE`
    /// `int (*f)(int, int)`. Structures and unions are written with their
    /// members (and `packed`/`aligned`/`#pragma pack` attributes), so that
    /// [`cdef`] of the text gives the same layout.
    ///
    /// ```
    /// use rctypes::CType;
    /// assert_eq!(CType::c_int().pointer().c_decl("p"), "int *p");
    /// assert_eq!(CType::c_char_p().array(4).c_decl("names"), "char *names[4]");
    /// let cmp = CType::function(CType::c_int(), [CType::c_void_p(), CType::c_void_p()]);
    /// assert_eq!(cmp.c_decl("cmp"), "int (*cmp)(void *, void *)");
    /// assert_eq!(CType::c_double().array(3).pointer().c_decl(""), "double (*)[3]");
    /// ```
    pub fn c_decl(&self, name: &str) -> String {
        cdecl::declaration(self, name)
    }
}

impl CDll {
    /// One prototype in C, bound to this library: `lib.declare("int add(int, int)")`
    /// is `lib.function("add")` with the argtypes, restype and variadic flag
    /// the prototype gives. Only the built-in type names are known (use
    /// [`Declarations`] for typedefs and structures).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// let libc = rctypes::CDll::this_process()?;
    /// let abs = libc.declare("int abs(int)")?;
    /// // SAFETY: abs has this prototype.
    /// assert_eq!(unsafe { abs.call(&[(-3).into()])? }.as_i64()?, 3);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Declaration`] when the text is not exactly one function
    /// prototype; [`Error::NotDeclared`] when it uses a type rctypes cannot
    /// express; [`Error::SymbolNotFound`].
    pub fn declare(&self, prototype: &str) -> Result<Function> {
        let mut d = Declarations::new();
        d.cdef_prototype(prototype)?;
        let names: Vec<&str> = d
            .function_order
            .iter()
            .map(String::as_str)
            .chain(
                d.skipped
                    .iter()
                    .filter(|s| s.kind == DeclKind::Function)
                    .map(|s| s.name.as_str()),
            )
            .collect();
        match names.as_slice() {
            [one] => d.function(self, one),
            _ => Err(Error::Declaration {
                line: 1,
                column: 1,
                message: format!(
                    "expected exactly one function prototype, found {} functions{}",
                    names.len(),
                    if d.variables.is_empty() && d.typedefs.is_empty() {
                        ""
                    } else {
                        " (and other declarations)"
                    }
                )
                .into(),
            }),
        }
    }
}
