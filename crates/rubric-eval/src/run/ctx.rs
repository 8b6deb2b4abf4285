//! What every worker of a run shares, and the small facts they agree on.

use super::options::{Columns, Measure};
use crate::io::RowParser;
use crate::ir::Plan;
use crate::population::overflow_reason;
use crate::table::Keep;
use crate::trace::Explainer;
use crate::value::{Reject, Value};
use rubric_check::hir::{ItemId, Model};
use std::borrow::Cow;
use std::sync::Arc;

/// Records per batch.
pub(super) const BATCH: usize = 8192;
pub(super) const NONE: u32 = u32::MAX;
/// No key (a key's hash is never this: see `stage_block`). Zero, so that the column of hashes
/// is allocated zeroed and its pages are first touched by the workers that fill it, in
/// parallel.
pub(super) const NO_HASH: u64 = 0;

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

/// The reject of the row on `line` whose evaluation overflowed in `item`.
pub(super) fn overflow_reject(plan: &Plan, line: u64, key: Option<&str>, item: ItemId) -> Reject {
    Reject {
        line,
        column: None,
        reason: overflow_reason(plan, item),
        key: key.map(String::from),
    }
}

/// A parsed row's key as text (`None`: it has none).
pub(super) fn key_of<'v>(plan: &Plan, values: &'v [Value]) -> Option<Cow<'v, str>> {
    match plan.key.and_then(|k| values.get(k)) {
        Some(Value::Text(t)) => Some(Cow::Borrowed(t)),
        None | Some(Value::Missing) => None,
        Some(_) => Some(Cow::Owned(plan.key_text(values))),
    }
}
