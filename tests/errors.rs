//! Every mistake that can be caught before C runs is a clear Error.

mod common;
use common::{call, func, lib};
use rctypes::{CData, CDll, CType, Error, Value};

#[test]
fn missing_library_names_it_and_carries_the_loader_message() {
    // SAFETY: the load fails; nothing runs.
    let err = unsafe { CDll::open("/nonexistent/libnothing.so") }.unwrap_err();
    match &err {
        Error::LibraryLoad { library, message } => {
            assert_eq!(library, "/nonexistent/libnothing.so");
            assert!(message.contains("No such file"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("/nonexistent/libnothing.so"));
}

#[test]
fn non_elf_file_is_refused_with_the_loader_message() {
    let dir = std::env::temp_dir().join(format!("rctypes-nonelf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("libfake.so");
    std::fs::write(&path, b"this is not an ELF file\n").unwrap();
    // SAFETY: the load fails; nothing runs.
    let err = unsafe { CDll::open(&path) }.unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    match err {
        Error::LibraryLoad { message, .. } => {
            assert!(
                message.contains("invalid ELF header") || message.contains("too short"),
                "{message}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn missing_symbol_names_symbol_and_library() {
    let err = lib().function("no_such_function").unwrap_err();
    match &err {
        Error::SymbolNotFound {
            symbol, library, ..
        } => {
            assert_eq!(symbol, "no_such_function");
            assert_eq!(library, common::FIXTURE);
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("no_such_function") && text.contains("libfixtures.so"),
        "{text}"
    );
    assert!(matches!(
        lib().function("add\0x"),
        Err(Error::SymbolNotFound { .. })
    ));
    // SAFETY: the lookup fails before anything is read.
    assert!(matches!(
        unsafe { lib().variable("nope", &CType::c_int()) },
        Err(Error::SymbolNotFound { .. })
    ));
}

#[test]
fn wrong_arity() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int());
    let err = call(&add, &[1.into()]).unwrap_err();
    assert_eq!(
        err,
        Error::ArgumentCount {
            function: "add".into(),
            expected: 2,
            given: 1,
            variadic: false
        }
    );
    assert_eq!(
        err.to_string(),
        "`add` takes 2 arguments (exactly), 1 given"
    );
    assert!(call(&add, &[1.into(), 2.into(), 3.into()]).is_err());
}

fn argument_error(err: Error) -> (usize, String, String, String) {
    match err {
        Error::Argument {
            index,
            expected,
            given,
            reason,
            ..
        } => (index, expected.into(), given.into(), reason.into()),
        other => panic!("expected an argument error, got {other:?}"),
    }
}

#[test]
fn wrong_types_name_index_and_both_types() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int());
    let (index, expected, given, _) =
        argument_error(call(&add, &[1.into(), 2.5.into()]).unwrap_err());
    assert_eq!(
        (index, expected.as_str(), given.as_str()),
        (1, "c_int", "float 2.5")
    );
    let (index, _, given, _) = argument_error(call(&add, &["7".into(), 1.into()]).unwrap_err());
    assert_eq!((index, given.as_str()), (0, "str \"7\" (length 1)"));
    assert!(call(&add, &[Value::Null, 1.into()]).is_err());

    let strlen = func("my_strlen", [CType::c_char_p()], CType::c_size_t());
    let (index, expected, _, _) = argument_error(call(&strlen, &[5.into()]).unwrap_err());
    assert_eq!((index, expected.as_str()), (0, "c_char_p"));

    let wlen = func("wide_len", [CType::c_wchar_p()], CType::c_size_t());
    assert!(
        call(&wlen, &[b"bytes".into()]).is_err(),
        "bytes are not a wide string"
    );

    let int_p = CType::c_int().pointer();
    let get = func("get", [int_p], CType::void());
    let dbl = CData::new(&CType::c_double());
    let (index, expected, given, _) = argument_error(call(&get, &[(&dbl).into()]).unwrap_err());
    assert_eq!(
        (index, expected.as_str(), given.as_str()),
        (0, "POINTER(c_int)", "c_double instance")
    );
    let (_, _, _, reason) = argument_error(call(&get, &[Value::Pointer(0x1000)]).unwrap_err());
    assert!(reason.contains("cast"), "{reason}");
    let full = call(&get, &[1.into()]).unwrap_err().to_string();
    assert!(
        full.starts_with("argument 0 of `get`: expected POINTER(c_int), got int 1"),
        "{full}"
    );
}

#[test]
fn overflow_is_an_error_not_a_mask() {
    let cases: Vec<(&str, CType, Value)> = vec![
        ("echo_i8", CType::c_int8(), Value::Int(128)),
        ("echo_i8", CType::c_int8(), Value::Int(-129)),
        ("echo_u8", CType::c_uint8(), Value::Int(-1)),
        ("echo_u8", CType::c_uint8(), Value::UInt(256)),
        ("echo_i16", CType::c_int16(), Value::Int(32768)),
        ("echo_u16", CType::c_uint16(), Value::Int(65536)),
        ("echo_i32", CType::c_int32(), Value::Int(1 << 31)),
        ("echo_u32", CType::c_uint32(), Value::Int(-1)),
        ("echo_u32", CType::c_uint32(), Value::UInt(1 << 32)),
        ("echo_i64", CType::c_int64(), Value::UInt(1 << 63)),
        ("echo_u64", CType::c_uint64(), Value::Int(-1)),
    ];
    for (name, ty, v) in cases {
        let f = func(name, [ty.clone()], ty.clone());
        let err = call(&f, std::slice::from_ref(&v)).unwrap_err();
        let (index, expected, _, reason) = argument_error(err);
        assert_eq!((index, expected), (0, ty.to_string()), "{name}({v:?})");
        assert!(reason.contains("does not fit"), "{reason}");
    }
    let f = func(
        "add_f",
        [CType::c_float(), CType::c_float()],
        CType::c_float(),
    );
    let (_, _, _, reason) = argument_error(call(&f, &[1e300.into(), 1.0.into()]).unwrap_err());
    assert!(reason.contains("overflows c_float"), "{reason}");
    // without argtypes, an int that does not fit in a C int is refused
    let add = lib().function("add").unwrap();
    let (index, ..) = argument_error(call(&add, &[1.into(), (1i64 << 35).into()]).unwrap_err());
    assert_eq!(index, 1);
}

#[test]
fn interior_nul_is_refused() {
    let strlen = func("my_strlen", [CType::c_char_p()], CType::c_size_t());
    let (index, _, _, reason) = argument_error(call(&strlen, &["ab\0cd".into()]).unwrap_err());
    assert_eq!(index, 0);
    assert!(
        reason.contains("interior NUL byte at position 2"),
        "{reason}"
    );
    let (_, _, _, reason) = argument_error(call(&strlen, &[b"\0".into()]).unwrap_err());
    assert!(reason.contains("position 0"), "{reason}");
    let wlen = func("wide_len", [CType::c_wchar_p()], CType::c_size_t());
    assert!(call(&wlen, &["a\0".into()]).is_err());
}

#[test]
fn bad_signatures_are_errors_not_crashes() {
    let f = func("noop", [CType::void()], CType::void());
    assert!(matches!(
        call(&f, &[Value::Null]),
        Err(Error::Unsupported { .. })
    ));
    assert!(f.prepare().is_err());
    let g = func("noop", [], CType::c_int().array(2));
    assert!(matches!(g.prepare(), Err(Error::Unsupported { .. })));
}

#[test]
fn instance_conversion_errors() {
    let n = CData::new(&CType::c_ubyte());
    assert!(matches!(n.set_value(300), Err(Error::Conversion { .. })));
    assert_eq!(
        n.value().unwrap(),
        Value::UInt(0),
        "a refused write leaves the value"
    );
    assert!(CData::with_value(&CType::c_int(), "x").is_err());
    assert!(CData::try_new(&CType::void()).is_err());
    let huge = CType::c_double().array(usize::MAX / 4);
    assert!(CData::try_new(&huge).is_err());
    // describable, but more than the machine has: an error, not an abort
    let too_big = CType::c_char().array(1usize << 46);
    assert_eq!(rctypes::sizeof(&too_big), 1 << 46);
    let err = CData::try_new(&too_big).unwrap_err();
    assert!(err.to_string().contains("out of memory"), "{err}");
    assert_eq!(rctypes::sizeof(&huge), usize::MAX);
    assert!(Value::from("x").as_i64().is_err());
    assert!(Value::Bytes(vec![0xff]).as_str().is_err());
    assert!(Value::Int(-1).as_u64().is_err());
    assert!(Value::UInt(u64::MAX).as_i64().is_err());
}

/// Every call returns a `Result<Value>`: it stays small (an `Error` keeps
/// its texts boxed; it was 104 bytes when they were inline), so that
/// results move in a few words.
#[test]
fn results_stay_small() {
    assert!(std::mem::size_of::<Value>() <= 40);
    assert!(std::mem::size_of::<Error>() <= 48);
    assert!(std::mem::size_of::<rctypes::Result<Value>>() <= 48);
}
