//! Document symbols: the outline of a scheme.

use crate::analysis::Analysis;
use rubric_syntax::ast::DeclKind;
use rubric_syntax::Span;
use tower_lsp_server::lsp_types::{DocumentSymbol, SymbolKind};

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written even though it is deprecated
fn symbol(
    a: &Analysis,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Span,
    selection: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        name: if name.is_empty() {
            "?".to_string()
        } else {
            name
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: a.index.range(&a.text, range),
        selection_range: a.index.range(&a.text, selection),
        children: if children.is_empty() {
            None
        } else {
            Some(children)
        },
    }
}

pub fn symbols(a: &Analysis) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for d in &a.file.decls {
        let span = d.span();
        let s = match &d.kind {
            DeclKind::Scheme(n) => symbol(
                a,
                n.node.clone(),
                Some("scheme".into()),
                SymbolKind::FILE,
                span,
                n.span,
                vec![],
            ),
            DeclKind::AsOf(date) => symbol(
                a,
                format!("as_of {}", date.node),
                None,
                SymbolKind::CONSTANT,
                span,
                date.span,
                vec![],
            ),
            DeclKind::Input(input) => {
                let fields = input
                    .fields
                    .iter()
                    .map(|f| {
                        let opt = if f.optional { "?" } else { "" };
                        let key = if f.key.is_some() { " key" } else { "" };
                        let header = f
                            .header
                            .as_ref()
                            .map(|h| format!(" \"{}\"", h.node))
                            .unwrap_or_default();
                        symbol(
                            a,
                            f.name.node.clone(),
                            Some(format!("{}{opt}{key}{header}", f.ty.node)),
                            SymbolKind::FIELD,
                            f.loc.0,
                            f.name.span,
                            vec![],
                        )
                    })
                    .collect();
                symbol(
                    a,
                    "input".into(),
                    None,
                    SymbolKind::STRUCT,
                    span,
                    Span::new(span.start, span.start + 5),
                    fields,
                )
            }
            DeclKind::Events(e) => {
                let fields = e
                    .fields
                    .iter()
                    .map(|f| {
                        let opt = if f.optional { "?" } else { "" };
                        symbol(
                            a,
                            f.name.node.clone(),
                            Some(format!("{}{opt}", f.ty.node)),
                            SymbolKind::FIELD,
                            f.loc.0,
                            f.name.span,
                            vec![],
                        )
                    })
                    .collect();
                symbol(
                    a,
                    e.name.node.clone(),
                    Some(format!("events by {}", e.by.node)),
                    SymbolKind::STRUCT,
                    span,
                    e.name.span,
                    fields,
                )
            }
            DeclKind::Let(l) => symbol(
                a,
                l.name.node.clone(),
                Some("let".into()),
                SymbolKind::VARIABLE,
                span,
                l.name.span,
                vec![],
            ),
            DeclKind::Points(p) => symbol(
                a,
                p.name.node.clone(),
                Some("points".into()),
                SymbolKind::FUNCTION,
                span,
                p.name.span,
                vec![],
            ),
            DeclKind::Score(s) => {
                let detail = s
                    .label
                    .as_ref()
                    .map_or("score".to_string(), |l| format!("score \"{}\"", l.node));
                symbol(
                    a,
                    s.name.node.clone(),
                    Some(detail),
                    SymbolKind::FUNCTION,
                    span,
                    s.name.span,
                    vec![],
                )
            }
            DeclKind::Grade(g) => {
                let kw = if g.is_tags { "tags" } else { "grade" };
                let detail = g
                    .label
                    .as_ref()
                    .map_or(kw.to_string(), |l| format!("{kw} \"{}\"", l.node));
                let codes = g
                    .rules
                    .iter()
                    .map(|r| {
                        symbol(
                            a,
                            r.code.node.clone(),
                            r.label.as_ref().map(|l| l.node.clone()),
                            SymbolKind::ENUM_MEMBER,
                            r.loc.0,
                            r.code.span,
                            vec![],
                        )
                    })
                    .collect();
                symbol(
                    a,
                    g.name.node.clone(),
                    Some(detail),
                    SymbolKind::ENUM,
                    span,
                    g.name.span,
                    codes,
                )
            }
            DeclKind::Test(t) => symbol(
                a,
                t.name.node.clone(),
                Some("test".into()),
                SymbolKind::EVENT,
                span,
                t.name.span,
                vec![],
            ),
        };
        out.push(s);
    }
    out
}
