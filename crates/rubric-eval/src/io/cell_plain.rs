//! The plain cell forms (a number, a yes/no), parsed from bytes without allocating, and why a
//! cell is not a value of its type. [`super::cell`] tries these first, then the forms Excel
//! shows ([`super::cell_forms`]).

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
