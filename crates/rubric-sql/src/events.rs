//! Aggregates over `events` in SQL: one `GROUP BY` subquery per events block, `LEFT JOIN`ed to
//! the customers (or, without a customers table, to the distinct keys of the events), so the
//! warehouse does the aggregation. A filter is `FILTER (WHERE …)` in DuckDB and PostgreSQL and
//! a `CASE` inside the aggregate in Spark; `count`, `count_distinct` and `sum` of no events are
//! `COALESCE`d to 0, as `rubric run` gives them.

use super::{err, ident, table_name, Dialect, Error, Gen, E};
use rubric_check::hir::{AggFunc, EventsId, TExpr, Ty};

/// The alias of the customers in the stage-0 `FROM`.
const CUSTOMERS: &str = "__customers";
const KEY: &str = "__key";

fn sub_alias(b: EventsId) -> String {
    format!("__events{b}")
}
fn agg_col(a: usize) -> String {
    format!("__agg{a}")
}
fn present_col(a: usize) -> String {
    format!("__agg{a}_n")
}

impl Gen<'_> {
    /// An expression over one event's fields, inside the `GROUP BY` of block `b`.
    fn event_expr(&mut self, e: &TExpr, b: EventsId) -> Result<E, Error> {
        let before = (self.aux, self.stages.iter().map(Vec::len).sum::<usize>());
        self.event_block = Some(b);
        let out = self.expr(e, None);
        self.event_block = None;
        let after = (self.aux, self.stages.iter().map(Vec::len).sum::<usize>());
        if before != after {
            return err(
                "this aggregate's value or filter needs columns of its own, which a `GROUP BY` cannot hold: write it more simply",
            );
        }
        out
    }

    /// The column of an event field, read with its declared type.
    pub(super) fn event_field(&self, b: EventsId, f: usize) -> Result<E, Error> {
        let Some(fd) = self.m.events.get(b).and_then(|e| e.fields.get(f)) else {
            return err("unknown event field");
        };
        let col = ident(&fd.column, self.d);
        Ok(match fd.ty {
            Ty::Int => E::new(format!("CAST({col} AS {})", self.dec(0)), 0, 1),
            Ty::Decimal => E::new(
                format!("CAST({col} AS {})", self.dec(self.places)),
                self.places,
                1,
            ),
            _ => E::new(col, 0, 1),
        })
    }

    /// `FUNC(value) FILTER (WHERE cond)`, or its `CASE` form in Spark (`value` is what the
    /// aggregate reads; `None` for `COUNT(*)`).
    fn filtered(
        &self,
        func: &str,
        distinct: bool,
        value: Option<&str>,
        cond: Option<&str>,
    ) -> String {
        let dist = if distinct { "DISTINCT " } else { "" };
        let spark = self.d == Dialect::Spark;
        match (value, cond) {
            (None, None) => "COUNT(*)".into(),
            (None, Some(c)) if spark => format!("COUNT(CASE WHEN {c} THEN 1 END)"),
            (None, Some(c)) => format!("COUNT(*) FILTER (WHERE {c})"),
            (Some(v), None) => format!("{func}({dist}{v})"),
            (Some(v), Some(c)) if spark => format!("{func}({dist}CASE WHEN {c} THEN {v} END)"),
            (Some(v), Some(c)) => format!("{func}({dist}{v}) FILTER (WHERE {c})"),
        }
    }

    /// The stage-0 `FROM` of a scheme with events, and the stage-0 columns of its aggregates
    /// (set in `self.aggs`). `table` is the customers table; `None` takes the distinct keys of
    /// the events. `table` is written as given (already quoted, or the raw `--from`), and
    /// `customers_key` is the customers' key column (its header unless `--column` maps it).
    pub(super) fn events_from(
        &mut self,
        table: Option<String>,
        customers_key: Option<String>,
        events: &[(EventsId, String)],
        raw: &[(EventsId, String)],
    ) -> Result<String, Error> {
        let d = self.d;
        let Some(key) = self.m.key.and_then(|k| self.m.fields.get(k)) else {
            return err("the scheme has no `key` field");
        };
        let key_col = ident(&key.column, d);
        let customers_key = customers_key.unwrap_or_else(|| key_col.clone());
        // a raw relation (`--events-from`) is written as it is, and wins over a quoted name
        let table_of = |b: EventsId| {
            let raw = raw.iter().find(|(e, _)| *e == b).map(|(_, t)| {
                format!(
                    "{} AS {}",
                    t.trim(),
                    ident(&format!("rubric_events_{b}"), d)
                )
            });
            raw.or_else(|| {
                events
                    .iter()
                    .find(|(e, _)| *e == b)
                    .map(|(_, t)| table_name(t, d))
            })
        };
        for (b, e) in self.m.events.iter().enumerate() {
            if table_of(b).is_none() {
                return err(format!(
                    "the scheme reads the events `{}`: name its table with `--events {}=TABLE`",
                    e.name, e.name
                ));
            }
        }
        let customers = match table {
            Some(t) => format!("{t} AS {}", ident(CUSTOMERS, d)),
            None => {
                let keys: Vec<String> = (0..self.m.events.len())
                    .filter_map(table_of)
                    .map(|t| format!("SELECT DISTINCT {key_col} FROM {t}"))
                    .collect();
                format!("({}) AS {}", keys.join(" UNION "), ident(CUSTOMERS, d))
            }
        };
        let mut from = customers;
        let mut cols: Vec<Vec<String>> = vec![Vec::new(); self.m.events.len()];
        let aggs = self.m.aggs.clone();
        for (a, agg) in aggs.iter().enumerate() {
            let b = agg.events;
            let value = match &agg.arg {
                Some(arg) => Some(self.event_expr(arg, b)?),
                None => None,
            };
            let cond = match &agg.filter {
                Some(f) => Some(self.event_expr(f, b)?.sql),
                None => None,
            };
            let v = value.as_ref().map(|e| e.sql.as_str());
            let c = cond.as_deref();
            let (sql, extra) = match agg.func {
                AggFunc::Count => (self.filtered("COUNT", false, None, c), None),
                AggFunc::Sum => (self.filtered("SUM", false, v, c), None),
                AggFunc::Avg => (
                    self.filtered("SUM", false, v, c),
                    Some(self.filtered("COUNT", false, v, c)),
                ),
                AggFunc::Min => (self.filtered("MIN", false, v, c), None),
                AggFunc::Max => (self.filtered("MAX", false, v, c), None),
                AggFunc::CountDistinct => (self.filtered("COUNT", true, v, c), None),
            };
            if let Some(list) = cols.get_mut(b) {
                list.push(format!("{sql} AS {}", ident(&agg_col(a), d)));
                if let Some(n) = extra {
                    list.push(format!("{n} AS {}", ident(&present_col(a), d)));
                }
            }
            // each aggregate is a column of stage 0, where the subqueries are joined
            let read = |col: String| format!("{}.{}", ident(&sub_alias(b), d), ident(&col, d));
            let scale = value.as_ref().map_or(0, |e| e.scale);
            let column = |g: &mut Gen<'_>, name: String, sql: String, scale: u32| {
                g.stages[0].push((name.clone(), sql));
                E::new(ident(&name, d), scale, 1)
            };
            let e = match agg.func {
                AggFunc::Count | AggFunc::CountDistinct => {
                    let sql = format!("CAST(COALESCE({}, 0) AS {})", read(agg_col(a)), self.dec(0));
                    column(self, agg_col(a), sql, 0)
                }
                AggFunc::Sum => {
                    let sql = format!(
                        "CAST(COALESCE({}, 0) AS {})",
                        read(agg_col(a)),
                        self.dec(scale)
                    );
                    column(self, agg_col(a), sql, scale)
                }
                AggFunc::Min | AggFunc::Max => column(self, agg_col(a), read(agg_col(a)), scale),
                AggFunc::Avg => {
                    let sum = column(self, agg_col(a), read(agg_col(a)), scale);
                    let n = format!("CAST({} AS {})", read(present_col(a)), self.dec(0));
                    let n = column(self, present_col(a), n, 0);
                    self.div(sum, n)
                }
            };
            self.aggs.push(e);
        }
        for (b, list) in cols.iter().enumerate() {
            let Some(t) = table_of(b) else { continue };
            let mut select = vec![format!("{key_col} AS {}", ident(KEY, d))];
            select.extend(list.iter().cloned());
            from.push_str(&format!(
                "\n  LEFT JOIN (\n    SELECT {}\n    FROM {t}\n    GROUP BY {key_col}\n  ) AS {alias} ON {}.{customers_key} = {alias}.{}",
                select.join(",\n      "),
                ident(CUSTOMERS, d),
                ident(KEY, d),
                alias = ident(&sub_alias(b), d),
            ));
        }
        Ok(from)
    }
}
