//! Fields and items that nothing reads (`unused`, `unused-field`).

use super::exprs::for_each_expr;
use crate::hir::*;
use rubric_syntax::Diagnostic;

/// Unused lets and points (warnings) and input fields (hints).
pub(super) fn unused(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut used_items = vec![false; model.items.len()];
    let mut used_fields = vec![false; model.fields.len()];
    let mut mark = |e: &TExpr| {
        crate::visit::walk(e, &mut |x| match &x.kind {
            TExprKind::Item(i) => {
                if let Some(u) = used_items.get_mut(*i) {
                    *u = true;
                }
            }
            TExprKind::Field(f) => {
                if let Some(u) = used_fields.get_mut(*f) {
                    *u = true;
                }
            }
            _ => {}
        });
    };
    for item in &model.items {
        for_each_expr(item, &mut |e, _| mark(e));
    }
    for p in &model.pops {
        if let Some(a) = &p.arg {
            mark(a);
        }
        if let Some(w) = &p.within {
            mark(w);
        }
    }
    // A value a test pins is in use: the author checks it (and sees it in `run --all`).
    for t in &model.tests {
        for e in &t.expects {
            mark(&e.expr);
        }
    }
    for (i, item) in model.items.iter().enumerate() {
        if used_items[i] || item.is_output() {
            continue;
        }
        out.push(
            Diagnostic::warning(
                "unused",
                format!("`{}` is never used", item.name),
                item.span,
            )
            .with_help(format!(
                "use it in a score, grade or tags, or remove the `{}`",
                item.keyword()
            )),
        );
    }
    for (i, f) in model.fields.iter().enumerate() {
        if used_fields[i] || f.is_key {
            continue;
        }
        out.push(
            Diagnostic::hint(
                "unused-field",
                format!("input field `{}` is never used", f.name),
                f.span,
            )
            .with_help(
                "fine if the data carries it anyway; remove it to stop requiring the column",
            ),
        );
    }
}
