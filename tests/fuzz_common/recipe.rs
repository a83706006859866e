//! The recipe: a program of operations over rctypes' safe API, as plain data
//! that `arbitrary` decodes from bytes (derived impls for the plain parts,
//! hand-written weighted ones where a uniform choice of variant would make
//! invalid or absurd inputs as common as ordinary ones).
//!
//! Nothing here is recursive: a type, an instance or a value refers to an
//! earlier one by a [`Pick`] into the driver's tables, so any byte string
//! decodes to a finite program whose types still nest (an array of records
//! of arrays of pointers...) through the tables. Edge cases (integer range
//! limits, NaN, interior NULs, `usize::MAX` offsets, power-of-two attributes
//! up to 2^63) are listed explicitly and chosen by index, so that they come
//! up often instead of once in 2^64 random draws.

use arbitrary::{Arbitrary, Unstructured};

/// Picks an index with the given relative weights (how the hand-written
/// `Arbitrary` impls below make valid and ordinary choices common and
/// absurd ones rare, instead of one variant in n each).
fn weighted(u: &mut Unstructured<'_>, weights: &[u32]) -> arbitrary::Result<usize> {
    let total: u32 = weights.iter().sum();
    let mut x = u.int_in_range(0..=total - 1)?;
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return Ok(i);
        }
        x -= w;
    }
    Ok(weights.len() - 1)
}

/// A program: the operations the driver runs in order.
///
/// Encoded as chunks: a length byte (modulo [`MAX_CHUNK`]), then that many
/// bytes from which one
/// [`Op`] is decoded (`arbitrary_take_rest`). A byte string or a `Vec`
/// inside an operation thus takes at most its chunk, not the rest of the
/// input, so random bytes (proptest's) make programs of many operations and
/// a mutation (libFuzzer's) changes one operation.
#[derive(Debug, Clone)]
pub struct Program {
    /// The operations.
    pub ops: Vec<Op>,
}

/// Operations decoded per program; the rest of the input is ignored.
pub const MAX_OPS: usize = 64;
/// The longest chunk an operation is decoded from.
pub const MAX_CHUNK: usize = 96;

impl Program {
    /// Decodes a program from any bytes (never fails: what does not decode
    /// is skipped).
    pub fn from_bytes(bytes: &[u8]) -> Program {
        let mut u = Unstructured::new(bytes);
        let mut ops = Vec::new();
        while !u.is_empty() && ops.len() < MAX_OPS {
            let Ok(len) = u8::arbitrary(&mut u) else {
                break;
            };
            let Ok(chunk) = u.bytes((usize::from(len) % MAX_CHUNK).min(u.len())) else {
                break;
            };
            if let Ok(op) = Op::arbitrary_take_rest(Unstructured::new(chunk)) {
                ops.push(op);
            }
        }
        Program { ops }
    }
}

impl<'a> Arbitrary<'a> for Program {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let rest = u.bytes(u.len())?;
        Ok(Program::from_bytes(rest))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Program::from_bytes(u.take_rest()))
    }
}

/// A reference into one of the driver's tables (types, instances, trusted
/// pointers): `Recent(k)` is the k-th from the end (what was just made),
/// `Any(i)` is index `i` modulo the table's length.
#[derive(Debug, Clone, Copy)]
pub enum Pick {
    /// The k-th newest entry.
    Recent(u8),
    /// Entry `i % len`.
    Any(u16),
}

/// Mostly one of the last few entries (what the previous operations made).
impl<'a> Arbitrary<'a> for Pick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[55, 15, 30])? {
            0 => Pick::Recent(u.int_in_range(0..=3)?),
            1 => Pick::Recent(u.arbitrary()?),
            _ => Pick::Any(u.arbitrary()?),
        })
    }
}

impl Pick {
    /// The index this picks in a table of `len` entries (`None` when empty).
    pub fn index(self, len: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        Some(match self {
            Pick::Recent(k) => len - 1 - usize::from(k) % len,
            Pick::Any(i) => usize::from(i) % len,
        })
    }
}

/// A type: a fundamental one, or one from the table of types the program
/// made (`c_int` while it has none).
#[derive(Debug, Clone, Copy)]
pub enum TypeRef {
    /// A fundamental type (or `void`).
    Fund(Fund),
    /// A made type.
    Made(Pick),
}

impl<'a> Arbitrary<'a> for TypeRef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[40, 60])? {
            0 => TypeRef::Fund(u.arbitrary()?),
            _ => TypeRef::Made(u.arbitrary()?),
        })
    }
}

/// The type a cast goes to: mostly `POINTER(T)` (the only kind whose
/// result can be dereferenced), or any type (most are refused).
#[derive(Debug, Clone, Copy)]
pub enum CastTarget {
    /// `POINTER(T)`.
    PointerTo(TypeRef),
    /// The type itself.
    Type(TypeRef),
}

impl<'a> Arbitrary<'a> for CastTarget {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[70, 30])? {
            0 => CastTarget::PointerTo(u.arbitrary()?),
            _ => CastTarget::Type(u.arbitrary()?),
        })
    }
}

