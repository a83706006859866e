//! The driver: runs a [`Program`] against rctypes' safe API.
//!
//! It keeps three tables: the types the program made (a [`TypeRef`] names
//! one of them or a fundamental type), instances (the pool), and trusted
//! pointers. Every call's `Result` is
//! consumed (an `Err` is formatted, to exercise the messages too); what may
//! not happen is a panic inside rctypes, a memory error (AddressSanitizer
//! under cargo-fuzz, valgrind in CI), or a broken invariant that rctypes
//! documents, which the driver asserts:
//!
//! * a refused write (`set_value`, `set`, `set_index`, `write`) changes no
//!   byte of the instance;
//! * `to_bytes()` has `sizeof(T)` bytes, and `from_bytes` of them gives them
//!   back;
//! * equal types hash equally;
//! * a complete record's (non-bitfield) fields lie inside it, and its size
//!   is a multiple of its alignment (a power of two);
//! * `field_handle(name)` exists exactly when `field(name)` does; a
//!   handle's `get`/`set` on an instance of another type is an `Err` that
//!   changes nothing, and on its own type does what `get`/`set` by name do
//!   (the same value, the same bytes, the same refusals);
//! * `from_values` on an array accepts exactly what `set_index` element by
//!   element accepts (and no more values than elements), and gives the
//!   same bytes, zero after the last value;
//! * `from_slice::<T>` holds the slice's bytes, `to_vec::<T>` gives them
//!   back, and each element reads (`get_index`) as its value; `to_vec` of a
//!   non-array is an `Err`;
//! * `iter()` of an array yields what `get_index` gives, `len` times; of
//!   anything else one `Err`, then nothing;
//! * a sized string buffer holds its content then zeros, and is refused
//!   exactly when the content does not fit; `set_raw` writes only a `char`
//!   array, only its first bytes, and a refusal changes nothing;
//! * a `Value`'s clone outlives the original and shows the same;
//! * a prepared `labs`/`abs` returns `|x|` for the last accepted argument,
//!   and a call is refused exactly when a setter was since the last call.
//!
//! The `unsafe` calls are `contents`/`read`/`write`, only through
//! pointers whose target the driver can vouch for (see [`DerefSource`]):
//! the crate's contract makes those sound, so anything they do wrong is a
//! finding too; and prepared calls of libc's `labs` and `abs`, only when
//! declared exactly `labs(long) -> long` / `abs(int) -> int` (they read
//! one integer, whatever a setter left, and dereference nothing). Random
//! signatures are only declared on them, `prepare()`d or `prepared()` and
//! set, never called.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use rctypes::{
    CData, CDll, CRepr, CType, Callback, FieldHandle, Layout, RecordBuilder, Value, alignment,
    byref, byref_at, create_string_buffer, create_string_buffer_sized, create_unicode_buffer,
    create_unicode_buffer_sized, find_library, sizeof,
};

use super::recipe::{
    Address, BufferDef, BytesSource, CallHow, CastTarget, DerefAction, DerefSource, Derivation,
    ElemRef, FUNDS, FieldSel, FieldType, Fund, HandleAction, HandleOf, HandleTarget, ListLen,
    NumValue, Op, Order, Pick, PreparedDecl, PreparedDef, PreparedStep, Program, RawDef, RecordDef,
    RustTy, SizeDef, TrustSource, TypeDef, TypeRef, ValueDef,
};

/// Types in the table beyond which `Op::Type` adds nothing.
pub const MAX_TYPES: usize = 96;
/// Instances in the pool beyond which new ones are dropped at once.
pub const MAX_POOL: usize = 48;
/// Trusted pointers beyond which new ones are not kept.
pub const MAX_TRUSTED: usize = 24;
/// The largest instance (and alignment) the driver allocates: bigger
/// allocations say nothing about rctypes and trip the fuzzer's memory
/// limits. Types whose layout cannot be allocated at all (the size overflows
/// `isize`) are still instantiated, to check the error.
pub const MAX_BYTES: usize = 1 << 16;
/// Fields, values and argtypes used per record, `from_values`, prototype.
pub const MAX_ITEMS: usize = 12;
/// Field handles beyond which new ones are not kept.
pub const MAX_HANDLES: usize = 16;
/// Elements compared one by one (`iter`, `to_vec`, `from_slice`).
pub const MAX_COMPARED: usize = 64;

/// Known bugs whose triggers the driver can steer around, so that a long
/// fuzzing run finds new ones. Nothing is avoided by default; the
/// `RCTYPES_FUZZ_AVOID` environment variable lists what to avoid
/// (comma-separated keys, or `all`). Each key documents the exact trigger it
/// removes; the generator still produces everything. (The panics and the
/// over-read this fuzzer first found were fixed at once, and their keys
/// removed; add a key when a finding cannot be fixed right away.)
#[derive(Clone, Copy, Debug, Default)]
pub struct Avoid {
    /// `keep-cycles`: storing a reference to an instance (`Data`, `ByRef`)
    /// into an instance that it may keep alive, directly or not: two
    /// instances that keep each other alive are never freed (as `Rc` cycles
    /// are not; ctypes relies on Python's cycle collector). `Null` is stored
    /// instead, and a LeakSanitizer or valgrind leak report is then a new
    /// finding.
    pub keep_cycles: bool,
    /// `type-cycles`: a record defined with a field type that holds the
    /// record itself other than through a direct `POINTER` (a prototype
    /// taking or returning it by value, `POINTER(S * n)`): the types keep
    /// each other alive and are never freed. Such fields are left out, and
    /// `c_decl` text is not parsed back (the parser builds the same cycles
    /// from `struct x { struct x (*f)(struct x); }`).
    pub type_cycles: bool,
}

impl Avoid {
    /// The keys [`Avoid::parse`] knows.
    pub const KEYS: [&'static str; 2] = ["keep-cycles", "type-cycles"];

    /// Parses a comma-separated list of keys (or `all`); unknown keys are
    /// reported on stderr and ignored.
    pub fn parse(list: &str) -> Avoid {
        let mut avoid = Avoid::default();
        for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            match key {
                "all" => {
                    avoid = Avoid {
                        keep_cycles: true,
                        type_cycles: true,
                    }
                }
                "keep-cycles" => avoid.keep_cycles = true,
                "type-cycles" => avoid.type_cycles = true,
                other => eprintln!(
                    "RCTYPES_FUZZ_AVOID: unknown key `{other}` (known: {:?})",
                    Avoid::KEYS
                ),
            }
        }
        avoid
    }

    /// From `RCTYPES_FUZZ_AVOID` (nothing avoided when unset).
    pub fn from_env() -> Avoid {
        std::env::var("RCTYPES_FUZZ_AVOID")
            .map(|s| Avoid::parse(&s))
            .unwrap_or_default()
    }
}

/// Runs a program. Panics only when rctypes panics or breaks one of the
/// invariants listed in the module documentation.
pub fn run(program: &Program, avoid: Avoid) {
    let mut driver = Driver::new(avoid);
    for op in &program.ops {
        driver.step(op);
    }
    driver.finish();
}

/// Where a dereferenced pointer points: inside `holder`, a live instance,
/// with `room` bytes from the address to its end.
struct Target {
    holder: CData,
    room: usize,
    /// `holder`'s block.
    block: u64,
    /// The block that keeps what a write stores (for `keep-cycles`).
    keeps_block: u64,
    /// Whether results (views of `holder`) may join the pool: only when the
    /// pointer keeps `holder` alive itself.
    keep_results: bool,
}

/// A pointer made by rctypes that nothing but rctypes writes to, and the
/// instance whose first byte it points at.
struct Trusted {
    ptr: CData,
    target: CData,
    /// The block of `ptr` (see [`Driver::pool`]).
    ptr_block: u64,
    /// The block of `target`.
    target_block: u64,
}

struct Driver {
    avoid: Avoid,
    types: Vec<CType>,
    /// The instances, each with the number of the memory block it is in
    /// (in creation order; a view shares its parent's). A keep goes from the
    /// block a value is stored into to the blocks the value references; with
    /// `keep-cycles` avoided only references to older blocks are stored, so
    /// keeps cannot form a cycle.
    pool: Vec<(CData, u64)>,
    trusted: Vec<Trusted>,
    /// Field handles (each keeps its record type alive, whatever happens
    /// to the type table and the instances).
    handles: Vec<FieldHandle>,
    /// The last block number given out.
    blocks: u64,
    /// Where formatted output goes (cleared before each use).
    text: String,
}

fn fundamental(f: Fund) -> CType {
    match f {
        Fund::c_bool => CType::c_bool(),
        Fund::c_char => CType::c_char(),
        Fund::c_wchar => CType::c_wchar(),
        Fund::c_byte => CType::c_byte(),
        Fund::c_ubyte => CType::c_ubyte(),
        Fund::c_short => CType::c_short(),
        Fund::c_ushort => CType::c_ushort(),
        Fund::c_int => CType::c_int(),
        Fund::c_uint => CType::c_uint(),
        Fund::c_long => CType::c_long(),
        Fund::c_ulong => CType::c_ulong(),
        Fund::c_longlong => CType::c_longlong(),
        Fund::c_ulonglong => CType::c_ulonglong(),
        Fund::c_size_t => CType::c_size_t(),
        Fund::c_ssize_t => CType::c_ssize_t(),
        Fund::c_int8 => CType::c_int8(),
        Fund::c_uint8 => CType::c_uint8(),
        Fund::c_int16 => CType::c_int16(),
        Fund::c_uint16 => CType::c_uint16(),
        Fund::c_int32 => CType::c_int32(),
        Fund::c_uint32 => CType::c_uint32(),
        Fund::c_int64 => CType::c_int64(),
        Fund::c_uint64 => CType::c_uint64(),
        Fund::c_float => CType::c_float(),
        Fund::c_double => CType::c_double(),
        Fund::c_longdouble => CType::c_longdouble(),
        Fund::c_float_complex => CType::c_float_complex(),
        Fund::c_double_complex => CType::c_double_complex(),
        Fund::c_longdouble_complex => CType::c_longdouble_complex(),
        Fund::c_char_p => CType::c_char_p(),
        Fund::c_wchar_p => CType::c_wchar_p(),
        Fund::c_void_p => CType::c_void_p(),
        Fund::void => CType::void(),
    }
}

