//! Population functions over the accepted rows, exactly as their SQL window equivalents:
//!
//! | function | per customer with a present `x` |
//! | --- | --- |
//! | `total/mean/min_of/max_of(x)` | `SUM/AVG/MIN/MAX(x) OVER (PARTITION BY p)`, missing values ignored |
//! | `count()` | `COUNT(*) OVER (PARTITION BY p)`: every customer of the partition |
//! | `rank(x)` | 1 + the number of customers with a strictly larger `x` (`RANK()` over `x DESC`) |
//! | `top_share(x)` | customers with `x` ≥ this one's / customers with a present `x` (`CUME_DIST()`) |
//! | `cumulative_share(x)` | sum of the `x` ≥ this one's / the total; missing when the total is 0 |
//!
//! A missing argument gives a missing result. A missing partition value is a partition of its
//! own, as in SQL `PARTITION BY`.

use crate::eval::compare;
use crate::value::Value;
use crate::vector::{Col, NO_SCALE};
use rubric_check::hir::PopFunc;
use rubric_syntax::decimal::div;
use rubric_syntax::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Default)]
struct Agg {
    rows: u64,
    present: u64,
    /// `None` after an overflow: the total (and what divides by it) is missing.
    sum: Option<Decimal>,
    min: Option<Value>,
    max: Option<Value>,
}

const NONE: u32 = u32::MAX;

/// One population function's values: a value per partition or per tie group, and per row the
/// index of its value (`u32::MAX`: missing). Rows share values, and the functions of one sort
/// share the index, so a function costs 4 bytes per row and a typed value per group, not a
/// value per row.
#[derive(Clone, Debug)]
pub(crate) struct PopTable {
    /// Per row, where its value is (an `Arc` of a `Vec`, not of a slice: making the slice
    /// would copy the vector, and at 10M rows that is 40 MB of fresh pages).
    index: Arc<Vec<u32>>,
    values: Vals,
}

#[derive(Clone, Debug)]
enum Vals {
    Col(Col),
    /// Function `k` of the functions of one sort, packed with the others (see [`Packed`]).
    Packed(Arc<Packed>, usize),
}

/// The values of the functions of one sort (`rank`, `top_share`, `cumulative_share`), packed
/// group by group: value `i` of function `k` is `m[i * width + k]` with scale `s[i * width + k]`
/// (`NO_SCALE`: missing). The final pass reads a customer's values of every function of the
/// sort from one place: in a large population the values of neighbouring rows lie far apart
/// in memory, and fetching them is what that pass waits on.
#[derive(Debug)]
struct Packed {
    width: usize,
    m: Vec<i64>,
    s: Vec<u8>,
}

impl Packed {
    #[inline]
    fn get(&self, i: usize, k: usize) -> Option<(i64, u8)> {
        let at = i * self.width + k;
        match (self.m.get(at), self.s.get(at)) {
            (Some(&m), Some(&s)) if s != NO_SCALE => Some((m, s)),
            _ => None,
        }
    }
}

impl Default for PopTable {
    fn default() -> PopTable {
        PopTable {
            index: Arc::from(Vec::new()),
            values: Vals::Col(Col::Const(Value::Missing)),
        }
    }
}

impl PopTable {
    /// The value of row `r`.
    pub fn get(&self, r: usize) -> Value {
        let i = match self.index.get(r) {
            Some(&i) if i != NONE => i as usize,
            _ => return Value::Missing,
        };
        match &self.values {
            Vals::Col(c) => c.value(i),
            Vals::Packed(p, k) => p
                .get(i, *k)
                .and_then(|(m, s)| Decimal::from_parts(m.into(), u32::from(s)))
                .map_or(Value::Missing, Value::Num),
        }
    }

    /// The values of rows `rows` (population indices, `u32::MAX`: not in the population), as
    /// a column.
    pub fn gather(&self, rows: impl Iterator<Item = u32>) -> Col {
        let at = |r: u32| {
            if r == NONE {
                NONE
            } else {
                self.index[r as usize]
            }
        };
        match &self.values {
            Vals::Col(c) => c.gather(rows.map(at)),
            Vals::Packed(p, k) => {
                // (sized once: growing by doubling copies and touches twice the memory)
                let n = rows.size_hint().0;
                let (mut m, mut s) = (Vec::with_capacity(n), Vec::with_capacity(n));
                for r in rows {
                    let i = at(r);
                    match (i != NONE).then(|| p.get(i as usize, *k)).flatten() {
                        Some((a, b)) => {
                            m.push(i128::from(a));
                            s.push(b);
                        }
                        None => {
                            m.push(0);
                            s.push(NO_SCALE);
                        }
                    }
                }
                Col::Num { m, s }
            }
        }
    }
}

