//! Fixtures meant to be clean stay clean: no errors and no warnings (hints are allowed only
//! where the fixture says so). Guards the analysis against false positives.
#![allow(clippy::unwrap_used, clippy::panic)]

use rubric_check::{check_source, Severity};
use std::path::Path;

fn assert_clean(path: &Path, allow_hints: bool) {
    let src = std::fs::read_to_string(path).unwrap();
    let (_, checked) = check_source(&src);
    let noisy: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Hint || !allow_hints)
        .map(|d| format!("{} {}: {}", d.severity.as_str(), d.code, d.message))
        .collect();
    assert!(
        noisy.is_empty(),
        "{} should be clean, got:\n{}",
        path.display(),
        noisy.join("\n")
    );
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/check")
}

#[test]
fn near_misses_do_not_warn() {
    assert_clean(&fixtures().join("analysis_near_misses.rubric"), true);
}

#[test]
fn the_clean_fixture_is_clean() {
    assert_clean(&fixtures().join("clean.rubric"), false);
}

#[test]
fn every_analysis_finding_has_a_code_span_and_help() {
    for name in [
        "analysis_unreachable.rubric",
        "analysis_gaps.rubric",
        "analysis_traps.rubric",
    ] {
        let src = std::fs::read_to_string(fixtures().join(name)).unwrap();
        let (_, checked) = check_source(&src);
        assert!(!checked.diagnostics.is_empty(), "{name} has findings");
        for d in &checked.diagnostics {
            assert!(d.help.is_some(), "{name}: `{}` has no help", d.code);
            assert!(
                d.span.end <= src.len() && d.span.start <= d.span.end,
                "{name}: bad span"
            );
            let first = d.message.chars().next().unwrap();
            assert!(
                !first.is_ascii_uppercase() && !d.message.ends_with('.'),
                "{name}: `{}` is not lowercase",
                d.message
            );
        }
    }
}

/// Every code the syntax, check and sql crates can report has a section in docs/diagnostics.md.
#[test]
fn every_code_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let mut codes = std::collections::BTreeSet::new();
    // every source file of the crates that report diagnostics, subfolders included
    let mut stack: Vec<std::path::PathBuf> = [
        "crates/rubric-syntax/src",
        "crates/rubric-check/src",
        "crates/rubric-sql/src",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            for marker in [
                "Diagnostic::error(",
                "Diagnostic::warning(",
                "Diagnostic::hint(",
                "self.error(",
            ] {
                for part in src.split(marker).skip(1) {
                    let part = part.trim_start();
                    if let Some(rest) = part.strip_prefix('"') {
                        let code: String = rest.chars().take_while(|c| *c != '"').collect();
                        codes.insert(code);
                    }
                }
            }
        }
    }
    assert!(codes.len() > 40, "found the codes: {codes:?}");
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !docs.contains(&format!("### `{c}`")))
        .collect();
    assert!(missing.is_empty(), "undocumented codes: {missing:?}");
}

#[test]
fn the_analysis_survives_unrelated_errors() {
    let src = std::fs::read_to_string(fixtures().join("analysis_despite_errors.rubric")).unwrap();
    let (_, checked) = check_source(&src);
    let found: Vec<(&str, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let line_start = src[..d.span.start].rfind('\n').map_or(0, |i| i + 1);
            let line = src[line_start..].lines().next().unwrap_or("");
            (d.code, line.split_whitespace().nth(1).unwrap_or(""))
        })
        .collect();
    assert_eq!(
        found,
        [
            ("gap", "band"),
            ("unreachable-rule", "order"),
            ("unknown-name", "broken"),
            ("syntax-error", "typo"),
        ],
        "analysis of the clean declarations only"
    );
}
