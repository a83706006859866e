//! Reading and writing an instance's parts: its value, its fields (bitfields
//! included), its elements.

use super::CData;
use super::keep::{BufferKind, StoreSink};
use crate::call::typed::CRepr;
use crate::conv;
use crate::ctype::record::{ByteOrder, FieldHandle, Member};
use crate::ctype::{CType, Kind, Scalar};
use crate::error::{ConvError, Error, Result};
use crate::value::Value;

impl CData {
    /// The instance's value (ctypes `.value`).
    ///
    /// Integers, floats, `bool`, `char` (one byte), `wchar_t`; `char[]`
    /// buffers give their bytes up to the first NUL, `wchar_t[]` their text;
    /// pointers give their address ([`Value::Null`] when NULL).
    ///
    /// A `c_char_p` or `c_wchar_p` instance gives its string when the pointer
    /// is one rctypes stored (from a Rust string) or lies in foreign memory
    /// whose safety contract covers it ([`from_address`](CData::from_address),
    /// [`CDll::variable`](crate::CDll::variable)); otherwise it gives the
    /// address as [`Value::Pointer`], because following an arbitrary address
    /// is not safe: read it with the `unsafe` [`follow`](CData::follow).
    ///
    /// Structures, unions and other arrays give `Value::Data(self.clone())`.
    ///
    /// # Errors
    /// [`Error::NullPointer`] for an instance over address 0.
    pub fn value(&self) -> Result<Value> {
        self.check_readable("reading the value")?;
        self.load(&self.ty, self.offset)
    }

    /// Sets the instance's value (ctypes `.value = v`), checking that it fits.
    ///
    /// Scalars take what the matching parameter takes. A `char[]` buffer
    /// takes bytes (or a `Str`, as UTF-8) no longer than the buffer, and adds
    /// a NUL when there is room, as ctypes does; a `wchar_t[]` buffer takes a
    /// `Str`. A structure, union or array takes an instance of exactly its
    /// type and copies it. Storing a string in a pointer-typed instance keeps
    /// a NUL-terminated copy alive with the instance; storing an instance's
    /// address keeps that instance alive (ctypes' `_objects`).
    ///
    /// # Errors
    /// [`Error::Conversion`] when the value does not fit the type (an integer
    /// out of range, a float for an integer, an interior NUL, bytes too long
    /// for the buffer, ...). Nothing is written then.
    pub fn set_value(&self, value: impl Into<Value>) -> Result<()> {
        self.check_readable("setting the value")?;
        self.store(&self.ty, self.offset, &value.into())
    }

    /// The member called `name`, following anonymous members.
    #[inline]
    fn member(&self, name: &str) -> Result<&Member> {
        match self.ty.record_body() {
            Some(body) => match body.member(name) {
                Some(m) => Ok(m),
                None => Err(self.unknown_field(name)),
            },
            None => Err(self.not_a_record(name)),
        }
    }

    #[cold]
    fn unknown_field(&self, name: &str) -> Error {
        Error::UnknownField {
            type_name: self.ty.to_string().into(),
            field: name.to_owned().into(),
        }
    }

    #[cold]
    fn not_a_record(&self, name: &str) -> Error {
        Error::Unsupported {
            operation: format!("accessing field `{name}`").into(),
            type_name: self.ty.to_string().into(),
            reason: "only structures and unions have fields".into(),
        }
    }

    /// A field's value (ctypes `obj.name`): scalars and bitfields as values,
    /// `char[]` fields as bytes up to the NUL, structures, unions, arrays and
    /// pointers as [`Value::Data`] views into this instance.
    ///
    /// # Errors
    /// [`Error::UnknownField`] for a name the type does not have (fields of
    /// anonymous members count as the record's own), [`Error::Unsupported`]
    /// on a non-record instance.
    pub fn get(&self, name: &str) -> Result<Value> {
        self.check_readable("reading a field")?;
        self.get_member(self.member(name)?)
    }

    /// Sets a field (ctypes `obj.name = value`), with the rules of
    /// [`set_value`](CData::set_value); a bitfield takes an integer that fits
    /// its width.
    ///
    /// # Errors
    /// As [`get`](CData::get), and [`Error::Conversion`] for a value that does
    /// not fit (naming the field, its width for bitfields, and the value).
    pub fn set(&self, name: &str, value: impl Into<Value>) -> Result<()> {
        self.check_readable("setting a field")?;
        let value = value.into();
        let r = self.set_member(self.member(name)?, &value);
        value.discard();
        r
    }

