//! Cell parsing (LANGUAGE.md §6 and §9), from bytes; the plain forms without allocating.
//!
//! - int and decimal: a plain number with an optional leading `-`: digits, at most one `.`, no
//!   exponent (JSON numbers may carry one); else one of the forms Excel shows
//!   (`12,345.67`, `¥8,800`, `8000元`, full-width digits, `20%` in a decimal field: see
//!   `cell_forms.rs`). An int cell must be whole: `3` and `3.0` are 3, `1.5` is rejected.
//! - bool: `true/false`, `1/0`, `yes/no`, `是/否`, case-insensitive.
//! - date: `2024-05-16` or `2024/05/16`; else one of the forms Excel shows (`2024-5-6`,
//!   `2024.5.6`, `2024年5月6日`, `20240506`, …: see `cell_forms.rs`).
//! - Surrounding spaces and tabs are trimmed; a cell of only spaces is empty.

use super::cell_forms;
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;

/// Why a cell is not a value of its field's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CellError {
    NotNumber,
    ThousandsSeparator,
    NotWhole,
    TooLarge,
    TooPrecise,
    NotBool,
    NotDate,
    /// `20%` in an int field.
    PercentInInt,
    /// `5/6/2024`: the day and the month cannot be told apart.
    AmbiguousDate,
    /// A date of year 0.
    NoYear,
    NoMonth {
        month: u32,
    },
    NoDay {
        year: i32,
        month: u32,
        day: u32,
    },
}

/// The date forms a reason names.
const DATE_FORMS: &str = "2024-05-16, 2024-5-16, 2024/5/16, 2024.5.16, 2024年5月16日 or 20240516";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl CellError {
    /// The reason after "`field`: `cell` ".
    pub(crate) fn describe(self) -> String {
        match self {
            CellError::NotNumber => "is not a number".into(),
            CellError::ThousandsSeparator => {
                "is not a number (thousands separators go between groups of three digits: 12,345.67)"
                    .into()
            }
            CellError::NotWhole => "is not a whole number".into(),
            CellError::TooLarge => "is too large for a number (at most 38 digits)".into(),
            CellError::TooPrecise => "has more than 38 decimal places".into(),
            CellError::NotBool => {
                "is not a yes/no value (expected true/false, 1/0, yes/no or 是/否)".into()
            }
            CellError::NotDate => format!("is not a date (write {DATE_FORMS})"),
            CellError::PercentInInt => {
                "is a percentage, and the field is an int (declare it decimal)".into()
            }
            CellError::AmbiguousDate => format!(
                "is ambiguous: the day and the month cannot be told apart (write the year first: {DATE_FORMS})"
            ),
            CellError::NoYear => "has no year 0 (years are 1 to 9999)".into(),
            CellError::NoMonth { month } => format!("has no month {month} (months are 1 to 12)"),
            CellError::NoDay { year, month, day } => {
                let name = MONTHS
                    .get((month as usize).wrapping_sub(1))
                    .copied()
                    .unwrap_or("the month");
                let days = rubric_syntax::date::days_in_month(year, month);
                format!("has no day {day} ({name} {year} has {days} days)")
            }
        }
    }
}

