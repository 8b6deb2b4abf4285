//! Evaluating a scheme over a whole block of rows at once: the final pass of a held run.
//!
//! The row interpreter (`eval`) builds a [`Value`] for every field, item and population value
//! of every row and walks the plan's nodes once per row. Here each node is evaluated once per
//! block into a typed column (numbers as a decimal's mantissa and scale, dates as days, bools
//! and codes as small integers), so the hot comparisons, points and sums are tight loops over
//! arrays. Every node has a column form: the common ones have typed kernels, the others apply
//! the row interpreter's own scalar operation (`eval::arith`, `eval::cmp_op`, `eval::call_values`,
//! ...) row by row, so the two paths share one definition of every operation, and the typed
//! kernels compute the very mantissa and scale the row interpreter's decimals would hold.
//!
//! Overflow: the row interpreter stops a row at the first item that overflows, and it never
//! evaluates what a false `and`, an earlier matching rule or a missing score term makes
//! unnecessary. So a column marks the rows whose evaluation overflowed (`bad`), eager nodes pass
//! their operands' marks on, and the lazy constructs (`and`, `or`, `if`, `??`, rules, score terms
//! and bonuses) look at an operand's mark only on the rows where the row interpreter would have
//! evaluated that operand. What a bad row holds is never read. The result of every row is the
//! row interpreter's, value for value and overflow for overflow (`tests::columns_equal_rows`
//! checks it on every example and on generated rows).

mod col;
mod frame;