    /// Reads member `m` of this record instance.
    #[inline]
    fn get_member(&self, m: &Member) -> Result<Value> {
        if let Some(word) = m.number {
            // SAFETY: a plain member lies inside the record's memory (the
            // public caller checked readability); a number is not followed.
            return unsafe {
                (word.decode)((word.load)(self.at_offset(self.offset + m.offset)), false)
            };
        }
        if let Some(s) = m.plain {
            return self.load_scalar(s, false, self.offset + m.offset);
        }
        match m.bits {
            Some((bit, width, order)) => {
                Ok(self.load_bits(&m.ty, 8 * self.offset as u64 + bit, width, order))
            }
            None => self.load(&m.ty, self.offset + m.offset),
        }
    }

    /// Writes member `m` of this record instance.
    #[inline]
    fn set_member(&self, m: &Member, value: &Value) -> Result<()> {
        let name = m.field.name.as_str();
        if let Some(word) = m.number {
            // numbers refer to nothing: no sink, nothing to keep
            let w = (word.encode)(&m.ty, value, &mut conv::NoStrings)
                .map_err(|e| in_field(Error::from(*e), name))?;
            let offset = self.offset + m.offset;
            // SAFETY: as in `get_member`.
            unsafe { (word.store)(w, self.at_offset(offset)) };
            self.clear_keep(offset);
            return Ok(());
        }
        let stored = match (m.plain, m.bits) {
            (Some(s), _) => self.store_scalar(s, false, &m.ty, self.offset + m.offset, value),
            (None, Some((bit, width, order))) => {
                return self.store_bits(
                    &m.ty,
                    name,
                    8 * self.offset as u64 + bit,
                    width,
                    order,
                    value,
                );
            }
            (None, None) => self.store(&m.ty, self.offset + m.offset, value),
        };
        stored.map_err(|e| in_field(e, name))
    }

    /// A view of a field: an instance sharing this instance's memory and
    /// keeping it alive (ctypes returns such views for structure and array
    /// fields).
    ///
    /// # Errors
    /// As [`get`](CData::get); [`Error::Unsupported`] for a bitfield, which
    /// has no address of its own.
    pub fn field(&self, name: &str) -> Result<CData> {
        let m = self.member(name)?;
        if m.bits.is_some() {
            return Err(Error::Unsupported {
                operation: format!("a view of field `{name}`").into(),
                type_name: self.ty.to_string().into(),
                reason: "a bitfield has no address of its own; use get() and set()".into(),
            });
        }
        Ok(self.view(&m.ty, self.offset + m.offset))
    }

    /// The number of elements of an array instance (0 for other instances).
    pub fn len(&self) -> usize {
        self.ty.array_len().unwrap_or(0)
    }

    /// Whether [`len`](CData::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type and byte offset of element `index`.
    fn element(&self, index: usize) -> Result<(CType, usize)> {
        let (elem, len) = match self.ty.kind() {
            Kind::Array { elem, len, .. } => (elem, *len),
            _ => {
                return Err(Error::Unsupported {
                    operation: format!("indexing [{index}]").into(),
                    type_name: self.ty.to_string().into(),
                    reason: "only arrays can be indexed safely; for a pointer use the unsafe read()/write()"
                        .into(),
                });
            }
        };
        if index >= len {
            return Err(Error::IndexOutOfRange {
                type_name: self.ty.to_string().into(),
                index,
                len,
            });
        }
        Ok((elem.clone(), self.offset + index * elem.size()))
    }

