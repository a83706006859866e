//! The parser's view of a C type: an rctypes [`CType`], a function type
//! (which rctypes only has as a pointer, `CFUNCTYPE`), or a type rctypes
//! cannot express (with the reason). Also the built-in type names and the
//! ctypes mapping of pointers.

use std::collections::HashMap;
use std::sync::Arc;

use once_cell::sync::Lazy;

use crate::ctype::{CType, Kind, Scalar};

/// A C type as declarations use it.
#[derive(Clone)]
pub(crate) enum Ty {
    /// A type rctypes describes (`void` included).
    C(CType),
    /// A function type: what a function declaration declares, and what a
    /// pointer to function points to.
    Func(Arc<FnTy>),
    /// A type rctypes cannot express, and why.
    Unsupported(Arc<str>),
}

/// A function type.
pub(crate) struct FnTy {
    pub ret: Ty,
    /// Parameters, already adjusted (arrays and functions to pointers).
    pub params: Vec<Param>,
    pub variadic: bool,
    /// `false` for `f()`: a declaration without a prototype.
    pub prototyped: bool,
}

/// One parameter.
pub(crate) struct Param {
    pub name: Option<String>,
    pub ty: Ty,
}

impl Ty {
    pub(crate) fn unsupported(reason: impl Into<String>) -> Ty {
        Ty::Unsupported(Arc::from(reason.into()))
    }

    /// The rctypes type, or why there is none: a function type stands for
    /// its pointer (`CFUNCTYPE`), as ctypes has it.
    pub(crate) fn ctype(&self) -> Result<CType, Arc<str>> {
        match self {
            Ty::C(t) => Ok(t.clone()),
            Ty::Func(f) => f.pointer(),
            Ty::Unsupported(r) => Err(r.clone()),
        }
    }

    /// `T *` with ctypes' mapping: `char *` is `c_char_p`, `wchar_t *` is
    /// `c_wchar_p`, `void *` is `c_void_p`, a pointer to a function is its
    /// `CFUNCTYPE`. A pointer to a type rctypes cannot express is a
    /// `c_void_p` (its size and passing are those of any pointer).
    pub(crate) fn pointer(&self) -> CType {
        match self {
            Ty::C(t) => pointer_to(t),
            Ty::Func(f) => f.pointer().unwrap_or_else(|_| CType::c_void_p()),
            Ty::Unsupported(_) => CType::c_void_p(),
        }
    }

    pub(crate) fn is_void(&self) -> bool {
        matches!(self, Ty::C(t) if t.is_void())
    }
}

/// `T *` with ctypes' mapping of the three string/void pointers.
pub(crate) fn pointer_to(t: &CType) -> CType {
    match t.kind() {
        Kind::Void => CType::c_void_p(),
        Kind::Scalar {
            scalar: Scalar::Char,
            swapped: false,
            ..
        } => CType::c_char_p(),
        Kind::Scalar {
            scalar: Scalar::WChar,
            swapped: false,
            ..
        } => CType::c_wchar_p(),
        _ => t.pointer(),
    }
}

impl FnTy {
    /// `CFUNCTYPE(ret, params...)`; a variadic function's pointer has its
    /// fixed parameters, a function without a prototype none.
    pub(crate) fn pointer(&self) -> Result<CType, Arc<str>> {
        let ret = self.ret.ctype()?;
        let mut args = Vec::with_capacity(self.params.len());
        for p in &self.params {
            args.push(p.ty.ctype()?);
        }
        Ok(CType::function(ret, args))
    }
}

/// The type names that need no declaration: what `<stddef.h>`,
/// `<stdint.h>`, `<stdbool.h>`, `<wchar.h>`, `<sys/types.h>` and
/// `<stdarg.h>` provide, and gcc's own `__builtin_va_list`. A declaration
/// in the text replaces one of them, except that a compatible one (the same
/// representation) keeps the built-in (so `wchar_t` stays `c_wchar` after
/// `typedef int wchar_t;`).
pub(crate) static BUILTIN_TYPEDEFS: Lazy<HashMap<&'static str, Ty>> = Lazy::new(|| {
    let c = Ty::C;
    let mut m: HashMap<&'static str, Ty> = HashMap::new();
    m.insert("bool", c(CType::c_bool()));
    m.insert("size_t", c(CType::c_size_t()));
    m.insert("ssize_t", c(CType::c_ssize_t()));
    m.insert("ptrdiff_t", c(CType::c_ssize_t()));
    m.insert("intptr_t", c(CType::c_ssize_t()));
    m.insert("uintptr_t", c(CType::c_size_t()));
    m.insert("intmax_t", c(CType::c_int64()));
    m.insert("uintmax_t", c(CType::c_uint64()));
    m.insert("int8_t", c(CType::c_int8()));
    m.insert("uint8_t", c(CType::c_uint8()));
    m.insert("int16_t", c(CType::c_int16()));
    m.insert("uint16_t", c(CType::c_uint16()));
    m.insert("int32_t", c(CType::c_int32()));
    m.insert("uint32_t", c(CType::c_uint32()));
    m.insert("int64_t", c(CType::c_int64()));
    m.insert("uint64_t", c(CType::c_uint64()));
    m.insert("char16_t", c(CType::c_uint16()));
    m.insert("char32_t", c(CType::c_uint32()));
    m.insert("wchar_t", c(CType::c_wchar()));
    m.insert("off_t", c(CType::c_long()));
    m.insert("off64_t", c(CType::c_int64()));
    m.insert("time_t", c(CType::c_long()));
    let va = va_list();
    m.insert("__builtin_va_list", va.clone());
    m.insert("va_list", va.clone());
    m.insert("__gnuc_va_list", va);
    m.insert("__int128_t", Ty::unsupported("__int128 is not supported"));
    m.insert("__uint128_t", Ty::unsupported("__int128 is not supported"));
    m
});

