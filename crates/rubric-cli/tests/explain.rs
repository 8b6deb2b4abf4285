//! `rubric explain` as a user runs it, over `tests/fixtures/explain/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn explain(extra: &[&str]) -> Output {
    let mut args = vec![
        "explain",
        "tests/fixtures/explain/accounts.rubric",
        "--data",
        "tests/fixtures/explain/accounts.csv",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(&args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace(&root().display().to_string(), "[ROOT]")
}

#[test]
fn silver_customer_with_the_distance_to_gold() {
    let out = explain(&["--key", "00017"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("营业额 needs +123,456.79 to reach gold \"黄金级\""),
        "{stdout}"
    );
    insta::assert_snapshot!(show(&out));
}

#[test]
fn all_adds_lets_and_points() {
    let out = explain(&["--key", "00018", "--all"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(show(&out));
}

#[test]
fn a_missing_value_and_a_later_date() {
    let out = explain(&["--key", "00019", "--as-of", "2024-09-30"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(show(&out));
}

#[test]
fn a_rejected_row_says_why() {
    let out = explain(&["--key", "00020"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(show(&out));
}

#[test]
fn an_unknown_key_is_an_error() {
    let out = explain(&["--key", "99999"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(show(&out));
}
