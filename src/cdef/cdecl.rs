//! C text from a [`CType`]: the inverse of the parser, so that `cdef` of the
//! text gives the same layout.

use std::collections::HashSet;

use crate::ctype::{CType, Kind, Pointee, Scalar};
use crate::layout::RecordKind;

/// `ty` declaring `name` (empty for a type name).
pub(crate) fn declaration(ty: &CType, name: &str) -> String {
    let mut w = Writer {
        defined: HashSet::new(),
    };
    w.decl(ty, name.to_string())
}

struct Writer {
    /// Records whose members were already written (by identity): later
    /// mentions use the tag, and self-references terminate.
    defined: HashSet<usize>,
}

fn join(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        base.to_string()
    } else {
        format!("{base} {inner}")
    }
}

/// The C spelling of a fundamental type.
fn scalar_name(name: &str, scalar: Scalar) -> &'static str {
    match name {
        "c_bool" => "_Bool",
        "c_char" => "char",
        "c_wchar" => "wchar_t",
        "c_byte" => "signed char",
        "c_ubyte" => "unsigned char",
        "c_short" => "short",
        "c_ushort" => "unsigned short",
        "c_int" => "int",
        "c_uint" => "unsigned int",
        "c_long" => "long",
        "c_ulong" => "unsigned long",
        "c_longlong" => "long long",
        "c_ulonglong" => "unsigned long long",
        "c_size_t" => "size_t",
        "c_ssize_t" => "ssize_t",
        "c_int8" => "int8_t",
        "c_uint8" => "uint8_t",
        "c_int16" => "int16_t",
        "c_uint16" => "uint16_t",
        "c_int32" => "int32_t",
        "c_uint32" => "uint32_t",
        "c_int64" => "int64_t",
        "c_uint64" => "uint64_t",
        "c_float" => "float",
        "c_double" => "double",
        "c_longdouble" => "long double",
        "c_float_complex" => "float _Complex",
        "c_double_complex" => "double _Complex",
        "c_longdouble_complex" => "long double _Complex",
        _ => match scalar {
            Scalar::Bool => "_Bool",
            Scalar::Char => "char",
            Scalar::WChar => "wchar_t",
            Scalar::I8 => "signed char",
            Scalar::U8 => "unsigned char",
            Scalar::I16 => "short",
            Scalar::U16 => "unsigned short",
            Scalar::I32 => "int",
            Scalar::U32 => "unsigned int",
            Scalar::I64 => "int64_t",
            Scalar::U64 => "uint64_t",
            Scalar::F32 => "float",
            Scalar::F64 => "double",
            Scalar::LongDouble => "long double",
            Scalar::ComplexF32 => "float _Complex",
            Scalar::ComplexF64 => "double _Complex",
            Scalar::ComplexLongDouble => "long double _Complex",
            Scalar::CharP => "char",
            Scalar::WCharP => "wchar_t",
            Scalar::VoidP => "void",
        },
    }
}

/// Whether `s` is a C identifier (usable as a tag).
fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && crate::cdef::lexer::keyword(s).is_none()
}

impl Writer {
    fn decl(&mut self, ty: &CType, inner: String) -> String {
        match ty.kind() {
            Kind::Void => join("void", &inner),
            Kind::Scalar { scalar, name, .. } => {
                let base = scalar_name(name, *scalar);
                if scalar.is_pointer() {
                    join(base, &format!("*{inner}"))
                } else {
                    join(base, &inner)
                }
            }
            Kind::Pointer(p) => {
                let inner = format!("*{inner}");
                match p {
                    Pointee::Strong(t) => self.decl(t, inner),
                    Pointee::Weak { .. } => match p.get() {
                        Some(t) => self.decl(&t, inner),
                        None => join("void", &inner),
                    },
                }
            }
            Kind::Array { elem, len, .. } => {
                let inner = if inner.starts_with('*') {
                    format!("({inner})")
                } else {
                    inner
                };
                self.decl(elem, format!("{inner}[{len}]"))
            }
            Kind::Function(sig) => {
                let params = if sig.argtypes.is_empty() {
                    "void".to_string()
                } else {
                    sig.argtypes
                        .iter()
                        .map(|a| self.decl(a, String::new()))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.decl(&sig.restype, format!("(*{inner})({params})"))
            }
            Kind::Record(_) => {
                let base = self.record(ty, false);
                join(&base, &inner)
            }
        }
    }

    /// `struct tag { members } attributes`, or `struct tag` when the record
    /// was written already or is incomplete. `untagged` writes the members
    /// without a tag (an anonymous member).
    fn record(&mut self, ty: &CType, untagged: bool) -> String {
        let Kind::Record(r) = ty.kind() else {
            return String::new();
        };
        let kw = match r.kind {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        };
        let bare = r
            .name
            .strip_prefix(kw)
            .map(str::trim_start)
            .unwrap_or(&r.name);
        let tag = if !untagged && is_identifier(bare) {
            Some(bare)
        } else {
            None
        };
        let id = std::sync::Arc::as_ptr(&ty.0) as usize;
        let Some(body) = r.body.get() else {
            return format!("{kw} {}", tag.unwrap_or("_incomplete"));
        };
        if let Some(t) = tag
            && !self.defined.insert(id)
        {
            return format!("{kw} {t}");
        }
        let mut out = String::from(kw);
        if let Some(t) = tag {
            out.push(' ');
            out.push_str(t);
        }
        out.push_str(" {");
        let pack = body.attrs.pack.filter(|&p| p > 1);
        for f in &body.fields {
            out.push(' ');
            let member = if f.anonymous {
                self.record(&f.ctype, true)
            } else {
                self.decl(&f.ctype, f.name.clone())
            };
            out.push_str(&member);
            if let Some(b) = f.bits {
                out.push_str(&format!(" : {}", b.width));
            }
            // Alignment: the member's own, capped by a pack(n) that cannot be
            // written as an attribute of the record.
            let natural = f.ctype.align();
            let mut a = f.align.unwrap_or(natural);
            if let Some(p) = pack {
                a = a.min(p);
            }
            if a != natural && !(f.bits.is_some() && a > natural) {
                if a < natural || pack.is_some() {
                    if f.bits.is_some() {
                        out.push_str(" __attribute__((packed))");
                    } else {
                        out.push_str(&format!(" __attribute__((packed, aligned({a})))"));
                    }
                } else {
                    out.push_str(&format!(" __attribute__((aligned({a})))"));
                }
            } else if pack.is_some() && f.bits.is_some() {
                out.push_str(" __attribute__((packed))");
            }
            out.push(';');
        }
        out.push_str(" }");
        let mut attrs = Vec::new();
        if body.attrs.pack == Some(1) {
            attrs.push("packed".to_string());
        }
        if pack.is_some() {
            // pack(n): members were packed one by one; the record keeps the
            // alignment pack(n) gave it.
            attrs.push(format!("aligned({})", body.align));
        } else if let Some(a) = body.attrs.align {
            attrs.push(format!("aligned({a})"));
        }
        if body.attrs.order.swaps() && cfg!(target_endian = "little") {
            attrs.push("scalar_storage_order(\"big-endian\")".to_string());
        } else if body.attrs.order.swaps() {
            attrs.push("scalar_storage_order(\"little-endian\")".to_string());
        }
        if !attrs.is_empty() {
            out.push_str(&format!(" __attribute__(({}))", attrs.join(", ")));
        }
        out
    }
}