/// `va_list`: on x86-64 System V, `struct __va_list_tag[1]`.
fn va_list() -> Ty {
    if cfg!(all(target_arch = "x86_64", not(windows))) {
        let tag = CType::structure("struct __va_list_tag")
            .field("gp_offset", CType::c_uint())
            .field("fp_offset", CType::c_uint())
            .field("overflow_arg_area", CType::c_void_p())
            .field("reg_save_area", CType::c_void_p())
            .build();
        match tag {
            Ok(t) => Ty::C(t.array(1)),
            Err(e) => Ty::unsupported(e.to_string()),
        }
    } else if cfg!(windows) {
        Ty::C(CType::c_char_p())
    } else {
        Ty::unsupported("va_list is not supported on this platform")
    }
}

/// Whether a declaration may keep a built-in type for `new`: the same C
/// representation (for `wchar_t`, any integer of its size).
pub(crate) fn compatible_with_builtin(name: &str, builtin: &Ty, new: &Ty) -> bool {
    match (builtin, new) {
        (Ty::C(a), Ty::C(b)) => {
            if a == b {
                return true;
            }
            match (a.scalar(), b.scalar()) {
                (Some(x), Some(y)) => {
                    name == "wchar_t" && x.size() == y.size() && y.is_integer()
                        || x.size() == y.size()
                            && x.is_integer()
                            && y.is_integer()
                            && x.is_signed() == y.is_signed()
                }
                _ => same_type(a, b),
            }
        }
        (Ty::Unsupported(_), Ty::Unsupported(_)) => true,
        _ => false,
    }
}

/// Structural equality, for accepting an identical redefinition: scalars,
/// pointers, arrays and prototypes as [`CType`]'s `==`; structures and
/// unions by kind, name, layout and fields (recursively).
pub(crate) fn same_type(a: &CType, b: &CType) -> bool {
    same_type_at(a, b, 0)
}

fn same_type_at(a: &CType, b: &CType, depth: usize) -> bool {
    if depth > super::parser::MAX_TYPE_DEPTH + 1 {
        return false;
    }
    match (a.kind(), b.kind()) {
        (Kind::Record(ra), Kind::Record(rb)) => {
            if std::ptr::eq(a.0.as_ref(), b.0.as_ref()) {
                return true;
            }
            if ra.kind != rb.kind || ra.name != rb.name {
                return false;
            }
            match (ra.body.get(), rb.body.get()) {
                (None, None) => true,
                (Some(x), Some(y)) => {
                    x.size == y.size
                        && x.align == y.align
                        && x.fields.len() == y.fields.len()
                        && x.fields.iter().zip(&y.fields).all(|(f, g)| {
                            f.name == g.name
                                && f.offset == g.offset
                                && f.bits == g.bits
                                && f.anonymous == g.anonymous
                                && same_type_at(&f.ctype, &g.ctype, depth + 1)
                        })
                }
                _ => false,
            }
        }
        (Kind::Pointer(pa), Kind::Pointer(pb)) => match (pa.get(), pb.get()) {
            // Pointers to records compare by name: following them could loop.
            (Some(x), Some(y)) => match (x.kind(), y.kind()) {
                (Kind::Record(rx), Kind::Record(ry)) => rx.kind == ry.kind && rx.name == ry.name,
                _ => same_type_at(&x, &y, depth + 1),
            },
            _ => a.to_string() == b.to_string(),
        },
        (
            Kind::Array {
                elem: ea, len: la, ..
            },
            Kind::Array {
                elem: eb, len: lb, ..
            },
        ) => la == lb && same_type_at(ea, eb, depth + 1),
        (Kind::Function(fa), Kind::Function(fb)) => {
            fa.argtypes.len() == fb.argtypes.len()
                && same_type_at(&fa.restype, &fb.restype, depth + 1)
                && fa
                    .argtypes
                    .iter()
                    .zip(&fb.argtypes)
                    .all(|(x, y)| same_type_at(x, y, depth + 1))
        }
        _ => a == b,
    }
}

/// Structural equality of two declaration types.
pub(crate) fn same_ty(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::C(x), Ty::C(y)) => same_type(x, y),
        (Ty::Func(f), Ty::Func(g)) => {
            Arc::ptr_eq(f, g)
                || f.variadic == g.variadic
                    && f.prototyped == g.prototyped
                    && f.params.len() == g.params.len()
                    && same_ty(&f.ret, &g.ret)
                    && f.params
                        .iter()
                        .zip(&g.params)
                        .all(|(p, q)| same_ty(&p.ty, &q.ty))
        }
        (Ty::Unsupported(r), Ty::Unsupported(s)) => r == s,
        _ => false,
    }
}
