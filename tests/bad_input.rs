//! The bad-input sweep: every kind of Value (extremes, NaN, huge and empty
//! strings, NUL bytes, Null, raw addresses, instances of the right and the
//! wrong type, byref, callbacks of the right and the wrong prototype) against
//! every kind of C type, in every argument position of a real C function,
//! and through every way of storing a value (`with_value`, `set`,
//! `set_index`). Each outcome is checked against an independent model of the
//! conversion rules: an `Error` naming the argument, or exactly the value C
//! received. Nothing may panic.
//!
//! The C side (fixtures-c/sweep.c) is `T pick_T(T a, T b, T c, int which)`,
//! which returns the argument `which` names without dereferencing it; strings
//! rctypes made are also hashed by C to check their content.
//!
//! Cases per run: 10,000 argument cases, 5,000 storage cases and 2,000 each
//! for the other properties; RCTYPES_SWEEP_SCALE multiplies them.

mod common;
use common::{call, func};

use once_cell::sync::Lazy;
use proptest::prelude::*;
use rctypes::{CData, CType, Callback, Error, Function, Value, byref, byref_at};

// ---------------------------------------------------------------- types ---

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    Bool,
    Char,
    WChar,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    Long,
    ULong,
    F32,
    F64,
    LongDouble,
    CharP,
    WCharP,
    VoidP,
    IntP,
    FnPtr,
    Point,
}

const TYPES: [T; 22] = [
    T::Bool,
    T::Char,
    T::WChar,
    T::I8,
    T::U8,
    T::I16,
    T::U16,
    T::I32,
    T::U32,
    T::I64,
    T::U64,
    T::Long,
    T::ULong,
    T::F32,
    T::F64,
    T::LongDouble,
    T::CharP,
    T::WCharP,
    T::VoidP,
    T::IntP,
    T::FnPtr,
    T::Point,
];

/// Types made once, so that instances built in different cases share them.
struct Fixed {
    point: CType,
    other_point: CType,
    binop: CType,
    unop: CType,
    cb_binop: Callback,
    cb_unop: Callback,
    /// A structure with one field per type, named after it.
    all: CType,
}

static FIXED: Lazy<Fixed> = Lazy::new(|| {
    let point = |name: &str| {
        CType::structure(name)
            .field("x", CType::c_int())
            .field("y", CType::c_int())
            .build()
            .unwrap()
    };
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    let unop = CType::function(CType::c_int(), [CType::c_int()]);
    let cb_binop = Callback::new(&binop, |_| Ok(Value::Int(0))).unwrap();
    let cb_unop = Callback::new(&unop, |_| Ok(Value::Int(0))).unwrap();
    let fixed_point = point("SweepPoint");
    let mut all = CType::structure("All");
    for t in TYPES {
        all = all.field(t.name(), t.ctype_with(&fixed_point, &binop));
    }
    Fixed {
        point: fixed_point,
        other_point: point("OtherPoint"),
        binop,
        unop,
        cb_binop,
        cb_unop,
        all: all.build().unwrap(),
    }
});

