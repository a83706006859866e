//! Signatures that some libffi versions pass wrongly
//! (fixtures-c/libffi_bugs.c), called through whichever call path this run
//! uses (the call plan, or libffi with `RCTYPES_CALL_PLAN=off`).
//!
//! With the bundled libffi (the default) every case must come back right on
//! both paths, and with the call plan on whatever libffi is linked. With the
//! `system-libffi` feature, the plan off, and a libffi older than 3.4.7
//! (Debian 12 ships 3.4.4), these calls come back wrong: the test then
//! reports which instead of failing (README, "Cargo features").

mod common;
use common::{call, func};
use rctypes::{CData, CType, Value};

/// `typedef struct { signed char x; double y; } CharDouble;`: its first
/// eightbyte is INTEGER, its second SSE.
fn char_double() -> CType {
    CType::structure("CharDouble")
        .field("x", CType::c_byte())
        .field("y", CType::c_double())
        .build()
        .unwrap()
}

/// Whether this run's calls use the call plan: compiled in (the
/// `call-plan` feature) and not turned off (see .ci/run).
fn plan_on() -> bool {
    cfg!(feature = "call-plan") && std::env::var("RCTYPES_CALL_PLAN").map_or(true, |v| v != "off")
}

/// libffi #574: five `signed char`s fill five integer registers, a `float`
/// goes to xmm0, and the structure's first eightbyte to the sixth integer
/// register; libffi before 3.4.7 overwrote xmm0 while placing it. Also with
/// one more `int`, which goes on the stack.
#[test]
fn libffi_574_a_mixed_structure_in_the_sixth_integer_register() {
    let ty = char_double();
    let s = CData::new(&ty);
    s.set("x", 6).unwrap();
    s.set("y", 7.5).unwrap();
    let mut argtypes = vec![CType::c_byte(); 5];
    argtypes.extend([CType::c_float(), ty]);
    let mut args: Vec<Value> = (1..=5).map(Value::from).collect();
    args.extend([Value::from(1234.5), Value::from(&s)]);

    let cases = [
        ("libffi_574", None),
        ("libffi_574_stack", Some((CType::c_int(), Value::from(8)))),
    ];
    let mut wrong = Vec::new();
    for (name, extra) in cases {
        let (extra_type, extra_arg) = extra.unzip();
        let f = func(
            name,
            argtypes.iter().cloned().chain(extra_type),
            CType::c_float(),
        );
        let values: Vec<Value> = args.iter().cloned().chain(extra_arg).collect();
        let got = call(&f, &values).unwrap().as_f64().unwrap();
        // The bundled libffi is fixed; a system one may not be, but the
        // call plan makes every call on x86-64 without libffi.
        let must_be_right = !cfg!(feature = "system-libffi") || plan_on();
        if must_be_right {
            assert_eq!(got, 1234.5, "{name}");
        } else if got != 1234.5 {
            wrong.push(format!("{name} returned {got}, not 1234.5"));
        }
    }
    if !wrong.is_empty() {
        eprintln!("the system libffi mis-passes these (libffi #574, fixed in 3.4.7): {wrong:?}");
    }
}
