//! The histogram plan of `rank`, `top_share` and `cumulative_share` over the whole population.
//!
//! The window form, `RANK() OVER (ORDER BY x DESC)`, sorts every row in one partition: Spark
//! runs it in a single task, whatever the cluster. The histogram form reads the distinct values
//! instead:
//!
//! 1. `GROUP BY x` (without the missing values) with the count and the sum of each value, which a
//!    cluster computes in parallel;
//! 2. the running count and sum over the distinct values, in descending order (one small sort);
//! 3. a `LEFT JOIN` of every row to its value's running figures.
//!
//! A value's running count is the number of rows with a value at least as large: the numerator
//! of `top_share`, and `RANK()` is that count minus the value's own rows plus one. Its running
//! sum is the numerator of `cumulative_share`. Both are whole numbers or exact decimal sums, so
//! the results are exactly those of the window form (`tests/sql/run.sh` runs both).

use super::{ident, stage_name, Dialect, Gen, E};
use rubric_check::hir::PopFunc;

/// How whole-population `rank`, `top_share` and `cumulative_share` are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PopPlan {
    /// The measured faster plan of each dialect (see [`PopPlan::resolve`]).
    Auto,
    /// Window functions over every row.
    Window,
    /// Window functions over the distinct values, joined back to the rows.
    Histogram,
}

impl PopPlan {
    pub const NAMES: [&'static str; 3] = ["auto", "window", "histogram"];

    pub fn from_name(name: &str) -> Option<PopPlan> {
        match name {
            "auto" => Some(PopPlan::Auto),
            "window" => Some(PopPlan::Window),
            "histogram" => Some(PopPlan::Histogram),
            _ => None,
        }
    }

    /// The plan `Auto` stands for in `d`: the histogram for Spark, whose window over everyone
    /// runs in one task, and for DuckDB, where it measured about 10% faster at 5M rows; the
    /// window for PostgreSQL, not measured (docs/warehouse.md).
    pub fn resolve(self, d: Dialect) -> PopPlan {
        match (self, d) {
            (PopPlan::Auto, Dialect::Spark | Dialect::DuckDb) => PopPlan::Histogram,
            (PopPlan::Auto, _) => PopPlan::Window,
            (p, _) => p,
        }
    }
}

impl Gen<'_> {
    /// For the rows of stage `ready`: the rank of `x` (`PopFunc::Rank`), the number of rows whose
    /// `x` is at least as large (`TopShare`), or their sum (`CumulativeShare`), read from a
    /// histogram of `x` joined to stage `ready`. `NULL` where `x` is missing.
    pub(super) fn histogram(&mut self, f: PopFunc, x: &E, ready: usize) -> String {
        let d = self.d;
        let ready = ready.max(1);
        while self.stages.len() <= ready {
            self.stages.push(Vec::new());
            self.helpers.push(Vec::new());
            self.joins.push(Vec::new());
        }
        let name = self.fresh("hist");
        let col = |what: &str| ident(&format!("{name}_{what}"), d);
        let (v, n, s, out) = (col("value"), col("rows"), col("sum"), col("running"));
        let xs = &x.sql;
        let prev = stage_name(ready - 1, d);
        let running = "ORDER BY {v} DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
        let running = running.replace("{v}", &v);
        let dec0 = self.dec(0);
        let figure = match f {
            PopFunc::Rank => format!("CAST(SUM({n}) OVER ({running}) - {n} + 1 AS {dec0})"),
            PopFunc::CumulativeShare => {
                format!("CAST(SUM({s}) OVER ({running}) AS {})", self.dec(x.scale))
            }
            _ => format!("CAST(SUM({n}) OVER ({running}) AS {dec0})"),
        };
        let sum = if f == PopFunc::CumulativeShare {
            format!(", SUM({xs}) AS {s}")
        } else {
            String::new()
        };
        let body = format!(
            "  SELECT {v}, {figure} AS {out}\n  FROM (\n    SELECT {xs} AS {v}, COUNT(*) AS {n}{sum}\n    \
             FROM {prev}\n    WHERE {xs} IS NOT NULL\n    GROUP BY {xs}\n  ) AS {h}",
            h = ident("h", d)
        );
        let table = ident(&name, d);
        if let Some(list) = self.helpers.get_mut(ready) {
            list.push((name.clone(), body));
        }
        if let Some(list) = self.joins.get_mut(ready) {
            list.push(format!("\n  LEFT JOIN {table} ON {xs} = {table}.{v}"));
        }
        format!("{table}.{out}")
    }
}
