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

use crate::value::Value;
use rubric_check::hir::Model;

mod plan;
mod totals;
pub use crate::model::{agg_text, row_model};
pub use plan::EventPlan;
pub use totals::{EventOverflow, Totals};

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
