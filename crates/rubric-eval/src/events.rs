//! Aggregates over events (LANGUAGE.md §7), defined once: [`Totals`] folds each event into its
//! customer's accumulators and [`Totals::finish`] gives the per-customer values that the rest of
//! the scheme reads like input fields.
//!
//! How they reach the engines: [`row_model`] appends one optional field per aggregate to the
//! model (its [`FieldDef::agg`] names the aggregate), the plan reads `TExprKind::Agg(a)` as that
//! field, and a run joins each customer record with its values ([`crate::io::Reader::joined`]);
//! `rubric test` folds a test customer's `given` events with the same [`Totals`]. So the row
//! engine, the block engine, the explain trace and population functions see plain fields, and
//! aggregates come before every `let` and population function.
//!
//! Memory: one accumulator per customer and aggregate (a set of values for `count_distinct`),
//! never the events themselves.

use crate::eval::{self, Env};
use crate::plan::{Node, Plan};
use crate::value::Value;
use rubric_check::hir::{AggFunc, AggId, EventsId, FieldDef, Model};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The model whose fields a run reads: the input fields, then one optional field per aggregate
/// (named by the aggregate's text, e.g. `sum(orders.amount)`). The model itself when the scheme
/// has no aggregates, or when it is already a row model.
pub fn row_model(model: &Model) -> Cow<'_, Model> {
    if model.aggs.is_empty() || model.fields.iter().any(|f| f.agg.is_some()) {
        return Cow::Borrowed(model);
    }
    let mut m = model.clone();
    for (a, agg) in model.aggs.iter().enumerate() {
        let name = agg_text(model, a);
        m.fields.push(FieldDef {
            name: name.clone(),
            column: name,
            ty: agg.ty.clone(),
            optional: true,
            is_key: false,
            span: agg.span,
            doc: None,
            agg: Some(a),
        });
    }
    Cow::Owned(m)
}

/// The field that holds aggregate `a` in the row model of `model` (the fields [`row_model`]
/// appends follow the input fields, in aggregate order).
pub(crate) fn agg_field(model: &Model, a: AggId) -> usize {
    match model.fields.iter().position(|f| f.agg.is_some()) {
        Some(first) => first + a,
        None => model.fields.len() + a,
    }
}

/// How an aggregate reads: `sum(orders.amount where orders.amount > 0)`.
pub fn agg_text(model: &Model, a: AggId) -> String {
    let Some(agg) = model.aggs.get(a) else {
        return "?".into();
    };
    let block = model
        .events
        .get(agg.events)
        .map_or("?", |e| e.name.as_str());
    let mut s = format!("{}(", agg.func.name());
    match &agg.arg {
        Some(arg) => s.push_str(&crate::trace::expr_text(model, arg)),
        None => s.push_str(block),
    }
    if let Some(f) = &agg.filter {
        s.push_str(" where ");
        s.push_str(&crate::trace::expr_text(model, f));
    }
    s.push(')');
    s
}

/// One aggregate, compiled over the fields of its events (`orders.amount` is field `amount`
/// of one event).
#[derive(Clone, Debug)]
struct AggPlan {
    func: AggFunc,
    events: EventsId,
    arg: Option<Node>,
    filter: Option<Node>,
}

/// The aggregates of a scheme, compiled for one as_of date.
#[derive(Clone, Debug)]
pub struct EventPlan {
    as_of: Date,
    aggs: Vec<AggPlan>,
    /// Per events block, the aggregates over it.
    by_block: Vec<Vec<AggId>>,
}

