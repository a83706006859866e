//! Conversions between `f64` and the x87 80-bit extended format that
//! `long double` has on x86 and x86_64 Unix. Pure bit arithmetic.

/// The 10 significant bytes of an x87 extended value holding exactly `x`
/// (every `f64` is representable).
pub(crate) fn f64_to_x87(x: f64) -> [u8; 10] {
    let bits = x.to_bits();
    let sign = ((bits >> 63) as u16) << 15;
    let exp = ((bits >> 52) & 0x7ff) as u16;
    let frac = bits & ((1u64 << 52) - 1);
    let (e, m): (u16, u64) = match exp {
        0x7ff => (0x7fff, (1u64 << 63) | (frac << 11)),
        0 if frac == 0 => (0, 0),
        0 => {
            // Subnormal: frac * 2^-1074. Normalise so bit 63 is the integer bit.
            let lz = frac.leading_zeros();
            (15372 - lz as u16, frac << lz)
        }
        _ => (exp + (16383 - 1023), (1u64 << 63) | (frac << 11)),
    };
    let mut out = [0u8; 10];
    out[..8].copy_from_slice(&m.to_le_bytes());
    out[8..].copy_from_slice(&(sign | e).to_le_bytes());
    out
}

/// The nearest `f64` to an x87 extended value (ties to even), with overflow
/// to infinity and gradual underflow, as a C cast from `long double` to
/// `double` gives.
pub(crate) fn x87_to_f64(bytes: [u8; 10]) -> f64 {
    let mut m_bytes = [0u8; 8];
    m_bytes.copy_from_slice(&bytes[..8]);
    let m = u64::from_le_bytes(m_bytes);
    let se = u16::from_le_bytes([bytes[8], bytes[9]]);
    let sign = u64::from(se >> 15) << 63;
    let e = i32::from(se & 0x7fff);

    if e == 0x7fff {
        if m << 1 == 0 {
            return f64::from_bits(sign | (0x7ffu64 << 52));
        }
        // NaN: keep the payload's top bits and make sure it stays a NaN.
        let payload = (m >> 11) & ((1u64 << 52) - 1);
        return f64::from_bits(sign | (0x7ffu64 << 52) | payload | (1u64 << 51));
    }
    if m == 0 {
        return f64::from_bits(sign);
    }
    // value = m * 2^(E - 63) with E the unbiased exponent of bit 63.
    let lz = m.leading_zeros() as i32;
    let m = m << lz;
    let ue = if e == 0 { 1 } else { e } - 16383 - lz;

    if ue > 1023 {
        return f64::from_bits(sign | (0x7ffu64 << 52));
    }
    if ue >= -1022 {
        let mut mant = m >> 11;
        let rem = m & 0x7ff;
        if rem > 0x400 || (rem == 0x400 && mant & 1 == 1) {
            mant += 1;
        }
        let mut ue = ue;
        if mant == 1u64 << 53 {
            mant >>= 1;
            ue += 1;
            if ue > 1023 {
                return f64::from_bits(sign | (0x7ffu64 << 52));
            }
        }
        let biased = (ue + 1023) as u64;
        return f64::from_bits(sign | (biased << 52) | (mant & ((1u64 << 52) - 1)));
    }
    // Subnormal result: count units of 2^-1074. s > 11 here.
    let s = (-1011 - ue) as u32;
    if s > 64 {
        return f64::from_bits(sign);
    }
    let wide = u128::from(m);
    let mut q = (wide >> s) as u64;
    let rem = wide & ((1u128 << s) - 1);
    let half = 1u128 << (s - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    // A carry into bit 52 lands in the exponent field: the smallest normal.
    f64::from_bits(sign | q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(x: f64) {
        let back = x87_to_f64(f64_to_x87(x));
        assert_eq!(back.to_bits(), x.to_bits(), "{x:e}");
    }

    #[test]
    fn every_class_roundtrips() {
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            1.0 / 3.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            -5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123456789.125,
        ] {
            roundtrip(x);
        }
        assert!(x87_to_f64(f64_to_x87(f64::NAN)).is_nan());
    }

    #[test]
    fn known_encodings() {
        // 1.0 = integer bit set, exponent 16383.
        let one = f64_to_x87(1.0);
        assert_eq!(one, [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
        // -2.0
        assert_eq!(f64_to_x87(-2.0), [0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0xc0]);
    }

    #[test]
    fn rounding_to_nearest_even() {
        // 1 + 2^-53 (exactly halfway) rounds to 1.0; 1 + 3*2^-53 rounds up.
        let half = [0x00, 0x04, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f];
        assert_eq!(x87_to_f64(half), 1.0);
        let above = [0x00, 0x0c, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f];
        assert_eq!(x87_to_f64(above), 1.0 + 2.0 * f64::EPSILON);
        // 1/3 in extended precision rounds to the double 1/3.
        let third = [0xab, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xfd, 0x3f];
        assert_eq!(x87_to_f64(third), 1.0 / 3.0);
    }

    #[test]
    fn overflow_and_underflow() {
        // 2^16000 overflows to infinity; 2^-16000 underflows to zero.
        let big = [0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f, 0x7e];
        assert_eq!(x87_to_f64(big), f64::INFINITY);
        let tiny = [0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f, 0x01];
        assert_eq!(x87_to_f64(tiny), 0.0);
        // 2^-1074 is the smallest subnormal double.
        let e = (16383 - 1074) as u16;
        let mut b = [0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0];
        b[8..].copy_from_slice(&e.to_le_bytes());
        assert_eq!(x87_to_f64(b), 5e-324);
    }
}