    /// A view of element `index` of an array (for arrays of structures or
    /// arrays: `matrix.at(1)?` is a row that shares the matrix's memory).
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`], or [`Error::Unsupported`] on a non-array.
    pub fn at(&self, index: usize) -> Result<CData> {
        let (elem, offset) = self.element(index)?;
        Ok(self.view(&elem, offset))
    }

    /// Element `index` of an array (ctypes `arr[i]`), as [`get`](CData::get)
    /// gives fields.
    ///
    /// # Errors
    /// As [`at`](CData::at).
    pub fn get_index(&self, index: usize) -> Result<Value> {
        self.check_readable("reading an element")?;
        let (elem, offset) = self.element(index)?;
        self.load(&elem, offset)
    }

    /// Sets element `index` of an array (ctypes `arr[i] = v`).
    ///
    /// # Errors
    /// As [`at`](CData::at), and [`Error::Conversion`] for a value that does
    /// not fit the element type.
    pub fn set_index(&self, index: usize, value: impl Into<Value>) -> Result<()> {
        self.check_readable("setting an element")?;
        let (elem, offset) = self.element(index)?;
        self.store(&elem, offset, &value.into())
    }

    /// A new instance of `ty` initialised from `values`: the elements of an
    /// array in order (`(c_int * 4)(1, 2, 3, 4)`), or the fields of a
    /// structure in declaration order (`Point(1, 2)`). Missing trailing
    /// values stay zero.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType};
    /// let arr = CData::from_values(&CType::c_int().array(4), [1, 2, 3, 4])?;
    /// assert_eq!(arr.get_index(3)?.as_i64()?, 4);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::TooManyValues`] for more values than elements or (named)
    /// fields, [`Error::Conversion`] for a value that does not fit,
    /// [`Error::Unsupported`] for other types.
    pub fn from_values<V: Into<Value>>(
        ty: &CType,
        values: impl IntoIterator<Item = V>,
    ) -> Result<CData> {
        if let Kind::Array { elem, len, .. } = ty.kind()
            && let Kind::Scalar {
                scalar,
                swapped: false,
                ..
            } = elem.kind()
            && scalar.is_number()
        {
            return from_numbers(ty, *scalar, elem, *len, values.into_iter().map(Into::into));
        }
        let d = CData::try_new(ty)?;
        match ty.kind() {
            Kind::Array { elem, len, .. } => {
                let mut values = values.into_iter().map(Into::into);
                let step = elem.size();
                for (i, v) in values.by_ref().take(*len).enumerate() {
                    // element `i < len` lies inside the fresh array
                    d.store(elem, i * step, &v)?;
                }
                let extra = values.count();
                if extra > 0 {
                    return Err(too_many(ty, *len, len.saturating_add(extra), "elements"));
                }
            }
            Kind::Record(_) => {
                // positional values fill the named fields, as C's
                // initialisers skip unnamed bitfields
                let fields: Vec<&str> = ty
                    .fields()
                    .unwrap_or(&[])
                    .iter()
                    .filter(|f| !f.name.is_empty())
                    .map(|f| f.name.as_str())
                    .collect();
                let mut values = values.into_iter();
                for name in &fields {
                    match values.next() {
                        Some(v) => d.set(name, v)?,
                        None => break,
                    }
                }
                let extra = values.count();
                if extra > 0 {
                    return Err(too_many(
                        ty,
                        fields.len(),
                        fields.len().saturating_add(extra),
                        "fields",
                    ));
                }
            }
            _ => {
                return Err(Error::Unsupported {
                    operation: "initialising from a list of values".into(),
                    type_name: ty.to_string().into(),
                    reason: "only arrays and structures take a list; use with_value()".into(),
                });
            }
        }
        Ok(d)
    }

    /// An array of `values.len()` elements of type `elem`, copied from a Rust
    /// slice in one go (`(c_double * n)(*values)` without converting each
    /// value). `T` must be passed exactly like `elem` (see [`CRepr`]): `f64`
    /// for `c_double`, `i32` for `c_int`, and so on.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType};
    /// let arr = CData::from_slice(&CType::c_double(), &[0.5, 1.5, 2.5])?;
    /// assert_eq!(arr.len(), 3);
    /// assert_eq!(arr.get_index(2)?.as_f64()?, 2.5);
    /// assert!(CData::from_slice(&CType::c_int(), &[1.0f64]).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Conversion`] when `T` is not passed like `elem` (a big-endian
    /// element never is).
    ///
    /// [`CRepr`]: crate::CRepr
    pub fn from_slice<T: CRepr>(elem: &CType, values: &[T]) -> Result<CData> {
        check_repr::<T>(elem)?;
        if elem.is_swapped() {
            return Err(repr_mismatch::<T>(elem));
        }
        // SAFETY: every byte is written right below.
        let d = unsafe { CData::try_new_unfilled(&elem.array(values.len())) }?;
        // SAFETY: the fresh array holds `len * size_of::<T>()` bytes, and `T`
        // is a plain value type (CRepr: integers, floats, bool, pointers).
        unsafe {
            std::ptr::copy_nonoverlapping(
                values.as_ptr().cast::<u8>(),
                d.ptr(),
                std::mem::size_of_val(values),
            )
        };
        Ok(d)
    }

    /// The elements of a numeric array as a `Vec` of the Rust type that is
    /// passed exactly like the element type (see [`CRepr`]: `f64` for
    /// `c_double`, `i32` for `c_int`, `u8` for `c_ubyte` or `c_char`, ...),
    /// each read with the same load as [`get_index`](CData::get_index) (so
    /// big-endian elements and C's `_Bool` bytes read correctly). The
    /// inverse of [`from_slice`](CData::from_slice); for the memory a
    /// pointer points at, see [`read_many_as`](CData::read_many_as).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType};
    /// let arr = CData::from_values(&CType::c_int().array(3), [1, -2, 3])?;
    /// assert_eq!(arr.to_vec::<i32>()?, [1, -2, 3]);
    /// assert!(arr.to_vec::<u32>().is_err()); // not passed like a c_int
    /// assert!(arr.to_vec::<f64>().is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an instance that is not an array,
    /// [`Error::Conversion`] when `T` is not passed like the element type,
    /// [`Error::NullPointer`] for an array over address 0.
    ///
    /// [`CRepr`]: crate::CRepr
    pub fn to_vec<T: CRepr>(&self) -> Result<Vec<T>> {
        let Kind::Array { elem, len, .. } = self.ty.kind() else {
            return Err(Error::Unsupported {
                operation: format!("to_vec::<{}>()", T::rust_name()).into(),
                type_name: self.ty.to_string().into(),
                reason: "only arrays have elements; for a POINTER(T) use the unsafe \
                         read_many_as(n)"
                    .into(),
            });
        };
        let (s, swapped) = check_repr::<T>(elem)?;
        self.check_readable("reading the elements")?;
        let step = elem.size();
        Ok((0..*len)
            .map(|i| {
                // element `i < len` lies inside the array
                let at = self.at_offset(self.offset + i * step);
                // SAFETY: the element lies inside the memory, which is
                // there (checked); `s` has a word image (check_repr).
                T::from_word(unsafe { conv::load_word(s, swapped, at) })
            })
            .collect())
    }

    /// The elements of an array, in order, each read as
    /// [`get_index`](CData::get_index) reads it (ctypes `for v in arr`).
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// use rctypes::{CData, CType, Value};
    /// let arr = CData::from_values(&CType::c_int().array(3), [1, 2, 3])?;
    /// let mut sum = 0;
    /// for v in arr.iter() {
    ///     let v: Value = v?;
    ///     sum += v.as_i64()?;
    /// }
    /// assert_eq!(sum, 6);
    /// // not an array: one error, then the end
    /// let n = CData::new(&CType::c_int());
    /// assert_eq!(n.iter().filter(Result::is_err).count(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// The iterator yields one [`Error::Unsupported`] for an instance that is
    /// not an array (and one [`Error::NullPointer`] for an array over address
    /// 0), then ends. An element that cannot be decoded (a `wchar_t` that is
    /// not Unicode) is an error in its place, and the elements after it follow.
    pub fn iter(&self) -> Elements {
        Elements::new(self)
    }

    /// All the bytes of the instance, NULs included (ctypes `.raw` of a
    /// string buffer; the same as [`to_bytes`](CData::to_bytes)).
    pub fn raw(&self) -> Vec<u8> {
        self.to_bytes()
    }

    /// ctypes' `.raw = bytes` on a `char` array (a
    /// [`create_string_buffer`](crate::create_string_buffer)): copies `bytes`
    /// to its start, as they are (NULs included, no NUL added); the bytes
    /// after them are left as they were.
    ///
    /// ```
    /// # fn main() -> rctypes::Result<()> {
    /// let buf = rctypes::create_string_buffer(b"hello");
    /// buf.set_raw(b"J\0")?;
    /// assert_eq!(buf.raw(), b"J\0llo\0");
    /// assert!(buf.set_raw(b"too long!").is_err());
    /// assert_eq!(buf.raw(), b"J\0llo\0"); // unchanged
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Conversion`] when `bytes` is longer than the array (nothing
    /// is written), [`Error::Unsupported`] for an instance that is not a
    /// `char` array.
    pub fn set_raw(&self, bytes: &[u8]) -> Result<()> {
        let len = match self.ty.kind() {
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::Char) => *len,
            _ => {
                return Err(Error::Unsupported {
                    operation: "set_raw()".into(),
                    type_name: self.ty.to_string().into(),
                    reason: "only a char array (c_char * n, a string buffer) has .raw".into(),
                });
            }
        };
        self.check_readable("setting .raw")?;
        if bytes.len() > len {
            return Err(ConvError::new(
                self.ty.to_string(),
                Value::Bytes(bytes.to_vec()).describe(),
                format!("{} bytes do not fit in a buffer of {len}", bytes.len()),
            )
            .into());
        }
        // SAFETY: the array lies inside the memory, which is there
        // (checked), and holds `len >= bytes.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr(), bytes.len()) };
        Ok(())
    }

    /// Reads a value of `ty` at `offset` (from the memory's start).
    pub(crate) fn load(&self, ty: &CType, offset: usize) -> Result<Value> {
        match ty.kind() {
            Kind::Scalar {
                scalar, swapped, ..
            } => Ok(self.load_scalar(*scalar, *swapped, offset)?),
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::Char) => {
                let mut bytes = vec![0u8; *len];
                // SAFETY: the array lies inside the memory (views are made
                // only for fields and elements that do, and readability was
                // checked by the public caller).
                unsafe {
                    std::ptr::copy_nonoverlapping(self.at_offset(offset), bytes.as_mut_ptr(), *len)
                };
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(*len);
                bytes.truncate(end);
                Ok(Value::Bytes(bytes))
            }
            Kind::Array { elem, len, .. } if elem.scalar() == Some(Scalar::WChar) => {
                let step = elem.size();
                let mut text = String::new();
                for i in 0..*len {
                    match self.load_scalar(Scalar::WChar, elem.is_swapped(), offset + i * step) {
                        Ok(Value::Str(c)) if c == "\0" => break,
                        Ok(Value::Str(c)) => text.push_str(&c),
                        Ok(_) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(Value::Str(text))
            }
            Kind::Void => Err(Error::Unsupported {
                operation: "reading a value".into(),
                type_name: ty.to_string().into(),
                reason: "void has no values".into(),
            }),
            _ => Ok(Value::Data(self.view(ty, offset))),
        }
    }

    /// Reads a fundamental value at `offset`: the one conversion of its
    /// type, from memory. A `char *` / `wchar_t *` is followed only where
    /// [`may_follow`](CData::may_follow) vouches for it.
    #[inline]
    pub(crate) fn load_scalar(&self, s: Scalar, swapped: bool, offset: usize) -> Result<Value> {
        let at = self.at_offset(offset);
        if !s.has_word_image() {
            // SAFETY: the scalar lies inside the memory (views are made only
            // for fields and elements that do; readability was checked by
            // the public caller); wide types are never stored swapped.
            let w = unsafe { conv::load_wide(s, at) };
            return conv::decode_wide(s, &w);
        }
        // SAFETY: as above.
        let w = unsafe { conv::load_word(s, swapped, at) };
        let follow = match s {
            Scalar::CharP => w != 0 && self.may_follow(w as usize, BufferKind::Bytes),
            Scalar::WCharP => w != 0 && self.may_follow(w as usize, BufferKind::Wide),
            _ => false,
        };
        // SAFETY: strings are followed only where `may_follow` vouches for
        // them.
        unsafe { conv::decode_word(s, w, follow) }
    }

    /// Writes a fundamental value at `offset` with the one conversion of its
    /// type, keeping alive what a stored pointer refers to. Nothing is
    /// written when the value is refused.
    #[inline]
    pub(crate) fn store_scalar(
        &self,
        s: Scalar,
        swapped: bool,
        ty: &CType,
        offset: usize,
        v: &Value,
    ) -> Result<()> {
        let at = self.at_offset(offset);
        if s.is_number() {
            // numbers refer to nothing: no sink, nothing to keep
            let w =
                conv::encode_word(s, ty, v, &mut conv::NoStrings).map_err(|e| Error::from(*e))?;
            // SAFETY: the scalar lies inside the memory (see `load_scalar`).
            unsafe { conv::store_word(s, swapped, w, at) };
            self.clear_keep(offset);
            return Ok(());
        }
        if !s.has_word_image() {
            let w = conv::encode_wide(s, ty, v).map_err(|e| Error::from(*e))?;
            // SAFETY: the scalar lies inside the memory (see `load_scalar`).
            unsafe { conv::store_wide(s, &w, at) };
            self.clear_keep(offset);
            return Ok(());
        }
        let mut sink = StoreSink::default();
        let w = conv::encode_word(s, ty, v, &mut sink).map_err(|e| Error::from(*e))?;
        // SAFETY: as above.
        unsafe { conv::store_word(s, swapped, w, at) };
        self.store_keep(offset, sink.into_keep());
        Ok(())
    }

    /// Writes `v` as a value of `ty` at `offset` (from the memory's start).
    /// Nothing is written when the value is refused.
    pub(crate) fn store(&self, ty: &CType, offset: usize, v: &Value) -> Result<()> {
        let wrong =
            |reason: &str| Error::from(ConvError::new(ty.to_string(), v.describe(), reason));
        match ty.kind() {
            Kind::Scalar {
                scalar, swapped, ..
            } => self.store_scalar(*scalar, *swapped, ty, offset, v),
            Kind::Array { elem, len, .. } => match v {
                Value::Data(d) if d.ctype() == ty => self.copy_instance(offset, d),
                Value::Bytes(_) | Value::Str(_) if elem.scalar() == Some(Scalar::Char) => {
                    let bytes = v.as_bytes()?;
                    self.store_chars(ty, offset, bytes, *len, v)
                }
                Value::Str(text) if elem.scalar() == Some(Scalar::WChar) => {
                    let with_nul = conv::c_wide(text).map_err(|r| wrong(&r))?;
                    let units = &with_nul[..with_nul.len() - 1];
                    if units.len() > *len {
                        return Err(wrong(&format!(
                            "{} characters do not fit in {len}",
                            units.len()
                        )));
                    }
                    let step = elem.size();
                    for (i, u) in units
                        .iter()
                        .chain(std::iter::once(&0))
                        .take(*len)
                        .enumerate()
                    {
                        self.store(elem, offset + i * step, &Value::UInt(u64::from(*u)))?;
                    }
                    Ok(())
                }
                _ => Err(wrong(
                    "an array takes an instance of the same array type (or a string, for character arrays)",
                )),
            },
            Kind::Record(_) => match v {
                Value::Data(d) if d.ctype() == ty => self.copy_instance(offset, d),
                Value::Data(_) => Err(wrong(
                    "a structure or union takes an instance of exactly its type",
                )),
                _ => Err(wrong("wrong type")),
            },
            Kind::Pointer(_) | Kind::Function(_) => {
                if let Value::Data(d) = v
                    && d.ctype() == ty
                {
                    // A pointer instance of this type: copy it, and what it keeps.
                    return self.copy_instance(offset, d);
                }
                let mut sink = StoreSink::default();
                let addr = conv::address_of(ty, v, &mut sink).map_err(|e| Error::from(*e))?;
                let bytes = addr.to_ne_bytes();
                // SAFETY: a pointer-sized field lies at `offset` (see above).
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        self.at_offset(offset),
                        bytes.len(),
                    )
                };
                self.store_keep(offset, sink.into_keep());
                Ok(())
            }
            Kind::Void => Err(wrong("void has no values")),
        }
    }

    /// Copies another instance of the same type to `offset`.
    fn copy_instance(&self, offset: usize, src: &CData) -> Result<()> {
        src.check_readable("copying")?;
        self.copy_from(offset, src, src.ctype().size());
        Ok(())
    }

    /// Stores bytes in a `char[len]` at `offset`, adding a NUL if there is room.
    fn store_chars(
        &self,
        ty: &CType,
        offset: usize,
        bytes: &[u8],
        len: usize,
        v: &Value,
    ) -> Result<()> {
        if bytes.len() > len {
            return Err(ConvError::new(
                ty.to_string(),
                v.describe(),
                format!("{} bytes do not fit in a buffer of {len}", bytes.len()),
            )
            .into());
        }
        // SAFETY: the buffer lies inside the memory and holds `len >= bytes.len()` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.at_offset(offset), bytes.len())
        };
        if bytes.len() < len {
            // SAFETY: index `bytes.len() < len` is inside the buffer.
            unsafe { self.at_offset(offset + bytes.len()).write(0) };
        }
        Ok(())
    }

    /// The bytes a bitfield spans, as an integer in the record's byte order,
    /// with the shift that puts the field's lowest bit at bit 0.
    fn bit_window(&self, bit: u64, width: u32, order: ByteOrder) -> (usize, usize, u32) {
        let first = (bit / 8) as usize;
        let last = ((bit + u64::from(width) - 1) / 8) as usize;
        let n = last - first + 1;
        let shift = if big_endian_bits(order) {
            (8 * n as u64 - bit % 8 - u64::from(width)) as u32
        } else {
            (bit % 8) as u32
        };
        (first, n, shift)
    }

    fn read_window(&self, first: usize, n: usize, order: ByteOrder) -> u128 {
        let mut bytes = [0u8; 16];
        // SAFETY: the bitfield's bytes lie inside the record, which lies
        // inside the memory; `n <= 9`.
        unsafe { std::ptr::copy_nonoverlapping(self.at_offset(first), bytes.as_mut_ptr(), n) };
        if big_endian_bits(order) {
            bytes[..n]
                .iter()
                .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
        } else {
            bytes[..n]
                .iter()
                .rev()
                .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
        }
    }

    /// Reads a bitfield of `width` bits at bit `bit` of the memory.
    fn load_bits(&self, ty: &CType, bit: u64, width: u32, order: ByteOrder) -> Value {
        let (first, n, shift) = self.bit_window(bit, width, order);
        let mask = (1u128 << width) - 1;
        let raw = (self.read_window(first, n, order) >> shift) & mask;
        let scalar = ty.scalar().unwrap_or(Scalar::I32);
        if scalar == Scalar::Bool {
            Value::Bool(raw != 0)
        } else if scalar.is_signed() {
            let sign_shift = 128 - width;
            Value::Int(((raw << sign_shift) as i128 >> sign_shift) as i64)
        } else {
            Value::UInt(raw as u64)
        }
    }

    /// Writes a bitfield, refusing values that do not fit its width.
    fn store_bits(
        &self,
        ty: &CType,
        name: &str,
        bit: u64,
        width: u32,
        order: ByteOrder,
        v: &Value,
    ) -> Result<()> {
        let scalar = ty.scalar().unwrap_or(Scalar::I32);
        let signed = scalar.is_signed() && scalar != Scalar::Bool;
        let (lo, hi): (i128, i128) = if signed {
            (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
        } else {
            (0, (1i128 << width) - 1)
        };
        let expected = format!("the {width}-bit bitfield `{name}` ({ty})");
        let int = match v {
            Value::Int(i) => i128::from(*i),
            Value::UInt(u) => i128::from(*u),
            Value::Bool(b) => i128::from(*b),
            Value::Data(d) if d.ctype().scalar().is_some_and(Scalar::is_integer) => {
                return self.store_bits(ty, name, bit, width, order, &d.value()?);
            }
            _ => {
                return Err(
                    ConvError::new(expected, v.describe(), "a bitfield takes an integer").into(),
                );
            }
        };
        if int < lo || int > hi {
            return Err(ConvError::new(
                expected,
                v.describe(),
                format!("{int} does not fit in {width} bits ({lo}..={hi})"),
            )
            .into());
        }
        let (first, n, shift) = self.bit_window(bit, width, order);
        let mask = ((1u128 << width) - 1) << shift;
        let field = ((int as u128) << shift) & mask;
        let window = (self.read_window(first, n, order) & !mask) | field;
        let mut bytes = [0u8; 16];
        for (i, b) in bytes[..n].iter_mut().enumerate() {
            let byte_index = if big_endian_bits(order) { n - 1 - i } else { i };
            *b = (window >> (8 * byte_index)) as u8;
        }
        // SAFETY: as in `read_window`: the bytes lie inside the memory.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.at_offset(first), n) };
        Ok(())
    }
}

