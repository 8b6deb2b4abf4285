//! Hover: the type, the doc comment, the column header and the label; for a grade its rules; for
//! a function its meaning and SQL equivalent.

use crate::analysis::Analysis;
use crate::functions;
use rubric_check::hir::{ItemKind, Model, Symbol, Ty};
use rubric_syntax::ast::Literal;
use tower_lsp_server::lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

pub fn hover(a: &Analysis, offset: usize) -> Option<Hover> {
    let r = a.reference_at(offset)?;
    let text = markdown(a, r.symbol)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(a.index.range(&a.text, r.span)),
    })
}

/// The type as a user writes or reads it: `decimal?`, `grade tier`.
pub fn type_name(model: &Model, ty: &Ty, nullable: bool) -> String {
    let base = match ty {
        Ty::Grade(g) => format!(
            "code of {}",
            model.items.get(*g).map_or("?", |i| i.name.as_str())
        ),
        Ty::Tags(g) => format!(
            "tags of {}",
            model.items.get(*g).map_or("?", |i| i.name.as_str())
        ),
        Ty::List(t) => format!("list of {}", type_name(model, t, false)),
        other => other.describe(model),
    };
    if nullable {
        format!("{base}?")
    } else {
        base
    }
}

pub fn markdown(a: &Analysis, symbol: Symbol) -> Option<String> {
    let m = &a.model;
    let mut out = String::new();
    match symbol {
        Symbol::Field(id) => {
            let f = m.fields.get(id)?;
            let key = if f.is_key { " key" } else { "" };
            out.push_str(&format!(
                "```rubric\n(field) {}: {}{key}\n```",
                f.name,
                type_name(m, &f.ty, f.optional)
            ));
            out.push_str(&format!("\n\ncolumn `{}`", f.column));
            if let Some(doc) = &f.doc {
                out.push_str(&format!("\n\n{}", doc.trim()));
            }
        }
        Symbol::Item(id) => {
            let item = m.items.get(id)?;
            let label = item
                .label
                .as_deref()
                .map(|l| format!(" \"{l}\""))
                .unwrap_or_default();
            match &item.kind {
                ItemKind::Grade(g) => {
                    out.push_str(&format!(
                        "```rubric\n{} {}{label}\n",
                        item.keyword(),
                        item.name
                    ));
                    for c in &g.codes {
                        out.push_str(&format!("  {}\n", one_line(a.slice(c.rule_span))));
                    }
                    out.push_str("```");
                    if !g.has_otherwise() && !g.is_tags {
                        out.push_str("\n\nno `otherwise`: a customer no rule matches has no code");
                    }
                }
                _ => {
                    out.push_str(&format!(
                        "```rubric\n({}) {}: {}\n```",
                        item.keyword(),
                        item.name,
                        type_name(m, &item.ty, item.nullable)
                    ));
                    if let Some(l) = &item.label {
                        out.push_str(&format!("\n\n{l}"));
                    }
                }
            }
            if let Some(doc) = &item.doc {
                out.push_str(&format!("\n\n{}", doc.trim()));
            }
        }
        Symbol::Code { grade, code } => {
            let item = m.items.get(grade)?;
            let g = m.grade(grade)?;
            let c = g.codes.get(code)?;
            // the rule's text carries the label
            out.push_str(&format!(
                "```rubric\n(code of {}) {}\n```",
                item.name,
                one_line(a.slice(c.rule_span))
            ));
            if let Some(doc) = &c.doc {
                out.push_str(&format!("\n\n{}", doc.trim()));
            }
        }
        Symbol::Attr { grade, attr } => {
            let item = m.items.get(grade)?;
            let g = m.grade(grade)?;
            let (key, ty) = g.attr_keys.get(attr)?;
            out.push_str(&format!(
                "```rubric\n(attribute) {}.{key}: {}\n```\n",
                item.name,
                type_name(m, ty, false)
            ));
            for c in &g.codes {
                if let Some(v) = c.attrs.get(attr) {
                    out.push_str(&format!("\n- `{}`: {}", c.name, literal(v)));
                }
            }
        }
        Symbol::Builtin(b) => out.push_str(&functions::markdown(&functions::builtin(b), false)),
        Symbol::Pop(p) => out.push_str(&functions::markdown(&functions::pop(p), true)),
        Symbol::Events(id) => {
            let e = m.events.get(id)?;
            let label = e
                .label
                .as_deref()
                .map(|l| format!(" \"{l}\""))
                .unwrap_or_default();
            let key = e
                .key
                .and_then(|k| m.fields.get(k))
                .map_or("?", |k| k.name.as_str());
            out.push_str(&format!("```rubric\n(events) {}{label} by {key}\n", e.name));
            for f in &e.fields {
                out.push_str(&format!(
                    "  {} {}\n",
                    f.name,
                    type_name(m, &f.ty, f.optional)
                ));
            }
            out.push_str(
                "```\n\nmany rows per customer: read them with aggregates such as `count(",
            );
            out.push_str(&e.name);
            out.push_str(")`");
            if let Some(doc) = &e.doc {
                out.push_str(&format!("\n\n{}", doc.trim()));
            }
        }
        Symbol::EventField { events, field } => {
            let e = m.events.get(events)?;
            let f = e.fields.get(field)?;
            out.push_str(&format!(
                "```rubric\n(event field) {}.{}: {}\n```\n\ncolumn `{}`, one value per event: read it inside an aggregate",
                e.name,
                f.name,
                type_name(m, &f.ty, f.optional),
                f.column
            ));
            if let Some(doc) = &f.doc {
                out.push_str(&format!("\n\n{}", doc.trim()));
            }
        }
        Symbol::Agg(f) => out.push_str(&functions::markdown(&functions::agg(f), false)),
    }
    Some(out)
}

/// Source text with its whitespace runs collapsed to one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn literal(l: &Literal) -> String {
    match l {
        Literal::Int(d) | Literal::Decimal(d) => d.normalize().to_string(),
        Literal::Text(t) => format!("{t:?}"),
        Literal::Bool(b) => b.to_string(),
        Literal::Date(d) => d.to_string(),
        Literal::Duration(d) => d.to_string(),
    }
}
