//! The checker's part of the smaller v2 additions: `d within next 30d`, the `missing` literal,
//! `count_true(…)` and `substr(…)`. A child module of `check`, so it extends the one checker.

use super::{error_expr, Checker};
use crate::hir::{Builtin, TExpr, TExprKind, Ty};
use rubric_syntax::ast::{BinOp, Expr, ExprKind};
use rubric_syntax::{Diagnostic, Fix, Span};

/// The `missing` literal. Its type is [`Ty::Error`], which takes the type of whatever it meets
/// (`if`, `??`, lists) without a further diagnostic; a `let` left with no type at all is reported
/// by [`Checker::untyped_missing`].
pub(super) fn missing_expr(span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Missing,
        ty: Ty::Error,
        nullable: true,
        span,
    }
}

fn is_missing_lit(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Missing => true,
        ExprKind::Paren(inner) => is_missing_lit(inner),
        _ => false,
    }
}

/// `x == missing` and friends: a comparison with missing is missing, so it is never true.
pub(super) fn compare_missing(op: BinOp, l: &Expr, r: &Expr, span: Span) -> Option<Diagnostic> {
    if !op.is_comparison() && !matches!(op, BinOp::In | BinOp::NotIn) {
        return None;
    }
    let in_list = matches!(op, BinOp::In | BinOp::NotIn)
        && matches!(&r.kind, ExprKind::List(items) if items.iter().any(is_missing_lit));
    let (lm, rm) = (is_missing_lit(l), is_missing_lit(r) || in_list);
    if !lm && !rm {
        return None;
    }
    let message = if in_list && !lm {
        "`missing` in a list never matches: `x in [.., missing]` is missing where nothing else matches".to_string()
    } else {
        format!(
            "`{}` with `missing` is never true: the result is missing",
            op.as_str()
        )
    };
    let mut d = Diagnostic::error("compare-missing", message, span);
    let test = match op {
        BinOp::Eq => Some("is missing"),
        BinOp::Ne => Some("is present"),
        _ => None,
    };
    d = match test {
        Some(t) if rm && !lm => d
            .with_help(format!("test for a missing value with `{t}`"))
            .with_fix(Fix::safe(
                format!("write `{t}`"),
                Span::new(l.span().end, r.span().end),
                format!(" {t}"),
            )),
        Some(t) => d.with_help(format!("test for a missing value with `x {t}`")),
        None => d.with_help("test for a missing value with `x is missing` or `x is present`"),
    };
    Some(d)
}

impl Checker<'_> {
    /// The operand types of `within` and `within next`.
    pub(super) fn within_types(&mut self, lt: &TExpr, rt: &TExpr) {
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
    }

    /// `count_true(c1, c2, …)`: at least one condition, each a bool; an int, never missing.
    pub(super) fn count_true(&mut self, args: Vec<TExpr>, span: Span) -> TExpr {
        if args.is_empty() {
            self.err(
                Diagnostic::error(
                    "wrong-arguments",
                    "`count_true` takes at least one condition, found none",
                    span,
                )
                .with_help(format!(
                    "call it as `{}`",
                    super::signature(Builtin::CountTrue)
                )),
            );
            return error_expr(span);
        }
        for a in &args {
            self.expect_bool(a, "an argument of `count_true`");
        }
        TExpr {
            kind: TExprKind::Call(Builtin::CountTrue, args),
            ty: Ty::Int,
            nullable: false,
            span,
        }
    }

    /// A `let` whose value has no type after checking, with no error said about it: it is
    /// `missing` and nothing that gives it a type (`let x = missing`).
    pub(super) fn untyped_missing(&mut self, value: &TExpr, errors_before: usize) {
        if value.ty != Ty::Error || self.diags.len() != errors_before {
            return;
        }
        let mut has_missing = false;
        crate::visit::walk(value, &mut |e| {
            has_missing |= matches!(e.kind, TExprKind::Missing);
        });
        if has_missing {
            self.err(
                Diagnostic::error(
                    "untyped-missing",
                    "`missing` here has no type to take",
                    value.span,
                )
                .with_help(
                    "use `missing` where it meets a value, as in `if c then missing else points`",
                ),
            );
        }
    }
}

impl Checker<'_> {
    /// `use "file.rubric"` reaching the checker: the scheme was checked from a text with no
    /// file to find the used file from ([`crate::project::check_project`] resolves `use`), so it
    /// is an error rather than a declaration that silently brings nothing.
    pub(super) fn use_unsupported(&mut self, path: &rubric_syntax::Spanned<String>) {
        self.err(
            Diagnostic::error(
                "use-unsupported",
                format!("`use \"{}\"` cannot be resolved here", path.node),
                path.span,
            )
            .with_help("a used file is found relative to the scheme's file: save the scheme, or check it as a file"),
        );
    }
}

