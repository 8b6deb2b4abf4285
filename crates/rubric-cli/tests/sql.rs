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
