//! C type descriptors created at run time: the fundamental types, `POINTER(T)`,
//! arrays, function prototypes and (in [`record`]) structures and unions.

pub(crate) mod ffi;
pub(crate) mod record;
pub(crate) mod scalar;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};

use once_cell::sync::Lazy;

use crate::error::{Error, Result};
pub(crate) use record::Record;
pub use record::{BitField, Field, FieldHandle, RecordBuilder};
pub(crate) use scalar::Scalar;

/// A C type, described at run time: the counterpart of a ctypes type object
/// (`c_int`, `POINTER(c_int)`, `c_int * 4`, a `Structure` subclass,
/// `CFUNCTYPE(...)`).
///
/// `CType` is a cheap handle (an `Arc`): cloning it never copies the
/// description. It is `Send + Sync`, so one set of types can serve every
/// thread.
///
/// Equality follows ctypes: fundamental types that share a representation are
/// the same type (`c_int == c_int32`, and on LP64 `c_long == c_longlong`),
/// pointer and array types are equal when their parts are, and each structure
/// or union is a type of its own (two declarations with the same fields are
/// different types, as two Python classes are).
///
/// ```
/// use rctypes::{CType, sizeof, alignment};
/// let four_ints = CType::c_int().array(4);
/// assert_eq!(sizeof(&four_ints), 16);
/// assert_eq!(alignment(&CType::c_double()), 8);
/// assert_eq!(CType::c_int(), CType::c_int32());
/// assert_eq!(CType::c_int().pointer().to_string(), "POINTER(c_int)");
/// ```
#[derive(Clone)]
pub struct CType(pub(crate) Arc<TypeInner>);

pub(crate) struct TypeInner {
    pub(crate) kind: Kind,
}

pub(crate) enum Kind {
    /// `void`: only meaningful as a restype.
    Void,
    /// A fundamental type; `name` is how the user spelled it (`c_int32` or
    /// `c_int`). `swapped`: stored in the other byte order (a field of a
    /// big-endian record on a little-endian host).
    Scalar {
        scalar: Scalar,
        name: &'static str,
        swapped: bool,
    },
    /// `POINTER(T)`.
    Pointer(Pointee),
    /// `T * len`. `size` is `None` when `len * sizeof(T)` overflows.
    Array {
        elem: CType,
        len: usize,
        size: Option<usize>,
    },
    /// `CFUNCTYPE(restype, *argtypes)`: instances are function pointers.
    Function(FnSig),
    /// A structure or union.
    Record(Record),
}

/// What a pointer type points to.
///
/// A pointer to a structure that is declared but not yet defined holds it
/// weakly: such pointers are how self-referential types are built (a linked
/// list's `next`), and a strong reference would make the record and its
/// own field type keep each other alive forever.
pub(crate) enum Pointee {
    Strong(CType),
    Weak {
        target: Weak<TypeInner>,
        name: String,
    },
}

impl Pointee {
    pub(crate) fn get(&self) -> Option<CType> {
        match self {
            Pointee::Strong(t) => Some(t.clone()),
            Pointee::Weak { target, .. } => target.upgrade().map(CType),
        }
    }

