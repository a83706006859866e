//! Calls whose argument types come from the values (no argtypes, or the
//! variadic part of a variadic function): ctypes' default conversions, and
//! the plans prepared for each list of types met, found again without a
//! lock or an allocation.

use std::borrow::Cow;
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::plan::Plan;
use crate::ctype::{CType, Kind, Scalar};
use crate::error::{ConvError, Result};
use crate::value::Value;

/// The C type a value is passed as when no argtype is declared for it
/// (ctypes' defaults), as far as choosing a plan goes.
enum DefaultType<'v> {
    Int,
    UInt,
    Double,
    DoubleComplex,
    CharP,
    VoidP,
    /// An instance's or a callback's own type (after promotion).
    Of(&'v CType),
}

impl DefaultType<'_> {
    fn matches(&self, ty: &CType) -> bool {
        let scalar = |s: Scalar| ty.scalar() == Some(s) && !ty.is_swapped();
        match self {
            DefaultType::Int => scalar(Scalar::I32),
            DefaultType::UInt => scalar(Scalar::U32),
            DefaultType::Double => scalar(Scalar::F64),
            DefaultType::DoubleComplex => scalar(Scalar::ComplexF64),
            DefaultType::CharP => scalar(Scalar::CharP),
            DefaultType::VoidP => scalar(Scalar::VoidP),
            DefaultType::Of(t) => *t == ty,
        }
    }

    fn to_type(&self) -> CType {
        match self {
            DefaultType::Int => CType::c_int(),
            DefaultType::UInt => CType::c_uint(),
            DefaultType::Double => CType::c_double(),
            DefaultType::DoubleComplex => CType::c_double_complex(),
            DefaultType::CharP => CType::c_char_p(),
            DefaultType::VoidP => CType::c_void_p(),
            DefaultType::Of(t) => (*t).clone(),
        }
    }
}

/// Why a value has no default C type.
fn no_default(v: &Value, reason: &str) -> ConvError {
    ConvError::new("a default C type", v.describe(), reason)
}

/// The default type of `v`. With `promote` (variadic arguments) C's default
/// argument promotions apply: `float` becomes `double`, integers narrower
/// than `int` become `int`.
fn default_of(v: &Value, promote: bool) -> Result<DefaultType<'_>, ConvError> {
    let int = |i: i128| {
        if i32::try_from(i).is_ok() {
            Ok(DefaultType::Int)
        } else if u32::try_from(i).is_ok() {
            Ok(DefaultType::UInt)
        } else {
            Err(no_default(
                v,
                "does not fit in a C int; declare argtypes, or pass a typed instance such as \
                 CData::with_value(&CType::c_longlong(), x)",
            ))
        }
    };
    Ok(match v {
        Value::Int(i) => int(i128::from(*i))?,
        Value::UInt(u) => int(i128::from(*u))?,
        Value::Bool(_) => DefaultType::Int,
        Value::Float(_) => DefaultType::Double,
        Value::Complex(..) => DefaultType::DoubleComplex,
        Value::Bytes(_) | Value::Str(_) => DefaultType::CharP,
        Value::Null | Value::Pointer(_) | Value::ByRef { .. } => DefaultType::VoidP,
        Value::Void => return Err(no_default(v, "void is not a value that can be passed")),
        Value::Callback(cb) => DefaultType::Of(cb.prototype()),
        Value::Data(d) => {
            let ty = d.ctype();
            match ty.kind() {
                Kind::Scalar { scalar, .. } if promote && *scalar == Scalar::F32 => {
                    DefaultType::Double
                }
                Kind::Scalar { scalar, .. }
                    if promote && scalar.is_integer() && scalar.size() < Scalar::I32.size() =>
                {
                    DefaultType::Int
                }
                Kind::Array { .. } => DefaultType::VoidP,
                Kind::Void => return Err(no_default(v, "void has no values")),
                _ => DefaultType::Of(ty),
            }
        }
    })
}

/// The value to convert for a promoted argument: a narrow scalar instance
/// gives its value as an `int` (characters by their code), a `float`
/// instance its value; everything else converts as it is.
fn promoted(v: &Value, promote: bool) -> Result<Cow<'_, Value>, ConvError> {
    let Value::Data(d) = v else {
        return Ok(Cow::Borrowed(v));
    };
    let Some(s) = d.ctype().scalar() else {
        return Ok(Cow::Borrowed(v));
    };
    if s.is_pointer() || d.ctype().is_swapped() && !promote {
        return Ok(Cow::Borrowed(v));
    }
    let narrow = s.is_integer() && s.size() < Scalar::I32.size();
    if !promote || !(narrow || s == Scalar::F32) {
        return Ok(Cow::Borrowed(v));
    }
    let inner = d.value().map_err(|e| no_default(v, &e.to_string()))?;
    Ok(Cow::Owned(match (&inner, s) {
        (Value::Bytes(b), Scalar::Char) if b.len() == 1 => {
            if s.is_signed() {
                Value::Int(i64::from(b[0] as i8))
            } else {
                Value::Int(i64::from(b[0]))
            }
        }
        (Value::Str(text), Scalar::WChar) => {
            Value::Int(text.chars().next().map_or(0, |c| i64::from(u32::from(c))))
        }
        _ => inner,
    }))
}

