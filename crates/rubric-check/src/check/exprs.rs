//! Names and expressions: resolving a name to a field, item, code or subject, and typing every
//! expression and operator.

use super::{
    additions, error_expr, literal_ty, ordered_compatible, suggest_or_list, unify, Checker, Ctx,
    State,
};
use crate::hir::*;
use rubric_syntax::ast::{BinOp, Expr, ExprKind, UnOp};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Diagnostic, Span};

impl Checker<'_> {
    pub(super) fn use_item(&mut self, id: ItemId) {
        if let Some(frame) = self.frames.last_mut() {
            frame.0.push(id);
        }
    }

    pub(super) fn resolve_name(&mut self, name: &str, span: Span, ctx: Ctx) -> TExpr {
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

    pub(super) fn find_code(&self, name: &str) -> Option<(ItemId, usize)> {
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
    pub(super) fn code_of(&mut self, g: ItemId, e: &Expr) -> Option<TExpr> {
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

    pub(super) fn grade_of(ty: &Ty) -> Option<ItemId> {
        match ty {
            Ty::Grade(g) | Ty::Tags(g) => Some(*g),
            _ => None,
        }
    }

    pub(super) fn expr(&mut self, e: &Expr, ctx: Ctx) -> TExpr {
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

    pub(super) fn unify_all(&mut self, items: &[TExpr], what: &str) -> Ty {
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

    pub(super) fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, span: Span, ctx: Ctx) -> TExpr {
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
}
