//! The rules of a grade, tags or points table as a set: unreachable rules, gaps (`gap`),
//! duplicate conditions, conditions that are never true, holes between bands.

use super::cells::{Cells, Ctx, Val};
use super::exprs::for_each_expr;
use super::{bands, cells};
use crate::hir::*;
use rubric_syntax::{Decimal, Diagnostic, Span};
use std::collections::BTreeSet;

pub(super) struct RuleSet<'m> {
    pub(super) by: Option<&'m TExpr>,
    /// (shown name, condition or `None` for otherwise, rule span)
    pub(super) rules: Vec<(String, Option<&'m TExpr>, Span)>,
    pub(super) is_tags: bool,
    pub(super) what: &'static str,
}

impl<'m> RuleSet<'m> {
    pub(super) fn grade(g: &'m GradeDef) -> RuleSet<'m> {
        RuleSet {
            by: g.by.as_ref(),
            rules: g
                .codes
                .iter()
                .map(|c| (format!("`{}`", c.name), c.cond.as_ref(), c.rule_span))
                .collect(),
            is_tags: g.is_tags,
            what: if g.is_tags { "tags" } else { "grade" },
        }
    }
}

pub(super) fn rules(
    model: &Model,
    item: &Item,
    missing_is_tested: bool,
    set: RuleSet,
    out: &mut Vec<Diagnostic>,
) {
    let name = &item.name;
    bands::overlapping(name, &set, out);
    // Rules after `otherwise` never run (tags aside: there `otherwise` means "no other tag").
    if !set.is_tags {
        if let Some(pos) = set.rules.iter().position(|r| r.1.is_none()) {
            for r in &set.rules[pos + 1..] {
                out.push(
                    Diagnostic::warning(
                        "unreachable-rule",
                        format!("rule {} comes after `otherwise` and never fires", r.0),
                        r.2,
                    )
                    .with_related(set.rules[pos].2, "`otherwise` catches every customer left")
                    .with_help("move `otherwise` to the end"),
                );
            }
        }
    }
    // Duplicate conditions.
    let mut seen: std::collections::HashMap<String, (Span, &str)> =
        std::collections::HashMap::new();
    for r in &set.rules {
        let Some(c) = r.1 else { continue };
        let k = cells::key(c, model);
        if let Some((first, fname)) = seen.get(&k) {
            out.push(
                Diagnostic::warning(
                    "duplicate-condition",
                    format!("rule {} has the same condition as rule {fname}", r.0),
                    c.span,
                )
                .with_related(*first, "the same condition")
                .with_help(if set.is_tags {
                    "merge the two tags or change one condition".to_string()
                } else {
                    format!(
                        "the first rule always wins, so {} never fires; change or remove it",
                        r.0
                    )
                }),
            );
        } else {
            seen.insert(k, (c.span, &r.0));
        }
    }
    let dup_spans: BTreeSet<usize> = out
        .iter()
        .filter(|d| d.code == "duplicate-condition")
        .map(|d| d.span.start)
        .collect();

    let ctx = Ctx {
        model,
        as_of: model.as_of,
        subject: set.by,
    };
    let conds: Vec<&TExpr> = set.rules.iter().filter_map(|r| r.1).collect();
    if conds.is_empty() {
        return;
    }
    let Some(cells) = cells::build(&conds, &ctx) else {
        return;
    };
    let upto = set
        .rules
        .iter()
        .position(|r| r.1.is_none())
        .unwrap_or(set.rules.len());
    let fire = |k: usize, cell: &[Val]| match set.rules[k].1 {
        Some(c) => cells::eval(c, &cells, cell, &ctx) == Val::Bool(true),
        None => true,
    };
    // First pass, cheap: which rule fires first in each cell.
    let first: Vec<Option<usize>> = cells
        .cells
        .iter()
        .map(|cell| (0..set.rules.len()).find(|k| fire(*k, cell)))
        .collect();
    let all_reachable = (0..upto).all(|k| first.contains(&Some(k)));
    // Every rule's outcome in every cell, only when some rule needs explaining.
    let fires: Vec<Vec<bool>> = if all_reachable && !set.is_tags {
        first
            .iter()
            .map(|f| (0..set.rules.len()).map(|k| Some(k) == *f).collect())
            .collect()
    } else {
        cells
            .cells
            .iter()
            .map(|cell| (0..set.rules.len()).map(|k| fire(k, cell)).collect())
            .collect()
    };
    let upto = set
        .rules
        .iter()
        .position(|r| r.1.is_none())
        .unwrap_or(set.rules.len());
    for (k, r) in set.rules.iter().enumerate().take(upto) {
        let Some(c) = r.1 else { continue };
        if dup_spans.contains(&c.span.start) {
            continue;
        }
        let ever = fires.iter().any(|f| f[k]);
        let explained = out.iter().any(|d| {
            d.code == "empty-between" && c.span.start <= d.span.start && d.span.end <= c.span.end
        });
        if !ever && !explained {
            out.push(
                Diagnostic::warning(
                    "never-true",
                    format!("the condition of rule {} can never be true", r.0),
                    c.span,
                )
                .with_help(never_help(c)),
            );
            continue;
        }
        if !ever || set.is_tags {
            continue;
        }
        let first_alone = fires.iter().any(|f| f[k] && !f[..k].iter().any(|x| *x));
        if !first_alone {
            // Which earlier rules take its customers?
            let earlier: Vec<usize> = (0..k)
                .filter(|j| {
                    fires
                        .iter()
                        .any(|f| f[k] && f[*j] && !f[..*j].iter().any(|x| *x))
                })
                .collect();
            let names: Vec<&str> = earlier.iter().map(|j| set.rules[*j].0.as_str()).collect();
            let mut d = Diagnostic::warning(
                "unreachable-rule",
                format!("rule {} can never fire: every customer it matches is taken by {} before it", r.0, join(&names)),
                c.span,
            )
            .with_help(if set.by.is_some() {
                "bands are tried top to bottom: put the stricter band first".to_string()
            } else {
                "rules are tried top to bottom: move this rule above the broader one, or narrow the earlier condition".to_string()
            });
            for j in earlier {
                d = d.with_related(set.rules[j].2, format!("{} matches first", set.rules[j].0));
            }
            out.push(d);
        }
    }
    // Gaps: customers no rule gives a value.
    // Points may be left missing on purpose (no points, so no score); grades are where a
    // customer silently without a code is a mistake.
    // Two ways an author says "missing is meant here", both common in decision trees: another
    // declaration tests `name is missing` / `is present`, or every rule shares a gate (`and`-ed
    // into each condition, like `end_user == commercial`), so customers outside the gate are
    // meant to have no code. Then only customers inside the gate can be a gap.
    let gates = common_conjuncts(model, &conds);
    if !set.is_tags
        && set.what == "grade"
        && upto == set.rules.len()
        && cells.exact
        && !missing_is_tested
    {
        let in_gate = |cell: &[Val]| {
            gates
                .iter()
                .all(|g| cells::eval(g, &cells, cell, &ctx) == Val::Bool(true))
        };
        let gap = |allow_missing: bool| {
            cells.cells.iter().zip(&fires).find(|(cell, f)| {
                !f.iter().any(|x| *x)
                    && (allow_missing || !cell.contains(&Val::Missing))
                    && in_gate(cell)
            })
        };
        if let Some((cell, _)) = gap(false).or_else(|| gap(true)) {
            let who = cells::describe(&cells, cell, &ctx);
            let value = if set.what == "points" {
                "no points"
            } else {
                "no code"
            };
            out.push(
                Diagnostic::warning("gap", format!("some customers get {value} from `{name}`"), item.span)
                    .with_label(format!("a customer with {who} gets {value}"))
                    .with_help(format!(
                        "a customer with {who} matches no rule, so `{name}` is missing for them; add `otherwise` or cover that case"
                    )),
            );
        }
    } else if !set.is_tags && set.by.is_some() && cells.exact && upto < set.rules.len() {
        band_holes(&set, upto, &cells, &fires, &ctx, out);
    }
}

/// For every item, whether some declaration tests `item is missing` or `item is present`; one
/// walk over the model.
pub(super) fn items_tested_for_missing(model: &Model) -> Vec<bool> {
    let mut tested = vec![false; model.items.len()];
    for it in &model.items {
        for_each_expr(it, &mut |e, _| {
            crate::visit::walk(e, &mut |x| {
                if let TExprKind::IsMissing { expr, .. } = &x.kind {
                    if let TExprKind::Item(i) = expr.kind {
                        if let Some(t) = tested.get_mut(i) {
                            *t = true;
                        }
                    }
                }
            });
        });
    }
    tested
}

/// The conjuncts (`a and b and c` → a, b, c) that every condition shares.
pub(super) fn common_conjuncts<'e>(model: &Model, conds: &[&'e TExpr]) -> Vec<&'e TExpr> {
    pub(super) fn conjuncts<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
        match &e.kind {
            TExprKind::And(a, b) => {
                conjuncts(a, out);
                conjuncts(b, out);
            }
            _ => out.push(e),
        }
    }
    let mut iter = conds.iter();
    let Some(first) = iter.next() else {
        return Vec::new();
    };
    let mut common = Vec::new();
    conjuncts(first, &mut common);
    if conds.len() < 2 {
        return Vec::new();
    }
    for c in iter {
        let mut mine = Vec::new();
        conjuncts(c, &mut mine);
        let keys: Vec<String> = mine.iter().map(|m| cells::key(m, model)).collect();
        common.retain(|x| keys.contains(&cells::key(x, model)));
    }
    common
}

