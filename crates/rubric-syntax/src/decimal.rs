//! Rubric's numbers: exact decimals of up to 38 significant digits, the `DECIMAL(38, s)` of
//! every warehouse `rubric sql` targets, and the one definition of their arithmetic, shared by
//! the checker's analysis and both evaluators.
//!
//! A [`Decimal`] is a mantissa `m` with |m| < 10³⁸ and a scale `s` of 0 to 38 places: the value
//! `m × 10⁻ˢ`. Its arithmetic:
//! - `+`, `-` and `*` are exact whenever the exact result fits in 38 digits. One that does not is
//!   rounded half away from zero to the places that fit; only a result whose integer part needs
//!   more than 38 digits is an overflow (`None`).
//! - `a / b` ([`Decimal::checked_div`]) is the exact quotient rounded half away from zero to
//!   [`DIV_PLACES`] (16) places, once: no longer quotient is rounded again (that would turn
//!   `0.xxx…x4999…95` into a tie at the 17th place and round it the wrong way). A quotient that
//!   terminates sooner keeps its short form (`1 / 4` is `0.25`). From 10²² on, 16 places do not
//!   fit, and the quotient keeps as many places as fit, still rounded once.
//! - `round(x, n)` ([`Decimal::round`]) is half away from zero.
//!
//! Equality, order and hashing are by value: `1.5 == 1.50`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The significant digits a decimal holds.
pub const MAX_DIGITS: u32 = 38;
/// The most places a decimal has.
pub const MAX_SCALE: u32 = 38;
/// The places a quotient is rounded to, half away from zero.
pub const DIV_PLACES: u32 = 16;
/// One more than the largest mantissa: 10³⁸.
pub const LIMIT: u128 = POW10[38];

/// 10⁰ to 10³⁸.
pub const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The scale as a byte of 0 to 38. Its unused values let `Option<Decimal>`, and the enums that
/// hold a decimal, keep their tag in it: a `Decimal` is 24 bytes and so is an `Option` of one.
#[rustfmt::skip]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Scale {
    S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S15, S16, S17, S18, S19,
    S20, S21, S22, S23, S24, S25, S26, S27, S28, S29, S30, S31, S32, S33, S34, S35, S36, S37,
    S38,
}

#[rustfmt::skip]
const SCALES: [Scale; 39] = {
    use Scale::*;
    [
        S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S15, S16, S17, S18, S19,
        S20, S21, S22, S23, S24, S25, S26, S27, S28, S29, S30, S31, S32, S33, S34, S35, S36, S37,
        S38,
    ]
};

/// An exact decimal: `mantissa × 10^-scale`, with |mantissa| < 10³⁸ and a scale of 0 to 38.
#[derive(Clone, Copy)]
pub struct Decimal {
    /// The low and high halves of the mantissa (an i128 kept 8-byte aligned, so that a
    /// decimal is 24 bytes and not 32).
    lo: u64,
    hi: i64,
    scale: Scale,
}

/// Why a text is not a decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseDecimalError {
    /// Not `[-+]digits[.digits]`.
    Invalid,
    /// More than 38 significant digits, or more than 38 places.
    TooLarge,
}

impl fmt::Display for ParseDecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseDecimalError::Invalid => "not a number",
            ParseDecimalError::TooLarge => "more than 38 significant digits",
        })
    }
}

impl std::error::Error for ParseDecimalError {}

impl Decimal {
    pub const ZERO: Decimal = Decimal::raw(0, Scale::S0);
    pub const ONE: Decimal = Decimal::raw(1, Scale::S0);
    pub const TWO: Decimal = Decimal::raw(2, Scale::S0);
    pub const ONE_HUNDRED: Decimal = Decimal::raw(100, Scale::S0);
    pub const NEGATIVE_ONE: Decimal = Decimal::raw(-1, Scale::S0);
    /// 10³⁸ − 1, the largest decimal.
    pub const MAX: Decimal = Decimal::raw(LIMIT as i128 - 1, Scale::S0);
    /// −(10³⁸ − 1), the smallest decimal.
    pub const MIN: Decimal = Decimal::raw(1 - LIMIT as i128, Scale::S0);

    const fn raw(m: i128, scale: Scale) -> Decimal {
        Decimal {
            lo: m as u64,
            hi: (m >> 64) as i64,
            scale,
        }
    }

    /// `m × 10^-scale`, or `None` when |m| ≥ 10³⁸ or the scale is above 38.
    pub fn from_parts(m: i128, scale: u32) -> Option<Decimal> {
        let s = *SCALES.get(usize::try_from(scale).ok()?)?;
        (m.unsigned_abs() < LIMIT).then_some(Decimal::raw(m, s))
    }

    /// The mantissa: the value is `mantissa × 10^-scale`.
    #[inline]
    pub const fn mantissa(self) -> i128 {
        ((self.hi as i128) << 64) | self.lo as i128
    }

    /// The number of places.
    #[inline]
    pub const fn scale(self) -> u32 {
        self.scale as u32
    }

    pub fn is_zero(self) -> bool {
        self.lo == 0 && self.hi == 0
    }

    pub fn is_sign_negative(self) -> bool {
        self.hi < 0
    }

    pub fn abs(self) -> Decimal {
        Decimal::raw(self.mantissa().abs(), self.scale)
    }

    /// The same value without trailing zeros in its places: `1.50` is `1.5`, `2.00` is `2`.
    pub fn normalize(self) -> Decimal {
        let (mut m, mut s) = (self.mantissa(), self.scale());
        if m == 0 {
            return Decimal::ZERO;
        }
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        Decimal::raw(m, SCALES[s as usize])
    }

