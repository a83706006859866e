//! Loads the fixture library that build.rs compiled from fixtures-c/, declares
//! a few of its functions at run time, calls them and prints the results.
//!
//! Run with `cargo run --example quickstart`.

use rctypes::{CData, CDll, CType, Value, byref, find_library, get_errno, string_at};

fn main() -> rctypes::Result<()> {
    let path = env!("RCTYPES_FIXTURE_LIB");
    // SAFETY: the fixture library has no initialisers with requirements.
    let lib = unsafe { CDll::open(path)? };
    println!("loaded {}", lib.name());

    // int add(int, int)
    let add = lib
        .function("add")?
        .argtypes([CType::c_int(), CType::c_int()])
        .restype(CType::c_int());
    // SAFETY (for every call below): the declared signature is the C one.
    let sum = unsafe { add.call(&[5.into(), 3.into()])? };
    println!("add(5, 3) = {sum}"); // Value is Display

    // double sum6_d(double, double, double, double, double, double)
    let sum6 = lib
        .function("sum6_d")?
        .argtypes(vec![CType::c_double(); 6])
        .restype(CType::c_double());
    let args: Vec<Value> = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5].map(Value::from).to_vec();
    println!("sum6_d(0.5 .. 5.5) = {}", unsafe { sum6.call(&args)? });

    // const char *greeting(void) and size_t my_strlen(const char *)
    let greeting = lib
        .function("greeting")?
        .argtypes([])
        .restype(CType::c_char_p());
    let text = unsafe { greeting.call(&[])? };
    println!("greeting() = {:?}", text.as_str()?);
    let strlen = lib
        .function("my_strlen")?
        .argtypes([CType::c_char_p()])
        .restype(CType::c_size_t());
    let n = unsafe { strlen.call(&["rctypes".into()])? };
    println!("my_strlen(\"rctypes\") = {n}");

    // int divmod(int, int, int *q, int *r): out-parameters through byref
    let int_p = CType::c_int().pointer();
    let divmod = lib
        .function("divmod")?
        .argtypes([CType::c_int(), CType::c_int(), int_p.clone(), int_p])
        .restype(CType::c_int());
    let (q, r) = (CData::new(&CType::c_int()), CData::new(&CType::c_int()));
    unsafe { divmod.call(&[17.into(), 5.into(), byref(&q), byref(&r)])? };
    println!("divmod(17, 5) = ({}, {})", q.value()?, r.value()?);

    // void *make_buffer(const char *, int) + free_buffer(void *): C owns the memory
    let make = lib
        .function("make_buffer")?
        .argtypes([CType::c_char_p(), CType::c_int()])
        .restype(CType::c_void_p());
    let free = lib
        .function("free_buffer")?
        .argtypes([CType::c_void_p()])
        .restype(CType::void());
    let buf = unsafe { make.call(&["ab".into(), 3.into()])? };
    // SAFETY: make_buffer returned a live NUL-terminated buffer.
    let bytes = unsafe { string_at(buf.as_address()?, None) };
    println!(
        "make_buffer(\"ab\", 3) = {:?}",
        String::from_utf8_lossy(&bytes)
    );
    unsafe { free.call(&[buf])? };

    // int sum_ints(int n, ...): a variadic call
    let sum_ints = lib
        .function("sum_ints")?
        .argtypes([CType::c_int()])
        .variadic();
    let total = unsafe { sum_ints.call(&[3.into(), 10.into(), 20.into(), 12.into()])? };
    println!("sum_ints(3, 10, 20, 12) = {total}");

    // errno, captured with ctypes' semantics
    let fail = lib
        .function("fail_with_errno")?
        .argtypes([CType::c_int()])
        .use_errno(true);
    unsafe { fail.call(&[2.into()])? };
    println!("after fail_with_errno(2): get_errno() = {}", get_errno());

    // cos from libm, found the way ctypes.util.find_library does
    if let Some(libm_name) = find_library("m") {
        // SAFETY: libm's initialisers are safe to run.
        let libm = unsafe { CDll::open(&libm_name)? };
        let cos = libm
            .function("cos")?
            .argtypes([CType::c_double()])
            .restype(CType::c_double());
        let one = unsafe { cos.call(&[0.0.into()])? };
        println!("{}: cos(0) = {one}", libm_name.display());
    }

    // a mistake caught before C runs
    match unsafe { add.call(&[1.into(), (1i64 << 40).into()]) } {
        Err(e) => println!("add(1, 2**40) -> error: {e}"),
        Ok(v) => println!("add(1, 2**40) unexpectedly gave {v:?}"),
    }
    Ok(())
}
