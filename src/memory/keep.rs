//! Keep-alive (ctypes' `_objects`): what a pointer stored in an instance's
//! memory points into, held so that it outlives the pointer; and the rule
//! for which stored `char *` / `wchar_t *` may be followed.

use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;

use super::CData;
use crate::callback::Callback;
use crate::conv::{Referent, Sink, WideUnit};

/// What a stored pointer points into, which must stay alive as long as the
/// pointer is in use (ctypes' `_objects`).
///
/// Cloning shares what is kept, never copies it: a clone travels with a copy
/// of the pointer (a structure copied into another), and both copies point
/// at the same buffer.
#[derive(Clone, Default)]
pub(crate) enum Keep {
    /// Nothing: the value is plain data, or the pointer is the caller's business.
    #[default]
    None,
    /// A NUL-terminated byte string made from a `Bytes` or `Str` value.
    Bytes(Rc<[u8]>),
    /// A NUL-terminated wide string made from a `Str` value.
    Wide(Rc<[WideUnit]>),
    /// An instance whose address was stored; held only so that it outlives
    /// the pointer.
    Data(CData),
    /// A callback whose code address was stored; held so that the code
    /// outlives the function pointer.
    Callback(Callback),
}

/// The sink of a store into memory: a string is copied into a buffer that
/// the memory keeps; an instance or callback a pointer refers to is kept.
#[derive(Default)]
pub(crate) struct StoreSink {
    keep: Keep,
}

impl StoreSink {
    /// What the stored pointer keeps alive.
    pub(crate) fn into_keep(self) -> Keep {
        self.keep
    }
}

impl Sink for StoreSink {
    fn bytes(&mut self, bytes: &[u8]) -> usize {
        let copy: Rc<[u8]> = bytes.iter().copied().chain(std::iter::once(0)).collect();
        let addr = copy.as_ptr() as usize;
        self.keep = Keep::Bytes(copy);
        addr
    }

    fn wide(&mut self, units: &mut dyn Iterator<Item = WideUnit>, _len: usize) -> usize {
        let copy: Rc<[WideUnit]> = units.chain(std::iter::once(0)).collect();
        let addr = copy.as_ptr() as usize;
        self.keep = Keep::Wide(copy);
        addr
    }

    fn refers(&mut self, target: Referent<'_>) {
        self.keep = match target {
            Referent::Data(d) => Keep::Data(d.clone()),
            Referent::Callback(cb) => Keep::Callback(cb.clone()),
            Referent::KeptBy(d) => d.kept_by_self().unwrap_or_default(),
        };
    }
}

/// The kind of a string buffer rctypes made: what it may be followed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BufferKind {
    /// `char` units, for a `char *`.
    Bytes,
    /// `wchar_t` units, for a `wchar_t *`.
    Wide,
}

impl Keep {
    /// The start and kind of the kept buffer, when it is one rctypes made.
    pub(crate) fn buffer(&self) -> Option<(usize, BufferKind)> {
        match self {
            Keep::Bytes(b) => Some((b.as_ptr() as usize, BufferKind::Bytes)),
            Keep::Wide(w) => Some((w.as_ptr() as usize, BufferKind::Wide)),
            _ => None,
        }
    }

    /// Whether something besides this handle keeps the target alive: after
    /// the value this was taken from is dropped, a target only this handle
    /// holds would be freed with it.
    pub(crate) fn is_shared(&self) -> bool {
        match self {
            Keep::None => true,
            Keep::Bytes(b) => Rc::strong_count(b) > 1,
            Keep::Wide(w) => Rc::strong_count(w) > 1,
            Keep::Data(d) => d.memory_handles() > 1,
            Keep::Callback(cb) => cb.handles() > 1,
        }
    }
}

/// What one block of memory keeps alive, by the offset where each pointer
/// is stored, with an index of the string buffers among them so that a
/// stored address can be checked in logarithmic time.
#[derive(Default)]
pub(crate) struct KeepMap {
    by_offset: BTreeMap<usize, Keep>,
    /// Each kept string buffer's start address, its kind, and at how many
    /// offsets it is kept (a structure copied within its own block keeps a
    /// buffer twice).
    buffers: BTreeMap<usize, (BufferKind, usize)>,
}

