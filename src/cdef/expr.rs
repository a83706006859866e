//! Constant values and C's arithmetic on them: integer constants with their
//! C type (the usual arithmetic conversions, unsigned wrap-around), floating
//! constants and strings. Signed overflow, division by zero and shifts out
//! of range are errors, never a wrapped value or a panic.

use std::ffi::c_long;

use crate::value::Value;

/// The size of `long` in bytes.
pub(crate) const LONG_SIZE: u8 = std::mem::size_of::<c_long>() as u8;

/// An integer constant's C type: its size in bytes (4 or 8) and signedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IntTy {
    pub size: u8,
    pub signed: bool,
}

impl IntTy {
    pub(crate) const INT: IntTy = IntTy {
        size: 4,
        signed: true,
    };
    pub(crate) const UINT: IntTy = IntTy {
        size: 4,
        signed: false,
    };
    pub(crate) const LONG: IntTy = IntTy {
        size: LONG_SIZE,
        signed: true,
    };
    pub(crate) const ULONG: IntTy = IntTy {
        size: LONG_SIZE,
        signed: false,
    };
    pub(crate) const LLONG: IntTy = IntTy {
        size: 8,
        signed: true,
    };
    pub(crate) const ULLONG: IntTy = IntTy {
        size: 8,
        signed: false,
    };

    fn bits(self) -> u32 {
        u32::from(self.size) * 8
    }

    fn min(self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits() - 1))
        } else {
            0
        }
    }

    fn max(self) -> i128 {
        if self.signed {
            (1i128 << (self.bits() - 1)) - 1
        } else {
            (1i128 << self.bits()) - 1
        }
    }

    pub(crate) fn fits(self, v: i128) -> bool {
        v >= self.min() && v <= self.max()
    }

    /// `v` converted to this type as C converts (modulo 2^bits; gcc wraps
    /// into signed types too).
    pub(crate) fn wrap(self, v: i128) -> i128 {
        let bits = self.bits();
        let m = v.rem_euclid(1i128 << bits);
        if self.signed && m > self.max() {
            m - (1i128 << bits)
        } else {
            m
        }
    }
}

/// A constant's value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CVal {
    /// An integer, in range for its type.
    Int(i128, IntTy),
    Float(f64),
    /// A narrow string literal's bytes (without the NUL).
    Bytes(Vec<u8>),
    /// A wide string literal.
    Wide(String),
    /// An integer cast to a pointer type.
    Pointer(u64),
}

impl CVal {
    pub(crate) fn int(v: i128) -> CVal {
        CVal::Int(v, IntTy::INT)
    }

    /// The value a user sees.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            CVal::Int(v, ty) => {
                if ty.signed {
                    i64::try_from(*v).map_or(Value::UInt(*v as u64), Value::Int)
                } else {
                    u64::try_from(*v).map_or(Value::Int(*v as i64), Value::UInt)
                }
            }
            CVal::Float(x) => Value::Float(*x),
            CVal::Bytes(b) => Value::Bytes(b.clone()),
            CVal::Wide(s) => Value::Str(s.clone()),
            CVal::Pointer(0) => Value::Null,
            CVal::Pointer(p) => Value::Pointer(*p as usize),
        }
    }

    /// The integer, for contexts that need one (array sizes, enumerators,
    /// bitfield widths, alignments).
    pub(crate) fn as_int(&self) -> Option<i128> {
        match self {
            CVal::Int(v, _) => Some(*v),
            _ => None,
        }
    }

    fn truthy(&self) -> Result<bool, String> {
        match self {
            CVal::Int(v, _) => Ok(*v != 0),
            CVal::Float(x) => Ok(*x != 0.0),
            CVal::Pointer(p) => Ok(*p != 0),
            _ => Err("a string is not a condition".into()),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            CVal::Int(..) => "an integer",
            CVal::Float(_) => "a floating constant",
            CVal::Bytes(_) | CVal::Wide(_) => "a string",
            CVal::Pointer(_) => "a pointer",
        }
    }
}