pub(crate) use col::{dec, Col, Column, NO_DATE, NO_SCALE};
pub(crate) use frame::{Frame, Source};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::eval;
    use crate::ir::Plan;
    const MISSING: Value = Value::Missing;
    use crate::value::Value;
    use rubric_check::hir::{PopFunc, Ty};
    use rubric_syntax::date::Date;
    use rubric_syntax::Decimal;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// Rows and population values given directly.
    struct Rows {
        fields: Vec<Vec<Value>>,
        pops: Vec<Vec<Value>>,
    }

    impl Source for Rows {
        fn rows(&self) -> usize {
            self.fields.len()
        }
        fn field(&self, f: usize) -> Col {
            Col::from_values(self.fields.iter().map(|r| r[f].clone()).collect())
        }
        fn pop(&self, slot: usize) -> Col {
            Col::from_values(self.pops.iter().map(|r| r[slot].clone()).collect())
        }
    }

    /// A small deterministic generator (xorshift).
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        /// A number: mostly small and plain, sometimes with many places, sometimes huge (so
        /// that sums, products and quotients overflow).
        fn num(&mut self, int: bool) -> Decimal {
            let m = match self.below(10) {
                0 => i128::from(self.next() as i64) * i128::from(self.next() as i64),
                1 => 0,
                2 => (self.next() % 200) as i128 - 100,
                _ => (self.next() % 100_000) as i128,
            };
            let m = m % 10i128.pow(38);
            let scale = if int {
                0
            } else {
                match self.below(6) {
                    0 => 0,
                    1 => (self.next() % 39) as u32,
                    _ => (self.next() % 4) as u32,
                }
            };
            Decimal::from_parts(m, scale).unwrap()
        }
        fn date(&mut self) -> Date {
            let base = Date::parse("2024-06-30").unwrap().0;
            match self.below(20) {
                0 => Date::parse("0001-01-01").unwrap(),
                1 => Date::parse("9999-12-31").unwrap(),
                _ => Date(base - (self.next() % 4000) as i32 + 30),
            }
        }
    }

    /// Every scheme of the examples and of the evaluation fixtures.
    fn schemes() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut out = Vec::new();
        for dir in ["examples", "tests/fixtures/eval", "benches/rfm"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rubric") {
                        out.push(p);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Overflow in every lazy position: rule conditions, `and`/`or`, `if`, `??`, score terms
    /// and bonuses, tags, dates.
    const OVERFLOWS: &str = r#"
scheme "overflow everywhere"
as_of 2024-06-30
input { id text key, a decimal?, b decimal?, d date?, t text? }
let big = a * b
let pick = if a > 0 then a * b else b * b
let either = a ?? b * b
let later = d + 30d
let q = a / b
points p by a * b { 1 when > 10, 2 when b * b > 5, 3 otherwise }
points p2 { 1 when a > 0 or a * b > 1, 2 when a < 0 and b * b > 1, 3 when (a ?? b * b) > 2, 4 otherwise }
points p3 by a { 1 when between b * b and 10, 2 when in [1, b * b], 3 otherwise }
score s { a weight 50% bonus 2 when b * b > 1, b * b weight 50% } bonus 1.1 when a * a > 0
grade g by a { x when a * b > 0, y when b * b > 1, z otherwise }
tags tg { u when a * b > 0, v when b > 0, w otherwise }
grade h { early when d + 1d < 2000-01-01, late when t == "zzz" and b * b > 0, other otherwise }
"#;

    /// Comparisons with constants of more places than the numbers (and fewer), of every
    /// operator, for one-scale and mixed-scale columns.
    const COMPARES: &str = r#"
scheme "comparisons with constants"
as_of 2024-06-30
input { id text key, a decimal?, n int? }
let lt = a < 1.005
let le = a <= 1.005
let gt = a > 1.005
let ge = a >= 1.005
let eq = a == 1.005
let ne = a != 1.005
let eq2 = a == 1.5
let lt2 = a < -0.5
let ge3 = a >= 3
let nlt = n < 2.5
let ngt = n > 2.5
let neq = n == 3
let nne = n != 2.5
"#;

    /// The string literals of a scheme, so that generated texts hit its `in` lists and tests.
    fn strings(src: &str) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = src
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() < 40)
            .map(Arc::from)
            .collect();
        out.push(Arc::from("zzz"));
        out
    }

    /// The block evaluator gives every row exactly what the row interpreter gives it: the same
    /// value of every item, and an overflow in the same first item.
    #[test]
    fn columns_equal_rows() {
        let (mut checked, mut overflowed) = (0, 0);
        let mut sources: Vec<(PathBuf, String)> = schemes()
            .into_iter()
            .map(|p| {
                let src = std::fs::read_to_string(&p).unwrap();
                (p, src)
            })
            .collect();
        sources.push((PathBuf::from("OVERFLOWS"), OVERFLOWS.to_string()));
        sources.push((PathBuf::from("COMPARES"), COMPARES.to_string()));
        // every scheme twice: decimals of mixed scales, then all of scale 2 (as money is; the
        // block evaluator has fast paths for one-scale columns)
        let sources: Vec<(PathBuf, String, bool)> = sources
            .into_iter()
            .flat_map(|(p, s)| [(p.clone(), s.clone(), false), (p, s, true)])
            .collect();
        for (path, src, one_scale) in sources {
            // (with the files a scheme `use`s, read beside it)
            let c = rubric_check::project::check_project(&path, &src, &mut |p: &Path| {
                std::fs::read_to_string(p).map_err(|e| e.to_string())
            })
            .checked;
            if c.has_errors() {
                // a fixture may be a scheme with errors on purpose; the one above may not
                let builtin = [Path::new("OVERFLOWS"), Path::new("COMPARES")];
                assert!(!builtin.contains(&path.as_path()), "{:?}", c.diagnostics);
                continue;
            }
            // aggregates of events are fields of the row the engines see
            let model = crate::events::row_model(&c.model).into_owned();
            let plan = Plan::compile(&model, Date::parse("2024-06-30").unwrap());
            let texts = strings(&src);
            let mut g = Gen(0x2545_F491_4F6C_DD1D ^ src.len() as u64);
            let n = 400;
            let fields: Vec<Vec<Value>> = (0..n)
                .map(|_| {
                    model
                        .fields
                        .iter()
                        .map(|f| {
                            if g.below(8) == 0 {
                                return MISSING;
                            }
                            match f.ty {
                                Ty::Int => Value::Num(g.num(true)),
                                Ty::Decimal if one_scale => Value::Num(
                                    Decimal::from_parts(g.num(true).mantissa() % 10i128.pow(30), 2)
                                        .unwrap(),
                                ),
                                Ty::Decimal => Value::Num(g.num(false)),
                                Ty::Date => Value::Date(g.date()),
                                Ty::Bool => Value::Bool(g.below(2) == 0),
                                Ty::Grade(_) => Value::Code(
                                    g.below(f.codes.as_ref().map_or(1, |c| c.codes.len().max(1)))
                                        as u16,
                                ),
                                _ => Value::Text(texts[g.below(texts.len())].clone()),
                            }
                        })
                        .collect()
                })
                .collect();
            let pops: Vec<Vec<Value>> = (0..n)
                .map(|_| {
                    plan.slots
                        .iter()
                        .map(|s| {
                            if g.below(10) == 0 {
                                return MISSING;
                            }
                            match s.func {
                                PopFunc::Rank | PopFunc::Count => {
                                    Value::Num(Decimal::from(g.below(500) + 1))
                                }
                                PopFunc::TopShare | PopFunc::CumulativeShare => Value::Num(
                                    Decimal::from_parts(
                                        (g.next() % 10_000_000_000_000_001) as i128,
                                        16,
                                    )
                                    .unwrap(),
                                ),
                                _ => Value::Num(g.num(false)),
                            }
                        })
                        .collect()
                })
                .collect();
            let src_rows = Rows { fields, pops };
            let frame = Frame::evaluate(&plan, &src_rows);
            let mut items = Vec::new();
            for r in 0..n {
                let row = eval::eval_row(
                    &plan,
                    &src_rows.fields[r],
                    &src_rows.pops[r],
                    &mut items,
                    None,
                );
                let name = path.display();
                match row {
                    Err(item) => {
                        assert_eq!(
                            frame.overflow(r),
                            Some(item),
                            "{name}: row {r} overflows in item {item}: {:?}",
                            src_rows.fields[r]
                        );
                        overflowed += 1;
                    }
                    Ok(()) => {
                        assert_eq!(frame.overflow(r), None, "{name}: row {r}");
                        for (i, want) in items.iter().enumerate() {
                            let got = frame.item_col(i).map_or(MISSING, |c| c.value(r));
                            assert_eq!(
                                &got, want,
                                "{name}: row {r}, item `{}`: {:?}",
                                plan.item_names[i], src_rows.fields[r]
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 5000, "only {checked} rows compared");
        assert!(overflowed > 100, "only {overflowed} rows overflowed");
    }
}
