//! `rubric run` options, as a user runs them: output files and formats, the rejects file,
//! `--strict`, the summary, `--measure`, `--all`, `--explain`, encodings and determinism.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::repo_root;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("run-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(rel: &str) -> String {
    repo_root()
        .join("tests/fixtures")
        .join(rel)
        .to_string_lossy()
        .into_owned()
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

#[test]
fn out_file_and_rejects_beside_it() {
    let d = tmp("out-file");
    let out = d.join("graded.csv");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("eval/rejects/scheme.rubric"),
            "--data",
            &fixture("eval/rejects/data.csv"),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "rejected rows make the run exit 1: {}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "id,size\nr1,big\nr9,small\n"
    );
    let rejects = std::fs::read_to_string(d.join("graded.rejects.csv")).unwrap();
    assert!(
        rejects.starts_with("line,column,key,reason,file,id,amount,n,d,ok,\n3,,r2,"),
        "{rejects}"
    );
    assert_eq!(rejects.lines().count(), 9);
    assert!(
        r.stderr
            .starts_with("read 10 rows: 2 written, 8 rejected (see `"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("graded.rejects.csv"));
}

#[test]
fn stdout_output_puts_rejects_in_the_current_directory() {
    let d = tmp("stdout");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("eval/rejects/scheme.rubric"),
            "--data",
            &fixture("eval/rejects/data.csv"),
        ],
    );
    assert_eq!(r.stdout, "id,size\nr1,big\nr9,small\n");
    assert!(d.join("rubric.rejects.csv").exists());
    assert!(
        r.stderr.contains("(see `rubric.rejects.csv`)"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_rejects_file_without_rejects() {
    let d = tmp("clean");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("language/01-whole-scheme/scheme.rubric"),
            "--data",
            &fixture("language/01-whole-scheme/data.csv"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!d.join("rubric.rejects.csv").exists());
    assert_eq!(r.stdout, "id,tier\na,diamond\nb,gold\nc,silver\nd,other\n");
    assert!(r.stderr.starts_with("read 4 rows: 4 written, 0 rejected\n"));
}

#[test]
fn strict_fails_on_the_first_bad_row() {
    let d = tmp("strict");
    let out = d.join("graded.csv");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("eval/rejects/scheme.rubric"),
            "--data",
            &fixture("eval/rejects/data.csv"),
            "--out",
            out.to_str().unwrap(),
            "--strict",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("line 3 (key `r2`): the record has 6 cells but the header has 5"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "a strict failure keeps no partial output");
    assert!(!d.join("graded.rejects.csv").exists());
}

#[test]
fn strict_fails_on_a_duplicate_key_with_population_functions() {
    let d = tmp("strict-dup");
    std::fs::write(
        d.join("s.rubric"),
        "input { id text key, v int }\ngrade g { top when rank(v) == 1, rest otherwise }\n",
    )
    .unwrap();
    std::fs::write(d.join("d.csv"), "id,v\na,1\nb,2\na,3\n").unwrap();
    let r = rubric_in(&d, &["run", "s.rubric", "--data", "d.csv", "--strict"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("`d.csv` line 4, column `id` (key `a`): duplicate key `a` (first on line 2)"),
        "{}",
        r.stderr
    );
    let r = rubric_in(&d, &["run", "s.rubric", "--data", "d.csv"]);
    assert_eq!(
        r.stdout, "id,g\na,rest\nb,top\n",
        "the duplicate is not part of the population"
    );
}

#[test]
fn summary_json_counts_grades_and_sums_the_measure() {
    let d = tmp("summary-json");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("language/01-whole-scheme/scheme.rubric"),
            "--data",
            &fixture("language/01-whole-scheme/data.csv"),
            "--summary",
            "json",
            "--measure",
            "revenue",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stderr).unwrap();
    assert_eq!(j["rows_read"], 4);
    assert_eq!(j["written"], 4);
    assert_eq!(j["rejected"], 0);
    assert_eq!(j["as_of"], "2024-06-30");
    assert_eq!(j["measure"]["name"], "revenue");
    assert_eq!(j["measure"]["total"], 1000);
    let tier = &j["grades"][0];
    assert_eq!(tier["name"], "tier");
    assert_eq!(tier["codes"][0]["code"], "diamond");
    assert_eq!(tier["codes"][0]["count"], 1);
    assert_eq!(tier["codes"][0]["share"], 0.25);
    assert_eq!(tier["codes"][0]["measure"], 500);
    assert_eq!(tier["codes"][3]["measure"], 50);
}

#[test]
fn human_summary_with_measure_reads_as_a_pareto_table() {
    let d = tmp("summary-human");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("language/01-whole-scheme/scheme.rubric"),
            "--data",
            &fixture("language/01-whole-scheme/data.csv"),
            "--measure",
            "revenue",
        ],
    );
    insta::assert_snapshot!(r.stderr, @r"
    read 4 rows: 4 written, 0 rejected

    tier     customers   share         revenue   share
    diamond          1   25.0%             500   50.0%
    gold             1   25.0%             250   25.0%
    silver           1   25.0%             200   20.0%
    other            1   25.0%              50    5.0%
    ");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("language/01-whole-scheme/scheme.rubric"),
            "--data",
            &fixture("language/01-whole-scheme/data.csv"),
            "--measure",
            "region",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`region` is not a number"),
        "{}",
        r.stderr
    );
}

