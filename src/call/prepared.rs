//! Prepared calls: a frame made once per signature, into which a caller
//! writes arguments by index and from which it reads the result as a plain
//! scalar, with no `Value`s to build, no allocation per call, and one
//! `Result` per call rather than per argument. This is what an
//! interpreter's FFI module calls in its hot loop.
//!
//! The frame is one buffer of words: on x86-64 System V the [`Regs`] the
//! stub loads followed by the stack area; elsewhere (or with the call plan
//! off) libffi's argument slots. Every word argument therefore lives at a
//! fixed word of the buffer, found once per parameter, and a setter is a
//! range check and a store.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};

use libffi::raw;

use super::Function;
use super::errno;
use super::plan::{ArgKind, Plan, RetKind, ffi_arg};
#[cfg(call_plan)]
use super::plan::{pair_result, place_arg};
#[cfg(call_plan)]
use super::sysv::{GPRS, Loc, Place, Regs, RetPlace, call_gprs};
use crate::conv::{self, Wide};
use crate::ctype::Scalar;
use crate::error::{Error, Result};
use crate::memory::CData;
use crate::value::Value;

/// Words of [`Regs`] at the start of a planned frame.
#[cfg(call_plan)]
const REGS_WORDS: usize = size_of::<Regs>() / 8;

/// Words of one libffi argument slot.
const SLOT_WORDS: usize = size_of::<Wide>() / 8;

/// A call of one [`Function`] prepared for a hot loop: set each argument
/// by index ([`set_i64`](PreparedCall::set_i64),
/// [`set_f64`](PreparedCall::set_f64), [`set_address`](PreparedCall::set_address),
/// [`set_data`](PreparedCall::set_data), or any [`Value`] with
/// [`set`](PreparedCall::set)), then call and read the result as a scalar
/// ([`call_i64`](PreparedCall::call_i64), [`call_f64`](PreparedCall::call_f64),
/// ...). Arguments keep their values between calls, so only what changes
/// needs setting again.
///
/// Conversions are those of [`Function::call`] (the same range checks); a
/// setter never fails on the spot: the first refusal is kept and reported
/// by the next call, which then does not reach C.
///
/// ```
/// # fn main() -> rctypes::Result<()> {
/// use rctypes::{CDll, CType};
/// let libc = CDll::this_process()?;
/// let labs = libc.function("labs")?.argtypes([CType::c_long()]).restype(CType::c_long());
/// let mut call = labs.prepared()?;
/// let mut total = 0;
/// for i in 0..100 {
///     call.set_i64(0, -i);
///     // SAFETY: labs(long) -> long.
///     total += unsafe { call.call_i64()? };
/// }
/// assert_eq!(total, 4950);
/// call.set_f64(0, 1.5); // wrong type: reported by the next call
/// assert!(unsafe { call.call_i64() }.is_err());
/// # Ok(()) }
/// ```
///
/// The lifetime `'a` is that of the instances given with
/// [`set_data`](PreparedCall::set_data): they must outlive the calls that
/// use them.
pub struct PreparedCall<'a> {
    /// The call itself, for the leanest signatures (decided once).
    #[cfg(call_plan)]
    quick: Option<Quick>,
    /// How each argument is set without the general path.
    fast: Box<[Fast]>,
    /// The registers and stack area (call plan), or libffi's slots.
    frame: Box<[MaybeUninit<u64>]>,
    /// libffi's argument pointers, into `frame` or into instances (empty
    /// with the call plan).
    avalues: Box<[*mut c_void]>,
    /// `avalues` without the gaps of arguments passed as nothing, as libffi
    /// takes them (filled at each libffi call; allocated once).
    packed: Box<[*mut c_void]>,
    /// What each argument's frame words refer to, by index, held until the
    /// argument is set again through `set` (which drops its value).
    kept: Box<[Kept]>,
    /// The first refusal since the last call.
    error: Option<Error>,
    /// The last wide result (`long double`), for `call_f64`.
    last_wide: Wide,
    /// `function`'s plan, which `function` keeps alive (a OnceCell's
    /// content never moves or goes away while its owner lives).
    plan: *const Plan,
    function: Function,
    _instances: PhantomData<&'a CData>,
}

