//! Grading analysis: the mistakes people who write thresholds all day actually make. Runs on a
//! model without errors and adds warnings and hints; every finding has a stable code, a span and
//! a `help`, and is documented in docs/diagnostics.md.
//!
//! No false positives is the rule: each finding is either proved (unreachable rules, gaps with a
//! witness customer) or a plain fact of the text (unused names, out-of-range shares).

mod bands;
mod cells;

use crate::hir::*;
use cells::{Cells, Ctx, Val};
use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::{Decimal, Diagnostic, Span};
use std::collections::BTreeSet;

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

struct RuleSet<'m> {
    by: Option<&'m TExpr>,
    /// (shown name, condition or `None` for otherwise, rule span)
    rules: Vec<(String, Option<&'m TExpr>, Span)>,
    is_tags: bool,
    what: &'static str,
}

impl<'m> RuleSet<'m> {
    fn grade(g: &'m GradeDef) -> RuleSet<'m> {
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

fn rules(
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
fn items_tested_for_missing(model: &Model) -> Vec<bool> {
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
fn common_conjuncts<'e>(model: &Model, conds: &[&'e TExpr]) -> Vec<&'e TExpr> {
    fn conjuncts<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
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
fn band_holes(
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

fn never_help(c: &TExpr) -> String {
    if let TExprKind::Between { .. } = c.kind {
        "`between a and b` needs a <= b".to_string()
    } else {
        "the parts of this condition contradict each other".to_string()
    }
}

fn join(names: &[&str]) -> String {
    match names {
        [] => "earlier rules".to_string(),
        [one] => format!("rule {one}"),
        _ => format!("rules {}", names.join(", ")),
    }
}

fn score(item: &Item, terms: &[ScoreTerm], bonuses: &[Bonus], out: &mut Vec<Diagnostic>) {
    for t in terms {
        if t.weight.is_zero() {
            out.push(
                Diagnostic::warning(
                    "zero-weight",
                    format!("this term of `{}` has weight 0 and never counts", item.name),
                    t.span,
                )
                .with_help("remove the term, or give it a weight"),
            );
        } else if t.weight.is_sign_negative() {
            out.push(
                Diagnostic::warning(
                    "negative-weight",
                    "a negative weight lowers the score as the value rises",
                    t.span,
                )
                .with_help("weights are shares of the score between 0% and 100%"),
            );
        }
    }
    for b in terms.iter().filter_map(|t| t.bonus.as_ref()).chain(bonuses) {
        if b.factor <= Decimal::ZERO {
            out.push(
                Diagnostic::error(
                    "bad-bonus",
                    format!(
                        "a bonus factor of {} {} the score",
                        b.factor.normalize(),
                        if b.factor.is_zero() {
                            "wipes out"
                        } else {
                            "flips the sign of"
                        }
                    ),
                    b.span,
                )
                .with_help(
                    "a bonus multiplies: use a factor above 1 to raise, e.g. `bonus 1.05 when …`",
                ),
            );
        } else if b.factor == Decimal::ONE {
            out.push(
                Diagnostic::warning("bad-bonus", "a bonus factor of 1 changes nothing", b.span)
                    .with_help("use a factor above 1 to raise the score, e.g. `bonus 1.05 when …`"),
            );
        }
    }
}

/// Calls `f` on every expression in an item (conditions, values, terms), with whether it is a
/// rule condition.
fn for_each_expr<'m>(item: &'m Item, f: &mut impl FnMut(&'m TExpr, bool)) {
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

fn expr_lints(model: &Model, e: &TExpr, out: &mut Vec<Diagnostic>) {
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

fn num(e: &TExpr) -> Option<Decimal> {
    match &e.kind {
        TExprKind::Lit(Literal::Int(d) | Literal::Decimal(d)) => Some(*d),
        TExprKind::Unary(UnOp::Neg, a) => num(a).map(|d| -d),
        _ => None,
    }
}

fn share_range(model: &Model, pop: PopId, bound: &TExpr, out: &mut Vec<Diagnostic>) {
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

/// `not x`, `x != c`, `x not in [...]` or `x < c` over a value that can be missing, with no
/// `??` or `is present` guard: for a missing value the condition is missing, so the rule quietly
/// does not fire, while the text reads as if it would.
fn missing_value_traps(model: &Model, clean: &[bool], out: &mut Vec<Diagnostic>) {
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
fn substitute_subject(e: &TExpr, by: &TExpr) -> TExpr {
    let mut out = e.clone();
    fn go(x: &mut TExpr, by: &TExpr) {
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

fn traps_in(model: &Model, e: &TExpr, guarded: &BTreeSet<String>, out: &mut Vec<Diagnostic>) {
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

fn is_const(e: &TExpr) -> bool {
    matches!(
        e.kind,
        TExprKind::Lit(_) | TExprKind::Code { .. } | TExprKind::Today
    ) || num(e).is_some()
}

/// An optional input field read directly (not through `??`), or a `by` subject that is one.
/// Values that are missing for other reasons (a division by zero, a derived date) are left
/// alone: there a missing value rarely means "none".
fn nullable_leaf(e: &TExpr) -> Option<&TExpr> {
    match &e.kind {
        TExprKind::Field(_) if e.nullable => Some(e),
        _ => None,
    }
}

fn presence_guards(model: &Model, e: &TExpr, g: &mut BTreeSet<String>) {
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

fn missing_guards(model: &Model, e: &TExpr, g: &mut BTreeSet<String>) {
    if let TExprKind::IsMissing {
        expr,
        present: false,
    } = &e.kind
    {
        g.insert(cells::key(expr, model));
    }
}

fn report_trap(
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

/// Unused lets and points (warnings) and input fields (hints).
fn unused(model: &Model, out: &mut Vec<Diagnostic>) {
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

/// `v` as a percent, for messages: `0.125` is `12.5`.
fn percent(v: Decimal) -> String {
    v.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| format!("{v} × 100"), |p| p.normalize().to_string())
}
