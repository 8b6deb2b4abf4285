//! The aggregates of a scheme with `events`, compiled for one as_of date: per aggregate its
//! function, its argument and filter over one event's fields.

use crate::ir::{Node, Plan};
use rubric_check::hir::{AggFunc, AggId, EventsId, Model};
use rubric_syntax::date::Date;

/// One aggregate, compiled over the fields of its events (`orders.amount` is field `amount`
/// of one event).
#[derive(Clone, Debug)]
pub(super) struct AggPlan {
    pub(super) func: AggFunc,
    pub(super) events: EventsId,
    pub(super) arg: Option<Node>,
    pub(super) filter: Option<Node>,
}

/// The aggregates of a scheme, compiled for one as_of date.
#[derive(Clone, Debug)]
pub struct EventPlan {
    pub(super) as_of: Date,
    pub(super) aggs: Vec<AggPlan>,
    /// Per events block, the aggregates over it.
    pub(super) by_block: Vec<Vec<AggId>>,
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
