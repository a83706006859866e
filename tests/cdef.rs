//! C declarations as input: API.md's "C declarations as input" block as
//! written, then every part of it against real C (the fixture library, libc,
//! and the system libraries with their headers), the compiler's layouts for
//! tricky declarations, and every failure path.

mod common;

use common::cprobe::{self, Record};
use common::{FIXTURE, lib};
use rctypes::{
    CData, CDll, CType, Callback, DeclKind, Declarations, Error, Function, HeaderOptions, Value,
    alignment, cdef, sizeof,
};

/// The contract's block, as API.md writes it (with the fixture library as `lib`).
#[test]
fn contract_block() -> rctypes::Result<()> {
    let lib = lib();
    let decls: Declarations = cdef(
        r#"
    typedef struct { int x, y; } Point;                  // typedefs, struct/union/enum tags, nesting
    struct flags { int a:3; unsigned b:5; } __attribute__((packed));   // bitfields, packed, aligned(n), #pragma pack(n)
    int add(int a, int b);                                // prototypes; parameter names optional
    int my_printf(const char *fmt, ...);                  // variadic
    int apply(int (*fn)(int, int), int, int);             // function pointers, arrays; const/volatile/restrict accepted
    extern int counter;                                   // variables
    enum color { RED, GREEN = 5, BLUE };                  // enum constants (and enum types: c_int-sized as gcc does)
    #define BUF_SIZE 256                                  // integer, floating and string #define constants
"#,
    )?; // Error::Declaration { line, column, .. } on bad text
    let mut decls2 = Declarations::new();
    decls2.cdef("typedef unsigned long ulong_t;")?;
    decls2.cdef("ulong_t twice(ulong_t);")?; // accumulates
    let point: CType = decls.type_of("Point")?; // also "struct flags", "enum color", "int (*)(int, int)", "char *[4]"
    let add: Function = decls.function(&lib, "add")?; // argtypes, restype and variadic from the declaration
    let counter: CData = unsafe { decls.variable(&lib, "counter")? };
    assert_eq!(decls.constant("GREEN")?.as_i64()?, 5); // enum constants and #defines, as Values
    let z = Declarations::from_header("zlib.h", &HeaderOptions::new());
    for s in z.iter().flat_map(|z| z.skipped()) {
        println!("{}: {}", s.name, s.reason);
    }
    let names: Vec<String> = decls.function_names(); // also type_names(), constant_names(), variable_names()
    let add2 = lib.declare("int add(int, int)")?; // one prototype, straight to a Function
    let ty: CType = "struct { int a:3; unsigned b:5; }".parse()?; // FromStr: one C type name
    assert_eq!(CType::c_int().pointer().c_decl("p"), "int *p"); // C text declaring `p` of this type

    // ... and what the comments promise.
    assert_eq!((sizeof(&point), alignment(&point)), (8, 4));
    assert_eq!(point.field("y").map(|f| f.offset), Some(4));
    let flags = decls.type_of("struct flags")?;
    assert_eq!((sizeof(&flags), alignment(&flags)), (1, 1));
    assert_eq!(decls.type_of("enum color")?, CType::c_uint());
    assert_eq!(
        decls.type_of("int (*)(int, int)")?,
        CType::function(CType::c_int(), [CType::c_int(), CType::c_int()])
    );
    assert_eq!(decls.type_of("char *[4]")?, CType::c_char_p().array(4));
    assert_eq!(unsafe { add.call(&[5.into(), 3.into()])? }.as_i64()?, 8);
    assert_eq!(unsafe { add2.call(&[5.into(), 3.into()])? }.as_i64()?, 8);
    assert_eq!(
        add.declared_argtypes(),
        Some(&[CType::c_int(), CType::c_int()][..])
    );
    assert_eq!(counter.value()?.as_i64()?, 42);
    let printf = decls.type_of("int (*)(const char *, ...)")?;
    assert_eq!(printf, CType::function(CType::c_int(), [CType::c_char_p()]));
    assert_eq!(decls.constant("BLUE")?.as_i64()?, 6);
    assert_eq!(decls.constant("BUF_SIZE")?.as_i64()?, 256);
    assert_eq!(names, ["add", "my_printf", "apply"]);
    assert_eq!(decls.variable_names(), ["counter"]);
    assert_eq!(decls.type_names(), ["Point", "struct flags", "enum color"]);
    assert_eq!(decls.constant_names(), ["RED", "GREEN", "BLUE", "BUF_SIZE"]);
    assert_eq!(decls2.function_names(), ["twice"]);
    assert_eq!(decls2.type_of("ulong_t")?, CType::c_ulong());
    assert_eq!(sizeof(&ty), 4);
    assert_eq!(
        ty.field("b")
            .and_then(|f| f.bits)
            .map(|b| (b.offset, b.width)),
        Some((3, 5))
    );

    // apply(fn, a, b) with a Rust callback, declared from the text.
    let apply = decls.function(&lib, "apply")?;
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    let mul = Callback::new(&binop, |a: &[Value]| {
        Ok(Value::from(a[0].as_i64()? * a[1].as_i64()?))
    })?;
    let r = unsafe { apply.call(&[(&mul).into(), 6.into(), 7.into()])? };
    assert_eq!(r.as_i64()?, 42);

    // from_header with include_dir and define.
    let dir = std::env::temp_dir().join(format!("rctypes-cdef-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("include")).map_err(Error::custom)?;
    std::fs::write(
        dir.join("include/mylib.h"),
        "#ifndef NDEBUG\n#error NDEBUG must be set\n#endif\n#define MYLIB_LEVEL (NDEBUG + 1)\ntypedef struct { short a; double b; } mylib_pair;\nint mylib_fn(mylib_pair *);\n",
    )
    .map_err(Error::custom)?;
    let z = Declarations::from_header(
        "mylib.h",
        &HeaderOptions::new()
            .include_dir(dir.join("include"))
            .define("NDEBUG", "1"),
    )?;
    assert_eq!(z.constant("MYLIB_LEVEL")?.as_i64()?, 2);
    assert_eq!(sizeof(&z.type_of("mylib_pair")?), 16);
    assert_eq!(
        z.function_names().last().map(String::as_str),
        Some("mylib_fn")
    );
    let e = Declarations::from_header(
        "mylib.h",
        &HeaderOptions::new().include_dir(dir.join("include")),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Header { header, message } if header == "mylib.h" && message.contains("NDEBUG must be set")),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn declarations_are_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Declarations>();
    check::<HeaderOptions>();
    check::<rctypes::Skipped>();
    // Many specifiers: an error, not an overflow.
    let e = cdef(&format!("{} x;", "long ".repeat(300))).unwrap_err();
    assert!(e.to_string().contains("invalid combination"), "{e}");
}

#[test]
fn fundamental_spellings_and_ctypes_mapping() -> rctypes::Result<()> {
    let d = Declarations::new();
    let cases: &[(&str, CType)] = &[
        ("unsigned", CType::c_uint()),
        ("signed", CType::c_int()),
        ("unsigned int", CType::c_uint()),
        ("short int", CType::c_short()),
        ("unsigned short int", CType::c_ushort()),
        ("long int", CType::c_long()),
        ("long long int", CType::c_longlong()),
        ("unsigned long long", CType::c_ulonglong()),
        ("long unsigned int", CType::c_ulong()),
        ("signed char", CType::c_byte()),
        ("unsigned char", CType::c_ubyte()),
        ("char", CType::c_char()),
        ("long double", CType::c_longdouble()),
        ("double", CType::c_double()),
        ("float", CType::c_float()),
        ("_Bool", CType::c_bool()),
        ("bool", CType::c_bool()),
        ("size_t", CType::c_size_t()),
        ("ssize_t", CType::c_ssize_t()),
        ("ptrdiff_t", CType::c_ssize_t()),
        ("int8_t", CType::c_int8()),
        ("uint8_t", CType::c_uint8()),
        ("int16_t", CType::c_int16()),
        ("uint16_t", CType::c_uint16()),
        ("int32_t", CType::c_int32()),
        ("uint32_t", CType::c_uint32()),
        ("int64_t", CType::c_int64()),
        ("uint64_t", CType::c_uint64()),
        ("intptr_t", CType::c_ssize_t()),
        ("uintptr_t", CType::c_size_t()),
        ("wchar_t", CType::c_wchar()),
        ("off_t", CType::c_long()),
        ("time_t", CType::c_long()),
        ("const volatile int", CType::c_int()),
        ("char *", CType::c_char_p()),
        ("const char *restrict", CType::c_char_p()),
        ("wchar_t *", CType::c_wchar_p()),
        ("void *", CType::c_void_p()),
        ("const void * const", CType::c_void_p()),
        ("signed char *", CType::c_byte().pointer()),
        ("unsigned char *", CType::c_ubyte().pointer()),
        ("char **", CType::c_char_p().pointer()),
        ("void **", CType::c_void_p().pointer()),
        ("int **", CType::c_int().pointer().pointer()),
        ("int [2][3]", CType::c_int().array(3).array(2)),
        ("int (*)[3]", CType::c_int().array(3).pointer()),
        ("void", CType::void()),
        ("void (*)(void)", CType::function(CType::void(), [])),
        (
            "int (*(*)(int))(double)",
            CType::function(
                CType::function(CType::c_int(), [CType::c_double()]),
                [CType::c_int()],
            ),
        ),
        (
            "int (int)",
            CType::function(CType::c_int(), [CType::c_int()]),
        ),
        ("float _Complex", CType::c_float_complex()),
        ("_Complex double", CType::c_double_complex()),
        ("long double _Complex", CType::c_longdouble_complex()),
        ("_Complex", CType::c_double_complex()),
    ];
    for (text, want) in cases {
        let got: CType = text.parse()?;
        assert_eq!(&got, want, "{text}");
        assert_eq!(&d.type_of(text)?, want, "{text}");
    }
    // The ctypes names, not only equal representations.
    assert_eq!("signed char".parse::<CType>()?.to_string(), "c_byte");
    assert_eq!("unsigned char".parse::<CType>()?.to_string(), "c_ubyte");
    assert_eq!("char".parse::<CType>()?.to_string(), "c_char");
    assert_eq!("char *".parse::<CType>()?.to_string(), "c_char_p");
    assert_eq!("wchar_t".parse::<CType>()?.to_string(), "c_wchar");
    // Enums: the size and signedness gcc gives them.
    let e = cdef(
        "enum pos { A, B }; enum neg { M = -1, N }; enum big { W = 0x100000000 };
         enum bigneg { X = -0x100000000 }; enum __attribute__((packed)) small { S = 200 };
         enum __attribute__((packed)) smallneg { T = -2 };",
    )?;
    assert_eq!(e.type_of("enum pos")?, CType::c_uint());
    assert_eq!(e.type_of("enum neg")?, CType::c_int());
    assert_eq!(e.type_of("enum big")?, CType::c_ulong());
    assert_eq!(e.type_of("enum bigneg")?, CType::c_long());
    assert_eq!(e.type_of("enum small")?, CType::c_ubyte());
    assert_eq!(e.type_of("enum smallneg")?, CType::c_byte());
    assert_eq!(e.constant("W")?.as_i64()?, 1 << 32);
    assert_eq!(e.constant("M")?.as_i64()?, -1);
    assert_eq!(e.constant("N")?.as_i64()?, 0);
    Ok(())
}

#[test]
fn typedefs_tags_and_scopes() -> rctypes::Result<()> {
    let d = cdef(
        "typedef struct { int x; } A;
         typedef A B, *PA;
         struct outer { struct inner { int a; char c; } in; int after; };
         struct node;
         typedef struct node node_t;
         struct node { int value; node_t *next; };
         typedef int T;
         int uses_param_named_t(int T, double d);
         struct shadow { T T; };
         T plain;",
    )?;
    // A typedef names one shared type.
    assert_eq!(d.type_of("A")?, d.type_of("B")?);
    assert_eq!(d.type_of("PA")?, d.type_of("A")?.pointer());
    // A tag declared inside a structure is visible at file scope.
    let inner = d.type_of("struct inner")?;
    assert_eq!(sizeof(&inner), 8);
    assert_eq!(
        d.type_of("struct outer")?
            .field("in")
            .map(|f| f.ctype.clone()),
        Some(inner)
    );
    // A forward declaration completed later; its typedef sees the completion.
    let node = d.type_of("node_t")?;
    assert!(!node.is_incomplete());
    assert_eq!(sizeof(&node), 16);
    assert_eq!(
        node.field("next").map(|f| f.ctype.clone()),
        Some(node.pointer())
    );
    assert_eq!(node, d.type_of("struct node")?);
    // A parameter or member named like a typedef is a name there.
    assert_eq!(d.function_names(), ["uses_param_named_t"]);
    assert_eq!(
        d.type_of("struct shadow")?
            .field("T")
            .map(|f| f.ctype.clone()),
        Some(CType::c_int())
    );
    assert_eq!(d.variable_names(), ["plain"]);
    assert_eq!(
        d.type_names(),
        [
            "A",
            "B",
            "PA",
            "node_t",
            "T",
            "struct outer",
            "struct inner",
            "struct node",
            "struct shadow"
        ]
    );
    // Records are named after their tag or typedef.
    assert_eq!(d.type_of("A")?.to_string(), "A");
    assert_eq!(d.type_of("struct node")?.to_string(), "struct node");
    Ok(())
}

#[test]
fn redefinitions() -> rctypes::Result<()> {
    let mut d = cdef(
        "typedef struct { int x, y; } Point; int add(int, int); enum { ONE = 1 }; struct s { int a; };",
    )?;
    let before = d.type_of("Point")?;
    // Identical: accepted, the first stays.
    d.cdef("typedef struct { int x, y; } Point; int add(int a, int b); enum { ONE = 1 }; struct s { int a; };")?;
    assert_eq!(d.type_of("Point")?, before);
    assert_eq!(d.function_names(), ["add"]);
    // Different: an error naming the line and column; the first stays.
    let e = d
        .cdef("int ok(void);\n  typedef struct { int x; } Point;")
        .unwrap_err();
    assert!(
        matches!(&e, Error::Declaration { line: 2, column: 29, message } if message.contains("Point")),
        "{e}"
    );
    assert_eq!(d.type_of("Point")?, before);
    assert_eq!(d.function_names(), ["add", "ok"]);
    let e = d.cdef("long add(int, int);").unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Declaration {
                line: 1,
                column: 6,
                ..
            }
        ),
        "{e}"
    );
    let e = d.cdef("struct s { long a; };").unwrap_err();
    assert!(e.to_string().contains("struct s"), "{e}");
    let e = d.cdef("enum { ONE = 2 };").unwrap_err();
    assert!(e.to_string().contains("ONE"), "{e}");
    let e = d.cdef("int Point;").unwrap_err();
    assert!(
        e.to_string().contains("already declared as a type name"),
        "{e}"
    );
    let e = d.cdef("union s;").unwrap_err();
    assert!(e.to_string().contains("struct s"), "{e}");
    // A prototype completes a declaration without one.
    let mut d = cdef("int f();")?;
    d.cdef("int f(int);")?;
    let f = d.function(&lib_or_self(), "f");
    assert!(matches!(f, Err(Error::SymbolNotFound { .. }) | Ok(_)));
    Ok(())
}

