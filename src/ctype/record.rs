//! Structures and unions: declaration, validation, and the field table that
//! instances use to find their members.

use once_cell::sync::OnceCell;

use super::{CType, Kind, Scalar};
use crate::error::{Error, Result};
use crate::layout::{self, FieldDecl, RecordAttrs, RecordKind};

/// The byte order of a record's scalar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ByteOrder {
    Native,
    Big,
    Little,
}

impl ByteOrder {
    /// Whether scalars stored in this order must be byte-swapped on this host.
    pub(crate) fn swaps(self) -> bool {
        match self {
            ByteOrder::Native => false,
            ByteOrder::Big => cfg!(target_endian = "little"),
            ByteOrder::Little => cfg!(target_endian = "big"),
        }
    }
}

/// A structure or union type.
pub(crate) struct Record {
    pub(crate) name: String,
    pub(crate) kind: RecordKind,
    /// The attributes given before `declare`, the starting point of `define`.
    declared: Decl,
    /// Set once, by `build` or `define`; empty while the type is incomplete.
    pub(crate) body: OnceCell<RecordBody>,
    /// The libffi description, built the first time the type is passed by value.
    pub(crate) ffi: OnceCell<crate::ctype::ffi::FfiAggregate>,
}

#[derive(Clone, Default)]
struct Decl {
    pack: Option<usize>,
    align: Option<usize>,
    order: Option<ByteOrder>,
}

/// A complete record's layout and members.
pub(crate) struct RecordBody {
    pub(crate) size: usize,
    pub(crate) align: usize,
    /// The declared fields, in order.
    pub(crate) fields: Vec<Field>,
    /// Every name an instance answers to: the declared fields, plus the
    /// fields of anonymous members, with offsets from this record's start.
    pub(crate) members: Vec<Member>,
}

/// A field as declared (ctypes' field descriptors: `Point.y.offset`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The field's type. In a record of the other byte order, scalars (and
    /// arrays of them) have their byte-swapped variant here.
    pub ctype: CType,
    /// Byte offset from the start of the record. For a bitfield, the start
    /// of the storage unit that holds it.
    pub offset: usize,
    /// Size in bytes: of the type, or for a bitfield of its storage unit.
    pub size: usize,
    /// For a bitfield, where its bits are in the storage unit.
    pub bits: Option<BitField>,
    /// Whether the field is listed in `anonymous`: its own fields are
    /// reachable directly from the enclosing record.
    pub anonymous: bool,
}

/// Where a bitfield's bits are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitField {
    /// The first bit within the storage unit at [`Field::offset`], counting
    /// from the least significant bit in little-endian records and from the
    /// most significant bit in big-endian ones (as C compilers number them).
    pub offset: u32,
    /// The width in bits.
    pub width: u32,
}

/// How an instance reaches one of its names.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) ty: CType,
    /// Byte offset from the record's start (for bitfields unused).
    pub(crate) offset: usize,
    /// For a bitfield: its first bit from the record's start, its width, and
    /// the byte order of the record that declared it.
    pub(crate) bits: Option<(u64, u32, ByteOrder)>,
    /// Set for a fundamental type stored whole in native byte order (not a
    /// bitfield): such members are read and written directly.
    pub(crate) plain: Option<Scalar>,
}

impl Member {
    fn new(name: String, ty: CType, offset: usize, bits: Option<(u64, u32, ByteOrder)>) -> Member {
        let plain = match ty.kind() {
            Kind::Scalar {
                scalar,
                swapped: false,
                ..
            } if bits.is_none() => Some(*scalar),
            _ => None,
        };
        Member {
            name,
            ty,
            offset,
            bits,
            plain,
        }
    }
}

/// One declared field, before layout.
#[derive(Clone)]
struct FieldSpec {
    name: String,
    ty: CType,
    bits: Option<u32>,
}

/// Declares a structure or union (ctypes' `class S(Structure): _fields_ = ...`).
///
/// Start with [`CType::structure`] or [`CType::union`], add fields, then
/// [`build`](RecordBuilder::build) the type, or
/// [`declare`](RecordBuilder::declare) it incomplete and
/// [`define`](CType::define) it later (for self-referential types).
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CType, sizeof, alignment};
/// let point = CType::structure("Point")
///     .field("x", CType::c_int())
///     .field("y", CType::c_int())
///     .build()?;
/// assert_eq!((sizeof(&point), alignment(&point)), (8, 4));
/// assert_eq!(point.field("y").unwrap().offset, 4);
///
/// let flags = CType::structure("Flags")
///     .bitfield("a", CType::c_int(), 3)
///     .bitfield("b", CType::c_uint(), 5)
///     .pack(1)
///     .build()?;
/// assert_eq!(sizeof(&flags), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a RecordBuilder does nothing until build() or declare()"]
pub struct RecordBuilder {
    name: String,
    kind: RecordKind,
    fields: Vec<FieldSpec>,
    anonymous: Vec<String>,
    decl: Decl,
}

