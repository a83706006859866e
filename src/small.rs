//! `InlineValues`: the values a callback receives, kept inline (a callback
//! with up to `N` parameters allocates nothing for its argument list).

use std::mem::MaybeUninit;

use crate::value::Value;

/// Up to `N` values, inline. Values past `N` are refused by `push`; a
/// caller with more uses a `Vec`.
///
/// `repr(C)` with the items last: the initialised count comes first, so
/// the compiler does not merge its store and the uninitialised items into
/// one memset.
#[repr(C)]
pub(crate) struct InlineValues<const N: usize> {
    /// Initialised entries of `items`.
    len: usize,
    items: [MaybeUninit<Value>; N],
}

impl<const N: usize> InlineValues<N> {
    /// An empty list.
    #[inline(always)]
    pub(crate) fn new() -> Self {
        InlineValues {
            len: 0,
            items: [const { MaybeUninit::uninit() }; N],
        }
    }

    /// Appends `v`, or gives it back when the list is full.
    #[inline(always)]
    pub(crate) fn push(&mut self, v: Value) -> Result<(), Value> {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                slot.write(v);
                self.len += 1;
                Ok(())
            }
            None => Err(v),
        }
    }

    /// The values, in order.
    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[Value] {
        // SAFETY: the first `len` entries are initialised.
        unsafe { std::slice::from_raw_parts(self.items.as_ptr().cast::<Value>(), self.len) }
    }
}

impl<const N: usize> Drop for InlineValues<N> {
    #[inline(always)]
    fn drop(&mut self) {
        for slot in &mut self.items[..self.len] {
            // SAFETY: the first `len` entries are initialised, and each is
            // taken once (the list is going away).
            unsafe { slot.assume_init_read() }.discard();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CData, CType};

    #[test]
    fn keeps_order_refuses_past_n_and_drops_everything_once() {
        let d = CData::new(&CType::c_int());
        for n in [0usize, 1, 3, 4] {
            let mut list: InlineValues<4> = InlineValues::new();
            for i in 0..n {
                let v = if i % 2 == 0 {
                    Value::Int(i as i64)
                } else {
                    Value::from(&d)
                };
                assert!(list.push(v).is_ok());
            }
            assert_eq!(list.as_slice().len(), n);
            for (i, v) in list.as_slice().iter().enumerate() {
                assert_eq!(matches!(v, Value::Int(_)), i % 2 == 0);
            }
            if n == 4 {
                assert!(list.push(Value::Null).is_err());
            }
            drop(list);
            assert_eq!(d.memory_handles(), 1, "every handle dropped once");
        }
    }
}
