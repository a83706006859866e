//! Integer, boolean, character and floating-point arguments and results.

mod common;
use common::{call, func, lib};
use rctypes::{CType, Value};

#[test]
fn add_two_ints() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int());
    assert_eq!(call(&add, &[5.into(), 3.into()]).unwrap(), Value::Int(8));
    assert_eq!(
        call(&add, &[(-5).into(), 3.into()])
            .unwrap()
            .as_i64()
            .unwrap(),
        -2
    );
}

#[test]
fn static_counter_persists_across_calls() {
    let bump = func("bump", [], CType::c_int());
    let first = call(&bump, &[]).unwrap().as_i64().unwrap();
    let second = call(&bump, &[]).unwrap().as_i64().unwrap();
    let third = call(&bump, &[]).unwrap().as_i64().unwrap();
    assert_eq!((second, third), (first + 1, first + 2));
}

#[test]
fn restype_defaults_to_c_int_and_void_gives_void() {
    let add = lib().function("add").unwrap();
    // no argtypes: ints convert to c_int; restype c_int by default
    assert_eq!(call(&add, &[40.into(), 2.into()]).unwrap(), Value::Int(42));
    let noop = lib()
        .function("noop")
        .unwrap()
        .argtypes([])
        .restype(CType::void());
    assert_eq!(call(&noop, &[]).unwrap(), Value::Void);
}

/// Every integer width at its extremes, through an echo function.
#[test]
fn signed_and_unsigned_edges_of_every_width() {
    let cases: Vec<(&str, CType, Vec<Value>)> = vec![
        (
            "echo_i8",
            CType::c_int8(),
            vec![
                Value::Int(-128),
                Value::Int(127),
                Value::Int(0),
                Value::Int(-1),
            ],
        ),
        (
            "echo_u8",
            CType::c_uint8(),
            vec![Value::UInt(0), Value::UInt(255), Value::UInt(128)],
        ),
        (
            "echo_i16",
            CType::c_int16(),
            vec![Value::Int(-32768), Value::Int(32767), Value::Int(-1)],
        ),
        (
            "echo_u16",
            CType::c_uint16(),
            vec![Value::UInt(0), Value::UInt(65535)],
        ),
        (
            "echo_i32",
            CType::c_int32(),
            vec![Value::Int(i32::MIN.into()), Value::Int(i32::MAX.into())],
        ),
        (
            "echo_u32",
            CType::c_uint32(),
            vec![Value::UInt(0), Value::UInt(u32::MAX.into())],
        ),
        (
            "echo_i64",
            CType::c_int64(),
            vec![Value::Int(i64::MIN), Value::Int(i64::MAX), Value::Int(-1)],
        ),
        (
            "echo_u64",
            CType::c_uint64(),
            vec![Value::UInt(0), Value::UInt(u64::MAX), Value::UInt(1 << 63)],
        ),
        (
            "echo_long",
            CType::c_long(),
            vec![Value::Int(i64::MIN), Value::Int(i64::MAX)],
        ),
        ("echo_ulong", CType::c_ulong(), vec![Value::UInt(u64::MAX)]),
        (
            "echo_size",
            CType::c_size_t(),
            vec![Value::UInt(usize::MAX as u64)],
        ),
        (
            "echo_ssize",
            CType::c_ssize_t(),
            vec![Value::Int(isize::MIN as i64)],
        ),
    ];
    for (name, ty, values) in cases {
        let f = func(name, [ty.clone()], ty.clone());
        for v in values {
            assert_eq!(
                call(&f, std::slice::from_ref(&v)).unwrap(),
                v,
                "{name}({v:?})"
            );
        }
    }
}

/// Narrow results that C computed: the widened register's upper bits must be
/// ignored and the value sign- or zero-extended by the type.
#[test]
fn narrow_results_are_narrowed_by_their_type() {
    let i8f = func("i8_from_int", [CType::c_int()], CType::c_int8());
    let u8f = func("u8_from_int", [CType::c_int()], CType::c_uint8());
    let i16f = func("i16_from_int", [CType::c_int()], CType::c_int16());
    let u16f = func("u16_from_int", [CType::c_int()], CType::c_uint16());
    assert_eq!(call(&i8f, &[0x1ff.into()]).unwrap(), Value::Int(-1));
    assert_eq!(call(&i8f, &[0x17f.into()]).unwrap(), Value::Int(127));
    assert_eq!(call(&u8f, &[(-1).into()]).unwrap(), Value::UInt(255));
    assert_eq!(call(&u8f, &[0x1234.into()]).unwrap(), Value::UInt(0x34));
    assert_eq!(call(&i16f, &[0x18000.into()]).unwrap(), Value::Int(-32768));
    assert_eq!(call(&u16f, &[(-2).into()]).unwrap(), Value::UInt(65534));
}

#[test]
fn narrow_arguments_arrive_extended() {
    let f = func(
        "sum_narrow",
        [
            CType::c_int8(),
            CType::c_uint8(),
            CType::c_int16(),
            CType::c_uint16(),
            CType::c_int32(),
            CType::c_uint32(),
        ],
        CType::c_int64(),
    );
    let r = call(
        &f,
        &[
            (-128).into(),
            255u8.into(),
            (-32768).into(),
            65535u16.into(),
            i32::MIN.into(),
            u32::MAX.into(),
        ],
    );
    let expected = -128i64 + 255 - 32768 + 65535 + i64::from(i32::MIN) + i64::from(u32::MAX);
    assert_eq!(r.unwrap(), Value::Int(expected));
}

