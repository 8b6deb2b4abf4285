//! Checking each item: `let`, `points`, `score` (terms, weights, bonuses) and grades and tags
//! (their conditions, `by` subjects and attributes).

use super::{describe_lit_ty, literal_ty, same_literal_ty, Checker, Ctx, State};
use crate::hir::*;
use rubric_syntax::ast::{self, Cond, DeclKind, Literal};
use rubric_syntax::{Decimal, Diagnostic, Span};

impl Checker<'_> {
    /// Checks one item (once), recursing into the lets it reads so their types are known.
    pub(super) fn check_item(&mut self, id: ItemId) {
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

    pub(super) fn bonus(&mut self, b: &ast::Bonus, ctx: Ctx) -> Bonus {
        let cond = self.expr(&b.cond, ctx);
        self.expect_bool(&cond, "a bonus condition");
        Bonus {
            factor: b.factor.node,
            cond,
            span: b.loc.0,
        }
    }

    pub(super) fn cond(
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

    pub(super) fn check_grade(&mut self, id: ItemId, g: &ast::Grade, ctx: Ctx) {
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
                // (a repeat is reported with every rule's, below)
                if attr_keys.iter().any(|(k, _, _)| *k == a.key.node) {
                    continue;
                }
                attr_keys.push((a.key.node.clone(), literal_ty(&a.value.node), a.key.span));
            }
        }
        let mut attr_values: Vec<Vec<Literal>> = Vec::new();
        for r in &g.rules {
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
                        if values[i].is_some() {
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

    pub(super) fn expect_bool(&mut self, e: &TExpr, what: &str) {
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

    pub(super) fn expect_numeric(&mut self, e: &TExpr, what: &str) {
        if !e.ty.is_numeric() {
            let found = e.ty.describe(&self.model);
            self.err(Diagnostic::error(
                "type-mismatch",
                format!("{what} must be a number, found {found}"),
                e.span,
            ));
        }
    }

    pub(super) fn mismatch(&mut self, span: Span, expected: &str, found: &Ty) {
        let found = found.describe(&self.model);
        self.err(Diagnostic::error(
            "type-mismatch",
            format!("expected {expected}, found {found}"),
            span,
        ));
    }
}
