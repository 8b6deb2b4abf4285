//! Micro-benchmarks of the evaluator (issue 8): checking a scheme, compiling its plan, parsing
//! rows, evaluating rows with and without population functions (`Plan::evaluate`, the row
//! evaluator that tests and `rubric explain` use), and `rubric run`'s whole path (`run::run`:
//! batches, the block evaluator on every core, CSV output).
//!
//!     cargo bench -p rubric-eval --bench eval
//!
//! The end-to-end comparison with DuckDB, Polars and a hand-written baseline is
//! `benches/compare.sh` at the repository root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rubric_eval::io::{self, Format, ReadOptions};
use rubric_eval::{run, Plan};
use rubric_syntax::date::Date;

const RFM: &str = include_str!("../../../benches/rfm/rfm.rubric");

/// The RFM scheme without its population-function grades: pure per-row work.
const PER_ROW: &str = r#"
input { id text key, first_order date, last_order date?, orders int, units int, revenue decimal }
points r_pts by days_since(last_order) { 5 when <= 30, 4 when <= 90, 3 when <= 180, 2 when <= 365, 1 otherwise }
points f_pts by orders { 5 when >= 20, 4 when >= 10, 3 when >= 5, 2 when >= 2, 1 otherwise }
points m_pts by revenue { 5 when >= 10_000, 4 when >= 2_000, 3 when >= 500, 2 when >= 100, 1 otherwise }
score rfm { r_pts weight 40%, f_pts weight 30% bonus 1.1 when units >= 100, m_pts weight 30% }
  bonus 1.05 when first_order < 2017-01-01
grade activity { active when last_order within 90d, lapsing when last_order within 365d, lost when last_order < today - 365d }
grade segment by rfm {
  champion when >= 4.5
  loyal    when rfm >= 3.5 and activity != lost
  at_risk  when activity == lost and orders >= 5
  regular  otherwise
}
"#;

fn main() {
    divan::main();
}

fn as_of() -> Date {
    Date::parse("2024-06-30").unwrap()
}

/// `n` deterministic customers in the shape of `benches/gen_data.py`.
fn csv(n: usize) -> Vec<u8> {
    let mut s = String::from("id,first_order,last_order,orders,units,revenue\n");
    let mut x: u64 = 42;
    for i in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let first = Date(16_000 + (x >> 40) as i32 % 3000);
        let last = Date(19_000 + (x >> 20) as i32 % 900);
        let last = if x.is_multiple_of(100) {
            String::new()
        } else {
            last.to_string()
        };
        s.push_str(&format!(
            "{i:06},{first},{last},{},{},{}.{:02}\n",
            (x >> 8) % 30,
            (x >> 16) % 300,
            (x >> 24) % 20_000,
            x % 100
        ));
    }
    s.into_bytes()
}

fn model(src: &str) -> rubric_check::hir::Model {
    let (_, checked) = rubric_check::check_source(src);
    assert!(!checked.has_errors());
    checked.model
}

#[divan::bench]
fn check_rfm_scheme() -> usize {
    let (_, checked) = rubric_check::check_source(divan::black_box(RFM));
    checked.diagnostics.len()
}

#[divan::bench]
fn compile_rfm_plan(b: divan::Bencher) {
    let m = model(RFM);
    b.bench(|| Plan::compile(divan::black_box(&m), as_of()));
}

#[divan::bench(args = [10_000])]
fn parse_rows(b: divan::Bencher, n: usize) {
    let m = model(RFM);
    let data = csv(n);
    b.counter(divan::counter::ItemsCount::new(n)).bench(|| {
        io::read_all_bytes(
            data.clone(),
            "bench.csv",
            Format::Csv,
            &ReadOptions::default(),
            &m,
        )
        .unwrap()
        .0
        .len()
    });
}

#[divan::bench(args = [10_000])]
fn evaluate_rows_per_row_only(b: divan::Bencher, n: usize) {
    let m = model(PER_ROW);
    let plan = Plan::compile(&m, as_of());
    let (rows, _) = io::read_all_bytes(
        csv(n),
        "bench.csv",
        Format::Csv,
        &ReadOptions::default(),
        &m,
    )
    .unwrap();
    b.counter(divan::counter::ItemsCount::new(n))
        .with_inputs(|| rows.clone())
        .bench_values(|rows| plan.evaluate(rows).len());
}

#[divan::bench(args = [10_000])]
fn evaluate_rows_with_population(b: divan::Bencher, n: usize) {
    let m = model(RFM);
    let plan = Plan::compile(&m, as_of());
    let (rows, _) = io::read_all_bytes(
        csv(n),
        "bench.csv",
        Format::Csv,
        &ReadOptions::default(),
        &m,
    )
    .unwrap();
    b.counter(divan::counter::ItemsCount::new(n))
        .with_inputs(|| rows.clone())
        .bench_values(|rows| plan.evaluate(rows).len());
}

/// `rubric run`'s path: the CSV read in batches, the block evaluator on every core, CSV out.
fn run_rows(src: &str, n: usize, b: divan::Bencher) {
    let m = model(src);
    let plan = Plan::compile(&m, as_of());
    let data = csv(n);
    let columns = run::Columns::new(&m, false, false);
    let options = run::RunOptions {
        all: false,
        explain: false,
        strict: false,
        measure: None,
        threads: 0,
    };
    b.counter(divan::counter::ItemsCount::new(n)).bench(|| {
        let reader = io::Reader::from_read(
            Box::new(std::io::Cursor::new(data.clone())),
            "bench.csv",
            Format::Csv,
            &ReadOptions::default(),
            &m,
        )
        .unwrap();
        let mut out = Vec::new();
        let (summary, _) = run::run(
            &plan,
            &m,
            src,
            reader,
            &mut out,
            "out.csv",
            io::OutputFormat::Csv,
            &columns,
            &options,
            &mut |_| {},
        )
        .unwrap();
        summary.written
    });
}

#[divan::bench(args = [100_000])]
fn run_per_row_only(b: divan::Bencher, n: usize) {
    run_rows(PER_ROW, n, b);
}

#[divan::bench(args = [100_000])]
fn run_with_population(b: divan::Bencher, n: usize) {
    run_rows(RFM, n, b);
}
