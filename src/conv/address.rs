//! The address a value stands for where C expects a pointer, with ctypes'
//! rules: `char *`, `wchar_t *`, `void *`, `POINTER(T)`, function pointers,
//! and array parameters (a pointer to the first element).

use super::strings::{interior_nul, interior_nul_char, wide_units};
use super::{Referent, Refused, Sink, refuse, wrong_type};
use crate::ctype::{CType, Kind, Scalar};
use crate::memory::CData;
use crate::value::{Value, byref_address};

/// Why a `byref` offset is refused.
fn byref_past_end(target: &CData, offset: usize) -> String {
    format!(
        "byref offset {offset} lies past the end of the {}-byte {} instance",
        target.ctype().size(),
        target.ctype()
    )
}

/// Whether `ty` is an array of `elem` (a `char[]` or `wchar_t[]` buffer).
fn char_sequence(ty: &CType, elem: Scalar) -> bool {
    matches!(ty.kind(), Kind::Array { elem: e, .. } if e.scalar() == Some(elem))
}

/// Whether a pointer to `t` is a pointer to bytes (`char`, `signed char`,
/// `unsigned char`), which take binary data.
fn is_byte_type(t: &CType) -> bool {
    matches!(t.scalar(), Some(Scalar::Char | Scalar::I8 | Scalar::U8))
}

/// The address `v` stands for as a `char *` (`s` = CharP), `wchar_t *`
/// (WCharP) or `void *` (VoidP); the sink receives what it refers to.
pub(super) fn encode_pointer_scalar(
    s: Scalar,
    ty: &CType,
    v: &Value,
    sink: &mut dyn Sink,
) -> Result<usize, Refused> {
    match v {
        Value::Null => Ok(0),
        Value::Pointer(p) => Ok(*p),
        Value::Int(_) | Value::UInt(_) if s == Scalar::VoidP => {
            let addr = match *v {
                Value::Int(i) => usize::try_from(i).ok(),
                Value::UInt(u) => usize::try_from(u).ok(),
                _ => None,
            };
            addr.ok_or_else(|| {
                refuse(
                    ty,
                    v,
                    "an address must be a non-negative integer that fits in a pointer",
                )
            })
        }
        // Binary data for a void *: a copy for the call (or kept with the
        // memory it is stored in), interior NULs allowed.
        Value::Bytes(b) if s == Scalar::VoidP => Ok(sink.bytes(b)),
        Value::Bytes(b) if s == Scalar::CharP => match interior_nul(b) {
            Some(why) => Err(refuse(ty, v, &why)),
            None => Ok(sink.bytes(b)),
        },
        Value::Str(text) if s == Scalar::WCharP => match interior_nul_char(text) {
            Some(why) => Err(refuse(ty, v, &why)),
            None => {
                let (mut units, len) = wide_units(text);
                Ok(sink.wide(&mut units, len))
            }
        },
        Value::Str(text) => match interior_nul(text.as_bytes()) {
            Some(why) => Err(refuse(ty, v, &why)),
            None => Ok(sink.bytes(text.as_bytes())),
        },
        Value::ByRef { target, offset } => match byref_address(target, *offset) {
            Some(addr) => {
                sink.refers(Referent::Data(target));
                Ok(addr)
            }
            None => Err(refuse(ty, v, &byref_past_end(target, *offset))),
        },
        Value::Callback(cb) if s == Scalar::VoidP => {
            sink.refers(Referent::Callback(cb));
            Ok(cb.address())
        }
        Value::Data(d) => {
            let dt = d.ctype();
            let accepted = match s {
                Scalar::VoidP => dt.is_pointer_like() || dt.scalar().is_none(),
                Scalar::CharP => {
                    dt.scalar() == Some(Scalar::CharP)
                        || char_sequence(dt, Scalar::Char)
                        || dt.pointee().and_then(|t| t.scalar()) == Some(Scalar::Char)
                }
                _ => {
                    dt.scalar() == Some(Scalar::WCharP)
                        || char_sequence(dt, Scalar::WChar)
                        || dt.pointee().and_then(|t| t.scalar()) == Some(Scalar::WChar)
                }
            };
            if !accepted {
                return Err(wrong_type(ty, v));
            }
            sink.refers(Referent::Data(d));
            Ok(d.as_pointer())
        }
        _ => Err(wrong_type(ty, v)),
    }
}