impl FieldHandle {
    /// The field of `d` (as [`CData::get`] by name).
    ///
    /// # Errors
    /// [`Error::Conversion`] when `d` is not an instance of the handle's
    /// record type; as [`CData::get`] otherwise.
    #[inline]
    pub fn get(&self, d: &CData) -> Result<Value> {
        self.check(d, "reading a field")?;
        d.get_member(self.member())
    }

    /// Sets the field of `d` (as [`CData::set`] by name).
    ///
    /// # Errors
    /// As [`get`](FieldHandle::get), and [`Error::Conversion`] for a value
    /// that does not fit the field.
    #[inline]
    pub fn set(&self, d: &CData, value: impl Into<Value>) -> Result<()> {
        self.check(d, "setting a field")?;
        let value = value.into();
        let r = d.set_member(self.member(), &value);
        value.discard();
        r
    }

    /// Whether `d` is a readable instance of the handle's record.
    #[inline]
    fn check(&self, d: &CData, what: &str) -> Result<()> {
        if d.ctype() != self.record() {
            return Err(self.wrong_instance(d));
        }
        d.check_readable(what)
    }

    #[cold]
    #[inline(never)]
    fn wrong_instance(&self, d: &CData) -> Error {
        ConvError::new(
            format!(
                "an instance of {} (for field `{}`)",
                self.record(),
                self.field().name
            ),
            format!("an instance of {}", d.ctype()),
            "a field handle reads and writes instances of its own record type",
        )
        .into()
    }
}

