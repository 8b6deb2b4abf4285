//! `rubric run` on an operator's own file (LANGUAGE.md §9), through the built binary: cells as
//! Excel shows them, totals rows, rejects that carry their original row, the summary line on
//! what the rejects take out of the population, `--max-rejects`, and the input format hint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("run-rejects-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rubric_in(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An ABC scheme over revenue (population functions), as an operator writes it.
const ABC: &str = r#"scheme "abc"
as_of 2024-06-30
input {
  id       text     key "客户编号"
  name     text     "客户名称"
  revenue  decimal  "营业额"
  since    date?    "开户日期"
}
grade abc "ABC分类" {
  A when cumulative_share(revenue) <= 70%
  B when cumulative_share(revenue) <= 90%
  C otherwise
}
"#;

/// The same without population functions: a streaming run.
const TIERS: &str = r#"scheme "tiers"
as_of 2024-06-30
input {
  id       text     key "客户编号"
  name     text     "客户名称"
  revenue  decimal  "营业额"
  since    date?    "开户日期"
}
grade tier { big when revenue >= 5000, small otherwise }
"#;

/// Customers as Excel on Chinese Windows shows them, a totals row at the bottom.
const CUSTOMERS: &str = "客户编号,客户名称,营业额,开户日期
c1,甲公司,\"¥70,000.00\",2024/3/5
c2,乙公司,\"20,000\",2024年3月5日
c3,丙公司,１００００元,20240305
合计,,\"100,000\",
";

fn setup(name: &str, scheme: &str, data: &str) -> PathBuf {
    let d = tmp(name);
    std::fs::write(d.join("scheme.rubric"), scheme).unwrap();
    std::fs::write(d.join("data.csv"), data).unwrap();
    d
}