/// One step of the program.
#[derive(Debug, Clone)]
pub enum Op {
    /// Adds a type to the type table (a failed `build`/`define` adds nothing,
    /// or for `define`, the type it was asked to complete).
    Type(TypeDef),
    /// Replaces a type-table entry by `c_int`, dropping the table's handle
    /// (a declared record then lives only as long as something else holds it;
    /// pointers to it hold it weakly).
    ForgetType(Pick),
    /// `CData::try_new`.
    New(TypeRef),
    /// `CData::with_value`.
    WithValue(TypeRef, ValueDef),
    /// `CData::from_values`.
    FromValues(TypeRef, Vec<ValueDef>),
    /// `CData::from_bytes`.
    FromBytes(TypeRef, BytesSource),
    /// `create_string_buffer`.
    StringBuffer(BufferDef),
    /// `create_unicode_buffer`.
    UnicodeBuffer(BufferDef),
    /// `value()`; a `Value::Data` result joins the instance pool.
    Value(Pick),
    /// `set_value()`.
    SetValue(Pick, ValueDef),
    /// `get(name)`.
    Get(Pick, FieldSel),
    /// `set(name, value)`.
    Set(Pick, FieldSel, ValueDef),
    /// `field(name)`: the view joins the pool.
    Field(Pick, FieldSel),
    /// `at(i)`: the view joins the pool.
    At(Pick, Index),
    /// `get_index(i)`.
    GetIndex(Pick, Index),
    /// `set_index(i, value)`.
    SetIndex(Pick, Index, ValueDef),
    /// `pointer()`: an ordinary (mutable, never dereferenced) instance.
    Pointer(Pick),
    /// `cast(ty)` of any instance: the result is never dereferenced.
    Cast(Pick, CastTarget),
    /// `pointer()` kept aside as a trusted pointer: nothing but rctypes
    /// writes to it, so it points at the instance it was made from.
    Trust(Pick),
    /// `cast(ty)` of an array instance or of a trusted pointer; a
    /// `POINTER(T)` result is trusted too (it points where its source does).
    TrustCast(TrustSource, CastTarget),
    /// `contents()`/`read(i)`/`write(i, v)` through a pointer that is known
    /// to point into a live instance.
    Deref(DerefSource, DerefAction),
    /// Every read-only query on an instance: address, type, `len`,
    /// `to_bytes`, `raw`, `Debug`, `byref`, a `from_bytes` round trip.
    Inspect(Pick),
    /// Every query on a type, and its equality and hash against another.
    InspectType(TypeRef, TypeRef),
    /// Every accessor of a value, `Debug`, and equality against another.
    InspectValue(ValueDef, ValueDef),
    /// `byref_at(obj, offset)`.
    ByrefAt(Pick, Offset),
    /// Makes a callback of a (random) prototype; it is never called.
    Callback(TypeRef),
    /// Removes an instance from the pool (dropping the pool's handle; views
    /// and pointers keep the memory alive as ctypes' `_objects` does).
    Drop(Pick),
    /// Declares a signature (restype, argtypes, variadic) on a libc function
    /// and `prepare()`s it (libffi's call interface, the register plan);
    /// it is never called.
    Prepare(TypeRef, Vec<TypeRef>, bool),
    /// `symbol_address` and `function` with a name, and when the flag is
    /// set (one time in 8: it reads the loader's cache, ~1 ms) `find_library`.
    Lookup(Name, bool),
    /// Adds a type derived from another to the type table: a field's type
    /// (byte-swapped scalars and arrays of them come from big-endian
    /// records), an element or pointee type, or a pool instance's type.
    Derive(Derivation),
    /// `CType::field_handle(name)`: a handle joins the handle table, and
    /// is used once right away.
    MakeHandle(HandleOf, FieldSel, HandleTarget, HandleAction),
    /// `FieldHandle::get`/`set` on an instance (of its record type or not:
    /// another type must be an `Err`), compared with `get`/`set` by name.
    UseHandle(Pick, HandleTarget, HandleAction),
    /// `CData::from_values` on an array with short, exact or too long
    /// lists of values, compared with the same array built element by
    /// element with `set_index`.
    NumArray(ElemRef, u8, ListLen, Vec<NumValue>),
    /// `CData::from_slice::<T>` and back with `to_vec::<T>`.
    Slice(ElemRef, RustTy, Vec<u64>),
    /// `to_vec::<T>()` of a pool instance (an array or not).
    ToVec(Pick, RustTy),
    /// `iter()` over a pool instance, compared with `get_index`.
    Iter(Pick),
    /// `Debug` (`{:?}`, `{:#?}`) of an instance and `Display` of its value,
    /// with width, precision and flags.
    Format(Pick, u8),
    /// `create_string_buffer_sized` / `create_unicode_buffer_sized`.
    SizedBuffer(bool, TextDef, BytesDef, SizeDef),
    /// `set_raw(bytes)` on any instance.
    SetRaw(Pick, RawDef),
    /// A value cloned (once or twice), the original dropped, the clone used.
    CloneValue(ValueDef, bool),
    /// `Function::prepared()` on `labs` or `abs`; only the exact
    /// declarations are ever called.
    Prepared(PreparedDef),
}

/// Weighted: types and instances are made often enough for the operations
/// on them to find something; dereferences are frequent (they are the
/// `unsafe` surface); rare operations stay possible.
impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        const WEIGHTS: [u32; 41] = [
            14, 1, 6, 4, 3, 3, 1, 1, 4, 4, 5, 5, 4, 3, 3, 3, 3, 3, 3, 4, 7, 3, 2, 2, 1, 1, 2, 3, 1,
            // Derive, MakeHandle, UseHandle, NumArray, Slice, ToVec, Iter,
            // Format, SizedBuffer, SetRaw, CloneValue, Prepared
            2, 3, 5, 4, 3, 2, 2, 2, 2, 2, 2, 3,
        ];
        Ok(match weighted(u, &WEIGHTS)? {
            0 => Op::Type(u.arbitrary()?),
            1 => Op::ForgetType(u.arbitrary()?),
            2 => Op::New(u.arbitrary()?),
            3 => Op::WithValue(u.arbitrary()?, u.arbitrary()?),
            4 => Op::FromValues(u.arbitrary()?, u.arbitrary()?),
            5 => Op::FromBytes(u.arbitrary()?, u.arbitrary()?),
            6 => Op::StringBuffer(u.arbitrary()?),
            7 => Op::UnicodeBuffer(u.arbitrary()?),
            8 => Op::Value(u.arbitrary()?),
            9 => Op::SetValue(u.arbitrary()?, u.arbitrary()?),
            10 => Op::Get(u.arbitrary()?, u.arbitrary()?),
            11 => Op::Set(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            12 => Op::Field(u.arbitrary()?, u.arbitrary()?),
            13 => Op::At(u.arbitrary()?, u.arbitrary()?),
            14 => Op::GetIndex(u.arbitrary()?, u.arbitrary()?),
            15 => Op::SetIndex(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            16 => Op::Pointer(u.arbitrary()?),
            17 => Op::Cast(u.arbitrary()?, u.arbitrary()?),
            18 => Op::Trust(u.arbitrary()?),
            19 => Op::TrustCast(u.arbitrary()?, u.arbitrary()?),
            20 => Op::Deref(u.arbitrary()?, u.arbitrary()?),
            21 => Op::Inspect(u.arbitrary()?),
            22 => Op::InspectType(u.arbitrary()?, u.arbitrary()?),
            23 => Op::InspectValue(u.arbitrary()?, u.arbitrary()?),
            24 => Op::ByrefAt(u.arbitrary()?, u.arbitrary()?),
            25 => Op::Callback(u.arbitrary()?),
            26 => Op::Drop(u.arbitrary()?),
            27 => {
                let restype = u.arbitrary()?;
                let n = weighted(u, &[15, 30, 30, 15, 5, 5])?;
                let args = (0..n)
                    .map(|_| u.arbitrary())
                    .collect::<arbitrary::Result<_>>()?;
                Op::Prepare(restype, args, u.ratio(1, 5)?)
            }
            28 => Op::Lookup(u.arbitrary()?, u.ratio(1, 8)?),
            29 => Op::Derive(u.arbitrary()?),
            30 => Op::MakeHandle(
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
            ),
            31 => Op::UseHandle(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            32 => {
                let (elem, len, list) = (u.arbitrary()?, u.arbitrary()?, u.arbitrary()?);
                let n = u.int_in_range(0..=24)?;
                let values = (0..n)
                    .map(|_| u.arbitrary())
                    .collect::<arbitrary::Result<_>>()?;
                Op::NumArray(elem, len, list, values)
            }
            33 => {
                let (elem, rust) = (u.arbitrary()?, u.arbitrary()?);
                let n = weighted(u, &[5, 20, 40, 25, 10])?;
                let n = [0, 1, 3, 8, 20][n];
                let values = (0..n)
                    .map(|_| u.arbitrary())
                    .collect::<arbitrary::Result<_>>()?;
                Op::Slice(elem, rust, values)
            }
            34 => Op::ToVec(u.arbitrary()?, u.arbitrary()?),
            35 => Op::Iter(u.arbitrary()?),
            36 => Op::Format(u.arbitrary()?, u.arbitrary()?),
            37 => Op::SizedBuffer(
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
            ),
            38 => Op::SetRaw(u.arbitrary()?, u.arbitrary()?),
            39 => Op::CloneValue(u.arbitrary()?, u.arbitrary()?),
            _ => Op::Prepared(u.arbitrary()?),
        })
    }
}

/// A type to add to the table.
#[derive(Debug, Clone)]
pub enum TypeDef {
    /// A fundamental type.
    Fundamental(Fund),
    /// `POINTER(T)`.
    Pointer(TypeRef),
    /// `T * n`.
    Array(TypeRef, Count),
    /// `CFUNCTYPE(restype, *argtypes)`.
    Function {
        /// The restype.
        restype: TypeRef,
        /// The argtypes.
        args: Vec<TypeRef>,
    },
    /// A structure or union, `build()`.
    Record(RecordDef),
    /// A structure or union, `declare()`d incomplete.
    Declare(RecordHead),
    /// `define()` of a table entry (normally a declared record) with fields.
    Define {
        /// The type to complete.
        target: Pick,
        /// The fields and extra attributes (the head's name and kind are
        /// those of the declaration; its attributes are added).
        body: RecordDef,
    },
}

/// Records most, then pointers, arrays, definitions of declared records.
impl<'a> Arbitrary<'a> for TypeDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[5, 15, 15, 8, 35, 10, 12])? {
            0 => TypeDef::Fundamental(u.arbitrary()?),
            1 => TypeDef::Pointer(u.arbitrary()?),
            2 => TypeDef::Array(u.arbitrary()?, u.arbitrary()?),
            3 => {
                let restype = u.arbitrary()?;
                let n = weighted(u, &[15, 30, 30, 15, 5, 5])?;
                let args = (0..n)
                    .map(|_| u.arbitrary())
                    .collect::<arbitrary::Result<_>>()?;
                TypeDef::Function { restype, args }
            }
            4 => TypeDef::Record(u.arbitrary()?),
            5 => TypeDef::Declare(u.arbitrary()?),
            _ => TypeDef::Define {
                target: u.arbitrary()?,
                body: u.arbitrary()?,
            },
        })
    }
}