/// The running process as a library (ctypes `CDLL(None)`), opened once.
fn this_process() -> Option<CDll> {
    static LIB: OnceLock<Option<CDll>> = OnceLock::new();
    LIB.get_or_init(|| CDll::this_process().ok()).clone()
}

/// Whether rctypes may be asked to allocate an instance of `ty`: small
/// enough, or so large that no allocation is attempted (the layout itself
/// is invalid, or the type has no size).
fn instantiable(ty: &CType) -> bool {
    let (size, align) = (sizeof(ty), alignment(ty));
    (size <= MAX_BYTES && align <= MAX_BYTES)
        || std::alloc::Layout::from_size_align(size.max(1), align).is_err()
}

/// Whether reading a `ty` can follow a `char *` or `wchar_t *`.
fn holds_strings(ty: &CType) -> bool {
    if *ty == CType::c_char_p() || *ty == CType::c_wchar_p() {
        return true;
    }
    if let Some(elem) = ty.element() {
        return holds_strings(elem);
    }
    ty.fields()
        .is_some_and(|fields| fields.iter().any(|f| holds_strings(&f.ctype)))
}

/// Whether `ty` holds the incomplete record `target` other than through a
/// direct pointer (which holds it weakly), looking `depth` levels deep.
fn holds_strongly(ty: &CType, target: &CType, depth: u32) -> bool {
    if depth == 0 {
        return false;
    }
    if ty == target {
        return true;
    }
    let inner = |t: &CType| holds_strongly(t, target, depth - 1);
    if let Some(p) = ty.pointee() {
        return p != *target && inner(&p);
    }
    if let Some(elem) = ty.element() {
        return inner(elem);
    }
    if let Some((restype, args)) = ty.prototype() {
        return inner(restype) || args.iter().any(inner);
    }
    ty.fields()
        .is_some_and(|fields| fields.iter().any(|f| inner(&f.ctype)))
}

/// The width in bits of an integer type's values, for bitfield widths
/// (8 for non-integer types, whose bitfields are refused anyway).
fn bit_width(ty: &CType) -> u32 {
    match sizeof(ty) {
        n @ 1..=8 => 8 * n as u32,
        _ => 8,
    }
}

impl Driver {
    fn new(avoid: Avoid) -> Driver {
        Driver {
            avoid,
            types: Vec::new(),
            pool: Vec::new(),
            trusted: Vec::new(),
            handles: Vec::new(),
            blocks: 0,
            text: String::new(),
        }
    }

    fn ty(&self, t: TypeRef) -> CType {
        match t {
            TypeRef::Fund(f) => fundamental(f),
            TypeRef::Made(p) => p
                .index(self.types.len())
                .map_or_else(CType::c_int, |i| self.types[i].clone()),
        }
    }

    fn cast_target(&self, t: CastTarget) -> CType {
        match t {
            CastTarget::PointerTo(t) => self.ty(t).pointer(),
            CastTarget::Type(t) => self.ty(t),
        }
    }

    fn inst(&self, p: Pick) -> Option<CData> {
        p.index(self.pool.len()).map(|i| self.pool[i].0.clone())
    }

    /// A pool instance and its block.
    fn inst_block(&self, p: Pick) -> Option<(CData, u64)> {
        p.index(self.pool.len()).map(|i| self.pool[i].clone())
    }

    /// A pool instance, to be referenced by a value stored into block
    /// `holder`: `None` when that could close a cycle of keeps and
    /// `keep-cycles` is avoided.
    fn referenced(&self, p: Pick, holder: u64) -> Option<CData> {
        let (d, block) = self.inst_block(p)?;
        (!self.avoid.keep_cycles || block < holder).then_some(d)
    }

    /// A new block number.
    fn fresh(&mut self) -> u64 {
        self.blocks += 1;
        self.blocks
    }

    fn push_type(&mut self, ty: CType) {
        if self.types.len() < MAX_TYPES {
            self.types.push(ty);
        }
    }

    /// Adds an instance in a new block.
    fn push_new(&mut self, d: CData) {
        let block = self.fresh();
        self.push(d, block);
    }

    /// Adds an instance in block `block`.
    fn push(&mut self, d: CData, block: u64) {
        if self.pool.len() < MAX_POOL {
            self.pool.push((d, block));
        }
    }

    /// Adds a `Data` result: a view in block `block`.
    fn push_value(&mut self, v: &Value, block: u64) {
        if let Value::Data(d) = v {
            self.push(d.clone(), block);
        }
    }

