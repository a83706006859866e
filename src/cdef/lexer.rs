//! C tokens: identifiers and keywords, numbers, character and string
//! literals, punctuators, and preprocessor directive lines (bracketed by
//! [`Tok::DirStart`] / [`Tok::DirEnd`], so that the parser sees `#define`,
//! `#pragma pack` and line markers where they are in the text).
//!
//! The lexer never fails: a character that starts no token becomes a
//! [`Tok::Invalid`] token, which the parser reports with its position.

/// A keyword, or a GNU spelling of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kw {
    Typedef,
    Extern,
    Static,
    Auto,
    Register,
    Inline,
    ThreadLocal,
    Noreturn,
    Const,
    Volatile,
    Restrict,
    Atomic,
    Void,
    Char,
    Short,
    Int,
    Long,
    Float,
    Double,
    Signed,
    Unsigned,
    Bool,
    Complex,
    Imaginary,
    Int128,
    /// `_FloatN`, `__float128` and friends.
    ExtFloat(ExtFloat),
    Struct,
    Union,
    Enum,
    Attribute,
    Declspec,
    Extension,
    Asm,
    Typeof,
    Alignas,
    Alignof,
    Sizeof,
    StaticAssert,
}

/// The extended floating types gcc knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExtFloat {
    /// `_Float32`: `float`.
    F32,
    /// `_Float64`, `_Float32x`: `double`.
    F64,
    /// `_Float64x`, `__float80`: `long double` on x86.
    F64x,
    /// `_Float16`, `__bf16`, `_Float128`, `__float128`, `__ibm128`,
    /// `_Float128x`, `_DecimalN`: nothing rctypes can express.
    Other(&'static str),
}

/// A punctuator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum P {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Semi,
    Comma,
    Star,
    Assign,
    Colon,
    Ellipsis,
    Dot,
    Arrow,
    Plus,
    Minus,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Bang,
    Question,
    Lt,
    Gt,
    Le,
    Ge,
    EqEq,
    Ne,
    Shl,
    Shr,
    AndAnd,
    OrOr,
    Hash,
    HashHash,
    /// `++`, `--`, `+=` and the other compound assignments: never part of
    /// a declaration, but found in skipped function bodies.
    Other,
}

/// A token's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident,
    Kw(Kw),
    Number,
    /// A character constant, with its prefix (`'a'`, `L'a'`).
    Char,
    /// A string literal, with its prefix (`"a"`, `L"a"`, `u8"a"`).
    Str,
    Punct(P),
    /// The `#` that starts a directive line.
    DirStart,
    /// The end of a directive line.
    DirEnd,
    /// A character that starts no token, or an unterminated literal or comment.
    Invalid,
    /// The end of the text.
    Eof,
}

/// A token: its kind, its bytes in the text, and its line (from 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

