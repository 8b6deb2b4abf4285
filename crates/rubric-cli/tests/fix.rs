//! Chinese-first authoring (LANGUAGE.md §8) as a user meets it: a scheme typed with a Chinese
//! input method checks with only `full-width` warnings, runs exactly like its ASCII twin, and
//! `rubric check --fix` turns it into that twin; the fixes in the JSON output.
#![allow(clippy::unwrap_used)]

mod common;
use common::{repo_root, rubric};
use std::path::{Path, PathBuf};

const IME: &str = "tests/fixtures/check/ime.rubric";
const TWIN: &str = "tests/fixtures/ime/twin.rubric";
const DATA: &str = "tests/fixtures/ime/customers.csv";

/// A copy of a repository file in a fresh directory under the target directory.
fn scratch(name: &str, from: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fix-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let to = dir.join(Path::new(from).file_name().unwrap());
    std::fs::copy(repo_root().join(from), &to).unwrap();
    to
}

fn json(path: &str) -> serde_json::Value {
    let (_, out, _) = rubric(&["check", "--error-format", "json", path]);
    serde_json::from_str(&out).unwrap()
}

#[test]
fn an_ime_scheme_has_only_full_width_warnings() {
    let diags = json(IME);
    let diags = diags.as_array().unwrap();
    assert!(diags.len() > 20);
    for d in diags {
        assert_eq!(
            (d["code"].as_str(), d["severity"].as_str()),
            (Some("full-width"), Some("warning")),
            "{d}"
        );
        assert_eq!(d["fixes"][0]["applicability"], "safe");
    }
    assert_eq!(rubric(&["check", IME]).0, 0);
    assert_eq!(
        rubric(&["check", "--deny-warnings", TWIN]).0,
        0,
        "the twin is clean"
    );
}

#[test]
fn an_ime_scheme_runs_exactly_like_its_ascii_twin() {
    let ime = rubric(&["run", IME, "--data", DATA]);
    let twin = rubric(&["run", TWIN, "--data", DATA]);
    assert_eq!(ime.0, 0, "{}", ime.2);
    assert_eq!(ime.1, twin.1, "the same output, byte for byte");
    assert!(
        ime.1.contains("c8,silver") && ime.1.contains("c7,diamond"),
        "{}",
        ime.1
    );
    // and compiles to the same SQL
    let sql = |p: &str| rubric(&["sql", p, "--dialect", "duckdb", "--table", "customers"]).1;
    assert_eq!(sql(IME), sql(TWIN));
}

#[test]
fn check_fix_turns_an_ime_scheme_into_its_twin() {
    let file = scratch("ime", IME);
    let path = file.to_str().unwrap();
    let (code, _, err) = rubric(&["check", "--fix", path]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("fixed 67 problems in"), "{err}");
    assert!(
        err.contains("checked 1 file: no problems") || err.contains("0 errors, 0 warnings"),
        "{err}"
    );
    let fixed = std::fs::read_to_string(&file).unwrap();
    let twin = std::fs::read_to_string(repo_root().join(TWIN)).unwrap();
    assert_eq!(fixed, twin);
    // nothing left to fix: the file is not written again
    let (code, _, err) = rubric(&["check", "--fix", path]);
    assert_eq!(code, 0);
    assert!(!err.contains("fixed"), "{err}");
}

#[test]
fn fmt_writes_full_width_input_as_ascii() {
    let ime = scratch("fmt-ime", IME);
    let twin = scratch("fmt-twin", TWIN);
    for f in [&ime, &twin] {
        assert_eq!(rubric(&["fmt", f.to_str().unwrap()]).0, 0);
    }
    let (ime, twin) = (
        std::fs::read_to_string(ime).unwrap(),
        std::fs::read_to_string(twin).unwrap(),
    );
    assert_eq!(ime, twin);
    assert!(
        ime.contains("revenue >= 1.5亿") && ime.contains("\"钻石（一级）\""),
        "{ime}"
    );
}

#[test]
fn check_fix_applies_only_safe_fixes_and_exits_as_check() {
    let file = scratch("fixes", "tests/fixtures/check/fixes.rubric");
    let path = file.to_str().unwrap();
    let (code, _, err) = rubric(&["check", "--fix", path]);
    // `=`, `180d`, `或`, the weights; the guesses (`revnue`, a date's age, `glod`) stay errors
    assert!(err.contains("fixed 4 problems in"), "{err}");
    assert_eq!(code, 1, "errors remain");
    let fixed = std::fs::read_to_string(&file).unwrap();
    for want in [
        "revenue == 5",
        "days_since(last_visit) <= 180\n",
        "weight 60%",
        "revenue > 1 or revenue < 0",
        "weight 40%",
        "revnue > 1",
        "last_visit >= 180\n",
    ] {
        assert!(fixed.contains(want), "{want:?} in\n{fixed}");
    }
    let file = scratch("numbers", "tests/fixtures/check/numbers.rubric");
    let (code, _, err) = rubric(&["check", "--fix", file.to_str().unwrap()]);
    assert!(err.contains("fixed 6 problems in"), "{err}");
    assert_eq!(code, 0, "{err}");
    let fixed = std::fs::read_to_string(&file).unwrap();
    for want in [
        ">= 50000\n",
        ">= 1234567.89\n",
        ">= 3.5万\n",
        ">= 100\n",
        "in [1,000]",
    ] {
        assert!(fixed.contains(want), "{want:?} in\n{fixed}");
    }
}

#[test]
fn fixes_in_json_carry_edits_with_lines_and_columns() {
    let diags = json("tests/fixtures/check/numbers.rubric");
    let d = diags
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "thousands-separator")
        .unwrap();
    let fixes = d["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 2, "`50000`, or `5万`");
    assert_eq!(fixes[0]["applicability"], "safe");
    assert_eq!(fixes[1]["applicability"], "unsafe");
    let edit = &fixes[1]["edits"][0];
    assert_eq!(edit["replacement"], "5万");
    assert_eq!(
        (edit["line"].as_u64(), edit["column"].as_u64()),
        (Some(9), Some(28))
    );
    assert_eq!(
        (edit["end_line"].as_u64(), edit["end_column"].as_u64()),
        (Some(9), Some(34))
    );
    assert_eq!(
        edit["span"]["end"].as_u64().unwrap() - edit["span"]["start"].as_u64().unwrap(),
        6
    );
}