impl EventPlan {
    pub fn compile(model: &Model, as_of: Date) -> EventPlan {
        let aggs: Vec<AggPlan> = model
            .aggs
            .iter()
            .map(|a| AggPlan {
                func: a.func,
                events: a.events,
                arg: a
                    .arg
                    .as_ref()
                    .map(|e| Plan::compile_event_expr(model, e, as_of)),
                filter: a
                    .filter
                    .as_ref()
                    .map(|e| Plan::compile_event_expr(model, e, as_of)),
            })
            .collect();
        let by_block = (0..model.events.len())
            .map(|e| {
                aggs.iter()
                    .enumerate()
                    .filter(|(_, a)| a.events == e)
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        EventPlan {
            as_of,
            aggs,
            by_block,
        }
    }

    pub fn len(&self) -> usize {
        self.aggs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.aggs.is_empty()
    }
}

/// One aggregate's running state for one customer.
#[derive(Clone, Debug)]
enum Acc {
    Count(u64),
    /// The sum of the present values and how many there were; `None` after an overflow.
    Sum(Option<Decimal>, u64),
    Min(Value),
    Max(Value),
    /// Few values (most customers): a list searched in order.
    Distinct(Vec<Value>),
    /// Many values.
    DistinctMany(HashSet<Value>),
}

/// Past this many distinct values a customer's `count_distinct` keeps a hash set.
const SMALL_SET: usize = 32;

impl Acc {
    fn new(func: AggFunc) -> Acc {
        match func {
            AggFunc::Count => Acc::Count(0),
            AggFunc::Sum | AggFunc::Avg => Acc::Sum(Some(Decimal::ZERO), 0),
            AggFunc::Min => Acc::Min(Value::Missing),
            AggFunc::Max => Acc::Max(Value::Missing),
            AggFunc::CountDistinct => Acc::Distinct(Vec::new()),
        }
    }

    /// Adds one event's value (missing values are ignored, as in SQL).
    fn add(&mut self, v: Value) {
        match self {
            Acc::Count(n) => *n += 1,
            _ if v.is_missing() => {}
            Acc::Sum(sum, n) => {
                if let Value::Num(x) = v {
                    *sum = sum.and_then(|s| s.checked_add(x));
                    *n += 1;
                }
            }
            Acc::Min(m) => {
                if m.is_missing() || eval::compare(&v, m) == Some(std::cmp::Ordering::Less) {
                    *m = v;
                }
            }
            Acc::Max(m) => {
                if m.is_missing() || eval::compare(&v, m) == Some(std::cmp::Ordering::Greater) {
                    *m = v;
                }
            }
            Acc::Distinct(list) => {
                let v = normal(v);
                if !list.contains(&v) {
                    if list.len() < SMALL_SET {
                        list.push(v);
                    } else {
                        let mut set: HashSet<Value> = list.drain(..).collect();
                        set.insert(v);
                        *self = Acc::DistinctMany(set);
                    }
                }
            }
            Acc::DistinctMany(set) => {
                set.insert(normal(v));
            }
        }
    }

    /// The customer's value; `Err` when a sum left the exact range.
    fn finish(&self, func: AggFunc) -> Result<Value, ()> {
        Ok(match (self, func) {
            (Acc::Count(n), _) => Value::Num(Decimal::from(*n)),
            (Acc::Sum(None, _), _) => return Err(()),
            (Acc::Sum(Some(s), _), AggFunc::Sum) => Value::Num(*s),
            (Acc::Sum(Some(s), n), _) => match crate::pop::mean_of(*s, *n) {
                Some(m) => Value::Num(m),
                None => Value::Missing,
            },
            (Acc::Min(v) | Acc::Max(v), _) => v.clone(),
            (Acc::Distinct(list), _) => Value::Num(Decimal::from(list.len())),
            (Acc::DistinctMany(set), _) => Value::Num(Decimal::from(set.len())),
        })
    }
}

/// Equal numbers count once in `count_distinct` whatever their scale (`1.0` and `1`).
fn normal(v: Value) -> Value {
    match v {
        Value::Num(d) => Value::Num(d.normalize()),
        v => v,
    }
}

/// Why an event is not counted: its filter or value could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventOverflow {
    pub aggregate: AggId,
}

/// Every customer's accumulators, in the order their keys were first seen.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    index: HashMap<Arc<str>, usize, crate::hash::KeyHash>,
    keys: Vec<Arc<str>>,
    /// Per customer: the events block and line of their first event.
    first: Vec<(EventsId, u64)>,
    /// Customer-major: `accs[c * naggs + a]`.
    accs: Vec<Acc>,
    /// Per customer and aggregate (as `accs`): the events it counted (its filter held and, but
    /// for `count`, its value was present).
    counted: Vec<u64>,
    naggs: usize,
}

impl Totals {
    pub fn new(plan: &EventPlan) -> Totals {
        Totals {
            naggs: plan.aggs.len(),
            ..Totals::default()
        }
    }

    fn slot(&mut self, plan: &EventPlan, key: &str, events: EventsId, line: u64) -> usize {
        if let Some(&c) = self.index.get(key) {
            return c;
        }
        let c = self.keys.len();
        let key: Arc<str> = Arc::from(key);
        self.index.insert(key.clone(), c);
        self.keys.push(key);
        self.first.push((events, line));
        self.accs.extend(plan.aggs.iter().map(|a| Acc::new(a.func)));
        self.counted.extend(plan.aggs.iter().map(|_| 0));
        c
    }

