//! `Value`: what goes into a call and what comes out of it.

use std::fmt;

use crate::callback::Callback;
use crate::error::{Error, Result};
use crate::memory::CData;

/// A value crossing the boundary: an argument, a result, or what is stored in
/// or read from C memory.
///
/// Scalars are plain Rust data; [`Value::Data`] holds a C instance (a
/// structure, an array, a pointer, a `c_int(5)`), and [`Value::ByRef`] is
/// ctypes' `byref(obj)`.
///
/// ```
/// use rctypes::Value;
/// let v: Value = 5.into();
/// assert_eq!(v.as_i64().unwrap(), 5);
/// assert_eq!(Value::from("hi").as_bytes().unwrap(), b"hi");
/// assert!(Value::from(1.5).as_i64().is_err());
/// ```
#[non_exhaustive]
pub enum Value {
    /// The result of a function whose restype is `void`.
    Void,
    /// C's NULL (Python's `None`).
    Null,
    /// A `_Bool`.
    Bool(bool),
    /// A signed integer (results of signed C types).
    Int(i64),
    /// An unsigned integer (results of unsigned C types).
    UInt(u64),
    /// A floating-point number (`float`, `double` and `long double` results).
    Float(f64),
    /// A complex number, real and imaginary parts (`float _Complex`,
    /// `double _Complex` and `long double _Complex` values).
    Complex(f64, f64),
    /// A byte string: `c_char_p` results (without the NUL) and `c_char` results
    /// (one byte); as an argument, a `char *` to a NUL-terminated copy.
    Bytes(Vec<u8>),
    /// A text string: `c_wchar_p` and `c_wchar` results; as an argument, a
    /// `char *` (UTF-8) or a `wchar_t *`, as declared.
    Str(String),
    /// A raw address: `c_void_p` results.
    Pointer(usize),
    /// A C instance: structures, unions, arrays, pointers and scalar instances.
    Data(CData),
    /// A [`Callback`]: passed as the address of its code where a function
    /// pointer of the same prototype (or `c_void_p`) is declared, and kept
    /// alive for the call (or, stored in a field, as long as the structure).
    Callback(Callback),
    /// `byref(obj)` or `byref_at(obj, offset)`: the address of an instance,
    /// for a pointer parameter. The instance stays alive while this value does.
    ByRef {
        /// The instance whose address is passed.
        target: CData,
        /// Added to the instance's address.
        offset: usize,
    },
}

impl Clone for Value {
    /// Plain numbers are copied inline; owned strings and instance handles
    /// are cloned (an instance handle is a reference count).
    #[inline]
    fn clone(&self) -> Value {
        if self.owns_nothing() {
            // SAFETY: this variant holds only plain data (numbers, an
            // address), so a bitwise copy is an independent, valid value
            // with nothing shared or to be dropped twice.
            unsafe { std::ptr::read(self) }
        } else {
            self.clone_owned()
        }
    }
}

impl Value {
    /// The clone of a value that owns something, out of the numbers' way.
    #[inline(never)]
    fn clone_owned(&self) -> Value {
        match self {
            Value::Bytes(b) => Value::Bytes(b.clone()),
            Value::Str(t) => Value::Str(t.clone()),
            Value::Data(d) => Value::Data(d.clone()),
            Value::Callback(c) => Value::Callback(c.clone()),
            Value::ByRef { target, offset } => Value::ByRef {
                target: target.clone(),
                offset: *offset,
            },
            Value::Void => Value::Void,
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::UInt(u) => Value::UInt(*u),
            Value::Float(x) => Value::Float(*x),
            Value::Complex(re, im) => Value::Complex(*re, *im),
            Value::Pointer(p) => Value::Pointer(*p),
        }
    }

    /// Drops the value, inline when it owns nothing (a number's drop is a
    /// no-op, but the enum's drop glue is a call).
    #[inline(always)]
    pub(crate) fn discard(self) {
        if self.owns_nothing() {
            std::mem::forget(self);
        } else {
            drop(self);
        }
    }

