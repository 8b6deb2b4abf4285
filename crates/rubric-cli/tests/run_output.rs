//! `rubric run`'s output for people, as a user runs it: workbooks (`--out FILE.xlsx`), kept
//! input columns, labels, a BOM, GB18030 output, the errors for formats Rubric cannot write,
//! and the summary's percentages. Workbooks are read back with calamine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use calamine::{open_workbook, Data, Reader as _, Xlsx};
use common::repo_root;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("output-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `rubric run` in `dir` over the members fixture (tests/xlsx) with `args` added.
fn members(dir: &Path, args: &[&str]) -> Out {
    let root = repo_root().join("tests/xlsx");
    let scheme = root.join("members.rubric");
    let data = root.join("members.csv");
    let mut all = vec![
        "run",
        scheme.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    rubric_in(dir, &all)
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
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn s(t: &str) -> Data {
    Data::String(t.into())
}

#[test]
fn keep_writes_input_columns_after_the_key_and_labels_replace_codes() {
    let d = tmp("keep-labels");
    let r = members(
        &d,
        &["--keep", "姓名,门店", "--labels", "--rejects", "r.csv"],
    );
    assert_eq!(r.code, 1, "one row is rejected: {}", r.stderr);
    // a code without a label (silver) stays a code; tags print their labels too
    assert_eq!(
        r.text(),
        "会员编号,姓名,门店,value,tier,flags\n\
         001,张三,北京店,1234.5,金卡,会员;新客\n\
         002,李四,上海店,150,silver,\n\
         003,王五,北京店,99.25,普通,会员;新客\n\
         004,赵六,广州店,12345678901234567.5,金卡,\n"
    );
    // the summary shows the labels too, every share with one decimal
    assert!(
        r.stderr.contains("\n金卡            2   50.0%\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\nsilver          1   25.0%\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn keep_all_writes_every_input_column_in_input_order() {
    let d = tmp("keep-all");
    let r = members(&d, &["--keep-all", "--rejects", "r.csv"]);
    let text = r.text();
    let mut lines = text.lines();
    // the key once; a declared field as parsed (是 → true), an undeclared one as written
    assert_eq!(
        lines.next().unwrap(),
        "会员编号,姓名,门店,消费金额,入会日期,是否VIP,value,tier,flags"
    );
    assert_eq!(
        lines.next().unwrap(),
        "001,张三,北京店,1234.5,2024-03-05,true,1234.5,gold,member;new"
    );
    // --keep by a field's name is the same column as by its header
    let by_name = members(&d, &["--keep", "revenue", "--rejects", "r.csv"]);
    let by_header = members(&d, &["--keep", "消费金额", "--rejects", "r.csv"]);
    assert_eq!(by_name.stdout, by_header.stdout);
    assert!(by_name.text().starts_with("会员编号,消费金额,value"));
}

#[test]
fn keep_of_an_unknown_column_is_an_error_with_a_suggestion() {
    let d = tmp("keep-unknown");
    let r = members(&d, &["--keep", "门点"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("the data has no column `门点`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `门店`?"), "{}", r.stderr);
}

#[test]
fn labels_in_json_output() {
    let d = tmp("json-labels");
    let r = members(&d, &["--labels", "--format", "json", "--rejects", "r.csv"]);
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j[0]["tier"], "金卡");
    assert_eq!(j[0]["flags"], serde_json::json!(["会员", "新客"]));
    assert_eq!(j[1]["tier"], "silver");
}

#[test]
fn bom_starts_a_csv_output() {
    let d = tmp("bom");
    let r = members(&d, &["--bom", "--out", "out.csv", "--rejects", "r.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let bytes = std::fs::read(d.join("out.csv")).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF\xE4\xBC\x9A"),
        "the BOM, then 会"
    );
    let r = members(&d, &["--bom", "--format", "json"]);
    assert_eq!(r.code, 2, "a BOM is for csv: {}", r.stderr);
    assert!(
        r.stderr.contains("--bom applies to csv output"),
        "{}",
        r.stderr
    );
}

#[test]
fn encoding_gb18030_applies_to_csv_output() {
    let d = tmp("gb18030-out");
    // a workbook in (where --encoding can only mean the output), GB18030 CSV out
    let r = members(&d, &["--out", "in.xlsx", "--keep-all"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let scheme = repo_root().join("tests/xlsx/members.rubric");
    let scheme = scheme.to_str().unwrap();
    let gb_out = |data: &str, keep: &str| {
        let r = rubric_in(
            &d,
            &["run", scheme, "--data", data, keep, "--encoding", "gb18030"],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let all = gb_out("in.xlsx", "--keep-all");
    // 北京店 in GB18030, not UTF-8
    let gb: &[u8] = &[0xB1, 0xB1, 0xBE, 0xA9, 0xB5, 0xEA];
    assert!(all.windows(gb.len()).any(|w| w == gb));
    assert!(!String::from_utf8_lossy(&all).contains("北京店"));
    // a GB18030 CSV input gives a GB18030 output, the same as from the workbook
    std::fs::write(d.join("gb.csv"), &all).unwrap();
    assert_eq!(
        gb_out("gb.csv", "--keep=门店"),
        gb_out("in.xlsx", "--keep=门店")
    );
}

#[test]
fn formats_rubric_cannot_write_are_errors_not_csv() {
    let d = tmp("unknown-format");
    let r = members(&d, &["--format", "xls"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown output format `xls`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the output formats are csv, json, jsonl and xlsx"),
        "{}",
        r.stderr
    );
    let r = members(&d, &["--out", "result.txt"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("rubric cannot write `result.txt`: it does not know the extension `.txt`"),
        "{}",
        r.stderr
    );
    assert!(!d.join("result.txt").exists(), "nothing is written");
    // an explicit format writes any file name
    let r = members(
        &d,
        &[
            "--out",
            "result.txt",
            "--format",
            "csv",
            "--rejects",
            "r.csv",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = members(&d, &["--format", "xlsx"]);
    assert_eq!(r.code, 2, "a workbook needs a file: {}", r.stderr);
}

#[test]
fn xlsx_output_is_a_workbook_with_results_summary_and_rejects() {
    let d = tmp("xlsx");
    let r = members(
        &d,
        &[
            "--out",
            "out.xlsx",
            "--keep",
            "姓名",
            "--measure",
            "revenue",
        ],
    );
    assert_eq!(r.code, 1, "one row is rejected: {}", r.stderr);
    assert!(
        r.stderr
            .starts_with("read 5 rows: 4 written, 1 rejected (see `out.xlsx, sheet 拒绝`)"),
        "{}",
        r.stderr
    );
    assert!(
        !d.join("out.rejects.csv").exists(),
        "the rejects are in the workbook"
    );
    let out = d.join("out.xlsx");
    let wb: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(wb.sheet_names(), ["结果", "汇总", "拒绝"]);
    let rows = sheet(&out, "结果");
    assert_eq!(
        rows[0],
        [
            s("会员编号"),
            s("姓名"),
            s("value"),
            s("tier"),
            s("会员等级 名称"),
            s("flags"),
            s("标记 名称"),
        ]
    );
    assert_eq!(
        rows[1],
        [
            s("001"),
            s("张三"),
            Data::Float(1234.5),
            s("gold"),
            s("金卡"),
            s("member;new"),
            s("会员;新客"),
        ]
    );
    let summary = sheet(&out, "汇总");
    assert_eq!(summary[0][0], s("会员等级"));
    assert_eq!(
        summary[2][..4],
        [s("gold"), s("金卡"), Data::Float(2.0), Data::Float(0.5)]
    );
    let rejects = sheet(&out, "拒绝");
    assert_eq!(
        rejects[0][..4],
        [s("line"), s("column"), s("key"), s("reason")]
    );
    assert_eq!(rejects[1][0], Data::Float(6.0));
    assert_eq!(rejects[1][2], s("005"));
    // --rejects still writes the CSV when asked for
    let r = members(&d, &["--out", "out.xlsx", "--rejects", "r.csv"]);
    assert_eq!(r.code, 1);
    assert!(d.join("r.csv").exists());
}

#[test]
fn xlsx_output_is_the_same_bytes_every_run() {
    let d = tmp("xlsx-same");
    let a = members(&d, &["--out", "a.xlsx", "--all", "--keep-all"]);
    let b = members(
        &d,
        &["--out", "b.xlsx", "--all", "--keep-all", "--threads", "1"],
    );
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert_eq!(b.code, 1, "{}", b.stderr);
    assert_eq!(
        std::fs::read(d.join("a.xlsx")).unwrap(),
        std::fs::read(d.join("b.xlsx")).unwrap()
    );
}

/// Example 21 reads a workbook; written back as a workbook with every input column, its result
/// sheet is again an input the scheme reads, and grades the same.
#[test]
fn example_21_is_an_xlsx_round_trip() {
    let d = tmp("round-trip");
    let ex = repo_root().join("examples/21-enterprise-grade");
    let scheme = ex.join("enterprise.rubric");
    let scheme = scheme.to_str().unwrap();
    let data = ex.join("enterprises.xlsx");
    let r = rubric_in(
        &d,
        &[
            "run",
            scheme,
            "--data",
            data.to_str().unwrap(),
            "--out",
            "graded.xlsx",
            "--keep-all",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = sheet(&d.join("graded.xlsx"), "结果");
    assert_eq!(rows.len(), 151, "a header and 150 customers");
    let header = &rows[0];
    let at = |h: &str| header.iter().position(|c| *c == s(h)).unwrap();
    // typed cells: a count, an amount, a date
    assert!(matches!(rows[1][at("员工人数")], Data::Float(_)));
    assert!(matches!(rows[1][at("年营业收入(万元)")], Data::Float(_)));
    assert!(matches!(&rows[1][at("成立日期")], Data::DateTime(d) if d.is_datetime()));
    assert!(matches!(&rows[1][at("企业规模 名称")], Data::String(l) if l.ends_with("企业")));
    let first = rubric_in(&d, &["run", scheme, "--data", data.to_str().unwrap()]);
    let again = rubric_in(&d, &["run", scheme, "--data", "graded.xlsx"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(first.stdout, again.stdout);
}

/// The README's Excel command runs as written.
#[test]
fn the_readme_excel_command_writes_a_workbook() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(readme.contains(
        "run examples/21-enterprise-grade/enterprise.rubric \\\n  \
         --data examples/21-enterprise-grade/enterprises.xlsx --keep 企业名称 --out graded.xlsx"
    ));
    let d = tmp("readme");
    let ex = repo_root().join("examples/21-enterprise-grade");
    let r = rubric_in(
        &d,
        &[
            "run",
            ex.join("enterprise.rubric").to_str().unwrap(),
            "--data",
            ex.join("enterprises.xlsx").to_str().unwrap(),
            "--keep",
            "企业名称",
            "--out",
            "graded.xlsx",
            "--measure",
            "revenue",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let wb: Xlsx<_> = open_workbook(d.join("graded.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["结果", "汇总", "拒绝"]);
    let rows = sheet(&d.join("graded.xlsx"), "结果");
    assert_eq!(
        rows[0][..4],
        [s("企业编号"), s("企业名称"), s("size"), s("企业规模 名称")]
    );
}