#[test]
fn bool_char_and_wchar() {
    let even = func("is_even", [CType::c_int()], CType::c_bool());
    assert_eq!(call(&even, &[4.into()]).unwrap(), Value::Bool(true));
    assert_eq!(call(&even, &[7.into()]).unwrap(), Value::Bool(false));
    let neg = func("negate_bool", [CType::c_bool()], CType::c_bool());
    assert_eq!(call(&neg, &[true.into()]).unwrap(), Value::Bool(false));
    let next = func("next_char", [CType::c_char()], CType::c_char());
    assert_eq!(
        call(&next, &[Value::Bytes(b"a".to_vec())]).unwrap(),
        Value::Bytes(b"b".to_vec())
    );
    assert_eq!(
        call(&next, &[65.into()]).unwrap(),
        Value::Bytes(b"B".to_vec())
    );
    let upper = func("wide_upper", [CType::c_wchar()], CType::c_wchar());
    assert_eq!(call(&upper, &['q'.into()]).unwrap(), Value::Str("Q".into()));
    assert_eq!(call(&upper, &['é'.into()]).unwrap(), Value::Str("é".into()));
}

#[test]
fn float_double_and_long_double() {
    let f = func(
        "add_f",
        [CType::c_float(), CType::c_float()],
        CType::c_float(),
    );
    assert_eq!(
        call(&f, &[1.5f32.into(), 2.25f32.into()]).unwrap(),
        Value::Float(3.75)
    );
    let d = func(
        "add_d",
        [CType::c_double(), CType::c_double()],
        CType::c_double(),
    );
    assert_eq!(
        call(&d, &[0.1.into(), 0.2.into()]).unwrap(),
        Value::Float(0.1 + 0.2)
    );
    // ints are accepted for floating parameters, as in ctypes
    assert_eq!(call(&d, &[1.into(), 2.into()]).unwrap(), Value::Float(3.0));
    let ld = func(
        "add_ld",
        [CType::c_longdouble(), CType::c_longdouble()],
        CType::c_longdouble(),
    );
    assert_eq!(
        call(&ld, &[1.5.into(), 1e300.into()]).unwrap(),
        Value::Float(1.5 + 1e300)
    );
    let third = func("ld_third", [], CType::c_longdouble());
    assert_eq!(call(&third, &[]).unwrap(), Value::Float(1.0 / 3.0));
    // our f64 -> long double encoding agrees with C's long double -> double cast
    let back = func("ld_to_double", [CType::c_longdouble()], CType::c_double());
    for x in [
        0.0,
        -0.0,
        1.0 / 3.0,
        f64::MAX,
        5e-324,
        -123.456,
        f64::INFINITY,
    ] {
        assert_eq!(
            call(&back, &[x.into()])
                .unwrap()
                .as_f64()
                .unwrap()
                .to_bits(),
            x.to_bits()
        );
    }
    let six = func("sum6_d", vec![CType::c_double(); 6], CType::c_double());
    let args: Vec<Value> = (1..=6).map(|i| Value::Float(f64::from(i) * 0.5)).collect();
    assert_eq!(call(&six, &args).unwrap(), Value::Float(10.5));
}

/// 14 mixed arguments: more than the integer and SSE argument registers, so
/// some are passed on the stack; each is weighted by its position.
#[test]
fn fourteen_mixed_int_and_float_arguments() {
    let types = [
        CType::c_int(),
        CType::c_double(),
        CType::c_long(),
        CType::c_float(),
        CType::c_short(),
        CType::c_double(),
        CType::c_longlong(),
        CType::c_float(),
        CType::c_ubyte(),
        CType::c_double(),
        CType::c_int(),
        CType::c_double(),
        CType::c_int(),
        CType::c_double(),
    ];
    let f = func("mixed14", types, CType::c_double());
    let args: Vec<Value> = vec![
        1.into(),
        2.5.into(),
        3i64.into(),
        4.5f32.into(),
        5i16.into(),
        6.5.into(),
        7i64.into(),
        8.5f32.into(),
        9u8.into(),
        10.5.into(),
        11.into(),
        12.5.into(),
        13.into(),
        14.5.into(),
    ];
    let expected: f64 = [
        1.0, 2.5, 3.0, 4.5, 5.0, 6.5, 7.0, 8.5, 9.0, 10.5, 11.0, 12.5, 13.0, 14.5,
    ]
    .iter()
    .enumerate()
    .map(|(i, x)| (i as f64 + 1.0) * x)
    .sum();
    assert_eq!(call(&f, &args).unwrap(), Value::Float(expected));

    let many = func("many_ints", vec![CType::c_int64(); 12], CType::c_int64());
    let args: Vec<Value> = (1..=12i64).map(|i| Value::Int(i * 1_000_000_007)).collect();
    let expected: i64 = (1..=12i64).map(|i| i * i * 1_000_000_007).sum();
    assert_eq!(call(&many, &args).unwrap(), Value::Int(expected));
}

#[test]
fn scalar_instances_stand_for_their_values() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int());
    let a = rctypes::CData::with_value(&CType::c_int(), 20).unwrap();
    assert_eq!(
        call(&add, &[(&a).into(), 22.into()]).unwrap(),
        Value::Int(42)
    );
    // ... but only instances of the declared type (ctypes: "wrong type")
    let s = rctypes::CData::with_value(&CType::c_short(), 2).unwrap();
    assert!(call(&add, &[s.into(), 1.into()]).is_err());
}
