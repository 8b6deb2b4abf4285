//! Population functions as window functions (or the histogram plan), with `within` partitions.

use super::{err, stage_name, Dialect, Error, Gen, PopPlan, E};
use rubric_check::hir::PopFunc;

impl Gen<'_> {
    pub(super) fn pop(&mut self, id: usize) -> Result<E, Error> {
        if let Some(Some(e)) = self.pops.get(id) {
            return Ok(e.clone());
        }
        let m = self.m;
        let Some(pd) = m.pops.get(id) else {
            return err("unknown population function");
        };
        let x = match &pd.arg {
            Some(a) => {
                let e = self.expr(a, None)?;
                Some((self.hoist(e, "arg"), a.ty.clone()))
            }
            None => None,
        };
        let w = match &pd.within {
            Some(w) => {
                let e = self.expr(w, None)?;
                Some(self.hoist(e, "within"))
            }
            None => None,
        };
        let mut ready = w.as_ref().map_or(1, |w| w.ready);
        if let Some((x, _)) = &x {
            ready = ready.max(x.ready);
        }
        let part = |extra: Option<&str>| {
            let mut ps = Vec::new();
            if let Some(w) = &w {
                ps.push(w.sql.clone());
            }
            if let Some(e) = extra {
                ps.push(format!("({e} IS NULL)"));
            }
            if ps.is_empty() {
                String::new()
            } else {
                format!("PARTITION BY {}", ps.join(", "))
            }
        };
        let dec0 = self.dec(0);
        // An aggregate over everyone (or over the partition). Spark runs a window without
        // PARTITION BY in a single task, so there it is a scalar subquery, computed once.
        let prev = stage_name(ready.max(1) - 1, self.d);
        let spark_global = self.d == Dialect::Spark && w.is_none();
        let histogram = w.is_none() && self.plan == PopPlan::Histogram;
        let over_all = |agg: String| {
            if spark_global {
                format!("(SELECT {agg} FROM {prev})")
            } else {
                format!("{agg} OVER ({})", part(None))
            }
        };
        let e = match (pd.func, &x) {
            (PopFunc::Count, _) => {
                let name = self.fresh("pop");
                self.place(
                    ready,
                    name,
                    format!("CAST({} AS {dec0})", over_all("COUNT(*)".into())),
                    0,
                )
            }
            (_, None) => return err(format!("`{}` needs an argument", pd.func.name())),
            (f, Some((x, ty))) => {
                let xs = x.sql.clone();
                let guard = |s: String| format!("CASE WHEN {xs} IS NULL THEN NULL ELSE {s} END");
                let ordered = format!("{} ORDER BY {xs} DESC", part(Some(&xs)));
                match f {
                    PopFunc::Total | PopFunc::MinOf | PopFunc::MaxOf => {
                        let agg = match f {
                            PopFunc::Total => "SUM",
                            PopFunc::MinOf => "MIN",
                            _ => "MAX",
                        };
                        let win = over_all(format!("{agg}({xs})"));
                        let win = if ty.is_numeric() {
                            format!("CAST({win} AS {})", self.dec(x.scale))
                        } else {
                            win
                        };
                        let name = self.fresh("pop");
                        self.place(ready, name, guard(win), x.scale)
                    }
                    PopFunc::Rank => {
                        let r = if histogram {
                            self.histogram(f, x, ready)
                        } else {
                            format!("CAST(RANK() OVER ({ordered}) AS {dec0})")
                        };
                        let name = self.fresh("pop");
                        self.place(ready, name, guard(r), 0)
                    }
                    PopFunc::Mean | PopFunc::TopShare | PopFunc::CumulativeShare => {
                        let (num, den, ns) = match f {
                            PopFunc::Mean => (
                                format!(
                                    "CAST({} AS {})",
                                    over_all(format!("SUM({xs})")),
                                    self.dec(x.scale)
                                ),
                                format!("CAST({} AS {dec0})", over_all(format!("COUNT({xs})"))),
                                x.scale,
                            ),
                            PopFunc::TopShare if histogram => (
                                self.histogram(f, x, ready),
                                format!("CAST({} AS {dec0})", over_all(format!("COUNT({xs})"))),
                                0,
                            ),
                            PopFunc::TopShare => (
                                format!("CAST(COUNT(*) OVER ({ordered}) AS {dec0})"),
                                format!("CAST({} AS {dec0})", over_all(format!("COUNT({xs})"))),
                                0,
                            ),
                            _ => (
                                if histogram {
                                    self.histogram(f, x, ready)
                                } else {
                                    format!(
                                        "CAST(SUM({xs}) OVER ({ordered}) AS {})",
                                        self.dec(x.scale)
                                    )
                                },
                                format!(
                                    "CAST({} AS {})",
                                    over_all(format!("SUM({xs})")),
                                    self.dec(x.scale)
                                ),
                                x.scale,
                            ),
                        };
                        let (nn, dn) = (self.fresh("num"), self.fresh("den"));
                        let n = self.place(ready, nn, num, ns);
                        let dd = self.place(
                            ready,
                            dn,
                            den,
                            if f == PopFunc::CumulativeShare {
                                x.scale
                            } else {
                                0
                            },
                        );
                        let q = self.div(n, dd);
                        let name = self.fresh("pop");
                        self.place(q.ready, name, guard(q.sql), q.scale)
                    }
                    PopFunc::Count => return err("`count()` takes no argument"),
                }
            }
        };
        if let Some(slot) = self.pops.get_mut(id) {
            *slot = Some(e.clone());
        }
        Ok(e)
    }
}
