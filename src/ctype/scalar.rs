//! The fundamental C types: one table of sizes, alignments, signedness and
//! libffi types for this platform.

use std::ffi::{c_int, c_long, c_void};
use std::mem::{align_of, size_of};

use libffi::raw::{self, ffi_type};

/// A fundamental C type, by representation.
///
/// Types that share a representation share a variant (`c_int` and `c_int32`
/// are both `I32`; on LP64 `c_long`, `c_longlong` and `c_int64` are all
/// `I64`), exactly as ctypes makes them aliases of one another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scalar {
    Bool,
    Char,
    WChar,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    LongDouble,
    /// `float _Complex`.
    ComplexF32,
    /// `double _Complex`.
    ComplexF64,
    /// `long double _Complex`.
    ComplexLongDouble,
    CharP,
    WCharP,
    VoidP,
}

/// `wchar_t` is UTF-32 (a signed 32-bit int) on every Unix, UTF-16 on Windows.
pub(crate) const WCHAR_SIZE: usize = if cfg!(windows) { 2 } else { 4 };

/// How `long double` is stored on this target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LongDoubleFormat {
    /// The x87 80-bit extended format in a 16-byte, 16-aligned slot.
    X87,
    /// `long double` is the same type as `double` (MSVC, Apple arm64).
    Double,
    /// A format rctypes does not convert (IEEE quad on aarch64 Linux, ...):
    /// size and alignment are known, reading or writing values is an error.
    Other,
}

pub(crate) const LONG_DOUBLE: LongDoubleFormat = if cfg!(all(target_arch = "x86_64", not(windows)))
{
    LongDoubleFormat::X87
} else if cfg!(any(
    windows,
    all(target_vendor = "apple", target_arch = "aarch64")
)) {
    LongDoubleFormat::Double
} else {
    LongDoubleFormat::Other
};

const LONG_DOUBLE_SIZE: usize = match LONG_DOUBLE {
    LongDoubleFormat::Double => 8,
    _ => 16,
};

impl Scalar {
    /// `sizeof` on this platform.
    pub(crate) const fn size(self) -> usize {
        match self {
            Scalar::Bool | Scalar::Char | Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I64 | Scalar::U64 | Scalar::F64 => 8,
            Scalar::WChar => WCHAR_SIZE,
            Scalar::LongDouble => LONG_DOUBLE_SIZE,
            Scalar::ComplexF32 => 8,
            Scalar::ComplexF64 => 16,
            Scalar::ComplexLongDouble => 2 * LONG_DOUBLE_SIZE,
            Scalar::CharP | Scalar::WCharP | Scalar::VoidP => size_of::<*const c_void>(),
        }
    }

    /// `_Alignof` on this platform.
    pub(crate) const fn align(self) -> usize {
        match self {
            Scalar::I64 | Scalar::U64 => align_of::<i64>(),
            Scalar::F64 => align_of::<f64>(),
            Scalar::LongDouble | Scalar::ComplexLongDouble => LONG_DOUBLE_SIZE,
            Scalar::ComplexF32 => 4,
            Scalar::ComplexF64 => align_of::<f64>(),
            Scalar::CharP | Scalar::WCharP | Scalar::VoidP => align_of::<*const c_void>(),
            other => other.size(),
        }
    }

    /// Whether an integer type is signed (`char` is signed on x86, unsigned
    /// on arm and aarch64 Linux, as the C compiler has it).
    pub(crate) const fn is_signed(self) -> bool {
        match self {
            Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::I64 => true,
            Scalar::Char => {
                cfg!(not(any(target_arch = "arm", target_arch = "aarch64")))
                    || cfg!(target_vendor = "apple")
            }
            Scalar::WChar => !cfg!(windows),
            _ => false,
        }
    }

    /// For the integer types narrower than a word: how many bits above the
    /// type's width a register holds (64 minus the width); 0 for the rest,
    /// whose images are never narrowed.
    pub(crate) const fn extend_shift(self) -> u32 {
        match self {
            Scalar::I8 | Scalar::U8 | Scalar::Bool | Scalar::Char => 56,
            Scalar::I16 | Scalar::U16 => 48,
            Scalar::I32 | Scalar::U32 => 32,
            Scalar::WChar => 64 - 8 * crate::conv::WCHAR_BYTES as u32,
            _ => 0,
        }
    }

