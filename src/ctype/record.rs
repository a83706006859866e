//! Structures and unions: declaration, validation, and the field table that
//! instances use to find their members.

use std::fmt;
use std::ptr::NonNull;

use once_cell::sync::OnceCell;

use super::{CType, Kind, Scalar};
use crate::error::{Error, Result};
use crate::layout::{self, FieldDecl, Layout, RecordAttrs, RecordKind};

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
    layout: Layout,
}

/// A complete record's layout and members.
pub(crate) struct RecordBody {
    pub(crate) size: usize,
    pub(crate) align: usize,
    /// The declared fields, in order (unnamed bitfields included).
    pub(crate) fields: Vec<Field>,
    /// Every name the record answers to, by type ([`CType::field`]) and by
    /// instance (`CData::get`/`set`): the named declared fields, plus the
    /// fields of anonymous members, with offsets from this record's start.
    /// Look names up with [`RecordBody::member`].
    pub(crate) members: Vec<Member>,
    /// `members` by name, for records with more than [`INDEX_ABOVE`]
    /// members (smaller ones are scanned).
    index: Option<NameIndex>,
    /// The `pack`, `align` and byte order the layout was computed with (for
    /// writing the declaration back as C text); boxed, as it is rarely read.
    pub(crate) attrs: Box<LayoutAttrs>,
}

impl RecordBody {
    /// The member called `name` (a named field, or a field of an anonymous
    /// member at any depth): a hash lookup in large records, a scan of a few
    /// short names in small ones.
    #[inline]
    pub(crate) fn member(&self, name: &str) -> Option<&Member> {
        self.members.get(self.member_index(name)?)
    }

    /// The position of the member called `name` in `members`.
    pub(crate) fn member_index(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.find(name, |i| self.members.get(i).map(|m| m.field.name.as_str())),
            None => self
                .members
                .iter()
                .position(|m| same_name(&m.field.name, name)),
        }
    }
}

/// The record-wide attributes a layout was computed with.
pub(crate) struct LayoutAttrs {
    pub(crate) pack: Option<usize>,
    pub(crate) align: Option<usize>,
    pub(crate) order: ByteOrder,
}

/// A field as declared (ctypes' field descriptors: `Point.y.offset`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Field {
    /// The field's name; empty for an unnamed bitfield.
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
    /// The alignment given with [`RecordBuilder::field_align`], if any (the
    /// field's type's alignment applies otherwise).
    pub align: Option<usize>,
}

/// A field of a structure or union type, resolved once by
/// [`CType::field_handle`]: [`get`](FieldHandle::get) and
/// [`set`](FieldHandle::set) on instances of that type go straight to the
/// field.
#[derive(Clone)]
pub struct FieldHandle {
    /// The member, inside `record`'s body.
    member: NonNull<Member>,
    /// The record type, which keeps the member where it is: a complete
    /// record's body is set once and never changes.
    record: CType,
}

// SAFETY: the handle reads an immutable `Member` (plain data and `CType`s,
// which are `Send + Sync`) kept alive by `record`, itself `Send + Sync`.
unsafe impl Send for FieldHandle {}
// SAFETY: as above; nothing is ever written through `member`.
unsafe impl Sync for FieldHandle {}

impl FieldHandle {
    /// The field's descriptor (name, type, offset, bits), as
    /// [`CType::field`] gives it.
    pub fn field(&self) -> &Field {
        &self.member().field
    }

    /// The record type the handle was made from.
    pub fn record(&self) -> &CType {
        &self.record
    }

    /// The member the handle names.
    #[inline(always)]
    pub(crate) fn member(&self) -> &Member {
        // SAFETY: `member` points into the body of `record`, which the
        // handle keeps alive and which is never changed once set.
        unsafe { self.member.as_ref() }
    }
}

impl fmt::Debug for FieldHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldHandle({}.{})", self.record, self.field().name)
    }
}

/// Where a bitfield's bits are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitField {
    /// The first bit within the storage unit at [`Field::offset`], counting
    /// from the least significant bit in little-endian records and from the
    /// most significant bit in big-endian ones (as C compilers number them).
    pub offset: u32,
    /// The width in bits (0 for a zero-width bitfield, C's `int :0`).
    pub width: u32,
}