/// A population function's argument for every row in the population.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Args<'a> {
    Values(&'a [Value]),
    /// Numbers as mantissa and scale (scale `NO_SCALE`: missing): 9 bytes a row, not a value's
    /// 24, for the usual argument (revenue, orders, a score).
    Nums {
        m: &'a [i64],
        s: &'a [u8],
    },
}

impl Args<'_> {
    pub fn len(&self) -> usize {
        match self {
            Args::Values(v) => v.len(),
            Args::Nums { m, .. } => m.len(),
        }
    }

    /// Row `r`'s value.
    #[inline]
    fn get(&self, r: usize) -> Cow<'_, Value> {
        match self {
            Args::Values(v) => Cow::Borrowed(&v[r]),
            Args::Nums { m, s } => Cow::Owned(
                match (m.get(r), s.get(r)) {
                    (Some(&m), Some(&s)) if s != NO_SCALE => {
                        Decimal::from_parts(m.into(), u32::from(s)).map(Value::Num)
                    }
                    _ => None,
                }
                .unwrap_or(Value::Missing),
            ),
        }
    }

    /// Whether row `r` has a value the functions count (a number or a date).
    #[inline]
    fn present(&self, r: usize) -> bool {
        match self {
            Args::Values(v) => v.get(r).is_some_and(present),
            Args::Nums { s, .. } => s.get(r).is_some_and(|&s| s != NO_SCALE),
        }
    }

    /// Row `r`'s number as a mantissa and scale, when it is one.
    #[inline]
    fn parts(&self, r: usize) -> Option<(i128, u32)> {
        match self {
            Args::Values(v) => match v.get(r) {
                Some(Value::Num(d)) => Some((d.mantissa(), d.scale())),
                _ => None,
            },
            Args::Nums { m, s } => match (m.get(r), s.get(r)) {
                (Some(&m), Some(&s)) if s != NO_SCALE => Some((i128::from(m), u32::from(s))),
                _ => None,
            },
        }
    }
}

/// Whether a value is one the functions count: a number or a date.
fn present(v: &Value) -> bool {
    matches!(v, Value::Num(_) | Value::Date(_))
}

