//! SQL for the smaller v2 additions: `d within next DUR`, `count_true(…)` and `substr(…)`.
//! (`missing` is `NULL`, in `Gen::expr`.)

use super::Dialect;
use super::{text_literal, Dur, Error, Gen, E};
use rubric_check::hir::{Builtin, FieldCodes, TExpr, TExprKind};
use rubric_syntax::ast::{Literal, UnOp};

/// The largest `INTEGER`: positions and lengths are clamped to it before the cast that
/// `SUBSTRING` needs (a string is never that long).
const INT_MAX: &str = "2147483647";

impl Gen<'_> {
    /// `d within next DUR`: `d >= today AND d <= today + DUR`.
    pub(super) fn within_next(
        &mut self,
        date: &TExpr,
        duration: &TExpr,
        subj: Option<&E>,
    ) -> Result<E, Error> {
        let x = self.expr(date, subj)?;
        let today = E::new(self.today.clone(), 0, 1);
        Ok(match self.duration(duration, subj)? {
            Dur::Known(dur) => {
                let to = self.date_add(&today, dur, 1)?;
                E::new(
                    format!("({0} >= {1} AND {0} <= {2})", x.sql, self.today, to.sql),
                    0,
                    x.ready,
                )
            }
            Dur::Computed { text, leaves } => {
                // one arm per duration; `NULL` where it is missing, as in `rubric run`
                let x = self.hoist(x, "date");
                let mut sql = format!("CASE {}", text.sql);
                for dur in leaves {
                    let to = self.date_add(&today, dur, 1)?;
                    sql.push_str(&format!(
                        " WHEN {0} THEN ({1} >= {2} AND {1} <= {3})",
                        text_literal(&dur.to_string(), self.d),
                        x.sql,
                        self.today,
                        to.sql
                    ));
                }
                sql.push_str(" END");
                E::new(sql, 0, x.ready.max(text.ready))
            }
        })
    }

    /// `count_true` and `substr`, from their compiled arguments.
    pub(super) fn call_v2(&mut self, b: Builtin, args: &[TExpr], es: Vec<E>, ready: usize) -> E {
        if b == Builtin::CountTrue {
            // a NULL condition is not true: it counts 0, as in `rubric run`
            let sum = es
                .iter()
                .map(|e| format!("CASE WHEN {} THEN 1 ELSE 0 END", e.sql))
                .collect::<Vec<_>>()
                .join(" + ");
            return E::new(format!("CAST(({sum}) AS {})", self.dec(0)), 0, ready);
        }
        let mut es = es.into_iter();
        let (Some(s), Some(start), Some(len)) = (es.next(), es.next(), es.next()) else {
            return E::new("NULL".into(), 0, ready);
        };
        // SQL's SUBSTRING(s FROM start FOR len) with positions before 1 holding nothing, written
        // with a start of at least 1 and a length of at least 0, where the three engines agree;
        // a negative length is NULL (`rubric run`: missing) where SQL would raise an error
        if let (Some(st), Some(ln)) = (
            args.get(1).and_then(int_literal),
            args.get(2).and_then(int_literal),
        ) {
            // constant positions: the start and length worked out here
            let from = st.max(1);
            let sql = if ln < 0 {
                "NULL".to_string()
            } else if st.saturating_add(ln) <= from || from > i128::from(i32::MAX) {
                format!("SUBSTRING({}, 1, 0)", s.sql)
            } else {
                let count = (st + ln - from).min(i128::from(i32::MAX));
                format!("SUBSTRING({}, {from}, {count})", s.sql)
            };
            return E::new(sql, 0, ready);
        }
        let s = self.hoist_long(s, "substr");
        let st = self.hoist_long(start, "substr");
        let ln = self.hoist_long(len, "substr");
        let ready = ready.max(s.ready).max(st.ready).max(ln.ready);
        let (s, st, ln) = (s.sql, st.sql, ln.sql);
        let from = format!("GREATEST({st}, 1)");
        let empty = format!("SUBSTRING({s}, 1, 0)");
        E::new(
            format!(
                "CASE WHEN {st} IS NULL OR {ln} IS NULL OR {ln} < 0 THEN NULL \
                 WHEN {st} + {ln} <= {from} OR {from} > {INT_MAX} THEN {empty} \
                 ELSE SUBSTRING({s}, CAST({from} AS INTEGER), \
                 CAST(LEAST({st} + {ln} - {from}, {INT_MAX}) AS INTEGER)) END"
            ),
            0,
            ready,
        )
    }
}

/// A whole-number literal, possibly negated (`2`, `-3`).
fn int_literal(e: &TExpr) -> Option<i128> {
    match &e.kind {
        TExprKind::Lit(Literal::Int(d)) if d.scale() == 0 => Some(d.mantissa()),
        TExprKind::Unary(UnOp::Neg, a) => int_literal(a).map(|v| -v),
        _ => None,
    }
}

/// A grade-typed field's column read as the code it names: its code or its label (spaces
/// around ignored, as `rubric run` reads a cell) gives the code, anything else `NULL` (a row
/// `rubric run` rejects; [`is_code_cell`] keeps such rows out of a `--create-table` table).
pub(super) fn code_of_cell(col: &str, codes: &FieldCodes, d: Dialect) -> String {
    let mut sql = format!("CASE TRIM({col})");
    // codes first: a label that reads like another code names that code, as in `rubric run`
    for (code, _) in &codes.codes {
        let c = text_literal(code, d);
        sql.push_str(&format!(" WHEN {c} THEN {c}"));
    }
    for (code, label) in &codes.codes {
        if let Some(l) = label {
            if codes.codes.iter().all(|(c, _)| c != l) {
                sql.push_str(&format!(
                    " WHEN {} THEN {}",
                    text_literal(l, d),
                    text_literal(code, d)
                ));
            }
        }
    }
    sql.push_str(" END");
    sql
}

/// Holds where a grade-typed field's column holds a code or a label.
pub(super) fn is_code_cell(col: &str, codes: &FieldCodes, d: Dialect) -> String {
    let mut names: Vec<String> = Vec::new();
    for (code, label) in &codes.codes {
        names.push(text_literal(code, d));
        if let Some(l) = label {
            names.push(text_literal(l, d));
        }
    }
    format!("TRIM({col}) IN ({})", names.join(", "))
}
