//! A block evaluated: every node once per block into a column, items by the rules' own
//! definitions (`crate::rules`).

use super::col::{
    add, bool_of, byte_of, compare_smalls, dec, holds, mark, mul, num_cmp, parts, thresholds,
    union, Col, Column, NumBuilder, Threshold, MISSING, NO_CODE, NO_DATE, NO_ITEM, NO_SCALE,
};
use crate::eval::{self, Overflow};
use crate::ir::{Node, PItem, Plan};
use crate::rules::{self, Rule, Tags};
use crate::value::Value;
use rubric_check::hir::{ArithOp, Builtin, CmpOp};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;

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
    pub(super) plan: &'a Plan,
    pub(super) src: &'a dyn Source,
    pub(super) n: usize,
    pub(super) fields: Vec<OnceCell<Column>>,
    pub(super) pops: Vec<OnceCell<Column>>,
    pub(super) items: Vec<Option<Column>>,
    /// Per row, the first item (in evaluation order) that overflowed, or [`NO_ITEM`].
    pub(super) first_bad: Vec<u32>,
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

    pub(super) fn field_column(&self, f: usize) -> &Column {
        match self.fields.get(f) {
            Some(cell) => cell.get_or_init(|| Column::ok(self.src.field(f))),
            None => &CONST_MISSING,
        }
    }

    pub(super) fn pop_column(&self, p: usize) -> &Column {
        match self.pops.get(p) {
            Some(cell) => cell.get_or_init(|| Column::ok(self.src.pop(p))),
            None => &CONST_MISSING,
        }
    }

    /// Row by row: `f` over the operands' values (an operand's overflow is the row's).
    pub(super) fn map_rows(
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
    pub(super) fn eval<'f>(&'f self, node: &Node, subject: Option<&'f Column>) -> Cow<'f, Column> {
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
                                .map(|r| match ds.get(r) {
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

    pub(super) fn call<'f>(
        &'f self,
        f: Builtin,
        args: &[Node],
        subject: Option<&'f Column>,
    ) -> Column {
        let kids: Vec<Cow<'f, Column>> = args.iter().map(|a| self.eval(a, subject)).collect();
        if let (Builtin::DaysSince, [d]) = (f, kids.as_slice()) {
            if let Some(ds) = d.col.dates() {
                let as_of = i128::from(self.plan.as_of.0);
                let (mut m, mut s) = (Vec::with_capacity(self.n), Vec::with_capacity(self.n));
                for r in 0..self.n {
                    match ds.get(r) {
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
    pub(super) fn arith(&self, op: ArithOp, a: &Column, b: &Column) -> Column {
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
    pub(super) fn compare(&self, op: CmpOp, a: &Column, b: &Column) -> Column {
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
    pub(super) fn logic(&self, a: &Column, b: &Column, stop: u8) -> Column {
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
    pub(super) fn choose(
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
    pub(super) fn item(&self, i: usize) -> Column {
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
                    // (`rules::OPEN`, no rule fired: missing)
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
                // a bonus's factor on row `r`, read only where the row interpreter reads it
                let bonus = |factor: (i128, u8), cond: &Column, truths: Option<&[u8]>, r: usize| {
                    if cond.is_bad(r) {
                        return Err(Overflow);
                    }
                    let t = truths.map_or(2, |t| t[r]);
                    Ok(rules::fires(bool_of(t)).then_some(factor))
                };
                let mut out = NumBuilder::new(n, None);
                for r in 0..n {
                    let parts = cols.iter().enumerate().map(|(k, (col, weight, b))| {
                        if col.is_bad(r) {
                            return Err(Overflow);
                        }
                        let x = match nums.get(k) {
                            Some(Some(view)) => view.get(r),
                            _ => col.col.num(r),
                        };
                        rules::term(x, *weight, || match b {
                            Some((factor, cond)) => {
                                let t = truths.get(k).and_then(|t| t.as_deref());
                                bonus(*factor, cond, t, r)
                            }
                            None => Ok(None),
                        })
                    });
                    let whole = extra.iter().enumerate().map(|(k, (factor, cond))| {
                        bonus(*factor, cond, extra_truths.get(k).map(|t| &t[..]), r)
                    });
                    // `Some(None)`: missing; `None`: overflow
                    out.push(r, rules::score(parts, whole).ok());
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
                        let mut set = Tags::default();
                        let mut over = subj.is_some_and(|c| c.is_bad(r));
                        for (k, c) in cols.iter().enumerate().take(rules::MAX_TAGS) {
                            if over {
                                break;
                            }
                            let rule = match c {
                                None => Rule::Otherwise,
                                Some(c) if c.is_bad(r) => Rule::Overflow,
                                Some(c) => Rule::Cond(bool_of(c.col.truth(r))),
                            };
                            over = set.add(k, rule).is_err();
                        }
                        if over {
                            mark(&mut bad, n, r);
                            out.push(MISSING);
                        } else {
                            out.push(Value::Tags(set.bits()));
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

    /// First match ([`rules::first_match_step`]) on every row at once: per row the rule that
    /// fired ([`rules::OPEN`]: none), `rules[k]` being a condition or `None` for `otherwise`.
    /// A row is bad when its subject overflowed or a condition overflowed before a rule fired
    /// (the row interpreter stops there); a bad row picks nothing.
    pub(super) fn first_match(
        &self,
        subject: Option<&Column>,
        rules: &[Option<Cow<'_, Column>>],
    ) -> (Vec<u32>, Option<Vec<bool>>) {
        let n = self.n;
        let mut pick = vec![rules::OPEN; n];
        if let Some(sb) = subject.and_then(|s| s.bad.as_ref()) {
            for (p, &b) in pick.iter_mut().zip(sb) {
                if b {
                    *p = rules::OVERFLOWED;
                }
            }
        }
        for (k, rule) in rules.iter().enumerate() {
            // (a plan has far fewer rules than the two reserved picks)
            let k = u32::try_from(k).unwrap_or(rules::OVERFLOWED);
            let Some(c) = rule else {
                for p in pick.iter_mut() {
                    *p = rules::first_match_step(*p, k, Rule::Otherwise);
                }
                break;
            };
            let t = c.col.truths(n);
            match &c.bad {
                None => {
                    for (p, &t) in pick.iter_mut().zip(t.iter()) {
                        *p = rules::first_match_step_bytes(*p, k, t, false);
                    }
                }
                Some(cb) => {
                    for ((p, &t), &b) in pick.iter_mut().zip(t.iter()).zip(cb) {
                        *p = rules::first_match_step_bytes(*p, k, t, b);
                    }
                }
            }
        }
        let mut bad = None;
        for (r, p) in pick.iter_mut().enumerate() {
            if *p == rules::OVERFLOWED {
                mark(&mut bad, n, r);
                *p = rules::OPEN;
            }
        }
        (pick, bad)
    }
}

pub(super) static CONST_MISSING: Column = Column {
    col: Col::Const(Value::Missing),
    bad: None,
};