/// A library handle for binding tests that only look symbols up.
fn lib_or_self() -> CDll {
    CDll::this_process().expect("this process")
}

/// Tricky declarations, compared with the compiler: bitfields, packed,
/// aligned, #pragma pack push/pop, anonymous and nested members, field
/// alignment, mode attributes, flexible arrays, enums as members.
#[test]
fn layouts_match_the_compiler() -> rctypes::Result<()> {
    let text = r#"
#include <stdint.h>
#include <stddef.h>
struct bits { int a:3; unsigned b:5; int c:24; unsigned char d:4; long long e:40; };
struct mixed { char c; short s:7; int i:20; char tail; };
struct pk { char c; int i; double d; } __attribute__((packed));
struct __attribute__((packed)) pk2 { char c; int a:20; int b:7; long long x:40; };
struct al { char c; } __attribute__((aligned(16)));
struct falign { char c; int i __attribute__((aligned(8))); short s; };
struct fpacked { char c; int i __attribute__((packed)); char d; };
#pragma pack(push, 2)
struct p2 { char c; int i; double d; short s:3; };
#pragma pack(push, 1)
struct p1 { char c; int i; };
#pragma pack(pop)
struct p2b { char c; long l; };
#pragma pack(pop)
struct after { char c; long l; };
#pragma pack(4)
struct p4 { char c; double d; };
#pragma pack()
struct anon { int kind; union { int i; double d; struct { short lo, hi; }; }; char tail; };
struct nested { struct { int a; char b; } first; struct { double d; } second[2]; };
typedef struct { int x, y; } Pt;
struct arr { Pt pts[3]; char grid[2][3]; int multi[2][2][2]; };
struct flex { int n; char data[]; };
struct flexd { char c; double data[]; };
typedef int word_t __attribute__((__mode__(__word__)));
typedef unsigned int byte_t __attribute__((mode(QI)));
struct modes { byte_t b; word_t w; };
enum e8 { E8 = 1 };
struct withenum { char c; enum e8 e; enum e8 bf:3; };
struct bools { _Bool a:1; _Bool b:1; unsigned char c; };
union un { char c[5]; int i; short s:3; };
struct fnptrs { int (*cmp)(const void *, const void *); void (*cb)(void); };
struct ld { char c; long double x; };
typedef struct { char c; } __attribute__((aligned(8))) al8;
struct usesal { char c; al8 a; };
struct maxal { long long ll __attribute__((__aligned__(__alignof__(long long)))); long double ld __attribute__((__aligned__(__alignof__(long double)))); };
"#;
    // cdef takes preprocessed text: drop the #include lines it would refuse.
    let decl_text: String = text
        .lines()
        .filter(|l| !l.starts_with("#include"))
        .collect::<Vec<_>>()
        .join("\n");
    let d = cdef(&decl_text)?;
    let mut records = Vec::new();
    for name in d.type_names() {
        let ty = d.type_of(&name)?;
        if ty.is_record() && !ty.is_incomplete() {
            let align = ty.align().max(d.typedef_alignment(&name).unwrap_or(1));
            records.push(Record {
                origin: "cdef".into(),
                cname: name,
                ty,
                align,
            });
        }
    }
    assert_eq!(d.skipped(), &[]);
    assert_eq!(records.len(), 27);
    match cprobe::compare(text, &records) {
        Ok(c) => println!(
            "compared {} records, {} offsets, {} bitfields",
            c.records, c.offsets, c.bitfields
        ),
        Err(f) => panic!("{} mismatches:\n{}", f.len(), f.join("\n")),
    }
    // Spot checks that do not need a compiler.
    assert_eq!(sizeof(&d.type_of("struct bits")?), 16);
    assert_eq!(sizeof(&d.type_of("struct pk")?), 13);
    assert_eq!(
        d.type_of("struct falign")?.field("i").map(|f| f.offset),
        Some(8)
    );
    assert_eq!(d.type_of("struct anon")?.fields().map(|f| f.len()), Some(3));
    assert!(
        d.type_of("struct anon")?
            .fields()
            .is_some_and(|f| f[1].anonymous)
    );
    assert_eq!(sizeof(&d.type_of("struct flex")?), 4);
    assert_eq!(
        d.type_of("struct flex")?.field("data").map(|f| f.offset),
        Some(4)
    );
    assert_eq!(d.type_of("word_t")?, CType::c_longlong());
    assert_eq!(d.type_of("byte_t")?, CType::c_ubyte());
    Ok(())
}