    /// The integer part, toward zero.
    pub fn trunc(self) -> Decimal {
        let s = self.scale();
        Decimal::raw(self.mantissa() / POW10[s as usize] as i128, Scale::S0)
    }

    /// The places after the point, with the sign of the value: `-1.25` gives `-0.25`.
    pub fn fract(self) -> Decimal {
        let s = self.scale();
        Decimal::raw(self.mantissa() % POW10[s as usize] as i128, self.scale)
    }

    /// The largest integer not above the value.
    pub fn floor(self) -> Decimal {
        let t = self.trunc();
        if self.is_sign_negative() && !self.fract().is_zero() {
            Decimal::raw(t.mantissa() - 1, Scale::S0)
        } else {
            t
        }
    }

    /// Rounded half away from zero to at most `places` places (`round(x, n)`).
    pub fn round(self, places: u32) -> Decimal {
        let s = self.scale();
        if places >= s {
            return self;
        }
        let m = round_div(self.mantissa(), s - places);
        // |m| < 10³⁸ / 10 rounded up is at most 10³⁷
        Decimal::raw(m, SCALES[places as usize])
    }

    /// `self + other`; `None` on overflow (an integer part of more than 38 digits).
    #[inline]
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let (sa, sb) = (self.scale(), other.scale());
        // the common case, small enough to inline: both at one scale, or one rescaled within
        // i128, and a sum that fits
        let s = sa.max(sb);
        if let (Some(a), Some(b)) = (
            rescale(self.mantissa(), s - sa),
            rescale(other.mantissa(), s - sb),
        ) {
            if let Some(r) = a.checked_add(b) {
                if r.unsigned_abs() < LIMIT {
                    return Some(Decimal::raw(r, SCALES[s as usize]));
                }
            }
        }
        self.add_wide(other)
    }

    /// [`Decimal::checked_add`] in 256 bits.
    #[cold]
    #[inline(never)]
    fn add_wide(self, other: Decimal) -> Option<Decimal> {
        let (sa, sb) = (self.scale(), other.scale());
        let (a, b) = (self.mantissa(), other.mantissa());
        let s = sa.max(sb);
        let (x, y) = (
            U256::mul(a.unsigned_abs(), POW10[(s - sa) as usize]),
            U256::mul(b.unsigned_abs(), POW10[(s - sb) as usize]),
        );
        let (neg, mag) = match ((a < 0) == (b < 0), x.cmp(&y)) {
            (true, _) => (a < 0, x.add(y)),
            (false, Ordering::Less) => (b < 0, y.sub(x)),
            (false, _) => (a < 0, x.sub(y)),
        };
        fit(neg, mag, s)
    }

    /// `self - other`; `None` on overflow.
    #[inline]
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(-other)
    }

    /// `self * other`; `None` on overflow.
    #[inline]
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        let (a, b) = (self.mantissa(), other.mantissa());
        let s = self.scale() + other.scale();
        if a.unsigned_abs() < 1 << 63 && b.unsigned_abs() < 1 << 63 && s <= MAX_SCALE {
            // both fit 64 bits: one widening multiply (an i128 product is three)
            let p = i128::from(a as i64) * i128::from(b as i64);
            if p.unsigned_abs() < LIMIT {
                return Some(Decimal::raw(p, SCALES[s as usize]));
            }
        }
        self.mul_wide(other)
    }

    /// [`Decimal::checked_mul`] in 256 bits.
    #[cold]
    #[inline(never)]
    fn mul_wide(self, other: Decimal) -> Option<Decimal> {
        let (a, b) = (self.mantissa(), other.mantissa());
        let mag = U256::mul(a.unsigned_abs(), b.unsigned_abs());
        fit((a < 0) != (b < 0), mag, self.scale() + other.scale())
    }

    /// `self / other`: the exact quotient rounded half away from zero to [`DIV_PLACES`] places,
    /// or to as many places as fit when the quotient is 10²² or more. `None` when `other` is
    /// zero (callers give missing before asking) or when the integer part of the quotient does
    /// not fit (an overflow). The result has no trailing zeros: `1 / 4` is `0.25`, `6 / 3` is
    /// `2`.
    pub fn checked_div(self, other: Decimal) -> Option<Decimal> {
        div(self, other)
    }
}

/// `m × 10^k`, when it fits in an i128.
#[inline]
fn rescale(m: i128, k: u32) -> Option<i128> {
    if k == 0 {
        Some(m)
    } else if k <= 18 && m.unsigned_abs() < 1 << 63 {
        // below 2^63 × 10^18 < 2^123: one widening multiply, which cannot overflow
        Some(i128::from(m as i64) * i128::from(POW10[k as usize] as i64))
    } else {
        m.checked_mul(POW10[k as usize] as i128)
    }
}

/// `m / 10^k` rounded half away from zero, for 1 ≤ k ≤ 38.
fn round_div(m: i128, k: u32) -> i128 {
    let p = POW10[k as usize];
    let (q, r) = (m.unsigned_abs() / p, m.unsigned_abs() % p);
    let q = (q + u128::from(r >= p / 2)) as i128;
    if m < 0 {
        -q
    } else {
        q
    }
}

/// The decimal nearest to `±mag × 10^-scale` that fits: exact when it does, else rounded half
/// away from zero to the most places that fit; `None` when not even the integer part fits.
fn fit(neg: bool, mag: U256, scale: u32) -> Option<Decimal> {
    // at least the places beyond 38 go, and then as many as the digits beyond 38 (one more when
    // rounding carries into a 39th digit)
    let mut drop = scale
        .saturating_sub(MAX_SCALE)
        .max(mag.digits().saturating_sub(MAX_DIGITS));
    while drop <= scale {
        let m = mag.round_div_pow10(drop);
        if let Some(m) = m.to_u128().filter(|&m| m < LIMIT) {
            let m = m as i128;
            let s = SCALES[(scale - drop) as usize];
            return Some(Decimal::raw(if neg { -m } else { m }, s));
        }
        drop += 1;
    }
    None
}