/// Every fundamental type constructor, and `void`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, non_camel_case_types)]
pub enum Fund {
    c_bool,
    c_char,
    c_wchar,
    c_byte,
    c_ubyte,
    c_short,
    c_ushort,
    c_int,
    c_uint,
    c_long,
    c_ulong,
    c_longlong,
    c_ulonglong,
    c_size_t,
    c_ssize_t,
    c_int8,
    c_uint8,
    c_int16,
    c_uint16,
    c_int32,
    c_uint32,
    c_int64,
    c_uint64,
    c_float,
    c_double,
    c_longdouble,
    c_float_complex,
    c_double_complex,
    c_longdouble_complex,
    c_char_p,
    c_wchar_p,
    c_void_p,
    void,
}

/// Every [`Fund`], in declaration order.
pub const FUNDS: [Fund; 33] = [
    Fund::c_bool,
    Fund::c_char,
    Fund::c_wchar,
    Fund::c_byte,
    Fund::c_ubyte,
    Fund::c_short,
    Fund::c_ushort,
    Fund::c_int,
    Fund::c_uint,
    Fund::c_long,
    Fund::c_ulong,
    Fund::c_longlong,
    Fund::c_ulonglong,
    Fund::c_size_t,
    Fund::c_ssize_t,
    Fund::c_int8,
    Fund::c_uint8,
    Fund::c_int16,
    Fund::c_uint16,
    Fund::c_int32,
    Fund::c_uint32,
    Fund::c_int64,
    Fund::c_uint64,
    Fund::c_float,
    Fund::c_double,
    Fund::c_longdouble,
    Fund::c_float_complex,
    Fund::c_double_complex,
    Fund::c_longdouble_complex,
    Fund::c_char_p,
    Fund::c_wchar_p,
    Fund::c_void_p,
    Fund::void,
];

impl Fund {
    /// Whether this is a signed integer type (`char` and `wchar_t` aside).
    pub fn is_signed_int(self) -> bool {
        matches!(
            self,
            Fund::c_byte
                | Fund::c_short
                | Fund::c_int
                | Fund::c_long
                | Fund::c_longlong
                | Fund::c_ssize_t
                | Fund::c_int8
                | Fund::c_int16
                | Fund::c_int32
                | Fund::c_int64
        )
    }

    /// Whether this is an unsigned integer type (`bool` aside).
    pub fn is_unsigned_int(self) -> bool {
        matches!(
            self,
            Fund::c_ubyte
                | Fund::c_ushort
                | Fund::c_uint
                | Fund::c_ulong
                | Fund::c_ulonglong
                | Fund::c_size_t
                | Fund::c_uint8
                | Fund::c_uint16
                | Fund::c_uint32
                | Fund::c_uint64
        )
    }
}

/// The string pointers, `char`, `wchar_t`, `void *` and `int` are the most
/// common (what keeps and conversions are about); `void` is rare.
impl<'a> Arbitrary<'a> for Fund {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        const WEIGHTS: [u32; 33] = [
            2, 4, 4, 1, 2, 1, 1, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 2, 1, 1, 1,
            6, 6, 4, 1,
        ];
        Ok(match weighted(u, &WEIGHTS)? {
            0 => Fund::c_bool,
            1 => Fund::c_char,
            2 => Fund::c_wchar,
            3 => Fund::c_byte,
            4 => Fund::c_ubyte,
            5 => Fund::c_short,
            6 => Fund::c_ushort,
            7 => Fund::c_int,
            8 => Fund::c_uint,
            9 => Fund::c_long,
            10 => Fund::c_ulong,
            11 => Fund::c_longlong,
            12 => Fund::c_ulonglong,
            13 => Fund::c_size_t,
            14 => Fund::c_ssize_t,
            15 => Fund::c_int8,
            16 => Fund::c_uint8,
            17 => Fund::c_int16,
            18 => Fund::c_uint16,
            19 => Fund::c_int32,
            20 => Fund::c_uint32,
            21 => Fund::c_int64,
            22 => Fund::c_uint64,
            23 => Fund::c_float,
            24 => Fund::c_double,
            25 => Fund::c_longdouble,
            26 => Fund::c_float_complex,
            27 => Fund::c_double_complex,
            28 => Fund::c_longdouble_complex,
            29 => Fund::c_char_p,
            30 => Fund::c_wchar_p,
            31 => Fund::c_void_p,
            _ => Fund::void,
        })
    }
}