#[test]
fn prototypes_call_real_c() -> rctypes::Result<()> {
    let lib = lib();
    let d = cdef(
        "typedef struct { int x, y; } Point;
         typedef struct { Point min, max; } Rect;
         typedef struct Node { int value; struct Node *next; } Node;
         typedef struct { int kind; union { int i; double d; }; } Tagged;
         Point point_add(Point, Point);
         long rect_area(Rect r);
         int rect_center(const Rect *r, Point *center);
         Node *list_build(int n);
         int list_sum(const Node *n);
         void list_free(Node *n);
         double tagged_value(Tagged t);
         int sum_ints(int n, ...);
         size_t my_strlen(const char *s);
         const char *greeting(void);
         int divmod(int a, int b, int *q, int *r);
         long double add_ld(long double, long double);
         unsigned long echo_ulong(unsigned long);
         int8_t echo_i8(int8_t);
         _Bool is_even(int);
         wchar_t wide_upper(wchar_t);
         double integrate(double (*f)(double), double a, double b, int n);
         int read_counter();",
    )?;
    let call = |name: &str, args: &[Value]| -> rctypes::Result<Value> {
        // SAFETY: every prototype above is the fixture's.
        unsafe { d.function(&lib, name)?.call(args) }
    };
    let point = d.type_of("Point")?;
    let a = CData::from_values(&point, [1, 2])?;
    let b = CData::from_values(&point, [10, 20])?;
    let s = call("point_add", &[(&a).into(), (&b).into()])?.into_data()?;
    assert_eq!((s.get("x")?.as_i64()?, s.get("y")?.as_i64()?), (11, 22));
    let rect = CData::new(&d.type_of("Rect")?);
    rect.field("max")?.set("x", 4)?;
    rect.field("max")?.set("y", 5)?;
    assert_eq!(call("rect_area", &[(&rect).into()])?.as_i64()?, 20);
    let center = CData::new(&point);
    assert_eq!(
        call(
            "rect_center",
            &[rctypes::byref(&rect), rctypes::byref(&center)]
        )?
        .as_i64()?,
        18
    );
    assert_eq!(center.get("x")?.as_i64()?, 2);
    let list = call("list_build", &[4.into()])?;
    assert_eq!(call("list_sum", std::slice::from_ref(&list))?.as_i64()?, 10);
    call("list_free", &[list])?;
    let t = CData::new(&d.type_of("Tagged")?);
    t.set("kind", 1)?;
    t.set("d", 2.5)?;
    assert_eq!(call("tagged_value", &[(&t).into()])?.as_f64()?, 2.5);
    assert_eq!(
        call("sum_ints", &[3.into(), 10.into(), 20.into(), 12.into()])?.as_i64()?,
        42
    );
    assert!(d.function(&lib, "sum_ints")?.is_variadic());
    assert_eq!(call("my_strlen", &["rctypes".into()])?.as_u64()?, 7);
    assert_eq!(call("greeting", &[])?.as_bytes()?, b"hello from C");
    let (q, r) = (CData::new(&CType::c_int()), CData::new(&CType::c_int()));
    call(
        "divmod",
        &[17.into(), 5.into(), rctypes::byref(&q), rctypes::byref(&r)],
    )?;
    assert_eq!((q.value()?.as_i64()?, r.value()?.as_i64()?), (3, 2));
    assert_eq!(call("add_ld", &[0.25.into(), 0.5.into()])?.as_f64()?, 0.75);
    assert_eq!(
        call("echo_ulong", &[Value::UInt(u64::MAX)])?.as_u64()?,
        u64::MAX
    );
    assert_eq!(call("echo_i8", &[(-5).into()])?.as_i64()?, -5);
    assert!(call("is_even", &[4.into()])?.as_bool()?);
    assert_eq!(call("wide_upper", &['q'.into()])?.as_str()?, "Q");
    let f = CType::function(CType::c_double(), [CType::c_double()]);
    let sq = Callback::new(&f, |a: &[Value]| {
        Ok(Value::from(a[0].as_f64()? * a[0].as_f64()?))
    })?;
    let area = call(
        "integrate",
        &[(&sq).into(), 0.0.into(), 1.0.into(), 1000.into()],
    )?
    .as_f64()?;
    assert!((area - 1.0 / 3.0).abs() < 1e-6, "{area}");
    // Without a prototype: no argtypes, as ctypes.
    let rc = d.function(&lib, "read_counter")?;
    assert_eq!(rc.declared_argtypes(), None);
    assert_eq!(unsafe { rc.call(&[])? }.as_i64()?, 42);
    Ok(())
}