    /// Formats an error (Display, Debug and the source chain).
    fn error(&mut self, e: &rctypes::Error) {
        self.text.clear();
        let _ = write!(self.text, "{e} {e:?}");
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            let _ = write!(self.text, " {s}");
            source = s.source();
        }
    }

    /// Consumes a result: an `Ok` value is inspected, an error formatted.
    fn outcome(&mut self, r: rctypes::Result<Value>) -> Option<Value> {
        match r {
            Ok(v) => {
                self.inspect_value(&v);
                Some(v)
            }
            Err(e) => {
                self.error(&e);
                None
            }
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Type(def) => self.type_def(def),
            Op::ForgetType(p) => {
                if let Some(i) = p.index(self.types.len()) {
                    self.types[i] = CType::c_int();
                }
            }
            Op::New(t) => {
                let ty = self.ty(*t);
                if instantiable(&ty) {
                    match CData::try_new(&ty) {
                        Ok(d) => self.push_new(d),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::WithValue(t, v) => {
                let ty = self.ty(*t);
                // The new instance is the newest block: it may keep anything.
                let v = self.value(v, u64::MAX);
                if instantiable(&ty) {
                    match CData::with_value(&ty, v) {
                        Ok(d) => self.push_new(d),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::FromValues(t, defs) => {
                let ty = self.ty(*t);
                let values: Vec<Value> = defs
                    .iter()
                    .take(MAX_ITEMS)
                    .map(|d| self.value(d, u64::MAX))
                    .collect();
                if instantiable(&ty) {
                    if ty.array_len().is_some() {
                        self.check_from_values(&ty, values);
                    } else {
                        match CData::from_values(&ty, values) {
                            Ok(d) => self.push_new(d),
                            Err(e) => self.error(&e),
                        }
                    }
                }
            }
            Op::FromBytes(t, source) => self.make_from_bytes(*t, source),
            Op::StringBuffer(def) => self.buffer(def, false),
            Op::UnicodeBuffer(def) => self.buffer(def, true),
            Op::Value(p) => {
                if let Some((d, block)) = self.inst_block(*p)
                    && let Some(v) = self.outcome(d.value())
                {
                    self.push_value(&v, block);
                }
            }
            Op::SetValue(p, v) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    let v = self.value(v, block);
                    self.refused_changes_nothing(&d, "set_value", |d| d.set_value(v));
                }
            }
            Op::Get(p, sel) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    let name = self.field_name(&d, sel);
                    if let Some(v) = self.outcome(d.get(&name)) {
                        self.push_value(&v, block);
                    }
                }
            }
            Op::Set(p, sel, v) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    let name = self.field_name(&d, sel);
                    let v = self.value(v, block);
                    self.refused_changes_nothing(&d, "set", |d| d.set(&name, v));
                }
            }
            Op::Field(p, sel) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    let name = self.field_name(&d, sel);
                    match d.field(&name) {
                        Ok(view) => self.push(view, block),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::At(p, index) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    match d.at(index.get(d.len())) {
                        Ok(view) => self.push(view, block),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::GetIndex(p, index) => {
                if let Some((d, block)) = self.inst_block(*p)
                    && let Some(v) = self.outcome(d.get_index(index.get(d.len())))
                {
                    self.push_value(&v, block);
                }
            }
            Op::SetIndex(p, index, v) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    let i = index.get(d.len());
                    let v = self.value(v, block);
                    self.refused_changes_nothing(&d, "set_index", |d| d.set_index(i, v));
                }
            }
            Op::Pointer(p) => {
                if let Some(d) = self.inst(*p) {
                    let ptr = d.pointer();
                    self.push_new(ptr);
                }
            }
            Op::Cast(p, t) => {
                if let Some(d) = self.inst(*p) {
                    let ty = self.cast_target(*t);
                    match d.cast(&ty) {
                        Ok(c) => self.push_new(c),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::Trust(p) => {
                if let Some((target, target_block)) = self.inst_block(*p)
                    && self.trusted.len() < MAX_TRUSTED
                {
                    let ptr = target.pointer();
                    let ptr_block = self.fresh();
                    self.trusted.push(Trusted {
                        ptr,
                        target,
                        ptr_block,
                        target_block,
                    });
                }
            }
            Op::TrustCast(source, t) => self.trust_cast(*source, *t),
            Op::Deref(source, action) => self.deref(*source, action),
            Op::Inspect(p) => {
                if let Some(d) = self.inst(*p) {
                    self.inspect(&d);
                }
            }
            Op::InspectType(a, b) => {
                let (a, b) = (self.ty(*a), self.ty(*b));
                self.inspect_type(&a, &b);
            }
            Op::InspectValue(a, b) => {
                // Stored nowhere: any reference will do.
                let (a, b) = (self.value(a, u64::MAX), self.value(b, u64::MAX));
                self.inspect_value(&a);
                self.inspect_value(&b);
                let _ = a == b;
                let _ = a == a.clone();
            }
            Op::ByrefAt(p, offset) => {
                if let Some(d) = self.inst(*p) {
                    let offset = offset.get(sizeof(d.ctype()));
                    match byref_at(&d, offset) {
                        Ok(v) => self.inspect_value(&v),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::Callback(t) => {
                let ty = self.ty(*t);
                match Callback::new(&ty, |_| Ok(Value::Void)) {
                    Ok(cb) => {
                        let _ = (cb.address(), cb.prototype().to_string(), cb.failures());
                        let v = Value::from(&cb);
                        self.inspect_value(&v);
                    }
                    Err(e) => self.error(&e),
                }
            }
            Op::Drop(p) => {
                if let Some(i) = p.index(self.pool.len()) {
                    self.pool.remove(i);
                }
            }
            Op::Prepare(restype, args, variadic) => {
                let restype = self.ty(*restype);
                let args: Vec<CType> = args.iter().take(MAX_ITEMS).map(|a| self.ty(*a)).collect();
                // Describing a type to libffi may take memory in proportion
                // to its size (an array's elements): sizes the driver would
                // not allocate are left out, as for instances.
                if !instantiable(&restype) || !args.iter().all(instantiable) {
                    return;
                }
                let Some(lib) = this_process() else { return };
                match lib.function("abs") {
                    Ok(f) => {
                        let mut f = f.argtypes(args).restype(restype);
                        if *variadic {
                            f = f.variadic();
                        }
                        if let Err(e) = f.prepare() {
                            self.error(&e);
                        }
                        self.text.clear();
                        let _ = write!(self.text, "{} {:?}", f.name(), f.declared_argtypes());
                        let _ = (f.address(), f.declared_restype(), f.is_variadic());
                    }
                    Err(e) => self.error(&e),
                }
            }
            Op::Lookup(name, find) => {
                let name = name.text();
                if *find {
                    let _ = find_library(name);
                }
                if let Some(lib) = this_process() {
                    if let Err(e) = lib.symbol_address(name) {
                        self.error(&e);
                    }
                    if let Err(e) = lib.function(name) {
                        self.error(&e);
                    }
                }
            }
            Op::Derive(how) => self.derive(how),
            Op::MakeHandle(of, sel, target, action) => {
                if self.make_handle(*of, sel) {
                    self.use_handle(Pick::Recent(0), target, action);
                }
            }
            Op::UseHandle(p, target, action) => self.use_handle(*p, target, action),
            Op::NumArray(elem, len, list, defs) => self.num_array(*elem, *len, *list, defs),
            Op::Slice(elem, rust, raw) => {
                let elem = self.elem(*elem);
                self.slice(&elem, *rust, raw);
            }
            Op::ToVec(p, rust) => {
                if let Some(d) = self.inst(*p) {
                    self.check_to_vec(&d, *rust);
                }
            }
            Op::Iter(p) => {
                if let Some(d) = self.inst(*p) {
                    self.iterate(&d);
                }
            }
            Op::Format(p, flags) => {
                if let Some(d) = self.inst(*p) {
                    self.format(&d, *flags);
                }
            }
            Op::SizedBuffer(wide, text, bytes, size) => {
                if *wide {
                    self.sized_unicode_buffer(&text.get(), *size);
                } else {
                    self.sized_string_buffer(&bytes.get(), *size);
                }
            }
            Op::SetRaw(p, raw) => {
                if let Some(d) = self.inst(*p) {
                    self.set_raw(&d, raw);
                }
            }
            Op::CloneValue(def, twice) => self.clone_value(def, *twice),
            Op::Prepared(def) => self.prepared(def),
        }
    }

    /// Runs a store; when it is refused, the instance's bytes must not have
    /// changed (docs/SAFETY.md: "A refused write changes nothing").
    fn refused_changes_nothing(
        &mut self,
        d: &CData,
        what: &str,
        store: impl FnOnce(&CData) -> rctypes::Result<()>,
    ) {
        let before = d.to_bytes();
        if let Err(e) = store(d) {
            self.error(&e);
            let after = d.to_bytes();
            assert!(
                before == after,
                "a refused {what} on a {} instance changed its bytes ({e})",
                d.ctype()
            );
        }
    }

    // ---------------------------------------------------------------- types

    fn type_def(&mut self, def: &TypeDef) {
        match def {
            TypeDef::Fundamental(f) => self.push_type(fundamental(*f)),
            TypeDef::Pointer(t) => {
                let ty = self.ty(*t).pointer();
                self.push_type(ty);
            }
            TypeDef::Array(t, n) => {
                let ty = self.ty(*t).array(n.get());
                self.push_type(ty);
            }
            TypeDef::Function { restype, args } => {
                let restype = self.ty(*restype);
                let args: Vec<CType> = args.iter().take(MAX_ITEMS).map(|a| self.ty(*a)).collect();
                self.push_type(CType::function(restype, args));
            }
            TypeDef::Record(def) => {
                let head = &def.head;
                let start = if head.union {
                    CType::union(head.name.text())
                } else {
                    CType::structure(head.name.text())
                };
                let builder = self.attrs(start, &head.attrs);
                let builder = self.members(builder, def, None);
                match builder.build() {
                    Ok(ty) => self.push_type(ty),
                    Err(e) => self.error(&e),
                }
            }
            TypeDef::Declare(head) => {
                let start = if head.union {
                    CType::union(head.name.text())
                } else {
                    CType::structure(head.name.text())
                };
                let ty = self.attrs(start, &head.attrs).declare();
                self.push_type(ty);
            }
            TypeDef::Define { target, body } => {
                let Some(i) = target.index(self.types.len()) else {
                    return;
                };
                let target = self.types[i].clone();
                let this = target.clone();
                let result = target.define(|b| {
                    let b = self.attrs(b, &body.head.attrs);
                    self.members(b, body, Some(&this))
                });
                match result {
                    Ok(()) => {
                        self.push_type(target);
                    }
                    Err(e) => self.error(&e),
                }
            }
        }
    }

    fn attrs(&self, mut b: RecordBuilder, attrs: &super::recipe::Attrs) -> RecordBuilder {
        if let Some(p) = attrs.pack {
            b = b.pack(p.get());
        }
        if let Some(a) = attrs.align {
            b = b.align(a.get());
        }
        b = match attrs.ms {
            Some(true) => b.layout(Layout::Ms),
            Some(false) => b.layout(Layout::GccSysv),
            None => b,
        };
        match attrs.order {
            Some(Order::Big) => b.big_endian(),
            Some(Order::Little) => b.little_endian(),
            None => b,
        }
    }

    /// Adds the fields and anonymous names of `def`; `this` is the record
    /// being defined, for self-referential pointers.
    fn members(
        &self,
        mut b: RecordBuilder,
        def: &RecordDef,
        this: Option<&CType>,
    ) -> RecordBuilder {
        for f in def.fields.iter().take(MAX_ITEMS) {
            let ty = match (f.ty, this) {
                (FieldType::Type(t), _) => self.ty(t),
                (FieldType::SelfPointer(_), Some(this)) => this.pointer(),
                (FieldType::SelfPointer(t), None) => self.ty(t).pointer(),
            };
            if let (true, Some(this)) = (self.avoid.type_cycles, this)
                && holds_strongly(&ty, this, 16)
            {
                continue;
            }
            b = match f.bits {
                Some(w) => {
                    let bits = w.get(bit_width(&ty));
                    b.bitfield(f.name.text(), ty, bits)
                }
                None => b.field(f.name.text(), ty),
            };
            if let Some(a) = f.align {
                b = b.field_align(a.get());
            }
        }
        for name in def.anonymous.iter().take(MAX_ITEMS) {
            b = b.anonymous(name.text());
        }
        b
    }

    // --------------------------------------------------------------- values

    /// Builds a value that will be stored into block `holder` (`u64::MAX`:
    /// a new instance, or nowhere).
    fn value(&mut self, def: &ValueDef, holder: u64) -> Value {
        match def {
            ValueDef::Void => Value::Void,
            ValueDef::Null => Value::Null,
            ValueDef::Bool(b) => Value::Bool(*b),
            ValueDef::Int(i) => Value::Int(i.get()),
            ValueDef::UInt(u) => Value::UInt(u.get()),
            ValueDef::Float(x) => Value::Float(x.get()),
            ValueDef::Complex(re, im) => Value::Complex(re.get(), im.get()),
            ValueDef::Bytes(b) => Value::Bytes(b.get()),
            ValueDef::Str(s) => Value::Str(s.get()),
            ValueDef::Char(c) => Value::from(*c),
            ValueDef::Pointer(a) => Value::Pointer(self.address(*a)),
            ValueDef::Data(p) => self.referenced(*p, holder).map_or(Value::Null, Value::Data),
            ValueDef::Trusted(p) => match p.index(self.trusted.len()) {
                Some(i) if !self.avoid.keep_cycles || self.trusted[i].ptr_block < holder => {
                    Value::Data(self.trusted[i].ptr.clone())
                }
                _ => Value::Null,
            },
            ValueDef::ByRef(p, offset) => match self.referenced(*p, holder) {
                Some(target) => {
                    let offset = offset.get(sizeof(target.ctype()));
                    Value::ByRef { target, offset }
                }
                None => Value::Null,
            },
            ValueDef::Byref(p) => self
                .referenced(*p, holder)
                .map_or(Value::Null, |d| byref(&d)),
            ValueDef::ByrefAt(p, offset) => match self.referenced(*p, holder) {
                Some(d) => match byref_at(&d, offset.get(sizeof(d.ctype()))) {
                    Ok(v) => v,
                    Err(e) => {
                        self.error(&e);
                        Value::Null
                    }
                },
                None => Value::Null,
            },
            ValueDef::Callback(t) => {
                let ty = self.ty(*t);
                match Callback::new(&ty, |_| Ok(Value::Void)) {
                    Ok(cb) => Value::Callback(cb),
                    Err(e) => {
                        self.error(&e);
                        Value::Null
                    }
                }
            }
            ValueDef::NoneOption => Value::from(None::<i32>),
        }
    }

    /// Every accessor and the formatting of a value.
    fn inspect_value(&mut self, v: &Value) {
        let _ = v.as_i64();
        let _ = v.as_u64();
        let _ = v.as_f64();
        let _ = v.as_bool();
        let _ = v.as_bytes().map(<[u8]>::len);
        let _ = v.as_str().map(str::len);
        let _ = v.as_address();
        let _ = v.is_null();
        let _ = v.as_data().map(CData::address);
        self.text.clear();
        let _ = write!(self.text, "{v:?}");
        let _ = v.clone().into_data();
    }

    // ------------------------------------------------------------ instances

    fn field_name(&self, d: &CData, sel: &FieldSel) -> String {
        self.field_name_of(d.ctype(), sel)
    }

    fn field_name_of(&self, ty: &CType, sel: &FieldSel) -> String {
        let nth = |ty: &CType, i: u8| -> Option<rctypes::Field> {
            let fields = ty.fields()?;
            if fields.is_empty() {
                return None;
            }
            Some(fields[usize::from(i) % fields.len()].clone())
        };
        match sel {
            FieldSel::Declared(i) => nth(ty, *i).map(|f| f.name).unwrap_or_default(),
            FieldSel::Nested(i, j) => nth(ty, *i)
                .and_then(|f| nth(&f.ctype, *j))
                .map(|f| f.name)
                .unwrap_or_default(),
            FieldSel::Name(n) => n.text().to_owned(),
        }
    }

    fn make_from_bytes(&mut self, t: TypeRef, source: &BytesSource) {
        let ty = self.ty(t);
        if !instantiable(&ty) {
            return;
        }
        let size = sizeof(&ty);
        // Only sizes the driver would allocate anyway are materialised.
        let fits = size <= MAX_BYTES;
        let bytes = match source {
            BytesSource::Zeros if fits => vec![0; size],
            BytesSource::Fill(b) if fits => vec![*b; size],
            BytesSource::Raw(b) => b.clone(),
            BytesSource::Instance(p) => self.inst(*p).map(|d| d.to_bytes()).unwrap_or_default(),
            BytesSource::Short(k) if fits => vec![0x5a; size.saturating_sub(1 + usize::from(*k))],
            _ => Vec::new(),
        };
        match CData::from_bytes(&ty, &bytes) {
            Ok(d) => self.push_new(d),
            Err(e) => self.error(&e),
        }
    }

    fn buffer(&mut self, def: &BufferDef, wide: bool) {
        let elem = if wide { 4 } else { 1 };
        let buf = match def {
            BufferDef::Bytes(b) if wide => {
                create_unicode_buffer(String::from_utf8_lossy(&b.get()).as_ref())
            }
            BufferDef::Bytes(b) => create_string_buffer(b.get()),
            BufferDef::Text(t) if wide => create_unicode_buffer(t.get()),
            BufferDef::Text(t) => create_string_buffer(t.get().as_str()),
            BufferDef::Size(n) => {
                // A size that cannot be allocated makes these infallible
                // constructors panic (as `vec![0; n]` would): not asked.
                let n = n.get();
                if n.saturating_mul(elem) > MAX_BYTES {
                    return;
                }
                if wide {
                    create_unicode_buffer(n)
                } else {
                    create_string_buffer(n)
                }
            }
            BufferDef::Int(n) => {
                if i64::from(*n).saturating_mul(elem as i64) > MAX_BYTES as i64 {
                    return;
                }
                if wide {
                    create_unicode_buffer(*n)
                } else {
                    create_string_buffer(*n)
                }
            }
        };
        self.push_new(buf);
    }

    /// Every read-only query on an instance, with the invariants on bytes.
    fn inspect(&mut self, d: &CData) {
        let ty = d.ctype().clone();
        let _ = (d.address(), d.len(), d.is_empty());
        let bytes = d.to_bytes();
        assert_eq!(
            bytes.len(),
            sizeof(&ty),
            "to_bytes of a {ty} instance has the wrong length"
        );
        assert_eq!(d.raw(), bytes, "raw and to_bytes of a {ty} instance differ");
        self.text.clear();
        let _ = write!(self.text, "{d:?} {ty} {ty:?}");
        // (`void * n` can be instantiated, and its elements are `void`
        // instances, which cannot.)
        if instantiable(&ty) && !ty.is_void() {
            match CData::from_bytes(&ty, &bytes) {
                Ok(copy) => assert_eq!(
                    copy.to_bytes(),
                    bytes,
                    "from_bytes(to_bytes) of a {ty} instance differs"
                ),
                Err(e) => panic!("from_bytes of a {ty} instance's own bytes failed: {e}"),
            }
        }
        let r = byref(d);
        assert_eq!(
            r.as_address().ok(),
            Some(d.address()),
            "byref(x).as_address() is not x.address()"
        );
        let v = Value::from(d);
        self.inspect_value(&v);
    }

    /// Every query on a type, and equality/hash against another.
    fn inspect_type(&mut self, a: &CType, b: &CType) {
        let (size, align) = (sizeof(a), alignment(a));
        assert_eq!((a.size(), a.align()), (size, align));
        self.text.clear();
        let _ = write!(self.text, "{a} {a:?} {b}");
        let _ = (a.pointee(), a.element(), a.array_len(), a.prototype());
        let _ = (a.is_void(), a.is_record(), a.is_incomplete());
        if let Some(fields) = a.fields() {
            assert!(
                align.is_power_of_two(),
                "{a}: alignment {align} is not a power of two"
            );
            assert_eq!(
                size % align,
                0,
                "{a}: size {size} not a multiple of {align}"
            );
            for f in fields {
                // A bitfield reports its storage unit, which packing may
                // place partly past the record's end (its bits are inside).
                let end = f.offset.checked_add(f.size);
                assert!(
                    f.bits.is_some() || end.is_some_and(|e| e <= size),
                    "{a}: field `{}` ({} bytes at {}) overruns the record's {size} bytes",
                    f.name,
                    f.size,
                    f.offset
                );
                let _ = a.field(&f.name);
                if let Some(inner) = f.ctype.fields() {
                    for g in inner {
                        let _ = a.field(&g.name);
                    }
                }
            }
        }
        if a == b {
            let hash = |t: &CType| {
                let mut h = DefaultHasher::new();
                t.hash(&mut h);
                h.finish()
            };
            assert_eq!(hash(a), hash(b), "equal types {a} and {b} hash differently");
        }
        let decl = a.c_decl("v");
        if !self.avoid.type_cycles {
            let _ = a.c_decl("").parse::<CType>();
        }
        let _ = decl.len();
        let _ = a.pointer().to_string();
        let _ = a.array(3).to_string();
    }

    // ------------------------------------------------------------- pointers

    fn trust_cast(&mut self, source: TrustSource, t: CastTarget) {
        let ty = self.cast_target(t);
        let (from, target, target_block) = match source {
            TrustSource::Array(p) => match self.inst_block(p) {
                Some((d, block)) if d.ctype().element().is_some() => (d.clone(), d, block),
                _ => return,
            },
            TrustSource::Trusted(p) => match p.index(self.trusted.len()) {
                Some(i) => {
                    let t = &self.trusted[i];
                    (t.ptr.clone(), t.target.clone(), t.target_block)
                }
                None => return,
            },
        };
        match from.cast(&ty) {
            Ok(ptr) => {
                let ptr_block = self.fresh();
                if ty.pointee().is_some() && self.trusted.len() < MAX_TRUSTED {
                    self.trusted.push(Trusted {
                        ptr,
                        target,
                        ptr_block,
                        target_block,
                    });
                } else {
                    // A c_void_p, c_char_p, function pointer...: an ordinary
                    // instance from now on.
                    self.push(ptr, ptr_block);
                }
            }
            Err(e) => self.error(&e),
        }
    }

    fn deref(&mut self, source: DerefSource, action: &DerefAction) {
        match source {
            DerefSource::Trusted(p) => {
                let Some(i) = p.index(self.trusted.len()) else {
                    return;
                };
                let t = &self.trusted[i];
                let (ptr, target) = (t.ptr.clone(), t.target.clone());
                // The pointer holds `target`'s address: valid for
                // sizeof(target) bytes, which stay alive (held here and kept
                // by the pointer).
                let room = sizeof(target.ctype());
                let at = Target {
                    holder: target,
                    room,
                    block: t.target_block,
                    keeps_block: t.target_block.min(t.ptr_block),
                    keep_results: true,
                };
                self.deref_at(&ptr, &at, action);
            }
            DerefSource::Checked(p) => {
                let Some((ptr, ptr_block)) = self.inst_block(p) else {
                    return;
                };
                let Some(pointee) = ptr.ctype().pointee() else {
                    return;
                };
                if holds_strings(&pointee) {
                    return;
                }
                let Ok(addr) = Value::Data(ptr.clone()).as_address() else {
                    return;
                };
                // A pool instance that holds the address: the memory is
                // alive as long as the pool holds it, and the result is used
                // only within this step.
                let Some((holder, block)) = self.pool.iter().find(|(d, _)| {
                    let start = d.address();
                    addr >= start && addr - start < sizeof(d.ctype())
                }) else {
                    return;
                };
                let room = holder.address() + sizeof(holder.ctype()) - addr;
                let at = Target {
                    holder: holder.clone(),
                    room,
                    block: *block,
                    keeps_block: ptr_block.min(*block),
                    keep_results: false,
                };
                self.deref_at(&ptr, &at, action);
            }
        }
    }

    /// Dereferences `ptr`, which points at `at.room` valid bytes inside
    /// `at.holder`, for elements that fit in them only.
    fn deref_at(&mut self, ptr: &CData, at: &Target, action: &DerefAction) {
        let Some(pointee) = ptr.ctype().pointee() else {
            return;
        };
        if pointee.is_incomplete() || pointee.is_void() {
            return;
        }
        let size = sizeof(&pointee);
        if size > at.room {
            return;
        }
        // Elements wholly inside `room` (any index reads nothing for size 0).
        let count = at.room.checked_div(size).unwrap_or(4);
        let index = |i: u16| usize::from(i) % count.max(1);
        match action {
            DerefAction::Contents => {
                // SAFETY: `ptr` points at `room >= sizeof(T)` bytes of a live
                // instance rctypes owns (see `deref`); the view is used while
                // that instance lives (the pool or the trusted table holds it,
                // and a checked view is dropped before this step ends).
                match unsafe { ptr.contents() } {
                    Ok(view) => {
                        self.inspect(&view);
                        if at.keep_results {
                            self.push(view, at.block);
                        }
                    }
                    Err(e) => self.error(&e),
                }
            }
            DerefAction::Read(i) => {
                // SAFETY: as above, for element `i`, which lies inside `room`.
                let r = unsafe { ptr.read(index(*i)) };
                if let Some(v) = self.outcome(r)
                    && at.keep_results
                {
                    self.push_value(&v, at.block);
                }
            }
            DerefAction::Write(i, v) => {
                // What the stored value references is kept by the target's
                // memory, or (for a view of foreign memory) by the pointer.
                let v = self.value(v, at.keeps_block);
                let i = index(*i);
                let before = at.holder.to_bytes();
                // SAFETY: as above; the memory is rctypes' own and writable.
                if let Err(e) = unsafe { ptr.write(i, v) } {
                    self.error(&e);
                    assert!(
                        before == at.holder.to_bytes(),
                        "a refused write through a {} changed the target",
                        ptr.ctype()
                    );
                }
            }
        }
    }

    /// Drops everything, newest first (views and results before what they
    /// came from), checking what is left is still readable.
    fn finish(mut self) {
        while let Some((d, _)) = self.pool.pop() {
            let _ = d.to_bytes();
        }
        while let Some(t) = self.trusted.pop() {
            let _ = t.ptr.value();
            drop(t.target);
        }
    }
}

// ------------------------------------------------------------ later API

/// Whether two reads of the same thing agree: floats by their bits (NaN
/// included), everything else as `Value`'s `==` (instances by identity).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Complex(a, b), Value::Complex(c, d)) => {
            a.to_bits() == c.to_bits() && b.to_bits() == d.to_bits()
        }
        _ => a == b,
    }
}

/// Whether two results of the same read agree (both errors, or equal values).
fn same_outcome(a: &rctypes::Result<Value>, b: &rctypes::Result<Value>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => same_value(a, b),
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

/// A few records of every kind field handles are about (bitfields of
/// every signedness and width, big-endian and packed, an anonymous union,
/// ms layout, pointers and nested records), for programs that made none.
fn stock_records() -> &'static [CType] {
    static STOCK: OnceLock<Vec<CType>> = OnceLock::new();
    STOCK.get_or_init(|| {
        let int = CType::c_int;
        let union = CType::union("U")
            .field("i", int())
            .field("d", CType::c_double())
            .field("s", CType::c_char().array(8))
            .build();
        let inner = CType::structure("Inner")
            .field("x", CType::c_short())
            .bitfield("y", CType::c_uint(), 3)
            .build();
        let records = [
            CType::structure("Bits")
                .bitfield("a", int(), 3)
                .bitfield("b", CType::c_uint(), 5)
                .bitfield("", int(), 0)
                .bitfield("c", CType::c_bool(), 1)
                .bitfield("x", CType::c_longlong(), 40)
                .bitfield("y", CType::c_ulonglong(), 64)
                .field("value", CType::c_char())
                .build(),
            CType::structure("Wire")
                .field("kind", CType::c_uint16())
                .field("len", CType::c_uint32())
                .bitfield("a", CType::c_int8(), 4)
                .bitfield("b", CType::c_int16(), 12)
                .field("c", CType::c_double())
                .field("u", CType::c_int32().array(3))
                .pack(1)
                .big_endian()
                .build(),
            union.and_then(|u| {
                CType::structure("Tagged")
                    .field("kind", int())
                    .field("u", u)
                    .anonymous("u")
                    .build()
            }),
            CType::structure("Ms")
                .bitfield("a", CType::c_char(), 3)
                .bitfield("b", int(), 5)
                .bitfield("c", CType::c_ushort(), 9)
                .layout(Layout::Ms)
                .build(),
            inner.and_then(|inner| {
                CType::structure("Ptrs")
                    .field("a", CType::c_char_p())
                    .field("b", CType::c_wchar_p())
                    .field("c", CType::c_void_p())
                    .field("next", int().pointer())
                    .field("x", CType::function(int(), [int()]))
                    .field("y", inner)
                    .field("value", CType::c_wchar().array(4))
                    .align(16)
                    .build()
            }),
        ];
        records
            .into_iter()
            .map(|r| r.expect("a stock record is refused"))
            .collect()
    })
}

/// Whether `ty` stores an address anywhere (where a stored string is a
/// fresh copy, so two equal stores differ in bytes).
fn holds_pointers(ty: &CType) -> bool {
    if ty.pointee().is_some()
        || ty.prototype().is_some()
        || *ty == CType::c_void_p()
        || *ty == CType::c_char_p()
        || *ty == CType::c_wchar_p()
    {
        return true;
    }
    if let Some(elem) = ty.element() {
        return holds_pointers(elem);
    }
    ty.fields()
        .is_some_and(|fields| fields.iter().any(|f| holds_pointers(&f.ctype)))
}

/// Whether storing `v` makes a string copy (whose address is new each time).
fn is_string(v: &Value) -> bool {
    matches!(v, Value::Bytes(_) | Value::Str(_))
}

/// The fundamental type `ty` is, byte-swapped or not.
fn fund_of(ty: &CType) -> Option<Fund> {
    if let Some(f) = FUNDS.iter().find(|&&f| fundamental(f) == *ty) {
        return Some(*f);
    }
    // a swapped scalar shows its name and a suffix
    let name = ty.to_string();
    let name = name
        .strip_suffix("_be")
        .or_else(|| name.strip_suffix("_le"))?;
    FUNDS.iter().copied().find(|f| format!("{f:?}") == name)
}

/// A value of `ty`'s own kind made from `bits`, in its range: what a store
/// of the right kind looks like (an integer that fits, a one-byte `char`, a
/// Unicode `wchar_t`, a float, NULL or a string for pointers).
fn fitting_value(ty: &CType, bits: u64) -> Value {
    let Some(f) = fund_of(ty) else {
        return match bits % 3 {
            0 => Value::Null,
            _ => Value::Int(i64::from(bits as i8)),
        };
    };
    let size = sizeof(ty).clamp(1, 8);
    let shift = 64 - 8 * size as u32;
    match f {
        Fund::c_bool => Value::Bool(bits & 1 == 1),
        Fund::c_char if bits & 0x100 == 0 => Value::Bytes(vec![bits as u8]),
        Fund::c_char => Value::Int(i64::from(bits as u8)),
        Fund::c_wchar => Value::from(char::from_u32((bits % 0x11_0000) as u32).unwrap_or('é')),
        f if f.is_signed_int() => Value::Int(((bits << shift) as i64) >> shift),
        f if f.is_unsigned_int() => Value::UInt((bits << shift) >> shift),
        Fund::c_float => Value::Float(f64::from(f32::from_bits(bits as u32))),
        Fund::c_double | Fund::c_longdouble => Value::Float(f64::from_bits(bits)),
        Fund::c_float_complex => Value::Complex(
            f64::from(f32::from_bits(bits as u32)),
            f64::from(f32::from_bits((bits >> 32) as u32)),
        ),
        Fund::c_double_complex | Fund::c_longdouble_complex => {
            Value::Complex(f64::from_bits(bits), f64::from_bits(bits.rotate_left(17)))
        }
        Fund::c_char_p | Fund::c_wchar_p | Fund::c_void_p => match bits % 4 {
            0 => Value::Null,
            1 if f == Fund::c_wchar_p => Value::from("wïde"),
            1 => Value::from(&b"bytes"[..]),
            2 => Value::from("text"),
            _ => Value::Pointer(bits as usize),
        },
        _ => Value::Int(bits as i64),
    }
}

/// The low `size` bytes of a word image, in memory order.
fn word_bytes(w: u64, size: usize) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        w.to_le_bytes()[..size].to_vec()
    } else {
        w.to_be_bytes()[8 - size..].to_vec()
    }
}