/// The call of a signature whose integer arguments all travel in general
/// registers and whose result is an integer, a pointer or nothing in `rax`:
/// everything the call needs, read once from the plan.
#[cfg(call_plan)]
#[derive(Clone, Copy)]
struct Quick {
    code: usize,
    /// How the result is narrowed from `rax` (not at all for a pointer or
    /// void).
    int: conv::Extend,
}

/// How a setter writes an argument, decided once from the parameter's type:
/// a fixed-width integer in its range (the conversion's own
/// [`conv::int_range`]), a `double`, a `float` that does not overflow, or
/// an address for a `void *`/`char *`/`wchar_t *`, goes straight to its word
/// of the frame; anything else, and every refusal, takes the general path
/// (the type's one conversion).
#[derive(Clone, Copy)]
struct Fast {
    how: How,
    /// The argument's word in the frame.
    dst: u32,
    /// For integers, the range `lo..=hi` (every fixed-width C integer range
    /// fits an `i64` low end and a `u64` high end), and `hi` as far as an
    /// `i64` reaches (for [`set_i64`](PreparedCall::set_i64)). Empty for
    /// every other type (`lo` is 1, above both highs), so the integer
    /// setters check the range alone.
    lo: i64,
    hi: u64,
    hi_i64: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    Int,
    F64,
    F32,
    Address,
    /// Another type with a word image (`bool`, `char`, ...): the general
    /// conversion, then the store.
    Word,
    /// Structures, wide types, arguments split across words.
    General,
}