/// How a record reaches one of its names.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// The descriptor [`CType::field`] returns: offsets from this record's
    /// start (for a field of an anonymous member, not from the member's).
    pub(crate) field: Field,
    /// `field.ctype` again, under the name the instance accessors read.
    pub(crate) ty: CType,
    /// Byte offset from the record's start (`field.offset`; for bitfields
    /// unused).
    pub(crate) offset: usize,
    /// For a bitfield: its first bit from the record's start, its width, and
    /// the byte order of the record that declared it.
    pub(crate) bits: Option<(u64, u32, ByteOrder)>,
    /// Set for a fundamental type stored whole in native byte order (not a
    /// bitfield): such members are read and written directly.
    pub(crate) plain: Option<Scalar>,
    /// For a plain number (see [`Scalar::is_number`]): its type's
    /// conversions, so a read or write dispatches on nothing.
    pub(crate) number: Option<&'static crate::conv::codec::Word>,
}

impl Member {
    fn new(field: Field, bits: Option<(u64, u32, ByteOrder)>) -> Member {
        let plain = match field.ctype.kind() {
            Kind::Scalar {
                scalar,
                swapped: false,
                ..
            } if bits.is_none() => Some(*scalar),
            _ => None,
        };
        let number = plain
            .filter(|s| s.is_number())
            .and_then(crate::conv::codec::Word::of);
        Member {
            ty: field.ctype.clone(),
            offset: field.offset,
            field,
            bits,
            plain,
            number,
        }
    }

    /// This member of an anonymous member at byte `offset` of the record
    /// being built, with its offsets moved to that record's start.
    fn shifted(&self, offset: usize) -> Option<Member> {
        let field = Field {
            offset: self.field.offset.checked_add(offset)?,
            ..self.field.clone()
        };
        let bits = match self.bits {
            Some((bit, width, order)) => {
                Some((bit.checked_add(layout::bits_of(offset)?)?, width, order))
            }
            None => None,
        };
        Some(Member::new(field, bits))
    }
}

/// Records with at most this many members (or declared fields, while
/// checking for duplicates) are scanned instead of hashed: comparing a few
/// short names costs less than hashing one.
const INDEX_ABOVE: usize = 16;

/// Name equality without a library call: field names are short.
#[inline(always)]
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// An open-addressing hash table of positions in a list of names (members,
/// or declared fields): the names stay in the list, the table holds
/// indices. Built with room for a known number of names, at most half full.
#[derive(Clone, Debug)]
struct NameIndex {
    /// Index + 1 of the name hashed here (after linear probing); 0 is empty.
    slots: Box<[usize]>,
}

impl NameIndex {
    /// A table for up to `n` names; `None` if `2 n` slots cannot be counted.
    fn with_capacity(n: usize) -> Option<NameIndex> {
        let len = n.checked_mul(2)?.max(8).checked_next_power_of_two()?;
        Some(NameIndex {
            slots: vec![0; len].into_boxed_slice(),
        })
    }

    /// FNV-1a: quick on short names, and spreads `f0`..`f9999` well.
    fn hash(name: &str) -> usize {
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        // only the low bits select a slot; truncation is intended
        h as usize
    }

    /// The slots to probe for `name`, in order: every slot once, starting
    /// where the name hashes (linear probing).
    fn probe(len: usize, name: &str) -> impl Iterator<Item = usize> {
        let mask = len.wrapping_sub(1); // len is a power of two
        let start = Self::hash(name) & mask;
        (0..len).map(move |k| start.wrapping_add(k) & mask)
    }