/// Whether a value read from an element agrees with the word image `w` of
/// the `size`-byte Rust value the element was written from (or is read as).
fn matches_word(v: &Value, w: u64, size: usize) -> bool {
    let mask = if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * size)) - 1
    };
    match v {
        Value::Int(i) => *i as u64 & mask == w & mask,
        Value::UInt(u) => *u & mask == w & mask,
        Value::Bool(b) => *b == (w & mask != 0),
        Value::Float(x) if size == 4 => {
            let y = f32::from_bits(w as u32);
            (*x as f32).to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        Value::Float(x) => {
            let y = f64::from_bits(w);
            x.to_bits() == w || (x.is_nan() && y.is_nan())
        }
        Value::Bytes(b) => b.len() == 1 && u64::from(b[0]) == w & 0xff,
        Value::Str(s) => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => u64::from(u32::from(c)) == w & mask,
                _ => false,
            }
        }
        Value::Pointer(p) => *p as u64 == w,
        Value::Null => w == 0,
        _ => false,
    }
}

/// The `CRepr` values a slice is made of, from raw words.
trait FromRaw: CRepr {
    fn from_raw(w: u64) -> Self;
}

macro_rules! from_raw_int {
    ($($t:ty)*) => {$(
        impl FromRaw for $t {
            fn from_raw(w: u64) -> Self {
                w as $t
            }
        }
    )*};
}
from_raw_int!(i8 u8 i16 u16 i32 u32 i64 u64 isize usize);

