//! An interpreter's FFI module, in miniature: the hot loop of a language
//! runtime that calls C functions whose signatures arrived as data.
//!
//! The "script" below declares foreign functions from C prototypes (as a
//! user of the language would write them), and the runtime prepares each
//! one once with [`Function::prepared`]. Each call then writes the
//! interpreter's own values into the call frame by index and reads a scalar
//! back: no `Value`, no allocation and no `Result` per argument, one
//! `Result` per call. The results are checked against the same
//! computations done in Rust.
//!
//! Run with `cargo run --example ffi_module` (libm and zlib are looked up
//! with `find_library`, as ctypes' `find_library` does).

use rctypes::{CData, CDll, CType, Error, Function, PreparedCall, Result, find_library};

/// The interpreter's own values.
#[derive(Clone, Copy, Debug)]
enum Obj<'a> {
    Int(i64),
    Float(f64),
    /// A bare address (for `void *`, or a pointer C returned).
    Addr(usize),
    /// A buffer the script made (for typed pointers: passed as its address).
    Buf(&'a CData),
}

impl Obj<'_> {
    /// The integer, or the interpreter's type error.
    fn int(self) -> Result<i64> {
        match self {
            Obj::Int(v) => Ok(v),
            other => Err(Error::custom(format!("expected an integer, got {other:?}"))),
        }
    }

    /// The float, or the interpreter's type error.
    fn float(self) -> Result<f64> {
        match self {
            Obj::Float(v) => Ok(v),
            other => Err(Error::custom(format!("expected a float, got {other:?}"))),
        }
    }
}

/// A foreign function as the runtime holds it: its prepared frame and how
/// its result comes back, decided once from the declaration.
struct Foreign<'a> {
    call: PreparedCall<'a>,
    result: Ret,
}

#[derive(Clone, Copy)]
enum Ret {
    Int,
    Float,
    Addr,
}

impl<'a> Foreign<'a> {
    /// Prepares `f` (declared from C text) for calls.
    fn new(f: &'a Function) -> Result<Foreign<'a>> {
        let restype = f.declared_restype();
        let result = if restype.pointee().is_some() {
            Ret::Addr
        } else if [CType::c_double(), CType::c_float()].contains(restype) {
            Ret::Float
        } else {
            Ret::Int
        };
        Ok(Foreign {
            call: f.prepared()?,
            result,
        })
    }

    /// Calls with the interpreter's values: one store per argument.
    ///
    /// # Safety
    /// The declaration the function was made from is its real signature,
    /// and addresses point where it expects.
    unsafe fn invoke(&mut self, args: &[Obj<'a>]) -> Result<Obj<'a>> {
        for (i, a) in args.iter().enumerate() {
            match *a {
                Obj::Int(v) => self.call.set_i64(i, v),
                Obj::Float(v) => self.call.set_f64(i, v),
                Obj::Addr(v) => self.call.set_address(i, v),
                Obj::Buf(d) => self.call.set_data(i, d),
            };
        }
        // SAFETY: forwarded to the caller.
        unsafe {
            Ok(match self.result {
                Ret::Int => Obj::Int(self.call.call_i64()?),
                Ret::Float => Obj::Float(self.call.call_f64()?),
                Ret::Addr => Obj::Addr(self.call.call_address()?),
            })
        }
    }
}

fn open(short: &str) -> Result<CDll> {
    let path =
        find_library(short).ok_or_else(|| Error::custom(format!("lib{short} is not installed")))?;
    // SAFETY: libm and zlib have no initialisers with requirements.
    unsafe { CDll::open(&path) }
}

fn main() -> Result<()> {
    let libm = open("m")?;
    let zlib = open("z")?;

    // The script's declarations: C text, as the language's users write it.
    let pow = libm.declare("double pow(double x, double y)")?;
    let fma = libm.declare("double fma(double, double, double)")?;
    let crc32 = zlib.declare(
        "unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len)",
    )?;
    let labs = CDll::this_process()?.declare("long labs(long)")?;

    // A buffer the script made; it outlives the prepared calls given it.
    let text = b"The quick brown fox jumps over the lazy dog";
    let buffer = CData::from_slice(&CType::c_ubyte(), text)?;

    let mut pow = Foreign::new(&pow)?;
    let mut fma = Foreign::new(&fma)?;
    let mut crc32 = Foreign::new(&crc32)?;
    let mut labs = Foreign::new(&labs)?;

    // The hot loop: sum of |i - 500| * i^1.5 + 0.25, for i in 0..1000.
    let mut total = 0.0;
    for i in 0..1000i64 {
        // SAFETY: each declaration above is the C library's signature.
        let term = unsafe {
            let d = labs.invoke(&[Obj::Int(i - 500)])?.int()?;
            let p = pow.invoke(&[Obj::Float(i as f64), Obj::Float(1.5)])?;
            fma.invoke(&[Obj::Float(d as f64), p, Obj::Float(0.25)])?
        };
        total += term.float()?;
    }
    let expected: f64 = (0..1000i64)
        .map(|i| ((i - 500).abs() as f64).mul_add((i as f64).powf(1.5), 0.25))
        .sum();
    println!("sum of |i - 500| * i^1.5 + 0.25 over 0..1000 = {total} (Rust: {expected})");
    assert_eq!(total, expected);

    // A buffer the script made, passed by address: zlib's CRC-32 of it.
    // SAFETY: crc32(unsigned long, const unsigned char *, unsigned int);
    // the buffer holds `text.len()` bytes and outlives the prepared call.
    let crc =
        unsafe { crc32.invoke(&[Obj::Int(0), Obj::Buf(&buffer), Obj::Int(text.len() as i64)])? };
    println!(
        "crc32({:?}) = {crc:?}",
        std::str::from_utf8(text).unwrap_or("?")
    );
    assert_eq!(crc.int()?, 0x414f_a339);

    // A mistake the runtime's user makes is an Error, before C runs.
    // SAFETY: the call is refused before it reaches C.
    let refused = unsafe { labs.invoke(&[Obj::Float(1.5)]) };
    println!(
        "labs(1.5) -> {}",
        refused.map_or_else(|e| e.to_string(), |v| format!("{v:?}"))
    );
    Ok(())
}
