//! A call whose arguments and result are scalars or pointers allocates
//! nothing: a counting global allocator proves it, for the register call
//! plan and for the libffi path (CI runs this file with the plan off too),
//! with and without errno swapping. So do structure results written into an
//! instance the caller provides (`call_into`, in registers and through the
//! hidden pointer), prepared calls, callbacks called from C (with `Value`s
//! and typed) and field handles.

mod common;
use common::{call, func};

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rctypes::{CData, CType, Value, byref, create_string_buffer};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Calls `f` once to prepare it, then 100 times counting allocations.
fn assert_no_alloc(what: &str, f: &rctypes::Function, args: &[Value], want: &Value) {
    assert_eq!(&call(f, args).unwrap(), want, "{what}");
    let before = allocations();
    for _ in 0..100 {
        let r = call(f, args).unwrap();
        assert_eq!(&r, want);
    }
    assert_eq!(allocations() - before, 0, "{what} allocated");
}

#[test]
fn scalar_and_pointer_calls_do_not_allocate() {
    let c_int = CType::c_int;
    // the register plan
    assert_no_alloc(
        "add",
        &func("add", [c_int(), c_int()], c_int()),
        &[5.into(), 3.into()],
        &Value::Int(8),
    );
    assert_no_alloc(
        "add_d",
        &func("add_d", vec![CType::c_double(); 2], CType::c_double()),
        &[1.5.into(), 2.0.into()],
        &Value::Float(3.5),
    );
    assert_no_alloc(
        "i8_from_int",
        &func("i8_from_int", [c_int()], CType::c_int8()),
        &[0x1ff.into()],
        &Value::Int(-1),
    );
    let buf = create_string_buffer("hello");
    assert_no_alloc(
        "my_strlen(buffer)",
        &func("my_strlen", [CType::c_char_p()], CType::c_size_t()),
        &[(&buf).into()],
        &Value::UInt(5),
    );
    let arr = CData::from_values(&c_int().array(3), [1, 2, 3]).unwrap();
    assert_no_alloc(
        "sum_ints_array(array)",
        &func(
            "sum_ints_array",
            [c_int().pointer(), c_int()],
            CType::c_long(),
        ),
        &[(&arr).into(), 3.into()],
        &Value::Int(6),
    );
    assert_no_alloc(
        "echo_str -> c_void_p",
        &func("echo_str", [CType::c_void_p()], CType::c_void_p()),
        &[Value::Pointer(buf.address())],
        &Value::Pointer(buf.address()),
    );
    let out = CData::new(&c_int());
    assert_no_alloc(
        "get(byref)",
        &func("get", [c_int().pointer()], CType::void()),
        &[byref(&out)],
        &Value::Void,
    );
    assert_no_alloc(
        "fail_with_errno (use_errno)",
        &func("fail_with_errno", [c_int()], c_int()).use_errno(true),
        &[5.into()],
        &Value::Int(-1),
    );
    // the libffi path: twelve 64-bit integers (six go on the stack), long double
    let many = func("many_ints", vec![CType::c_int64(); 12], CType::c_int64());
    let args: Vec<Value> = (1..=12).map(Value::Int).collect();
    let want = (1..=12).map(|i: i64| i * i).sum::<i64>();
    assert_no_alloc("many_ints (libffi)", &many, &args, &Value::Int(want));
    assert_no_alloc(
        "add_ld (libffi)",
        &func(
            "add_ld",
            vec![CType::c_longdouble(); 2],
            CType::c_longdouble(),
        ),
        &[0.5.into(), 0.25.into()],
        &Value::Float(0.75),
    );
}

#[test]
fn typed_calls_do_not_allocate() {
    let add = func("add", [CType::c_int(), CType::c_int()], CType::c_int())
        .typed::<fn(i32, i32) -> i32>()
        .unwrap();
    let before = allocations();
    let total: i64 = (0..1000)
        .map(|i| i64::from(unsafe { add.call(i, 1) }))
        .sum();
    assert_eq!(allocations() - before, 0);
    assert_eq!(total, (1..=1000).sum::<i64>());
}

