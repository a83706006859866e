//! A recursive-descent parser for C declarations (what a header holds after
//! preprocessing), building rctypes types as it goes.
//!
//! C's grammar needs to know which identifiers are type names (`T * x;` is
//! a declaration when `T` is a typedef, an expression otherwise); the
//! parser asks its [`Declarations`] (and the built-in names) whenever an
//! identifier could start a type, with prototype scopes where parameter
//! names hide typedefs, as in C. Structures and unions are laid out by the
//! crate's layout engine through [`RecordBuilder`](crate::RecordBuilder):
//! there is no second layout engine here.
//!
//! Every recursion is bounded ([`MAX_DEPTH`]): deeply nested text is an
//! error, never a stack overflow.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::expr::{self, BinOp, CVal, CastTo, IntTy, UnOp};
use super::lexer::{self, ExtFloat, Kw, P, Tok, Token};
use super::ty::{self, FnTy, Param, Ty};
use super::{Decl, DeclKind, Declarations, Macro, Skipped, Tag, TagKind, Typedef};
use crate::ctype::{CType, Kind, Pointee, Scalar};
use crate::layout::RecordKind;

/// How deep declarators, parameter lists, structure bodies and expressions
/// may nest.
pub(crate) const MAX_DEPTH: usize = 64;

/// How deep a type may nest (pointers, arrays, prototypes, records
/// inside records): deeper types are refused, so that nothing that walks
/// or drops a type recurses without bound.
pub(crate) const MAX_TYPE_DEPTH: usize = 200;

/// gcc's `__BIGGEST_ALIGNMENT__` on x86-64: what a bare `aligned` means.
const BIGGEST_ALIGNMENT: usize = 16;

/// A table of [`Declarations`] by name, with the declaration order.
type TableOf<T> = fn(&mut Declarations) -> (&mut HashMap<String, Decl<T>>, &mut Vec<String>);

/// A syntax error (or a conflict, in strict mode): where and what.
#[derive(Debug, Clone)]
pub(crate) struct PErr {
    pub offset: usize,
    pub message: String,
}

type PResult<T> = Result<T, PErr>;

/// `__attribute__`s that change types or layouts (the others are ignored).
#[derive(Clone, Debug, Default)]
pub(crate) struct Attrs {
    pub packed: bool,
    pub aligned: Option<usize>,
    pub mode: Option<&'static str>,
    pub big_endian: Option<bool>,
    pub unsupported: Option<String>,
}