/// One prepared plan for a list of argument types.
struct Entry {
    types: Box<[CType]>,
    plan: Plan,
    /// The entry added before this one.
    next: *const Entry,
}

/// The plans prepared for calls with value-dependent types: an append-only
/// list read without a lock (entries are freed only with the list), with
/// writers serialised by a mutex.
pub(crate) struct DynamicPlans {
    head: AtomicPtr<Entry>,
    writers: Mutex<()>,
}

// SAFETY: entries are immutable once published (Release store, Acquire
// load) and freed only in Drop, which has exclusive access; `Plan` and
// `CType` are Send + Sync.
unsafe impl Send for DynamicPlans {}
// SAFETY: as above.
unsafe impl Sync for DynamicPlans {}

impl Default for DynamicPlans {
    fn default() -> Self {
        DynamicPlans {
            head: AtomicPtr::new(ptr::null_mut()),
            writers: Mutex::new(()),
        }
    }
}

impl Drop for DynamicPlans {
    fn drop(&mut self) {
        let mut p = *self.head.get_mut();
        while !p.is_null() {
            // SAFETY: every entry was made by Box::into_raw in `insert` and
            // is freed once, here, with exclusive access.
            let entry = unsafe { Box::from_raw(p) };
            p = entry.next.cast_mut();
        }
    }
}

impl DynamicPlans {
    /// The plan already prepared for these types, if any.
    fn find(&self, types: impl Fn(&[CType]) -> bool) -> Option<&Plan> {
        let mut p = self.head.load(Ordering::Acquire).cast_const();
        while !p.is_null() {
            // SAFETY: published entries live as long as `self` and are
            // never written again.
            let entry = unsafe { &*p };
            if types(&entry.types) {
                return Some(&entry.plan);
            }
            p = entry.next;
        }
        None
    }

    /// Publishes a plan for `types` (or finds the one another thread
    /// published meanwhile).
    fn insert(
        &self,
        types: Vec<CType>,
        make: impl FnOnce(&[CType]) -> Result<Plan>,
    ) -> Result<&Plan> {
        let _writer = self.writers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(plan) = self.find(|t| t == types.as_slice()) {
            return Ok(plan);
        }
        let plan = make(&types)?;
        let entry = Box::into_raw(Box::new(Entry {
            types: types.into_boxed_slice(),
            plan,
            next: self.head.load(Ordering::Acquire),
        }));
        self.head.store(entry, Ordering::Release);
        // SAFETY: just published; lives as long as `self`.
        Ok(&unsafe { &*entry }.plan)
    }

    /// The plan for calling with `args`, whose first `declared.len()` have
    /// declared types and the rest ctypes' default types (promoted when
    /// `variadic`), and the values to convert (promoted ones replaced).
    ///
    /// # Errors
    /// The argument that has no default type (with its index), or what
    /// preparing the plan reports.
    pub(crate) fn plan_for<'v>(
        &self,
        declared: &[CType],
        args: &'v [Value],
        variadic: bool,
        make: impl FnOnce(&[CType]) -> Result<Plan>,
        function: &str,
    ) -> Result<(&Plan, Cow<'v, [Value]>)> {
        let fixed = declared.len();
        for (i, v) in args.iter().enumerate().skip(fixed) {
            default_of(v, variadic).map_err(|e| e.at_argument(function, i))?;
        }
        // compared without building the list of types: no allocation once
        // a plan exists
        let matches = |types: &[CType]| {
            types.len() == args.len()
                && types[..fixed] == *declared
                && types[fixed..]
                    .iter()
                    .zip(&args[fixed..])
                    .all(|(t, v)| default_of(v, variadic).is_ok_and(|d| d.matches(t)))
        };
        let plan = match self.find(matches) {
            Some(plan) => plan,
            None => {
                let mut types = declared.to_vec();
                for v in &args[fixed..] {
                    types.push(
                        default_of(v, variadic)
                            .map(|d| d.to_type())
                            .unwrap_or_else(|_| CType::void()),
                    );
                }
                self.insert(types, make)?
            }
        };
        // Most arguments convert as they are; only promoted instances need
        // a new value.
        let needs_copy = args[fixed..]
            .iter()
            .any(|v| matches!(promoted(v, variadic), Ok(Cow::Owned(_))));
        let values = if needs_copy {
            let mut owned = args[..fixed].to_vec();
            for (i, v) in args.iter().enumerate().skip(fixed) {
                owned.push(
                    promoted(v, variadic)
                        .map_err(|e| e.at_argument(function, i))?
                        .into_owned(),
                );
            }
            Cow::Owned(owned)
        } else {
            Cow::Borrowed(args)
        };
        Ok((plan, values))
    }
}
