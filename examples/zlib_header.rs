//! Compresses and decompresses a buffer with zlib, using only declarations
//! read from the installed `zlib.h`: no signature, structure or constant is
//! written by hand. First the one-call API (compressBound, compress2,
//! uncompress), then the streaming one (deflateInit_, deflate, inflate on a
//! `z_stream` whose layout comes from the header).
//!
//! Run with `cargo run --example zlib_header` (needs zlib's header and a C
//! compiler for the preprocessor).

use rctypes::{CData, CDll, CType, Declarations, HeaderOptions, Value, byref, find_library};

fn main() -> rctypes::Result<()> {
    let z = Declarations::from_header("zlib.h", &HeaderOptions::new())?;
    let path = find_library("z").ok_or_else(|| rctypes::Error::custom("libz not found"))?;
    // SAFETY: zlib's initialisers are safe to run.
    let lib = unsafe { CDll::open(&path)? };
    let version = z.constant("ZLIB_VERSION")?;
    println!(
        "zlib.h: {} functions, {} types, {} constants ({} skipped); ZLIB_VERSION {:?}",
        z.function_names().len(),
        z.type_names().len(),
        z.constant_names().len(),
        z.skipped().len(),
        String::from_utf8_lossy(version.as_bytes()?)
    );
    let z_ok = z.constant("Z_OK")?.as_i64()?;

    let text = "rctypes reads zlib.h and calls zlib. ".repeat(200);
    let input = text.as_bytes();
    let bytes = |n: usize| CType::c_ubyte().array(n);
    let source = CData::from_bytes(&bytes(input.len()), input)?;
    let n = input.len() as u64;

    // ---- the one-call API --------------------------------------------------------------
    // SAFETY (every call below): the signatures are zlib.h's own, and every
    // buffer passed is as large as the length passed with it.
    let bound = unsafe { z.function(&lib, "compressBound")?.call(&[n.into()])? }.as_u64()?;
    let packed = CData::new(&bytes(bound as usize));
    let packed_len = CData::with_value(&z.type_of("uLongf")?, bound)?;
    let level = z.constant("Z_BEST_COMPRESSION")?;
    let compress2 = z.function(&lib, "compress2")?;
    let rc = unsafe {
        compress2.call(&[
            (&packed).into(),
            byref(&packed_len),
            (&source).into(),
            n.into(),
            level,
        ])?
    };
    assert_eq!(rc.as_i64()?, z_ok);
    let packed_n = packed_len.value()?.as_u64()?;
    println!("compress2: {} bytes -> {packed_n} bytes", input.len());

    let unpacked = CData::new(&bytes(input.len()));
    let unpacked_len = CData::with_value(&z.type_of("uLongf")?, n)?;
    let uncompress = z.function(&lib, "uncompress")?;
    let rc = unsafe {
        uncompress.call(&[
            (&unpacked).into(),
            byref(&unpacked_len),
            (&packed).into(),
            packed_n.into(),
        ])?
    };
    assert_eq!(rc.as_i64()?, z_ok);
    assert_eq!(unpacked.to_bytes(), input);
    println!(
        "uncompress: {} bytes, identical",
        unpacked_len.value()?.as_u64()?
    );

    // ---- the streaming API, on a z_stream laid out from the header ----------------------
    let stream_ty = z.type_of("z_stream")?;
    let stream_size = rctypes::sizeof(&stream_ty) as i64;
    println!("sizeof(z_stream) = {stream_size}");
    let byte_ptr = |buf: &CData| buf.pointer().cast(&z.type_of("Bytef *")?);

    let strm = CData::new(&stream_ty);
    let deflate_init = z.function(&lib, "deflateInit_")?;
    let rc = unsafe {
        deflate_init.call(&[
            (&strm).into(),
            z.constant("Z_DEFAULT_COMPRESSION")?,
            version.clone(),
            stream_size.into(),
        ])?
    };
    assert_eq!(rc.as_i64()?, z_ok);
    let out = CData::new(&bytes(bound as usize));
    strm.set("next_in", byte_ptr(&source)?)?;
    strm.set("avail_in", input.len() as u64)?;
    strm.set("next_out", byte_ptr(&out)?)?;
    strm.set("avail_out", bound)?;
    let rc = unsafe {
        z.function(&lib, "deflate")?
            .call(&[(&strm).into(), z.constant("Z_FINISH")?])?
    };
    assert_eq!(rc.as_i64()?, z.constant("Z_STREAM_END")?.as_i64()?);
    let deflated = strm.get("total_out")?.as_u64()?;
    unsafe { z.function(&lib, "deflateEnd")?.call(&[(&strm).into()])? };
    println!("deflate: {} bytes -> {deflated} bytes", input.len());

    let strm = CData::new(&stream_ty);
    let rc = unsafe {
        z.function(&lib, "inflateInit_")?
            .call(&[(&strm).into(), version, stream_size.into()])?
    };
    assert_eq!(rc.as_i64()?, z_ok);
    let back = CData::new(&bytes(input.len()));
    strm.set("next_in", byte_ptr(&out)?)?;
    strm.set("avail_in", deflated)?;
    strm.set("next_out", byte_ptr(&back)?)?;
    strm.set("avail_out", input.len() as u64)?;
    let rc = unsafe {
        z.function(&lib, "inflate")?
            .call(&[(&strm).into(), z.constant("Z_NO_FLUSH")?])?
    };
    assert_eq!(rc.as_i64()?, z.constant("Z_STREAM_END")?.as_i64()?);
    // SAFETY: zlib sets msg to NULL or to one of its static messages.
    let msg: Value = unsafe { strm.field("msg")?.follow()? };
    unsafe { z.function(&lib, "inflateEnd")?.call(&[(&strm).into()])? };
    assert_eq!(back.to_bytes(), input);
    println!(
        "inflate: {} bytes, identical (msg: {msg})",
        strm.get("total_out")?
    );
    Ok(())
}