impl KeepMap {
    /// Keeps `keep` for the pointer at `offset`, replacing what was kept
    /// there; `Keep::None` just forgets it.
    pub(crate) fn insert(&mut self, offset: usize, keep: Keep) {
        if let Some(old) = self.by_offset.remove(&offset) {
            self.forget_buffer(&old);
        }
        if matches!(keep, Keep::None) {
            return;
        }
        if let Some((addr, kind)) = keep.buffer() {
            let entry = self.buffers.entry(addr).or_insert((kind, 0));
            entry.1 = entry.1.saturating_add(1);
        }
        self.by_offset.insert(offset, keep);
    }

    fn forget_buffer(&mut self, old: &Keep) {
        if let Some((addr, _)) = old.buffer()
            && let Some(entry) = self.buffers.get_mut(&addr)
        {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                self.buffers.remove(&addr);
            }
        }
    }

    /// What the pointer at `offset` keeps.
    pub(crate) fn get(&self, offset: usize) -> Option<&Keep> {
        self.by_offset.get(&offset)
    }

    /// Clones of what the pointers stored in `range` keep, with their offsets.
    pub(crate) fn range(&self, range: Range<usize>) -> Vec<(usize, Keep)> {
        if self.by_offset.is_empty() || range.is_empty() {
            return Vec::new();
        }
        self.by_offset
            .range(range)
            .map(|(off, k)| (*off, k.clone()))
            .collect()
    }

    /// Forgets what the pointers stored in `range` kept.
    pub(crate) fn remove_range(&mut self, range: Range<usize>) {
        if self.by_offset.is_empty() || range.is_empty() {
            return;
        }
        let offsets: Vec<usize> = self.by_offset.range(range).map(|(off, _)| *off).collect();
        for off in offsets {
            self.insert(off, Keep::None);
        }
    }

    /// Takes everything out.
    pub(crate) fn drain(&mut self) -> Vec<(usize, Keep)> {
        self.buffers.clear();
        std::mem::take(&mut self.by_offset).into_iter().collect()
    }

    /// Whether `addr` is the start of a kept buffer of `kind`.
    pub(crate) fn keeps_buffer(&self, addr: usize, kind: BufferKind) -> bool {
        self.buffers.get(&addr).is_some_and(|(k, _)| *k == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_indexed_by_address_and_kind_with_counts() {
        let bytes: Rc<[u8]> = Rc::from(&b"abc\0"[..]);
        let wide: Rc<[WideUnit]> = Rc::from(&[97, 0][..]);
        let (b, w) = (bytes.as_ptr() as usize, wide.as_ptr() as usize);
        let mut map = KeepMap::default();
        map.insert(0, Keep::Bytes(Rc::clone(&bytes)));
        map.insert(8, Keep::Bytes(Rc::clone(&bytes)));
        map.insert(16, Keep::Wide(Rc::clone(&wide)));
        assert!(map.keeps_buffer(b, BufferKind::Bytes));
        assert!(!map.keeps_buffer(b, BufferKind::Wide));
        assert!(map.keeps_buffer(w, BufferKind::Wide));
        assert!(
            !map.keeps_buffer(b + 1, BufferKind::Bytes),
            "only the start"
        );
        map.insert(0, Keep::None);
        assert!(map.keeps_buffer(b, BufferKind::Bytes), "still kept at 8");
        map.remove_range(4..12);
        assert!(!map.keeps_buffer(b, BufferKind::Bytes));
        assert_eq!(Rc::strong_count(&bytes), 1);
        assert_eq!(map.range(0..100).len(), 1);
        assert_eq!(map.drain().len(), 1);
        assert!(map.range(0..100).is_empty() && !map.keeps_buffer(w, BufferKind::Wide));
    }
}
