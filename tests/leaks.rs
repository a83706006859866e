//! Nothing an instance keeps alive outlives it, unless a cycle between
//! instances holds it: a counting allocator measures the bytes this thread
//! still holds after instances are dropped.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rctypes::{CData, CType, Value};

struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|c| c.set(c.get() + n));
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn node_type() -> CType {
    let node = CType::structure("Node").declare();
    node.define(|s| {
        s.field("value", CType::c_int())
            .field("next", node.pointer())
    })
    .unwrap();
    node
}

/// ctypes' `n.next = pointer(n)`: the pointer into the node's own memory
/// must not keep that memory alive (it leaked 160 bytes a node before).
#[test]
fn a_node_pointing_at_itself_is_freed() {
    let node = node_type();
    let make = |value: i32| {
        let n = CData::new(&node);
        n.set("value", value).unwrap();
        n.set("next", &n).unwrap();
        // it still reads back as the node itself
        let next = n.get("next").unwrap().into_data().unwrap();
        // SAFETY: next points at n, which is alive.
        let again = unsafe { next.contents() }.unwrap();
        assert_eq!(again.get("value").unwrap(), Value::Int(value.into()));
        assert_eq!(again.address(), n.address());
    };
    make(0); // warm up lazily initialised statics
    let before = live();
    for i in 0..100 {
        make(i);
    }
    assert_eq!(
        live() - before,
        0,
        "bytes still held after 100 self-pointing nodes"
    );

    // A pointer to a field of the same instance keeps nothing either.
    let holder = CType::structure("Holder")
        .field("n", CType::c_int())
        .field("p", CType::c_int().pointer())
        .build()
        .unwrap();
    let before = live();
    for _ in 0..100 {
        let h = CData::new(&holder);
        h.set("p", h.field("n").unwrap()).unwrap();
        h.set("n", 5).unwrap();
        let p = h.get("p").unwrap().into_data().unwrap();
        // SAFETY: p points at h.n, which is alive.
        assert_eq!(unsafe { p.read(0) }.unwrap(), Value::Int(5));
    }
    assert_eq!(live() - before, 0);
}

/// A cycle across two instances is the documented exception: it stays
/// alive until one of its pointers is overwritten (docs/SAFETY.md).
#[test]
fn a_cycle_across_instances_is_broken_by_clearing_a_pointer() {
    let node = node_type();
    let before = live();
    for _ in 0..10 {
        let a = CData::new(&node);
        let b = CData::new(&node);
        a.set("next", &b).unwrap();
        b.set("next", &a).unwrap();
        // break the cycle, as SAFETY.md says
        a.set("next", Value::Null).unwrap();
    }
    assert_eq!(live() - before, 0);
}
