//! Callbacks: C calling Rust closures (fixtures-c/callbacks.c), and
//! function pointers going both ways.

mod common;
use common::{call, func, lib};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rctypes::{CData, CDll, CType, Callback, Error, Function, Value, get_errno, set_errno};

fn binop() -> CType {
    CType::function(CType::c_int(), [CType::c_int(), CType::c_int()])
}

fn int_to_int() -> CType {
    CType::function(CType::c_int(), [CType::c_int()])
}

/// `int64_t (*)(int8_t, uint8_t, ..., uint64_t, float, double)`, for
/// `call_with_narrow`.
fn every_width() -> CType {
    CType::function(
        CType::c_int64(),
        [
            CType::c_int8(),
            CType::c_uint8(),
            CType::c_int16(),
            CType::c_uint16(),
            CType::c_int32(),
            CType::c_uint32(),
            CType::c_int64(),
            CType::c_uint64(),
            CType::c_float(),
            CType::c_double(),
        ],
    )
}

/// What `run_threads` returns for a callback computing `x % modulus`: the
/// sum over every thread and iteration of its argument `t * 1000000 + i`.
fn threads_total(threads: i64, iters: i64, modulus: i64) -> i64 {
    (0..threads)
        .flat_map(|t| (0..iters).map(move |i| (t * 1_000_000 + i) % modulus))
        .sum()
}

#[test]
fn api_md_callbacks_as_written() -> rctypes::Result<()> {
    let lib = lib();
    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    let mul = Callback::new(&binop, |args: &[Value]| {
        Ok(Value::from(args[0].as_i64()? * args[1].as_i64()?))
    })?;
    let r = unsafe {
        lib.function("apply")?
            .argtypes([binop.clone(), CType::c_int(), CType::c_int()])
            .call(&[(&mul).into(), 6.into(), 7.into()])?
    };
    assert_eq!(r, Value::Int(42));
    assert_ne!(mul.address(), 0);
    assert_eq!(mul.prototype(), &binop);
    assert_eq!(mul.failures(), 0);
    Ok(())
}

#[test]
fn numeric_integration_with_a_double_closure() -> rctypes::Result<()> {
    let fty = CType::function(CType::c_double(), [CType::c_double()]);
    let calls = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&calls);
    let square = Callback::new(&fty, move |args| {
        counted.fetch_add(1, Ordering::Relaxed);
        let x = args[0].as_f64()?;
        Ok(Value::from(x * x))
    })?;
    let integrate = func(
        "integrate",
        [fty, CType::c_double(), CType::c_double(), CType::c_int()],
        CType::c_double(),
    );
    let r = call(
        &integrate,
        &[(&square).into(), 0.0.into(), 3.0.into(), 1000.into()],
    )?;
    // the same midpoint sum, computed the same way
    let h = 3.0 / 1000.0;
    let want = (0..1000)
        .map(|i| {
            let x = 0.0 + (f64::from(i) + 0.5) * h;
            x * x
        })
        .sum::<f64>()
        * h;
    assert_eq!(r, Value::Float(want));
    assert!((want - 9.0).abs() < 1e-5);
    assert_eq!(calls.load(Ordering::Relaxed), 1000);
    Ok(())
}

