//! One conversion per C type: how a value of each fundamental type moves
//! between a [`Value`] and its *image*, the bits C sees.
//!
//! Every path uses these functions and nothing else: arguments placed in
//! registers or on the stack by the call plan, argument slots handed to
//! libffi, results, callback arguments and results, fields, array elements
//! and instances' values. Where the image goes (a register, a stack word, an
//! instance's memory, byte-swapped or not) is placement, decided once per
//! signature or member; what the image *is* for a given value is decided
//! here, once.
//!
//! Most fundamental types have a one-word image ([`encode_word`] /
//! [`decode_word`]): integers sign- or zero-extended to 64 bits as a register
//! holds them, floats in the low bits, addresses, a `float _Complex` as two
//! packed `f32`s. `long double` (x87: 16 bytes) and the wider complex types
//! have a [`Wide`] image ([`encode_wide`] / [`decode_wide`]).
//!
//! Writing is checked: a value that does not fit its C type is an error,
//! never a silent truncation (ctypes masks integers; rctypes refuses them).
//! Errors are boxed, so the hot paths return in registers.

mod address;
pub(crate) mod codec;
mod strings;

use std::ffi::{CStr, c_char};
use std::ptr;

pub(crate) use address::{address_of, aggregate_mismatch};
pub(crate) use strings::{WCHAR_BYTES, WideUnit, c_wide, read_wide};

use crate::callback::Callback;
use crate::ctype::scalar::{LONG_DOUBLE, LongDoubleFormat};
use crate::ctype::{CType, Scalar};
use crate::error::{ConvError, Error, Result};
use crate::memory::CData;
use crate::memory::longdouble::{f64_to_x87, x87_to_f64};
use crate::value::Value;

/// A conversion failure, boxed so that `Result<u64, Refused>` is two words.
pub(crate) type Refused = Box<ConvError>;

/// The image of a value wider than a word: a 16-byte `long double`, a
/// `double _Complex` (two words), a `long double _Complex` (32 bytes). Bytes
/// in memory order; unused bytes are zero.
pub(crate) type Wide = [u64; 4];

