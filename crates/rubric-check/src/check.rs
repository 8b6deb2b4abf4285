//! Name resolution and type checking: AST → [`Model`] plus diagnostics.

use crate::hir::*;
use rubric_syntax::ast::{self, BinOp, Cond, DeclKind, Expr, ExprKind, Literal, UnOp};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Decimal, Diagnostic, Span};
use std::collections::HashMap;

/// The smaller v2 additions (`within next`, `missing`, `count_true`, `substr`, grade-typed
/// fields), kept in their own file.
#[path = "additions.rs"]
mod additions;

/// A checked scheme and everything wrong with it.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Unchecked,
    InProgress,
    Done,
}

mod events;

struct Checker<'a> {
    decls: Vec<&'a ast::Decl>,
    model: Model,
    diags: Vec<Diagnostic>,
    state: Vec<State>,
    /// Item id → index in `decls`.
    item_decl: Vec<usize>,
    names: HashMap<String, Symbol>,
    /// Dependency frames: items and pops read by what is being checked.
    frames: Vec<(Vec<ItemId>, Vec<PopId>)>,
    /// Names declared by declarations that did not parse; `None` in the set means the input
    /// block itself did not parse, so any name may be a field.
    broken: Vec<Option<String>>,
}

#[derive(Clone, Copy, Default)]
struct Ctx<'t> {
    /// The `by` subject's type and nullability, inside a `by` block.
    subject: Option<(&'t Ty, bool)>,
    in_test: bool,
    /// Inside an aggregate's value or filter: the `events` block whose fields are in scope
    /// (then customer values are not).
    events: Option<EventsId>,
}

pub fn check(file: &ast::File) -> Checked {
    rubric_syntax::stack::guarded(|| check_here(file))
}

fn check_here(file: &ast::File) -> Checked {
    let mut c = Checker {
        decls: file.decls.iter().collect(),
        model: Model::default(),
        diags: Vec::new(),
        state: Vec::new(),
        item_decl: Vec::new(),
        names: HashMap::new(),
        frames: Vec::new(),
        broken: file
            .broken
            .iter()
            .filter_map(|b| match b.keyword.as_str() {
                "input" => Some(None),
                "let" | "points" | "score" | "grade" | "tags" => b.name.clone().map(Some),
                _ => None,
            })
            .collect(),
    };
    c.collect_header();
    c.collect_events();
    c.collect_items();
    c.grade_typed_fields(file);
    for id in 0..c.model.items.len() {
        c.check_item(id);
    }
    c.order_items();
    c.check_tests();
    Checked {
        model: c.model,
        diagnostics: c.diags,
    }
}

fn describe_types(tys: &[&str]) -> String {
    tys.join(" or ")
}