impl T {
    fn name(self) -> &'static str {
        match self {
            T::Bool => "bool",
            T::Char => "char",
            T::WChar => "wchar",
            T::I8 => "i8",
            T::U8 => "u8",
            T::I16 => "i16",
            T::U16 => "u16",
            T::I32 => "i32",
            T::U32 => "u32",
            T::I64 => "i64",
            T::U64 => "u64",
            T::Long => "long",
            T::ULong => "ulong",
            T::F32 => "float",
            T::F64 => "double",
            T::LongDouble => "longdouble",
            T::CharP => "charp",
            T::WCharP => "wcharp",
            T::VoidP => "voidp",
            T::IntP => "intp",
            T::FnPtr => "fnptr",
            T::Point => "point",
        }
    }

    fn ctype_with(self, point: &CType, binop: &CType) -> CType {
        match self {
            T::Bool => CType::c_bool(),
            T::Char => CType::c_char(),
            T::WChar => CType::c_wchar(),
            T::I8 => CType::c_int8(),
            T::U8 => CType::c_uint8(),
            T::I16 => CType::c_int16(),
            T::U16 => CType::c_uint16(),
            T::I32 => CType::c_int32(),
            T::U32 => CType::c_uint32(),
            T::I64 => CType::c_int64(),
            T::U64 => CType::c_uint64(),
            T::Long => CType::c_long(),
            T::ULong => CType::c_ulong(),
            T::F32 => CType::c_float(),
            T::F64 => CType::c_double(),
            T::LongDouble => CType::c_longdouble(),
            T::CharP => CType::c_char_p(),
            T::WCharP => CType::c_wchar_p(),
            T::VoidP => CType::c_void_p(),
            T::IntP => CType::c_int().pointer(),
            T::FnPtr => binop.clone(),
            T::Point => point.clone(),
        }
    }

    fn ctype(self) -> CType {
        self.ctype_with(&FIXED.point, &FIXED.binop)
    }

    fn is_pointer(self) -> bool {
        matches!(self, T::CharP | T::WCharP | T::VoidP | T::IntP | T::FnPtr)
    }

    /// The integer range of an integer type.
    fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            T::I8 => (i8::MIN.into(), i8::MAX.into()),
            T::U8 => (0, u8::MAX.into()),
            T::I16 => (i16::MIN.into(), i16::MAX.into()),
            T::U16 => (0, u16::MAX.into()),
            T::I32 => (i32::MIN.into(), i32::MAX.into()),
            T::U32 => (0, u32::MAX.into()),
            T::I64 | T::Long => (i64::MIN.into(), i64::MAX.into()),
            T::U64 | T::ULong => (0, u64::MAX.into()),
            _ => return None,
        })
    }

    fn is_signed(self) -> bool {
        matches!(self, T::I8 | T::I16 | T::I32 | T::I64 | T::Long)
    }

    /// A valid value for the positions not under test.
    fn filler(self) -> Value {
        match self {
            T::Bool => Value::Bool(true),
            T::Char => Value::Int(65),
            T::WChar => Value::from('x'),
            T::F32 | T::F64 | T::LongDouble => Value::Float(1.0),
            T::CharP | T::WCharP => Value::from("f"),
            T::VoidP | T::IntP | T::FnPtr => Value::Null,
            T::Point => CData::from_values(&FIXED.point, [1, 1]).unwrap().into(),
            _ => Value::Int(1),
        }
    }
}

// --------------------------------------------------------------- values ---

/// A value to try, as data (instances are built inside the test).
#[derive(Clone, Debug)]
enum Spec {
    Void,
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bytes(Vec<u8>),
    Str(String),
    Pointer(usize),
    IntInst(i32),
    ShortInst(i16),
    LongLongInst(i64),
    DoubleInst(f64),
    CharInst(u8),
    BoolInst(bool),
    PointInst(i32, i32),
    OtherPointInst,
    IntArray(Vec<i32>),
    UIntArray,
    CharBuf(Vec<u8>),
    WCharBuf(String),
    NullIntPtr,
    IntPtrToArray,
    CharPInst(Vec<u8>),
    NullVoidPInst,
    ByRefInt,
    ByRefPointAt(usize),
    CbBinop,
    CbUnop,
    NullFnPtr,
}

fn boundary_ints() -> Vec<i64> {
    let mut v = vec![0, 1, -1, 2, 0x7f, 0x80, -0x80, -0x81, 0xff, 0x100];
    for b in [8u32, 16, 32, 63] {
        let m = (1i128 << b) as i64;
        v.extend([m.wrapping_sub(1), m, m.wrapping_add(1), m.wrapping_neg()]);
        let half = (1i128 << (b - 1)) as i64;
        v.extend([half - 1, half, -half, -half - 1]);
    }
    v.extend([i64::MIN, i64::MAX, 0x10ffff, 0x110000, 0xd800, 0xdfff]);
    v
}

