//! How each `CType` is described to libffi.
//!
//! Fundamental types map to libffi's static types. Structures and unions
//! passed by value are classified here, by the System V x86-64 rules
//! (every member merged into its eightbyte, bitfields as INTEGER, misaligned
//! fields and anything over 16 bytes in MEMORY), and libffi is given one
//! element per eightbyte that reproduces that class: `uint64` for INTEGER,
//! `double` for SSE, an empty 8-byte struct for padding. A MEMORY-class
//! aggregate gets a single element over 32 bytes, which libffi's own
//! classifier sends to memory without looking further.
//!
//! Doing the classification here, rather than handing libffi the member
//! list, is what makes unions, bitfields and packed structures pass
//! correctly: libffi computes member offsets from alignments (wrong for
//! packed structures), has no union type, and knows nothing of bitfields.
//! Size and alignment always come from rctypes' layout engine.

use std::ptr;

use libffi::raw::{self, ffi_type};

use super::{CType, Kind};
use crate::error::{Error, Result};

/// The largest alignment a by-value argument may have. libffi places stack
/// arguments relative to an area it aligns to 16 bytes, so an argument that
/// needs more (a structure declared with `align(32)`) would land where the
/// callee does not look. Results are unaffected: they are written through a
/// hidden pointer to rctypes' own, correctly aligned buffer.
const MAX_ARGUMENT_ALIGN: usize = 16;

/// Whether a type is being passed in or returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Argument,
    Result,
}

/// The libffi type for `ty` in a call signature, or `None` for an argument
/// that is passed as nothing: a structure or union of size 0 (gcc passes an
/// empty `struct E {}` as nothing, and returns it as nothing). libffi never
/// sees a zero-size aggregate: it would compute (and write) the layout of
/// one itself.
pub(crate) fn ffi_type_for(ty: &CType, role: Role, context: &str) -> Result<Option<*mut ffi_type>> {
    let unsupported = |reason: &str| Error::Unsupported {
        operation: context.to_owned().into(),
        type_name: ty.to_string().into(),
        reason: reason.to_owned().into(),
    };
    match ty.kind() {
        Kind::Void if role == Role::Result => Ok(Some(&raw mut raw::ffi_type_void)),
        Kind::Void => Err(unsupported("void cannot be an argument type")),
        Kind::Scalar { scalar, .. } => Ok(Some(scalar.ffi_type())),
        Kind::Pointer(_) | Kind::Function(_) => Ok(Some(&raw mut raw::ffi_type_pointer)),
        Kind::Array { .. } if role == Role::Argument => Ok(Some(&raw mut raw::ffi_type_pointer)),
        Kind::Array { .. } => Err(unsupported("C functions cannot return arrays")),
        Kind::Record(r) => {
            let Some(body) = r.body.get() else {
                return Err(unsupported(
                    "the type is incomplete: declared but not yet defined",
                ));
            };
            if body.size == 0 {
                return Ok(match role {
                    Role::Argument => None,
                    Role::Result => Some(&raw mut raw::ffi_type_void),
                });
            }
            let agg = r
                .ffi
                .get_or_try_init(|| FfiAggregate::new(ty))
                .map_err(|m| unsupported(&m))?;
            if role == Role::Result {
                if let Some(reason) = &agg.unreturnable {
                    return Err(unsupported(reason));
                }
            } else if ty.align() > MAX_ARGUMENT_ALIGN {
                return Err(unsupported(&format!(
                    "an argument aligned to {} bytes must sit on a stack aligned to {0}, and \
                     libffi aligns the argument area to {MAX_ARGUMENT_ALIGN} only; pass a pointer instead",
                    ty.align()
                )));
            }
            Ok(Some(agg.ty_ptr()))
        }
    }
}

/// A structure or union as libffi sees it.
pub(crate) struct FfiAggregate {
    /// The description handed to libffi; boxed so that its address, which
    /// prepared cifs hold, never changes. libffi never writes to it: it
    /// fills in only aggregates whose size is 0, and a zero-size aggregate
    /// never gets a description (`new` refuses it, and `ffi_type_for` passes
    /// such types as nothing).
    ty: Box<ffi_type>,
    /// The NULL-terminated element array that `ty.elements` points into.
    _elements: Box<[*mut ffi_type]>,
    /// Why the aggregate cannot be a result, when it cannot.
    unreturnable: Option<String>,
}

