//! Shared by the integration tests: the fixture library built from fixtures-c/.
#![allow(dead_code)]

pub mod cprobe;
pub mod oracle;

use once_cell::sync::Lazy;
use rctypes::{CDll, CType, Function, Value};

/// Path of the fixture library that build.rs compiled.
pub const FIXTURE: &str = env!("RCTYPES_FIXTURE_LIB");

static LIB: Lazy<CDll> = Lazy::new(|| {
    // SAFETY: the fixture library has no initialisers with requirements.
    unsafe { CDll::open(FIXTURE) }.expect("the fixture library loads")
});

/// The fixture library, loaded once per test binary.
pub fn lib() -> CDll {
    LIB.clone()
}

/// A fixture function with a declared signature.
pub fn func(name: &str, args: impl IntoIterator<Item = CType>, ret: CType) -> Function {
    lib()
        .function(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .argtypes(args)
        .restype(ret)
}

/// `typedef struct { int x, y; } Point;`, as the fixtures declare it.
pub fn point() -> CType {
    CType::structure("Point")
        .field("x", CType::c_int())
        .field("y", CType::c_int())
        .build()
        .expect("Point is a valid declaration")
}

/// Calls a fixture function whose signature the test declared correctly.
pub fn call(f: &Function, args: &[Value]) -> rctypes::Result<Value> {
    // SAFETY: every test declares the fixture function's real C signature.
    unsafe { f.call(args) }
}

/// Asserts that `r` is the refusal of a signature libffi passes wrongly, as
/// a build without the crate's call plan (the `call-plan` feature) gives it
/// instead of a wrong call.
pub fn assert_refused_without_plan<T: std::fmt::Debug>(r: rctypes::Result<T>) {
    match r {
        Err(e @ rctypes::Error::Unsupported { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("libffi passes this signature wrongly") && text.contains("call-plan"),
                "{text}"
            );
        }
        other => panic!("expected the refusal of a build without the call plan, got {other:?}"),
    }
}