#[test]
fn define_constants() -> rctypes::Result<()> {
    let d = cdef(
        r#"
#define DEC 42
#define HEX 0x1F
#define OCT 0755
#define BIN 0b101
#define NEG -7
#define PAREN (((3)))
#define UNSIGNED 4000000000u
#define ULL 18446744073709551615ULL
#define LONGV 5L
#define EXPR (DEC * 2 + HEX - (1 << 4))
#define SHIFTS ((1u << 31) >> 3)
#define COND (DEC > 40 ? 1 : 2)
#define LOGIC (DEC && !0 || 0)
#define CAST ((unsigned char)-1)
#define SIZE (sizeof(int) * 4)
#define ALIGN _Alignof(double)
#define FLOAT 1.5e3
#define FLOAT2 (0.5f * 3)
#define STR "hello" " " "world"
#define ESC "a\tb\x41\101"
#define WIDE L"wide"
#define CH 'A'
#define NUL_PTR ((void *)0)
#define TRANSIENT ((void (*)(void *))-1)
#define SELF SELF
#define CYCLE_A CYCLE_B
#define CYCLE_B CYCLE_A
#define FN(x) ((x) + 1)
#define EMPTY
#define OVERFLOW (2147483647 + 1)
#define DIV0 (1 / 0)
#define UNKNOWN (NOT_DEFINED + 1)
#define ALIAS_OF_ENUM RED
enum color { RED = 3 };
char buf[DEC];
"#,
    )?;
    let int = |n: &str| d.constant(n).and_then(|v| v.as_i64());
    assert_eq!(int("DEC")?, 42);
    assert_eq!(int("HEX")?, 31);
    assert_eq!(int("OCT")?, 0o755);
    assert_eq!(int("BIN")?, 5);
    assert_eq!(int("NEG")?, -7);
    assert_eq!(int("PAREN")?, 3);
    assert_eq!(d.constant("UNSIGNED")?.as_u64()?, 4_000_000_000);
    assert!(matches!(d.constant("UNSIGNED")?, Value::UInt(_)));
    assert_eq!(d.constant("ULL")?.as_u64()?, u64::MAX);
    assert_eq!(int("LONGV")?, 5);
    assert_eq!(int("EXPR")?, 42 * 2 + 31 - 16);
    assert_eq!(d.constant("SHIFTS")?.as_u64()?, 1 << 28);
    assert_eq!(int("COND")?, 1);
    assert_eq!(int("LOGIC")?, 1);
    assert_eq!(int("CAST")?, 255);
    assert_eq!(d.constant("SIZE")?.as_u64()?, 16);
    assert_eq!(d.constant("ALIGN")?.as_u64()?, 8);
    assert_eq!(d.constant("FLOAT")?.as_f64()?, 1500.0);
    assert_eq!(d.constant("FLOAT2")?.as_f64()?, 1.5);
    assert_eq!(d.constant("STR")?.as_bytes()?, b"hello world");
    assert_eq!(d.constant("ESC")?.as_bytes()?, b"a\tbAA");
    assert_eq!(d.constant("WIDE")?.as_str()?, "wide");
    assert_eq!(int("CH")?, 65);
    assert!(d.constant("NUL_PTR")?.is_null());
    assert_eq!(d.constant("TRANSIENT")?.as_address()?, usize::MAX);
    assert_eq!(int("ALIAS_OF_ENUM")?, 3);
    // Macros used where C needs a constant.
    assert_eq!(sizeof(&d.type_of("char [DEC]")?), 42);
    assert_eq!(d.variable_names(), ["buf"]);
    // Not constants: listed nowhere, and a clear error.
    for n in [
        "SELF", "CYCLE_A", "FN", "EMPTY", "OVERFLOW", "DIV0", "UNKNOWN",
    ] {
        let e = d.constant(n).unwrap_err();
        assert!(
            matches!(&e, Error::NotDeclared { kind, .. } if kind == "constant"),
            "{n}: {e}"
        );
        assert!(!d.constant_names().contains(&n.to_string()), "{n}");
    }
    assert!(matches!(d.constant("NOPE"), Err(Error::NotDeclared { .. })));
    // Overflow where a constant is required is an error with its position.
    let e = cdef("char a[2147483647 + 1];").unwrap_err();
    assert!(
        matches!(&e, Error::Declaration { line: 1, column: 19, message } if message.contains("overflow")),
        "{e}"
    );
    let e = cdef("enum { A = 1 / 0 };").unwrap_err();
    assert!(e.to_string().contains("division by zero"), "{e}");
    Ok(())
}

