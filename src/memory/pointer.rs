//! Pointer instances: `pointer(obj)`, `cast`, `contents`, `p[i]`,
//! `p[0:n]`, and what C hands back as an address: a typed pointer made from
//! it (`pointer_at`), the string a `char *` points to (`follow`), the
//! function a function pointer holds (`as_function`).

use super::CData;
use super::keep::Keep;
use crate::call::Function;
use crate::call::typed::CRepr;
use crate::conv;
use crate::ctype::{CType, Kind, Scalar};
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
        if !ty.holds_address() {
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

    /// The pointee type of a `POINTER(T)` instance.
    fn pointee_type(&self, what: &str) -> Result<CType> {
        let Kind::Pointer(p) = self.ty.kind() else {
            let hint = if self.ty.array_len().is_some() {
                "only POINTER(T) instances point at typed memory; an array's elements are \
                 read with get_index(), iter() or to_vec()"
            } else {
                "only POINTER(T) instances point at typed memory; cast() another pointer to \
                 POINTER(T) first"
            };
            return Err(Error::Unsupported {
                operation: what.to_owned().into(),
                type_name: self.ty.to_string().into(),
                reason: hint.into(),
            });
        };
        p.get().ok_or_else(|| Error::Unsupported {
            operation: what.to_owned().into(),
            type_name: self.ty.to_string().into(),
            reason: "the pointee type no longer exists".into(),
        })
    }

    /// The pointee type and the address of element `index` of a pointer.
    fn pointee_at(&self, index: usize, what: &str) -> Result<(CType, usize)> {
        let target = self.pointee_type(what)?;
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

    /// `p[0:n]`: the first `n` elements a `POINTER(T)` points at, each
    /// read as [`read`](CData::read) reads one (numbers as numbers, a
    /// structure as a view of its memory, a `c_char` as one byte).
    /// `read_many(0)` reads nothing, so a NULL pointer gives an empty list.
    ///
    /// For numbers, [`read_many_as`](CData::read_many_as) gives a `Vec` of
    /// a Rust type directly.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType, Value};
    /// let arr = CData::from_values(&CType::c_int().array(4), [10, 20, 30, 40])?;
    /// let p = arr.cast(&CType::c_int().pointer())?;
    /// // SAFETY: p points at the 4 ints of arr, which p keeps alive.
    /// let first: Vec<Value> = unsafe { p.read_many(3)? };
    /// assert_eq!(first, [Value::Int(10), Value::Int(20), Value::Int(30)]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Safety
    /// Unless the pointer points into an instance it keeps alive (a
    /// `pointer()`, a `cast` of an array), the memory it holds must be
    /// valid for `n` consecutive `T`s for as long as the result (views of
    /// structures included) is used, as [`CData::from_address`] requires.
    /// (Into an instance it keeps, `n` is checked against the instance.)
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an instance that is not a `POINTER(T)` (an
    /// array's elements are read safely with [`iter`](CData::iter)) or an
    /// incomplete `T`; [`Error::NullPointer`] for a NULL pointer (when `n >
    /// 0`); [`Error::IndexOutOfRange`] when `n` elements would run past the
    /// end of the instance the pointer keeps, or not fit in the address
    /// space.
    pub unsafe fn read_many(&self, n: usize) -> Result<Vec<Value>> {
        const WHAT: &str = "read_many";
        if n == 0 {
            self.pointee_type(WHAT)?;
            return Ok(Vec::new());
        }
        // SAFETY: forwarded from the caller.
        let elements = unsafe { self.elements(n, WHAT)? };
        elements.iter().collect()
    }

    /// `p[0:n]` as a `Vec<T>`: the first `n` elements a `POINTER(T)`
    /// points at, read as the Rust type that is passed exactly like `T`
    /// (see [`CRepr`]: `f64` for `c_double`, `i32` for `c_int`, `u8` for
    /// `c_ubyte` or `c_char`, ...), with the same load as every other read.
    /// The counterpart for arrays is [`to_vec`](CData::to_vec).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType};
    /// let arr = CData::from_slice(&CType::c_double(), &[0.5, 1.5, 2.5])?;
    /// let p = arr.cast(&CType::c_double().pointer())?;
    /// // SAFETY: p points at arr's 3 doubles, which p keeps alive.
    /// assert_eq!(unsafe { p.read_many_as::<f64>(3)? }, [0.5, 1.5, 2.5]);
    /// assert!(unsafe { p.read_many_as::<i64>(3) }.is_err()); // not passed like a double
    /// # Ok(()) }
    /// ```
    ///
    /// # Safety
    /// As [`read_many`](CData::read_many).
    ///
    /// # Errors
    /// As [`read_many`](CData::read_many), and [`Error::Conversion`] when `T`
    /// is not passed like the pointee type.
    ///
    /// [`CRepr`]: crate::CRepr
    pub unsafe fn read_many_as<T: CRepr>(&self, n: usize) -> Result<Vec<T>> {
        const WHAT: &str = "read_many_as";
        let pointee = self.pointee_type(WHAT)?;
        super::access::check_repr::<T>(&pointee)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: forwarded from the caller.
        let elements = unsafe { self.elements(n, WHAT)? };
        elements.to_vec::<T>()
    }

    /// The `n` elements a `POINTER(T)` points at, as a `T * n` instance: a
    /// view of the kept instance that holds them, or of foreign memory.
    ///
    /// # Safety
    /// As [`read_many`](CData::read_many).
    unsafe fn elements(&self, n: usize, what: &str) -> Result<CData> {
        let (target, addr) = self.pointee_at(0, what)?;
        let array = target.array(n);
        let size = array.layout_size()?;
        let step = target.size().max(1);
        if addr.checked_add(size).is_none() {
            return Err(Error::IndexOutOfRange {
                type_name: self.ty.to_string().into(),
                index: n,
                len: (usize::MAX - addr) / step,
            });
        }
        // Into an instance this pointer keeps: the elements must lie inside
        // it (what is known is checked, not trusted).
        if self.kept_owner(addr, size).is_none()
            && let Some(owner) = self.kept_owner(addr, 1)
        {
            let end = (owner.mem.base() as usize).saturating_add(owner.mem.len);
            return Err(Error::IndexOutOfRange {
                type_name: format!("{} into a {} instance", self.ty, owner.ty).into(),
                index: n,
                len: end.saturating_sub(addr) / step,
            });
        }
        // SAFETY: forwarded from the caller.
        Ok(unsafe { self.instance_at(&array, addr) })
    }

    /// ctypes' `cast(addr, POINTER(T))`, `c_void_p(addr)`, `c_char_p(addr)`
    /// and `PROTO(addr)`: a new instance of the pointer type `pointer_type`
    /// holding the address `addr` (which may be 0, NULL).
    ///
    /// The instance keeps nothing alive. Read through it with
    /// [`contents`](CData::contents), [`read`](CData::read),
    /// [`read_many`](CData::read_many) (`POINTER(T)`),
    /// [`follow`](CData::follow) (`c_char_p`, `c_wchar_p`) or
    /// [`as_function`](CData::as_function) (a [`CType::function`]
    /// prototype), or pass it where the pointer type is declared.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType, Value};
    /// let n = CData::with_value(&CType::c_int(), 7)?;
    /// // SAFETY: the address is n's, and n outlives p.
    /// let p = unsafe { CData::pointer_at(&CType::c_int().pointer(), n.address())? };
    /// assert_eq!(unsafe { p.read(0)? }, Value::Int(7));
    /// let s = b"text\0";
    /// // SAFETY: a NUL-terminated string that outlives the instance.
    /// let cp = unsafe { CData::pointer_at(&CType::c_char_p(), s.as_ptr() as usize)? };
    /// assert_eq!(unsafe { cp.follow()? }, Value::Bytes(b"text".to_vec()));
    /// // SAFETY: no address is read.
    /// assert!(unsafe { CData::pointer_at(&CType::c_int(), 0x1000) }.is_err()); // not a pointer type
    /// # Ok(()) }
    /// ```
    ///
    /// # Safety
    /// The caller vouches that `addr` is NULL or is what `pointer_type`
    /// says: the address of a `T` (of as many `T`s as are read), of a
    /// NUL-terminated string, of a function of the prototype, valid for as
    /// long as anything is read or called through the instance or through
    /// what is derived from it. The readers repeat this promise.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when `pointer_type` is not a pointer type
    /// (`POINTER(T)`, `c_void_p`, `c_char_p`, `c_wchar_p`, a `CFUNCTYPE`).
    pub unsafe fn pointer_at(pointer_type: &CType, addr: usize) -> Result<CData> {
        if !pointer_type.holds_address() {
            return Err(Error::Unsupported {
                operation: format!("CData::pointer_at({addr:#x})").into(),
                type_name: pointer_type.to_string().into(),
                reason: "only a pointer type (POINTER(T), c_void_p, c_char_p, c_wchar_p or a \
                         CFUNCTYPE) holds an address; for a view of the memory at an address \
                         use unsafe CData::from_address(&type, address)"
                    .into(),
            });
        }
        let d = CData::try_new(pointer_type)?;
        // SAFETY: `d` is a fresh owned instance of a pointer type, so it
        // holds a pointer's bytes, which have a word image.
        unsafe {
            conv::store_word(
                Scalar::VoidP,
                pointer_type.is_swapped(),
                addr as u64,
                d.ptr(),
            )
        };
        Ok(d)
    }

    /// The string a `char *` or `wchar_t *` instance (or field) points to,
    /// whoever stored it: [`Value::Bytes`] for `c_char_p` and
    /// `POINTER(c_char)`, [`Value::Str`] for `c_wchar_p` and
    /// `POINTER(c_wchar)`, [`Value::Null`] for NULL.
    ///
    /// [`value`](CData::value) follows only the pointers rctypes can vouch
    /// for (strings it stored itself) and gives any other address as
    /// [`Value::Pointer`]; `follow` reads the string C stored (zlib's
    /// `z_stream.msg`, `struct tm`'s `tm_zone`, an end pointer from
    /// `strtol`), on the caller's word that it is one.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType, Value};
    /// let msg = CType::structure("S").field("msg", CType::c_char_p()).build()?;
    /// let s = CData::new(&msg);
    /// // SAFETY: a NULL char * is never read.
    /// assert_eq!(unsafe { s.field("msg")?.follow()? }, Value::Null);
    /// s.set("msg", "stored")?;
    /// // SAFETY: msg points to the NUL-terminated copy s keeps.
    /// assert_eq!(unsafe { s.field("msg")?.follow()? }, Value::Bytes(b"stored".to_vec()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Safety
    /// The pointer the instance holds must be NULL or point to a readable
    /// NUL-terminated string of its kind (`char`s, or `wchar_t`s).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an instance of another type,
    /// [`Error::NullPointer`] for an instance over address 0 (the pointer
    /// itself cannot be read), [`Error::ValueType`] for a wide string that
    /// is not Unicode.
    pub unsafe fn follow(&self) -> Result<Value> {
        let (s, swapped) = match self.ty.kind() {
            Kind::Scalar {
                scalar: s @ (Scalar::CharP | Scalar::WCharP),
                swapped,
                ..
            } => (*s, *swapped),
            Kind::Pointer(p) => match p.get().and_then(|t| t.scalar()) {
                Some(Scalar::Char) => (Scalar::CharP, false),
                Some(Scalar::WChar) => (Scalar::WCharP, false),
                _ => return Err(self.not_a_string()),
            },
            _ => return Err(self.not_a_string()),
        };
        self.check_readable("following the string")?;
        // SAFETY: the instance is a pointer type whose memory is there
        // (checked): it holds a pointer's bytes.
        let w = unsafe { conv::load_word(s, swapped, self.ptr()) };
        // SAFETY: the caller vouches that a non-NULL pointer stored here is
        // a NUL-terminated string of this kind.
        unsafe { conv::decode_word(s, w, true) }
    }

    #[cold]
    fn not_a_string(&self) -> Error {
        Error::Unsupported {
            operation: "follow()".into(),
            type_name: self.ty.to_string().into(),
            reason: "follow() reads the string a char * (c_char_p, POINTER(c_char)) or a \
                     wchar_t * (c_wchar_p, POINTER(c_wchar)) points to; read other pointers \
                     with contents(), read() or read_many(), and other instances with value()"
                .into(),
        }
    }

    /// The function a function-pointer instance (of a [`CType::function`]
    /// prototype) holds, declared with the prototype's argtypes and
    /// restype: callable with [`Function::call`]. This is how a function
    /// pointer C stored (a vtable entry, zlib's `z_stream.zalloc`) or
    /// returned is called, as ctypes calls a `CFUNCTYPE` instance.
    ///
    /// When the pointer holds a [`Callback`](crate::Callback) stored from
    /// Rust, the function keeps that callback alive.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CDll, CType, Value};
    /// let labs_t = CType::function(CType::c_long(), [CType::c_long()]);
    /// let addr = CDll::this_process()?.function("labs")?.address();
    /// // SAFETY: the address of labs, whose prototype this is.
    /// let fp = unsafe { CData::pointer_at(&labs_t, addr)? };
    /// // SAFETY: the prototype is labs' real one.
    /// let labs = unsafe { fp.as_function()? };
    /// assert_eq!(unsafe { labs.call(&[(-5i64).into()])? }, Value::Int(5));
    /// # Ok(()) }
    /// ```
    ///
    /// # Safety
    /// The pointer must be a function of exactly the prototype, callable for
    /// as long as the returned [`Function`] may be called (calling it is a
    /// further `unsafe` step); nothing keeps a library that holds it loaded.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an instance that is not a function
    /// pointer, [`Error::NullPointer`] when it is NULL.
    pub unsafe fn as_function(&self) -> Result<Function> {
        if !matches!(self.ty.kind(), Kind::Function(_)) {
            return Err(Error::Unsupported {
                operation: "as_function()".into(),
                type_name: self.ty.to_string().into(),
                reason: "only an instance of a function pointer type (CType::function) holds \
                         a function; cast() a pointer to the prototype first, or use \
                         Function::from_address"
                    .into(),
            });
        }
        self.check_readable("as_function()")?;
        let code = self.pointer_value().unwrap_or(0);
        if code == 0 {
            return Err(Error::NullPointer {
                what: format!("as_function() of a NULL {} function pointer", self.ty).into(),
            });
        }
        let callback = match self.kept_by_self() {
            Some(Keep::Callback(cb)) if cb.address() == code => Some(cb),
            _ => None,
        };
        Ok(Function::from_pointer(code, &self.ty, callback))
    }
}
