//! The typed façade: a [`Function`] whose signature is also known at
//! compile time, checked once against its declaration and then called
//! directly through a typed `extern "C"` function pointer — no `Value`s, no
//! conversion, no libffi.

use std::fmt;
use std::marker::PhantomData;

use super::Function;
use crate::ctype::{CType, Scalar};
use crate::error::{Error, Result};

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that crosses the C boundary exactly as a fundamental C type
/// does: the fixed-width integers, `isize`/`usize`, `f32`, `f64`, `bool`,
/// and raw pointers. Implemented by rctypes only.
pub trait CRepr: Copy + sealed::Sealed {
    /// Whether a C parameter or result of type `ty` is passed exactly like
    /// `Self`.
    #[doc(hidden)]
    fn matches(ty: &CType) -> bool;
    /// The Rust type's name, for messages.
    #[doc(hidden)]
    fn rust_name() -> &'static str;
    /// The value as a full register (integers sign- or zero-extended, floats
    /// in the low bits): its word image.
    #[doc(hidden)]
    fn to_word(self) -> u64;
    /// The value of a word image (the register an argument arrived in).
    #[doc(hidden)]
    fn from_word(w: u64) -> Self;
}

/// What a typed function may return: `()` for `void`, or a [`CRepr`].
pub trait CReturn: sealed::Sealed {
    /// Whether a restype `ty` is returned exactly like `Self`.
    #[doc(hidden)]
    fn matches(ty: &CType) -> bool;
    /// The Rust type's name, for messages.
    #[doc(hidden)]
    fn rust_name() -> &'static str;
    /// A callback's result as a word image (0 for `()`).
    #[doc(hidden)]
    fn result_word(self) -> u64;
    /// The zero result C receives when a callback fails.
    #[doc(hidden)]
    fn zero() -> Self;
}

impl sealed::Sealed for () {}
impl CReturn for () {
    fn matches(ty: &CType) -> bool {
        ty.is_void()
    }
    fn rust_name() -> &'static str {
        "()"
    }
    fn result_word(self) -> u64 {
        0
    }
    fn zero() -> Self {}
}

impl<T: CRepr> CReturn for T {
    fn matches(ty: &CType) -> bool {
        <T as CRepr>::matches(ty)
    }
    fn rust_name() -> &'static str {
        <T as CRepr>::rust_name()
    }
    fn result_word(self) -> u64 {
        self.to_word()
    }
    fn zero() -> Self {
        T::from_word(0)
    }
}

macro_rules! repr_int {
    ($($t:ty => $size:expr, $signed:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl CRepr for $t {
            fn matches(ty: &CType) -> bool {
                // char and wchar_t are integers of their size too, so a
                // c_char may be read as i8 or u8 (its sign is the platform's)
                match ty.scalar() {
                    Some(Scalar::Char) => $size == 1,
                    Some(s) => s.is_plain_int() && s.size() == $size && s.is_signed() == $signed
                        || s == Scalar::WChar && s.size() == $size && s.is_signed() == $signed,
                    None => false,
                }
            }
            fn rust_name() -> &'static str {
                stringify!($t)
            }
            #[allow(clippy::cast_lossless)]
            fn to_word(self) -> u64 {
                if $signed { self as i64 as u64 } else { self as u64 }
            }
            fn from_word(w: u64) -> Self {
                w as $t
            }
        }
    )*};
}
repr_int! {
    i8 => 1, true;
    u8 => 1, false;
    i16 => 2, true;
    u16 => 2, false;
    i32 => 4, true;
    u32 => 4, false;
    i64 => 8, true;
    u64 => 8, false;
    isize => size_of::<isize>(), true;
    usize => size_of::<usize>(), false;
}

impl sealed::Sealed for f32 {}
impl CRepr for f32 {
    fn matches(ty: &CType) -> bool {
        ty.scalar() == Some(Scalar::F32)
    }
    fn rust_name() -> &'static str {
        "f32"
    }
    fn to_word(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn from_word(w: u64) -> Self {
        f32::from_bits(w as u32)
    }
}