#[test]
fn errors_name_line_column_and_what_was_expected() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("int f(int;", 1, 10, "expected"),
        ("int x", 1, 6, "`;`"),
        ("\n\n  int ;", 3, 3, "declares nothing"),
        ("int 3x;", 1, 5, "a name"),
        ("typedef int;", 1, 1, "declares nothing"),
        ("struct s { int a:99; };", 1, 1, ""),
        ("unsigned float f;", 1, 1, "invalid combination"),
        ("int a[-1];", 1, 7, "non-negative"),
        ("int f(void) int;", 1, 13, "`;`"),
        ("foo bar;", 1, 1, "a type"),
        ("int x; @", 1, 8, "not a C token"),
        ("#include <stdio.h>\nint x;", 1, 2, "not supported"),
        ("#if 1\nint x;\n#endif", 1, 2, "not supported"),
        ("struct a { int x; ", 1, 19, "`}`"),
        ("int f(int (*)(int);", 1, 19, "`,` or `)`"),
        ("#pragma pack(3)\nstruct s { int a; };", 1, 2, "pack"),
        ("int (*f)(int)[3];", 1, 7, "array"),
        ("char s[] = \"unterminated;", 1, 12, "not a C token"),
        ("int é;", 1, 5, "not a C token"),
    ];
    for (text, line, column, what) in cases {
        match cdef(text) {
            Err(Error::Declaration {
                line: l,
                column: c,
                message,
            }) => {
                assert_eq!((l, c), (*line, *column), "{text:?}: {message}");
                assert!(message.contains(what), "{text:?}: {message}");
            }
            Err(e) if what.is_empty() => {
                // A layout the engine refuses: listed as skipped (not an
                // error), so it never reaches here; anything else is wrong.
                panic!("{text:?}: {e}")
            }
            other => {
                if what.is_empty() {
                    let d = other.expect("parsed");
                    assert!(!d.skipped().is_empty(), "{text:?}");
                } else {
                    panic!(
                        "{text:?}: expected an error, got {:?}",
                        other.map(|d| d.function_names())
                    );
                }
            }
        }
    }
    // The message of a whole error.
    let e = cdef("int f(int;").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 10: expected `,` or `)` in the parameter list, found `;`"
    );
}

#[test]
fn unknown_and_skipped_names() -> rctypes::Result<()> {
    let lib = lib();
    let d = cdef(
        "__int128 big(void);
         void takes(unsigned __int128 x);
         _Float128 q(void);
         _Complex int z(void);
         typedef float v4 __attribute__((vector_size(16)));
         v4 vadd(v4, v4);
         static int helper(int x) { return x; }
         struct has128 { __int128 x; };
         int fine(void);
         int var;",
    )?;
    assert_eq!(d.function_names(), ["fine"]);
    let skipped: Vec<(&str, DeclKind)> = d
        .skipped()
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    assert_eq!(
        skipped,
        [
            ("big", DeclKind::Function),
            ("takes", DeclKind::Function),
            ("q", DeclKind::Function),
            ("z", DeclKind::Function),
            ("v4", DeclKind::Type),
            ("vadd", DeclKind::Function),
            ("helper", DeclKind::Function),
            ("struct has128", DeclKind::Type),
        ]
    );
    assert!(
        d.skipped()[0].reason.contains("__int128"),
        "{}",
        d.skipped()[0].reason
    );
    assert!(d.skipped()[2].reason.contains("_Float128"));
    assert!(d.skipped()[3].reason.contains("complex integer"));
    assert!(d.skipped()[5].reason.contains("vector"));
    assert!(d.skipped()[6].reason.contains("static"));
    let e = d.function(&lib, "big").unwrap_err();
    assert!(
        matches!(&e, Error::NotDeclared { kind, name, message } if kind == "function" && name == "big" && message.contains("__int128")),
        "{e}"
    );
    let e = d.function(&lib, "nothing").unwrap_err();
    assert_eq!(e.to_string(), "no function `nothing` is declared");
    let e = d.function(&lib, "var").unwrap_err();
    assert!(e.to_string().contains("it is a variable"), "{e}");
    let e = unsafe { d.variable(&lib, "fine") }.unwrap_err();
    assert!(e.to_string().contains("it is a function"), "{e}");
    let e = d.type_of("Nope").unwrap_err();
    assert!(
        matches!(&e, Error::NotDeclared { kind, .. } if kind == "type"),
        "{e}"
    );
    let e = d.type_of("struct nope").unwrap_err();
    assert_eq!(e.to_string(), "no type `struct nope` is declared");
    let e = d.type_of("struct has128").unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }) || matches!(e, Error::NotDeclared { .. }));
    let e = d.type_of("v4").unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { reason, .. } if reason.contains("vector")),
        "{e}"
    );
    let e = d.function(&lib, "fine").unwrap_err();
    assert!(matches!(e, Error::SymbolNotFound { .. }), "{e}");
    // Pointers to what rctypes cannot express are plain pointers.
    let p = cdef("__int128 *p128(void);")?;
    assert_eq!(p.function_names(), ["p128"]);
    // A name asked for as the wrong kind says what it is.
    let e = d.type_of("fine").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no type `fine` is declared: it is a function"
    );
    Ok(())
}

