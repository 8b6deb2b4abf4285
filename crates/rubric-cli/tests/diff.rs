//! `rubric diff` as an operator runs it: a threshold moved in `tests/fixtures/diff/new.rubric`
//! (gold from 1000 to 800, silver from 500 to 400), a grade removed (`activity`) and one added
//! (`size`), over seven customers: the exact matrices, the movers and their rules, exit codes,
//! `git:REV:path`, the `--out` files read back, and the same bytes on every run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use calamine::{open_workbook, Data, Reader as _, Xlsx};
use common::repo_root;
use std::path::{Path, PathBuf};
use std::process::Command;

const OLD: &str = "tests/fixtures/diff/old.rubric";
const NEW: &str = "tests/fixtures/diff/new.rubric";
const DATA: &str = "tests/fixtures/diff/customers.csv";

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("diff-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs rubric in `dir`; (exit code, stdout, stderr).
fn rubric_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(rel: &str) -> String {
    repo_root().join(rel).to_string_lossy().into_owned()
}

#[test]
fn a_moved_threshold_gives_the_exact_matrix_and_every_mover_with_its_rules() {
    let (code, out, err) = rubric_in(
        repo_root(),
        &["diff", OLD, NEW, "--data", DATA, "--measure", "revenue"],
    );
    assert_eq!(code, 1, "customers moved: exit 1\n{out}{err}");
    let expected = "\
tests/fixtures/diff/old.rubric → tests/fixtures/diff/new.rubric: 7 customers, 3 moved
grade `activity` is only in tests/fixtures/diff/old.rubric (removed)
grade `size` is only in tests/fixtures/diff/new.rubric (added)

tier 客户等级: customers, old (rows) → new (columns)
  old \\ new      gold 黄金级  silver 白银级  other 其他
  gold 黄金级              2              0           0
  silver 白银级            2              1           0
  other 其他               0              1           1
tier: revenue, old (rows) → new (columns)
  old \\ new      gold 黄金级  silver 白银级  other 其他
  gold 黄金级           3700              0           0
  silver 白银级         1750            600           0
  other 其他               0            450         300

moved:
  c2  tier  silver 白银级 → gold 黄金级   was silver when revenue >= 500; now gold when revenue >= 800
  c3  tier  silver 白银级 → gold 黄金级   was silver when revenue >= 500; now gold when revenue >= 800
  c4  tier  other 其他    → silver 白银级   was other otherwise; now silver when revenue >= 400
";
    assert_eq!(out, expected);
    assert_eq!(err, "");
}

#[test]
fn nothing_moved_is_exit_zero_with_the_diagonal() {
    let (code, out, _) = rubric_in(repo_root(), &["diff", NEW, NEW, "--data", DATA]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(&format!("{NEW} → {NEW}: 7 customers, 0 moved\n")),
        "{out}"
    );
    assert!(!out.contains("moved:"), "{out}");
    assert!(
        out.contains("  gold 黄金级              4              0           0"),
        "{out}"
    );
}

#[test]
fn explain_shows_the_values_that_decided_each_side() {
    let (code, out, _) = rubric_in(
        repo_root(),
        &["diff", OLD, NEW, "--data", DATA, "--explain"],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "  c2  tier  silver 白银级 → gold 黄金级   was silver: revenue = 900 >= 500; now gold: revenue = 900 >= 800\n"
        ),
        "{out}"
    );
}

