//! Random structures and unions, laid out by rctypes and by the system C
//! compiler, compared field by field.
//!
//! Each proptest case generates a batch of declarations (1–40 fields of every
//! integer width, floats, bitfields (unnamed and zero-width ones too),
//! arrays, nested records, pack, align, byte order, and gcc's `ms_struct`
//! for `Layout::Ms`), writes them as C with the probes of fixtures-c/probe.h,
//! compiles the batch into a shared library with `cc`, loads it with rctypes,
//! and runs the same checks as the fixed oracle. `cargo test` checks 2,000
//! outer structures (plus their nested ones); set RCTYPES_LAYOUT_CASES to run
//! more, e.g. RCTYPES_LAYOUT_CASES=100000. Failing cases are kept by
//! proptest in proptest-regressions/ and replayed first on later runs.

mod common;
use common::oracle;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use rctypes::{CDll, CType, Layout, RecordBuilder};

/// Structures per compiler run.
const BATCH: usize = 250;

#[derive(Clone, Copy, Debug)]
enum Int {
    Bool,
    Char,
    SChar,
    UChar,
    Short,
    UShort,
    Signed,
    Unsigned,
    Long,
    ULong,
    LongLong,
    ULongLong,
}

const INTS: [Int; 12] = [
    Int::Bool,
    Int::Char,
    Int::SChar,
    Int::UChar,
    Int::Short,
    Int::UShort,
    Int::Signed,
    Int::Unsigned,
    Int::Long,
    Int::ULong,
    Int::LongLong,
    Int::ULongLong,
];

impl Int {
    fn c(self) -> &'static str {
        match self {
            Int::Bool => "_Bool",
            Int::Char => "char",
            Int::SChar => "signed char",
            Int::UChar => "unsigned char",
            Int::Short => "short",
            Int::UShort => "unsigned short",
            Int::Signed => "int",
            Int::Unsigned => "unsigned int",
            Int::Long => "long",
            Int::ULong => "unsigned long",
            Int::LongLong => "long long",
            Int::ULongLong => "unsigned long long",
        }
    }
    fn ctype(self) -> CType {
        match self {
            Int::Bool => CType::c_bool(),
            Int::Char => CType::c_char(),
            Int::SChar => CType::c_byte(),
            Int::UChar => CType::c_ubyte(),
            Int::Short => CType::c_short(),
            Int::UShort => CType::c_ushort(),
            Int::Signed => CType::c_int(),
            Int::Unsigned => CType::c_uint(),
            Int::Long => CType::c_long(),
            Int::ULong => CType::c_ulong(),
            Int::LongLong => CType::c_longlong(),
            Int::ULongLong => CType::c_ulonglong(),
        }
    }
    fn bits(self) -> u32 {
        match self {
            Int::Bool => 1,
            other => 8 * other.ctype().size() as u32,
        }
    }
}

#[derive(Clone, Debug)]
enum Ty {
    Int(Int),
    Float,
    Double,
    Array(Int, usize),
    /// Index into the enclosing declaration's nested records (modulo their count).
    Nested(usize),
}

#[derive(Clone, Debug)]
struct FieldGen {
    ty: Ty,
    /// For integer fields: a bitfield of this width (clamped to the type).
    bits: Option<u32>,
    /// An unnamed bitfield (`int :3;`, `int :0;`): C declares it without a
    /// name and has no probe for it; rctypes declares it with `""`.
    unnamed: bool,
}

#[derive(Clone, Debug)]
struct RecordGen {
    union: bool,
    /// `__attribute__((ms_struct))` / `Layout::Ms`.
    ms: bool,
    pack: Option<usize>,
    align: Option<usize>,
    big_endian: bool,
    fields: Vec<FieldGen>,
    nested: Vec<RecordGen>,
}

fn int() -> impl Strategy<Value = Int> {
    proptest::sample::select(INTS.to_vec())
}