/// Computes, for every row, the value of each function in `funcs` over the argument column
/// `args` (one value per accepted row; ignored by `count()`), partitioned by `parts` when given.
/// Returns one table per function, in `funcs` order.
pub(crate) fn compute_tables(
    funcs: &[PopFunc],
    args: Args<'_>,
    parts: Option<&[Value]>,
    threads: usize,
) -> Vec<PopTable> {
    let n = args.len();
    // Partition ids; none at all (every row in partition 0) without `within`.
    let mut pid: Vec<u32> = Vec::new();
    let mut nparts = 1usize;
    if let Some(parts) = parts {
        pid = vec![0; n];
        let mut ids: HashMap<&Value, u32> = HashMap::new();
        for (r, p) in parts.iter().enumerate().take(n) {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            let id = *ids.entry(p).or_insert(next);
            if let Some(slot) = pid.get_mut(r) {
                *slot = id;
            }
        }
        nparts = ids.len().max(1);
    }
    // (no `within`: no partition ids, every row in partition 0)
    let part_of = |pid: &[u32], r: usize| if pid.is_empty() { 0 } else { pid[r] };
    let want_minmax = funcs
        .iter()
        .any(|f| matches!(f, PopFunc::MinOf | PopFunc::MaxOf));
    // Aggregates per partition.
    let mut aggs: Vec<Agg> = vec![
        Agg {
            sum: Some(Decimal::ZERO),
            ..Agg::default()
        };
        nparts
    ];
    // The usual argument, numbers without `min_of`/`max_of`: sums straight from the mantissas,
    // in one i128 per scale when there is no partition and every number has the same scale
    // (exact: fewer than 2^32 mantissas below 2^63 sum below 10^29, so the sum is the one the
    // decimals would give added one by one).
    let one_scale = match (args, want_minmax, pid.is_empty()) {
        (Args::Nums { m, s }, false, true) => sum_by_scale(m, s),
        _ => None,
    };
    if let (Some((rows, present, sum)), Some(a)) = (one_scale, aggs.first_mut()) {
        (a.rows, a.present, a.sum) = (rows, present, sum);
    } else if let (Args::Nums { m, s }, false) = (args, want_minmax) {
        for (r, (&m, &s)) in m.iter().zip(s).enumerate() {
            let Some(a) = aggs.get_mut(part_of(&pid, r) as usize) else {
                continue;
            };
            a.rows += 1;
            if s == NO_SCALE {
                continue;
            }
            a.present += 1;
            if let Some(d) = Decimal::from_parts(m.into(), u32::from(s)) {
                a.sum = a.sum.and_then(|t| t.checked_add(d));
            }
        }
    } else {
        for r in 0..n {
            let Some(a) = aggs.get_mut(part_of(&pid, r) as usize) else {
                continue;
            };
            a.rows += 1;
            if !args.present(r) {
                continue;
            }
            a.present += 1;
            let v = args.get(r);
            let v = v.as_ref();
            if let Value::Num(d) = v {
                a.sum = a.sum.and_then(|s| s.checked_add(*d));
            }
            if want_minmax {
                if a.min
                    .as_ref()
                    .is_none_or(|m| compare(v, m) == Some(Ordering::Less))
                {
                    a.min = Some(v.clone());
                }
                if a.max
                    .as_ref()
                    .is_none_or(|m| compare(v, m) == Some(Ordering::Greater))
                {
                    a.max = Some(v.clone());
                }
            }
        }
    }
    let needs_order = funcs.iter().any(|f| {
        matches!(
            f,
            PopFunc::Rank | PopFunc::TopShare | PopFunc::CumulativeShare
        )
    });
    // rank, top_share, cumulative_share: one value triple per tie group, and per row its group.
    let mut group_of: Vec<u32> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    if needs_order {
        group_of = vec![u32::MAX; n];
        let idx: Vec<u32> = match args {
            Args::Nums { s, .. } => (0..n as u32)
                .filter(|&r| s.get(r as usize).is_some_and(|&s| s != NO_SCALE))
                .collect(),
            Args::Values(_) => (0..n as u32)
                .filter(|&r| args.present(r as usize))
                .collect(),
        };
        // (partition, sort key, row), sorted by partition then key descending. Numbers that
        // fit are rescaled to one scale as integer keys (i64 when they fit, else i128):
        // sorting, tie detection and running sums then never touch the decimals (nor the rows,
        // in random order).
        match common_scale(args, &idx) {
            Some((scale, true)) => {
                match parts
                    .is_none()
                    .then(|| sort_packed(args, &idx, scale, threads))
                    .flatten()
                {
                    Some(sorted) => {
                        drop(idx);
                        tie_groups(args, Some(scale), &sorted, &mut pending, &mut group_of);
                    }
                    None => {
                        let key = |k: i128| i64::try_from(k).unwrap_or(0);
                        let sorted = sort_scaled(args, &pid, idx, scale, key, threads);
                        tie_groups(args, Some(scale), &sorted[..], &mut pending, &mut group_of);
                    }
                }
            }
            Some((scale, false)) => {
                let sorted = sort_scaled(args, &pid, idx, scale, |k| k, threads);
                tie_groups(args, Some(scale), &sorted[..], &mut pending, &mut group_of);
            }
            None => {
                let mut order = idx;
                order.sort_unstable_by(|&a, &b| {
                    let part = |r: u32| part_of(&pid, r as usize);
                    part(a).cmp(&part(b)).then_with(|| {
                        compare(&args.get(b as usize), &args.get(a as usize))
                            .unwrap_or(Ordering::Equal)
                    })
                });
                let sorted: Vec<(u32, i64, u32)> = order
                    .into_iter()
                    .map(|r| (part_of(&pid, r as usize), 0, r))
                    .collect();
                tie_groups(args, None, &sorted[..], &mut pending, &mut group_of);
            }
        }
    }
    // Per row, its partition (every row: `count()`), or NONE where the argument is missing;
    // each made only when a function asks for it.
    let mut all_parts: Option<Arc<Vec<u32>>> = None;
    let mut all_parts = || {
        Arc::clone(all_parts.get_or_insert_with(|| {
            Arc::new(if pid.is_empty() {
                vec![0; n]
            } else {
                pid.clone()
            })
        }))
    };
    let mut present_parts: Option<Arc<Vec<u32>>> = None;
    let mut present_parts = || {
        Arc::clone(present_parts.get_or_insert_with(|| {
            let present = |r: usize| {
                if args.present(r) {
                    part_of(&pid, r)
                } else {
                    NONE
                }
            };
            Arc::new((0..n).map(present).collect())
        }))
    };
    let groups = Arc::new(group_of);
    let sorted_funcs: Vec<PopFunc> = funcs
        .iter()
        .copied()
        .filter(|f| {
            matches!(
                f,
                PopFunc::Rank | PopFunc::TopShare | PopFunc::CumulativeShare
            )
        })
        .collect();
    let packed = if sorted_funcs.is_empty() {
        None
    } else {
        per_group_packed(&pending, &sorted_funcs, &aggs, threads).map(Arc::new)
    };
    let per_part = |f: &dyn Fn(&Agg) -> Value| -> Vals {
        Vals::Col(Col::from_values(aggs.iter().map(f).collect()))
    };
    funcs
        .iter()
        .map(|f| match f {
            PopFunc::Count => PopTable {
                index: all_parts(),
                values: per_part(&|a| Value::Num(Decimal::from(a.rows))),
            },
            PopFunc::Total => PopTable {
                index: present_parts(),
                values: per_part(&|a| a.sum.map_or(Value::Missing, Value::Num)),
            },
            PopFunc::Mean => PopTable {
                index: present_parts(),
                values: per_part(&|a| {
                    a.sum
                        .and_then(|s| mean_of(s, a.present))
                        .map_or(Value::Missing, Value::Num)
                }),
            },
            PopFunc::MinOf => PopTable {
                index: present_parts(),
                values: per_part(&|a| a.min.clone().unwrap_or(Value::Missing)),
            },
            PopFunc::MaxOf => PopTable {
                index: present_parts(),
                values: per_part(&|a| a.max.clone().unwrap_or(Value::Missing)),
            },
            PopFunc::Rank | PopFunc::TopShare | PopFunc::CumulativeShare => {
                let k = sorted_funcs.iter().position(|g| g == f).unwrap_or(0);
                PopTable {
                    index: Arc::clone(&groups),
                    values: match &packed {
                        Some(p) => Vals::Packed(Arc::clone(p), k),
                        None => {
                            Vals::Col(per_group(&pending, |p| group_value(*f, p, &aggs), threads))
                        }
                    },
                }
            }
        })
        .collect()
}