#[test]
fn results_of_every_width_are_widened_for_c() -> rctypes::Result<()> {
    let cases: [(&str, CType, i64, i64); 8] = [
        ("call_i8", CType::c_int8(), -128, -128),
        ("call_u8", CType::c_uint8(), 255, 255),
        ("call_i16", CType::c_int16(), -32768, -32768),
        ("call_u16", CType::c_uint16(), 65535, 65535),
        (
            "call_i32",
            CType::c_int32(),
            i64::from(i32::MIN),
            i64::from(i32::MIN),
        ),
        (
            "call_u32",
            CType::c_uint32(),
            i64::from(u32::MAX),
            i64::from(u32::MAX),
        ),
        ("call_bool", CType::c_bool(), 1, 1),
        ("call_char", CType::c_char(), -3, -3),
    ];
    for (name, ty, give, want) in cases {
        let proto = CType::function(ty.clone(), [CType::c_int()]);
        let cb = Callback::new(&proto, move |_| Ok(Value::Int(give)))?;
        let f = func(name, [proto, CType::c_int()], CType::c_int64());
        assert_eq!(
            call(&f, &[(&cb).into(), 0.into()])?,
            Value::Int(want),
            "{name}"
        );
        assert!(cb.take_error().is_none(), "{name}");
    }
    let p64 = CType::function(CType::c_int64(), [CType::c_int64()]);
    let neg = Callback::new(&p64, |a| Ok(Value::Int(a[0].as_i64()? - 1)))?;
    let f = func("call_i64", [p64, CType::c_int64()], CType::c_int64());
    assert_eq!(
        call(&f, &[(&neg).into(), i64::MIN.wrapping_add(1).into()])?,
        Value::Int(i64::MIN)
    );
    let pu64 = CType::function(CType::c_uint64(), [CType::c_uint64()]);
    let id = Callback::new(&pu64, |a| Ok(a[0].clone()))?;
    let f = func("call_u64", [pu64, CType::c_uint64()], CType::c_uint64());
    assert_eq!(
        call(&f, &[(&id).into(), u64::MAX.into()])?,
        Value::UInt(u64::MAX)
    );
    let pf = CType::function(CType::c_float(), [CType::c_float()]);
    let half = Callback::new(&pf, |a| Ok(Value::from(a[0].as_f64()? / 2.0)))?;
    let f = func("call_float", [pf, CType::c_float()], CType::c_double());
    assert_eq!(call(&f, &[(&half).into(), 3.0.into()])?, Value::Float(1.5));
    let pld = CType::function(CType::c_longdouble(), [CType::c_longdouble()]);
    let inc = Callback::new(&pld, |a| Ok(Value::from(a[0].as_f64()? + 0.25)))?;
    let f = func("call_ld", [pld, CType::c_double()], CType::c_double());
    assert_eq!(call(&f, &[(&inc).into(), 2.0.into()])?, Value::Float(2.25));
    Ok(())
}

#[test]
fn arguments_of_every_width_arrive_exactly() -> rctypes::Result<()> {
    let proto = every_width();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = Arc::clone(&seen);
    let cb = Callback::new(&proto, move |args| {
        // Values may hold instances, which stay on their thread: keep text
        store
            .lock()
            .unwrap()
            .extend(args.iter().map(|v| format!("{v:?}")));
        Ok(Value::Int(77))
    })?;
    let f = func("call_with_narrow", [proto], CType::c_int64());
    assert_eq!(call(&f, &[(&cb).into()])?, Value::Int(77));
    let want: Vec<String> = [
        Value::Int(-128),
        Value::UInt(255),
        Value::Int(-32768),
        Value::UInt(65535),
        Value::Int(i64::from(i32::MIN)),
        Value::UInt(u64::from(u32::MAX)),
        Value::Int(i64::MIN),
        Value::UInt(u64::MAX),
        Value::Float(1.5),
        Value::Float(-2.25),
    ]
    .iter()
    .map(|v| format!("{v:?}"))
    .collect();
    assert_eq!(*seen.lock().unwrap(), want);
    Ok(())
}

