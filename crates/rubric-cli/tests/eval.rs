//! `rubric run` over the evaluation fixtures: `tests/fixtures/{eval,language}/<name>/` each hold
//! `scheme.rubric`, one `data.csv|json|jsonl` and optionally `args` (extra options, e.g.
//! `--all`). The output, the summary, the rejects and the exit code are snapshotted per fixture;
//! the results LANGUAGE.md states are also asserted cell by cell below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::repo_root;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    rejects: Option<String>,
}

/// Runs a fixture directory (relative to the repo root) with its `args`.
fn run_fixture(dir: &Path) -> (String, Run) {
    let rel = dir
        .strip_prefix(repo_root())
        .unwrap_or(dir)
        .to_string_lossy()
        .replace('\\', "/");
    let data = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_stem().is_some_and(|s| s == "data"))
        .min()
        .unwrap_or_else(|| panic!("{rel} has no data file"));
    let data_rel = format!("{rel}/{}", data.file_name().unwrap().to_string_lossy());
    let extra = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let mut args: Vec<String> = vec![
        "run".into(),
        format!("{rel}/scheme.rubric"),
        "--data".into(),
        data_rel,
    ];
    args.extend(extra.split_whitespace().map(String::from));
    let shown = args.join(" ");
    let rejects: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("eval-{}.rejects.csv", rel.replace('/', "-")));
    let _ = std::fs::remove_file(&rejects);
    args.push("--rejects".into());
    args.push(rejects.to_string_lossy().into_owned());
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(&args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&*rejects.to_string_lossy(), "[rejects file]");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        rejects: std::fs::read_to_string(&rejects).ok(),
    };
    (shown, run)
}

fn report(dir: &Path) -> String {
    let (shown, r) = run_fixture(dir);
    let mut s = format!(
        "$ rubric {shown}\nexit code: {}\n\n--- stdout ---\n{}\n--- stderr ---\n{}",
        r.code, r.stdout, r.stderr
    );
    if let Some(rej) = r.rejects {
        s.push_str(&format!("\n--- rejects ---\n{rej}"));
    }
    s
}

#[test]
fn eval_fixtures() {
    insta::glob!("../../../tests/fixtures/eval", "*/scheme.rubric", |path| {
        insta::assert_snapshot!(report(path.parent().unwrap()));
    });
}

#[test]
fn language_fixtures() {
    insta::glob!(
        "../../../tests/fixtures/language",
        "*/scheme.rubric",
        |path| {
            insta::assert_snapshot!(report(path.parent().unwrap()));
        }
    );
}

/// The CSV output of a fixture: key → column → cell.
fn table(fixture: &str) -> HashMap<String, HashMap<String, String>> {
    let (_, r) = run_fixture(&repo_root().join("tests/fixtures").join(fixture));
    let mut lines = r.stdout.lines();
    let header: Vec<String> = split_csv(lines.next().expect("a header"));
    let mut out = HashMap::new();
    for line in lines {
        let cells = split_csv(line);
        let row: HashMap<String, String> =
            header.iter().cloned().zip(cells.iter().cloned()).collect();
        out.insert(cells[0].clone(), row);
    }
    out
}

/// Splits a CSV line of the fixtures (quoted cells without embedded newlines).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

fn cell<'a>(t: &'a HashMap<String, HashMap<String, String>>, key: &str, col: &str) -> &'a str {
    t.get(key)
        .and_then(|r| r.get(col))
        .unwrap_or_else(|| panic!("no cell {key}/{col}"))
}

#[test]
fn section_1_tiers_are_diamond_gold_silver_other() {
    let t = table("language/01-whole-scheme");
    let tiers: Vec<&str> = ["a", "b", "c", "d"]
        .iter()
        .map(|k| cell(&t, k, "tier"))
        .collect();
    assert_eq!(tiers, ["diamond", "gold", "silver", "other"]);
    assert_eq!(
        cell(&t, "a", "tier_why"),
        "diamond: cumulative_share(revenue) = 0.5 <= 50%"
    );
    // as_of - 90d is in, one day earlier is out, a missing date is missing
    assert_eq!(
        [
            cell(&t, "b", "active"),
            cell(&t, "c", "active"),
            cell(&t, "d", "active")
        ],
        ["true", "false", ""]
    );
}

#[test]
fn section_3_scorecards_give_81_75_and_84() {
    let t = table("language/03-scorecard");
    assert_eq!(cell(&t, "g1", "history_pts"), "90");
    assert_eq!(cell(&t, "g1", "forecast_pts"), "70");
    assert_eq!(cell(&t, "g1", "priority"), "81.75");
    assert_eq!(cell(&t, "g1", "level"), "B");
    let t = table("language/03-score-bonus");
    assert_eq!(cell(&t, "x", "s"), "84");
    assert_eq!(cell(&t, "y", "s"), "80");
    assert_eq!(cell(&t, "z", "t"), "168", "whole-score bonuses multiply");
}

#[test]
fn section_3_abc_first_match_and_calendar_months() {
    let t = table("language/03-grade-abc");
    let got: Vec<&str> = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]
        .iter()
        .map(|k| cell(&t, k, "abc"))
        .collect();
    assert_eq!(got, ["a", "a", "a", "b", "b", "b", "b", "c", "c"]);
}

