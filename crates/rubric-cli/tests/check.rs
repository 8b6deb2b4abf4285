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

/// Every diagnostic code in docs/diagnostics.md is shown by a fixture: a snapshot of a fixture
/// (check, parse, LSP, run, …), a test that asserts the code, or a tested example of the docs (```rubric error=CODE```) names
/// it. A new code without a fixture fails here.
#[test]
fn every_documented_code_has_a_fixture() {
    let root = repo_root();
    let doc = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let codes: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| l.split('`').nth(1))
        .filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
        .collect();
    assert!(codes.len() > 60, "read only {} codes", codes.len());
    let mut seen = String::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("docs")];
    for krate in std::fs::read_dir(root.join("crates")).unwrap() {
        stack.push(krate.unwrap().path().join("tests"));
    }
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.starts_with(root.join("docs")) {
                // a docs example shows a code only when it is tested as that code
                for l in std::fs::read_to_string(&p).unwrap_or_default().lines() {
                    if l.starts_with("```rubric") {
                        seen.push_str(l);
                        seen.push('\n');
                    }
                }
            } else {
                seen.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    // reachable only from the language server with an unsaved document: the unit test
    // `without_a_file_use_is_an_error_not_silence` in rubric-check/src/project.rs
    let elsewhere = ["use-unsupported"];
    let missing: Vec<&&str> = codes
        .iter()
        .filter(|c| !elsewhere.contains(c))
        .filter(|c| {
            !(seen.contains(&format!("\"{c}\""))
                || seen.contains(&format!("\n{c}\n"))
                || seen.contains(&format!("={c}")))
        })
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}
