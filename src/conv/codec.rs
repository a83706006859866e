//! The conversions of each one-word type, instantiated once per type.
//!
//! A parameter, a result or a plain field keeps its type's [`Word`], so
//! moving a value needs no dispatch on the type when it happens: each entry
//! is [`encode_word`] / [`decode_word`] / [`load_word`] / [`store_word`]
//! with the type as a constant, not a second implementation.

use super::{Refused, Sink, decode_word, encode_word, load_word, store_word};
use crate::ctype::{CType, Scalar};
use crate::error::Result;
use crate::value::Value;

/// The conversions of one type with a word image.
pub(crate) struct Word {
    /// The type.
    pub(crate) scalar: Scalar,
    /// [`encode_word`] for this type.
    pub(crate) encode: fn(&CType, &Value, &mut dyn Sink) -> std::result::Result<u64, Refused>,
    /// [`decode_word`] for this type.
    ///
    /// # Safety
    /// As [`decode_word`].
    pub(crate) decode: unsafe fn(u64, bool) -> Result<Value>,
    /// [`load_word`] for this type, native byte order.
    ///
    /// # Safety
    /// As [`load_word`].
    pub(crate) load: unsafe fn(*const u8) -> u64,
    /// [`store_word`] for this type, native byte order.
    ///
    /// # Safety
    /// As [`store_word`].
    pub(crate) store: unsafe fn(u64, *mut u8),
}

impl std::fmt::Debug for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Word({:?})", self.scalar)
    }
}

impl Word {
    /// The conversions of `s`, when it has a word image.
    pub(crate) fn of(s: Scalar) -> Option<&'static Word> {
        macro_rules! words {
            ($($n:ident)*) => {
                match s {
                    $(Scalar::$n => {
                        static W: Word = Word {
                            scalar: Scalar::$n,
                            encode: |ty, v, sink| encode_word(Scalar::$n, ty, v, sink),
                            // SAFETY: forwarded from the caller (as decode_word).
                            decode: |w, follow| unsafe { decode_word(Scalar::$n, w, follow) },
                            // SAFETY: forwarded from the caller (as load_word).
                            load: |src| unsafe { load_word(Scalar::$n, false, src) },
                            // SAFETY: forwarded from the caller (as store_word).
                            store: |w, dst| unsafe { store_word(Scalar::$n, false, w, dst) },
                        };
                        Some(&W)
                    })*
                    _ => None,
                }
            };
        }
        if !s.has_word_image() {
            return None;
        }
        words!(Bool Char WChar I8 U8 I16 U16 I32 U32 I64 U64 F32 F64 LongDouble ComplexF32 CharP WCharP VoidP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_type_has_its_own_conversions() {
        use Scalar::*;
        for s in [
            Bool, Char, WChar, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64, ComplexF32, CharP,
            WCharP, VoidP,
        ] {
            let w = Word::of(s).unwrap();
            assert_eq!(w.scalar, s);
        }
        assert!(Word::of(ComplexF64).is_none());
        assert!(Word::of(ComplexLongDouble).is_none());
        let i8w = Word::of(I8).unwrap();
        let ty = CType::c_int8();
        assert_eq!(
            (i8w.encode)(&ty, &Value::Int(-1), &mut super::super::NoStrings).unwrap(),
            u64::MAX
        );
        assert!((i8w.encode)(&ty, &Value::Int(128), &mut super::super::NoStrings).is_err());
        // SAFETY: a number, not a string.
        let back = unsafe { (i8w.decode)(0xff, false) };
        assert_eq!(back.unwrap(), Value::Int(-1));
        let mut b = [0u8; 8];
        // SAFETY: `b` holds 8 bytes.
        unsafe { (Word::of(I16).unwrap().store)(0x1234, b.as_mut_ptr()) };
        // SAFETY: as above.
        assert_eq!(unsafe { (Word::of(I16).unwrap().load)(b.as_ptr()) }, 0x1234);
    }
}
