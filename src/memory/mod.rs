//! C instances: typed views of memory that rctypes owns or that C owns.

mod access;
pub(crate) mod buffers;
mod debug;
pub(crate) mod keep;
pub(crate) mod longdouble;
mod pointer;
pub(crate) mod raw;

use std::alloc::{self, Layout};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::ptr::NonNull;
use std::rc::Rc;

use crate::ctype::CType;
use crate::error::{Error, Result};
use crate::library::CDll;
use crate::value::Value;
pub use access::Elements;
use keep::{BufferKind, Keep, KeepMap};

/// A C instance: a value of some [`CType`] living in memory, like a ctypes
/// instance (`c_int(42)`, `Point()`, `(c_int * 4)()`, `POINTER(c_int)()`).
///
/// Instances made by rctypes ([`CData::new`], [`CData::with_value`], call
/// results) own zero-initialised memory aligned for their type. Instances made
/// over foreign memory ([`CData::from_address`], [`CDll::variable`]) view C's
/// memory and keep their library loaded.
///
/// Cloning a `CData` is cheap and makes another handle to the *same* memory,
/// as assigning a ctypes object to a second name does. Use
/// [`to_bytes`](CData::to_bytes) and [`from_bytes`](CData::from_bytes) for a copy.
///
/// # Thread safety
///
/// `CData` is neither `Send` nor `Sync`: its memory is read and written
/// through shared handles without locks, so it stays on the thread that made
/// it (Python's ctypes relies on the GIL for the same reason). To move data to
/// another thread, send its bytes and rebuild it there. The C code you call
/// may of course use the memory from any thread; that is part of the contract
/// of the `unsafe` call.
///
/// ```
/// use rctypes::{CData, CType};
/// let n = CData::with_value(&CType::c_int(), 42).unwrap();
/// n.set_value(100).unwrap();
/// assert_eq!(n.value().unwrap().as_i64().unwrap(), 100);
/// assert!(n.set_value(1i64 << 40).is_err()); // does not fit in a c_int
/// ```
#[derive(Clone)]
pub struct CData {
    ty: CType,
    mem: Rc<Memory>,
    /// Where this instance starts inside `mem` (non-zero for views).
    offset: usize,
}

/// Instances up to this size (and alignment) keep their bytes inside the
/// `Memory` itself: one allocation instead of two.
const INLINE_SIZE: usize = 32;

/// The inline bytes of a small instance.
#[repr(C, align(16))]
struct Inline([u8; INLINE_SIZE]);

/// Where a block's bytes are. (A plain tag, tested on every access: a
/// layout inside it would make each test decode a niche.)
#[derive(Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// Allocated by rctypes with [`Memory::layout`], freed on drop.
    Heap,
    /// In [`Memory::inline`].
    Inline,
    /// Foreign memory an unsafe constructor's caller vouched for.
    Foreign,
}

/// A block of memory and what it holds on to.
pub(crate) struct Memory {
    /// The first byte, for heap and foreign storage (unused for inline
    /// storage, whose first byte is [`Memory::inline`]'s; see [`Memory::base`]).
    base: NonNull<u8>,
    /// Bytes valid from the first byte.
    len: usize,
    storage: Storage,
    /// The allocation's layout, for heap storage.
    layout: Layout,
    /// The bytes of a small owned instance. In an `UnsafeCell` because
    /// instances write through shared handles.
    inline: UnsafeCell<Inline>,
    /// Foreign memory whose caller promised that its `char *` / `wchar_t *`
    /// hold readable strings (see `from_address`). Owned memory is never
    /// trusted: only pointers rctypes stored itself are followed there.
    trusted: bool,
    /// ctypes' `_objects`, allocated the first time something is kept
    /// (plain data never pays for it, nor for dropping it).
    keeps: RefCell<Option<Box<Keeps>>>,
    /// Whether `keeps` was ever made (a plain write then skips the table).
    has_keeps: Cell<bool>,
    /// Keeps foreign memory's owner (its library) alive.
    _owner: Option<CDll>,
}

