//! Grading analysis: the mistakes people who write thresholds all day actually make. Runs on a
//! model without errors and adds warnings and hints; every finding has a stable code, a span and
//! a `help`, and is documented in docs/diagnostics.md.
//!
//! No false positives is the rule: each finding is either proved (unreachable rules, gaps with a
//! witness customer) or a plain fact of the text (unused names, out-of-range shares).

mod bands;
mod cells;
mod exprs;
mod rules;
mod traps;
mod unused;
mod weights;

use self::exprs::{expr_lints, for_each_expr, item_inputs, num};
use self::rules::{items_tested_for_missing, rules, RuleSet};
use self::traps::missing_value_traps;
use self::unused::unused;
use self::weights::score;

use crate::hir::*;
use rubric_syntax::{Decimal, Diagnostic, Span};

pub fn analyze(model: &Model) -> Vec<Diagnostic> {
    let clean = vec![true; model.items.len()];
    let mut out = analyze_items(model, &clean);
    unused(model, &mut out);
    out
}

/// The analysis of the declarations that checked clean in a scheme with errors elsewhere
/// (LANGUAGE.md §8): an error in one declaration does not switch off the warnings of the
/// others. A declaration is analysed when no error lies in it, none of its expressions has an
/// unknown type (a name of a declaration that did not parse, a field whose type is unknown), and
/// every declaration it reads is analysed too. `unused` is left out: a use inside a declaration
/// that did not parse is not known.
pub fn analyze_clean(model: &Model, errors: &[Span]) -> Vec<Diagnostic> {
    let mut clean: Vec<bool> = model
        .items
        .iter()
        .map(|item| {
            let mut typed = true;
            for_each_expr(item, &mut |e, _| {
                crate::visit::walk(e, &mut |x| typed &= x.ty != Ty::Error);
            });
            typed
                && !errors
                    .iter()
                    .any(|s| item.decl_span.start <= s.start && s.start < item.decl_span.end)
        })
        .collect();
    // a declaration that reads one that is not clean is not clean: repeat until nothing changes
    // (at most once per declaration)
    loop {
        let mut changed = false;
        for id in 0..model.items.len() {
            if clean[id]
                && model.items[id]
                    .deps
                    .iter()
                    .any(|d| !clean.get(*d).copied().unwrap_or(false))
            {
                clean[id] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    analyze_items(model, &clean)
}

fn analyze_items(model: &Model, clean: &[bool]) -> Vec<Diagnostic> {
    let is_clean = |id: usize| clean.get(id).copied().unwrap_or(false);
    let mut out = Vec::new();
    for (id, item) in model.items.iter().enumerate() {
        if is_clean(id) {
            for_each_expr(item, &mut |e, _| expr_lints(model, e, &mut out));
        }
    }
    let missing_tested = items_tested_for_missing(model);
    for (id, item) in model.items.iter().enumerate() {
        if !is_clean(id) {
            continue;
        }
        let missing_is_tested = missing_tested.get(id).copied().unwrap_or(false);
        match &item.kind {
            ItemKind::Grade(g) => {
                rules(model, item, missing_is_tested, RuleSet::grade(g), &mut out)
            }
            ItemKind::Points { by, rules: rs } => {
                let set = RuleSet {
                    by: by.as_ref(),
                    rules: rs
                        .iter()
                        .map(|r| (format!("{}", r.value.normalize()), r.cond.as_ref(), r.span))
                        .collect(),
                    is_tags: false,
                    what: "points",
                };
                rules(model, item, missing_is_tested, set, &mut out);
            }
            ItemKind::Score { terms, bonuses } => score(item, terms, bonuses, &mut out),
            ItemKind::Let { .. } => {}
        }
    }
    for p in &model.pops {
        if let Some(a) = &p.arg {
            let mut typed = true;
            crate::visit::walk(a, &mut |x| typed &= x.ty != Ty::Error);
            if typed {
                expr_lints(model, a, &mut out);
            }
        }
    }
    missing_value_traps(model, clean, &mut out);
    out
}

/// `v` as a percent, for messages: `0.125` is `12.5`.
fn percent(v: Decimal) -> String {
    v.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| format!("{v} × 100"), |p| p.normalize().to_string())
}