impl Function {
    /// A [`PreparedCall`] of this function, for calling it many times with
    /// arguments set by index.
    ///
    /// # Errors
    /// As [`Function::prepare`], and [`Error::Signature`] for a function
    /// without argtypes, variadic, with an errcheck hook, or at address 0.
    pub fn prepared(&self) -> Result<PreparedCall<'_>> {
        let f = &*self.inner;
        let refuse = |message: &str| Error::Signature {
            function: f.name.clone().into(),
            message: message.into(),
        };
        let Some(types) = &f.argtypes else {
            return Err(refuse("declare argtypes first"));
        };
        if f.variadic {
            return Err(refuse("a variadic function has no fixed signature"));
        }
        if f.errcheck.is_some() {
            return Err(refuse(
                "an errcheck hook works on Values, which a prepared call does not make",
            ));
        }
        if f.code == 0 {
            return Err(refuse("the function is at address 0"));
        }
        let plan = self.fixed_plan(types)?;
        let n = plan.arity();
        // where each parameter's word lives in the frame
        #[cfg(call_plan)]
        let (frame_words, word_of): (usize, Box<dyn Fn(usize) -> Option<u32>>) = match plan.layout()
        {
            Some(layout) => (
                REGS_WORDS + layout.words as usize,
                Box::new(move |i| match layout.args.get(i) {
                    Some(Place::Word(Loc::Gpr(r))) => Some(u32::from(*r)),
                    Some(Place::Word(Loc::Sse(r))) => u32::try_from(GPRS + usize::from(*r)).ok(),
                    Some(Place::Word(Loc::Stack(w))) => {
                        u32::try_from(REGS_WORDS).ok()?.checked_add(*w)
                    }
                    _ => None,
                }),
            ),
            None => (
                n * SLOT_WORDS,
                Box::new(|i| u32::try_from(i * SLOT_WORDS).ok()),
            ),
        };
        #[cfg(not(call_plan))]
        let (frame_words, word_of): (usize, Box<dyn Fn(usize) -> Option<u32>>) = (
            n * SLOT_WORDS,
            Box::new(|i| u32::try_from(i * SLOT_WORDS).ok()),
        );
        let fast = plan
            .params()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let general = Fast {
                    how: How::General,
                    dst: 0,
                    lo: 1,
                    hi: 0,
                    hi_i64: 0,
                };
                // (`put` relies on every fast word lying inside the frame)
                let dst = word_of(i).filter(|&d| (d as usize) < frame_words);
                let (ArgKind::Word(scalar), Some(dst)) = (p.kind, dst) else {
                    return general;
                };
                let how = if scalar.is_plain_int() {
                    How::Int
                } else if scalar == Scalar::F64 {
                    How::F64
                } else if scalar == Scalar::F32 {
                    How::F32
                } else if scalar.is_pointer() {
                    How::Address
                } else {
                    How::Word
                };
                if how != How::Int {
                    return Fast {
                        how,
                        dst,
                        ..general
                    };
                }
                let (lo, hi) = conv::int_range(scalar);
                Fast {
                    how,
                    dst,
                    lo: i64::try_from(lo).unwrap_or(1),
                    hi: u64::try_from(hi).unwrap_or(0),
                    hi_i64: i64::try_from(hi).unwrap_or(i64::MAX),
                }
            })
            .collect();
        let frame = vec![MaybeUninit::new(0u64); frame_words].into_boxed_slice();
        #[cfg(call_plan)]
        let mut frame = frame;
        #[cfg(call_plan)]
        let quick = match plan.layout() {
            Some(layout) => {
                // the registers head the frame; the stack area follows them
                let stack = frame[REGS_WORDS.min(frame.len())..].as_ptr().cast::<u64>();
                let regs = Regs::new(stack, layout.words as usize, layout.x87_results());
                // SAFETY: the frame holds at least REGS_WORDS words, aligned
                // for Regs (repr(C), all 8-byte fields).
                unsafe { frame.as_mut_ptr().cast::<Regs>().write(regs) };
                let int = match plan.ret() {
                    RetKind::Word(s) if s.is_integer() => Some(Some(s)),
                    RetKind::Word(s) if s.is_pointer() => Some(None),
                    RetKind::Address => Some(None),
                    RetKind::Void if plan.restype().is_void() => Some(None),
                    _ => None,
                };
                // the general-register words start initialised (zero), so
                // the quick call may pass all six whatever the arity
                for word in frame.iter_mut().take(GPRS) {
                    *word = MaybeUninit::new(0);
                }
                match (int, layout.stub.rax_only(), f.use_errno) {
                    (Some(int), true, false) => Some(Quick {
                        code: f.code,
                        int: conv::Extend::of(int.unwrap_or(Scalar::U64)),
                    }),
                    _ => None,
                }
            }
            None => None,
        };
        let mut call = PreparedCall {
            #[cfg(call_plan)]
            quick,
            fast,
            frame,
            avalues: vec![std::ptr::null_mut(); n].into_boxed_slice(),
            packed: vec![std::ptr::null_mut(); n].into_boxed_slice(),
            kept: (0..n).map(|_| Kept::Nothing).collect(),
            error: None,
            last_wide: [0; 4],
            plan,
            function: self.clone(),
            _instances: PhantomData,
        };
        // Every scalar and pointer argument starts as 0 (NULL); structures
        // must be set before the first call.
        for (i, p) in plan.params().iter().enumerate() {
            let zero = match p.kind {
                ArgKind::Word(s) if s.is_pointer() => Value::Null,
                ArgKind::Address => Value::Null,
                ArgKind::Word(s) if s.is_integer() => Value::Int(0),
                ArgKind::Word(_) | ArgKind::Wide(_) => Value::Float(0.0),
                ArgKind::Aggregate | ArgKind::Empty => continue,
            };
            call.store(i, &zero);
        }
        call.error = None;
        Ok(call)
    }
}

