//! The classic ctypes zlib binding, ported: `compress`/`uncompress` into
//! buffers sized by `compressBound`, then a `z_stream` fed bad data, whose
//! `msg` zlib sets to one of its own strings.
//!
//! ```python
//! zlib = CDLL(find_library("z"))
//! dest_len = c_ulong(zlib.compressBound(len(data)))
//! dest = (c_ubyte * dest_len.value)()
//! zlib.compress(dest, byref(dest_len), data, len(data))
//! ...
//! if zlib.inflate(byref(strm), Z_NO_FLUSH) == Z_DATA_ERROR: print(strm.msg)
//! ```
//!
//! Run with `cargo run --example port_zlib`.

use rctypes::{CData, CDll, CType, Error, Value, byref, cdef, find_library, sizeof};

fn main() -> rctypes::Result<()> {
    let path = find_library("z").ok_or_else(|| Error::custom("zlib is not installed"))?;
    // SAFETY: zlib's initialisers are safe to run.
    let lib = unsafe { CDll::open(&path)? };
    // The declarations a ctypes port writes as argtypes and _fields_, in C.
    let z = cdef(
        r#"
        typedef struct z_stream_s {
            const unsigned char *next_in; unsigned avail_in; unsigned long total_in;
            unsigned char *next_out; unsigned avail_out; unsigned long total_out;
            char *msg; void *state;
            void *(*zalloc)(void *, unsigned, unsigned); void (*zfree)(void *, void *); void *opaque;
            int data_type; unsigned long adler; unsigned long reserved;
        } z_stream;
        const char *zlibVersion(void);
        unsigned long compressBound(unsigned long sourceLen);
        int compress(unsigned char *dest, unsigned long *destLen, const unsigned char *source, unsigned long sourceLen);
        int uncompress(unsigned char *dest, unsigned long *destLen, const unsigned char *source, unsigned long sourceLen);
        int inflateInit_(z_stream *strm, const char *version, int stream_size);
        int inflate(z_stream *strm, int flush);
        int inflateEnd(z_stream *strm);
        "#,
    )?;
    let f = |name: &str| z.function(&lib, name);
    let data = "ctypes, ported to Rust. ".repeat(40).into_bytes();
    let n = data.len() as u64;

    // SAFETY (every call below): the declarations are zlib's, and each buffer
    // is as large as the length passed with it.
    let bound = unsafe { f("compressBound")?.call(&[n.into()])? }.as_u64()?;
    let dest = CData::new(&CType::c_ubyte().array(bound as usize));
    let dest_len = CData::with_value(&CType::c_ulong(), bound)?;
    // bytes go straight to a `const unsigned char *`: a copy for the call
    unsafe {
        f("compress")?.call(&[
            (&dest).into(),
            byref(&dest_len),
            data.as_slice().into(),
            n.into(),
        ])?
    };
    let packed_len = dest_len.value()?.as_u64()? as usize;
    let mut packed = dest.to_vec::<u8>()?; // the bytes as a Vec<u8>, in one call
    packed.truncate(packed_len);
    println!("compress: {n} bytes -> {packed_len} bytes");

    let back = CData::new(&CType::c_ubyte().array(data.len()));
    let back_len = CData::with_value(&CType::c_ulong(), n)?;
    let rc = unsafe {
        f("uncompress")?.call(&[
            (&back).into(),
            byref(&back_len),
            packed.into(),
            (packed_len as u64).into(),
        ])?
    };
    assert_eq!((rc, back.to_vec::<u8>()?), (Value::Int(0), data));
    println!("uncompress: {} bytes, identical", back_len.value()?);

    // A stream fed data that is not zlib's: inflate fails and sets strm.msg.
    let stream_t = z.type_of("z_stream")?;
    let strm = CData::new(&stream_t);
    let version = unsafe { f("zlibVersion")?.call(&[])? };
    unsafe {
        f("inflateInit_")?.call(&[
            byref(&strm),
            version.clone(),
            (sizeof(&stream_t) as i32).into(),
        ])?
    };
    let out = CData::new(&CType::c_ubyte().array(64));
    strm.set("next_in", &b"definitely not deflate"[..])?; // a copy strm keeps
    strm.set("avail_in", 22)?;
    strm.set("next_out", &out)?;
    strm.set("avail_out", 64)?;
    let rc = unsafe { f("inflate")?.call(&[byref(&strm), 0.into()])? };
    // SAFETY: zlib sets msg to NULL or one of its static messages.
    let msg = unsafe { strm.field("msg")?.follow()? };
    println!(
        "zlib {}: inflate -> {rc}, msg = {:?}",
        version.as_str()?,
        msg.as_str()?
    );
    unsafe { f("inflateEnd")?.call(&[byref(&strm)])? };
    Ok(())
}
