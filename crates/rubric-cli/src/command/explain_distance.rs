//! How far a customer is from the next better code of a grade, in the inputs' own units.
//!
//! Every answer is found by running the scheme again with one input of this customer changed
//! (everyone else unchanged), with the same engine that graded them: so a condition of any shape
//! is covered (comparisons, `and`, `or`, points and scores under a `by`, population functions,
//! `within` groups), and what is printed is what the engine does. For each input a condition
//! depends on (an input column or an aggregate over events: numbers and dates), the search finds
//! the smallest change, in steps of the value's own precision (1 for an int, 0.01 or the
//! value's own decimals for a decimal, a day for a date), at which the grade reaches the better
//! code while one step less does not. When the better code needs several failing parts of an
//! `and`, each part gets its own change, and the changes together are checked to reach it.
//!
//! The search doubles the step, then halves it: it assumes the grade changes once between the
//! value now and the one found. Where it changes back and forth (a share rises again past the
//! largest customer), the change printed still moves the grade and one step less does not, but
//! a smaller one further away may exist. Every search re-grades the whole population when the
//! scheme has population functions (about a hundred times per input and direction), the
//! customer alone otherwise.

use super::text::{code, number};
use rubric_check::hir::{ItemId, ItemKind, Model, TExpr, TExprKind, Ty};
use rubric_eval::{Evaluation, InputRow, Plan, Trace, TraceDetail, Value};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;

/// One customer's row among everyone's, to evaluate again with changes.
pub struct Probe<'a> {
    pub plan: &'a Plan,
    pub model: &'a Model,
    pub rows: &'a [InputRow],
    /// The customer's index in `rows`.
    pub at: usize,
    pub key: &'a str,
}

/// A changed input value: its index in the row and the value.
type Change = (usize, Value);

/// An input a condition depends on.
#[derive(Clone, Debug)]
pub struct Input {
    index: usize,
    name: String,
    ty: Ty,
}

/// The smallest change of one input found by the search.
#[derive(Clone, Debug)]
pub struct Found {
    input: Input,
    now: Value,
    then: Value,
    /// The size of the change relative to the value now (to order alternatives).
    cost: Decimal,
}

impl Probe<'_> {
    /// Whether the scheme reads a population function (then everyone is evaluated again;
    /// otherwise the customer alone decides).
    fn population(&self) -> bool {
        !self.model.pops.is_empty()
    }

    fn evaluate<T>(
        &self,
        changes: &[Change],
        f: impl FnOnce(&Evaluation<'_>, usize) -> T,
    ) -> Option<T> {
        let alone = !self.population();
        let mut rows: Vec<InputRow> = if alone {
            vec![self.rows.get(self.at)?.clone()]
        } else {
            self.rows.to_vec()
        };
        let row = rows.get_mut(if alone { 0 } else { self.at })?;
        for (k, v) in changes {
            if let Some(slot) = row.values.get_mut(*k) {
                *slot = v.clone();
            }
        }
        let ev = self.plan.evaluate(rows);
        let r = ev.row_of_key(self.key)?;
        Some(f(&ev, r))
    }

    /// Whether, with `changes`, grade `item` gives code `better` or a better one.
    fn reaches(&self, changes: &[Change], item: ItemId, better: usize) -> bool {
        self.evaluate(
            changes,
            |ev, r| matches!(ev.value(r, item), Value::Code(c) if usize::from(*c) <= better),
        )
        .unwrap_or(false)
    }

    /// Whether, with `changes`, condition `e` is true.
    fn holds(&self, changes: &[Change], e: &TExpr) -> bool {
        self.evaluate(changes, |ev, r| {
            ev.eval_expr(self.model, e, r) == Value::Bool(true)
        })
        .unwrap_or(false)
    }

    fn now(&self, index: usize) -> Value {
        self.rows
            .get(self.at)
            .and_then(|r| r.values.get(index))
            .cloned()
            .unwrap_or(Value::Missing)
    }

    /// Other customers' values of an input, distinct and sorted: all of them when there are
    /// few, else the smallest, the largest and 14 evenly spaced between.
    fn landmarks(&self, index: usize) -> Vec<Value> {
        let mut nums: Vec<Decimal> = Vec::new();
        let mut dates: Vec<i32> = Vec::new();
        for (k, r) in self.rows.iter().enumerate() {
            if k == self.at {
                continue;
            }
            match r.values.get(index) {
                Some(Value::Num(d)) => nums.push(*d),
                Some(Value::Date(d)) => dates.push(d.0),
                _ => {}
            }
        }
        nums.sort_unstable();
        nums.dedup();
        dates.sort_unstable();
        dates.dedup();
        let mut out: Vec<Value> = sample(&nums).into_iter().map(Value::Num).collect();
        out.extend(sample(&dates).into_iter().map(|d| Value::Date(Date(d))));
        out
    }

    /// The smallest change of `input` (up or down) for which `ok` holds, one step less not.
    fn search(&self, input: &Input, ok: &dyn Fn(&[Change]) -> bool) -> Option<Found> {
        let now = self.now(input.index);
        let landmarks = if self.population() {
            self.landmarks(input.index)
        } else {
            Vec::new()
        };
        let mut best: Option<Found> = None;
        for up in [true, false] {
            let Some(then) = search_dir(&now, &input.ty, up, &landmarks, &|v| {
                ok(&[(input.index, v)])
            }) else {
                continue;
            };
            let cost = cost(&now, &then);
            if best.as_ref().is_none_or(|b| cost < b.cost) {
                best = Some(Found {
                    input: input.clone(),
                    now: now.clone(),
                    then,
                    cost,
                });
            }
        }
        best
    }
}