/// The rows, present numbers and total of a column of numbers (mantissas `m`, scales `s`) when
/// every present number has the same scale (or none is present); `None` otherwise.
fn sum_by_scale(m: &[i64], s: &[u8]) -> Option<(u64, u64, Option<Decimal>)> {
    let mut scale: Option<u8> = None;
    let mut sum: i128 = 0;
    let mut present = 0u64;
    for (&m, &s) in m.iter().zip(s) {
        if s == NO_SCALE {
            continue;
        }
        if *scale.get_or_insert(s) != s {
            return None;
        }
        // (at most 2^32 rows: no wrap, see the caller)
        sum = sum.wrapping_add(i128::from(m));
        present += 1;
    }
    let total = Decimal::from_parts(sum, u32::from(scale.unwrap_or(0)));
    Some((m.len() as u64, present, total))
}

/// The value of a sort's function (`rank`, `top_share`, `cumulative_share`) for one tie group.
fn group_value(f: PopFunc, p: &Pending, aggs: &[Agg]) -> Option<Decimal> {
    let agg = aggs.get(p.part as usize);
    match f {
        PopFunc::Rank => Some(Decimal::from(p.rank)),
        PopFunc::TopShare => div(
            Decimal::from(p.at_or_above),
            Decimal::from(agg.map_or(0, |a| a.present)),
        ),
        PopFunc::CumulativeShare => match (p.cum, agg.and_then(|a| a.sum)) {
            (Some(c), Some(t)) if !t.is_zero() => div(c, t),
            _ => None,
        },
        _ => None,
    }
}

