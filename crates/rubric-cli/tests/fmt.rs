//! `rubric fmt` as a user runs it: the built binary over `tests/fixtures/fmt/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn rubric(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rubric"));
    cmd.args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CI");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn show(out: &Output, tmp: Option<&Path>) -> String {
    let mut s = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(t) = tmp {
        s = s.replace(&t.display().to_string(), "[TMP]");
    }
    s.replace(&root().display().to_string(), "[ROOT]")
}

/// A fresh copy of the fixtures in a temporary folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rubric-fmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("tests/fixtures/fmt")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn check_lists_the_files_that_would_change_and_reports_syntax_errors() {
    let out = rubric(&["fmt", "--check", "tests/fixtures/fmt"], None);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let src =
        std::fs::read_to_string(root().join("tests/fixtures/fmt/language_tiers.rubric")).unwrap();
    let out = rubric(&["fmt", "-"], Some(&src));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn files_are_rewritten_in_place_and_then_pass_the_check() {
    let dir = scratch("inplace");
    let broken_before = std::fs::read(dir.join("syntax_error.rubric")).unwrap();
    let d = dir.display().to_string();
    let first = rubric(&["fmt", &d], None);
    // the file with a syntax error is reported and left untouched; the others are formatted
    assert_eq!(first.status.code(), Some(1));
    assert_eq!(
        std::fs::read(dir.join("syntax_error.rubric")).unwrap(),
        broken_before
    );
    std::fs::remove_file(dir.join("syntax_error.rubric")).unwrap();
    let check = rubric(&["fmt", "--check", &d], None);
    assert_eq!(check.status.code(), Some(0), "{}", show(&check, Some(&dir)));
    // in place gives the same text as stdin
    let src = std::fs::read_to_string(root().join("tests/fixtures/fmt/scorecard.rubric")).unwrap();
    let piped = rubric(&["fmt", "-"], Some(&src));
    assert_eq!(
        String::from_utf8_lossy(&piped.stdout),
        std::fs::read_to_string(dir.join("scorecard.rubric")).unwrap()
    );
    insta::assert_snapshot!(format!(
        "{}\n=== then --check\n{}",
        show(&first, Some(&dir)),
        show(&check, Some(&dir))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_with_a_syntax_error_prints_nothing_and_fails() {
    let out = rubric(&["fmt", "-"], Some("grade g {\n  a when x =>\n}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(show(&out, None));
}