/// A conversion error of a field's value, naming the field.
#[cold]
fn in_field(e: Error, name: &str) -> Error {
    match e {
        Error::Conversion {
            expected,
            given,
            reason,
        } => Error::Conversion {
            expected: format!("field `{name}` of type {expected}").into(),
            given,
            reason,
        },
        other => other,
    }
}

/// [`conv::encode_word`] of a value moved here: the slow path of
/// [`from_numbers`], which keeps the value's address out of the loop.
#[cold]
#[inline(never)]
fn encode_moved(s: Scalar, ty: &CType, v: Value) -> std::result::Result<u64, conv::Refused> {
    conv::encode_word(s, ty, &v, &mut conv::NoStrings)
}

/// [`CData::from_values`] for an array `ty` of `len` elements of the
/// number type `s` (`elem`, native byte order): each value goes through the
/// type's one conversion ([`conv::encode_word`]), instantiated once per
/// number type so the loop does no dispatch on the type, straight into
/// memory that is not zeroed first (elements without a value are zeroed
/// after). A refused value discards the array.
fn from_numbers(
    ty: &CType,
    s: Scalar,
    elem: &CType,
    len: usize,
    mut values: impl Iterator<Item = Value>,
) -> Result<CData> {
    /// Writes up to `len` elements at `base`; returns how many.
    #[inline(always)]
    fn fill(
        s: Scalar,
        ty: &CType,
        base: *mut u8,
        len: usize,
        values: &mut impl Iterator<Item = Value>,
    ) -> std::result::Result<usize, conv::Refused> {
        let step = s.size();
        for i in 0..len {
            let Some(v) = values.next() else {
                return Ok(i);
            };
            // A plain value the fast conversion takes never needs its
            // address (so it stays in registers); anything else goes to
            // the whole conversion, moved out of the loop's way. Numbers
            // refer to nothing: the sink is never called.
            let w = match v.owns_nothing() {
                true => match conv::encode_word_fast(s, &v, &mut conv::NoStrings) {
                    Some(w) => {
                        std::mem::forget(v); // owns nothing
                        w
                    }
                    None => encode_moved(s, ty, v)?,
                },
                false => encode_moved(s, ty, v)?,
            };
            // SAFETY: element `i < len` of the array at `base` (see below).
            unsafe { conv::store_word(s, false, w, base.add(i * step)) };
        }
        Ok(len)
    }
    // SAFETY: every byte is written before the array is returned: the
    // elements given a value by `fill`, the rest zeroed after it (an array
    // of numbers has no padding); on an error the array is dropped unread.
    let d = unsafe { CData::try_new_unfilled(ty) }?;
    let base = d.at_offset(0);
    macro_rules! each_number {
        ($($n:ident)*) => {
            match s {
                $(Scalar::$n => fill(Scalar::$n, elem, base, len, &mut values),)*
                _ => fill(s, elem, base, len, &mut values),
            }
        };
    }
    let written = each_number!(I8 U8 I16 U16 I32 U32 I64 U64 F32 F64 Bool ComplexF32)
        .map_err(|e| Error::from(*e))?;
    let size = ty.size();
    let done = written * s.size();
    // SAFETY: bytes `done..size` lie inside the array (`written <= len`).
    unsafe { std::ptr::write_bytes(base.add(done), 0, size - done) };
    let extra = values.count();
    if extra > 0 {
        return Err(too_many(ty, len, len.saturating_add(extra), "elements"));
    }
    Ok(d)
}