/// What a block keeps alive.
#[derive(Default)]
struct Keeps {
    /// For each offset where a pointer was stored, what it points into.
    /// Replaced when that pointer is overwritten. Never holds this block
    /// itself: a pointer into its own block keeps nothing (a node pointing
    /// at itself would otherwise never be freed).
    local: KeepMap,
    /// What pointers in this memory stored into foreign memory they point at
    /// (`write` through a pointer), keyed by the address written: ctypes
    /// keeps these on the pointer too.
    remote: KeepMap,
}

impl Drop for Memory {
    fn drop(&mut self) {
        if self.storage == Storage::Heap {
            // SAFETY: `base` came from `alloc(layout)` or
            // `alloc_zeroed(layout)` in `Memory::owned_raw` and is freed only
            // here, once.
            unsafe { alloc::dealloc(self.base.as_ptr(), self.layout) };
        }
    }
}

impl Memory {
    /// The block's first byte.
    #[inline(always)]
    fn base(&self) -> *mut u8 {
        match self.storage {
            Storage::Inline => self.inline.get().cast(),
            _ => self.base.as_ptr(),
        }
    }

    /// A block with nothing kept.
    fn new(
        base: NonNull<u8>,
        len: usize,
        storage: Storage,
        layout: Layout,
        owner: Option<CDll>,
    ) -> Memory {
        Memory {
            base,
            len,
            layout,
            trusted: matches!(storage, Storage::Foreign),
            storage,
            inline: UnsafeCell::new(Inline([0; INLINE_SIZE])),
            keeps: RefCell::new(None),
            has_keeps: Cell::new(false),
            _owner: owner,
        }
    }

    /// Zeroed memory for `size` bytes at `align`.
    fn owned(size: usize, align: usize) -> Result<Memory> {
        // SAFETY: zeroed memory is initialised.
        unsafe { Memory::owned_raw(size, align, true) }
    }

    /// Memory for `size` bytes at `align`, zeroed when `zeroed` (inline
    /// memory always is).
    ///
    /// # Safety
    /// Unless `zeroed`, the caller writes every byte before anything reads
    /// one (the memory is freed without being read).
    unsafe fn owned_raw(size: usize, align: usize, zeroed: bool) -> Result<Memory> {
        if size <= INLINE_SIZE && align <= align_of::<Inline>() {
            return Ok(Memory::new(
                NonNull::dangling(),
                size,
                Storage::Inline,
                Layout::new::<u8>(),
                None,
            ));
        }
        let layout =
            Layout::from_size_align(size.max(1), align).map_err(|e| Error::Unsupported {
                operation: "allocating an instance".into(),
                type_name: format!("{size} bytes aligned to {align}").into(),
                reason: e.to_string().into(),
            })?;
        // SAFETY: `layout` has a non-zero size.
        let p = unsafe {
            if zeroed {
                alloc::alloc_zeroed(layout)
            } else {
                alloc::alloc(layout)
            }
        };
        // An instance's size comes from the user's type, so running out of
        // memory is an error to report, not a reason to abort the process.
        let base = NonNull::new(p).ok_or_else(|| Error::Unsupported {
            operation: "allocating an instance".into(),
            type_name: format!("{size} bytes aligned to {align}").into(),
            reason: "out of memory".into(),
        })?;
        Ok(Memory::new(base, size, Storage::Heap, layout, None))
    }
}

impl CData {
    /// A zero-initialised instance of `ty` (ctypes `T()`).
    ///
    /// # Panics
    /// When `ty` cannot be instantiated: `void`, an incomplete structure, or an
    /// array too large for memory (as `Vec` panics on a capacity overflow).
    /// [`CData::try_new`] reports these as errors.
    pub fn new(ty: &CType) -> CData {
        match CData::try_new(ty) {
            Ok(d) => d,
            Err(e) => panic!("CData::new: {e}"),
        }
    }

    /// A zero-initialised instance of `ty`, or an error when `ty` has no
    /// size (`void`, an incomplete structure), is too large to describe, or
    /// cannot be allocated.
    ///
    /// # Errors
    /// [`Error::Unsupported`] or [`Error::Definition`] as above.
    pub fn try_new(ty: &CType) -> Result<CData> {
        if ty.is_void() {
            return Err(Error::Unsupported {
                operation: "creating an instance".into(),
                type_name: ty.to_string().into(),
                reason: "void has no values".into(),
            });
        }
        let size = ty.layout_size()?;
        Ok(CData {
            ty: ty.clone(),
            mem: Rc::new(Memory::owned(size, ty.align())?),
            offset: 0,
        })
    }

