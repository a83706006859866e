//! Stage 1 of a call: each `Value` × its argtype becomes an argument slot.
//! Every failure here happens before C runs and names the argument.

use std::borrow::Cow;
use std::ffi::c_void;

use crate::ctype::{CType, Kind, Scalar};
use crate::error::ConvError;
use crate::memory::codec;
use crate::memory::keep::Keep;
use crate::value::Value;

/// Storage for one scalar or pointer argument: large and aligned enough for
/// every fundamental type (a 16-byte `long double` included).
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub(crate) struct Slot(pub(crate) [u8; 16]);

impl Slot {
    pub(crate) const ZERO: Slot = Slot([0; 16]);
}

/// How an argument of a given declared type is converted, decided once per
/// signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgConv {
    /// A fundamental type, through the scalar codec.
    Scalar(Scalar),
    /// `POINTER(T)` (or an array type, which C passes as a pointer to its first element).
    Pointer,
    /// A function pointer (`CFUNCTYPE`).
    FnPtr,
    /// A structure or union by value.
    Aggregate,
    /// A structure or union of size 0, passed as nothing (as gcc does).
    Empty,
}

impl ArgConv {
    /// The conversion for an argtype that `ffi_type_for` accepted.
    pub(crate) fn of(ty: &CType) -> ArgConv {
        match ty.kind() {
            Kind::Scalar { scalar, .. } => ArgConv::Scalar(*scalar),
            Kind::Pointer(_) | Kind::Array { .. } | Kind::Void => ArgConv::Pointer,
            Kind::Function(_) => ArgConv::FnPtr,
            Kind::Record(_) if ty.size() == 0 => ArgConv::Empty,
            Kind::Record(_) => ArgConv::Aggregate,
        }
    }
}

/// Converts `v` for a parameter declared as `ty` (whose conversion is `conv`),
/// writing scalars and pointers into `slot`. Returns the address libffi reads
/// the argument from (`None` for an argument passed as nothing), and sets
/// `keep` to whatever must outlive the call.
pub(crate) fn convert_arg(
    ty: &CType,
    conv: ArgConv,
    v: &Value,
    slot: &mut Slot,
    keep: &mut Keep,
) -> Result<Option<*mut c_void>, ConvError> {
    let out = slot.0.as_mut_ptr();
    match conv {
        ArgConv::Scalar(s) => {
            // SAFETY: a slot is 16 bytes, enough for every fundamental type.
            *keep = unsafe { codec::encode_scalar(s, ty, v, out) }?;
        }
        ArgConv::Pointer | ArgConv::FnPtr => {
            // The argument values outlive the call, so nothing needs keeping.
            let (addr, _) = codec::pointer_target(ty, v, false)?;
            slot.0[..size_of::<usize>()].copy_from_slice(&addr.to_ne_bytes());
        }
        ArgConv::Empty => {
            return match v {
                Value::Data(d) if d.ctype() == ty => Ok(None),
                _ => Err(codec::aggregate_mismatch(ty, v)),
            };
        }
        ArgConv::Aggregate => {
            let d = match v {
                Value::Data(d) if d.ctype() == ty => d,
                _ => return Err(codec::aggregate_mismatch(ty, v)),
            };
            let size = ty.size();
            d.check_readable("passing")
                .map_err(|e| ConvError::new(ty.to_string(), v.describe(), e.to_string()))?;
            if size > slot.0.len() {
                // Passed in memory: libffi copies exactly `size` bytes from the instance.
                return Ok(Some(d.ptr().cast()));
            }
            // Passed in registers: libffi loads whole eightbytes, so give it a
            // zero-padded copy rather than reading past the instance.
            // SAFETY: the instance holds `size` readable bytes (checked above)
            // and the slot has room for them.
            unsafe { std::ptr::copy_nonoverlapping(d.ptr(), out, size) };
        }
    }
    Ok(Some(out.cast()))
}

/// The C type a value is passed as when no argtype is declared for it
/// (ctypes' defaults), and the value to convert (a scalar instance stands for
/// its value). With `promote` (variadic arguments), C's default argument
/// promotions apply: `float` becomes `double`, integers narrower than `int`
/// become `int`.
pub(crate) fn default_type(v: &Value, promote: bool) -> Result<(CType, Cow<'_, Value>), ConvError> {
    let unsupported = |reason: &str| ConvError::new("a default C type", v.describe(), reason);
    let int_type = |i: i128| -> Result<CType, ConvError> {
        if i32::try_from(i).is_ok() {
            Ok(CType::c_int())
        } else if u32::try_from(i).is_ok() {
            Ok(CType::c_uint())
        } else {
            Err(unsupported(
                "does not fit in a C int; declare argtypes, or pass a typed instance such as \
                 CData::with_value(&CType::c_longlong(), x)",
            ))
        }
    };
    let ty = match v {
        Value::Int(i) => int_type(i128::from(*i))?,
        Value::UInt(u) => int_type(i128::from(*u))?,
        Value::Bool(_) => CType::c_int(),
        Value::Float(_) => CType::c_double(),
        Value::Bytes(_) | Value::Str(_) => CType::c_char_p(),
        Value::Null | Value::Pointer(_) | Value::ByRef { .. } => CType::c_void_p(),
        Value::Void => return Err(unsupported("void is not a value that can be passed")),
        Value::Callback(cb) => cb.prototype().clone(),
        Value::Data(d) => {
            let ty = d.ctype();
            match ty.kind() {
                Kind::Scalar { scalar, .. } if !scalar.is_pointer() => {
                    let inner = d.value().map_err(|e| unsupported(&e.to_string()))?;
                    return Ok(promoted(ty, *scalar, inner, promote));
                }
                Kind::Array { .. } => CType::c_void_p(),
                Kind::Void => return Err(unsupported("void has no values")),
                _ => ty.clone(),
            }
        }
    };
    Ok((ty, Cow::Borrowed(v)))
}

/// A scalar instance's type and value after the default argument promotions.
fn promoted(ty: &CType, s: Scalar, value: Value, promote: bool) -> (CType, Cow<'static, Value>) {
    if !promote {
        return (ty.clone(), Cow::Owned(value));
    }
    if s == Scalar::F32 {
        return (CType::c_double(), Cow::Owned(value));
    }
    if s.is_integer() && s.size() < Scalar::I32.size() {
        // Characters promote by their code: a c_char's byte, a c_wchar's code point.
        let as_int = match (&value, s) {
            (Value::Bytes(b), Scalar::Char) if b.len() == 1 => {
                if s.is_signed() {
                    Value::Int(i64::from(b[0] as i8))
                } else {
                    Value::Int(i64::from(b[0]))
                }
            }
            (Value::Str(text), Scalar::WChar) => {
                Value::Int(text.chars().next().map_or(0, |c| i64::from(u32::from(c))))
            }
            _ => value,
        };
        return (CType::c_int(), Cow::Owned(as_int));
    }
    (ty.clone(), Cow::Owned(value))
}