/// An iterator over the elements of an array instance ([`CData::iter`]),
/// yielding each element's value as [`CData::get_index`] reads it.
pub struct Elements {
    array: CData,
    next: usize,
    len: usize,
    /// Why there are no elements to read (not an array, or an array over
    /// address 0): yielded once, first.
    refused: Option<Error>,
}

impl Elements {
    fn new(array: &CData) -> Elements {
        let refused = match array.ty.array_len() {
            None => Some(Error::Unsupported {
                operation: "iterating over the elements".into(),
                type_name: array.ty.to_string().into(),
                reason: "only arrays have elements; for a POINTER(T) use the unsafe read_many(n)"
                    .into(),
            }),
            Some(_) => array.check_readable("reading the elements").err(),
        };
        Elements {
            array: array.clone(),
            next: 0,
            len: if refused.is_some() { 0 } else { array.len() },
            refused,
        }
    }
}

impl Iterator for Elements {
    type Item = Result<Value>;

    fn next(&mut self) -> Option<Result<Value>> {
        if let Some(e) = self.refused.take() {
            return Some(Err(e));
        }
        if self.next >= self.len {
            return None;
        }
        let item = self.array.get_index(self.next);
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next + usize::from(self.refused.is_some());
        (left, Some(left))
    }
}

impl ExactSizeIterator for Elements {}

