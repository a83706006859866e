//! Variadic calls, libc through this_process, libm through find_library.

mod common;
use common::{call, func, lib};
use rctypes::{CData, CDll, CType, Error, OpenOptions, Value, find_library};

#[test]
fn variadic_sum_of_ints() {
    let sum = lib()
        .function("sum_ints")
        .unwrap()
        .argtypes([CType::c_int()])
        .variadic();
    assert_eq!(
        call(&sum, &[4.into(), 1.into(), 2.into(), 3.into(), 4.into()]).unwrap(),
        Value::Int(10)
    );
    assert_eq!(call(&sum, &[0.into()]).unwrap(), Value::Int(0));
    // narrow typed instances promote to int; a c_char promotes by its byte
    let small = CData::with_value(&CType::c_short(), -7).unwrap();
    let ch = CData::with_value(&CType::c_char(), Value::Bytes(b"A".to_vec())).unwrap();
    assert_eq!(
        call(&sum, &[2.into(), small.into(), ch.into()]).unwrap(),
        Value::Int(-7 + 65)
    );
    // the fixed part is still checked
    assert!(matches!(
        call(&sum, &[]),
        Err(Error::ArgumentCount {
            variadic: true,
            expected: 1,
            ..
        })
    ));
}

#[test]
fn variadic_average_of_doubles_with_float_promotion() {
    let avg = lib()
        .function("average")
        .unwrap()
        .argtypes([CType::c_int()])
        .restype(CType::c_double())
        .variadic();
    assert_eq!(
        call(&avg, &[3.into(), 1.0.into(), 2.0.into(), 6.0.into()]).unwrap(),
        Value::Float(3.0)
    );
    // a c_float instance is promoted to double, as C does
    let f = CData::with_value(&CType::c_float(), 2.5).unwrap();
    assert_eq!(
        call(&avg, &[2.into(), f.into(), 1.5.into()]).unwrap(),
        Value::Float(2.0)
    );
    // the same tail signature reuses its prepared cif; a different one gets its own
    assert_eq!(
        call(&avg, &[1.into(), 8.0.into()]).unwrap(),
        Value::Float(8.0)
    );
}

#[test]
fn variadic_wide_integers_need_a_typed_instance() {
    let sum = lib()
        .function("sum_longlongs")
        .unwrap()
        .argtypes([CType::c_int()])
        .restype(CType::c_longlong())
        .variadic();
    let big = 1i64 << 40;
    let err = call(&sum, &[1.into(), big.into()]).unwrap_err();
    assert!(matches!(err, Error::Argument { index: 1, .. }), "{err}");
    assert!(err.to_string().contains("c_longlong"), "{err}");
    let typed = CData::with_value(&CType::c_longlong(), big).unwrap();
    let typed2 = CData::with_value(&CType::c_longlong(), -3).unwrap();
    assert_eq!(
        call(&sum, &[2.into(), typed.into(), typed2.into()]).unwrap(),
        Value::Int(big - 3)
    );
}

#[test]
fn snprintf_from_the_process() {
    let libc = CDll::this_process().unwrap();
    let snprintf = libc
        .function("snprintf")
        .unwrap()
        .argtypes([CType::c_char_p(), CType::c_size_t(), CType::c_char_p()])
        .variadic();
    let buf = CData::new(&CType::c_char().array(64));
    let n = call(
        &snprintf,
        &[
            (&buf).into(),
            64usize.into(),
            "%d-%s-%.2f-%c".into(),
            42.into(),
            "abc".into(),
            1.375.into(),
            90.into(),
        ],
    )
    .unwrap();
    assert_eq!(n, Value::Int(13));
    assert_eq!(
        buf.value().unwrap(),
        Value::Bytes(b"42-abc-1.38-Z".to_vec())
    );
}

#[test]
fn abs_via_this_process() {
    let libc = CDll::this_process().unwrap();
    let abs = libc
        .function("abs")
        .unwrap()
        .argtypes([CType::c_int()])
        .restype(CType::c_int());
    assert_eq!(call(&abs, &[(-42).into()]).unwrap(), Value::Int(42));
    assert_eq!(
        call(&abs, &[i32::MAX.into()]).unwrap(),
        Value::Int(i32::MAX.into())
    );
}

#[test]
fn cos_from_libm_via_find_library() {
    let name = find_library("m").expect("libm is installed");
    assert!(name.to_string_lossy().starts_with("libm.so."), "{name:?}");
    // SAFETY: libm's initialisers are safe to run.
    let libm = unsafe { CDll::open_with(&name, &OpenOptions::new().global(true).use_errno(true)) }
        .unwrap();
    let cos = libm
        .function("cos")
        .unwrap()
        .argtypes([CType::c_double()])
        .restype(CType::c_double());
    assert_eq!(call(&cos, &[0.0.into()]).unwrap(), Value::Float(1.0));
    assert_eq!(
        call(&cos, &[std::f64::consts::PI.into()]).unwrap(),
        Value::Float(-1.0)
    );
    let powf = libm
        .function("powf")
        .unwrap()
        .argtypes([CType::c_float(), CType::c_float()])
        .restype(CType::c_float());
    assert_eq!(
        call(&powf, &[2.0f32.into(), 10.0f32.into()]).unwrap(),
        Value::Float(1024.0)
    );
}

#[test]
fn find_library_misses() {
    assert_eq!(find_library("definitely-not-a-real-library-name"), None);
    assert_eq!(find_library(""), None);
    assert_eq!(find_library("/lib/m"), None);
    assert!(find_library("c").is_some_and(|p| p.to_string_lossy().starts_with("libc.so.")));
}

#[test]
fn function_from_address_and_address_round_trip() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int());
    assert_ne!(add.address(), 0);
    assert_eq!(lib().symbol_address("add").unwrap(), add.address());
    // SAFETY: the address is `add`, which stays loaded (the fixture library is held by a static).
    let same = unsafe { rctypes::Function::from_address(add.address()) }
        .argtypes([CType::c_int(), CType::c_int()])
        .restype(CType::c_int());
    assert_eq!(
        call(&same, &[20.into(), 22.into()]).unwrap(),
        Value::Int(42)
    );
    // SAFETY: calling address 0 is refused before any call is made.
    let null = unsafe { rctypes::Function::from_address(0) };
    assert!(matches!(call(&null, &[]), Err(Error::NullPointer { .. })));
}
