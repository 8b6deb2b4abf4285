//! Hand-written RFM baseline: `benches/rfm/rfm.rubric` hard-coded in Rust, the physical-limit
//! stand-in of the peer benchmark (issue 8).
//!
//!     rfm-baseline --data customers.csv --out scores.csv [--as-of 2024-06-30]
//!
//! Exact semantics (the same in the DuckDB and Polars peers, and what Rubric must print):
//!
//! - Input: CSV with a header row (a UTF-8 BOM is skipped); columns are found by name:
//!   `id` (text key, kept byte for byte), `first_order` (date), `last_order` (optional date,
//!   empty = missing), `orders` and `units` (int), `revenue` (decimal). Dates are `YYYY-MM-DD`
//!   or `YYYY/MM/DD`; numbers are `-?digits(.digits)?`. A bad cell or a duplicate key aborts the
//!   run with an error (the generated data has none; Rubric would reject the row instead).
//! - `days_since(d)` = as_of − d in days (negative for a future d). `d within Nd` =
//!   `d >= as_of − N days and d <= as_of`. `today − 365d` = as_of − 365 days.
//! - Points: first match wins; a missing `last_order` makes every recency condition missing,
//!   so `otherwise` (1 point) applies.
//! - Score: `r×0.4 + f×0.3×(1.1 if units >= 100) + m×0.3`, the whole multiplied by 1.05 when
//!   `first_order < 2017-01-01`; exact decimals, printed normalised (no trailing zeros:
//!   `4.15`, `4`, `3.3075`).
//! - Population functions over all rows, on revenue (never missing here), with ties:
//!   `rank` = 1 + number of rows with a larger revenue (SQL `RANK() OVER (ORDER BY x DESC)`);
//!   `top_share` = rows with revenue >= this one's / all rows (SQL `CUME_DIST() OVER (ORDER BY
//!   x DESC)`); `cumulative_share` = sum of revenue over rows with revenue >= this one's / total
//!   revenue (SQL `SUM(x) OVER (ORDER BY x DESC RANGE UNBOUNDED PRECEDING) / SUM(x) OVER ()`),
//!   missing when the total is zero. Shares are compared with percentages exactly, as
//!   cross-multiplied integers: `c / t <= 4/5` is `5c <= 4t` for t > 0. This equals comparing
//!   rubric's quotient (rounded to 16 places): with sums in cents, a share other than 4/5 differs
//!   from it by at least 1 / (5t), more than the 5e-17 a rounding to 16 places can hide while the
//!   total stays below 4e15 cents (the generated data stays far below).
//! - Three-valued logic: `loyal when rfm >= 3.5 and activity != lost` does not fire when
//!   `activity` is missing; `activity` itself has no `otherwise`, so a missing or future
//!   `last_order` leaves it missing and it prints as the empty cell.
//! - Output: CSV `id,rfm,abc,top,activity,segment`, rows in input order, `\n` line ends, quotes
//!   only where needed.
//!
//! Speed notes: one thread; the file is streamed through a 1 MiB buffer by the `csv` reader;
//! rows are parsed from byte records without UTF-8 validation; revenue thresholds are compared on
//! the decimal's mantissa; per-row results are packed into a few bytes; duplicate keys are found
//! by sorting 64-bit key hashes (equal hashes are compared byte for byte); the population pass is
//! one sort of `(revenue as a scaled integer, row)` pairs; the score, which depends on 11 bits of
//! per-row state, is computed with `rust_decimal` once per distinct state and reused; output
//! lines are written by hand (only the key can need quotes).

use std::fs;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use rust_decimal::Decimal;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rfm-baseline: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Args {
    data: String,
    out: String,
    as_of: i32,
}

fn parse_args() -> Result<Args, String> {
    let mut data = None;
    let mut out = None;
    let mut as_of = days_from_civil(2024, 6, 30);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("`{a}` needs a value"));
        match a.as_str() {
            "--data" => data = Some(value()?),
            "--out" => out = Some(value()?),
            "--as-of" => {
                let v = value()?;
                as_of = parse_date(v.as_bytes()).ok_or_else(|| format!("bad date `{v}`"))?;
            }
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    Ok(Args {
        data: data.ok_or("missing `--data FILE`")?,
        out: out.ok_or("missing `--out FILE`")?,
        as_of,
    })
}