#[test]
fn structures_by_value_as_callback_arguments_and_results() -> rctypes::Result<()> {
    let point = common::point();
    let pp = CType::function(point.clone(), [point.clone()]);
    let p2 = point.clone();
    let swap = Callback::new(&pp, move |a| {
        let p = a[0].clone().into_data()?;
        CData::from_values(&p2, [p.get("y")?, p.get("x")?]).map(Value::from)
    })?;
    let map = func("map_point", [pp, point.clone()], point.clone());
    let input = CData::from_values(&point, [3, -9])?;
    let out = call(&map, &[(&swap).into(), input.into()])?.into_data()?;
    assert_eq!(
        (out.get("x")?, out.get("y")?),
        (Value::Int(-9), Value::Int(3))
    );

    let dd = CType::structure("DD")
        .field("a", CType::c_double())
        .field("b", CType::c_double())
        .build()?;
    let proto = CType::function(dd.clone(), [dd.clone(), CType::c_double()]);
    let d2 = dd.clone();
    let scale = Callback::new(&proto, move |a| {
        let s = a[0].clone().into_data()?;
        let k = a[1].as_f64()?;
        CData::from_values(&d2, [s.get("a")?.as_f64()? * k, s.get("b")?.as_f64()? * k])
            .map(Value::from)
    })?;
    let f = func(
        "sum_dd",
        [proto, CType::c_double(), CType::c_double()],
        CType::c_double(),
    );
    assert_eq!(
        call(&f, &[(&scale).into(), 3.0.into(), 5.0.into()])?,
        Value::Float(4.0)
    );

    let lll = CType::structure("LLL")
        .field("a", CType::c_longlong())
        .field("b", CType::c_longlong())
        .field("c", CType::c_longlong())
        .build()?;
    let proto = CType::function(lll.clone(), [lll.clone()]);
    let l2 = lll.clone();
    let rotate = Callback::new(&proto, move |a| {
        let s = a[0].clone().into_data()?;
        CData::from_values(&l2, [s.get("c")?, s.get("a")?, s.get("b")?]).map(Value::from)
    })?;
    let f = func(
        "sum_lll",
        [
            proto,
            CType::c_longlong(),
            CType::c_longlong(),
            CType::c_longlong(),
        ],
        CType::c_longlong(),
    );
    // out = (c, a, b) = (3, 1, 2): 3 + 10 + 200
    let r = call(&f, &[(&rotate).into(), 1.into(), 2.into(), 3.into()])?;
    assert_eq!(r, Value::Int(213));

    // a structure result returned through the hidden pointer, arguments in registers
    let proto = CType::function(
        lll.clone(),
        [
            CType::c_longlong(),
            CType::c_longlong(),
            CType::c_longlong(),
        ],
    );
    let l3 = lll.clone();
    let reverse = Callback::new(&proto, move |a| {
        CData::from_values(&l3, [a[2].clone(), a[1].clone(), a[0].clone()]).map(Value::from)
    })?;
    let f = func("build_lll", [proto], CType::c_longlong());
    // out = (3, 2, 1): 3 + 20 + 100
    assert_eq!(call(&f, &[(&reverse).into()])?, Value::Int(123));

    let odd = CType::structure("Odd")
        .field("a", CType::c_ubyte())
        .field("b", CType::c_ushort())
        .field("c", CType::c_ubyte())
        .field("d", CType::c_float())
        .build()?;
    let proto = CType::function(odd.clone(), [odd.clone(), odd.clone()]);
    let o2 = odd.clone();
    let add = Callback::new(&proto, move |a| {
        let (p, q) = (a[0].clone().into_data()?, a[1].clone().into_data()?);
        let mut fields = Vec::new();
        for name in ["a", "b", "c"] {
            fields.push(Value::UInt(p.get(name)?.as_u64()? + q.get(name)?.as_u64()?));
        }
        fields.push(Value::Float(p.get("d")?.as_f64()? + q.get("d")?.as_f64()?));
        CData::from_values(&o2, fields).map(Value::from)
    })?;
    let f = func("odd_roundtrip", [proto], CType::c_double());
    assert_eq!(
        call(&f, &[(&add).into()])?,
        Value::Float(11.0 + 22.0 + 33.0 + 45.0)
    );
    Ok(())
}

#[test]
fn callbacks_write_through_pointer_arguments() -> rctypes::Result<()> {
    let point = common::point();
    let proto = CType::function(
        CType::void(),
        [
            CType::c_int().pointer(),
            CType::c_double().pointer(),
            point.pointer(),
        ],
    );
    let cb = Callback::new(&proto, |a| {
        let (ip, dp, pp) = (
            a[0].clone().into_data()?,
            a[1].clone().into_data()?,
            a[2].clone().into_data()?,
        );
        // SAFETY: C passes pointers to its live locals of these types.
        unsafe {
            let seed = ip.read(0)?.as_i64()?;
            ip.write(0, seed * 2)?;
            dp.write(0, 0.5)?;
            let p = pp.contents()?;
            p.set("x", 3)?;
            p.set("y", 4)?;
        }
        Ok(Value::Void)
    })?;
    let f = func("call_with_out", [proto, CType::c_int()], CType::c_double());
    assert_eq!(
        call(&f, &[(&cb).into(), 21.into()])?,
        Value::Float(42.0 + 0.5 + 4300.0)
    );
    Ok(())
}