impl<'a> Checker<'a> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Whether `d` is the first of its kind (`scheme`, `as_of`, `input`); a later one is a
    /// `duplicate-declaration` pointing back at the first.
    fn first_of_kind(&mut self, seen: &mut Option<Span>, d: &ast::Decl, message: &str) -> bool {
        match *seen {
            Some(first) => {
                let mut diag = Diagnostic::error("duplicate-declaration", message, d.span())
                    .with_related(first, "first here");
                if matches!(d.kind, DeclKind::Input(_)) {
                    diag = diag.with_help("put every field in one `input { … }` block");
                }
                self.err(diag);
                false
            }
            None => {
                *seen = Some(d.span());
                true
            }
        }
    }

    fn collect_header(&mut self) {
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

    fn collect_fields(&mut self, input: &ast::Input, input_span: Span) {
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

    fn collect_items(&mut self) {
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

    /// Checks one item (once), recursing into the lets it reads so their types are known.
    fn check_item(&mut self, id: ItemId) {
        if self.state[id] != State::Unchecked {
            return;
        }
        self.state[id] = State::InProgress;
        self.frames.push((Vec::new(), Vec::new()));
        let d = self.decls[self.item_decl[id]];
        let ctx = Ctx::default();
        match &d.kind {
            DeclKind::Let(l) => {
                let errors_before = self.diags.len();
                let value = self.expr(&l.value, ctx);
                self.untyped_missing(&value, errors_before);
                if matches!(value.ty, Ty::List(_)) {
                    self.err(
                        Diagnostic::error(
                            "type-mismatch",
                            "a `let` cannot hold a list",
                            value.span,
                        )
                        .with_help("use the list directly in `x in [...]`"),
                    );
                }
                let item = &mut self.model.items[id];
                item.ty = value.ty.clone();
                item.nullable = value.nullable;
                item.kind = ItemKind::Let { value };
            }
            DeclKind::Points(p) => {
                let by = p.by.as_ref().map(|e| self.expr(e, ctx));
                let subject = by.as_ref().map(|b| (&b.ty, b.nullable));
                let bctx = Ctx { subject, ..ctx };
                let mut rules = Vec::new();
                let mut otherwise_seen = false;
                for r in &p.rules {
                    let cond = self.cond(&r.cond, bctx, &mut otherwise_seen, &p.name.node);
                    rules.push(PointsRule {
                        value: r.value.node,
                        cond,
                        span: r.loc.0,
                    });
                }
                let nullable = !rules.iter().any(|r| r.cond.is_none());
                let item = &mut self.model.items[id];
                item.nullable = nullable;
                item.kind = ItemKind::Points { by, rules };
            }
            DeclKind::Score(s) => {
                let mut terms = Vec::new();
                let mut sum = Some(Decimal::ZERO);
                let mut nullable = false;
                for t in &s.terms {
                    let expr = self.expr(&t.expr, ctx);
                    self.expect_numeric(&expr, "a score term");
                    nullable |= expr.nullable;
                    sum = sum.and_then(|s| s.checked_add(t.weight.node));
                    let bonus = t.bonus.as_ref().map(|b| self.bonus(b, ctx));
                    terms.push(ScoreTerm {
                        expr,
                        weight: t.weight.node,
                        bonus,
                        span: t.loc.0,
                    });
                }
                let bonuses: Vec<Bonus> = s.bonuses.iter().map(|b| self.bonus(b, ctx)).collect();
                if !s.terms.is_empty() && sum != Some(Decimal::ONE) {
                    let shown = sum
                        .and_then(|s| s.checked_mul(Decimal::ONE_HUNDRED))
                        .map_or_else(
                            || "more than 10³⁸".to_string(),
                            |s| s.normalize().to_string(),
                        );
                    let span = s
                        .terms
                        .first()
                        .map(|t| t.weight.span)
                        .unwrap_or(s.name.span);
                    let span = s.terms.iter().fold(span, |acc, t| acc.to(t.weight.span));
                    let weights: Vec<(Decimal, Span)> = s
                        .terms
                        .iter()
                        .map(|t| (t.weight.node, t.weight.span))
                        .collect();
                    let mut d = Diagnostic::error(
                        "weights-not-100",
                        format!(
                            "the weights of `{}` add up to {shown}%, not 100%",
                            s.name.node
                        ),
                        span,
                    )
                    .with_label(format!("these add up to {shown}%"));
                    d = match crate::fixes::weights_as_percent(&weights) {
                        Some(fix) => d
                            .with_help("a weight is a percent: write `60%`, not `60`")
                            .with_fix(fix),
                        None => d.with_help("adjust the weights so they add up to exactly 100%"),
                    };
                    self.err(d);
                }
                if s.terms.is_empty() {
                    self.err(
                        Diagnostic::error(
                            "empty-score",
                            format!("score `{}` has no terms", s.name.node),
                            s.name.span,
                        )
                        .with_help("add terms: `history_pts weight 50%`"),
                    );
                }
                let item = &mut self.model.items[id];
                item.nullable = nullable;
                item.kind = ItemKind::Score { terms, bonuses };
            }
            DeclKind::Grade(g) => self.check_grade(id, g, ctx),
            _ => {}
        }
        let (deps, pops) = self.frames.pop().unwrap_or_default();
        let mut all = deps;
        for p in pops {
            if let Some(pd) = self.model.pops.get(p) {
                all.extend(pd.deps.iter().copied());
            }
        }
        all.sort_unstable();
        all.dedup();
        self.model.items[id].deps = all;
        self.state[id] = State::Done;
    }

    fn bonus(&mut self, b: &ast::Bonus, ctx: Ctx) -> Bonus {
        let cond = self.expr(&b.cond, ctx);
        self.expect_bool(&cond, "a bonus condition");
        Bonus {
            factor: b.factor.node,
            cond,
            span: b.loc.0,
        }
    }

    fn cond(
        &mut self,
        c: &Cond,
        ctx: Ctx,
        otherwise_seen: &mut bool,
        owner: &str,
    ) -> Option<TExpr> {
        match c {
            Cond::Otherwise(loc) => {
                if *otherwise_seen {
                    self.err(
                        Diagnostic::error(
                            "duplicate-otherwise",
                            format!("`{owner}` has more than one `otherwise`"),
                            loc.0,
                        )
                        .with_help("keep one `otherwise`, as the last rule"),
                    );
                }
                *otherwise_seen = true;
                None
            }
            Cond::When(e) => {
                let t = self.expr(e, ctx);
                self.expect_bool(&t, "a condition");
                Some(t)
            }
        }
    }

    fn check_grade(&mut self, id: ItemId, g: &ast::Grade, ctx: Ctx) {
        let by = g.by.as_ref().map(|e| self.expr(e, ctx));
        let subject = by.as_ref().map(|b| (&b.ty, b.nullable));
        let bctx = Ctx { subject, ..ctx };
        let mut conds = Vec::new();
        let mut otherwise_seen = false;
        for r in &g.rules {
            conds.push(self.cond(&r.cond, bctx, &mut otherwise_seen, &g.name.node));
        }
        // Attributes: the same keys with the same types on every rule.
        let mut attr_keys: Vec<(String, Ty, Span)> = Vec::new();
        if let Some(first) = g.rules.first() {
            for a in &first.attrs {
                if attr_keys.iter().any(|(k, _, _)| *k == a.key.node) {
                    self.err(
                        Diagnostic::error(
                            "duplicate-attribute",
                            format!("attribute `{}` is given twice", a.key.node),
                            a.key.span,
                        )
                        .with_help("give each attribute once per rule"),
                    );
                    continue;
                }
                attr_keys.push((a.key.node.clone(), literal_ty(&a.value.node), a.key.span));
            }
        }
        let mut attr_values: Vec<Vec<Literal>> = Vec::new();
        for (ri, r) in g.rules.iter().enumerate() {
            let mut values: Vec<Option<Literal>> = vec![None; attr_keys.len()];
            for a in &r.attrs {
                match attr_keys.iter().position(|(k, _, _)| *k == a.key.node) {
                    Some(i) => {
                        let ty = literal_ty(&a.value.node);
                        let expected = &attr_keys[i].1;
                        if !same_literal_ty(&ty, expected) {
                            let (ek, first_span) = (describe_lit_ty(expected), attr_keys[i].2);
                            self.err(
                                Diagnostic::error(
                                    "attribute-type",
                                    format!(
                                        "attribute `{}` is {ek} in the first rule but {} here",
                                        a.key.node,
                                        describe_lit_ty(&ty)
                                    ),
                                    a.value.span,
                                )
                                .with_related(first_span, "first given here"),
                            );
                        }
                        // (the first rule's repeats were reported with its keys above)
                        if values[i].is_some() && ri > 0 {
                            self.err(
                                Diagnostic::error(
                                    "duplicate-attribute",
                                    format!("attribute `{}` is given twice", a.key.node),
                                    a.key.span,
                                )
                                .with_help("give each attribute once per rule"),
                            );
                        }
                        values[i] = Some(a.value.node.clone());
                        self.model.refs.push(Reference {
                            span: a.key.span,
                            symbol: Symbol::Attr { grade: id, attr: i },
                            is_definition: true,
                        });
                    }
                    None => {
                        let first = g.rules.first().map_or(r.code.span, |f| f.code.span);
                        self.err(
                            Diagnostic::error(
                                "attribute-keys",
                                format!(
                                    "attribute `{}` is not on the first rule of `{}`",
                                    a.key.node, g.name.node
                                ),
                                a.key.span,
                            )
                            .with_related(first, "the first rule sets the attribute keys")
                            .with_help("every rule of a grade carries the same attribute keys"),
                        );
                    }
                }
            }
            let missing: Vec<&str> = attr_keys
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|((k, _, _), _)| k.as_str())
                .collect();
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.err(
                    Diagnostic::error(
                        "attribute-keys",
                        format!(
                            "rule `{}` lacks the attribute{} {list}",
                            r.code.node,
                            if missing.len() > 1 { "s" } else { "" }
                        ),
                        r.code.span,
                    )
                    .with_help("every rule of a grade carries the same attribute keys"),
                );
            }
            attr_values.push(
                values
                    .into_iter()
                    .map(|v| v.unwrap_or(Literal::Text(String::new())))
                    .collect(),
            );
        }
        let nullable = !g.is_tags && !otherwise_seen;
        if let ItemKind::Grade(gd) = &mut self.model.items[id].kind {
            gd.by = by;
            gd.attr_keys = attr_keys.into_iter().map(|(k, t, _)| (k, t)).collect();
            for ((code, cond), attrs) in gd.codes.iter_mut().zip(conds).zip(attr_values) {
                code.cond = cond;
                code.attrs = attrs;
            }
        }
        self.model.items[id].nullable = nullable;
    }

    fn expect_bool(&mut self, e: &TExpr, what: &str) {
        if e.ty != Ty::Bool && e.ty != Ty::Error {
            let found = e.ty.describe(&self.model);
            let mut d = Diagnostic::error(
                "type-mismatch",
                format!("{what} must be true or false, found {found}"),
                e.span,
            );
            if e.ty.is_numeric() {
                d = d.with_help("compare it with a value, e.g. `>= 100`");
            }
            self.err(d);
        }
    }

    fn expect_numeric(&mut self, e: &TExpr, what: &str) {
        if !e.ty.is_numeric() {
            let found = e.ty.describe(&self.model);
            self.err(Diagnostic::error(
                "type-mismatch",
                format!("{what} must be a number, found {found}"),
                e.span,
            ));
        }
    }

    fn mismatch(&mut self, span: Span, expected: &str, found: &Ty) {
        let found = found.describe(&self.model);
        self.err(Diagnostic::error(
            "type-mismatch",
            format!("expected {expected}, found {found}"),
            span,
        ));
    }

    fn use_item(&mut self, id: ItemId) {
        if let Some(frame) = self.frames.last_mut() {
            frame.0.push(id);
        }
    }

    fn resolve_name(&mut self, name: &str, span: Span, ctx: Ctx) -> TExpr {
        if let Some(t) = self.misplaced_name(name, span, ctx) {
            return t;
        }
        match self.names.get(name).copied() {
            Some(Symbol::Field(f)) => {
                self.model.refs.push(Reference {
                    span,
                    symbol: Symbol::Field(f),
                    is_definition: false,
                });
                let fd = &self.model.fields[f];
                TExpr {
                    kind: TExprKind::Field(f),
                    ty: fd.ty.clone(),
                    nullable: fd.optional,
                    span,
                }
            }
            Some(Symbol::Item(i)) => {
                self.model.refs.push(Reference {
                    span,
                    symbol: Symbol::Item(i),
                    is_definition: false,
                });
                self.use_item(i);
                if self.state[i] == State::Unchecked {
                    // Its type may not be known yet: check it first, in its own frame.
                    self.check_item(i);
                }
                let item = &self.model.items[i];
                let ty = if self.state[i] == State::InProgress
                    && matches!(item.kind, ItemKind::Let { .. })
                {
                    Ty::Error
                } else {
                    item.ty.clone()
                };
                TExpr {
                    kind: TExprKind::Item(i),
                    ty,
                    nullable: item.nullable,
                    span,
                }
            }
            _ if self
                .broken
                .iter()
                .any(|b| b.as_deref().is_none_or(|b| b == name)) =>
            {
                // declared by a declaration with a syntax error: that error says it all
                error_expr(span)
            }
            _ => {
                let mut d =
                    Diagnostic::error("unknown-name", format!("unknown name `{name}`"), span);
                let candidates: Vec<String> = self
                    .model
                    .fields
                    .iter()
                    .map(|f| f.name.clone())
                    .chain(self.model.items.iter().map(|i| i.name.clone()))
                    .collect();
                if let Some(s) = did_you_mean(name, candidates.iter().map(String::as_str)) {
                    d = d.with_suggestion(s);
                } else if let Some((g, _)) = self.find_code(name) {
                    d = d.with_help(format!(
                        "`{name}` is a code of `{}`: compare it, as in `{} == {name}`",
                        self.model.items[g].name, self.model.items[g].name
                    ));
                } else if Builtin::from_name(name).is_some() || PopFunc::from_name(name).is_some() {
                    d = d.with_help(format!(
                        "`{name}` is a function: call it, as in `{name}(…)`"
                    ));
                } else if ctx.in_test {
                    d = d.with_help(
                        "an expectation can name any field, let, points, score, grade or tags",
                    );
                }
                self.err(d);
                error_expr(span)
            }
        }
    }

    fn find_code(&self, name: &str) -> Option<(ItemId, usize)> {
        self.model
            .items
            .iter()
            .enumerate()
            .find_map(|(i, it)| match &it.kind {
                ItemKind::Grade(g) => g.code_named(name).map(|c| (i, c)),
                _ => None,
            })
    }

    /// Resolves `e` as a code of grade `g` (the right side of `tier == gold`).
    fn code_of(&mut self, g: ItemId, e: &Expr) -> Option<TExpr> {
        let ExprKind::Name(name) = &e.kind else {
            return None;
        };
        let gd = self.model.grade(g)?;
        let ty = self.model.items[g].ty.clone();
        match gd.code_named(name) {
            Some(code) => {
                self.model.refs.push(Reference {
                    span: e.span(),
                    symbol: Symbol::Code { grade: g, code },
                    is_definition: false,
                });
                Some(TExpr {
                    kind: TExprKind::Code { grade: g, code },
                    ty,
                    nullable: false,
                    span: e.span(),
                })
            }
            None => {
                let gname = self.model.items[g].name.clone();
                let mut d = Diagnostic::error(
                    "unknown-code",
                    format!("`{gname}` has no code `{name}`"),
                    e.span(),
                );
                let codes: Vec<String> = gd.codes.iter().map(|c| c.name.clone()).collect();
                d = suggest_or_list(d, name, &codes, &format!("the codes of `{gname}`"));
                self.err(d);
                Some(error_expr(e.span()))
            }
        }
    }

    fn grade_of(ty: &Ty) -> Option<ItemId> {
        match ty {
            Ty::Grade(g) | Ty::Tags(g) => Some(*g),
            _ => None,
        }
    }

    fn expr(&mut self, e: &Expr, ctx: Ctx) -> TExpr {
        let span = e.span();
        match &e.kind {
            ExprKind::Lit(l) => TExpr {
                kind: TExprKind::Lit(l.clone()),
                ty: literal_ty(l),
                nullable: false,
                span,
            },
            ExprKind::Name(n) => self.resolve_name(n, span, ctx),
            ExprKind::Missing => additions::missing_expr(span),
            ExprKind::Today => TExpr {
                kind: TExprKind::Today,
                ty: Ty::Date,
                nullable: false,
                span,
            },
            ExprKind::Subject => match ctx.subject {
                Some((ty, nullable)) => TExpr {
                    kind: TExprKind::Subject,
                    ty: ty.clone(),
                    nullable,
                    span,
                },
                None => {
                    self.err(
                        Diagnostic::error(
                            "missing-subject",
                            "a condition that starts with an operator needs a `by` subject",
                            span,
                        )
                        .with_help(
                            "add `by EXPR` to the declaration, or write the full comparison",
                        ),
                    );
                    error_expr(span)
                }
            },
            ExprKind::Paren(inner) => {
                let mut t = self.expr(inner, ctx);
                t.span = span;
                t
            }
            ExprKind::List(items) => {
                let items: Vec<TExpr> = items.iter().map(|i| self.expr(i, ctx)).collect();
                let elem = self.unify_all(&items, "the items of a list");
                TExpr {
                    kind: TExprKind::List(items),
                    ty: Ty::List(Box::new(elem)),
                    nullable: false,
                    span,
                }
            }
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner, ctx);
                match op {
                    UnOp::Neg => self.expect_numeric(&t, "the operand of `-`"),
                    UnOp::Not => self.expect_bool(&t, "the operand of `not`"),
                }
                let ty = if *op == UnOp::Not {
                    Ty::Bool
                } else {
                    t.ty.clone()
                };
                TExpr {
                    nullable: t.nullable,
                    kind: TExprKind::Unary(*op, Box::new(t)),
                    ty,
                    span,
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span, ctx),
            ExprKind::Between(v, lo, hi) => {
                let v = self.expr(v, ctx);
                let lo = self.expr(lo, ctx);
                let hi = self.expr(hi, ctx);
                for b in [&lo, &hi] {
                    if !ordered_compatible(&v.ty, &b.ty) {
                        self.mismatch(
                            b.span,
                            &format!("{} to compare with", v.ty.describe(&self.model)),
                            &b.ty,
                        );
                    }
                }
                if !matches!(v.ty, Ty::Int | Ty::Decimal | Ty::Date | Ty::Error) {
                    self.mismatch(v.span, "a number or a date", &v.ty);
                }
                let nullable = v.nullable || lo.nullable || hi.nullable;
                TExpr {
                    kind: TExprKind::Between {
                        value: Box::new(v),
                        lo: Box::new(lo),
                        hi: Box::new(hi),
                    },
                    ty: Ty::Bool,
                    nullable,
                    span,
                }
            }
            ExprKind::Is { expr, present } => {
                let t = self.expr(expr, ctx);
                TExpr {
                    kind: TExprKind::IsMissing {
                        expr: Box::new(t),
                        present: *present,
                    },
                    ty: Ty::Bool,
                    nullable: false,
                    span,
                }
            }
            ExprKind::If(c, a, b) => {
                let c = self.expr(c, ctx);
                self.expect_bool(&c, "the condition of `if`");
                let a = self.expr(a, ctx);
                let b = self.expr(b, ctx);
                let ty = match unify(&a.ty, &b.ty) {
                    Some(t) => t,
                    None => {
                        let (ad, bd) = (a.ty.describe(&self.model), b.ty.describe(&self.model));
                        self.err(
                            Diagnostic::error(
                                "type-mismatch",
                                format!("the branches of `if` differ: {ad} and {bd}"),
                                b.span,
                            )
                            .with_related(a.span, format!("this is {ad}")),
                        );
                        Ty::Error
                    }
                };
                let nullable = a.nullable || b.nullable;
                TExpr {
                    kind: TExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    ty,
                    nullable,
                    span,
                }
            }
            ExprKind::Call {
                func,
                args,
                filter,
                within,
            } => {
                if let Some(agg) = self.aggregate(func, args, filter.as_deref(), within, span, ctx)
                {
                    return agg;
                }
                self.call(func, args, within.as_ref(), span, ctx)
            }
            ExprKind::Attr(value, key) => {
                if let Some(t) = self.event_field(value, key, span, ctx) {
                    return t;
                }
                let v = self.expr(value, ctx);
                let Some(g) = (match v.ty {
                    Ty::Grade(g) => Some(g),
                    _ => None,
                }) else {
                    if v.ty != Ty::Error {
                        let found = v.ty.describe(&self.model);
                        self.err(
                            Diagnostic::error(
                                "not-a-grade",
                                format!("only a grade has attributes; this is {found}"),
                                key.span,
                            )
                            .with_help("attributes are read from a grade: `tier.owner`"),
                        );
                    }
                    return error_expr(span);
                };
                if self.state.get(g) == Some(&State::Unchecked) {
                    // read through a grade-typed field, the grade may not be checked yet: its
                    // attribute keys are known once it is
                    self.check_item(g);
                }
                let gd = self.model.grade(g);
                let found = gd.and_then(|gd| gd.attr_keys.iter().position(|(k, _)| *k == key.node));
                match found {
                    Some(attr) => {
                        let ty = gd
                            .map(|gd| gd.attr_keys[attr].1.clone())
                            .unwrap_or(Ty::Error);
                        self.model.refs.push(Reference {
                            span: key.span,
                            symbol: Symbol::Attr { grade: g, attr },
                            is_definition: false,
                        });
                        TExpr {
                            nullable: v.nullable,
                            kind: TExprKind::Attr {
                                value: Box::new(v),
                                grade: g,
                                attr,
                            },
                            ty,
                            span,
                        }
                    }
                    None => {
                        let gname = self.model.items[g].name.clone();
                        let keys: Vec<String> = gd
                            .map(|gd| gd.attr_keys.iter().map(|(k, _)| k.clone()).collect())
                            .unwrap_or_default();
                        let mut d = Diagnostic::error(
                            "unknown-attribute",
                            format!("`{gname}` has no attribute `{}`", key.node),
                            key.span,
                        );
                        d = if keys.is_empty() {
                            d.with_help(format!("the rules of `{gname}` carry no attributes"))
                        } else {
                            let what = format!("the attributes of `{gname}`");
                            suggest_or_list(d, &key.node, &keys, &what)
                        };
                        self.err(d);
                        error_expr(span)
                    }
                }
            }
            ExprKind::Index(value, key) => {
                let v = self.expr(value, ctx);
                let k = self.expr(key, ctx);
                if !ctx.in_test {
                    self.err(
                        Diagnostic::error(
                            "index-outside-test",
                            "`x[\"key\"]` names a customer and only works in a test",
                            span,
                        )
                        .with_help("use it in an `expect` of a test with `given [ … ]`"),
                    );
                }
                if k.ty != Ty::Text && k.ty != Ty::Error {
                    self.mismatch(k.span, "a customer key as text", &k.ty);
                }
                TExpr {
                    ty: v.ty.clone(),
                    nullable: true,
                    kind: TExprKind::Index {
                        value: Box::new(v),
                        key: Box::new(k),
                    },
                    span,
                }
            }
        }
    }

    fn unify_all(&mut self, items: &[TExpr], what: &str) -> Ty {
        let mut ty: Option<Ty> = None;
        for i in items {
            ty = match ty {
                None => Some(i.ty.clone()),
                Some(t) => match unify(&t, &i.ty) {
                    Some(u) => Some(u),
                    None => {
                        let (a, b) = (t.describe(&self.model), i.ty.describe(&self.model));
                        self.err(Diagnostic::error(
                            "type-mismatch",
                            format!("{what} mix {a} and {b}"),
                            i.span,
                        ));
                        Some(Ty::Error)
                    }
                },
            };
        }
        ty.unwrap_or(Ty::Error)
    }

    fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, span: Span, ctx: Ctx) -> TExpr {
        if let Some(d) = additions::compare_missing(op, l, r, span) {
            self.err(d);
        }
        let lt = self.expr(l, ctx);
        // `level == B` where `level` is itself unknown: `B` is probably a code; say nothing more.
        if lt.ty == Ty::Error
            && matches!(
                op,
                BinOp::Eq | BinOp::Ne | BinOp::In | BinOp::NotIn | BinOp::Has
            )
        {
            let unknown =
                |e: &Expr| matches!(&e.kind, ExprKind::Name(n) if !self.names.contains_key(n));
            let quiet = match &r.kind {
                ExprKind::List(items) => items.iter().all(unknown),
                _ => unknown(r),
            };
            if quiet {
                return error_expr(span);
            }
        }
        match op {
            BinOp::Or | BinOp::And => {
                let rt = self.expr(r, ctx);
                self.expect_bool(&lt, &format!("the left side of `{}`", op.as_str()));
                self.expect_bool(&rt, &format!("the right side of `{}`", op.as_str()));
                let nullable = lt.nullable || rt.nullable;
                let kind = if op == BinOp::Or {
                    TExprKind::Or(Box::new(lt), Box::new(rt))
                } else {
                    TExprKind::And(Box::new(lt), Box::new(rt))
                };
                TExpr {
                    kind,
                    ty: Ty::Bool,
                    nullable,
                    span,
                }
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let equality = matches!(cmp, CmpOp::Eq | CmpOp::Ne);
                let (lt, rt) = match (Self::grade_of(&lt.ty), &lt.ty) {
                    (Some(g), Ty::Grade(_)) if equality => {
                        let rt = self.code_of(g, r).unwrap_or_else(|| self.expr(r, ctx));
                        (lt, rt)
                    }
                    // Codes resolve on the right of a grade (`tier == gold`), as LANGUAGE.md
                    // writes it; `gold == tier` reads `gold` as an ordinary name.
                    _ => {
                        let rt = self.expr(r, ctx);
                        (lt, rt)
                    }
                };
                if matches!(lt.ty, Ty::Tags(_)) && equality {
                    self.err(
                        Diagnostic::error(
                            "type-mismatch",
                            "tags hold a set of codes; test one with `has`",
                            span,
                        )
                        .with_help(format!(
                            "write `{} has CODE`",
                            self.model
                                .items
                                .get(Self::grade_of(&lt.ty).unwrap_or(0))
                                .map_or("tags", |i| i.name.as_str())
                        )),
                    );
                } else if equality {
                    if unify(&lt.ty, &rt.ty).is_none() || matches!(lt.ty, Ty::List(_)) {
                        let (a, b) = (lt.ty.describe(&self.model), rt.ty.describe(&self.model));
                        self.err(
                            Diagnostic::error(
                                "type-mismatch",
                                format!("cannot compare {a} with {b}"),
                                rt.span,
                            )
                            .with_related(lt.span, format!("this is {a}")),
                        );
                    }
                } else if !ordered_compatible(&lt.ty, &rt.ty)
                    || !matches!(lt.ty, Ty::Int | Ty::Decimal | Ty::Date | Ty::Error)
                {
                    let (a, b) = (lt.ty.describe(&self.model), rt.ty.describe(&self.model));
                    let mut d = Diagnostic::error(
                        "type-mismatch",
                        format!("cannot order {a} and {b} with `{}`", cmp.as_str()),
                        span,
                    );
                    let days = match (&lt.ty, &rt.ty) {
                        (Ty::Date, Ty::Int | Ty::Decimal | Ty::Duration) => {
                            crate::fixes::date_as_days(cmp.as_str(), l, r, true)
                        }
                        (Ty::Int, Ty::Duration) => {
                            crate::fixes::date_as_days(cmp.as_str(), l, r, false)
                        }
                        _ => None,
                    };
                    if matches!(lt.ty, Ty::Text) && matches!(rt.ty, Ty::Text) {
                        d = d.with_help("text is compared with `==`, `in` or `starts_with`");
                    } else if let Some((help, fix)) = days {
                        d = d.with_help(help).with_fix(fix);
                    } else if lt.ty == Ty::Date && rt.ty == Ty::Duration {
                        d = d.with_help("to ask whether a date is recent, write `d within 30d`");
                    }
                    self.err(d);
                }
                let nullable = lt.nullable || rt.nullable;
                TExpr {
                    kind: TExprKind::Cmp(cmp, Box::new(lt), Box::new(rt)),
                    ty: Ty::Bool,
                    nullable,
                    span,
                }
            }
            BinOp::In | BinOp::NotIn => {
                let rt = match (&lt.ty, &r.kind) {
                    (Ty::Grade(g), ExprKind::List(items)) => {
                        let g = *g;
                        let items: Vec<TExpr> = items
                            .iter()
                            .map(|i| self.code_of(g, i).unwrap_or_else(|| self.expr(i, ctx)))
                            .collect();
                        let ty = Ty::List(Box::new(lt.ty.clone()));
                        TExpr {
                            kind: TExprKind::List(items),
                            ty,
                            nullable: false,
                            span: r.span(),
                        }
                    }
                    _ => self.expr(r, ctx),
                };
                match &rt.ty {
                    Ty::List(elem) => {
                        if unify(&lt.ty, elem).is_none() {
                            let (a, b) = (lt.ty.describe(&self.model), elem.describe(&self.model));
                            self.err(Diagnostic::error(
                                "type-mismatch",
                                format!("cannot look for {a} in a list of {b}"),
                                rt.span,
                            ));
                        }
                    }
                    Ty::Error => {}
                    other => {
                        let found = other.describe(&self.model);
                        self.err(
                            Diagnostic::error(
                                "type-mismatch",
                                format!("`in` needs a list, found {found}"),
                                rt.span,
                            )
                            .with_help("write the values in brackets: `in [\"a\", \"b\"]`"),
                        );
                    }
                }
                let nullable = lt.nullable || rt.nullable;
                TExpr {
                    kind: TExprKind::In {
                        value: Box::new(lt),
                        list: Box::new(rt),
                        negated: op == BinOp::NotIn,
                    },
                    ty: Ty::Bool,
                    nullable,
                    span,
                }
            }
            BinOp::Has => {
                let Ty::Tags(g) = lt.ty else {
                    if lt.ty != Ty::Error {
                        let found = lt.ty.describe(&self.model);
                        let mut d = Diagnostic::error(
                            "type-mismatch",
                            format!("`has` needs tags on its left, found {found}"),
                            lt.span,
                        );
                        if matches!(lt.ty, Ty::Grade(_)) {
                            d = d.with_help("a grade holds one code: compare it with `==`");
                        }
                        self.err(d);
                    }
                    let _ = self.expr(r, ctx);
                    return error_expr(span);
                };
                let code = match self.code_of(g, r) {
                    Some(TExpr {
                        kind: TExprKind::Code { code, .. },
                        ..
                    }) => code,
                    Some(_) => return error_expr(span),
                    None => {
                        let t = self.expr(r, ctx);
                        self.err(Diagnostic::error(
                            "type-mismatch",
                            "`has` needs a code name on its right",
                            t.span,
                        ));
                        return error_expr(span);
                    }
                };
                TExpr {
                    kind: TExprKind::Has {
                        tags: Box::new(lt),
                        code,
                    },
                    ty: Ty::Bool,
                    nullable: false,
                    span,
                }
            }
            BinOp::WithinNext => {
                let rt = self.expr(r, ctx);
                self.within_types(&lt, &rt);
                let nullable = lt.nullable || rt.nullable;
                TExpr {
                    kind: TExprKind::WithinNext {
                        date: Box::new(lt),
                        duration: Box::new(rt),
                    },
                    ty: Ty::Bool,
                    nullable,
                    span,
                }
            }
            BinOp::Within => {
                let rt = self.expr(r, ctx);
                if lt.ty != Ty::Date && lt.ty != Ty::Error {
                    self.mismatch(lt.span, "a date before `within`", &lt.ty);
                }
                if rt.ty != Ty::Duration && rt.ty != Ty::Error {
                    let found = rt.ty.describe(&self.model);
                    self.err(
                        Diagnostic::error(
                            "type-mismatch",
                            format!("expected a duration after `within`, found {found}"),
                            rt.span,
                        )
                        .with_help("durations are written `30d`, `2w`, `3mo` or `1y`"),
                    );
                }
                let nullable = lt.nullable || rt.nullable;
                TExpr {
                    kind: TExprKind::Within {
                        date: Box::new(lt),
                        duration: Box::new(rt),
                    },
                    ty: Ty::Bool,
                    nullable,
                    span,
                }
            }
            BinOp::Coalesce => {
                let rt = self.expr(r, ctx);
                let ty = match unify(&lt.ty, &rt.ty) {
                    Some(t) => t,
                    None => {
                        let (a, b) = (lt.ty.describe(&self.model), rt.ty.describe(&self.model));
                        self.err(Diagnostic::error(
                            "type-mismatch",
                            format!("`??` needs a default of {a}, found {b}"),
                            rt.span,
                        ));
                        Ty::Error
                    }
                };
                let nullable = rt.nullable;
                TExpr {
                    kind: TExprKind::Coalesce(Box::new(lt), Box::new(rt)),
                    ty,
                    nullable,
                    span,
                }
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let rt = self.expr(r, ctx);
                let aop = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let ty = match (&lt.ty, &rt.ty, aop) {
                    (Ty::Error, _, _) | (_, Ty::Error, _) => Ty::Error,
                    (Ty::Int, Ty::Int, ArithOp::Div) => Ty::Decimal,
                    (Ty::Int, Ty::Int, _) => Ty::Int,
                    (Ty::Int | Ty::Decimal, Ty::Int | Ty::Decimal, _) => Ty::Decimal,
                    (Ty::Date, Ty::Duration, ArithOp::Add | ArithOp::Sub) => Ty::Date,
                    (Ty::Date, Ty::Date, ArithOp::Sub) => Ty::Int,
                    (a, b, _) => {
                        let (ad, bd) = (a.describe(&self.model), b.describe(&self.model));
                        let mut d = Diagnostic::error(
                            "type-mismatch",
                            format!("cannot apply `{}` to {ad} and {bd}", op.as_str()),
                            span,
                        );
                        if *a == Ty::Duration && *b == Ty::Date {
                            d = d.with_help("put the date first: `d - 30d`");
                        } else if *a == Ty::Text || *b == Ty::Text {
                            d = d.with_help("arithmetic works on numbers; declare the field as `int` or `decimal`");
                        }
                        self.err(d);
                        Ty::Error
                    }
                };
                let nullable = lt.nullable || rt.nullable || aop == ArithOp::Div;
                TExpr {
                    kind: TExprKind::Arith(aop, Box::new(lt), Box::new(rt)),
                    ty,
                    nullable,
                    span,
                }
            }
        }
    }

    fn call(
        &mut self,
        func: &ast::Name,
        args: &[Expr],
        within: Option<&ast::Name>,
        span: Span,
        ctx: Ctx,
    ) -> TExpr {
        if let Some(pf) = PopFunc::from_name(&func.node) {
            self.model.refs.push(Reference {
                span: func.span,
                symbol: Symbol::Pop(pf),
                is_definition: false,
            });
            return self.pop_call(pf, func, args, within, span, ctx);
        }
        let Some(b) = Builtin::from_name(&func.node) else {
            let all: Vec<&str> = Builtin::ALL
                .iter()
                .map(|b| b.name())
                .chain(PopFunc::ALL.iter().map(|p| p.name()))
                .collect();
            let mut d = Diagnostic::error(
                "unknown-function",
                format!("unknown function `{}`", func.node),
                func.span,
            );
            if let Some(s) = did_you_mean(&func.node, all.iter().copied()) {
                d = d.with_suggestion(s);
            }
            self.err(d);
            for a in args {
                let _ = self.expr(a, ctx);
            }
            return error_expr(span);
        };
        self.model.refs.push(Reference {
            span: func.span,
            symbol: Symbol::Builtin(b),
            is_definition: false,
        });
        if let Some(w) = within {
            self.err(
                Diagnostic::error("within-not-population", format!("`within {}` partitions a population function; `{}` is not one", w.node, func.node), w.span)
                    .with_help("population functions are total, mean, min_of, max_of, count, rank, top_share and cumulative_share"),
            );
        }
        let targs: Vec<TExpr> = args.iter().map(|a| self.expr(a, ctx)).collect();
        if b == Builtin::CountTrue {
            return self.count_true(targs, span);
        }
        let (params, ret): (Vec<&[Ty]>, Ty) = match b {
            Builtin::DaysSince | Builtin::MonthsSince | Builtin::YearsSince => {
                (vec![&[Ty::Date]], Ty::Int)
            }
            Builtin::Year => (vec![&[Ty::Date]], Ty::Int),
            Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains => {
                (vec![&[Ty::Text], &[Ty::Text]], Ty::Bool)
            }
            Builtin::Lower | Builtin::Upper => (vec![&[Ty::Text]], Ty::Text),
            Builtin::Len => (vec![&[Ty::Text]], Ty::Int),
            Builtin::Min | Builtin::Max => {
                let ty = targs.first().map(|a| a.ty.clone()).unwrap_or(Ty::Error);
                let ty = targs
                    .iter()
                    .skip(1)
                    .fold(ty, |acc, a| unify(&acc, &a.ty).unwrap_or(Ty::Error));
                (
                    vec![
                        &[Ty::Int, Ty::Decimal, Ty::Date],
                        &[Ty::Int, Ty::Decimal, Ty::Date],
                    ],
                    ty,
                )
            }
            Builtin::Abs => (
                vec![&[Ty::Int, Ty::Decimal]],
                targs.first().map(|a| a.ty.clone()).unwrap_or(Ty::Error),
            ),
            Builtin::Round => (vec![&[Ty::Int, Ty::Decimal], &[Ty::Int]], Ty::Decimal),
            Builtin::MonthStart => (vec![&[Ty::Date]], Ty::Date),
            Builtin::Substr => (vec![&[Ty::Text], &[Ty::Int], &[Ty::Int]], Ty::Text),
            // handled above
            Builtin::CountTrue => (Vec::new(), Ty::Int),
        };
        if targs.len() != params.len() {
            self.err(
                Diagnostic::error(
                    "wrong-arguments",
                    format!(
                        "`{}` takes {} argument{}, found {}",
                        func.node,
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        targs.len()
                    ),
                    span,
                )
                .with_help(format!("call it as `{}`", signature(b))),
            );
            return error_expr(span);
        }
        for (a, allowed) in targs.iter().zip(&params) {
            if a.ty != Ty::Error && !allowed.contains(&a.ty) {
                let names: Vec<String> = allowed.iter().map(|t| t.describe(&self.model)).collect();
                let found = a.ty.describe(&self.model);
                self.err(
                    Diagnostic::error(
                        "type-mismatch",
                        format!(
                            "`{}` expects {}, found {found}",
                            func.node,
                            describe_types(&names.iter().map(String::as_str).collect::<Vec<_>>())
                        ),
                        a.span,
                    )
                    .with_help(format!("call it as `{}`", signature(b))),
                );
            }
        }
        if b == Builtin::Round {
            if let Some(TExpr {
                kind: TExprKind::Lit(Literal::Int(d)),
                ..
            }) = targs.get(1)
            {
                let most = rubric_syntax::decimal::MAX_SCALE;
                if *d < Decimal::ZERO || *d > Decimal::from(most) {
                    self.err(
                        Diagnostic::error(
                            "type-mismatch",
                            format!("`round` keeps between 0 and {most} digits"),
                            targs[1].span,
                        )
                        .with_help(format!("a number has at most {most} decimal places")),
                    );
                }
            } else if let Some(t) = targs.get(1) {
                self.err(Diagnostic::error(
                    "type-mismatch",
                    "the digits of `round` must be a whole number literal",
                    t.span,
                ));
            }
        }
        let ret = if matches!(b, Builtin::Min | Builtin::Max)
            && !matches!(ret, Ty::Int | Ty::Decimal | Ty::Date)
        {
            Ty::Error
        } else {
            ret
        };
        let nullable = targs.iter().any(|a| a.nullable);
        TExpr {
            kind: TExprKind::Call(b, targs),
            ty: ret,
            nullable,
            span,
        }
    }

    fn pop_call(
        &mut self,
        pf: PopFunc,
        func: &ast::Name,
        args: &[Expr],
        within: Option<&ast::Name>,
        span: Span,
        ctx: Ctx,
    ) -> TExpr {
        if let Some(e) = ctx.events {
            let ename = self.model.events[e].name.clone();
            self.err(
                Diagnostic::error(
                    "aggregate-mixes-blocks",
                    format!("an aggregate over `{ename}` cannot call the population function `{}`", func.node),
                    span,
                )
                .with_help("population functions run over customers, after the aggregates: use the aggregate in a `let`, then rank that"),
            );
            return error_expr(span);
        }
        self.frames.push((Vec::new(), Vec::new()));
        let targs: Vec<TExpr> = args
            .iter()
            .map(|a| {
                self.expr(
                    a,
                    Ctx {
                        subject: None,
                        ..ctx
                    },
                )
            })
            .collect();
        let part = within.map(|w| self.resolve_name(&w.node, w.span, ctx));
        let (deps, pops) = self.frames.pop().unwrap_or_default();
        let expected_args = usize::from(pf != PopFunc::Count);
        if targs.len() != expected_args {
            let sig = pf.signature().call();
            self.err(
                Diagnostic::error(
                    "wrong-arguments",
                    format!(
                        "`{}` takes {expected_args} argument{}, found {}",
                        func.node,
                        if expected_args == 1 { "" } else { "s" },
                        targs.len()
                    ),
                    span,
                )
                .with_help(format!("call it as `{sig}`")),
            );
            return error_expr(span);
        }
        let arg = targs.into_iter().next();
        let mut ty = Ty::Decimal;
        if let Some(a) = &arg {
            let ok = match pf {
                PopFunc::MinOf | PopFunc::MaxOf => {
                    matches!(a.ty, Ty::Int | Ty::Decimal | Ty::Date | Ty::Error)
                }
                _ => a.ty.is_numeric(),
            };
            if !ok {
                let found = a.ty.describe(&self.model);
                let what = if matches!(pf, PopFunc::MinOf | PopFunc::MaxOf) {
                    "a number or a date"
                } else {
                    "a number"
                };
                self.err(
                    Diagnostic::error(
                        "type-mismatch",
                        format!("`{}` needs {what}, found {found}", pf.name()),
                        a.span,
                    )
                    .with_help(format!(
                        "`{}` ranks or sums a per-customer amount such as revenue",
                        pf.name()
                    )),
                );
            }
            ty = match pf {
                PopFunc::Total => {
                    if a.ty == Ty::Int {
                        Ty::Int
                    } else {
                        Ty::Decimal
                    }
                }
                PopFunc::MinOf | PopFunc::MaxOf => a.ty.clone(),
                PopFunc::Rank | PopFunc::Count => Ty::Int,
                _ => Ty::Decimal,
            };
        } else if pf == PopFunc::Count {
            ty = Ty::Int;
        }
        if let Some(p) = &part {
            if matches!(p.ty, Ty::List(_) | Ty::Tags(_) | Ty::Duration) {
                let found = p.ty.describe(&self.model);
                self.err(Diagnostic::error(
                    "type-mismatch",
                    format!("cannot partition by {found}"),
                    p.span,
                ));
            }
        }
        // A missing argument gives a missing result; `count()`, `rank` ... of a present value are present.
        let nullable = match (pf, &arg) {
            (PopFunc::Count, _) => false,
            (_, Some(a)) => {
                a.nullable
                    || matches!(
                        pf,
                        PopFunc::CumulativeShare
                            | PopFunc::Mean
                            | PopFunc::Total
                            | PopFunc::MinOf
                            | PopFunc::MaxOf
                    )
            }
            _ => false,
        };
        let id = self.model.pops.len();
        let mut all_deps = deps;
        for p in &pops {
            if let Some(pd) = self.model.pops.get(*p) {
                all_deps.extend(pd.deps.iter().copied());
            }
        }
        all_deps.sort_unstable();
        all_deps.dedup();
        if let Some(frame) = self.frames.last_mut() {
            frame.0.extend(all_deps.iter().copied());
            frame.1.push(id);
        }
        self.model.pops.push(PopDef {
            func: pf,
            arg,
            within: part,
            span,
            deps: all_deps,
            pops,
        });
        TExpr {
            kind: TExprKind::Pop(id),
            ty,
            nullable,
            span,
        }
    }

    /// Topological order of the items, and an error for every cycle.
    fn order_items(&mut self) {
        let n = self.model.items.len();
        let mut mark = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::with_capacity(n);
        let mut reported: Vec<bool> = vec![false; n];
        for start in 0..n {
            if mark[start] != 0 {
                continue;
            }
            // iterative DFS with an explicit path
            let mut stack: Vec<(ItemId, usize)> = vec![(start, 0)];
            mark[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let deps = &self.model.items[node].deps;
                if *next < deps.len() {
                    let dep = deps[*next];
                    *next += 1;
                    match mark.get(dep).copied() {
                        Some(0) => {
                            mark[dep] = 1;
                            stack.push((dep, 0));
                        }
                        Some(1) => {
                            // a cycle: the path from `dep` to `node`
                            let pos = stack.iter().position(|(i, _)| *i == dep).unwrap_or(0);
                            let cycle: Vec<ItemId> = stack[pos..].iter().map(|(i, _)| *i).collect();
                            if !cycle.iter().any(|i| reported[*i]) {
                                for i in &cycle {
                                    reported[*i] = true;
                                }
                                let names: Vec<String> = cycle
                                    .iter()
                                    .map(|i| format!("`{}`", self.model.items[*i].name))
                                    .collect();
                                let path = format!(
                                    "{} -> `{}`",
                                    names.join(" -> "),
                                    self.model.items[dep].name
                                );
                                let first = cycle[0];
                                let mut d = Diagnostic::error(
                                    "cycle",
                                    format!("`{}` depends on itself: {path}", self.model.items[first].name),
                                    self.model.items[first].span,
                                )
                                .with_help("break the cycle: one of these must be computed without the others");
                                for i in &cycle[1..] {
                                    d = d.with_related(
                                        self.model.items[*i].span,
                                        format!(
                                            "`{}` is part of the cycle",
                                            self.model.items[*i].name
                                        ),
                                    );
                                }
                                self.diags.push(d);
                            }
                        }
                        _ => {}
                    }
                } else {
                    mark[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        self.model.order = order;
    }

    fn check_tests(&mut self) {
        let decls = self.decls.clone();
        for d in decls {
            let DeclKind::Test(t) = &d.kind else { continue };
            let mut case = TestCase {
                name: t.name.node.clone(),
                span: d.span(),
                records: Vec::new(),
                many: false,
                as_of: None,
                expects: Vec::new(),
            };
            let mut given_seen: Option<Span> = None;
            for item in &t.items {
                match item {
                    ast::TestItem::Given { records, many, loc } => {
                        if let Some(first) = given_seen {
                            self.err(
                                Diagnostic::error(
                                    "duplicate-given",
                                    "a test has one `given`",
                                    loc.0,
                                )
                                .with_related(first, "first given here")
                                .with_help("list several customers in one `given [ {…}, {…} ]`"),
                            );
                            continue;
                        }
                        given_seen = Some(loc.0);
                        case.many = *many;
                        let mut keys: Vec<(String, Span)> = Vec::new();
                        for r in records {
                            let rec = self.test_record(r, &mut keys);
                            case.records.push(rec);
                        }
                    }
                    ast::TestItem::AsOf(date) => case.as_of = Some(date.node),
                    ast::TestItem::Expect(e) => {
                        let ctx = Ctx {
                            subject: None,
                            in_test: true,
                            events: None,
                        };
                        self.frames.push((Vec::new(), Vec::new()));
                        let t = self.expr(e, ctx);
                        self.frames.pop();
                        self.expect_bool(&t, "an expectation");
                        if !case.many && contains_index(&t) {
                            self.err(
                                Diagnostic::error("index-outside-test", "`x[\"key\"]` needs a test with `given [ … ]`", t.span)
                                    .with_help("with a single `given { … }`, name the value directly: `tier == gold`"),
                            );
                        }
                        case.expects.push(Expect {
                            expr: t,
                            span: e.span(),
                        });
                    }
                }
            }
            if given_seen.is_none() {
                self.err(
                    Diagnostic::error(
                        "missing-given",
                        format!("test \"{}\" has no `given`", t.name.node),
                        t.name.span,
                    )
                    .with_help("describe the customer: `given { id: \"c1\", revenue: 100 }`"),
                );
            }
            self.model.tests.push(case);
        }
    }

    fn test_record(&mut self, r: &ast::Record, keys: &mut Vec<(String, Span)>) -> TestRecord {
        let mut values: Vec<(FieldId, Literal)> = Vec::new();
        for (name, value) in &r.fields {
            let Some(Symbol::Field(f)) = self.names.get(&name.node).copied() else {
                let mut d = Diagnostic::error(
                    "unknown-field",
                    format!("`{}` is not an input field", name.node),
                    name.span,
                );
                let cands: Vec<String> = self.model.fields.iter().map(|f| f.name.clone()).collect();
                if let Some(s) = did_you_mean(&name.node, cands.iter().map(String::as_str)) {
                    d = d.with_suggestion(s);
                } else if self.model.item_named(&name.node).is_some() {
                    d = d.with_help(
                        "a test gives input fields; derived values are computed from them",
                    );
                }
                self.err(d);
                continue;
            };
            self.model.refs.push(Reference {
                span: name.span,
                symbol: Symbol::Field(f),
                is_definition: false,
            });
            if values.iter().any(|(g, _)| *g == f) {
                self.err(
                    Diagnostic::error(
                        "duplicate-field",
                        format!("`{}` is given twice", name.node),
                        name.span,
                    )
                    .with_help("give each field once per customer"),
                );
                continue;
            }
            if let Some(codes) = self.model.fields[f].codes.clone() {
                let v = self.given_code(&codes, value);
                values.push((f, v));
                continue;
            }
            let fd = &self.model.fields[f];
            let lt = literal_ty(&value.node);
            let ok = match (&fd.ty, &lt) {
                (Ty::Decimal, Ty::Int | Ty::Decimal) => true,
                (Ty::Int, Ty::Int) => true,
                (Ty::Error, _) => true,
                (a, b) => a == b,
            };
            if !ok {
                let (fname, fty) = (fd.name.clone(), fd.ty.describe(&self.model));
                let found = lt.describe(&self.model);
                let mut d = Diagnostic::error(
                    "type-mismatch",
                    format!("`{fname}` is {fty}, but the test gives {found}"),
                    value.span,
                );
                if fd.ty == Ty::Text {
                    d = d.with_help("write text in double quotes");
                }
                self.err(d);
            }
            values.push((f, value.node.clone()));
        }
        if let Some(k) = self.model.key {
            match values.iter().find(|(f, _)| *f == k) {
                Some((_, Literal::Text(key))) => {
                    if let Some((_, first)) = keys.iter().find(|(x, _)| x == key) {
                        let first = *first;
                        self.err(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("two customers have the key \"{key}\""),
                                r.loc.0,
                            )
                            .with_related(first, "first here"),
                        );
                    } else {
                        keys.push((key.clone(), r.loc.0));
                    }
                }
                Some(_) => {}
                None => {
                    let kname = self.model.fields[k].name.clone();
                    self.err(
                        Diagnostic::error(
                            "missing-key-value",
                            format!("the customer has no `{kname}`"),
                            r.loc.0,
                        )
                        .with_help(format!("give every test customer a key: `{kname}: \"c1\"`")),
                    );
                }
            }
        }
        let events = self.test_events(r);
        TestRecord {
            values,
            events,
            span: r.loc.0,
        }
    }
}

fn contains_index(e: &TExpr) -> bool {
    let mut found = false;
    crate::visit::walk(e, &mut |x| {
        if matches!(x.kind, TExprKind::Index { .. }) {
            found = true;
        }
    });
    found
}

/// How to call a built-in, for a `call it as …` help.
pub(crate) fn signature(b: Builtin) -> String {
    b.signature().call()
}

/// `d` with a did-you-mean for `name` among `candidates`, else a help that lists them all:
/// `{what} are `a`, `b``, `what` being e.g. "the codes of `tier`".
pub(crate) fn suggest_or_list(
    d: Diagnostic,
    name: &str,
    candidates: &[String],
    what: &str,
) -> Diagnostic {
    match did_you_mean(name, candidates.iter().map(String::as_str)) {
        Some(s) => d.with_suggestion(s),
        None => d.with_help(format!(
            "{what} are {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub(crate) fn error_expr(span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Lit(Literal::Bool(false)),
        ty: Ty::Error,
        nullable: false,
        span,
    }
}

pub fn literal_ty(l: &Literal) -> Ty {
    match l {
        Literal::Int(_) => Ty::Int,
        Literal::Decimal(_) => Ty::Decimal,
        Literal::Text(_) => Ty::Text,
        Literal::Bool(_) => Ty::Bool,
        Literal::Date(_) => Ty::Date,
        Literal::Duration(_) => Ty::Duration,
    }
}

fn same_literal_ty(a: &Ty, b: &Ty) -> bool {
    a == b || (a.is_numeric() && b.is_numeric())
}

fn describe_lit_ty(t: &Ty) -> &'static str {
    match t {
        Ty::Int | Ty::Decimal => "a number",
        Ty::Text => "text",
        Ty::Bool => "a bool",
        Ty::Date => "a date",
        Ty::Duration => "a duration",
        _ => "a value",
    }
}

/// The common type of two values that may meet (in `==`, `if`, `??`, lists).
pub fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Error, t) | (t, Ty::Error) => Some(t.clone()),
        (Ty::Int, Ty::Int) => Some(Ty::Int),
        (Ty::Int | Ty::Decimal, Ty::Int | Ty::Decimal) => Some(Ty::Decimal),
        (a, b) if a == b => Some(a.clone()),
        _ => None,
    }
}

fn ordered_compatible(a: &Ty, b: &Ty) -> bool {
    matches!(
        (a, b),
        (Ty::Error, _)
            | (_, Ty::Error)
            | (Ty::Int | Ty::Decimal, Ty::Int | Ty::Decimal)
            | (Ty::Date, Ty::Date)
    )
}
