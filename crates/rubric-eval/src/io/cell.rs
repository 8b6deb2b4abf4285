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
use super::cell_plain::parse_decimal_plain;
pub(crate) use super::cell_plain::{parse_bool, parse_small, trim, CellError};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;

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