// SAFETY: the ffi_type and its element array are built once and never
// written again (see the `ty` field); the elements point at libffi's
// immutable statics or at our own immutable marker statics.
unsafe impl Send for FfiAggregate {}
// SAFETY: as above: shared read-only data.
unsafe impl Sync for FfiAggregate {}

impl FfiAggregate {
    pub(crate) fn ty_ptr(&self) -> *mut ffi_type {
        ptr::from_ref::<ffi_type>(&self.ty).cast_mut()
    }

    #[cfg(all(target_arch = "x86_64", not(windows)))]
    fn new(ty: &CType) -> std::result::Result<FfiAggregate, String> {
        use sysv::{Class, classify_aggregate};
        let size = ty.size();
        if size == 0 {
            // libffi would write a layout into a zero-size description
            return Err("a structure of size 0 is passed as nothing".to_owned());
        }
        let align =
            u16::try_from(ty.align()).map_err(|_| "alignment too large for libffi".to_owned())?;
        let (elements, unreturnable): (Vec<*mut ffi_type>, Option<String>) =
            match classify_aggregate(ty) {
                None => (vec![memory_marker()], None),
                Some(classes) => {
                    let mut unreturnable = None;
                    let mut elements = Vec::new();
                    for class in classes {
                        elements.push(match class {
                        Class::Integer => &raw mut raw::ffi_type_uint64,
                        Class::Sse => &raw mut raw::ffi_type_double,
                        Class::Empty => padding8(),
                        Class::X87 | Class::X87Up | Class::Memory => {
                            // Only a lone long double member gets here; as an
                            // argument it goes to memory, as a result it would
                            // come back in st(0), which libffi cannot do for
                            // a structure.
                            unreturnable = Some(
                                "a structure holding only a long double is returned in the x87 register, \
                                 which libffi does not support"
                                    .to_owned(),
                            );
                            elements = vec![memory_marker()];
                            break;
                        }
                    });
                    }
                    (elements, unreturnable)
                }
            };
        let mut elements: Box<[*mut ffi_type]> =
            elements.into_iter().chain([ptr::null_mut()]).collect();
        let description = ffi_type {
            size,
            alignment: align,
            type_: raw::FFI_TYPE_STRUCT,
            elements: elements.as_mut_ptr(),
        };
        Ok(FfiAggregate {
            ty: Box::new(description),
            _elements: elements,
            unreturnable,
        })
    }

    #[cfg(not(all(target_arch = "x86_64", not(windows))))]
    fn new(_ty: &CType) -> std::result::Result<FfiAggregate, String> {
        Err(
            "structures and unions by value are implemented for the x86-64 System V ABI only; \
             pass a pointer instead"
                .to_owned(),
        )
    }
}

/// Element lists of these statics are empty, NULL-terminated arrays.
struct StaticType(std::cell::UnsafeCell<ffi_type>);
// SAFETY: the wrapped ffi_types are never written after initialisation (by
// us or by libffi, which only writes aggregates of size 0, and these have
// sizes 33 and 8).
unsafe impl Sync for StaticType {}
struct StaticElements(std::cell::UnsafeCell<[*mut ffi_type; 1]>);
// SAFETY: a single NULL pointer, never written.
unsafe impl Sync for StaticElements {}

static NO_ELEMENTS: StaticElements = StaticElements(std::cell::UnsafeCell::new([ptr::null_mut()]));

/// An element over 32 bytes: libffi classifies any aggregate containing it
/// as MEMORY without looking at anything else (its `size > 32` rule).
static MEMORY_MARKER: StaticType = StaticType(std::cell::UnsafeCell::new(ffi_type {
    size: 33,
    alignment: 1,
    type_: raw::FFI_TYPE_STRUCT,
    elements: NO_ELEMENTS.0.get().cast(),
}));

/// An 8-byte element with no members: an eightbyte of padding (NO_CLASS).
static PADDING8: StaticType = StaticType(std::cell::UnsafeCell::new(ffi_type {
    size: 8,
    alignment: 8,
    type_: raw::FFI_TYPE_STRUCT,
    elements: NO_ELEMENTS.0.get().cast(),
}));

fn memory_marker() -> *mut ffi_type {
    MEMORY_MARKER.0.get()
}