impl RecordBuilder {
    pub(crate) fn new(name: &str, kind: RecordKind) -> RecordBuilder {
        RecordBuilder {
            name: name.to_owned(),
            kind,
            fields: Vec::new(),
            anonymous: Vec::new(),
            decl: Decl::default(),
        }
    }

    /// Adds a field (an entry of `_fields_`).
    pub fn field(mut self, name: impl Into<String>, ty: CType) -> RecordBuilder {
        self.fields.push(FieldSpec {
            name: name.into(),
            ty,
            bits: None,
        });
        self
    }

    /// Adds a bitfield of `bits` bits (`("a", c_int, 3)`). The type must be
    /// an integer type; the width must be 1 to the type's width (1 for `c_bool`).
    pub fn bitfield(mut self, name: impl Into<String>, ty: CType, bits: u32) -> RecordBuilder {
        self.fields.push(FieldSpec {
            name: name.into(),
            ty,
            bits: Some(bits),
        });
        self
    }

    /// `_pack_ = n`, as `#pragma pack(n)`: no field is aligned beyond `n`
    /// bytes, and bitfields pack at bit granularity. `n` must be a power of two.
    pub fn pack(mut self, n: usize) -> RecordBuilder {
        self.decl.pack = Some(n);
        self
    }

    /// `_align_ = n`, as `__attribute__((aligned(n)))` on the type: the
    /// record's alignment is at least `n` (a power of two).
    pub fn align(mut self, n: usize) -> RecordBuilder {
        self.decl.align = Some(n);
        self
    }

    /// `_anonymous_ = (name, ...)`: the fields of the structure or union
    /// field `name` can be reached as if they were this record's own.
    pub fn anonymous(mut self, name: impl Into<String>) -> RecordBuilder {
        self.anonymous.push(name.into());
        self
    }

    /// A `BigEndianStructure`/`BigEndianUnion`: scalar fields (and arrays of
    /// them) are stored most significant byte first, and bitfields are
    /// numbered from the most significant bit, as gcc's
    /// `scalar_storage_order("big-endian")` does. Nested records keep their
    /// own byte order; pointer fields are refused.
    pub fn big_endian(mut self) -> RecordBuilder {
        self.decl.order = Some(ByteOrder::Big);
        self
    }

    /// A `LittleEndianStructure`/`LittleEndianUnion` (the native order on
    /// x86_64; see [`big_endian`](RecordBuilder::big_endian)).
    pub fn little_endian(mut self) -> RecordBuilder {
        self.decl.order = Some(ByteOrder::Little);
        self
    }

    /// Lays the record out and returns its type.
    ///
    /// # Errors
    /// [`Error::Definition`] naming the record (and the field, where one is to
    /// blame): `pack`/`align` not a power of two, a bitfield of width 0 or
    /// wider than its type, a bitfield on a non-integer type, a duplicate
    /// name, an anonymous member that is not a structure or union field, an
    /// incomplete or `void` field type, a size that overflows.
    pub fn build(self) -> Result<CType> {
        let ty = CType::new(Kind::Record(Record {
            name: self.name.clone(),
            kind: self.kind,
            declared: self.decl.clone(),
            body: OnceCell::new(),
            ffi: OnceCell::new(),
        }));
        let body = self.lay_out()?;
        if let Kind::Record(r) = ty.kind() {
            // A fresh type: nothing else can have set the body.
            let _ = r.body.set(body);
        }
        Ok(ty)
    }

    /// Returns the record as an incomplete type, to be completed by
    /// [`CType::define`]. Pointers to it can be made meanwhile (a linked
    /// list's `next`).
    pub fn declare(self) -> CType {
        CType::new(Kind::Record(Record {
            name: self.name,
            kind: self.kind,
            declared: self.decl,
            body: OnceCell::new(),
            ffi: OnceCell::new(),
        }))
    }

    fn definition_error(&self, field: Option<&str>, message: impl Into<String>) -> Error {
        let message = message.into();
        Error::Definition {
            type_name: self.name.clone(),
            message: match field {
                Some(f) => format!("field `{f}`: {message}"),
                None => message,
            },
        }
    }