/// Trims ASCII spaces, tabs, CR and LF on both sides.
#[inline]
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let mut s = 0;
    let mut e = b.len();
    while s < e && matches!(b[s], b' ' | b'\t' | b'\r' | b'\n') {
        s += 1;
    }
    while e > s && matches!(b[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    &b[s..e]
}

/// The largest decimal mantissa (10^38 - 1).
const MAX_MANTISSA: u128 = rubric_syntax::decimal::LIMIT - 1;
const MAX_SCALE: u32 = rubric_syntax::decimal::MAX_SCALE;

/// Parses a trimmed, non-empty number cell of a decimal field: a plain number, else one of the
/// forms Excel shows (`cell_forms.rs`). `allow_exponent` accepts `1e3`, `1.5E-2` (JSON).
pub(crate) fn parse_decimal(b: &[u8], allow_exponent: bool) -> Result<Decimal, CellError> {
    parse_number(b, allow_exponent, true)
}

/// [`parse_decimal`]; `percent`: whether `20%` is a number (decimal fields, not int ones).
fn parse_number(b: &[u8], allow_exponent: bool, percent: bool) -> Result<Decimal, CellError> {
    match parse_decimal_plain(b, allow_exponent) {
        Err(CellError::NotNumber | CellError::ThousandsSeparator) => cell_forms::number(b, percent),
        r => r,
    }
}

/// Parses a trimmed, non-empty plain number. `allow_exponent` accepts `1e3`, `1.5E-2` (JSON).
pub(crate) fn parse_decimal_plain(b: &[u8], allow_exponent: bool) -> Result<Decimal, CellError> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let mut mantissa: u128 = 0;
    let mut scale: u32 = 0;
    let mut seen_point = false;
    let mut seen_digit = false;
    // Digits beyond what a u128 holds are only accepted when they are zeros after the point.
    let mut overflow = false;
    let mut exp_at = None;
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                let d = u128::from(c - b'0');
                if seen_point {
                    if overflow {
                        continue;
                    }
                    if mantissa > (u128::MAX - 9) / 10 {
                        // A long tail of fraction digits: keep counting only zeros.
                        if d != 0 {
                            return Err(CellError::TooPrecise);
                        }
                        continue;
                    }
                    scale += 1;
                } else if mantissa > (u128::MAX - 9) / 10 {
                    overflow = true;
                    continue;
                }
                mantissa = mantissa * 10 + d;
            }
            b'.' if !seen_point => seen_point = true,
            b'e' | b'E' if allow_exponent && seen_digit => {
                exp_at = Some(i);
                break;
            }
            b',' => return Err(CellError::ThousandsSeparator),
            _ => return Err(CellError::NotNumber),
        }
    }
    if !seen_digit {
        return Err(CellError::NotNumber);
    }
    if overflow {
        return Err(CellError::TooLarge);
    }
    let mut exp: i64 = 0;
    if let Some(at) = exp_at {
        exp = parse_exponent(&digits[at + 1..])?;
    }
    // value = mantissa * 10^(exp - scale)
    let mut shift = exp - i64::from(scale);
    if shift > 0 {
        while shift > 0 {
            if mantissa == 0 {
                break;
            }
            mantissa = mantissa.checked_mul(10).ok_or(CellError::TooLarge)?;
            if mantissa > MAX_MANTISSA {
                return Err(CellError::TooLarge);
            }
            shift -= 1;
        }
        shift = 0;
    }
    let mut scale = u64::try_from(-shift).map_err(|_| CellError::NotNumber)?;
    while (scale > u64::from(MAX_SCALE) || mantissa > MAX_MANTISSA)
        && scale > 0
        && mantissa.is_multiple_of(10)
    {
        mantissa /= 10;
        scale -= 1;
    }
    if mantissa == 0 {
        scale = scale.min(u64::from(MAX_SCALE));
    }
    if scale > u64::from(MAX_SCALE) {
        return Err(CellError::TooPrecise);
    }
    if mantissa > MAX_MANTISSA {
        return Err(CellError::TooLarge);
    }
    let m = i128::try_from(mantissa).map_err(|_| CellError::TooLarge)?;
    let m = if neg && m != 0 { -m } else { m };
    // `scale` is at most 38 here.
    Decimal::from_parts(m, scale as u32).ok_or(CellError::TooLarge)
}

fn parse_exponent(b: &[u8]) -> Result<i64, CellError> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err(CellError::NotNumber);
    }
    let mut e: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(CellError::NotNumber);
        }
        e = e.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    // Any exponent beyond this range cannot give a decimal (or gives zero digits only).
    let e = e.min(1000);
    Ok(if neg { -e } else { e })
}

