//! Code actions:
//! - every fix a diagnostic carries (`Diagnostic::fixes`: full-width input, thousands
//!   separators, units, did-you-mean, `=` for `==`, a date compared with days, weights as
//!   percents, `gap` → `other otherwise`), the same data `rubric check --fix` applies;
//! - add an `otherwise` to a grade that has none (the cursor anywhere in the grade), the `gap`
//!   fix's own definition (`rubric_check::fixes::add_otherwise`);
//! - guard a missing-value trap (diagnostic `missing-value-trap` on a condition that is missing
//!   when an optional field is): replace the field with the help's `(x ?? 0)`, or make the
//!   condition `(x is present and …)`.

use crate::analysis::Analysis;
use rubric_check::hir::{ItemKind, Symbol};
use rubric_syntax::{Diagnostic, Span};

/// A code action before it becomes LSP: a title, the edits, and the diagnostic it fixes.
#[derive(Debug)]
pub struct Action<'a> {
    pub title: String,
    pub edits: Vec<(Span, String)>,
    pub fixes: Option<&'a Diagnostic>,
    pub preferred: bool,
}

pub fn actions(a: &Analysis, range: Span) -> Vec<Action<'_>> {
    let mut out: Vec<Action<'_>> = Vec::new();
    for d in &a.diagnostics {
        if !(d.span.start <= range.end && range.start <= d.span.end) {
            continue;
        }
        for (i, fix) in d.fixes.iter().enumerate() {
            out.push(Action {
                title: fix.message.clone(),
                edits: fix
                    .edits
                    .iter()
                    .map(|e| (e.span, e.replacement.clone()))
                    .collect(),
                fixes: Some(d),
                // the first fix of a diagnostic is its repair; later ones are alternatives
                preferred: i == 0,
            });
        }
        if d.code == "missing-value-trap" {
            missing_value(a, d, &mut out);
        }
    }
    add_otherwise(a, range, &mut out);
    out
}

fn add_otherwise<'a>(a: &'a Analysis, range: Span, out: &mut Vec<Action<'a>>) {
    for item in &a.model.items {
        if !item.decl_span.contains(range.start) {
            continue;
        }
        let Some(fix) = rubric_check::fixes::add_otherwise(&a.text, item) else {
            continue;
        };
        let edits: Vec<(Span, String)> = fix
            .edits
            .iter()
            .map(|e| (e.span, e.replacement.clone()))
            .collect();
        // already offered as the fix of a `gap` warning
        if out.iter().any(|o| o.edits == edits) {
            continue;
        }
        out.push(Action {
            title: fix.message,
            edits,
            fixes: None,
            preferred: false,
        });
    }
}

fn missing_value<'a>(a: &'a Analysis, d: &'a Diagnostic, out: &mut Vec<Action<'a>>) {
    // message: "when `X` is missing …"; help: "… `(X ?? D)`, or test `X is missing` first"
    let Some(name) = between(&d.message, "when `", "` is missing") else {
        return;
    };
    let guarded = d
        .help
        .as_deref()
        .and_then(|h| between(h, ": `", "`, or"))
        .filter(|g| g.starts_with('('));
    // the value: an occurrence of the field inside the condition, else in the `by` subject of
    // the declaration that holds the condition
    let field = a.model.field_named(name);
    let occurrence = |within: Span| {
        a.model
            .refs
            .iter()
            .filter(|r| !r.is_definition && Some(r.symbol) == field.map(Symbol::Field))
            .map(|r| r.span)
            .filter(|s| within.start <= s.start && s.end <= within.end)
            .min_by_key(|s| s.start)
    };
    let by_subject = || {
        a.model
            .items
            .iter()
            .find(|i| i.decl_span.start <= d.span.start && d.span.end <= i.decl_span.end)
            .and_then(|i| match &i.kind {
                ItemKind::Points { by: Some(b), .. } => Some(b.span),
                ItemKind::Grade(g) => g.by.as_ref().map(|b| b.span),
                _ => None,
            })
    };
    let value = occurrence(d.span).or_else(|| by_subject().and_then(occurrence));
    if let (Some(value), Some(guarded)) = (value, guarded) {
        out.push(Action {
            title: format!("replace `{name}` with `{guarded}`"),
            edits: vec![(value, guarded.to_string())],
            fixes: Some(d),
            preferred: false,
        });
    }
    let cond = a.slice(d.span).trim_start();
    let operator_first = cond.starts_with(['<', '>', '=', '!'])
        || ["in ", "not in ", "between ", "is ", "within "]
            .iter()
            .any(|k| cond.starts_with(k));
    if !operator_first && !cond.is_empty() {
        out.push(Action {
            title: format!("fire only when `{name}` is present"),
            edits: vec![
                (
                    Span::point(d.span.start),
                    format!("({name} is present and "),
                ),
                (Span::point(d.span.end), ")".to_string()),
            ],
            fixes: Some(d),
            preferred: false,
        });
    }
}

/// The text between the first `open` and the next `close` after it.
fn between<'s>(s: &'s str, open: &str, close: &str) -> Option<&'s str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some(&s[start..start + len])
}
