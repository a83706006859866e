//! `SmallList`: a list that keeps its first `N` items inline and spills to
//! the heap only past them, so a callback allocates nothing for the list of
//! arguments it receives.

use std::mem::MaybeUninit;

/// A list of up to `N` items without allocating, more on the heap.
///
/// `repr(C)` with the inline items last: the initialised fields come first,
/// so the compiler does not merge their stores and the uninitialised items
/// into one memset.
#[repr(C)]
pub(crate) struct SmallList<T, const N: usize> {
    /// Initialised entries of `inline`.
    len: usize,
    /// Used instead of `inline` once it is full.
    heap: Vec<T>,
    inline: [MaybeUninit<T>; N],
}

impl<T, const N: usize> SmallList<T, N> {
    /// An empty list; `expected` items past `N` go straight to the heap.
    #[inline]
    pub(crate) fn with_capacity(expected: usize) -> Self {
        SmallList {
            len: 0,
            heap: if expected > N {
                Vec::with_capacity(expected)
            } else {
                Vec::new()
            },
            inline: [const { MaybeUninit::uninit() }; N],
        }
    }

    /// Appends an item.
    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if self.heap.capacity() == 0 && self.len < N {
            self.inline[self.len].write(item);
            self.len += 1;
        } else {
            if self.heap.capacity() == 0 {
                // move the inline items over, keeping their order
                self.heap.reserve(self.len + 1);
                for slot in &mut self.inline[..self.len] {
                    // SAFETY: the first `len` entries are initialised; each
                    // is read once, and `len` is reset below so none is
                    // dropped again.
                    self.heap.push(unsafe { slot.assume_init_read() });
                }
                self.len = 0;
            }
            self.heap.push(item);
        }
    }

    /// The items, in order.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.heap.capacity() > 0 {
            &self.heap
        } else {
            // SAFETY: the first `len` entries are initialised.
            unsafe { std::slice::from_raw_parts(self.inline.as_ptr().cast::<T>(), self.len) }
        }
    }
}

impl<T, const N: usize> Drop for SmallList<T, N> {
    fn drop(&mut self) {
        for slot in &mut self.inline[..self.len] {
            // SAFETY: the first `len` entries are initialised, and dropped once.
            unsafe { slot.assume_init_drop() };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn keeps_order_spills_and_drops_everything_once() {
        let counter = Rc::new(());
        for n in [0usize, 1, 3, 4, 5, 20] {
            for expected in [0, n] {
                let mut list: SmallList<(usize, Rc<()>), 4> = SmallList::with_capacity(expected);
                for i in 0..n {
                    list.push((i, Rc::clone(&counter)));
                }
                let order: Vec<usize> = list.as_slice().iter().map(|(i, _)| *i).collect();
                assert_eq!(order, (0..n).collect::<Vec<_>>());
                assert_eq!(Rc::strong_count(&counter), n + 1);
            }
            assert_eq!(Rc::strong_count(&counter), 1, "every item dropped once");
        }
    }
}
