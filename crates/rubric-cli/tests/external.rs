//! The suites that drive real outside programs, run from `cargo test` so that one command runs
//! every test: the SQL differential test against DuckDB, PostgreSQL and Spark, the editor suite
//! (VS Code extension build and grammar tests, Neovim end to end against `rubric lsp`), the
//! benchmark's smoke run (rubric, DuckDB, Polars and the Rust baseline must agree), and the
//! workbooks `rubric run` writes, opened by openpyxl.
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
}

#[test]
fn workbooks_open_in_openpyxl_with_types_labels_and_charts() {
    let out = run_script("tests/xlsx/run.sh", &[]);
    assert!(out.contains("openpyxl reads every sheet"), "{out}");
}
