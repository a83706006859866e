//! Prepared calls (`Function::prepared`): arguments set by index, results
//! read as scalars, refusals kept until the next call; every kind of
//! argument and result, checked against C's answers and against the same
//! calls made with `Function::call`.

mod common;
use common::{call, func, lib};

use rctypes::{CData, CDll, CType, Callback, Error, Value, byref};

#[test]
fn integers_floats_and_results_match_function_call() -> rctypes::Result<()> {
    let int = CType::c_int();
    let add = func("add", [int.clone(), int.clone()], int.clone());
    let mut p = add.prepared()?;
    for (a, b) in [(5, 3), (-7, 2), (i32::MAX, 0), (i32::MIN, 0)] {
        p.set_i64(0, a.into()).set_i64(1, b.into());
        // SAFETY: int add(int, int).
        let r = unsafe { p.call_i64() }?;
        let v = call(&add, &[a.into(), b.into()])?;
        assert_eq!(Value::Int(r), v, "add({a}, {b})");
    }
    // arguments keep their values between calls
    p.set_i64(0, 40).set_i64(1, 2);
    // SAFETY: as above.
    assert_eq!(unsafe { p.call_i64() }?, 42);
    p.set_i64(1, 3);
    // SAFETY: as above.
    assert_eq!(unsafe { p.call_i64() }?, 43);

    // narrow and unsigned results are narrowed as C has them
    let i8f = func("i8_from_int", [int.clone()], CType::c_int8());
    let mut p = i8f.prepared()?;
    p.set_i64(0, 0x1ff);
    // SAFETY: int8_t i8_from_int(int).
    assert_eq!(unsafe { p.call_i64() }?, -1);
    let u64f = func("echo_u64", [CType::c_uint64()], CType::c_uint64());
    let mut p = u64f.prepared()?;
    p.set_u64(0, u64::MAX);
    // SAFETY: uint64_t echo_u64(uint64_t).
    assert_eq!(unsafe { p.call_i64() }? as u64, u64::MAX);

    // doubles, floats, and a mixed signature with stack arguments
    let add_d = func("add_d", vec![CType::c_double(); 2], CType::c_double());
    let mut p = add_d.prepared()?;
    p.set_f64(0, 1.25).set_f64(1, 2.5);
    // SAFETY: double add_d(double, double).
    assert_eq!(unsafe { p.call_f64() }?, 3.75);
    let add_f = func("add_f", vec![CType::c_float(); 2], CType::c_float());
    let mut p = add_f.prepared()?;
    p.set_f64(0, 1.5).set_f64(1, 0.25);
    // SAFETY: float add_f(float, float).
    assert_eq!(unsafe { p.call_f64() }?, 1.75);
    let many = func("many_ints", vec![CType::c_int64(); 12], CType::c_int64());
    let mut p = many.prepared()?;
    for i in 0..12 {
        p.set_i64(i, 1 << (3 * i));
    }
    let args: Vec<Value> = (0..12).map(|i| Value::Int(1 << (3 * i))).collect();
    // SAFETY: int64_t many_ints(int64_t x 12): six on the stack.
    assert_eq!(Value::Int(unsafe { p.call_i64() }?), call(&many, &args)?);
    // long double results
    let ld = func("ld_third", [], CType::c_longdouble());
    let mut p = ld.prepared()?;
    // SAFETY: long double ld_third(void).
    let third = unsafe { p.call_f64() }?;
    assert!((third - 1.0 / 3.0).abs() < 1e-15, "{third}");
    Ok(())
}

#[test]
fn strings_pointers_structures_and_void() -> rctypes::Result<()> {
    let strlen = func("my_strlen", [CType::c_char_p()], CType::c_size_t());
    let mut p = strlen.prepared()?;
    p.set(0, "hello");
    // SAFETY: size_t my_strlen(const char *).
    assert_eq!(unsafe { p.call_i64() }?, 5);
    p.set_address(0, 0);
    // SAFETY: as above; NULL is handled by the fixture.
    assert_eq!(unsafe { p.call_i64() }? as u64, u64::MAX);

    // a pointer result as an address
    let greeting = func("greeting", [], CType::c_char_p());
    let mut p = greeting.prepared()?;
    // SAFETY: const char *greeting(void).
    let addr = unsafe { p.call_address() }?;
    // SAFETY: the fixture returns a static string.
    assert_eq!(unsafe { rctypes::string_at(addr, None) }, b"hello from C");

    // a pointer parameter from an instance, written by C
    let out = CData::new(&CType::c_int());
    let get = func("get", [CType::c_int().pointer()], CType::void());
    let mut p = get.prepared()?;
    p.set_data(0, &out);
    // SAFETY: void get(int *); `out` outlives the call.
    unsafe { p.call() }?;
    assert_eq!(
        out.value()?,
        Value::Int(1234),
        "C wrote through the pointer"
    );

    // structures in, and out into a caller's instance
    let point = common::point();
    let add = func("point_add", [point.clone(), point.clone()], point.clone());
    let (a, b) = (
        CData::from_values(&point, [1, 2])?,
        CData::from_values(&point, [10, 20])?,
    );
    let mut p = add.prepared()?;
    p.set_data(0, &a).set_data(1, &b);
    let r = CData::new(&point);
    // SAFETY: Point point_add(Point, Point).
    unsafe { p.call_into(&r) }?;
    assert_eq!((r.get("x")?, r.get("y")?), (Value::Int(11), Value::Int(22)));
    // a 24-byte structure comes back through the hidden pointer
    let long = CType::c_long();
    let s24 = CType::structure("S24")
        .field("a", long.clone())
        .field("b", long.clone())
        .field("c", long)
        .build()?;
    let next = func("s24_next", [s24.clone()], s24.clone());
    let mut p = next.prepared()?;
    let s = CData::from_values(&s24, [1, 2, 3])?;
    p.set_data(0, &s);
    let r = CData::new(&s24);
    // SAFETY: S24 s24_next(S24).
    unsafe { p.call_into(&r) }?;
    assert_eq!(
        r.to_bytes(),
        CData::from_values(&s24, [2, 3, 4])?.to_bytes()
    );
    Ok(())
}