/// The common number cell, fast: a trimmed plain number (`-?digits[.digits]`) of at most 18
/// digits, as a mantissa and a scale, exactly as [`parse_decimal`] reads it. `None` for any
/// other cell, which [`parse_decimal`] then reads or rejects.
#[inline]
pub(crate) fn parse_small(b: &[u8]) -> Option<(i64, u8)> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    // at most 18 digits and a point
    if digits.len() > 19 {
        return None;
    }
    let mut m: i64 = 0;
    let mut n = 0usize;
    let mut point = None;
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            if n == 18 {
                return None; // a 19th digit could overflow `m`
            }
            m = m * 10 + i64::from(d);
            n += 1;
        } else if c == b'.' && point.is_none() {
            point = Some(i);
        } else {
            return None;
        }
    }
    if n == 0 || n > 18 {
        return None;
    }
    let scale = point.map_or(0, |p| digits.len() - p - 1);
    Some((if neg { -m } else { m }, scale as u8))
}

/// Parses a whole number; `3.0` is 3, `1.5` is an error.
pub(crate) fn parse_int(b: &[u8], allow_exponent: bool) -> Result<Decimal, CellError> {
    // Fast path: up to 18 plain digits.
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        let mut v: i64 = 0;
        for &c in digits {
            v = v * 10 + i64::from(c - b'0');
        }
        return Ok(Decimal::from(if neg { -v } else { v }));
    }
    let d = parse_number(b, allow_exponent, false)?;
    if d.fract().is_zero() {
        Ok(d.trunc())
    } else {
        Err(CellError::NotWhole)
    }
}

/// Parses a trimmed yes/no cell.
pub(crate) fn parse_bool(b: &[u8]) -> Result<bool, CellError> {
    const YES: [&[u8]; 4] = [b"true", b"1", b"yes", "是".as_bytes()];
    const NO: [&[u8]; 4] = [b"false", b"0", b"no", "否".as_bytes()];
    if YES.iter().any(|y| b.eq_ignore_ascii_case(y)) {
        Ok(true)
    } else if NO.iter().any(|n| b.eq_ignore_ascii_case(n)) {
        Ok(false)
    } else {
        Err(CellError::NotBool)
    }
}