/// A binary operator of constant expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    And,
    Xor,
    Or,
}

/// Integer promotion then the usual arithmetic conversions (LP64 or LLP64:
/// `long long` ranks above `long`; both are 8 bytes on LP64).
fn common(a: IntTy, b: IntTy) -> IntTy {
    if a == b {
        return a;
    }
    if a.signed == b.signed {
        return if a.size >= b.size { a } else { b };
    }
    let (s, u) = if a.signed { (a, b) } else { (b, a) };
    if u.size >= s.size {
        u
    } else {
        // The signed type is wider and holds every value of the unsigned one.
        s
    }
}

/// `a op b`.
pub(crate) fn binary(op: BinOp, a: &CVal, b: &CVal) -> Result<CVal, String> {
    use BinOp::*;
    match (a, b) {
        (CVal::Int(x, tx), CVal::Int(y, ty)) => {
            let (x, y) = (*x, *y);
            if matches!(op, Shl | Shr) {
                // The result has the (promoted) left operand's type.
                let t = *tx;
                if y < 0 || y >= i128::from(t.bits()) {
                    return Err(format!(
                        "shift by {y} is out of range for a {}-bit value",
                        t.bits()
                    ));
                }
                let n = y as u32;
                return Ok(if op == Shl {
                    if x < 0 {
                        return Err("left shift of a negative value".into());
                    }
                    // gcc defines a signed left shift as the wrapped bit pattern.
                    CVal::Int(t.wrap(x << n), t)
                } else {
                    CVal::Int(x >> n, t)
                });
            }
            if matches!(op, Lt | Gt | Le | Ge | Eq | Ne) {
                // Compared in the common type (so -1 < 0u is false, as in C).
                let t = common(*tx, *ty);
                let (x, y) = (t.wrap(x), t.wrap(y));
                let r = match op {
                    Lt => x < y,
                    Gt => x > y,
                    Le => x <= y,
                    Ge => x >= y,
                    Eq => x == y,
                    _ => x != y,
                };
                return Ok(CVal::int(i128::from(r)));
            }
            let t = common(*tx, *ty);
            let (x, y) = (t.wrap(x), t.wrap(y));
            let raw = match op {
                Mul => x.checked_mul(y),
                Div | Rem if y == 0 => return Err("division by zero".into()),
                Div => x.checked_div(y),
                Rem => x.checked_rem(y),
                Add => x.checked_add(y),
                Sub => x.checked_sub(y),
                And => Some(x & y),
                Xor => Some(x ^ y),
                Or => Some(x | y),
                _ => None,
            }
            .ok_or_else(|| "integer overflow".to_string())?;
            if t.signed {
                if !t.fits(raw) {
                    return Err(format!(
                        "integer overflow: {raw} does not fit in a {}-bit signed type",
                        t.bits()
                    ));
                }
                Ok(CVal::Int(raw, t))
            } else {
                // Unsigned arithmetic is modular in C.
                Ok(CVal::Int(t.wrap(raw), t))
            }
        }
        (CVal::Int(..) | CVal::Float(_), CVal::Int(..) | CVal::Float(_)) => {
            let (x, y) = (to_f64(a), to_f64(b));
            Ok(match op {
                Mul => CVal::Float(x * y),
                Div => CVal::Float(x / y),
                Add => CVal::Float(x + y),
                Sub => CVal::Float(x - y),
                Lt => CVal::int(i128::from(x < y)),
                Gt => CVal::int(i128::from(x > y)),
                Le => CVal::int(i128::from(x <= y)),
                Ge => CVal::int(i128::from(x >= y)),
                Eq => CVal::int(i128::from(x == y)),
                Ne => CVal::int(i128::from(x != y)),
                _ => return Err("this operator needs integer operands".into()),
            })
        }
        _ => Err(format!(
            "cannot apply an operator to {} and {}",
            a.describe(),
            b.describe()
        )),
    }
}

