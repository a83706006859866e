//! Pointer instances: `pointer(obj)`, `cast`, `contents`, `p[i]`.

use super::CData;
use super::keep::Keep;
use crate::ctype::{CType, Kind};
use crate::error::{Error, Result};
use crate::value::Value;

impl CData {
    /// `ctypes.pointer(obj)`: a new `POINTER(T)` instance holding this
    /// instance's address. It keeps this instance alive.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType};
    /// let n = CData::with_value(&CType::c_int(), 5)?;
    /// let p = n.pointer();
    /// // SAFETY: p points at n, which p keeps alive.
    /// let back = unsafe { p.contents()? };
    /// back.set_value(6)?;
    /// assert_eq!(n.value()?.as_i64()?, 6);
    /// # Ok(()) }
    /// ```
    pub fn pointer(&self) -> CData {
        let p = CData::new(&self.ty.pointer());
        let bytes = self.address().to_ne_bytes();
        // SAFETY: `p` is a fresh pointer instance: pointer-sized, owned memory.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.ptr(), bytes.len()) };
        p.store_keep(p.offset, Keep::Data(self.clone()));
        p
    }

    /// `ctypes.cast(obj, ty)`: the same address seen as another pointer type.
    ///
    /// `self` may be a pointer instance (`POINTER(T)`, `c_void_p`,
    /// `c_char_p`, a function pointer), whose address is taken, or an array,
    /// whose first element's address is taken. `ty` must be a pointer type.
    /// The result keeps `self` alive.
    ///
    /// Casting is safe; what is unsafe is reading through the result
    /// ([`contents`](CData::contents), [`read`](CData::read)).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when `ty` is not a pointer type or `self` holds
    /// no address.
    pub fn cast(&self, ty: &CType) -> Result<CData> {
        let target_ok = matches!(ty.kind(), Kind::Pointer(_) | Kind::Function(_))
            || ty.scalar().is_some_and(|s| s.is_pointer());
        if !target_ok {
            return Err(Error::Unsupported {
                operation: format!("cast to {ty}").into(),
                type_name: self.ty.to_string().into(),
                reason: "the target of a cast must be a pointer type".into(),
            });
        }
        let addr = match self.ty.kind() {
            Kind::Array { .. } => self.address(),
            _ => self.pointer_value().ok_or_else(|| Error::Unsupported {
                operation: format!("cast to {ty}").into(),
                type_name: self.ty.to_string().into(),
                reason: "only pointers and arrays can be cast".into(),
            })?,
        };
        let out = CData::new(ty);
        let bytes = addr.to_ne_bytes();
        // SAFETY: `out` is a fresh pointer-sized owned instance.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.ptr(), bytes.len()) };
        out.store_keep(out.offset, Keep::Data(self.clone()));
        Ok(out)
    }

    /// The instance rctypes owns that holds `len` bytes at `addr`: this
    /// pointer's own memory block (a node pointing at itself), or one found
    /// by following what this pointer keeps alive (a `pointer()`, a `cast`,
    /// a pointer field set from an instance).
    fn kept_owner(&self, addr: usize, len: usize) -> Option<CData> {
        if self.contains(addr, len) {
            return Some(self.clone());
        }
        let mut current = self.clone();
        for _ in 0..16 {
            match current.keep_at(current.offset)? {
                Keep::Data(d) if d.contains(addr, len) => return Some(d),
                Keep::Data(d) if d.pointer_value().is_some() => current = d,
                _ => return None,
            }
        }
        None
    }

    /// The pointee type and the address of element `index` of a pointer.
    fn pointee_at(&self, index: usize, what: &str) -> Result<(CType, usize)> {
        let Kind::Pointer(p) = self.ty.kind() else {
            return Err(Error::Unsupported {
                operation: what.to_owned().into(),
                type_name: self.ty.to_string().into(),
                reason: "only POINTER(T) instances point at typed memory".into(),
            });
        };
        let target = p.get().ok_or_else(|| Error::Unsupported {
            operation: what.to_owned().into(),
            type_name: self.ty.to_string().into(),
            reason: "the pointee type no longer exists".into(),
        })?;
        let size = target.layout_size()?;
        let base = self.pointer_value().unwrap_or(0);
        if base == 0 {
            return Err(Error::NullPointer {
                what: format!("{what} of a NULL {}", self.ty).into(),
            });
        }
        let addr = index
            .checked_mul(size)
            .and_then(|o| base.checked_add(o))
            .ok_or_else(|| Error::IndexOutOfRange {
                type_name: self.ty.to_string().into(),
                index,
                len: usize::MAX / size.max(1),
            })?;
        Ok((target, addr))
    }

    /// The instance at `addr`: a view of the kept instance that holds it, or
    /// a view of foreign memory.
    ///
    /// # Safety
    /// Unless kept by this pointer, `addr` must be valid for `sizeof(ty)`
    /// bytes as [`CData::from_address`] requires.
    unsafe fn instance_at(&self, ty: &CType, addr: usize) -> CData {
        match self.kept_owner(addr, ty.size()) {
            // anywhere in the owner's block, before or after the view it is
            Some(owner) => owner.view_at_address(ty, addr),
            // SAFETY: forwarded from the caller.
            None => unsafe { CData::foreign(ty, addr, None) },
        }
    }

    /// `p.contents`: the instance this `POINTER(T)` points at.
    ///
    /// When the pointer was made by rctypes from an instance it keeps alive
    /// (`pointer()`, `cast`, a pointer field set from an instance), the result
    /// is a view of that instance; otherwise it is a view of foreign memory.
    ///
    /// # Safety
    /// A pointer that C (or `from_bytes`, or an address) filled in must point
    /// to memory valid for a `T` for as long as the result is used, as
    /// [`CData::from_address`] requires.
    ///
    /// # Errors
    /// [`Error::NullPointer`] for a NULL pointer (never a crash),
    /// [`Error::Unsupported`] for non-pointer instances or an incomplete `T`.
    pub unsafe fn contents(&self) -> Result<CData> {
        let (ty, addr) = self.pointee_at(0, "contents")?;
        // SAFETY: forwarded from the caller.
        Ok(unsafe { self.instance_at(&ty, addr) })
    }

    /// `p[i]`: element `i` of the memory a `POINTER(T)` points at.
    ///
    /// # Safety
    /// As [`contents`](CData::contents), for the `i`-th `T` after the address.
    ///
    /// # Errors
    /// As [`contents`](CData::contents).
    pub unsafe fn read(&self, index: usize) -> Result<Value> {
        let (ty, addr) = self.pointee_at(index, "reading through a pointer")?;
        // SAFETY: forwarded from the caller.
        let target = unsafe { self.instance_at(&ty, addr) };
        target.value()
    }

    /// `p[i] = v`: stores into element `i` of the memory a `POINTER(T)`
    /// points at, with the rules of [`set_value`](CData::set_value).
    ///
    /// # Safety
    /// As [`contents`](CData::contents), and the memory must be writable.
    ///
    /// # Errors
    /// As [`contents`](CData::contents), and [`Error::Conversion`] for a value
    /// that does not fit `T`.
    pub unsafe fn write(&self, index: usize, value: impl Into<Value>) -> Result<()> {
        let (ty, addr) = self.pointee_at(index, "writing through a pointer")?;
        // SAFETY: forwarded from the caller.
        let target = unsafe { self.instance_at(&ty, addr) };
        target.set_value(value)?;
        if !target.is_owned() {
            // The view of foreign memory is temporary: this pointer keeps
            // alive whatever the stored value points into.
            target.hand_keeps_to(self);
        }
        Ok(())
    }
}
