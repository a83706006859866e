//! Concurrency soak: 8 threads × 100,000 mixed calls through shared
//! `Function`s (scalars, strings, structures by value, errno), while C
//! threads call a Rust callback, and while other threads create types,
//! functions and callbacks; every result is exact.
//!
//! RCTYPES_SOAK_CALLS sets the calls per thread (the valgrind pass in
//! .ci/run uses fewer).

mod common;
use common::{call, func, lib};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use rctypes::{CData, CType, Callback, Function, Value, get_errno, set_errno};

fn calls_per_thread() -> u64 {
    std::env::var("RCTYPES_SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

struct Shared {
    add: Function,
    strlen: Function,
    point_add: Function,
    fail: Function,
    point: CType,
}

fn one_call(s: &Shared, t: u64, i: u64) -> Result<(), String> {
    let k = (t * 1_000_003 + i) as i64;
    match i % 4 {
        0 => {
            let a = (k % 1_000_000) as i32;
            let r = call(&s.add, &[a.into(), (-7).into()]).map_err(|e| e.to_string())?;
            if r != Value::Int(i64::from(a) - 7) {
                return Err(format!("add: {r:?}"));
            }
        }
        1 => {
            let text = "x".repeat((k % 50) as usize);
            let r = call(&s.strlen, &[text.as_str().into()]).map_err(|e| e.to_string())?;
            if r != Value::UInt(text.len() as u64) {
                return Err(format!("strlen: {r:?}"));
            }
        }
        2 => {
            let a =
                CData::from_values(&s.point, [(k % 1000) as i32, 1]).map_err(|e| e.to_string())?;
            let b =
                CData::from_values(&s.point, [2, (k % 777) as i32]).map_err(|e| e.to_string())?;
            let r = call(&s.point_add, &[a.into(), b.into()])
                .and_then(Value::into_data)
                .map_err(|e| e.to_string())?;
            let (x, y) = (
                r.get("x").map_err(|e| e.to_string())?,
                r.get("y").map_err(|e| e.to_string())?,
            );
            if (x, y) != (Value::Int(k % 1000 + 2), Value::Int(1 + k % 777)) {
                return Err(format!("point_add: {r:?}"));
            }
        }
        _ => {
            let e = (k % 120 + 1) as i32;
            set_errno(0);
            let r = call(&s.fail, &[e.into()]).map_err(|e| e.to_string())?;
            if r != Value::Int(-1) || get_errno() != e {
                return Err(format!("errno: {r:?}, {}", get_errno()));
            }
        }
    }
    Ok(())
}

#[test]
fn mixed_calls_from_eight_threads_while_c_threads_call_back() {
    let n = calls_per_thread();
    let point = common::point();
    let shared = Arc::new(Shared {
        add: func("add", [CType::c_int(), CType::c_int()], CType::c_int()),
        strlen: func("my_strlen", [CType::c_char_p()], CType::c_size_t()),
        point_add: func("point_add", [point.clone(), point.clone()], point.clone()),
        fail: func("fail_with_errno", [CType::c_int()], CType::c_int()).use_errno(true),
        point,
    });
    let int_to_int = CType::function(CType::c_int(), [CType::c_int()]);
    let callback_calls = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&callback_calls);
    let cb = Callback::new(&int_to_int, move |a| {
        counted.fetch_add(1, Ordering::Relaxed);
        Ok(Value::from(a[0].as_i64()? % 97))
    })
    .unwrap();
    let run_threads = func(
        "run_threads",
        [int_to_int, CType::c_int(), CType::c_int()],
        CType::c_longlong(),
    );

    let start = Arc::new(Barrier::new(9));
    let mut workers = Vec::new();
    for t in 0..8u64 {
        let shared = Arc::clone(&shared);
        let start = Arc::clone(&start);
        workers.push(thread::spawn(move || {
            start.wait();
            for i in 0..n {
                one_call(&shared, t, i).map_err(|e| format!("thread {t}, call {i}: {e}"))?;
            }
            Ok::<(), String>(())
        }));
    }
    // meanwhile C creates 4 threads that call the callback
    let (c_threads, c_iters) = (4i64, (n / 10).max(100) as i64);
    start.wait();
    let total = call(
        &run_threads,
        &[
            (&cb).into(),
            (c_threads as i32).into(),
            (c_iters as i32).into(),
        ],
    )
    .unwrap();
    for w in workers {
        w.join().unwrap().unwrap();
    }
    let want: i64 = (0..c_threads)
        .flat_map(|t| (0..c_iters).map(move |i| (t * 1_000_000 + i) % 97))
        .sum();
    assert_eq!(total, Value::Int(want));
    assert_eq!(
        callback_calls.load(Ordering::Relaxed),
        (c_threads * c_iters) as u64
    );
    assert_eq!(cb.failures(), 0);
}

/// Types, functions and callbacks made from many threads at once, each used
/// right away; prepared call interfaces are shared safely between threads.
#[test]
fn creating_types_functions_and_callbacks_from_many_threads() {
    let rounds = (calls_per_thread() / 500).clamp(20, 200);
    let apply = func(
        "apply",
        [
            CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]),
            CType::c_int(),
            CType::c_int(),
        ],
        CType::c_int(),
    );
    let start = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8i64)
        .map(|t| {
            let apply = apply.clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for r in 0..rounds as i64 {
                    // a fresh record type and layout
                    let ty = CType::structure(&format!("S{t}_{r}"))
                        .field("a", CType::c_char())
                        .bitfield("b", CType::c_int(), 5)
                        .field("c", CType::c_double())
                        .build()
                        .unwrap();
                    assert_eq!((ty.size(), ty.align()), (16, 8));
                    // a fresh function handle, prepared on first call
                    let add = lib()
                        .function("add")
                        .unwrap()
                        .argtypes([CType::c_int(), CType::c_int()])
                        .restype(CType::c_int());
                    assert_eq!(
                        call(&add, &[(t as i32).into(), (r as i32).into()]).unwrap(),
                        Value::Int(t + r)
                    );
                    // a fresh callback, called by C through a shared Function
                    let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
                    let cb = Callback::new(&binop, move |a| {
                        Ok(Value::from(a[0].as_i64()? * t - a[1].as_i64()?))
                    })
                    .unwrap();
                    assert_eq!(
                        call(&apply, &[(&cb).into(), 3.into(), (r as i32).into()]).unwrap(),
                        Value::Int(3 * t - r)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}
