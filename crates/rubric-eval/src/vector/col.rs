//! A block's columns: typed arrays of numbers (mantissa and scale), dates, codes and truth
//! bytes, with the decimal arithmetic and comparisons the kernels use, and the rows that
//! overflowed.

use crate::eval;
use crate::rules;
use crate::value::csv_cell;
use crate::value::{write_parts, write_parts_bytes, Value, ValueFormat};
use rubric_check::hir::CmpOp;
use rubric_syntax::date::Date;
use rubric_syntax::decimal::{MAX_SCALE, POW10};
use rubric_syntax::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

/// The scale of a missing number in a [`Col::Num`].
pub(crate) const NO_SCALE: u8 = u8::MAX;
/// A missing date in a [`Col::Date`] (no date of years 1–9999 is that far out).
pub(crate) const NO_DATE: i32 = i32::MIN;
/// A missing code in a [`Col::Code`].
pub(super) const NO_CODE: u16 = u16::MAX;
/// No item overflowed on this row.
pub(crate) const NO_ITEM: u32 = u32::MAX;
pub(super) const MISSING: Value = Value::Missing;

/// One value per row, typed where the values allow it.
#[derive(Clone, Debug)]
pub(crate) enum Col {
    /// The same value on every row.
    Const(Value),
    /// Numbers: a decimal's mantissa and scale; scale [`NO_SCALE`] is missing.
    Num { m: Vec<i128>, s: Vec<u8> },
    /// 0 false, 1 true, 2 missing.
    Bool(Vec<u8>),
    /// Days since 1970-01-01; [`NO_DATE`] is missing.
    Date(Vec<i32>),
    /// A grade's code index; [`NO_CODE`] is missing.
    Code(Vec<u16>),
    /// Anything else (texts, durations, tags, values of mixed kinds).
    Any(Vec<Value>),
}

/// A decimal from a mantissa and scale (`None`: not a decimal, such as a missing number).
#[inline]
pub(crate) fn dec(m: i128, s: u8) -> Option<Decimal> {
    Decimal::from_parts(m, u32::from(s))
}

#[inline]
pub(super) fn parts(d: Decimal) -> (i128, u8) {
    (d.mantissa(), d.scale() as u8)
}

/// `10^n` for `n` up to 38; 0 beyond, which callers never ask for (scales are at most 38).
#[inline]
pub(super) fn pow10(n: u32) -> i128 {
    POW10.get(n as usize).map_or(0, |&p| p as i128)
}

/// A constant number as seen from each scale a column's number can have: comparing a
/// mantissa of scale `s` with `Exact(q)` compares it with `q`; `Above(q)` means the constant
/// lies strictly between `q` and `q + 1` at that scale.
#[derive(Clone, Copy)]
pub(super) enum Threshold {
    Exact(i128),
    Above(i128),
    /// Does not fit: compare the slow way.
    Slow,
}

/// [`Threshold`]s of the number `k` for scales 0 to 38.
pub(super) fn thresholds(k: (i128, u8)) -> [Threshold; MAX_SCALE as usize + 1] {
    let mut t = [Threshold::Slow; MAX_SCALE as usize + 1];
    for (s, slot) in t.iter_mut().enumerate() {
        let s = s as u8;
        *slot = if s >= k.1 {
            match k.0.checked_mul(pow10(u32::from(s - k.1))) {
                Some(q) => Threshold::Exact(q),
                None => Threshold::Slow,
            }
        } else {
            let p = pow10(u32::from(k.1 - s));
            let (q, rem) = (k.0.div_euclid(p), k.0.rem_euclid(p));
            if rem == 0 {
                Threshold::Exact(q)
            } else {
                Threshold::Above(q)
            }
        };
    }
    t
}

