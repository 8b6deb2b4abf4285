//! Exact decimal arithmetic in SQL: sums and products at a known scale, and the quotient
//! rounded half away from zero as the evaluator rounds it.

use super::{pow10_hugeint, Dialect, Error, Gen, DIV_SCALE, E, MAX_SCALE};
use rubric_syntax::{Diagnostic, Span};

impl Gen<'_> {
    pub(super) fn add_sub(&mut self, a: E, b: E, op: &str) -> E {
        let s = a.scale.max(b.scale);
        let ready = a.ready.max(b.ready);
        E::new(format!("({} {op} {})", a.sql, b.sql), s, ready)
    }

    pub(super) fn mul(&mut self, a: E, b: E, span: Span) -> Result<E, Error> {
        let ready = a.ready.max(b.ready);
        let scale = a.scale + b.scale;
        // Exact in every engine: DECIMAL(38, s₁ + s₂) in DuckDB and Spark, NUMERIC in PostgreSQL.
        // Beyond 38 places no engine's DECIMAL holds the product, and `rubric run` would round
        // it: refused, so that the query never differs from `rubric run` silently.
        if scale > MAX_SCALE {
            return Err(Error::Scheme(Box::new(
                Diagnostic::error(
                    "sql-too-many-places",
                    format!(
                        "this product can have {scale} decimal places ({} + {}), more than the \
                         {MAX_SCALE} a warehouse decimal holds",
                        a.scale, b.scale
                    ),
                    span,
                )
                .with_help(format!(
                    "round an operand, e.g. `round(x, {})`: a quotient has {DIV_SCALE} places, a \
                     `decimal` field {}",
                    MAX_SCALE.saturating_sub(a.scale.min(b.scale)).min(8),
                    self.places
                )),
            )));
        }
        Ok(E::new(format!("({} * {})", a.sql, b.sql), scale, ready))
    }

    /// `a / b`: missing when `b` is zero, else the quotient rounded half away from zero to
    /// DIV_SCALE places.
    pub(super) fn div(&mut self, a: E, b: E) -> E {
        let p = DIV_SCALE;
        match self.d {
            Dialect::Postgres => {
                // NUMERIC division rounds its last place, so ROUND(a / b, 16) would round twice:
                // divide a * 10^16 by b with the exact, truncating div() and round with mod().
                let ready = a.ready.max(b.ready);
                let nn = self.fresh("num");
                let dn = self.fresh("den");
                let scaled = format!("({} * 1{})", a.sql, "0".repeat(p as usize));
                let n = self.place(ready, nn, scaled, 0).sql;
                let dd = self
                    .place(ready, dn, format!("NULLIF({}, 0)", b.sql), 0)
                    .sql;
                let q = format!(
                    "(div({n}, {dd}) + CASE WHEN 2 * abs(mod({n}, {dd})) >= abs({dd}) THEN sign({n}) * sign({dd}) ELSE 0 END)"
                );
                let unit = format!("0.{}1", "0".repeat(p as usize - 1));
                E::new(format!("({q} * {unit})"), p, ready + 1)
            }
            Dialect::Spark => {
                // Spark rounds a quotient to at least 18 places, and a cast to 16 would round it
                // again: take the 16 places below the quotient's magnitude, then add the last
                // one when the exact remainder |a| - f |b| is at least half of it.
                let ready = a.ready.max(b.ready);
                let (an, bn, qn) = (self.fresh("num"), self.fresh("den"), self.fresh("quo"));
                let a = self.place(ready, an, a.sql, a.scale);
                let b = self.place(ready, bn, format!("NULLIF({}, 0)", b.sql), b.scale);
                let q = self.place(
                    a.ready.max(b.ready),
                    qn,
                    format!("({} / {})", a.sql, b.sql),
                    0,
                );
                let ready = q.ready;
                let (a, b, q) = (a.sql, b.sql, q.sql);
                let f = format!("floor(abs({q}), {p})");
                let half = format!("0.{}5", "0".repeat(p as usize));
                let unit = format!("0.{}1", "0".repeat(p as usize - 1));
                E::new(
                    format!(
                        "CAST(CASE WHEN ({a} < 0) = ({b} < 0) THEN 1 ELSE -1 END * ({f} + CASE WHEN abs({a}) - {f} * abs({b}) >= abs({b}) * {half} THEN {unit} ELSE 0 END) AS {})",
                        self.dec(p)
                    ),
                    p,
                    ready,
                )
            }
            Dialect::DuckDb => {
                // DuckDB divides decimals in DOUBLE, so divide the unscaled integers (HUGEINT,
                // truncating) and round with the remainder.
                let (sa, sb) = (a.scale as i64, b.scale as i64);
                let k = sb + p as i64 - sa;
                // The unscaled integer of a DECIMAL(38, s). Multiplying by 10^s keeps the scale,
                // so it overflows once |x| reaches 10^(38 - 2s); for finer scales read the digits.
                let unscaled = |e: &E, s: i64| {
                    if s == 0 {
                        format!("CAST({} AS HUGEINT)", e.sql)
                    } else if s <= 6 {
                        format!("CAST({} * {} AS HUGEINT)", e.sql, pow10_hugeint(s))
                    } else {
                        format!(
                            "CAST(replace(CAST({} AS VARCHAR), '.', '') AS HUGEINT)",
                            e.sql
                        )
                    }
                };
                let mut n = unscaled(&a, sa);
                let mut dd = unscaled(&b, sb);
                if k > 0 {
                    n = format!("({n} * {})", pow10_hugeint(k));
                } else if k < 0 {
                    dd = format!("({dd} * {})", pow10_hugeint(-k));
                }
                let ready = a.ready.max(b.ready);
                let nn = self.fresh("num");
                let dn = self.fresh("den");
                let n = self.place(ready, nn, n, 0);
                let dd = self.place(ready, dn, format!("NULLIF({dd}, 0)"), 0);
                let (n, dd) = (n.sql, dd.sql);
                let q = format!(
                    "({n} // {dd} + CASE WHEN 2 * abs({n} % {dd}) >= abs({dd}) THEN CASE WHEN ({n} < 0) = ({dd} < 0) THEN 1 ELSE -1 END ELSE 0 END)"
                );
                let unit = format!("0.{}1", "0".repeat(p as usize - 1));
                E::new(
                    format!("(CAST({q} AS DECIMAL(38,0)) * CAST({unit} AS DECIMAL(38,{p})))"),
                    p,
                    ready + 1,
                )
            }
        }
    }
}