/// An array length or buffer size.
#[derive(Debug, Clone, Copy)]
pub enum Count {
    /// 0 elements.
    Zero,
    /// 1 element.
    One,
    /// A few.
    Small(u8),
    /// Up to 65,535.
    Large(u16),
    /// Anything (mostly too large to instantiate; `len * size` may overflow).
    Huge(usize),
    /// `usize::MAX`.
    Max,
}

impl<'a> Arbitrary<'a> for Count {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[10, 10, 60, 10, 5, 5])? {
            0 => Count::Zero,
            1 => Count::One,
            2 => Count::Small(u.arbitrary()?),
            3 => Count::Large(u.arbitrary()?),
            4 => Count::Huge(u.arbitrary()?),
            5 => Count::Max,
            _ => Count::Max,
        })
    }
}

impl Count {
    /// The number.
    pub fn get(self) -> usize {
        match self {
            Count::Zero => 0,
            Count::One => 1,
            Count::Small(n) => usize::from(n % 16),
            Count::Large(n) => usize::from(n),
            Count::Huge(n) => n,
            Count::Max => usize::MAX,
        }
    }
}

/// The name, kind and attributes of a record.
#[derive(Arbitrary, Debug, Clone)]
pub struct RecordHead {
    /// A union rather than a structure.
    pub union: bool,
    /// Its name.
    pub name: Name,
    /// `pack`, `align`, byte order.
    pub attrs: Attrs,
}

/// A record's attributes, each possibly absent or invalid.
#[derive(Arbitrary, Debug, Clone)]
pub struct Attrs {
    /// `pack(n)`.
    pub pack: Option<Attr>,
    /// `align(n)`.
    pub align: Option<Attr>,
    /// `big_endian()`/`little_endian()`.
    pub order: Option<Order>,
    /// `layout(Layout::Ms)` (true) or `layout(Layout::GccSysv)` (false).
    pub ms: Option<bool>,
}

/// A value for `pack` or `align`.
#[derive(Debug, Clone, Copy)]
pub enum Attr {
    /// `1 << (k % 6)`: 1 to 32.
    Small(u8),
    /// `1 << (56 + k % 8)`: sizes and offsets overflow with these.
    Absurd(u8),
    /// `1 << (k % 64)`: valid up to absurd (2^61, 2^63).
    Pow2(u8),
    /// 0.
    Zero,
    /// Not a power of two.
    Odd(u16),
    /// `usize::MAX`.
    Max,
}

impl<'a> Arbitrary<'a> for Attr {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[70, 5, 10, 5, 5, 3])? {
            0 => Attr::Small(u.arbitrary()?),
            1 => Attr::Absurd(u.arbitrary()?),
            2 => Attr::Pow2(u.arbitrary()?),
            3 => Attr::Zero,
            4 => Attr::Odd(u.arbitrary()?),
            _ => Attr::Max,
        })
    }
}

impl Attr {
    /// The number.
    pub fn get(self) -> usize {
        match self {
            Attr::Small(k) => 1usize << (k % 6),
            Attr::Absurd(k) => 1usize << (56 + k % 8),
            Attr::Pow2(k) => 1usize << (k % 64),
            Attr::Zero => 0,
            Attr::Odd(n) => usize::from(n) | 3,
            Attr::Max => usize::MAX,
        }
    }
}

/// A byte order.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Order {
    /// `big_endian()`.
    Big,
    /// `little_endian()`.
    Little,
}

/// A structure or union declaration.
#[derive(Debug, Clone)]
pub struct RecordDef {
    /// Name, kind, attributes.
    pub head: RecordHead,
    /// The fields, in order.
    pub fields: Vec<FieldDef>,
    /// Names listed as anonymous (usually fields; maybe not).
    pub anonymous: Vec<Name>,
}

impl<'a> Arbitrary<'a> for RecordDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let head = u.arbitrary()?;
        let n = weighted(u, &[5, 15, 25, 20, 15, 10, 5, 5])?;
        let fields = (0..n)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        let k = weighted(u, &[70, 25, 5])?;
        let anonymous = (0..k)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        Ok(RecordDef {
            head,
            fields,
            anonymous,
        })
    }
}

/// One field.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Its name (duplicates and the empty name come up).
    pub name: Name,
    /// Its type.
    pub ty: FieldType,
    /// A bitfield width, when it is one.
    pub bits: Option<Width>,
    /// `field_align(n)` after the field.
    pub align: Option<Attr>,
}

/// A quarter of fields are bitfields, most of them of an integer type (a
/// bitfield of any other type is refused); one in ten has its own alignment.
impl<'a> Arbitrary<'a> for FieldDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let name = u.arbitrary()?;
        let bits: Option<Width> = match weighted(u, &[75, 25])? {
            0 => None,
            _ => Some(u.arbitrary()?),
        };
        let ty = match bits {
            Some(_) if weighted(u, &[80, 20])? == 0 => {
                let ints = [INT_FUNDS.as_slice(), &[Fund::c_char, Fund::c_wchar]].concat();
                FieldType::Type(TypeRef::Fund(*u.choose(&ints)?))
            }
            _ => u.arbitrary()?,
        };
        Ok(FieldDef {
            name,
            ty,
            bits,
            align: match weighted(u, &[90, 10])? {
                0 => None,
                _ => Some(u.arbitrary()?),
            },
        })
    }
}

/// The integer types a bitfield may have (`char` and `wchar_t` aside).
pub const INT_FUNDS: [Fund; 21] = [
    Fund::c_bool,
    Fund::c_byte,
    Fund::c_ubyte,
    Fund::c_short,
    Fund::c_ushort,
    Fund::c_int,
    Fund::c_uint,
    Fund::c_long,
    Fund::c_ulong,
    Fund::c_longlong,
    Fund::c_ulonglong,
    Fund::c_size_t,
    Fund::c_ssize_t,
    Fund::c_int8,
    Fund::c_uint8,
    Fund::c_int16,
    Fund::c_uint16,
    Fund::c_int32,
    Fund::c_uint32,
    Fund::c_int64,
    Fund::c_uint64,
];

/// A field's type.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// A type.
    Type(TypeRef),
    /// In a `define`, `POINTER(the record being defined)` (a linked list's
    /// `next`); in a `build`, the record cannot name itself and a table
    /// entry's pointer is used.
    SelfPointer(TypeRef),
}

impl<'a> Arbitrary<'a> for FieldType {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[85, 15])? {
            0 => FieldType::Type(u.arbitrary()?),
            _ => FieldType::SelfPointer(u.arbitrary()?),
        })
    }
}

/// A bitfield width, relative to the field type's width in bits.
#[derive(Debug, Clone, Copy)]
pub enum Width {
    /// 0 (valid only unnamed in C).
    Zero,
    /// 1 to the type's width.
    Fits(u8),
    /// Exactly the type's width.
    Full,
    /// One more than the type's width.
    OneTooMany,
    /// Any `u32`.
    Huge(u32),
}

