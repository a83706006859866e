//! Strings in and out, C-allocated buffers, wide strings, out-parameters.

mod common;
use common::{call, func, lib};
use rctypes::{CData, CType, Value, byref, byref_at, string_at, wstring_at};

#[test]
fn strings_in_as_str_and_bytes() {
    let strlen = func("my_strlen", [CType::c_char_p()], CType::c_size_t());
    assert_eq!(call(&strlen, &["hello".into()]).unwrap(), Value::UInt(5));
    assert_eq!(call(&strlen, &[b"bytes!".into()]).unwrap(), Value::UInt(6));
    assert_eq!(call(&strlen, &["".into()]).unwrap(), Value::UInt(0));
    assert_eq!(
        call(&strlen, &["héllo".into()]).unwrap(),
        Value::UInt(6),
        "UTF-8 bytes"
    );
    assert_eq!(
        call(&strlen, &[Value::Null]).unwrap(),
        Value::UInt(u64::MAX),
        "NULL arrives as NULL"
    );
    let first = func("first_byte", [CType::c_char_p()], CType::c_int());
    assert_eq!(call(&first, &[b"\xff".into()]).unwrap(), Value::Int(255));
}

#[test]
fn strings_out_static_and_null() {
    let greeting = func("greeting", [], CType::c_char_p());
    assert_eq!(
        call(&greeting, &[]).unwrap(),
        Value::Bytes(b"hello from C".to_vec())
    );
    assert_eq!(
        call(&greeting, &[]).unwrap().as_str().unwrap(),
        "hello from C"
    );
    let null = func("null_string", [], CType::c_char_p());
    let r = call(&null, &[]).unwrap();
    assert_eq!(r, Value::Null);
    assert!(r.is_null());
    let echo = func("echo_str", [CType::c_char_p()], CType::c_char_p());
    assert_eq!(
        call(&echo, &["round trip".into()]).unwrap(),
        Value::Bytes(b"round trip".to_vec())
    );
}

#[test]
fn c_allocated_buffer_read_with_string_at_and_freed_by_c() {
    let make = func(
        "make_buffer",
        [CType::c_char_p(), CType::c_int()],
        CType::c_void_p(),
    );
    let free = func("free_buffer", [CType::c_void_p()], CType::void());
    let frees = func("free_count", [], CType::c_int());
    let before = call(&frees, &[]).unwrap().as_i64().unwrap();

    let buf = call(&make, &["ab".into(), 3.into()]).unwrap();
    let addr = match buf {
        Value::Pointer(p) => p,
        other => panic!("expected a pointer, got {other:?}"),
    };
    // SAFETY: make_buffer returned a live NUL-terminated buffer.
    assert_eq!(unsafe { string_at(addr, None) }, b"ababab");
    // SAFETY: the buffer holds at least 4 bytes.
    assert_eq!(unsafe { string_at(addr, Some(4)) }, b"abab");
    assert_eq!(
        call(&free, std::slice::from_ref(&buf)).unwrap(),
        Value::Void
    );
    assert_eq!(call(&frees, &[]).unwrap().as_i64().unwrap(), before + 1);
    // string_at(0) never reads
    // SAFETY: address 0 is documented to give no bytes.
    assert!(unsafe { string_at(0, None) }.is_empty());
}

#[test]
fn wide_strings_in_and_out() {
    let len = func("wide_len", [CType::c_wchar_p()], CType::c_size_t());
    assert_eq!(call(&len, &["héllo 😀".into()]).unwrap(), Value::UInt(7));
    let greet = func("wide_greeting", [], CType::c_wchar_p());
    assert_eq!(
        call(&greet, &[]).unwrap(),
        Value::Str("héllo wörld 😀".into())
    );
    let null = func("wide_null", [], CType::c_wchar_p());
    assert_eq!(call(&null, &[]).unwrap(), Value::Null);
    let raw = func("wide_greeting", [], CType::c_void_p());
    let addr = call(&raw, &[]).unwrap().as_address().unwrap();
    // SAFETY: wide_greeting returns a static NUL-terminated wide string.
    assert_eq!(unsafe { wstring_at(addr, None) }.unwrap(), "héllo wörld 😀");
    // SAFETY: the string has at least 5 characters.
    assert_eq!(unsafe { wstring_at(addr, Some(5)) }.unwrap(), "héllo");
}

#[test]
fn out_parameters_through_byref() {
    let out = CData::new(&CType::c_int());
    // `get` declared without argtypes: byref converts to a pointer, as in ctypes
    let get = lib().function("get").unwrap().restype(CType::void());
    call(&get, &[byref(&out)]).unwrap();
    assert_eq!(out.value().unwrap(), Value::Int(1234));

    let int_p = CType::c_int().pointer();
    let divmod = func(
        "divmod",
        [CType::c_int(), CType::c_int(), int_p.clone(), int_p],
        CType::c_int(),
    );
    let q = CData::new(&CType::c_int());
    let r = CData::new(&CType::c_int());
    assert_eq!(
        call(&divmod, &[17.into(), 5.into(), byref(&q), byref(&r)]).unwrap(),
        Value::Int(0)
    );
    assert_eq!(
        (q.value().unwrap(), r.value().unwrap()),
        (Value::Int(3), Value::Int(2))
    );
    // an instance of T where POINTER(T) is declared is passed by reference (ctypes does this too)
    assert_eq!(
        call(&divmod, &[(-9).into(), 4.into(), (&q).into(), (&r).into()]).unwrap(),
        Value::Int(0)
    );
    assert_eq!(
        (q.value().unwrap(), r.value().unwrap()),
        (Value::Int(-2), Value::Int(-1))
    );

    let scale = func(
        "scale_double",
        [CType::c_double().pointer(), CType::c_double()],
        CType::void(),
    );
    let x = CData::with_value(&CType::c_double(), 1.25).unwrap();
    call(&scale, &[byref(&x), 4.into()]).unwrap();
    assert_eq!(x.value().unwrap(), Value::Float(5.0));
}

#[test]
fn byref_at_offsets_into_an_array() {
    let arr = CData::new(&CType::c_int().array(6));
    let fill = func(
        "fill_ints",
        [CType::c_int().pointer(), CType::c_int()],
        CType::void(),
    );
    call(&fill, &[byref_at(&arr, 8).unwrap(), 3.into()]).unwrap();
    let ints: Vec<i32> = arr
        .to_bytes()
        .chunks(4)
        .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(ints, [0, 0, 0, 1, 4, 0]);
    // an array of T is accepted where POINTER(T) is declared
    call(&fill, &[(&arr).into(), 6.into()]).unwrap();
    assert_eq!(arr.to_bytes()[20..24], 25i32.to_ne_bytes());
    assert!(byref_at(&arr, 25).is_err(), "offset past the end");
}

#[test]
fn global_variable_in_dll() {
    // SAFETY: `counter` is an int in the fixture library.
    let counter = unsafe { lib().variable("counter", &CType::c_int()) }.unwrap();
    assert_eq!(counter.value().unwrap(), Value::Int(42));
    // SAFETY: `pi_approx` is a const double.
    let pi = unsafe { lib().variable("pi_approx", &CType::c_double()) }.unwrap();
    assert_eq!(pi.value().unwrap(), Value::Float(3.25));
}
