//! Shared by the CLI test suites: where the repository is, and running the built `rubric` the
//! way a user does (from the repository root, without colours).
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;
use std::process::Command;

/// The repository root (tests/fixtures and examples are relative to it).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
}

/// Runs `rubric ARGS` in the repository root with `NO_COLOR=1` and `CI=true`; returns the exit
/// code, stdout and stderr.
pub fn rubric(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