/// The names of the `grade` declarations (not `tags`): the types a field may have besides the
/// five base types.
pub(super) fn grade_names(decls: &[&rubric_syntax::ast::Decl]) -> Vec<String> {
    decls
        .iter()
        .filter_map(|d| match &d.kind {
            rubric_syntax::ast::DeclKind::Grade(g) if !g.is_tags => Some(g.name.node.clone()),
            _ => None,
        })
        .collect()
}

impl Checker<'_> {
    /// Fields typed by a grade (`last_tier tier?`): once the grades are collected, each such
    /// field takes the grade's type, so `last_tier == diamond` is checked against `tier`'s
    /// codes, and learns the codes and labels its cells may hold. The field reads last period's
    /// value, so a grade may depend on a field of its own type without a cycle.
    pub(super) fn grade_typed_fields(&mut self, file: &rubric_syntax::ast::File) {
        let Some(input) = file.decls.iter().find_map(|d| match &d.kind {
            rubric_syntax::ast::DeclKind::Input(i) => Some(i),
            _ => None,
        }) else {
            return;
        };
        for f in &input.fields {
            let Some(id) = self
                .model
                .fields
                .iter()
                .position(|m| m.span == f.name.span && m.ty == Ty::Error)
            else {
                continue;
            };
            let ty = f.ty.node.as_str();
            let grade = self.model.items.iter().position(|i| i.name == ty);
            let Some((g, gd)) = grade.and_then(|g| self.model.grade(g).map(|gd| (g, gd))) else {
                continue;
            };
            if gd.is_tags {
                self.err(
                    Diagnostic::error(
                        "unknown-type",
                        format!(
                            "`{ty}` is tags; a field can have the type of a grade, not of tags"
                        ),
                        f.ty.span,
                    )
                    .with_help("a tags value is a set of codes; read it as `text` instead"),
                );
                continue;
            }
            let codes = crate::hir::FieldCodes {
                grade: ty.to_string(),
                codes: gd
                    .codes
                    .iter()
                    .map(|c| (c.name.clone(), c.label.clone()))
                    .collect(),
            };
            if f.key.is_some() {
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
            self.model.refs.push(crate::hir::Reference {
                span: f.ty.span,
                symbol: crate::hir::Symbol::Item(g),
                is_definition: false,
            });
            let fd = &mut self.model.fields[id];
            fd.ty = Ty::Grade(g);
            fd.codes = Some(codes);
        }
    }
}

impl Checker<'_> {
    /// A test's value for a grade-typed field: a code or a label of the grade, as text; kept as
    /// the code's name.
    pub(super) fn given_code(
        &mut self,
        codes: &crate::hir::FieldCodes,
        value: &rubric_syntax::Spanned<rubric_syntax::ast::Literal>,
    ) -> rubric_syntax::ast::Literal {
        use rubric_syntax::ast::Literal;
        let Literal::Text(t) = &value.node else {
            let found = super::literal_ty(&value.node).describe(&self.model);
            self.err(
                Diagnostic::error(
                    "type-mismatch",
                    format!(
                        "a code of `{}` is given as text, but the test gives {found}",
                        codes.grade
                    ),
                    value.span,
                )
                .with_help(format!(
                    "write a code or a label in quotes: {}",
                    codes.listed()
                )),
            );
            return value.node.clone();
        };
        match codes.lookup(t) {
            Some(i) => Literal::Text(codes.codes[i].0.clone()),
            None => {
                let mut d = Diagnostic::error(
                    "unknown-code",
                    format!("`{}` has no code or label \"{t}\"", codes.grade),
                    value.span,
                );
                let names = codes
                    .codes
                    .iter()
                    .flat_map(|(c, l)| std::iter::once(c.as_str()).chain(l.as_deref()));
                d = match rubric_syntax::diagnostic::did_you_mean(t, names) {
                    Some(s) => d
                        .with_help(format!("did you mean \"{s}\"?"))
                        .with_fix(Fix::guess(
                            format!("write \"{s}\""),
                            value.span,
                            format!("\"{s}\""),
                        )),
                    None => d.with_help(format!(
                        "the codes of `{}` are {}",
                        codes.grade,
                        codes.listed()
                    )),
                };
                self.err(d);
                value.node.clone()
            }
        }
    }
}