/// Parses a trimmed date cell: `2024-05-16` or `2024/05/16`, else one of the forms Excel shows
/// (`cell_forms.rs`).
pub(crate) fn parse_date(b: &[u8]) -> Result<Date, CellError> {
    match Date::parse_bytes(b) {
        Some(d) => Ok(d),
        None => cell_forms::date(b),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn num(s: &str) -> Result<String, CellError> {
        parse_decimal(s.as_bytes(), false).map(|d| d.to_string())
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(num("0.1"), Ok("0.1".into()));
        assert_eq!(num("-12.50"), Ok("-12.50".into()));
        assert_eq!(num("007"), Ok("7".into()));
        assert_eq!(num(".5"), Ok("0.5".into()));
        assert_eq!(num("5."), Ok("5".into()));
        assert_eq!(num("-0"), Ok("0".into()));
        assert_eq!(
            num("12345678901234567890.123456789"),
            Ok("12345678901234567890.123456789".into())
        );
        assert_eq!(
            num("99999999999999999999999999999999999999"),
            Ok("99999999999999999999999999999999999999".into())
        );
        assert_eq!(
            num("0.00000000000000000000000000000000000001"),
            Ok("0.00000000000000000000000000000000000001".into())
        );
        assert_eq!(parse_decimal(b"1.50", false).unwrap(), dec("1.5"));
    }

    #[test]
    fn decimals_reject_what_is_not_plain() {
        assert_eq!(num("1,23"), Err(CellError::ThousandsSeparator));
        assert_eq!(num("12.345,6"), Err(CellError::ThousandsSeparator));
        assert_eq!(num("+5"), Err(CellError::NotNumber));
        assert_eq!(num("1e3"), Err(CellError::NotNumber));
        assert_eq!(num("1.2.3"), Err(CellError::NotNumber));
        assert_eq!(num("-"), Err(CellError::NotNumber));
        assert_eq!(num("."), Err(CellError::NotNumber));
        assert_eq!(num("--1"), Err(CellError::NotNumber));
        assert_eq!(num("12%%"), Err(CellError::NotNumber));
        assert_eq!(num("€12"), Err(CellError::NotNumber));
        assert_eq!(
            num("100000000000000000000000000000000000000"),
            Err(CellError::TooLarge)
        );
        assert_eq!(
            num("99999999999999999999999999999999999999999999"),
            Err(CellError::TooLarge)
        );
        assert_eq!(
            num("0.000000000000000000000000000000000000001"),
            Err(CellError::TooPrecise)
        );
        // Trailing zeros beyond 38 places are harmless.
        assert_eq!(
            num("1.50000000000000000000000000000000000000000000000"),
            Ok("1.5000000000000000000000000000000000000".into())
        );
    }

    #[test]
    fn json_exponents_are_exact() {
        let e = |s: &str| parse_decimal(s.as_bytes(), true).map(|d| d.normalize().to_string());
        assert_eq!(e("1e3"), Ok("1000".into()));
        assert_eq!(e("1.5E-2"), Ok("0.015".into()));
        assert_eq!(e("-2.5e+1"), Ok("-25".into()));
        assert_eq!(e("0e999999999999"), Ok("0".into()));
        assert_eq!(e("1e99"), Err(CellError::TooLarge));
        assert_eq!(e("1e-99"), Err(CellError::TooPrecise));
        assert_eq!(e("1e"), Err(CellError::NotNumber));
        assert_eq!(e("e5"), Err(CellError::NotNumber));
    }

    /// The fast path takes at most 18 digits; 19 digits (found by the fuzzer: the 19th digit
    /// overflowed the i64 mantissa, a panic in debug builds) go to the slow path, exactly.
    #[test]
    fn nineteen_digits_leave_the_fast_path() {
        assert_eq!(
            parse_small(b"999999999999999999"),
            Some((999_999_999_999_999_999, 0))
        );
        for s in [
            "9999999999999999999",
            "-9999999999999999999",
            "99999999999999999.99",
        ] {
            assert_eq!(parse_small(s.as_bytes()), None, "{s}");
            assert_eq!(num(s), Ok(s.to_string()), "{s}");
        }
    }

    #[test]
    fn ints_must_be_whole() {
        let i = |s: &str| parse_int(s.as_bytes(), false).map(|d| d.to_string());
        assert_eq!(i("42"), Ok("42".into()));
        assert_eq!(i("-42"), Ok("-42".into()));
        assert_eq!(i("00017"), Ok("17".into()));
        assert_eq!(i("3.0"), Ok("3".into()));
        assert_eq!(i("1.5"), Err(CellError::NotWhole));
        assert_eq!(i("1,00"), Err(CellError::ThousandsSeparator));
        assert_eq!(
            i("12345678901234567890123"),
            Ok("12345678901234567890123".into())
        );
        assert_eq!(i("abc"), Err(CellError::NotNumber));
        assert_eq!(i(""), Err(CellError::NotNumber));
    }

    #[test]
    fn bools_in_four_spellings() {
        for y in ["true", "TRUE", "True", "1", "yes", "YES", "是"] {
            assert_eq!(parse_bool(y.as_bytes()), Ok(true), "{y}");
        }
        for n in ["false", "False", "0", "no", "No", "否"] {
            assert_eq!(parse_bool(n.as_bytes()), Ok(false), "{n}");
        }
        for bad in ["y", "n", "2", "maybe", "是的", ""] {
            assert_eq!(parse_bool(bad.as_bytes()), Err(CellError::NotBool), "{bad}");
        }
    }

    #[test]
    fn dates_with_dash_or_slash() {
        assert_eq!(parse_date(b"2024-05-16").unwrap().to_string(), "2024-05-16");
        assert_eq!(parse_date(b"2024/05/16").unwrap().to_string(), "2024-05-16");
        assert_eq!(parse_date(b"16/05/2024"), Err(CellError::AmbiguousDate));
        for bad in ["2024/05-16", "2024-05-16T00:00", "\u{ff}\u{fe}"] {
            assert_eq!(parse_date(bad.as_bytes()), Err(CellError::NotDate), "{bad}");
        }
        assert_eq!(parse_date(b"\xff\xfe2024-05-1"), Err(CellError::NotDate));
    }

    #[test]
    fn trimming() {
        assert_eq!(trim(b"  12 \t"), b"12");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(trim(b""), b"");
    }
}