#[test]
fn refusals_are_kept_until_the_next_call() -> rctypes::Result<()> {
    let int = CType::c_int();
    let add = func("add", [int.clone(), int.clone()], int);
    let mut p = add.prepared()?;
    p.set_i64(0, 1 << 40).set_i64(1, 1);
    // SAFETY: int add(int, int); the refused call does not reach C.
    match unsafe { p.call_i64() } {
        Err(Error::Argument { index: 0, .. }) => {}
        other => panic!("expected an argument error, got {other:?}"),
    }
    // the refusal is reported once; the argument kept its previous value (0)
    // SAFETY: as above.
    assert_eq!(unsafe { p.call_i64() }?, 1);
    p.set_f64(1, 0.5);
    // SAFETY: as above.
    assert!(matches!(
        unsafe { p.call_i64() },
        Err(Error::Argument { index: 1, .. })
    ));
    p.set_i64(2, 0);
    // SAFETY: as above.
    assert!(matches!(
        unsafe { p.call_i64() },
        Err(Error::ArgumentCount { .. })
    ));
    // a float result read as an integer, and the reverse
    // SAFETY: as above.
    assert!(unsafe { p.call_f64() }.is_err());
    // functions that cannot be prepared
    let printf = CDll::this_process()?
        .function("printf")?
        .argtypes([CType::c_char_p()])
        .variadic();
    assert!(matches!(printf.prepared(), Err(Error::Signature { .. })));
    assert!(lib().function("add")?.prepared().is_err(), "no argtypes");
    Ok(())
}

/// A system library through a prepared call: zlib's crc32 over a buffer.
#[test]
fn zlib_crc32_prepared() -> rctypes::Result<()> {
    let Some(path) = rctypes::find_library("z") else {
        eprintln!("zlib is not installed: skipped");
        return Ok(());
    };
    // SAFETY: zlib has no initialisers with requirements.
    let z = unsafe { CDll::open(&path) }?;
    let crc32 = z
        .function("crc32")?
        .argtypes([CType::c_ulong(), CType::c_char_p(), CType::c_uint()])
        .restype(CType::c_ulong());
    let mut p = crc32.prepared()?;
    let data = b"The quick brown fox jumps over the lazy dog";
    p.set_u64(0, 0)
        .set(1, data.to_vec())
        .set_u64(2, data.len() as u64);
    // SAFETY: uLong crc32(uLong, const Bytef *, uInt).
    assert_eq!(unsafe { p.call_i64() }?, 0x414f_a339);
    Ok(())
}