fn spec() -> impl Strategy<Value = Spec> {
    let int = prop_oneof![
        3 => proptest::sample::select(boundary_ints()),
        1 => any::<i64>(),
    ];
    let uint = prop_oneof![
        2 => proptest::sample::select(vec![0u64, 1, 255, 256, 65535, 65536, u32::MAX as u64,
            u32::MAX as u64 + 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX]),
        1 => any::<u64>(),
    ];
    let float = prop_oneof![
        2 => proptest::sample::select(vec![0.0, -0.0, 1.5, -2.25, f64::NAN, f64::INFINITY,
            f64::NEG_INFINITY, 3.4e38, 3.5e38, -3.5e38, 1e300, 5e-324, f64::MAX, f64::MIN_POSITIVE]),
        1 => any::<f64>(),
    ];
    let bytes = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..12),
        2 => proptest::collection::vec(1u8..=255, 0..12),
        1 => proptest::collection::vec(1u8..=255, 1000..20_000),
    ];
    let text = prop_oneof![
        4 => "\\PC{0,10}",
        1 => Just(String::new()),
        1 => "[a-z]{0,4}\0[a-z]{0,4}",
        1 => "[a-zé😀]{1,3}",
        1 => proptest::collection::vec(proptest::char::any(), 1000..5000)
            .prop_map(|c| c.into_iter().filter(|&c| c != '\0').collect::<String>()),
    ];
    prop_oneof![
        Just(Spec::Void),
        Just(Spec::Null),
        any::<bool>().prop_map(Spec::Bool),
        int.clone().prop_map(Spec::Int),
        int.clone().prop_map(Spec::Int),
        uint.prop_map(Spec::UInt),
        float.clone().prop_map(Spec::Float),
        bytes.clone().prop_map(Spec::Bytes),
        text.clone().prop_map(Spec::Str),
        prop_oneof![Just(0usize), any::<usize>()].prop_map(Spec::Pointer),
        any::<i32>().prop_map(Spec::IntInst),
        any::<i16>().prop_map(Spec::ShortInst),
        any::<i64>().prop_map(Spec::LongLongInst),
        float.prop_map(Spec::DoubleInst),
        any::<u8>().prop_map(Spec::CharInst),
        any::<bool>().prop_map(Spec::BoolInst),
        (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Spec::PointInst(x, y)),
        Just(Spec::OtherPointInst),
        proptest::collection::vec(any::<i32>(), 1..5).prop_map(Spec::IntArray),
        Just(Spec::UIntArray),
        proptest::collection::vec(1u8..=255, 0..10).prop_map(Spec::CharBuf),
        "[a-zé]{0,6}".prop_map(Spec::WCharBuf),
        Just(Spec::NullIntPtr),
        Just(Spec::IntPtrToArray),
        proptest::collection::vec(1u8..=255, 0..10).prop_map(Spec::CharPInst),
        Just(Spec::NullVoidPInst),
        Just(Spec::ByRefInt),
        (0usize..=8).prop_map(Spec::ByRefPointAt),
        Just(Spec::CbBinop),
        Just(Spec::CbUnop),
        Just(Spec::NullFnPtr),
    ]
}

/// A built value, with what the model needs to know about it.
struct Built {
    value: Value,
    /// The address an instance (or byref, or callback) stands for.
    addr: usize,
}