impl FromRaw for f32 {
    fn from_raw(w: u64) -> Self {
        f32::from_bits(w as u32)
    }
}
impl FromRaw for f64 {
    fn from_raw(w: u64) -> Self {
        f64::from_bits(w)
    }
}
impl FromRaw for bool {
    fn from_raw(w: u64) -> Self {
        w & 1 == 1
    }
}
impl FromRaw for *const u8 {
    fn from_raw(w: u64) -> Self {
        // only stored and compared, never followed
        w as usize as *const u8
    }
}

/// What the driver knows of the one argument of an exactly declared
/// `labs`/`abs` prepared call.
struct ArgModel {
    /// The argument's range.
    lo: i64,
    hi: i64,
    /// Its value (`None`: not known, e.g. set from an instance of another
    /// integer type).
    current: Option<i64>,
    /// Whether a setter was refused since the last call (`None`: not known).
    refused: Option<bool>,
}

impl ArgModel {
    fn refuse(&mut self) {
        self.refused = Some(true);
    }

    /// A setter whose outcome is not modelled.
    fn unknown(&mut self) {
        self.current = None;
        if self.refused != Some(true) {
            self.refused = None;
        }
    }

    /// An accepted integer (or a refusal when out of range).
    fn int(&mut self, index: usize, v: i128) {
        if index == 0 && i128::from(self.lo) <= v && v <= i128::from(self.hi) {
            self.current = Some(v as i64);
        } else {
            self.refuse();
        }
    }