impl sealed::Sealed for f64 {}
impl CRepr for f64 {
    fn matches(ty: &CType) -> bool {
        ty.scalar() == Some(Scalar::F64)
            || (ty.scalar() == Some(Scalar::LongDouble)
                && Scalar::LongDouble.size() == size_of::<f64>())
    }
    fn rust_name() -> &'static str {
        "f64"
    }
    fn to_word(self) -> u64 {
        self.to_bits()
    }
    fn from_word(w: u64) -> Self {
        f64::from_bits(w)
    }
}

impl sealed::Sealed for bool {}
impl CRepr for bool {
    fn matches(ty: &CType) -> bool {
        ty.scalar() == Some(Scalar::Bool)
    }
    fn rust_name() -> &'static str {
        "bool"
    }
    fn to_word(self) -> u64 {
        u64::from(self)
    }
    fn from_word(w: u64) -> Self {
        w as u8 != 0
    }
}

/// Whether `ty` is passed as a data or code pointer.
fn is_pointer(ty: &CType) -> bool {
    ty.holds_address()
}

impl<T> sealed::Sealed for *const T {}
impl<T> CRepr for *const T {
    fn matches(ty: &CType) -> bool {
        is_pointer(ty)
    }
    fn rust_name() -> &'static str {
        "*const T"
    }
    fn to_word(self) -> u64 {
        self as usize as u64
    }
    fn from_word(w: u64) -> Self {
        w as usize as *const T
    }
}

impl<T> sealed::Sealed for *mut T {}
impl<T> CRepr for *mut T {
    fn matches(ty: &CType) -> bool {
        is_pointer(ty)
    }
    fn rust_name() -> &'static str {
        "*mut T"
    }
    fn to_word(self) -> u64 {
        self as usize as u64
    }
    fn from_word(w: u64) -> Self {
        w as usize as *mut T
    }
}

/// A Rust function-pointer type `fn(A, B, ...) -> R` (up to 12 parameters,
/// each a [`CRepr`], `R` a [`CReturn`]) naming a C signature.
pub trait Signature: sealed::Sealed {
    /// Why `argtypes -> restype` is not this signature, if it is not.
    #[doc(hidden)]
    fn mismatch(argtypes: &[CType], restype: &CType) -> Option<String>;
}

/// The body of a typed callback.
pub trait TypedBody: Send + Sync {
    /// Runs the closure over the arguments' word images, returning the
    /// result's (the general entries read and place them).
    fn call_words(&self, words: &[u64]) -> u64;

    /// The direct entries, without and with ctypes' `use_errno`:
    /// monomorphized `extern "C"` functions taking the signature's
    /// arguments in their own registers plus a trailing pointer to a typed
    /// thunk's slot (for prototypes whose arguments all travel in
    /// registers, leaving a general register free); and the closure's
    /// address for the slot.
    #[cfg(call_plan)]
    fn direct(&self) -> ([usize; 2], *const ());
}

/// A typed closure and its signature.
pub(crate) struct TypedFn<Func, Sig>(Func, PhantomData<fn(Sig)>);

/// A Rust closure `Fn(A, B, ...) -> R` usable as a typed callback of the
/// signature `fn(A, B, ...) -> R` (see [`Callback::typed`](crate::Callback::typed)).
pub trait TypedCallback<F>: Send + Sync + 'static {
    /// The closure as a typed body.
    #[doc(hidden)]
    fn into_body(self) -> Box<dyn TypedBody>;
}

