//! Dates and durations: shifting by days, months and years, days between, date parts.

use super::{err, text_literal, Dialect, Dur, Error, Gen, E};
use rubric_check::hir::{ItemKind, TExpr, TExprKind};
use rubric_syntax::ast::Literal;
use rubric_syntax::date::{Duration, DurationUnit};

impl Gen<'_> {
    /// `date ± dur`: a known duration shifts the date directly; a computed one is a `CASE` over
    /// its text with one arm per duration it can hold (no arm, `NULL`, where it is missing).
    pub(super) fn date_shift(&mut self, date: E, dur: Dur, sign: i64) -> Result<E, Error> {
        match dur {
            Dur::Known(d) => self.date_add(&date, d, sign),
            Dur::Computed { text, leaves } => {
                // read once per arm: a column, a date literal or today, else hoisted
                let constant = date.sql.starts_with("DATE '") || date.sql == "CURRENT_DATE";
                let date = if constant {
                    date
                } else {
                    self.hoist(date, "date")
                };
                let mut sql = format!("CASE {}", text.sql);
                for d in leaves {
                    let shifted = self.date_add(&date, d, sign)?;
                    sql.push_str(&format!(
                        " WHEN {} THEN {}",
                        text_literal(&d.to_string(), self.d),
                        shifted.sql
                    ));
                }
                sql.push_str(" END");
                Ok(E::new(sql, 0, date.ready.max(text.ready)))
            }
        }
    }

    pub(super) fn date_add(&self, date: &E, dur: Duration, sign: i64) -> Result<E, Error> {
        let (n, months) = match dur.unit {
            DurationUnit::Day => (dur.count, false),
            DurationUnit::Week => (dur.count * 7, false),
            DurationUnit::Month => (dur.count, true),
            DurationUnit::Year => (dur.count * 12, true),
        };
        let n = n * sign;
        let op = if n < 0 { "-" } else { "+" };
        let a = n.abs();
        let d = &date.sql;
        let sql = match (self.d, months) {
            (Dialect::DuckDb, false) => format!("CAST({d} {op} INTERVAL {a} DAY AS DATE)"),
            (Dialect::DuckDb, true) => format!("CAST({d} {op} INTERVAL {a} MONTH AS DATE)"),
            (Dialect::Postgres, false) => format!("({d} {op} {a})"),
            (Dialect::Postgres, true) => format!("CAST({d} {op} INTERVAL '{a} months' AS DATE)"),
            (Dialect::Spark, false) => format!("date_add({d}, {n})"),
            (Dialect::Spark, true) => format!("add_months({d}, {n})"),
        };
        Ok(E::new(sql, 0, date.ready))
    }

    /// The duration an expression stands for. A literal, or a `let` that holds one (`let window
    /// = 90d`, `let w = window`), is known when the query is written. Any other duration (`if vip
    /// then 30d else 90d`, `w ?? 7d`, a grade attribute) is computed per row as its text (`'30d'`,
    /// as `rubric run --all` prints it, `NULL` where it is missing), with every duration it can
    /// hold, so that a date shifted by it is a `CASE` over that text.
    pub(super) fn duration(&mut self, e: &TExpr, subj: Option<&E>) -> Result<Dur, Error> {
        if let Some(d) = self.known_duration(e) {
            return Ok(Dur::Known(d));
        }
        let mut leaves = Vec::new();
        self.duration_leaves(e, &mut leaves, 0)?;
        let text = self.expr(e, subj)?;
        let text = self.hoist(text, "dur");
        Ok(Dur::Computed { text, leaves })
    }

    /// A duration written as a literal, or a chain of `let`s ending in one.
    pub(super) fn known_duration(&self, e: &TExpr) -> Option<Duration> {
        let mut e = e;
        // lets cannot form cycles (the checker rejects them); the bound is only a guard
        for _ in 0..=self.m.items.len() {
            match &e.kind {
                TExprKind::Lit(Literal::Duration(d)) => return Some(*d),
                TExprKind::Item(i) => match self.m.items.get(*i).map(|it| &it.kind) {
                    Some(ItemKind::Let { value }) => e = value,
                    _ => return None,
                },
                _ => return None,
            }
        }
        None
    }

    /// Every duration `e` can hold, each once, in the order they are written.
    pub(super) fn duration_leaves(
        &self,
        e: &TExpr,
        out: &mut Vec<Duration>,
        depth: usize,
    ) -> Result<(), Error> {
        // lets cannot form cycles (the checker rejects them); the bound is only a guard
        if depth > self.m.items.len() + 64 {
            return err("a duration nests too deeply");
        }
        let add = |d: Duration, out: &mut Vec<Duration>| {
            if !out.contains(&d) {
                out.push(d);
            }
        };
        match &e.kind {
            TExprKind::Lit(Literal::Duration(d)) => add(*d, out),
            // no duration: the `CASE` over the leaves gives NULL, as `rubric run` gives missing
            TExprKind::Missing => {}
            TExprKind::Item(i) => match self.m.items.get(*i).map(|it| &it.kind) {
                Some(ItemKind::Let { value }) => self.duration_leaves(value, out, depth + 1)?,
                _ => return err("`rubric sql` cannot compile this duration"),
            },
            TExprKind::If(_, a, b) | TExprKind::Coalesce(a, b) => {
                self.duration_leaves(a, out, depth + 1)?;
                self.duration_leaves(b, out, depth + 1)?;
            }
            TExprKind::Attr { grade, attr, .. } => {
                let Some(gd) = self.m.grade(*grade) else {
                    return err("unknown grade");
                };
                for c in &gd.codes {
                    if let Some(Literal::Duration(d)) = c.attrs.get(*attr) {
                        add(*d, out);
                    }
                }
            }
            _ => {
                return err(
                    "`rubric sql` compiles a duration written as a literal, a `let`, `if`, `??` or a grade attribute",
                )
            }
        }
        Ok(())
    }

    /// Whole days from `b` to `a`, as a number.
    pub(super) fn days_between(&self, a: &str, b: &str) -> String {
        let inner = match self.d {
            Dialect::DuckDb => format!("date_diff('day', {b}, {a})"),
            Dialect::Postgres => format!("({a} - {b})"),
            Dialect::Spark => format!("datediff({a}, {b})"),
        };
        format!("CAST({inner} AS {})", self.dec(0))
    }

    pub(super) fn part(&self, d: &str, what: &str) -> String {
        match self.d {
            Dialect::Postgres => format!("EXTRACT({} FROM {d})", what.to_uppercase()),
            Dialect::Spark if what == "day" => format!("dayofmonth({d})"),
            _ => format!("{what}({d})"),
        }
    }

    /// Whole calendar months from `d` to today, counted like an age.
    pub(super) fn months_since(&self, d: &str) -> String {
        let t = &self.today;
        // With a known evaluation date, its parts are constants.
        let (ty, tm, td) = match self.as_of {
            Some(date) => {
                let (y, m, d) = date.ymd();
                (y.to_string(), m.to_string(), d.to_string())
            }
            None => (
                self.part(t, "year"),
                self.part(t, "month"),
                self.part(t, "day"),
            ),
        };
        let m = format!(
            "(({ty} - {}) * 12 + ({tm} - {}))",
            self.part(d, "year"),
            self.part(d, "month")
        );
        let (dt, dd) = (td, self.part(d, "day"));
        format!("({m} - CASE WHEN {m} > 0 AND {dt} < {dd} THEN 1 WHEN {m} < 0 AND {dt} > {dd} THEN -1 ELSE 0 END)")
    }
}