    fn same(&self, other: &Pointee) -> bool {
        match (self.get(), other.get()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// The prototype of a C function type.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct FnSig {
    pub(crate) restype: CType,
    pub(crate) argtypes: Vec<CType>,
}

macro_rules! scalar_constructors {
    ($( $(#[$doc:meta])* $fn_name:ident => $scalar:expr ),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $fn_name() -> CType {
                static TYPE: Lazy<CType> = Lazy::new(|| {
                    CType::new(Kind::Scalar { scalar: $scalar, name: stringify!($fn_name), swapped: false })
                });
                TYPE.clone()
            }
        )*
    };
}

const LONG_IS_64: bool = std::mem::size_of::<std::ffi::c_long>() == 8;
const SIZE_T_IS_64: bool = std::mem::size_of::<usize>() == 8;

impl CType {
    pub(crate) fn new(kind: Kind) -> CType {
        CType(Arc::new(TypeInner { kind }))
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.0.kind
    }

    scalar_constructors! {
        /// `_Bool` (ctypes `c_bool`): values are [`Value::Bool`](crate::Value::Bool).
        c_bool => Scalar::Bool,
        /// `char` (ctypes `c_char`): a single byte; values are one-byte
        /// [`Value::Bytes`](crate::Value::Bytes), and integers 0..=255 or -128..=127 are accepted.
        c_char => Scalar::Char,
        /// `wchar_t` (ctypes `c_wchar`): values are one-character [`Value::Str`](crate::Value::Str).
        c_wchar => Scalar::WChar,
        /// `signed char` (ctypes `c_byte`), an integer.
        c_byte => Scalar::I8,
        /// `unsigned char` (ctypes `c_ubyte`), an integer.
        c_ubyte => Scalar::U8,
        /// `short`.
        c_short => Scalar::I16,
        /// `unsigned short`.
        c_ushort => Scalar::U16,
        /// `int`.
        c_int => Scalar::I32,
        /// `unsigned int`.
        c_uint => Scalar::U32,
        /// `long` (64 bits on LP64 Unix, 32 on Windows).
        c_long => Scalar::int_of_size(if LONG_IS_64 { 8 } else { 4 }, true),
        /// `unsigned long`.
        c_ulong => Scalar::int_of_size(if LONG_IS_64 { 8 } else { 4 }, false),
        /// `long long`.
        c_longlong => Scalar::I64,
        /// `unsigned long long`.
        c_ulonglong => Scalar::U64,
        /// `size_t`.
        c_size_t => Scalar::int_of_size(if SIZE_T_IS_64 { 8 } else { 4 }, false),
        /// `ssize_t` / `ptrdiff_t`.
        c_ssize_t => Scalar::int_of_size(if SIZE_T_IS_64 { 8 } else { 4 }, true),
        /// `int8_t`.
        c_int8 => Scalar::I8,
        /// `uint8_t`.
        c_uint8 => Scalar::U8,
        /// `int16_t`.
        c_int16 => Scalar::I16,
        /// `uint16_t`.
        c_uint16 => Scalar::U16,
        /// `int32_t`.
        c_int32 => Scalar::I32,
        /// `uint32_t`.
        c_uint32 => Scalar::U32,
        /// `int64_t`.
        c_int64 => Scalar::I64,
        /// `uint64_t`.
        c_uint64 => Scalar::U64,
        /// `float`.
        c_float => Scalar::F32,
        /// `double`.
        c_double => Scalar::F64,
        /// `long double`. On x86_64 it is the 80-bit x87 format in 16 bytes;
        /// values convert to and from `f64` (rounding to nearest), as ctypes does.
        c_longdouble => Scalar::LongDouble,
        /// `float _Complex` (ctypes 3.14 `c_float_complex`): values are
        /// [`Value::Complex`](crate::Value::Complex); a real number is accepted
        /// as a value with imaginary part 0.
        c_float_complex => Scalar::ComplexF32,
        /// `double _Complex` (ctypes 3.14 `c_double_complex`).
        c_double_complex => Scalar::ComplexF64,
        /// `long double _Complex` (ctypes 3.14 `c_longdouble_complex`); parts
        /// convert to and from `f64` as [`c_longdouble`](CType::c_longdouble) does.
        c_longdouble_complex => Scalar::ComplexLongDouble,
        /// `char *` as a NUL-terminated byte string (ctypes `c_char_p`): results are
        /// [`Value::Bytes`](crate::Value::Bytes), or [`Value::Null`](crate::Value::Null) for NULL.
        c_char_p => Scalar::CharP,
        /// `wchar_t *` as a NUL-terminated wide string (ctypes `c_wchar_p`): results
        /// are [`Value::Str`](crate::Value::Str), or [`Value::Null`](crate::Value::Null) for NULL.
        c_wchar_p => Scalar::WCharP,
        /// `void *` (ctypes `c_void_p`): results are [`Value::Pointer`](crate::Value::Pointer),
        /// or [`Value::Null`](crate::Value::Null) for NULL.
        c_void_p => Scalar::VoidP,
    }

    /// `void`, for a function that returns nothing (ctypes `restype = None`).
    pub fn void() -> CType {
        static TYPE: Lazy<CType> = Lazy::new(|| CType::new(Kind::Void));
        TYPE.clone()
    }

    /// `POINTER(self)`: a pointer to this type.
    ///
    /// ```
    /// use rctypes::CType;
    /// let p = CType::c_int().pointer();
    /// assert_eq!(p.pointee(), Some(CType::c_int()));
    /// assert_eq!(rctypes::sizeof(&p), std::mem::size_of::<usize>());
    /// ```
    pub fn pointer(&self) -> CType {
        let pointee = match self.kind() {
            Kind::Record(r) if r.body.get().is_none() => Pointee::Weak {
                target: Arc::downgrade(&self.0),
                name: r.name.clone(),
            },
            _ => Pointee::Strong(self.clone()),
        };
        CType::new(Kind::Pointer(pointee))
    }

    /// `self * len`: an array of `len` elements.
    ///
    /// An array whose byte size would overflow `usize`, an array of `void`
    /// and an array of an incomplete structure can be described, but not
    /// instantiated, passed or used as a field: those report an error.
    ///
    /// ```
    /// use rctypes::CType;
    /// let a = CType::c_double().array(3);
    /// assert_eq!((rctypes::sizeof(&a), a.array_len()), (24, Some(3)));
    /// ```
    pub fn array(&self, len: usize) -> CType {
        // `void` has no elements to count (C forbids arrays of it)
        let size = match self.kind() {
            Kind::Void => None,
            _ => self.known_size().and_then(|s| s.checked_mul(len)),
        };
        CType::new(Kind::Array {
            elem: self.clone(),
            len,
            size,
        })
    }

    /// `CFUNCTYPE(restype, *argtypes)`: the type of a pointer to a C function
    /// with this prototype. Use it as an argtype, a restype, a field type, or
    /// to describe a C function pointer.
    ///
    /// ```
    /// use rctypes::CType;
    /// let binop = CType::function(CType::c_int(), [CType::c_int(), CType::c_int()]);
    /// assert_eq!(binop.to_string(), "CFUNCTYPE(c_int, c_int, c_int)");
    /// ```
    pub fn function(restype: CType, argtypes: impl IntoIterator<Item = CType>) -> CType {
        CType::new(Kind::Function(FnSig {
            restype,
            argtypes: argtypes.into_iter().collect(),
        }))
    }

    /// `sizeof(T)` in bytes. `void` has size 0; an array too large for
    /// `usize` reports `usize::MAX`.
    pub fn size(&self) -> usize {
        self.known_size().unwrap_or(usize::MAX)
    }

    /// `_Alignof(T)` in bytes (1 for `void`).
    pub fn align(&self) -> usize {
        match self.kind() {
            Kind::Void => 1,
            Kind::Scalar { scalar, .. } => scalar.align(),
            Kind::Pointer(_) | Kind::Function(_) => Scalar::VoidP.align(),
            Kind::Array { elem, .. } => elem.align(),
            Kind::Record(r) => r.body.get().map_or(1, |b| b.align),
        }
    }

    /// The size, or an error for a type that cannot be laid out in memory.
    #[inline]
    pub(crate) fn layout_size(&self) -> Result<usize> {
        match self.known_size() {
            Some(size) => Ok(size),
            None => Err(self.no_size()),
        }
    }

    /// The size, when the type has one that fits `usize`.
    #[inline]
    fn known_size(&self) -> Option<usize> {
        match self.kind() {
            Kind::Void => Some(0),
            Kind::Scalar { scalar, .. } => Some(scalar.size()),
            Kind::Pointer(_) | Kind::Function(_) => Some(Scalar::VoidP.size()),
            Kind::Array { size, .. } => *size,
            Kind::Record(r) => r.body.get().map(|b| b.size),
        }
    }

    /// Why [`known_size`](CType::known_size) has no answer.
    #[cold]
    fn no_size(&self) -> Error {
        match self.kind() {
            Kind::Record(r) => Error::Unsupported {
                operation: "using it in memory".into(),
                type_name: r.name.clone().into(),
                reason: "the type is incomplete: declared but not yet defined".into(),
            },
            Kind::Array { elem, .. } if elem.is_void() => Error::Unsupported {
                operation: "using it in memory".into(),
                type_name: self.to_string().into(),
                reason: "an array of void has no size".into(),
            },
            Kind::Array { elem, .. } if elem.known_size().is_none() => elem.no_size(),
            _ => Error::Definition {
                type_name: self.to_string().into(),
                message: "the array's size in bytes overflows usize".into(),
            },
        }
    }

    /// For `POINTER(T)`, `T` (`None` also when `T` was an incomplete
    /// structure whose last handle has been dropped).
    pub fn pointee(&self) -> Option<CType> {
        match self.kind() {
            Kind::Pointer(t) => t.get(),
            _ => None,
        }
    }

    /// For `T * n`, `T`.
    pub fn element(&self) -> Option<&CType> {
        match self.kind() {
            Kind::Array { elem, .. } => Some(elem),
            _ => None,
        }
    }

    /// For `T * n`, `n`.
    pub fn array_len(&self) -> Option<usize> {
        match self.kind() {
            Kind::Array { len, .. } => Some(*len),
            _ => None,
        }
    }

    /// For a `CFUNCTYPE`, its restype and argtypes.
    pub fn prototype(&self) -> Option<(&CType, &[CType])> {
        match self.kind() {
            Kind::Function(sig) => Some((&sig.restype, &sig.argtypes)),
            _ => None,
        }
    }

    /// Whether this is `void`.
    pub fn is_void(&self) -> bool {
        matches!(self.kind(), Kind::Void)
    }

    /// The fundamental type this is, if it is one.
    pub(crate) fn scalar(&self) -> Option<Scalar> {
        match self.kind() {
            Kind::Scalar { scalar, .. } => Some(*scalar),
            _ => None,
        }
    }

    /// Whether values of this scalar type are stored byte-swapped.
    pub(crate) fn is_swapped(&self) -> bool {
        matches!(self.kind(), Kind::Scalar { swapped: true, .. })
    }

    /// Whether an instance of this type holds an address: `c_void_p`,
    /// `c_char_p`, `c_wchar_p`, `POINTER(T)` or a function pointer
    /// (`CFUNCTYPE`). Arrays are not: they hold their elements.
    pub(crate) fn holds_address(&self) -> bool {
        match self.kind() {
            Kind::Scalar { scalar, .. } => scalar.is_pointer(),
            Kind::Pointer(_) | Kind::Function(_) => true,
            _ => false,
        }
    }

    /// Whether a value of this type is passed as a C pointer (`char *`,
    /// `void *`, `POINTER(T)`, a function pointer; arrays decay to pointers).
    pub(crate) fn is_pointer_like(&self) -> bool {
        match self.kind() {
            Kind::Scalar { scalar, .. } => scalar.is_pointer(),
            Kind::Pointer(_) | Kind::Function(_) | Kind::Array { .. } => true,
            Kind::Void | Kind::Record(_) => false,
        }
    }
}

impl PartialEq for CType {
    /// The same handle is the same type at once (inline); otherwise the
    /// descriptions are compared.
    #[inline]
    fn eq(&self, other: &CType) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.same_description(other)
    }
}

impl CType {
    /// Equality of two distinct handles (see `PartialEq`).
    fn same_description(&self, other: &CType) -> bool {
        match (self.kind(), other.kind()) {
            (Kind::Void, Kind::Void) => true,
            (
                Kind::Scalar {
                    scalar: a,
                    swapped: sa,
                    ..
                },
                Kind::Scalar {
                    scalar: b,
                    swapped: sb,
                    ..
                },
            ) => a == b && sa == sb,
            (Kind::Pointer(a), Kind::Pointer(b)) => a.same(b),
            (
                Kind::Array {
                    elem: a, len: la, ..
                },
                Kind::Array {
                    elem: b, len: lb, ..
                },
            ) => la == lb && a == b,
            (Kind::Function(a), Kind::Function(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for CType {}

impl Hash for CType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.kind() {
            Kind::Void => 0u8.hash(state),
            Kind::Scalar {
                scalar, swapped, ..
            } => {
                1u8.hash(state);
                scalar.hash(state);
                swapped.hash(state);
            }
            Kind::Pointer(t) => {
                2u8.hash(state);
                if let Some(t) = t.get() {
                    t.hash(state);
                }
            }
            Kind::Array { elem, len, .. } => {
                3u8.hash(state);
                elem.hash(state);
                len.hash(state);
            }
            Kind::Function(sig) => {
                4u8.hash(state);
                sig.hash(state);
            }
            Kind::Record(_) => {
                5u8.hash(state);
                Arc::as_ptr(&self.0).hash(state);
            }
        }
    }
}

impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Kind::Void => f.write_str("void"),
            Kind::Scalar { name, swapped, .. } => {
                f.write_str(name)?;
                if *swapped {
                    f.write_str(if cfg!(target_endian = "little") {
                        "_be"
                    } else {
                        "_le"
                    })?;
                }
                Ok(())
            }
            Kind::Pointer(Pointee::Strong(t)) => write!(f, "POINTER({t})"),
            Kind::Pointer(Pointee::Weak { name, .. }) => write!(f, "POINTER({name})"),
            Kind::Record(r) => f.write_str(&r.name),
            Kind::Array { elem, len, .. } => write!(f, "{elem} * {len}"),
            Kind::Function(sig) => {
                write!(f, "CFUNCTYPE({}", sig.restype)?;
                for a in &sig.argtypes {
                    write!(f, ", {a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Debug for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CType({self})")
    }
}

impl AsRef<CType> for CType {
    fn as_ref(&self) -> &CType {
        self
    }
}

/// `ctypes.sizeof(T)` or `sizeof(obj)`: the size of a type, or of an
/// instance's type, in bytes.
///
/// ```
/// use rctypes::{CData, CType, sizeof};
/// assert_eq!(sizeof(&CType::c_short()), 2);
/// assert_eq!(sizeof(&CData::new(&CType::c_double().array(3))), 24);
/// ```
pub fn sizeof(ty: &(impl AsRef<CType> + ?Sized)) -> usize {
    ty.as_ref().size()
}

/// `ctypes.alignment(T)` or `alignment(obj)`: the alignment in bytes.
///
/// ```
/// assert_eq!(rctypes::alignment(&rctypes::CType::c_int64()), 8);
/// ```
pub fn alignment(ty: &(impl AsRef<CType> + ?Sized)) -> usize {
    ty.as_ref().align()
}
