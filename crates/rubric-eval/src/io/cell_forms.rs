//! Cells as Excel shows them in zh-CN (LANGUAGE.md §9): the number and date forms beyond the
//! plain ones of `cell.rs`. Reached only when the plain parse fails, so the common cells keep
//! their fast path; every form is exact (no float anywhere).
//!
//! - Full width: full-width ASCII (`０`–`９`, `．`, `，`, `－`, `％`, `／`, `＄`, …) reads as its
//!   ASCII form and the ideographic space as a space, as in scheme code (§8).
//! - Numbers: `-`? then a currency sign `¥`, `￥` or `$` (and the `-` may follow the sign:
//!   `¥-8,800`, as Excel's yuan format shows negatives), then the digits, with thousands
//!   separators only between groups of three (`12,345.67`; the first group has 1 to 3 digits,
//!   none after the point), then a trailing `元` (not with a currency sign) or `%` (decimal
//!   fields only, not with a currency sign: `20%` is exactly 0.2). Spaces may separate the
//!   sign and `元`/`%` from the digits.
//! - Dates: year first, always: `2024-5-6`, `2024/5/6`, `2024.5.6` (one separator, month and
//!   day of one or two digits), `2024年5月6日`, `20240506`. A four-digit year last
//!   (`5/6/2024`, `06/05/2024`) is ambiguous (day or month first?) and a bad cell. A date whose
//!   month or day does not exist says so.
//! - Totals rows: a key cell `合计`, `总计`, `小计` or `Total` (any ASCII case, whitespace
//!   anywhere ignored: `合　计`, a trailing colon allowed: `合计：`) marks a row of sums, not a
//!   customer.

use super::cell_plain::{self as cell, CellError};
use rubric_syntax::date::{days_in_month, Date};
use rubric_syntax::Decimal;
use std::borrow::Cow;

/// `bytes` with full-width ASCII (U+FF01–U+FF5E) as ASCII and U+3000 as a space; borrowed when
/// there is none.
fn narrow(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.iter().any(|&c| c == 0xEF || c == 0xE3) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match (c, b.get(i + 1), b.get(i + 2)) {
            (0xEF, Some(0xBC), Some(&t @ 0x81..=0xBF)) => {
                out.push(0x21 + (t - 0x81));
                i += 3;
            }
            (0xEF, Some(0xBD), Some(&t @ 0x80..=0x9E)) => {
                out.push(0x60 + (t - 0x80));
                i += 3;
            }
            (0xE3, Some(0x80), Some(0x80)) => {
                out.push(b' ');
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

fn strip_prefix<'a>(s: &'a [u8], p: &str) -> Option<&'a [u8]> {
    s.strip_prefix(p.as_bytes())
}

fn strip_suffix<'a>(s: &'a [u8], p: &str) -> Option<&'a [u8]> {
    s.strip_suffix(p.as_bytes())
}

/// A number cell in one of the forms above (`b` trimmed and not plain). `percent`: whether a
/// trailing `%` is allowed (decimal fields); in an int field it is [`CellError::PercentInInt`].
pub(crate) fn number(b: &[u8], percent: bool) -> Result<Decimal, CellError> {
    let n = narrow(b);
    let mut s = cell::trim(&n);
    let mut neg = false;
    if let Some(r) = s.strip_prefix(b"-") {
        neg = true;
        s = r;
    }
    let mut currency = false;
    for sign in ["¥", "￥", "$"] {
        if let Some(r) = strip_prefix(s, sign) {
            currency = true;
            s = cell::trim(r);
            if !neg {
                if let Some(r) = s.strip_prefix(b"-") {
                    neg = true;
                    s = r;
                }
            }
            break;
        }
    }
    let mut is_percent = false;
    if let Some(r) = s.strip_suffix(b"%") {
        if currency {
            return Err(CellError::NotNumber);
        }
        is_percent = true;
        s = cell::trim(r);
    } else if let Some(r) = strip_suffix(s, "元") {
        if currency {
            return Err(CellError::NotNumber);
        }
        s = cell::trim(r);
    }
    let body = ungroup(s)?;
    let d = cell::parse_decimal_plain(&body, false)?;
    let d = if is_percent {
        if !percent {
            return Err(CellError::PercentInInt);
        }
        hundredth(d)?
    } else {
        d
    };
    if neg {
        Decimal::from_parts(-d.mantissa(), d.scale()).ok_or(CellError::TooLarge)
    } else {
        Ok(d)
    }
}