/// The address `v` stands for as a `POINTER(T)`, a function pointer, or an
/// array parameter (`T[n]`, which C passes as a pointer to its first
/// element), with ctypes' rules:
///
/// * `Null` is NULL;
/// * an instance of the same pointer type gives the address it holds (and
///   refers to what that instance keeps);
/// * an array instance of the declared array type gives its own address;
/// * an instance of `T`, or an array of `T`, gives its own address (ctypes
///   passes a `T` by reference where `POINTER(T)` is expected);
/// * a pointer instance to `T` gives the address it holds;
/// * `byref(x)` gives `x`'s address, whatever `x`'s type;
/// * a [`Callback`](crate::Callback) of exactly the prototype gives its code
///   address (for function pointers);
/// * bytes give a copy (interior NULs allowed) where `T` is a byte type.
///
/// A raw address is refused: it has no type.
pub(crate) fn address_of(ty: &CType, v: &Value, sink: &mut dyn Sink) -> Result<usize, Refused> {
    let target = match ty.kind() {
        Kind::Pointer(t) => Some(
            t.get()
                .ok_or_else(|| refuse(ty, v, "the pointee type no longer exists"))?,
        ),
        Kind::Array { elem, .. } => Some(elem.clone()),
        Kind::Function(_) => None,
        _ => return Err(refuse(ty, v, "not a pointer type")),
    };
    match v {
        Value::Null => Ok(0),
        Value::ByRef { target: d, offset } => match byref_address(d, *offset) {
            Some(addr) => {
                sink.refers(Referent::Data(d));
                Ok(addr)
            }
            None => Err(refuse(ty, v, &byref_past_end(d, *offset))),
        },
        Value::Callback(cb) if target.is_none() => {
            if cb.prototype() != ty {
                return Err(refuse(
                    ty,
                    v,
                    &format!(
                        "a callback of prototype {} cannot stand for {ty}",
                        cb.prototype()
                    ),
                ));
            }
            sink.refers(Referent::Callback(cb));
            Ok(cb.address())
        }
        Value::Data(d) if d.ctype() == ty && ty.element().is_some() => {
            sink.refers(Referent::Data(d));
            Ok(d.address())
        }
        Value::Data(d) if d.ctype() == ty => {
            sink.refers(Referent::KeptBy(d));
            Ok(d.pointer_value().unwrap_or(0))
        }
        Value::Data(d) => match &target {
            Some(t) if d.ctype().pointee().as_ref() == Some(t) => {
                sink.refers(Referent::Data(d));
                Ok(d.pointer_value().unwrap_or(0))
            }
            Some(t) if d.ctype().element() == Some(t) || d.ctype() == t => {
                sink.refers(Referent::Data(d));
                Ok(d.address())
            }
            _ => Err(wrong_type(ty, v)),
        },
        Value::Bytes(b) if target.as_ref().is_some_and(is_byte_type) => Ok(sink.bytes(b)),
        Value::Pointer(_) | Value::Int(_) | Value::UInt(_) => Err(refuse(
            ty,
            v,
            &format!(
                "an address has no type: make a typed pointer of it with \
                 `unsafe {{ CData::pointer_at(&pointer_type, address)? }}` where pointer_type \
                 is {ty} (ctypes' cast(address, {ty})), or declare the parameter c_void_p"
            ),
        )),
        _ => Err(wrong_type(ty, v)),
    }
}

/// The error for a structure or union parameter given something else.
pub(crate) fn aggregate_mismatch(ty: &CType, v: &Value) -> Refused {
    let reason = match v {
        Value::Data(_) => "a structure or union parameter takes an instance of exactly its type",
        _ => "wrong type",
    };
    refuse(ty, v, reason)
}
