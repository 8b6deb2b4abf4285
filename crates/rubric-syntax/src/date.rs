//! Calendar dates and durations, calendar-correct, without a time zone.

use std::fmt;

/// A proleptic Gregorian date, stored as days since 1970-01-01.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// A duration as written: `30d`, `2w`, `3mo`, `1y`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Duration {
    pub count: i64,
    pub unit: DurationUnit,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DurationUnit {
    Day,
    Week,
    Month,
    Year,
}

impl DurationUnit {
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Day => "d",
            DurationUnit::Week => "w",
            DurationUnit::Month => "mo",
            DurationUnit::Year => "y",
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// Days from 1970-01-01 to a valid date (Howard Hinnant's `days_from_civil`).
const fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year } as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Per year 0..=9999, the day of its January 1st (what [`Date::parse_bytes`] reads most).
static YEAR_START: [i32; 10000] = {
    let mut t = [0i32; 10000];
    let mut y = 0;
    while y < 10000 {
        t[y] = days_from_civil(y as i32, 1, 1) as i32;
        y += 1;
    }
    t
};

/// Days before the first of each month in a common year.
const MONTH_START: [i32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date of a year, month and day, or `None` when there is no such day (or the year is
    /// outside 1..=9999, the range every SQL engine accepts).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day) as i32))
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 as i64 + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// Parses `2024-05-16` or `2024/05/16` (the separators must match).
    pub fn parse(s: &str) -> Option<Date> {
        Date::parse_bytes(s.as_bytes())
    }

    /// [`Date::parse`] of bytes (a date is ASCII: no UTF-8 check needed first).
    #[inline]
    pub fn parse_bytes(b: &[u8]) -> Option<Date> {
        let &[y0, y1, y2, y3, sep, m0, m1, sep2, d0, d1] = b else {
            return None;
        };
        if (sep != b'-' && sep != b'/') || sep2 != sep {
            return None;
        }
        let digit = |c: u8| {
            let v = c.wrapping_sub(b'0');
            (v < 10).then_some(u32::from(v))
        };
        let year = ((digit(y0)? * 10 + digit(y1)?) * 10 + digit(y2)?) * 10 + digit(y3)?;
        let month = digit(m0)? * 10 + digit(m1)?;
        let day = digit(d0)? * 10 + digit(d1)?;
        // (a table of years instead of `days_from_civil`'s divisions: the same day)
        let year = year as i32;
        if year < MIN_YEAR || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        if day > days_in_month(year, month) {
            return None;
        }
        let leap_day = i32::from(month > 2 && is_leap(year));
        let start = *YEAR_START.get(year as usize)?;
        let before = *MONTH_START.get(month as usize - 1)?;
        Some(Date(start + before + leap_day + day as i32 - 1))
    }

    /// Adds calendar months, clamping to the month's end: 2024-03-31 - 1mo = 2024-02-29.
    pub fn add_months(self, months: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let total = y as i64 * 12 + (m as i64 - 1) + months;
        let ny = total.div_euclid(12);
        let nm = (total.rem_euclid(12) + 1) as u32;
        let ny = i32::try_from(ny).ok()?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&ny) {
            return None;
        }
        Date::from_ymd(ny, nm, d.min(days_in_month(ny, nm)))
    }

    pub fn add_days(self, days: i64) -> Option<Date> {
        let n = i32::try_from(self.0 as i64 + days).ok()?;
        let d = Date(n);
        (MIN_YEAR..=MAX_YEAR).contains(&d.year()).then_some(d)
    }

    /// `self + sign * duration`; `None` when the result leaves the supported range.
    pub fn add(self, dur: Duration, sign: i64) -> Option<Date> {
        let n = dur.count.checked_mul(sign)?;
        match dur.unit {
            DurationUnit::Day => self.add_days(n),
            DurationUnit::Week => self.add_days(n.checked_mul(7)?),
            DurationUnit::Month => self.add_months(n),
            DurationUnit::Year => self.add_months(n.checked_mul(12)?),
        }
    }

    /// Whole calendar months from `self` to `later` (negative when `later` is earlier), counted
    /// like an age: 2024-01-31 to 2024-02-29 is 0 months, to 2024-03-01 is 1.
    pub fn months_until(self, later: Date) -> i64 {
        let (y1, m1, d1) = self.ymd();
        let (y2, m2, d2) = later.ymd();
        let mut months = (y2 as i64 - y1 as i64) * 12 + (m2 as i64 - m1 as i64);
        if months > 0 && d2 < d1 {
            months -= 1;
        } else if months < 0 && d2 > d1 {
            months += 1;
        }
        months
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every day of years 1 to 9999, and the impossible ones next to month ends, read as
    /// `from_ymd` gives them.
    #[test]
    fn parse_bytes_reads_every_date_as_from_ymd() {
        let text = |y: i32, m: u32, d: u32, sep: char| format!("{y:04}{sep}{m:02}{sep}{d:02}");
        let first = Date::from_ymd(1, 1, 1).unwrap().0;
        let last = Date::from_ymd(9999, 12, 31).unwrap().0;
        for n in first..=last {
            let (y, m, d) = Date(n).ymd();
            let bytes = [
                b'0' + (y / 1000) as u8,
                b'0' + (y / 100 % 10) as u8,
                b'0' + (y / 10 % 10) as u8,
                b'0' + (y % 10) as u8,
                b'-',
                b'0' + (m / 10) as u8,
                b'0' + (m % 10) as u8,
                b'-',
                b'0' + (d / 10) as u8,
                b'0' + (d % 10) as u8,
            ];
            assert_eq!(Date::parse_bytes(&bytes), Some(Date(n)), "{y}-{m}-{d}");
        }
        for y in [1, 4, 100, 400, 1900, 2000, 2023, 2024, 9999] {
            for m in 0..=13 {
                for d in [0, 28, 29, 30, 31, 32] {
                    for sep in ['-', '/'] {
                        let t = text(y, m, d, sep);
                        assert_eq!(
                            Date::parse_bytes(t.as_bytes()),
                            Date::from_ymd(y, m, d),
                            "{t}"
                        );
                    }
                }
            }
        }
        for bad in [
            "0000-01-01",
            "2024-01-1",
            "2024-1-01",
            "2024/01-01",
            "2024-01-0a",
            "+024-01-01",
        ] {
            assert_eq!(Date::parse_bytes(bad.as_bytes()), None, "{bad}");
        }
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn civil_round_trip_over_four_centuries() {
        let start = d("1900-01-01").0;
        for n in start..start + 146_097 {
            let (y, m, dd) = Date(n).ymd();
            assert_eq!(Date::from_ymd(y, m, dd), Some(Date(n)));
        }
        assert_eq!(d("1970-01-01").0, 0);
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let one = Duration {
            count: 1,
            unit: DurationUnit::Month,
        };
        assert_eq!(d("2024-03-31").add(one, -1), Some(d("2024-02-29")));
        assert_eq!(d("2023-03-31").add(one, -1), Some(d("2023-02-28")));
        assert_eq!(d("2024-01-31").add(one, 1), Some(d("2024-02-29")));
        let year = Duration {
            count: 1,
            unit: DurationUnit::Year,
        };
        assert_eq!(d("2024-02-29").add(year, 1), Some(d("2025-02-28")));
        assert_eq!(d("2024-12-15").add(one, 1), Some(d("2025-01-15")));
    }

    #[test]
    fn parses_both_separators_and_rejects_bad_days() {
        assert_eq!(Date::parse("2024/05/16"), Some(d("2024-05-16")));
        assert_eq!(Date::parse("2024-02-30"), None);
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2024-05/16"), None);
        assert_eq!(Date::parse("24-05-16"), None);
    }

    #[test]
    fn months_until_counts_completed_months() {
        assert_eq!(d("2024-01-31").months_until(d("2024-02-29")), 0);
        assert_eq!(d("2024-01-31").months_until(d("2024-03-01")), 1);
        assert_eq!(d("2024-06-30").months_until(d("2024-04-30")), -2);
        assert_eq!(d("2020-06-30").months_until(d("2024-06-30")), 48);
    }
}
