//! errno with ctypes semantics, errcheck hooks, and concurrent calls.

mod common;
use common::{call, func, lib};
use rctypes::{CDll, CType, Error, Function, OpenOptions, Value, get_errno, set_errno};

#[test]
fn errno_set_by_c_is_captured_privately() {
    let fail = func("fail_with_errno", [CType::c_int()], CType::c_int()).use_errno(true);
    set_errno(0);
    assert_eq!(call(&fail, &[ENOENT.into()]).unwrap(), Value::Int(-1));
    assert_eq!(get_errno(), ENOENT);
    // set_errno returns the old value and only touches the private copy
    assert_eq!(set_errno(0), ENOENT);
    assert_eq!(get_errno(), 0);
}

/// ENOENT on Linux.
const ENOENT: i32 = 2;

#[test]
fn private_errno_is_what_c_sees_and_real_errno_is_restored() {
    let read = func("read_errno", [], CType::c_int()).use_errno(true);
    set_errno(33);
    assert_eq!(
        call(&read, &[]).unwrap(),
        Value::Int(33),
        "C sees the private copy"
    );
    // Without use_errno C sees the real errno, which the swap restored; it is
    // not the private 33.
    let read_plain = func("read_errno", [], CType::c_int());
    set_errno(77);
    let seen = call(&read_plain, &[]).unwrap().as_i64().unwrap();
    assert_ne!(seen, 77);
    assert_eq!(
        get_errno(),
        77,
        "a call without use_errno leaves the private copy alone"
    );
}

#[test]
fn errno_is_per_thread() {
    let fail = func("fail_with_errno", [CType::c_int()], CType::c_int()).use_errno(true);
    let handles: Vec<_> = (1..=8)
        .map(|t| {
            let fail = fail.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let e = t * 1000 + i;
                    call(&fail, &[e.into()]).unwrap();
                    assert_eq!(get_errno(), e);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn use_errno_from_open_options() {
    // SAFETY: the fixture library's initialisers are safe to run.
    let lib2 =
        unsafe { CDll::open_with(common::FIXTURE, &OpenOptions::new().use_errno(true)) }.unwrap();
    let fail = lib2
        .function("fail_with_errno")
        .unwrap()
        .argtypes([CType::c_int()]);
    call(&fail, &[5.into()]).unwrap();
    assert_eq!(get_errno(), 5);
}

#[test]
fn errcheck_sees_result_and_args_and_can_fail() {
    let checked = lib()
        .function("checked")
        .unwrap()
        .argtypes([CType::c_int()])
        .errcheck(|result, args| {
            if result.as_i64()? < 0 {
                Err(Error::custom(format!(
                    "checked({}) failed",
                    args[0].as_i64()?
                )))
            } else {
                Ok(Value::Int(result.as_i64()? + 1))
            }
        });
    assert_eq!(call(&checked, &[20.into()]).unwrap(), Value::Int(41));
    let err = call(&checked, &[(-3).into()]).unwrap_err();
    assert_eq!(err, Error::Custom("checked(-3) failed".into()));
    assert_eq!(err.to_string(), "checked(-3) failed");
}

#[test]
fn function_cdll_ctype_error_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CDll>();
    assert_send_sync::<Function>();
    assert_send_sync::<CType>();
    assert_send_sync::<Error>();
}

#[test]
fn eight_threads_call_one_function_at_once() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int());
    let mixed = func("sum6_d", vec![CType::c_double(); 6], CType::c_double());
    let strlen = func("my_strlen", [CType::c_char_p()], CType::c_size_t());
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8i64)
        .map(|t| {
            let (add, mixed, strlen, barrier) =
                (add.clone(), mixed.clone(), strlen.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut total = 0i64;
                for i in 0..5_000i64 {
                    let r = call(&add, &[(t * 100_000 + i).into(), i.into()]).unwrap();
                    assert_eq!(r, Value::Int(t * 100_000 + 2 * i));
                    total += r.as_i64().unwrap();
                    if i % 50 == 0 {
                        let x = (t * 10 + i) as f64;
                        let args: Vec<Value> =
                            (0..6).map(|k| Value::Float(x + f64::from(k))).collect();
                        assert_eq!(call(&mixed, &args).unwrap(), Value::Float(6.0 * x + 15.0));
                        let s = "x".repeat((t + i % 7) as usize);
                        assert_eq!(
                            call(&strlen, &[s.as_str().into()]).unwrap(),
                            Value::UInt(s.len() as u64)
                        );
                    }
                }
                total
            })
        })
        .collect();
    let totals: Vec<i64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (t, total) in totals.iter().enumerate() {
        let t = t as i64;
        assert_eq!(
            *total,
            (0..5_000i64).map(|i| t * 100_000 + 2 * i).sum::<i64>()
        );
    }
}