/// Attributes on a parameter or in a type name change its type as they do
/// everywhere else (before: a vector parameter was passed as its element
/// type, and `mode` was ignored in type names).
#[test]
fn attributes_apply_to_parameters_and_type_names() -> rctypes::Result<()> {
    let text = "void vf(int x __attribute__((vector_size(16))));
                int ok(short s __attribute__((mode(DI))));
                #define DI_SIZE sizeof(int __attribute__((mode(DI))))";
    for d in [cdef(text)?, Declarations::from_preprocessed(text)] {
        assert_eq!(d.function_names(), ["ok"]);
        assert_eq!(d.skipped().len(), 1);
        assert_eq!(d.skipped()[0].name, "vf");
        assert_eq!(
            d.skipped()[0].reason,
            "vector types (vector_size) are not supported (at line 1)"
        );
        assert_eq!(d.constant("DI_SIZE")?.as_u64()?, 8);
        let lib = lib();
        let ok = d.function(&lib, "ok");
        assert!(matches!(ok, Err(Error::SymbolNotFound { .. })), "{ok:?}");
    }
    assert_eq!(
        "int __attribute__((mode(DI)))".parse::<CType>()?,
        CType::c_longlong()
    );
    assert_eq!(
        "unsigned __attribute__((mode(QI))) *".parse::<CType>()?,
        CType::c_ubyte().pointer()
    );
    Ok(())
}

/// A declaration skipped, then declared, leaves the skipped list; the others
/// stay in order (the list is settled once per parse).
#[test]
fn skipped_then_declared() -> rctypes::Result<()> {
    let d = Declarations::from_preprocessed(
        "static int a(void); static int b(void); int a(void);
         static int c; struct s { __int128 x; }; int c; struct s { int x; };",
    );
    assert_eq!(d.function_names(), ["a"]);
    assert_eq!(d.variable_names(), ["c"]);
    let skipped: Vec<(&str, DeclKind)> = d
        .skipped()
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    assert_eq!(skipped, [("b", DeclKind::Function)]);
    assert_eq!(
        d.skipped()[0].reason,
        "a static function: no library exports it (at line 1)"
    );
    assert_eq!(sizeof(&d.type_of("struct s")?), 4);
    // Across calls, and skipped again after being declared.
    let mut d = cdef("static int f(void);")?;
    d.cdef("int f(void); static int g(void);")?;
    assert_eq!(d.function_names(), ["f"]);
    let names: Vec<&str> = d.skipped().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["g"]);
    Ok(())
}

/// A `#define` constant has the same value whatever order the macros are
/// defined and evaluated in (before: a chain evaluated from its far end
/// left values cut by the nesting bound in the cache).
#[test]
fn macro_constants_do_not_depend_on_order() -> rctypes::Result<()> {
    let chain = |reversed: bool| {
        let mut defs: Vec<String> = (1..40)
            .map(|i| format!("#define M{i} (M{} + 1)\n", i - 1))
            .collect();
        defs.insert(0, "#define M0 0\n".to_string());
        if reversed {
            defs.reverse();
        }
        defs.concat()
    };
    let forward = cdef(&chain(false))?;
    let backward = cdef(&chain(true))?;
    let values = |d: &Declarations| -> Vec<Option<i64>> {
        (0..40)
            .map(|i| d.constant(&format!("M{i}")).and_then(|v| v.as_i64()).ok())
            .collect()
    };
    assert_eq!(values(&forward), values(&backward));
    // The start of the chain is within the nesting bound; its end is not.
    for i in 0..10 {
        assert_eq!(values(&forward)[i], Some(i as i64), "M{i}");
    }
    assert_eq!(values(&forward)[39], None);
    // Used in a declaration, the same.
    let d = cdef(&(chain(true) + "int a[M5]; int b[M9];"))?;
    assert_eq!(
        (sizeof(&d.type_of("int [M5]")?), d.constant("M9")?.as_i64()?),
        (20, 9)
    );
    Ok(())
}

/// `Declarations::cdef_prototype`: the last `;` is optional, and an
/// unfinished declaration ends with the text.
#[test]
fn prototypes_without_semicolon() -> rctypes::Result<()> {
    let mut d = Declarations::new();
    d.cdef_prototype("typedef struct { int quot, rem; } div_t; div_t div(int, int)")?;
    d.cdef_prototype("int abs(int);  ")?;
    assert_eq!(d.function_names(), ["div", "abs"]);
    let e = d.cdef_prototype("double cos(double").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 18: expected `,` or `)` in the parameter list, found the end of the text"
    );
    Ok(())
}

#[test]
fn declare_one_prototype() -> rctypes::Result<()> {
    let lib = lib();
    let add = lib.declare("int add(int, int)")?;
    assert_eq!(unsafe { add.call(&[2.into(), 40.into()])? }.as_i64()?, 42);
    let add = lib.declare("  int add(int a, int b);  ")?;
    assert_eq!(add.declared_restype(), &CType::c_int());
    let printf =
        CDll::this_process()?.declare("int snprintf(char *, size_t, const char *, ...)")?;
    assert!(printf.is_variadic());
    let buf = rctypes::create_string_buffer(32);
    let n = unsafe {
        printf.call(&[
            (&buf).into(),
            32usize.into(),
            "%d-%s".into(),
            7.into(),
            "x".into(),
        ])?
    };
    assert_eq!(n.as_i64()?, 3);
    assert_eq!(buf.value()?.as_bytes()?, b"7-x");
    for bad in [
        "int add(int, int",
        "int x",
        "int add(int, int); int sub(int, int)",
        "",
        "typedef int t",
    ] {
        let e = lib.declare(bad).unwrap_err();
        assert!(matches!(e, Error::Declaration { .. }), "{bad:?}: {e}");
    }
    let e = lib.declare("int add(int, int").unwrap_err();
    assert!(e.to_string().contains("the end of the text"), "{e}");
    let e = lib.declare("int no_such_function(void)").unwrap_err();
    assert!(matches!(e, Error::SymbolNotFound { .. }), "{e}");
    let e = lib.declare("__int128 add(int, int)").unwrap_err();
    assert!(matches!(e, Error::NotDeclared { .. }), "{e}");
    Ok(())
}