fn build(spec: &Spec) -> Built {
    let fx = &*FIXED;
    let inst = |d: CData| {
        let addr = d.address();
        Built {
            value: d.into(),
            addr,
        }
    };
    let plain = |value: Value| Built { value, addr: 0 };
    match spec {
        Spec::Void => plain(Value::Void),
        Spec::Null => plain(Value::Null),
        Spec::Bool(b) => plain(Value::Bool(*b)),
        Spec::Int(i) => plain(Value::Int(*i)),
        Spec::UInt(u) => plain(Value::UInt(*u)),
        Spec::Float(x) => plain(Value::Float(*x)),
        Spec::Bytes(b) => plain(Value::Bytes(b.clone())),
        Spec::Str(s) => plain(Value::Str(s.clone())),
        Spec::Pointer(p) => plain(Value::Pointer(*p)),
        Spec::IntInst(i) => inst(CData::with_value(&CType::c_int(), *i).unwrap()),
        Spec::ShortInst(i) => inst(CData::with_value(&CType::c_short(), *i).unwrap()),
        Spec::LongLongInst(i) => inst(CData::with_value(&CType::c_longlong(), *i).unwrap()),
        Spec::DoubleInst(x) => inst(CData::with_value(&CType::c_double(), *x).unwrap()),
        Spec::CharInst(b) => inst(CData::with_value(&CType::c_char(), vec![*b]).unwrap()),
        Spec::BoolInst(b) => inst(CData::with_value(&CType::c_bool(), *b).unwrap()),
        Spec::PointInst(x, y) => inst(CData::from_values(&fx.point, [*x, *y]).unwrap()),
        Spec::OtherPointInst => inst(CData::new(&fx.other_point)),
        Spec::IntArray(v) => {
            inst(CData::from_values(&CType::c_int().array(v.len()), v.iter().copied()).unwrap())
        }
        Spec::UIntArray => inst(CData::new(&CType::c_uint().array(3))),
        Spec::CharBuf(b) => inst(rctypes::create_string_buffer(b.clone())),
        Spec::WCharBuf(s) => inst(rctypes::create_unicode_buffer(s.as_str())),
        Spec::NullIntPtr => plain(CData::new(&CType::c_int().pointer()).into()),
        Spec::IntPtrToArray => {
            let arr = CData::from_values(&CType::c_int().array(2), [5, 6]).unwrap();
            let addr = arr.address();
            Built {
                value: arr.cast(&CType::c_int().pointer()).unwrap().into(),
                addr,
            }
        }
        Spec::CharPInst(b) => {
            let p = CData::with_value(&CType::c_char_p(), b.clone()).unwrap();
            // the address it holds, read from its raw bytes
            let addr = usize::from_ne_bytes(p.to_bytes().try_into().unwrap());
            Built {
                value: p.into(),
                addr,
            }
        }
        Spec::NullVoidPInst => plain(CData::new(&CType::c_void_p()).into()),
        Spec::ByRefInt => {
            let d = CData::with_value(&CType::c_int(), 3).unwrap();
            Built {
                addr: d.address(),
                value: byref(&d),
            }
        }
        Spec::ByRefPointAt(off) => {
            let d = CData::new(&fx.point);
            Built {
                addr: d.address() + off,
                value: byref_at(&d, *off).unwrap(),
            }
        }
        Spec::CbBinop => Built {
            addr: fx.cb_binop.address(),
            value: (&fx.cb_binop).into(),
        },
        Spec::CbUnop => Built {
            addr: fx.cb_unop.address(),
            value: (&fx.cb_unop).into(),
        },
        Spec::NullFnPtr => plain(CData::new(&fx.binop).into()),
    }
}

// ---------------------------------------------------------------- model ---

/// What C must receive, per the documented rules.
#[derive(Clone, Debug, PartialEq)]
enum Exp {
    Err,
    Bool(bool),
    Int(i128),
    Byte(u8),
    Char(char),
    Float(f64),
    Addr(usize),
    /// A NUL-terminated copy of these bytes at some address rctypes owns.
    Str(Vec<u8>),
    /// A NUL-terminated wchar_t copy of this text.
    WStr(String),
    Point(i32, i32),
}

/// The plain value a scalar instance stands for, when it is an instance of
/// exactly the scalar type `t` (c_long and c_longlong are one type on LP64).
fn instance_value(t: T, spec: &Spec) -> Option<Spec> {
    match (t, spec) {
        (T::I32, Spec::IntInst(i)) => Some(Spec::Int(i64::from(*i))),
        (T::I16, Spec::ShortInst(i)) => Some(Spec::Int(i64::from(*i))),
        (T::I64 | T::Long, Spec::LongLongInst(i)) => Some(Spec::Int(*i)),
        (T::F64, Spec::DoubleInst(x)) => Some(Spec::Float(*x)),
        (T::Char, Spec::CharInst(b)) => Some(Spec::Bytes(vec![*b])),
        (T::Bool, Spec::BoolInst(b)) => Some(Spec::Bool(*b)),
        _ => None,
    }
}