fn to_f64(v: &CVal) -> f64 {
    match v {
        CVal::Int(x, _) => *x as f64,
        CVal::Float(x) => *x,
        _ => 0.0,
    }
}

/// A unary operator of constant expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Not,
    BitNot,
}

/// `op a`.
pub(crate) fn unary(op: UnOp, a: &CVal) -> Result<CVal, String> {
    match (op, a) {
        (UnOp::Not, v) => Ok(CVal::int(i128::from(!v.truthy()?))),
        (UnOp::Plus, CVal::Int(..) | CVal::Float(_)) => Ok(a.clone()),
        (UnOp::Neg, CVal::Float(x)) => Ok(CVal::Float(-x)),
        (UnOp::Neg, CVal::Int(x, t)) => {
            let r = -*x;
            if t.signed {
                if !t.fits(r) {
                    return Err("integer overflow in negation".into());
                }
                Ok(CVal::Int(r, *t))
            } else {
                Ok(CVal::Int(t.wrap(r), *t))
            }
        }
        (UnOp::BitNot, CVal::Int(x, t)) => Ok(CVal::Int(t.wrap(!*x), *t)),
        _ => Err(format!("cannot apply an operator to {}", a.describe())),
    }
}

/// `cond ? a : b` once the condition is known.
pub(crate) fn truth(v: &CVal) -> Result<bool, String> {
    v.truthy()
}

/// The target of a cast in a constant expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CastTo {
    Int(IntTy),
    Bool,
    Float,
    Pointer,
}

/// `(T) v`.
pub(crate) fn cast(to: CastTo, v: &CVal) -> Result<CVal, String> {
    match (to, v) {
        (CastTo::Int(t), CVal::Int(x, _)) => Ok(CVal::Int(t.wrap(*x), t)),
        (CastTo::Int(t), CVal::Pointer(p)) => Ok(CVal::Int(t.wrap(i128::from(*p)), t)),
        (CastTo::Int(t), CVal::Float(x)) => {
            let x = x.trunc();
            if !x.is_finite() || !t.fits(x as i128) {
                return Err(format!("{x} does not fit the integer type of the cast"));
            }
            Ok(CVal::Int(x as i128, t))
        }
        (CastTo::Bool, v) => Ok(CVal::int(i128::from(v.truthy()?))),
        (CastTo::Float, CVal::Int(..) | CVal::Float(_)) => Ok(CVal::Float(to_f64(v))),
        (CastTo::Pointer, CVal::Int(x, _)) => Ok(CVal::Pointer(IntTy::ULLONG.wrap(*x) as u64)),
        (CastTo::Pointer, CVal::Pointer(p)) => Ok(CVal::Pointer(*p)),
        _ => Err(format!("cannot cast {}", v.describe())),
    }
}

/// The type C gives an integer literal, from its value, base and suffix.
fn literal_type(v: u128, decimal: bool, unsigned: bool, longs: u8) -> Option<IntTy> {
    let candidates: &[IntTy] = match (unsigned, longs, decimal) {
        (false, 0, true) => &[IntTy::INT, IntTy::LONG, IntTy::LLONG],
        (false, 0, false) => &[
            IntTy::INT,
            IntTy::UINT,
            IntTy::LONG,
            IntTy::ULONG,
            IntTy::LLONG,
            IntTy::ULLONG,
        ],
        (true, 0, _) => &[IntTy::UINT, IntTy::ULONG, IntTy::ULLONG],
        (false, 1, true) => &[IntTy::LONG, IntTy::LLONG],
        (false, 1, false) => &[IntTy::LONG, IntTy::ULONG, IntTy::LLONG, IntTy::ULLONG],
        (true, 1, _) => &[IntTy::ULONG, IntTy::ULLONG],
        (false, _, true) => &[IntTy::LLONG],
        (false, _, false) => &[IntTy::LLONG, IntTy::ULLONG],
        (true, _, _) => &[IntTy::ULLONG],
    };
    let v = i128::try_from(v).ok()?;
    candidates.iter().copied().find(|t| t.fits(v))
}