impl std::iter::FusedIterator for Elements {}

impl std::fmt::Debug for Elements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Elements({} from {})", self.array.ty, self.next)
    }
}

impl IntoIterator for &CData {
    type Item = Result<Value>;
    type IntoIter = Elements;

    /// `for v in &arr`: the same as [`CData::iter`].
    fn into_iter(self) -> Elements {
        self.iter()
    }
}

/// Checks that `T` is passed exactly like the fundamental type `elem` (its
/// word image is `T`'s), and gives the scalar and whether it is stored
/// byte-swapped.
pub(super) fn check_repr<T: CRepr>(elem: &CType) -> Result<(Scalar, bool)> {
    match elem.scalar() {
        Some(s) if T::matches(elem) && s.has_word_image() && elem.size() == size_of::<T>() => {
            Ok((s, elem.is_swapped()))
        }
        _ => Err(repr_mismatch::<T>(elem)),
    }
}

#[cold]
fn repr_mismatch<T: CRepr>(elem: &CType) -> Error {
    ConvError::new(
        elem.to_string(),
        format!("a slice of {}", T::rust_name()),
        "the Rust element type is not passed like the C one",
    )
    .into()
}

/// The error for more initial values than a type has places.
#[cold]
fn too_many(ty: &CType, places: usize, given: usize, what: &str) -> Error {
    Error::TooManyValues {
        type_name: ty.to_string().into(),
        expected: places,
        given,
        what: what.to_owned().into(),
    }
}

/// Whether bitfields of a record in this byte order are numbered from the
/// most significant bit.
fn big_endian_bits(order: ByteOrder) -> bool {
    match order {
        ByteOrder::Big => true,
        ByteOrder::Little => false,
        ByteOrder::Native => cfg!(target_endian = "big"),
    }
}