    /// The position of `name`, reading names through `name_of`.
    fn find<'a>(&self, name: &str, name_of: impl Fn(usize) -> Option<&'a str>) -> Option<usize> {
        for slot in Self::probe(self.slots.len(), name) {
            let entry = *self.slots.get(slot)?;
            let i = entry.checked_sub(1)?; // an empty slot: not present
            if name_of(i).is_some_and(|n| same_name(n, name)) {
                return Some(i);
            }
        }
        None
    }

    /// Adds `name` at position `i`, unless position `j` has that name
    /// already.
    fn insert<'a>(
        &mut self,
        name: &str,
        i: usize,
        name_of: impl Fn(usize) -> Option<&'a str>,
    ) -> Insert {
        let Some(entry) = i.checked_add(1) else {
            return Insert::Full;
        };
        for slot in Self::probe(self.slots.len(), name) {
            let Some(current) = self.slots.get_mut(slot) else {
                break;
            };
            match current.checked_sub(1) {
                None => {
                    *current = entry;
                    return Insert::Added;
                }
                Some(j) if name_of(j).is_some_and(|n| same_name(n, name)) => {
                    return Insert::Repeat(j);
                }
                Some(_) => {}
            }
        }
        Insert::Full
    }
}

/// What [`NameIndex::insert`] did.
enum Insert {
    Added,
    /// The name is at this position already.
    Repeat(usize),
    /// No room (never at the capacity the table was made for).
    Full,
}

/// Names among the entries of a list, found by position: a scan in short
/// lists (no allocation), a [`NameIndex`] in lists of more than
/// [`INDEX_ABOVE`] entries. Entries are read through a `name_of` function;
/// it gives `None` for entries without a name.
enum Names {
    Scan,
    Index(NameIndex),
}

impl Names {
    fn for_len(len: usize) -> Names {
        if len > INDEX_ABOVE {
            NameIndex::with_capacity(len).map_or(Names::Scan, Names::Index)
        } else {
            Names::Scan
        }
    }

    /// Takes in entry `i`, called `name` (entries come in order); returns
    /// the earlier entry with the same name, if any.
    fn add<'a>(
        &mut self,
        i: usize,
        name: &str,
        name_of: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<usize> {
        match self {
            Names::Scan => (0..i).find(|&j| name_of(j).is_some_and(|n| same_name(n, name))),
            Names::Index(index) => match index.insert(name, i, &name_of) {
                Insert::Added => None,
                Insert::Repeat(j) => Some(j),
                Insert::Full => {
                    // cannot happen at the capacity asked for; a scan is
                    // always right
                    *self = Names::Scan;
                    self.add(i, name, name_of)
                }
            },
        }
    }

    /// The entry called `name` among the first `len` (all that were added).
    fn find<'a>(
        &self,
        name: &str,
        len: usize,
        name_of: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<usize> {
        match self {
            Names::Scan => (0..len).find(|&j| name_of(j).is_some_and(|n| same_name(n, name))),
            Names::Index(index) => index.find(name, name_of),
        }
    }
}

/// One declared field, before layout.
#[derive(Clone)]
struct FieldSpec {
    name: String,
    ty: CType,
    bits: Option<u32>,
    /// An alignment replacing the type's (`field_align`).
    align: Option<usize>,
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
///
/// Building is linear in the number of fields (a 10,000-field structure
/// takes milliseconds).
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

    /// Adds a field (an entry of `_fields_`). Every field has a name; only
    /// a bitfield may be unnamed (see [`bitfield`](RecordBuilder::bitfield)).
    pub fn field(mut self, name: impl Into<String>, ty: CType) -> RecordBuilder {
        self.fields.push(FieldSpec {
            name: name.into(),
            ty,
            bits: None,
            align: None,
        });
        self
    }

    /// Adds a bitfield of `bits` bits (`("a", c_int, 3)`). The type must be
    /// an integer type; the width must be 1 to the type's width (1 for
    /// `c_bool`).
    ///
    /// An empty name declares an unnamed bitfield, as C's `int :3`: padding
    /// that takes its bits as a named bitfield would, but that no name
    /// reaches (not even `""`) and that never raises the record's alignment
    /// under [`Layout::GccSysv`]. Only an unnamed bitfield may have width 0,
    /// C's `int :0`: it ends the current storage unit, so the next field
    /// starts at the type's alignment (the exact rules of each [`Layout`]
    /// are in its docs). A record may have any number of unnamed bitfields.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CType, sizeof};
    /// // struct P { int a:4; int :0; int b:4; }
    /// let pad = CType::structure("P")
    ///     .bitfield("a", CType::c_int(), 4)
    ///     .bitfield("", CType::c_int(), 0)
    ///     .bitfield("b", CType::c_int(), 4)
    ///     .build()?;
    /// assert_eq!(sizeof(&pad), 8);
    /// assert_eq!(pad.field("b").unwrap().offset, 4);
    /// assert_eq!(pad.fields().unwrap().len(), 3);   // the unnamed one is declared
    /// assert!(pad.field("").is_none());             // but has no name to reach
    /// # Ok(()) }
    /// ```
    pub fn bitfield(mut self, name: impl Into<String>, ty: CType, bits: u32) -> RecordBuilder {
        self.fields.push(FieldSpec {
            name: name.into(),
            ty,
            bits: Some(bits),
            align: None,
        });
        self
    }