/// A [`Function`] with a signature known at compile time, made by
/// [`Function::typed`]: its `call` takes and returns plain Rust values and
/// calls the C function directly.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CDll, CType};
/// let libc = CDll::this_process()?;
/// let labs = libc.function("labs")?.argtypes([CType::c_long()]).restype(CType::c_long());
/// let labs = labs.typed::<fn(i64) -> i64>()?;
/// // SAFETY: labs(long) -> long, as declared and checked.
/// assert_eq!(unsafe { labs.call(-42) }, 42);
/// // a Rust signature that disagrees with the declaration is refused
/// let f = libc.function("labs")?.argtypes([CType::c_long()]).restype(CType::c_long());
/// assert!(f.typed::<fn(f64) -> i64>().is_err());
/// # Ok(()) }
/// ```
pub struct Typed<F> {
    code: usize,
    use_errno: bool,
    /// Keeps the library loaded, and answers `function()`.
    function: Function,
    _signature: PhantomData<F>,
}

impl<F> Clone for Typed<F> {
    fn clone(&self) -> Self {
        Typed {
            code: self.code,
            use_errno: self.use_errno,
            function: self.function.clone(),
            _signature: PhantomData,
        }
    }
}

impl<F> fmt::Debug for Typed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Typed({:?})", self.function)
    }
}

impl<F> Typed<F> {
    /// The function this was made from.
    pub fn function(&self) -> &Function {
        &self.function
    }
}

impl Function {
    /// The typed façade: this function as a Rust signature `F`
    /// (`fn(i32, i32) -> i32`), checked once against the declared argtypes
    /// and restype, then callable with plain Rust values and no conversion.
    ///
    /// `i8`..`u64`, `isize`, `usize` match the C integer types of their size
    /// and signedness (and `c_char`, `c_wchar`), `f32`/`f64` match
    /// `c_float`/`c_double`, `bool` matches `c_bool`, raw pointers match
    /// `c_void_p`, `c_char_p`, `c_wchar_p`, `POINTER(T)` and function
    /// pointers, and `()` matches a `void` restype. `use_errno` is honoured.
    ///
    /// # Errors
    /// [`Error::Signature`] when the function has no argtypes, is variadic,
    /// has an errcheck hook (which works on `Value`s), is at address 0, or
    /// when `F` disagrees with the declaration (naming the first difference).
    pub fn typed<F: Signature>(&self) -> Result<Typed<F>> {
        let f = &*self.inner;
        let refuse = |message: String| Error::Signature {
            function: f.name.clone().into(),
            message: message.into(),
        };
        let Some(argtypes) = &f.argtypes else {
            return Err(refuse("declare argtypes first".into()));
        };
        if f.variadic {
            return Err(refuse("a variadic function has no fixed signature".into()));
        }
        if f.errcheck.is_some() {
            return Err(refuse(
                "an errcheck hook works on Values, which the typed façade does not make".into(),
            ));
        }
        if f.code == 0 {
            return Err(refuse("the function is at address 0".into()));
        }
        if let Some(why) = F::mismatch(argtypes, &f.restype) {
            return Err(refuse(why));
        }
        Ok(Typed {
            code: f.code,
            use_errno: f.use_errno,
            function: self.clone(),
            _signature: PhantomData,
        })
    }
}