/// At most 16 of sorted values: the first, the last and evenly spaced ones between.
fn sample<T: Copy>(sorted: &[T]) -> Vec<T> {
    const MOST: usize = 16;
    if sorted.len() <= MOST {
        return sorted.to_vec();
    }
    (0..MOST)
        .filter_map(|i| sorted.get(i * (sorted.len() - 1) / (MOST - 1)).copied())
        .collect()
}

/// The step of a value: 1 for an int, a day for a date, and for a decimal 0.01 or the value's
/// own last decimal place when it has more.
fn unit(now: &Value, ty: &Ty) -> Decimal {
    match (now, ty) {
        (Value::Num(n), Ty::Decimal) => {
            Decimal::from_parts(1, n.normalize().scale().max(2)).unwrap_or(Decimal::ONE)
        }
        _ => Decimal::ONE,
    }
}

/// `now` moved `k` steps up or down.
fn moved(now: &Value, unit: Decimal, up: bool, k: i64) -> Option<Value> {
    match now {
        Value::Num(n) => {
            let d = unit.checked_mul(Decimal::from_parts(i128::from(k), 0)?)?;
            Some(Value::Num(if up {
                n.checked_add(d)?
            } else {
                n.checked_sub(d)?
            }))
        }
        Value::Date(d) => {
            let k = i32::try_from(k).ok()?;
            Some(Value::Date(Date(if up {
                d.0.checked_add(k)?
            } else {
                d.0.checked_sub(k)?
            })))
        }
        _ => None,
    }
}

/// The number of steps from `now` to `v` in one direction (rounded up), if `v` lies that way.
fn steps_to(now: &Value, v: &Value, unit: Decimal, up: bool) -> Option<i64> {
    let k = match (now, v) {
        (Value::Num(a), Value::Num(b)) => {
            let d = if up {
                b.checked_sub(*a)?
            } else {
                a.checked_sub(*b)?
            };
            let q = d.checked_div(unit)?;
            let whole = q.floor();
            let whole = if whole == q {
                whole
            } else {
                whole.checked_add(Decimal::ONE)?
            };
            i64::try_from(whole.mantissa() / 10_i128.checked_pow(whole.scale())?).ok()?
        }
        (Value::Date(a), Value::Date(b)) => i64::from(if up { b.0 - a.0 } else { a.0 - b.0 }),
        _ => return None,
    };
    (k >= 1).then_some(k)
}

