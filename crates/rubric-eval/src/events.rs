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

use crate::plan::{Node, Plan};
use crate::value::Value;
use rubric_check::hir::{AggFunc, AggId, EventsId, FieldDef, Model};
use rubric_syntax::date::Date;
use std::borrow::Cow;

mod totals;
pub use totals::{EventOverflow, Totals};

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
            codes: None,
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
        if let (Some(cell), Some(fd)) = (values.get_mut(*f), model.fields.get(*f)) {
            // a grade-typed field's literal names a code
            *cell = crate::plan::field_value(fd, lit);
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