    /// What the call returns, when it is known (`|i64::MIN|` and
    /// `|INT_MIN|` are undefined in C: not compared).
    fn expected(&self) -> Option<i64> {
        self.current.filter(|&v| v != self.lo).map(i64::abs)
    }
}

impl Driver {
    /// An element type.
    fn elem(&self, e: ElemRef) -> CType {
        match e {
            ElemRef::Fund(f) => fundamental(f),
            ElemRef::Type(t) => self.ty(t),
        }
    }

    /// A value for a store into something of type `ty`.
    fn num_value(&mut self, def: &NumValue, ty: &CType, holder: u64) -> Value {
        match def {
            NumValue::Fits(bits) => fitting_value(ty, *bits),
            NumValue::Int(i) => Value::Int(i.get()),
            NumValue::UInt(u) => Value::UInt(u.get()),
            NumValue::Float(x) => Value::Float(x.get()),
            NumValue::Any(def) => self.value(def, holder),
        }
    }

    fn derive(&mut self, how: &Derivation) {
        let ty = match how {
            Derivation::Field(t, sel) => {
                let ty = self.ty(*t);
                let name = self.field_name_of(&ty, sel);
                ty.field(&name).map(|f| f.ctype.clone())
            }
            Derivation::InstanceField(p, sel) => self.inst(*p).and_then(|d| {
                let name = self.field_name(&d, sel);
                d.ctype().field(&name).map(|f| f.ctype.clone())
            }),
            Derivation::Element(t) => self.ty(*t).element().cloned(),
            Derivation::Pointee(t) => self.ty(*t).pointee(),
            Derivation::Instance(p) => self.inst(*p).map(|d| d.ctype().clone()),
        };
        if let Some(ty) = ty {
            self.push_type(ty);
        }
    }

    // -------------------------------------------------------- field handles