/// The value nearest `now` in one direction at which `ok` holds (and one step nearer it does
/// not): doubling steps, then halving. Population functions can make a grade hold only between
/// other customers' values (a share rises again past the largest), which doubling can step
/// over: when it finds nothing, `landmarks`, other customers' values of the input, are tried
/// too, nearest first. A number going down stops at zero; a date moves at most a hundred years.
fn search_dir(
    now: &Value,
    ty: &Ty,
    up: bool,
    landmarks: &[Value],
    ok: &dyn Fn(Value) -> bool,
) -> Option<Value> {
    search_steps(now, ty, up, &[], ok).or_else(|| {
        if landmarks.is_empty() {
            None
        } else {
            search_steps(now, ty, up, landmarks, ok)
        }
    })
}

fn search_steps(
    now: &Value,
    ty: &Ty,
    up: bool,
    landmarks: &[Value],
    ok: &dyn Fn(Value) -> bool,
) -> Option<Value> {
    let unit = unit(now, ty);
    let most: i64 = match now {
        Value::Num(n) if !up && *n > Decimal::ZERO => {
            let steps = n.checked_div(unit)?.floor();
            i64::try_from(steps.mantissa() / 10_i128.checked_pow(steps.scale())?).ok()?
        }
        Value::Num(_) => 1 << 50,
        Value::Date(_) => 36_600,
        _ => return None,
    };
    // just below, at and just above every landmark, in steps
    let mut marks: Vec<i64> = landmarks
        .iter()
        .filter_map(|v| steps_to(now, v, unit, up))
        .flat_map(|k| [k - 1, k, k + 1])
        .filter(|k| (1..=most).contains(k))
        .collect();
    marks.sort_unstable();
    marks.dedup();
    let at = |k: i64| moved(now, unit, up, k);
    let (mut lo, mut hi) = (0_i64, 1_i64);
    let mut next_mark = 0;
    'search: loop {
        let k = hi.min(most);
        if k < 1 {
            return None;
        }
        while let Some(&m) = marks.get(next_mark) {
            if m >= k {
                break;
            }
            next_mark += 1;
            if m <= lo {
                continue;
            }
            if ok(at(m)?) {
                hi = m;
                break 'search;
            }
            lo = m;
        }
        if ok(at(k)?) {
            hi = k;
            break;
        }
        if k >= most {
            return None;
        }
        lo = k;
        hi = k.saturating_mul(2);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(at(mid)?) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at(hi)
}

/// The size of a change relative to the value now (days over a year for dates).
fn cost(now: &Value, then: &Value) -> Decimal {
    match (now, then) {
        (Value::Num(a), Value::Num(b)) => {
            let d = b.checked_sub(*a).unwrap_or(Decimal::MAX).abs();
            if a.is_zero() {
                d
            } else {
                d.checked_div(a.abs()).unwrap_or(Decimal::MAX)
            }
        }
        (Value::Date(a), Value::Date(b)) => {
            let days =
                Decimal::from_parts(i128::from((b.0 - a.0).abs()), 0).unwrap_or(Decimal::MAX);
            days.checked_div(Decimal::from_parts(365, 0).unwrap_or(Decimal::ONE))
                .unwrap_or(Decimal::MAX)
        }
        _ => Decimal::MAX,
    }
}