#[test]
fn c_text_round_trips() -> rctypes::Result<()> {
    let node = CType::structure("Node").declare();
    node.define(|s| {
        s.field("value", CType::c_int())
            .field("next", node.pointer())
    })?;
    let inner = CType::union("U")
        .field("i", CType::c_int())
        .field("d", CType::c_double())
        .build()?;
    let types = vec![
        CType::c_int(),
        CType::c_ulonglong(),
        CType::c_char_p().array(4),
        CType::c_double().array(3).pointer(),
        CType::function(CType::c_int(), [CType::c_void_p(), CType::c_void_p()]),
        CType::function(
            CType::function(CType::c_int(), [CType::c_double()]),
            [CType::c_int()],
        )
        .array(2),
        node.clone(),
        CType::structure("Flags")
            .bitfield("a", CType::c_int(), 3)
            .bitfield("b", CType::c_uint(), 5)
            .pack(1)
            .align(8)
            .build()?,
        CType::structure("P2")
            .field("c", CType::c_char())
            .field("i", CType::c_int())
            .bitfield("b", CType::c_int(), 3)
            .field("d", CType::c_double())
            .pack(2)
            .build()?,
        CType::structure("Tagged")
            .field("kind", CType::c_int())
            .field("u", inner.clone())
            .anonymous("u")
            .build()?,
        CType::structure("Wire")
            .field("kind", CType::c_uint16())
            .field("len", CType::c_uint32())
            .pack(1)
            .big_endian()
            .build()?,
        CType::structure("FA")
            .field("c", CType::c_char())
            .field("i", CType::c_int())
            .field_align(16)
            .field("s", CType::c_short())
            .build()?,
        CType::structure("Outer")
            .field("a", inner.clone())
            .field("b", inner)
            .field("arr", CType::c_wchar().array(3))
            .build()?,
    ];
    for t in &types {
        let text = t.c_decl("v");
        let back = cdef(&format!("{text};")).map_err(|e| Error::custom(format!("{text}: {e}")))?;
        let name = back.variable_names();
        assert_eq!(name, ["v"], "{text}");
        let v = unsafe { back.variable(&lib_or_self(), "v") };
        assert!(v.is_err());
        let again = back.type_of(&t.c_decl(""))?;
        assert_eq!(
            (again.size(), again.align()),
            (t.size(), t.align()),
            "{text}"
        );
        assert_eq!(t.c_decl("").parse::<CType>()?.size(), t.size(), "{text}");
        if let (Some(a), Some(b)) = (t.fields(), again.fields()) {
            let offs =
                |f: &[rctypes::Field]| f.iter().map(|f| (f.offset, f.bits)).collect::<Vec<_>>();
            assert_eq!(offs(a), offs(b), "{text}");
        }
    }
    assert_eq!(types[1].c_decl("n"), "unsigned long long n");
    assert_eq!(types[5].c_decl("fs"), "int (*(*fs[2])(int))(double)");
    assert_eq!(
        node.c_decl("n"),
        "struct Node { int value; struct Node *next; } n"
    );
    Ok(())
}

/// Real headers and the libraries they describe.
#[test]
fn system_libraries_from_their_headers() -> rctypes::Result<()> {
    fn open(short: &str) -> Option<CDll> {
        let path = rctypes::find_library(short)?;
        // SAFETY: system libraries with ordinary initialisers.
        unsafe { CDll::open(path) }.ok()
    }
    fn header(h: &str) -> Option<Declarations> {
        match Declarations::from_header(h, &HeaderOptions::new()) {
            Ok(d) => Some(d),
            Err(e) => {
                println!("skipping {h}: {e}");
                None
            }
        }
    }
    if let (Some(z), Some(lib)) = (header("zlib.h"), open("z")) {
        let version = z.function(&lib, "zlibVersion")?;
        let v = unsafe { version.call(&[])? };
        assert_eq!(v.as_bytes()?, z.constant("ZLIB_VERSION")?.as_bytes()?);
        let bound = z.function(&lib, "compressBound")?;
        assert!(unsafe { bound.call(&[100u64.into()])? }.as_u64()? >= 100);
        let crc = z.function(&lib, "crc32")?;
        let hello = CData::from_bytes(&CType::c_ubyte().array(5), b"hello")?;
        let r = unsafe { crc.call(&[0u64.into(), (&hello).into(), 5u32.into()])? };
        assert_eq!(r.as_u64()?, 0x3610_a686);
        assert_eq!(z.constant("Z_OK")?.as_i64()?, 0);
        assert_eq!(sizeof(&z.type_of("z_stream")?), 112);
    }
    if let (Some(s), Some(lib)) = (header("sqlite3.h"), open("sqlite3")) {
        let v = unsafe { s.function(&lib, "sqlite3_libversion")?.call(&[])? };
        assert_eq!(v.as_bytes()?, s.constant("SQLITE_VERSION")?.as_bytes()?);
        let n = unsafe { s.function(&lib, "sqlite3_libversion_number")?.call(&[])? };
        assert_eq!(n.as_i64()?, s.constant("SQLITE_VERSION_NUMBER")?.as_i64()?);
        assert!(s.constant("SQLITE_TRANSIENT")?.as_address()? == usize::MAX);
    }
    if let (Some(g), Some(lib)) = (header("gmp.h"), open("gmp")) {
        // mpz_init is `#define mpz_init __gmpz_init`: the alias binds its target.
        let mpz = g.type_of("mpz_t")?;
        let x = CData::new(&mpz);
        let init_set = g.function(&lib, "mpz_init_set_ui")?;
        let mul = g.function(&lib, "mpz_mul_ui")?;
        let get_str = g.function(&lib, "mpz_get_str")?;
        let clear = g.function(&lib, "mpz_clear")?;
        unsafe {
            init_set.call(&[(&x).into(), 1u64.into()])?;
            for i in 1..=25u64 {
                mul.call(&[(&x).into(), (&x).into(), i.into()])?;
            }
            // into a buffer of ours (with NULL, gmp would malloc the text,
            // which a char * restype reads and loses)
            let buf = rctypes::create_string_buffer_sized(b"", 40)?;
            let s = get_str.call(&[(&buf).into(), 10.into(), (&x).into()])?;
            assert_eq!(s.as_bytes()?, b"15511210043330985984000000");
            assert_eq!(buf.value()?.as_bytes()?, b"15511210043330985984000000");
            clear.call(&[(&x).into()])?;
        }
        assert_eq!(g.symbol("mpz_init"), Some("__gmpz_init"));
    }
    if let (Some(x), Some(lib)) = (header("expat.h"), open("expat")) {
        let v = unsafe { x.function(&lib, "XML_ExpatVersion")?.call(&[])? };
        assert!(v.as_bytes()?.starts_with(b"expat_"));
    }
    if let (Some(y), Some(lib)) = (header("yaml.h"), open("yaml")) {
        let v = unsafe { y.function(&lib, "yaml_get_version_string")?.call(&[])? };
        assert!(!v.as_bytes()?.is_empty());
    }
    if let (Some(p), Some(lib)) = (header("png.h"), open("png16")) {
        let v = unsafe { p.function(&lib, "png_access_version_number")?.call(&[])? };
        assert_eq!(v.as_u64()?, p.constant("PNG_LIBPNG_VER")?.as_u64()?);
    }
    if let (Some(c), Some(libm)) = (header("complex.h"), open("m")) {
        // double complex cexp(double complex): exp(i*pi) = -1.
        let cexp = c.function(&libm, "cexp")?;
        assert_eq!(cexp.declared_restype(), &CType::c_double_complex());
        let r = unsafe { cexp.call(&[Value::Complex(0.0, std::f64::consts::PI)])? };
        let Value::Complex(re, im) = r else {
            panic!("{r:?}")
        };
        assert!((re + 1.0).abs() < 1e-12 && im.abs() < 1e-12, "{re} {im}");
        assert_eq!(c.type_of("float _Complex")?, CType::c_float_complex());
    }
    if let Some(s) = header("stdio.h") {
        // glibc renames fscanf with __asm__.
        assert_eq!(s.symbol("fscanf"), Some("__isoc99_fscanf"));
        let libc = CDll::this_process()?;
        let sscanf = s.function(&libc, "sscanf")?;
        let n = CData::new(&CType::c_int());
        let r = unsafe { sscanf.call(&["42".into(), "%d".into(), rctypes::byref(&n)])? };
        assert_eq!((r.as_i64()?, n.value()?.as_i64()?), (1, 42));
    }
    Ok(())
}

