//! Stage 4 of a call: the result buffer, and turning what libffi wrote into a
//! `Value`.

use std::ffi::c_void;

use libffi::raw::{self, ffi_type};

use crate::ctype::{CType, Kind, Scalar};
use crate::error::{Error, Result};
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
}

impl RetConv {
    pub(crate) fn of(function: &str, restype: &CType) -> Result<RetConv> {
        Ok(match restype.kind() {
            Kind::Void => RetConv::Void,
            Kind::Scalar { scalar, .. } => RetConv::Scalar(*scalar),
            Kind::Pointer(_) | Kind::Function(_) => RetConv::Pointer(restype.clone()),
            Kind::Array { .. } => {
                return Err(Error::Unsupported {
                    operation: format!("the restype of `{function}`"),
                    type_name: restype.to_string(),
                    reason: "C functions cannot return arrays".into(),
                });
            }
        })
    }

    pub(crate) fn ffi_type(&self) -> *mut ffi_type {
        match self {
            RetConv::Void => &raw mut raw::ffi_type_void,
            RetConv::Scalar(s) => s.ffi_type(),
            RetConv::Pointer(_) => &raw mut raw::ffi_type_pointer,
        }
    }
}

/// Where libffi writes a result: at least 16 bytes (libffi widens integer
/// results to a full `ffi_arg` register and stores x87 values as 10 of 16
/// bytes), aligned to 16.
#[repr(C, align(16))]
pub(crate) struct ResultBuf([u8; 32]);

impl ResultBuf {
    pub(crate) fn new() -> ResultBuf {
        ResultBuf([0; 32])
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }

    /// Decodes the result.
    ///
    /// # Safety
    /// libffi must have written a result of `ret`'s type into the buffer, and
    /// a `char *` / `wchar_t *` result must be NULL or point to a
    /// NUL-terminated string (the caller of the foreign call vouched for it).
    pub(crate) unsafe fn decode(&self, ret: &RetConv) -> Result<Value> {
        match ret {
            RetConv::Void => Ok(Value::Void),
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
                unsafe { codec::decode_scalar(*s, self.0.as_ptr().add(at), true) }
            }
            RetConv::Pointer(ty) => Ok(Value::Data(CData::from_bytes(ty, &self.0[..ty.size()])?)),
        }
    }
}
