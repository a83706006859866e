//! The typed façade: `Function::typed::<fn(..) -> R>()` checked against the
//! declaration once, then called with plain Rust values.

mod common;
use common::func;

use rctypes::{CType, Error, Function, Typed, get_errno, set_errno};

#[test]
fn typed_calls_give_exact_results() -> rctypes::Result<()> {
    let add =
        func("add", vec![CType::c_int(); 2], CType::c_int()).typed::<fn(i32, i32) -> i32>()?;
    assert_eq!(unsafe { add.call(5, 3) }, 8);
    assert_eq!(unsafe { add.call(i32::MAX, 0) }, i32::MAX);

    let narrow = func("i8_from_int", [CType::c_int()], CType::c_int8()).typed::<fn(i32) -> i8>()?;
    assert_eq!(unsafe { narrow.call(0x1ff) }, -1);
    let u64s =
        func("echo_u64", [CType::c_uint64()], CType::c_uint64()).typed::<fn(u64) -> u64>()?;
    assert_eq!(unsafe { u64s.call(u64::MAX) }, u64::MAX);
    let size =
        func("echo_size", [CType::c_size_t()], CType::c_size_t()).typed::<fn(usize) -> usize>()?;
    assert_eq!(unsafe { size.call(usize::MAX - 1) }, usize::MAX - 1);
    let even = func("is_even", [CType::c_int()], CType::c_bool()).typed::<fn(i32) -> bool>()?;
    assert!(unsafe { even.call(4) });
    let next = func("next_char", [CType::c_char()], CType::c_char()).typed::<fn(u8) -> u8>()?;
    assert_eq!(unsafe { next.call(b'a') }, b'b');
    let add_f = func("add_f", vec![CType::c_float(); 2], CType::c_float())
        .typed::<fn(f32, f32) -> f32>()?;
    assert_eq!(unsafe { add_f.call(1.5, 0.25) }, 1.75);

    let strlen = func("my_strlen", [CType::c_char_p()], CType::c_size_t())
        .typed::<fn(*const u8) -> usize>()?;
    assert_eq!(unsafe { strlen.call(c"typed".as_ptr().cast()) }, 5);
    assert_eq!(unsafe { strlen.call(std::ptr::null()) }, usize::MAX);
    let get = func("get", [CType::c_int().pointer()], CType::void()).typed::<fn(*mut i32)>()?;
    let mut out = 0i32;
    unsafe { get.call(&mut out) };
    assert_eq!(out, 1234);

    let mixed = func(
        "mixed12",
        [
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
        ],
        CType::c_double(),
    )
    .typed::<fn(i32, f64, i64, f32, i16, f64, i64, f32, u8, f64, i32, f64) -> f64>()?;
    let r = unsafe { mixed.call(1, 2.0, 3, 4.0, 5, 6.0, 7, 8.0, 9, 10.0, 11, 12.0) };
    assert_eq!(r, 78.0);
    let noop = func("noop", [], CType::void()).typed::<fn()>()?;
    unsafe { noop.call() };
    Ok(())
}

#[test]
fn typed_calls_swap_errno_when_asked() -> rctypes::Result<()> {
    let fail = func("fail_with_errno", [CType::c_int()], CType::c_int())
        .use_errno(true)
        .typed::<fn(i32) -> i32>()?;
    set_errno(0);
    assert_eq!(unsafe { fail.call(7) }, -1);
    assert_eq!(get_errno(), 7);
    Ok(())
}

#[test]
fn mismatches_are_refused_naming_the_difference() {
    let add = func("add", vec![CType::c_int(); 2], CType::c_int());
    let cases: Vec<(rctypes::Result<()>, &str)> = vec![
        (
            add.typed::<fn(i32) -> i32>().map(drop),
            "2 argtypes are declared, the Rust signature has 1 parameters",
        ),
        (
            add.typed::<fn(i32, i64) -> i32>().map(drop),
            "argument 1 is declared c_int, the Rust type is i64",
        ),
        (
            add.typed::<fn(u32, i32) -> i32>().map(drop),
            "argument 0 is declared c_int, the Rust type is u32",
        ),
        (
            add.typed::<fn(i32, f32) -> i32>().map(drop),
            "argument 1 is declared c_int, the Rust type is f32",
        ),
        (
            add.typed::<fn(i32, i32) -> f64>().map(drop),
            "the restype is declared c_int, the Rust type is f64",
        ),
        (
            add.typed::<fn(i32, i32)>().map(drop),
            "the restype is declared c_int, the Rust type is ()",
        ),
        (
            add.typed::<fn(i32, *const u8) -> i32>().map(drop),
            "argument 1 is declared c_int, the Rust type is *const T",
        ),
    ];
    for (outcome, message) in cases {
        let err = outcome.unwrap_err();
        assert!(matches!(err, Error::Signature { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with("the typed signature of `add` does not match its declaration"),
            "{text}"
        );
        assert!(text.contains(message), "{text}");
    }
    // what has no fixed signature
    let lib = common::lib();
    let undeclared = lib.function("add").unwrap();
    assert!(
        undeclared
            .typed::<fn(i32, i32) -> i32>()
            .unwrap_err()
            .to_string()
            .contains("declare argtypes")
    );
    let variadic = lib
        .function("sum_ints")
        .unwrap()
        .argtypes([CType::c_int()])
        .variadic();
    assert!(
        variadic
            .typed::<fn(i32) -> i32>()
            .unwrap_err()
            .to_string()
            .contains("variadic")
    );
    let checked = add.clone().errcheck(|r, _| Ok(r));
    assert!(
        checked
            .typed::<fn(i32, i32) -> i32>()
            .unwrap_err()
            .to_string()
            .contains("errcheck")
    );
    let null = unsafe { Function::from_address(0) }
        .argtypes([])
        .restype(CType::void());
    assert!(
        null.typed::<fn()>()
            .unwrap_err()
            .to_string()
            .contains("address 0")
    );
}

#[test]
fn typed_functions_are_send_and_sync_and_keep_their_library() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Typed<fn(i32, i32) -> i32>>();
    let add = func("add", vec![CType::c_int(); 2], CType::c_int())
        .typed::<fn(i32, i32) -> i32>()
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let add = add.clone();
            std::thread::spawn(move || {
                (0..10_000)
                    .map(|i| i64::from(unsafe { add.call(i, t) }))
                    .sum::<i64>()
            })
        })
        .collect();
    let total: i64 = threads.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 4 * (0..10_000i64).sum::<i64>() + 10_000 * 6);
    assert_eq!(add.function().name(), "add");
}