    /// An instance of `ty` whose bytes are not initialised (inline ones are
    /// zero), for a caller that writes all of them.
    ///
    /// # Safety
    /// The caller writes every byte of the instance before it is read or
    /// handed out (dropping it unread is fine).
    pub(crate) unsafe fn try_new_unfilled(ty: &CType) -> Result<CData> {
        let size = ty.layout_size()?;
        Ok(CData {
            ty: ty.clone(),
            // SAFETY: forwarded from the caller.
            mem: Rc::new(unsafe { Memory::owned_raw(size, ty.align(), false) }?),
            offset: 0,
        })
    }

    /// An instance of `ty` holding `value` (ctypes `c_int(42)`).
    ///
    /// # Errors
    /// As [`CData::set_value`]: the value must fit the type.
    pub fn with_value(ty: &CType, value: impl Into<Value>) -> Result<CData> {
        let d = CData::try_new(ty)?;
        d.set_value(value)?;
        Ok(d)
    }

    /// A view of C memory at `address` as an instance of `ty`
    /// (ctypes `T.from_address(addr)`). Nothing is copied: reads and writes go
    /// to that memory.
    ///
    /// # Safety
    /// For as long as the returned instance (or any view or value derived from
    /// it) is used, `address` must be valid for reads and writes of
    /// `sizeof(ty)` bytes, and any `char *` or `wchar_t *` stored there must be
    /// NULL or point to a readable NUL-terminated string (they are followed
    /// when read). The memory must not be freed meanwhile.
    pub unsafe fn from_address(ty: &CType, address: usize) -> CData {
        // SAFETY: forwarded from the caller.
        unsafe { CData::foreign(ty, address, None) }
    }

    /// A view of foreign memory kept alive by `owner`.
    ///
    /// # Safety
    /// As [`CData::from_address`].
    pub(crate) unsafe fn foreign(ty: &CType, address: usize, owner: Option<CDll>) -> CData {
        let base = NonNull::new(address as *mut u8).unwrap_or(NonNull::dangling());
        CData {
            ty: ty.clone(),
            mem: Rc::new(Memory::new(
                base,
                if address == 0 { 0 } else { ty.size() },
                Storage::Foreign,
                Layout::new::<u8>(),
                owner,
            )),
            offset: 0,
        }
    }

    /// The instance's C type.
    pub fn ctype(&self) -> &CType {
        &self.ty
    }

    /// The address of the instance's first byte (ctypes `addressof(obj)`).
    pub fn address(&self) -> usize {
        self.mem.base() as usize + self.offset
    }

    /// A raw pointer to the first byte; valid for `self.ty.size()` bytes.
    pub(crate) fn ptr(&self) -> *mut u8 {
        // `offset` lies within the allocation by construction of every view.
        self.mem.base().wrapping_add(self.offset)
    }

    /// A view of `ty` at byte `offset` of the same memory (a field or an
    /// element). The caller guarantees the view lies inside this instance.
    pub(crate) fn view(&self, ty: &CType, offset: usize) -> CData {
        CData {
            ty: ty.clone(),
            mem: Rc::clone(&self.mem),
            offset,
        }
    }

    /// The memory's first byte plus `offset`.
    pub(crate) fn at_offset(&self, offset: usize) -> *mut u8 {
        self.mem.base().wrapping_add(offset)
    }

    /// Whether the instance's memory is rctypes' own (not foreign).
    pub(crate) fn is_owned(&self) -> bool {
        !matches!(self.mem.storage, Storage::Foreign)
    }

    /// Whether two handles are the same instance (same memory, same type).
    pub(crate) fn same_instance(&self, other: &CData) -> bool {
        Rc::ptr_eq(&self.mem, &other.mem) && self.offset == other.offset && self.ty == other.ty
    }

    /// Checks that the instance's memory is really there (foreign memory at
    /// address 0 is not).
    #[inline(always)]
    pub(crate) fn check_readable(&self, what: &str) -> Result<()> {
        // Owned memory always holds every view made of it.
        if self.is_owned() || self.mem.len >= self.offset.saturating_add(self.ty.size()) {
            return Ok(());
        }
        Err(self.unreadable(what))
    }