    /// Whether the value is a plain number or marker (no heap, no handle).
    #[inline(always)]
    pub(crate) fn owns_nothing(&self) -> bool {
        matches!(
            self,
            Value::Void
                | Value::Null
                | Value::Bool(_)
                | Value::Int(_)
                | Value::UInt(_)
                | Value::Float(_)
                | Value::Complex(..)
                | Value::Pointer(_)
        )
    }
}

/// `ctypes.byref(obj)`: pass `obj`'s address to a pointer parameter.
///
/// No pointer instance is created, as with ctypes. The
/// instance stays alive as long as the returned value.
///
/// ```
/// use rctypes::{byref, CData, CType, Value};
/// let out = CData::new(&CType::c_int());
/// let arg: Value = byref(&out);
/// assert_eq!(arg.as_address().unwrap(), out.address());
/// ```
pub fn byref(obj: &CData) -> Value {
    Value::ByRef {
        target: obj.clone(),
        offset: 0,
    }
}

/// `ctypes.byref(obj, offset)`: `obj`'s address plus `offset` bytes.
///
/// # Errors
/// [`Error::IndexOutOfRange`] when `offset` lies beyond the end of `obj`.
pub fn byref_at(obj: &CData, offset: usize) -> Result<Value> {
    if offset > obj.ctype().size() {
        return Err(Error::IndexOutOfRange {
            type_name: obj.ctype().to_string().into(),
            index: offset,
            len: obj.ctype().size(),
        });
    }
    Ok(Value::ByRef {
        target: obj.clone(),
        offset,
    })
}

/// The address `byref_at(target, offset)` stands for, or `None` when the
/// offset lies beyond the end of the instance (the fields of
/// [`Value::ByRef`] are public, so any offset can reach here).
pub(crate) fn byref_address(target: &CData, offset: usize) -> Option<usize> {
    if offset > target.ctype().size() {
        return None;
    }
    target.address().checked_add(offset)
}

impl Value {
    /// A short description for error messages: the kind and a bounded
    /// rendering of the content.
    pub(crate) fn describe(&self) -> String {
        fn bounded(s: String) -> String {
            const MAX: usize = 40;
            if s.chars().count() > MAX {
                let cut: String = s.chars().take(MAX).collect();
                format!("{cut}...")
            } else {
                s
            }
        }
        match self {
            Value::Void => "void".into(),
            Value::Null => "NULL".into(),
            Value::Bool(b) => format!("bool {b}"),
            Value::Int(i) => format!("int {i}"),
            Value::UInt(u) => format!("unsigned int {u}"),
            Value::Float(x) => format!("float {x:?}"),
            Value::Complex(re, im) => format!("complex ({re:?}, {im:?})"),
            Value::Bytes(b) => format!(
                "bytes b\"{}\" (length {})",
                bounded(b.escape_ascii().to_string()),
                b.len()
            ),
            Value::Str(s) => format!(
                "str {:?} (length {})",
                bounded(s.clone()),
                s.chars().count()
            ),
            Value::Pointer(p) => format!("pointer {p:#x}"),
            Value::Data(d) => format!("{} instance", d.ctype()),
            Value::Callback(cb) => format!("callback {}", cb.prototype()),
            Value::ByRef { target, offset } => {
                if *offset == 0 {
                    format!("byref({} instance)", target.ctype())
                } else {
                    format!("byref({} instance, {offset})", target.ctype())
                }
            }
        }
    }

    fn wrong(&self, expected: &str) -> Error {
        Error::ValueType {
            expected: expected.to_owned().into(),
            given: self.describe().into(),
        }
    }

    /// A scalar instance's value, so that accessors see through `c_int(5)`.
    fn scalar_data(&self) -> Option<Value> {
        match self {
            Value::Data(d) if d.ctype().scalar().is_some() => d.value().ok(),
            _ => None,
        }
    }

