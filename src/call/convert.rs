//! Stage 1 of a call: each `Value` × its argtype becomes an argument slot.
//! Every failure here happens before C runs and names the argument.

use std::borrow::Cow;
use std::ffi::c_void;

use crate::ctype::{CType, Kind, Scalar};
use crate::error::ConvError;
use crate::memory::codec::{self, Keep};
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
}

impl ArgConv {
    pub(crate) fn of(ty: &CType) -> Option<ArgConv> {
        Some(match ty.kind() {
            Kind::Scalar { scalar, .. } => ArgConv::Scalar(*scalar),
            Kind::Pointer(_) | Kind::Array { .. } => ArgConv::Pointer,
            Kind::Function(_) => ArgConv::FnPtr,
            Kind::Void => return None,
        })
    }
}

/// Converts `v` for a parameter declared as `ty` (whose conversion is `conv`),
/// writing scalars and pointers into `slot`. Returns the address libffi reads
/// the argument from, and sets `keep` to whatever must outlive the call.
pub(crate) fn convert_arg(
    ty: &CType,
    conv: ArgConv,
    v: &Value,
    slot: &mut Slot,
    keep: &mut Keep,
) -> Result<*mut c_void, ConvError> {
    let out = slot.0.as_mut_ptr();
    match conv {
        ArgConv::Scalar(s) => {
            // SAFETY: a slot is 16 bytes, enough for every fundamental type.
            *keep = unsafe { codec::encode_scalar(s, ty, v, out) }?;
        }
        ArgConv::Pointer => {
            let addr = pointer_arg(ty, v)?;
            slot.0[..size_of::<usize>()].copy_from_slice(&addr.to_ne_bytes());
        }
        ArgConv::FnPtr => {
            let addr = match v {
                Value::Null => 0,
                Value::Data(d) if d.ctype() == ty => d.pointer_value().unwrap_or(0),
                _ => return Err(ConvError::new(ty.to_string(), v.describe(), "wrong type")),
            };
            slot.0[..size_of::<usize>()].copy_from_slice(&addr.to_ne_bytes());
        }
    }
    Ok(out.cast())
}

/// The address passed for a `POINTER(T)` parameter, with ctypes' rules: NULL;
/// a `POINTER(T)` instance; an array of `T` or a `T` instance (passed by
/// reference, as ctypes does); `byref` of anything.
fn pointer_arg(ty: &CType, v: &Value) -> Result<usize, ConvError> {
    let target = match ty.kind() {
        Kind::Pointer(t) => t,
        Kind::Array { elem, .. } => elem,
        _ => {
            return Err(ConvError::new(
                ty.to_string(),
                v.describe(),
                "not a pointer type",
            ));
        }
    };
    let wrong = |reason: &str| ConvError::new(ty.to_string(), v.describe(), reason);
    match v {
        Value::Null => Ok(0),
        Value::ByRef { target: d, offset } => Ok(d.address() + offset),
        Value::Data(d) => {
            let dt = d.ctype();
            if dt.pointee() == Some(target) {
                Ok(d.pointer_value().unwrap_or(0))
            } else if dt.element() == Some(target) || dt == target {
                Ok(d.address())
            } else {
                Err(wrong("wrong type"))
            }
        }
        Value::Pointer(_) | Value::Int(_) | Value::UInt(_) => Err(wrong(
            "an address is not a typed pointer: declare c_void_p, or cast() it to this pointer type",
        )),
        _ => Err(wrong("wrong type")),
    }
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
