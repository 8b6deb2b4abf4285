//! Code actions:
//! - apply a "did you mean": a diagnostic whose help reads ``did you mean `X`?`` replaces its span
//!   with `X`;
//! - add an `otherwise` to a grade that has none (the cursor anywhere in the grade);
//! - guard a missing-value trap (diagnostic code `missing-value-trap`, whose span is the value
//!   that can be missing): `VALUE ?? 0`, or `VALUE is present and …` before the rule's condition.

use crate::analysis::Analysis;
use rubric_check::hir::{ItemKind, TExpr};
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
    let mut out = Vec::new();
    for d in &a.diagnostics {
        if !(d.span.start <= range.end && range.start <= d.span.end) {
            continue;
        }
        if let Some(x) = d.help.as_deref().and_then(suggestion) {
            out.push(Action {
                title: format!("replace with `{x}`"),
                edits: vec![(d.span, x.to_string())],
                fixes: Some(d),
                preferred: true,
            });
        }
        if d.code == "missing-value-trap" {
            missing_value(a, d, &mut out);
        }
    }
    add_otherwise(a, range, &mut out);
    out
}

/// `X` from ``did you mean `X`?``.
pub fn suggestion(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    let x = rest.strip_suffix("`?")?;
    (!x.is_empty() && !x.contains('`')).then_some(x)
}

fn add_otherwise<'a>(a: &'a Analysis, range: Span, out: &mut Vec<Action<'a>>) {
    for item in &a.model.items {
        let ItemKind::Grade(g) = &item.kind else {
            continue;
        };
        if g.is_tags || g.has_otherwise() || !item.decl_span.contains(range.start) {
            continue;
        }
        let Some(last) = g.codes.last() else { continue };
        let mut name = "other".to_string();
        let mut n = 1;
        while g.code_named(&name).is_some() {
            n += 1;
            name = format!("other{n}");
        }
        let line_start = a.text[..last.rule_span.start]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let indent: String = a.text[line_start..last.rule_span.start]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let same_line = a.text[line_start..last.rule_span.start].trim().len() > 0;
        let insert = if same_line {
            format!(", {name} otherwise")
        } else {
            format!("\n{indent}{name} otherwise")
        };
        out.push(Action {
            title: format!("add `{name} otherwise` to `{}`", item.name),
            edits: vec![(Span::point(last.rule_span.end), insert)],
            fixes: None,
            preferred: false,
        });
    }
}

fn missing_value<'a>(a: &'a Analysis, d: &'a Diagnostic, out: &mut Vec<Action<'a>>) {
    let value = a.slice(d.span);
    if value.is_empty() {
        return;
    }
    let simple = value
        .chars()
        .all(|c| c == '_' || c == '.' || c.is_alphanumeric());
    let guarded = if simple {
        format!("{value} ?? 0")
    } else {
        format!("({value}) ?? 0")
    };
    out.push(Action {
        title: format!("use 0 when `{value}` is missing"),
        edits: vec![(d.span, guarded)],
        fixes: Some(d),
        preferred: false,
    });
    if let Some(cond) = enclosing_condition(a, d.span) {
        let text = a.slice(cond.span);
        let needs_parens = text.contains(" or ");
        let mut edits = vec![(
            Span::point(cond.span.start),
            format!(
                "{value} is present and {}",
                if needs_parens { "(" } else { "" }
            ),
        )];
        if needs_parens {
            edits.push((Span::point(cond.span.end), ")".to_string()));
        }
        out.push(Action {
            title: format!("require `{value}` to be present"),
            edits,
            fixes: Some(d),
            preferred: false,
        });
    }
}

/// The condition of the rule (grade, tags or points) that holds `span`, when it is a full boolean
/// expression (not an operator-first condition of a `by` block).
fn enclosing_condition(a: &Analysis, span: Span) -> Option<&TExpr> {
    let within =
        |c: &&TExpr| c.span.start <= span.start && span.end <= c.span.end && !c.span.is_empty();
    let starts_with_subject = |c: &TExpr| {
        a.slice(c.span)
            .trim_start()
            .starts_with(['<', '>', '=', '!'])
            || a.slice(c.span).trim_start().starts_with("in ")
            || a.slice(c.span).trim_start().starts_with("between ")
            || a.slice(c.span).trim_start().starts_with("is ")
            || a.slice(c.span).trim_start().starts_with("within ")
            || a.slice(c.span).trim_start().starts_with("not in ")
    };
    for item in &a.model.items {
        let conds: Vec<&TExpr> = match &item.kind {
            ItemKind::Grade(g) => g.codes.iter().filter_map(|c| c.cond.as_ref()).collect(),
            ItemKind::Points { rules, .. } => {
                rules.iter().filter_map(|r| r.cond.as_ref()).collect()
            }
            _ => Vec::new(),
        };
        if let Some(c) = conds.into_iter().find(within) {
            return (!starts_with_subject(c)).then_some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::suggestion;

    #[test]
    fn did_you_mean() {
        assert_eq!(suggestion("did you mean `revenue`?"), Some("revenue"));
        assert_eq!(suggestion("did you mean `营业额`?"), Some("营业额"));
        assert_eq!(suggestion("add a `by` subject"), None);
    }
}