    /// The value as an `i64`.
    ///
    /// Accepts `Int`, `UInt` up to `i64::MAX`, `Bool` (0 or 1) and scalar
    /// integer instances.
    ///
    /// # Errors
    /// [`Error::ValueType`] for anything else, or a `UInt` too large.
    #[inline]
    pub fn as_i64(&self) -> Result<i64> {
        match self {
            Value::Int(i) => Ok(*i),
            _ => self.as_i64_slow(),
        }
    }

    /// The rest of [`as_i64`](Value::as_i64).
    #[inline(never)]
    fn as_i64_slow(&self) -> Result<i64> {
        match self {
            Value::Int(i) => Ok(*i),
            Value::UInt(u) => {
                i64::try_from(*u).map_err(|_| self.wrong("an integer in i64's range"))
            }
            Value::Bool(b) => Ok(i64::from(*b)),
            _ => match self.scalar_data() {
                Some(v @ (Value::Int(_) | Value::UInt(_) | Value::Bool(_))) => v.as_i64(),
                _ => Err(self.wrong("an integer")),
            },
        }
    }

    /// The value as a `u64`.
    ///
    /// Accepts `UInt`, non-negative `Int`, `Bool` and scalar integer instances.
    ///
    /// # Errors
    /// [`Error::ValueType`] for anything else, or a negative `Int`.
    pub fn as_u64(&self) -> Result<u64> {
        match self {
            Value::UInt(u) => Ok(*u),
            Value::Int(i) => u64::try_from(*i).map_err(|_| self.wrong("a non-negative integer")),
            Value::Bool(b) => Ok(u64::from(*b)),
            _ => match self.scalar_data() {
                Some(v @ (Value::Int(_) | Value::UInt(_) | Value::Bool(_))) => v.as_u64(),
                _ => Err(self.wrong("an integer")),
            },
        }
    }

    /// The value as an `f64`.
    ///
    /// Accepts `Float`, and `Int`/`UInt` converted as Rust's `as` does
    /// (exact below 2^53).
    ///
    /// # Errors
    /// [`Error::ValueType`] for anything else.
    #[inline]
    pub fn as_f64(&self) -> Result<f64> {
        match self {
            Value::Float(x) => Ok(*x),
            _ => self.as_f64_slow(),
        }
    }

    /// The rest of [`as_f64`](Value::as_f64).
    #[inline(never)]
    fn as_f64_slow(&self) -> Result<f64> {
        match self {
            Value::Float(x) => Ok(*x),
            Value::Int(i) => Ok(*i as f64),
            Value::UInt(u) => Ok(*u as f64),
            _ => match self.scalar_data() {
                Some(v @ (Value::Float(_) | Value::Int(_) | Value::UInt(_))) => v.as_f64(),
                _ => Err(self.wrong("a number")),
            },
        }
    }

    /// The value as a `bool`: `Bool`, or an integer (non-zero is true, as C's
    /// conversion to `_Bool`).
    ///
    /// # Errors
    /// [`Error::ValueType`] for anything else.
    pub fn as_bool(&self) -> Result<bool> {
        match self {
            Value::Bool(b) => Ok(*b),
            Value::Int(i) => Ok(*i != 0),
            Value::UInt(u) => Ok(*u != 0),
            _ => match self.scalar_data() {
                Some(v @ (Value::Bool(_) | Value::Int(_) | Value::UInt(_))) => v.as_bool(),
                _ => Err(self.wrong("a bool")),
            },
        }
    }

    /// The bytes of a `Bytes` value, or the UTF-8 bytes of a `Str`.
    ///
    /// # Errors
    /// [`Error::ValueType`] for anything else.
    pub fn as_bytes(&self) -> Result<&[u8]> {
        match self {
            Value::Bytes(b) => Ok(b),
            Value::Str(s) => Ok(s.as_bytes()),
            _ => Err(self.wrong("bytes")),
        }
    }

