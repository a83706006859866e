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
//!   is a multiple of its alignment (a power of two).
//!
//! The only `unsafe` calls are `contents`/`read`/`write`, and only through
//! pointers whose target the driver can vouch for (see [`DerefSource`]):
//! the crate's contract makes those sound, so anything they do wrong is a
//! finding too. No foreign function is ever called: random signatures are
//! only declared on libc's `abs` and `prepare()`d.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use rctypes::{
    CData, CDll, CType, Callback, Layout, RecordBuilder, Value, alignment, byref, byref_at,
    create_string_buffer, create_unicode_buffer, find_library, sizeof,
};

use super::recipe::{
    Address, BufferDef, BytesSource, CastTarget, DerefAction, DerefSource, FieldSel, FieldType,
    Fund, Op, Order, Pick, Program, RecordDef, TrustSource, TypeDef, TypeRef, ValueDef,
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
                    match CData::from_values(&ty, values) {
                        Ok(d) => self.push_new(d),
                        Err(e) => self.error(&e),
                    }
                }
            }
            Op::FromBytes(t, source) => self.make_from_bytes(*t, source),
            Op::StringBuffer(def) => self.buffer(def, false),
            Op::UnicodeBuffer(def) => self.buffer(def, true),
            Op::Value(p) => {
                if let Some((d, block)) = self.inst_block(*p) {
                    if let Some(v) = self.outcome(d.value()) {
                        self.push_value(&v, block);
                    }
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
                if let Some((d, block)) = self.inst_block(*p) {
                    if let Some(v) = self.outcome(d.get_index(index.get(d.len()))) {
                        self.push_value(&v, block);
                    }
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
                if let Some((target, target_block)) = self.inst_block(*p) {
                    if self.trusted.len() < MAX_TRUSTED {
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
            if let (true, Some(this)) = (self.avoid.type_cycles, this) {
                if holds_strongly(&ty, this, 16) {
                    continue;
                }
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
            ValueDef::Pointer(a) => Value::Pointer(match *a {
                Address::Zero => 0,
                Address::Small(k) => usize::from(k),
                Address::Instance(p, off) => self
                    .inst(p)
                    .map_or(0, |d| d.address().wrapping_add(usize::from(off))),
                Address::Max => usize::MAX,
                Address::Raw(n) => n,
            }),
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
        let nth = |ty: &CType, i: u8| -> Option<rctypes::Field> {
            let fields = ty.fields()?;
            if fields.is_empty() {
                return None;
            }
            Some(fields[usize::from(i) % fields.len()].clone())
        };
        match sel {
            FieldSel::Declared(i) => nth(d.ctype(), *i).map(|f| f.name).unwrap_or_default(),
            FieldSel::Nested(i, j) => nth(d.ctype(), *i)
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
                if let Some(v) = self.outcome(r) {
                    if at.keep_results {
                        self.push_value(&v, at.block);
                    }
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