#[test]
fn errors_are_exit_two_with_a_help() {
    let d = tmp("errors");
    std::fs::write(
        d.join("broken.rubric"),
        "scheme \"x\"\ninput { id text key }\ngrade g { a when nope > 1 }\n",
    )
    .unwrap();
    let (code, _, err) = rubric_in(
        &d,
        &[
            "diff",
            "broken.rubric",
            &fixture(NEW),
            "--data",
            &fixture(DATA),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error: `broken.rubric` has 1 error and cannot run"),
        "{err}"
    );
    let (code, _, err) = rubric_in(
        &d,
        &[
            "diff",
            &fixture(OLD),
            &fixture(NEW),
            "--data",
            "missing.csv",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `missing.csv`"), "{err}");
    let (code, _, err) = rubric_in(
        &d,
        &[
            "diff",
            &fixture(OLD),
            &fixture(NEW),
            "--data",
            &fixture(DATA),
            "--measure",
            "nope",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("the scheme has no field or value named `nope`"),
        "{err}"
    );
    assert!(err.contains("= help:"), "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn old_may_be_a_committed_version_git_rev_path() {
    let d = tmp("git");
    git(&d, &["init", "-q"]);
    std::fs::create_dir(d.join("schemes")).unwrap();
    std::fs::copy(fixture(OLD), d.join("schemes/tiers.rubric")).unwrap();
    git(&d, &["add", "schemes/tiers.rubric"]);
    git(&d, &["commit", "-qm", "old tiers"]);
    std::fs::copy(fixture(NEW), d.join("schemes/tiers.rubric")).unwrap();
    let data = fixture(DATA);
    let (code, out, err) = rubric_in(
        &d,
        &[
            "diff",
            "git:HEAD:schemes/tiers.rubric",
            "schemes/tiers.rubric",
            "--data",
            &data,
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with(
            "git:HEAD:schemes/tiers.rubric → schemes/tiers.rubric: 7 customers, 3 moved\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  c4  tier  other 其他    → silver 白银级"),
        "{out}"
    );

    let (code, _, err) = rubric_in(
        &d,
        &[
            "diff",
            "git:nosuchrev:schemes/tiers.rubric",
            "schemes/tiers.rubric",
            "--data",
            &data,
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read `schemes/tiers.rubric` at revision `nosuchrev`"),
        "{err}"
    );
    assert!(err.contains("= help:"), "{err}");
    let (code, _, err) = rubric_in(
        &d,
        &["diff", "git:HEAD", "schemes/tiers.rubric", "--data", &data],
    );
    assert_eq!(code, 2);
    assert!(err.contains("does not name a revision and a file"), "{err}");
}

#[test]
fn csv_out_holds_every_mover_with_the_explained_rules_and_the_matrix_beside_it() {
    let d = tmp("csv");
    let out = d.join("moved.csv");
    let (code, stdout, _) = rubric_in(
        repo_root(),
        &[
            "diff",
            OLD,
            NEW,
            "--data",
            DATA,
            "--measure",
            "revenue",
            "--out",
            out.to_str().unwrap(),
            "--explain",
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("  c4  tier"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "key,grade,old,old_label,new,new_label,old_rule,new_rule,measure\n\
         c2,tier,silver,白银级,gold,黄金级,silver: revenue = 900 >= 500,gold: revenue = 900 >= 800,900\n\
         c3,tier,silver,白银级,gold,黄金级,silver: revenue = 850 >= 500,gold: revenue = 850 >= 800,850\n\
         c4,tier,other,其他,silver,白银级,other: otherwise,silver: revenue = 450 >= 400,450\n"
    );
    let matrix = std::fs::read_to_string(d.join("moved.matrix.csv")).unwrap();
    let lines: Vec<&str> = matrix.lines().collect();
    assert_eq!(
        lines[0],
        "grade,old,old_label,new,new_label,customers,measure"
    );
    assert_eq!(lines.len(), 10, "3 × 3 declared pairs: {matrix}");
    assert!(
        lines.contains(&"tier,silver,白银级,gold,黄金级,2,1750"),
        "{matrix}"
    );
    assert!(
        lines.contains(&"tier,other,其他,other,其他,1,300"),
        "{matrix}"
    );
}

#[test]
fn json_out_reads_back_as_numbers_and_labels() {
    let d = tmp("json");
    let out = d.join("moved.json");
    rubric_in(
        repo_root(),
        &[
            "diff",
            OLD,
            NEW,
            "--data",
            DATA,
            "--measure",
            "revenue",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["customers"], 7);
    assert_eq!(doc["moved"], 3);
    assert_eq!(doc["grades_only_in_old"], serde_json::json!(["activity"]));
    assert_eq!(doc["grades_only_in_new"], serde_json::json!(["size"]));
    let movers = doc["movers"].as_array().unwrap();
    assert_eq!(movers.len(), 3);
    assert_eq!(movers[2]["key"], "c4");
    assert_eq!(movers[2]["old_label"], "其他");
    assert_eq!(movers[2]["new"], "silver");
    assert_eq!(movers[2]["new_rule"], "silver when revenue >= 400");
    assert_eq!(movers[2]["measure"], 450);
    let cell = doc["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["old"] == "silver" && c["new"] == "gold")
        .unwrap();
    assert_eq!(cell["customers"], 2);
    assert_eq!(cell["measure"], 1750);
}

#[test]
fn xlsx_out_has_a_sheet_of_movers_and_one_of_the_matrix() {
    let d = tmp("xlsx");
    let out = d.join("moved.xlsx");
    rubric_in(
        repo_root(),
        &[
            "diff",
            OLD,
            NEW,
            "--data",
            DATA,
            "--measure",
            "revenue",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), vec!["变动客户", "迁移矩阵"]);
    let movers = book.worksheet_range("变动客户").unwrap();
    assert_eq!(movers.height(), 4);
    assert_eq!(movers.get((1, 0)), Some(&Data::String("c2".into())));
    assert_eq!(movers.get((3, 5)), Some(&Data::String("白银级".into())));
    assert_eq!(movers.get((3, 8)), Some(&Data::Float(450.0)));
    let matrix = book.worksheet_range("迁移矩阵").unwrap();
    assert_eq!(matrix.height(), 10);
    // silver → gold: 2 customers, 1750 of revenue
    let row = (1..10)
        .find(|&r| {
            matrix.get((r, 1)) == Some(&Data::String("silver".into()))
                && matrix.get((r, 3)) == Some(&Data::String("gold".into()))
        })
        .unwrap();
    assert_eq!(matrix.get((row, 5)), Some(&Data::Float(2.0)));
    assert_eq!(matrix.get((row, 6)), Some(&Data::Float(1750.0)));
}

#[test]
fn outputs_are_the_same_bytes_on_every_run() {
    let d = tmp("same");
    let mut runs = Vec::new();
    for n in 0..2 {
        let (x, h) = (d.join(format!("m{n}.xlsx")), d.join(format!("r{n}.html")));
        let (code, out, _) = rubric_in(
            repo_root(),
            &[
                "diff",
                OLD,
                NEW,
                "--data",
                DATA,
                "--measure",
                "revenue",
                "--out",
                x.to_str().unwrap(),
                "--html",
                h.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 1);
        runs.push((out, std::fs::read(x).unwrap(), std::fs::read(h).unwrap()));
    }
    assert!(runs[0] == runs[1], "two runs differ");
}

#[test]
fn help_documents_what_each_exit_code_means() {
    let (code, out, _) = rubric_in(repo_root(), &["diff", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("  0    no customer moved\n  1    some customers moved\n"),
        "{out}"
    );
    let (_, out, _) = rubric_in(repo_root(), &["report", "--help"]);
    assert!(
        out.contains("  1    the page was written, but the run rejected rows"),
        "{out}"
    );
}

#[test]
fn keys_with_commas_quotes_and_line_breaks_come_through_whole() {
    let d = tmp("keys");
    std::fs::write(
        d.join("c.csv"),
        "客户编号,营业额,订单数\n\"a,1\",900,1\n\"b \"\"2\"\"\",450,1\n\"c\n3\",300,1\n",
    )
    .unwrap();
    let out = d.join("m.json");
    let (code, _, err) = rubric_in(
        &d,
        &[
            "diff",
            &fixture(OLD),
            &fixture(NEW),
            "--data",
            "c.csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let keys: Vec<&str> = doc["movers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["a,1", "b \"2\""]);
    assert_eq!(doc["customers"], 3);
}

/// Order data (example 28): both versions aggregate the same order file; a customer without
/// orders is still compared when the customers file is given, and the order of an unknown
/// customer is accounted for in a note.
#[test]
fn schemes_that_read_orders_are_compared_with_events() {
    let dir = tmp("events");
    let ex = repo_root().join("examples/28-orders-rfm");
    let old = std::fs::read_to_string(ex.join("rfm.rubric")).unwrap();
    assert!(old.contains("A \"A类\" when <= 70%"));
    std::fs::write(dir.join("old.rubric"), &old).unwrap();
    std::fs::write(
        dir.join("new.rubric"),
        old.replace("A \"A类\" when <= 70%", "A \"A类\" when <= 60%"),
    )
    .unwrap();
    let orders = format!("orders={}", ex.join("orders.csv").display());
    let customers = ex.join("customers.csv").display().to_string();
    let (code, out, err) = rubric_in(
        &dir,
        &[
            "diff",
            "old.rubric",
            "new.rubric",
            "--events",
            &orders,
            "--data",
            &customers,
            "--measure",
            "spend",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("old.rubric → new.rubric: 60 customers, 5 moved")
    );
    assert_eq!(
        lines.next(),
        Some("note: old.rubric rejected 1 event row (`rubric run` lists them)")
    );
    assert!(out.contains("  A A类         14      5      0"), "{out}");
    assert!(out.contains("abc  A A类 → B B类"), "{out}");
    // without the customers file, the customers are the keys of the orders (one has none)
    let (code, out, err) = rubric_in(
        &dir,
        &["diff", "old.rubric", "new.rubric", "--events", &orders],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with("old.rubric → new.rubric: 59 customers, 5 moved\n"),
        "{out}"
    );
    // a scheme that reads events needs its file
    let (code, _, err) = rubric_in(&dir, &["diff", "old.rubric", "new.rubric"]);
    assert_eq!(code, 2);
    assert!(err.contains("--data is required"), "{err}");
}

/// A scheme that `use`s a shared file (example 29) is compared like any other.
#[test]
fn schemes_that_use_shared_files_are_compared() {
    let (code, out, err) = rubric_in(
        repo_root(),
        &[
            "diff",
            "examples/29-hysteresis-tiers/tiers.rubric",
            "examples/29-hysteresis-tiers/tiers.rubric",
            "--data",
            "examples/29-hysteresis-tiers/customers.csv",
        ],
    );
    assert_eq!(code, 0, "nobody moved: exit 0\n{out}{err}");
    assert!(out.contains(": 60 customers, 0 moved"), "{out}");
    assert!(out.contains("service 服务方案"), "{out}");
}
