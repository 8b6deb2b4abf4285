//! `rubric test --format json|junit|github`, run as a CI job runs it.

#![allow(clippy::unwrap_used)]

mod common;

use common::rubric;

fn scheme() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rubric-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.rubric");
    std::fs::write(
        &path,
        "scheme \"t\"\nas_of 2024-06-30\ninput {\n  id text key\n  revenue decimal\n}\n\
         grade tier { gold when revenue >= 100, other otherwise }\n\
         test \"big is gold\" {\n  given { id: \"a\", revenue: 150 }\n  expect tier == gold\n}\n\
         test \"small is gold\" {\n  given { id: \"b\", revenue: 50 }\n  expect tier == gold\n}\n",
    )
    .unwrap();
    path
}

#[test]
fn github_annotates_the_failing_expectation() {
    let path = scheme();
    let p = path.to_str().unwrap();
    let (code, stdout, stderr) = rubric(&["test", p, "--format", "github"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout.lines().count(),
        1,
        "one annotation per failing test: {stdout}"
    );
    assert!(
        stdout.starts_with(&format!(
            "::error file={p},line=14,title=rubric test failed%3A small is gold::"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("%0A    ✗ gold "),
        "the rule trace is in the message: {stdout}"
    );
    assert_eq!(stderr.trim_end().lines().last(), Some("1 passed, 1 failed"));
}

#[test]
fn json_lists_every_case_with_its_status() {
    let path = scheme();
    let (code, stdout, _) = rubric(&["test", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases[0]["status"], "passed");
    assert_eq!(cases[0]["line"], 8);
    assert_eq!(cases[1]["status"], "failed");
    assert!(cases[1]["failure"]
        .as_str()
        .unwrap()
        .contains("tier = other"));
    // the same bytes every run
    let (_, again, _) = rubric(&["test", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(stdout, again);
}