impl<'a> PreparedCall<'a> {
    #[inline(always)]
    fn plan(&self) -> &'a Plan {
        // SAFETY: `self.function` keeps the plan alive and in place (see
        // the field).
        unsafe { &*self.plan }
    }

    /// The registers at the head of a planned frame.
    #[cfg(call_plan)]
    #[inline(always)]
    fn regs(&mut self) -> *mut Regs {
        self.frame.as_mut_ptr().cast()
    }

    /// Writes word `w` at word `dst` of the frame.
    #[inline(always)]
    fn put(&mut self, dst: u32, w: u64) {
        debug_assert!((dst as usize) < self.frame.len());
        // SAFETY: `dst` comes from a `Fast`, whose words `prepared` checked
        // lie inside the frame (which never changes size).
        unsafe { self.frame.get_unchecked_mut(dst as usize) }.write(w);
    }

    /// Converts `v` for argument `index` with the rules of
    /// [`Function::call`] (the general path), keeping the first refusal.
    #[inline(never)]
    fn store(&mut self, index: usize, v: &Value) -> &mut Self {
        let plan = self.plan();
        let Some(param) = plan.params().get(index) else {
            return self.refuse(Error::ArgumentCount {
                function: self.function.name().into(),
                expected: plan.arity(),
                given: index.saturating_add(1),
                variadic: false,
            });
        };
        let mut copy = OwnedString(None);
        #[cfg(call_plan)]
        if let Some(layout) = plan.layout() {
            let place = layout.args.get(index).copied().unwrap_or(Place::Nothing);
            let (head, stack) = self.frame.split_at_mut(REGS_WORDS.min(self.frame.len()));
            // SAFETY: the head of the frame is the Regs written in `prepared`.
            let regs = unsafe { &mut *head.as_mut_ptr().cast::<Regs>() };
            let r = place_arg(regs, stack, param, place, v, &mut copy);
            return self.stored(index, r.map(|()| None), copy, v);
        }
        let at = index * SLOT_WORDS;
        let Some(words) = self.frame.get_mut(at..at + SLOT_WORDS) else {
            return self;
        };
        // SAFETY: a slot is SLOT_WORDS words of the frame, aligned to 8 as a
        // Wide ([u64; 4]) is.
        let slot = unsafe { &mut *words.as_mut_ptr().cast::<MaybeUninit<Wide>>() };
        let r = ffi_arg(param, v, slot, &mut copy);
        self.stored(index, r, copy, v)
    }

    /// Records the outcome of a general store of `v`.
    fn stored(
        &mut self,
        index: usize,
        r: std::result::Result<Option<*mut c_void>, conv::Refused>,
        copy: OwnedString,
        v: &Value,
    ) -> &mut Self {
        match r {
            Ok(at) => {
                if let (Some(at), Some(avalue)) = (at, self.avalues.get_mut(index)) {
                    *avalue = at;
                }
                if let Some(slot) = self.kept.get_mut(index) {
                    // What the frame now refers to; a value that refers to
                    // nothing releases what the argument held before.
                    *slot = match (copy.0, v) {
                        (Some(bytes), _) => Kept::Copy(bytes),
                        (None, Value::Data(_) | Value::ByRef { .. } | Value::Callback(_)) => {
                            Kept::Value(v.clone()) // a handle, no copy
                        }
                        (None, _) => Kept::Nothing,
                    };
                }
                self
            }
            Err(e) => {
                let e = e.at_argument(self.function.name(), index);
                self.refuse(e)
            }
        }
    }

    #[cold]
    fn refuse(&mut self, e: Error) -> &mut Self {
        if self.error.is_none() {
            self.error = Some(e);
        }
        self
    }

    /// Sets argument `index` to any value, converted as [`Function::call`]
    /// converts it. A string is copied, and an instance, a `byref` or a
    /// callback is held, until the argument is set again: what the frame
    /// points at lives as long as the calls need it.
    pub fn set(&mut self, index: usize, value: impl Into<Value>) -> &mut Self {
        self.store(index, &value.into())
    }

    // The setters below wrap plain numbers in a `Value` only on their
    // general path; such values own nothing, so they are never dropped.

    /// Sets an integer argument (any integer type, `bool`, `char`).
    #[inline]
    pub fn set_i64(&mut self, index: usize, value: i64) -> &mut Self {
        if let Some(&Fast {
            dst, lo, hi_i64, ..
        }) = self.fast.get(index)
        {
            // (an empty range for any other type)
            if lo <= value && value <= hi_i64 {
                self.put(dst, value as u64);
                return self;
            }
        }
        self.store(index, &ManuallyDrop::new(Value::Int(value)))
    }

    /// Sets an unsigned integer argument.
    #[inline]
    pub fn set_u64(&mut self, index: usize, value: u64) -> &mut Self {
        if let Some(&Fast { dst, lo, hi, .. }) = self.fast.get(index) {
            // (`lo` is 1 for any other type; an integer's is 0 or below)
            if value <= hi && lo <= 0 {
                self.put(dst, value);
                return self;
            }
        }
        self.store(index, &ManuallyDrop::new(Value::UInt(value)))
    }

    /// Sets a floating-point argument (`float`, `double`, `long double`).
    #[inline]
    pub fn set_f64(&mut self, index: usize, value: f64) -> &mut Self {
        match self.fast.get(index) {
            Some(&Fast {
                how: How::F64, dst, ..
            }) => {
                self.put(dst, value.to_bits());
                self
            }
            Some(&Fast {
                how: How::F32, dst, ..
            }) if conv::to_f32(value).is_some() => {
                self.put(dst, u64::from((value as f32).to_bits()));
                self
            }
            _ => self.store(index, &ManuallyDrop::new(Value::Float(value))),
        }
    }

    /// Sets a `void *` argument to an address (0 is NULL). For a typed
    /// pointer parameter, pass an instance with
    /// [`set_data`](PreparedCall::set_data).
    #[inline]
    pub fn set_address(&mut self, index: usize, address: usize) -> &mut Self {
        if let Some(&Fast {
            how: How::Address,
            dst,
            ..
        }) = self.fast.get(index)
        {
            self.put(dst, address as u64);
            return self;
        }
        self.store(index, &ManuallyDrop::new(Value::Pointer(address)))
    }

    /// Sets an argument from an instance, as [`Function::call`] takes a
    /// `Value::Data`: a structure by value (its bytes are copied now), or
    /// its address for a pointer parameter (then it must outlive the calls).
    pub fn set_data(&mut self, index: usize, data: &'a CData) -> &mut Self {
        self.store(index, &Value::Data(data.clone()))
    }

    /// Calls the function with the arguments set, discarding the result.
    ///
    /// # Safety
    /// As [`Function::call`]: the declaration must be the function's real
    /// signature, and instances given with `set_data` must still be alive.
    ///
    /// # Errors
    /// The first refusal of a setter since the last call (nothing is called
    /// then).
    #[inline]
    pub unsafe fn call(&mut self) -> Result<()> {
        #[cfg(call_plan)]
        if let (Some(quick), None) = (&self.quick, &self.error) {
            // SAFETY: forwarded from the caller (see `quick_call`).
            unsafe { self.quick_call(quick) };
            return Ok(());
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.raw_call(None) }.map(|_| ())
    }

    /// Calls the function and returns its integer result (an integer,
    /// `bool`, `char` or pointer restype).
    ///
    /// # Safety
    /// As [`PreparedCall::call`].
    ///
    /// # Errors
    /// As [`PreparedCall::call`], and [`Error::ValueType`] when the restype
    /// is not an integer type.
    #[inline]
    pub unsafe fn call_i64(&mut self) -> Result<i64> {
        #[cfg(call_plan)]
        if let (Some(quick), None) = (&self.quick, &self.error) {
            // SAFETY: forwarded from the caller.
            let rax = unsafe { self.quick_call(quick) };
            return Ok(quick.int.apply(rax) as i64);
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.call_i64_slow() }
    }

    /// The quick call: the function called with the six general-register
    /// words of the frame, and its `rax`.
    ///
    /// # Safety
    /// As [`PreparedCall::call`]; `quick` was made for this call's plan,
    /// whose arguments all travel in general registers (and which neither
    /// swaps errno nor is variadic).
    #[cfg(call_plan)]
    #[inline(always)]
    unsafe fn quick_call(&self, quick: &Quick) -> u64 {
        let g = self.frame.as_ptr();
        // SAFETY: the frame starts with the GPRS register words, which
        // `prepared` zeroed and setters only overwrite (initialised).
        let w = |i: usize| unsafe { (*g.add(i)).assume_init() };
        // SAFETY: every argument is in its register's word (or is the zero
        // it started as); the caller guarantees the signature.
        unsafe { call_gprs(w(0), w(1), w(2), w(3), w(4), w(5), quick.code) }
    }

    /// [`call_i64`](PreparedCall::call_i64) for every other signature.
    ///
    /// # Safety
    /// As [`PreparedCall::call`].
    #[inline(never)]
    unsafe fn call_i64_slow(&mut self) -> Result<i64> {
        // SAFETY: forwarded from the caller.
        let w = unsafe { self.raw_call(None) }?;
        match self.plan().ret() {
            RetKind::Word(s) if s.is_integer() => Ok(conv::extend(s, w) as i64),
            RetKind::Word(s) if s.is_pointer() => Ok(w as i64),
            RetKind::Address => Ok(w as i64),
            _ => Err(self.wrong_result("an integer")),
        }
    }

    /// Calls the function and returns its floating-point result.
    ///
    /// # Safety
    /// As [`PreparedCall::call`].
    ///
    /// # Errors
    /// As [`PreparedCall::call`], and [`Error::ValueType`] when the restype
    /// is not `float` or `double` (or `long double`).
    pub unsafe fn call_f64(&mut self) -> Result<f64> {
        // SAFETY: forwarded from the caller.
        let w = unsafe { self.raw_call(None) }?;
        match self.plan().ret() {
            RetKind::Word(Scalar::F32) => Ok(f64::from(f32::from_bits(w as u32))),
            RetKind::Word(Scalar::F64) => Ok(f64::from_bits(w)),
            RetKind::Wide(Scalar::LongDouble) => {
                conv::decode_wide(Scalar::LongDouble, &self.last_wide)?.as_f64()
            }
            _ => Err(self.wrong_result("a float")),
        }
    }

    /// Calls the function and returns its pointer result as an address.
    ///
    /// # Safety
    /// As [`PreparedCall::call`].
    ///
    /// # Errors
    /// As [`PreparedCall::call_i64`].
    pub unsafe fn call_address(&mut self) -> Result<usize> {
        // SAFETY: forwarded from the caller.
        unsafe { self.call_i64() }.map(|w| w as usize)
    }

    /// Calls the function and writes its structure result into `out`, an
    /// instance of the restype (no allocation).
    ///
    /// # Safety
    /// As [`PreparedCall::call`].
    ///
    /// # Errors
    /// As [`PreparedCall::call`], and [`Error::Conversion`] when `out` is
    /// not an instance of exactly the restype.
    pub unsafe fn call_into(&mut self, out: &CData) -> Result<()> {
        let restype = self.plan().restype().clone();
        if out.ctype() != &restype || !restype.is_record() {
            return Err(crate::error::ConvError::new(
                restype.to_string(),
                format!("{} instance", out.ctype()),
                "the result instance must be of exactly the (structure) restype",
            )
            .into());
        }
        out.check_readable("writing the result")?;
        // SAFETY: forwarded from the caller; `out` is of the restype.
        unsafe { self.raw_call(Some(out)) }.map(|_| ())
    }

    #[cold]
    fn wrong_result(&self, expected: &str) -> Error {
        Error::ValueType {
            expected: format!("{expected} result").into(),
            given: format!(
                "`{}` returns {}",
                self.function.name(),
                self.plan().restype()
            )
            .into(),
        }
    }

    /// Calls, and returns the result's word image (the register); a wide
    /// result is left in `last_wide`, a structure in `out`.
    ///
    /// # Safety
    /// As [`PreparedCall::call`]; `out`, when given, is of the restype.
    unsafe fn raw_call(&mut self, out: Option<&CData>) -> Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let plan = self.plan();
        let (code, use_errno) = (self.function.inner.code, self.function.inner.use_errno);
        #[cfg(call_plan)]
        if let Some(layout) = plan.layout() {
            let regs = self.regs();
            let mut result_buffer = None;
            if layout.ret == RetPlace::Memory {
                let d = match out {
                    Some(d) => d.clone(),
                    None => CData::try_new(plan.restype())?,
                };
                // SAFETY: the frame's head is the Regs written in `prepared`.
                unsafe { (*regs).set(Loc::Gpr(0), d.address() as u64) };
                result_buffer = Some(d);
            }
            let stub = layout.stub_code;
            // SAFETY: every argument was placed where the layout says (or is
            // the zero it started as); what pointers point into (string
            // copies, instances and callbacks in `self.kept`, instances kept
            // alive by the caller for 'a, the result buffer) outlives the
            // call; the caller guarantees the signature.
            unsafe { errno::swapped(use_errno, || stub(regs, code)) };
            drop(result_buffer);
            // SAFETY: the stub stored rax.
            let rax = unsafe { (*regs).rax() };
            if layout.stub.rax_only() {
                return Ok(rax);
            }
            // SAFETY: the other stubs store all four result registers, and
            // pop the x87 results they were told of.
            let (ret, x87) = unsafe { ((*regs).ret(), (*regs).x87()) };
            self.last_wide = match layout.ret {
                RetPlace::X87(_) => x87,
                _ => [ret[2], ret[3], 0, 0],
            };
            if let Some(d) = out {
                let bytes = match layout.ret {
                    RetPlace::Pair(classes) => Some(pair_result(ret, classes)),
                    RetPlace::X87(_) => Some([x87[0], x87[1]]),
                    _ => None,
                };
                if let Some(words) = bytes {
                    let size = d.ctype().size().min(16);
                    // SAFETY: `d` is a readable instance of the restype (checked).
                    unsafe {
                        std::ptr::copy_nonoverlapping(words.as_ptr().cast::<u8>(), d.ptr(), size)
                    };
                }
            }
            return Ok(match layout.ret {
                RetPlace::Xmm0 => ret[2],
                _ => rax,
            });
        }
        let cif = plan.cif()?;
        let mut buf: Wide = [0; 4];
        let rvalue: *mut c_void = match out {
            Some(d) => d.ptr().cast(),
            None if plan.ret() == RetKind::Aggregate => {
                return Err(self.wrong_result("a scalar (use call_into)"));
            }
            None => buf.as_mut_ptr().cast(),
        };
        // arguments passed as nothing have no avalue: close the gaps
        let present = self.avalues.iter().copied().filter(|p| !p.is_null());
        for (slot, p) in self.packed.iter_mut().zip(present) {
            *slot = p;
        }
        let avalues_ptr = self.packed.as_mut_ptr();
        // SAFETY: every avalue points at a converted argument (in the
        // frame's slots, in a copy or instance in `kept`, or in an instance
        // kept alive for 'a); the buffer holds any scalar result; the caller
        // guarantees the signature.
        unsafe {
            let code: unsafe extern "C" fn() =
                std::mem::transmute::<usize, unsafe extern "C" fn()>(code);
            errno::swapped(use_errno, || {
                raw::ffi_call(cif.as_ptr(), Some(code), rvalue, avalues_ptr)
            });
        }
        self.last_wide = buf;
        Ok(match plan.ret() {
            // SAFETY: the buffer holds the result
            RetKind::Word(s) => unsafe { conv::load_word(s, false, buf.as_ptr().cast()) },
            _ => buf[0],
        })
    }
}