    /// Whether a narrow integer of this type is sign-extended in a register
    /// (see [`extend_shift`](Scalar::extend_shift)).
    pub(crate) const fn extends_signed(self) -> bool {
        match self {
            Scalar::WChar => self.is_signed() && crate::conv::WCHAR_BYTES != 2,
            _ => self.is_signed(),
        }
    }

    /// Integer types (those a bitfield may have, and `bool`/`char`).
    pub(crate) const fn is_integer(self) -> bool {
        matches!(self, Scalar::Bool | Scalar::Char | Scalar::WChar) || self.is_plain_int()
    }

    /// The fixed-width integer types (not `bool`, `char` or `wchar_t`).
    pub(crate) const fn is_plain_int(self) -> bool {
        matches!(
            self,
            Scalar::I8
                | Scalar::U8
                | Scalar::I16
                | Scalar::U16
                | Scalar::I32
                | Scalar::U32
                | Scalar::I64
                | Scalar::U64
        )
    }

    /// The types whose values are numbers held in one word: integers,
    /// `bool`, `char`, `wchar_t`, `float`, `double`, `float _Complex`
    /// (their conversions refer to nothing).
    pub(crate) const fn is_number(self) -> bool {
        self.has_word_image() && !self.is_pointer()
    }

    pub(crate) const fn is_pointer(self) -> bool {
        matches!(self, Scalar::CharP | Scalar::WCharP | Scalar::VoidP)
    }

    /// The complex types.
    pub(crate) const fn is_complex(self) -> bool {
        matches!(
            self,
            Scalar::ComplexF32 | Scalar::ComplexF64 | Scalar::ComplexLongDouble
        )
    }

    /// Whether values have a one-word image (see `conv`): everything but
    /// the types wider than 8 bytes.
    pub(crate) const fn has_word_image(self) -> bool {
        self.size() <= 8
    }

    /// The signed or unsigned integer variant of a given byte size.
    pub(crate) const fn int_of_size(size: usize, signed: bool) -> Scalar {
        match (size, signed) {
            (1, true) => Scalar::I8,
            (1, false) => Scalar::U8,
            (2, true) => Scalar::I16,
            (2, false) => Scalar::U16,
            (4, true) => Scalar::I32,
            (4, false) => Scalar::U32,
            (_, true) => Scalar::I64,
            (_, false) => Scalar::U64,
        }
    }

    /// The libffi type describing this scalar.
    pub(crate) fn ffi_type(self) -> *mut ffi_type {
        let int = |size: usize, signed: bool| -> *mut ffi_type {
            match (size, signed) {
                (1, true) => &raw mut raw::ffi_type_sint8,
                (1, false) => &raw mut raw::ffi_type_uint8,
                (2, true) => &raw mut raw::ffi_type_sint16,
                (2, false) => &raw mut raw::ffi_type_uint16,
                (4, true) => &raw mut raw::ffi_type_sint32,
                (4, false) => &raw mut raw::ffi_type_uint32,
                (_, true) => &raw mut raw::ffi_type_sint64,
                (_, false) => &raw mut raw::ffi_type_uint64,
            }
        };
        match self {
            Scalar::F32 => &raw mut raw::ffi_type_float,
            Scalar::F64 => &raw mut raw::ffi_type_double,
            Scalar::LongDouble => match LONG_DOUBLE {
                LongDoubleFormat::Double => &raw mut raw::ffi_type_double,
                _ => &raw mut raw::ffi_type_longdouble,
            },
            #[cfg(not(windows))]
            Scalar::ComplexF32 => &raw mut raw::ffi_type_complex_float,
            #[cfg(not(windows))]
            Scalar::ComplexF64 => &raw mut raw::ffi_type_complex_double,
            #[cfg(not(windows))]
            Scalar::ComplexLongDouble => &raw mut raw::ffi_type_complex_longdouble,
            Scalar::CharP | Scalar::WCharP | Scalar::VoidP => &raw mut raw::ffi_type_pointer,
            other => int(other.size(), other.is_signed()),
        }
    }
}

// The table above must agree with the Rust compiler's view of the C ABI.
const _: () = assert!(Scalar::I32.size() == size_of::<c_int>());
const _: () = assert!(Scalar::I64.size() == size_of::<c_long>() || size_of::<c_long>() == 4);
