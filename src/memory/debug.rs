//! `Debug` for instances: what a ctypes user sees at the REPL, in Rust's
//! notation. A structure or union shows its fields (`Point { x: 3, y: 4 }`),
//! an array its first elements, a pointer its type and the address it
//! holds, a scalar its type and value (`c_int(42)`).

use std::fmt;

use super::CData;
use crate::ctype::{Kind, Scalar};
use crate::value::Value;

/// An array shows at most this many elements, then how many more there are.
const SHOWN_ELEMENTS: usize = 16;

/// A `char` (`wchar_t`) array shows at most this many bytes (characters).
const SHOWN_BYTES: usize = 64;

/// A value inside an instance's `Debug`: an instance by its own `Debug`,
/// text quoted, everything else as `Display` shows it.
struct Shown<'a>(&'a Value);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Data(d) => fmt::Debug::fmt(d, f),
            Value::Str(s) => write!(f, "{s:?}"),
            other => fmt::Display::fmt(other, f),
        }
    }
}

/// A part that could not be read, shown in its place.
struct Unreadable(crate::Error);

impl fmt::Debug for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// A value, or why it could not be read.
fn shown(r: crate::Result<Value>, f: impl FnOnce(&dyn fmt::Debug) -> fmt::Result) -> fmt::Result {
    match r {
        Ok(v) => f(&Shown(&v)),
        Err(e) => f(&Unreadable(e)),
    }
}

/// Shows an instance as ctypes users know it, in Rust's notation:
///
/// * a structure or union: its named fields, `Point { x: 3, y: 4 }` (nested
///   records and arrays likewise; `{:#?}` spreads them over lines);
/// * an array: `[1, 2, 3]`, at most 16 elements then how many more;
///   a `char` array its bytes (`b"hi\0\0"`, at most 64), a `wchar_t` array
///   its text (up to the first NUL, among the first 64 characters);
/// * a pointer (`POINTER(T)`, `c_void_p`, a function pointer): its type and
///   the address it holds, `POINTER(c_int)(0x7ffd…)` or `POINTER(c_int)(NULL)`;
///   pointers are never followed;
/// * a scalar: its type and value, `c_int(42)`, `c_char_p(b"text")` for a
///   string rctypes can vouch for.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CData, CType};
/// let point = CType::structure("Point").field("x", CType::c_int()).field("y", CType::c_int()).build()?;
/// let p = CData::from_values(&point, [3, 4])?;
/// assert_eq!(format!("{p:?}"), "Point { x: 3, y: 4 }");
/// let arr = CData::from_values(&CType::c_double().array(2), [0.5, 1.0])?;
/// assert_eq!(format!("{arr:?}"), "[0.5, 1.0]");
/// assert_eq!(format!("{:?}", CData::with_value(&CType::c_int(), 42)?), "c_int(42)");
/// assert_eq!(format!("{:?}", CData::new(&CType::c_int().pointer())), "POINTER(c_int)(NULL)");
/// # Ok(()) }
/// ```
impl fmt::Debug for CData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Err(e) = self.check_readable("reading") {
            return write!(f, "{}(<{e}>)", self.ty);
        }
        match self.ty.kind() {
            Kind::Record(_) => {
                let name = self.ty.to_string();
                let mut s = f.debug_struct(&name);
                for field in self.ty.fields().unwrap_or(&[]) {
                    if field.name.is_empty() {
                        continue; // an unnamed bitfield: padding
                    }
                    shown(self.get(&field.name), |v| {
                        s.field(&field.name, v);
                        Ok(())
                    })?;
                }
                s.finish()
            }
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::Char) => {
                // only the bytes shown are read: a view of the first ones
                let first = self.view(&elem.array((*len).min(SHOWN_BYTES)), self.offset);
                write!(f, "b\"{}\"", first.to_bytes().escape_ascii())?;
                if *len > SHOWN_BYTES {
                    write!(f, "... ({len} bytes)")?;
                }
                Ok(())
            }
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::WChar) => {
                let first = self.view(&elem.array((*len).min(SHOWN_BYTES)), self.offset);
                shown(first.value(), |v| v.fmt(f))?;
                if *len > SHOWN_BYTES {
                    write!(f, "... ({len} characters)")?;
                }
                Ok(())
            }
            Kind::Array { len, .. } => {
                let mut l = f.debug_list();
                for v in self.iter().take(SHOWN_ELEMENTS) {
                    shown(v, |v| {
                        l.entry(v);
                        Ok(())
                    })?;
                }
                if *len > SHOWN_ELEMENTS {
                    l.entry(&format_args!("... {} more", len - SHOWN_ELEMENTS));
                }
                l.finish()
            }
            Kind::Pointer(_) | Kind::Function(_) => match self.pointer_value() {
                Some(0) | None => write!(f, "{}(NULL)", self.ty),
                Some(addr) => write!(f, "{}({addr:#x})", self.ty),
            },
            Kind::Scalar { .. } => {
                write!(f, "{}(", self.ty)?;
                shown(self.value(), |v| v.fmt(f))?;
                f.write_str(")")
            }
            Kind::Void => f.write_str("void"),
        }
    }
}