#[test]
fn callbacks_receive_strings() -> rctypes::Result<()> {
    let proto = CType::function(
        CType::c_int(),
        [CType::c_char_p(), CType::c_wchar_p(), CType::c_char_p()],
    );
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = Arc::clone(&seen);
    let cb = Callback::new(&proto, move |a| {
        store
            .lock()
            .unwrap()
            .extend(a.iter().map(|v| format!("{v:?}")));
        Ok(Value::Int(a[0].as_bytes()?.len() as i64))
    })?;
    let f = func("call_with_strings", [proto], CType::c_int());
    assert_eq!(call(&f, &[(&cb).into()])?, Value::Int(5));
    assert_eq!(
        *seen.lock().unwrap(),
        [r#"Bytes(b"hello")"#, r#"Str("wörld")"#, "Null"]
    );
    Ok(())
}

#[test]
fn qsort_with_a_rust_comparator() -> rctypes::Result<()> {
    let libc = CDll::this_process()?;
    let int_p = CType::c_int().pointer();
    let compar = CType::function(CType::c_int(), [int_p.clone(), int_p]);
    let comparisons = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&comparisons);
    let cmp = Callback::new(&compar, move |args| {
        counter.fetch_add(1, Ordering::Relaxed);
        // SAFETY: qsort passes pointers to two ints of the array.
        let (a, b) = unsafe {
            (
                args[0].clone().into_data()?.read(0)?.as_i64()?,
                args[1].clone().into_data()?.read(0)?.as_i64()?,
            )
        };
        Ok(Value::from(b.cmp(&a) as i32)) // descending
    })?;
    let qsort = libc
        .function("qsort")?
        .argtypes([
            CType::c_void_p(),
            CType::c_size_t(),
            CType::c_size_t(),
            compar,
        ])
        .restype(CType::void());
    let values: Vec<i32> = (0..200).map(|i| (i * 7919) % 1000 - 500).collect();
    let arr = CData::from_values(&CType::c_int().array(200), values.iter().copied())?;
    unsafe { qsort.call(&[(&arr).into(), 200usize.into(), 4usize.into(), (&cmp).into()])? };
    let mut want = values.clone();
    want.sort_by(|a, b| b.cmp(a));
    let got: Vec<i64> = (0..200)
        .map(|i| arr.get_index(i)?.as_i64())
        .collect::<Result<_, _>>()?;
    assert_eq!(got, want.iter().map(|&v| i64::from(v)).collect::<Vec<_>>());
    assert!(comparisons.load(Ordering::Relaxed) >= 199);
    Ok(())
}

/// 8 threads that C creates call one callback 10,000 times each, at once.
#[test]
fn eight_c_threads_call_one_callback_concurrently() -> rctypes::Result<()> {
    let calls = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&calls);
    let cb = Callback::new(&int_to_int(), move |a| {
        counted.fetch_add(1, Ordering::Relaxed);
        Ok(Value::from(a[0].as_i64()? % 1009))
    })?;
    let run = func(
        "run_threads",
        [int_to_int(), CType::c_int(), CType::c_int()],
        CType::c_longlong(),
    );
    let (threads, iters) = (8i64, 10_000i64);
    let r = call(
        &run,
        &[(&cb).into(), (threads as i32).into(), (iters as i32).into()],
    )?;
    assert_eq!(r, Value::Int(threads_total(threads, iters, 1009)));
    assert_eq!(calls.load(Ordering::Relaxed), (threads * iters) as u64);
    assert_eq!(cb.failures(), 0);
    Ok(())
}

#[test]
fn two_thousand_callbacks_created_used_and_dropped() -> rctypes::Result<()> {
    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let proto = binop();
    for k in 0..2000i64 {
        let cb = Callback::new(&proto, move |a| {
            Ok(Value::from(a[0].as_i64()? * k + a[1].as_i64()?))
        })?;
        assert_eq!(
            call(&apply, &[(&cb).into(), 3.into(), 4.into()])?,
            Value::Int(3 * k + 4)
        );
    }
    Ok(())
}

#[test]
fn an_err_from_the_closure_gives_c_a_zero_and_is_recorded() -> rctypes::Result<()> {
    let cb = Callback::new(&binop(), |a| {
        if a[0].as_i64()? < 0 {
            Err(Error::custom("negative input"))
        } else {
            Ok(Value::from(a[0].as_i64()? + 1))
        }
    })?;
    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    assert_eq!(
        call(&apply, &[(&cb).into(), (-1).into(), 0.into()])?,
        Value::Int(0)
    );
    assert_eq!(cb.failures(), 1);
    assert_eq!(cb.take_error(), Some(Error::custom("negative input")));
    assert_eq!(cb.take_error(), None, "taken once");
    // the process and the callback carry on
    assert_eq!(
        call(&apply, &[(&cb).into(), 41.into(), 0.into()])?,
        Value::Int(42)
    );

    // a result that does not fit the restype is the same kind of failure
    let bad = Callback::new(&binop(), |_| Ok(Value::Int(1 << 40)))?;
    assert_eq!(
        call(&apply, &[(&bad).into(), 1.into(), 1.into()])?,
        Value::Int(0)
    );
    let err = bad.take_error().unwrap();
    assert!(matches!(err, Error::Callback { .. }), "{err:?}");
    assert!(err.to_string().contains("does not fit in c_int"), "{err}");

    // returning a string for c_char_p would dangle: refused
    let sproto = CType::function(CType::c_char_p(), [CType::c_int()]);
    let s = Callback::new(&sproto, |_| Ok(Value::from("temporary")))?;
    let f = func("call_i64", [sproto, CType::c_int64()], CType::c_int64());
    assert_eq!(
        call(&f, &[(&s).into(), 0.into()])?,
        Value::Int(0),
        "C got NULL"
    );
    assert!(
        s.take_error()
            .unwrap()
            .to_string()
            .contains("nothing would own")
    );
    Ok(())
}