    #[cold]
    #[inline(never)]
    fn unreadable(&self, what: &str) -> Error {
        Error::NullPointer {
            what: format!("{what} of a {} instance at address 0", self.ty).into(),
        }
    }

    /// The value of a pointer-typed instance (`void *`, `char *`,
    /// `POINTER(T)`, function pointers): the address it holds.
    pub(crate) fn pointer_value(&self) -> Option<usize> {
        if !self.ty.holds_address() || self.check_readable("reading").is_err() {
            return None;
        }
        let mut bytes = [0u8; std::mem::size_of::<usize>()];
        // SAFETY: the instance is a pointer type, so its memory holds at least
        // a pointer's bytes, and `check_readable` confirmed the memory exists.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(), bytes.as_mut_ptr(), bytes.len()) };
        Some(usize::from_ne_bytes(bytes))
    }

    /// How many handles share this instance's memory block (views and
    /// clones included).
    pub(crate) fn memory_handles(&self) -> usize {
        Rc::strong_count(&self.mem)
    }

    /// `keep` without what points into this instance's own block: a
    /// pointer into the block that holds it must not keep that block alive.
    fn without_self(&self, keep: Keep) -> Keep {
        match keep {
            Keep::Data(d) if Rc::ptr_eq(&d.mem, &self.mem) => Keep::None,
            other => other,
        }
    }

    /// The address this instance stands for where C expects a pointer: the
    /// address a pointer instance holds, or the instance's own address for
    /// anything else (an array decays to its first element, as in C).
    pub(crate) fn as_pointer(&self) -> usize {
        self.pointer_value().unwrap_or_else(|| self.address())
    }

    /// Runs `f` over this block's keep-alive table, when it has one.
    #[inline]
    fn with_keeps<R>(&self, f: impl FnOnce(&Keeps) -> R) -> Option<R> {
        self.mem.keeps.borrow().as_deref().map(f)
    }

    /// Runs `f` over this block's keep-alive table, made on first use.
    fn with_keeps_mut<R>(&self, f: impl FnOnce(&mut Keeps) -> R) -> R {
        let mut keeps = self.mem.keeps.borrow_mut();
        self.mem.has_keeps.set(true);
        f(keeps.get_or_insert_with(Box::default))
    }

    /// Clones of what the pointers stored inside this instance keep alive.
    pub(crate) fn keeps_within(&self) -> Vec<Keep> {
        let range = self.offset..self.offset.saturating_add(self.ty.size());
        self.with_keeps(|k| k.local.range(range))
            .unwrap_or_default()
            .into_iter()
            .map(|(_, k)| k)
            .collect()
    }

    /// Records (or replaces) what the pointer stored at `offset` (from the
    /// memory's start) keeps alive.
    #[inline]
    pub(crate) fn store_keep(&self, offset: usize, keep: Keep) {
        if matches!(keep, Keep::None) {
            self.clear_keep(offset);
            return;
        }
        let keep = self.without_self(keep);
        self.with_keeps_mut(|k| k.local.insert(offset, keep));
    }

    /// Forgets what the pointer that was stored at `offset` kept alive (plain
    /// data was written over it).
    #[inline]
    pub(crate) fn clear_keep(&self, offset: usize) {
        if !self.mem.has_keeps.get() {
            return;
        }
        if let Some(keeps) = self.mem.keeps.borrow_mut().as_deref_mut() {
            keeps.local.insert(offset, Keep::None);
        }
    }

    /// Moves everything this instance's memory keeps alive into `holder`'s
    /// memory, keyed by absolute address (for stores through a pointer into
    /// foreign memory, whose temporary view would otherwise drop them).
    pub(crate) fn hand_keeps_to(&self, holder: &CData) {
        let moved = match self.mem.keeps.borrow_mut().as_deref_mut() {
            Some(k) => k.local.drain(),
            None => return,
        };
        if moved.is_empty() {
            return;
        }
        let base = self.mem.base() as usize;
        holder.with_keeps_mut(|remote| {
            for (off, k) in moved {
                // the address lies inside this block, so the sum fits
                remote
                    .remote
                    .insert(base.wrapping_add(off), holder.without_self(k));
            }
        });
    }