impl<'a> Arbitrary<'a> for Width {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[70, 10, 8, 8, 4])? {
            0 => Width::Fits(u.arbitrary()?),
            1 => Width::Full,
            2 => Width::Zero,
            3 => Width::OneTooMany,
            4 => Width::Huge(u.arbitrary()?),
            _ => Width::Huge(u.arbitrary()?),
        })
    }
}

impl Width {
    /// The width for a field type of `bits` bits.
    pub fn get(self, bits: u32) -> u32 {
        match self {
            Width::Zero => 0,
            Width::Fits(k) => 1 + u32::from(k) % bits.max(1),
            Width::Full => bits,
            Width::OneTooMany => bits.saturating_add(1),
            Width::Huge(w) => w,
        }
    }
}

/// Field and record names: a few common ones (so that duplicates, lookups
/// of existing names and names of anonymous members' fields line up), or
/// any text.
#[derive(Debug, Clone)]
pub enum Name {
    /// One of [`NAMES`].
    Common(u8),
    /// Any string.
    Text(String),
}

impl<'a> Arbitrary<'a> for Name {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[90, 10])? {
            0 => Name::Common(u.arbitrary()?),
            1 => Name::Text(u.arbitrary()?),
            _ => Name::Text(u.arbitrary()?),
        })
    }
}

/// The common names: ordinary ones, the empty name, non-ASCII, a NUL, a long one.
pub const NAMES: [&str; 12] = [
    "a",
    "b",
    "c",
    "x",
    "y",
    "next",
    "value",
    "u",
    "",
    "é",
    "a\0b",
    "a_rather_long_field_name_that_goes_on_and_on_and_on",
];

impl Name {
    /// The name as text.
    pub fn text(&self) -> &str {
        match self {
            Name::Common(i) => NAMES[usize::from(*i) % NAMES.len()],
            Name::Text(s) => s,
        }
    }
}

/// Which field an instance operation names.
#[derive(Arbitrary, Debug, Clone)]
pub enum FieldSel {
    /// The i-th declared field of the instance's type.
    Declared(u8),
    /// Field j of the type of declared field i (an anonymous member's fields
    /// are reachable this way; other nested names are unknown).
    Nested(u8, u8),
    /// Any name.
    Name(Name),
}

/// An element index, relative to the array's length.
#[derive(Debug, Clone, Copy)]
pub enum Index {
    /// `i % len` (or `i` when the length is 0).
    In(u16),
    /// `len` (one past the end).
    Len,
    /// `len + 1 + k`.
    Past(u8),
    /// `usize::MAX`.
    Max,
}

impl<'a> Arbitrary<'a> for Index {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[80, 8, 6, 6])? {
            0 => Index::In(u.arbitrary()?),
            1 => Index::Len,
            2 => Index::Past(u.arbitrary()?),
            3 => Index::Max,
            _ => Index::Max,
        })
    }
}

impl Index {
    /// The index for an array of `len` elements.
    pub fn get(self, len: usize) -> usize {
        match self {
            Index::In(i) if len == 0 => usize::from(i),
            Index::In(i) => usize::from(i) % len,
            Index::Len => len,
            Index::Past(k) => len.saturating_add(1 + usize::from(k)),
            Index::Max => usize::MAX,
        }
    }
}

/// A byte offset, relative to a target's size.
#[derive(Debug, Clone, Copy)]
pub enum Offset {
    /// 0.
    Zero,
    /// A small offset.
    Small(u8),
    /// The target's size (one past the end).
    Size,
    /// Beyond the end.
    PastSize(u8),
    /// `usize::MAX`.
    Max,
    /// `usize::MAX - k`.
    MaxMinus(u8),
    /// Any offset.
    Raw(usize),
}

impl<'a> Arbitrary<'a> for Offset {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[40, 30, 10, 8, 4, 4, 4])? {
            0 => Offset::Zero,
            1 => Offset::Small(u.arbitrary()?),
            2 => Offset::Size,
            3 => Offset::PastSize(u.arbitrary()?),
            4 => Offset::Max,
            5 => Offset::MaxMinus(u.arbitrary()?),
            6 => Offset::Raw(u.arbitrary()?),
            _ => Offset::Raw(u.arbitrary()?),
        })
    }
}

impl Offset {
    /// The offset for a target of `size` bytes.
    pub fn get(self, size: usize) -> usize {
        match self {
            Offset::Zero => 0,
            Offset::Small(k) => usize::from(k),
            Offset::Size => size,
            Offset::PastSize(k) => size.saturating_add(1 + usize::from(k)),
            Offset::Max => usize::MAX,
            Offset::MaxMinus(k) => usize::MAX - usize::from(k),
            Offset::Raw(n) => n,
        }
    }
}

/// A raw address, for `Value::Pointer`.
#[derive(Debug, Clone, Copy)]
pub enum Address {
    /// 0.
    Zero,
    /// A small (unmapped) address.
    Small(u8),
    /// The address of a pool instance plus a small offset: real memory
    /// that rctypes did not store a string into.
    Instance(Pick, u8),
    /// `usize::MAX`.
    Max,
    /// Any address.
    Raw(usize),
}

impl<'a> Arbitrary<'a> for Address {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[25, 20, 40, 5, 10])? {
            0 => Address::Zero,
            1 => Address::Small(u.arbitrary()?),
            2 => Address::Instance(u.arbitrary()?, u.arbitrary()?),
            3 => Address::Max,
            4 => Address::Raw(u.arbitrary()?),
            _ => Address::Raw(u.arbitrary()?),
        })
    }
}

/// A `Value` to build.
#[derive(Arbitrary, Debug, Clone)]
pub enum ValueDef {
    /// `Value::Void`.
    Void,
    /// `Value::Null`.
    Null,
    /// `Value::Bool`.
    Bool(bool),
    /// `Value::Int`.
    Int(IntDef),
    /// `Value::UInt`.
    UInt(UIntDef),
    /// `Value::Float`.
    Float(FloatDef),
    /// `Value::Complex`.
    Complex(FloatDef, FloatDef),
    /// `Value::Bytes`.
    Bytes(BytesDef),
    /// `Value::Str`.
    Str(TextDef),
    /// `Value::from(char)`.
    Char(char),
    /// `Value::Pointer`.
    Pointer(Address),
    /// `Value::Data` of a pool instance.
    Data(Pick),
    /// `Value::Data` of a trusted pointer (a copy of it is stored; the
    /// trusted pointer itself is never written).
    Trusted(Pick),
    /// `Value::ByRef` built directly (its fields are public), any offset.
    ByRef(Pick, Offset),
    /// `byref(obj)`.
    Byref(Pick),
    /// `byref_at(obj, offset)` (an error gives `Null`).
    ByrefAt(Pick, Offset),
    /// A callback of a type (an error gives `Null`).
    Callback(TypeRef),
    /// `Value::from(None::<i32>)`.
    NoneOption,
}

