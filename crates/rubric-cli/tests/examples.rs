//! The 27 grading practices in examples/ are the proof that the language serves its users: each
//! checks without warnings, and its test blocks and dataset snapshot pass.
#![allow(clippy::unwrap_used)]

mod common;
use common::{repo_root, rubric};

#[test]
fn there_is_one_folder_per_practice() {
    let folders = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(folders, 28);
}

#[test]
fn every_example_checks_without_errors_or_warnings() {
    let (code, _, err) = rubric(&["check", "--deny-warnings", "examples"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("checked 28 files: 0 errors, 0 warnings"),
        "{err}"
    );
}

#[test]
fn every_example_is_formatted() {
    let (code, out, err) = rubric(&["fmt", "--check", "examples"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn every_example_passes_its_tests_and_snapshot() {
    let (code, out, err) = rubric(&["test", "examples"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let last = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    assert!(
        passed >= 28 * 2,
        "every example has tests and a snapshot: {last}"
    );
}

#[test]
fn the_readme_command_runs_an_example_end_to_end() {
    let (code, out, err) = rubric(&[
        "run",
        "examples/01-ibm-value-tiers/tiers.rubric",
        "--data",
        "examples/01-ibm-value-tiers/customers.csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("客户编号,tier\n"), "{out}");
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(readme.contains("run examples/01-ibm-value-tiers/tiers.rubric --data examples/01-ibm-value-tiers/customers.csv"));
    assert!(err.contains("0 rejected"), "{err}");
}

/// The README's scheme and its test block, put together, check clean and pass: the README
/// cannot drift from what the tool does.
#[test]
fn the_readme_example_and_its_test_pass() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```rubric")
        .skip(1)
        // After the fence's markers (`id=tiers`, `with=tiers`: see tests/docs.rs).
        .filter_map(|b| b.split_once('\n'))
        .filter_map(|(_, b)| b.split("```").next())
        .collect();
    assert!(blocks.len() >= 2, "the README shows a scheme and a test");
    let dir = std::env::temp_dir().join(format!("rubric-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("readme.rubric");
    std::fs::write(&path, format!("{}\n{}", blocks[0], blocks[1])).unwrap();
    let path = path.to_string_lossy().into_owned();
    let (code, _, err) = rubric(&["check", "--deny-warnings", &path]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = rubric(&["test", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.trim_end().ends_with("1 passed, 0 failed"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
