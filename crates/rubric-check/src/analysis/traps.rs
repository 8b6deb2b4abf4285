//! Missing-value traps: a condition that reads a value which may be missing without a guard,
//! where SQL's three-valued logic would quietly decide.

use super::cells;
use super::exprs::{for_each_expr, num};
use crate::hir::*;
use rubric_syntax::ast::UnOp;
use rubric_syntax::Diagnostic;
use std::collections::BTreeSet;

/// `not x`, `x != c`, `x not in [...]` or `x < c` over a value that can be missing, with no
/// `??` or `is present` guard: for a missing value the condition is missing, so the rule quietly
/// does not fire, while the text reads as if it would.
pub(super) fn missing_value_traps(model: &Model, clean: &[bool], out: &mut Vec<Diagnostic>) {
    for (id, item) in model.items.iter().enumerate() {
        if !clean.get(id).copied().unwrap_or(false) {
            continue;
        }
        // A rule set that tests `x is missing` / `x is present` anywhere has thought about a
        // missing `x`: its other rules are not traps.
        let mut handled = BTreeSet::new();
        for_each_expr(item, &mut |e, is_cond| {
            if is_cond {
                crate::visit::walk(e, &mut |x| {
                    if let TExprKind::IsMissing { expr, .. } = &x.kind {
                        handled.insert(cells::key(expr, model));
                    }
                });
            }
        });
        let by = match &item.kind {
            ItemKind::Grade(g) => g.by.as_ref(),
            ItemKind::Points { by, .. } => by.as_ref(),
            _ => None,
        };
        for_each_expr(item, &mut |e, is_cond| {
            if is_cond {
                match by {
                    Some(b) => traps_in(model, &substitute_subject(e, b), &handled, out),
                    None => traps_in(model, e, &handled, out),
                }
            }
        });
    }
}

/// `e` with the `by` subject replaced by the `by` expression (spans of `e` kept).
pub(super) fn substitute_subject(e: &TExpr, by: &TExpr) -> TExpr {
    let mut out = e.clone();
    pub(super) fn go(x: &mut TExpr, by: &TExpr) {
        if matches!(x.kind, TExprKind::Subject) {
            let span = x.span;
            *x = by.clone();
            x.span = span;
            return;
        }
        match &mut x.kind {
            TExprKind::Unary(_, a)
            | TExprKind::IsMissing { expr: a, .. }
            | TExprKind::Has { tags: a, .. } => go(a, by),
            TExprKind::Arith(_, a, b)
            | TExprKind::Cmp(_, a, b)
            | TExprKind::And(a, b)
            | TExprKind::Or(a, b)
            | TExprKind::Coalesce(a, b)
            | TExprKind::In {
                value: a, list: b, ..
            }
            | TExprKind::Within {
                date: a,
                duration: b,
            }
            | TExprKind::WithinNext {
                date: a,
                duration: b,
            } => {
                go(a, by);
                go(b, by);
            }
            TExprKind::Between { value, lo, hi } => {
                go(value, by);
                go(lo, by);
                go(hi, by);
            }
            _ => {}
        }
    }
    go(&mut out, by);
    out
}

pub(super) fn traps_in(
    model: &Model,
    e: &TExpr,
    guarded: &BTreeSet<String>,
    out: &mut Vec<Diagnostic>,
) {
    match &e.kind {
        TExprKind::And(a, b) => {
            let mut g = guarded.clone();
            for side in [a, b] {
                presence_guards(model, side, &mut g);
            }
            traps_in(model, a, &g, out);
            traps_in(model, b, &g, out);
        }
        TExprKind::Or(a, b) => {
            let mut g = guarded.clone();
            // `x is missing or x < 10` guards the right side
            for side in [a, b] {
                missing_guards(model, side, &mut g);
            }
            traps_in(model, a, &g, out);
            traps_in(model, b, &g, out);
        }
        TExprKind::Unary(UnOp::Not, a) => {
            if let Some(v) = nullable_leaf(a) {
                report_trap(
                    model,
                    e,
                    v,
                    "`not` of a missing value is missing",
                    guarded,
                    out,
                );
            } else {
                traps_in(model, a, guarded, out);
            }
        }
        TExprKind::Cmp(CmpOp::Ne | CmpOp::Lt | CmpOp::Le, l, r) => {
            if let Some(v) = nullable_leaf(l).filter(|_| is_const(r)) {
                report_trap(
                    model,
                    e,
                    v,
                    "a comparison with a missing value is missing",
                    guarded,
                    out,
                );
            }
        }
        TExprKind::In {
            value,
            negated: true,
            ..
        } => {
            if let Some(v) = nullable_leaf(value) {
                report_trap(
                    model,
                    e,
                    v,
                    "`not in` with a missing value is missing",
                    guarded,
                    out,
                );
            }
        }
        _ => {}
    }
}

pub(super) fn is_const(e: &TExpr) -> bool {
    matches!(
        e.kind,
        TExprKind::Lit(_) | TExprKind::Code { .. } | TExprKind::Today | TExprKind::Missing
    ) || num(e).is_some()
}

/// An optional input field read directly (not through `??`), or a `by` subject that is one.
/// Values that are missing for other reasons (a division by zero, a derived date) are left
/// alone: there a missing value rarely means "none".
pub(super) fn nullable_leaf(e: &TExpr) -> Option<&TExpr> {
    match &e.kind {
        TExprKind::Field(_) if e.nullable => Some(e),
        _ => None,
    }
}

pub(super) fn presence_guards(model: &Model, e: &TExpr, g: &mut BTreeSet<String>) {
    match &e.kind {
        TExprKind::IsMissing {
            expr,
            present: true,
        } => {
            g.insert(cells::key(expr, model));
        }
        TExprKind::And(a, b) => {
            presence_guards(model, a, g);
            presence_guards(model, b, g);
        }
        _ => {}
    }
}

pub(super) fn missing_guards(model: &Model, e: &TExpr, g: &mut BTreeSet<String>) {
    if let TExprKind::IsMissing {
        expr,
        present: false,
    } = &e.kind
    {
        g.insert(cells::key(expr, model));
    }
}

pub(super) fn report_trap(
    model: &Model,
    e: &TExpr,
    v: &TExpr,
    why: &str,
    guarded: &BTreeSet<String>,
    out: &mut Vec<Diagnostic>,
) {
    let k = cells::key(v, model);
    if guarded.contains(&k) {
        return;
    }
    let name = match &v.kind {
        TExprKind::Field(f) => model.fields.get(*f).map(|f| f.name.clone()),
        TExprKind::Item(i) => model.items.get(*i).map(|i| i.name.clone()),
        _ => None,
    }
    .unwrap_or_else(|| "the value".to_string());
    let default = match v.ty {
        Ty::Bool => "false",
        Ty::Text => "\"\"",
        _ => "0",
    };
    out.push(
        Diagnostic::warning(
            "missing-value-trap",
            format!("when `{name}` is missing this condition is missing too, so the rule silently does not fire"),
            e.span,
        )
        .with_label(why.to_string())
        .with_help(format!("say what a missing `{name}` means: `({name} ?? {default})`, or test `{name} is missing` first")),
    );
}
