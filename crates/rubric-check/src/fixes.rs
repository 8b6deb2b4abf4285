//! Fixes the checker attaches to its diagnostics, where the repair needs more than the
//! diagnostic's own span (see `rubric_syntax::fix`). Each is defined once; the CLI's `--fix` and
//! the language server's quick fixes both read it from the diagnostic.

use crate::hir::{GradeDef, Item, ItemKind, Model};
use rubric_syntax::ast::{Expr, ExprKind, Literal};
use rubric_syntax::date::{Duration, DurationUnit};
use rubric_syntax::{Decimal, Diagnostic, Fix, Span};

/// A duration literal as a whole number of days, when it is one (`30d`, `2w`; never months or
/// years, which have no fixed length).
fn literal_days(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Lit(Literal::Duration(Duration { count, unit })) => match unit {
            DurationUnit::Day => Some(*count),
            DurationUnit::Week => count.checked_mul(7),
            DurationUnit::Month | DurationUnit::Year => None,
        },
        ExprKind::Paren(inner) => literal_days(inner),
        _ => None,
    }
}

fn is_number_literal(e: &Expr) -> bool {
    matches!(
        &e.kind,
        ExprKind::Lit(Literal::Int(_) | Literal::Decimal(_))
    )
}

/// The operator that reads the same after a date is replaced by its age: a later date is a
/// smaller age.
fn flipped(op: &str) -> Option<&'static str> {
    Some(match op {
        ">=" => "<=",
        ">" => "<",
        "<=" => ">=",
        "<" => ">",
        _ => return None,
    })
}

/// `last_visit >= 180` or `last_visit >= 180d` (a date ordered against a number of days):
/// `days_since(last_visit) <= 180`. `days_since(x) <= 180d` (a number of days against a
/// duration): `days_since(x) <= 180`. A help and a fix, or `None` when neither applies.
pub fn date_as_days(op: &str, l: &Expr, r: &Expr, left_is_date: bool) -> Option<(String, Fix)> {
    let (ls, rs) = (l.span(), r.span());
    if left_is_date {
        let days = if is_number_literal(r) {
            None
        } else {
            Some(literal_days(r)?)
        };
        let flip = flipped(op)?;
        let name = match &l.kind {
            ExprKind::Name(n) => n.as_str(),
            _ => "DATE",
        };
        let n = match (&r.kind, days) {
            (_, Some(d)) => d.to_string(),
            (ExprKind::Lit(Literal::Int(n) | Literal::Decimal(n)), None) => n.to_string(),
            _ => "N".to_string(),
        };
        let help = format!(
            "a date is ordered against a date; for its age in days write `days_since({name}) {flip} {n}`"
        );
        // the operator flips: a later date is a smaller age
        let mut fix = Fix::guess(
            format!("compare `days_since({name})`"),
            Span::point(ls.start),
            "days_since(",
        );
        match days {
            Some(d) => fix = fix.with_edit(Span::new(ls.end, rs.end), format!(") {flip} {d}")),
            None => fix = fix.with_edit(Span::new(ls.end, rs.start), format!(") {flip} ")),
        }
        return Some((help, fix));
    }
    let days = literal_days(r)?;
    let counts_days = matches!(&l.kind, ExprKind::Call { func, .. } if func.node == "days_since");
    if !counts_days {
        return None;
    }
    Some((
        format!("`days_since` counts days as a number: write `{days}`"),
        Fix::safe(format!("write `{days}`"), rs, days.to_string()),
    ))
}

/// Weights written as plain numbers that add up to 100 (`60` and `40`) meant percents: the fix
/// adds `%` to each. A percent literal has at least two places (`60%` is 0.60), so weights with
/// fewer places were all written without `%`.
pub fn weights_as_percent(weights: &[(Decimal, Span)]) -> Option<Fix> {
    let mut sum = Decimal::ZERO;
    for (w, _) in weights {
        if w.scale() >= 2 {
            return None;
        }
        sum = sum.checked_add(*w)?;
    }
    if sum != Decimal::ONE_HUNDRED {
        return None;
    }
    let mut edits = weights.iter().map(|(_, s)| (Span::point(s.end), "%"));
    let (first, _) = edits.next()?;
    let fix = Fix::safe("write the weights as percents", first, "%");
    Some(edits.fold(fix, |f, (at, text)| f.with_edit(at, text)))
}

/// The fix that ends a grade with `other otherwise` (a fresh code if `other` is taken), on a line
/// of its own indented as the last rule, or after a `,` when the rules share a line. Used by the
/// `gap` warning and by the language server's "add `otherwise`" action.
pub fn add_otherwise(src: &str, item: &Item) -> Option<Fix> {
    let ItemKind::Grade(g) = &item.kind else {
        return None;
    };
    add_otherwise_to(src, &item.name, g)
}

fn add_otherwise_to(src: &str, item: &str, g: &GradeDef) -> Option<Fix> {
    if g.is_tags || g.has_otherwise() {
        return None;
    }
    let last = g.codes.last()?;
    let mut name = "other".to_string();
    let mut n = 1;
    while g.code_named(&name).is_some() {
        n += 1;
        name = format!("other{n}");
    }
    let before = src.get(..last.rule_span.start)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
    let insert = if line.trim().is_empty() {
        format!("\n{indent}{name} otherwise")
    } else {
        format!(", {name} otherwise")
    };
    Some(Fix::guess(
        format!("add `{name} otherwise` to `{item}`"),
        Span::point(last.rule_span.end),
        insert,
    ))
}

/// Fixes that need the source text, added once the diagnostics are made: `gap` gets
/// [`add_otherwise`].
pub fn complete(src: &str, model: &Model, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut().filter(|d| d.code == "gap") {
        let item = model
            .items
            .iter()
            .find(|i| i.span == d.span || i.decl_span == d.span);
        if let Some(fix) = item.and_then(|i| add_otherwise(src, i)) {
            d.fixes.push(fix);
        }
    }
}
