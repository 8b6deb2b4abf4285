//! `rubric test` as a user runs it: test blocks and dataset snapshots under
//! `tests/fixtures/test/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn rubric(args: &[&str], ci: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rubric"));
    cmd.args(args).current_dir(root()).env("NO_COLOR", "1");
    if ci {
        cmd.env("CI", "true");
    } else {
        cmd.env_remove("CI");
    }
    cmd.output().unwrap()
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

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

/// A fresh copy of a fixture folder in a temporary folder.
fn scratch(fixture: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rubric-test-{fixture}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("tests/fixtures/test").join(fixture)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn passing_tests_and_snapshots() {
    let out = rubric(&["test", "tests/fixtures/test/passing"], true);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out, None));
    assert_eq!(last_line(&out), "5 passed, 0 failed");
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn a_scheme_file_also_runs_the_snapshots_beside_it() {
    let out = rubric(&["test", "tests/fixtures/test/passing/tiers.rubric"], true);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out, None));
    assert_eq!(last_line(&out), "5 passed, 0 failed");
    // named twice, as a file and through its folder, the snapshots still run once
    let out = rubric(
        &[
            "test",
            "tests/fixtures/test/passing/tiers.rubric",
            "tests/fixtures/test/passing/rubric.toml",
        ],
        true,
    );
    assert_eq!(last_line(&out), "5 passed, 0 failed");
}

#[test]
fn failing_expectations_show_values_and_rule_traces() {
    let out = rubric(&["test", "tests/fixtures/test/failing"], true);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "2 passed, 4 failed");
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn filter_selects_tests_by_name() {
    let out = rubric(
        &[
            "test",
            "tests/fixtures/test/failing/failing.rubric",
            "--filter",
            "short of",
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "0 passed, 1 failed");
    let out = rubric(
        &["test", "tests/fixtures/test/failing", "--filter", "passes"],
        true,
    );
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn a_scheme_that_does_not_check_exits_2() {
    let out = rubric(&["test", "tests/fixtures/test/broken"], true);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(last_line(&out), "0 passed, 0 failed");
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn a_changed_snapshot_shows_customers_and_migration_tables() {
    let out = rubric(&["test", "tests/fixtures/test/changed"], true);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "3 passed, 1 failed");
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn in_ci_a_missing_snapshot_fails_and_is_never_written() {
    let out = rubric(
        &[
            "test",
            "tests/fixtures/test/missing/rubric.toml",
            "--update",
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "0 passed, 1 failed");
    assert!(!root()
        .join("tests/fixtures/test/missing/never-written.snapshot.csv")
        .exists());
    insta::assert_snapshot!(show(&out, None));
}

#[test]
fn update_writes_new_and_changed_snapshots_outside_ci() {
    let dir = scratch("changed");
    let d = dir.display().to_string();
    let before = rubric(&["test", &d], false);
    assert_eq!(before.status.code(), Some(1));
    let update = rubric(&["test", &d, "--update"], false);
    assert_eq!(
        update.status.code(),
        Some(0),
        "{}",
        show(&update, Some(&dir))
    );
    let after = rubric(&["test", &d], true);
    assert_eq!(after.status.code(), Some(0), "{}", show(&after, Some(&dir)));
    let written = std::fs::read_to_string(dir.join("tiers.snapshot.csv")).unwrap();
    // a new snapshot is written too
    std::fs::remove_file(dir.join("tiers.snapshot.csv")).unwrap();
    let missing = rubric(&["test", &d], false);
    assert_eq!(missing.status.code(), Some(1));
    let create = rubric(&["test", &d, "--update"], false);
    assert_eq!(create.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("tiers.snapshot.csv")).unwrap(),
        written
    );
    insta::assert_snapshot!(format!(
        "{}\n=== the snapshot written\n{written}\n=== a missing snapshot outside CI\n{}\n=== --update writes it\n{}",
        show(&update, Some(&dir)),
        show(&missing, Some(&dir)),
        show(&create, Some(&dir))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A dataset snapshot reads its data as `rubric run` does: cells as Excel shows them, and a
/// totals row (`合计`) left out of the snapshot and of the population, with a note.
#[test]
fn a_snapshot_leaves_a_totals_row_out() {
    let dir = std::env::temp_dir().join(format!("rubric-test-totals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("abc.rubric"),
        "scheme \"abc\"\nas_of 2024-06-30\ninput { id text key \"客户编号\", revenue decimal \"营业额\" }\n\
         grade abc { A when cumulative_share(revenue) <= 60%, B otherwise }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("customers.csv"),
        "客户编号,营业额\nc1,\"¥6,000\"\nc2,4000元\n合计,\"10,000\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("rubric.toml"),
        "[[snapshot]]\nscheme = \"abc.rubric\"\ndata = \"customers.csv\"\noutput = \"abc.snapshot.csv\"\n",
    )
    .unwrap();
    let d = dir.display().to_string();
    let out = rubric(&["test", &d, "--update"], false);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out, Some(&dir)));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("note: 1 of the data's rows were rejected"),
        "{}",
        show(&out, Some(&dir))
    );
    // without the rule, 合计 would be the only A
    assert_eq!(
        std::fs::read_to_string(dir.join("abc.snapshot.csv")).unwrap(),
        "客户编号,abc\nc1,A\nc2,B\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