/// The inputs (numbers and dates, not the key) an expression depends on, through lets,
/// points, scores, grades and population functions; and whether it reads a population
/// function.
fn inputs_of(
    model: &Model,
    e: &TExpr,
    subject: Option<&TExpr>,
    out: &mut Vec<Input>,
    seen: &mut Vec<ItemId>,
    pop: &mut bool,
) {
    let mut found: Vec<&TExpr> = Vec::new();
    rubric_check::visit::walk(e, &mut |x| {
        if matches!(
            x.kind,
            TExprKind::Field(_)
                | TExprKind::Agg(_)
                | TExprKind::Item(_)
                | TExprKind::Pop(_)
                | TExprKind::Subject
        ) {
            found.push(x);
        }
    });
    let mut add = |input: Input| {
        let wanted = matches!(input.ty, Ty::Int | Ty::Decimal | Ty::Date);
        if wanted && !out.iter().any(|i| i.index == input.index) {
            out.push(input);
        }
    };
    let mut nested: Vec<(&TExpr, Option<&TExpr>)> = Vec::new();
    for x in found {
        match &x.kind {
            TExprKind::Field(f) => {
                if let Some(fd) = model.fields.get(*f) {
                    if !fd.is_key {
                        add(Input {
                            index: *f,
                            name: fd.column.clone(),
                            ty: fd.ty.clone(),
                        });
                    }
                }
            }
            TExprKind::Agg(a) => {
                if let Some(ad) = model.aggs.get(*a) {
                    add(Input {
                        index: model.fields.len() + *a,
                        name: rubric_eval::events::agg_text(model, *a),
                        ty: ad.ty.clone(),
                    });
                }
            }
            TExprKind::Subject => {
                if let Some(s) = subject {
                    nested.push((s, None));
                }
            }
            TExprKind::Pop(p) => {
                *pop = true;
                if let Some(pd) = model.pops.get(*p) {
                    nested.extend(pd.arg.iter().map(|a| (a, None)));
                    nested.extend(pd.within.iter().map(|a| (a, None)));
                }
            }
            TExprKind::Item(i) => {
                if seen.contains(i) {
                    continue;
                }
                seen.push(*i);
                match model.items.get(*i).map(|it| &it.kind) {
                    Some(ItemKind::Let { value }) => nested.push((value, None)),
                    Some(ItemKind::Points { by, rules }) => {
                        nested.extend(by.iter().map(|b| (b, None)));
                        nested.extend(
                            rules
                                .iter()
                                .filter_map(|r| r.cond.as_ref())
                                .map(|c| (c, by.as_ref())),
                        );
                    }
                    Some(ItemKind::Score { terms, bonuses }) => {
                        for t in terms {
                            nested.push((&t.expr, None));
                            nested.extend(t.bonus.iter().map(|b| (&b.cond, None)));
                        }
                        nested.extend(bonuses.iter().map(|b| (&b.cond, None)));
                    }
                    Some(ItemKind::Grade(g)) => {
                        nested.extend(g.by.iter().map(|b| (b, None)));
                        nested.extend(
                            g.codes
                                .iter()
                                .filter_map(|c| c.cond.as_ref())
                                .map(|c| (c, g.by.as_ref())),
                        );
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }
    for (e, s) in nested {
        inputs_of(model, e, s, out, seen, pop);
    }
}

fn conjuncts<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
    match &e.kind {
        TExprKind::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        _ => out.push(e),
    }
}

fn reads_subject(e: &TExpr) -> bool {
    let mut found = false;
    rubric_check::visit::walk(e, &mut |x| found |= matches!(x.kind, TExprKind::Subject));
    found
}

/// A changed value for people: `营业额 needs +123,456.79` and `(now 876,543.21, then
/// 1,000,000.00)`, or for a date `最近购买 needs +15 days` and `(now 2024-03-01, then 2024-03-16)`.
fn change_text(f: &Found) -> (String, String) {
    let fixed2 = f.input.ty == Ty::Decimal;
    match (&f.now, &f.then) {
        (Value::Num(a), Value::Num(b)) => {
            let d = b.checked_sub(*a).unwrap_or(Decimal::ZERO);
            let sign = if d > Decimal::ZERO { "+" } else { "" };
            (
                format!("{} needs {sign}{}", f.input.name, number(d, fixed2)),
                format!("(now {}, then {})", number(*a, fixed2), number(*b, fixed2)),
            )
        }
        (Value::Date(a), Value::Date(b)) => {
            let days = b.0 - a.0;
            let unit = if days.abs() == 1 { "day" } else { "days" };
            (
                format!(
                    "{} needs {}{days} {unit}",
                    f.input.name,
                    if days > 0 { "+" } else { "" }
                ),
                format!("(now {a}, then {b})"),
            )
        }
        _ => (f.input.name.clone(), String::new()),
    }
}

/// How far the customer is from the code just better than the one they got. None for tags and
/// for the best code.
pub fn next_better(probe: &Probe<'_>, trace: &Trace) -> Option<NextBetter> {
    let model = probe.model;
    let grade = model.grade(trace.item)?;
    if grade.is_tags {
        return None;
    }
    let TraceDetail::Rules { rules, .. } = &trace.detail else {
        return None;
    };
    let fired = rules.iter().position(|r| r.outcome.fired());
    // no rule fired (the value is missing): the better code is the last one
    let better = match fired {
        Some(f) => f.checked_sub(1)?,
        None => grade.codes.iter().rposition(|c| c.cond.is_some())?,
    };
    let cond = grade.codes.get(better).and_then(|c| c.cond.as_ref())?;
    let target = code(model, trace.item, better);
    let item = trace.item;
    // the parts of an `and` that do not hold now (all of a condition on the `by` subject)
    let mut parts = Vec::new();
    conjuncts(cond, &mut parts);
    let failing: Vec<&TExpr> = if parts.len() > 1 && !parts.iter().any(|p| reads_subject(p)) {
        parts.into_iter().filter(|p| !probe.holds(&[], p)).collect()
    } else {
        vec![cond]
    };
    let mut pop = false;
    let inputs_for = |e: &TExpr, pop: &mut bool| {
        let mut out = Vec::new();
        inputs_of(model, e, grade.by.as_ref(), &mut out, &mut Vec::new(), pop);
        out
    };
    let done = |pop: bool, reach: Reach| {
        Some(NextBetter {
            code: better,
            target: target.clone(),
            population: pop,
            reach,
        })
    };
    let missing_of = |inputs: &[Input]| -> Vec<String> {
        inputs
            .iter()
            .filter(|i| probe.now(i.index).is_missing())
            .map(|i| i.name.clone())
            .collect()
    };
    if failing.len() <= 1 {
        let part = failing.first().copied().unwrap_or(cond);
        let inputs = inputs_for(part, &mut pop);
        let mut found: Vec<Found> = inputs
            .iter()
            .filter(|i| !probe.now(i.index).is_missing())
            .filter_map(|i| probe.search(i, &|c| probe.reaches(c, item, better)))
            .collect();
        found.sort_by_key(|a| a.cost);
        if found.is_empty() {
            let missing = missing_of(&inputs);
            if !missing.is_empty() {
                return done(pop, Reach::Missing(missing));
            }
            return done(pop, Reach::Unreachable);
        }
        return done(pop, Reach::OneOf(found));
    }
    // several parts of an `and` fail: the smallest change for each, then all together
    let mut changes: Vec<Found> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut stuck = false;
    for part in &failing {
        let inputs = inputs_for(part, &mut pop);
        let mut found: Vec<Found> = inputs
            .iter()
            .filter(|i| !probe.now(i.index).is_missing())
            .filter_map(|i| probe.search(i, &|c| probe.holds(c, part)))
            .collect();
        found.sort_by_key(|a| a.cost);
        match found.into_iter().next() {
            Some(f) => changes.push(f),
            None => {
                let m = missing_of(&inputs);
                if m.is_empty() {
                    stuck = true;
                }
                missing.extend(m);
            }
        }
    }
    if !missing.is_empty() {
        return done(pop, Reach::Missing(missing));
    }
    let together: Vec<Change> = changes
        .iter()
        .map(|f| (f.input.index, f.then.clone()))
        .collect();
    if stuck || !probe.reaches(&together, item, better) {
        return done(pop, Reach::Unreachable);
    }
    done(pop, Reach::AllOf(changes))
}

/// How far a customer is from the next better code.
pub struct NextBetter {
    /// The better code's index.
    pub code: usize,
    /// The code for people: `gold "黄金级"`.
    pub target: String,
    /// Whether the condition reads a population function (the answer holds with everyone
    /// else unchanged).
    pub population: bool,
    pub reach: Reach,
}

pub enum Reach {
    /// Any one of these changes reaches it (the smallest relative change first).
    OneOf(Vec<Found>),
    /// All of these changes together (one per failing part of an `and`).
    AllOf(Vec<Found>),
    /// It cannot be reached while these inputs are missing.
    Missing(Vec<String>),
    /// No change of one number or date (per part) reaches it.
    Unreachable,
}

impl NextBetter {
    fn assumption(&self) -> &'static str {
        if self.population {
            ", with everyone else unchanged"
        } else {
            ""
        }
    }

    /// `next better: 营业额 needs +123,456.79 to reach gold "黄金级" (now 876,543.21, then
    /// 1,000,000.00)`, with `or …` lines for the other ways.
    pub fn lines(&self, indent: &str) -> Vec<String> {
        let target = &self.target;
        let assumption = self.assumption();
        match &self.reach {
            Reach::OneOf(found) => {
                let mut out = Vec::new();
                for (k, f) in found.iter().enumerate() {
                    let (head, tail) = change_text(f);
                    out.push(if k == 0 {
                        format!("{indent}next better: {head} to reach {target} {tail}{assumption}")
                    } else {
                        format!("{indent}  or {head} {tail}")
                    });
                }
                out
            }
            Reach::AllOf(changes) => {
                let mut out = vec![format!(
                    "{indent}next better: {target} needs all of these{assumption}:"
                )];
                for f in changes {
                    let (head, tail) = change_text(f);
                    out.push(format!("{indent}  {head} {tail}"));
                }
                out
            }
            Reach::Missing(names) => vec![format!(
                "{indent}next better: {target} cannot be reached while {} {} missing",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" }
            )],
            Reach::Unreachable => vec![format!(
                "{indent}next better: no change of one number or date reaches {target}{assumption}"
            )],
        }
    }

    /// The JSON form (see docs/language.md, `rubric explain --format json`).
    pub fn json(&self, model: &Model, grade: ItemId) -> serde_json::Value {
        let change = |f: &Found| {
            let exact = |v: &Value| match v {
                Value::Num(d) => rubric_eval::format_decimal(d.normalize()),
                _ => rubric_eval::format_value(v, &f.input.ty, model),
            };
            let by = match (&f.now, &f.then) {
                (Value::Num(a), Value::Num(b)) => b
                    .checked_sub(*a)
                    .map(|d| serde_json::json!(rubric_eval::format_decimal(d.normalize()))),
                (Value::Date(a), Value::Date(b)) => Some(serde_json::json!(b.0 - a.0)),
                _ => None,
            };
            serde_json::json!({
                "input": f.input.name,
                "now": exact(&f.now),
                "then": exact(&f.then),
                "change": by,
            })
        };
        let code = model
            .grade(grade)
            .and_then(|g| g.codes.get(self.code))
            .map(|c| c.name.clone());
        let (how, changes, missing): (&str, Vec<serde_json::Value>, Vec<String>) = match &self.reach
        {
            Reach::OneOf(f) => ("one_of", f.iter().map(change).collect(), Vec::new()),
            Reach::AllOf(f) => ("all_of", f.iter().map(change).collect(), Vec::new()),
            Reach::Missing(m) => ("missing", Vec::new(), m.clone()),
            Reach::Unreachable => ("unreachable", Vec::new(), Vec::new()),
        };
        serde_json::json!({
            "code": code,
            "needs": how,
            "changes": changes,
            "missing": missing,
            "everyone_else_unchanged": self.population,
        })
    }
}