/// In a `by` table with `otherwise`: values between two bands that drop to `otherwise`.
pub(super) fn band_holes(
    set: &RuleSet,
    upto: usize,
    cells: &Cells,
    fires: &[Vec<bool>],
    ctx: &Ctx,
    out: &mut Vec<Diagnostic>,
) {
    if cells.vars.len() != 1 || cells.vars[0].key != "subject" {
        return;
    }
    let value = |cell: &[Val]| match &cell[0] {
        Val::Num(d) => Some(*d),
        Val::Date(d) => Some(Decimal::from(d.0)),
        _ => None,
    };
    let covered: Vec<Decimal> = cells
        .cells
        .iter()
        .zip(fires)
        .filter(|(_, f)| f[..upto].iter().any(|x| *x))
        .filter_map(|(c, _)| value(c))
        .collect();
    let (Some(lo), Some(hi)) = (covered.iter().min(), covered.iter().max()) else {
        return;
    };
    for (cell, f) in cells.cells.iter().zip(fires) {
        if f[..upto].iter().any(|x| *x) {
            continue;
        }
        let Some(v) = value(cell) else { continue };
        if v > *lo && v < *hi {
            let who = cells::describe(cells, cell, ctx);
            let other = &set.rules[upto].0;
            out.push(
                Diagnostic::warning(
                    "band-hole",
                    format!("the bands leave a hole: {who} falls through to {other}"),
                    set.rules[upto].2,
                )
                .with_help("make the bands meet, e.g. `between 60 and 84` next to `>= 85`"),
            );
            return;
        }
    }
}

pub(super) fn never_help(c: &TExpr) -> String {
    if let TExprKind::Between { .. } = c.kind {
        "`between a and b` needs a <= b".to_string()
    } else {
        "the parts of this condition contradict each other".to_string()
    }
}

pub(super) fn join(names: &[&str]) -> String {
    match names {
        [] => "earlier rules".to_string(),
        [one] => format!("rule {one}"),
        _ => format!("rules {}", names.join(", ")),
    }
}
