//! The one scalar codec: how each fundamental C type is read from and written
//! to raw memory. Arguments, results, instances and callbacks all go through
//! here, so a conversion rule lives in exactly one place.
//!
//! Writing is checked: a value that does not fit its C type is an error, never
//! a silent truncation (ctypes masks integers; rctypes refuses them).

use std::ffi::{CStr, c_char};
use std::ptr;
use std::rc::Rc;

use super::keep::Keep;

use crate::ctype::scalar::{LONG_DOUBLE, LongDoubleFormat};
use crate::ctype::{CType, Kind, Scalar};
use crate::error::{ConvError, Error, Result};
use crate::memory::CData;
use crate::memory::longdouble::{f64_to_x87, x87_to_f64};
use crate::value::{Value, byref_address};

/// A `wchar_t` code unit.
#[cfg(not(windows))]
pub(crate) type WideUnit = u32;
/// A `wchar_t` code unit.
#[cfg(windows)]
pub(crate) type WideUnit = u16;

fn int_range(s: Scalar) -> (i128, i128) {
    let bits = 8 * s.size() as u32;
    if s.is_signed() {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// The integer in a value, for an integer C type.
fn integer_of(v: &Value) -> Option<i128> {
    match v {
        Value::Int(i) => Some(i128::from(*i)),
        Value::UInt(u) => Some(i128::from(*u)),
        Value::Bool(b) => Some(i128::from(*b)),
        _ => None,
    }
}

/// Writes the native representation of `v` as C type `s` to `out`, checking
/// that it fits. Returns what must stay alive for a stored pointer to remain
/// valid.
///
/// `expected` names the declared type in error messages.
///
/// # Safety
/// `out` must be valid for writes of `s.size()` bytes (no alignment needed).
pub(crate) unsafe fn encode_scalar(
    s: Scalar,
    expected: &CType,
    v: &Value,
    out: *mut u8,
) -> Result<Keep, ConvError> {
    let fail = |reason: &str| ConvError::new(expected.to_string(), v.describe(), reason);
    let wrong = || fail("wrong type");

    // An instance of the same fundamental type stands for its value: c_int(5)
    // where c_int is expected.
    if let Value::Data(d) = v {
        if d.ctype().scalar() == Some(s) && !s.is_pointer() {
            let inner = d.value().map_err(|e| fail(&e.to_string()))?;
            // SAFETY: forwarded from the caller.
            return unsafe { encode_scalar(s, expected, &inner, out) };
        }
    }

    macro_rules! put {
        ($val:expr) => {{
            let bytes = $val.to_ne_bytes();
            // SAFETY: the caller guarantees `out` is writable for `s.size()` bytes,
            // and every arm writes exactly `s.size()` bytes.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len()) };
        }};
    }

    match s {
        Scalar::Bool => {
            let b = match v {
                Value::Bool(b) => *b,
                Value::Int(i) => *i != 0,
                Value::UInt(u) => *u != 0,
                _ => return Err(wrong()),
            };
            put!(u8::from(b));
        }
        Scalar::Char => {
            let byte = match v {
                Value::Bytes(b) if b.len() == 1 => b[0],
                Value::Bytes(_) => return Err(fail("a c_char takes exactly one byte")),
                _ => match integer_of(v) {
                    Some(i @ -128..=255) => i as u8,
                    Some(_) => return Err(fail("value out of range for c_char (-128..=255)")),
                    None => return Err(wrong()),
                },
            };
            put!(byte);
        }
        Scalar::WChar => {
            let code = match v {
                Value::Str(text) => {
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => u32::from(c),
                        _ => return Err(fail("a c_wchar takes exactly one character")),
                    }
                }
                _ => match integer_of(v) {
                    Some(i) if u32::try_from(i).ok().and_then(char::from_u32).is_some() => i as u32,
                    Some(_) => return Err(fail("not a Unicode scalar value")),
                    None => return Err(wrong()),
                },
            };
            if crate::ctype::scalar::WCHAR_SIZE == 2 {
                let unit = u16::try_from(code)
                    .map_err(|_| fail("outside the 16-bit wchar_t range of this platform"))?;
                put!(unit);
            } else {
                put!(code);
            }
        }
        Scalar::I8
        | Scalar::U8
        | Scalar::I16
        | Scalar::U16
        | Scalar::I32
        | Scalar::U32
        | Scalar::I64
        | Scalar::U64 => {
            let Some(i) = integer_of(v) else {
                return Err(wrong());
            };
            let (lo, hi) = int_range(s);
            if i < lo || i > hi {
                return Err(fail(&format!(
                    "{i} does not fit in {expected} ({lo}..={hi}); rctypes refuses what ctypes would truncate"
                )));
            }
            match s.size() {
                1 => put!(i as u8),
                2 => put!(i as u16),
                4 => put!(i as u32),
                _ => put!(i as u64),
            }
        }
        Scalar::F32 => {
            let x = float_of(v).ok_or_else(wrong)?;
            if x.is_finite() && (x as f32).is_infinite() {
                return Err(fail(&format!("{x:e} overflows c_float")));
            }
            put!(x as f32);
        }
        Scalar::F64 => put!(float_of(v).ok_or_else(wrong)?),
        Scalar::LongDouble => {
            let x = float_of(v).ok_or_else(wrong)?;
            match LONG_DOUBLE {
                LongDoubleFormat::X87 => {
                    let mut slot = [0u8; 16];
                    slot[..10].copy_from_slice(&f64_to_x87(x));
                    // SAFETY: `s.size()` is 16 for the x87 format.
                    unsafe { ptr::copy_nonoverlapping(slot.as_ptr(), out, 16) };
                }
                LongDoubleFormat::Double => put!(x),
                LongDoubleFormat::Other => {
                    return Err(fail(
                        "long double values are not supported on this platform",
                    ));
                }
            }
        }
        Scalar::CharP | Scalar::WCharP | Scalar::VoidP => {
            let (addr, keep) = encode_pointer(s, v)
                .ok_or_else(wrong)?
                .map_err(|r| fail(&r))?;
            put!(addr);
            return Ok(keep);
        }
    }
    Ok(Keep::None)
}

/// The register image (sign- or zero-extended to 64 bits) of the commonest
/// conversions: an integer in range for an integer type, a float for `float`
/// or `double`. `None` means "take the general path": [`encode_scalar`]
/// handles every other value, and reports the errors. The range rule is
/// [`int_range`]'s, in 64-bit arithmetic.
#[inline]
pub(crate) fn scalar_word(s: Scalar, v: &Value) -> Option<u64> {
    let bits = 8 * s.size() as u32;
    match (s, v) {
        (Scalar::F64, Value::Float(x)) => Some(x.to_bits()),
        (Scalar::F32, Value::Float(x)) if !(x.is_finite() && (*x as f32).is_infinite()) => {
            Some(u64::from((*x as f32).to_bits()))
        }
        (_, Value::Int(i)) if s.is_plain_int() => {
            let fits = if s.is_signed() {
                fits_signed(*i, bits)
            } else {
                *i >= 0 && fits_unsigned(*i as u64, bits)
            };
            fits.then_some(*i as u64)
        }
        (_, Value::UInt(u)) if s.is_plain_int() => {
            let fits = if s.is_signed() {
                fits_unsigned(*u, bits - 1)
            } else {
                fits_unsigned(*u, bits)
            };
            fits.then_some(*u)
        }
        _ => None,
    }
}

/// Whether `i` fits in a signed integer of `bits` bits (1..=64).
#[inline(always)]
pub(crate) fn fits_signed(i: i64, bits: u32) -> bool {
    bits == 64 || {
        let top = i >> (bits - 1);
        top == 0 || top == -1
    }
}

/// Whether `u` fits in an unsigned integer of `bits` bits (0..=64).
#[inline(always)]
pub(crate) fn fits_unsigned(u: u64, bits: u32) -> bool {
    bits == 64 || u >> bits == 0
}

/// Sign- or zero-extends a native-endian integer of 1, 2, 4 or 8 bytes to
/// 64 bits, as a register holds it (libffi expects integer results of
/// closures widened like this, and callees may rely on extended arguments).
pub(crate) fn widen(bytes: &[u8], signed: bool) -> u64 {
    match (bytes, signed) {
        (&[a], true) => i8::from_ne_bytes([a]) as u64,
        (&[a], false) => u64::from(a),
        (&[a, b], true) => i16::from_ne_bytes([a, b]) as u64,
        (&[a, b], false) => u64::from(u16::from_ne_bytes([a, b])),
        (&[a, b, c, d], true) => i32::from_ne_bytes([a, b, c, d]) as u64,
        (&[a, b, c, d], false) => u64::from(u32::from_ne_bytes([a, b, c, d])),
        (&[a, b, c, d, e, f, g, h], _) => u64::from_ne_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

/// The error for a structure or union parameter given something else.
pub(crate) fn aggregate_mismatch(ty: &CType, v: &Value) -> ConvError {
    let reason = match v {
        Value::Data(_) => "a structure or union parameter takes an instance of exactly its type",
        _ => "wrong type",
    };
    ConvError::new(ty.to_string(), v.describe(), reason)
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Float(x) => Some(*x),
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        _ => None,
    }
}

/// A NUL-terminated copy of a byte string, refusing interior NULs (one
/// allocation: the iterator's length is known).
pub(crate) fn c_bytes(bytes: &[u8]) -> Result<Rc<[u8]>, String> {
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(format!("interior NUL byte at position {pos}"));
    }
    Ok(bytes.iter().copied().chain(std::iter::once(0)).collect())
}

/// A NUL-terminated `wchar_t` copy of a string, refusing interior NULs.
pub(crate) fn c_wide(text: &str) -> Result<Rc<[WideUnit]>, String> {
    if let Some(pos) = text.chars().position(|c| c == '\0') {
        return Err(format!("interior NUL character at position {pos}"));
    }
    #[cfg(not(windows))]
    let mut units: Vec<WideUnit> = text.chars().map(u32::from).collect();
    #[cfg(windows)]
    let mut units: Vec<WideUnit> = text.encode_utf16().collect();
    units.push(0);
    Ok(units.into())
}

/// The address a value stands for as a `char *`, `wchar_t *` or `void *`,
/// and what keeps it valid. `None`: the value's kind is wrong for `s`;
/// `Some(Err)`: right kind, bad content.
fn encode_pointer(s: Scalar, v: &Value) -> Option<Result<(usize, Keep), String>> {
    let keep_data = |d: &CData, addr: usize| Some(Ok((addr, Keep::Data(d.clone()))));
    match v {
        Value::Null => Some(Ok((0, Keep::None))),
        Value::Pointer(p) => Some(Ok((*p, Keep::None))),
        Value::Int(_) | Value::UInt(_) if s == Scalar::VoidP => {
            let addr = integer_of(v).and_then(|i| usize::try_from(i).ok());
            Some(addr.map(|a| (a, Keep::None)).ok_or_else(|| {
                "an address must be a non-negative integer that fits in a pointer".to_owned()
            }))
        }
        Value::Bytes(b) if s != Scalar::WCharP => Some(c_bytes(b).map(|buf| {
            let addr = buf.as_ptr() as usize;
            (addr, Keep::Bytes(buf))
        })),
        Value::Str(text) if s == Scalar::WCharP => Some(c_wide(text).map(|buf| {
            let addr = buf.as_ptr() as usize;
            (addr, Keep::Wide(buf))
        })),
        Value::Str(text) => Some(c_bytes(text.as_bytes()).map(|buf| {
            let addr = buf.as_ptr() as usize;
            (addr, Keep::Bytes(buf))
        })),
        Value::ByRef { target, offset } => Some(
            byref_address(target, *offset)
                .map(|addr| (addr, Keep::Data(target.clone())))
                .ok_or_else(|| byref_past_end(target, *offset)),
        ),
        Value::Callback(cb) if s == Scalar::VoidP => {
            Some(Ok((cb.address(), Keep::Callback(cb.clone()))))
        }
        Value::Data(d) => {
            let ty = d.ctype();
            let accepted = match s {
                Scalar::VoidP => ty.is_pointer_like() || ty.scalar().is_none(),
                Scalar::CharP => {
                    ty.scalar() == Some(Scalar::CharP)
                        || char_sequence(ty, Scalar::Char)
                        || ty.pointee().and_then(|t| t.scalar()) == Some(Scalar::Char)
                }
                _ => {
                    ty.scalar() == Some(Scalar::WCharP)
                        || char_sequence(ty, Scalar::WChar)
                        || ty.pointee().and_then(|t| t.scalar()) == Some(Scalar::WChar)
                }
            };
            if !accepted {
                return None;
            }
            keep_data(d, d.as_pointer())
        }
        _ => None,
    }
}

/// The address a value stands for as a `POINTER(T)` or function pointer,
/// with ctypes' rules, and (when `want_keep`) what keeps it valid:
///
/// * `Null` is NULL;
/// * an instance of the same pointer type gives the address it holds;
/// * an instance of `T`, or an array of `T`, gives its own address (ctypes
///   passes a `T` by reference where `POINTER(T)` is expected);
/// * `byref(x)` gives `x`'s address, whatever `x`'s type;
/// * a [`Callback`] of exactly the prototype gives its code address (for
///   function pointers).
///
/// A raw address is refused: it has no type (cast() it first).
pub(crate) fn pointer_target(
    ty: &CType,
    v: &Value,
    want_keep: bool,
) -> Result<(usize, Keep), ConvError> {
    let wrong = |reason: &str| ConvError::new(ty.to_string(), v.describe(), reason);
    let keep = |d: &CData| {
        if want_keep {
            Keep::Data(d.clone())
        } else {
            Keep::None
        }
    };
    let target = match ty.kind() {
        Kind::Pointer(t) => Some(
            t.get()
                .ok_or_else(|| wrong("the pointee type no longer exists"))?,
        ),
        Kind::Array { elem, .. } => Some(elem.clone()),
        Kind::Function(_) => None,
        _ => return Err(wrong("not a pointer type")),
    };
    match v {
        Value::Null => Ok((0, Keep::None)),
        Value::ByRef { target: d, offset } => match byref_address(d, *offset) {
            Some(addr) => Ok((addr, keep(d))),
            None => Err(wrong(&byref_past_end(d, *offset))),
        },
        Value::Callback(cb) if target.is_none() => {
            if cb.prototype() != ty {
                return Err(wrong(&format!(
                    "a callback of prototype {} cannot stand for {ty}",
                    cb.prototype()
                )));
            }
            let kept = if want_keep {
                Keep::Callback(cb.clone())
            } else {
                Keep::None
            };
            Ok((cb.address(), kept))
        }
        // An array parameter is a pointer to the first element: an array
        // instance of the type gives its own address.
        Value::Data(d) if d.ctype() == ty && ty.element().is_some() => Ok((d.address(), keep(d))),
        // A pointer instance of the type gives the address it holds, kept
        // alive by what the instance keeps.
        Value::Data(d) if d.ctype() == ty => {
            let kept = if want_keep {
                d.keep_at(d.offset).unwrap_or_default()
            } else {
                Keep::None
            };
            Ok((d.pointer_value().unwrap_or(0), kept))
        }
        Value::Data(d) => match &target {
            Some(t) if d.ctype().pointee().as_ref() == Some(t) => {
                Ok((d.pointer_value().unwrap_or(0), keep(d)))
            }
            Some(t) if d.ctype().element() == Some(t) || d.ctype() == t => {
                Ok((d.address(), keep(d)))
            }
            _ => Err(wrong("wrong type")),
        },
        Value::Pointer(_) | Value::Int(_) | Value::UInt(_) => Err(wrong(
            "an address is not a typed pointer: declare c_void_p, or cast() it to this pointer type",
        )),
        _ => Err(wrong("wrong type")),
    }
}

/// Why a `byref` offset is refused.
fn byref_past_end(target: &CData, offset: usize) -> String {
    format!(
        "byref offset {offset} lies past the end of the {}-byte {} instance",
        target.ctype().size(),
        target.ctype()
    )
}

/// Whether `ty` is an array of `elem` (a `char[]` or `wchar_t[]` buffer).
pub(crate) fn char_sequence(ty: &CType, elem: Scalar) -> bool {
    matches!(ty.kind(), Kind::Array { elem: e, .. } if e.scalar() == Some(elem))
}

/// Reads a value of C type `s` at `src`.
///
/// `follow_strings` says whether a `char *` / `wchar_t *` may be followed to
/// read the string it points to; when it is false such pointers read as
/// [`Value::Pointer`] (or [`Value::Null`]).
///
/// # Safety
/// `src` must be valid for reads of `s.size()` bytes (no alignment needed),
/// and when `follow_strings` is true any non-NULL `char *` / `wchar_t *` there
/// must point to a readable NUL-terminated string.
pub(crate) unsafe fn decode_scalar(
    s: Scalar,
    src: *const u8,
    follow_strings: bool,
) -> Result<Value> {
    macro_rules! get {
        ($t:ty) => {{
            let mut bytes = [0u8; std::mem::size_of::<$t>()];
            // SAFETY: the caller guarantees `src` is readable for `s.size()`
            // bytes, which is the size of `$t` in every arm.
            unsafe { ptr::copy_nonoverlapping(src, bytes.as_mut_ptr(), bytes.len()) };
            <$t>::from_ne_bytes(bytes)
        }};
    }
    Ok(match s {
        Scalar::Bool => Value::Bool(get!(u8) != 0),
        Scalar::Char => Value::Bytes(vec![get!(u8)]),
        Scalar::WChar => {
            let code = if crate::ctype::scalar::WCHAR_SIZE == 2 {
                u32::from(get!(u16))
            } else {
                get!(u32)
            };
            let c = char::from_u32(code).ok_or_else(|| Error::ValueType {
                expected: "a Unicode scalar value in a c_wchar".into(),
                given: format!("{code:#x}"),
            })?;
            Value::Str(c.to_string())
        }
        Scalar::I8 => Value::Int(i64::from(get!(i8))),
        Scalar::U8 => Value::UInt(u64::from(get!(u8))),
        Scalar::I16 => Value::Int(i64::from(get!(i16))),
        Scalar::U16 => Value::UInt(u64::from(get!(u16))),
        Scalar::I32 => Value::Int(i64::from(get!(i32))),
        Scalar::U32 => Value::UInt(u64::from(get!(u32))),
        Scalar::I64 => Value::Int(get!(i64)),
        Scalar::U64 => Value::UInt(get!(u64)),
        Scalar::F32 => Value::Float(f64::from(get!(f32))),
        Scalar::F64 => Value::Float(get!(f64)),
        Scalar::LongDouble => match LONG_DOUBLE {
            LongDoubleFormat::X87 => {
                let mut b = [0u8; 10];
                // SAFETY: the slot is 16 bytes, of which the first 10 are the value.
                unsafe { ptr::copy_nonoverlapping(src, b.as_mut_ptr(), 10) };
                Value::Float(x87_to_f64(b))
            }
            LongDoubleFormat::Double => Value::Float(get!(f64)),
            LongDoubleFormat::Other => {
                return Err(Error::Unsupported {
                    operation: "reading a value".into(),
                    type_name: "c_longdouble".into(),
                    reason: "this platform's long double format is not converted".into(),
                });
            }
        },
        Scalar::CharP | Scalar::WCharP | Scalar::VoidP => {
            let addr = get!(usize);
            if addr == 0 {
                Value::Null
            } else if s == Scalar::VoidP || !follow_strings {
                Value::Pointer(addr)
            } else if s == Scalar::CharP {
                // SAFETY: the caller guarantees a non-NULL char * here points to a
                // NUL-terminated string.
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

/// [`decode_scalar`] with strings followed, and the commonest types (the
/// fixed-width integers, `float`, `double`) read directly.
///
/// # Safety
/// As [`decode_scalar`] with `follow_strings`.
#[inline(always)]
pub(crate) unsafe fn decode_scalar_fast(s: Scalar, src: *const u8) -> Result<Value> {
    // SAFETY: forwarded from the caller.
    match unsafe { decode_number(s, src) } {
        Some(v) => Ok(v),
        // SAFETY: forwarded from the caller.
        None => unsafe { decode_scalar(s, src, true) },
    }
}

/// The commonest types read directly (the fixed-width integers, `float`,
/// `double`, in native byte order); `None` for the others.
///
/// # Safety
/// `src` must be readable for `s.size()` bytes (no alignment needed).
#[inline(always)]
pub(crate) unsafe fn decode_number(s: Scalar, src: *const u8) -> Option<Value> {
    // SAFETY: the caller guarantees `src` is readable for `s.size()` bytes,
    // and each arm reads exactly that many, unaligned.
    unsafe {
        Some(match s {
            Scalar::I8 => Value::Int(i64::from(src.cast::<i8>().read())),
            Scalar::U8 => Value::UInt(u64::from(src.read())),
            Scalar::I16 => Value::Int(i64::from(src.cast::<i16>().read_unaligned())),
            Scalar::U16 => Value::UInt(u64::from(src.cast::<u16>().read_unaligned())),
            Scalar::I32 => Value::Int(i64::from(src.cast::<i32>().read_unaligned())),
            Scalar::I64 => Value::Int(src.cast::<i64>().read_unaligned()),
            Scalar::U32 => Value::UInt(u64::from(src.cast::<u32>().read_unaligned())),
            Scalar::U64 => Value::UInt(src.cast::<u64>().read_unaligned()),
            Scalar::F64 => Value::Float(src.cast::<f64>().read_unaligned()),
            Scalar::F32 => Value::Float(f64::from(src.cast::<f32>().read_unaligned())),
            _ => return None,
        })
    }
}

/// Writes the low `s.size()` bytes of a register image (from
/// [`scalar_word`]) to `out`, in native byte order.
///
/// # Safety
/// `out` must be writable for `s.size()` bytes (no alignment needed).
#[inline(always)]
pub(crate) unsafe fn store_word(s: Scalar, word: u64, out: *mut u8) {
    let bytes = word.to_ne_bytes();
    let size = s.size();
    let from = if cfg!(target_endian = "big") {
        8 - size
    } else {
        0
    };
    // SAFETY: the caller guarantees `size` writable bytes; `from + size <= 8`.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr().add(from), out, size) };
}

/// Reads a `wchar_t` string at `p`: up to the NUL, or exactly `len` units.
///
/// # Safety
/// `p` must point to a readable NUL-terminated wide string, or to `len`
/// readable units when `len` is given.
pub(crate) unsafe fn read_wide(p: *const WideUnit, len: Option<usize>) -> Result<String> {
    let n = match len {
        Some(n) => n,
        None => {
            let mut n = 0;
            // SAFETY: the caller guarantees the string is NUL-terminated.
            while unsafe { p.add(n).read_unaligned() } != 0 {
                n += 1;
            }
            n
        }
    };
    let mut units = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: `i < n`, and the caller guarantees `n` readable units.
        units.push(unsafe { p.add(i).read_unaligned() });
    }
    wide_to_string(&units)
}

/// Decodes `wchar_t` units (UTF-32 on Unix, UTF-16 on Windows).
pub(crate) fn wide_to_string(units: &[WideUnit]) -> Result<String> {
    #[cfg(not(windows))]
    {
        units
            .iter()
            .map(|&u| {
                char::from_u32(u).ok_or_else(|| Error::ValueType {
                    expected: "a wide string of Unicode scalar values".into(),
                    given: format!("the code unit {u:#x}"),
                })
            })
            .collect()
    }
    #[cfg(windows)]
    {
        String::from_utf16(units).map_err(|e| Error::ValueType {
            expected: "a UTF-16 wide string".into(),
            given: e.to_string(),
        })
    }
}