fn padding8() -> *mut ffi_type {
    PADDING8.0.get()
}

/// System V x86-64 classification of aggregates (ABI §3.2.3).
#[cfg(all(target_arch = "x86_64", not(windows)))]
pub(crate) mod sysv {
    use crate::ctype::{CType, Kind, Scalar};

    /// The class of one eightbyte.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Class {
        Empty,
        Integer,
        Sse,
        X87,
        X87Up,
        Memory,
    }

    fn merge(a: Class, b: Class) -> Class {
        use Class::*;
        match (a, b) {
            _ if a == b => a,
            (Empty, x) | (x, Empty) => x,
            (Memory, _) | (_, Memory) => Memory,
            (Integer, _) | (_, Integer) => Integer,
            (X87 | X87Up, _) | (_, X87 | X87Up) => Memory,
            _ => Sse,
        }
    }

    /// The classes of an aggregate's eightbytes, or `None` for MEMORY.
    pub(crate) fn classify_aggregate(ty: &CType) -> Option<Vec<Class>> {
        let size = ty.size();
        if size > 16 {
            return None;
        }
        let mut classes = vec![Class::Empty; size.div_ceil(8)];
        if !classify(ty, 0, &mut classes) {
            return None;
        }
        // Post-merger cleanup.
        if classes.contains(&Class::Memory) {
            return None;
        }
        for (i, c) in classes.iter().enumerate() {
            if *c == Class::X87Up && (i == 0 || classes[i - 1] != Class::X87) {
                return None;
            }
        }
        Some(classes)
    }

    fn mark(classes: &mut [Class], byte: u64, class: Class) {
        if let Some(slot) = usize::try_from(byte / 8)
            .ok()
            .and_then(|w| classes.get_mut(w))
        {
            *slot = merge(*slot, class);
        }
    }

    /// Merges the classes of `ty` placed at byte `offset` into `classes`.
    /// Returns false when something forces MEMORY (a misaligned scalar).
    fn classify(ty: &CType, offset: u64, classes: &mut [Class]) -> bool {
        match ty.kind() {
            Kind::Void => true,
            Kind::Scalar { scalar, .. } => {
                let natural = scalar.align() as u64;
                if !offset.is_multiple_of(natural) {
                    return false; // misaligned fields make the whole aggregate MEMORY
                }
                match scalar {
                    Scalar::F32 | Scalar::F64 => mark(classes, offset, Class::Sse),
                    // two floats (or doubles), each classified where it lies
                    Scalar::ComplexF32 => {
                        mark(classes, offset, Class::Sse);
                        mark(classes, offset + 4, Class::Sse);
                    }
                    Scalar::ComplexF64 => {
                        mark(classes, offset, Class::Sse);
                        mark(classes, offset + 8, Class::Sse);
                    }
                    Scalar::LongDouble => {
                        mark(classes, offset, Class::X87);
                        mark(classes, offset + 8, Class::X87Up);
                    }
                    // COMPLEX_X87: always MEMORY inside an aggregate
                    Scalar::ComplexLongDouble => return false,
                    _ => mark(classes, offset, Class::Integer),
                }
                true
            }
            Kind::Pointer(_) | Kind::Function(_) => {
                if !offset.is_multiple_of(8) {
                    return false;
                }
                mark(classes, offset, Class::Integer);
                true
            }
            Kind::Array { elem, len, .. } => {
                let step = elem.size() as u64;
                if step == 0 {
                    return true;
                }
                (0..*len as u64).all(|i| classify(elem, offset + i * step, classes))
            }
            Kind::Record(r) => {
                let Some(body) = r.body.get() else {
                    return false;
                };
                body.fields.iter().all(|f| match f.bits {
                    // zero-width bitfields take no bits (gcc 12 ignores them too)
                    Some(b) if b.width == 0 => true,
                    Some(b) => {
                        // Bitfields are always INTEGER, in every eightbyte they touch.
                        let first = 8 * (offset + f.offset as u64) + u64::from(b.offset);
                        let last = first + u64::from(b.width) - 1;
                        for byte in (first / 64..=last / 64).map(|w| w * 8) {
                            mark(classes, byte, Class::Integer);
                        }
                        true
                    }
                    None => classify(&f.ctype, offset + f.offset as u64, classes),
                })
            }
        }
    }
}