macro_rules! signatures {
    ($( ($($a:ident $v:ident),*) )*) => {$(
        impl<R: CReturn, $($a: CRepr),*> sealed::Sealed for fn($($a),*) -> R {}

        impl<R: CReturn, $($a: CRepr),*> Signature for fn($($a),*) -> R {
            #[allow(unused_mut, unused_variables)]
            fn mismatch(argtypes: &[CType], restype: &CType) -> Option<String> {
                let rust: &[(&str, fn(&CType) -> bool)] = &[$((<$a as CRepr>::rust_name(), <$a as CRepr>::matches)),*];
                if argtypes.len() != rust.len() {
                    return Some(format!(
                        "{} argtypes are declared, the Rust signature has {} parameters",
                        argtypes.len(),
                        rust.len()
                    ));
                }
                for (i, (ty, (name, matches))) in argtypes.iter().zip(rust).enumerate() {
                    if !matches(ty) {
                        return Some(format!("argument {i} is declared {ty}, the Rust type is {name}"));
                    }
                }
                if !R::matches(restype) {
                    return Some(format!(
                        "the restype is declared {restype}, the Rust type is {}",
                        R::rust_name()
                    ));
                }
                None
            }
        }

        impl<R: CReturn + 'static, $($a: CRepr + 'static,)* Func> TypedCallback<fn($($a),*) -> R> for Func
        where
            Func: Fn($($a),*) -> R + Send + Sync + 'static,
        {
            fn into_body(self) -> Box<dyn TypedBody> {
                Box::new(TypedFn::<Func, fn($($a),*) -> R>(self, PhantomData))
            }
        }

        impl<R: CReturn + 'static, $($a: CRepr + 'static,)* Func> TypedBody for TypedFn<Func, fn($($a),*) -> R>
        where
            Func: Fn($($a),*) -> R + Send + Sync + 'static,
        {
            fn call_words(&self, words: &[u64]) -> u64 {
                let mut _next = words.iter();
                $(
                    // the entry passes one word per parameter, each the
                    // image of a value of the declared C type, which
                    // `typed` checked is passed like this Rust type
                    let $v: $a = <$a as CRepr>::from_word(_next.next().copied().unwrap_or(0));
                )*
                (self.0)($($v),*).result_word()
            }

            #[cfg(call_plan)]
            fn direct(&self) -> ([usize; 2], *const ()) {
                /// Called by a typed thunk's mover with the arguments in
                /// their registers and the thunk's slot after them.
                extern "C" fn entry<const ERRNO: bool, R: CReturn, $($a: CRepr,)* Func: Fn($($a),*) -> R>(
                    $($v: $a,)* slot: *const crate::callback::TypedSlot,
                ) -> R {
                    // SAFETY: the mover passes the slot of the thunk C
                    // called, bound to a live callback (C calls only live
                    // callbacks) whose closure is a `Func`.
                    unsafe { crate::callback::run_direct::<ERRNO, R, Func>(slot, move |f: &Func| f($($v),*)) }
                }
                (
                    [
                        entry::<false, R, $($a,)* Func> as *const () as usize,
                        entry::<true, R, $($a,)* Func> as *const () as usize,
                    ],
                    std::ptr::from_ref(&self.0).cast(),
                )
            }
        }

        impl<R: CReturn, $($a: CRepr),*> Typed<fn($($a),*) -> R> {
            /// Calls the C function with plain Rust values.
            ///
            /// # Safety
            /// As [`Function::call`]: the declaration (checked against this
            /// Rust signature) must be the function's real signature, and
            /// the call must be sound in C's terms (pointers valid for what
            /// the function does with them).
            #[allow(clippy::too_many_arguments)]
            #[inline]
            pub unsafe fn call(&self, $($v: $a),*) -> R {
                // SAFETY: `code` is a non-NULL function whose declared
                // signature matches these Rust types' C ABI (checked by
                // `typed`); the caller guarantees the declaration is true.
                let f: unsafe extern "C" fn($($a),*) -> R = unsafe { std::mem::transmute(self.code) };
                // SAFETY: forwarded from the caller.
                super::errno::swapped(self.use_errno, || unsafe { f($($v),*) })
            }
        }
    )*};
}

signatures! {
    ()
    (A a)
    (A a, B b)
    (A a, B b, C c)
    (A a, B b, C c, D d)
    (A a, B b, C c, D d, E e)
    (A a, B b, C c, D d, E e, G g)
    (A a, B b, C c, D d, E e, G g, H h)
    (A a, B b, C c, D d, E e, G g, H h, I i)
    (A a, B b, C c, D d, E e, G g, H h, I i, J j)
    (A a, B b, C c, D d, E e, G g, H h, I i, J j, K k)
    (A a, B b, C c, D d, E e, G g, H h, I i, J j, K k, L l)
    (A a, B b, C c, D d, E e, G g, H h, I i, J j, K k, L l, M m)
}