    /// Gives the field added last an alignment of `n` bytes (a power of
    /// two) in place of its type's, as C's per-member attributes do:
    /// `__attribute__((aligned(n)))` on a member (pass the larger of `n` and
    /// the type's alignment, as gcc never lowers it) or
    /// `__attribute__((packed))` on one member (pass 1). The record's `pack`
    /// still caps it. Before any field is added it does nothing.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CType, sizeof, alignment};
    /// // struct { char c; int i __attribute__((aligned(8))); }
    /// let s = CType::structure("S")
    ///     .field("c", CType::c_char())
    ///     .field("i", CType::c_int()).field_align(8)
    ///     .build()?;
    /// assert_eq!((s.field("i").unwrap().offset, sizeof(&s), alignment(&s)), (8, 16, 8));
    /// # Ok(()) }
    /// ```
    pub fn field_align(mut self, n: usize) -> RecordBuilder {
        if let Some(last) = self.fields.last_mut() {
            last.align = Some(n);
        }
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

    /// `_layout_ = "ms"` or `"gcc-sysv"` (ctypes 3.14): how bitfields are
    /// laid out. The default is [`Layout::GccSysv`], the rules of the C
    /// compiler on this platform; [`Layout::Ms`] gives Microsoft's, as gcc's
    /// `__attribute__((ms_struct))` does. Combines with
    /// [`pack`](RecordBuilder::pack), [`align`](RecordBuilder::align) and
    /// byte order.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CType, Layout, sizeof};
    /// let ms = CType::structure("M").bitfield("a", CType::c_char(), 3)
    ///     .bitfield("b", CType::c_int(), 5).layout(Layout::Ms).build()?;
    /// assert_eq!(sizeof(&ms), 8);
    /// # Ok(()) }
    /// ```
    pub fn layout(mut self, layout: Layout) -> RecordBuilder {
        self.decl.layout = layout;
        self
    }

    /// `_anonymous_ = (name, ...)`: the fields of the structure or union
    /// field `name` can be reached as if they were this record's own, by
    /// instances ([`CData::get`](crate::CData::get)) and by the type
    /// ([`CType::field`], with offsets from this record's start).
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
    /// blame): `pack`/`align` not a power of two, a named bitfield of width 0,
    /// an unnamed field that is not a bitfield, a bitfield wider than its
    /// type, a bitfield on a non-integer type, a duplicate name (also one
    /// repeated through an anonymous member), an anonymous member that is
    /// not a structure or union field, an incomplete or `void` field type, a
    /// size or alignment that overflows.
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
            type_name: self.name.clone().into(),
            message: match field {
                Some(f) => format!("field `{f}`: {message}").into(),
                None => message.into(),
            },
        }
    }

    /// An error blamed on declared field `i` (named by its position when it
    /// has no name).
    fn field_error(&self, i: usize, message: impl Into<String>) -> Error {
        match self.fields.get(i) {
            Some(f) if f.name.is_empty() => Error::Definition {
                type_name: self.name.clone().into(),
                message: format!("unnamed field {i}: {}", message.into()).into(),
            },
            Some(f) => self.definition_error(Some(&f.name), message),
            None => self.definition_error(None, message),
        }
    }

    /// Validates the declaration and computes the layout and member table.
    /// Linear in the number of fields and of members reached through
    /// anonymous members.
    fn lay_out(&self) -> Result<RecordBody> {
        let order = self.decl.order.unwrap_or(ByteOrder::Native);
        let mut decls = Vec::with_capacity(self.fields.len());
        let mut types = Vec::with_capacity(self.fields.len());
        // the declared names, for duplicates and `anonymous`
        let declared_name = |j: usize| {
            self.fields
                .get(j)
                .map(|f| f.name.as_str())
                .filter(|n| !n.is_empty())
        };
        let mut declared = Names::for_len(self.fields.len());
        for (i, f) in self.fields.iter().enumerate() {
            if !f.name.is_empty() && declared.add(i, &f.name, declared_name).is_some() {
                return Err(self.field_error(i, "duplicate field name"));
            }
            if f.ty.is_void() {
                return Err(self.field_error(i, "void is not a field type"));
            }
            if let Kind::Record(r) = f.ty.kind()
                && r.body.get().is_none()
            {
                return Err(self.field_error(
                    i,
                    format!("`{}` is incomplete (declared but not yet defined)", r.name),
                ));
            }
            let size =
                f.ty.layout_size()
                    .map_err(|e| self.field_error(i, e.to_string()))?;
            if let Some(w) = f.bits {
                let Some(s) = f.ty.scalar().filter(|s| s.is_integer()) else {
                    return Err(self.field_error(
                        i,
                        format!("a bitfield must have an integer type, not {}", f.ty),
                    ));
                };
                if s == Scalar::Bool && w > 1 {
                    return Err(
                        self.field_error(i, format!("a c_bool bitfield is 1 bit wide, not {w}"))
                    );
                }
            }
            let ty = if order.swaps() {
                swapped(&f.ty).map_err(|m| self.field_error(i, m))?
            } else {
                f.ty.clone()
            };
            types.push(ty);
            decls.push(FieldDecl {
                size,
                align: f.align.unwrap_or_else(|| f.ty.align()),
                bits: f.bits,
                named: !f.name.is_empty(),
            });
        }
        // which declared fields are anonymous members (no allocation when none)
        let mut anonymous = Vec::new();
        for name in &self.anonymous {
            let found = declared
                .find(name, self.fields.len(), declared_name)
                .and_then(|i| Some((i, self.fields.get(i)?)));
            match found {
                None => {
                    return Err(
                        self.definition_error(Some(name), "listed as anonymous but not a field")
                    );
                }
                Some((_, f)) if !matches!(f.ty.kind(), Kind::Record(_)) || f.bits.is_some() => {
                    return Err(self.definition_error(
                        Some(name),
                        format!(
                            "an anonymous member must be a structure or union, not {}",
                            f.ty
                        ),
                    ));
                }
                Some((i, _)) => {
                    anonymous.resize(self.fields.len(), false);
                    if let Some(flag) = anonymous.get_mut(i) {
                        *flag = true;
                    }
                }
            }
        }
        let attrs = RecordAttrs {
            pack: self.decl.pack,
            align: self.decl.align,
            layout: self.decl.layout,
        };
        let placed = layout::layout(self.kind, &decls, attrs).map_err(|e| match e.field {
            Some(i) => self.field_error(i, e.message),
            None => self.definition_error(None, e.message),
        })?;

        // the member table: each named field, preceded by the members of
        // an anonymous one; `origin` remembers which anonymous member each
        // came through, to name it if it repeats a name
        let inner_members = |i: usize| match (anonymous.get(i), self.fields.get(i)) {
            (Some(true), Some(spec)) => spec.ty.record_body().map_or(&[][..], |b| &b.members[..]),
            _ => &[],
        };
        let named = self.fields.iter().filter(|f| !f.name.is_empty()).count();
        let member_count = (0..self.fields.len())
            .map(|i| inner_members(i).len())
            .try_fold(named, usize::checked_add)
            .ok_or_else(|| self.definition_error(None, "too many members"))?;
        let mut fields = Vec::with_capacity(self.fields.len());
        let mut members: Vec<Member> = Vec::with_capacity(member_count);
        // (left empty when nothing comes through an anonymous member)
        let mut origin: Vec<Option<usize>> = Vec::new();
        if member_count > named {
            origin.reserve(member_count);
        }
        let overflow = |i: usize| self.field_error(i, "the record's size overflows");
        for (i, ((spec, ty), &bitpos)) in self
            .fields
            .iter()
            .zip(types)
            .zip(&placed.bit_offsets)
            .enumerate()
        {
            let (offset, size, bits) = match spec.bits {
                None => {
                    let offset = usize::try_from(bitpos / 8).map_err(|_| overflow(i))?;
                    (offset, ty.size(), None)
                }
                Some(width) => {
                    let (unit, bit) =
                        storage_unit(bitpos, width, ty.size()).ok_or_else(|| overflow(i))?;
                    (unit, ty.size(), Some(BitField { offset: bit, width }))
                }
            };
            let field = Field {
                name: spec.name.clone(),
                ctype: ty,
                offset,
                size,
                bits,
                anonymous: anonymous.get(i).copied().unwrap_or(false),
                align: spec.align,
            };
            if !spec.name.is_empty() {
                for m in inner_members(i) {
                    members.push(m.shifted(offset).ok_or_else(|| overflow(i))?);
                    origin.push(Some(i));
                }
                members.push(Member::new(
                    field.clone(),
                    spec.bits.map(|w| (bitpos, w, order)),
                ));
                if member_count > named {
                    origin.push(None);
                }
            }
            fields.push(field);
        }

        // names repeated through anonymous members (declared names were
        // checked above, so every repeat involves one); the same table then
        // serves lookups
        let member_name = |k: usize| members.get(k).map(|m| m.field.name.as_str());
        let mut names = Names::for_len(members.len());
        for (k, m) in members.iter().enumerate() {
            if let Some(j) = names.add(k, &m.field.name, member_name) {
                let through = origin
                    .get(k)
                    .copied()
                    .flatten()
                    .or_else(|| origin.get(j).copied().flatten())
                    .and_then(|i| self.fields.get(i))
                    .map_or("", |f| f.name.as_str());
                return Err(self.definition_error(
                    Some(&m.field.name),
                    format!("the anonymous member `{through}` repeats this name"),
                ));
            }
        }
        let index = match names {
            Names::Index(index) => Some(index),
            Names::Scan => None,
        };
        Ok(RecordBody {
            size: placed.size,
            align: placed.align,
            fields,
            members,
            index,
            attrs: Box::new(LayoutAttrs {
                pack: self.decl.pack,
                align: self.decl.align,
                order,
            }),
        })
    }
}