/// What an argument set with [`PreparedCall::set`] refers to, kept as long
/// as the frame holds its address. The payloads are never read: they are
/// held for what they own (and dropped when the argument is set again).
#[allow(dead_code)]
enum Kept {
    Nothing,
    /// The copy of a string (`char *`, `wchar_t *`, bytes).
    Copy(Box<[u8]>),
    /// An instance, a `byref` or a callback (for a structure libffi passes
    /// in memory, the frame points into the instance).
    Value(Value),
}

/// Keeps the string copy a `set` made, in the prepared call.
struct OwnedString(Option<Box<[u8]>>);

impl conv::Sink for OwnedString {
    fn bytes(&mut self, bytes: &[u8]) -> usize {
        let copy: Box<[u8]> = bytes.iter().copied().chain(std::iter::once(0)).collect();
        let addr = copy.as_ptr() as usize;
        self.0 = Some(copy);
        addr
    }

    fn wide(&mut self, units: &mut dyn Iterator<Item = conv::WideUnit>, len: usize) -> usize {
        let unit = size_of::<conv::WideUnit>();
        let mut copy = vec![0u8; (len + 1) * unit];
        for (chunk, u) in copy.chunks_mut(unit).zip(units) {
            chunk.copy_from_slice(&u.to_ne_bytes());
        }
        let copy = copy.into_boxed_slice();
        let addr = copy.as_ptr() as usize;
        self.0 = Some(copy);
        addr
    }

    fn refers(&mut self, _target: conv::Referent<'_>) {}
}