#[test]
fn header_errors() {
    let e =
        Declarations::from_header("no_such_header_rctypes.h", &HeaderOptions::new()).unwrap_err();
    assert!(
        matches!(&e, Error::Header { header, message } if header == "no_such_header_rctypes.h" && message.contains("No such file")),
        "{e}"
    );
    let e = Declarations::from_header(
        "stdio.h",
        &HeaderOptions::new().compiler("/nonexistent/rctypes-cc"),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Header { message, .. } if message.contains("no C compiler")),
        "{e}"
    );
    let e = Declarations::from_header("a\nb.h", &HeaderOptions::new()).unwrap_err();
    assert!(matches!(e, Error::Header { .. }));
    // The fixture path exists: from_header of a C file by path parses what it can.
    let d = Declarations::from_header(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures-c/core.c"),
        &HeaderOptions::new(),
    )
    .expect("the fixture preprocesses");
    assert!(d.function_names().iter().any(|f| f == "add"));
    let _ = FIXTURE;
}

#[test]
fn several_headers_are_one_translation_unit() {
    let opts = HeaderOptions::new();
    let d = Declarations::from_headers(&["stdio.h", "stdlib.h"], &opts).expect("libc headers");
    let functions = d.function_names();
    for f in ["printf", "qsort", "fopen", "strtol"] {
        assert!(functions.iter().any(|n| n == f), "{f}");
    }
    // The same text as the preprocessor's output parsed directly.
    let text = opts.preprocess(&["stdio.h", "stdlib.h"]).unwrap();
    assert_eq!(
        Declarations::from_preprocessed(&text).function_names(),
        functions
    );
    // More `#include` lines than a pipe holds (about 150 KB): written while
    // the preprocessor runs, so neither side waits for the other forever.
    let many = vec!["stdio.h"; 8000];
    let d = Declarations::from_headers(&many, &opts).expect("the same header many times");
    assert!(d.function_names().iter().any(|n| n == "printf"));
    // Errors name every header.
    let e = Declarations::from_headers(&["stdio.h", "a\nb.h"], &opts).unwrap_err();
    assert_eq!(
        e,
        Error::Header {
            header: "stdio.h, a\nb.h".into(),
            message: "`a\nb.h` is not a header name".into(),
        }
    );
    let none: [&str; 0] = [];
    let e = opts.preprocess(&none).unwrap_err();
    assert_eq!(
        e,
        Error::Header {
            header: String::new().into(),
            message: "no header given".into(),
        }
    );
    let e =
        Declarations::from_headers(&["stdio.h", "no_such_header_rctypes.h"], &opts).unwrap_err();
    assert!(
        matches!(&e, Error::Header { header, message } if header == "stdio.h, no_such_header_rctypes.h" && message.contains("No such file")),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = |open: &str, mid: &str, close: &str, n: usize| {
        format!("{}{}{}", open.repeat(n), mid, close.repeat(n))
    };
    let texts: Vec<String> = vec![
        format!("int {};", deep("(", "x", ")", 100_000)),
        format!("int x[{}];", deep("(", "1", ")", 100_000)),
        format!("int x[{}1];", "-".repeat(100_000)),
        format!(
            "{} int x; {}",
            "struct { ".repeat(10_000),
            "} y; ".repeat(10_000)
        ),
        format!("void f({});", deep("void (*)(", "", ")", 10_000)),
        format!("int {}p;", "*".repeat(100_000)),
        format!("int a{};", "[1]".repeat(10_000)),
        // An enum's underlying type may be another enum (this recursion was
        // unbounded: a stack overflow).
        format!("{}int x;", "enum e : ".repeat(100_000)),
        format!("#define A {}\nint x[A];", deep("(", "1", ")", 100_000)),
        // Chains of declarations that each nest one level deeper.
        (1..5_000)
            .map(|i| format!("typedef t{} *t{i};", i - 1))
            .collect::<String>()
            .replacen("t0", "int", 1),
        (1..5_000)
            .map(|i| format!("typedef void f{i}(f{});", i - 1))
            .collect::<String>()
            .replacen("(f0)", "(void)", 1),
        (1..5_000)
            .map(|i| format!("struct s{i} {{ struct s{} m; }};", i - 1))
            .collect::<String>()
            .replacen("struct s0 m", "int m", 1),
        (1..5_000)
            .map(|i| format!("#define M{i} (M{} + 1)\n", i - 1))
            .collect::<String>()
            + "#define M0 1\nint x[M4999];",
    ];
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for t in &texts {
                let _ = cdef(t);
                let _ = Declarations::from_preprocessed(t);
                let _ = t.parse::<CType>();
            }
            let e = cdef(&texts[0]).unwrap_err();
            assert!(e.to_string().contains("nest deeper"), "{e}");
        })
        .expect("a thread");
    handle.join().expect("no stack overflow or panic");
}