    /// What this pointer instance keeps alive (what a copy of it must keep).
    pub(crate) fn kept_by_self(&self) -> Option<Keep> {
        self.keep_at(self.offset)
    }

    /// What the pointer stored at `offset` keeps alive, if anything.
    pub(crate) fn keep_at(&self, offset: usize) -> Option<Keep> {
        self.with_keeps(|k| k.local.get(offset).cloned()).flatten()
    }

    /// Copies `size` bytes from `src` to `dst_offset` of this memory, with
    /// everything `src` keeps alive in that range (ctypes copies `_objects`
    /// along with the bytes); what the overwritten range kept is released.
    pub(crate) fn copy_from(&self, dst_offset: usize, src: &CData, size: usize) {
        let moved = src
            .with_keeps(|k| k.local.range(src.offset..src.offset.saturating_add(size)))
            .unwrap_or_default();
        // SAFETY: both ranges lie inside their instances' memory (the callers
        // checked readability and that the types match in size); `copy`
        // tolerates overlap.
        unsafe { std::ptr::copy(src.ptr(), self.at_offset(dst_offset), size) };
        let range = dst_offset..dst_offset.saturating_add(size);
        if moved.is_empty() {
            if let Some(keeps) = self.mem.keeps.borrow_mut().as_deref_mut() {
                keeps.local.remove_range(range);
            }
            return;
        }
        self.with_keeps_mut(|kept| {
            kept.local.remove_range(range);
            for (off, k) in moved {
                // `off` lies in `src.offset..src.offset + size`
                kept.local
                    .insert(off - src.offset + dst_offset, self.without_self(k));
            }
        });
    }

    /// Whether the `char *` (`kind` Bytes) or `wchar_t *` (Wide) `stored` in
    /// this instance's memory may be followed: in trusted foreign memory
    /// always; in owned memory only when it is the start of a string buffer
    /// of that kind that this block keeps alive (wherever in the block C
    /// moved the pointer).
    pub(crate) fn may_follow(&self, stored: usize, kind: BufferKind) -> bool {
        self.mem.trusted
            || self
                .with_keeps(|k| k.local.keeps_buffer(stored, kind))
                .unwrap_or(false)
    }

    /// A view of `ty` at absolute address `addr`, which lies inside this
    /// instance's memory block (see [`contains`](CData::contains)).
    pub(crate) fn view_at_address(&self, ty: &CType, addr: usize) -> CData {
        let base = self.mem.base() as usize;
        self.view(ty, addr.saturating_sub(base))
    }

    /// Whether `len` bytes at `addr` lie inside this instance's memory.
    pub(crate) fn contains(&self, addr: usize, len: usize) -> bool {
        let base = self.mem.base() as usize;
        addr >= base
            && addr
                .checked_add(len)
                .is_some_and(|end| end <= base.saturating_add(self.mem.len))
    }

    /// A copy of the instance's bytes (ctypes `bytes(obj)`).
    ///
    /// An instance over foreign address 0 gives no bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.check_readable("reading").is_err() {
            return Vec::new();
        }
        let mut out = vec![0u8; self.ty.size()];
        // SAFETY: the instance's memory holds `size` readable bytes (checked).
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(), out.as_mut_ptr(), out.len()) };
        out
    }

    /// A new instance of `ty` holding a copy of `bytes` (ctypes
    /// `T.from_buffer_copy(bytes)`). Extra bytes are ignored, as in ctypes.
    ///
    /// # Errors
    /// [`Error::Conversion`] when `bytes` is shorter than `sizeof(ty)`.
    pub fn from_bytes(ty: &CType, bytes: &[u8]) -> Result<CData> {
        let d = CData::try_new(ty)?;
        let size = ty.size();
        if bytes.len() < size {
            return Err(Error::Conversion {
                expected: ty.to_string().into(),
                given: format!("{} bytes", bytes.len()).into(),
                reason: format!("a buffer of at least {size} bytes is needed").into(),
            });
        }
        // SAFETY: `d` owns `size` fresh bytes; `bytes` has at least `size`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), d.ptr(), size) };
        Ok(d)
    }
}

impl AsRef<CType> for CData {
    fn as_ref(&self) -> &CType {
        &self.ty
    }
}
