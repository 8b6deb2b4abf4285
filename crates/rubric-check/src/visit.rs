//! Walking typed expressions.

use crate::hir::{TExpr, TExprKind};

/// The direct sub-expressions of `e`, left to right.
pub fn children(e: &TExpr) -> Vec<&TExpr> {
    match &e.kind {
        TExprKind::Lit(_)
        | TExprKind::Field(_)
        | TExprKind::Item(_)
        | TExprKind::Code { .. }
        | TExprKind::Today
        | TExprKind::Subject
        | TExprKind::Pop(_)
        | TExprKind::Agg(_)
        | TExprKind::EventField { .. } => Vec::new(),
        TExprKind::List(items) | TExprKind::Call(_, items) => items.iter().collect(),
        TExprKind::Unary(_, a) => vec![a],
        TExprKind::Arith(_, a, b)
        | TExprKind::Cmp(_, a, b)
        | TExprKind::And(a, b)
        | TExprKind::Or(a, b)
        | TExprKind::Coalesce(a, b) => vec![a, b],
        TExprKind::In { value, list, .. } => vec![value, list],
        TExprKind::Has { tags, .. } => vec![tags],
        TExprKind::Between { value, lo, hi } => vec![value, lo, hi],
        TExprKind::Within { date, duration } => vec![date, duration],
        TExprKind::IsMissing { expr, .. } => vec![expr],
        TExprKind::If(c, a, b) => vec![c, a, b],
        TExprKind::Attr { value, .. } => vec![value],
        TExprKind::Index { value, key } => vec![value, key],
    }
}

/// Calls `f` on `e` and every sub-expression, parents first. Does not enter population-function
/// or aggregate arguments (they live in `Model::pops` and `Model::aggs`).
pub fn walk<'e>(e: &'e TExpr, f: &mut impl FnMut(&'e TExpr)) {
    f(e);
    for c in children(e) {
        walk(c, f);
    }
}