    /// Makes a handle; returns whether it joined the table.
    fn make_handle(&mut self, of: HandleOf, sel: &FieldSel) -> bool {
        let complete = |t: &CType| t.fields().is_some();
        let ty = match of {
            HandleOf::Record(p) => {
                let records: Vec<&CType> = self.types.iter().filter(|t| complete(t)).collect();
                match p.index(records.len()) {
                    Some(i) => records[i].clone(),
                    None => {
                        // none made yet: a stock one, which joins the table
                        let stock = stock_records();
                        let Some(i) = p.index(stock.len()) else {
                            return false;
                        };
                        self.push_type(stock[i].clone());
                        stock[i].clone()
                    }
                }
            }
            HandleOf::RecordInstance(p) => {
                let records: Vec<&CData> = self
                    .pool
                    .iter()
                    .map(|(d, _)| d)
                    .filter(|d| complete(d.ctype()))
                    .collect();
                match p.index(records.len()) {
                    Some(i) => records[i].ctype().clone(),
                    None => return false,
                }
            }
            HandleOf::Instance(p) => match self.inst(p) {
                Some(d) => d.ctype().clone(),
                None => return false,
            },
            HandleOf::Type(t) => self.ty(t),
        };
        let name = self.field_name_of(&ty, sel);
        match ty.field_handle(&name) {
            Ok(h) => {
                assert!(
                    ty.field(&name) == Some(h.field()),
                    "field_handle({name:?}) of {ty} names another field than field() finds"
                );
                assert!(h.record() == &ty, "a handle of {ty} is of {}", h.record());
                self.text.clear();
                let _ = write!(self.text, "{h:?}");
                if self.handles.len() < MAX_HANDLES {
                    self.handles.push(h);
                    return true;
                }
                false
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    ty.field(&name).is_none(),
                    "field_handle({name:?}) of {ty} refused a field that field() finds: {e}"
                );
                false
            }
        }
    }

    fn use_handle(&mut self, p: Pick, target: &HandleTarget, action: &HandleAction) {
        let Some(i) = p.index(self.handles.len()) else {
            return;
        };
        let h = self.handles[i].clone();
        let matching = |d: &CData| d.ctype() == h.record();
        let target = match target {
            HandleTarget::Matching(p) => {
                let found: Vec<&(CData, u64)> =
                    self.pool.iter().filter(|(d, _)| matching(d)).collect();
                p.index(found.len()).map(|i| found[i].clone())
            }
            HandleTarget::Inst(p) => self.inst_block(*p),
            HandleTarget::Fresh => None,
            HandleTarget::Field(p, sel) => self.inst_block(*p).and_then(|(d, block)| {
                let name = self.field_name(&d, sel);
                let view = d.field(&name).ok()?;
                self.push(view.clone(), block);
                Some((view, block))
            }),
            HandleTarget::At(p, index) => self.inst_block(*p).and_then(|(d, block)| {
                let view = d.at(index.get(d.len())).ok()?;
                self.push(view.clone(), block);
                Some((view, block))
            }),
        };
        let target = match target {
            Some(t) => Some(t),
            None => {
                if !instantiable(h.record()) {
                    return;
                }
                match CData::try_new(h.record()) {
                    Ok(d) => {
                        let block = self.fresh();
                        self.push(d.clone(), block);
                        Some((d, block))
                    }
                    Err(e) => {
                        self.error(&e);
                        None
                    }
                }
            }
        };
        let Some((d, block)) = target else {
            return;
        };
        match action {
            HandleAction::Get => self.handle_get(&h, &d, block),
            HandleAction::Set(def) => {
                let v = self.value(def, block);
                self.handle_set(&h, &d, v);
            }
            HandleAction::SetNumber(def) => {
                let ty = h.field().ctype.clone();
                let v = self.num_value(def, &ty, block);
                if self.handle_set(&h, &d, v) {
                    self.handle_get(&h, &d, block);
                }
            }
            HandleAction::Clone => {
                // the table's handle goes; a clone of it must still work
                let c = h.clone();
                self.handles.remove(i);
                drop(h);
                self.handle_get(&c, &d, block);
                self.handles.push(c);
            }
        }
    }

    /// `h.get(d)`: an `Err` on an instance of another type, else what
    /// `d.get(name)` gives.
    fn handle_get(&mut self, h: &FieldHandle, d: &CData, block: u64) {
        let r = h.get(d);
        let name = &h.field().name;
        if d.ctype() != h.record() {
            assert!(
                r.is_err(),
                "a handle on {}.{name} read a {} instance",
                h.record(),
                d.ctype()
            );
        } else {
            let by_name = d.get(name);
            assert!(
                same_outcome(&r, &by_name),
                "{}.{name}: the handle read {r:?}, get by name {by_name:?}",
                h.record()
            );
        }
        if let Some(v) = self.outcome(r) {
            self.push_value(&v, block);
        }
    }

    /// `h.set(d, v)`: an `Err` that changes nothing on an instance of
    /// another type, else what `set(name, v)` does to a copy of `d`.
    /// Returns whether the store was accepted.
    fn handle_set(&mut self, h: &FieldHandle, d: &CData, v: Value) -> bool {
        let name = h.field().name.clone();
        let same = d.ctype() == h.record();
        let before = d.to_bytes();
        // the same store by name, on a copy (made before `d` changes)
        let copy = if same {
            CData::from_bytes(d.ctype(), &before).ok()
        } else {
            None
        };
        let by_name = copy.as_ref().map(|c| c.set(&name, v.clone()));
        let comparable = !(is_string(&v) && holds_pointers(&h.field().ctype));
        match h.set(d, v) {
            Ok(()) => {
                assert!(
                    same,
                    "a handle on {}.{name} wrote into a {} instance",
                    h.record(),
                    d.ctype()
                );
                if let Some(Err(e)) = &by_name {
                    panic!(
                        "{}.{name}: the handle stored what set by name refuses ({e})",
                        h.record()
                    );
                }
                if let (Some(c), true) = (&copy, comparable) {
                    assert!(
                        c.to_bytes() == d.to_bytes(),
                        "{}.{name}: the handle and set by name stored different bytes",
                        h.record()
                    );
                }
                true
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    before == d.to_bytes(),
                    "a refused handle set on {}.{name} changed a {} instance ({e})",
                    h.record(),
                    d.ctype()
                );
                if let Some(Ok(())) = &by_name {
                    panic!(
                        "{}.{name}: the handle refused ({e}) what set by name stores",
                        h.record()
                    );
                }
                false
            }
        }
    }

    // ------------------------------------------------------- arrays, slices

    fn num_array(&mut self, elem: ElemRef, len: u8, list: ListLen, defs: &[NumValue]) {
        let elem = self.elem(elem);
        let ty = elem.array(usize::from(len % 25));
        if !instantiable(&ty) {
            return;
        }
        let n = list.get(usize::from(len % 25)).min(defs.len());
        let values: Vec<Value> = defs[..n]
            .iter()
            .map(|d| self.num_value(d, &elem, u64::MAX))
            .collect();
        self.check_from_values(&ty, values);
    }

    /// `from_values` on an array type, against the same array built element
    /// by element: accepted exactly when every `set_index` is and the values
    /// are not too many; then the same bytes (unless strings were copied),
    /// zero after the last value.
    fn check_from_values(&mut self, ty: &CType, values: Vec<Value>) {
        let (Some(len), Some(elem)) = (ty.array_len(), ty.element().cloned()) else {
            return;
        };
        let r = CData::from_values(ty, values.clone());
        let reference = match CData::try_new(ty) {
            Ok(d) => d,
            Err(e) => {
                self.error(&e);
                assert!(r.is_err(), "from_values made a {ty} that try_new cannot");
                return;
            }
        };
        let mut accepted = values.len() <= len;
        for (i, v) in values.iter().take(len).enumerate() {
            if let Err(e) = reference.set_index(i, v.clone()) {
                self.error(&e);
                accepted = false;
                break;
            }
        }
        match r {
            Ok(d) => {
                assert!(
                    accepted,
                    "from_values made a {ty} from values set_index refuses: {values:?}"
                );
                let bytes = d.to_bytes();
                assert_eq!(bytes.len(), sizeof(ty), "from_values of {ty}: wrong size");
                let filled = values.len() * sizeof(&elem);
                assert!(
                    bytes[filled.min(bytes.len())..].iter().all(|&b| b == 0),
                    "from_values of {ty} with {} values left non-zero bytes after them: {bytes:?}",
                    values.len()
                );
                let comparable = !(values.iter().any(is_string) && holds_pointers(&elem));
                if comparable {
                    assert!(
                        bytes == reference.to_bytes(),
                        "from_values of {ty} differs from set_index: {bytes:?} vs {:?} ({values:?})",
                        reference.to_bytes()
                    );
                }
                self.push_new(d);
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    !accepted,
                    "from_values of {ty} refused ({e}) values set_index takes: {values:?}"
                );
            }
        }
    }

    fn slice(&mut self, elem: &CType, rust: RustTy, raw: &[u64]) {
        match rust {
            RustTy::I8 => self.slice_of::<i8>(elem, raw),
            RustTy::U8 => self.slice_of::<u8>(elem, raw),
            RustTy::I16 => self.slice_of::<i16>(elem, raw),
            RustTy::U16 => self.slice_of::<u16>(elem, raw),
            RustTy::I32 => self.slice_of::<i32>(elem, raw),
            RustTy::U32 => self.slice_of::<u32>(elem, raw),
            RustTy::I64 => self.slice_of::<i64>(elem, raw),
            RustTy::U64 => self.slice_of::<u64>(elem, raw),
            RustTy::Isize => self.slice_of::<isize>(elem, raw),
            RustTy::Usize => self.slice_of::<usize>(elem, raw),
            RustTy::F32 => self.slice_of::<f32>(elem, raw),
            RustTy::F64 => self.slice_of::<f64>(elem, raw),
            RustTy::Bool => self.slice_of::<bool>(elem, raw),
            RustTy::Ptr => self.slice_of::<*const u8>(elem, raw),
        }
    }

    /// `from_slice::<T>`: the array holds the slice's bytes, `to_vec::<T>`
    /// gives it back, and each element reads as its value.
    fn slice_of<T: FromRaw>(&mut self, elem: &CType, raw: &[u64]) {
        let values: Vec<T> = raw.iter().map(|&w| T::from_raw(w)).collect();
        let size = size_of::<T>();
        let words: Vec<u64> = values.iter().map(|v| v.to_word()).collect();
        match CData::from_slice(elem, &values) {
            Ok(d) => {
                assert_eq!(d.len(), values.len(), "from_slice of {elem}: wrong length");
                assert!(d.ctype().element() == Some(elem));
                let expected: Vec<u8> = words.iter().flat_map(|&w| word_bytes(w, size)).collect();
                assert!(
                    d.to_bytes() == expected,
                    "from_slice::<{}> of {elem}: the bytes are not the slice's",
                    T::rust_name()
                );
                match d.to_vec::<T>() {
                    Ok(back) => {
                        let back: Vec<u64> = back.into_iter().map(T::to_word).collect();
                        assert!(
                            back == words,
                            "to_vec::<{}>(from_slice) of {elem} differs",
                            T::rust_name()
                        );
                    }
                    Err(e) => panic!(
                        "to_vec::<{}> refused ({e}) what from_slice made of {elem}",
                        T::rust_name()
                    ),
                }
                self.check_elements::<T>(&d, &words);
                self.push_new(d);
            }
            Err(e) => self.error(&e),
        }
    }

    fn check_to_vec(&mut self, d: &CData, rust: RustTy) {
        match rust {
            RustTy::I8 => self.check_to_vec_of::<i8>(d),
            RustTy::U8 => self.check_to_vec_of::<u8>(d),
            RustTy::I16 => self.check_to_vec_of::<i16>(d),
            RustTy::U16 => self.check_to_vec_of::<u16>(d),
            RustTy::I32 => self.check_to_vec_of::<i32>(d),
            RustTy::U32 => self.check_to_vec_of::<u32>(d),
            RustTy::I64 => self.check_to_vec_of::<i64>(d),
            RustTy::U64 => self.check_to_vec_of::<u64>(d),
            RustTy::Isize => self.check_to_vec_of::<isize>(d),
            RustTy::Usize => self.check_to_vec_of::<usize>(d),
            RustTy::F32 => self.check_to_vec_of::<f32>(d),
            RustTy::F64 => self.check_to_vec_of::<f64>(d),
            RustTy::Bool => self.check_to_vec_of::<bool>(d),
            RustTy::Ptr => self.check_to_vec_of::<*const u8>(d),
        }
    }

    /// `to_vec::<T>()`: only arrays, one value per element, each what
    /// `get_index` reads.
    fn check_to_vec_of<T: CRepr>(&mut self, d: &CData) {
        match d.to_vec::<T>() {
            Ok(values) => {
                assert!(
                    d.ctype().array_len() == Some(values.len()),
                    "to_vec::<{}> of a {} instance gave {} values",
                    T::rust_name(),
                    d.ctype(),
                    values.len()
                );
                let words: Vec<u64> = values.into_iter().map(T::to_word).collect();
                self.check_elements::<T>(d, &words);
            }
            Err(e) => self.error(&e),
        }
    }

    /// Each of the first elements of `d` (that can be read) is `words[i]`
    /// (for pointers, a `char *`/`wchar_t *` rctypes follows reads as the
    /// string: not compared).
    fn check_elements<T: CRepr>(&mut self, d: &CData, words: &[u64]) {
        let size = size_of::<T>();
        let pointers = T::rust_name().starts_with('*');
        for (i, &w) in words.iter().enumerate().take(MAX_COMPARED) {
            match d.get_index(i) {
                Ok(v) if pointers && is_string(&v) => {}
                Ok(v) => assert!(
                    matches_word(&v, w, size),
                    "element {i} of a {} instance reads {v:?}, not the word {w:#x}",
                    d.ctype()
                ),
                // (a wchar_t that is not Unicode)
                Err(e) => self.error(&e),
            }
        }
    }

    /// `iter()`: for an array, `len` items, each what `get_index` gives; for
    /// anything else, one `Err`, then the end for good.
    fn iterate(&mut self, d: &CData) {
        let mut it = d.iter();
        let hint = it.len();
        self.text.clear();
        let _ = write!(self.text, "{it:?}");
        match d.ctype().array_len() {
            None => {
                assert_eq!(hint, 1, "iter() of a {} instance: size hint", d.ctype());
                assert!(
                    matches!(it.next(), Some(Err(_))),
                    "iter() of a {} instance did not start with an Err",
                    d.ctype()
                );
                assert!(it.next().is_none() && it.next().is_none() && it.len() == 0);
            }
            Some(len) => {
                assert_eq!(hint, len, "iter() of a {} instance: size hint", d.ctype());
                for i in 0..len.min(MAX_COMPARED) {
                    let Some(item) = it.next() else {
                        panic!("iter() of a {} instance ended at {i}", d.ctype());
                    };
                    let direct = d.get_index(i);
                    assert!(
                        same_outcome(&item, &direct),
                        "element {i} of a {} instance: iter gave {item:?}, get_index {direct:?}",
                        d.ctype()
                    );
                    if let Ok(v) = item {
                        self.inspect_value(&v);
                    }
                }
                assert_eq!(it.len(), len - len.min(MAX_COMPARED));
                if len <= MAX_COMPARED {
                    assert!(it.next().is_none() && it.next().is_none());
                }
                assert_eq!(d.into_iter().len(), len);
            }
        }
    }

    /// `Debug` of an instance (plain and `{:#?}`), `Display` of its value
    /// with flags: nothing may panic, and the same thing twice reads the same.
    fn format(&mut self, d: &CData, flags: u8) {
        let once = format!("{d:?}");
        assert_eq!(once, format!("{d:?}"), "Debug of a {} instance", d.ctype());
        self.text.clear();
        let _ = write!(self.text, "{d:#?}");
        if let Ok(v) = d.value() {
            self.text.clear();
            let _ = match flags % 6 {
                0 => write!(self.text, "{v}"),
                1 => write!(self.text, "{v:>24}"),
                2 => write!(self.text, "{v:<9.3}"),
                3 => write!(self.text, "{v:^+12.0}"),
                4 => write!(self.text, "{v:#?}"),
                _ => write!(self.text, "{v:08.p$}", p = usize::from(flags / 6)),
            };
        }
    }

    // ------------------------------------------------------------- buffers

    fn sized_string_buffer(&mut self, init: &[u8], size: SizeDef) {
        let n = size.get(init.len());
        if !instantiable(&CType::c_char().array(n)) {
            return;
        }
        match create_string_buffer_sized(init, n) {
            Ok(d) => {
                assert!(
                    init.len() <= n,
                    "a {n}-byte buffer took {} bytes",
                    init.len()
                );
                assert_eq!(d.len(), n);
                let raw = d.raw();
                assert!(
                    raw[..init.len()] == *init && raw[init.len()..].iter().all(|&b| b == 0),
                    "create_string_buffer_sized({init:?}, {n}) holds {raw:?}"
                );
                self.push_new(d);
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    init.len() > n || n.saturating_mul(1) > MAX_BYTES,
                    "create_string_buffer_sized refused {} bytes in {n} ({e})",
                    init.len()
                );
            }
        }
    }

    fn sized_unicode_buffer(&mut self, init: &str, size: SizeDef) {
        let chars = init.chars().count();
        let n = size.get(chars);
        if !instantiable(&CType::c_wchar().array(n)) {
            return;
        }
        let fits = chars <= n && !init.contains('\0');
        match create_unicode_buffer_sized(init, n) {
            Ok(d) => {
                assert!(fits, "a {n}-character buffer took {init:?}");
                assert_eq!(d.len(), n);
                let value = d.value();
                assert!(
                    matches!(&value, Ok(Value::Str(s)) if s == init),
                    "create_unicode_buffer_sized({init:?}, {n}) reads {value:?}"
                );
                let unit = sizeof(&CType::c_wchar());
                assert!(
                    d.to_bytes()[chars * unit..].iter().all(|&b| b == 0),
                    "create_unicode_buffer_sized({init:?}, {n}): not zero after the text"
                );
                self.push_new(d);
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    !fits || n.saturating_mul(4) > MAX_BYTES,
                    "create_unicode_buffer_sized refused {init:?} in {n} ({e})"
                );
            }
        }
    }

    /// `set_raw`: only on a `char` array and no more bytes than it holds;
    /// then those bytes at its start and the rest unchanged; refused, no
    /// change at all.
    fn set_raw(&mut self, d: &CData, raw: &RawDef) {
        let len = d.len();
        let bytes = raw.get(len);
        let before = d.to_bytes();
        let chars = d.ctype().element() == Some(&CType::c_char());
        match d.set_raw(&bytes) {
            Ok(()) => {
                assert!(
                    chars && bytes.len() <= len,
                    "set_raw of {} bytes on a {} instance",
                    bytes.len(),
                    d.ctype()
                );
                let after = d.to_bytes();
                assert!(
                    after[..bytes.len()] == *bytes && after[bytes.len()..] == before[bytes.len()..],
                    "set_raw({bytes:?}) on a {} instance: {before:?} became {after:?}",
                    d.ctype()
                );
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    before == d.to_bytes(),
                    "a refused set_raw changed a {} instance ({e})",
                    d.ctype()
                );
                assert!(
                    !chars || bytes.len() > len,
                    "set_raw refused {} bytes on a {} instance ({e})",
                    bytes.len(),
                    d.ctype()
                );
            }
        }
    }

    // -------------------------------------------------------------- values

    /// A value cloned (once or twice), the original dropped: the clone
    /// shows the same and still works (its instance, callback or string is
    /// its own or shared, never freed with the original).
    fn clone_value(&mut self, def: &ValueDef, twice: bool) {
        let v = self.value(def, u64::MAX);
        let (debug, display) = (format!("{v:?}"), format!("{v}"));
        let mut c = v.clone();
        if twice {
            let again = c.clone();
            drop(std::mem::replace(&mut c, again));
        }
        let list = vec![v.clone(), c.clone(), v];
        let copies = list.clone();
        drop(list);
        assert_eq!(format!("{c:?}"), debug, "a clone's Debug differs");
        assert_eq!(format!("{c}"), display, "a clone's Display differs");
        for x in &copies {
            assert!(same_value(x, &c), "{x:?} and its clone {c:?} differ");
        }
        drop(copies);
        self.inspect_value(&c);
        match &c {
            Value::Data(d) => {
                let _ = d.to_bytes();
            }
            Value::ByRef { target, .. } => {
                let _ = target.to_bytes();
            }
            Value::Callback(cb) => {
                let _ = (cb.address(), cb.prototype().to_string());
            }
            _ => {}
        }
    }

    // ------------------------------------------------------ prepared calls

    fn prepared(&mut self, def: &PreparedDef) {
        const LONGS: [fn() -> CType; 4] = [
            CType::c_long,
            CType::c_longlong,
            CType::c_int64,
            CType::c_ssize_t,
        ];
        const INTS: [fn() -> CType; 2] = [CType::c_int, CType::c_int32];
        let (name, restype, args, mut model) = match &def.decl {
            PreparedDecl::Labs(k) => {
                let ty = LONGS[usize::from(*k) % LONGS.len()]();
                let (lo, hi) = (i64::MIN, i64::MAX);
                (
                    "labs",
                    ty.clone(),
                    vec![ty],
                    Some(ArgModel {
                        lo,
                        hi,
                        current: Some(0),
                        refused: Some(false),
                    }),
                )
            }
            PreparedDecl::Abs(k) => {
                let ty = INTS[usize::from(*k) % INTS.len()]();
                let (lo, hi) = (i64::from(i32::MIN), i64::from(i32::MAX));
                (
                    "abs",
                    ty.clone(),
                    vec![ty],
                    Some(ArgModel {
                        lo,
                        hi,
                        current: Some(0),
                        refused: Some(false),
                    }),
                )
            }
            PreparedDecl::Random(labs, restype, args) => {
                let restype = self.ty(*restype);
                let args: Vec<CType> = args.iter().take(MAX_ITEMS).map(|a| self.ty(*a)).collect();
                // (as for `Op::Prepare`: no types the driver would not allocate)
                if !instantiable(&restype) || !args.iter().all(instantiable) {
                    return;
                }
                (if *labs { "labs" } else { "abs" }, restype, args, None)
            }
        };
        let Some(lib) = this_process() else { return };
        // The instances set_data and call_into are given outlive the call.
        let datas: Vec<CData> = def
            .steps
            .iter()
            .filter_map(|s| match s {
                PreparedStep::Data(_, p) => self.inst(*p),
                PreparedStep::Call(CallHow::Into(p)) => self.inst(*p),
                _ => None,
            })
            .collect();
        let f = match lib.function(name) {
            Ok(f) => f,
            Err(e) => return self.error(&e),
        };
        let arg = args.first().cloned();
        let mut f = f.argtypes(args).restype(restype).use_errno(def.use_errno);
        f = match def.refused {
            Some(true) => f.variadic(),
            Some(false) => f.errcheck(|r, _| Ok(r)),
            None => f,
        };
        let mut call = match f.prepared() {
            Ok(call) => {
                assert!(
                    def.refused.is_none(),
                    "prepared() of a variadic function or one with an errcheck hook"
                );
                call
            }
            Err(e) => {
                self.error(&e);
                assert!(
                    model.is_none() || def.refused.is_some(),
                    "prepared() refused {name}'s exact declaration: {e}"
                );
                return;
            }
        };
        let mut datas = datas.iter();
        for step in &def.steps {
            match step {
                PreparedStep::I64(i, v) => {
                    let v = v.get();
                    call.set_i64(i.0, v);
                    if let Some(m) = &mut model {
                        m.int(i.0, i128::from(v));
                    }
                }
                PreparedStep::U64(i, v) => {
                    let v = v.get();
                    call.set_u64(i.0, v);
                    if let Some(m) = &mut model {
                        m.int(i.0, i128::from(v));
                    }
                }
                PreparedStep::F64(i, x) => {
                    call.set_f64(i.0, x.get());
                    if let Some(m) = &mut model {
                        m.refuse();
                    }
                }
                PreparedStep::Address(i, a) => {
                    let addr = self.address(*a);
                    call.set_address(i.0, addr);
                    if let Some(m) = &mut model {
                        m.refuse();
                    }
                }
                PreparedStep::Value(i, def) => {
                    let v = self.value(def, u64::MAX);
                    if let Some(m) = &mut model {
                        match &v {
                            Value::Int(x) => m.int(i.0, i128::from(*x)),
                            Value::UInt(x) => m.int(i.0, i128::from(*x)),
                            Value::Bool(b) => m.int(i.0, i128::from(*b)),
                            Value::Data(_) if i.0 == 0 => m.unknown(),
                            _ => m.refuse(),
                        }
                    }
                    call.set(i.0, v);
                }
                PreparedStep::Data(i, _) => {
                    let Some(d) = datas.next() else { continue };
                    if let Some(m) = &mut model {
                        match d.value() {
                            Ok(v) if i.0 == 0 && Some(d.ctype()) == arg.as_ref() => {
                                m.int(0, i128::from(v.as_i64().unwrap_or_default()));
                            }
                            _ if i.0 == 0 => m.unknown(),
                            _ => m.refuse(),
                        }
                    }
                    call.set_data(i.0, d);
                }
                PreparedStep::Call(how) => {
                    let out = match how {
                        CallHow::Into(_) => match datas.next() {
                            Some(d) => Some(d),
                            None => continue,
                        },
                        _ => None,
                    };
                    // Random declarations are never called.
                    let Some(m) = &mut model else { continue };
                    // SAFETY: the declaration is exactly labs(long) -> long
                    // or abs(int) -> int (types equal to those), the real
                    // signatures; the function reads its one integer
                    // argument (whatever word a setter left there is an
                    // integer) and dereferences nothing.
                    let r = unsafe {
                        match (how, out) {
                            (CallHow::Unit, _) => call.call().map(|()| None),
                            (CallHow::I64, _) => call.call_i64().map(Some),
                            (CallHow::F64, _) => call.call_f64().map(|_| None),
                            (CallHow::Address, _) => call.call_address().map(|a| Some(a as i64)),
                            (CallHow::Into(_), Some(out)) => call.call_into(out).map(|()| None),
                            (CallHow::Into(_), None) => continue,
                        }
                    };
                    match (how, &r) {
                        // refused before the call, the pending refusal kept
                        (CallHow::Into(_), Err(_)) => {}
                        (CallHow::Into(_), Ok(_)) => {
                            panic!("call_into accepted an out instance for {name}")
                        }
                        (CallHow::F64, Ok(_)) => panic!("call_f64 of {name} gave a float"),
                        (CallHow::F64, Err(_)) => m.refused = Some(false),
                        (_, Ok(got)) => {
                            assert!(
                                m.refused != Some(true),
                                "a prepared {name} call ran after a refused setter"
                            );
                            if let (Some(got), Some(want)) = (got, m.expected()) {
                                assert_eq!(
                                    *got, want,
                                    "prepared {name}({:?}) returned {got}",
                                    m.current
                                );
                            }
                            m.refused = Some(false);
                        }
                        (_, Err(e)) => {
                            assert!(
                                m.refused != Some(false),
                                "a prepared {name} call was refused without a refused setter: {e}"
                            );
                            m.refused = Some(false);
                        }
                    }
                    if let Err(e) = r {
                        self.error(&e);
                    }
                }
            }
        }
    }

    /// The address an [`Address`] stands for.
    fn address(&self, a: Address) -> usize {
        match a {
            Address::Zero => 0,
            Address::Small(k) => usize::from(k),
            Address::Instance(p, off) => self
                .inst(p)
                .map_or(0, |d| d.address().wrapping_add(usize::from(off))),
            Address::Max => usize::MAX,
            Address::Raw(n) => n,
        }
    }
}