/// The values of the functions `funcs` of one sort for every tie group, packed (see
/// [`Packed`]); `None` when a value's mantissa does not fit 64 bits.
fn per_group_packed(
    pending: &[Pending],
    funcs: &[PopFunc],
    aggs: &[Agg],
    threads: usize,
) -> Option<Packed> {
    let width = funcs.len();
    let mut m = vec![0i64; pending.len() * width];
    let mut s = vec![NO_SCALE; pending.len() * width];
    let value = |p: &Pending, k: usize| group_value(*funcs.get(k)?, p, aggs);
    fill_groups(pending, width, &mut m, &mut s, &value, threads).then_some(Packed { width, m, s })
}

/// `f` of every tie group (`None`: missing), in group order, as a column of numbers.
fn per_group(
    pending: &[Pending],
    f: impl Fn(&Pending) -> Option<Decimal> + Sync,
    threads: usize,
) -> Col {
    let mut m = vec![0i128; pending.len()];
    let mut s = vec![NO_SCALE; pending.len()];
    fill_groups(pending, 1, &mut m, &mut s, &|p, _| f(p), threads);
    Col::Num { m, s }
}

/// Fills `width` values per tie group into `m` (mantissas) and `s` (scales; `NO_SCALE` stays
/// where `value(group, k)` is missing), the divisions on every core. False when a mantissa
/// does not fit `T` (that value is left missing).
fn fill_groups<T: TryFrom<i128> + Send>(
    pending: &[Pending],
    width: usize,
    m: &mut [T],
    s: &mut [u8],
    value: &(dyn Fn(&Pending, usize) -> Option<Decimal> + Sync),
    threads: usize,
) -> bool {
    let fits = std::sync::atomic::AtomicBool::new(true);
    let fill = |m: &mut [T], s: &mut [u8], ps: &[Pending]| {
        for ((m, s), p) in m.chunks_mut(width).zip(s.chunks_mut(width)).zip(ps) {
            for (k, (m, s)) in m.iter_mut().zip(s.iter_mut()).enumerate() {
                if let Some(d) = value(p, k) {
                    match T::try_from(d.mantissa()) {
                        Ok(x) => {
                            *m = x;
                            *s = d.scale() as u8;
                        }
                        Err(_) => fits.store(false, std::sync::atomic::Ordering::Relaxed),
                    }
                }
            }
        }
    };
    let threads = threads.clamp(1, 8);
    if threads < 2 || pending.len() < 50_000 {
        fill(m, s, pending);
    } else {
        let chunk = pending.len().div_ceil(threads);
        let fill = &fill;
        std::thread::scope(|sc| {
            for ((ms, ss), ps) in m
                .chunks_mut(chunk * width)
                .zip(s.chunks_mut(chunk * width))
                .zip(pending.chunks(chunk))
            {
                sc.spawn(move || fill(ms, ss, ps));
            }
        });
    }
    fits.into_inner()
}

/// [`compute_tables`], one value per row (the unit tests' form).
#[cfg(test)]
pub(crate) fn compute(
    funcs: &[PopFunc],
    args: &[Value],
    parts: Option<&[Value]>,
) -> Vec<Vec<Value>> {
    compute_tables(funcs, Args::Values(args), parts, crate::par::cores())
        .into_iter()
        .map(|t| (0..args.len()).map(|r| t.get(r)).collect())
        .collect()
}

/// Sorts on two threads when `threads` allows: the halves are sorted on their own threads, then
/// merged. The order of
/// equal elements is unspecified, as with `sort_unstable_by`.
pub(crate) fn par_sort<T: Copy + Send>(
    v: &mut [T],
    threads: usize,
    cmp: impl Fn(&T, &T) -> Ordering + Sync,
) {
    if threads < 2 || v.len() < 100_000 {
        v.sort_unstable_by(&cmp);
        return;
    }
    let mid = v.len() / 2;
    {
        let (left, right) = v.split_at_mut(mid);
        let cmp = &cmp;
        std::thread::scope(|s| {
            s.spawn(|| left.sort_unstable_by(cmp));
            right.sort_unstable_by(cmp);
        });
    }
    // The standard stable sort finds the two sorted runs and merges them in linear time, with
    // a buffer of at most half the slice (a merge by hand needs a whole copy).
    v.sort_by(cmp);
}