/// `a / b` for decimals: see [`Decimal::checked_div`].
pub fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b.is_zero() {
        return None;
    }
    let (n, d) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    if n == 0 {
        return Some(Decimal::ZERO);
    }
    let negative = (a.mantissa() < 0) != (b.mantissa() < 0);
    // a / b = (n / d) × 10^(scale(b) - scale(a)); at `t` places the mantissa is
    // round(n × 10^(t + scale(b) - scale(a)) / d). The most places that fit win.
    let shift = i64::from(b.scale()) - i64::from(a.scale());
    for t in (0..=DIV_PLACES).rev() {
        if let Some(m) = scaled_quotient(n, d, i64::from(t) + shift) {
            if m == 0 {
                return Some(Decimal::ZERO);
            }
            let m = m as i128;
            let m = if negative { -m } else { m };
            return Some(Decimal::raw(m, SCALES[t as usize]).normalize());
        }
    }
    None
}

/// `round(n × 10^e / d)`, half away from zero (all operands are magnitudes), when it is below
/// 10³⁸; `None` when it is not. `n` and `d` are below 10³⁸ and `d` is not zero.
fn scaled_quotient(n: u128, d: u128, e: i64) -> Option<u128> {
    let (floor, up) = if e >= 0 {
        let e = u32::try_from(e).ok()?;
        match POW10.get(e as usize).and_then(|&p| n.checked_mul(p)) {
            // the common case: n × 10^e fits in 128 bits
            Some(x) => {
                let q = x / d;
                (q, 2 * (x - q * d) >= d)
            }
            None => {
                // n × 10^e ≥ 2²⁵⁶ would make the quotient above 2²⁵⁶ / 10³⁸ > 10³⁸
                let x = U256::from(n).mul_pow10(e)?;
                let (q, r) = x.divrem(d);
                // r < d < 2¹²⁷, so 2r does not overflow
                (q.to_u128()?, 2 * r >= d)
            }
        }
    } else {
        // n / (d × 10^k) = floor(n / d) / 10^k: with n = q1 d + r1 and q1 = f 10^k + r2, the
        // remainder is r2 d + r1, against the divisor d 10^k. 10^k is even, so 2 r2 < 10^k means
        // 2 r2 + 2 <= 10^k, and 2 (r2 d + r1) < (2 r2 + 2) d <= 10^k d: the remainder is below
        // half exactly when 2 r2 < 10^k.
        let k = usize::try_from(-e).ok()?;
        let q1 = n / d;
        match POW10.get(k) {
            Some(&p) => (q1 / p, 2 * (q1 % p) >= p),
            // 10^k > 10³⁸ > q1: the quotient is below a half
            None => (0, false),
        }
    };
    let m = floor + u128::from(up);
    (m < LIMIT).then_some(m)
}

impl Default for Decimal {
    fn default() -> Decimal {
        Decimal::ZERO
    }
}

impl std::ops::Neg for Decimal {
    type Output = Decimal;
    /// Always fits: the range is symmetric.
    fn neg(self) -> Decimal {
        Decimal::raw(-self.mantissa(), self.scale)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    #[inline]
    fn cmp(&self, other: &Decimal) -> Ordering {
        let (sa, sb) = (self.scale(), other.scale());
        let (a, b) = (self.mantissa(), other.mantissa());
        if sa == sb {
            return a.cmp(&b);
        }
        let s = sa.max(sb);
        match (rescale(a, s - sa), rescale(b, s - sb)) {
            (Some(x), Some(y)) => x.cmp(&y),
            // a mantissa that overflows an i128 when rescaled is larger in magnitude than any
            // mantissa at that scale: its sign decides
            (None, _) => 0.cmp(&a.signum()).reverse(),
            (_, None) => b.signum().cmp(&0).reverse(),
        }
    }
}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalize();
        n.mantissa().hash(state);
        n.scale().hash(state);
    }
}

impl fmt::Display for Decimal {
    /// The digits at the decimal's own scale (`1.50`), or at the formatter's precision
    /// (`{:.2}`), rounded half away from zero or padded with zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, pad) = match f.precision() {
            Some(p) => {
                let p = u32::try_from(p).unwrap_or(u32::MAX);
                let d = self.round(p);
                (d, p.saturating_sub(d.scale()) as usize)
            }
            None => (*self, 0),
        };
        let m = d.mantissa();
        let digits = m.unsigned_abs().to_string();
        let s = d.scale() as usize;
        let mut out = String::with_capacity(digits.len() + s + pad + 2);
        if s == 0 {
            out.push_str(&digits);
        } else if digits.len() > s {
            let (int, frac) = digits.split_at(digits.len() - s);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', s - digits.len()));
            out.push_str(&digits);
        }
        if pad > 0 {
            if s == 0 {
                out.push('.');
            }
            out.extend(std::iter::repeat_n('0', pad));
        }
        f.pad_integral(m >= 0, "", &out)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    /// `[-+]digits[.digits]` (either side of the point may be empty, not both), exactly: trailing
    /// zeros after the point are dropped if need be, and what still needs more than 38 digits
    /// or places is [`ParseDecimalError::TooLarge`].
    fn from_str(s: &str) -> Result<Decimal, ParseDecimalError> {
        Decimal::parse_bytes(s.as_bytes())
    }
}

