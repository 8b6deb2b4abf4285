//! Collecting a scheme's declarations: the header (`as_of`, `use`), the input fields with their
//! keys, headers and columns, and every item with its codes, before any expression is typed.

use super::{additions, error_expr, Checker, State};
use crate::hir::*;
use rubric_syntax::ast::{self, DeclKind};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Diagnostic, Span};

impl Checker<'_> {
    pub(super) fn collect_header(&mut self) {
        let (mut scheme_span, mut as_of_span, mut input_span) = (None, None, None);
        let decls = self.decls.clone();
        for d in decls {
            match &d.kind {
                DeclKind::Scheme(name)
                    if self.first_of_kind(
                        &mut scheme_span,
                        d,
                        "a scheme has at most one `scheme` name",
                    ) =>
                {
                    self.model.name = Some(name.node.clone());
                }
                DeclKind::AsOf(date)
                    if self.first_of_kind(
                        &mut as_of_span,
                        d,
                        "a scheme has at most one `as_of` date",
                    ) =>
                {
                    self.model.as_of = Some(date.node);
                }
                DeclKind::Use(path) => self.use_unsupported(path),
                DeclKind::Input(input)
                    if self.first_of_kind(
                        &mut input_span,
                        d,
                        "a scheme has exactly one `input` block",
                    ) =>
                {
                    self.collect_fields(input, d.span());
                }
                _ => {}
            }
        }
        if input_span.is_none() && !self.broken.contains(&None) {
            let at = self.decls.first().map_or(Span::point(0), |d| {
                Span::new(d.span().start, d.span().start)
            });
            self.err(
                Diagnostic::error("missing-input", "the scheme has no `input` block", at)
                    .with_help(
                        "declare the customer record: `input { id text key, revenue decimal }`",
                    ),
            );
        }
    }

    pub(super) fn collect_fields(&mut self, input: &ast::Input, input_span: Span) {
        let mut keys: Vec<Span> = Vec::new();
        for f in &input.fields {
            let ty = match f.ty.node.as_str() {
                "text" => Ty::Text,
                "int" => Ty::Int,
                "decimal" => Ty::Decimal,
                "bool" => Ty::Bool,
                "date" => Ty::Date,
                // perhaps a grade: resolved once the grades are known (`grade_typed_fields`)
                other
                    if self
                        .decls
                        .iter()
                        .any(|d| matches!(&d.kind, DeclKind::Grade(g) if g.name.node == other)) =>
                {
                    Ty::Error
                }
                other => {
                    let mut d = Diagnostic::error(
                        "unknown-type",
                        format!("unknown type `{other}`"),
                        f.ty.span,
                    );
                    let grades = additions::grade_names(&self.decls);
                    let types = ["text", "int", "decimal", "bool", "date"];
                    let names = types
                        .iter()
                        .copied()
                        .chain(grades.iter().map(String::as_str));
                    d = match did_you_mean(other, names) {
                        Some(s) => d.with_suggestion(s),
                        None => d.with_help(
                            "field types are `text`, `int`, `decimal`, `bool`, `date` and the name of a grade",
                        ),
                    };
                    self.err(d);
                    Ty::Error
                }
            };
            if let Some(prev) = self.model.fields.iter().find(|p| p.name == f.name.node) {
                let first = prev.span;
                self.err(
                    Diagnostic::error(
                        "duplicate-name",
                        format!("field `{}` is declared twice", f.name.node),
                        f.name.span,
                    )
                    .with_related(first, "first declared here"),
                );
                continue;
            }
            if let Some(k) = &f.key {
                keys.push(k.0);
                if f.optional {
                    self.err(
                        Diagnostic::error(
                            "optional-key",
                            format!("the key `{}` cannot be optional", f.name.node),
                            f.ty.span,
                        )
                        .with_help("every customer needs a key: remove the `?`"),
                    );
                }
                if ty != Ty::Text && ty != Ty::Error {
                    self.err(
                        Diagnostic::error(
                            "key-not-text",
                            format!("the key `{}` must be `text`", f.name.node),
                            f.ty.span,
                        )
                        .with_help(
                            "declare the key as `text`, so that `00017` keeps its leading zeros",
                        ),
                    );
                }
            }
            let column = f
                .header
                .as_ref()
                .map_or_else(|| f.name.node.clone(), |h| h.node.clone());
            if let Some(prev) = self.model.fields.iter().find(|p| p.column == column) {
                let first = prev.span;
                let span = f.header.as_ref().map_or(f.name.span, |h| h.span);
                self.err(
                    Diagnostic::error(
                        "duplicate-column",
                        format!("two fields read the column `{column}`"),
                        span,
                    )
                    .with_related(first, "also read here")
                    .with_help("give each field its own column, or remove one of the fields"),
                );
            }
            let id = self.model.fields.len();
            self.names.insert(f.name.node.clone(), Symbol::Field(id));
            self.model.refs.push(Reference {
                span: f.name.span,
                symbol: Symbol::Field(id),
                is_definition: true,
            });
            self.model.fields.push(FieldDef {
                name: f.name.node.clone(),
                column,
                ty,
                optional: f.optional,
                is_key: f.key.is_some(),
                span: f.name.span,
                doc: f.doc.clone(),
                agg: None,
                codes: None,
            });
        }
        match keys.len() {
            0 => self.err(
                Diagnostic::error(
                    "missing-key",
                    "no field is marked `key`",
                    Span::new(input_span.start, input_span.start + 5),
                )
                .with_help("mark the field that identifies a customer: `id text key`"),
            ),
            1 => self.model.key = self.model.fields.iter().position(|f| f.is_key),
            _ => {
                let mut d = Diagnostic::error(
                    "multiple-keys",
                    "exactly one field can be the `key`",
                    keys[1],
                );
                d = d
                    .with_related(keys[0], "first key here")
                    .with_help("remove `key` from all but one field");
                self.err(d);
                self.model.key = self.model.fields.iter().position(|f| f.is_key);
            }
        }
    }

    pub(super) fn collect_items(&mut self) {
        let decls = self.decls.clone();
        for (di, d) in decls.iter().enumerate() {
            let (name, label, ty) = match &d.kind {
                DeclKind::Let(l) => (&l.name, None, Ty::Error),
                DeclKind::Points(p) => {
                    let all_int = p.rules.iter().all(|r| r.value.node.scale() == 0);
                    (&p.name, None, if all_int { Ty::Int } else { Ty::Decimal })
                }
                DeclKind::Score(s) => (&s.name, s.label.as_ref(), Ty::Decimal),
                DeclKind::Grade(g) => {
                    let id = self.model.items.len();
                    (
                        &g.name,
                        g.label.as_ref(),
                        if g.is_tags {
                            Ty::Tags(id)
                        } else {
                            Ty::Grade(id)
                        },
                    )
                }
                _ => continue,
            };
            let id = self.model.items.len();
            if let Some(prev) = self.names.get(&name.node) {
                let first = match prev {
                    Symbol::Field(f) => self.model.fields[*f].span,
                    Symbol::Item(i) => self.model.items[*i].span,
                    _ => name.span,
                };
                self.err(
                    Diagnostic::error(
                        "duplicate-name",
                        format!("`{}` is already declared", name.node),
                        name.span,
                    )
                    .with_related(first, "first declared here")
                    .with_help("give each field, let, points, score, grade and tags its own name"),
                );
            } else {
                self.names.insert(name.node.clone(), Symbol::Item(id));
            }
            self.model.refs.push(Reference {
                span: name.span,
                symbol: Symbol::Item(id),
                is_definition: true,
            });
            let kind = match &d.kind {
                DeclKind::Let(_) => ItemKind::Let {
                    value: error_expr(name.span),
                },
                DeclKind::Points(_) => ItemKind::Points {
                    by: None,
                    rules: Vec::new(),
                },
                DeclKind::Score(_) => ItemKind::Score {
                    terms: Vec::new(),
                    bonuses: Vec::new(),
                },
                DeclKind::Grade(g) => ItemKind::Grade(GradeDef {
                    is_tags: g.is_tags,
                    by: None,
                    codes: Vec::new(),
                    attr_keys: Vec::new(),
                }),
                _ => continue,
            };
            self.model.items.push(Item {
                name: name.node.clone(),
                span: name.span,
                decl_span: d.span(),
                label: label.map(|l| l.node.clone()),
                doc: d.doc.clone(),
                ty,
                nullable: false,
                kind,
                deps: Vec::new(),
            });
            self.item_decl.push(di);
            self.state.push(State::Unchecked);
        }
        // Codes are declared up front, so grades can be compared with codes of grades declared
        // later (decision trees in any order).
        for id in 0..self.model.items.len() {
            let d = self.decls[self.item_decl[id]];
            if let DeclKind::Grade(g) = &d.kind {
                let mut codes: Vec<CodeDef> = Vec::new();
                let mut first_use: std::collections::HashMap<&str, Span> =
                    std::collections::HashMap::new();
                for r in &g.rules {
                    if let Some(&first) = first_use.get(r.code.node.as_str()) {
                        self.err(
                            Diagnostic::error(
                                "duplicate-code",
                                format!(
                                    "code `{}` appears twice in `{}`",
                                    r.code.node, g.name.node
                                ),
                                r.code.span,
                            )
                            .with_related(first, "first used here")
                            .with_help(
                                "codes are unique within a grade; merge the conditions with `or`",
                            ),
                        );
                    }
                    first_use.entry(r.code.node.as_str()).or_insert(r.code.span);
                    let code = codes.len();
                    self.model.refs.push(Reference {
                        span: r.code.span,
                        symbol: Symbol::Code { grade: id, code },
                        is_definition: true,
                    });
                    codes.push(CodeDef {
                        name: r.code.node.clone(),
                        label: r.label.as_ref().map(|l| l.node.clone()),
                        cond: None,
                        attrs: Vec::new(),
                        span: r.code.span,
                        rule_span: r.loc.0,
                        doc: r.doc.clone(),
                    });
                }
                if g.is_tags && codes.len() > 64 {
                    self.err(
                        Diagnostic::error(
                            "too-many-tags",
                            format!(
                                "`{}` has {} tags; at most 64 are supported",
                                g.name.node,
                                codes.len()
                            ),
                            g.name.span,
                        )
                        .with_help("a customer carries at most 64 tags: split the tags in two"),
                    );
                }
                if let ItemKind::Grade(gd) = &mut self.model.items[id].kind {
                    gd.codes = codes;
                }
            }
        }
    }
}
