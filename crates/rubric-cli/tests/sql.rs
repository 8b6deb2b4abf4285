//! `rubric sql` as a user runs it: the query on stdout, problems on stderr, the exit code.
//! What the query computes is proven against DuckDB, PostgreSQL and Spark by tests/sql/run.sh.
#![allow(clippy::unwrap_used)]

mod common;
use common::rubric;

#[test]
fn prints_one_select_per_dialect() {
    let scheme = "tests/fixtures/sql/division.rubric";
    for dialect in ["duckdb", "postgres", "spark"] {
        let (code, out, err) = rubric(&["sql", scheme, "--dialect", dialect, "--table", "t"]);
        assert_eq!(code, 0, "{err}");
        assert!(err.is_empty(), "{err}");
        assert!(
            out.starts_with(&format!(
                "-- rubric sql \"division\" for {dialect}, as of 2024-06-30\n"
            )),
            "{out}"
        );
        assert_eq!(out.matches("\nSELECT\n").count(), 1, "{out}");
        // the default output columns: the key, then the score and the grade
        let last = &out[out.rfind("\nSELECT\n").unwrap()..];
        let unquoted = last.replace(['"', '`'], "");
        assert!(
            unquoted.starts_with("\nSELECT\n  id AS id,\n  s,\n  band\nFROM "),
            "{last}"
        );
    }
}

#[test]
fn all_adds_lets_and_as_of_overrides() {
    let (code, out, _) = rubric(&[
        "sql",
        "tests/fixtures/sql/dates.rubric",
        "--dialect",
        "postgres",
        "--table",
        "sales.customers",
        "--all",
        "--as-of",
        "2024-02-29",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn create_table() {
    let (code, out, _) = rubric(&[
        "sql",
        "tests/fixtures/sql/quoting.rubric",
        "--dialect",
        "spark",
        "--table",
        "t",
        "--create-table",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn a_product_beyond_38_places_is_refused_at_its_span() {
    for dialect in ["duckdb", "postgres", "spark"] {
        let (code, out, err) = rubric(&[
            "sql",
            "tests/fixtures/sql/too_many_places.rubric",
            "--dialect",
            dialect,
            "--table",
            "t",
        ]);
        assert_eq!((code, out.as_str()), (1, ""), "{dialect}");
        insta::assert_snapshot!(err);
    }
}

#[test]
fn problems_and_exit_codes() {
    let (code, out, err) = rubric(&[
        "sql",
        "no/such.rubric",
        "--dialect",
        "duckdb",
        "--table",
        "t",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("cannot read `no/such.rubric`"), "{err}");

    let (code, _, err) = rubric(&[
        "sql",
        "tests/fixtures/sql/dates.rubric",
        "--dialect",
        "oracle",
        "--table",
        "t",
    ]);
    assert_eq!(code, 2, "{err}");

    let (code, _, err) = rubric(&[
        "sql",
        "tests/fixtures/sql/dates.rubric",
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "--as-of",
        "2024-02-30",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("`2024-02-30` is not a date"), "{err}");

    let (code, out, err) = rubric(&[
        "sql",
        "tests/fixtures/check/cycles.rubric",
        "--dialect",
        "duckdb",
        "--table",
        "t",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn emit_modes_and_warehouse_flags() {
    let scheme = "examples/27-pareto/pareto.rubric";
    let (code, out, err) = rubric(&[
        "sql",
        scheme,
        "--dialect",
        "postgres",
        "--from",
        "{{ ref('customers') }}",
        "--as-of-expr",
        "'{{ ds }}'",
        "--column",
        "revenue=rev",
        "--emit",
        "table",
        "mart.pareto",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("DROP TABLE IF EXISTS \"mart\".\"pareto\";\n\nCREATE TABLE \"mart\".\"pareto\" AS\nWITH"), "{out}");
    assert!(
        out.contains("FROM {{ ref('customers') }} AS \"rubric_input\""),
        "{out}"
    );
    assert!(out.contains("CAST(\"rev\" AS NUMERIC)"), "{out}");
    assert!(out.trim_end().ends_with(';'), "{out}");
    // the date is the expression's wherever the query reads today (pareto reads none)
    let (code, out, err) = rubric(&[
        "sql",
        "tests/fixtures/sql/dates.rubric",
        "--dialect",
        "spark",
        "--table",
        "t",
        "--as-of-expr",
        "'{{ ds }}'",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("CAST(('{{ ds }}') AS DATE)"), "{out}");
    assert!(
        !out.contains("DATE '2024-03-31'"),
        "the scheme's as_of must yield: {out}"
    );

    for (mode, want) in [
        ("view", "CREATE OR REPLACE VIEW \"v\" AS\n"),
        (
            "insert",
            "INSERT INTO \"v\" (\"客户编号\", \"pareto\", \"abc\")\n",
        ),
    ] {
        let (code, out, err) = rubric(&[
            "sql",
            scheme,
            "--dialect",
            "duckdb",
            "--table",
            "t",
            "--emit",
            mode,
            "v",
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(want), "{out}");
    }

    let (code, out, err) = rubric(&[
        "sql",
        scheme,
        "--dialect",
        "duckdb",
        "--emit",
        "dbt-schema",
        "grades",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("values: [\"top20\", \"rest\"]"), "{out}");

    // bad flags: exit 2, a message and a help, nothing on stdout
    for bad in [
        &["--table", "t", "--emit", "view"][..],
        &["--table", "t", "--emit", "select", "x"][..],
        &["--table", "t", "--emit", "merge", "x"][..],
        &["--table", "t", "--column", "nosuch=x"][..],
        &["--table", "t", "--column", "revenue"][..],
        &["--table", "t", "--population-plan", "fast"][..],
        &["--table", "t", "--as-of-expr", " "][..],
        &["--from", "x", "--create-table"][..],
    ] {
        let mut args = vec!["sql", scheme, "--dialect", "duckdb"];
        args.extend_from_slice(bad);
        let (code, out, err) = rubric(&args);
        assert_eq!((code, out.as_str()), (2, ""), "{bad:?}: {err}");
        assert!(err.starts_with("error: "), "{bad:?}: {err}");
    }
    // an events block read from a raw relation, the customers' key mapped
    let (code, out, err) = rubric(&[
        "sql",
        "examples/28-orders-rfm/rfm.rubric",
        "--dialect",
        "duckdb",
        "--from",
        "{{ ref('customers') }}",
        "--events-from",
        "orders={{ ref('orders') }}",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("FROM {{ ref('orders') }} AS \"rubric_events_0\""),
        "{out}"
    );
    let (code, _, err) = rubric(&[
        "sql",
        "examples/28-orders-rfm/rfm.rubric",
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "--events-from",
        "orders",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not NAME=SQL"), "{err}");
    // --table and --from, --as-of and --as-of-expr exclude each other
    let (code, _, _) = rubric(&[
        "sql",
        scheme,
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "--from",
        "x",
    ]);
    assert_eq!(code, 2);
}