fn integer(spec: &Spec) -> Option<i128> {
    match spec {
        Spec::Int(i) => Some(i128::from(*i)),
        Spec::UInt(u) => Some(i128::from(*u)),
        Spec::Bool(b) => Some(i128::from(*b)),
        _ => None,
    }
}

fn number(spec: &Spec) -> Option<f64> {
    match spec {
        Spec::Float(x) => Some(*x),
        Spec::Int(i) => Some(*i as f64),
        Spec::UInt(u) => Some(*u as f64),
        _ => None,
    }
}

fn c_string(bytes: &[u8]) -> Exp {
    if bytes.contains(&0) {
        Exp::Err
    } else {
        Exp::Str(bytes.to_vec())
    }
}

fn expect(t: T, spec: &Spec, built: &Built) -> Exp {
    if let Some(inner) = instance_value(t, spec) {
        return expect(t, &inner, built);
    }
    let addr = built.addr;
    match t {
        T::Bool => match spec {
            Spec::Bool(b) => Exp::Bool(*b),
            Spec::Int(_) | Spec::UInt(_) => Exp::Bool(integer(spec) != Some(0)),
            _ => Exp::Err,
        },
        T::Char => match spec {
            Spec::Bytes(b) if b.len() == 1 => Exp::Byte(b[0]),
            _ => match integer(spec) {
                Some(i @ -128..=255) => Exp::Byte(i as u8),
                _ => Exp::Err,
            },
        },
        T::WChar => match spec {
            Spec::Str(s) if s.chars().count() == 1 => Exp::Char(s.chars().next().unwrap()),
            _ => match integer(spec)
                .and_then(|i| u32::try_from(i).ok())
                .and_then(char::from_u32)
            {
                Some(c) => Exp::Char(c),
                None => Exp::Err,
            },
        },
        T::F32 => match number(spec) {
            Some(x) if x.is_finite() && (x as f32).is_infinite() => Exp::Err,
            Some(x) => Exp::Float(f64::from(x as f32)),
            None => Exp::Err,
        },
        T::F64 | T::LongDouble => number(spec).map_or(Exp::Err, Exp::Float),
        T::CharP | T::WCharP | T::VoidP => match spec {
            Spec::Null => Exp::Addr(0),
            Spec::Pointer(p) => Exp::Addr(*p),
            Spec::Int(_) | Spec::UInt(_) if t == T::VoidP => {
                match integer(spec).and_then(|i| usize::try_from(i).ok()) {
                    Some(a) => Exp::Addr(a),
                    None => Exp::Err,
                }
            }
            // binary data for a void *: a copy with interior NULs (C reading
            // it as a string stops at the first)
            Spec::Bytes(b) if t == T::VoidP => {
                Exp::Str(b.iter().copied().take_while(|&x| x != 0).collect())
            }
            Spec::Bytes(b) if t != T::WCharP => c_string(b),
            Spec::Str(s) if t == T::WCharP => {
                if s.contains('\0') {
                    Exp::Err
                } else {
                    Exp::WStr(s.clone())
                }
            }
            Spec::Str(s) => c_string(s.as_bytes()),
            Spec::ByRefInt | Spec::ByRefPointAt(_) => Exp::Addr(addr),
            Spec::CbBinop | Spec::CbUnop if t == T::VoidP => Exp::Addr(addr),
            // c_void_p takes any instance but a non-pointer scalar
            Spec::PointInst(..)
            | Spec::OtherPointInst
            | Spec::IntArray(_)
            | Spec::UIntArray
            | Spec::CharBuf(_)
            | Spec::WCharBuf(_)
            | Spec::IntPtrToArray
            | Spec::CharPInst(_)
                if t == T::VoidP =>
            {
                Exp::Addr(addr)
            }
            Spec::NullIntPtr | Spec::NullVoidPInst | Spec::NullFnPtr if t == T::VoidP => {
                Exp::Addr(0)
            }
            // c_char_p: char arrays and c_char_p instances
            Spec::CharBuf(_) | Spec::CharPInst(_) if t == T::CharP => Exp::Addr(addr),
            // c_wchar_p: wchar_t arrays
            Spec::WCharBuf(_) if t == T::WCharP => Exp::Addr(addr),
            _ => Exp::Err,
        },
        T::IntP => match spec {
            Spec::Null | Spec::NullIntPtr => Exp::Addr(0),
            Spec::ByRefInt
            | Spec::ByRefPointAt(_)
            | Spec::IntPtrToArray
            | Spec::IntInst(_)
            | Spec::IntArray(_) => Exp::Addr(addr),
            _ => Exp::Err,
        },
        T::FnPtr => match spec {
            Spec::Null | Spec::NullFnPtr => Exp::Addr(0),
            Spec::ByRefInt | Spec::ByRefPointAt(_) | Spec::CbBinop => Exp::Addr(addr),
            _ => Exp::Err,
        },
        T::Point => match spec {
            Spec::PointInst(x, y) => Exp::Point(*x, *y),
            _ => Exp::Err,
        },
        _ => {
            let (lo, hi) = t.int_range().unwrap();
            match integer(spec) {
                Some(i) if (lo..=hi).contains(&i) => Exp::Int(i),
                _ => Exp::Err,
            }
        }
    }
}