/// Parses a C number token: an integer (decimal, hex, octal, binary, with
/// `u`/`l`/`ll` suffixes) or a floating constant (with `f`/`l` suffixes,
/// hexadecimal ones included).
pub(crate) fn number(text: &str) -> Result<CVal, String> {
    let lower = text.to_ascii_lowercase();
    let is_hex = lower.starts_with("0x");
    let is_float = if is_hex {
        lower.contains('.') || lower.contains('p')
    } else {
        lower.contains('.') || lower.contains('e')
    };
    if is_float {
        return float(&lower).ok_or_else(|| format!("invalid floating constant `{text}`"));
    }
    let digits_end = lower
        .char_indices()
        .skip(if is_hex || lower.starts_with("0b") {
            2
        } else {
            0
        })
        .find(|(_, c)| {
            if is_hex {
                !c.is_ascii_hexdigit()
            } else {
                !c.is_ascii_digit()
            }
        })
        .map_or(lower.len(), |(i, _)| i);
    let (body, suffix) = lower.split_at(digits_end);
    let (unsigned, longs) = match suffix {
        "" => (false, 0),
        "u" => (true, 0),
        "l" => (false, 1),
        "ul" | "lu" => (true, 1),
        "ll" => (false, 2),
        "ull" | "llu" => (true, 2),
        _ => return Err(format!("invalid suffix on integer constant `{text}`")),
    };
    let (radix, digits, decimal) = if let Some(d) = body.strip_prefix("0x") {
        (16, d, false)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d, false)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..], false)
    } else {
        (10, body, true)
    };
    if digits.is_empty() {
        return Err(format!("invalid integer constant `{text}`"));
    }
    let mut v: u128 = 0;
    for c in digits.chars() {
        let d = c
            .to_digit(radix)
            .ok_or_else(|| format!("invalid digit `{c}` in integer constant `{text}`"))?;
        v = v
            .checked_mul(u128::from(radix))
            .and_then(|v| v.checked_add(u128::from(d)))
            .ok_or_else(|| format!("integer constant `{text}` is too large"))?;
    }
    let ty = literal_type(v, decimal, unsigned, longs)
        .ok_or_else(|| format!("integer constant `{text}` is too large for its type"))?;
    // literal_type only returns a type that holds v, so v fits i128.
    Ok(CVal::Int(v as i128, ty))
}

