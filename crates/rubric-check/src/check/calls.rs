//! Function calls: built-in functions and population functions (with `within`).

use super::{describe_types, error_expr, signature, unify, Checker, Ctx};
use crate::hir::*;
use rubric_syntax::ast::{self, Expr, Literal};
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Decimal, Diagnostic, Span};

impl Checker<'_> {
    pub(super) fn call(
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

    pub(super) fn pop_call(
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
}
