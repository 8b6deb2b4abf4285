//! Evaluating a scheme over a whole block of rows at once: the final pass of a held run.
//!
//! The row interpreter (`eval`) builds a [`Value`] for every field, item and population value
//! of every row and walks the plan's nodes once per row. Here each node is evaluated once per
//! block into a typed column (numbers as a decimal's mantissa and scale, dates as days, bools
//! and codes as small integers), so the hot comparisons, points and sums are tight loops over
//! arrays. Every node has a column form: the common ones have typed kernels, the others apply
//! the row interpreter's own scalar operation (`eval::arith`, `eval::cmp_op`, `eval::call_values`,
//! ...) row by row, so the two paths share one definition of every operation, and the typed
//! kernels compute the very mantissa and scale the row interpreter's decimals would hold.
//!
//! Overflow: the row interpreter stops a row at the first item that overflows, and it never
//! evaluates what a false `and`, an earlier matching rule or a missing score term makes
//! unnecessary. So a column marks the rows whose evaluation overflowed (`bad`), eager nodes pass
//! their operands' marks on, and the lazy constructs (`and`, `or`, `if`, `??`, rules, score terms
//! and bonuses) look at an operand's mark only on the rows where the row interpreter would have
//! evaluated that operand. What a bad row holds is never read. The result of every row is the
//! row interpreter's, value for value and overflow for overflow (`tests::columns_equal_rows`
//! checks it on every example and on generated rows).

use crate::eval::{self, Overflow};
use crate::ir::{Node, PItem, Plan};
use crate::value::csv_cell;
use crate::value::{write_parts, write_parts_bytes, Value, ValueFormat};
use rubric_check::hir::{ArithOp, Builtin, CmpOp};
use rubric_syntax::date::Date;
use rubric_syntax::decimal::{MAX_SCALE, POW10};
use rubric_syntax::Decimal;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;

/// The scale of a missing number in a [`Col::Num`].
pub(crate) const NO_SCALE: u8 = u8::MAX;
/// A missing date in a [`Col::Date`] (no date of years 1–9999 is that far out).
pub(crate) const NO_DATE: i32 = i32::MIN;
/// A missing code in a [`Col::Code`].
const NO_CODE: u16 = u16::MAX;
/// No item overflowed on this row.
pub(crate) const NO_ITEM: u32 = u32::MAX;
const MISSING: Value = Value::Missing;

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
fn parts(d: Decimal) -> (i128, u8) {
    (d.mantissa(), d.scale() as u8)
}

/// `10^n` for `n` up to 38; 0 beyond, which callers never ask for (scales are at most 38).
#[inline]
fn pow10(n: u32) -> i128 {
    POW10.get(n as usize).map_or(0, |&p| p as i128)
}

/// A constant number as seen from each scale a column's number can have: comparing a
/// mantissa of scale `s` with `Exact(q)` compares it with `q`; `Above(q)` means the constant
/// lies strictly between `q` and `q + 1` at that scale.
#[derive(Clone, Copy)]
enum Threshold {
    Exact(i128),
    Above(i128),
    /// Does not fit: compare the slow way.
    Slow,
}