/// A signed integer: an edge value or any.
#[derive(Debug, Clone, Copy)]
pub enum IntDef {
    /// One of [`INT_EDGES`].
    Edge(u8),
    /// Any `i64`.
    Raw(i64),
}

impl<'a> Arbitrary<'a> for IntDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[70, 30])? {
            0 => IntDef::Edge(u.arbitrary()?),
            1 => IntDef::Raw(u.arbitrary()?),
            _ => IntDef::Raw(u.arbitrary()?),
        })
    }
}

/// Signed integers at the edges of every C integer type.
pub const INT_EDGES: [i64; 22] = [
    0,
    1,
    -1,
    2,
    i8::MIN as i64,
    i8::MAX as i64,
    u8::MAX as i64,
    256,
    i16::MIN as i64,
    i16::MAX as i64,
    u16::MAX as i64,
    65_536,
    i32::MIN as i64,
    i32::MAX as i64,
    u32::MAX as i64,
    1 << 32,
    i64::MIN,
    i64::MAX,
    i64::MIN + 1,
    0x10_FFFF,
    0x11_0000,
    0xD800,
];

impl IntDef {
    /// The integer.
    pub fn get(self) -> i64 {
        match self {
            IntDef::Edge(k) => INT_EDGES[usize::from(k) % INT_EDGES.len()],
            IntDef::Raw(i) => i,
        }
    }
}

/// An unsigned integer: an edge value or any.
#[derive(Debug, Clone, Copy)]
pub enum UIntDef {
    /// One of [`UINT_EDGES`].
    Edge(u8),
    /// Any `u64`.
    Raw(u64),
}

impl<'a> Arbitrary<'a> for UIntDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[70, 30])? {
            0 => UIntDef::Edge(u.arbitrary()?),
            1 => UIntDef::Raw(u.arbitrary()?),
            _ => UIntDef::Raw(u.arbitrary()?),
        })
    }
}

/// Unsigned integers at the edges of every C integer type.
pub const UINT_EDGES: [u64; 14] = [
    0,
    1,
    u8::MAX as u64,
    256,
    u16::MAX as u64,
    65_536,
    i32::MAX as u64,
    u32::MAX as u64,
    1 << 32,
    i64::MAX as u64,
    1 << 63,
    u64::MAX,
    u64::MAX - 1,
    0x10_FFFF,
];

impl UIntDef {
    /// The integer.
    pub fn get(self) -> u64 {
        match self {
            UIntDef::Edge(k) => UINT_EDGES[usize::from(k) % UINT_EDGES.len()],
            UIntDef::Raw(u) => u,
        }
    }
}

/// A float: an edge value or any.
#[derive(Debug, Clone, Copy)]
pub enum FloatDef {
    /// One of [`FLOAT_EDGES`].
    Edge(u8),
    /// Any `f64` (NaN payloads included).
    Raw(f64),
}

impl<'a> Arbitrary<'a> for FloatDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[70, 30])? {
            0 => FloatDef::Edge(u.arbitrary()?),
            1 => FloatDef::Raw(u.arbitrary()?),
            _ => FloatDef::Raw(u.arbitrary()?),
        })
    }
}

/// Floats: NaN, infinities, signed zero, subnormals, beyond `f32`, huge.
pub const FLOAT_EDGES: [f64; 16] = [
    0.0,
    -0.0,
    1.5,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    5e-324,
    f32::MAX as f64 * 2.0,
    f32::MIN_POSITIVE as f64 / 4.0,
    9_007_199_254_740_993.0,
    1e300,
    0.1,
];

impl FloatDef {
    /// The float.
    pub fn get(self) -> f64 {
        match self {
            FloatDef::Edge(k) => FLOAT_EDGES[usize::from(k) % FLOAT_EDGES.len()],
            FloatDef::Raw(x) => x,
        }
    }
}

/// A byte string: an edge value or any.
#[derive(Debug, Clone)]
pub enum BytesDef {
    /// One of [`bytes_edge`]'s.
    Edge(u8),
    /// Any bytes.
    Raw(Vec<u8>),
}

impl<'a> Arbitrary<'a> for BytesDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[60, 40])? {
            0 => BytesDef::Edge(u.arbitrary()?),
            1 => BytesDef::Raw(u.arbitrary()?),
            _ => BytesDef::Raw(u.arbitrary()?),
        })
    }
}

/// Byte strings: empty, a lone NUL, interior NULs, invalid UTF-8, long.
pub fn bytes_edge(k: u8) -> Vec<u8> {
    match k % 8 {
        0 => Vec::new(),
        1 => vec![0],
        2 => b"a\0b".to_vec(),
        3 => b"hello".to_vec(),
        4 => vec![0xff, 0xfe, 0x80],
        5 => vec![b'x'; 300],
        6 => "héllo".as_bytes().to_vec(),
        _ => b"abc\0".to_vec(),
    }
}

impl BytesDef {
    /// The bytes.
    pub fn get(&self) -> Vec<u8> {
        match self {
            BytesDef::Edge(k) => bytes_edge(*k),
            BytesDef::Raw(b) => b.clone(),
        }
    }
}

/// A text string: an edge value or any.
#[derive(Debug, Clone)]
pub enum TextDef {
    /// One of [`text_edge`]'s.
    Edge(u8),
    /// Any string.
    Raw(String),
}

impl<'a> Arbitrary<'a> for TextDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[60, 40])? {
            0 => TextDef::Edge(u.arbitrary()?),
            1 => TextDef::Raw(u.arbitrary()?),
            _ => TextDef::Raw(u.arbitrary()?),
        })
    }
}

/// Strings: empty, NULs, non-ASCII of every UTF-8 length, the last scalar
/// value, long.
pub fn text_edge(k: u8) -> String {
    match k % 9 {
        0 => String::new(),
        1 => "\0".to_owned(),
        2 => "a\0b".to_owned(),
        3 => "é".to_owned(),
        4 => "héllo wörld €".to_owned(),
        5 => "𝄞".to_owned(),
        6 => "\u{10FFFF}\u{FFFF}".to_owned(),
        7 => "x".repeat(300),
        _ => "hi".to_owned(),
    }
}

impl TextDef {
    /// The text.
    pub fn get(&self) -> String {
        match self {
            TextDef::Edge(k) => text_edge(*k),
            TextDef::Raw(s) => s.clone(),
        }
    }
}

/// What `from_bytes` copies from.
#[derive(Arbitrary, Debug, Clone)]
pub enum BytesSource {
    /// `sizeof(T)` zero bytes.
    Zeros,
    /// `sizeof(T)` copies of one byte (0xff: all bits set, NaNs, bad `wchar_t`).
    Fill(u8),
    /// Any bytes (often too short).
    Raw(Vec<u8>),
    /// Another instance's bytes (of whatever type and size).
    Instance(Pick),
    /// `sizeof(T) - 1 - k` bytes: too short.
    Short(u8),
}