fn field(nested: bool) -> impl Strategy<Value = FieldGen> {
    let ty = prop_oneof![
        8 => int().prop_map(Ty::Int),
        1 => Just(Ty::Float),
        1 => Just(Ty::Double),
        1 => (int(), 1usize..5).prop_map(|(i, n)| Ty::Array(i, n)),
        (if nested { 2 } else { 0 }) => (0usize..4).prop_map(Ty::Nested),
    ];
    (
        ty,
        proptest::option::weighted(0.5, 1u32..=64),
        proptest::bool::weighted(0.15),
        proptest::bool::weighted(0.35),
    )
        .prop_map(|(ty, bits, unnamed, zero)| match ty {
            // unnamed bitfields, a third of them `:0`
            Ty::Int(i) if unnamed => FieldGen {
                ty,
                bits: Some(if zero {
                    0
                } else {
                    1 + (bits.unwrap_or(1) - 1) % i.bits()
                }),
                unnamed: true,
            },
            Ty::Int(i) => FieldGen {
                ty,
                bits: bits.map(|b| 1 + (b - 1) % i.bits()),
                unnamed: false,
            },
            _ => FieldGen {
                ty,
                bits: None,
                unnamed: false,
            },
        })
}

/// union, ms_struct, pack, align, big-endian.
type Attrs = (bool, bool, Option<usize>, Option<usize>, bool);

fn attrs() -> impl Strategy<Value = Attrs> {
    (
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.3),
        proptest::option::weighted(0.35, proptest::sample::select(vec![1usize, 2, 4, 8, 16])),
        proptest::option::weighted(
            0.15,
            proptest::sample::select(vec![1usize, 2, 4, 8, 16, 32, 64]),
        ),
        proptest::bool::weighted(0.25),
    )
}

fn leaf_record() -> impl Strategy<Value = RecordGen> {
    (attrs(), proptest::collection::vec(field(false), 1..=8)).prop_map(
        |((union, ms, pack, align, big_endian), fields)| RecordGen {
            union,
            ms,
            pack,
            align,
            big_endian,
            fields,
            nested: Vec::new(),
        },
    )
}

fn record() -> impl Strategy<Value = RecordGen> {
    (
        attrs(),
        proptest::collection::vec(field(true), 1..=40),
        proptest::collection::vec(leaf_record(), 0..=2),
    )
        .prop_map(
            |((union, ms, pack, align, big_endian), fields, nested)| RecordGen {
                union,
                ms,
                pack,
                align,
                big_endian,
                fields,
                nested,
            },
        )
}

/// The nested record a field refers to, if any.
fn nested_of<'a>(r: &'a RecordGen, ty: &Ty) -> Option<(usize, &'a RecordGen)> {
    match ty {
        Ty::Nested(k) if !r.nested.is_empty() => {
            Some((k % r.nested.len(), &r.nested[k % r.nested.len()]))
        }
        _ => None,
    }
}

/// Writes one record (after its nested ones) as C with its probe.
fn write_c(out: &mut String, name: &str, r: &RecordGen) {
    for (k, n) in r.nested.iter().enumerate() {
        write_c(out, &format!("{name}_{k}"), n);
    }
    if let Some(p) = r.pack {
        let _ = writeln!(out, "#pragma pack(push, {p})");
    }
    let mut attrs = Vec::new();
    if r.ms {
        attrs.push("ms_struct".to_owned());
    }
    if r.big_endian {
        attrs.push("scalar_storage_order(\"big-endian\")".to_owned());
    }
    if let Some(a) = r.align {
        attrs.push(format!("aligned({a})"));
    }
    let attr = if attrs.is_empty() {
        String::new()
    } else {
        format!(" __attribute__(({}))", attrs.join(", "))
    };
    let _ = write!(
        out,
        "typedef {}{attr} {{",
        if r.union { "union" } else { "struct" }
    );
    let mut probes = String::new();
    for (i, f) in r.fields.iter().enumerate() {
        let fname = format!("f{i}");
        match (&f.ty, f.bits) {
            (Ty::Int(t), Some(b)) if f.unnamed => {
                let _ = write!(out, " {} :{b};", t.c());
            }
            (Ty::Int(t), Some(b)) => {
                let _ = write!(out, " {} {fname}:{b};", t.c());
                let _ = write!(probes, " B({fname})");
            }
            (Ty::Int(t), None) => {
                let _ = write!(out, " {} {fname};", t.c());
                let _ = write!(probes, " V({fname})");
            }
            (Ty::Float, _) => {
                let _ = write!(out, " float {fname};");
                let _ = write!(probes, " V({fname})");
            }
            (Ty::Double, _) => {
                let _ = write!(out, " double {fname};");
                let _ = write!(probes, " V({fname})");
            }
            (Ty::Array(t, n), _) => {
                let _ = write!(out, " {} {fname}[{n}];", t.c());
                let _ = write!(probes, " N({fname})");
            }
            (ty @ Ty::Nested(_), _) => match nested_of(r, ty) {
                Some((k, _)) => {
                    let _ = write!(out, " {name}_{k} {fname};");
                    let _ = write!(probes, " N({fname})");
                }
                None => {
                    let _ = write!(out, " int {fname};");
                    let _ = write!(probes, " V({fname})");
                }
            },
        }
    }
    let _ = writeln!(out, " }} {name};");
    if r.pack.is_some() {
        let _ = writeln!(out, "#pragma pack(pop)");
    }
    let _ = writeln!(
        out,
        "#define {name}_F(V, B, N){probes}\nPROBE({name}, {name}_F)"
    );
}