impl Threshold {
    /// Orders the number (`m`, `s`) against the constant.
    #[inline]
    pub(super) fn order(self, m: i128, s: u8, k: (i128, u8)) -> Ordering {
        match self {
            Threshold::Exact(q) => m.cmp(&q),
            Threshold::Above(q) => {
                if m <= q {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            Threshold::Slow => num_cmp((m, s), k),
        }
    }
}

/// `x + y`, as [`Decimal::checked_add`] gives it.
#[inline]
pub(super) fn add(x: (i128, u8), y: (i128, u8)) -> Option<(i128, u8)> {
    dec(x.0, x.1)?.checked_add(dec(y.0, y.1)?).map(parts)
}

/// `x * y`, as [`Decimal::checked_mul`] gives it.
#[inline]
pub(super) fn mul(x: (i128, u8), y: (i128, u8)) -> Option<(i128, u8)> {
    dec(x.0, x.1)?.checked_mul(dec(y.0, y.1)?).map(parts)
}

/// A score over (mantissa, scale) pairs, with the arithmetic above.
impl rules::Number for (i128, u8) {
    const ZERO: (i128, u8) = (0, 0);
    #[inline]
    fn mul(self, other: (i128, u8)) -> Option<(i128, u8)> {
        mul(self, other)
    }
    #[inline]
    fn add(self, other: (i128, u8)) -> Option<(i128, u8)> {
        add(self, other)
    }
}

/// Orders two numbers by value.
#[inline]
pub(super) fn num_cmp(x: (i128, u8), y: (i128, u8)) -> Ordering {
    match (dec(x.0, x.1), dec(y.0, y.1)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    }
}

/// A comparison's truth from an ordering, as a [`Col::Bool`] byte.
#[inline]
pub(super) fn holds(op: CmpOp, o: Ordering) -> u8 {
    u8::from(eval::holds(op, o))
}

#[inline]
pub(super) fn byte_of(b: Option<bool>) -> u8 {
    match b {
        Some(b) => u8::from(b),
        None => 2,
    }
}

#[inline]
pub(super) fn bool_of(b: u8) -> Option<bool> {
    match b {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// Numbers by row: a column or one value for all rows (`None`: missing).
pub(super) enum Nums<'a> {
    Col(&'a [i128], &'a [u8]),
    One(Option<(i128, u8)>),
}

impl Nums<'_> {
    #[inline]
    pub(super) fn get(&self, r: usize) -> Option<(i128, u8)> {
        match self {
            Nums::Col(m, s) => match (m.get(r), s.get(r)) {
                (Some(&m), Some(&s)) if s != NO_SCALE => Some((m, s)),
                _ => None,
            },
            Nums::One(v) => *v,
        }
    }
}

/// Small values (dates, codes) by row, `none` standing for missing.
pub(super) enum Smalls<'a, T> {
    Col(&'a [T]),
    One(T),
}

impl<T: Copy> Smalls<'_, T> {
    #[inline]
    pub(super) fn get(&self, r: usize) -> T {
        match self {
            Smalls::Col(v) => v[r],
            Smalls::One(v) => *v,
        }
    }
}

/// `x op y` row by row over dates or codes, `none` standing for missing.
pub(super) fn compare_smalls<T: Copy + Ord>(
    op: CmpOp,
    n: usize,
    x: &Smalls<'_, T>,
    y: &Smalls<'_, T>,
    none: T,
) -> Vec<u8> {
    (0..n)
        .map(|r| {
            let (p, q) = (x.get(r), y.get(r));
            if p == none || q == none {
                2
            } else {
                holds(op, p.cmp(&q))
            }
        })
        .collect()
}

impl Col {
    /// The value of row `r`.
    pub fn value(&self, r: usize) -> Value {
        match self {
            Col::Const(v) => v.clone(),
            Col::Num { m, s } => match (m.get(r), s.get(r)) {
                (Some(&m), Some(&s)) => dec(m, s).map_or(MISSING, Value::Num),
                _ => MISSING,
            },
            Col::Bool(b) => match b.get(r).copied().and_then(bool_of) {
                Some(b) => Value::Bool(b),
                None => MISSING,
            },
            Col::Date(d) => match d.get(r) {
                Some(&d) if d != NO_DATE => Value::Date(Date(d)),
                _ => MISSING,
            },
            Col::Code(c) => match c.get(r) {
                Some(&c) if c != NO_CODE => Value::Code(c),
                _ => MISSING,
            },
            Col::Any(v) => v[r].clone(),
        }
    }

    /// Prints row `r` as `fmt` does; false (nothing written) when it is missing.
    pub fn write(&self, r: usize, fmt: &ValueFormat, out: &mut String) -> bool {
        match self {
            Col::Num { m, s } => match (m.get(r), s.get(r)) {
                (Some(&m), Some(&s)) if s != NO_SCALE => {
                    write_parts(m, u32::from(s), out);
                    true
                }
                _ => false,
            },
            Col::Code(c) => match c.get(r) {
                Some(&c) if c != NO_CODE => {
                    fmt.write_code(c, out);
                    true
                }
                _ => false,
            },
            _ => {
                let v = self.value(r);
                if v.is_missing() {
                    return false;
                }
                fmt.write(&v, out);
                true
            }
        }
    }