// Per-row state packed into a u16:
// bits 0-2 r_pts, 3-5 f_pts, 6-8 m_pts, 9 term bonus (units >= 100), 10 score bonus
// (first_order < 2017-01-01), 11 first_order within 90d, 12 orders >= 5.
// The score depends on bits 0-10 only.
const SCORE_BITS: u16 = (1 << 11) - 1;

/// 10^0 ..= 10^28, the scales a decimal can have.
const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

const ACT_NONE: u8 = 0;
const ACT_ACTIVE: u8 = 1;
const ACT_LAPSING: u8 = 2;
const ACT_LOST: u8 = 3;
const ACTIVITY: [&[u8]; 4] = [b"", b"active", b"lapsing", b"lost"];
const ABC: [&[u8]; 4] = [b"", b"a", b"b", b"c"];
const TOP: [&[u8]; 4] = [b"top100", b"top10", b"top30", b"rest"];

/// A fast 64-bit hash of a key, 8 bytes at a time; equal hashes are confirmed byte by byte.
fn key_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (key.len() as u64).wrapping_mul(K);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(31);
    }
    let mut w = [0u8; 8];
    w[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

/// The first key that occurs twice, by its second row, if any.
fn find_duplicate(ids: &[u8], id_ends: &[usize], hashes: &[u64]) -> Option<usize> {
    let mut sorted = hashes.to_vec();
    sorted.sort_unstable();
    let key = |row: usize| &ids[if row == 0 { 0 } else { id_ends[row - 1] }..id_ends[row]];
    let mut first_dup: Option<usize> = None;
    for w in sorted.windows(2) {
        if w[0] != w[1] {
            continue;
        }
        // Rare: rows sharing this hash, compared for real.
        let rows: Vec<usize> = (0..hashes.len()).filter(|&r| hashes[r] == w[0]).collect();
        for (i, &b) in rows.iter().enumerate() {
            if rows[..i].iter().any(|&a| key(a) == key(b)) {
                first_dup = Some(first_dup.map_or(b, |d| d.min(b)));
            }
        }
    }
    first_dup
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let as_of = args.as_of;
    let file =
        fs::File::open(&args.data).map_err(|e| format!("cannot read `{}`: {e}", args.data))?;
    let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    // csv-core skips a UTF-8 BOM.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let header = rdr.byte_headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name.as_bytes())
            .ok_or_else(|| format!("missing column `{name}`"))
    };
    let (c_id, c_first, c_last) = (col("id")?, col("first_order")?, col("last_order")?);
    let (c_orders, c_units, c_rev) = (col("orders")?, col("units")?, col("revenue")?);

    let d2017 = days_from_civil(2017, 1, 1);
    // m_pts thresholds, compared with the decimal's mantissa at its own scale.
    let m_limits: [i128; 4] = [10_000, 2_000, 500, 100];

    let estimate = size / 40;
    let mut ids: Vec<u8> = Vec::with_capacity(size / 4);
    let mut id_ends: Vec<usize> = Vec::with_capacity(estimate);
    let mut state: Vec<u16> = Vec::with_capacity(estimate);
    let mut activity: Vec<u8> = Vec::with_capacity(estimate);
    let mut revenue: Vec<Decimal> = Vec::with_capacity(estimate);
    let mut hashes: Vec<u64> = Vec::with_capacity(estimate);
    let mut rec = csv::ByteRecord::new();
    let mut line = 1usize;

    while rdr.read_byte_record(&mut rec).map_err(|e| e.to_string())? {
        line += 1;
        let cell = |c: usize| rec.get(c).unwrap_or(b"");
        let bad = |c: usize, what: &str| {
            format!(
                "line {line}: column `{}`: {what} `{}`",
                String::from_utf8_lossy(&header[c]),
                String::from_utf8_lossy(cell(c))
            )
        };

        let id = cell(c_id);
        if id.is_empty() {
            return Err(bad(c_id, "empty key"));
        }
        let first = parse_date(cell(c_first)).ok_or_else(|| bad(c_first, "bad date"))?;
        let last_cell = cell(c_last);
        let last = if last_cell.is_empty() {
            None
        } else {
            Some(parse_date(last_cell).ok_or_else(|| bad(c_last, "bad date"))?)
        };
        let orders = parse_int(cell(c_orders)).ok_or_else(|| bad(c_orders, "bad int"))?;
        let units = parse_int(cell(c_units)).ok_or_else(|| bad(c_units, "bad int"))?;
        let rev = parse_decimal(cell(c_rev)).ok_or_else(|| bad(c_rev, "bad decimal"))?;

        let r_pts: u16 = match last.map(|d| as_of - d) {
            Some(ds) if ds <= 30 => 5,
            Some(ds) if ds <= 90 => 4,
            Some(ds) if ds <= 180 => 3,
            Some(ds) if ds <= 365 => 2,
            _ => 1,
        };
        let f_pts: u16 = match orders {
            o if o >= 20 => 5,
            o if o >= 10 => 4,
            o if o >= 5 => 3,
            o if o >= 2 => 2,
            _ => 1,
        };
        let (mantissa, unit) = (rev.mantissa(), POW10[rev.scale() as usize]);
        let m_pts: u16 = match m_limits.iter().position(|l| mantissa >= l * unit) {
            Some(p) => 5 - p as u16,
            None => 1,
        };
        let within = |d: i32, n: i32| d >= as_of - n && d <= as_of;
        let act = match last {
            Some(d) if within(d, 90) => ACT_ACTIVE,
            Some(d) if within(d, 365) => ACT_LAPSING,
            Some(d) if d < as_of - 365 => ACT_LOST,
            _ => ACT_NONE,
        };
        let s = r_pts
            | f_pts << 3
            | m_pts << 6
            | u16::from(units >= 100) << 9
            | u16::from(first < d2017) << 10
            | u16::from(within(first, 90)) << 11
            | u16::from(orders >= 5) << 12;

        hashes.push(key_hash(id));
        ids.extend_from_slice(id);
        id_ends.push(ids.len());
        state.push(s);
        activity.push(act);
        revenue.push(rev);
    }

    let n = state.len();
    if let Some(row) = find_duplicate(&ids, &id_ends, &hashes) {
        let start = if row == 0 { 0 } else { id_ends[row - 1] };
        return Err(format!(
            "line {}: duplicate key `{}`",
            row + 2,
            String::from_utf8_lossy(&ids[start..id_ends[row]])
        ));
    }
    drop(hashes);

    // Population pass: abc and top codes per row (index into ABC / TOP).
    let (abc, top) = population(&revenue);
    drop(revenue);

    // Score memo over the 11 score bits: (printed score, score >= 4.5, score >= 3.5).
    let mut memo: Vec<Option<(String, bool, bool)>> = vec![None; 1 << 11];
    let (w40, w30) = (Decimal::new(4, 1), Decimal::new(3, 1));
    let (term_bonus, score_bonus) = (Decimal::new(11, 1), Decimal::new(105, 2));
    let (t45, t35) = (Decimal::new(45, 1), Decimal::new(35, 1));

    let file =
        fs::File::create(&args.out).map_err(|e| format!("cannot write `{}`: {e}", args.out))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let write_err = |e: std::io::Error| format!("cannot write `{}`: {e}", args.out);
    out.write_all(b"id,rfm,abc,top,activity,segment\n")
        .map_err(write_err)?;
    let mut line: Vec<u8> = Vec::with_capacity(128);
    let mut start = 0;
    for row in 0..n {
        let s = state[row];
        let entry = memo[usize::from(s & SCORE_BITS)].get_or_insert_with(|| {
            let r = Decimal::from(s & 7);
            let f = Decimal::from((s >> 3) & 7);
            let m = Decimal::from((s >> 6) & 7);
            let mut f_term = f * w30;
            if s & (1 << 9) != 0 {
                f_term *= term_bonus;
            }
            let mut score = r * w40 + f_term + m * w30;
            if s & (1 << 10) != 0 {
                score *= score_bonus;
            }
            (score.normalize().to_string(), score >= t45, score >= t35)
        });
        let act = activity[row];
        let segment: &[u8] = if entry.1 {
            b"champion"
        } else if s & (1 << 11) != 0 {
            b"newcomer"
        } else if entry.2 && act != ACT_NONE && act != ACT_LOST {
            b"loyal"
        } else if act == ACT_LOST && s & (1 << 12) != 0 {
            b"at_risk"
        } else if act == ACT_LOST {
            b"hibernating"
        } else {
            b"regular"
        };
        let end = id_ends[row];
        line.clear();
        push_csv_field(&mut line, &ids[start..end]);
        for field in [
            entry.0.as_bytes(),
            ABC[usize::from(abc[row])],
            TOP[usize::from(top[row])],
            ACTIVITY[usize::from(act)],
            segment,
        ] {
            line.push(b',');
            line.extend_from_slice(field);
        }
        line.push(b'\n');
        out.write_all(&line).map_err(write_err)?;
        start = end;
    }
    out.flush().map_err(write_err)?;
    Ok(())
}

