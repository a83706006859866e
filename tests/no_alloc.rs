//! A call whose arguments and result are scalars or pointers allocates
//! nothing: a counting global allocator proves it, for the register call
//! plan and for the libffi path (signatures that need the stack or the x87
//! unit always take it), with and without errno swapping.

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