/// Whether a value C handed back (or rctypes read back) is what the model
/// says. `stored`: read back from memory rctypes owns rather than returned
/// by C (strings stored by rctypes read back as their content).
fn matches(t: T, exp: &Exp, got: &Value, stored: bool) -> Result<(), String> {
    let ok = match (exp, got) {
        (Exp::Bool(b), Value::Bool(g)) => b == g,
        (Exp::Int(i), Value::Int(g)) => t.is_signed() && *i == i128::from(*g),
        (Exp::Int(i), Value::UInt(g)) => !t.is_signed() && *i == i128::from(*g),
        (Exp::Byte(b), Value::Bytes(g)) => g == &[*b],
        (Exp::Char(c), Value::Str(g)) => g.chars().eq([*c]),
        (Exp::Float(x), Value::Float(g)) => {
            x.to_bits() == g.to_bits() || (x.is_nan() && g.is_nan())
        }
        (Exp::Addr(0), Value::Null) => true,
        (Exp::Addr(a), Value::Pointer(g)) => a == g,
        (Exp::Addr(a), Value::Data(d)) if t.is_pointer() => {
            usize::from_ne_bytes(d.to_bytes().try_into().unwrap_or_default()) == *a
        }
        (Exp::Str(s), Value::Bytes(g)) if stored => s == g,
        (Exp::WStr(s), Value::Str(g)) if stored => s == g,
        (Exp::Str(_) | Exp::WStr(_), Value::Pointer(p)) => *p != 0,
        (Exp::Point(x, y), Value::Data(d)) => {
            d.get("x") == Ok(Value::Int(i64::from(*x)))
                && d.get("y") == Ok(Value::Int(i64::from(*y)))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{t:?}: expected {exp:?}, got {got:?}"))
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(1469598103934665603u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    })
}

// ------------------------------------------------------------ the tests ---

/// RCTYPES_SWEEP_SCALE multiplies the case counts (0.1 for a tenth, as the
/// valgrind pass in .ci/run does).
fn scale() -> f64 {
    std::env::var("RCTYPES_SWEEP_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: ((f64::from(cases) * scale()).ceil() as u32).max(1),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

fn pick(t: T) -> Function {
    let restype = if t.is_pointer() {
        CType::c_void_p()
    } else {
        t.ctype()
    };
    let mut args = vec![t.ctype(); 3];
    args.push(CType::c_int());
    func(&format!("pick_{}", t.name()), args, restype)
}

static PICKS: Lazy<Vec<(T, Function)>> =
    Lazy::new(|| TYPES.iter().map(|&t| (t, pick(t))).collect());

fn check_argument(t: T, position: usize, spec: &Spec) -> Result<(), String> {
    let f = &PICKS.iter().find(|(u, _)| *u == t).unwrap().1;
    let built = build(spec);
    let exp = expect(t, spec, &built);
    let mut args: Vec<Value> = (0..3).map(|_| t.filler()).collect();
    args[position] = built.value.clone();
    args.push(Value::Int(position as i64));
    let got = call(f, &args);
    match (&exp, got) {
        (Exp::Err, Err(Error::Argument { index, .. })) if index == position => Ok(()),
        (Exp::Err, other) => Err(format!(
            "{t:?} at {position}: expected an argument error, got {other:?}"
        )),
        (_, Err(e)) => Err(format!(
            "{t:?} at {position}: expected {exp:?}, got the error {e}"
        )),
        (exp, Ok(v)) => {
            matches(t, exp, &v, false)?;
            // strings: C hashes what it received
            let text = match exp {
                Exp::Str(s) => Some(("fnv_pick", t.ctype(), s.clone())),
                Exp::WStr(s) => Some((
                    "fnvw_pick",
                    t.ctype(),
                    s.chars().flat_map(|c| u32::from(c).to_ne_bytes()).collect(),
                )),
                _ => None,
            };
            if let Some((name, ty, bytes)) = text {
                let mut types = vec![ty; 3];
                types.push(CType::c_int());
                let h = call(&func(name, types, CType::c_uint64()), &args)
                    .map_err(|e| e.to_string())?;
                if h != Value::UInt(fnv(&bytes)) {
                    return Err(format!("{t:?}: C saw other bytes than {bytes:?}"));
                }
            }
            Ok(())
        }
    }
}

/// Stores `spec` in every way an instance takes a value, and reads it back.
fn check_storage(t: T, spec: &Spec) -> Result<(), String> {
    let built = build(spec);
    let exp = expect(t, spec, &built);
    let ty = t.ctype();
    let fx = &*FIXED;
    let whole = CData::with_value(&ty, built.value.clone()).map(|d| d.value());
    let record = CData::new(&fx.all);
    let before = record.to_bytes();
    let field = record
        .set(t.name(), built.value.clone())
        .map(|()| record.get(t.name()));
    let array = CData::new(&ty.array(3));
    let element = array
        .set_index(1, built.value.clone())
        .map(|()| array.get_index(1));
    for (how, outcome) in [
        ("with_value", whole),
        ("set", field),
        ("set_index", element),
    ] {
        match (&exp, outcome) {
            (Exp::Err, Err(Error::Conversion { .. })) => {}
            (Exp::Err, other) => {
                return Err(format!("{how} {t:?}: expected an error, got {other:?}"));
            }
            (_, Err(e)) => return Err(format!("{how} {t:?}: expected {exp:?}, got the error {e}")),
            (_, Ok(Err(e))) => return Err(format!("{how} {t:?}: reading back failed: {e}")),
            (exp, Ok(Ok(v))) => matches(t, exp, &v, true).map_err(|e| format!("{how}: {e}"))?,
        }
    }
    if exp == Exp::Err && record.to_bytes() != before {
        return Err(format!("set {t:?}: a refused value changed the record"));
    }
    Ok(())
}

fn types() -> impl Strategy<Value = T> {
    proptest::sample::select(TYPES.to_vec())
}

proptest! {
    #![proptest_config(config(10_000))]
    #[test]
    fn every_value_in_every_argument_position(t in types(), position in 0usize..3, spec in spec()) {
        check_argument(t, position, &spec).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(config(5_000))]
    #[test]
    fn every_value_stored_every_way(t in types(), spec in spec()) {
        check_storage(t, &spec).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(config(2_000))]

    /// `from_bytes` with buffers shorter and longer than the type.
    #[test]
    fn from_bytes_of_any_length(t in types(), bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let ty = t.ctype();
        match CData::from_bytes(&ty, &bytes) {
            Ok(d) => {
                prop_assert!(bytes.len() >= ty.size());
                prop_assert_eq!(d.to_bytes(), &bytes[..ty.size()]);
                // reading any type's value from arbitrary bytes never panics
                let _ = d.value();
            }
            Err(e) => {
                prop_assert!(bytes.len() < ty.size());
                prop_assert!(matches!(e, Error::Conversion { .. }), "{:?}", e);
            }
        }
    }

    /// Field names and indices that exist and that do not.
    #[test]
    fn unknown_fields_and_out_of_range_indices(
        name in prop_oneof![
            proptest::sample::select(TYPES.iter().map(|t| t.name().to_owned()).collect::<Vec<_>>()),
            "[a-z_]{0,8}",
        ],
        index in prop_oneof![0usize..6, any::<usize>()],
    ) {
        let fx = &*FIXED;
        let record = CData::new(&fx.all);
        let field = TYPES.iter().copied().find(|t| t.name() == name);
        match record.get(&name) {
            Ok(_) => prop_assert!(field.is_some()),
            Err(Error::UnknownField { field: f, type_name }) => {
                prop_assert!(field.is_none());
                prop_assert_eq!(f, name.clone());
                prop_assert_eq!(type_name, "All");
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
        let zero = Spec::Int(0);
        let takes_zero = field.map(|t| expect(t, &zero, &build(&zero)) != Exp::Err);
        match record.set(&name, 0) {
            Ok(()) => prop_assert_eq!(takes_zero, Some(true)),
            Err(Error::UnknownField { .. }) => prop_assert!(field.is_none()),
            Err(Error::Conversion { .. }) => prop_assert_eq!(takes_zero, Some(false)),
            Err(e) => prop_assert!(false, "{}", e),
        }
        let arr = CData::new(&CType::c_int().array(3));
        for outcome in [arr.get_index(index).err(), arr.set_index(index, 1).err(), arr.at(index).err()] {
            match outcome {
                None => prop_assert!(index < 3),
                Some(Error::IndexOutOfRange { index: i, len: 3, .. }) => {
                    prop_assert!(index >= 3);
                    prop_assert_eq!(i, index);
                }
                Some(e) => prop_assert!(false, "{}", e),
            }
        }
    }

    /// Any number of arguments: exactly four are taken.
    #[test]
    fn wrong_arity(n in 0usize..9) {
        let f = &PICKS[7].1; // pick_i32
        let args: Vec<Value> = (0..n).map(|i| Value::Int(i as i64 % 3)).collect();
        match call(f, &args) {
            Ok(v) => {
                prop_assert_eq!(n, 4);
                prop_assert_eq!(v, Value::Int(args[args[3].as_i64().unwrap() as usize].as_i64().unwrap()));
            }
            Err(Error::ArgumentCount { expected: 4, given, .. }) => {
                prop_assert_ne!(n, 4);
                prop_assert_eq!(given, n);
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    /// Callbacks of the right and the wrong prototype, where a function
    /// pointer is declared.
    #[test]
    fn callback_prototypes(args in proptest::collection::vec(0usize..4, 0..4), ret in 0usize..4) {
        let fx = &*FIXED;
        let types = [CType::c_int(), CType::c_double(), CType::c_char_p(), fx.point.clone()];
        let restypes = [CType::c_int(), CType::c_double(), CType::void(), fx.point.clone()];
        let proto = CType::function(restypes[ret].clone(), args.iter().map(|&i| types[i].clone()));
        let cb = Callback::new(&proto, |_| Ok(Value::Void)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let f = &PICKS.iter().find(|(t, _)| *t == T::FnPtr).unwrap().1;
        let outcome = call(f, &[(&cb).into(), Value::Null, Value::Null, 0.into()]);
        if proto == fx.binop {
            prop_assert_eq!(outcome, Ok(Value::Pointer(cb.address())));
        } else {
            prop_assert!(matches!(outcome, Err(Error::Argument { index: 0, .. })), "{:?}", outcome);
        }
        prop_assert_eq!(fx.unop.clone() == proto, args == [0] && ret == 0);
    }
}
