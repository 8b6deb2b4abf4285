//! Built-in function calls.

use super::{err, Dialect, Error, Gen, E};
use rubric_check::hir::{Builtin, TExpr, TExprKind};
use rubric_syntax::ast::Literal;

impl Gen<'_> {
    pub(super) fn call(
        &mut self,
        b: Builtin,
        args: &[TExpr],
        subj: Option<&E>,
    ) -> Result<E, Error> {
        let mut es = Vec::new();
        for a in args {
            es.push(self.expr(a, subj)?);
        }
        let ready = es.iter().map(|e| e.ready).max().unwrap_or(1);
        let arg = |i: usize| {
            es.get(i)
                .map(|e| e.sql.clone())
                .unwrap_or_else(|| "NULL".into())
        };
        let d = self.d;
        if matches!(b, Builtin::CountTrue | Builtin::Substr) {
            return Ok(self.call_v2(b, args, es, ready));
        }
        let sql = match b {
            Builtin::DaysSince => self.days_between(&self.today, &arg(0)),
            Builtin::MonthsSince => {
                format!("CAST({} AS {})", self.months_since(&arg(0)), self.dec(0))
            }
            Builtin::YearsSince => {
                let m = self.months_since(&arg(0));
                let y = match d {
                    Dialect::DuckDb => format!("({m} // 12)"),
                    Dialect::Postgres => format!("TRUNC({m} / 12)"),
                    Dialect::Spark => format!("({m} div 12)"),
                };
                format!("CAST({y} AS {})", self.dec(0))
            }
            Builtin::Year => format!("CAST({} AS {})", self.part(&arg(0), "year"), self.dec(0)),
            Builtin::MonthStart => format!("CAST(DATE_TRUNC('month', {}) AS DATE)", arg(0)),
            Builtin::StartsWith => match d {
                Dialect::Spark => format!("startswith({}, {})", arg(0), arg(1)),
                _ => format!("starts_with({}, {})", arg(0), arg(1)),
            },
            Builtin::EndsWith => match d {
                Dialect::Spark => format!("endswith({}, {})", arg(0), arg(1)),
                Dialect::DuckDb => format!("ends_with({}, {})", arg(0), arg(1)),
                Dialect::Postgres => {
                    format!("(right({0}, char_length({1})) = {1})", arg(0), arg(1))
                }
            },
            Builtin::Contains => match d {
                Dialect::Postgres => format!("(strpos({}, {}) > 0)", arg(0), arg(1)),
                _ => format!("contains({}, {})", arg(0), arg(1)),
            },
            Builtin::Lower => format!("lower({})", arg(0)),
            Builtin::Upper => format!("upper({})", arg(0)),
            Builtin::Len => match d {
                Dialect::DuckDb => format!("CAST(length({}) AS {})", arg(0), self.dec(0)),
                _ => format!("CAST(char_length({}) AS {})", arg(0), self.dec(0)),
            },
            Builtin::Min | Builtin::Max => {
                let (a, c) = match (es.first(), es.get(1)) {
                    (Some(a), Some(c)) => (a.clone(), c.clone()),
                    _ => return err("`min` and `max` take two arguments"),
                };
                // each operand is read three times below: a long one is read from its own
                // column, or nested `min`s would grow the query threefold a level
                let (a, c) = (self.hoist_long(a, "min"), self.hoist_long(c, "min"));
                let ready = ready.max(a.ready).max(c.ready);
                let numeric = args.first().is_some_and(|x| x.ty.is_numeric());
                let s = a.scale.max(c.scale);
                let (x, y) = if numeric {
                    (self.rescale(&a, s), self.rescale(&c, s))
                } else {
                    (a.sql, c.sql)
                };
                let op = if b == Builtin::Min { "<=" } else { ">=" };
                return Ok(E::new(
                    format!("CASE WHEN {x} IS NULL OR {y} IS NULL THEN NULL WHEN {x} {op} {y} THEN {x} ELSE {y} END"),
                    if numeric { s } else { 0 },
                    ready,
                ));
            }
            Builtin::Abs => {
                return Ok(E::new(
                    format!("abs({})", arg(0)),
                    es.first().map_or(0, |e| e.scale),
                    ready,
                ))
            }
            Builtin::Round => {
                let digits = match args.get(1).map(|a| &a.kind) {
                    Some(TExprKind::Lit(Literal::Int(n))) => {
                        u32::try_from(n.mantissa()).unwrap_or(0)
                    }
                    _ => return err("the digits of `round` must be a whole number literal"),
                };
                let s = es.first().map_or(0, |e| e.scale);
                let t = digits.min(s);
                return Ok(E::new(
                    format!("CAST(round({}, {digits}) AS {})", arg(0), self.dec(t)),
                    t,
                    ready,
                ));
            }
            Builtin::CountTrue | Builtin::Substr => return err("handled by `call_v2`"),
        };
        Ok(E::new(sql, 0, ready))
    }
}
