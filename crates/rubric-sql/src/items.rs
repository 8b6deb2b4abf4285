//! Items as SQL: lets, points, scores with bonuses, grades and tags as `CASE` expressions.

use super::{text_literal, Error, Gen, E};
use rubric_check::hir::{GradeDef, ItemId, ItemKind, TExpr};
use rubric_syntax::Decimal;

impl Gen<'_> {
    pub(super) fn item(&mut self, id: ItemId) -> Result<(), Error> {
        let m = self.m;
        let Some(it) = m.items.get(id) else {
            return Ok(());
        };
        let name = self.item_cols[id].clone();
        let (ready, scale) = match &it.kind {
            ItemKind::Let { value } => {
                let e = self.expr(value, None)?;
                let r = self.place(e.ready, name, e.sql, e.scale);
                (r.ready, r.scale)
            }
            ItemKind::Points { by, rules } => {
                let subject = self.subject(by.as_ref())?;
                let scale = rules.iter().map(|r| r.value.scale()).max().unwrap_or(0);
                let arms: Vec<_> = rules
                    .iter()
                    .map(|r| (r.cond.as_ref(), self.num_lit_at(r.value, scale)))
                    .collect();
                let (sql, ready) = self.case(arms, subject.as_ref())?;
                let r = self.place(ready, name, sql, scale);
                (r.ready, scale)
            }
            ItemKind::Score { terms, bonuses } => {
                let mut total: Option<E> = None;
                for t in terms {
                    let e = self.expr(&t.expr, None)?;
                    let w = self.num_lit(t.weight);
                    let mut p = self.mul(e, w, t.span)?;
                    if let Some(b) = &t.bonus {
                        let f = self.bonus(b.factor, &b.cond)?;
                        p = self.mul(p, f, b.span)?;
                    }
                    total = Some(match total {
                        None => p,
                        Some(acc) => self.add_sub(acc, p, "+"),
                    });
                }
                let mut total = match total {
                    Some(t) => t,
                    None => self.num_lit(Decimal::ZERO),
                };
                for b in bonuses {
                    let f = self.bonus(b.factor, &b.cond)?;
                    total = self.mul(total, f, b.span)?;
                }
                let r = self.place(total.ready, name, total.sql, total.scale);
                (r.ready, r.scale)
            }
            ItemKind::Grade(gd) if gd.is_tags => {
                let (r, s) = self.tags(id, gd)?;
                (r, s)
            }
            ItemKind::Grade(gd) => {
                let subject = self.subject(gd.by.as_ref())?;
                let arms: Vec<_> = gd
                    .codes
                    .iter()
                    .map(|c| (c.cond.as_ref(), text_literal(&c.name, self.d)))
                    .collect();
                let (sql, ready) = self.case(arms, subject.as_ref())?;
                let r = self.place(ready, name, sql, 0);
                (r.ready, 0)
            }
        };
        if let Some(slot) = self.items.get_mut(id) {
            *slot = Some((ready, scale));
        }
        Ok(())
    }

    /// The column holding whether tag `code` of `tags` is set.
    pub(super) fn tag_column(&self, tags: ItemId, code: usize) -> String {
        let cname = self
            .m
            .grade(tags)
            .and_then(|g| g.codes.get(code))
            .map_or("?", |c| c.name.as_str());
        format!("__{}__{}", self.item_cols[tags], cname)
    }

    pub(super) fn tags(&mut self, id: ItemId, gd: &GradeDef) -> Result<(usize, u32), Error> {
        let subject = self.subject(gd.by.as_ref())?;
        let mut flags = Vec::new();
        let mut others = Vec::new();
        let mut otherwise = Vec::new();
        for (i, c) in gd.codes.iter().enumerate() {
            let col = self.tag_column(id, i);
            match &c.cond {
                Some(cond) => {
                    let e = self.expr(cond, subject.as_ref())?;
                    let r = self.place(e.ready, col, format!("COALESCE({}, FALSE)", e.sql), 0);
                    others.push(r.clone());
                    flags.push((i, r));
                }
                None => otherwise.push((i, col)),
            }
        }
        for (i, col) in otherwise {
            let ready = others.iter().map(|o| o.ready).max().unwrap_or(1);
            let sql = if others.is_empty() {
                "TRUE".to_string()
            } else {
                format!(
                    "NOT ({})",
                    others
                        .iter()
                        .map(|o| o.sql.clone())
                        .collect::<Vec<_>>()
                        .join(" OR ")
                )
            };
            let r = self.place(ready, col, sql, 0);
            flags.push((i, r));
        }
        flags.sort_by_key(|(i, _)| *i);
        let ready = flags.iter().map(|(_, f)| f.ready).max().unwrap_or(1);
        let parts: Vec<String> = flags
            .iter()
            .map(|(i, f)| {
                format!(
                    "CASE WHEN {} THEN {} END",
                    f.sql,
                    text_literal(&gd.codes[*i].name, self.d)
                )
            })
            .collect();
        let sql = if parts.is_empty() {
            "''".to_string()
        } else {
            format!("concat_ws(';', {})", parts.join(", "))
        };
        let name = self.item_cols[id].clone();
        let r = self.place(ready, name, sql, 0);
        Ok((r.ready, 0))
    }

    /// The subject of a `points`, `grade` or `tags … by`, computed once in its own column.
    pub(super) fn subject(&mut self, by: Option<&TExpr>) -> Result<Option<E>, Error> {
        Ok(match by {
            Some(b) => {
                let e = self.expr(b, None)?;
                Some(self.hoist(e, "by"))
            }
            None => None,
        })
    }

    /// `CASE WHEN cond THEN value … END` over rules in order (a rule without a condition is
    /// `WHEN TRUE`), and the stage where every condition is ready.
    pub(super) fn case(
        &mut self,
        arms: Vec<(Option<&TExpr>, String)>,
        subject: Option<&E>,
    ) -> Result<(String, usize), Error> {
        let mut ready = subject.map_or(1, |s| s.ready);
        let mut sql = String::from("CASE");
        for (cond, then) in arms {
            match cond {
                Some(c) => {
                    let c = self.expr(c, subject)?;
                    ready = ready.max(c.ready);
                    sql.push_str(&format!(" WHEN {} THEN {then}", c.sql));
                }
                None => sql.push_str(&format!(" WHEN TRUE THEN {then}")),
            }
        }
        sql.push_str(" END");
        Ok((sql, ready))
    }

    /// `CASE WHEN cond THEN factor ELSE 1 END`.
    pub(super) fn bonus(&mut self, factor: Decimal, cond: &TExpr) -> Result<E, Error> {
        let c = self.expr(cond, None)?;
        let f = self.num_lit(factor);
        let s = f.scale;
        let one = self.num_lit_at(Decimal::ONE, s);
        Ok(E::new(
            format!("CASE WHEN {} THEN {} ELSE {one} END", c.sql, f.sql),
            s,
            c.ready,
        ))
    }
}
