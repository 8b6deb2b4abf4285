//! `rubric explain` as a user runs it, over `tests/fixtures/explain/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn explain(extra: &[&str]) -> Output {
    let mut args = vec![
        "explain",
        "tests/fixtures/explain/accounts.rubric",
        "--data",
        "tests/fixtures/explain/accounts.csv",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(&args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace(&root().display().to_string(), "[ROOT]")
}

#[test]
fn silver_customer_with_the_distance_to_gold() {
    let out = explain(&["--key", "00017"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("营业额 needs +123,456.79 to reach gold \"黄金级\""),
        "{stdout}"
    );
    insta::assert_snapshot!(show(&out));
}

#[test]
fn all_adds_lets_and_points() {
    let out = explain(&["--key", "00018", "--all"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(show(&out));
}

#[test]
fn a_missing_value_and_a_later_date() {
    let out = explain(&["--key", "00019", "--as-of", "2024-09-30"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(show(&out));
}

#[test]
fn a_rejected_row_says_why() {
    let out = explain(&["--key", "00020"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(show(&out));
}

#[test]
fn an_unknown_key_is_an_error() {
    let out = explain(&["--key", "99999"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(show(&out));
}

// ---- distances, one grade per rule shape (tests/fixtures/explain/shapes.rubric) ----
//
// Every suggested change is checked by running the scheme again with it: the grade moves to
// the better code; with one step less (0.01 for money, 1 for a count, a day for a date) it
// does not.

const SHAPES: &str = "tests/fixtures/explain/shapes.rubric";
const SHAPES_DATA: &str = "tests/fixtures/explain/shapes.csv";

fn explain_shapes(data: &Path, key: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(["explain", SHAPES, "--data"])
        .arg(data)
        .args(["--key", key])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines of one item's section (`grade NAME = …` up to the blank line).
fn section(stdout: &str, grade: &str) -> Vec<String> {
    // `grade NAME = …` or `grade NAME "label" = …`
    let head = format!("grade {grade} ");
    stdout
        .lines()
        .skip_while(|l| !l.starts_with(&head))
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn grade_of(stdout: &str, grade: &str) -> String {
    section(stdout, grade)
        .first()
        .and_then(|l| l.split_once(" = ").map(|(_, v)| v))
        .unwrap_or_else(|| panic!("no grade {grade} in\n{stdout}"))
        .to_string()
}

/// The `next better` lines of a grade.
fn next_better(stdout: &str, grade: &str) -> Vec<String> {
    section(stdout, grade)
        .into_iter()
        .skip_while(|l| !l.contains("next better:"))
        .collect()
}

/// A suggested change: (column, value then, the value one step less).
#[derive(Debug)]
struct Change {
    column: String,
    then: String,
    less: String,
}

fn changes(lines: &[String]) -> Vec<Change> {
    lines
        .iter()
        .filter(|l| l.contains(" needs ") && l.contains("(now "))
        .map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("next better: ").unwrap_or(l);
            let l = l.strip_prefix("or ").unwrap_or(l);
            let (column, rest) = l.split_once(" needs ").unwrap();
            let up = rest.starts_with('+');
            let then = rest.split_once(", then ").unwrap().1;
            let then = then.split_once(')').unwrap().0.replace(',', "");
            let less = one_step_back(&then, up);
            Change {
                column: column.to_string(),
                then,
                less,
            }
        })
        .collect()
}

/// The value one step nearer the customer's own: 0.01 for `1.00`, 1 for `12`, a day for a date.
fn one_step_back(v: &str, up: bool) -> String {
    if v.len() == 10 && v.as_bytes()[4] == b'-' {
        let (y, m, d): (i32, u32, u32) = (
            v[0..4].parse().unwrap(),
            v[5..7].parse().unwrap(),
            v[8..10].parse().unwrap(),
        );
        let days_in = |m: u32| match m {
            2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        // (the fixtures' dates never cross a year boundary on one step)
        let (m, d) = match (up, d) {
            (true, 1) => (m - 1, days_in(m - 1)),
            (true, d) => (m, d - 1),
            (false, d) if d == days_in(m) => (m + 1, 1),
            (false, d) => (m, d + 1),
        };
        return format!("{y:04}-{m:02}-{d:02}");
    }
    let places = v.split_once('.').map_or(0, |(_, f)| f.len());
    let scale = 10_i64.pow(places as u32);
    let units: i64 = v.replace('.', "").parse().unwrap();
    let units = if up { units - 1 } else { units + 1 };
    if places == 0 {
        units.to_string()
    } else {
        let sign = if units < 0 { "-" } else { "" };
        let a = units.abs();
        format!("{sign}{}.{:0places$}", a / scale, a % scale)
    }
}

/// The shapes data with `key`'s columns set to new values, in a file of its own.
fn with_changes(key: &str, set: &[(&str, &str)], name: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join(SHAPES_DATA)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = vec![header.join(",")];
    for l in lines {
        let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
        if cells[0] == key {
            for (column, value) in set {
                let k = header.iter().position(|h| h == column).unwrap();
                cells[k] = value.to_string();
            }
        }
        out.push(cells.join(","));
    }
    let dir = std::env::temp_dir().join(format!("rubric-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
    path
}

/// Checks every alternative change of a grade: with it the grade becomes `better`, with one step
/// less it stays `now`. Returns the changes.
fn check_each(key: &str, grade: &str, now: &str, better: &str) -> Vec<Change> {
    let stdout = explain_shapes(&root().join(SHAPES_DATA), key);
    assert_eq!(grade_of(&stdout, grade), now, "{stdout}");
    let lines = next_better(&stdout, grade);
    let found = changes(&lines);
    assert!(!found.is_empty(), "no change suggested:\n{stdout}");
    for (k, c) in found.iter().enumerate() {
        let moved = with_changes(key, &[(&c.column, &c.then)], &format!("{grade}-{key}-{k}"));
        assert_eq!(
            grade_of(&explain_shapes(&moved, key), grade),
            better,
            "{c:?} should reach {better}"
        );
        let less = with_changes(
            key,
            &[(&c.column, &c.less)],
            &format!("{grade}-{key}-{k}-less"),
        );
        assert_eq!(
            grade_of(&explain_shapes(&less, key), grade),
            now,
            "{c:?}: one step less should not move the grade"
        );
    }
    found
}

#[test]
fn single_comparison_distance_in_the_fields_unit() {
    let found = check_each("c02", "single", "basic", "gold");
    let stdout = explain_shapes(&root().join(SHAPES_DATA), "c02");
    assert_eq!(
        next_better(&stdout, "single"),
        ["  next better: 消费 needs +2,000.00 to reach gold (now 8,000.00, then 10,000.00)"]
    );
    assert_eq!(found.len(), 1);
}

#[test]
fn and_lists_every_failing_part_and_they_reach_it_together() {
    let stdout = explain_shapes(&root().join(SHAPES_DATA), "c01");
    assert_eq!(grade_of(&stdout, "both"), "normal");
    let lines = next_better(&stdout, "both");
    assert_eq!(
        lines,
        [
            "  next better: diamond needs all of these:",
            "    消费 needs +1,500.00 (now 48,500.00, then 50,000.00)",
            "    到店次数 needs +2 (now 10, then 12)",
        ],
        "{stdout}"
    );
    let found = changes(&lines);
    let all: Vec<(&str, &str)> = found
        .iter()
        .map(|c| (c.column.as_str(), c.then.as_str()))
        .collect();
    let moved = with_changes("c01", &all, "both-all");
    assert_eq!(grade_of(&explain_shapes(&moved, "c01"), "both"), "diamond");
    // each part one step short keeps the grade
    for (k, short) in found.iter().enumerate() {
        let set: Vec<(&str, &str)> = found
            .iter()
            .map(|c| {
                let v = if c.column == short.column {
                    &c.less
                } else {
                    &c.then
                };
                (c.column.as_str(), v.as_str())
            })
            .collect();
        let less = with_changes("c01", &set, &format!("both-less-{k}"));
        assert_eq!(
            grade_of(&explain_shapes(&less, "c01"), "both"),
            "normal",
            "{short:?}"
        );
    }
}

#[test]
fn or_gives_the_cheapest_part_first() {
    let found = check_each("c02", "either", "std", "vip");
    // 到店次数 25 → 30 is a smaller change (20%) than 消费 8,000 → 20,000 (150%)
    assert_eq!(found[0].column, "到店次数");
    assert_eq!(found[0].then, "30");
    assert_eq!(found.len(), 2);
}

#[test]
fn a_score_band_moves_with_one_input() {
    // c07: spend_pts 0, visit_pts 0 → loyalty 0, C; B needs 20 points
    let found = check_each("c07", "band", "C", "B");
    assert!(
        found
            .iter()
            .any(|c| c.column == "消费" && c.then == "20000.00"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.column == "到店次数" && c.then == "20"),
        "{found:?}"
    );
}

#[test]
fn population_functions_give_an_amount_with_everyone_else_unchanged() {
    for (grade, key, now, better) in [
        ("pareto", "c04", "B", "A"),
        ("head", "c01", "rest", "top"),
        ("ranked", "c03", "later", "first"),
        ("above", "c08", "low", "high"),
        ("portion", "c04", "small", "big"),
        ("best", "c04", "follower", "leader"),
        ("regional", "c02", "other", "leader"),
    ] {
        let found = check_each(key, grade, now, better);
        assert!(
            found.iter().all(|c| c.column == "消费"),
            "{grade}: {found:?}"
        );
        let stdout = explain_shapes(&root().join(SHAPES_DATA), key);
        assert!(
            next_better(&stdout, grade)[0].ends_with(", with everyone else unchanged"),
            "{stdout}"
        );
    }
}

#[test]
fn a_date_moves_by_days_and_a_missing_value_is_named() {
    let found = check_each("c08", "recent", "lapsed", "recent");
    assert_eq!(found[0].column, "最近购买");
    let stdout = explain_shapes(&root().join(SHAPES_DATA), "c05");
    assert_eq!(
        next_better(&stdout, "recent"),
        ["  next better: recent cannot be reached while 最近购买 is missing"],
        "{stdout}"
    );
}

#[test]
fn shares_print_as_percents_and_attributes_as_written() {
    let stdout = explain_shapes(Path::new(SHAPES_DATA), "c04");
    assert!(
        stdout.contains("attributes: discount = 92%, quota = 2万"),
        "{stdout}"
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn a_value_just_past_its_threshold_reads_true_or_false_on_its_face() {
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args([
            "explain",
            "tests/fixtures/explain/boundary.rubric",
            "--data",
            "tests/fixtures/explain/boundary.csv",
            "--key",
            "a",
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // 2,100,000,000,001 of 3,000,000,000,000: a share of 0.70000000000033…, not "70%"
    assert_eq!(grade_of(&stdout, "abc"), "B");
    assert!(
        stdout.contains("by cumulative_share(spend) = ≈70.00000000003%"),
        "{stdout}"
    );
    // a decimal field keeps its digits (it was cut to "0.70")
    assert_eq!(grade_of(&stdout, "fit"), "loose");
    assert!(stdout.contains("ratio = 0.7000381"), "{stdout}");
    assert!(!stdout.contains("= 0.70\n"), "{stdout}");
}

#[test]
fn an_aggregate_over_events_needs_an_amount_and_one_more_order_of_it_moves_the_grade() {
    let dir = "examples/28-orders-rfm";
    let run = |orders: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
            .args(["explain", &format!("{dir}/rfm.rubric"), "--data"])
            .arg(format!("{dir}/customers.csv"))
            .arg("--events")
            .arg(format!("orders={}", orders.display()))
            .args(["--key", "C0004"])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let orders = root().join(dir).join("orders.csv");
    let stdout = run(&orders);
    assert_eq!(grade_of(&stdout, "abc"), "B \"B类\"");
    let lines = next_better(&stdout, "abc");
    assert_eq!(
        lines,
        ["  next better: sum(orders.amount) needs +93.73 to reach A \"A类\" (now 79.90, then 173.63), with everyone else unchanged"],
        "{stdout}"
    );
    // one more order of that amount (an old one: the recency stays) reaches A; a cent less not
    let text = std::fs::read_to_string(&orders).unwrap();
    let dir_tmp = std::env::temp_dir().join(format!("rubric-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir_tmp).unwrap();
    for (amount, want) in [("93.73", "A \"A类\""), ("93.72", "B \"B类\"")] {
        let path = dir_tmp.join(format!("orders-{amount}.csv"));
        std::fs::write(&path, format!("{text}C0004,1997-01-02,1,{amount}\n")).unwrap();
        assert_eq!(
            grade_of(&run(&path), "abc"),
            want,
            "one more order of {amount}"
        );
    }
}

#[test]
fn run_explain_keeps_the_digits_that_decide() {
    let out_file =
        std::env::temp_dir().join(format!("rubric-explain-run-{}.csv", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args([
            "run",
            "tests/fixtures/explain/boundary.rubric",
            "--data",
            "tests/fixtures/explain/boundary.csv",
            "--explain",
            "--out",
        ])
        .arg(&out_file)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let graded = std::fs::read_to_string(&out_file).unwrap();
    // 0.69999999 < 0.7 fired; rounded to `≈0.7000 < 0.7` it read false
    assert!(
        graded.contains("below: ratio = 0.69999999 < 0.7"),
        "{graded}"
    );
}

#[test]
fn format_json_holds_the_same_explanation_for_tools() {
    let out = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args([
            "explain",
            SHAPES,
            "--data",
            SHAPES_DATA,
            "--key",
            "c04",
            "--format",
            "json",
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["customer"], "c04");
    assert_eq!(doc["customers"], 8);
    let item = |name: &str| {
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("no item {name}"))
            .clone()
    };
    // values exact, as `rubric run` writes them
    let single = item("single");
    assert_eq!(single["kind"], "grade");
    assert_eq!(single["value"], "gold");
    assert_eq!(single["attributes"][0]["value"], "0.92");
    assert_eq!(single["rules"][0]["values"][0]["value"], "12000");
    assert!(single["next_better"].is_null());
    // `and`: every change, all needed
    let both = item("both")["next_better"].clone();
    assert_eq!(both["code"], "diamond");
    assert_eq!(both["needs"], "all_of");
    assert_eq!(both["changes"][0]["input"], "消费");
    assert_eq!(both["changes"][0]["then"], "50000");
    assert_eq!(both["changes"][1]["change"], "7");
    // a population function: with everyone else unchanged
    let pareto = item("pareto")["next_better"].clone();
    assert_eq!(pareto["needs"], "one_of");
    assert_eq!(pareto["everyone_else_unchanged"], true);
    assert_eq!(pareto["changes"][0]["then"], "48500.01");
    // a date, in days
    let recent = item("recent")["next_better"].clone();
    assert_eq!(recent["changes"][0]["then"], "2024-04-01");
    assert_eq!(recent["changes"][0]["change"], 77);
}
