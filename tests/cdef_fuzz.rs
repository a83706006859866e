//! The C declaration parser on untrusted text: random bytes, token soup, and
//! mutations of real declarations (a preprocessed system header when a
//! compiler is there, plus a fixed sample) go to `cdef`, the lenient header
//! parser, `str::parse::<CType>`, `type_of` and `c_decl`. Nothing may panic,
//! overflow the stack, or take unbounded time; every error has a line and a
//! column inside the text.
//!
//! `RCTYPES_CDEF_CASES` sets the number of cases per property (default 300).

use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use proptest::prelude::*;
use rctypes::{CType, Declarations, Error, HeaderOptions, cdef};

const SAMPLE: &str = r#"
typedef unsigned long size_t;
typedef struct node { int value; struct node *next; } node_t;
struct flags { int a:3; unsigned b:5; int :0; char c; } __attribute__((packed));
#pragma pack(push, 2)
struct packed2 { char c; double d; short s:3; };
#pragma pack(pop)
union u { int i; double d; struct { short lo, hi; }; };
enum color { RED, GREEN = 5, BLUE = GREEN * 2 + (1 << 3), NEG = -1 };
typedef int (*cmp_fn)(const void *, const void *);
extern int counter;
int apply(int (*fn)(int, int), int, int);
void qsort(void *base, size_t n, size_t size, cmp_fn cmp);
char *names[4];
int matrix[2][3];
struct flex { int n; char data[]; };
typedef struct { char c; int i __attribute__((aligned(8))); } aligned_t;
static inline int helper(int x) { return x * 2; }
extern int fscanf(void *, const char *, ...) __asm__("" "__isoc99_fscanf");
__extension__ typedef long long int64;
#define BUF_SIZE (256 * 4)
#define NAME "rctypes"
#define RATIO 0.5f
int my_printf(const char *fmt, ...);
"#;

/// Preprocessed real header text, when a compiler is available.
static REAL: Lazy<String> = Lazy::new(|| {
    HeaderOptions::new()
        .preprocess(&["stdio.h", "pthread.h"])
        .unwrap_or_else(|_| SAMPLE.repeat(20))
});

const TOKENS: &[&str] = &[
    "int",
    "char",
    "unsigned",
    "long",
    "short",
    "double",
    "float",
    "void",
    "_Bool",
    "signed",
    "const",
    "volatile",
    "restrict",
    "struct",
    "union",
    "enum",
    "typedef",
    "extern",
    "static",
    "inline",
    "__attribute__",
    "((",
    "))",
    "packed",
    "aligned",
    "(8)",
    "__asm__",
    "__extension__",
    "__typeof__",
    "sizeof",
    "_Alignof",
    "__int128",
    "_Complex",
    "x",
    "y",
    "T",
    "size_t",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    "*",
    ":",
    "=",
    "...",
    "0",
    "1",
    "-1",
    "0x7fffffff",
    "1e3",
    "'a'",
    "\"s\"",
    "+",
    "-",
    "<<",
    ">>",
    "?",
    "&&",
    "||",
    "!",
    "~",
    "/",
    "%",
    "\n#define A ",
    "\n#pragma pack(push, 1)\n",
    "\n#pragma pack(pop)\n",
    "\n# 1 \"x.h\"\n",
    "\n#undef A\n",
    "__int128_t",
    "va_list",
    "wchar_t",
    "\\",
    "@",
    "é",
];