/// The digits of a number without its thousands separators: `12,345.67` → `12345.67`. Only
/// digits, commas and one point; the commas only between groups of three digits before the
/// point, the first group of 1 to 3 digits.
fn ungroup(s: &[u8]) -> Result<Cow<'_, [u8]>, CellError> {
    if s.is_empty()
        || !s
            .iter()
            .all(|&c| c.is_ascii_digit() || c == b',' || c == b'.')
    {
        return Err(CellError::NotNumber);
    }
    if !s.contains(&b',') {
        return Ok(Cow::Borrowed(s));
    }
    let (int, frac) = match s.iter().position(|&c| c == b'.') {
        Some(p) => (&s[..p], &s[p..]),
        None => (s, &[][..]),
    };
    if frac.contains(&b',') {
        return Err(CellError::ThousandsSeparator);
    }
    let mut out = Vec::with_capacity(s.len());
    for (i, group) in int.split(|&c| c == b',').enumerate() {
        let ok = if i == 0 {
            (1..=3).contains(&group.len())
        } else {
            group.len() == 3
        };
        if !ok {
            return Err(CellError::ThousandsSeparator);
        }
        out.extend_from_slice(group);
    }
    out.extend_from_slice(frac);
    Ok(Cow::Owned(out))
}

/// `d / 100`, exactly: the same digits, two more places.
fn hundredth(d: Decimal) -> Result<Decimal, CellError> {
    let d = if d.scale() + 2 > rubric_syntax::decimal::MAX_SCALE {
        d.normalize()
    } else {
        d
    };
    Decimal::from_parts(d.mantissa(), d.scale() + 2).ok_or(CellError::TooPrecise)
}

/// A date cell in one of the forms above (`b` trimmed, not `2024-05-16` or `2024/05/16`).
pub(crate) fn date(b: &[u8]) -> Result<Date, CellError> {
    let n = narrow(b);
    let s = cell::trim(&n);
    let digits = |p: &[u8], min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.iter().all(u8::is_ascii_digit)
    };
    let (y, m, d) = if let Some((y, rest)) = split_once(s, "年") {
        let (m, rest) = split_once(rest, "月").ok_or(CellError::NotDate)?;
        let d = strip_suffix(rest, "日").ok_or(CellError::NotDate)?;
        (y, m, d)
    } else if digits(s, 8, 8) {
        (&s[..4], &s[4..6], &s[6..])
    } else {
        let sep = *s
            .iter()
            .find(|c| !c.is_ascii_digit())
            .ok_or(CellError::NotDate)?;
        if !matches!(sep, b'-' | b'/' | b'.') {
            return Err(CellError::NotDate);
        }
        let parts: Vec<&[u8]> = s.split(|&c| c == sep).collect();
        let &[a, b, c] = parts.as_slice() else {
            return Err(CellError::NotDate);
        };
        if digits(a, 1, 2) && digits(b, 1, 2) && digits(c, 4, 4) {
            return Err(CellError::AmbiguousDate);
        }
        (a, b, c)
    };
    if !(digits(y, 4, 4) && digits(m, 1, 2) && digits(d, 1, 2)) {
        return Err(CellError::NotDate);
    }
    let num = |p: &[u8]| p.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
    let (year, month, day) = (num(y) as i32, num(m), num(d));
    if year == 0 {
        return Err(CellError::NoYear);
    }
    if !(1..=12).contains(&month) {
        return Err(CellError::NoMonth { month });
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(CellError::NoDay { year, month, day });
    }
    Date::from_ymd(year, month, day).ok_or(CellError::NotDate)
}

/// The words of a totals row, without whitespace.
const TOTALS: [&str; 4] = ["合计", "总计", "小计", "total"];

/// Whether a key cell marks a totals row (see the module doc). Cheap for an ordinary key: only
/// a cell that starts like one of the words is looked at closely.
#[inline]
pub(crate) fn is_totals(cell: &[u8]) -> bool {
    // (one byte looked at for a key of the run's hot path)
    matches!(
        cell.first(),
        // 合 小 (E5), 总 (E6), the ideographic space (E3), T, t, spaces
        Some(0xE3 | 0xE5 | 0xE6 | b'T' | b't' | b' ' | b'\t' | b'\r' | b'\n')
    ) && totals_slow(cell)
}