/// One tie group before its shares are divided out (kept small: there can be one per row).
struct Pending {
    rank: u32,
    /// Customers of the partition whose value is at or above this group's.
    at_or_above: u32,
    /// The partition (its customers with a present value and their total are in its `Agg`).
    part: u32,
    /// The sum of the values at or above this group's (missing after an overflow).
    cum: Option<Decimal>,
}

/// The rows `idx` as (partition, argument rescaled to `scale` as a `K`, row), sorted by
/// partition, then argument descending.
fn sort_scaled<K: Copy + Ord + Send>(
    args: Args<'_>,
    pid: &[u32],
    idx: Vec<u32>,
    scale: u32,
    key: impl Fn(i128) -> K,
    threads: usize,
) -> Vec<(u32, K, u32)> {
    let mut sorted: Vec<(u32, K, u32)> = idx
        .iter()
        .map(|&r| {
            let k = scaled(args.parts(r as usize), scale).unwrap_or(0);
            let p = if pid.is_empty() { 0 } else { pid[r as usize] };
            (p, key(k), r)
        })
        .collect();
    drop(idx);
    par_sort(&mut sorted, threads, |a, b| {
        a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1))
    });
    sorted
}

/// Rows sorted by partition, then argument descending: what [`tie_groups`] walks.
trait SortedRows {
    fn len(&self) -> usize;
    /// The partition, the key (the argument rescaled; 0 when unused) and the row of the `i`th.
    fn at(&self, i: usize) -> (u32, i128, u32);
}

impl<K: Copy + Into<i128>> SortedRows for [(u32, K, u32)] {
    fn len(&self) -> usize {
        <[(u32, K, u32)]>::len(self)
    }

    #[inline]
    fn at(&self, i: usize) -> (u32, i128, u32) {
        let (p, k, r) = self[i];
        (p, k.into(), r)
    }
}

/// The rows of a population without partitions, each one u64: `max - key` above the row's
/// index, so that sorting the numbers sorts by key descending (8 bytes a row instead of 16,
/// and a sort of plain integers).
struct PackedRows {
    v: Vec<u64>,
    max: i64,
    shift: u32,
}

impl SortedRows for PackedRows {
    fn len(&self) -> usize {
        self.v.len()
    }

    #[inline]
    fn at(&self, i: usize) -> (u32, i128, u32) {
        let x = self.v[i];
        let key = i128::from(self.max) - i128::from(x >> self.shift);
        (0, key, (x & ((1u64 << self.shift) - 1)) as u32)
    }
}

/// [`sort_scaled`] as [`PackedRows`], when the keys (which fit i64) span a range that leaves
/// room for the row index in 64 bits; `None` otherwise.
fn sort_packed(args: Args<'_>, idx: &[u32], scale: u32, threads: usize) -> Option<PackedRows> {
    let key = |r: u32| -> Option<i64> {
        if let Args::Nums { m, s } = args {
            // the usual case: the number already has this scale
            if s.get(r as usize) == Some(&(scale as u8)) {
                return m.get(r as usize).copied();
            }
        }
        i64::try_from(scaled(args.parts(r as usize), scale)?).ok()
    };
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for &r in idx {
        let k = key(r)?;
        lo = lo.min(k);
        hi = hi.max(k);
    }
    let shift = 64 - u64::from(args.len().max(2) as u32 - 1).leading_zeros();
    let range = u128::try_from(i128::from(hi) - i128::from(lo)).ok()?;
    if shift >= 64 || range >> (64 - shift) != 0 {
        return None;
    }
    let mut v: Vec<u64> = Vec::with_capacity(idx.len());
    for &r in idx {
        let k = key(r)?;
        let d = u64::try_from(i128::from(hi) - i128::from(k)).ok()?;
        v.push((d << shift) | u64::from(r));
    }
    par_sort(&mut v, threads, |a, b| a.cmp(b));
    Some(PackedRows { v, max: hi, shift })
}

