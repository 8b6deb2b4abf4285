//! What every worker of a run shares, and the small facts they agree on.

use super::options::{Columns, Measure};
use crate::io::RowParser;
use crate::ir::Plan;
use crate::table::Keep;
use crate::trace::Explainer;
use crate::value::Value;
use rubric_check::hir::{ItemId, Model};
use std::borrow::Cow;
use std::sync::Arc;

/// Records per batch.
pub(super) const BATCH: usize = 8192;

/// Everything a worker needs, shared by reference.
pub(super) struct Ctx<'a> {
    pub(super) plan: &'a Plan,
    pub(super) model: &'a Model,
    pub(super) src: &'a str,
    pub(super) parser: &'a RowParser,
    pub(super) columns: &'a Columns,
    pub(super) explainer: Option<Explainer>,
    pub(super) measure: Option<Measure>,
    pub(super) summary_items: Vec<ItemId>,
    /// CSV output: rows are formatted on the workers.
    pub(super) csv: bool,
    /// How each input field is kept in a block.
    pub(super) keep: Arc<[Keep]>,
}

/// A parsed row's key as text (`None`: it has none).
pub(super) fn key_of<'v>(plan: &Plan, values: &'v [Value]) -> Option<Cow<'v, str>> {
    match plan.key.and_then(|k| values.get(k)) {
        Some(Value::Text(t)) => Some(Cow::Borrowed(t)),
        None | Some(Value::Missing) => None,
        Some(_) => Some(Cow::Owned(plan.key_text(values))),
    }
}