#[test]
fn all_and_explain_add_columns_in_declaration_order() {
    let d = tmp("all-explain");
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("language/03-scorecard/scheme.rubric"),
            "--data",
            &fixture("language/03-scorecard/data.csv"),
            "--all",
            "--explain",
        ],
    );
    let mut lines = r.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("id,forecast_pts,history_pts,priority,level,level_why")
    );
    assert_eq!(
        lines.next(),
        Some("g1,70,90,81.75,B,B: priority = 81.75 >= 70")
    );
    let r = rubric_in(
        &d,
        &[
            "run",
            &fixture("language/03-scorecard/scheme.rubric"),
            "--data",
            &fixture("language/03-scorecard/data.csv"),
        ],
    );
    assert_eq!(r.stdout.lines().next(), Some("id,priority,level"));
}

#[test]
fn output_format_by_extension_or_option() {
    let d = tmp("formats");
    let scheme = fixture("language/03-scorecard/scheme.rubric");
    let data = fixture("language/03-scorecard/data.csv");
    let out = d.join("out.json");
    let r = rubric_in(
        &d,
        &[
            "run",
            &scheme,
            "--data",
            &data,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(j[0]["id"], "g1");
    assert_eq!(j[0]["priority"], 81.75);
    assert_eq!(j[0]["level"], "B");
    let r = rubric_in(&d, &["run", &scheme, "--data", &data, "--format", "jsonl"]);
    let first: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["priority"], 81.75);
    assert_eq!(r.stdout.lines().count(), 4);
}

#[test]
fn input_format_and_encoding() {
    let d = tmp("input");
    std::fs::write(d.join("s.rubric"), "input { id text key, region text }\ngrade g { retail when region == \"零售\", other otherwise }\n").unwrap();
    // "零售" in GB18030
    let mut bytes = b"id,region\n00017,".to_vec();
    bytes.extend_from_slice(&[0xC1, 0xE3, 0xCA, 0xDB]);
    bytes.extend_from_slice(b"\n00018,x\n");
    std::fs::write(d.join("gbk.csv"), &bytes).unwrap();
    let r = rubric_in(
        &d,
        &[
            "run",
            "s.rubric",
            "--data",
            "gbk.csv",
            "--encoding",
            "gb18030",
        ],
    );
    assert_eq!(
        r.stdout, "id,g\n00017,retail\n00018,other\n",
        "{}",
        r.stderr
    );
    std::fs::write(
        d.join("rows.txt"),
        "[{\"id\": \"a\", \"region\": \"零售\"}]",
    )
    .unwrap();
    let r = rubric_in(
        &d,
        &[
            "run",
            "s.rubric",
            "--data",
            "rows.txt",
            "--input-format",
            "json",
        ],
    );
    assert_eq!(r.stdout, "id,g\na,retail\n", "{}", r.stderr);
}

#[test]
fn as_of_overrides_the_scheme() {
    let d = tmp("as-of");
    let args = |as_of: &str| {
        rubric_in(
            &d,
            &[
                "run",
                &fixture("language/01-whole-scheme/scheme.rubric"),
                "--data",
                &fixture("language/01-whole-scheme/data.csv"),
                "--all",
                "--as-of",
                as_of,
            ],
        )
    };
    // last_order of c is 2024-03-31: within 90 days of 2024-06-29, not of 2024-06-30
    assert!(args("2024-06-29")
        .stdout
        .contains("\nc,0.025,true,silver\n"));
    assert!(args("2024-06-30")
        .stdout
        .contains("\nc,0.025,false,silver\n"));
    let r = args("2024-13-01");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`2024-13-01` is not a date"));
}

#[test]
fn usage_and_scheme_errors() {
    let d = tmp("errors");
    std::fs::write(
        d.join("bad.rubric"),
        "input { id text key }\nlet x = y + 1\n",
    )
    .unwrap();
    std::fs::write(d.join("d.csv"), "id\na\n").unwrap();
    let r = rubric_in(&d, &["run", "bad.rubric", "--data", "d.csv"]);
    assert_eq!(r.code, 1, "a scheme that does not check does not run");
    assert!(
        r.stderr.contains("`bad.rubric` has 1 error and cannot run"),
        "{}",
        r.stderr
    );
    std::fs::write(
        d.join("ok.rubric"),
        "input { id text key, revenue decimal }\n",
    )
    .unwrap();
    let r = rubric_in(&d, &["run", "ok.rubric", "--data", "missing.csv"]);
    assert_eq!(r.code, 2);
    let r = rubric_in(&d, &["run", "ok.rubric", "--data", "d.csv"]);
    assert_eq!(r.code, 2, "a missing column stops the run: {}", r.stderr);
    assert!(r.stderr.contains("revenue"), "{}", r.stderr);
}

/// Many batches, population functions, duplicates and bad rows: the output is the same bytes
/// whatever the number of threads, and follows the input order.
#[test]
fn output_is_deterministic_and_in_input_order() {
    let d = tmp("determinism");
    std::fs::write(
        d.join("s.rubric"),
        "input { id text key, v decimal, region text }\n\
         let share = cumulative_share(v)\n\
         let r = rank(v) within region\n\
         grade g { a when share <= 50%, b when top_share(v) <= 90%, c otherwise }\n\
         let second = rank(share)\n",
    )
    .unwrap();
    let mut csv = String::from("id,v,region\n");
    let mut x: u64 = 12345;
    for i in 0..12_000u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = (x >> 33) % 1000;
        let region = ["n", "s", "e", "w"][(x >> 20) as usize % 4];
        let id = if i % 997 == 5 { i - 1 } else { i }; // some duplicate keys
        if i % 1999 == 7 {
            csv.push_str(&format!("{id:06},oops,{region}\n"));
        } else {
            csv.push_str(&format!("{id:06},{v}.{:02},{region}\n", x % 100));
        }
    }
    std::fs::write(d.join("d.csv"), &csv).unwrap();
    let run = |threads: &str, out: &str| {
        let r = rubric_in(
            &d,
            &[
                "run",
                "s.rubric",
                "--data",
                "d.csv",
                "--all",
                "--threads",
                threads,
                "--out",
                out,
                "--rejects",
                &format!("{out}.rej"),
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        (
            std::fs::read(d.join(out)).unwrap(),
            std::fs::read(d.join(format!("{out}.rej"))).unwrap(),
            r.stderr,
        )
    };
    let (one, rej1, sum1) = run("1", "one.csv");
    let (three, rej3, sum3) = run("3", "three.csv");
    assert!(one == three, "same bytes with 1 and 3 threads");
    assert_eq!(rej1, rej3);
    assert_eq!(sum1.replace("one.csv", "X"), sum3.replace("three.csv", "X"));
    let text = String::from_utf8(one).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rows keep the input order");
    let rejected = String::from_utf8(rej1).unwrap().lines().count() as u64 - 1;
    assert_eq!(
        ids.len() as u64 + rejected,
        12_000,
        "rows read = written + rejected"
    );
    assert!(
        sum1.starts_with(&format!(
            "read 12000 rows: {} written, {rejected} rejected",
            ids.len()
        )),
        "{sum1}"
    );
}