/// The tie groups of `sorted` (rows by partition, then argument descending; with `fast`, the
/// keys are the arguments rescaled to that scale, else they are unused and the arguments are
/// compared): one `Pending` per group in `pending`, and per row its group in `group_of`.
fn tie_groups<S: SortedRows + ?Sized>(
    args: Args<'_>,
    fast: Option<u32>,
    sorted: &S,
    pending: &mut Vec<Pending>,
    group_of: &mut [u32],
) {
    let value_at = |k: usize| args.get(sorted.at(k).2 as usize);
    let same = |i: usize, j: usize| -> bool {
        match fast {
            Some(_) => sorted.at(i).1 == sorted.at(j).1,
            None => compare(&value_at(i), &value_at(j)) == Some(Ordering::Equal),
        }
    };
    let n = sorted.len();
    let mut s = 0usize;
    while s < n {
        let p = sorted.at(s).0;
        let mut e = s;
        while e < n && sorted.at(e).0 == p {
            e += 1;
        }
        let mut cum: Option<Decimal> = Some(Decimal::ZERO);
        let mut cum_i: Option<i128> = Some(0);
        let mut i = s;
        while i < e {
            let mut j = i;
            while j < e && (j == i || same(i, j)) {
                match fast {
                    Some(_) => cum_i = cum_i.and_then(|c| c.checked_add(sorted.at(j).1)),
                    None => {
                        if let Value::Num(d) = value_at(j).as_ref() {
                            cum = cum.and_then(|c| c.checked_add(*d));
                        }
                    }
                }
                j += 1;
            }
            if let Some(sc) = fast {
                cum = cum_i.and_then(|c| Decimal::from_parts(c, sc));
                if cum.is_none() {
                    // too large for the fast path: sum the decimals
                    cum = (s..j).try_fold(Decimal::ZERO, |acc, t| match value_at(t).as_ref() {
                        Value::Num(d) => acc.checked_add(*d),
                        _ => Some(acc),
                    });
                }
            }
            pending.push(Pending {
                rank: u32::try_from(i - s + 1).unwrap_or(u32::MAX),
                at_or_above: u32::try_from(j - s).unwrap_or(u32::MAX),
                part: p,
                cum,
            });
            let g = (pending.len() - 1) as u32;
            for t in i..j {
                if let Some(slot) = group_of.get_mut(sorted.at(t).2 as usize) {
                    *slot = g;
                }
            }
            i = j;
        }
        s = e;
    }
}

/// The largest scale of the present values, when all of them are numbers that fit the fast
/// path rescaled to it (see [`scaled`]); and whether they all fit an i64 so rescaled.
fn common_scale(args: Args<'_>, idx: &[u32]) -> Option<(u32, bool)> {
    if let Args::Nums { s, .. } = args {
        // numbers of one scale need no rescaling: they fit as they are
        let mut present = idx.iter().map(|&r| s.get(r as usize).copied());
        if let Some(Some(first)) = present.next() {
            if first != NO_SCALE && present.all(|x| x == Some(first)) {
                return Some((u32::from(first), true));
            }
        }
    }
    let mut scale = 0u32;
    for &r in idx {
        scale = scale.max(args.parts(r as usize)?.1);
    }
    let mut small = true;
    for &r in idx {
        let k = scaled(args.parts(r as usize), scale)?;
        small &= i64::try_from(k).is_ok();
    }
    Some((scale, small))
}