    /// Validates the declaration and computes the layout and member table.
    fn lay_out(&self) -> Result<RecordBody> {
        let order = self.decl.order.unwrap_or(ByteOrder::Native);
        let mut decls = Vec::with_capacity(self.fields.len());
        let mut types = Vec::with_capacity(self.fields.len());
        for (i, f) in self.fields.iter().enumerate() {
            if self.fields[..i].iter().any(|g| g.name == f.name) {
                return Err(self.definition_error(Some(&f.name), "duplicate field name"));
            }
            if f.ty.is_void() {
                return Err(self.definition_error(Some(&f.name), "void is not a field type"));
            }
            if let Kind::Record(r) = f.ty.kind() {
                if r.body.get().is_none() {
                    return Err(self.definition_error(
                        Some(&f.name),
                        format!("`{}` is incomplete (declared but not yet defined)", r.name),
                    ));
                }
            }
            let size =
                f.ty.layout_size()
                    .map_err(|e| self.definition_error(Some(&f.name), e.to_string()))?;
            if let Some(w) = f.bits {
                let Some(s) = f.ty.scalar().filter(|s| s.is_integer()) else {
                    return Err(self.definition_error(
                        Some(&f.name),
                        format!("a bitfield must have an integer type, not {}", f.ty),
                    ));
                };
                if s == Scalar::Bool && w > 1 {
                    return Err(self.definition_error(
                        Some(&f.name),
                        format!("a c_bool bitfield is 1 bit wide, not {w}"),
                    ));
                }
            }
            let ty = if order.swaps() {
                swapped(&f.ty).map_err(|m| self.definition_error(Some(&f.name), m))?
            } else {
                f.ty.clone()
            };
            types.push(ty);
            decls.push(FieldDecl {
                size,
                align: f.ty.align(),
                bits: f.bits,
            });
        }
        for name in &self.anonymous {
            match self.fields.iter().find(|f| &f.name == name) {
                None => {
                    return Err(
                        self.definition_error(Some(name), "listed as anonymous but not a field")
                    );
                }
                Some(f) if !matches!(f.ty.kind(), Kind::Record(_)) || f.bits.is_some() => {
                    return Err(self.definition_error(
                        Some(name),
                        format!(
                            "an anonymous member must be a structure or union, not {}",
                            f.ty
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let attrs = RecordAttrs {
            pack: self.decl.pack,
            align: self.decl.align,
        };
        let placed = layout::layout(self.kind, &decls, attrs).map_err(|e| {
            let field = e
                .field
                .and_then(|i| self.fields.get(i))
                .map(|f| f.name.as_str());
            self.definition_error(field, e.message)
        })?;

        let mut fields = Vec::with_capacity(self.fields.len());
        let mut members: Vec<Member> = Vec::new();
        for ((spec, ty), &bitpos) in self.fields.iter().zip(types).zip(&placed.bit_offsets) {
            let anonymous = self.anonymous.contains(&spec.name);
            let (offset, size, bits) = match spec.bits {
                None => ((bitpos / 8) as usize, ty.size(), None),
                Some(width) => {
                    let (unit, bit) = storage_unit(bitpos, width, ty.size());
                    (unit, ty.size(), Some(BitField { offset: bit, width }))
                }
            };
            if anonymous {
                if let Kind::Record(inner) = ty.kind() {
                    if let Some(inner_body) = inner.body.get() {
                        for m in &inner_body.members {
                            if members.iter().any(|x| x.name == m.name)
                                || self.fields.iter().any(|f| f.name == m.name)
                            {
                                return Err(self.definition_error(
                                    Some(&m.name),
                                    format!(
                                        "the anonymous member `{}` repeats this name",
                                        spec.name
                                    ),
                                ));
                            }
                            members.push(Member::new(
                                m.name.clone(),
                                m.ty.clone(),
                                offset + m.offset,
                                m.bits.map(|(b, w, o)| (b + 8 * offset as u64, w, o)),
                            ));
                        }
                    }
                }
            }
            members.push(Member::new(
                spec.name.clone(),
                ty.clone(),
                offset,
                spec.bits.map(|w| (bitpos, w, order)),
            ));
            fields.push(Field {
                name: spec.name.clone(),
                ctype: ty,
                offset,
                size,
                bits,
                anonymous,
            });
        }
        Ok(RecordBody {
            size: placed.size,
            align: placed.align,
            fields,
            members,
        })
    }
}

/// The storage unit a bitfield is reported in: the `type_size`-aligned unit
/// holding it, or (when packing made it straddle such units) the byte where
/// it starts. Returns the unit's byte offset and the bit offset within it.
fn storage_unit(bitpos: u64, width: u32, type_size: usize) -> (usize, u32) {
    let unit_bits = 8 * type_size as u64;
    let unit = bitpos / unit_bits * unit_bits;
    if bitpos - unit + u64::from(width) <= unit_bits {
        ((unit / 8) as usize, (bitpos - unit) as u32)
    } else {
        ((bitpos / 8) as usize, (bitpos % 8) as u32)
    }
}

/// The variant of a field type stored in the other byte order: scalars of
/// more than one byte become their swapped variant, arrays swap their
/// elements, records keep their own order. Pointers cannot be swapped.
fn swapped(ty: &CType) -> std::result::Result<CType, String> {
    match ty.kind() {
        Kind::Scalar {
            scalar,
            name,
            swapped,
        } => {
            if scalar.is_pointer() || *scalar == Scalar::LongDouble || scalar.is_complex() {
                return Err(format!("{ty} cannot be stored in the other byte order"));
            }
            if scalar.size() == 1 || *swapped {
                return Ok(ty.clone());
            }
            Ok(CType::new(Kind::Scalar {
                scalar: *scalar,
                name,
                swapped: true,
            }))
        }
        Kind::Array { elem, len, .. } => Ok(swapped(elem)?.array(*len)),
        Kind::Record(_) => Ok(ty.clone()),
        _ => Err(format!("{ty} cannot be stored in the other byte order")),
    }
}

impl CType {
    /// Starts declaring a structure (ctypes `class Name(Structure)`).
    pub fn structure(name: &str) -> RecordBuilder {
        RecordBuilder::new(name, RecordKind::Struct)
    }

    /// Starts declaring a union (ctypes `class Name(Union)`).
    pub fn union(name: &str) -> RecordBuilder {
        RecordBuilder::new(name, RecordKind::Union)
    }

    /// Completes a structure or union made with
    /// [`declare`](RecordBuilder::declare): the closure adds the fields (and
    /// may set `pack`, `align`, ...) to a builder that starts with the
    /// declared attributes.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::CType;
    /// let node = CType::structure("Node").declare();
    /// node.define(|s| s.field("value", CType::c_int()).field("next", node.pointer()))?;
    /// assert_eq!(rctypes::sizeof(&node), 16);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Definition`] as [`RecordBuilder::build`], or when the type is
    /// not a declared record or is already complete.
    pub fn define(&self, fields: impl FnOnce(RecordBuilder) -> RecordBuilder) -> Result<()> {
        let Kind::Record(r) = self.kind() else {
            return Err(Error::Definition {
                type_name: self.to_string(),
                message: "only a declared structure or union can be defined".into(),
            });
        };
        if r.body.get().is_some() {
            return Err(Error::Definition {
                type_name: r.name.clone(),
                message: "already defined".into(),
            });
        }
        let start = RecordBuilder {
            name: r.name.clone(),
            kind: r.kind,
            fields: Vec::new(),
            anonymous: Vec::new(),
            decl: r.declared.clone(),
        };
        let body = fields(start).lay_out()?;
        r.body.set(body).map_err(|_| Error::Definition {
            type_name: r.name.clone(),
            message: "already defined".into(),
        })
    }

    /// A field of a structure or union, by name (ctypes `Point.y`):
    /// its offset, size, type and bitfield position.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields()?.iter().find(|f| f.name == name)
    }

    /// All declared fields of a complete structure or union, in order.
    pub fn fields(&self) -> Option<&[Field]> {
        match self.kind() {
            Kind::Record(r) => r.body.get().map(|b| b.fields.as_slice()),
            _ => None,
        }
    }

    /// Whether this is a structure or union type.
    pub fn is_record(&self) -> bool {
        matches!(self.kind(), Kind::Record(_))
    }

    /// Whether this is a structure or union that is declared but not yet defined.
    pub fn is_incomplete(&self) -> bool {
        matches!(self.kind(), Kind::Record(r) if r.body.get().is_none())
    }

    /// The complete record body, for layout-dependent operations.
    pub(crate) fn record_body(&self) -> Option<&RecordBody> {
        match self.kind() {
            Kind::Record(r) => r.body.get(),
            _ => None,
        }
    }
}