    /// Prints row `r` as a CSV cell, as [`Col::write`] does; `codes` are the code names of a
    /// grade column, each already a CSV cell.
    pub fn write_csv(
        &self,
        r: usize,
        fmt: &ValueFormat,
        codes: &[Vec<u8>],
        out: &mut Vec<u8>,
        scratch: &mut String,
    ) {
        match self {
            Col::Num { m, s } => {
                if let (Some(&m), Some(&s)) = (m.get(r), s.get(r)) {
                    if s != NO_SCALE {
                        write_parts_bytes(m, u32::from(s), out);
                    }
                }
            }
            Col::Code(c) => {
                if let Some(name) = c.get(r).and_then(|&c| codes.get(usize::from(c))) {
                    out.extend_from_slice(name);
                }
            }
            _ => {
                scratch.clear();
                if self.write(r, fmt, scratch) {
                    csv_cell(out, scratch.as_bytes(), false);
                }
            }
        }
    }

    /// The code of row `r`, or the bits of a tags value (`u64::MAX`: missing).
    pub fn code_bits(&self, r: usize) -> u64 {
        match self {
            Col::Code(c) => match c.get(r) {
                Some(&c) if c != NO_CODE => u64::from(c),
                _ => u64::MAX,
            },
            _ => match self.value(r) {
                Value::Code(c) => u64::from(c),
                Value::Tags(b) => b,
                _ => u64::MAX,
            },
        }
    }

    /// The number of row `r`, when it is one.
    #[inline]
    pub fn num(&self, r: usize) -> Option<(i128, u8)> {
        match self {
            Col::Num { m, s } => Nums::Col(m, s).get(r),
            Col::Const(Value::Num(d)) => Some(parts(*d)),
            Col::Any(v) => match v.get(r) {
                Some(Value::Num(d)) => Some(parts(*d)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The truth of row `r` as a condition (missing or not a bool: 2).
    #[inline]
    pub(super) fn truth(&self, r: usize) -> u8 {
        match self {
            Col::Bool(b) => b[r],
            Col::Const(v) => byte_of(eval::truth(v)),
            Col::Any(v) => byte_of(v.get(r).and_then(eval::truth)),
            _ => 2,
        }
    }

    /// Every row's truth as a condition (0 false, 1 true, 2 missing), for `n` rows.
    pub(super) fn truths(&self, n: usize) -> Cow<'_, [u8]> {
        match self {
            Col::Bool(b) => Cow::Borrowed(b),
            Col::Const(v) => Cow::Owned(vec![byte_of(eval::truth(v)); n]),
            _ => Cow::Owned((0..n).map(|r| self.truth(r)).collect()),
        }
    }

    pub(super) fn is_missing(&self, r: usize) -> bool {
        match self {
            Col::Const(v) => v.is_missing(),
            Col::Num { s, .. } => s.get(r).is_none_or(|&s| s == NO_SCALE),
            Col::Bool(b) => b.get(r).is_none_or(|&b| b > 1),
            Col::Date(d) => d.get(r).is_none_or(|&d| d == NO_DATE),
            Col::Code(c) => c.get(r).is_none_or(|&c| c == NO_CODE),
            Col::Any(v) => v.get(r).is_none_or(Value::is_missing),
        }
    }

    pub(super) fn nums(&self) -> Option<Nums<'_>> {
        match self {
            Col::Num { m, s } => Some(Nums::Col(m, s)),
            Col::Const(Value::Num(d)) => Some(Nums::One(Some(parts(*d)))),
            Col::Const(Value::Missing) => Some(Nums::One(None)),
            _ => None,
        }
    }

    pub(super) fn dates(&self) -> Option<Smalls<'_, i32>> {
        match self {
            Col::Date(d) => Some(Smalls::Col(d)),
            Col::Const(Value::Date(d)) => Some(Smalls::One(d.0)),
            Col::Const(Value::Missing) => Some(Smalls::One(NO_DATE)),
            _ => None,
        }
    }

    pub(super) fn codes(&self) -> Option<Smalls<'_, u16>> {
        match self {
            Col::Code(c) => Some(Smalls::Col(c)),
            Col::Const(Value::Code(c)) => Some(Smalls::One(*c)),
            Col::Const(Value::Missing) => Some(Smalls::One(NO_CODE)),
            _ => None,
        }
    }