#[test]
fn excel_cells_are_read_and_a_totals_row_is_rejected_in_both_run_paths() {
    for (name, scheme, want) in [
        ("held", ABC, "客户编号,abc\nc1,A\nc2,B\nc3,C\n"),
        (
            "streaming",
            TIERS,
            "客户编号,tier\nc1,big\nc2,big\nc3,big\n",
        ),
    ] {
        let d = setup(&format!("totals-{name}"), scheme, CUSTOMERS);
        let r = rubric_in(
            &d,
            &[
                "run",
                "scheme.rubric",
                "--data",
                "data.csv",
                "--out",
                "out.csv",
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        // without the rule, 合计 (100,000) would be the only A and push every customer down
        assert_eq!(std::fs::read_to_string(d.join("out.csv")).unwrap(), want);
        assert!(
            r.stderr.starts_with("read 4 rows: 3 written, 1 rejected"),
            "{}",
            r.stderr
        );
        // a totals row is not a customer: the population lost no one
        assert!(!r.stderr.contains("population:"), "{}", r.stderr);
        let rejects = std::fs::read_to_string(d.join("out.rejects.csv")).unwrap();
        assert_eq!(
            rejects,
            "line,column,key,reason,file,客户编号,客户名称,营业额,开户日期\n\
             5,客户编号,合计,totals row,data.csv,合计,,\"100,000\",\n"
        );
    }
}

#[test]
fn rejects_carry_the_original_row_to_fix_and_run_again() {
    let data = "客户编号,客户名称,营业额,开户日期
c1,甲公司,\"1,23\",2024-01-05
c2,\"乙公司, 北京\",500,5/6/2024
c1,重复,900,
";
    let d = setup("original-row", TIERS, data);
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("read 3 rows: 1 written, 2 rejected"),
        "{}",
        r.stderr
    );
    let rejects = std::fs::read_to_string(d.join("out.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(
        lines[0],
        "line,column,key,reason,file,客户编号,客户名称,营业额,开户日期"
    );
    assert!(
        lines[1].starts_with("2,营业额,c1,\"`revenue`: `1,23` is not a number"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with(",data.csv,c1,甲公司,\"1,23\",2024-01-05"),
        "{}",
        lines[1]
    );
    // the first c1 was rejected, so the second one is a customer; the row with an ambiguous
    // date keeps its quoted name as read
    assert!(
        lines[2].ends_with(",data.csv,c2,\"乙公司, 北京\",500,5/6/2024"),
        "{}",
        lines[2]
    );
    assert_eq!(lines.len(), 3);

    // The operator pastes the fixed cells back and runs again: every row is written.
    let fixed = "客户编号,客户名称,营业额,开户日期
c1,甲公司,\"1,230\",2024-01-05
c2,\"乙公司, 北京\",500,2024/6/5
c1,重复,900,
";
    std::fs::write(d.join("data.csv"), fixed).unwrap();
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
        ],
    );
    assert!(
        r.stderr.starts_with("read 3 rows: 2 written, 1 rejected"),
        "{}",
        r.stderr
    );
}

#[test]
fn rejects_of_json_input_carry_their_values_as_text() {
    let d = tmp("json-original");
    std::fs::write(d.join("scheme.rubric"), TIERS).unwrap();
    std::fs::write(
        d.join("data.jsonl"),
        "{\"客户编号\":\"c1\",\"客户名称\":\"甲\",\"营业额\":12.50,\"开户日期\":\"2024-02-30\"}\n",
    )
    .unwrap();
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.jsonl",
            "--out",
            "out.csv",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let rejects = std::fs::read_to_string(d.join("out.rejects.csv")).unwrap();
    assert!(
        rejects.ends_with(
            "has no day 30 (February 2024 has 29 days),data.jsonl,c1,甲,12.50,2024-02-30\n"
        ),
        "{rejects}"
    );
}

/// Customers whose biggest ones have cells the run cannot read.
const BIG_ONES_BAD: &str = "客户编号,客户名称,营业额,开户日期
c1,甲公司,\"70,000\",2024-01-05
c2,乙公司,\"20,000\",5/6/2024
c3,丙公司,\"10,000\",2024-02-30
c4,丁公司,\"1,23\",2024-01-05
c5,戊公司,\"5,000\",
合计,,\"106,230\",
";

#[test]
fn the_summary_says_what_rejects_take_out_of_the_population() {
    let d = setup("population", ABC, BIG_ONES_BAD);
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
            "--measure",
            "revenue",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "read 6 rows: 2 written, 4 rejected (see `out.rejects.csv`)"
    );
    // c2 and c3 hold 30,000 of the 105,000 read; c4's revenue does not read
    assert_eq!(
        lines[1],
        "population: excludes 3 rejected rows (not counting 1 totals row), holding at least \
         30000 of `revenue` (28.6% of all read); the `revenue` of 1 of them could not be read"
    );
    assert_eq!(
        r.stderr.matches("population").count(),
        1,
        "one line: {}",
        r.stderr
    );

    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
            "--measure",
            "revenue",
            "--summary",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&r.stderr).unwrap();
    assert_eq!(
        json["population_excludes"],
        serde_json::json!({
            "rows": 3, "totals_rows": 1, "measure": 30000, "measure_share": 0.285714, "uncounted": 1
        })
    );

    // without a measure the line still says how many rows left the population
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
        ],
    );
    assert!(
        r.stderr.contains(
            "\npopulation: excludes 3 rejected rows (not counting 1 totals row) (ranks and shares are computed without them)\n"
        ),
        "{}",
        r.stderr
    );

    // a scheme without population functions has no population to speak of
    let d = setup("population-none", TIERS, BIG_ONES_BAD);
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
            "--measure",
            "revenue",
        ],
    );
    assert!(!r.stderr.contains("population"), "{}", r.stderr);
}

#[test]
fn max_rejects_fails_before_anything_is_written() {
    for (name, scheme) in [("held", ABC), ("streaming", TIERS)] {
        let d = setup(&format!("max-{name}"), scheme, BIG_ONES_BAD);
        std::fs::write(d.join("out.csv"), "an earlier output\n").unwrap();
        for max in ["2", "40%"] {
            let r = rubric_in(
                &d,
                &[
                    "run",
                    "scheme.rubric",
                    "--data",
                    "data.csv",
                    "--out",
                    "out.csv",
                    "--max-rejects",
                    max,
                ],
            );
            assert_eq!(r.code, 1, "{}", r.stderr);
            assert!(
                r.stderr.starts_with(&format!(
                    "error: 3 of 6 rows were rejected, more than `--max-rejects {max}` allows; nothing was written\n"
                )),
                "{}",
                r.stderr
            );
            assert!(r
                .stderr
                .contains("`data.csv` line 3, column `开户日期` (key `c2`)"));
            assert!(r
                .stderr
                .contains("help: fix these rows in the data, or raise --max-rejects"));
            // the earlier output is untouched, no rejects file, no temporary file left
            assert_eq!(
                std::fs::read_to_string(d.join("out.csv")).unwrap(),
                "an earlier output\n"
            );
            assert!(!d.join("out.rejects.csv").exists());
            let mut files: Vec<String> = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            assert_eq!(files, ["data.csv", "out.csv", "scheme.rubric"]);
        }
        // to stdout: nothing is printed either
        let r = rubric_in(
            &d,
            &[
                "run",
                "scheme.rubric",
                "--data",
                "data.csv",
                "--max-rejects",
                "0",
            ],
        );
        assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{}", r.stderr);
        assert!(!d.join("rubric.rejects.csv").exists());

        // within the limit (totals rows do not count): written as usual
        for max in ["3", "50%"] {
            let r = rubric_in(
                &d,
                &[
                    "run",
                    "scheme.rubric",
                    "--data",
                    "data.csv",
                    "--out",
                    "out.csv",
                    "--max-rejects",
                    max,
                ],
            );
            assert_eq!(r.code, 1, "rejected rows still exit 1: {}", r.stderr);
            assert!(
                r.stderr.starts_with("read 6 rows: 2 written, 4 rejected"),
                "{}",
                r.stderr
            );
            assert!(std::fs::read_to_string(d.join("out.csv"))
                .unwrap()
                .starts_with("客户编号,"));
            assert!(d.join("out.rejects.csv").exists());
        }
        let r = rubric_in(
            &d,
            &[
                "run",
                "scheme.rubric",
                "--data",
                "data.csv",
                "--max-rejects",
                "3",
            ],
        );
        assert!(r.stdout.starts_with("客户编号,"), "{}", r.stderr);
    }
}