fn float(lower: &str) -> Option<CVal> {
    let t = lower.trim_end_matches(['f', 'l']);
    if let Some(hex) = t.strip_prefix("0x") {
        // Hexadecimal floating constant: mantissa p exponent.
        let (mant, exp) = hex.split_once('p')?;
        let exp: i32 = exp.parse().ok()?;
        let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
        let mut v = 0f64;
        for c in int_part.chars() {
            v = v * 16.0 + f64::from(c.to_digit(16)?);
        }
        let mut scale = 1.0 / 16.0;
        for c in frac_part.chars() {
            v += f64::from(c.to_digit(16)?) * scale;
            scale /= 16.0;
        }
        return Some(CVal::Float(v * 2f64.powi(exp)));
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|c| c.is_ascii_digit() || b".e+-".contains(&c))
    {
        return None;
    }
    t.parse::<f64>().ok().map(CVal::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: &CVal) -> i128 {
        v.as_int().unwrap()
    }

    #[test]
    fn literals() {
        assert_eq!(number("42").unwrap(), CVal::Int(42, IntTy::INT));
        assert_eq!(number("0x10").unwrap(), CVal::Int(16, IntTy::INT));
        assert_eq!(number("010").unwrap(), CVal::Int(8, IntTy::INT));
        assert_eq!(number("0").unwrap(), CVal::Int(0, IntTy::INT));
        assert_eq!(
            number("0xFFFFFFFF").unwrap(),
            CVal::Int(0xFFFF_FFFF, IntTy::UINT)
        );
        assert_eq!(
            number("4294967295").unwrap(),
            CVal::Int(0xFFFF_FFFF, IntTy::LONG)
        );
        assert_eq!(number("1UL").unwrap(), CVal::Int(1, IntTy::ULONG));
        assert_eq!(number("7LL").unwrap(), CVal::Int(7, IntTy::LLONG));
        assert_eq!(number("0b101").unwrap(), CVal::Int(5, IntTy::INT));
        assert_eq!(number("1.5f").unwrap(), CVal::Float(1.5));
        assert_eq!(number("1e3").unwrap(), CVal::Float(1000.0));
        assert_eq!(number("0x1p-2").unwrap(), CVal::Float(0.25));
        assert!(number("08").is_err());
        assert!(number("1x").is_err());
        assert!(number("99999999999999999999999").is_err());
        assert!(number("0x").is_err());
    }

    #[test]
    fn arithmetic() {
        let one_u = CVal::Int(1, IntTy::UINT);
        let zero = CVal::int(0);
        // 0u - 1 wraps; ~0u is UINT_MAX; -1 < 0u is false (converted to unsigned).
        assert_eq!(
            int(&binary(BinOp::Sub, &CVal::Int(0, IntTy::UINT), &one_u).unwrap()),
            0xFFFF_FFFF
        );
        assert_eq!(
            int(&unary(UnOp::BitNot, &CVal::Int(0, IntTy::UINT)).unwrap()),
            0xFFFF_FFFF
        );
        assert_eq!(
            int(&binary(BinOp::Lt, &CVal::int(-1), &CVal::Int(0, IntTy::UINT)).unwrap()),
            0
        );
        // Signed overflow and division by zero are errors.
        assert!(binary(BinOp::Add, &CVal::int(i128::from(i32::MAX)), &CVal::int(1)).is_err());
        assert!(binary(BinOp::Div, &CVal::int(1), &zero).is_err());
        assert!(binary(BinOp::Div, &CVal::int(i128::from(i32::MIN)), &CVal::int(-1)).is_err());
        assert!(binary(BinOp::Shl, &CVal::int(1), &CVal::int(32)).is_err());
        assert!(binary(BinOp::Shl, &CVal::int(1), &CVal::int(-1)).is_err());
        // gcc's 1 << 31 is INT_MIN.
        assert_eq!(
            int(&binary(BinOp::Shl, &CVal::int(1), &CVal::int(31)).unwrap()),
            -(1 << 31)
        );
        assert!(unary(UnOp::Neg, &CVal::Int(i128::from(i64::MIN), IntTy::LLONG)).is_err());
        assert_eq!(
            int(&cast(CastTo::Int(IntTy::UINT), &CVal::int(-1)).unwrap()),
            0xFFFF_FFFF
        );
        assert_eq!(
            cast(CastTo::Pointer, &CVal::int(-1)).unwrap(),
            CVal::Pointer(u64::MAX)
        );
        assert_eq!(
            binary(BinOp::Mul, &CVal::Float(1.5), &CVal::int(2)).unwrap(),
            CVal::Float(3.0)
        );
        assert!(binary(BinOp::Rem, &CVal::Float(1.5), &CVal::int(2)).is_err());
    }

    #[test]
    fn values() {
        assert_eq!(CVal::Int(5, IntTy::INT).to_value().as_i64().unwrap(), 5);
        assert_eq!(CVal::Int(5, IntTy::UINT).to_value().as_u64().unwrap(), 5);
        assert!(CVal::Pointer(0).to_value().is_null());
    }
}