/// The child half of `a_panic_in_the_closure_is_caught`: run in its own
/// process so that whatever a panic does cannot take the test runner down.
#[test]
#[ignore = "run in a child process by a_panic_in_the_closure_is_caught"]
fn panic_child() {
    let cb = Callback::new(&binop(), |a| {
        if a[0].as_i64()? == 13 {
            panic!("unlucky number");
        }
        Ok(Value::from(a[0].as_i64()?))
    })
    .unwrap();
    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let r = call(&apply, &[(&cb).into(), 13.into(), 0.into()]).unwrap();
    let err = cb.take_error().unwrap();
    println!("CHILD result={r:?} error={err}");
    let again = call(&apply, &[(&cb).into(), 12.into(), 0.into()]).unwrap();
    println!("CHILD again={again:?}");
}

#[test]
fn a_panic_in_the_closure_is_caught() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "panic_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed: {stdout}\n{stderr}");
    // the panic hook reported it, C received 0, the error names the panic,
    // and the callback works afterwards
    assert!(stderr.contains("unlucky number"), "{stderr}");
    assert!(
        stdout.contains("CHILD result=Int(0) error=callback `CFUNCTYPE(c_int, c_int, c_int)` failed: the closure panicked: unlucky number"),
        "{stdout}"
    );
    assert!(stdout.contains("CHILD again=Int(12)"), "{stdout}");
}