#[test]
fn max_rejects_must_be_a_count_or_a_percentage() {
    let d = setup("max-usage", TIERS, CUSTOMERS);
    for bad in ["many", "-1", "120%", "1.5"] {
        let flag = format!("--max-rejects={bad}");
        let r = rubric_in(&d, &["run", "scheme.rubric", "--data", "data.csv", &flag]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("is not a number of rows (10) or a percentage (0.5%)"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn strict_leaves_an_earlier_output_untouched() {
    let d = setup("strict-earlier", TIERS, BIG_ONES_BAD);
    std::fs::write(d.join("out.csv"), "an earlier output\n").unwrap();
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "out.csv",
            "--strict",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join("out.csv")).unwrap(),
        "an earlier output\n"
    );
}

/// A totals row is not a bad row: `--strict` sets it aside (to the rejects file) and goes on,
/// in both run paths.
#[test]
fn strict_lets_a_totals_row_pass() {
    for (name, scheme) in [("held", ABC), ("streaming", TIERS)] {
        let d = setup(&format!("strict-totals-{name}"), scheme, CUSTOMERS);
        let r = rubric_in(
            &d,
            &[
                "run",
                "scheme.rubric",
                "--data",
                "data.csv",
                "--out",
                "out.csv",
                "--strict",
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.starts_with("read 4 rows: 3 written, 1 rejected"),
            "{}",
            r.stderr
        );
        assert!(std::fs::read_to_string(d.join("out.rejects.csv"))
            .unwrap()
            .contains(",合计,totals row,"));
    }
}

#[test]
fn a_txt_file_names_the_input_format_flag() {
    let d = setup("txt", TIERS, "");
    std::fs::write(d.join("data.txt"), CUSTOMERS).unwrap();
    let r = rubric_in(&d, &["run", "scheme.rubric", "--data", "data.txt"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--input-format csv"), "{}", r.stderr);
    assert!(!r.stderr.contains("--format csv"), "{}", r.stderr);
    // and the flag it names works
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.txt",
            "--input-format",
            "csv",
        ],
    );
    assert!(
        r.stdout.starts_with("客户编号,tier\nc1,big\n"),
        "{}",
        r.stderr
    );
}

/// An output that is not a regular file is written through, never replaced by the staged file
/// (as root, a rename would replace `/dev/null` itself); with `--max-rejects` it gets nothing.
#[cfg(unix)]
#[test]
fn a_special_output_file_is_written_through() {
    use std::os::unix::fs::FileTypeExt;
    let d = setup("special", TIERS, CUSTOMERS);
    for extra in [&[][..], &["--max-rejects", "0"][..]] {
        let mut args = vec![
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "/dev/null",
            "--rejects",
            "rejects.csv",
        ];
        args.extend_from_slice(extra);
        let r = rubric_in(&d, &args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let t = std::fs::symlink_metadata("/dev/null").unwrap().file_type();
        assert!(t.is_char_device(), "/dev/null is still a device");
    }
    // a symlinked output is written through the link, which stays a link
    let real = d.join("real.csv");
    std::fs::write(&real, "old\n").unwrap();
    std::os::unix::fs::symlink(&real, d.join("link.csv")).unwrap();
    let r = rubric_in(
        &d,
        &[
            "run",
            "scheme.rubric",
            "--data",
            "data.csv",
            "--out",
            "link.csv",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(std::fs::symlink_metadata(d.join("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .starts_with("客户编号,tier\n"));
}