/// The stricter of two alignment requests (gcc honours the largest).
fn max_align(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl Attrs {
    fn merge(&mut self, o: Attrs) {
        self.packed |= o.packed;
        self.aligned = max_align(self.aligned, o.aligned);
        if o.mode.is_some() {
            self.mode = o.mode;
        }
        if o.big_endian.is_some() {
            self.big_endian = o.big_endian;
        }
        if o.unsupported.is_some() {
            self.unsupported = o.unsupported;
        }
    }
}

/// One step from a declarator's base type to its declared type.
enum Op {
    Ptr,
    /// `[n]`, or `[]` (`None`).
    Array(Option<usize>),
    Func(Arc<FnParts>),
}

struct FnParts {
    params: Vec<Param>,
    variadic: bool,
    prototyped: bool,
}

/// A parsed declarator: the name (with its offset), and the steps to apply
/// to the base type, innermost first.
struct Declarator {
    name: Option<(String, usize)>,
    ops: Vec<Op>,
    attrs: Attrs,
}

impl Declarator {
    /// Where the declarator's name is, or else `start` (of the specifiers).
    fn pos(&self, start: usize) -> usize {
        self.name.as_ref().map_or(start, |n| n.1)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DMode {
    /// A name is required (file-scope declarations, members).
    Named,
    /// A name is optional (parameters).
    Param,
    /// No name (type names).
    Abstract,
}

/// Storage class.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Storage {
    None,
    Typedef,
    Extern,
    Static,
}

/// Declaration specifiers, resolved.
struct Specs {
    storage: Storage,
    base: Ty,
    /// From a typedef declared with `aligned`, `_Alignas`, or an `aligned`
    /// attribute among the specifiers.
    align: Option<usize>,
    attrs: Attrs,
    /// An untagged structure or union defined here (for anonymous members).
    anon_record: bool,
    /// Whether the specifiers defined or declared a tag (so that a
    /// declaration without declarators is not an error).
    has_tag: bool,
    start: usize,
}

/// A prototype scope: parameter names hide typedefs of the same name, and
/// tags first declared in a parameter list stay there.
#[derive(Default)]
struct Scope {
    /// The parameter names (a set: every type name is looked up here).
    names: HashSet<String>,
    tags: HashMap<String, Tag>,
}

/// A field being collected for a structure or union.
struct FieldPlan {
    name: String,
    ty: Ty,
    bits: Option<u32>,
    align: Option<usize>,
    packed: bool,
    anonymous: bool,
}

/// A macro's value, as evaluated once.
#[derive(Clone)]
enum Cached {
    /// The value (or that there is none), and how many nesting levels its
    /// evaluation takes: usable wherever that many are left.
    Done { value: Option<CVal>, need: usize },
    /// Evaluated `at` a nesting depth where the bound stopped it: there or
    /// deeper it is stopped again; shallower it is evaluated again (at most
    /// [`MAX_DEPTH`] times, each shallower).
    Cut { at: usize },
}

/// How a #line marker maps preprocessed lines back to a header.
#[derive(Clone)]
pub(crate) struct Marker {
    /// The first line of the text the marker applies to.
    text_line: u32,
    file: Arc<str>,
    /// That line's number in `file`.
    file_line: u32,
}

pub(crate) struct Parser<'s, 'd> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    pub(crate) d: &'d mut Declarations,
    base: Option<&'d Declarations>,
    /// Strict: syntax errors and conflicts are errors (`cdef`). Lenient:
    /// they skip the declaration (real headers).
    strict: bool,
    pack: Option<usize>,
    pack_stack: Vec<Option<usize>>,
    scopes: Vec<Scope>,
    depth: usize,
    /// Whether the text comes from the compiler's predefined macros.
    in_builtin_file: bool,
    markers: Vec<Marker>,
    /// A directive that could not be handled, reported at the next
    /// declaration boundary.
    dir_error: Option<PErr>,
    /// Errors of evaluation are ignored while > 0 (the unevaluated arm of
    /// `?:`, `&&`, `||`).
    no_eval: usize,
    /// The macros being evaluated, innermost last (not expanded again).
    macro_stack: Vec<String>,
    /// The macros evaluated so far.
    macro_cache: HashMap<String, Cached>,
    /// The deepest nesting reached, to know how deep a macro's value goes.
    deepest: usize,
    /// Whether the nesting bound stopped something since this was last
    /// cleared: a value computed then depends on how deep it was asked for.
    cut: bool,
    /// The name of the declaration being parsed, for the skipped list.
    current: Option<(String, DeclKind)>,
    /// Nesting depth of the types seen, by identity (the types are held so
    /// that an address is never reused while it is a key).
    depths: HashMap<usize, (CType, usize)>,
    fn_depths: HashMap<usize, (Arc<FnTy>, usize)>,
    /// The file the text is from, per the last line marker.
    file: Option<Arc<str>>,
    /// Names anonymous members `$0`, `$1`, ... uniquely within a top-level
    /// declaration (nested anonymous members are flattened into one record).
    anon_members: usize,
}

fn is_specifier_kw(k: Kw) -> bool {
    !matches!(
        k,
        Kw::Asm | Kw::Alignof | Kw::Sizeof | Kw::StaticAssert | Kw::Declspec
    )
}

impl<'s, 'd> Parser<'s, 'd> {
    pub(crate) fn new(
        src: &'s str,
        d: &'d mut Declarations,
        base: Option<&'d Declarations>,
        strict: bool,
    ) -> Parser<'s, 'd> {
        let toks = lexer::tokenize(src);
        let mut p = Parser {
            src,
            toks,
            pos: 0,
            d,
            base,
            strict,
            pack: None,
            pack_stack: Vec::new(),
            scopes: Vec::new(),
            depth: 0,
            in_builtin_file: false,
            markers: Vec::new(),
            dir_error: None,
            no_eval: 0,
            macro_stack: Vec::new(),
            macro_cache: HashMap::new(),
            deepest: 0,
            cut: false,
            current: None,
            depths: HashMap::new(),
            fn_depths: HashMap::new(),
            anon_members: 0,
            file: None,
        };
        p.settle();
        p
    }

    // ---- tokens ---------------------------------------------------------------------------

    fn tok(&self) -> Token {
        // The token list always ends with Eof and `pos` never passes it.
        self.toks
            .get(self.pos)
            .copied()
            .unwrap_or_else(|| self.eof())
    }

    fn peek(&self) -> Tok {
        self.tok().kind
    }

    fn text_of(&self, t: Token) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn text(&self) -> &'s str {
        self.text_of(self.tok())
    }

    /// The `n`th real token after the current one (directive lines
    /// skipped, not processed); the end of the text when there is none.
    fn token_at(&self, n: usize) -> Token {
        let mut left = n;
        let mut directive = false;
        let after = self.toks.iter().skip(self.pos.saturating_add(1));
        for t in after {
            match t.kind {
                Tok::DirStart => directive = true,
                Tok::DirEnd => directive = false,
                Tok::Eof => break,
                _ if directive => {}
                _ => {
                    left = left.saturating_sub(1);
                    if left == 0 {
                        return *t;
                    }
                }
            }
        }
        self.eof()
    }

    /// The kind of the `n`th real token after the current one.
    fn peek_at(&self, n: usize) -> Tok {
        self.token_at(n).kind
    }

    /// The text of the `n`th real token after the current one.
    fn peek_text_at(&self, n: usize) -> &'s str {
        self.text_of(self.token_at(n))
    }

    /// The last token: the end of the text.
    fn eof(&self) -> Token {
        self.toks.last().copied().unwrap_or(Token {
            kind: Tok::Eof,
            start: self.src.len(),
            end: self.src.len(),
            line: 1,
        })
    }

    /// Moves to the next token, handling the directive lines on the way.
    fn bump(&mut self) {
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        self.settle();
    }

    /// Handles directive lines at the current position.
    fn settle(&mut self) {
        while self.peek() == Tok::DirStart {
            let start = self.pos + 1;
            let mut end = start;
            while end < self.toks.len() - 1 && self.toks[end].kind != Tok::DirEnd {
                end += 1;
            }
            self.directive(start, end);
            self.pos = (end + 1).min(self.toks.len() - 1);
        }
    }

    fn at(&self, p: P) -> bool {
        self.peek() == Tok::Punct(p)
    }

    fn at_kw(&self, k: Kw) -> bool {
        self.peek() == Tok::Kw(k)
    }

    fn eat(&mut self, p: P) -> bool {
        if self.at(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: P, what: &str) -> PResult<()> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn err_at(&self, offset: usize, message: impl Into<String>) -> PErr {
        PErr {
            offset,
            message: message.into(),
        }
    }

    /// "expected X, found Y" at the current token.
    fn expected(&self, what: &str) -> PErr {
        let t = self.tok();
        let found = match t.kind {
            Tok::Eof => "the end of the text".to_string(),
            Tok::Invalid => format!("`{}` (not a C token)", bounded(self.text())),
            _ => format!("`{}`", bounded(self.text())),
        };
        self.err_at(t.start, format!("expected {what}, found {found}"))
    }

    /// Runs `f` one nesting level deeper: every recursion of the parser
    /// goes through here, so that text nesting deeper than [`MAX_DEPTH`]
    /// levels is an error, not a stack overflow.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            self.cut = true;
            return Err(self.err_at(
                self.tok().start,
                format!("declarations nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Skips a balanced `( ... )`, `[ ... ]` or `{ ... }` starting at the
    /// current token.
    fn skip_balanced(&mut self) -> PResult<()> {
        self.skip_to_close(self.tok(), 0)
    }

    /// Skips tokens up to and past the bracket that closes `depth` open
    /// ones (`open` the outermost, for the message if it is never closed).
    fn skip_to_close(&mut self, open: Token, mut depth: usize) -> PResult<()> {
        loop {
            match self.peek() {
                Tok::Punct(P::LParen | P::LBracket | P::LBrace) => depth += 1,
                Tok::Punct(P::RParen | P::RBracket | P::RBrace) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return Ok(());
                    }
                }
                Tok::Eof => {
                    return Err(self.err_at(
                        open.start,
                        format!("`{}` is never closed", self.text_of(open)),
                    ));
                }
                Tok::Invalid => return Err(self.expected("C tokens")),
                _ => {}
            }
            self.bump();
        }
    }

    // ---- directives ----------------------------------------------------------------------

    fn directive(&mut self, start: usize, end: usize) {
        let toks: Vec<Token> = self.toks[start..end].to_vec();
        let Some(first) = toks.first().copied() else {
            return; // `#` alone: the null directive
        };
        let word = self.text_of(first);
        match (first.kind, word) {
            (Tok::Number, _) => self.line_marker(first, &toks[1..], first.line),
            (_, "line") => {
                if let Some(n) = toks.get(1) {
                    self.line_marker(*n, &toks[2..], first.line);
                }
            }
            (_, "define") => self.define(&toks[1..], first),
            (_, "undef") => {
                if let Some(n) = toks.get(1) {
                    let name = self.text_of(*n).to_string();
                    self.d.macros.remove(&name);
                }
            }
            (_, "pragma") => self.pragma(&toks[1..], first),
            (_, "ident" | "sccs" | "warning") => {}
            _ => {
                if self.strict && self.dir_error.is_none() {
                    self.dir_error = Some(self.err_at(
                        first.start,
                        format!(
                            "the directive `#{word}` is not supported: cdef takes preprocessed \
                             declarations (use Declarations::from_header for a header)"
                        ),
                    ));
                }
            }
        }
    }

    fn line_marker(&mut self, num: Token, rest: &[Token], line: u32) {
        let Ok(file_line) = self.text_of(num).parse::<u32>() else {
            return;
        };
        let file = match rest.first() {
            Some(t) if t.kind == Tok::Str => Arc::from(lexer::literal(self.text_of(*t)).1),
            _ => match self.markers.last() {
                Some(m) => m.file.clone(),
                None => Arc::from(""),
            },
        };
        self.in_builtin_file = matches!(&*file, "<built-in>" | "<command-line>");
        self.file = Some(file.clone());
        self.markers.push(Marker {
            text_line: line.saturating_add(1),
            file,
            file_line,
        });
    }

    fn define(&mut self, toks: &[Token], hash: Token) {
        let Some(name_tok) = toks.first().copied() else {
            return;
        };
        if !matches!(name_tok.kind, Tok::Ident | Tok::Kw(_)) {
            if self.strict && self.dir_error.is_none() {
                self.dir_error =
                    Some(self.err_at(name_tok.start, "expected a macro name after #define"));
            }
            return;
        }
        let name = self.text_of(name_tok).to_string();
        let mut body_toks = &toks[1..];
        // A function-like macro: `(` right after the name.
        let mut params = None;
        if let Some(t) = body_toks.first()
            && t.kind == Tok::Punct(P::LParen)
            && t.start == name_tok.end
        {
            let mut ps = Vec::new();
            let mut i = 1;
            while let Some(t) = body_toks.get(i) {
                i += 1;
                match t.kind {
                    Tok::Punct(P::RParen) => break,
                    Tok::Punct(P::Comma) => {}
                    _ => ps.push(self.text_of(*t).to_string()),
                }
            }
            params = Some(ps);
            body_toks = body_toks.get(i..).unwrap_or(&[]);
        }
        let body = match (body_toks.first(), body_toks.last()) {
            (Some(a), Some(b)) => self.src.get(a.start..b.end).unwrap_or("").to_string(),
            _ => String::new(),
        };
        let _ = hash;
        if !self.d.macros.contains_key(&name) {
            self.d.macro_order.push(name.clone());
        }
        self.d.macros.insert(
            name,
            Macro {
                body,
                params,
                builtin: self.in_builtin_file,
            },
        );
    }

    fn pragma(&mut self, toks: &[Token], hash: Token) {
        let words: Vec<&str> = toks.iter().map(|t| self.text_of(*t)).collect();
        if words.first() != Some(&"pack") {
            return; // other pragmas do not change declarations
        }
        let args: Vec<&str> = words
            .iter()
            .skip(1)
            .copied()
            .filter(|w| !matches!(*w, "(" | ")" | ","))
            .collect();
        let mut bad = None;
        let mut value = |s: &str| -> Option<usize> {
            match s.parse::<usize>() {
                Ok(n) if n.is_power_of_two() && n <= 16 => Some(n),
                _ => {
                    bad = Some(s.to_string());
                    None
                }
            }
        };
        match args.as_slice() {
            [] => self.pack = None,
            ["push", rest @ ..] => {
                self.pack_stack.push(self.pack);
                if let Some(n) = rest.iter().find(|w| w.bytes().all(|c| c.is_ascii_digit()))
                    && let Some(n) = value(n)
                {
                    self.pack = Some(n);
                }
            }
            ["pop", rest @ ..] => {
                self.pack = self.pack_stack.pop().unwrap_or(None);
                if let Some(n) = rest.iter().find(|w| w.bytes().all(|c| c.is_ascii_digit()))
                    && let Some(n) = value(n)
                {
                    self.pack = Some(n);
                }
            }
            [n] => {
                if let Some(n) = value(n) {
                    self.pack = Some(n);
                }
            }
            _ => bad = Some(args.join(" ")),
        }
        if let Some(b) = bad
            && self.strict
            && self.dir_error.is_none()
        {
            self.dir_error = Some(self.err_at(
                hash.start,
                format!("#pragma pack: expected 1, 2, 4, 8 or 16, push or pop, found `{b}`"),
            ));
        }
    }

    /// "file:line" (or "line N") of a byte offset, for the skipped list.
    pub(crate) fn location(&self, offset: usize) -> String {
        // The line of the token at (or before) the offset: no scan of the text.
        let i = self.toks.partition_point(|t| t.start <= offset);
        let line = match i.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(t) => t.line,
            None => 1,
        };
        let idx = self.markers.partition_point(|m| m.text_line <= line);
        match idx.checked_sub(1).and_then(|i| self.markers.get(i)) {
            Some(m) => {
                let l = m.file_line.saturating_add(line - m.text_line);
                let file = m.file.rsplit('/').next().unwrap_or(&m.file);
                format!("{file}:{l}")
            }
            None => format!("line {line}"),
        }
    }

    // ---- the translation unit ------------------------------------------------------------

    /// Parses declarations up to the end of the text. In strict mode the
    /// first error stops it; in lenient mode a declaration that cannot be
    /// parsed is skipped (and listed) and parsing goes on.
    pub(crate) fn parse_unit(&mut self) -> PResult<()> {
        loop {
            if let Some(e) = self.dir_error.take() {
                return Err(e);
            }
            if self.peek() == Tok::Eof {
                return Ok(());
            }
            let start = self.pos;
            self.current = None;
            self.depth = 0;
            self.anon_members = 0;
            self.scopes.clear();
            if let Err(e) = self.external_declaration() {
                if self.strict {
                    return Err(e);
                }
                self.recover(start, e);
            }
        }
    }

    /// After an error in lenient mode: list the declaration as skipped and
    /// move past its end (`;` at nesting depth 0, or a function body).
    fn recover(&mut self, start: usize, e: PErr) {
        let (name, kind) = self.current.take().unwrap_or_else(|| {
            (
                format!("<declaration at {}>", self.location(self.toks[start].start)),
                DeclKind::Type,
            )
        });
        let reason = format!("{} (at {})", e.message, self.location(e.offset));
        self.skip(name, kind, reason);
        // Nesting between the declaration's start and the error: braces
        // apart (a `;` inside parentheses ends the declaration too).
        let mut braces: isize = 0;
        let mut i = start;
        while i < self.pos {
            match self.toks[i].kind {
                Tok::DirStart => {
                    while i < self.pos && self.toks[i].kind != Tok::DirEnd {
                        i += 1;
                    }
                }
                Tok::Punct(P::LBrace) => braces += 1,
                Tok::Punct(P::RBrace) => braces -= 1,
                _ => {}
            }
            i += 1;
        }
        let mut after_paren = false;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct(P::Semi) if braces <= 0 => {
                    self.bump();
                    return;
                }
                Tok::Punct(P::LBrace) => {
                    if braces <= 0 && after_paren {
                        // A function body: skip it whole.
                        let _ = self.skip_balanced();
                        return;
                    }
                    braces += 1;
                }
                Tok::Punct(P::RBrace) => {
                    braces -= 1;
                    if braces < 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            after_paren = self.at(P::RParen);
            self.bump();
        }
    }

    fn external_declaration(&mut self) -> PResult<()> {
        if self.eat(P::Semi) {
            return Ok(());
        }
        if self.at_kw(Kw::StaticAssert) || self.at_kw(Kw::Asm) {
            // _Static_assert(...); and top-level asm("..."); declare nothing.
            self.bump();
            if self.at(P::LParen) {
                self.skip_balanced()?;
            }
            return self.expect(P::Semi, "`;`");
        }
        let specs = self.specifiers()?;
        if self.eat(P::Semi) {
            if !specs.has_tag {
                return Err(self.err_at(specs.start, "a declaration that declares nothing"));
            }
            return Ok(());
        }
        let mut first = true;
        loop {
            let d = self.declarator(DMode::Named)?;
            if let Some((n, _)) = &d.name {
                let kind = match (specs.storage, d.ops.first()) {
                    (Storage::Typedef, _) => DeclKind::Type,
                    (_, Some(Op::Func(_))) => DeclKind::Function,
                    _ => DeclKind::Variable,
                };
                self.current = Some((n.clone(), kind));
            }
            let symbol = self.asm_label()?;
            let mut attrs = d.attrs.clone();
            attrs.merge(self.attributes()?);
            let is_function = matches!(d.ops.first(), Some(Op::Func(_)));
            if first && is_function && self.at(P::LBrace) {
                // A function definition (an inline body in a header): the
                // declaration counts, the body is skipped.
                self.skip_balanced()?;
                return self.declare(&specs, d, symbol, attrs, true);
            }
            if self.eat(P::Assign) {
                self.skip_initializer()?;
            }
            self.declare(&specs, d, symbol, attrs, false)?;
            if self.eat(P::Comma) {
                first = false;
                continue;
            }
            return self.expect(P::Semi, "`;` or `,` after a declarator");
        }
    }

    fn skip_initializer(&mut self) -> PResult<()> {
        loop {
            match self.peek() {
                Tok::Punct(P::Comma | P::Semi) | Tok::Eof => return Ok(()),
                Tok::Invalid => return Err(self.expected("an initializer")),
                Tok::Punct(P::LParen | P::LBracket | P::LBrace) => self.skip_balanced()?,
                _ => self.bump(),
            }
        }
    }

    fn asm_label(&mut self) -> PResult<Option<String>> {
        if !self.at_kw(Kw::Asm) {
            return Ok(None);
        }
        self.bump();
        self.expect(P::LParen, "`(` after asm")?;
        let mut label = String::new();
        while self.peek() == Tok::Str {
            label.push_str(lexer::literal(self.text()).1);
            self.bump();
        }
        self.expect(P::RParen, "`)` after an asm label")?;
        Ok(Some(label))
    }

    // ---- declaring names ------------------------------------------------------------------

    fn declare(
        &mut self,
        specs: &Specs,
        d: Declarator,
        symbol: Option<String>,
        attrs: Attrs,
        has_body: bool,
    ) -> PResult<()> {
        let Some((name, name_pos)) = d.name.clone() else {
            return Err(self.err_at(specs.start, "expected a name in the declaration"));
        };
        let (ty, attrs) = self.declared_type(specs, &attrs, &d.ops, name_pos)?;
        let align = max_align(specs.align, attrs.aligned);
        match specs.storage {
            Storage::Typedef => self.add_typedef(name, ty, align, name_pos),
            storage => match ty {
                Ty::Func(f) => self.add_function(name, f, symbol, storage, has_body, name_pos),
                ty => self.add_variable(name, ty, symbol, storage, name_pos),
            },
        }
    }

    /// The type a declarator declares, and all its attributes: the
    /// specifiers' base type, changed by a `mode` or an unsupported
    /// attribute among the specifiers' and `attrs` (those of the declarator
    /// and after it), through the declarator's steps. Every declaration goes
    /// through here: file-scope names, members, parameters and type names.
    fn declared_type(
        &mut self,
        specs: &Specs,
        attrs: &Attrs,
        ops: &[Op],
        pos: usize,
    ) -> PResult<(Ty, Attrs)> {
        let mut all = specs.attrs.clone();
        all.merge(attrs.clone());
        let mut base = specs.base.clone();
        if let Some(mode) = all.mode {
            base = apply_mode(&base, mode);
        }
        if let Some(u) = &all.unsupported {
            base = Ty::unsupported(u.clone());
        }
        Ok((self.apply(base, ops, pos)?, all))
    }

    /// [`declared_type`](Self::declared_type) of a member or parameter
    /// declarator, with the attributes that follow it.
    fn declarator_type(&mut self, specs: &Specs, d: &Declarator) -> PResult<(Ty, Attrs)> {
        let mut attrs = d.attrs.clone();
        attrs.merge(self.attributes()?);
        self.declared_type(specs, &attrs, &d.ops, d.pos(specs.start))
    }

    /// Records a declaration that cannot be expressed.
    pub(crate) fn skip(&mut self, name: String, kind: DeclKind, reason: String) {
        let index = self.d.skipped.len();
        if let Entry::Vacant(slot) = self.d.skipped_keys.entry((kind, name)) {
            let name = slot.key().1.clone();
            slot.insert(index);
            self.d.skipped.push(Skipped { name, kind, reason });
        }
    }

    /// Records a declaration that cannot be expressed, and why, with where it
    /// is; returns the reason as recorded.
    fn skip_at(
        &mut self,
        name: String,
        kind: DeclKind,
        why: impl fmt::Display,
        pos: usize,
    ) -> String {
        let reason = format!("{why} (at {})", self.location(pos));
        self.skip(name, kind, reason.clone());
        reason
    }

    /// Takes a declaration off the skipped list, now that it is declared.
    /// The entry stays in the list until [`Declarations::compact_skipped`]
    /// (after the parse), so that many of these take linear time.
    fn unskip(&mut self, name: &str, kind: DeclKind) {
        self.d.skipped_keys.remove(&(kind, name.to_string()));
    }

    /// A redefinition that differs: an error in strict mode, skipped otherwise.
    fn conflict(&mut self, pos: usize, name: &str, kind: DeclKind, what: String) -> PResult<()> {
        if self.strict {
            return Err(self.err_at(pos, what));
        }
        self.skip_at(name.to_string(), kind, what, pos);
        Ok(())
    }

    /// The entry for `name` in a table of these declarations, or else of the
    /// base ones.
    fn known<T>(&self, table: fn(&Declarations) -> &HashMap<String, T>, name: &str) -> Option<&T> {
        table(self.d)
            .get(name)
            .or_else(|| self.base.and_then(|b| table(b).get(name)))
    }

    /// What an ordinary identifier names already, if anything.
    fn ordinary_kind(&self, name: &str) -> Option<DeclKind> {
        if self.known(|d| &d.typedefs, name).is_some() {
            Some(DeclKind::Type)
        } else if self.known(|d| &d.functions, name).is_some() {
            Some(DeclKind::Function)
        } else if self.known(|d| &d.variables, name).is_some() {
            Some(DeclKind::Variable)
        } else if self.known(|d| &d.enum_consts, name).is_some() {
            Some(DeclKind::Constant)
        } else {
            None
        }
    }

    /// Whether `name` may be declared as `kind`: it names nothing else of
    /// the ordinary identifiers (typedef names, functions, variables and
    /// enum constants share one namespace). When it does, the conflict is
    /// an error (strict) or the declaration is skipped, and `Ok(false)`.
    fn admit(&mut self, name: &str, kind: DeclKind, pos: usize) -> PResult<bool> {
        let Some(other) = self.ordinary_kind(name).filter(|k| *k != kind) else {
            return Ok(true);
        };
        let article = match other {
            DeclKind::Type => "a type name",
            DeclKind::Function => "a function",
            DeclKind::Variable => "a variable",
            DeclKind::Constant => "an enum constant",
        };
        let what = format!("`{name}` is already declared as {article}");
        self.conflict(pos, name, kind, what)?;
        Ok(false)
    }

    /// Adds a function or variable declared in the current file, or
    /// replaces the one declared (`new` false): a new one is taken off the
    /// skipped list and takes its place in the declaration order.
    fn store<T>(
        &mut self,
        kind: DeclKind,
        name: String,
        ty: T,
        symbol: Option<String>,
        new: bool,
        table: TableOf<T>,
    ) {
        if new {
            self.unskip(&name, kind);
        }
        let file = self.file.clone();
        let (map, order) = table(self.d);
        if new {
            order.push(name.clone());
        }
        map.insert(name, Decl { ty, symbol, file });
    }

    fn add_typedef(
        &mut self,
        name: String,
        ty: Ty,
        align: Option<usize>,
        pos: usize,
    ) -> PResult<()> {
        if !self.admit(&name, DeclKind::Type, pos)? {
            return Ok(());
        }
        if let Some(old) = self.typedef(&name) {
            if ty::same_ty(&old.ty, &ty) && old.align == align {
                return Ok(());
            }
            return self.conflict(
                pos,
                &name,
                DeclKind::Type,
                format!("`{name}` is already declared as a different type"),
            );
        }
        let ty = match ty::BUILTIN_TYPEDEFS.get(name.as_str()) {
            Some(b) if ty::compatible_with_builtin(&name, b, &ty) => b.clone(),
            _ => ty,
        };
        if let Ty::Unsupported(r) = &ty {
            self.skip_at(name.clone(), DeclKind::Type, r, pos);
        }
        self.d.typedef_order.push(name.clone());
        self.d.typedefs.insert(name, Typedef { ty, align });
        Ok(())
    }

    fn add_function(
        &mut self,
        name: String,
        f: Arc<FnTy>,
        symbol: Option<String>,
        storage: Storage,
        has_body: bool,
        pos: usize,
    ) -> PResult<()> {
        const KIND: DeclKind = DeclKind::Function;
        if storage == Storage::Static {
            let what = if has_body {
                "a static function defined in the header"
            } else {
                "a static function"
            };
            self.skip_at(
                name,
                KIND,
                format_args!("{what}: no library exports it"),
                pos,
            );
            return Ok(());
        }
        if !self.admit(&name, KIND, pos)? {
            return Ok(());
        }
        if let Err(r) = Ty::Func(f.clone()).ctype() {
            self.skip_at(name, KIND, r, pos);
            return Ok(());
        }
        let new = match self.known(|d| &d.functions, &name) {
            None => true,
            Some(old) => {
                let same = ty::same_ty(&Ty::Func(old.ty.clone()), &Ty::Func(f.clone()));
                if same || !f.prototyped {
                    // A later `__asm__("label")` renames the symbol, as in gcc
                    // (glibc declares fscanf, then redirects it).
                    if let (Some(sym), Some(entry)) = (symbol, self.d.functions.get_mut(&name)) {
                        entry.symbol = Some(sym);
                    }
                    return Ok(());
                }
                if old.ty.prototyped {
                    let what = format!("`{name}` is already declared with a different prototype");
                    return self.conflict(pos, &name, KIND, what);
                }
                false // a prototype after a declaration without one completes it
            }
        };
        let table: TableOf<_> = |d| (&mut d.functions, &mut d.function_order);
        self.store(KIND, name, f, symbol, new, table);
        Ok(())
    }

    fn add_variable(
        &mut self,
        name: String,
        ty: Ty,
        symbol: Option<String>,
        storage: Storage,
        pos: usize,
    ) -> PResult<()> {
        const KIND: DeclKind = DeclKind::Variable;
        if storage == Storage::Static {
            self.skip_at(name, KIND, "a static variable: no library exports it", pos);
            return Ok(());
        }
        if ty.is_void() {
            return Err(self.err_at(pos, format!("the variable `{name}` has type void")));
        }
        if !self.admit(&name, KIND, pos)? {
            return Ok(());
        }
        let ct = match ty.ctype() {
            Ok(t) => t,
            Err(r) => {
                self.skip_at(name, KIND, r, pos);
                return Ok(());
            }
        };
        let new = match self.known(|d| &d.variables, &name) {
            None => true,
            Some(old) => {
                if ty::same_type(&old.ty, &ct) {
                    return Ok(());
                }
                // `extern int a[];` completed by `int a[4];`.
                let completes = old.ty.array_len() == Some(0)
                    && ct.array_len().is_some()
                    && old.ty.element() == ct.element();
                if !completes {
                    let what = format!("`{name}` is already declared with a different type");
                    return self.conflict(pos, &name, KIND, what);
                }
                false
            }
        };
        let table: TableOf<_> = |d| (&mut d.variables, &mut d.variable_order);
        self.store(KIND, name, ct, symbol, new, table);
        Ok(())
    }

    // ---- lookups ----------------------------------------------------------------------------

    fn typedef(&self, name: &str) -> Option<&Typedef> {
        self.known(|d| &d.typedefs, name)
    }

    /// Whether `name` is a type name here (not hidden by a parameter name).
    fn is_type_name(&self, name: &str) -> bool {
        if self.scopes.iter().any(|s| s.names.contains(name)) {
            return false;
        }
        self.typedef(name).is_some() || ty::BUILTIN_TYPEDEFS.contains_key(name)
    }

    fn type_name_ty(&self, name: &str) -> Option<(Ty, Option<usize>)> {
        match self.typedef(name) {
            Some(t) => Some((t.ty.clone(), t.align)),
            None => ty::BUILTIN_TYPEDEFS.get(name).map(|t| (t.clone(), None)),
        }
    }

    fn find_tag(&self, name: &str) -> Option<Tag> {
        for s in self.scopes.iter().rev() {
            if let Some(t) = s.tags.get(name) {
                return Some(t.clone());
            }
        }
        self.known(|d| &d.tags, name).cloned()
    }

    /// Registers a tag in the innermost scope.
    fn set_tag(&mut self, name: String, tag: Tag) {
        if let Some(s) = self.scopes.last_mut() {
            s.tags.insert(name, tag);
        } else {
            if !self.d.tags.contains_key(&name) {
                self.d.tag_order.push(name.clone());
            }
            self.d.tags.insert(name, tag);
        }
    }

    /// Whether the current token can start a type name.
    fn starts_type(&self) -> bool {
        match self.peek() {
            Tok::Kw(k) => is_specifier_kw(k),
            Tok::Ident => self.is_type_name(self.text()),
            _ => false,
        }
    }

    fn starts_type_at(&self, n: usize) -> bool {
        match self.peek_at(n) {
            Tok::Kw(k) => is_specifier_kw(k),
            Tok::Ident => self.is_type_name(self.peek_text_at(n)),
            _ => false,
        }
    }

    // ---- specifiers -------------------------------------------------------------------------

    fn specifiers(&mut self) -> PResult<Specs> {
        let start = self.tok().start;
        let mut storage = Storage::None;
        let mut base: Option<(Ty, Option<usize>)> = None;
        let mut attrs = Attrs::default();
        let mut align: Option<usize> = None;
        let mut anon_record = false;
        let mut has_tag = false;
        let mut c = Counts::default();
        loop {
            let t = self.tok();
            match t.kind {
                Tok::Kw(k) => match k {
                    Kw::Typedef | Kw::Extern | Kw::Static => {
                        let s = match k {
                            Kw::Typedef => Storage::Typedef,
                            Kw::Extern => Storage::Extern,
                            _ => Storage::Static,
                        };
                        if storage != Storage::None && storage != s {
                            return Err(self.err_at(t.start, "more than one storage class"));
                        }
                        storage = s;
                        self.bump();
                    }
                    Kw::Auto
                    | Kw::Register
                    | Kw::Inline
                    | Kw::ThreadLocal
                    | Kw::Noreturn
                    | Kw::Const
                    | Kw::Volatile
                    | Kw::Restrict
                    | Kw::Extension
                    | Kw::Imaginary => self.bump(),
                    Kw::Atomic => {
                        self.bump();
                        if self.at(P::LParen) {
                            // _Atomic(T): the type T.
                            self.bump();
                            let inner = self.type_name()?;
                            self.expect(P::RParen, "`)` after _Atomic(type")?;
                            if base.is_some() || c.any {
                                return Err(self.err_at(t.start, "two types in one declaration"));
                            }
                            base = Some((inner, None));
                        }
                    }
                    Kw::Attribute | Kw::Declspec => attrs.merge(self.attributes()?),
                    Kw::Alignas => {
                        self.bump();
                        self.expect(P::LParen, "`(` after _Alignas")?;
                        let a = if self.starts_type() {
                            let ty = self.type_name()?;
                            ty.ctype().map(|t| t.align()).unwrap_or(1)
                        } else {
                            self.alignment_value()?
                        };
                        self.expect(P::RParen, "`)` after _Alignas(")?;
                        align = max_align(align, Some(a));
                    }
                    Kw::Void
                    | Kw::Char
                    | Kw::Short
                    | Kw::Int
                    | Kw::Long
                    | Kw::Float
                    | Kw::Double
                    | Kw::Signed
                    | Kw::Unsigned
                    | Kw::Bool
                    | Kw::Complex
                    | Kw::Int128 => {
                        c.count(k);
                        self.bump();
                    }
                    Kw::ExtFloat(e) => {
                        if c.ext.is_some() {
                            return Err(self.err_at(t.start, "two types in one declaration"));
                        }
                        c.ext = Some(e);
                        c.any = true;
                        self.bump();
                    }
                    Kw::Struct | Kw::Union | Kw::Enum => {
                        if base.is_some() || c.any {
                            return Err(self.err_at(t.start, "two types in one declaration"));
                        }
                        let in_typedef = storage == Storage::Typedef;
                        let (ty, anon) = if k == Kw::Enum {
                            (self.enum_specifier()?, false)
                        } else {
                            let kind = if k == Kw::Struct {
                                RecordKind::Struct
                            } else {
                                RecordKind::Union
                            };
                            self.record_specifier(kind, in_typedef)?
                        };
                        anon_record = anon;
                        has_tag = true;
                        base = Some((ty, None));
                    }
                    Kw::Typeof => {
                        if base.is_some() || c.any {
                            return Err(self.err_at(t.start, "two types in one declaration"));
                        }
                        base = Some((self.typeof_specifier()?, None));
                    }
                    _ => break,
                },
                Tok::Ident if base.is_none() && !c.any && self.is_type_name(self.text()) => {
                    let name = self.text();
                    base = self.type_name_ty(name);
                    self.bump();
                }
                Tok::Punct(P::LBracket) if self.peek_at(1) == Tok::Punct(P::LBracket) => {
                    attrs.merge(self.attributes()?);
                }
                _ => break,
            }
        }
        let (base, typedef_align) = match base {
            Some((b, a)) => {
                if c.any {
                    return Err(self.err_at(start, "two types in one declaration"));
                }
                (b, a)
            }
            None => {
                if !c.any {
                    return Err(self.expected("a type"));
                }
                let ty = resolve_counts(&c).map_err(|m| self.err_at(start, m))?;
                (ty, None)
            }
        };
        let align = max_align(align, typedef_align);
        Ok(Specs {
            storage,
            base,
            align,
            attrs,
            anon_record,
            has_tag,
            start,
        })
    }

    /// An alignment in `aligned(n)` or `_Alignas(n)`: a power of two.
    fn alignment_value(&mut self) -> PResult<usize> {
        let at = self.tok().start;
        let v = self.const_expr()?;
        match v.as_int().and_then(|v| usize::try_from(v).ok()) {
            Some(n) if n.is_power_of_two() => Ok(n),
            _ => Err(self.err_at(at, "an alignment must be a power of two")),
        }
    }

    fn typeof_specifier(&mut self) -> PResult<Ty> {
        self.bump();
        let open = self.tok();
        self.expect(P::LParen, "`(` after typeof")?;
        if self.starts_type() {
            let t = self.type_name()?;
            self.expect(P::RParen, "`)` after typeof(type")?;
            return Ok(t);
        }
        if self.peek() == Tok::Ident && self.peek_at(1) == Tok::Punct(P::RParen) {
            let name = self.text().to_string();
            self.bump();
            self.bump();
            if let Some(f) = self.known(|d| &d.functions, &name) {
                return Ok(Ty::Func(f.ty.clone()));
            }
            if let Some(v) = self.known(|d| &d.variables, &name) {
                return Ok(Ty::C(v.ty.clone()));
            }
            return Ok(Ty::unsupported(format!(
                "__typeof__({name}): `{name}` is not a declared function or variable"
            )));
        }
        // Any other expression: skip it.
        self.skip_to_close(open, 1)?;
        Ok(Ty::unsupported(
            "__typeof__ of an expression rctypes cannot evaluate",
        ))
    }

    // ---- attributes -----------------------------------------------------------------------

    /// Any number of `__attribute__((...))`, `__declspec(...)` and `[[...]]`.
    fn attributes(&mut self) -> PResult<Attrs> {
        let mut out = Attrs::default();
        loop {
            match self.peek() {
                Tok::Kw(Kw::Attribute) => {
                    self.bump();
                    self.expect(P::LParen, "`((` after __attribute__")?;
                    self.expect(P::LParen, "`((` after __attribute__")?;
                    loop {
                        if self.eat(P::Comma) {
                            continue;
                        }
                        if self.at(P::RParen) {
                            break;
                        }
                        self.attribute(&mut out)?;
                        if !self.at(P::RParen) && !self.at(P::Comma) {
                            return Err(self.expected("`,` or `)` in __attribute__"));
                        }
                    }
                    self.expect(P::RParen, "`))` after __attribute__")?;
                    self.expect(P::RParen, "`))` after __attribute__")?;
                }
                Tok::Kw(Kw::Declspec) => {
                    self.bump();
                    if !self.at(P::LParen) {
                        return Err(self.expected("`(` after __declspec"));
                    }
                    self.skip_balanced()?;
                }
                Tok::Punct(P::LBracket) if self.peek_at(1) == Tok::Punct(P::LBracket) => {
                    self.skip_balanced()?;
                }
                _ => return Ok(out),
            }
        }
    }

    fn attribute(&mut self, out: &mut Attrs) -> PResult<()> {
        if !matches!(self.peek(), Tok::Ident | Tok::Kw(_)) {
            return Err(self.expected("an attribute name"));
        }
        let raw = self.text();
        let name = raw.trim_start_matches("__").trim_end_matches("__");
        self.bump();
        match name {
            "packed" => out.packed = true,
            "aligned" => {
                let a = if self.eat(P::LParen) {
                    let a = self.alignment_value()?;
                    self.expect(P::RParen, "`)` after aligned(n")?;
                    a
                } else {
                    BIGGEST_ALIGNMENT
                };
                out.aligned = max_align(out.aligned, Some(a));
                return Ok(());
            }
            "mode" => {
                self.expect(P::LParen, "`(` after mode")?;
                let m = self.text().trim_start_matches("__").trim_end_matches("__");
                out.mode = Some(match m {
                    "QI" | "byte" => "QI",
                    "HI" => "HI",
                    "SI" => "SI",
                    "DI" => "DI",
                    "TI" => "TI",
                    "word" | "pointer" | "unwind_word" => {
                        if std::mem::size_of::<usize>() == 8 {
                            "DI"
                        } else {
                            "SI"
                        }
                    }
                    "SF" => "SF",
                    "DF" => "DF",
                    "XF" => "XF",
                    _ => "unknown",
                });
                self.bump();
                self.expect(P::RParen, "`)` after mode(...")?;
                return Ok(());
            }
            "vector_size" => {
                out.unsupported = Some("vector types (vector_size) are not supported".into())
            }
            "scalar_storage_order" => {
                self.expect(P::LParen, "`(` after scalar_storage_order")?;
                let order = self.text();
                out.big_endian = Some(order.contains("big"));
                self.bump();
                self.expect(P::RParen, "`)` after scalar_storage_order(...")?;
                return Ok(());
            }
            _ => {}
        }
        if self.at(P::LParen) {
            self.skip_balanced()?;
        }
        Ok(())
    }

    // ---- structures and unions ------------------------------------------------------------

    /// After `struct`, `union` or `enum`: attributes, the tag (with its
    /// offset) if there is one, and attributes.
    fn tag_and_attributes(&mut self) -> PResult<(Option<(String, usize)>, Attrs)> {
        let mut attrs = self.attributes()?;
        let tag = if self.peek() == Tok::Ident {
            let t = (self.text().to_string(), self.tok().start);
            self.bump();
            Some(t)
        } else {
            None
        };
        attrs.merge(self.attributes()?);
        Ok((tag, attrs))
    }

    /// `tag` used as another kind of tag than it was declared as.
    fn tag_conflict(&self, pos: usize, tag: &str, old: TagKind) -> PErr {
        self.err_at(
            pos,
            format!("`{tag}` is already declared as {} {tag}", old.keyword()),
        )
    }

    fn record_specifier(&mut self, kind: RecordKind, in_typedef: bool) -> PResult<(Ty, bool)> {
        let kw_pos = self.tok().start;
        self.bump();
        let (tag, attrs) = self.tag_and_attributes()?;
        let tag_kind = match kind {
            RecordKind::Struct => TagKind::Struct,
            RecordKind::Union => TagKind::Union,
        };
        if !self.at(P::LBrace) {
            let Some((tag, tag_pos)) = tag else {
                let kw = tag_kind.keyword();
                return Err(self.expected(&format!("a tag or `{{` after `{kw}`")));
            };
            return Ok((self.tag_reference(tag_kind, &tag, tag_pos)?, false));
        }
        self.nested(|p| p.record_definition(kind, tag_kind, kw_pos, tag, attrs, in_typedef))
    }

    /// A structure or union's body, from `{`: the record type, and whether
    /// it is untagged.
    fn record_definition(
        &mut self,
        kind: RecordKind,
        tag_kind: TagKind,
        kw_pos: usize,
        tag: Option<(String, usize)>,
        mut attrs: Attrs,
        in_typedef: bool,
    ) -> PResult<(Ty, bool)> {
        let kw = tag_kind.keyword();
        let (target, redefinition, name) = match &tag {
            Some((t, tag_pos)) => {
                let full = format!("{kw} {t}");
                let existing = match self.scopes.last() {
                    Some(s) => s.tags.get(t).cloned(),
                    None => self.known(|d| &d.tags, t).cloned(),
                };
                match existing {
                    Some(old) if old.kind != tag_kind => {
                        return Err(self.tag_conflict(*tag_pos, t, old.kind));
                    }
                    Some(old) => match old.ty {
                        Some(ty) if ty.is_incomplete() => (ty, false, full),
                        _ => (new_record(kind, &full), true, full),
                    },
                    None => {
                        let ty = new_record(kind, &full);
                        self.set_tag(
                            t.clone(),
                            Tag {
                                kind: tag_kind,
                                ty: Some(ty.clone()),
                            },
                        );
                        (ty, false, full)
                    }
                }
            }
            None => {
                let name = if in_typedef {
                    self.typedef_name_ahead()
                } else {
                    None
                }
                .unwrap_or_else(|| format!("{kw} <anonymous>"));
                (new_record(kind, &name), false, name)
            }
        };
        if self.current.is_none() {
            self.current = Some((name.clone(), DeclKind::Type));
        }
        self.bump(); // {
        let fields = self.members()?;
        let pack = self.pack;
        self.expect(P::RBrace, "`}` at the end of the members")?;
        attrs.merge(self.attributes()?);

        let too_deep = fields
            .iter()
            .any(|f| self.ty_depth(&f.ty) >= MAX_TYPE_DEPTH);
        let built = if too_deep {
            Err(format!(
                "the type nests deeper than {MAX_TYPE_DEPTH} levels"
            ))
        } else {
            build_record(&target, &fields, &attrs, pack)
        };
        let ty = match built {
            Ok(()) => {
                if redefinition {
                    let old = tag
                        .as_ref()
                        .and_then(|(t, _)| self.find_tag(t))
                        .and_then(|t| t.ty);
                    match old {
                        Some(old) if ty::same_type(&old, &target) => Ty::C(old),
                        Some(old) => {
                            self.conflict(
                                kw_pos,
                                &name,
                                DeclKind::Type,
                                format!("`{name}` is already defined with different members"),
                            )?;
                            Ty::C(old)
                        }
                        None => Ty::C(target),
                    }
                } else {
                    if tag.is_some() {
                        self.unskip(&name, DeclKind::Type);
                    }
                    Ty::C(target)
                }
            }
            Err(reason) => Ty::unsupported(self.skip_at(name, DeclKind::Type, reason, kw_pos)),
        };
        Ok((ty, tag.is_none()))
    }

    /// For `typedef struct { ... } Name;`: the name after the body, so that
    /// the anonymous record is called by it.
    fn typedef_name_ahead(&self) -> Option<String> {
        let mut i = self.pos;
        let mut depth = 0usize;
        let n = self.toks.len();
        while i < n {
            match self.toks[i].kind {
                Tok::Punct(P::LBrace) => depth += 1,
                Tok::Punct(P::RBrace) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                Tok::Eof => return None,
                _ => {}
            }
            i += 1;
        }
        i += 1;
        // Skip attributes after the body.
        while i < n && self.toks[i].kind == Tok::Kw(Kw::Attribute) {
            i += 1;
            let mut d = 0usize;
            while i < n {
                match self.toks[i].kind {
                    Tok::Punct(P::LParen) => d += 1,
                    Tok::Punct(P::RParen) => {
                        d = d.saturating_sub(1);
                        if d == 0 {
                            i += 1;
                            break;
                        }
                    }
                    Tok::Eof => return None,
                    _ => {}
                }
                i += 1;
            }
        }
        let t = self.toks.get(i)?;
        let next = self.toks.get(i + 1)?;
        if t.kind == Tok::Ident
            && matches!(
                next.kind,
                Tok::Punct(P::Semi | P::Comma) | Tok::Kw(Kw::Attribute)
            )
        {
            Some(self.text_of(*t).to_string())
        } else {
            None
        }
    }

    /// `struct tag` without a body: the declared type, or a new incomplete one.
    fn tag_reference(&mut self, kind: TagKind, tag: &str, pos: usize) -> PResult<Ty> {
        if let Some(t) = self.find_tag(tag) {
            if t.kind != kind {
                return Err(self.tag_conflict(pos, tag, t.kind));
            }
            return Ok(Ty::C(t.ty.unwrap_or_else(CType::c_uint)));
        }
        let ty = match kind {
            TagKind::Struct => Some(new_record(RecordKind::Struct, &format!("struct {tag}"))),
            TagKind::Union => Some(new_record(RecordKind::Union, &format!("union {tag}"))),
            TagKind::Enum => None,
        };
        self.set_tag(
            tag.to_string(),
            Tag {
                kind,
                ty: ty.clone(),
            },
        );
        Ok(Ty::C(ty.unwrap_or_else(CType::c_uint)))
    }

    fn members(&mut self) -> PResult<Vec<FieldPlan>> {
        let mut fields = Vec::new();
        loop {
            if self.at(P::RBrace) || self.peek() == Tok::Eof {
                return Ok(fields);
            }
            if self.eat(P::Semi) {
                continue;
            }
            if self.at_kw(Kw::StaticAssert) {
                self.bump();
                if self.at(P::LParen) {
                    self.skip_balanced()?;
                }
                self.expect(P::Semi, "`;`")?;
                continue;
            }
            let specs = self.specifiers()?;
            if specs.storage != Storage::None {
                return Err(self.err_at(specs.start, "a member cannot have a storage class"));
            }
            if self.eat(P::Semi) {
                if specs.anon_record {
                    // An anonymous structure or union: its members are the record's.
                    fields.push(FieldPlan {
                        name: format!("${}", self.anon_members),
                        ty: specs.base.clone(),
                        bits: None,
                        align: max_align(specs.align, specs.attrs.aligned),
                        packed: specs.attrs.packed,
                        anonymous: true,
                    });
                    self.anon_members += 1;
                }
                continue;
            }
            loop {
                let d = if self.at(P::Colon) {
                    Declarator {
                        name: None,
                        ops: Vec::new(),
                        attrs: Attrs::default(),
                    }
                } else {
                    self.declarator(DMode::Named)?
                };
                let bits = if self.eat(P::Colon) {
                    let at = self.tok().start;
                    let v = self.const_expr()?;
                    match v.as_int().and_then(|v| u32::try_from(v).ok()) {
                        Some(w) if w <= 128 => Some(w),
                        _ => {
                            return Err(self.err_at(
                                at,
                                "a bitfield width must be an integer constant from 0 to the type's width",
                            ));
                        }
                    }
                } else {
                    None
                };
                let (ty, attrs) = self.declarator_type(&specs, &d)?;
                if matches!(ty, Ty::Func(_)) {
                    return Err(
                        self.err_at(d.pos(specs.start), "a member cannot have a function type")
                    );
                }
                fields.push(FieldPlan {
                    name: d.name.map(|n| n.0).unwrap_or_default(),
                    ty,
                    bits,
                    align: max_align(specs.align, attrs.aligned),
                    packed: attrs.packed,
                    anonymous: false,
                });
                if self.eat(P::Comma) {
                    continue;
                }
                self.expect(P::Semi, "`;` or `,` after a member")?;
                break;
            }
        }
    }

    // ---- enums ----------------------------------------------------------------------------

    fn enum_specifier(&mut self) -> PResult<Ty> {
        self.bump();
        let (tag, mut attrs) = self.tag_and_attributes()?;
        let mut fixed: Option<Ty> = None;
        if self.eat(P::Colon) {
            // The underlying type's specifiers may hold another enum.
            let s = self.nested(Self::specifiers)?;
            fixed = Some(s.base);
        }
        if !self.at(P::LBrace) {
            let Some((tag, pos)) = tag else {
                return Err(self.expected("a tag or `{` after `enum`"));
            };
            if let Some(f) = fixed {
                return Ok(f);
            }
            return self.tag_reference(TagKind::Enum, &tag, pos);
        }
        self.bump();
        let mut next: i128 = 0;
        let (mut min, mut max) = (0i128, 0i128);
        loop {
            if self.at(P::RBrace) {
                break;
            }
            if self.peek() != Tok::Ident {
                return Err(self.expected("an enumerator name"));
            }
            let name = self.text().to_string();
            let pos = self.tok().start;
            self.bump();
            self.attributes()?;
            let value = if self.eat(P::Assign) {
                let at = self.tok().start;
                let v = self.const_expr()?;
                v.as_int()
                    .ok_or_else(|| self.err_at(at, "an enumerator's value must be an integer"))?
            } else {
                next
            };
            if value < i128::from(i64::MIN) || value > i128::from(u64::MAX) {
                return Err(self.err_at(pos, format!("the value of `{name}` does not fit 64 bits")));
            }
            min = min.min(value);
            max = max.max(value);
            next = value + 1;
            self.add_enum_const(name, value, pos)?;
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RBrace, "`}` or `,` after an enumerator")?;
        attrs.merge(self.attributes()?);
        let ty = match fixed {
            Some(Ty::C(t)) => t,
            Some(_) => {
                return Err(self.err_at(self.tok().start, "an enum's type must be an integer"));
            }
            None => enum_type(min, max, attrs.packed),
        };
        if let Some((t, pos)) = tag {
            if let Some(old) = self.find_tag(&t)
                && old.kind != TagKind::Enum
            {
                return Err(self.tag_conflict(pos, &t, old.kind));
            }
            self.set_tag(
                t,
                Tag {
                    kind: TagKind::Enum,
                    ty: Some(ty.clone()),
                },
            );
        }
        Ok(Ty::C(ty))
    }

    fn add_enum_const(&mut self, name: String, value: i128, pos: usize) -> PResult<()> {
        let v = CVal::Int(
            value,
            if IntTy::INT.fits(value) {
                IntTy::INT
            } else if value >= 0 && IntTy::UINT.fits(value) {
                IntTy::UINT
            } else if IntTy::LLONG.fits(value) {
                IntTy::LLONG
            } else {
                IntTy::ULLONG
            },
        );
        if let Some(old) = self.known(|d| &d.enum_consts, &name) {
            if old.as_int() == Some(value) {
                return Ok(());
            }
            return self.conflict(
                pos,
                &name,
                DeclKind::Constant,
                format!("`{name}` is already an enum constant with another value"),
            );
        }
        if !self.admit(&name, DeclKind::Constant, pos)? {
            return Ok(());
        }
        self.d.enum_order.push(name.clone());
        self.d.enum_consts.insert(name, v);
        Ok(())
    }

    // ---- declarators ----------------------------------------------------------------------

    fn declarator(&mut self, mode: DMode) -> PResult<Declarator> {
        self.nested(|p| p.declarator_inner(mode))
    }

    fn declarator_inner(&mut self, mode: DMode) -> PResult<Declarator> {
        let mut attrs = Attrs::default();
        let mut ptrs = 0usize;
        while self.eat(P::Star) {
            ptrs += 1;
            loop {
                match self.peek() {
                    Tok::Kw(Kw::Const | Kw::Volatile | Kw::Restrict | Kw::Atomic) => self.bump(),
                    Tok::Kw(Kw::Attribute | Kw::Declspec) => attrs.merge(self.attributes()?),
                    _ => break,
                }
            }
        }
        let mut inner: Option<Declarator> = None;
        let mut name = None;
        if self.at(P::LParen) && self.grouping_paren(mode) {
            self.bump();
            inner = Some(self.declarator(mode)?);
            self.expect(P::RParen, "`)` to close the declarator")?;
        } else if self.peek() == Tok::Ident && mode != DMode::Abstract {
            name = Some((self.text().to_string(), self.tok().start));
            self.bump();
            if self.current.is_none() && self.scopes.is_empty() {
                // For the skipped list, should the rest of the declaration fail.
                let kind = if self.at(P::LParen) {
                    DeclKind::Function
                } else {
                    DeclKind::Variable
                };
                self.current = name.clone().map(|(n, _)| (n, kind));
            }
        } else if mode == DMode::Named {
            return Err(self.expected("a name"));
        }
        let mut suffixes = Vec::new();
        loop {
            match self.peek() {
                Tok::Punct(P::LBracket) if self.peek_at(1) != Tok::Punct(P::LBracket) => {
                    suffixes.push(self.array_suffix(mode)?);
                }
                Tok::Punct(P::LParen) => {
                    suffixes.push(Op::Func(Arc::new(self.parameters()?)));
                }
                Tok::Kw(Kw::Attribute | Kw::Declspec) => attrs.merge(self.attributes()?),
                Tok::Punct(P::LBracket) => attrs.merge(self.attributes()?),
                _ => break,
            }
        }
        let mut ops: Vec<Op> = Vec::with_capacity(ptrs + suffixes.len());
        ops.extend((0..ptrs).map(|_| Op::Ptr));
        ops.extend(suffixes.into_iter().rev());
        if let Some(inner) = inner {
            ops.extend(inner.ops);
            name = inner.name;
            attrs.merge(inner.attrs);
        }
        Ok(Declarator { name, ops, attrs })
    }

    /// At `(` where a declarator's name could be: whether it groups a
    /// declarator (`(*fp)`) rather than opening parameters (`int (int)`).
    fn grouping_paren(&self, mode: DMode) -> bool {
        if mode == DMode::Named {
            return true;
        }
        match self.peek_at(1) {
            Tok::Punct(P::Star | P::LParen) => true,
            Tok::Punct(P::LBracket) => self.peek_at(2) != Tok::Punct(P::LBracket),
            Tok::Kw(Kw::Attribute | Kw::Declspec) => true,
            Tok::Ident => mode == DMode::Param && !self.is_type_name(self.peek_text_at(1)),
            _ => false,
        }
    }

    fn array_suffix(&mut self, mode: DMode) -> PResult<Op> {
        let open = self.pos;
        self.bump();
        while matches!(
            self.peek(),
            Tok::Kw(Kw::Static | Kw::Const | Kw::Volatile | Kw::Restrict | Kw::Atomic)
        ) {
            self.bump();
        }
        if self.eat(P::RBracket) {
            return Ok(Op::Array(None));
        }
        if self.at(P::Star) && self.peek_at(1) == Tok::Punct(P::RBracket) {
            self.bump();
            self.bump();
            return Ok(Op::Array(None));
        }
        let at = self.tok().start;
        let size = if mode == DMode::Param {
            // A parameter's array size does not matter (it is a pointer) and
            // may name other parameters: anything balanced is accepted.
            let save = self.pos;
            match self.const_expr() {
                Ok(v) if self.at(P::RBracket) => v.as_int().and_then(|v| usize::try_from(v).ok()),
                _ => {
                    self.pos = save;
                    while !self.at(P::RBracket) {
                        if self.peek() == Tok::Eof {
                            return Err(self.err_at(self.toks[open].start, "`[` is never closed"));
                        }
                        if matches!(self.peek(), Tok::Punct(P::LParen | P::LBracket | P::LBrace)) {
                            self.skip_balanced()?;
                        } else {
                            self.bump();
                        }
                    }
                    None
                }
            }
        } else {
            let v = self.const_expr()?;
            match v.as_int().and_then(|v| usize::try_from(v).ok()) {
                Some(n) => Some(n),
                None => {
                    return Err(
                        self.err_at(at, "an array size must be a non-negative integer constant")
                    );
                }
            }
        };
        self.expect(P::RBracket, "`]`")?;
        Ok(Op::Array(Some(size.unwrap_or(0))))
    }

    fn parameters(&mut self) -> PResult<FnParts> {
        self.nested(|p| {
            p.bump(); // (
            p.scopes.push(Scope::default());
            let r = p.parameters_inner();
            p.scopes.pop();
            r
        })
    }

    fn parameters_inner(&mut self) -> PResult<FnParts> {
        let mut params = Vec::new();
        if self.eat(P::RParen) {
            return Ok(FnParts {
                params,
                variadic: false,
                prototyped: false,
            });
        }
        if self.at_kw(Kw::Void) && self.peek_at(1) == Tok::Punct(P::RParen) {
            self.bump();
            self.bump();
            return Ok(FnParts {
                params,
                variadic: false,
                prototyped: true,
            });
        }
        let mut variadic = false;
        loop {
            if self.eat(P::Ellipsis) {
                variadic = true;
                self.expect(P::RParen, "`)` after `...`")?;
                break;
            }
            if !self.starts_type() {
                return Err(self.expected("a parameter type"));
            }
            let specs = self.specifiers()?;
            let d = self.declarator(DMode::Param)?;
            let (ty, _) = self.declarator_type(&specs, &d)?;
            let pos = d.pos(specs.start);
            if ty.is_void() {
                return Err(self.err_at(pos, "a parameter cannot have type void"));
            }
            // Adjustments: arrays and functions are passed as pointers.
            let ty = match ty {
                Ty::C(t) => match t.element() {
                    Some(e) => Ty::C(ty::pointer_to(e)),
                    None => Ty::C(t),
                },
                other => other,
            };
            let name = d.name.map(|n| n.0);
            if let (Some(n), Some(scope)) = (&name, self.scopes.last_mut()) {
                scope.names.insert(n.clone());
            }
            params.push(Param { name, ty });
            if self.eat(P::Comma) {
                continue;
            }
            self.expect(P::RParen, "`,` or `)` in the parameter list")?;
            break;
        }
        Ok(FnParts {
            params,
            variadic,
            prototyped: true,
        })
    }

    /// The declared type: `base` through the declarator's steps.
    fn apply(&mut self, base: Ty, ops: &[Op], pos: usize) -> PResult<Ty> {
        let mut t = base;
        for op in ops {
            if self.ty_depth(&t) >= MAX_TYPE_DEPTH {
                return Err(self.err_at(
                    pos,
                    format!("the type nests deeper than {MAX_TYPE_DEPTH} levels"),
                ));
            }
            t = match op {
                Op::Ptr => Ty::C(t.pointer()),
                Op::Array(n) => match t {
                    Ty::C(c) => {
                        if c.is_void() {
                            return Err(self.err_at(pos, "an array of void"));
                        }
                        if c.is_incomplete() {
                            Ty::unsupported(format!("an array of the incomplete type {c}"))
                        } else {
                            let n = n.unwrap_or(0);
                            let arr = c.array(n);
                            if c.size() > 0 && arr.size() == usize::MAX {
                                return Err(self.err_at(pos, "the array is too large"));
                            }
                            Ty::C(arr)
                        }
                    }
                    Ty::Func(_) => return Err(self.err_at(pos, "an array of functions")),
                    u @ Ty::Unsupported(_) => u,
                },
                Op::Func(parts) => {
                    for p in &parts.params {
                        if self.ty_depth(&p.ty) >= MAX_TYPE_DEPTH {
                            return Err(self.err_at(
                                pos,
                                format!("the type nests deeper than {MAX_TYPE_DEPTH} levels"),
                            ));
                        }
                    }
                    if let Ty::C(c) = &t
                        && c.array_len().is_some()
                    {
                        return Err(self.err_at(pos, "a function cannot return an array"));
                    }
                    if matches!(t, Ty::Func(_)) {
                        return Err(self.err_at(pos, "a function cannot return a function"));
                    }
                    Ty::Func(Arc::new(FnTy {
                        ret: t,
                        params: parts
                            .params
                            .iter()
                            .map(|p| Param {
                                name: p.name.clone(),
                                ty: p.ty.clone(),
                            })
                            .collect(),
                        variadic: parts.variadic,
                        prototyped: parts.prototyped,
                    }))
                }
            };
        }
        Ok(t)
    }

    /// How deep a type nests (1 for a fundamental type).
    fn type_depth(&mut self, t: &CType) -> usize {
        let key = Arc::as_ptr(&t.0) as usize;
        if let Some((_, d)) = self.depths.get(&key) {
            return *d;
        }
        let d = 1 + match t.kind() {
            Kind::Void | Kind::Scalar { .. } => 0,
            Kind::Pointer(Pointee::Strong(x)) => self.type_depth(x),
            Kind::Pointer(Pointee::Weak { .. }) => 0,
            Kind::Array { elem, .. } => self.type_depth(elem),
            Kind::Function(sig) => {
                let mut m = self.type_depth(&sig.restype);
                for a in &sig.argtypes {
                    m = m.max(self.type_depth(a));
                }
                m
            }
            Kind::Record(r) => {
                let mut m = 0;
                if let Some(b) = r.body.get() {
                    for f in &b.fields {
                        m = m.max(self.type_depth(&f.ctype));
                    }
                }
                m
            }
        };
        self.depths.insert(key, (t.clone(), d));
        d
    }

    fn ty_depth(&mut self, t: &Ty) -> usize {
        match t {
            Ty::C(c) => self.type_depth(c),
            Ty::Unsupported(_) => 1,
            Ty::Func(f) => {
                let key = Arc::as_ptr(f) as usize;
                if let Some((_, d)) = self.fn_depths.get(&key) {
                    return *d;
                }
                let mut m = self.ty_depth(&f.ret);
                for p in &f.params {
                    m = m.max(self.ty_depth(&p.ty));
                }
                self.fn_depths.insert(key, (f.clone(), m + 1));
                m + 1
            }
        }
    }

    /// A type name: specifiers and an abstract declarator (casts, sizeof,
    /// `type_of`, `str::parse`).
    pub(crate) fn type_name(&mut self) -> PResult<Ty> {
        self.nested(|p| {
            let specs = p.specifiers()?;
            if specs.storage != Storage::None {
                return Err(p.err_at(specs.start, "a type name cannot have a storage class"));
            }
            let d = p.declarator(DMode::Abstract)?;
            let (ty, _) = p.declared_type(&specs, &d.attrs, &d.ops, specs.start)?;
            Ok(ty)
        })
    }

    /// A whole text that is one type name.
    pub(crate) fn whole_type_name(&mut self) -> PResult<Ty> {
        let t = self.type_name()?;
        if let Some(e) = self.dir_error.take() {
            return Err(e);
        }
        if self.peek() != Tok::Eof {
            return Err(self.expected("the end of the type name"));
        }
        Ok(t)
    }

    // ---- constant expressions ---------------------------------------------------------------

    fn eval<T>(&self, at: usize, r: Result<T, String>, dummy: T) -> PResult<T> {
        match r {
            Ok(v) => Ok(v),
            Err(_) if self.no_eval > 0 => Ok(dummy),
            Err(m) => Err(self.err_at(at, m)),
        }
    }

    /// A conditional expression (what array sizes, enumerators, bitfield
    /// widths and `#define` constants are).
    pub(crate) fn const_expr(&mut self) -> PResult<CVal> {
        self.nested(Self::conditional)
    }

    /// A whole text that is one constant expression (a macro body).
    pub(crate) fn whole_const_expr(&mut self) -> PResult<CVal> {
        let v = self.const_expr()?;
        if self.peek() != Tok::Eof {
            return Err(self.expected("the end of the expression"));
        }
        Ok(v)
    }

    fn conditional(&mut self) -> PResult<CVal> {
        let at = self.tok().start;
        let c = self.binary(0)?;
        if !self.eat(P::Question) {
            return Ok(c);
        }
        let cond = self.eval(at, expr::truth(&c), false)?;
        if !cond {
            self.no_eval += 1;
        }
        let a = self.const_expr();
        if !cond {
            self.no_eval -= 1;
        }
        let a = a?;
        self.expect(P::Colon, "`:` in `?:`")?;
        if cond {
            self.no_eval += 1;
        }
        let b = self.const_expr();
        if cond {
            self.no_eval -= 1;
        }
        let b = b?;
        Ok(if cond { a } else { b })
    }

    fn binop(&self) -> Option<(u8, Option<BinOp>)> {
        // (precedence, operator); None for && and ||, handled apart.
        let Tok::Punct(p) = self.peek() else {
            return None;
        };
        Some(match p {
            P::OrOr => (1, None),
            P::AndAnd => (2, None),
            P::Pipe => (3, Some(BinOp::Or)),
            P::Caret => (4, Some(BinOp::Xor)),
            P::Amp => (5, Some(BinOp::And)),
            P::EqEq => (6, Some(BinOp::Eq)),
            P::Ne => (6, Some(BinOp::Ne)),
            P::Lt => (7, Some(BinOp::Lt)),
            P::Gt => (7, Some(BinOp::Gt)),
            P::Le => (7, Some(BinOp::Le)),
            P::Ge => (7, Some(BinOp::Ge)),
            P::Shl => (8, Some(BinOp::Shl)),
            P::Shr => (8, Some(BinOp::Shr)),
            P::Plus => (9, Some(BinOp::Add)),
            P::Minus => (9, Some(BinOp::Sub)),
            P::Star => (10, Some(BinOp::Mul)),
            P::Slash => (10, Some(BinOp::Div)),
            P::Percent => (10, Some(BinOp::Rem)),
            _ => return None,
        })
    }

    /// Precedence climbing over the binary operators above `min`.
    fn binary(&mut self, min: u8) -> PResult<CVal> {
        let mut lhs = self.unary()?;
        while let Some((prec, op)) = self.binop() {
            if prec <= min {
                break;
            }
            let at = self.tok().start;
            self.bump();
            match op {
                Some(op) => {
                    let rhs = self.binary(prec)?;
                    lhs = self.eval(at, expr::binary(op, &lhs, &rhs), CVal::int(0))?;
                }
                None => {
                    // && and ||: the right side is not evaluated when the left decides.
                    let l = self.eval(at, expr::truth(&lhs), false)?;
                    let decided = if prec == 1 { l } else { !l };
                    if decided {
                        self.no_eval += 1;
                    }
                    let rhs = self.binary(prec);
                    if decided {
                        self.no_eval -= 1;
                    }
                    let rhs = rhs?;
                    let r = if decided {
                        l
                    } else {
                        self.eval(at, expr::truth(&rhs), false)?
                    };
                    lhs = CVal::int(i128::from(r));
                }
            }
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<CVal> {
        self.nested(Self::unary_inner)
    }

    fn unary_inner(&mut self) -> PResult<CVal> {
        let t = self.tok();
        let op = match t.kind {
            Tok::Punct(P::Minus) => Some(UnOp::Neg),
            Tok::Punct(P::Plus) => Some(UnOp::Plus),
            Tok::Punct(P::Bang) => Some(UnOp::Not),
            Tok::Punct(P::Tilde) => Some(UnOp::BitNot),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let v = self.unary()?;
            return self.eval(t.start, expr::unary(op, &v), CVal::int(0));
        }
        match t.kind {
            Tok::Kw(Kw::Extension) => {
                self.bump();
                self.unary()
            }
            Tok::Kw(Kw::Sizeof | Kw::Alignof) => {
                let is_size = t.kind == Tok::Kw(Kw::Sizeof);
                self.bump();
                if !(self.at(P::LParen) && self.starts_type_at(1)) {
                    return Err(self.err_at(
                        t.start,
                        "sizeof and _Alignof take a type name in parentheses here",
                    ));
                }
                self.bump();
                let ty = self.type_name()?;
                self.expect(P::RParen, "`)` after the type name")?;
                let ct = match ty.ctype() {
                    Ok(c) => c,
                    Err(r) => return self.eval(t.start, Err(r.to_string()), CVal::int(0)),
                };
                if ct.is_incomplete() || ct.is_void() {
                    return self.eval(
                        t.start,
                        Err(format!("sizeof an incomplete type ({ct})")),
                        CVal::int(0),
                    );
                }
                let v = if is_size { ct.size() } else { ct.align() };
                Ok(CVal::Int(v as i128, IntTy::ULONG))
            }
            Tok::Punct(P::LParen) if self.starts_type_at(1) => {
                // A cast.
                self.bump();
                let ty = self.type_name()?;
                self.expect(P::RParen, "`)` after the type name")?;
                let v = self.unary()?;
                let to = cast_target(&ty);
                match to {
                    Some(to) => self.eval(t.start, expr::cast(to, &v), CVal::int(0)),
                    None => self.eval(
                        t.start,
                        Err("a cast to this type is not a constant".into()),
                        CVal::int(0),
                    ),
                }
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> PResult<CVal> {
        let t = self.tok();
        match t.kind {
            Tok::Number => {
                self.bump();
                let r = expr::number(self.text_of(t));
                self.eval(t.start, r, CVal::int(0))
            }
            Tok::Char => {
                self.bump();
                let r = char_value(self.text_of(t));
                self.eval(t.start, r, CVal::int(0))
            }
            Tok::Str => {
                let mut bytes = Vec::new();
                let mut wide: Option<String> = None;
                while self.peek() == Tok::Str {
                    let (is_wide, body) = lexer::literal(self.text());
                    let at = self.tok().start;
                    self.bump();
                    let Some(units) = lexer::unescape(body, is_wide) else {
                        return Err(self.err_at(at, "invalid escape in a string literal"));
                    };
                    if is_wide || wide.is_some() {
                        let w = wide
                            .get_or_insert_with(|| String::from_utf8_lossy(&bytes).into_owned());
                        for u in units {
                            w.push(char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER));
                        }
                    } else {
                        bytes.extend(units.into_iter().map(|u| u as u8));
                    }
                }
                Ok(match wide {
                    Some(w) => CVal::Wide(w),
                    None => CVal::Bytes(bytes),
                })
            }
            Tok::Punct(P::LParen) => {
                self.bump();
                let v = self.const_expr()?;
                self.expect(P::RParen, "`)`")?;
                Ok(v)
            }
            Tok::Ident => {
                let name = self.text_of(t).to_string();
                self.bump();
                match self.identifier_value(&name) {
                    Some(v) => Ok(v),
                    None => self.eval(
                        t.start,
                        Err(format!("`{name}` is not a constant")),
                        CVal::int(0),
                    ),
                }
            }
            _ => Err(self.expected("a constant expression")),
        }
    }

    /// An identifier in a constant expression: a macro (not one being
    /// expanded), else an enum constant.
    fn identifier_value(&mut self, name: &str) -> Option<CVal> {
        if !self.macro_stack.iter().any(|m| m == name)
            && let Some(v) = self.macro_value(name)
        {
            return Some(v);
        }
        self.known(|d| &d.enum_consts, name).cloned()
    }

    /// The value of an object-like macro whose body is a constant
    /// expression.
    ///
    /// Each macro is evaluated once, its body at this nesting depth (a
    /// macro's value counts towards [`MAX_DEPTH`] where it is used), so
    /// that a value does not depend on which macro was asked for first: a
    /// chain of macros too deep to evaluate from one place is too deep from
    /// every place.
    pub(crate) fn macro_value(&mut self, name: &str) -> Option<CVal> {
        let depth = self.depth;
        match self.macro_cache.get(name) {
            Some(Cached::Done { value, need }) => {
                let reached = depth.saturating_add(*need);
                if reached <= MAX_DEPTH {
                    self.deepest = self.deepest.max(reached);
                    return value.clone();
                }
                self.cut = true;
                return None;
            }
            Some(Cached::Cut { at }) if depth >= *at => {
                self.cut = true;
                return None;
            }
            _ => {}
        }
        let m = self.known(|d| &d.macros, name)?;
        if m.params.is_some() || m.body.is_empty() {
            return None;
        }
        let body = m.body.clone();
        self.macro_stack.push(name.to_string());
        let stack = std::mem::take(&mut self.macro_stack);
        let cache = std::mem::take(&mut self.macro_cache);
        let (value, stack, cache, deepest, cut) = {
            let mut sub = Parser::new(&body, &mut *self.d, self.base, true);
            sub.macro_stack = stack;
            sub.macro_cache = cache;
            sub.depth = depth;
            sub.deepest = depth;
            let value = sub.whole_const_expr().ok();
            (
                value,
                sub.macro_stack,
                sub.macro_cache,
                sub.deepest,
                sub.cut,
            )
        };
        self.macro_stack = stack;
        self.macro_cache = cache;
        self.macro_stack.pop();
        self.deepest = self.deepest.max(deepest);
        // Without a value because the bound stopped it: not a fact about
        // the macro, but about where it was asked for.
        let entry = if cut && value.is_none() {
            self.cut = true;
            Cached::Cut { at: depth }
        } else {
            Cached::Done {
                value: value.clone(),
                need: deepest.saturating_sub(depth),
            }
        };
        self.macro_cache.insert(name.to_string(), entry);
        value
    }
}

/// Shortens a token's text for a message.
fn bounded(s: &str) -> String {
    if s.chars().count() > 30 {
        let cut: String = s.chars().take(30).collect();
        format!("{cut}...")
    } else {
        s.to_string()
    }
}

fn new_record(kind: RecordKind, name: &str) -> CType {
    match kind {
        RecordKind::Struct => CType::structure(name).declare(),
        RecordKind::Union => CType::union(name).declare(),
    }
}

/// Completes `target` with the collected members, through the crate's
/// record builder (the one layout engine).
fn build_record(
    target: &CType,
    fields: &[FieldPlan],
    attrs: &Attrs,
    pack: Option<usize>,
) -> Result<(), String> {
    let mut planned = Vec::with_capacity(fields.len());
    for f in fields {
        let ct = f.ty.ctype().map_err(|r| {
            if f.name.is_empty() || f.anonymous {
                format!("a member: {r}")
            } else {
                format!("member `{}`: {r}", f.name)
            }
        })?;
        planned.push(ct);
    }
    // `packed` on the record: pack(1), unless a member has its own
    // `aligned`, which gcc honours inside a packed record (then every
    // member is packed one by one).
    let per_field_packing = attrs.packed && fields.iter().any(|f| f.align.is_some());
    let pack = match (attrs.packed && !per_field_packing, pack) {
        (true, _) => Some(1),
        (false, p) => p,
    };
    target
        .define(|mut b| {
            for (f, ct) in fields.iter().zip(&planned) {
                let natural = ct.align();
                let mut a = if f.packed || per_field_packing {
                    1
                } else {
                    natural
                };
                if let Some(x) = f.align {
                    a = a.max(x);
                }
                b = match f.bits {
                    Some(w) => b.bitfield(f.name.clone(), ct.clone(), w),
                    None => b.field(f.name.clone(), ct.clone()),
                };
                if a != natural {
                    b = b.field_align(a);
                }
                if f.anonymous {
                    b = b.anonymous(f.name.clone());
                }
            }
            if let Some(p) = pack {
                b = b.pack(p);
            }
            if let Some(a) = attrs.aligned {
                b = b.align(a);
            }
            if attrs.big_endian == Some(true) {
                b = b.big_endian();
            }
            b
        })
        .map_err(|e| e.to_string())
}

/// gcc's type for an enum with these values: `unsigned int` when none is
/// negative, `int` otherwise, 64 bits when needed; the smallest that fits
/// for a packed enum.
fn enum_type(min: i128, max: i128, packed: bool) -> CType {
    let fits = |t: IntTy| t.fits(min) && t.fits(max);
    type Candidate = (IntTy, fn() -> CType);
    let candidates: &[Candidate] = if packed {
        &[
            (
                IntTy {
                    size: 1,
                    signed: false,
                },
                CType::c_ubyte,
            ),
            (
                IntTy {
                    size: 1,
                    signed: true,
                },
                CType::c_byte,
            ),
            (
                IntTy {
                    size: 2,
                    signed: false,
                },
                CType::c_ushort,
            ),
            (
                IntTy {
                    size: 2,
                    signed: true,
                },
                CType::c_short,
            ),
            (IntTy::UINT, CType::c_uint),
            (IntTy::INT, CType::c_int),
            (IntTy::ULLONG, CType::c_ulonglong),
            (IntTy::LLONG, CType::c_longlong),
        ]
    } else {
        &[
            (IntTy::UINT, CType::c_uint),
            (IntTy::INT, CType::c_int),
            (IntTy::ULONG, CType::c_ulong),
            (IntTy::LONG, CType::c_long),
            (IntTy::ULLONG, CType::c_ulonglong),
            (IntTy::LLONG, CType::c_longlong),
        ]
    };
    candidates
        .iter()
        .find(|(t, _)| fits(*t))
        .map_or_else(CType::c_longlong, |(_, f)| f())
}

/// The cast a constant expression performs for a target type.
fn cast_target(ty: &Ty) -> Option<CastTo> {
    let Ty::C(c) = ty else {
        return None;
    };
    match c.kind() {
        Kind::Scalar { scalar, .. } => Some(match scalar {
            Scalar::Bool => CastTo::Bool,
            Scalar::F32 | Scalar::F64 | Scalar::LongDouble => CastTo::Float,
            Scalar::ComplexF32 | Scalar::ComplexF64 | Scalar::ComplexLongDouble => return None,
            Scalar::CharP | Scalar::WCharP | Scalar::VoidP => CastTo::Pointer,
            s => CastTo::Int(IntTy {
                size: u8::try_from(s.size()).unwrap_or(8),
                signed: s.is_signed(),
            }),
        }),
        Kind::Pointer(_) | Kind::Function(_) => Some(CastTo::Pointer),
        _ => None,
    }
}

/// A character constant's value: `int` for narrow ones (a `char` converted,
/// so signed where `char` is), `wchar_t` for wide ones.
fn char_value(text: &str) -> Result<CVal, String> {
    let (wide, body) = lexer::literal(text);
    let units = lexer::unescape(body, wide).ok_or("invalid escape in a character constant")?;
    match units.as_slice() {
        [u] => {
            let v = if wide {
                i128::from(*u as i32)
            } else if Scalar::Char.is_signed() {
                i128::from(*u as u8 as i8)
            } else {
                i128::from(*u as u8)
            };
            Ok(CVal::int(v))
        }
        _ => Err("a character constant must hold exactly one character".into()),
    }
}

/// How many times each type specifier keyword was given (`long long` is two).
#[derive(Default)]
struct Counts {
    void: u8,
    char: u8,
    short: u8,
    int: u8,
    long: u8,
    float: u8,
    double: u8,
    signed: u8,
    unsigned: u8,
    bool: u8,
    complex: u8,
    int128: u8,
    /// `_FloatN` and friends (at most one).
    ext: Option<ExtFloat>,
    /// Whether any was given.
    any: bool,
}

impl Counts {
    /// Counts one type specifier keyword (the counts saturate: more than
    /// two of any is invalid anyway).
    fn count(&mut self, k: Kw) {
        let n = match k {
            Kw::Void => &mut self.void,
            Kw::Char => &mut self.char,
            Kw::Short => &mut self.short,
            Kw::Int => &mut self.int,
            Kw::Long => &mut self.long,
            Kw::Float => &mut self.float,
            Kw::Double => &mut self.double,
            Kw::Signed => &mut self.signed,
            Kw::Unsigned => &mut self.unsigned,
            Kw::Bool => &mut self.bool,
            Kw::Complex => &mut self.complex,
            Kw::Int128 => &mut self.int128,
            _ => return,
        };
        *n = n.saturating_add(1);
        self.any = true;
    }
}

/// The type C's list of type specifiers names.
fn resolve_counts(c: &Counts) -> Result<Ty, String> {
    let &Counts {
        void,
        char,
        short,
        int,
        long,
        float,
        double,
        signed,
        unsigned,
        bool: bool_,
        complex,
        int128,
        ext,
        any: _,
    } = c;
    let invalid = || Err("invalid combination of type specifiers".to_string());
    if [
        void, char, short, int, float, double, signed, unsigned, bool_, complex, int128,
    ]
    .iter()
    .any(|&n| n > 1)
        || long > 2
        || signed + unsigned > 1
    {
        return invalid();
    }
    if complex > 0 {
        // `_Complex` with a floating type (alone it means `double`, as in gcc).
        if void + char + short + int + bool_ + int128 + signed + unsigned > 0 {
            return if float + double == 0 && ext.is_none() {
                Ok(Ty::unsupported("complex integer types are not supported"))
            } else {
                invalid()
            };
        }
        return Ok(match (float, double, long, ext) {
            (1, 0, 0, None) | (0, 0, 0, Some(ExtFloat::F32)) => Ty::C(CType::c_float_complex()),
            (0, 1, 0, None) | (0, 0, 0, None) | (0, 0, 0, Some(ExtFloat::F64)) => {
                Ty::C(CType::c_double_complex())
            }
            (0, 1, 1, None) | (0, 0, 0, Some(ExtFloat::F64x)) => {
                Ty::C(CType::c_longdouble_complex())
            }
            (0, 0, 0, Some(ExtFloat::Other(name))) => {
                Ty::unsupported(format!("{name} _Complex is not supported"))
            }
            _ => return invalid(),
        });
    }
    if let Some(e) = ext {
        if void + char + short + int + long + float + double + signed + unsigned + bool_ + int128
            > 0
        {
            return invalid();
        }
        return Ok(match e {
            ExtFloat::F32 => Ty::C(CType::c_float()),
            ExtFloat::F64 => Ty::C(CType::c_double()),
            ExtFloat::F64x => {
                if cfg!(target_arch = "x86_64") {
                    Ty::C(CType::c_longdouble())
                } else {
                    Ty::unsupported("_Float64x is not supported on this platform")
                }
            }
            ExtFloat::Other(name) => Ty::unsupported(format!("{name} is not supported")),
        });
    }
    if void > 0 {
        if char + short + int + long + float + double + bool_ + int128 + signed + unsigned > 0 {
            return invalid();
        }
        return Ok(Ty::C(CType::void()));
    }
    if bool_ > 0 {
        if char + short + int + long + float + double + int128 + signed + unsigned > 0 {
            return invalid();
        }
        return Ok(Ty::C(CType::c_bool()));
    }
    if float > 0 {
        if char + short + int + long + double + int128 + signed + unsigned > 0 {
            return invalid();
        }
        return Ok(Ty::C(CType::c_float()));
    }
    if double > 0 {
        if char + short + int + int128 + signed + unsigned > 0 || long > 1 {
            return invalid();
        }
        return Ok(Ty::C(if long == 1 {
            CType::c_longdouble()
        } else {
            CType::c_double()
        }));
    }
    if int128 > 0 {
        if char + short + long + int > 0 {
            return invalid();
        }
        return Ok(Ty::unsupported("__int128 is not supported"));
    }
    if char > 0 {
        if short + int + long > 0 {
            return invalid();
        }
        return Ok(Ty::C(match (signed, unsigned) {
            (1, _) => CType::c_byte(),
            (_, 1) => CType::c_ubyte(),
            _ => CType::c_char(),
        }));
    }
    if short > 0 {
        if long > 0 {
            return invalid();
        }
        return Ok(Ty::C(if unsigned > 0 {
            CType::c_ushort()
        } else {
            CType::c_short()
        }));
    }
    Ok(Ty::C(match (long, unsigned > 0) {
        (0, false) => CType::c_int(),
        (0, true) => CType::c_uint(),
        (1, false) => CType::c_long(),
        (1, true) => CType::c_ulong(),
        (_, false) => CType::c_longlong(),
        (_, true) => CType::c_ulonglong(),
    }))
}

/// `__attribute__((mode(M)))`: the integer or floating type of that machine mode.
fn apply_mode(base: &Ty, mode: &str) -> Ty {
    let Ty::C(c) = base else {
        return base.clone();
    };
    let Some(s) = c.scalar() else {
        return Ty::unsupported(format!("mode({mode}) on a non-scalar type"));
    };
    let signed = s.is_signed();
    let int = |size: usize| -> Ty {
        Ty::C(match (size, signed) {
            (1, true) => CType::c_byte(),
            (1, false) => CType::c_ubyte(),
            (2, true) => CType::c_short(),
            (2, false) => CType::c_ushort(),
            (4, true) => CType::c_int(),
            (4, false) => CType::c_uint(),
            (_, true) => CType::c_longlong(),
            (_, false) => CType::c_ulonglong(),
        })
    };
    match mode {
        "QI" => int(1),
        "HI" => int(2),
        "SI" => int(4),
        "DI" => int(8),
        "SF" => Ty::C(CType::c_float()),
        "DF" => Ty::C(CType::c_double()),
        "XF" => Ty::C(CType::c_longdouble()),
        "TI" => Ty::unsupported("128-bit integers (mode TI) are not supported"),
        _ => Ty::unsupported("an unknown machine mode"),
    }
}