/// Six integer arguments of mixed widths (the quick path passes all six
/// general registers), a narrow unsigned result, and setters whose type is
/// not the parameter's going through the general conversion.
#[test]
fn six_registers_narrow_results_and_mismatched_setters() -> rctypes::Result<()> {
    let mix6 = func(
        "mix6",
        [
            CType::c_byte(),
            CType::c_short(),
            CType::c_int(),
            CType::c_long(),
            CType::c_uint(),
            CType::c_void_p(),
        ],
        CType::c_ushort(),
    );
    let expect = |a: i64, b: i64, c: i64, d: i64, e: i64, f: i64| {
        (a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f) as u16 as i64
    };
    let mut p = mix6.prepared()?;
    for (a, b, c, d, e, f) in [
        (-128, -32768, i32::MIN as i64, -1, u32::MAX as i64, 0),
        (127, 32767, i32::MAX as i64, i64::MAX / 8, 0, 0x1000),
        (1, 2, 3, 4, 5, 6),
    ] {
        p.set_i64(0, a)
            .set_i64(1, b)
            .set_i64(2, c)
            .set_i64(3, d)
            .set_u64(4, e as u64)
            .set_address(5, f as usize);
        // SAFETY: unsigned short mix6(signed char, short, int, long,
        // unsigned int, void *); the pointer is never dereferenced.
        let r = unsafe { p.call_i64() }?;
        assert_eq!(r, expect(a, b, c, d, e, f));
        let args = [
            a.into(),
            b.into(),
            c.into(),
            d.into(),
            (e as u64).into(),
            Value::Pointer(f as usize),
        ];
        assert_eq!(Value::UInt(r as u64), call(&mix6, &args)?);
    }
    // out of range for the narrow parameters, through either setter
    p.set_i64(0, 128);
    // SAFETY: as above; the refused call does not reach C.
    assert!(matches!(
        unsafe { p.call_i64() },
        Err(Error::Argument { index: 0, .. })
    ));
    p.set_u64(1, 32768);
    // SAFETY: as above.
    assert!(matches!(
        unsafe { p.call_i64() },
        Err(Error::Argument { index: 1, .. })
    ));
    // an integer setter on the pointer parameter: the general conversion
    // (a void * takes a non-negative integer as an address, as in ctypes),
    // not the integer fast path
    p.set_i64(5, -1);
    // SAFETY: as above.
    assert!(matches!(
        unsafe { p.call_i64() },
        Err(Error::Argument { index: 5, .. })
    ));
    // and an unsigned value for the signed `long` goes in when it fits
    p.set_i64(0, 0)
        .set_i64(1, 0)
        .set_i64(2, 0)
        .set_u64(3, 7)
        .set_u64(4, 0);
    p.set_u64(5, 2);
    // SAFETY: as above.
    assert_eq!(unsafe { p.call_i64() }?, 28 + 12);
    Ok(())
}

/// Regression (found while extending the fuzz generator to prepared calls):
/// `set` converted its value and dropped it, so an instance, a `byref` or a
/// callback given to it by value was freed while the frame still held its
/// address (and, on the libffi path, a structure of more than 16 bytes was
/// passed as a pointer into the freed instance): the call read freed memory
/// although the documented contract (only `set_data` instances are the
/// caller's to keep alive) was kept. What `set` is given is now held until
/// the argument is set again. Each freed block is reused by an instance of
/// the same size made right after, whose values the call would then read;
/// valgrind and AddressSanitizer report the read itself.
#[test]
fn values_given_to_set_live_as_long_as_the_frame_refers_to_them() -> rctypes::Result<()> {
    let int = CType::c_int();
    // a pointer parameter from an instance given by value
    let sum = func(
        "sum_ints_array",
        [int.pointer(), int.clone()],
        CType::c_long(),
    );
    let mut p = sum.prepared()?;
    p.set(0, CData::from_values(&int.array(4), [1, 2, 3, 4])?)
        .set_i64(1, 4);
    let reuse = CData::from_values(&int.array(4), [100, 200, 300, 400])?;
    // SAFETY: long sum_ints_array(const int *, int); the array was given
    // with `set`, which holds it.
    assert_eq!(unsafe { p.call_i64() }?, 10);
    // from a byref of an instance the caller then drops
    let tmp = CData::from_values(&int.array(4), [5, 6, 7, 8])?;
    p.set(0, byref(&tmp));
    drop(tmp);
    let reuse2 = CData::from_values(&int.array(4), [100, 200, 300, 400])?;
    // SAFETY: as above.
    assert_eq!(unsafe { p.call_i64() }?, 26);
    // setting the argument again releases what it held
    p.set(0, reuse.clone());
    // SAFETY: as above.
    assert_eq!(unsafe { p.call_i64() }?, 1000);
    drop((reuse, reuse2));

    // a 24-byte structure by value (in memory: libffi reads the instance)
    let ll = CType::c_longlong();
    let s_lll = CType::structure("S_lll")
        .field("a", ll.clone())
        .field("b", ll.clone())
        .field("c", ll)
        .build()?;
    let s_sum = func("S_lll_sum", [s_lll.clone()], CType::c_double());
    let mut p = s_sum.prepared()?;
    p.set(0, CData::from_values(&s_lll, [1, 2, 3])?);
    let reuse = CData::from_values(&s_lll, [100, 200, 300])?;
    // SAFETY: double S_lll_sum(S_lll).
    assert_eq!(unsafe { p.call_f64() }?, 6.0);
    drop(reuse);

    // a callback given by value: its code must outlive the calls
    let binop = CType::function(int.clone(), [int.clone(), int.clone()]);
    let apply = func("apply", [binop.clone(), int.clone(), int.clone()], int);
    let mut p = apply.prepared()?;
    p.set(
        0,
        Callback::new(&binop, |a| Ok(Value::from(a[0].as_i64()? * a[1].as_i64()?)))?,
    )
    .set_i64(1, 6)
    .set_i64(2, 7);
    // SAFETY: int apply(int (*)(int, int), int, int); the callback is held.
    assert_eq!(unsafe { p.call_i64() }?, 42);
    Ok(())
}
