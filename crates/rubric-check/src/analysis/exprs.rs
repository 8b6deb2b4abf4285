//! Lints of single expressions: a rank compared with a fraction, a share bound outside 0–100%.

use super::{cells, percent};
use crate::hir::*;
use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::{Decimal, Diagnostic};
use std::collections::BTreeSet;

/// Calls `f` on every expression in an item (conditions, values, terms), with whether it is a
/// rule condition.
pub(super) fn for_each_expr<'m>(item: &'m Item, f: &mut impl FnMut(&'m TExpr, bool)) {
    match &item.kind {
        ItemKind::Let { value } => f(value, false),
        ItemKind::Points { by, rules } => {
            if let Some(b) = by {
                f(b, false);
            }
            for r in rules.iter().filter_map(|r| r.cond.as_ref()) {
                f(r, true);
            }
        }
        ItemKind::Score { terms, bonuses } => {
            for t in terms {
                f(&t.expr, false);
                if let Some(b) = &t.bonus {
                    f(&b.cond, true);
                }
            }
            for b in bonuses {
                f(&b.cond, true);
            }
        }
        ItemKind::Grade(g) => {
            if let Some(b) = &g.by {
                f(b, false);
            }
            for c in g.codes.iter().filter_map(|c| c.cond.as_ref()) {
                f(c, true);
            }
        }
    }
}

/// The inputs (fields as `(0, id)`, population functions as `(2, 0)`) an item reads,
/// transitively through the items it reads.
pub(crate) fn item_inputs(model: &Model, item: ItemId) -> BTreeSet<(u8, usize)> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![item];
    while let Some(i) = todo.pop() {
        if !seen.insert(i) {
            continue;
        }
        let Some(it) = model.items.get(i) else {
            continue;
        };
        for_each_expr(it, &mut |e, _| {
            crate::visit::walk(e, &mut |x| match &x.kind {
                TExprKind::Field(f) => {
                    out.insert((0, *f));
                }
                TExprKind::Item(j) => todo.push(*j),
                TExprKind::Pop(_) => {
                    out.insert((2, 0));
                }
                _ => {}
            });
        });
    }
    out
}

pub(super) fn expr_lints(model: &Model, e: &TExpr, out: &mut Vec<Diagnostic>) {
    crate::visit::walk(e, &mut |x| {
        let (op, pop_side, other, flipped) = match &x.kind {
            TExprKind::Cmp(op, l, r) if matches!(l.kind, TExprKind::Pop(_)) => (*op, l, r, false),
            TExprKind::Cmp(op, l, r) if matches!(r.kind, TExprKind::Pop(_)) => (*op, r, l, true),
            TExprKind::Between { value, lo, hi } => {
                if let (Some(a), Some(b)) = (num(lo), num(hi)) {
                    if a > b {
                        out.push(
                            Diagnostic::warning(
                                "empty-between",
                                format!("`between {} and {}` is never true: the bounds are the wrong way round", a.normalize(), b.normalize()),
                                x.span,
                            )
                            .with_help(format!("write `between {} and {}`", b.normalize(), a.normalize())),
                        );
                    }
                }
                if let TExprKind::Pop(p) = value.kind {
                    for bound in [lo, hi] {
                        share_range(model, p, bound, out);
                    }
                }
                return;
            }
            _ => return,
        };
        let _ = (op, flipped);
        let TExprKind::Pop(p) = pop_side.kind else {
            return;
        };
        share_range(model, p, other, out);
    });
}

pub(super) fn num(e: &TExpr) -> Option<Decimal> {
    match &e.kind {
        TExprKind::Lit(Literal::Int(d) | Literal::Decimal(d)) => Some(*d),
        TExprKind::Unary(UnOp::Neg, a) => num(a).map(|d| -d),
        _ => None,
    }
}

pub(super) fn share_range(model: &Model, pop: PopId, bound: &TExpr, out: &mut Vec<Diagnostic>) {
    let Some(p) = model.pops.get(pop) else { return };
    let Some(v) = num(bound) else { return };
    match p.func {
        PopFunc::TopShare | PopFunc::CumulativeShare if (v < Decimal::ZERO || v > Decimal::ONE) => {
            let pct = percent(v);
            out.push(
                Diagnostic::warning(
                    "share-out-of-range",
                    format!(
                        "`{}` is a share between 0% and 100%, but this compares it with {pct}%",
                        p.func.name()
                    ),
                    bound.span,
                )
                .with_help(
                    if v > Decimal::ONE && v <= Decimal::ONE_HUNDRED && v.fract().is_zero() {
                        format!(
                            "a share of {} percent is written `{}%`",
                            v.normalize(),
                            v.normalize()
                        )
                    } else {
                        "compare the share with a percent between 0% and 100%".to_string()
                    },
                ),
            );
        }
        PopFunc::Rank if (!v.fract().is_zero() || v <= Decimal::ZERO) => {
            let arg = p
                .arg
                .as_ref()
                .map(|a| cells::key(a, model))
                .unwrap_or_default();
            out.push(
                    Diagnostic::warning(
                        "rank-fraction",
                        format!("`rank` counts customers (1 is the largest), so comparing it with {} cannot be meant", v.normalize()),
                        bound.span,
                    )
                    .with_help(format!("for the top share of customers, write `top_share({arg}) <= {}%`", percent(v))),
                );
        }
        _ => {}
    }
}