/// What a string buffer is made from.
#[derive(Arbitrary, Debug, Clone)]
pub enum BufferDef {
    /// Bytes (for the wide buffer, their lossy UTF-8 text).
    Bytes(BytesDef),
    /// Text.
    Text(TextDef),
    /// A size in elements (sizes too large to allocate are skipped).
    Size(Count),
    /// A size as an `i32` (negative is the empty buffer).
    Int(i32),
}

/// A pointer to dereference.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum DerefSource {
    /// A trusted pointer (made by `pointer()` or a cast of an array or a
    /// trusted pointer, and never written): it points at its source.
    Trusted(Pick),
    /// Any pool `POINTER(T)` instance whose current address lies inside a
    /// pool instance with room for the element, and whose `T` holds no
    /// `char *`/`wchar_t *` (which a foreign view would follow).
    Checked(Pick),
}

/// What to do through the pointer.
#[derive(Arbitrary, Debug, Clone)]
pub enum DerefAction {
    /// `contents()`.
    Contents,
    /// `read(i)`, `i` within the pointed-to instance.
    Read(u16),
    /// `write(i, v)`, `i` within the pointed-to instance.
    Write(u16, ValueDef),
}

/// The source of a trusted cast.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TrustSource {
    /// A pool instance (used only if it is an array).
    Array(Pick),
    /// A trusted pointer.
    Trusted(Pick),
}

// ------------------------------------------------------ the later API

/// A type derived from another (see [`Op::Derive`]).
#[derive(Arbitrary, Debug, Clone)]
pub enum Derivation {
    /// The type of a field (declared, or of an anonymous member).
    Field(TypeRef, FieldSel),
    /// The type of a pool instance's field.
    InstanceField(Pick, FieldSel),
    /// The element type of an array.
    Element(TypeRef),
    /// The pointee of a pointer type.
    Pointee(TypeRef),
    /// A pool instance's type (views of fields and elements included).
    Instance(Pick),
}

/// Which record type a field handle is made from.
#[derive(Debug, Clone, Copy)]
pub enum HandleOf {
    /// One of the complete records in the type table.
    Record(Pick),
    /// The type of one of the record instances in the pool (views of
    /// fields and elements included).
    RecordInstance(Pick),
    /// The type of any pool instance.
    Instance(Pick),
    /// Any type (often not a record, or incomplete).
    Type(TypeRef),
}

impl<'a> Arbitrary<'a> for HandleOf {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[40, 40, 10, 10])? {
            0 => HandleOf::Record(u.arbitrary()?),
            1 => HandleOf::RecordInstance(u.arbitrary()?),
            2 => HandleOf::Instance(u.arbitrary()?),
            _ => HandleOf::Type(u.arbitrary()?),
        })
    }
}

/// The instance a field handle is used on.
#[derive(Debug, Clone)]
pub enum HandleTarget {
    /// One of the pool instances of the handle's record type (views
    /// included), or a fresh one when there are none.
    Matching(Pick),
    /// A pool instance (of the handle's record type or not).
    Inst(Pick),
    /// A fresh instance of the handle's record type.
    Fresh,
    /// A view `field(name)` of a pool instance (it joins the pool).
    Field(Pick, FieldSel),
    /// A view `at(i)` of a pool instance (it joins the pool).
    At(Pick, Index),
}

impl<'a> Arbitrary<'a> for HandleTarget {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[45, 20, 5, 15, 15])? {
            0 => HandleTarget::Matching(u.arbitrary()?),
            1 => HandleTarget::Inst(u.arbitrary()?),
            2 => HandleTarget::Fresh,
            3 => HandleTarget::Field(u.arbitrary()?, u.arbitrary()?),
            _ => HandleTarget::At(u.arbitrary()?, u.arbitrary()?),
        })
    }
}

/// What a field handle does.
#[derive(Debug, Clone)]
pub enum HandleAction {
    /// `get`, compared with `get` by name.
    Get,
    /// `set`, compared with `set` by name on a copy.
    Set(ValueDef),
    /// `set` of a value of the field's own kind (an in-range integer...),
    /// then `get`.
    SetNumber(NumValue),
    /// The handle cloned, the original dropped from the table, the clone
    /// used.
    Clone,
}

impl<'a> Arbitrary<'a> for HandleAction {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[35, 30, 30, 5])? {
            0 => HandleAction::Get,
            1 => HandleAction::Set(u.arbitrary()?),
            2 => HandleAction::SetNumber(u.arbitrary()?),
            _ => HandleAction::Clone,
        })
    }
}

/// An element type: mostly a fundamental one (number arrays), or any.
#[derive(Debug, Clone, Copy)]
pub enum ElemRef {
    /// A fundamental type.
    Fund(Fund),
    /// Any type (swapped scalars come from [`Op::Derive`]).
    Type(TypeRef),
}

impl<'a> Arbitrary<'a> for ElemRef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[75, 25])? {
            0 => ElemRef::Fund(u.arbitrary()?),
            _ => ElemRef::Type(u.arbitrary()?),
        })
    }
}

/// How many values a list has, relative to the array's length.
#[derive(Debug, Clone, Copy)]
pub enum ListLen {
    /// `k % len` values (fewer than the elements; none for length 0).
    Short(u8),
    /// As many as the elements.
    Exact,
    /// `len + 1 + k % 4`: too many.
    Long(u8),
    /// All the values generated.
    All,
}

impl<'a> Arbitrary<'a> for ListLen {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[40, 30, 15, 15])? {
            0 => ListLen::Short(u.arbitrary()?),
            1 => ListLen::Exact,
            2 => ListLen::Long(u.arbitrary()?),
            _ => ListLen::All,
        })
    }
}

impl ListLen {
    /// The number of values for an array of `len` elements.
    pub fn get(self, len: usize) -> usize {
        match self {
            ListLen::Short(_) if len == 0 => 0,
            ListLen::Short(k) => usize::from(k) % len,
            ListLen::Exact => len,
            ListLen::Long(k) => len.saturating_add(1 + usize::from(k % 4)),
            ListLen::All => usize::MAX,
        }
    }
}

/// A value for a number element or field: in its type's range, or an edge.
#[derive(Debug, Clone)]
pub enum NumValue {
    /// An in-range value of the target's kind (from these bits).
    Fits(u64),
    /// A signed edge (often out of range).
    Int(IntDef),
    /// An unsigned edge.
    UInt(UIntDef),
    /// A float edge.
    Float(FloatDef),
    /// Any value.
    Any(ValueDef),
}

impl<'a> Arbitrary<'a> for NumValue {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[60, 12, 10, 10, 8])? {
            0 => NumValue::Fits(u.arbitrary()?),
            1 => NumValue::Int(u.arbitrary()?),
            2 => NumValue::UInt(u.arbitrary()?),
            3 => NumValue::Float(u.arbitrary()?),
            _ => NumValue::Any(u.arbitrary()?),
        })
    }
}

/// A Rust element type of `from_slice`/`to_vec` (`CRepr`).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum RustTy {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    Isize,
    Usize,
    F32,
    F64,
    Bool,
    /// `*const u8` (addresses are stored, never followed).
    Ptr,
}