    /// Folds one event of block `events` (its field values, in the block's field order) into
    /// the accumulators of customer `key`. An event whose filter or value overflows counts
    /// nowhere and is reported, so the caller can reject it.
    pub fn add(
        &mut self,
        plan: &EventPlan,
        events: EventsId,
        key: &str,
        line: u64,
        fields: &[Value],
    ) -> Result<(), EventOverflow> {
        let env = Env {
            fields,
            items: &[],
            pops: &[],
            subject: None,
            as_of: plan.as_of,
            lookup: None,
        };
        let aggs = plan.by_block.get(events).map_or(&[][..], Vec::as_slice);
        // compute every value first, so that an overflowing event counts nowhere
        let mut values: Vec<Option<Value>> = Vec::with_capacity(aggs.len());
        for &a in aggs {
            let p = &plan.aggs[a];
            let counted = match &p.filter {
                Some(f) => eval::cond(f, &env).map_err(|_| EventOverflow { aggregate: a })?,
                None => Some(true),
            };
            if counted != Some(true) {
                values.push(None);
                continue;
            }
            let v = match &p.arg {
                Some(arg) => eval::eval(arg, &env).map_err(|_| EventOverflow { aggregate: a })?,
                None => Value::Bool(true),
            };
            values.push(Some(v));
        }
        let c = self.slot(plan, key, events, line);
        for (&a, v) in aggs.iter().zip(values) {
            if let Some(v) = v {
                let at = c * self.naggs + a;
                if !v.is_missing() || plan.aggs[a].func == AggFunc::Count {
                    self.counted[at] += 1;
                }
                self.accs[at].add(v);
            }
        }
        Ok(())
    }

    /// The number of customers with at least one event.
    pub fn customers(&self) -> usize {
        self.keys.len()
    }

    /// The customers with events, in the order their first event was read, with that event's
    /// block and line.
    pub fn keys(&self) -> impl Iterator<Item = (&str, (EventsId, u64))> + '_ {
        self.keys
            .iter()
            .map(|k| &**k)
            .zip(self.first.iter().copied())
    }

    /// How many events aggregate `a` counted for customer `c` (0 without events).
    pub fn counted(&self, c: Option<usize>, a: AggId) -> u64 {
        c.and_then(|c| self.counted.get(c * self.naggs + a))
            .copied()
            .unwrap_or(0)
    }

    /// The index of customer `key`, if it has events.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Customer `c`'s aggregate values, in aggregate order (`None`: no events, the empty
    /// values), into `out`; `Err(a)` names an aggregate whose sum left the exact range.
    pub fn finish(
        &self,
        plan: &EventPlan,
        c: Option<usize>,
        out: &mut Vec<Value>,
    ) -> Result<(), AggId> {
        out.clear();
        for (a, p) in plan.aggs.iter().enumerate() {
            let v = match c {
                Some(c) => self.accs[c * self.naggs + a]
                    .finish(p.func)
                    .map_err(|()| a)?,
                None => Acc::new(p.func).finish(p.func).map_err(|()| a)?,
            };
            out.push(v);
        }
        Ok(())
    }
}

/// A test customer's input values, as a run would read them: its fields, then its aggregates
/// over the events it is given (`given { id: "c1", orders: [ {…}, … ] }`), folded by the
/// same [`Totals`] as a run's. `Err` says why the customer cannot be evaluated.
pub fn test_values(
    model: &Model,
    plan: &EventPlan,
    record: &rubric_check::hir::TestRecord,
) -> Result<Vec<Value>, String> {
    let mut values = vec![Value::Missing; model.fields.len()];
    for (f, lit) in &record.values {
        if let Some(cell) = values.get_mut(*f) {
            *cell = crate::plan::literal_value(lit);
        }
    }
    if model.aggs.is_empty() {
        return Ok(values);
    }
    const KEY: &str = "";
    let mut totals = Totals::new(plan);
    for (block, events) in &record.events {
        let width = model.events.get(*block).map_or(0, |e| e.fields.len());
        for event in events {
            let mut fields = vec![Value::Missing; width];
            for (f, lit) in event {
                if let Some(cell) = fields.get_mut(*f) {
                    *cell = crate::plan::literal_value(lit);
                }
            }
            totals.add(plan, *block, KEY, 0, &fields).map_err(|e| {
                format!(
                    "`{}` is outside the exact decimal range",
                    agg_text(model, e.aggregate)
                )
            })?;
        }
    }
    let mut aggs = Vec::new();
    totals
        .finish(plan, totals.index_of(KEY), &mut aggs)
        .map_err(|a| {
            format!(
                "`{}` is outside the exact decimal range",
                agg_text(model, a)
            )
        })?;
    values.extend(aggs);
    Ok(values)
}

/// A value as a cell of the joined customer record: what the row parser reads back exactly
/// (missing is the empty cell of an optional field).
pub(crate) fn cell_text(v: &Value) -> String {
    match v {
        Value::Num(d) => crate::value::format_decimal(*d),
        Value::Text(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        _ => String::new(),
    }
}