/// The keyword an identifier spells, if any.
pub(crate) fn keyword(s: &str) -> Option<Kw> {
    let b = s.as_bytes();
    // Most identifiers are not keywords: reject them on the first byte.
    match b.first() {
        Some(b'_' | b'a' | b'b' | b'c' | b'd' | b'e' | b'f' | b'i' | b'l' | b'n' | b'r')
        | Some(b's' | b't' | b'u' | b'v') => {}
        _ => return None,
    }
    Some(match s {
        "typedef" => Kw::Typedef,
        "extern" => Kw::Extern,
        "static" => Kw::Static,
        "auto" => Kw::Auto,
        "register" => Kw::Register,
        "inline" | "__inline" | "__inline__" => Kw::Inline,
        "_Thread_local" | "__thread" | "thread_local" => Kw::ThreadLocal,
        "_Noreturn" => Kw::Noreturn,
        "const" | "__const" | "__const__" => Kw::Const,
        "volatile" | "__volatile" | "__volatile__" => Kw::Volatile,
        "restrict" | "__restrict" | "__restrict__" | "_Nonnull" | "_Nullable"
        | "_Null_unspecified" | "__cdecl" | "__stdcall" | "__fastcall" | "__w64" | "__ptr32"
        | "__ptr64" => Kw::Restrict,
        "_Atomic" => Kw::Atomic,
        "void" => Kw::Void,
        "char" => Kw::Char,
        "short" => Kw::Short,
        "int" => Kw::Int,
        "long" => Kw::Long,
        "float" => Kw::Float,
        "double" => Kw::Double,
        "signed" | "__signed" | "__signed__" => Kw::Signed,
        "unsigned" => Kw::Unsigned,
        "_Bool" => Kw::Bool,
        "_Complex" | "__complex" | "__complex__" => Kw::Complex,
        "_Imaginary" => Kw::Imaginary,
        "__int128" => Kw::Int128,
        "_Float32" => Kw::ExtFloat(ExtFloat::F32),
        "_Float64" | "_Float32x" => Kw::ExtFloat(ExtFloat::F64),
        "_Float64x" | "__float80" => Kw::ExtFloat(ExtFloat::F64x),
        "_Float16" => Kw::ExtFloat(ExtFloat::Other("_Float16")),
        "__bf16" => Kw::ExtFloat(ExtFloat::Other("__bf16")),
        "_Float128" => Kw::ExtFloat(ExtFloat::Other("_Float128")),
        "_Float128x" => Kw::ExtFloat(ExtFloat::Other("_Float128x")),
        "__float128" => Kw::ExtFloat(ExtFloat::Other("__float128")),
        "__ibm128" => Kw::ExtFloat(ExtFloat::Other("__ibm128")),
        "_Decimal32" => Kw::ExtFloat(ExtFloat::Other("_Decimal32")),
        "_Decimal64" => Kw::ExtFloat(ExtFloat::Other("_Decimal64")),
        "_Decimal128" => Kw::ExtFloat(ExtFloat::Other("_Decimal128")),
        "struct" => Kw::Struct,
        "union" => Kw::Union,
        "enum" => Kw::Enum,
        "__attribute__" | "__attribute" => Kw::Attribute,
        "__declspec" => Kw::Declspec,
        "__extension__" => Kw::Extension,
        "asm" | "__asm" | "__asm__" => Kw::Asm,
        "typeof" | "__typeof" | "__typeof__" | "typeof_unqual" | "__typeof_unqual__" => Kw::Typeof,
        "_Alignas" | "alignas" => Kw::Alignas,
        "_Alignof" | "__alignof" | "__alignof__" | "alignof" => Kw::Alignof,
        "sizeof" => Kw::Sizeof,
        "_Static_assert" | "static_assert" => Kw::StaticAssert,
        _ => return None,
    })
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// Splits `src` into tokens; the last one is [`Tok::Eof`].
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut toks = Vec::with_capacity(b.len() / 5 + 1);
    let mut i = 0usize;
    let mut line: u32 = 1;
    // Whether only whitespace (and comments) precede `i` on its line.
    let mut line_start = true;
    let mut in_directive = false;
    let push = |toks: &mut Vec<Token>, kind, start, end, line| {
        toks.push(Token {
            kind,
            start,
            end,
            line,
        })
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                if in_directive {
                    push(&mut toks, Tok::DirEnd, i, i, line);
                    in_directive = false;
                }
                line = line.saturating_add(1);
                line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'\\' if matches!(b.get(i + 1), Some(b'\n')) => {
                // A line continuation: the line goes on.
                line = line.saturating_add(1);
                i += 2;
                continue;
            }
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => {
                line = line.saturating_add(1);
                i += 3;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                i += 2;
                loop {
                    if i + 1 >= b.len() {
                        push(&mut toks, Tok::Invalid, start, b.len(), line);
                        i = b.len();
                        break;
                    }
                    if b[i] == b'*' && b[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if b[i] == b'\n' {
                        line = line.saturating_add(1);
                    }
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        let start = i;
        let was_line_start = line_start;
        line_start = false;
        if c == b'#' && was_line_start && !in_directive {
            in_directive = true;
            push(&mut toks, Tok::DirStart, i, i + 1, line);
            i += 1;
            continue;
        }
        if is_ident_start(c) {
            while i < b.len() && is_ident_continue(b[i]) {
                i += 1;
            }
            // String and character prefixes: L"..", u"..", U"..", u8"..".
            let word = &src[start..i];
            if matches!(word, "L" | "u" | "U" | "u8") && matches!(b.get(i), Some(b'"' | b'\'')) {
                let (kind, end) = quoted(b, i);
                i = end;
                push(&mut toks, kind, start, end, line);
                continue;
            }
            let kind = match keyword(word) {
                Some(k) => Tok::Kw(k),
                None => Tok::Ident,
            };
            push(&mut toks, kind, start, i, line);
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            // A preprocessing number: digits, letters, '.', and signs after exponents.
            i += 1;
            while i < b.len() {
                let d = b[i];
                let sign =
                    matches!(d, b'+' | b'-') && matches!(b[i - 1], b'e' | b'E' | b'p' | b'P');
                if sign || d.is_ascii_alphanumeric() || d == b'.' || d == b'_' {
                    i += 1;
                } else {
                    break;
                }
            }
            push(&mut toks, Tok::Number, start, i, line);
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (kind, end) = quoted(b, i);
            i = end;
            push(&mut toks, kind, start, end, line);
            continue;
        }
        let two = |x: u8| b.get(i + 1) == Some(&x);
        let (p, len) = match c {
            b'(' => (P::LParen, 1),
            b')' => (P::RParen, 1),
            b'[' => (P::LBracket, 1),
            b']' => (P::RBracket, 1),
            b'{' => (P::LBrace, 1),
            b'}' => (P::RBrace, 1),
            b';' => (P::Semi, 1),
            b',' => (P::Comma, 1),
            b'?' => (P::Question, 1),
            b'~' => (P::Tilde, 1),
            b':' => (P::Colon, 1),
            b'.' if two(b'.') && b.get(i + 2) == Some(&b'.') => (P::Ellipsis, 3),
            b'.' => (P::Dot, 1),
            b'#' if two(b'#') => (P::HashHash, 2),
            b'#' => (P::Hash, 1),
            b'*' if two(b'=') => (P::Other, 2),
            b'*' => (P::Star, 1),
            b'=' if two(b'=') => (P::EqEq, 2),
            b'=' => (P::Assign, 1),
            b'!' if two(b'=') => (P::Ne, 2),
            b'!' => (P::Bang, 1),
            b'<' if two(b'<') && b.get(i + 2) == Some(&b'=') => (P::Other, 3),
            b'<' if two(b'<') => (P::Shl, 2),
            b'<' if two(b'=') => (P::Le, 2),
            b'<' => (P::Lt, 1),
            b'>' if two(b'>') && b.get(i + 2) == Some(&b'=') => (P::Other, 3),
            b'>' if two(b'>') => (P::Shr, 2),
            b'>' if two(b'=') => (P::Ge, 2),
            b'>' => (P::Gt, 1),
            b'+' if two(b'+') || two(b'=') => (P::Other, 2),
            b'+' => (P::Plus, 1),
            b'-' if two(b'>') => (P::Arrow, 2),
            b'-' if two(b'-') || two(b'=') => (P::Other, 2),
            b'-' => (P::Minus, 1),
            b'/' if two(b'=') => (P::Other, 2),
            b'/' => (P::Slash, 1),
            b'%' if two(b'=') => (P::Other, 2),
            b'%' => (P::Percent, 1),
            b'&' if two(b'&') => (P::AndAnd, 2),
            b'&' if two(b'=') => (P::Other, 2),
            b'&' => (P::Amp, 1),
            b'|' if two(b'|') => (P::OrOr, 2),
            b'|' if two(b'=') => (P::Other, 2),
            b'|' => (P::Pipe, 1),
            b'^' if two(b'=') => (P::Other, 2),
            b'^' => (P::Caret, 1),
            _ => {
                // Not a token: one whole character, so positions stay on
                // character boundaries.
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                push(&mut toks, Tok::Invalid, i, i + len, line);
                i += len;
                continue;
            }
        };
        push(&mut toks, Tok::Punct(p), i, i + len, line);
        i += len;
    }
    if in_directive {
        push(&mut toks, Tok::DirEnd, b.len(), b.len(), line);
    }
    push(&mut toks, Tok::Eof, b.len(), b.len(), line);
    toks
}

/// A quoted literal starting at `b[i]` (the quote): its kind and end.
/// Unterminated literals (end of line or text) are [`Tok::Invalid`].
fn quoted(b: &[u8], mut i: usize) -> (Tok, usize) {
    let quote = b[i];
    let kind = if quote == b'"' { Tok::Str } else { Tok::Char };
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\n' => return (Tok::Invalid, i),
            c if c == quote => return (kind, i + 1),
            _ => i += 1,
        }
    }
    (Tok::Invalid, b.len())
}

/// A string or character literal token's text taken apart: whether it is
/// wide (an `L`, `u` or `U` prefix; `u8` is narrow), and what is between
/// its quotes.
pub(crate) fn literal(text: &str) -> (bool, &str) {
    let open = text.find(['"', '\'']).unwrap_or(0);
    let prefix = text.get(..open).unwrap_or("");
    let body = text
        .get(open.saturating_add(1)..text.len().saturating_sub(1))
        .unwrap_or("");
    (!prefix.is_empty() && prefix != "u8", body)
}

/// The 1-based line and column (in characters) of byte `offset` of `src`.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.bytes().filter(|&c| c == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// A character in a literal: its code point (wide) or its UTF-8 bytes (narrow).
fn push_char(out: &mut Vec<u32>, ch: char, wide: bool) {
    if wide {
        out.push(u32::from(ch));
    } else {
        let mut buf = [0u8; 4];
        out.extend(ch.encode_utf8(&mut buf).bytes().map(u32::from));
    }
}

/// Decodes a string or character literal's contents (without prefix and
/// quotes): C escapes, with `\x` and octal escapes giving raw bytes
/// (or code points for wide literals). `None` on an invalid escape.
pub(crate) fn unescape(body: &str, wide: bool) -> Option<Vec<u32>> {
    let b = body.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            let ch = body.get(i..)?.chars().next()?;
            push_char(&mut out, ch, wide);
            i += ch.len_utf8();
            continue;
        }
        i += 1;
        let c = *b.get(i)?;
        i += 1;
        let v: u32 = match c {
            b'n' => 10,
            b't' => 9,
            b'r' => 13,
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'e' | b'E' => 27,
            b'\\' | b'\'' | b'"' | b'?' => u32::from(c),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                v
            }
            b'x' => {
                let start = i;
                let mut v: u32 = 0;
                while i < b.len() && b[i].is_ascii_hexdigit() {
                    let d = char::from(b[i]).to_digit(16)?;
                    v = v.checked_mul(16)?.checked_add(d)?;
                    i += 1;
                }
                if i == start {
                    return None;
                }
                v
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let digits = body.get(i..i.checked_add(n)?)?;
                let v = u32::from_str_radix(digits, 16).ok()?;
                i += n;
                // A universal character name is a character (not a
                // surrogate, at most U+10FFFF), as in C.
                push_char(&mut out, char::from_u32(v)?, wide);
                continue;
            }
            _ => return None,
        };
        if !wide && v > 0xff {
            return None;
        }
        out.push(v);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokens_and_directives() {
        let k = kinds("int x; // c\n#define A 1\n/* x */ a->b...");
        assert_eq!(
            k,
            [
                Tok::Kw(Kw::Int),
                Tok::Ident,
                Tok::Punct(P::Semi),
                Tok::DirStart,
                Tok::Ident,
                Tok::Ident,
                Tok::Number,
                Tok::DirEnd,
                Tok::Ident,
                Tok::Punct(P::Arrow),
                Tok::Ident,
                Tok::Punct(P::Ellipsis),
                Tok::Eof
            ]
        );
        assert_eq!(
            kinds("L\"ab\" 'c' 1.5e+3f"),
            [Tok::Str, Tok::Char, Tok::Number, Tok::Eof]
        );
        assert_eq!(kinds("\"abc"), [Tok::Invalid, Tok::Eof]);
        assert_eq!(kinds("é"), [Tok::Invalid, Tok::Eof]);
        assert_eq!(kinds("/* open"), [Tok::Invalid, Tok::Eof]);
        // A '#' that is not first on its line is not a directive.
        assert_eq!(
            kinds("a # b"),
            [Tok::Ident, Tok::Punct(P::Hash), Tok::Ident, Tok::Eof]
        );
    }

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncdé f", 9), (2, 6));
        assert_eq!(line_col("x", 0), (1, 1));
        let t = tokenize("a\n  b");
        assert_eq!((t[1].line, t[1].start), (2, 4));
    }

    #[test]
    fn escapes() {
        assert_eq!(
            unescape(r"a\n\x41\101\0", false),
            Some(vec![97, 10, 65, 65, 0])
        );
        assert_eq!(unescape(r"\u00e9", true), Some(vec![0xe9]));
        assert_eq!(unescape(r"\u00e9", false), Some(vec![0xc3, 0xa9]));
        assert_eq!(unescape(r"\q", false), None);
        assert_eq!(unescape(r"\x", false), None);
        assert_eq!(unescape(r"\x100", false), None);
        // A universal character name is a character: no surrogates.
        assert_eq!(unescape(r"\U0001F600", true), Some(vec![0x1F600]));
        assert_eq!(
            unescape(r"\U0001F600", false),
            Some(vec![0xf0, 0x9f, 0x98, 0x80])
        );
        assert_eq!(unescape(r"\ud800", true), None);
        assert_eq!(unescape(r"\U00110000", true), None);
    }

    #[test]
    fn literals_taken_apart() {
        assert_eq!(literal(r#""a\"b""#), (false, r#"a\"b"#));
        assert_eq!(literal(r#"L"wide""#), (true, "wide"));
        assert_eq!(literal(r#"u8"narrow""#), (false, "narrow"));
        assert_eq!(literal("U'x'"), (true, "x"));
        assert_eq!(literal("u8'x'"), (false, "x"));
        assert_eq!(literal("'\"'"), (false, "\""));
        // Not a literal: nothing.
        assert_eq!(literal("\""), (false, ""));
        assert_eq!(literal(""), (false, ""));
    }
}