/// The size given to a sized string buffer, relative to its content.
#[derive(Debug, Clone, Copy)]
pub enum SizeDef {
    /// Exactly the content's length (no room for the NUL).
    Exact,
    /// The length plus `k % 8` (room for the NUL from 1 on).
    More(u8),
    /// The length minus `1 + k % 4`: too small.
    Less(u8),
    /// Any count.
    Count(Count),
}

impl<'a> Arbitrary<'a> for SizeDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[20, 45, 20, 15])? {
            0 => SizeDef::Exact,
            1 => SizeDef::More(u.arbitrary()?),
            2 => SizeDef::Less(u.arbitrary()?),
            _ => SizeDef::Count(u.arbitrary()?),
        })
    }
}

impl SizeDef {
    /// The size for content of `len` units.
    pub fn get(self, len: usize) -> usize {
        match self {
            SizeDef::Exact => len,
            SizeDef::More(k) => len + usize::from(k % 8),
            SizeDef::Less(k) => len.saturating_sub(1 + usize::from(k % 4)),
            SizeDef::Count(c) => c.get(),
        }
    }
}

/// The bytes given to `set_raw`, relative to the instance's length.
#[derive(Debug, Clone)]
pub enum RawDef {
    /// `len - k % (len + 1)` copies of a byte (NULs included).
    Fit(u8, u8),
    /// `len` bytes.
    Exact(u8),
    /// `len + 1 + k % 4` bytes: too many.
    Long(u8),
    /// Any bytes.
    Bytes(BytesDef),
}

impl<'a> Arbitrary<'a> for RawDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[40, 20, 15, 25])? {
            0 => RawDef::Fit(u.arbitrary()?, u.arbitrary()?),
            1 => RawDef::Exact(u.arbitrary()?),
            2 => RawDef::Long(u.arbitrary()?),
            _ => RawDef::Bytes(u.arbitrary()?),
        })
    }
}

impl RawDef {
    /// The bytes for an instance of `len` elements.
    pub fn get(&self, len: usize) -> Vec<u8> {
        // (lengths past the driver's largest instance are not materialised)
        let len = len.min(super::driver::MAX_BYTES);
        match self {
            RawDef::Fit(k, b) => vec![*b; len - usize::from(*k) % (len + 1)],
            RawDef::Exact(b) => vec![*b; len],
            RawDef::Long(k) => vec![b'x'; len + 1 + usize::from(k % 4)],
            RawDef::Bytes(b) => b.get(),
        }
    }
}

/// A prepared call (see [`Op::Prepared`]).
#[derive(Debug, Clone)]
pub struct PreparedDef {
    /// The function and its declaration.
    pub decl: PreparedDecl,
    /// `use_errno(true)`.
    pub use_errno: bool,
    /// Declared variadic, or with an errcheck hook: `prepared()` refuses.
    pub refused: Option<bool>,
    /// Setters and calls, in order.
    pub steps: Vec<PreparedStep>,
}

impl<'a> Arbitrary<'a> for PreparedDef {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let decl = u.arbitrary()?;
        let use_errno = u.ratio(1, 4)?;
        let refused = match weighted(u, &[90, 5, 5])? {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        };
        let n = u.int_in_range(0..=12)?;
        let steps = (0..n)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        Ok(PreparedDef {
            decl,
            use_errno,
            refused,
            steps,
        })
    }
}

/// The declaration a prepared call is made from.
#[derive(Debug, Clone)]
pub enum PreparedDecl {
    /// `labs(long) -> long`, spelled with one of the types equal to `long`
    /// (`c_long`, `c_longlong`, `c_int64`, `c_ssize_t`).
    Labs(u8),
    /// `abs(int) -> int` (`c_int` or `c_int32`).
    Abs(u8),
    /// Random argtypes and restype on `labs` (true) or `abs`: built and set,
    /// never called.
    Random(bool, TypeRef, Vec<TypeRef>),
}

impl<'a> Arbitrary<'a> for PreparedDecl {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[35, 25, 40])? {
            0 => PreparedDecl::Labs(u.arbitrary()?),
            1 => PreparedDecl::Abs(u.arbitrary()?),
            _ => {
                let (labs, restype) = (u.arbitrary()?, u.arbitrary()?);
                let n = weighted(u, &[10, 30, 25, 15, 10, 10])?;
                let n = [0, 1, 2, 4, 7, 12][n];
                let args = (0..n)
                    .map(|_| u.arbitrary())
                    .collect::<arbitrary::Result<_>>()?;
                PreparedDecl::Random(labs, restype, args)
            }
        })
    }
}

/// One step of a prepared call: a setter on argument `index % 8`-ish
/// (mostly 0), or a call.
#[derive(Debug, Clone)]
pub enum PreparedStep {
    /// `set_i64`.
    I64(ArgIndex, IntDef),
    /// `set_u64`.
    U64(ArgIndex, UIntDef),
    /// `set_f64`.
    F64(ArgIndex, FloatDef),
    /// `set_address` (an address the callee never sees unless it is
    /// refused or the parameter is an integer).
    Address(ArgIndex, Address),
    /// `set` of any value.
    Value(ArgIndex, ValueDef),
    /// `set_data` of a pool instance.
    Data(ArgIndex, Pick),
    /// A call (exact declarations only), read back one way or another.
    Call(CallHow),
}

impl<'a> Arbitrary<'a> for PreparedStep {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match weighted(u, &[25, 10, 6, 5, 12, 7, 35])? {
            0 => PreparedStep::I64(u.arbitrary()?, u.arbitrary()?),
            1 => PreparedStep::U64(u.arbitrary()?, u.arbitrary()?),
            2 => PreparedStep::F64(u.arbitrary()?, u.arbitrary()?),
            3 => PreparedStep::Address(u.arbitrary()?, u.arbitrary()?),
            4 => PreparedStep::Value(u.arbitrary()?, u.arbitrary()?),
            5 => PreparedStep::Data(u.arbitrary()?, u.arbitrary()?),
            _ => PreparedStep::Call(u.arbitrary()?),
        })
    }
}

/// An argument index: mostly the first, sometimes one past the end or any.
#[derive(Debug, Clone, Copy)]
pub struct ArgIndex(pub usize);

impl<'a> Arbitrary<'a> for ArgIndex {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(ArgIndex(match weighted(u, &[80, 12, 5, 3])? {
            0 => 0,
            1 => usize::from(u.int_in_range(1u8..=12)?),
            2 => usize::from(u.arbitrary::<u16>()?),
            _ => usize::MAX,
        }))
    }
}

/// How a prepared call is made and its result read.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum CallHow {
    /// `call()`.
    Unit,
    /// `call_i64()`.
    I64,
    /// `call_f64()` (an `Err` for an integer restype, after the call).
    F64,
    /// `call_address()`.
    Address,
    /// `call_into(out)` with a pool instance (an `Err` without a call).
    Into(Pick),
}