/// The same record, declared with rctypes. Returns it and its nested
/// records (with their C names) for checking too.
fn build(name: &str, r: &RecordGen, all: &mut Vec<(String, CType)>) -> rctypes::Result<CType> {
    let nested: Vec<CType> = r
        .nested
        .iter()
        .enumerate()
        .map(|(k, n)| build(&format!("{name}_{k}"), n, all))
        .collect::<Result<_, _>>()?;
    let mut b: RecordBuilder = if r.union {
        CType::union(name)
    } else {
        CType::structure(name)
    };
    for (i, f) in r.fields.iter().enumerate() {
        let fname = format!("f{i}");
        b = match (&f.ty, f.bits) {
            (Ty::Int(t), Some(bits)) if f.unnamed => b.bitfield("", t.ctype(), bits),
            (Ty::Int(t), Some(bits)) => b.bitfield(fname, t.ctype(), bits),
            (Ty::Int(t), None) => b.field(fname, t.ctype()),
            (Ty::Float, _) => b.field(fname, CType::c_float()),
            (Ty::Double, _) => b.field(fname, CType::c_double()),
            (Ty::Array(t, n), _) => b.field(fname, t.ctype().array(*n)),
            (ty @ Ty::Nested(_), _) => match nested_of(r, ty) {
                Some((k, _)) => b.field(fname, nested[k].clone()),
                None => b.field(fname, CType::c_int()),
            },
        };
    }
    if let Some(p) = r.pack {
        b = b.pack(p);
    }
    if let Some(a) = r.align {
        b = b.align(a);
    }
    if r.big_endian {
        b = b.big_endian();
    }
    if r.ms {
        b = b.layout(Layout::Ms);
    }
    let ty = b.build()?;
    all.push((name.to_owned(), ty.clone()));
    Ok(ty)
}

fn compile(dir: &Path, source: &str) -> Result<PathBuf, String> {
    let c = dir.join("probe.c");
    let so = dir.join("libprobe.so");
    std::fs::write(&c, source).map_err(|e| e.to_string())?;
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures-c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(cc)
        .args(["-shared", "-fPIC", "-O0", "-w", "-o"])
        .arg(&so)
        .arg(&c)
        .arg("-I")
        .arg(include)
        .output()
        .map_err(|e| format!("cannot run the C compiler: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the C compiler refused the batch:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(so)
}

/// Compiles a batch and checks every record in it (nested ones included).
fn check_batch(batch: &[RecordGen]) -> Result<(), String> {
    let mut source = String::from("#include \"probe.h\"\n");
    let mut types = Vec::new();
    for (n, r) in batch.iter().enumerate() {
        let name = format!("R{n}");
        write_c(&mut source, &name, r);
        build(&name, r, &mut types).map_err(|e| format!("rctypes refused {name} ({r:?}): {e}"))?;
    }
    let dir = tempdir();
    let result = (|| {
        let so = compile(&dir, &source)?;
        // SAFETY: the probe library has no initialisers.
        let lib = unsafe { CDll::open(&so) }.map_err(|e| e.to_string())?;
        for (name, ty) in &types {
            oracle::check(&lib, name, ty)
                .map_err(|e| format!("{e}\nC declaration:\n{}", c_of(&source, name)))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The lines of the generated C that declare `name` and its nested records.
fn c_of(source: &str, name: &str) -> String {
    source
        .lines()
        .filter(|l| {
            l.contains(&format!(" {name};"))
                || l.contains(&format!(" {name}_"))
                || l.starts_with("#pragma")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rctypes-layout-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn cases() -> u32 {
    let structs: usize = std::env::var("RCTYPES_LAYOUT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    structs.div_ceil(BATCH).max(1) as u32
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_records_match_the_c_compiler(batch in proptest::collection::vec(record(), BATCH)) {
        if let Err(e) = check_batch(&batch) {
            return Err(TestCaseError::fail(e));
        }
    }
}
