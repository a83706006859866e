//! A library stays loaded while any Function or instance taken from it is
//! alive, and is unloaded when the last one goes. This binary loads the
//! fixture library only through the handles below (no shared static), and
//! watches /proc/self/maps.

use rctypes::{CDll, CType, Value};

const FIXTURE: &str = env!("RCTYPES_FIXTURE_LIB");

fn mapped() -> bool {
    std::fs::read_to_string("/proc/self/maps")
        .expect("/proc/self/maps is readable on Linux")
        .contains(FIXTURE)
}

#[test]
fn functions_and_variables_keep_their_library_loaded() {
    assert!(!mapped(), "nothing has loaded the fixture yet");
    // SAFETY: the fixture library's initialisers are safe to run.
    let lib = unsafe { CDll::open(FIXTURE) }.unwrap();
    assert!(mapped());
    let add = lib
        .function("add")
        .unwrap()
        .argtypes([CType::c_int(), CType::c_int()]);
    // SAFETY: `counter` is an int.
    let counter = unsafe { lib.variable("counter", &CType::c_int()) }.unwrap();
    drop(lib);
    assert!(mapped(), "the Function and the variable hold the library");
    // SAFETY: add(int, int) -> int.
    assert_eq!(
        unsafe { add.call(&[2.into(), 3.into()]) }.unwrap(),
        Value::Int(5)
    );
    drop(add);
    assert!(mapped(), "the variable still holds it");
    assert_eq!(counter.value().unwrap(), Value::Int(42));
    drop(counter);
    assert!(!mapped(), "the last handle unloaded it");
}