    /// The text of a `Str` value, or of a `Bytes` value that is valid UTF-8.
    ///
    /// # Errors
    /// [`Error::ValueType`] for anything else, or bytes that are not UTF-8.
    pub fn as_str(&self) -> Result<&str> {
        match self {
            Value::Str(s) => Ok(s),
            Value::Bytes(b) => std::str::from_utf8(b).map_err(|e| Error::ValueType {
                expected: "UTF-8 text".into(),
                given: format!("{} ({e})", self.describe()).into(),
            }),
            _ => Err(self.wrong("a string")),
        }
    }

    /// The value as an address: `Pointer`, `Null` (0), a pointer or
    /// function-pointer instance (the address it holds), any other instance
    /// (its own address, like `addressof`) and `ByRef`.
    ///
    /// # Errors
    /// [`Error::ValueType`] for numbers and strings.
    pub fn as_address(&self) -> Result<usize> {
        match self {
            Value::Pointer(p) => Ok(*p),
            Value::Null => Ok(0),
            Value::Data(d) => Ok(d.as_pointer()),
            Value::ByRef { target, offset } => byref_address(target, *offset).ok_or_else(|| {
                self.wrong(&format!(
                    "an offset of at most {} bytes into the {} instance",
                    target.ctype().size(),
                    target.ctype()
                ))
            }),
            Value::Callback(cb) => Ok(cb.address()),
            _ => Err(self.wrong("an address")),
        }
    }

    /// Whether the value is NULL: `Null`, `Pointer(0)`, or a pointer
    /// instance holding NULL.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null | Value::Pointer(0) => true,
            Value::Data(d) => d.pointer_value() == Some(0),
            _ => false,
        }
    }

    /// A borrow of the C instance inside a `Data` value (no clone: what a
    /// callback reads its pointer and structure arguments with).
    ///
    /// ```
    /// use rctypes::{CData, CType, Value};
    /// let v = Value::from(CData::with_value(&CType::c_int(), 7).unwrap());
    /// assert_eq!(v.as_data().unwrap().value().unwrap(), Value::Int(7));
    /// assert!(Value::Int(7).as_data().is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::ValueType`] for any other kind of value.
    pub fn as_data(&self) -> Result<&CData> {
        match self {
            Value::Data(d) => Ok(d),
            other => Err(other.wrong("a C instance")),
        }
    }

    /// The C instance inside a `Data` value.
    ///
    /// # Errors
    /// [`Error::ValueType`] for any other kind of value.
    pub fn into_data(self) -> Result<CData> {
        match self {
            Value::Data(d) => Ok(d),
            other => Err(other.wrong("a C instance")),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Void => f.write_str("Void"),
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::UInt(u) => write!(f, "UInt({u})"),
            Value::Float(x) => write!(f, "Float({x:?})"),
            Value::Complex(re, im) => write!(f, "Complex({re:?}, {im:?})"),
            Value::Bytes(b) => write!(f, "Bytes(b\"{}\")", b.escape_ascii()),
            Value::Str(s) => write!(f, "Str({s:?})"),
            Value::Pointer(p) => write!(f, "Pointer({p:#x})"),
            Value::Data(d) => write!(f, "Data({d:?})"),
            Value::Callback(cb) => write!(f, "{cb:?}"),
            Value::ByRef { target, offset } => write!(f, "ByRef({target:?}, {offset})"),
        }
    }
}