/// The storage unit a bitfield is reported in: the `type_size`-aligned unit
/// holding it, or (when packing made it straddle such units) the byte where
/// it starts. Returns the unit's byte offset and the bit offset within it;
/// `None` only for positions no record can have.
fn storage_unit(bitpos: u64, width: u32, type_size: usize) -> Option<(usize, u32)> {
    let unit_bits = layout::bits_of(type_size)?;
    let unit = bitpos.checked_div(unit_bits)?.checked_mul(unit_bits)?;
    let within = bitpos.checked_sub(unit)?;
    if within.checked_add(u64::from(width))? <= unit_bits {
        Some((usize::try_from(unit / 8).ok()?, u32::try_from(within).ok()?))
    } else {
        Some((
            usize::try_from(bitpos / 8).ok()?,
            u32::try_from(bitpos % 8).ok()?,
        ))
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
                type_name: self.to_string().into(),
                message: "only a declared structure or union can be defined".into(),
            });
        };
        if r.body.get().is_some() {
            return Err(Error::Definition {
                type_name: r.name.clone().into(),
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
            type_name: r.name.clone().into(),
            message: "already defined".into(),
        })
    }

    /// A field of a structure or union, by name (ctypes `Point.y`):
    /// its offset, size, type and bitfield position.
    ///
    /// Fields of anonymous members are found too, at any depth, with
    /// offsets from this record's start (ctypes `Tagged.i.offset`); unnamed
    /// bitfields are not. `None` for a name the record does not have, and
    /// for types that are not complete records.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::CType;
    /// let number = CType::union("Number").field("i", CType::c_int())
    ///     .field("d", CType::c_double()).build()?;
    /// let tagged = CType::structure("Tagged").field("kind", CType::c_int())
    ///     .field("u", number).anonymous("u").build()?;
    /// assert_eq!(tagged.field("d").unwrap().offset, 8);   // through `u`
    /// assert_eq!(tagged.fields().unwrap().len(), 2);      // kind, u
    /// # Ok(()) }
    /// ```
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.record_body()?.member(name).map(|m| &m.field)
    }

    /// A handle on a field, resolved once: reads and writes that field of
    /// instances of this type without looking its name up again (ctypes'
    /// `Point.y.__get__(p)` / `__set__(p, v)`), for hot loops over
    /// structures. Fields of anonymous members are reachable, as with
    /// [`CData::get`](crate::CData::get).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType, Value};
    /// let point = CType::structure("Point").field("x", CType::c_int())
    ///     .field("y", CType::c_int()).build()?;
    /// let (x, y) = (point.field_handle("x")?, point.field_handle("y")?);
    /// let p = CData::from_values(&point, [3, 4])?;
    /// y.set(&p, x.get(&p)?)?;
    /// assert_eq!(p.get("y")?, Value::Int(3));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownField`](crate::Error::UnknownField) for a name the
    /// type does not have, [`Error::Unsupported`](crate::Error::Unsupported)
    /// for a type that is not a complete structure or union.
    pub fn field_handle(&self, name: &str) -> Result<FieldHandle> {
        let body = self.record_body().ok_or_else(|| Error::Unsupported {
            operation: format!("a handle on field `{name}`").into(),
            type_name: self.to_string().into(),
            reason: "only complete structures and unions have fields".into(),
        })?;
        let index = body.member_index(name).ok_or_else(|| Error::UnknownField {
            type_name: self.to_string().into(),
            field: name.to_owned().into(),
        })?;
        let member = body.members.get(index).ok_or_else(|| Error::UnknownField {
            type_name: self.to_string().into(),
            field: name.to_owned().into(),
        })?;
        Ok(FieldHandle {
            member: NonNull::from(member),
            record: self.clone(),
        })
    }

    /// All declared fields of a complete structure or union, in order:
    /// unnamed bitfields included (with an empty name), fields of anonymous
    /// members not (they are inside their member's type, and reachable with
    /// [`field`](CType::field)).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}")).collect()
    }

    #[test]
    fn name_index_finds_every_name_and_reports_repeats() {
        let list = names(1000);
        let name_of = |i: usize| list.get(i).map(String::as_str);
        let mut index = NameIndex::with_capacity(list.len()).unwrap();
        for (i, n) in list.iter().enumerate() {
            assert!(matches!(index.insert(n, i, name_of), Insert::Added));
        }
        for (i, n) in list.iter().enumerate() {
            assert_eq!(index.find(n, name_of), Some(i));
        }
        assert_eq!(index.find("f1000", name_of), None);
        assert_eq!(index.find("", name_of), None);
        assert!(matches!(index.insert("f7", 7, name_of), Insert::Repeat(7)));
    }

    /// A table too small for its names (never made by the builder) makes
    /// `Names` fall back to scanning, still finding every repeat.
    #[test]
    fn a_full_table_falls_back_to_a_scan() {
        let list = ["a", "b", "c", "a"];
        let name_of = |i: usize| list.get(i).copied();
        let mut names = Names::Index(NameIndex {
            slots: vec![0; 2].into_boxed_slice(),
        });
        assert_eq!(names.add(0, "a", name_of), None);
        assert_eq!(names.add(1, "b", name_of), None);
        assert_eq!(names.add(2, "c", name_of), None);
        assert!(matches!(names, Names::Scan));
        assert_eq!(names.add(3, "a", name_of), Some(0));
        assert_eq!(names.find("c", 4, name_of), Some(2));
    }

    #[test]
    fn small_and_large_records_find_the_same_members() {
        for n in [1, INDEX_ABOVE, INDEX_ABOVE + 1, 200] {
            let mut b = CType::structure("S");
            for name in names(n) {
                b = b.field(name, CType::c_short());
            }
            let ty = b.build().unwrap();
            let body = ty.record_body().unwrap();
            assert_eq!(body.index.is_some(), n > INDEX_ABOVE, "{n}");
            for (i, name) in names(n).iter().enumerate() {
                assert_eq!(body.member(name).map(|m| m.offset), Some(2 * i));
            }
            assert!(body.member("g").is_none());
            assert!(body.member("").is_none());
        }
    }
}
