//! Strings and memory, the ctypes way: immutable strings are copied for the
//! call, mutable buffers are shared with C; memory C allocates is read with
//! `string_at` and given back to C's own free function.
//!
//! Run with `cargo run --example buffers`.

use rctypes::{CDll, CType, Value, create_string_buffer, create_unicode_buffer, string_at};

fn main() -> rctypes::Result<()> {
    // SAFETY: the fixture library has no initialisers with requirements.
    let lib = unsafe { CDll::open(env!("RCTYPES_FIXTURE_LIB"))? };

    // size_t upcase(char *s): uppercases in place.
    let upcase = lib
        .function("upcase")?
        .argtypes([CType::c_char_p()])
        .restype(CType::c_size_t());

    // An immutable string: C receives a NUL-terminated copy that lives for
    // the call, so the change C makes is not seen here.
    let text = Value::from("immutable");
    // SAFETY (for every call below): each declared signature is the C one
    // and every buffer is NUL-terminated and large enough.
    unsafe { upcase.call(std::slice::from_ref(&text))? };
    println!("after upcase(\"immutable\"): {:?}", text.as_str()?);

    // A mutable buffer (create_string_buffer): C writes into our memory.
    let buf = create_string_buffer("mutable buffer");
    let n = unsafe { upcase.call(&[(&buf).into()])? };
    println!(
        "after upcase(buf): {:?} ({} bytes; .raw has {} with the NUL)",
        buf.value()?.as_str()?,
        n.as_u64()?,
        buf.raw().len()
    );

    // A buffer sized for C to fill, like snprintf's destination.
    let point = CType::structure("Point")
        .field("x", CType::c_int())
        .field("y", CType::c_int())
        .build()?;
    let format_point = lib
        .function("format_point")?
        .argtypes([CType::c_char_p(), CType::c_size_t(), point.clone()])
        .restype(CType::c_int());
    let out = create_string_buffer(16);
    let p = rctypes::CData::from_values(&point, [-3, 42])?;
    let len = unsafe { format_point.call(&[(&out).into(), 16usize.into(), p.into()])? };
    println!(
        "format_point -> {:?} (length {})",
        out.value()?.as_str()?,
        len.as_i64()?
    );

    // Memory C allocates: returned as c_void_p, read with string_at, and
    // freed by the library's own free function, never by Rust.
    let make_buffer = lib
        .function("make_buffer")?
        .argtypes([CType::c_char_p(), CType::c_int()])
        .restype(CType::c_void_p());
    let free_buffer = lib
        .function("free_buffer")?
        .argtypes([CType::c_void_p()])
        .restype(CType::void());
    let ptr = unsafe { make_buffer.call(&["ab".into(), 3.into()])? };
    let addr = ptr.as_address()?;
    // SAFETY: make_buffer returns a NUL-terminated string (or NULL, which
    // string_at reads as empty).
    let bytes = unsafe { string_at(addr, None) };
    println!(
        "make_buffer(\"ab\", 3) = {:?} at {addr:#x}",
        String::from_utf8_lossy(&bytes)
    );
    unsafe { free_buffer.call(&[ptr])? };
    println!("freed by free_buffer");

    // Wide strings: wchar_t buffers hold Unicode text.
    let wide_len = lib
        .function("wide_len")?
        .argtypes([CType::c_wchar_p()])
        .restype(CType::c_size_t());
    let w = create_unicode_buffer("naïve café");
    println!(
        "wide_len({:?}) = {}",
        w.value()?.as_str()?,
        unsafe { wide_len.call(&[(&w).into()])? }.as_u64()?
    );

    // Mistakes are errors before C runs: a string too long for its buffer,
    // an interior NUL.
    if let Err(e) = buf.set_value("a string that is far too long for it") {
        println!("refused: {e}");
    }
    if let Err(e) = unsafe { upcase.call(&["nul\0inside".into()]) } {
        println!("refused: {e}");
    }
    Ok(())
}