#[test]
fn section_4_expressions() {
    let t = table("language/04-expressions");
    assert_eq!(cell(&t, "e1", "exact"), "true", "0.1 + 0.2 == 0.3");
    assert_eq!(cell(&t, "e1", "seven_halves"), "3.5");
    assert_eq!(
        cell(&t, "e1", "month_end"),
        "2024-02-29",
        "2024-03-31 - 1mo"
    );
    assert_eq!(cell(&t, "e1", "year_later"), "2025-02-28");
    assert_eq!(cell(&t, "e1", "days"), "151");
    assert_eq!(cell(&t, "e1", "months"), "4");
    assert_eq!(cell(&t, "e2", "years"), "4");
    assert_eq!(cell(&t, "e3", "years"), "3", "one day short of four years");
    assert_eq!(
        cell(&t, "e2", "rounded"),
        "2.3",
        "2.25 rounds half away from zero"
    );
    assert_eq!(cell(&t, "e3", "rounded_neg"), "3", "2.5 rounds to 3");
    assert_eq!(cell(&t, "e2", "rounded_neg"), "-2");
    assert_eq!(cell(&t, "e1", "length"), "6", "len counts characters");
    assert_eq!(
        cell(&t, "e1", "million"),
        "true",
        "1000000.00 >= 1000000.00"
    );
}

#[test]
fn section_4_missing_values_follow_sql() {
    let t = table("language/04-missing-values");
    let m1 = |c: &str| cell(&t, "m1", c).to_string();
    assert_eq!(m1("sum"), "");
    assert_eq!(m1("compared"), "");
    assert_eq!(m1("negated"), "");
    assert_eq!(m1("and_false"), "false");
    assert_eq!(m1("and_true"), "");
    assert_eq!(m1("or_true"), "true");
    assert_eq!(m1("or_false"), "");
    assert_eq!(m1("listed"), "");
    assert_eq!(m1("in_range"), "");
    assert_eq!(m1("recent"), "");
    assert_eq!(m1("coalesced"), "0");
    assert_eq!(m1("missing_x"), "true");
    assert_eq!(m1("chosen"), "2");
    assert_eq!(
        m1("g"),
        "other",
        "otherwise catches a missing deciding value"
    );
    assert_eq!(m1("no_otherwise"), "");
    assert_eq!(
        cell(&t, "m2", "quotient"),
        "",
        "division by zero is missing"
    );
    assert_eq!(
        cell(&t, "m4", "not_listed"),
        "true",
        "a present value in no element is false"
    );
}

#[test]
fn population_functions_with_ties_missing_and_partitions() {
    let t = table("language/04-population");
    let col = |c: &str| -> Vec<String> {
        ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]
            .iter()
            .map(|k| cell(&t, k, c).to_string())
            .collect()
    };
    assert_eq!(col("r"), ["1", "2", "2", "4", "", "4", "6"]);
    assert_eq!(col("customers"), ["7"; 7], "count() counts every customer");
    assert_eq!(
        col("r_region"),
        ["1", "2", "1", "2", "", "1", "2"],
        "a missing region is a partition"
    );
    assert_eq!(col("n_region"), ["3", "3", "2", "2", "3", "2", "2"]);
    assert_eq!(
        cell(&t, "p2", "top"),
        "0.5",
        "ties: 3 of 6 customers have 300 or more"
    );
    assert_eq!(cell(&t, "p4", "cum"), "1");
    assert_eq!(cell(&t, "p1", "cum_region"), "0.625");
    let t = table("eval/ties");
    assert_eq!(
        ["a", "b", "c", "d", "e"].map(|k| cell(&t, k, "r")),
        ["1", "1", "1", "4", "4"]
    );
    assert_eq!(
        cell(&t, "a", "top"),
        "0.4285714285714286",
        "3 of 7, rounded to 16 places"
    );
}

#[test]
fn within_includes_both_edges() {
    let t = table("eval/within-edges");
    assert_eq!(cell(&t, "today", "in_90d"), "true");
    assert_eq!(cell(&t, "future", "in_90d"), "false");
    assert_eq!(cell(&t, "d90", "in_90d"), "true");
    assert_eq!(cell(&t, "d91", "in_90d"), "false");
    assert_eq!(
        cell(&t, "mo1", "in_1mo"),
        "true",
        "2024-03-31 - 1mo = 2024-02-29"
    );
    assert_eq!(cell(&t, "mo1_out", "in_1mo"), "false");
    assert_eq!(cell(&t, "none", "in_90d"), "");
}

#[test]
fn keys_keep_leading_zeros() {
    let t = table("language/06-cell-parsing");
    assert!(t.contains_key("00017") && t.contains_key("000190"));
    assert_eq!(cell(&t, "00017", "doubled"), "-25");
    assert_eq!(cell(&t, "A-4", "flag"), "true", "是 is true");
}

#[test]
fn bad_rows_are_counted_and_rejected() {
    let (_, r) = run_fixture(&repo_root().join("tests/fixtures/eval/rejects"));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("read 10 rows: 2 written, 8 rejected"),
        "{}",
        r.stderr
    );
    let rejects = r.rejects.expect("a rejects file");
    assert_eq!(rejects.lines().count(), 9, "a header and 8 rejects");
    assert!(rejects.contains("6,id,r1,duplicate key `r1` (first on line 2)"));
    let (_, r) = run_fixture(&repo_root().join("tests/fixtures/eval/overflow"));
    assert!(r
        .rejects
        .unwrap()
        .contains("3,,o2,evaluation overflow in `cube`"));
}