/// [`Threshold`]s of the number `k` for scales 0 to 38.
fn thresholds(k: (i128, u8)) -> [Threshold; MAX_SCALE as usize + 1] {
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
    fn order(self, m: i128, s: u8, k: (i128, u8)) -> Ordering {
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
fn add(x: (i128, u8), y: (i128, u8)) -> Option<(i128, u8)> {
    dec(x.0, x.1)?.checked_add(dec(y.0, y.1)?).map(parts)
}

/// `x * y`, as [`Decimal::checked_mul`] gives it.
#[inline]
fn mul(x: (i128, u8), y: (i128, u8)) -> Option<(i128, u8)> {
    dec(x.0, x.1)?.checked_mul(dec(y.0, y.1)?).map(parts)
}

/// Orders two numbers by value.
#[inline]
fn num_cmp(x: (i128, u8), y: (i128, u8)) -> Ordering {
    match (dec(x.0, x.1), dec(y.0, y.1)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    }
}

/// A comparison's truth from an ordering, as a [`Col::Bool`] byte.
#[inline]
fn holds(op: CmpOp, o: Ordering) -> u8 {
    u8::from(eval::holds(op, o))
}

#[inline]
fn byte_of(b: Option<bool>) -> u8 {
    match b {
        Some(b) => u8::from(b),
        None => 2,
    }
}

#[inline]
fn bool_of(b: u8) -> Option<bool> {
    match b {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// Numbers by row: a column or one value for all rows (`None`: missing).
enum Nums<'a> {
    Col(&'a [i128], &'a [u8]),
    One(Option<(i128, u8)>),
}

impl Nums<'_> {
    #[inline]
    fn get(&self, r: usize) -> Option<(i128, u8)> {
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
enum Smalls<'a, T> {
    Col(&'a [T]),
    One(T),
}

impl<T: Copy> Smalls<'_, T> {
    #[inline]
    fn get(&self, r: usize, none: T) -> T {
        match self {
            Smalls::Col(v) => v.get(r).copied().unwrap_or(none),
            Smalls::One(v) => *v,
        }
    }
}

/// `x op y` row by row over dates or codes, `none` standing for missing.
fn compare_smalls<T: Copy + Ord>(
    op: CmpOp,
    n: usize,
    x: &Smalls<'_, T>,
    y: &Smalls<'_, T>,
    none: T,
) -> Vec<u8> {
    (0..n)
        .map(|r| {
            let (p, q) = (x.get(r, none), y.get(r, none));
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
            Col::Any(v) => v.get(r).cloned().unwrap_or(MISSING),
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
    fn truth(&self, r: usize) -> u8 {
        match self {
            Col::Bool(b) => b.get(r).copied().unwrap_or(2),
            Col::Const(v) => byte_of(eval::truth(v)),
            Col::Any(v) => byte_of(v.get(r).and_then(eval::truth)),
            _ => 2,
        }
    }

    /// Every row's truth as a condition (0 false, 1 true, 2 missing), for `n` rows.
    fn truths(&self, n: usize) -> Cow<'_, [u8]> {
        match self {
            Col::Bool(b) => Cow::Borrowed(b),
            Col::Const(v) => Cow::Owned(vec![byte_of(eval::truth(v)); n]),
            _ => Cow::Owned((0..n).map(|r| self.truth(r)).collect()),
        }
    }

    fn is_missing(&self, r: usize) -> bool {
        match self {
            Col::Const(v) => v.is_missing(),
            Col::Num { s, .. } => s.get(r).is_none_or(|&s| s == NO_SCALE),
            Col::Bool(b) => b.get(r).is_none_or(|&b| b > 1),
            Col::Date(d) => d.get(r).is_none_or(|&d| d == NO_DATE),
            Col::Code(c) => c.get(r).is_none_or(|&c| c == NO_CODE),
            Col::Any(v) => v.get(r).is_none_or(Value::is_missing),
        }
    }

    fn nums(&self) -> Option<Nums<'_>> {
        match self {
            Col::Num { m, s } => Some(Nums::Col(m, s)),
            Col::Const(Value::Num(d)) => Some(Nums::One(Some(parts(*d)))),
            Col::Const(Value::Missing) => Some(Nums::One(None)),
            _ => None,
        }
    }

    fn dates(&self) -> Option<Smalls<'_, i32>> {
        match self {
            Col::Date(d) => Some(Smalls::Col(d)),
            Col::Const(Value::Date(d)) => Some(Smalls::One(d.0)),
            Col::Const(Value::Missing) => Some(Smalls::One(NO_DATE)),
            _ => None,
        }
    }

    fn codes(&self) -> Option<Smalls<'_, u16>> {
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
            Col::Bool(b) => Col::Bool(
                idx.map(|i| at(i).and_then(|i| b.get(i).copied()).unwrap_or(2))
                    .collect(),
            ),
            Col::Date(d) => Col::Date(
                idx.map(|i| at(i).and_then(|i| d.get(i).copied()).unwrap_or(NO_DATE))
                    .collect(),
            ),
            Col::Code(c) => Col::Code(
                idx.map(|i| at(i).and_then(|i| c.get(i).copied()).unwrap_or(NO_CODE))
                    .collect(),
            ),
            Col::Any(v) => Col::Any(
                idx.map(|i| at(i).and_then(|i| v.get(i).cloned()).unwrap_or(MISSING))
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
        self.bad
            .as_ref()
            .is_some_and(|b| b.get(r).copied().unwrap_or(false))
    }
}

/// Builds a number column row by row: `Some(Some(x))` a number, `Some(None)` missing, `None`
/// an overflow (a bad row).
struct NumBuilder {
    m: Vec<i128>,
    s: Vec<u8>,
    bad: Option<Vec<bool>>,
    n: usize,
}

impl NumBuilder {
    /// For `n` rows, with the rows already bad (an operand's overflow).
    fn new(n: usize, bad: Option<Vec<bool>>) -> NumBuilder {
        NumBuilder {
            m: Vec::with_capacity(n),
            s: Vec::with_capacity(n),
            bad,
            n,
        }
    }

    /// Appends row `r`.
    #[inline]
    fn push(&mut self, r: usize, v: Option<Option<(i128, u8)>>) {
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

    fn finish(self) -> Column {
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
fn mark(bad: &mut Option<Vec<bool>>, n: usize, r: usize) {
    if let Some(b) = bad.get_or_insert_with(|| vec![false; n]).get_mut(r) {
        *b = true;
    }
}

/// The rows bad in any of `cols`.
fn union(n: usize, cols: &[&Column]) -> Option<Vec<bool>> {
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

/// Where a block's input comes from.
pub(crate) trait Source {
    /// The number of rows.
    fn rows(&self) -> usize;
    /// Field `f` of every row.
    fn field(&self, f: usize) -> Col;
    /// Population slot `slot` of every row.
    fn pop(&self, slot: usize) -> Col;
}

/// Every item of every row of one block.
pub(crate) struct Frame<'a> {
    plan: &'a Plan,
    src: &'a dyn Source,
    n: usize,
    fields: Vec<OnceCell<Column>>,
    pops: Vec<OnceCell<Column>>,
    items: Vec<Option<Column>>,
    /// Per row, the first item (in evaluation order) that overflowed, or [`NO_ITEM`].
    first_bad: Vec<u32>,
}

impl<'a> Frame<'a> {
    /// Evaluates every item of the plan over the rows of `src`.
    pub fn evaluate(plan: &'a Plan, src: &'a dyn Source) -> Frame<'a> {
        Frame::evaluate_items(plan, src, &plan.order)
    }

    /// Evaluates the items `list` (in dependency order) over the rows of `src`; other items
    /// are missing.
    pub fn evaluate_items(plan: &'a Plan, src: &'a dyn Source, list: &[usize]) -> Frame<'a> {
        let n = src.rows();
        let mut f = Frame {
            plan,
            src,
            n,
            fields: (0..plan.nfields).map(|_| OnceCell::new()).collect(),
            pops: (0..plan.slots.len()).map(|_| OnceCell::new()).collect(),
            items: vec![None; plan.items.len()],
            first_bad: vec![NO_ITEM; n],
        };
        for &i in list {
            let col = f.item(i);
            if let Some(bad) = &col.bad {
                for (first, &b) in f.first_bad.iter_mut().zip(bad) {
                    if b && *first == NO_ITEM {
                        *first = i as u32;
                    }
                }
            }
            if let Some(slot) = f.items.get_mut(i) {
                *slot = Some(col);
            }
        }
        f
    }

    /// The first item that overflowed on row `r`.
    pub fn overflow(&self, r: usize) -> Option<usize> {
        self.first_bad
            .get(r)
            .copied()
            .filter(|&i| i != NO_ITEM)
            .map(|i| i as usize)
    }

    /// A node over every row (a population function's argument).
    pub fn column(&self, node: &Node) -> Cow<'_, Column> {
        self.eval(node, None)
    }

    /// Item `i`'s column.
    pub fn item_col(&self, i: usize) -> Option<&Col> {
        self.items.get(i)?.as_ref().map(|c| &c.col)
    }

    /// Field `f`'s column.
    pub fn field_col(&self, f: usize) -> &Col {
        &self.field_column(f).col
    }

    fn field_column(&self, f: usize) -> &Column {
        match self.fields.get(f) {
            Some(cell) => cell.get_or_init(|| Column::ok(self.src.field(f))),
            None => &CONST_MISSING,
        }
    }

    fn pop_column(&self, p: usize) -> &Column {
        match self.pops.get(p) {
            Some(cell) => cell.get_or_init(|| Column::ok(self.src.pop(p))),
            None => &CONST_MISSING,
        }
    }

    /// Row by row: `f` over the operands' values (an operand's overflow is the row's).
    fn map_rows(
        &self,
        kids: &[&Column],
        f: impl Fn(&[Value]) -> Result<Value, Overflow>,
    ) -> Column {
        let n = self.n;
        let mut bad: Option<Vec<bool>> = None;
        let mut vals = Vec::with_capacity(kids.len());
        if kids
            .iter()
            .all(|k| matches!(k.col, Col::Const(_)) && k.bad.is_none())
        {
            vals.extend(kids.iter().map(|k| k.col.value(0)));
            return match f(&vals) {
                Ok(v) => Column::ok(Col::Const(v)),
                Err(Overflow) => Column {
                    col: Col::Const(MISSING),
                    bad: Some(vec![true; n]),
                },
            };
        }
        let mut out = Vec::with_capacity(n);
        for r in 0..n {
            if kids.iter().any(|k| k.is_bad(r)) {
                mark(&mut bad, n, r);
                out.push(MISSING);
                continue;
            }
            vals.clear();
            vals.extend(kids.iter().map(|k| k.col.value(r)));
            match f(&vals) {
                Ok(v) => out.push(v),
                Err(Overflow) => {
                    mark(&mut bad, n, r);
                    out.push(MISSING);
                }
            }
        }
        Column {
            col: Col::from_values(out),
            bad,
        }
    }

    /// One node over every row; `subject` is the subject of the rules being evaluated.
    fn eval<'f>(&'f self, node: &Node, subject: Option<&'f Column>) -> Cow<'f, Column> {
        let n = self.n;
        let ev = |node: &Node| self.eval(node, subject);
        let col = match node {
            Node::Const(v) => Column::ok(Col::Const(v.clone())),
            Node::Field(f) => return Cow::Borrowed(self.field_column(*f)),
            Node::Item(i) => {
                return match self.items.get(*i).and_then(Option::as_ref) {
                    Some(c) => Cow::Borrowed(c),
                    None => Cow::Borrowed(&CONST_MISSING),
                }
            }
            Node::Pop(p) => return Cow::Borrowed(self.pop_column(*p)),
            Node::Subject => return Cow::Borrowed(subject.unwrap_or(&CONST_MISSING)),
            Node::Neg(a) => {
                let a = ev(a);
                match &a.col {
                    Col::Num { m, s } => Column {
                        col: Col::Num {
                            m: m.iter().map(|m| -m).collect(),
                            s: s.clone(),
                        },
                        bad: a.bad.clone(),
                    },
                    _ => self.map_rows(&[&a], |v| Ok(eval::neg(&v[0]))),
                }
            }
            Node::Not(a) => {
                let a = ev(a);
                let col = (0..n)
                    .map(|r| byte_of(bool_of(a.col.truth(r)).map(|b| !b)))
                    .collect();
                Column {
                    col: Col::Bool(col),
                    bad: a.bad.clone(),
                }
            }
            Node::Arith(op, a, b) => self.arith(*op, &ev(a), &ev(b)),
            Node::DateShift(a, b, sign) => {
                self.map_rows(&[&ev(a), &ev(b)], |v| eval::date_shift(&v[0], &v[1], *sign))
            }
            Node::DateDiff(a, b) => {
                self.map_rows(&[&ev(a), &ev(b)], |v| Ok(eval::date_diff(&v[0], &v[1])))
            }
            Node::Cmp(op, a, b) => self.compare(*op, &ev(a), &ev(b)),
            Node::CmpK(op, a, k) => self.compare(*op, &ev(a), &Column::ok(Col::Const(k.clone()))),
            Node::And(a, b) => self.logic(&ev(a), &ev(b), 0),
            Node::Or(a, b) => self.logic(&ev(a), &ev(b), 1),
            Node::InSet {
                value,
                set,
                negated,
            } => self.map_rows(&[&ev(value)], |v| {
                Ok(eval::in_set(&v[0], set.iter(), *negated))
            }),
            Node::InList {
                value,
                list,
                negated,
            } => {
                let mut kids = vec![ev(value)];
                kids.extend(list.iter().map(ev));
                let refs: Vec<&Column> = kids.iter().map(|k| k.as_ref()).collect();
                self.map_rows(&refs, |v| {
                    Ok(eval::in_set(&v[0], v.iter().skip(1), *negated))
                })
            }
            Node::Has(t, bit) => self.map_rows(&[&ev(t)], |v| Ok(eval::has(&v[0], *bit))),
            Node::Between(v, lo, hi) => self.map_rows(&[&ev(v), &ev(lo), &ev(hi)], |v| {
                Ok(eval::between(&v[0], &v[1], &v[2]))
            }),
            Node::WithinRange { date, lo, hi } => {
                let d = ev(date);
                match d.col.dates() {
                    Some(ds) => Column {
                        col: Col::Bool(
                            (0..n)
                                .map(|r| match ds.get(r, NO_DATE) {
                                    NO_DATE => 2,
                                    d => u8::from(d >= lo.0 && d <= hi.0),
                                })
                                .collect(),
                        ),
                        bad: d.bad.clone(),
                    },
                    None => self.map_rows(&[&d], |v| {
                        Ok(match &v[0] {
                            Value::Date(d) => Value::Bool(*d >= *lo && *d <= *hi),
                            _ => MISSING,
                        })
                    }),
                }
            }
            Node::Within { date, duration } => {
                let as_of = self.plan.as_of;
                self.map_rows(&[&ev(date), &ev(duration)], |v| {
                    eval::within(&v[0], &v[1], as_of)
                })
            }
            Node::WithinNext { date, duration } => {
                let as_of = self.plan.as_of;
                self.map_rows(&[&ev(date), &ev(duration)], |v| {
                    eval::within_next(&v[0], &v[1], as_of)
                })
            }
            Node::IsMissing(a, present) => {
                let a = ev(a);
                Column {
                    col: Col::Bool(
                        (0..n)
                            .map(|r| u8::from(a.col.is_missing(r) != *present))
                            .collect(),
                    ),
                    bad: a.bad.clone(),
                }
            }
            Node::Coalesce(a, b) => {
                let (a, b) = (ev(a), ev(b));
                self.choose(&a, |r| !a.col.is_missing(r), &a, &b)
            }
            Node::If(c, a, b) => {
                let (c, a, b) = (ev(c), ev(a), ev(b));
                self.choose(&c, |r| c.col.truth(r) == 1, &a, &b)
            }
            Node::Call(f, args) => self.call(*f, args, subject),
            Node::Attr(g, table) => self.map_rows(&[&ev(g)], |v| Ok(eval::attr(&v[0], table))),
            // no customer lookup in a run: `x["key"]` is missing (after its key is evaluated)
            Node::Index(_, key) => self.map_rows(&[&ev(key)], |_| Ok(MISSING)),
        };
        Cow::Owned(col)
    }

    fn call<'f>(&'f self, f: Builtin, args: &[Node], subject: Option<&'f Column>) -> Column {
        let kids: Vec<Cow<'f, Column>> = args.iter().map(|a| self.eval(a, subject)).collect();
        if let (Builtin::DaysSince, [d]) = (f, kids.as_slice()) {
            if let Some(ds) = d.col.dates() {
                let as_of = i128::from(self.plan.as_of.0);
                let (mut m, mut s) = (Vec::with_capacity(self.n), Vec::with_capacity(self.n));
                for r in 0..self.n {
                    match ds.get(r, NO_DATE) {
                        NO_DATE => {
                            m.push(0);
                            s.push(NO_SCALE);
                        }
                        d => {
                            m.push(as_of - i128::from(d));
                            s.push(0);
                        }
                    }
                }
                return Column {
                    col: Col::Num { m, s },
                    bad: d.bad.clone(),
                };
            }
        }
        let refs: Vec<&Column> = kids.iter().map(|k| k.as_ref()).collect();
        let as_of = self.plan.as_of;
        if eval::takes_many(f) {
            return self.map_rows(&refs, |v| eval::call_many(f, v, as_of));
        }
        self.map_rows(&refs, |v| {
            let a = v.first().cloned().unwrap_or(MISSING);
            let b = v.get(1).cloned().unwrap_or(MISSING);
            eval::call_values(f, a, b, as_of)
        })
    }

    /// `a op b` over numbers.
    fn arith(&self, op: ArithOp, a: &Column, b: &Column) -> Column {
        let (Some(x), Some(y)) = (a.col.nums(), b.col.nums()) else {
            return self.map_rows(&[a, b], |v| eval::arith(op, &v[0], &v[1]));
        };
        let n = self.n;
        let mut out = NumBuilder::new(n, union(n, &[a, b]));
        for r in 0..n {
            let v = match (x.get(r), y.get(r)) {
                (Some(p), Some(q)) => match op {
                    ArithOp::Add => add(p, q).map(Some),
                    ArithOp::Sub => add(p, (-q.0, q.1)).map(Some),
                    ArithOp::Mul => mul(p, q).map(Some),
                    ArithOp::Div => {
                        if q.0 == 0 {
                            Some(None)
                        } else {
                            match (dec(p.0, p.1), dec(q.0, q.1)) {
                                (Some(a), Some(b)) => {
                                    rubric_syntax::decimal::div(a, b).map(|d| Some(parts(d)))
                                }
                                _ => None,
                            }
                        }
                    }
                },
                _ => Some(None),
            };
            out.push(r, v);
        }
        out.finish()
    }

    /// `a op b`, a comparison (with SQL's missing).
    fn compare(&self, op: CmpOp, a: &Column, b: &Column) -> Column {
        let n = self.n;
        let typed: Option<Vec<u8>> = if let (Col::Num { m, s }, Col::Const(Value::Num(k))) =
            (&a.col, &b.col)
        {
            let k = parts(*k);
            let t = thresholds(k);
            // the truth for less, equal and greater
            let truth = [Ordering::Less, Ordering::Equal, Ordering::Greater].map(|o| holds(op, o));
            let at = |o: Ordering| truth[(o as i8 + 1) as usize];
            // the usual column: one scale (or missing) on every row, a threshold that fits
            let first = s.iter().copied().find(|&x| x != NO_SCALE);
            let one = first.filter(|&f| s.iter().all(|&x| x == f || x == NO_SCALE));
            match one.and_then(|f| t.get(usize::from(f))) {
                Some(&Threshold::Exact(q)) => Some(
                    m.iter()
                        .zip(s)
                        .map(|(&m, &s)| if s == NO_SCALE { 2 } else { at(m.cmp(&q)) })
                        .collect(),
                ),
                Some(&Threshold::Above(q)) => Some(
                    m.iter()
                        .zip(s)
                        .map(|(&m, &s)| match (s == NO_SCALE, m <= q) {
                            (true, _) => 2,
                            (false, true) => at(Ordering::Less),
                            (false, false) => at(Ordering::Greater),
                        })
                        .collect(),
                ),
                _ => Some(
                    m.iter()
                        .zip(s)
                        .map(|(&m, &s)| match t.get(usize::from(s)) {
                            Some(th) => holds(op, th.order(m, s, k)),
                            None => 2,
                        })
                        .collect(),
                ),
            }
        } else if let (Some(x), Some(y)) = (a.col.nums(), b.col.nums()) {
            Some(
                (0..n)
                    .map(|r| match (x.get(r), y.get(r)) {
                        (Some(p), Some(q)) => holds(op, num_cmp(p, q)),
                        _ => 2,
                    })
                    .collect(),
            )
        } else if let (Some(x), Some(y)) = (a.col.dates(), b.col.dates()) {
            Some(compare_smalls(op, n, &x, &y, NO_DATE))
        } else if let (Some(x), Some(y)) = (a.col.codes(), b.col.codes()) {
            Some(compare_smalls(op, n, &x, &y, NO_CODE))
        } else {
            None
        };
        match typed {
            Some(col) => Column {
                col: Col::Bool(col),
                bad: union(n, &[a, b]),
            },
            None => self.map_rows(&[a, b], |v| Ok(eval::cmp_op(op, &v[0], &v[1]))),
        }
    }

    /// Kleene's `and` (`stop` 0) or `or` (`stop` 1): `b` is not looked at where `a` is `stop`.
    fn logic(&self, a: &Column, b: &Column, stop: u8) -> Column {
        let n = self.n;
        let (x, y) = (a.col.truths(n), b.col.truths(n));
        let col: Vec<u8> = x
            .iter()
            .zip(y.iter())
            .map(|(&x, &y)| {
                if x == stop || y == stop {
                    stop
                } else if x == 2 || y == 2 {
                    2
                } else {
                    1 - stop
                }
            })
            .collect();
        if a.bad.is_none() && b.bad.is_none() {
            return Column {
                col: Col::Bool(col),
                bad: None,
            };
        }
        // a row is bad where `a` is, or where `b` is and `a` did not decide it
        let mut bad = None;
        for (r, &x) in x.iter().enumerate() {
            if a.is_bad(r) || (x != stop && b.is_bad(r)) {
                mark(&mut bad, n, r);
            }
        }
        Column {
            col: Col::Bool(col),
            bad,
        }
    }

    /// Per row, `a` where `first(r)` holds and `b` elsewhere, after `test`'s own overflow.
    fn choose(
        &self,
        test: &Column,
        first: impl Fn(usize) -> bool,
        a: &Column,
        b: &Column,
    ) -> Column {
        let n = self.n;
        let mut bad = None;
        let mut out = Vec::with_capacity(n);
        for r in 0..n {
            let pick = if test.is_bad(r) {
                None
            } else if first(r) {
                Some(a)
            } else {
                Some(b)
            };
            match pick {
                Some(c) if !c.is_bad(r) => out.push(c.col.value(r)),
                _ => {
                    mark(&mut bad, n, r);
                    out.push(MISSING);
                }
            }
        }
        Column {
            col: Col::from_values(out),
            bad,
        }
    }

    /// Item `i` over every row.
    fn item(&self, i: usize) -> Column {
        let n = self.n;
        let Some(p) = self.plan.items.get(i) else {
            return CONST_MISSING.clone();
        };
        match p {
            PItem::Let(node) => self.eval(node, None).into_owned(),
            PItem::Points { by, rules } => {
                let subject = by.as_ref().map(|b| self.eval(b, None));
                let subj = subject.as_deref();
                let conds: Vec<Option<Cow<'_, Column>>> = rules
                    .iter()
                    .map(|(c, _)| c.as_ref().map(|c| self.eval(c, subj)))
                    .collect();
                let (pick, bad) = self.first_match(subj, &conds);
                let values: Vec<(i128, u8)> = rules.iter().map(|(_, v)| parts(*v)).collect();
                let (mut m, mut s) = (Vec::with_capacity(n), Vec::with_capacity(n));
                for &k in &pick {
                    let (a, b) = values.get(k as usize).copied().unwrap_or((0, NO_SCALE));
                    m.push(a);
                    s.push(b);
                }
                Column {
                    col: Col::Num { m, s },
                    bad,
                }
            }
            PItem::Score { terms, bonuses } => {
                let cols: Vec<_> = terms
                    .iter()
                    .map(|t| {
                        (
                            self.eval(&t.expr, None),
                            parts(t.weight),
                            t.bonus
                                .as_ref()
                                .map(|(f, c)| (parts(*f), self.eval(c, None))),
                        )
                    })
                    .collect();
                let extra: Vec<_> = bonuses
                    .iter()
                    .map(|(f, c)| (parts(*f), self.eval(c, None)))
                    .collect();
                // per term: its numbers, weight, and bonus (factor, truths); per extra bonus the same
                let nums: Vec<_> = cols.iter().map(|(c, _, _)| c.col.nums()).collect();
                let truths: Vec<_> = cols
                    .iter()
                    .map(|(_, _, b)| b.as_ref().map(|(_, c)| c.col.truths(n)))
                    .collect();
                let extra_truths: Vec<_> = extra.iter().map(|(_, c)| c.col.truths(n)).collect();
                let mut out = NumBuilder::new(n, None);
                for r in 0..n {
                    // `Some(None)`: missing; `None`: overflow
                    let v = (|| -> Option<Option<(i128, u8)>> {
                        let mut sum = (0i128, 0u8);
                        for (k, (col, weight, bonus)) in cols.iter().enumerate() {
                            if col.is_bad(r) {
                                return None;
                            }
                            let x = match nums.get(k) {
                                Some(Some(view)) => view.get(r),
                                _ => col.col.num(r),
                            };
                            let Some(x) = x else {
                                return Some(None);
                            };
                            let mut part = mul(x, *weight)?;
                            if let Some((factor, cond)) = bonus {
                                if cond.is_bad(r) {
                                    return None;
                                }
                                let t = truths.get(k).and_then(|t| t.as_ref()?.get(r).copied());
                                if t == Some(1) {
                                    part = mul(part, *factor)?;
                                }
                            }
                            sum = add(sum, part)?;
                        }
                        for (k, (factor, cond)) in extra.iter().enumerate() {
                            if cond.is_bad(r) {
                                return None;
                            }
                            if extra_truths.get(k).and_then(|t| t.get(r)) == Some(&1) {
                                sum = mul(sum, *factor)?;
                            }
                        }
                        Some(Some(sum))
                    })();
                    out.push(r, v);
                }
                out.finish()
            }
            PItem::Grade { by, conds, tags } => {
                let subject = by.as_ref().map(|b| self.eval(b, None));
                let subj = subject.as_deref();
                let cols: Vec<Option<Cow<'_, Column>>> = conds
                    .iter()
                    .map(|c| c.as_ref().map(|c| self.eval(c, subj)))
                    .collect();
                let mut bad = None;
                if *tags {
                    let mut out = Vec::with_capacity(n);
                    for r in 0..n {
                        let mut bits = 0u64;
                        let mut otherwise = 0u64;
                        let mut over = subj.is_some_and(|c| c.is_bad(r));
                        for (k, c) in cols.iter().enumerate().take(64) {
                            if over {
                                break;
                            }
                            match c {
                                None => otherwise |= 1 << k,
                                Some(c) if c.is_bad(r) => over = true,
                                Some(c) => {
                                    if c.col.truth(r) == 1 {
                                        bits |= 1 << k;
                                    }
                                }
                            }
                        }
                        if over {
                            mark(&mut bad, n, r);
                            out.push(MISSING);
                        } else {
                            out.push(Value::Tags(if bits == 0 { otherwise } else { bits }));
                        }
                    }
                    Column {
                        col: Col::Any(out),
                        bad,
                    }
                } else {
                    let (pick, bad) = self.first_match(subj, &cols);
                    Column {
                        col: Col::Code(
                            pick.iter()
                                .map(|&k| u16::try_from(k).unwrap_or(NO_CODE))
                                .collect(),
                        ),
                        bad,
                    }
                }
            }
        }
    }

    /// The first rule that fires on each row (`u32::MAX`: none), first match wins: `rules[k]`
    /// is a condition, or `None` for `otherwise`. A row is bad when its subject overflowed or
    /// a condition overflowed before a rule fired (the row interpreter stops there).
    fn first_match(
        &self,
        subject: Option<&Column>,
        rules: &[Option<Cow<'_, Column>>],
    ) -> (Vec<u32>, Option<Vec<bool>>) {
        let n = self.n;
        let mut pick = vec![u32::MAX; n];
        let mut done = vec![false; n];
        let mut bad = None;
        if let Some(sb) = subject.and_then(|s| s.bad.as_ref()) {
            for (r, (&b, d)) in sb.iter().zip(done.iter_mut()).enumerate() {
                if b {
                    *d = true;
                    mark(&mut bad, n, r);
                }
            }
        }
        for (k, rule) in rules.iter().enumerate() {
            let k = u32::try_from(k).unwrap_or(u32::MAX);
            let Some(c) = rule else {
                for (p, d) in pick.iter_mut().zip(done.iter_mut()) {
                    if !*d {
                        *p = k;
                        *d = true;
                    }
                }
                break;
            };
            let t = c.col.truths(n);
            match &c.bad {
                None => {
                    // branch-free: which rows fire is data, not a pattern to predict
                    for ((p, d), &t) in pick.iter_mut().zip(done.iter_mut()).zip(t.iter()) {
                        let fire = !*d & (t == 1);
                        *p = if fire { k } else { *p };
                        *d |= fire;
                    }
                }
                Some(cb) => {
                    for r in 0..n {
                        if done[r] {
                            continue;
                        }
                        if cb.get(r).copied().unwrap_or(false) {
                            done[r] = true;
                            mark(&mut bad, n, r);
                        } else if t.get(r) == Some(&1) {
                            pick[r] = k;
                            done[r] = true;
                        }
                    }
                }
            }
        }
        (pick, bad)
    }
}

static CONST_MISSING: Column = Column {
    col: Col::Const(Value::Missing),
    bad: None,
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use rubric_check::hir::{PopFunc, Ty};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// Rows and population values given directly.
    struct Rows {
        fields: Vec<Vec<Value>>,
        pops: Vec<Vec<Value>>,
    }

    impl Source for Rows {
        fn rows(&self) -> usize {
            self.fields.len()
        }
        fn field(&self, f: usize) -> Col {
            Col::from_values(self.fields.iter().map(|r| r[f].clone()).collect())
        }
        fn pop(&self, slot: usize) -> Col {
            Col::from_values(self.pops.iter().map(|r| r[slot].clone()).collect())
        }
    }

    /// A small deterministic generator (xorshift).
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        /// A number: mostly small and plain, sometimes with many places, sometimes huge (so
        /// that sums, products and quotients overflow).
        fn num(&mut self, int: bool) -> Decimal {
            let m = match self.below(10) {
                0 => i128::from(self.next() as i64) * i128::from(self.next() as i64),
                1 => 0,
                2 => (self.next() % 200) as i128 - 100,
                _ => (self.next() % 100_000) as i128,
            };
            let m = m % 10i128.pow(38);
            let scale = if int {
                0
            } else {
                match self.below(6) {
                    0 => 0,
                    1 => (self.next() % 39) as u32,
                    _ => (self.next() % 4) as u32,
                }
            };
            Decimal::from_parts(m, scale).unwrap()
        }
        fn date(&mut self) -> Date {
            let base = Date::parse("2024-06-30").unwrap().0;
            match self.below(20) {
                0 => Date::parse("0001-01-01").unwrap(),
                1 => Date::parse("9999-12-31").unwrap(),
                _ => Date(base - (self.next() % 4000) as i32 + 30),
            }
        }
    }

    /// Every scheme of the examples and of the evaluation fixtures.
    fn schemes() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut out = Vec::new();
        for dir in ["examples", "tests/fixtures/eval", "benches/rfm"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rubric") {
                        out.push(p);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Overflow in every lazy position: rule conditions, `and`/`or`, `if`, `??`, score terms
    /// and bonuses, tags, dates.
    const OVERFLOWS: &str = r#"
scheme "overflow everywhere"
as_of 2024-06-30
input { id text key, a decimal?, b decimal?, d date?, t text? }
let big = a * b
let pick = if a > 0 then a * b else b * b
let either = a ?? b * b
let later = d + 30d
let q = a / b
points p by a * b { 1 when > 10, 2 when b * b > 5, 3 otherwise }
points p2 { 1 when a > 0 or a * b > 1, 2 when a < 0 and b * b > 1, 3 when (a ?? b * b) > 2, 4 otherwise }
points p3 by a { 1 when between b * b and 10, 2 when in [1, b * b], 3 otherwise }
score s { a weight 50% bonus 2 when b * b > 1, b * b weight 50% } bonus 1.1 when a * a > 0
grade g by a { x when a * b > 0, y when b * b > 1, z otherwise }
tags tg { u when a * b > 0, v when b > 0, w otherwise }
grade h { early when d + 1d < 2000-01-01, late when t == "zzz" and b * b > 0, other otherwise }
"#;

    /// Comparisons with constants of more places than the numbers (and fewer), of every
    /// operator, for one-scale and mixed-scale columns.
    const COMPARES: &str = r#"
scheme "comparisons with constants"
as_of 2024-06-30
input { id text key, a decimal?, n int? }
let lt = a < 1.005
let le = a <= 1.005
let gt = a > 1.005
let ge = a >= 1.005
let eq = a == 1.005
let ne = a != 1.005
let eq2 = a == 1.5
let lt2 = a < -0.5
let ge3 = a >= 3
let nlt = n < 2.5
let ngt = n > 2.5
let neq = n == 3
let nne = n != 2.5
"#;

    /// The string literals of a scheme, so that generated texts hit its `in` lists and tests.
    fn strings(src: &str) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = src
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() < 40)
            .map(Arc::from)
            .collect();
        out.push(Arc::from("zzz"));
        out
    }

    /// The block evaluator gives every row exactly what the row interpreter gives it: the same
    /// value of every item, and an overflow in the same first item.
    #[test]
    fn columns_equal_rows() {
        let (mut checked, mut overflowed) = (0, 0);
        let mut sources: Vec<(PathBuf, String)> = schemes()
            .into_iter()
            .map(|p| {
                let src = std::fs::read_to_string(&p).unwrap();
                (p, src)
            })
            .collect();
        sources.push((PathBuf::from("OVERFLOWS"), OVERFLOWS.to_string()));
        sources.push((PathBuf::from("COMPARES"), COMPARES.to_string()));
        // every scheme twice: decimals of mixed scales, then all of scale 2 (as money is; the
        // block evaluator has fast paths for one-scale columns)
        let sources: Vec<(PathBuf, String, bool)> = sources
            .into_iter()
            .flat_map(|(p, s)| [(p.clone(), s.clone(), false), (p, s, true)])
            .collect();
        for (path, src, one_scale) in sources {
            // (with the files a scheme `use`s, read beside it)
            let c = rubric_check::project::check_project(&path, &src, &mut |p: &Path| {
                std::fs::read_to_string(p).map_err(|e| e.to_string())
            })
            .checked;
            if c.has_errors() {
                // a fixture may be a scheme with errors on purpose; the one above may not
                let builtin = [Path::new("OVERFLOWS"), Path::new("COMPARES")];
                assert!(!builtin.contains(&path.as_path()), "{:?}", c.diagnostics);
                continue;
            }
            // aggregates of events are fields of the row the engines see
            let model = crate::events::row_model(&c.model).into_owned();
            let plan = Plan::compile(&model, Date::parse("2024-06-30").unwrap());
            let texts = strings(&src);
            let mut g = Gen(0x2545_F491_4F6C_DD1D ^ src.len() as u64);
            let n = 400;
            let fields: Vec<Vec<Value>> = (0..n)
                .map(|_| {
                    model
                        .fields
                        .iter()
                        .map(|f| {
                            if g.below(8) == 0 {
                                return MISSING;
                            }
                            match f.ty {
                                Ty::Int => Value::Num(g.num(true)),
                                Ty::Decimal if one_scale => Value::Num(
                                    Decimal::from_parts(g.num(true).mantissa() % 10i128.pow(30), 2)
                                        .unwrap(),
                                ),
                                Ty::Decimal => Value::Num(g.num(false)),
                                Ty::Date => Value::Date(g.date()),
                                Ty::Bool => Value::Bool(g.below(2) == 0),
                                Ty::Grade(_) => Value::Code(
                                    g.below(f.codes.as_ref().map_or(1, |c| c.codes.len().max(1)))
                                        as u16,
                                ),
                                _ => Value::Text(texts[g.below(texts.len())].clone()),
                            }
                        })
                        .collect()
                })
                .collect();
            let pops: Vec<Vec<Value>> = (0..n)
                .map(|_| {
                    plan.slots
                        .iter()
                        .map(|s| {
                            if g.below(10) == 0 {
                                return MISSING;
                            }
                            match s.func {
                                PopFunc::Rank | PopFunc::Count => {
                                    Value::Num(Decimal::from(g.below(500) + 1))
                                }
                                PopFunc::TopShare | PopFunc::CumulativeShare => Value::Num(
                                    Decimal::from_parts(
                                        (g.next() % 10_000_000_000_000_001) as i128,
                                        16,
                                    )
                                    .unwrap(),
                                ),
                                _ => Value::Num(g.num(false)),
                            }
                        })
                        .collect()
                })
                .collect();
            let src_rows = Rows { fields, pops };
            let frame = Frame::evaluate(&plan, &src_rows);
            let mut items = Vec::new();
            for r in 0..n {
                let row = eval::eval_row(
                    &plan,
                    &src_rows.fields[r],
                    &src_rows.pops[r],
                    &mut items,
                    None,
                );
                let name = path.display();
                match row {
                    Err(item) => {
                        assert_eq!(
                            frame.overflow(r),
                            Some(item),
                            "{name}: row {r} overflows in item {item}: {:?}",
                            src_rows.fields[r]
                        );
                        overflowed += 1;
                    }
                    Ok(()) => {
                        assert_eq!(frame.overflow(r), None, "{name}: row {r}");
                        for (i, want) in items.iter().enumerate() {
                            let got = frame.item_col(i).map_or(MISSING, |c| c.value(r));
                            assert_eq!(
                                &got, want,
                                "{name}: row {r}, item `{}`: {:?}",
                                plan.item_names[i], src_rows.fields[r]
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 5000, "only {checked} rows compared");
        assert!(overflowed > 100, "only {overflowed} rows overflowed");
    }
}