/// `abc` (1 a, 2 b, 3 c) and `top` (0 top100, 1 top10, 2 top30, 3 rest) for every row.
fn population(revenue: &[Decimal]) -> (Vec<u8>, Vec<u8>) {
    // Bring every revenue to the largest scale as an integer: exact, and cheap to sort.
    let scale = revenue.iter().map(|d| d.scale()).max().unwrap_or(0);
    let keys: Option<Vec<i64>> = revenue
        .iter()
        .map(|d| {
            let m = i64::try_from(d.mantissa()).ok()?;
            m.checked_mul(10i64.checked_pow(scale - d.scale())?)
        })
        .collect();
    match keys {
        Some(keys) => grades_by_key(keys),
        // Revenues too large for i64 at a common scale: sort the decimals themselves.
        None => grades_by_key(revenue.to_vec()),
    }
}

trait Amount: Ord + Copy + Default {
    fn add(self, other: Self) -> Self;
    /// Sign of `self × p − total × q` for small positive p, q, without overflow.
    fn cmp_scaled(self, p: i64, total: Self, q: i64) -> std::cmp::Ordering;
    fn signum(self) -> i32;
}

impl Amount for Decimal {
    fn add(self, other: Self) -> Self {
        self + other
    }
    fn cmp_scaled(self, p: i64, total: Self, q: i64) -> std::cmp::Ordering {
        (self * Decimal::from(p)).cmp(&(total * Decimal::from(q)))
    }
    fn signum(self) -> i32 {
        if self.is_zero() {
            0
        } else if self.is_sign_negative() {
            -1
        } else {
            1
        }
    }
}

