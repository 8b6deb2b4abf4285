//! `rubric check` over the fixtures in tests/fixtures/{parse,check}, as a user runs it: the
//! rendered human report, the JSON diagnostics and the exit code, snapshotted per fixture.
#![allow(clippy::unwrap_used)]

mod common;
use common::{repo_root, rubric};
use std::path::Path;

fn report(path: &Path) -> String {
    let rel = path
        .strip_prefix(repo_root())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let (code, _, human) = rubric(&["check", &rel]);
    let (json_code, json, _) = rubric(&["check", "--error-format", "json", &rel]);
    assert_eq!(code, json_code, "both formats agree on the exit code");
    format!("exit code: {code}\n\n--- human ---\n{human}\n--- json ---\n{json}")
}

#[test]
fn parse_fixtures() {
    insta::glob!("../../../tests/fixtures/parse", "*.rubric", |path| {
        let out = report(path);
        assert!(out.contains("exit code: 1"), "a parse fixture has an error");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn check_fixtures() {
    insta::glob!("../../../tests/fixtures/check", "*.rubric", |path| {
        insta::assert_snapshot!(report(path));
    });
}

#[test]
fn json_columns_count_characters_not_bytes() {
    let (code, json, _) = rubric(&[
        "check",
        "--error-format",
        "json",
        "tests/fixtures/parse/chinese_text.rubric",
    ]);
    assert_eq!(code, 1);
    let diags: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &diags[0];
    // line 7 is `  金牌 "金牌客户" when 营业额 >= 1_000_000 &&`: `&&` starts at character 35
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(7), Some(35))
    );
    assert_eq!(d["code"], "syntax-error");
}

#[test]
fn exit_codes() {
    assert_eq!(rubric(&["check", "tests/fixtures/check/clean.rubric"]).0, 0);
    assert_eq!(rubric(&["check", "tests/fixtures/check/types.rubric"]).0, 1);
    let (code, _, err) = rubric(&["check", "tests/fixtures/check/does-not-exist.rubric"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(
        rubric(&[
            "check",
            "--error-format",
            "xml",
            "tests/fixtures/check/clean.rubric"
        ])
        .0,
        2
    );
    assert_eq!(rubric(&["check"]).0, 2);
}

#[test]
fn every_diagnostic_is_collected_not_just_the_first() {
    let (_, json, _) = rubric(&[
        "check",
        "--error-format",
        "json",
        "tests/fixtures/parse/errors_in_several_declarations.rubric",
    ]);
    let diags: serde_json::Value = serde_json::from_str(&json).unwrap();
    let lines: Vec<u64> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["line"].as_u64())
        .collect();
    assert_eq!(lines, vec![7, 9, 12], "one error per broken declaration");
}
