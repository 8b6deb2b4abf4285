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