/// Counts the allocations of `n` runs of `f` (after one warm-up run).
fn count(n: usize, mut f: impl FnMut()) -> usize {
    f();
    let before = allocations();
    for _ in 0..n {
        f();
    }
    allocations() - before
}

#[test]
fn aggregate_results_into_caller_instances_do_not_allocate() {
    let c_int = CType::c_int();
    let point = CType::structure("Point")
        .field("x", c_int.clone())
        .field("y", c_int.clone())
        .build()
        .unwrap();
    let long = CType::c_long();
    let s24 = CType::structure("S24")
        .field("a", long.clone())
        .field("b", long.clone())
        .field("c", long.clone())
        .build()
        .unwrap();
    for plan in ["register result", "hidden-pointer result"] {
        let (f, ty, arg) = match plan {
            "register result" => {
                let a = CData::from_values(&point, [1, 2]).unwrap();
                (
                    func("point_add", [point.clone(), point.clone()], point.clone()),
                    point.clone(),
                    vec![Value::from(&a), Value::from(&a)],
                )
            }
            _ => {
                let a = CData::from_values(&s24, [1, 2, 3]).unwrap();
                (
                    func("s24_next", [s24.clone()], s24.clone()),
                    s24.clone(),
                    vec![Value::from(&a)],
                )
            }
        };
        let out = CData::new(&ty);
        // SAFETY: the declarations are the fixtures' signatures.
        let n = count(100, || {
            unsafe { f.call_into(&arg, &out) }.unwrap();
        });
        assert_eq!(n, 0, "{plan}: call_into allocated");
        match plan {
            "register result" => assert_eq!(
                out.to_bytes(),
                CData::from_values(&point, [2, 4]).unwrap().to_bytes()
            ),
            _ => assert_eq!(out.get("c").unwrap(), Value::Int(4)),
        }
    }
}

#[test]
fn prepared_calls_callbacks_and_field_handles_do_not_allocate() {
    let int = CType::c_int();
    // a prepared call: setters and the call
    let add = func("add", [int.clone(), int.clone()], int.clone());
    let mut p = add.prepared().unwrap();
    let mut total = 0;
    let n = count(100, || {
        p.set_i64(0, 2).set_i64(1, 3);
        // SAFETY: int add(int, int).
        total += unsafe { p.call_i64() }.unwrap();
    });
    assert_eq!((n, total), (0, 5 * 101));

    // callbacks called from C, with Values and typed
    let binop = CType::function(int.clone(), [int.clone(), int.clone()]);
    let call_loop = func(
        "call_loop",
        [binop.clone(), int.clone()],
        CType::c_longlong(),
    );
    let values =
        rctypes::Callback::new(&binop, |a| Ok(Value::from(a[0].as_i64()? + a[1].as_i64()?)))
            .unwrap();
    let typed = rctypes::Callback::typed::<fn(i32, i32) -> i32>(&binop, |a, b| a + b).unwrap();
    for cb in [&values, &typed] {
        let arg = Value::from(cb);
        // SAFETY: as below (the first call prepares the signature).
        unsafe { call_loop.call(&[arg.clone(), 1.into()]) }.unwrap();
        let before = allocations();
        // SAFETY: long long call_loop(int (*)(int, int), int).
        let r = unsafe { call_loop.call(&[arg.clone(), 1000.into()]) }.unwrap();
        assert_eq!(allocations() - before, 0, "1,000 callback calls allocated");
        assert_eq!(r, Value::Int((0..1000).map(|i| i + 1).sum()));
    }

    // field handles
    let point = CType::structure("Point")
        .field("x", int.clone())
        .field("y", int)
        .build()
        .unwrap();
    let (x, y) = (
        point.field_handle("x").unwrap(),
        point.field_handle("y").unwrap(),
    );
    let pt = CData::from_values(&point, [1, 2]).unwrap();
    let n = count(100, || {
        let v = x.get(&pt).unwrap();
        y.set(&pt, v).unwrap();
    });
    assert_eq!(n, 0, "field handles allocated");
    assert_eq!(pt.get("y").unwrap(), Value::Int(1));
}