/// Shows a value as a C programmer reads it: numbers plainly (`42`, `1.5`;
/// width and precision apply), `true`/`false`, `NULL`, `void`, text as it is,
/// bytes as a byte-string literal (`b"hi\n"`), an address in hex
/// (`0x7ffd…`), a complex number as `(1.5+2.0i)`, an instance as its
/// [`Debug`](CData#impl-Debug-for-CData) shows it (`Point { x: 3, y: 4 }`).
///
/// ```
/// use rctypes::Value;
/// assert_eq!(Value::Int(-3).to_string(), "-3");
/// assert_eq!(format!("{:.2}", Value::Float(0.125)), "0.12");
/// assert_eq!(Value::Float(2.0).to_string(), "2.0");
/// assert_eq!(Value::Bytes(b"a\0b".to_vec()).to_string(), r#"b"a\x00b""#);
/// assert_eq!(Value::from("héllo").to_string(), "héllo");
/// assert_eq!(Value::Pointer(0x1000).to_string(), "0x1000");
/// assert_eq!(Value::Null.to_string(), "NULL");
/// assert_eq!(Value::Complex(1.5, -2.0).to_string(), "(1.5-2.0i)");
/// ```
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let float = |x: &f64, f: &mut fmt::Formatter<'_>| {
            if f.precision().is_some() {
                fmt::Display::fmt(x, f)
            } else {
                fmt::Debug::fmt(x, f)
            }
        };
        match self {
            Value::Void => f.pad("void"),
            Value::Null => f.pad("NULL"),
            Value::Bool(b) => fmt::Display::fmt(b, f),
            Value::Int(i) => fmt::Display::fmt(i, f),
            Value::UInt(u) => fmt::Display::fmt(u, f),
            Value::Float(x) => float(x, f),
            Value::Complex(re, im) => {
                let sign = if im.is_sign_negative() { '-' } else { '+' };
                write!(f, "({re:?}{sign}{:?}i)", im.abs())
            }
            Value::Bytes(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Value::Str(s) => f.pad(s),
            Value::Pointer(p) => write!(f, "{p:#x}"),
            Value::Data(d) => fmt::Debug::fmt(d, f),
            Value::Callback(cb) => write!(f, "callback {} at {:#x}", cb.prototype(), cb.address()),
            Value::ByRef { target, offset: 0 } => write!(f, "byref({target:?})"),
            Value::ByRef { target, offset } => write!(f, "byref({target:?}, {offset})"),
        }
    }
}

/// Values compare as data: numbers by value and kind, strings by content,
/// instances, callbacks and `byref`s by identity (the same memory and type,
/// the same code).
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Void, Value::Void) | (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::UInt(a), Value::UInt(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Complex(a, b), Value::Complex(c, d)) => a == c && b == d,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Pointer(a), Value::Pointer(b)) => a == b,
            (Value::Data(a), Value::Data(b)) => a.same_instance(b),
            (Value::Callback(a), Value::Callback(b)) => a == b,
            (
                Value::ByRef {
                    target: a,
                    offset: oa,
                },
                Value::ByRef {
                    target: b,
                    offset: ob,
                },
            ) => oa == ob && a.same_instance(b),
            _ => false,
        }
    }
}

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value { Value::Int(v as i64) }
        }
    )*};
}
macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value { Value::UInt(v as u64) }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, isize);
from_unsigned!(u8, u16, u32, u64, usize);

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
/// A `char` becomes a one-character `Str` (for `c_wchar`).
impl From<char> for Value {
    fn from(v: char) -> Value {
        Value::Str(v.to_string())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Str(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}
impl<const N: usize> From<&[u8; N]> for Value {
    fn from(v: &[u8; N]) -> Value {
        Value::Bytes(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl From<CData> for Value {
    fn from(v: CData) -> Value {
        Value::Data(v)
    }
}
impl From<&CData> for Value {
    fn from(v: &CData) -> Value {
        Value::Data(v.clone())
    }
}
impl From<Callback> for Value {
    fn from(v: Callback) -> Value {
        Value::Callback(v)
    }
}
impl From<&Callback> for Value {
    fn from(v: &Callback) -> Value {
        Value::Callback(v.clone())
    }
}
/// `None` becomes [`Value::Null`].
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}