/// What happens to what a pointer value refers to while it is converted:
/// the call path copies strings into its own arena and needs nothing kept
/// (the arguments outlive the call); storage keeps a string copy or the
/// instance alive with the memory the pointer is stored in.
pub(crate) trait Sink {
    /// A NUL-terminated copy of `bytes` (which hold no NUL) for a `char *`;
    /// returns its address.
    fn bytes(&mut self, bytes: &[u8]) -> usize;
    /// A NUL-terminated `wchar_t` copy of `units` (which hold no NUL) for a
    /// `wchar_t *`; returns its address.
    fn wide(&mut self, units: &mut dyn Iterator<Item = WideUnit>, len: usize) -> usize;
    /// The stored address refers to `target`, which must outlive it.
    fn refers(&mut self, target: Referent<'_>);
}

/// What a stored address refers to (see [`Sink::refers`]).
pub(crate) enum Referent<'a> {
    /// An instance's memory (its address, or an element's).
    Data(&'a CData),
    /// A callback's code.
    Callback(&'a Callback),
    /// Whatever the pointer instance `d` keeps alive (copying a pointer
    /// copies what it keeps).
    KeptBy(&'a CData),
}

/// The error for `v` given where `ty` is expected.
#[cold]
#[inline(never)]
pub(crate) fn refuse(ty: &CType, v: &Value, reason: &str) -> Refused {
    Box::new(ConvError::new(ty.to_string(), v.describe(), reason))
}

#[cold]
#[inline(never)]
fn wrong_type(ty: &CType, v: &Value) -> Refused {
    refuse(ty, v, "wrong type")
}

/// The image of a fixed-width integer of `s`'s width and signedness holding
/// `v`, or `None` when `v` is not an integer in range.
#[inline(always)]
fn int_image(s: Scalar, v: &Value) -> Option<u64> {
    let i = match *v {
        Value::Int(i) => i128::from(i),
        Value::UInt(u) => i128::from(u),
        Value::Bool(b) => i128::from(b),
        _ => return None,
    };
    let (lo, hi) = int_range(s);
    (lo..=hi).contains(&i).then_some(i as u64)
}

/// The number in a value, for a floating type.
#[inline(always)]
fn float_of(v: &Value) -> Option<f64> {
    match *v {
        Value::Float(x) => Some(x),
        Value::Int(i) => Some(i as f64),
        Value::UInt(u) => Some(u as f64),
        _ => None,
    }
}

/// `x` as an `f32`, refusing finite values that overflow it.
#[inline(always)]
pub(crate) fn to_f32(x: f64) -> Option<f32> {
    let f = x as f32;
    (!f.is_infinite() || x.is_infinite()).then_some(f)
}

/// The word image of `v` as a value of the fundamental type `s` (every
/// fundamental type except those with a [`Wide`] image), checking that it
/// fits. `ty` is the declared type, for messages and byte order; `sink`
/// receives what a pointer refers to.
#[inline(always)]
pub(crate) fn encode_word(
    s: Scalar,
    ty: &CType,
    v: &Value,
    sink: &mut dyn Sink,
) -> Result<u64, Refused> {
    match encode_word_fast(s, v, sink) {
        Some(w) => Ok(w),
        None => encode_word_slow(s, ty, v, sink),
    }
}

/// [`encode_word`]'s commonest cases, one arm per type so that each range
/// check is a constant: a number for a number type, NULL or an address for
/// a pointer. `None` for everything else and every refusal (the slow path
/// decides those).
#[inline(always)]
pub(crate) fn encode_word_fast(s: Scalar, v: &Value, sink: &mut dyn Sink) -> Option<u64> {
    match (s, v) {
        (Scalar::I32, Value::Int(i)) => i32::try_from(*i).ok().map(|x| x as u64),
        (Scalar::I64, Value::Int(i)) => Some(*i as u64),
        (Scalar::U64, Value::UInt(u)) => Some(*u),
        (Scalar::U32, Value::Int(i)) => u32::try_from(*i).ok().map(u64::from),
        (Scalar::U32, Value::UInt(u)) => u32::try_from(*u).ok().map(u64::from),
        (Scalar::U64, Value::Int(i)) => u64::try_from(*i).ok(),
        (Scalar::F64, Value::Float(x)) => Some(x.to_bits()),
        (Scalar::F32, Value::Float(x)) => to_f32(*x).map(|f| u64::from(f.to_bits())),
        (Scalar::VoidP, Value::Pointer(p)) => Some(*p as u64),
        (Scalar::VoidP | Scalar::CharP | Scalar::WCharP, Value::Null) => Some(0),
        // a Rust string for a char *: a NUL-terminated copy from the sink
        (Scalar::CharP, Value::Str(t)) if !strings::has_nul(t.as_bytes()) => {
            Some(sink.bytes(t.as_bytes()) as u64)
        }
        (Scalar::CharP, Value::Bytes(b)) if !strings::has_nul(b) => Some(sink.bytes(b) as u64),
        (_, Value::Int(_) | Value::UInt(_) | Value::Bool(_)) if s.is_plain_int() => int_image(s, v),
        _ => None,
    }
}

/// The rest of [`encode_word`]: every other type and value, and every error.
#[inline(never)]
fn encode_word_slow(s: Scalar, ty: &CType, v: &Value, sink: &mut dyn Sink) -> Result<u64, Refused> {
    // An instance of the same fundamental type stands for its value:
    // c_int(5) where c_int is expected.
    if let Value::Data(d) = v
        && d.ctype().scalar() == Some(s)
        && !s.is_pointer()
    {
        let inner = d.value().map_err(|e| refuse(ty, v, &e.to_string()))?;
        return encode_word(s, ty, &inner, sink);
    }
    let extend = |w: u64| extend(s, w);
    match s {
        Scalar::I8
        | Scalar::U8
        | Scalar::I16
        | Scalar::U16
        | Scalar::I32
        | Scalar::U32
        | Scalar::I64
        | Scalar::U64 => match v {
            Value::Int(_) | Value::UInt(_) | Value::Bool(_) => {
                let shown = match v {
                    Value::Int(i) => i.to_string(),
                    Value::UInt(u) => u.to_string(),
                    _ => String::new(),
                };
                let (lo, hi) = int_range(s);
                Err(refuse(
                    ty,
                    v,
                    &format!(
                        "{shown} does not fit in {ty} ({lo}..={hi}); rctypes refuses what ctypes would truncate"
                    ),
                ))
            }
            _ => Err(wrong_type(ty, v)),
        },
        Scalar::Bool => match *v {
            Value::Bool(b) => Ok(u64::from(b)),
            Value::Int(i) => Ok(u64::from(i != 0)),
            Value::UInt(u) => Ok(u64::from(u != 0)),
            _ => Err(wrong_type(ty, v)),
        },
        Scalar::Char => {
            let byte = match v {
                Value::Bytes(b) if b.len() == 1 => b[0],
                Value::Bytes(_) => return Err(refuse(ty, v, "a c_char takes exactly one byte")),
                _ => match int_value(v) {
                    Some(i @ -128..=255) => i as u8,
                    Some(_) => {
                        return Err(refuse(ty, v, "value out of range for c_char (-128..=255)"));
                    }
                    None => return Err(wrong_type(ty, v)),
                },
            };
            Ok(extend(u64::from(byte)))
        }
        Scalar::WChar => {
            let code = match v {
                Value::Str(text) => {
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => u32::from(c),
                        _ => return Err(refuse(ty, v, "a c_wchar takes exactly one character")),
                    }
                }
                _ => match int_value(v) {
                    Some(i) if u32::try_from(i).ok().and_then(char::from_u32).is_some() => i as u32,
                    Some(_) => return Err(refuse(ty, v, "not a Unicode scalar value")),
                    None => return Err(wrong_type(ty, v)),
                },
            };
            if strings::WCHAR_BYTES == 2 && code > 0xffff {
                return Err(refuse(
                    ty,
                    v,
                    "outside the 16-bit wchar_t range of this platform",
                ));
            }
            Ok(extend(u64::from(code)))
        }
        Scalar::F32 => {
            let x = float_of(v).ok_or_else(|| wrong_type(ty, v))?;
            let f = to_f32(x).ok_or_else(|| refuse(ty, v, &format!("{x:e} overflows c_float")))?;
            Ok(u64::from(f.to_bits()))
        }
        Scalar::F64 => Ok(float_of(v).ok_or_else(|| wrong_type(ty, v))?.to_bits()),
        Scalar::LongDouble => match LONG_DOUBLE {
            LongDoubleFormat::Double => Ok(float_of(v).ok_or_else(|| wrong_type(ty, v))?.to_bits()),
            _ => Err(refuse(ty, v, "internal: long double has a wide image here")),
        },
        Scalar::ComplexF32 => {
            let (re, im) = complex_of(v).ok_or_else(|| wrong_type(ty, v))?;
            let (Some(re), Some(im)) = (to_f32(re), to_f32(im)) else {
                return Err(refuse(ty, v, "a part overflows c_float"));
            };
            Ok(u64::from(re.to_bits()) | (u64::from(im.to_bits()) << 32))
        }
        Scalar::ComplexF64 | Scalar::ComplexLongDouble => Err(refuse(
            ty,
            v,
            "internal: this complex type has a wide image",
        )),
        Scalar::CharP | Scalar::WCharP | Scalar::VoidP => {
            let addr = address::encode_pointer_scalar(s, ty, v, sink)?;
            Ok(addr as u64)
        }
    }
}

/// The integer in a value, for `char` and `wchar_t`.
fn int_value(v: &Value) -> Option<i128> {
    match *v {
        Value::Int(i) => Some(i128::from(i)),
        Value::UInt(u) => Some(i128::from(u)),
        Value::Bool(b) => Some(i128::from(b)),
        _ => None,
    }
}

/// The range of a fixed-width integer type: the one rule every integer
/// conversion checks (the fast paths state it as `try_from` on the type of
/// that width, which is the same range).
pub(crate) fn int_range(s: Scalar) -> (i128, i128) {
    let bits = 8 * s.size() as u32;
    if s.is_signed() {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// The real and imaginary parts of a value, for a complex type: a
/// `Complex`, or a real number (imaginary part 0).
fn complex_of(v: &Value) -> Option<(f64, f64)> {
    match *v {
        Value::Complex(re, im) => Some((re, im)),
        _ => float_of(v).map(|x| (x, 0.0)),
    }
}

/// Sign- or zero-extends the low `s.size()` bytes of `w` to 64 bits, as a
/// register holds a narrow integer (integers only; other images pass through).
#[inline(always)]
pub(crate) fn extend(s: Scalar, w: u64) -> u64 {
    Extend::of(s).apply(w)
}

/// [`extend`] for one type, decided once: two shifts by a constant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extend {
    /// The bits above the type's width (0: nothing to narrow).
    shift: u32,
    signed: bool,
}

impl Extend {
    #[inline(always)]
    pub(crate) const fn of(s: Scalar) -> Extend {
        Extend {
            shift: s.extend_shift(),
            signed: s.extends_signed(),
        }
    }

    #[inline(always)]
    pub(crate) const fn apply(self, w: u64) -> u64 {
        if self.signed {
            ((w << self.shift) as i64 >> self.shift) as u64
        } else {
            (w << self.shift) >> self.shift
        }
    }
}

/// The value of a word image of the fundamental type `s`. The image may
/// carry garbage above the type's width (a register C returned): it is
/// narrowed here.
///
/// `follow` says whether a non-NULL `char *` / `wchar_t *` is read as the
/// string it points to; otherwise such pointers give [`Value::Pointer`].
///
/// # Safety
/// When `follow` is true, a non-NULL `char *` / `wchar_t *` image must be
/// the address of a readable NUL-terminated string.
#[inline(always)]
pub(crate) unsafe fn decode_word(s: Scalar, w: u64, follow: bool) -> Result<Value> {
    Ok(match s {
        Scalar::I32 => Value::Int(i64::from(w as i32)),
        Scalar::I64 => Value::Int(w as i64),
        Scalar::F64 => Value::Float(f64::from_bits(w)),
        Scalar::U64 => Value::UInt(w),
        Scalar::U32 => Value::UInt(u64::from(w as u32)),
        Scalar::VoidP if w == 0 => Value::Null,
        Scalar::VoidP => Value::Pointer(w as usize),
        // SAFETY: forwarded from the caller.
        _ => return unsafe { decode_word_slow(s, w, follow) },
    })
}

/// The rest of [`decode_word`] (inlined where the type is a constant: the
/// per-type conversions of [`codec::Word`]).
///
/// # Safety
/// As [`decode_word`].
#[inline]
unsafe fn decode_word_slow(s: Scalar, w: u64, follow: bool) -> Result<Value> {
    Ok(match s {
        Scalar::I8 => Value::Int(i64::from(w as i8)),
        Scalar::U8 => Value::UInt(u64::from(w as u8)),
        Scalar::I16 => Value::Int(i64::from(w as i16)),
        Scalar::U16 => Value::UInt(u64::from(w as u16)),
        Scalar::I32 => Value::Int(i64::from(w as i32)),
        Scalar::U32 => Value::UInt(u64::from(w as u32)),
        Scalar::I64 => Value::Int(w as i64),
        Scalar::U64 => Value::UInt(w),
        Scalar::F64 => Value::Float(f64::from_bits(w)),
        Scalar::F32 => Value::Float(f64::from(f32::from_bits(w as u32))),
        Scalar::Bool => Value::Bool(w as u8 != 0),
        Scalar::Char => Value::Bytes(vec![w as u8]),
        Scalar::WChar => {
            let code = if strings::WCHAR_BYTES == 2 {
                u32::from(w as u16)
            } else {
                w as u32
            };
            let c = char::from_u32(code).ok_or_else(|| Error::ValueType {
                expected: "a Unicode scalar value in a c_wchar".into(),
                given: format!("{code:#x}").into(),
            })?;
            Value::Str(c.to_string())
        }
        Scalar::LongDouble => match LONG_DOUBLE {
            LongDoubleFormat::Double => Value::Float(f64::from_bits(w)),
            _ => return Err(wide_as_word(s)),
        },
        Scalar::ComplexF32 => Value::Complex(
            f64::from(f32::from_bits(w as u32)),
            f64::from(f32::from_bits((w >> 32) as u32)),
        ),
        Scalar::ComplexF64 | Scalar::ComplexLongDouble => return Err(wide_as_word(s)),
        Scalar::CharP | Scalar::WCharP | Scalar::VoidP => {
            let addr = w as usize;
            if addr == 0 {
                Value::Null
            } else if s == Scalar::VoidP || !follow {
                Value::Pointer(addr)
            } else if s == Scalar::CharP {
                // SAFETY: the caller guarantees a non-NULL char * here points
                // to a NUL-terminated string.
                Value::Bytes(
                    unsafe { CStr::from_ptr(addr as *const c_char) }
                        .to_bytes()
                        .to_vec(),
                )
            } else {
                // SAFETY: as above, for a wchar_t string.
                Value::Str(unsafe { read_wide(addr as *const WideUnit, None) }?)
            }
        }
    })
}

#[cold]
fn wide_as_word(s: Scalar) -> Error {
    Error::Unsupported {
        operation: "reading a value".into(),
        type_name: format!("{s:?}").into(),
        reason: "internal: this type has a wide image".into(),
    }
}

/// The [`Wide`] image of `v` as a `long double` (x87), `double _Complex` or
/// `long double _Complex`.
pub(crate) fn encode_wide(s: Scalar, ty: &CType, v: &Value) -> Result<Wide, Refused> {
    if let Value::Data(d) = v
        && d.ctype().scalar() == Some(s)
    {
        let inner = d.value().map_err(|e| refuse(ty, v, &e.to_string()))?;
        return encode_wide(s, ty, &inner);
    }
    let x87 = |x: f64| -> Result<[u64; 2], Refused> {
        match LONG_DOUBLE {
            LongDoubleFormat::X87 => {
                let b = f64_to_x87(x);
                let mut lo = [0u8; 8];
                lo.copy_from_slice(&b[..8]);
                Ok([
                    u64::from_le_bytes(lo),
                    u64::from(u16::from_le_bytes([b[8], b[9]])),
                ])
            }
            LongDoubleFormat::Double => Ok([x.to_bits(), 0]),
            LongDoubleFormat::Other => Err(refuse(
                ty,
                v,
                "long double values are not supported on this platform",
            )),
        }
    };
    match s {
        Scalar::LongDouble => {
            let [a, b] = x87(float_of(v).ok_or_else(|| wrong_type(ty, v))?)?;
            Ok([a, b, 0, 0])
        }
        Scalar::ComplexF64 => {
            let (re, im) = complex_of(v).ok_or_else(|| wrong_type(ty, v))?;
            Ok([re.to_bits(), im.to_bits(), 0, 0])
        }
        Scalar::ComplexLongDouble => {
            let (re, im) = complex_of(v).ok_or_else(|| wrong_type(ty, v))?;
            let [a, b] = x87(re)?;
            let [c, d] = x87(im)?;
            if Scalar::LongDouble.size() == 8 {
                Ok([a, c, 0, 0])
            } else {
                Ok([a, b, c, d])
            }
        }
        _ => Err(refuse(ty, v, "internal: this type has a word image")),
    }
}

/// The value of a [`Wide`] image.
pub(crate) fn decode_wide(s: Scalar, w: &Wide) -> Result<Value> {
    let ld = |lo: u64, hi: u64| -> Result<f64> {
        match LONG_DOUBLE {
            LongDoubleFormat::X87 => {
                let mut b = [0u8; 10];
                b[..8].copy_from_slice(&lo.to_le_bytes());
                b[8..].copy_from_slice(&(hi as u16).to_le_bytes());
                Ok(x87_to_f64(b))
            }
            LongDoubleFormat::Double => Ok(f64::from_bits(lo)),
            LongDoubleFormat::Other => Err(Error::Unsupported {
                operation: "reading a value".into(),
                type_name: "c_longdouble".into(),
                reason: "this platform's long double format is not converted".into(),
            }),
        }
    };
    match s {
        Scalar::LongDouble => Ok(Value::Float(ld(w[0], w[1])?)),
        Scalar::ComplexF64 => Ok(Value::Complex(f64::from_bits(w[0]), f64::from_bits(w[1]))),
        Scalar::ComplexLongDouble if Scalar::LongDouble.size() == 8 => {
            Ok(Value::Complex(ld(w[0], 0)?, ld(w[1], 0)?))
        }
        Scalar::ComplexLongDouble => Ok(Value::Complex(ld(w[0], w[1])?, ld(w[2], w[3])?)),
        _ => Err(wide_as_word(s)),
    }
}

/// Reads the word image of a `s` stored at `src` (in the other byte order
/// when `swapped`). The bytes above the type's width are zero.
///
/// # Safety
/// `src` must be readable for `s.size()` bytes (no alignment needed), and
/// `s` must have a word image.
#[inline(always)]
pub(crate) unsafe fn load_word(s: Scalar, swapped: bool, src: *const u8) -> u64 {
    // SAFETY: (every arm) the caller guarantees `s.size()` readable bytes;
    // the reads are unaligned.
    let w = unsafe {
        match s.size() {
            1 => u64::from(src.read()),
            2 => u64::from(u16::from_ne_bytes(src.cast::<[u8; 2]>().read_unaligned())),
            4 => u64::from(u32::from_ne_bytes(src.cast::<[u8; 4]>().read_unaligned())),
            _ => u64::from_ne_bytes(src.cast::<[u8; 8]>().read_unaligned()),
        }
    };
    if swapped { swap_word(s, w) } else { w }
}

/// The word image `w` of a `s` with its `s.size()` low bytes reversed.
fn swap_word(s: Scalar, w: u64) -> u64 {
    match s.size() {
        1 => w,
        2 => u64::from((w as u16).swap_bytes()),
        4 => u64::from((w as u32).swap_bytes()),
        _ => w.swap_bytes(),
    }
}

/// Writes the low `s.size()` bytes of a word image to `dst` (in the other
/// byte order when `swapped`).
///
/// # Safety
/// `dst` must be writable for `s.size()` bytes (no alignment needed), and
/// `s` must have a word image.
#[inline(always)]
pub(crate) unsafe fn store_word(s: Scalar, swapped: bool, w: u64, dst: *mut u8) {
    let w = if swapped { swap_word(s, w) } else { w };
    // SAFETY: (every arm) the caller guarantees `s.size()` writable bytes;
    // the writes are unaligned.
    unsafe {
        match s.size() {
            1 => dst.write(w as u8),
            2 => dst
                .cast::<[u8; 2]>()
                .write_unaligned((w as u16).to_ne_bytes()),
            4 => dst
                .cast::<[u8; 4]>()
                .write_unaligned((w as u32).to_ne_bytes()),
            _ => dst.cast::<[u8; 8]>().write_unaligned(w.to_ne_bytes()),
        }
    }
}

/// Reads the [`Wide`] image of a `s` stored at `src`.
///
/// # Safety
/// `src` must be readable for `s.size()` bytes.
pub(crate) unsafe fn load_wide(s: Scalar, src: *const u8) -> Wide {
    let mut w: Wide = [0; 4];
    let size = s.size().min(size_of::<Wide>());
    // SAFETY: the caller guarantees `size` readable bytes; `w` has 32.
    unsafe { ptr::copy_nonoverlapping(src, w.as_mut_ptr().cast::<u8>(), size) };
    w
}

/// Writes the [`Wide`] image of a `s` to `dst`.
///
/// # Safety
/// `dst` must be writable for `s.size()` bytes.
pub(crate) unsafe fn store_wide(s: Scalar, w: &Wide, dst: *mut u8) {
    let size = s.size().min(size_of::<Wide>());
    // SAFETY: the caller guarantees `size` writable bytes; `w` has 32.
    unsafe { ptr::copy_nonoverlapping(w.as_ptr().cast::<u8>(), dst, size) };
}

/// The sink for conversions that involve no pointer (numbers): it is never
/// called; were it called, a string would become NULL and nothing be kept.
pub(crate) struct NoStrings;

impl Sink for NoStrings {
    fn bytes(&mut self, _bytes: &[u8]) -> usize {
        0
    }
    fn wide(&mut self, _units: &mut dyn Iterator<Item = WideUnit>, _len: usize) -> usize {
        0
    }
    fn refers(&mut self, _target: Referent<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: Scalar, v: Value) -> std::result::Result<u64, Refused> {
        let ty = CType::c_int();
        encode_word(s, &ty, &v, &mut NoStrings)
    }

    #[test]
    fn integer_images_are_extended_and_checked() {
        assert_eq!(word(Scalar::I8, Value::Int(-1)).unwrap(), u64::MAX);
        assert_eq!(word(Scalar::U8, Value::Int(255)).unwrap(), 255);
        assert!(word(Scalar::U8, Value::Int(256)).is_err());
        assert!(word(Scalar::U8, Value::Int(-1)).is_err());
        assert!(word(Scalar::I32, Value::UInt(1 << 31)).is_err());
        assert_eq!(word(Scalar::I64, Value::Int(i64::MIN)).unwrap(), 1 << 63);
        assert_eq!(word(Scalar::U64, Value::UInt(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(word(Scalar::I16, Value::Bool(true)).unwrap(), 1);
        assert!(word(Scalar::I32, Value::Float(1.0)).is_err());
        let e = word(Scalar::U16, Value::Int(70000)).unwrap_err();
        assert!(e.reason.contains("70000 does not fit"), "{}", e.reason);
    }

    #[test]
    fn decoding_narrows_register_garbage() {
        // SAFETY: no pointers are followed.
        let d = |s, w| unsafe { decode_word(s, w, false) }.unwrap();
        assert_eq!(d(Scalar::I8, 0xdead_beef_0000_01ff), Value::Int(-1));
        assert_eq!(d(Scalar::U16, 0xffff_ffff_0001_0002), Value::UInt(2));
        assert_eq!(
            d(Scalar::I32, 0x1_8000_0000),
            Value::Int(i64::from(i32::MIN))
        );
        assert_eq!(d(Scalar::Bool, 0x100), Value::Bool(false));
        assert_eq!(d(Scalar::VoidP, 0), Value::Null);
        assert_eq!(d(Scalar::CharP, 0x1000), Value::Pointer(0x1000));
    }

    #[test]
    fn memory_round_trips_in_both_byte_orders() {
        for swapped in [false, true] {
            for (s, v) in [
                (Scalar::I16, Value::Int(-2)),
                (Scalar::U32, Value::UInt(0xdead_beef)),
                (Scalar::F32, Value::Float(1.5)),
                (Scalar::F64, Value::Float(-0.25)),
                (Scalar::I64, Value::Int(-7)),
            ] {
                let w = word(s, v.clone()).unwrap();
                let mut mem = [0xaau8; 10];
                // SAFETY: `mem` has 10 bytes, more than any word scalar.
                unsafe { store_word(s, swapped, w, mem.as_mut_ptr()) };
                assert_eq!(mem[s.size()], 0xaa, "wrote past {s:?}");
                // SAFETY: as above.
                let back = unsafe { load_word(s, swapped, mem.as_ptr()) };
                // SAFETY: no pointers are followed.
                assert_eq!(unsafe { decode_word(s, back, false) }.unwrap(), v);
            }
        }
        let w = word(Scalar::U16, Value::UInt(0x1234)).unwrap();
        let mut mem = [0u8; 2];
        // SAFETY: 2 bytes.
        unsafe { store_word(Scalar::U16, true, w, mem.as_mut_ptr()) };
        assert_eq!(mem, [0x12, 0x34]);
    }

    #[test]
    fn wide_images() {
        let ty = CType::c_double();
        let w = encode_wide(Scalar::ComplexF64, &ty, &Value::Complex(1.5, -2.0)).unwrap();
        assert_eq!(
            decode_wide(Scalar::ComplexF64, &w).unwrap(),
            Value::Complex(1.5, -2.0)
        );
        let w = encode_wide(Scalar::LongDouble, &ty, &Value::Float(0.1)).unwrap();
        assert_eq!(
            decode_wide(Scalar::LongDouble, &w).unwrap(),
            Value::Float(0.1)
        );
        let w = encode_wide(Scalar::ComplexLongDouble, &ty, &Value::Float(3.0)).unwrap();
        assert_eq!(
            decode_wide(Scalar::ComplexLongDouble, &w).unwrap(),
            Value::Complex(3.0, 0.0)
        );
        let w = word(Scalar::ComplexF32, Value::Complex(0.5, 4.0)).unwrap();
        assert_eq!(
            // SAFETY: no pointers.
            unsafe { decode_word(Scalar::ComplexF32, w, false) }.unwrap(),
            Value::Complex(0.5, 4.0)
        );
        assert!(word(Scalar::ComplexF32, Value::Complex(1e300, 0.0)).is_err());
    }
}
