//! Lints that need the source text as typed, not only the AST: run by
//! [`crate::check_source`].

use rubric_syntax::ast::{DeclKind, File, Literal};
use rubric_syntax::{Decimal, Diagnostic, Fix, Span};

/// An attribute key, the spans of its percent values and its plain numbers, in first-use order.
type KeyValues<'a> = (&'a str, Vec<Span>, Vec<(Decimal, Span)>);

/// `mixed-percent`: the values of one attribute key in a grade mix percents and plain numbers
/// (`discount: 92` next to `discount: 88%`). `92` is 9200%, almost never what was meant. Each
/// plain number is a warning; one between 1 and 100 gets the (unsafe) fix `92%`.
pub fn mixed_percent(src: &str, file: &File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for decl in &file.decls {
        let DeclKind::Grade(g) = &decl.kind else {
            continue;
        };
        let mut keys: Vec<KeyValues<'_>> = Vec::new();
        for rule in &g.rules {
            for attr in &rule.attrs {
                let (Literal::Int(v) | Literal::Decimal(v)) = &attr.value.node else {
                    continue;
                };
                let span = attr.value.span;
                let text = src.get(span.range()).unwrap_or("").trim_end();
                let at = match keys.iter().position(|(k, _, _)| *k == attr.key.node) {
                    Some(i) => i,
                    None => {
                        keys.push((attr.key.node.as_str(), Vec::new(), Vec::new()));
                        keys.len() - 1
                    }
                };
                // (a full-width `％` typed with an input method is a percent too)
                if text.ends_with(['%', '％']) {
                    keys[at].1.push(span);
                } else {
                    keys[at].2.push((*v, span));
                }
            }
        }
        for (key, percents, plains) in keys {
            let Some(first) = percents.first() else {
                continue;
            };
            for (v, span) in plains {
                let shown = v.normalize().to_string();
                let mut d = Diagnostic::warning(
                    "mixed-percent",
                    format!("`{key}` is `{shown}` here and a percent in other rules"),
                    span,
                )
                .with_related(*first, "a percent here");
                if v >= Decimal::ONE && v <= Decimal::ONE_HUNDRED {
                    d = d
                        .with_help(format!("`{shown}` is {shown}00%; write `{shown}%`"))
                        .with_fix(Fix::guess(
                            format!("write `{shown}%`"),
                            Span::point(span.end),
                            "%",
                        ));
                } else {
                    d = d.with_help(format!(
                        "write every `{key}` as a percent (`50%`) or every one as a number"
                    ));
                }
                out.push(d);
            }
        }
    }
    out
}
