//! The suites that drive real outside programs, run from `cargo test` so that one command runs
//! every test: the SQL differential test against DuckDB, PostgreSQL and Spark, the editor suite
//! (VS Code extension build and grammar tests, Neovim end to end against `rubric lsp`), the
//! benchmark's smoke run (rubric, DuckDB, Polars and the Rust baseline must agree), the scale
//! smoke run (check and LSP re-check time at 1,000 and 10,000 rules), the workbooks `rubric run`
//! writes, opened by openpyxl, `rubric test`'s JUnit XML, read by junitparser, installing
//! without Rust (the wheel, the pre-commit hooks, the platform VS Code extension), and the dbt
//! example project built by dbt-duckdb.
//!
//! Each script installs what it needs (Debian packages, a Python venv, npm packages) and prints
//! its own progress; `.ci/install` installs the system packages up front.
#![allow(clippy::unwrap_used)]

mod common;
use common::repo_root;
use std::process::Command;

fn run_script(script: &str, args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .current_dir(repo_root())
        .env("RUBRIC_BIN", env!("CARGO_BIN_EXE_rubric"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    text
}

#[test]
fn sql_matches_rubric_run_in_duckdb_postgres_and_spark() {
    run_script("tests/sql/run.sh", &[]);
}

#[test]
fn editors_extension_grammar_and_neovim_end_to_end() {
    let out = run_script("editors/ci.sh", &[]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn benchmark_smoke_run_agrees_with_every_peer() {
    run_script("benches/compare.sh", &["--smoke"]);
    // (after compare.sh, in the same test: both use the Python environment it installs)
    let out = run_script("benches/orders.sh", &["--smoke"]);
    assert!(out.contains("every tool's grades agree"), "{out}");
}

/// `rubric check` and the language server's re-check at 1,000 and 10,000 rules stay within a
/// budget that a check growing with the square of the rules cannot meet (debug build).
#[test]
fn scale_smoke_run_checks_ten_thousand_rules_in_budget() {
    let out = Command::new("python3")
        .args(["benches/scale.py", "--smoke"])
        .current_dir(repo_root())
        .env("RUBRIC", env!("CARGO_BIN_EXE_rubric"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "benches/scale.py --smoke failed:\n{text}"
    );
    assert!(text.contains(" passed, 0 failed"), "{text}");
}

/// `rubric test --format junit` on every example and on a failing test, read by junitparser.
#[test]
fn junit_reports_are_read_by_a_real_junit_parser() {
    let out = run_script("tests/junit/run.sh", &[]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn workbooks_open_in_openpyxl_with_types_labels_and_charts() {
    let out = run_script("tests/xlsx/run.sh", &[]);
    assert!(out.contains("openpyxl reads every sheet"), "{out}");
}

/// The real CDNOW order file (from the PyPI package `lifetimes`), graded straight from its
/// 69,659 orders, agrees with DuckDB on every one of its 23,570 customers.
#[test]
fn cdnow_orders_graded_from_events_agree_with_duckdb() {
    let out = run_script("tests/cdnow/run.sh", &[]);
    assert!(
        out.contains("23570 customers agree with duckdb on every aggregate and grade"),
        "{out}"
    );
}

/// `rubric report` and `rubric diff --html` pages loaded in headless Chromium: every chart
/// drew, the labels are on the page, nothing was fetched.
#[test]
fn report_pages_draw_offline_in_a_real_browser() {
    let out = run_script("tests/report/run.sh", &[]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

/// Installing without Rust: the wheel built by maturin (twice, the same bytes), installed by pip
/// in a venv with no Rust and uninstalled; the pre-commit hooks run by pre-commit on a scratch
/// repository (a bad scheme fails the commit with its diagnostics); the linux-x64 `.vsix`
/// carrying the wheel's binary, whose extension finds and runs that bundled server.
#[test]
fn wheel_pre_commit_hooks_and_platform_extension_install_without_rust() {
    let out = run_script("tests/install/run.sh", &[]);
    assert!(out.contains("install: "), "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

/// The dbt example of docs/warehouse.md, by real dbt-duckdb: its model and schema tests are what
/// `rubric sql` writes now, `dbt build` passes, the model's rows are `rubric run`'s, and the
/// generated tests fail on a foreign grade code and a repeated key.
#[test]
fn dbt_example_builds_and_its_generated_tests_hold() {
    let out = run_script("integrations/dbt/run.sh", &[]);
    assert!(
        out.contains("the dbt model's 300 rows are rubric run's"),
        "{out}"
    );
    assert!(out.contains("dbt test fails on a foreign code"), "{out}");
}
