//! The C declaration parser on untrusted text: random bytes, token soup, and
//! mutations of real declarations (a preprocessed system header when a
//! compiler is there, plus a fixed sample) go to `cdef`, the lenient header
//! parser, `str::parse::<CType>`, `type_of` and `c_decl`. Nothing may panic,
//! overflow the stack, or take unbounded time; every error has a line and a
//! column inside the text.
//!
//! `RCTYPES_CDEF_CASES` sets the number of cases per property (default 300).

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

/// Every entry point on one text; errors must point inside it. (How long
/// it takes is the benchmark's business: benches/cdef_parse.rs.)
fn exercise(text: &str) {
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

/// Large inputs of every shape that was once quadratic (many parameters
/// named where a typedef name is looked up, many skipped declarations that
/// are declared later) and of other long lists parse completely and
/// exactly: every item is there. Their parse time against the size is
/// measured by benches/cdef_parse.rs (`large inputs` rows), not here.
#[test]
fn large_inputs_parse_completely() {
    // RCTYPES_CDEF_LARGE sets the size (the valgrind pass makes it smaller)
    let n: usize = std::env::var("RCTYPES_CDEF_LARGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12_000)
        .max(2);
    let last = n - 1;
    let params: Vec<String> = (0..n).map(|i| format!("T p{i}")).collect();
    let d = cdef(&format!(
        "typedef int T; void f({0}); typedef void (*F)({0});",
        params.join(", ")
    ))
    .unwrap();
    assert_eq!(d.function_names(), ["f"]);
    let f = d.type_of("F").unwrap();
    assert_eq!(f.prototype().map(|(_, args)| args.len()), Some(n));

    let statics: String = (0..n)
        .map(|i| format!("static int f{i}(void);\n"))
        .collect();
    let externs: String = (0..n).map(|i| format!("int f{i}(void);\n")).collect();
    let d = Declarations::from_preprocessed(&(statics + &externs));
    assert_eq!(d.function_names().len(), n);
    assert!(d.skipped().is_empty(), "declared later, so not skipped");

    let members: String = (0..n).map(|i| format!("int m{i}; ")).collect();
    let d = cdef(&format!("struct big {{ {members}}};")).unwrap();
    let big = d.type_of("struct big").unwrap();
    assert_eq!(big.fields().map(<[_]>::len), Some(n));
    assert_eq!(
        big.field(&format!("m{last}")).map(|f| f.offset),
        Some(4 * last)
    );

    let values: Vec<String> = (0..n).map(|i| format!("E{i} = {i}")).collect();
    let d = cdef(&format!("enum e {{ {} }};", values.join(", "))).unwrap();
    assert_eq!(
        d.constant(&format!("E{last}"))
            .and_then(|v| v.as_i64())
            .ok(),
        i64::try_from(last).ok()
    );

    let text: String = (0..n)
        .map(|i| format!("typedef int t{i};\n#define C{i} ({i} + 1)\n"))
        .collect();
    let d = Declarations::from_preprocessed(&text);
    assert_eq!(d.type_names().len(), n);
    assert_eq!(
        d.constant(&format!("C{last}"))
            .and_then(|v| v.as_i64())
            .ok(),
        i64::try_from(n).ok()
    );

    let d = Declarations::from_preprocessed(&"int f(int;\n".repeat(n));
    assert!(d.function_names().is_empty());
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