impl Decimal {
    /// [`FromStr`] over bytes.
    pub fn parse_bytes(b: &[u8]) -> Result<Decimal, ParseDecimalError> {
        let (neg, b) = match b.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, b),
        };
        let (int, frac) = match b.iter().position(|&c| c == b'.') {
            Some(i) => (&b[..i], &b[i + 1..]),
            None => (b, &b[b.len()..]),
        };
        if int.is_empty() && frac.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) {
            return Err(ParseDecimalError::Invalid);
        }
        let int = &int[int.iter().take_while(|&&c| c == b'0').count()..];
        // the written places are kept (`1.50` has two) unless dropping trailing zeros is what
        // makes the number fit
        let significant = |frac: &[u8]| match int.len() {
            0 => frac.len() - frac.iter().take_while(|&&c| c == b'0').count(),
            n => n + frac.len(),
        };
        let mut frac = frac;
        if frac.len() > MAX_SCALE as usize || significant(frac) > MAX_DIGITS as usize {
            frac = &frac[..frac.len() - frac.iter().rev().take_while(|&&c| c == b'0').count()];
            if frac.len() > MAX_SCALE as usize || significant(frac) > MAX_DIGITS as usize {
                return Err(ParseDecimalError::TooLarge);
            }
        }
        let mut m: u128 = 0;
        for &c in int.iter().chain(frac) {
            m = m * 10 + u128::from(c - b'0');
        }
        let m = m as i128;
        Ok(Decimal::raw(if neg { -m } else { m }, SCALES[frac.len()]))
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Decimal {
            fn from(n: $t) -> Decimal {
                // at most 20 digits
                Decimal::raw(n as i128, Scale::S0)
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

/// A magnitude of up to 256 bits: four 64-bit limbs, least significant first. Only the slow
/// paths use it: sums, products and quotients whose exact value does not fit in an i128.
#[derive(Clone, Copy, PartialEq, Eq)]
struct U256([u64; 4]);

impl From<u128> for U256 {
    fn from(x: u128) -> U256 {
        U256([x as u64, (x >> 64) as u64, 0, 0])
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &U256) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &U256) -> Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

impl U256 {
    /// The full product of two 128-bit numbers.
    fn mul(a: u128, b: u128) -> U256 {
        let (a0, a1) = (a as u64 as u128, a >> 64);
        let (b0, b1) = (b as u64 as u128, b >> 64);
        let mut out = U256::from(a0 * b0);
        for (x, shift) in [(a0 * b1, 1), (a1 * b0, 1), (a1 * b1, 2)] {
            let mut limbs = [0u64; 4];
            limbs[shift] = x as u64;
            limbs[shift + 1] = (x >> 64) as u64;
            // the full product is below 2²⁵⁶, so no partial sum carries out
            out = out.add(U256(limbs));
        }
        out
    }

    /// `self + other`; the callers' sums are below 2²⁵⁶.
    fn add(self, other: U256) -> U256 {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, o) in out.iter_mut().enumerate() {
            let x = u128::from(self.0[i]) + u128::from(other.0[i]) + carry;
            *o = x as u64;
            carry = x >> 64;
        }
        U256(out)
    }

    /// `self - other`, for `self >= other`.
    fn sub(self, other: U256) -> U256 {
        let mut out = [0u64; 4];
        let mut borrow = false;
        for (i, o) in out.iter_mut().enumerate() {
            let (x, b1) = self.0[i].overflowing_sub(other.0[i]);
            let (x, b2) = x.overflowing_sub(u64::from(borrow));
            *o = x;
            borrow = b1 || b2;
        }
        U256(out)
    }

    /// `self × k`, or `None` when that is 2²⁵⁶ or more.
    fn mul_small(self, k: u64) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, o) in out.iter_mut().enumerate() {
            let x = u128::from(self.0[i]) * u128::from(k) + carry;
            *o = x as u64;
            carry = x >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    /// `self × 10^e`, or `None` when that is 2²⁵⁶ or more.
    fn mul_pow10(self, mut e: u32) -> Option<U256> {
        let mut x = self;
        while e > 0 {
            let k = e.min(19);
            x = x.mul_small(POW10[k as usize] as u64)?;
            e -= k;
        }
        Some(x)
    }

    /// `(self / k, self % k)` for a non-zero 64-bit `k`.
    fn div_small(self, k: u64) -> (U256, u64) {
        let mut out = [0u64; 4];
        let mut r = 0u128;
        for i in (0..4).rev() {
            let x = (r << 64) | u128::from(self.0[i]);
            out[i] = (x / u128::from(k)) as u64;
            r = x % u128::from(k);
        }
        (U256(out), r as u64)
    }

    /// `(self / d, self % d)` for `0 < d < 2¹²⁷`, bit by bit (the remainder stays below `d`,
    /// so doubling it never overflows).
    fn divrem(self, d: u128) -> (U256, u128) {
        let mut q = [0u64; 4];
        let mut r = 0u128;
        for i in (0..256).rev() {
            r = (r << 1) | u128::from(self.0[i / 64] >> (i % 64) & 1);
            if r >= d {
                r -= d;
                q[i / 64] |= 1 << (i % 64);
            }
        }
        (U256(q), r)
    }

    /// `self / 10^k` rounded half away from zero: up exactly when the first dropped digit is 5
    /// or more.
    fn round_div_pow10(self, k: u32) -> U256 {
        if k == 0 {
            return self;
        }
        let mut x = self;
        let mut left = k - 1;
        while left > 0 {
            let step = left.min(19);
            x = x.div_small(POW10[step as usize] as u64).0;
            left -= step;
        }
        let (q, digit) = x.div_small(10);
        if digit >= 5 {
            q.add(U256::from(1u128))
        } else {
            q
        }
    }

    fn to_u128(self) -> Option<u128> {
        (self.0[2] == 0 && self.0[3] == 0)
            .then_some(u128::from(self.0[0]) | u128::from(self.0[1]) << 64)
    }

    /// The number of decimal digits (0 has none).
    fn digits(self) -> u32 {
        let mut x = self;
        let mut n = 0;
        while x.to_u128().is_none() {
            x = x.div_small(POW10[19] as u64).0;
            n += 19;
        }
        let x = x.to_u128().unwrap_or(0);
        n + POW10.iter().take_while(|&&p| p <= x).count() as u32
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn q(a: &str, b: &str) -> String {
        div(dec(a), dec(b)).map_or("overflow".into(), |d| d.to_string())
    }

    /// The inlined fast paths of `+` and `*` (64-bit operands, widening multiplies) give what
    /// the 256-bit paths give, at the edges of 64 bits and of every rescaling.
    #[test]
    fn fast_paths_equal_the_wide_paths() {
        let edges: Vec<i128> = [
            0,
            1,
            9,
            10,
            (1i128 << 62) - 1,
            1 << 62,
            (1i128 << 63) - 1,
            1 << 63,
            (1i128 << 64) + 7,
            10i128.pow(18),
            10i128.pow(19) - 1,
            10i128.pow(30) + 3,
            10i128.pow(38) - 1,
        ]
        .into_iter()
        .flat_map(|m| [m, -m])
        .collect();
        let mut checked = 0;
        for &a in &edges {
            for &b in &edges {
                for sa in [0u32, 1, 2, 17, 18, 19, 20, 38] {
                    for sb in [0u32, 2, 18, 19, 38] {
                        let (Some(x), Some(y)) =
                            (Decimal::from_parts(a, sa), Decimal::from_parts(b, sb))
                        else {
                            continue;
                        };
                        // (`==` compares values: compare mantissas and scales)
                        let parts = |d: Option<Decimal>| d.map(|d| (d.mantissa(), d.scale()));
                        assert_eq!(parts(x.checked_add(y)), parts(x.add_wide(y)), "{x} + {y}");
                        assert_eq!(parts(x.checked_mul(y)), parts(x.mul_wide(y)), "{x} * {y}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    fn show(d: Option<Decimal>) -> String {
        d.map_or("overflow".into(), |d| d.to_string())
    }

    #[test]
    fn a_decimal_is_as_small_as_rust_decimal_was() {
        assert_eq!(std::mem::size_of::<Decimal>(), 24);
        assert_eq!(std::mem::size_of::<Option<Decimal>>(), 24);
    }

    #[test]
    fn parses_exactly_and_prints_its_places() {
        for (text, shown) in [
            ("1.50", "1.50"),
            ("-0.5", "-0.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+3", "3"),
            ("007.10", "7.10"),
            ("0.000", "0.000"),
            ("-0", "0"),
            ("0.0000001", "0.0000001"),
            // 38 digits, and 38 places
            (
                "12345678901234567890123456789012345678",
                "12345678901234567890123456789012345678",
            ),
            (
                "0.00000000000000000000000000000000000001",
                "0.00000000000000000000000000000000000001",
            ),
            // trailing zeros go only when that is what makes the number fit
            ("1.0000000000000000000000000000000000000000000", "1"),
        ] {
            assert_eq!(dec(text).to_string(), shown, "{text}");
        }
        for bad in [
            "", ".", "-", "+", "1e5", "1,5", "1.2.3", "--1", " 1", "1 ", "一",
        ] {
            assert_eq!(
                bad.parse::<Decimal>(),
                Err(ParseDecimalError::Invalid),
                "{bad:?}"
            );
        }
        for big in [
            "123456789012345678901234567890123456789",
            "1.23456789012345678901234567890123456789",
            "0.000000000000000000000000000000000000001",
        ] {
            assert_eq!(
                big.parse::<Decimal>(),
                Err(ParseDecimalError::TooLarge),
                "{big}"
            );
        }
        assert_eq!(dec("1.50").scale(), 2);
        assert_eq!(dec("-1.50").mantissa(), -150);
    }

    #[test]
    fn equality_order_and_hash_are_by_value() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |d: Decimal| {
            let mut h = DefaultHasher::new();
            d.hash(&mut h);
            h.finish()
        };
        assert_eq!(dec("1.5"), dec("1.50000"));
        assert_eq!(hash(dec("1.5")), hash(dec("1.50000")));
        assert_eq!(dec("0"), dec("-0.00"));
        assert_eq!(hash(dec("0")), hash(dec("-0.00")));
        assert!(dec("0.1") < dec("0.10000000000000000000000000000000000001"));
        assert!(dec("-2") < dec("-1.99999999999999999999999999999999999"));
        // rescaling the larger number would overflow an i128: its sign decides
        let tiny = dec("0.00000000000000000000000000000000000001");
        let order = |a: Decimal, b: Decimal| (a.cmp(&b), b.cmp(&a));
        assert_eq!(
            order(Decimal::MAX, tiny),
            (Ordering::Greater, Ordering::Less)
        );
        assert_eq!(
            order(Decimal::MIN, tiny),
            (Ordering::Less, Ordering::Greater)
        );
        assert_eq!(
            order(Decimal::MIN, -tiny),
            (Ordering::Less, Ordering::Greater)
        );
        assert_eq!(
            order(dec("0.5"), Decimal::ZERO),
            (Ordering::Greater, Ordering::Less)
        );
    }

    #[test]
    fn sums_are_exact_while_they_fit() {
        let add = |a: &str, b: &str| show(dec(a).checked_add(dec(b)));
        assert_eq!(add("0.1", "0.2"), "0.3");
        assert_eq!(add("1.50", "2.5"), "4.00");
        assert_eq!(add("-1", "0.25"), "-0.75");
        assert_eq!(add("0.5", "-0.5"), "0.0");
        assert_eq!(
            add("12345678901234567890.123456789", "-0.0000000000000000001"),
            "12345678901234567890.123456789000000000"
        );
        // 39 digits: rounded half away from zero to the places that fit
        assert_eq!(
            add("1", "0.00000000000000000000000000000000000001"),
            "1.0000000000000000000000000000000000000"
        );
        assert_eq!(
            add("1", "0.00000000000000000000000000000000000005"),
            "1.0000000000000000000000000000000000001"
        );
        assert_eq!(
            add("-1", "-0.00000000000000000000000000000000000005"),
            "-1.0000000000000000000000000000000000001"
        );
        // an integer part of 39 digits overflows, also when rounding makes it one
        let max = Decimal::MAX.to_string();
        assert_eq!(add(&max, "1"), "overflow");
        assert_eq!(add(&max, "0.5"), "overflow");
        assert_eq!(add(&max, "0.4"), max);
        assert_eq!(add(&max, "-1"), "99999999999999999999999999999999999998");
        assert_eq!(show(Decimal::MIN.checked_sub(Decimal::ONE)), "overflow");
        assert_eq!(show(Decimal::MAX.checked_add(Decimal::MIN)), "0");
    }

    #[test]
    fn products_are_exact_while_they_fit() {
        let mul = |a: &str, b: &str| show(dec(a).checked_mul(dec(b)));
        assert_eq!(mul("0.1", "0.2"), "0.02");
        assert_eq!(mul("1.50", "2"), "3.00");
        assert_eq!(mul("-0.5", "0.5"), "-0.25");
        assert_eq!(
            mul("10000000000000000000", "1000000000000000000"),
            "10000000000000000000000000000000000000"
        );
        assert_eq!(
            mul("10000000000000000000", "10000000000000000000"),
            "overflow"
        );
        // beyond 2^63 the product is computed in 256 bits
        assert_eq!(
            mul("184467440737095.51623", "-3.0000000001"),
            "-553402322229733.292763709551623"
        );
        // a quotient times a quotient keeps its 32 places; a third one is rounded to 38 places
        let third = "0.3333333333333333";
        assert_eq!(mul(third, third), "0.11111111111111108888888888888889");
        assert_eq!(
            show(
                dec(third)
                    .checked_mul(dec(third))
                    .and_then(|p| p.checked_mul(dec(third)))
            ),
            "0.03703703703703702592592592592592703704"
        );
        // 42 digits: the places that fit, rounded half away from zero
        assert_eq!(
            mul("123456789012345678901234567.89", "1000.0000000007"),
            "123456789012432098653543209865.23086420"
        );
        assert_eq!(
            mul("-123456789012345678901234567.89", "1000.0000000007"),
            "-123456789012432098653543209865.23086420"
        );
        assert_eq!(mul(&Decimal::MAX.to_string(), "1.1"), "overflow");
        assert_eq!(
            mul(&Decimal::MAX.to_string(), "-1"),
            Decimal::MIN.to_string()
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        let round = |a: &str, n: u32| dec(a).round(n).to_string();
        assert_eq!(round("2.5", 0), "3");
        assert_eq!(round("-2.5", 0), "-3");
        assert_eq!(round("2.4999", 0), "2");
        assert_eq!(round("1.235", 2), "1.24");
        assert_eq!(round("-1.235", 2), "-1.24");
        assert_eq!(round("1.2345", 2), "1.23");
        assert_eq!(round("7", 2), "7");
        assert_eq!(
            round("0.99999999999999999999999999999999999999", 37),
            "1.0000000000000000000000000000000000000"
        );
        assert_eq!(format!("{:.2}", dec("1.5")), "1.50");
        assert_eq!(format!("{:.1}", dec("1.25")), "1.3");
        assert_eq!(format!("{:.0}", dec("-2.5")), "-3");
        assert_eq!(format!("{:.2}", dec("-0.001")), "0.00");
        assert_eq!(format!("{:>6}", dec("-1.5")), "  -1.5");
    }

    #[test]
    fn integer_and_fraction_parts() {
        assert_eq!(dec("-1.25").trunc().to_string(), "-1");
        assert_eq!(dec("-1.25").fract().to_string(), "-0.25");
        assert_eq!(dec("-1.25").floor().to_string(), "-2");
        assert_eq!(dec("-1.00").floor().to_string(), "-1");
        assert_eq!(dec("1.75").floor().to_string(), "1");
        assert_eq!(dec("2.500").normalize().to_string(), "2.5");
        assert_eq!(dec("100").normalize().to_string(), "100");
        assert_eq!(dec("-0.000").normalize().to_string(), "0");
        assert!(!dec("-0.000").is_sign_negative());
    }

    #[test]
    fn terminating_quotients_keep_their_short_form() {
        assert_eq!(q("1", "4"), "0.25");
        assert_eq!(q("7", "2"), "3.5");
        assert_eq!(q("6", "3"), "2");
        assert_eq!(q("19", "20"), "0.95");
        assert_eq!(q("250", "500"), "0.5");
        assert_eq!(q("2.50", "1"), "2.5");
        assert_eq!(q("100", "0.01"), "10000");
        assert_eq!(q("1", "1024"), "0.0009765625");
        // 1/2^16 has exactly 16 places
        assert_eq!(q("1", "65536"), "0.0000152587890625");
        assert_eq!(div(dec("1"), dec("4")).unwrap().scale(), 2);
    }

    #[test]
    fn quotients_round_to_16_places() {
        assert_eq!(q("1", "3"), "0.3333333333333333");
        assert_eq!(q("2", "3"), "0.6666666666666667");
        assert_eq!(q("10", "7"), "1.4285714285714286");
        assert_eq!(q("1", "7"), "0.1428571428571429");
        assert_eq!(q("22", "7"), "3.1428571428571429");
        // 1/2^17 = 0.00000762939453125: a tie at the 17th place goes away from zero
        assert_eq!(q("1", "131072"), "0.0000076293945313");
        assert_eq!(q("3", "131072"), "0.0000228881835938");
    }

    #[test]
    fn signs_round_half_away_from_zero() {
        assert_eq!(q("-2", "3"), "-0.6666666666666667");
        assert_eq!(q("2", "-3"), "-0.6666666666666667");
        assert_eq!(q("-2", "-3"), "0.6666666666666667");
        assert_eq!(q("-1", "3"), "-0.3333333333333333");
        assert_eq!(q("-7", "2"), "-3.5");
        assert_eq!(q("-1", "131072"), "-0.0000076293945313");
        assert_eq!(q("3", "-131072"), "-0.0000228881835938");
        assert_eq!(q("-3", "-131072"), "0.0000228881835938");
        // 0.0000000000000001 / 2 = 5e-17: a tie at the 17th place
        assert_eq!(q("0.0000000000000001", "2"), "0.0000000000000001");
        assert_eq!(q("-0.0000000000000001", "2"), "-0.0000000000000001");
        assert_eq!(q("0.0000000000000001", "-2"), "-0.0000000000000001");
        // below the tie: zero, and zero has no sign
        assert_eq!(q("0.0000000000000001", "3"), "0");
        assert_eq!(q("-0.0000000000000001", "3"), "0");
        assert_eq!(q("0", "-3"), "0");
        assert_eq!(q("-0.000", "7"), "0");
        assert!(!div(dec("-1"), dec("1000000000000000000"))
            .unwrap()
            .is_sign_negative());
    }

    #[test]
    fn no_double_rounding() {
        // 1 / (2 * 10^16 + 1) = 0.0000000000000000499999999999999975…: just below the tie
        assert_eq!(q("1", "20000000000000001"), "0");
        assert_eq!(q("-1", "20000000000000001"), "0");
        // just above the tie
        assert_eq!(q("1", "19999999999999999"), "0.0000000000000001");
        assert_eq!(q("-1", "19999999999999999"), "-0.0000000000000001");
        // with an integer part: 7 / 2.00000000000000003 = 3.49999999999999994750…
        assert_eq!(q("7", "2.00000000000000003"), "3.4999999999999999");
        assert_eq!(
            q("1234567", "3.0000000000000001"),
            "411522.3333333333196159"
        );
    }

    #[test]
    fn every_scale_of_dividend_and_divisor() {
        let at = |m: i128, s: u32| Decimal::from_parts(m, s).unwrap();
        // 1 / 3 with the operands written at every scale
        for s in 0..=38u32 {
            let one = at(10i128.pow(s.min(37)), s.min(37));
            let three = at(3 * 10i128.pow(s.min(37)), s.min(37));
            assert_eq!(
                div(one, dec("3")).unwrap().to_string(),
                "0.3333333333333333"
            );
            assert_eq!(
                div(dec("1"), three).unwrap().to_string(),
                "0.3333333333333333"
            );
            assert_eq!(div(one, three).unwrap().to_string(), "0.3333333333333333");
            assert_eq!(div(-one, three).unwrap().to_string(), "-0.3333333333333333");
        }
        // the smallest positive decimal
        let tiny = at(1, 38);
        assert_eq!(div(tiny, dec("1")).unwrap().to_string(), "0");
        assert_eq!(div(tiny, tiny).unwrap().to_string(), "1");
        assert_eq!(
            q("1", "0.00000000000000000000000000000000000001"),
            "overflow"
        );
        assert_eq!(
            q("1", "0.00000000000000000000000000000000000003"),
            "33333333333333333333333333333333333333"
        );
        assert_eq!(
            div(tiny, dec("0.000000000000000000000001"))
                .unwrap()
                .to_string(),
            "0.00000000000001"
        );
        let one = |m: i128, s: u32| div(at(m, s), Decimal::ONE).unwrap().to_string();
        assert_eq!(one(5, 17), "0.0000000000000001");
        assert_eq!(one(-5, 17), "-0.0000000000000001");
        assert_eq!(one(49999, 21), "0");
        assert_eq!(one(50000, 21), "0.0000000000000001");
        // 38 digits at 37 places
        assert_eq!(
            q("9.9999999999999999999999999999999999999", "3"),
            "3.3333333333333333"
        );
    }

    #[test]
    fn large_quotients_keep_the_places_that_fit() {
        // 16 places fit below 10^22
        assert_eq!(q("9999999999999999999999", "3"), "3333333333333333333333");
        assert_eq!(
            q("10000000000000000000000", "3"),
            "3333333333333333333333.3333333333333333"
        );
        assert_eq!(
            q("20000000000000000000000", "3"),
            "6666666666666666666666.6666666666666667"
        );
        // 23 digits before the point: 15 places fit
        assert_eq!(
            q("100000000000000000000000", "3"),
            "33333333333333333333333.333333333333333"
        );
        assert_eq!(
            q("-200000000000000000000000", "3"),
            "-66666666666666666666666.666666666666667"
        );
        assert_eq!(
            q("20000000000000000000001", "2"),
            "10000000000000000000000.5"
        );
        // 29 digits before the point leave 9 places
        assert_eq!(
            q("100000000000000000000000000000", "7"),
            "14285714285714285714285714285.714285714"
        );
        // the largest decimal: halved, no place fits and the tie goes away from zero
        let max = "99999999999999999999999999999999999999";
        assert_eq!(q(max, "1"), max);
        assert_eq!(q(max, "-1"), format!("-{max}"));
        assert_eq!(q(max, "2"), "50000000000000000000000000000000000000");
        assert_eq!(q(max, "-2"), "-50000000000000000000000000000000000000");
        // an integer part that does not fit is an overflow
        assert_eq!(q(max, "0.5"), "overflow");
        assert_eq!(q(max, "0.9"), "overflow");
    }

    #[test]
    fn division_by_zero_is_none() {
        assert_eq!(div(dec("1"), Decimal::ZERO), None);
        assert_eq!(div(dec("0"), dec("0.00")), None);
    }

    /// Operands of every scale and size against quotients computed by Python's `decimal` with
    /// 300 digits of precision, rounded once (ROUND_HALF_UP, which is half away from zero).
    #[test]
    fn agrees_with_an_exact_reference() {
        let table = [
            ("0.00085173944050", "0.8169084623", "0.0010426375534193"),
            (
                "-0.00000000007954048429253",
                "0.00575",
                "-0.0000000138331277",
            ),
            (
                "0.013261172026829578971482",
                "0.000366854376",
                "36.1483272229784686",
            ),
            (
                "-3257764.5511090963288835062466",
                "0.0005",
                "-6515529102.2181926577670125",
            ),
            ("0.004", "0.00000000000000010", "40000000000000"),
            ("0.0000000000009", "1621.04354", "0.0000000000000006"),
            (
                "0.00000000000000791221472",
                "3203585228733859353832516.761",
                "0",
            ),
            (
                "0.00000000000742366481945",
                "-0.000000000000000949660072385",
                "-7817.1811528371651453",
            ),
            ("0.00000006747300", "0.000000001046", "64.505736137667304"),
            (
                "-0.00000348654238",
                "0.00000000009032614456",
                "-38599.4818774096030121",
            ),
            (
                "0.276681065679",
                "-0.000000000007355061",
                "-37617779876.8766159791196837",
            ),
            (
                "0.000000000160412589095804977",
                "-0.0000000000000000000788",
                "-2035692755.0229057994923858",
            ),
            ("0.00009", "-0.00000000000003", "-3000000000"),
            ("0.000063035", "-59498.57", "-0.0000000010594372"),
            ("0.0084", "249792941.21568709", "0.0000000000336279"),
            ("-24727.40418", "752.71", "-32.851170012355356"),
            (
                "0.00000000000000000007",
                "0.0000000000000000000000000910",
                "769230.7692307692307692",
            ),
            (
                "43828242.599",
                "0.025330012821665735563",
                "1730289001.7296799803021617",
            ),
            (
                "7095551495051785.24405215130",
                "-547528.5",
                "-12959236816.0776749412170349",
            ),
            ("0.000000000000000084", "-0.32", "-0.0000000000000003"),
            (
                "50434787604679680067078",
                "0.0000000000000060166352040",
                "8382557009796680381734175685616322102.7",
            ),
            (
                "0.000000970514",
                "0.00000000000084",
                "1155373.8095238095238095",
            ),
            ("0.00000000386", "0.00341440675", "0.0000011305038569"),
            (
                "25033692575889",
                "906935351.0257304948169820",
                "27602.5105290870658166",
            ),
            ("-0.000000024", "-2334637474563947421368380685", "0"),
            ("-0.0094089", "-0.0000001317949", "71390.4711032065732437"),
            ("-0.0000000000000914222", "0.2", "-0.0000000000004571"),
            ("-28.177309", "-17416.836686", "0.0016178201304861"),
            (
                "0.000000097607720",
                "0.00000000728746",
                "13.3939287488370434",
            ),
            (
                "-0.66",
                "0.00000000000000023913",
                "-2760005018190942.1653493915443483",
            ),
            (
                "321.0777163877",
                "-0.000000000000000001",
                "-321077716387700000000",
            ),
            ("61.555409770091864", "92.07169851", "0.6685595114051933"),
            (
                "994141.91580",
                "0.00000000997369294",
                "99676410912245.3092084064099932",
            ),
            (
                "0.00000388934379861",
                "-0.0000000000000000030042940584",
                "-1294594910819.5327115586189784",
            ),
            (
                "-977766699682342652280186609",
                "-0.000408283472996",
                "2394823117642878345827037976585.7143865",
            ),
            (
                "0.0000000000000711733794056677",
                "0.00000000000002721",
                "2.6157067036261558",
            ),
            (
                "0.0000000000000000000075097311",
                "0.000000000000000000004806",
                "1.5625740948813983",
            ),
            (
                "92",
                "-0.000000000000000082676",
                "-1112777589626977599.3033044656248488",
            ),
            (
                "41.6",
                "0.00000000000291",
                "14295532646048.1099656357388316",
            ),
            (
                "-0.0000000003683160108365422545",
                "0.000000000000000000006375064",
                "-57774480512.9081456280282049",
            ),
        ];
        for (a, b, want) in table {
            assert_eq!(q(a, b), want, "{a} / {b}");
            assert_eq!(q(&format!("-{a}").replace("--", ""), b), {
                match want {
                    "overflow" | "0" => want.to_string(),
                    w => match w.strip_prefix('-') {
                        Some(pos) => pos.to_string(),
                        None => format!("-{w}"),
                    },
                }
            });
        }
    }
}
