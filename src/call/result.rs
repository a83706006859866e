//! Stage 4 of a call: the result buffer, and turning what libffi wrote into a
//! `Value`.

use std::ffi::c_void;

use crate::ctype::{CType, Kind, Scalar};
use crate::error::Result;
use crate::memory::{CData, codec};
use crate::value::Value;

/// How a restype's result is decoded, decided once per signature.
pub(crate) enum RetConv {
    /// `void`: the result is [`Value::Void`].
    Void,
    /// A fundamental type, through the scalar codec.
    Scalar(Scalar),
    /// `POINTER(T)` or a function pointer: an instance of the type holding
    /// the returned address.
    Pointer(CType),
    /// A structure or union returned by value: libffi writes it straight
    /// into a new instance.
    Aggregate(CType),
}

impl RetConv {
    /// The decoding for a restype that `ffi_type_for` accepted.
    pub(crate) fn of(restype: &CType) -> RetConv {
        match restype.kind() {
            Kind::Void | Kind::Array { .. } => RetConv::Void,
            Kind::Scalar { scalar, .. } => RetConv::Scalar(*scalar),
            Kind::Pointer(_) | Kind::Function(_) => RetConv::Pointer(restype.clone()),
            Kind::Record(_) => RetConv::Aggregate(restype.clone()),
        }
    }
}

/// Where libffi writes a result.
pub(crate) enum ResultBuf {
    /// Scalars and pointers: at least 16 bytes (libffi widens integer results
    /// to a full `ffi_arg` register and stores x87 values as 10 of 16 bytes),
    /// aligned to 16.
    Inline(Aligned),
    /// Aggregates: a fresh instance of the restype. libffi writes exactly
    /// `size` bytes for aggregates (register pairs are copied out with the
    /// size; larger ones are written by the callee through a hidden pointer).
    Data(CData),
}

#[repr(C, align(16))]
pub(crate) struct Aligned([u8; 32]);

impl ResultBuf {
    pub(crate) fn new(ret: &RetConv) -> Result<ResultBuf> {
        Ok(match ret {
            RetConv::Aggregate(ty) => ResultBuf::Data(CData::try_new(ty)?),
            _ => ResultBuf::Inline(Aligned([0; 32])),
        })
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut c_void {
        match self {
            ResultBuf::Inline(a) => a.0.as_mut_ptr().cast(),
            ResultBuf::Data(d) => d.ptr().cast(),
        }
    }

    /// Decodes the result.
    ///
    /// # Safety
    /// libffi must have written a result of `ret`'s type into the buffer, and
    /// a `char *` / `wchar_t *` result must be NULL or point to a
    /// NUL-terminated string (the caller of the foreign call vouched for it).
    pub(crate) unsafe fn decode(self, ret: &RetConv) -> Result<Value> {
        let bytes = match self {
            ResultBuf::Data(d) => return Ok(Value::Data(d)),
            ResultBuf::Inline(a) => a.0,
        };
        match ret {
            RetConv::Void | RetConv::Aggregate(_) => Ok(Value::Void),
            RetConv::Scalar(s) => {
                // libffi stores integer results widened to a full register;
                // on big-endian targets the narrow value is at the end.
                let at = if cfg!(target_endian = "big") && s.is_integer() && s.size() < 8 {
                    8 - s.size()
                } else {
                    0
                };
                // SAFETY: the buffer holds the result (forwarded from the
                // caller), and `at + size <= 16`.
                unsafe { codec::decode_scalar(*s, bytes.as_ptr().add(at), true) }
            }
            RetConv::Pointer(ty) => Ok(Value::Data(CData::from_bytes(ty, &bytes[..ty.size()])?)),
        }
    }
}