/// A number (mantissa, scale) rescaled to `scale` as an i128 below 2^96 (a margin so that
/// running sums of up to 2^32 values cannot overflow), when it is one.
fn scaled(v: Option<(i128, u32)>, scale: u32) -> Option<i128> {
    let (m, s) = v?;
    let k = m.checked_mul(10i128.checked_pow(scale.checked_sub(s)?)?)?;
    (k.unsigned_abs() < 1u128 << 96).then_some(k)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn nums(xs: &[&str]) -> Vec<Value> {
        xs.iter()
            .map(|x| {
                if x.is_empty() {
                    Value::Missing
                } else {
                    Value::Num(Decimal::from_str(x).unwrap())
                }
            })
            .collect()
    }
    fn show(col: &[Value]) -> Vec<String> {
        col.iter()
            .map(|v| match v {
                Value::Num(d) => crate::value::format_decimal(*d),
                Value::Missing => "-".into(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn ties_share_rank_top_share_and_cumulative_share() {
        let args = nums(&["50", "30", "30", "10", "", "0"]);
        let out = compute(
            &[
                PopFunc::Rank,
                PopFunc::TopShare,
                PopFunc::CumulativeShare,
                PopFunc::Count,
            ],
            &args,
            None,
        );
        assert_eq!(show(&out[0]), ["1", "2", "2", "4", "-", "5"]);
        // 5 customers with a present value
        assert_eq!(show(&out[1]), ["0.2", "0.6", "0.6", "0.8", "-", "1"]);
        assert_eq!(
            show(&out[2]),
            // quotients carry 16 places
            [
                "0.4166666666666667",
                "0.9166666666666667",
                "0.9166666666666667",
                "1",
                "-",
                "1"
            ]
        );
        assert_eq!(show(&out[3]), ["6", "6", "6", "6", "6", "6"]);
    }

    #[test]
    fn aggregates_ignore_missing_and_partition_by_value() {
        let args = nums(&["10", "20", "", "5", "7"]);
        let parts = vec![
            Value::Text("n".into()),
            Value::Text("n".into()),
            Value::Text("n".into()),
            Value::Missing,
            Value::Text("s".into()),
        ];
        let out = compute(
            &[
                PopFunc::Total,
                PopFunc::Mean,
                PopFunc::MinOf,
                PopFunc::MaxOf,
                PopFunc::Count,
                PopFunc::Rank,
            ],
            &args,
            Some(&parts),
        );
        assert_eq!(show(&out[0]), ["30", "30", "-", "5", "7"]);
        assert_eq!(show(&out[1]), ["15", "15", "-", "5", "7"]);
        assert_eq!(show(&out[2]), ["10", "10", "-", "5", "7"]);
        assert_eq!(show(&out[3]), ["20", "20", "-", "5", "7"]);
        assert_eq!(show(&out[4]), ["3", "3", "3", "1", "1"]);
        assert_eq!(show(&out[5]), ["2", "1", "-", "1", "1"]);
    }

    #[test]
    fn zero_total_gives_missing_share() {
        let args = nums(&["0", "0"]);
        let out = compute(&[PopFunc::CumulativeShare, PopFunc::TopShare], &args, None);
        assert_eq!(show(&out[0]), ["-", "-"]);
        assert_eq!(show(&out[1]), ["1", "1"]);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod sort_tests {
    use super::*;

    #[test]
    fn parallel_sort_equals_sort() {
        let mut x: u64 = 7;
        let mut v: Vec<(u32, i128, u32)> = (0..250_000u32)
            .map(|r| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 62) as u32, ((x >> 20) % 1000) as i128, r)
            })
            .collect();
        let mut w = v.clone();
        let cmp = |a: &(u32, i128, u32), b: &(u32, i128, u32)| {
            a.0.cmp(&b.0)
                .then_with(|| b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
        };
        par_sort(&mut v, 2, cmp);
        w.sort_unstable_by(cmp);
        assert!(v == w);
    }

    #[test]
    fn large_population_matches_a_direct_count() {
        // 150,000 customers (the parallel paths), values with many ties
        let args: Vec<Value> = (0..150_000u64)
            .map(|i| Value::Num(Decimal::from((i * 7919) % 1000)))
            .collect();
        let out = compute(&[PopFunc::Rank, PopFunc::TopShare], &args, None);
        for r in [0usize, 1, 999, 149_999] {
            let Value::Num(x) = args[r] else {
                unreachable!()
            };
            let larger = args
                .iter()
                .filter(|v| matches!(v, Value::Num(y) if *y > x))
                .count();
            let at_least = args
                .iter()
                .filter(|v| matches!(v, Value::Num(y) if *y >= x))
                .count();
            assert_eq!(out[0][r], Value::Num(Decimal::from(larger + 1)));
            assert_eq!(
                out[1][r],
                Value::Num(div(Decimal::from(at_least), Decimal::from(150_000)).unwrap())
            );
        }
    }
}

/// The mean of `n` values summing to `sum`, as `mean` and `avg` compute it (the quotient of
/// exact decimals); `None` for no values.
pub(crate) fn mean_of(sum: Decimal, n: u64) -> Option<Decimal> {
    div(sum, Decimal::from(n))
}