fn cases() -> u32 {
    std::env::var("RCTYPES_CDEF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Every entry point on one text; errors must point inside it, and the
/// whole must finish quickly.
fn exercise(text: &str) {
    let start = Instant::now();
    let lines = text.split('\n').count();
    match cdef(text) {
        Ok(d) => walk(&d),
        Err(Error::Declaration { line, column, .. }) => {
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            assert!(column >= 1);
        }
        Err(e) => panic!("cdef gave an error that is not a Declaration: {e}"),
    }
    let d = Declarations::from_preprocessed(text);
    walk(&d);
    let _ = text.parse::<CType>();
    let _ = Declarations::new().type_of(text);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{} bytes took {:?}",
        text.len(),
        start.elapsed()
    );
}

/// Uses what was declared: types, their C text and its parse, constants.
fn walk(d: &Declarations) {
    for name in d.type_names().iter().take(200) {
        if let Ok(t) = d.type_of(name) {
            let text = t.c_decl("v");
            // What c_decl writes parses back.
            if !t.is_incomplete() && !t.is_void() {
                let back = cdef(&format!("{text};"));
                assert!(back.is_ok(), "{text}: {:?}", back.err());
            }
        }
    }
    for name in d.constant_names().iter().take(200) {
        let _ = d.constant(name);
    }
    let _ = d.function_names();
    let _ = d.variable_names();
    let _ = d.skipped();
}

/// Applies byte-range edits to a text: delete, duplicate, or insert a token.
fn mutate(base: &str, edits: &[(usize, usize, u8, usize)]) -> String {
    let mut s: Vec<u8> = base.as_bytes().to_vec();
    for &(at, len, op, tok) in edits {
        if s.is_empty() {
            break;
        }
        let at = at % s.len();
        let end = (at + len % 64).min(s.len());
        match op % 4 {
            0 => {
                s.drain(at..end);
            }
            1 => {
                let piece: Vec<u8> = s[at..end].to_vec();
                s.splice(at..at, piece);
            }
            2 => {
                let t = TOKENS[tok % TOKENS.len()].as_bytes();
                s.splice(at..at, t.iter().copied());
            }
            _ => {
                if let Some(b) = s.get_mut(at) {
                    *b = b"(){}[];,*:=#\n x0"[tok % 16];
                }
            }
        }
    }
    String::from_utf8_lossy(&s).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup(toks in prop::collection::vec(0..TOKENS.len(), 0..120)) {
        let text: Vec<&str> = toks.iter().map(|&i| TOKENS[i]).collect();
        exercise(&text.join(" "));
    }

    #[test]
    fn mutated_sample(edits in prop::collection::vec((any::<usize>(), any::<usize>(), any::<u8>(), any::<usize>()), 1..8)) {
        exercise(&mutate(SAMPLE, &edits));
    }

    #[test]
    fn mutated_real_header(
        window in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<usize>(), any::<u8>(), any::<usize>()), 1..8),
    ) {
        // A window of about 3,000 bytes of the preprocessed header, on a char boundary.
        let real = REAL.as_str();
        let mut start = window % real.len().max(1);
        while !real.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + 3000).min(real.len());
        while !real.is_char_boundary(end) {
            end -= 1;
        }
        exercise(&mutate(&real[start..end], &edits));
    }
}

/// The fastest of three parses of `text`, strict and lenient.
fn parse_time(text: &str) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let _ = cdef(text);
            let _ = Declarations::from_preprocessed(text);
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Large inputs of one shape take time proportional to their size: four
/// times the text takes well under eight times as long (a quadratic parse
/// takes about sixteen). Two shapes were quadratic: many parameters named
/// where a typedef name is looked up, and many skipped declarations that
/// are declared later.
#[test]
fn large_inputs_take_linear_time() {
    /// A label, and the text of a size.
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
        let (small_text, large_text) = (make(3000), make(12_000));
        // A busy machine can slow one measure: three tries (a quadratic
        // parse fails them all).
        let mut times = Vec::new();
        let linear = (0..3).any(|_| {
            let (small, large) = (parse_time(&small_text), parse_time(&large_text));
            times.push((small, large));
            large < small * 8 + Duration::from_millis(20)
        });
        assert!(linear, "{what}: (3,000, 12,000) took {times:?}");
    }
}

/// The unmutated texts parse: the sample strictly, the header leniently
/// with nothing skipped but the static helpers.
#[test]
fn unmutated_inputs_parse() {
    let d = cdef(SAMPLE).expect("the sample is valid");
    walk(&d);
    assert_eq!(d.constant("BLUE").and_then(|v| v.as_i64()).ok(), Some(18));
    let real = Declarations::from_preprocessed(&REAL);
    for s in real.skipped() {
        assert!(s.reason.contains("static"), "{s}");
    }
    assert!(real.function_names().len() > 50);
    walk(&real);
}