#[inline(never)]
fn totals_slow(cell: &[u8]) -> bool {
    let t = cell::trim(cell);
    if t.len() > 64 {
        return false;
    }
    let Ok(s) = std::str::from_utf8(t) else {
        return false;
    };
    let mut word: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if word.ends_with(':') || word.ends_with('：') {
        word.pop();
    }
    TOTALS.contains(&word.as_str())
}

fn split_once<'a>(s: &'a [u8], sep: &str) -> Option<(&'a [u8], &'a [u8])> {
    let sep = sep.as_bytes();
    let at = s.windows(sep.len()).position(|w| w == sep)?;
    Some((&s[..at], &s[at + sep.len()..]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::io::cell;

    fn num(s: &str) -> Result<String, CellError> {
        cell::parse_decimal(s.as_bytes(), false).map(|d| d.to_string())
    }
    fn int(s: &str) -> Result<String, CellError> {
        cell::parse_int(s.as_bytes(), false).map(|d| d.to_string())
    }
    fn day(s: &str) -> Result<String, CellError> {
        cell::parse_date(s.as_bytes()).map(|d| d.to_string())
    }

    #[test]
    fn numbers_as_excel_shows_them() {
        for (cell, want) in [
            ("12,345.67", "12345.67"),
            ("1,234,567", "1234567"),
            ("-1,234", "-1234"),
            ("999", "999"),
            ("¥8,800", "8800"),
            ("￥52,000.50", "52000.50"),
            ("$1,000", "1000"),
            ("-¥5", "-5"),
            ("¥-5", "-5"),
            ("¥ 8,800.00", "8800.00"),
            ("8000元", "8000"),
            ("8,000.5 元", "8000.5"),
            ("-3元", "-3"),
            ("８８００", "8800"),
            ("１２，３４５．６７", "12345.67"),
            ("－５", "-5"),
            ("￥８，８００", "8800"),
            ("\u{3000}12\u{3000}", "12"),
            ("20%", "0.20"),
            ("-2.5%", "-0.025"),
            ("100%", "1.00"),
            ("1,000%", "10.00"),
            ("20％", "0.20"),
            ("0%", "0.00"),
        ] {
            assert_eq!(num(cell), Ok(want.to_string()), "{cell}");
        }
    }

    #[test]
    fn numbers_excel_does_not_show_stay_bad() {
        for (cell, why) in [
            ("1,23", CellError::ThousandsSeparator),
            ("12.345,6", CellError::ThousandsSeparator),
            ("1234,567", CellError::ThousandsSeparator),
            (",123", CellError::ThousandsSeparator),
            ("1,,234", CellError::ThousandsSeparator),
            ("1,234.5,6", CellError::ThousandsSeparator),
            ("¥", CellError::NotNumber),
            ("元", CellError::NotNumber),
            ("%", CellError::NotNumber),
            ("¥8000元", CellError::NotNumber),
            ("¥20%", CellError::NotNumber),
            ("--5", CellError::NotNumber),
            ("¥--5", CellError::NotNumber),
            ("-¥-5", CellError::NotNumber),
            ("5-", CellError::NotNumber),
            ("+5", CellError::NotNumber),
            ("(1,234)", CellError::NotNumber),
            ("1 234", CellError::NotNumber),
            ("20 %%", CellError::NotNumber),
            ("€5", CellError::NotNumber),
            ("5 美元", CellError::NotNumber),
            ("1e3%", CellError::NotNumber),
        ] {
            assert_eq!(num(cell), Err(why), "{cell}");
        }
    }

    #[test]
    fn percent_is_for_decimal_fields() {
        assert_eq!(int("20%"), Err(CellError::PercentInInt));
        assert_eq!(int("100%"), Err(CellError::PercentInInt));
        assert_eq!(int("12,345"), Ok("12345".into()));
        assert_eq!(int("¥8,800.00"), Ok("8800".into()));
        assert_eq!(int("８８００元"), Ok("8800".into()));
        assert_eq!(int("1,234.5"), Err(CellError::NotWhole));
        // a percent of a tiny number keeps every digit, or says it cannot
        assert_eq!(
            num("0.000000000000000000000000000000000001%"),
            Ok("0.00000000000000000000000000000000000001".into())
        );
        assert_eq!(
            num("0.0000000000000000000000000000000000001%"),
            Err(CellError::TooPrecise)
        );
    }

    #[test]
    fn dates_as_excel_shows_them() {
        for (cell, want) in [
            ("2024-05-16", "2024-05-16"),
            ("2024-5-6", "2024-05-06"),
            ("2024/5/6", "2024-05-06"),
            ("2024.5.6", "2024-05-06"),
            ("2024.05.16", "2024-05-16"),
            ("2024-05-6", "2024-05-06"),
            ("2024年5月6日", "2024-05-06"),
            ("2024年05月16日", "2024-05-16"),
            ("20240506", "2024-05-06"),
            ("２０２４／５／６", "2024-05-06"),
            ("２０２４年５月６日", "2024-05-06"),
            ("2024-02-29", "2024-02-29"),
        ] {
            assert_eq!(day(cell), Ok(want.to_string()), "{cell}");
        }
    }

    #[test]
    fn dates_that_are_ambiguous_or_do_not_exist_say_so() {
        for (cell, why) in [
            ("5/6/2024", CellError::AmbiguousDate),
            ("06/05/2024", CellError::AmbiguousDate),
            ("13/5/2024", CellError::AmbiguousDate),
            ("6.5.2024", CellError::AmbiguousDate),
            ("6-5-2024", CellError::AmbiguousDate),
            (
                "2024-02-30",
                CellError::NoDay {
                    year: 2024,
                    month: 2,
                    day: 30,
                },
            ),
            (
                "2023-02-29",
                CellError::NoDay {
                    year: 2023,
                    month: 2,
                    day: 29,
                },
            ),
            (
                "2024/4/31",
                CellError::NoDay {
                    year: 2024,
                    month: 4,
                    day: 31,
                },
            ),
            (
                "2024年5月0日",
                CellError::NoDay {
                    year: 2024,
                    month: 5,
                    day: 0,
                },
            ),
            ("2024-13-01", CellError::NoMonth { month: 13 }),
            ("20241301", CellError::NoMonth { month: 13 }),
            ("2024.0.5", CellError::NoMonth { month: 0 }),
            ("0000-01-01", CellError::NoYear),
            ("2024-5/6", CellError::NotDate),
            ("24-5-6", CellError::NotDate),
            ("2024-5", CellError::NotDate),
            ("2024-5-6-7", CellError::NotDate),
            ("2024年5月6", CellError::NotDate),
            ("2024年5月", CellError::NotDate),
            ("2024-05-16T00:00", CellError::NotDate),
            ("2024-05-16 10:00", CellError::NotDate),
            ("2024506", CellError::NotDate),
            ("May 6, 2024", CellError::NotDate),
            ("", CellError::NotDate),
        ] {
            assert_eq!(day(cell), Err(why), "{cell}");
        }
    }

    #[test]
    fn totals_rows() {
        for yes in [
            "合计",
            "总计",
            "小计",
            "Total",
            "TOTAL",
            "total",
            " 合计 ",
            "合　计",
            "合 计",
            "合计：",
            "Total:",
            "\t总计",
        ] {
            assert!(is_totals(yes.as_bytes()), "{yes}");
        }
        for no in [
            "合计金额",
            "Totally",
            "Subtotal",
            "合",
            "C001",
            "",
            "小计2",
            "总计（元）",
            "\u{3000}",
        ] {
            assert!(!is_totals(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn reasons_name_the_problem() {
        let d = |s: &str| cell::parse_date(s.as_bytes()).unwrap_err().describe();
        assert_eq!(d("2024-02-30"), "has no day 30 (February 2024 has 29 days)");
        assert_eq!(d("2024-13-01"), "has no month 13 (months are 1 to 12)");
        assert!(
            d("5/6/2024").starts_with("is ambiguous"),
            "{}",
            d("5/6/2024")
        );
        assert!(d("5/6/2024").contains("2024年5月16日"));
        assert!(d("x").contains("20240516"));
    }
}