#[test]
fn wrong_prototypes_are_refused_before_c_runs() -> rctypes::Result<()> {
    let err = Callback::new(&CType::c_int(), |_| Ok(Value::Void)).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("CType::function"), "{err}");
    let err = Callback::new(&CType::function(CType::c_int().array(2), []), |_| {
        Ok(Value::Void)
    })
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");

    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let other = Callback::new(&int_to_int(), |a| Ok(a[0].clone()))?;
    let err = call(&apply, &[(&other).into(), 1.into(), 2.into()]).unwrap_err();
    match &err {
        Error::Argument {
            index,
            expected,
            given,
            reason,
            ..
        } => {
            assert_eq!(*index, 0);
            assert_eq!(expected, "CFUNCTYPE(c_int, c_int, c_int)");
            assert_eq!(given, "callback CFUNCTYPE(c_int, c_int)");
            assert!(reason.contains("cannot stand for"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // a callback is not an integer
    let f = func("echo_i32", [CType::c_int32()], CType::c_int32());
    assert!(matches!(
        call(&f, &[(&other).into()]),
        Err(Error::Argument { index: 0, .. })
    ));
    Ok(())
}

#[test]
fn a_registered_callback_lives_while_the_handle_does() -> rctypes::Result<()> {
    let register = func("register_handler", [int_to_int()], CType::void());
    let unregister = func("unregister_handler", [], CType::void());
    let fire = func("fire", [CType::c_int()], CType::c_int());
    {
        let cb = Callback::new(&int_to_int(), |a| Ok(Value::from(a[0].as_i64()? + 100)))?;
        call(&register, &[(&cb).into()])?;
        assert_eq!(call(&fire, &[1.into()])?, Value::Int(101));
        assert_eq!(call(&fire, &[2.into()])?, Value::Int(102));
        // unregister before the handle goes away: C must not call it after
        call(&unregister, &[])?;
    }
    assert_eq!(call(&fire, &[3.into()])?, Value::Int(-1));

    // a registration that is never undone: keep the callback forever
    let forever: &'static Callback =
        Callback::new(&int_to_int(), |a| Ok(Value::from(a[0].as_i64()? * 3)))?.forever();
    call(&register, &[forever.into()])?;
    assert_eq!(call(&fire, &[7.into()])?, Value::Int(21));
    call(&unregister, &[])?;
    Ok(())
}

#[test]
fn errno_is_swapped_around_a_callback_with_use_errno() -> rctypes::Result<()> {
    let proto = CType::function(CType::c_int(), []);
    let through = func("errno_through", [proto.clone()], CType::c_int());
    let cb = Callback::new(&proto, |_| {
        let seen = get_errno(); // what C left in errno
        set_errno(9); // becomes C's errno when we return
        Ok(Value::from(seen))
    })?
    .use_errno(true);
    set_errno(1234);
    assert_eq!(call(&through, &[(&cb).into()])?, Value::Int(5 * 1000 + 9));
    assert_eq!(
        get_errno(),
        1234,
        "the private copy is restored after the callback"
    );

    // without use_errno, C's errno is untouched and the private copy is ours
    let plain = Callback::new(&proto, |_| {
        set_errno(9);
        Ok(Value::from(get_errno()))
    })?;
    assert_eq!(
        call(&through, &[(&plain).into()])?,
        Value::Int(9 * 1000 + 5)
    );
    Ok(())
}

#[test]
fn function_pointers_both_ways() -> rctypes::Result<()> {
    let get_op = func("get_op", [CType::c_int()], binop());
    let add = call(&get_op, &[0.into()])?.into_data()?;
    assert_eq!(add.ctype(), &binop());
    // a function pointer C returned, called from Rust
    let add_fn = unsafe { Function::from_address(Value::from(&add).as_address()?) }
        .argtypes([CType::c_int(), CType::c_int()])
        .restype(CType::c_int());
    assert_eq!(
        unsafe { add_fn.call(&[2.into(), 5.into()])? },
        Value::Int(7)
    );
    // and handed to C again
    let mul = call(&get_op, &[1.into()])?;
    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    assert_eq!(call(&apply, &[mul, 6.into(), 7.into()])?, Value::Int(42));
    assert!(call(&get_op, &[2.into()])?.is_null());

    // a function pointer field: from C's pointer, then from a Rust callback
    let folder = CType::structure("Folder")
        .field("op", binop())
        .field("seed", CType::c_int())
        .build()?;
    let fold = func(
        "fold",
        [folder.pointer(), CType::c_int().pointer(), CType::c_int()],
        CType::c_int(),
    );
    let values = CData::from_values(&CType::c_int().array(4), [1, 2, 3, 4])?;
    let f = CData::new(&folder);
    f.set("op", &add)?;
    assert_eq!(
        call(&fold, &[(&f).into(), (&values).into(), 4.into()])?,
        Value::Int(10)
    );
    {
        let max = Callback::new(&binop(), |a| Ok(a[0].as_i64()?.max(a[1].as_i64()?).into()))?;
        f.set("op", &max)?;
        f.set("seed", -100)?;
    } // the structure keeps the callback alive
    assert_eq!(
        call(&fold, &[(&f).into(), (&values).into(), 4.into()])?,
        Value::Int(4)
    );
    Ok(())
}

#[test]
fn callback_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Callback>();
}

#[test]
fn typed_callbacks_take_and_return_plain_values() -> rctypes::Result<()> {
    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let mul = Callback::typed::<fn(i32, i32) -> i32>(&binop(), |a: i32, b: i32| a * b)?;
    assert_eq!(
        call(&apply, &[(&mul).into(), 6.into(), 7.into()])?,
        Value::Int(42)
    );

    let fty = CType::function(CType::c_double(), [CType::c_double()]);
    let cube = Callback::typed::<fn(f64) -> f64>(&fty, |x: f64| x * x * x)?;
    let integrate = func(
        "integrate",
        [fty, CType::c_double(), CType::c_double(), CType::c_int()],
        CType::c_double(),
    );
    let r = call(
        &integrate,
        &[(&cube).into(), 0.0.into(), 2.0.into(), 1000.into()],
    )?
    .as_f64()?;
    assert!((r - 4.0).abs() < 1e-5, "{r}");

    // narrow results are widened for C as libffi expects
    let p = CType::function(CType::c_int8(), [CType::c_int()]);
    let neg = Callback::typed::<fn(i32) -> i8>(&p, |x: i32| -(x as i8))?;
    let f = func("call_i8", [p, CType::c_int()], CType::c_int64());
    assert_eq!(call(&f, &[(&neg).into(), 100.into()])?, Value::Int(-100));

    // every width in, from C
    let proto = every_width();
    type Wide = fn(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64) -> i64;
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let store = Arc::clone(&seen);
    let cb = Callback::typed::<Wide>(
        &proto,
        move |a: i8, b: u8, c: i16, d: u16, e: i32, f: u32, g: i64, h: u64, i: f32, j: f64| {
            *store.lock().unwrap() = format!("{a} {b} {c} {d} {e} {f} {g} {h} {i} {j}");
            77
        },
    )?;
    let f = func("call_with_narrow", [proto], CType::c_int64());
    assert_eq!(call(&f, &[(&cb).into()])?, Value::Int(77));
    assert_eq!(
        *seen.lock().unwrap(),
        format!(
            "-128 255 -32768 65535 {} {} {} {} 1.5 -2.25",
            i32::MIN,
            u32::MAX,
            i64::MIN,
            u64::MAX
        )
    );

    // from C threads, concurrently
    let calls = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&calls);
    let cb = Callback::typed::<fn(i32) -> i32>(&int_to_int(), move |x: i32| {
        counted.fetch_add(1, Ordering::Relaxed);
        x % 1009
    })?;
    let run = func(
        "run_threads",
        [int_to_int(), CType::c_int(), CType::c_int()],
        CType::c_longlong(),
    );
    let r = call(&run, &[(&cb).into(), 8.into(), 10_000.into()])?;
    assert_eq!(r, Value::Int(threads_total(8, 10_000, 1009)));
    assert_eq!(calls.load(Ordering::Relaxed), 80_000);
    Ok(())
}

#[test]
fn typed_callbacks_check_their_prototype_and_catch_panics() -> rctypes::Result<()> {
    let err = Callback::typed::<fn(i32) -> i32>(&binop(), |x: i32| x).unwrap_err();
    assert!(matches!(err, Error::Signature { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("2 argtypes are declared, the Rust signature has 1"),
        "{err}"
    );
    let err = Callback::typed::<fn(i32, i32) -> f64>(&binop(), |_: i32, _: i32| 0.0).unwrap_err();
    assert!(
        err.to_string()
            .contains("the restype is declared c_int, the Rust type is f64"),
        "{err}"
    );
    assert!(Callback::typed::<fn() -> i32>(&CType::c_int(), || 0).is_err());

    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let cb = Callback::typed::<fn(i32, i32) -> i32>(&binop(), |a: i32, b: i32| {
        assert!(a >= 0, "negative input {a}");
        a + b
    })?;
    assert_eq!(
        call(&apply, &[(&cb).into(), 1.into(), 2.into()])?,
        Value::Int(3)
    );
    assert_eq!(
        call(&apply, &[(&cb).into(), (-1).into(), 2.into()])?,
        Value::Int(0)
    );
    let err = cb.take_error().unwrap();
    assert!(err.to_string().contains("negative input -1"), "{err}");
    assert_eq!(cb.failures(), 1);
    Ok(())
}

#[test]
fn more_typed_callbacks_than_thunks_all_work_and_slots_are_reused() -> rctypes::Result<()> {
    // Typed callbacks whose arguments travel in registers are entered
    // through a pool of typed thunks; past it, through the general entry.
    // Either way each reaches its own closure, and dropped ones free room.
    let apply = func(
        "apply",
        [binop(), CType::c_int(), CType::c_int()],
        CType::c_int(),
    );
    let proto = binop();
    for round in 0..2i32 {
        let made: Vec<Callback> = (0..4200i32)
            .map(|k| {
                Callback::typed::<fn(i32, i32) -> i32>(&proto, move |a: i32, b: i32| {
                    a * k + b + round
                })
            })
            .collect::<rctypes::Result<_>>()?;
        for (k, cb) in made
            .iter()
            .enumerate()
            .step_by(97)
            .chain(made.iter().enumerate().rev().take(3))
        {
            let k = i64::try_from(k).unwrap();
            assert_eq!(
                call(&apply, &[cb.into(), 3.into(), 4.into()])?,
                Value::Int(3 * k + 4 + i64::from(round))
            );
        }
    }
    Ok(())
}

#[test]
fn typed_callbacks_swap_errno_and_take_stack_arguments() -> rctypes::Result<()> {
    let proto = CType::function(CType::c_int(), []);
    let through = func("errno_through", [proto.clone()], CType::c_int());
    let cb = Callback::typed::<fn() -> i32>(&proto, || {
        let seen = get_errno();
        set_errno(9);
        seen
    })?
    .use_errno(true);
    set_errno(1234);
    assert_eq!(call(&through, &[(&cb).into()])?, Value::Int(5 * 1000 + 9));
    assert_eq!(get_errno(), 1234);

    // seven integers: the seventh is on the stack, so not a direct entry
    let long = CType::c_long();
    let seven = CType::function(long.clone(), vec![long.clone(); 7]);
    type Seven = fn(i64, i64, i64, i64, i64, i64, i64) -> i64;
    let cb = Callback::typed::<Seven>(&seven, |a, b, c, d, e, f, g| {
        a + 10 * b + 100 * c + 1000 * d + 10_000 * e + 100_000 * f + 1_000_000 * g
    })?;
    let apply7 = func("apply7", [seven], long);
    assert_eq!(call(&apply7, &[(&cb).into()])?, Value::Int(7_654_321));
    Ok(())
}

#[test]
fn typed_callbacks_of_every_register_count_reach_their_closure() -> rctypes::Result<()> {
    // Direct entries pass their context in the first general register the
    // arguments leave free: one pool of thunks per count, 0 to 5; 6 goes
    // through the general entry. Doubles between the integers use vector
    // registers and must not shift anything.
    let (l, d) = (CType::c_long(), CType::c_double());
    // C's side: a call through the callback's address with its prototype
    fn call_it(cb: &Callback, args: &[Value]) -> rctypes::Result<Value> {
        let types: Vec<CType> = args
            .iter()
            .map(|a| match a {
                Value::Float(_) => CType::c_double(),
                _ => CType::c_long(),
            })
            .collect();
        let ret = if cb.prototype().to_string().starts_with("CFUNCTYPE(c_double") {
            CType::c_double()
        } else {
            CType::c_long()
        };
        let f = unsafe { Function::from_address(cb.address()) }
            .argtypes(types)
            .restype(ret);
        unsafe { f.call(args) }
    }
    let p0 = CType::function(d.clone(), [d.clone()]);
    let cb = Callback::typed::<fn(f64) -> f64>(&p0, |x| x * 2.0)?;
    assert_eq!(call_it(&cb, &[1.25.into()])?, Value::Float(2.5));

    let p1 = CType::function(l.clone(), [d.clone(), l.clone()]);
    let cb = Callback::typed::<fn(f64, i64) -> i64>(&p1, |x, a| x as i64 * 100 + a)?;
    assert_eq!(call_it(&cb, &[3.0.into(), 7.into()])?, Value::Int(307));

    let p3 = CType::function(l.clone(), [l.clone(), d.clone(), l.clone(), l.clone()]);
    let cb = Callback::typed::<fn(i64, f64, i64, i64) -> i64>(&p3, |a, x, b, c| {
        a + 10 * b + 100 * c + 1000 * x as i64
    })?;
    assert_eq!(
        call_it(&cb, &[1.into(), 4.0.into(), 2.into(), 3.into()])?,
        Value::Int(4321)
    );

    let p4 = CType::function(d.clone(), vec![l.clone(); 4]);
    let cb = Callback::typed::<fn(i64, i64, i64, i64) -> f64>(&p4, |a, b, c, e| {
        (a + 10 * b + 100 * c + 1000 * e) as f64
    })?;
    let args: Vec<Value> = (1..=4).map(Value::from).collect();
    assert_eq!(call_it(&cb, &args)?, Value::Float(4321.0));

    let p5 = CType::function(l.clone(), vec![l.clone(); 5]);
    let cb = Callback::typed::<fn(i64, i64, i64, i64, i64) -> i64>(&p5, |a, b, c, e, g| {
        a + 10 * b + 100 * c + 1000 * e + 10_000 * g
    })?;
    let args: Vec<Value> = (1..=5).map(Value::from).collect();
    assert_eq!(call_it(&cb, &args)?, Value::Int(54321));

    let p6 = CType::function(l.clone(), vec![l.clone(); 6]);
    type Six = fn(i64, i64, i64, i64, i64, i64) -> i64;
    let cb = Callback::typed::<Six>(&p6, |a, b, c, e, g, h| {
        a + 10 * b + 100 * c + 1000 * e + 10_000 * g + 100_000 * h
    })?;
    let args: Vec<Value> = (1..=6).map(Value::from).collect();
    assert_eq!(call_it(&cb, &args)?, Value::Int(654_321));
    Ok(())
}