    /// The most specific column that holds `values`.
    pub fn from_values(values: Vec<Value>) -> Col {
        let kind = values.iter().find(|v| !v.is_missing());
        let same = |f: fn(&Value) -> bool| values.iter().all(|v| v.is_missing() || f(v));
        match kind {
            Some(Value::Num(_)) if same(|v| matches!(v, Value::Num(_))) => {
                let mut m = Vec::with_capacity(values.len());
                let mut s = Vec::with_capacity(values.len());
                for v in &values {
                    let (a, b) = match v {
                        Value::Num(d) => parts(*d),
                        _ => (0, NO_SCALE),
                    };
                    m.push(a);
                    s.push(b);
                }
                Col::Num { m, s }
            }
            Some(Value::Bool(_)) if same(|v| matches!(v, Value::Bool(_))) => {
                Col::Bool(values.iter().map(|v| byte_of(eval::truth(v))).collect())
            }
            Some(Value::Date(_)) if same(|v| matches!(v, Value::Date(_))) => Col::Date(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Date(d) => d.0,
                        _ => NO_DATE,
                    })
                    .collect(),
            ),
            Some(Value::Code(_)) if same(|v| matches!(v, Value::Code(_))) => Col::Code(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Code(c) => *c,
                        _ => NO_CODE,
                    })
                    .collect(),
            ),
            _ => Col::Any(values),
        }
    }

    /// Rows `idx` of this column, in that order (`u32::MAX`: missing).
    pub fn gather(&self, idx: impl Iterator<Item = u32>) -> Col {
        let at = |i: u32| (i != u32::MAX).then_some(i as usize);
        match self {
            Col::Const(v) => Col::Const(v.clone()),
            Col::Num { m, s } => {
                let n = idx.size_hint().0;
                let (mut om, mut os) = (Vec::with_capacity(n), Vec::with_capacity(n));
                for i in idx {
                    match at(i).and_then(|i| Some((*m.get(i)?, *s.get(i)?))) {
                        Some((a, b)) => {
                            om.push(a);
                            os.push(b);
                        }
                        None => {
                            om.push(0);
                            os.push(NO_SCALE);
                        }
                    }
                }
                Col::Num { m: om, s: os }
            }
            Col::Bool(b) => Col::Bool(idx.map(|i| at(i).map_or(2, |i| b[i])).collect()),
            Col::Date(d) => Col::Date(idx.map(|i| at(i).map_or(NO_DATE, |i| d[i])).collect()),
            Col::Code(c) => Col::Code(idx.map(|i| at(i).map_or(NO_CODE, |i| c[i])).collect()),
            Col::Any(v) => Col::Any(
                idx.map(|i| at(i).map_or(MISSING, |i| v[i].clone()))
                    .collect(),
            ),
        }
    }
}

/// A column and the rows whose evaluation overflowed.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    pub col: Col,
    /// Per row, whether evaluating it overflowed (`None`: no row did).
    pub bad: Option<Vec<bool>>,
}

impl Column {
    pub fn ok(col: Col) -> Column {
        Column { col, bad: None }
    }

    #[inline]
    pub fn is_bad(&self, r: usize) -> bool {
        self.bad.as_ref().is_some_and(|b| b[r])
    }
}

/// Builds a number column row by row: `Some(Some(x))` a number, `Some(None)` missing, `None`
/// an overflow (a bad row).
pub(super) struct NumBuilder {
    pub(super) m: Vec<i128>,
    pub(super) s: Vec<u8>,
    pub(super) bad: Option<Vec<bool>>,
    pub(super) n: usize,
}

impl NumBuilder {
    /// For `n` rows, with the rows already bad (an operand's overflow).
    pub(super) fn new(n: usize, bad: Option<Vec<bool>>) -> NumBuilder {
        NumBuilder {
            m: Vec::with_capacity(n),
            s: Vec::with_capacity(n),
            bad,
            n,
        }
    }

    /// Appends row `r`.
    #[inline]
    pub(super) fn push(&mut self, r: usize, v: Option<Option<(i128, u8)>>) {
        let (m, s) = match v {
            Some(Some(x)) => x,
            Some(None) => (0, NO_SCALE),
            None => {
                mark(&mut self.bad, self.n, r);
                (0, NO_SCALE)
            }
        };
        self.m.push(m);
        self.s.push(s);
    }

    pub(super) fn finish(self) -> Column {
        Column {
            col: Col::Num {
                m: self.m,
                s: self.s,
            },
            bad: self.bad,
        }
    }
}

/// Marks row `r` of `n` bad.
#[inline]
pub(super) fn mark(bad: &mut Option<Vec<bool>>, n: usize, r: usize) {
    if let Some(b) = bad.get_or_insert_with(|| vec![false; n]).get_mut(r) {
        *b = true;
    }
}

/// The rows bad in any of `cols`.
pub(super) fn union(n: usize, cols: &[&Column]) -> Option<Vec<bool>> {
    let mut out: Option<Vec<bool>> = None;
    for c in cols {
        if let Some(b) = &c.bad {
            let o = out.get_or_insert_with(|| vec![false; n]);
            for (o, &b) in o.iter_mut().zip(b) {
                *o |= b;
            }
        }
    }
    out
}
