//! The compiled plan's data: expressions as index-addressed nodes, items, population slots and
//! stages. [`Plan::compile`](crate::Plan::compile) builds it; the engines read it.

use crate::value::{Reject, Value};
use rubric_check::hir::{ArithOp, Builtin, CmpOp, FieldId, ItemId, PopFunc, Ty};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::sync::Arc;

/// A compiled expression.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(Value),
    Field(usize),
    Item(usize),
    /// A population-function slot.
    Pop(usize),
    Subject,
    Neg(Box<Node>),
    Not(Box<Node>),
    /// Numbers only.
    Arith(ArithOp, Box<Node>, Box<Node>),
    /// `date ± duration`; `sign` is 1 or -1.
    DateShift(Box<Node>, Box<Node>, i64),
    /// `date - date` in days.
    DateDiff(Box<Node>, Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    /// A comparison with a constant on the right.
    CmpK(CmpOp, Box<Node>, Value),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// `x in [constants]`: `has_missing` when a constant of the list is missing.
    InSet {
        value: Box<Node>,
        set: Vec<Value>,
        negated: bool,
    },
    InList {
        value: Box<Node>,
        list: Vec<Node>,
        negated: bool,
    },
    /// `tags has code`: the code's bit.
    Has(Box<Node>, u64),
    Between(Box<Node>, Box<Node>, Box<Node>),
    /// `d within DUR` with a constant duration: `lo <= d <= hi`.
    WithinRange {
        date: Box<Node>,
        lo: Date,
        hi: Date,
    },
    Within {
        date: Box<Node>,
        duration: Box<Node>,
    },
    /// `d within next DUR` with a duration known only per row (a constant one compiles to a
    /// [`Node::WithinRange`] from today).
    WithinNext {
        date: Box<Node>,
        duration: Box<Node>,
    },
    IsMissing(Box<Node>, bool),
    Coalesce(Box<Node>, Box<Node>),
    If(Box<Node>, Box<Node>, Box<Node>),
    Call(Builtin, Vec<Node>),
    /// `grade.attr`: the attribute value per code.
    Attr(Box<Node>, Arc<[Value]>),
    /// `x["key"]` in a test expectation.
    Index(Box<Node>, Box<Node>),
}

#[derive(Clone, Debug)]
pub(crate) struct PTerm {
    pub expr: Node,
    pub weight: Decimal,
    pub bonus: Option<(Decimal, Node)>,
}

#[derive(Clone, Debug)]
pub(crate) enum PItem {
    Let(Node),
    Points {
        by: Option<Node>,
        rules: Vec<(Option<Node>, Decimal)>,
    },
    Score {
        terms: Vec<PTerm>,
        bonuses: Vec<(Decimal, Node)>,
    },
    Grade {
        by: Option<Node>,
        conds: Vec<Option<Node>>,
        tags: bool,
    },
}

/// One distinct population-function call.
#[derive(Clone, Debug)]
#[allow(dead_code)]
pub(crate) struct PopSlot {
    pub func: PopFunc,
    pub group: usize,
}

/// Population functions over the same argument and partition: one sort serves them all.
#[derive(Clone, Debug)]
pub(crate) struct PopGroup {
    pub arg: Option<Node>,
    pub within: Option<Node>,
    /// Evaluated in stage `level` (1-based): its argument reads only items and population
    /// functions of lower stages.
    pub level: u32,
    pub slots: Vec<usize>,
}

/// A scheme compiled for one as_of date. Cheap to share between threads.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) as_of: Date,
    pub(crate) nfields: usize,
    pub(crate) key: Option<FieldId>,
    pub(crate) items: Vec<PItem>,
    pub(crate) order: Vec<ItemId>,
    /// The highest population stage any item depends on (0: no population function).
    pub(crate) item_level: Vec<u32>,
    pub(crate) item_names: Vec<String>,
    pub(crate) field_names: Vec<String>,
    /// Per field, its type (how a block keeps it).
    pub(crate) field_tys: Vec<Ty>,
    /// `PopId` → slot.
    pub(crate) pop_slot: Vec<usize>,
    pub(crate) slots: Vec<PopSlot>,
    pub(crate) groups: Vec<PopGroup>,
    pub(crate) max_level: u32,
    /// Per population stage `L` (index `L - 1`): the items, in evaluation order, that the
    /// arguments and partitions of the stage's functions read (directly or through other items).
    pub(crate) stage_items: Vec<Vec<ItemId>>,
    /// Per item: for a grade, its attribute tables (attribute → value per code).
    pub(crate) attrs: Vec<Vec<Arc<[Value]>>>,
}

/// The reason given for a row whose evaluation overflowed in `item`.
pub fn overflow_reason(plan: &Plan, item: ItemId) -> String {
    let name = &plan.item_names[item];
    format!("evaluation overflow in `{name}`")
}

impl Plan {
    /// An item whose value needs population group `g` (for overflow messages).
    pub(crate) fn first_user_of(&self, g: usize) -> ItemId {
        let level = self.groups[g].level;
        self.order
            .iter()
            .copied()
            .find(|i| self.item_level.get(*i).is_some_and(|l| *l >= level))
            .unwrap_or(0)
    }

    /// The reject of the row on `line` whose evaluation overflowed in `item`.
    pub(crate) fn overflow_reject(&self, line: u64, key: Option<&str>, item: ItemId) -> Reject {
        Reject {
            line,
            column: None,
            reason: overflow_reason(self, item),
            key: key.map(String::from),
        }
    }
}