/// Running sums of i64 keys need more room than i64.
trait Widen: Copy {
    type Sum: Amount;
    fn widen(self) -> Self::Sum;
}
impl Widen for i64 {
    type Sum = I128;
    fn widen(self) -> I128 {
        I128(i128::from(self))
    }
}
impl Widen for Decimal {
    type Sum = Decimal;
    fn widen(self) -> Decimal {
        self
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct I128(i128);
impl Amount for I128 {
    fn add(self, other: Self) -> Self {
        I128(self.0 + other.0)
    }
    fn cmp_scaled(self, p: i64, total: Self, q: i64) -> std::cmp::Ordering {
        // |sums| < 2^63 × rows, far below 2^127 / 100.
        (self.0 * i128::from(p)).cmp(&(total.0 * i128::from(q)))
    }
    fn signum(self) -> i32 {
        self.0.signum() as i32
    }
}

fn grades_by_key<K: Ord + Copy + Widen>(keys: Vec<K>) -> (Vec<u8>, Vec<u8>) {
    use std::cmp::Ordering::{Greater, Less};
    let n = keys.len();
    let total = keys
        .iter()
        .fold(K::Sum::default(), |acc, k| acc.add(k.widen()));
    let total_sign = total.signum();
    // share = cum / total; share <= p/q  <=>  cum × q <= total × p when total > 0 (>= when < 0).
    let share_le = |cum: K::Sum, p: i64, q: i64| match total_sign {
        0 => false, // division by zero: missing, the rule does not fire
        s if s > 0 => cum.cmp_scaled(q, total, p) != Greater,
        _ => cum.cmp_scaled(q, total, p) != Less,
    };

    let mut order: Vec<(K, u32)> = keys.into_iter().zip(0u32..).collect();
    order.sort_unstable_by_key(|p| std::cmp::Reverse(p.0));

    let mut abc = vec![0u8; n];
    let mut top = vec![0u8; n];
    let mut cum = K::Sum::default();
    let mut i = 0;
    while i < n {
        let key = order[i].0;
        let mut j = i;
        while j < n && order[j].0 == key {
            cum = cum.add(order[j].0.widen());
            j += 1;
        }
        // Rows i..j tie: rank i + 1, j rows have revenue >= key, `cum` is their revenue.
        let rank = i + 1;
        let ge = j as u64;
        let n64 = n as u64;
        let t = if rank <= 100 {
            0
        } else if ge * 10 <= n64 {
            1
        } else if ge * 10 <= n64 * 3 {
            2
        } else {
            3
        };
        let a = if share_le(cum, 80, 100) {
            1
        } else if share_le(cum, 95, 100) {
            2
        } else {
            3
        };
        for &(_, row) in &order[i..j] {
            abc[row as usize] = a;
            top[row as usize] = t;
        }
        i = j;
    }
    (abc, top)
}

/// A CSV field quoted only where needed (a comma, quote or line break in it), as the `csv` crate,
/// DuckDB and Polars do; only the key can need it here.
fn push_csv_field(line: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        line.push(b'"');
        for &b in field {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(field);
    }
}

/// `-?digits` into i64.
fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

/// `-?digits(.digits)?` into an exact decimal (at most 28 decimal places, 96-bit mantissa).
fn parse_decimal(s: &[u8]) -> Option<Decimal> {
    let (neg, rest) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (int, frac) = match rest.iter().position(|&b| b == b'.') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    if int.is_empty() || (frac.is_empty() && int.len() < rest.len()) || frac.len() > 28 {
        return None;
    }
    let mut m: i128 = 0;
    for &b in int.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    if m >= 1i128 << 96 {
        return None;
    }
    Decimal::try_from_i128_with_scale(if neg { -m } else { m }, frac.len() as u32).ok()
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` into days since 1970-01-01.
fn parse_date(s: &[u8]) -> Option<i32> {
    if s.len() != 10 || s[4] != s[7] || (s[4] != b'-' && s[4] != b'/') {
        return None;
    }
    let num = |r: &[u8]| -> Option<i32> {
        r.iter().try_fold(0i32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i32::from(b - b'0'))
        })
    };
    let (y, m, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Howard Hinnant's days_from_civil.
fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_parse_exactly() {
        assert_eq!(parse_date(b"1970-01-01"), Some(0));
        assert_eq!(parse_date(b"2024/06/30"), parse_date(b"2024-06-30"));
        assert_eq!(parse_date(b"2024-02-30"), None);
        assert_eq!(parse_date(b"2024-06/30"), None);
        assert_eq!(parse_int(b"-12"), Some(-12));
        assert_eq!(parse_int(b"1.0"), None);
        assert_eq!(
            parse_decimal(b"100.10").map(|d| d.to_string()),
            Some("100.10".into())
        );
        assert_eq!(
            parse_decimal(b"-0.5").map(|d| d.to_string()),
            Some("-0.5".into())
        );
        assert_eq!(parse_decimal(b"1."), None);
        assert_eq!(parse_decimal(b".5"), None);
        let mut line = Vec::new();
        push_csv_field(&mut line, b"a,\"b\"");
        push_csv_field(&mut line, b"000123");
        assert_eq!(line, b"\"a,\"\"b\"\"\"000123".to_vec());
    }

    #[test]
    fn duplicate_keys_are_found_by_their_second_row() {
        let keys: [&[u8]; 4] = [b"000123", b"123", b"0001234567890", b"000123"];
        let mut ids = Vec::new();
        let mut ends = Vec::new();
        for k in keys {
            ids.extend_from_slice(k);
            ends.push(ids.len());
        }
        let hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
        assert_eq!(find_duplicate(&ids, &ends, &hashes), Some(3));
        assert_eq!(find_duplicate(&ids, &ends[..3], &hashes[..3]), None);
        // A forced hash collision between different keys is not a duplicate.
        assert_eq!(find_duplicate(&ids, &ends[..2], &[7, 7]), None);
    }

    #[test]
    fn ties_share_rank_and_cumulative_share() {
        // 500, 250, 200, 50 from LANGUAGE.md: cumulative shares 0.50, 0.75, 0.95, 1.00.
        let rev: Vec<Decimal> = [500, 250, 200, 50]
            .iter()
            .map(|&v| Decimal::from(v))
            .collect();
        let (abc, _) = population(&rev);
        assert_eq!(abc, vec![1, 1, 2, 3]);
        // Two tied customers hold 100% together: both are past 95% (`c`) and both rank 1.
        let rev: Vec<Decimal> = [5, 5].iter().map(|&v| Decimal::from(v)).collect();
        let (abc, top) = population(&rev);
        assert_eq!(abc, vec![3, 3]);
        assert_eq!(top, vec![0, 0]);
    }
}
