//! `events`: order data in, customers out, through the binary as a user runs it.
#![allow(clippy::unwrap_used)]

mod common;
use common::{repo_root, rubric};

const EX: &str = "examples/28-orders-rfm";

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = repo_root().join("target/events-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn customers_are_the_keys_of_the_events_without_data() {
    let out = tmp("keys.csv");
    let (code, _, err) = rubric(&[
        "run",
        &format!("{EX}/rfm.rubric"),
        "--events",
        &format!("orders={EX}/orders.csv"),
        "--all",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // 58 customers ordered, and C9999 has an order but is in no customers file here
    let rows = rows(&out);
    assert_eq!(rows.len(), 1 + 59, "{err}");
    assert!(err.contains("read 272 orders events from"), "{err}");
    assert!(err.contains("272 used, 0 rejected"), "{err}");
    assert!(
        err.contains("read 59 rows: 59 written, 0 rejected"),
        "{err}"
    );
}

#[test]
fn a_customer_without_orders_gets_a_row_and_an_unknown_customer_is_rejected() {
    let out = tmp("with-data.csv");
    let rejects = tmp("with-data.rejects.csv");
    let (code, _, err) = rubric(&[
        "run",
        &format!("{EX}/rfm.rubric"),
        "--data",
        &format!("{EX}/customers.csv"),
        "--events",
        &format!("orders={EX}/orders.csv"),
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "a rejected event makes the run exit 1: {err}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 1 + 60);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let c60 = rows.iter().find(|r| r[0] == "C0060").unwrap();
    assert_eq!(c60[col("frequency")], "0");
    assert_eq!(c60[col("spend")], "0");
    assert_eq!(c60[col("last_order")], "");
    assert_eq!(c60[col("segment")], "dormant");
    assert!(err.contains("272 orders events from"), "{err}");
    assert!(err.contains("271 used, 1 rejected"), "{err}");
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(
        lines[0],
        "line,column,key,reason,file,客户编号,下单日期,数量,金额"
    );
    assert_eq!(lines.len(), 2, "{rejected}");
    assert!(
        lines[1].ends_with(",客户编号,C9999,no such customer,examples/28-orders-rfm/orders.csv,C9999,1998-05-01,1,15.00"),
        "{rejected}"
    );
}

#[test]
fn the_same_orders_as_json_lines_grade_the_same() {
    // every input format works for an events file: the CSV orders as JSON Lines
    let csv = std::fs::read_to_string(repo_root().join(EX).join("orders.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut jsonl = String::new();
    for l in lines {
        let cells: Vec<&str> = l.split(',').collect();
        let obj: Vec<String> = header
            .iter()
            .zip(&cells)
            .filter(|(_, c)| !c.is_empty())
            .map(|(h, c)| format!("{h:?}: {c:?}"))
            .collect();
        jsonl.push_str(&format!("{{{}}}\n", obj.join(", ")));
    }
    let orders = tmp("orders.jsonl");
    std::fs::write(&orders, jsonl).unwrap();
    let (a, b) = (tmp("from-csv.csv"), tmp("from-jsonl.csv"));
    for (events, out) in [
        (format!("orders={EX}/orders.csv"), &a),
        (format!("orders={}", orders.display()), &b),
    ] {
        let (code, _, err) = rubric(&[
            "run",
            &format!("{EX}/rfm.rubric"),
            "--events",
            &events,
            "--all",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap()
    );
}

#[test]
fn usage_errors_say_what_to_pass() {
    let scheme = format!("{EX}/rfm.rubric");
    let (code, _, err) = rubric(&["run", &scheme]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no file is given for `orders`") && err.contains("--events orders=FILE"),
        "{err}"
    );
    let (code, _, err) = rubric(&["run", &scheme, "--events", "order=x.csv"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no events block `order`") && err.contains("did you mean `orders`?"),
        "{err}"
    );
    let (code, _, err) = rubric(&["run", &scheme, "--events", "orders"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not NAME=FILE"), "{err}");
    let (code, _, err) = rubric(&[
        "run",
        "examples/01-ibm-value-tiers/tiers.rubric",
        "--events",
        "orders=x.csv",
        "--data",
        "examples/01-ibm-value-tiers/customers.csv",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("declares no `events` block"), "{err}");
}

#[test]
fn strict_stops_at_the_first_bad_event() {
    let orders = tmp("bad-orders.csv");
    std::fs::write(
        &orders,
        "客户编号,下单日期,数量,金额\nC1,1998-06-01,1,10\nC2,1998-13-01,1,10\n",
    )
    .unwrap();
    let events = format!("orders={}", orders.display());
    let scheme = format!("{EX}/rfm.rubric");
    let (code, out, err) = rubric(&["run", &scheme, "--events", &events, "--strict"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("line 3") && err.contains("下单日期"), "{err}");
    // without --strict the good order is graded and the bad one rejected
    let rejects = tmp("bad-orders.rejects.csv");
    let rejects = rejects.to_str().unwrap();
    let (code, out, err) = rubric(&["run", &scheme, "--events", &events, "--rejects", rejects]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(err.contains("1 used, 1 rejected"), "{err}");
}

#[test]
fn tests_give_a_customer_their_events() {
    let (code, out, err) = rubric(&["test", "tests/fixtures/check/events_clean.rubric"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");
}

#[test]
fn sql_joins_one_group_by_per_events_block() {
    let scheme = format!("{EX}/rfm.rubric");
    let (code, duck, err) = rubric(&[
        "sql",
        &scheme,
        "--dialect",
        "duckdb",
        "--events",
        "orders=sales.orders",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(duck.contains("GROUP BY \"客户编号\""), "{duck}");
    assert!(duck.contains("FROM \"sales\".\"orders\""), "{duck}");
    assert!(duck.contains("COUNT(*) FILTER (WHERE"), "{duck}");
    assert!(duck.contains("COALESCE("), "{duck}");
    // without --table the customers are the distinct keys of the events
    assert!(
        duck.contains("SELECT DISTINCT \"客户编号\" FROM \"sales\".\"orders\""),
        "{duck}"
    );
    // Spark: the filter as a CASE inside the aggregate
    let (code, spark, err) = rubric(&[
        "sql",
        &scheme,
        "--dialect",
        "spark",
        "--events",
        "orders=orders",
        "--table",
        "customers",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(spark.contains("COUNT(CASE WHEN"), "{spark}");
    assert!(!spark.contains("FILTER (WHERE"), "{spark}");
    assert!(spark.contains("LEFT JOIN ("), "{spark}");
    // every block needs its table
    let (code, _, err) = rubric(&["sql", &scheme, "--dialect", "postgres"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--events orders=TABLE"), "{err}");
    let (code, _, err) = rubric(&[
        "sql",
        &scheme,
        "--dialect",
        "postgres",
        "--events",
        "ordrs=o",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("did you mean `orders`?"), "{err}");
}

#[test]
fn explain_shows_each_aggregate_and_the_events_it_counted() {
    let (code, out, err) = rubric(&[
        "explain",
        &format!("{EX}/rfm.rubric"),
        "--data",
        &format!("{EX}/customers.csv"),
        "--events",
        &format!("orders={EX}/orders.csv"),
        "--key",
        "C0004",
    ]);
    assert_eq!(code, 0, "{err}");
    let line = |start: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("max(orders.order_date)"),
        "max(orders.order_date) 1998-05-20 (4 events)"
    );
    assert_eq!(
        line("sum(orders.amount) "),
        "sum(orders.amount) 79.9 (3 events)"
    );
    assert_eq!(
        line("count(orders where"),
        "count(orders where orders.amount > 0) 3 (3 events)"
    );
    // a customer without orders: the empty aggregates, none counted
    let (code, out, err) = rubric(&[
        "explain",
        &format!("{EX}/rfm.rubric"),
        "--data",
        &format!("{EX}/customers.csv"),
        "--events",
        &format!("orders={EX}/orders.csv"),
        "--key",
        "C0060",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(0 events)"), "{out}");
}
