//! The SQL `rubric sql` writes. What the SQL *computes* is proven against real engines by
//! `tests/sql/run.sh`; these tests pin its shape and cover every scheme in the repository.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rubric_check::hir::Model;
use rubric_sql::{compile, create_table, emit, output_columns, Dialect, Emit, Options, PopPlan};
use rubric_syntax::date::Date;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model(src: &str) -> Model {
    let (_, checked) = rubric_check::check_source(src);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    checked.model
}

fn sql(src: &str, dialect: Dialect, all: bool) -> String {
    let opts = Options {
        dialect,
        table: "crm.customers".into(),
        as_of: None,
        all,
        decimal_places: rubric_sql::INPUT_SCALE,
        events: Vec::new(),
        ..Options::new(Dialect::DuckDb, "")
    };
    compile(&model(src), &opts).unwrap()
}

const TIERS: &str = r#"
scheme "IBM customer tiers"
as_of 2024-06-30
input {
  id          text      key "客户编号"
  revenue     decimal   "营业额"
  profit      decimal
  region      text?
  last_order  date?
}
let margin  = profit / revenue
let active  = last_order within 90d
grade tier "客户等级" {
  diamond "钻石级" when cumulative_share(revenue) <= 50%  { owner: "集团副总裁", share: 50% }
  gold    "黄金级" when rank(revenue) within region <= 2   { owner: "区域总裁",   share: 25% }
  other   "其他"   otherwise                               { owner: "",           share: 0 }
}
tags flags { big when revenue >= 1000, thin when margin < 5%, plain otherwise }
score s { margin * 100 weight 50%, (if active then 100 else 0) weight 50% bonus 1.05 when tier == gold }
"#;

#[test]
fn duckdb_query() {
    insta::assert_snapshot!(sql(TIERS, Dialect::DuckDb, true));
}

#[test]
fn postgres_query() {
    insta::assert_snapshot!(sql(TIERS, Dialect::Postgres, true));
}

#[test]
fn spark_query() {
    insta::assert_snapshot!(sql(TIERS, Dialect::Spark, false));
}

#[test]
fn create_table_uses_headers_and_types() {
    let m = model(TIERS);
    insta::assert_snapshot!(Dialect::ALL
        .map(|d| create_table(&m, "crm.customers", d, 6))
        .join(";\n\n"));
}

#[test]
fn output_columns_are_those_of_rubric_run() {
    let m = model(TIERS);
    for all in [false, true] {
        let ours = output_columns(&m, all);
        let run: Vec<String> = rubric_eval::run::Columns::new(&m, all, false)
            .columns
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(ours, run);
    }
    assert_eq!(
        output_columns(&m, false),
        ["客户编号", "tier", "flags", "s"]
    );
}

#[test]
fn as_of_option_overrides_the_scheme() {
    let m = model(TIERS);
    let date = Date::parse("2025-01-31").unwrap();
    for d in Dialect::ALL {
        let opts = Options {
            dialect: d,
            table: "t".into(),
            as_of: Some(date),
            all: true,
            decimal_places: rubric_sql::INPUT_SCALE,
            events: Vec::new(),
            ..Options::new(Dialect::DuckDb, "")
        };
        let q = compile(&m, &opts).unwrap();
        assert!(q.contains("DATE '2025-01-31'"), "{q}");
        assert!(!q.contains("2024-06-30"), "{q}");
    }
    let src = TIERS.replace("as_of 2024-06-30", "");
    let q = sql(&src, Dialect::Postgres, true);
    assert!(q.contains("CURRENT_DATE"), "{q}");
}

#[test]
fn identifiers_and_text_are_quoted_for_each_dialect() {
    let src = r#"
input { id text key "a \"quoted\" `tick` header" }
grade g { x when id == "O'Brien \\ \"x\"" }
"#;
    let duck = sql(src, Dialect::DuckDb, false);
    assert!(duck.contains(r#""a ""quoted"" `tick` header""#), "{duck}");
    assert!(duck.contains(r#"'O''Brien \ "x"'"#), "{duck}");
    assert!(duck.contains(r#"FROM "crm"."customers""#), "{duck}");
    let spark = sql(src, Dialect::Spark, false);
    assert!(spark.contains(r#"`a "quoted" ``tick`` header`"#), "{spark}");
    assert!(spark.contains(r#"'O\'Brien \\ "x"'"#), "{spark}");
    assert!(spark.contains("FROM `crm`.`customers`"), "{spark}");
}

#[test]
fn names_differing_in_case_get_distinct_columns() {
    let src = "input { id text key\n x int }\nlet Total = x + 1\nlet total = x + 2\nscore s { Total weight 50%, total weight 50% }";
    let q = sql(src, Dialect::DuckDb, true);
    assert!(q.contains(r#"AS "total__2""#), "{q}");
    assert!(q.contains(r#""total__2" AS "total""#), "{q}");
}

fn schemes_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        // (the fuzzer's inputs, some not UTF-8, are replayed by rubric-fuzz for robustness)
        if p.ends_with("tests/fixtures/fuzz") {
            continue;
        }
        if p.is_dir() {
            schemes_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "rubric") {
            out.push(p);
        }
    }
}

#[test]
fn every_scheme_in_the_repository_compiles_for_every_dialect() {
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures"] {
        schemes_under(&root().join(dir), &mut files);
    }
    files.sort();
    let mut compiled = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let (_, checked) = rubric_check::check_source(&src);
        if checked.has_errors() {
            continue;
        }
        for d in Dialect::ALL {
            let opts = Options {
                dialect: d,
                table: "t".into(),
                as_of: None,
                all: true,
                decimal_places: rubric_sql::INPUT_SCALE,
                // an events block reads the table of its name
                events: (0..checked.model.events.len())
                    .map(|e| (e, checked.model.events[e].name.clone()))
                    .collect(),
                ..Options::new(d, "t")
            };
            // the one scheme written to be refused: a product of 48 places
            if f.ends_with("tests/fixtures/sql/too_many_places.rubric") {
                match compile(&checked.model, &opts) {
                    Err(rubric_sql::Error::Scheme(e)) => assert_eq!(e.code, "sql-too-many-places"),
                    other => panic!("{}: {d}: {:?}", f.display(), other.map(|_| ())),
                }
                continue;
            }
            let q = compile(&checked.model, &opts)
                .unwrap_or_else(|e| panic!("{}: {d}: {e}", f.display()));
            assert!(q.contains("SELECT"), "{}", f.display());
            compiled += 1;
        }
    }
    assert!(compiled >= 3 * 27, "only {compiled} schemes compiled");
}

#[test]
fn decimal_places_set_the_input_scale() {
    let m = model(TIERS);
    let opts = Options {
        decimal_places: 10,
        ..Options::new(Dialect::Spark, "t")
    };
    let q = compile(&m, &opts).unwrap();
    assert!(
        q.contains("CAST(`营业额` AS DECIMAL(38,10)) AS `revenue`"),
        "{q}"
    );
    assert!(create_table(&m, "t", Dialect::DuckDb, 10).contains("\"营业额\" DECIMAL(38,10)"));
    let too_many = Options {
        decimal_places: 13,
        ..Options::new(Dialect::DuckDb, "t")
    };
    assert_eq!(
        compile(&m, &too_many).unwrap_err().to_string(),
        "decimal fields can be read with at most 12 places"
    );
}

#[test]
fn a_let_holding_a_duration_is_read_where_it_is_used() {
    let src = r#"
input {
  id   text key
  d    date?
  vip  bool
}
let window = 90d
let w      = window
let seen   = d within w
let due    = d + window
"#;
    for dialect in Dialect::ALL {
        let q = sql(src, dialect, true);
        assert!(
            q.contains("'90d'"),
            "{dialect:?}: the --all column prints the duration"
        );
        assert!(
            !q.contains("\"window\" >=") && !q.contains("`window` >="),
            "{q}"
        );
    }
    assert!(sql(src, Dialect::Postgres, false).contains("- 90)"));
    // a duration computed per row is its text, and a date shifted by it a CASE over that text
    // with one arm per duration it can hold (NULL where it is missing)
    let computed = r#"
input {
  id   text key
  d    date?
  vip  bool?
}
let window = if vip then 30d else 3mo
let seen   = d within window
let due    = d + (window ?? 7d)
"#;
    let q = sql(computed, Dialect::DuckDb, true);
    assert!(
        q.contains(r#"CASE WHEN "vip" THEN '30d' ELSE '3mo' END AS "window""#),
        "{q}"
    );
    assert!(
        q.contains(r#"CASE "window" WHEN '30d' THEN ("d" >= CAST(CURRENT_DATE - INTERVAL 30 DAY AS DATE) AND "d" <= CURRENT_DATE) WHEN '3mo' THEN ("d" >= CAST(CURRENT_DATE - INTERVAL 3 MONTH AS DATE) AND "d" <= CURRENT_DATE) END AS "seen""#),
        "{q}"
    );
    let spark = sql(computed, Dialect::Spark, true);
    assert!(
        spark.contains("WHEN '3mo' THEN add_months(`d`, 3) WHEN '7d' THEN date_add(`d`, 7) END"),
        "{spark}"
    );
}

#[test]
fn warehouse_options_reach_the_query() {
    let m = model(TIERS);
    let mut o = Options::new(Dialect::Postgres, "ignored");
    o.from = Some("{{ ref('customers') }}".into());
    o.as_of_expr = Some("'{{ ds }}'".into());
    o.columns = vec![
        ("revenue".into(), "rev_usd".into()),
        ("客户编号".into(), "cust_id".into()),
    ];
    let q = compile(&m, &o).unwrap();
    assert!(
        q.contains("FROM {{ ref('customers') }} AS \"rubric_input\""),
        "{q}"
    );
    assert!(q.contains("CAST(('{{ ds }}') AS DATE)"), "{q}");
    assert!(
        !q.contains("DATE '2024-06-30'"),
        "the scheme's as_of must yield: {q}"
    );
    assert!(q.contains("\"rev_usd\""), "{q}");
    assert!(q.contains("\"cust_id\" AS \"id\""), "{q}");
    assert!(!q.contains("\"ignored\""), "{q}");
    o.columns = vec![("no_such".into(), "x".into())];
    assert!(compile(&m, &o).is_err());
}

#[test]
fn every_emit_mode_wraps_the_query() {
    let m = model(TIERS);
    for d in Dialect::ALL {
        let o = Options::new(d, "crm.customers");
        let q = compile(&m, &o).unwrap();
        let body = &q[q.find("WITH").unwrap()..];
        let view = emit(&m, &o, &Emit::View("mart.tiers".into())).unwrap();
        assert_eq!(view.len(), 1);
        assert!(view[0].contains("CREATE OR REPLACE VIEW"), "{}", view[0]);
        assert!(view[0].ends_with(body.trim_end()));
        let table = emit(&m, &o, &Emit::Table("mart.tiers".into())).unwrap();
        match d {
            Dialect::DuckDb => assert!(table[0].contains("CREATE OR REPLACE TABLE")),
            _ => {
                assert!(table[0].contains("DROP TABLE IF EXISTS"));
                assert!(table[1].starts_with("CREATE TABLE"));
            }
        }
        let insert = emit(&m, &o, &Emit::Insert("mart.tiers".into())).unwrap();
        assert!(insert[0].contains("INSERT INTO"), "{}", insert[0]);
    }
    assert!(Emit::parse("view", None).is_err());
    assert!(Emit::parse("select", Some("x")).is_err());
    assert!(Emit::parse("merge", Some("x")).is_err());
}

#[test]
fn the_histogram_plan_reads_distinct_values() {
    let src = "scheme \"s\"\ninput {\n  id text key\n  x decimal\n}\nlet r = rank(x)\nlet t = top_share(x)\nlet c = cumulative_share(x)\ngrade g by t {\n  a when <= 50%\n  b otherwise\n}\n";
    let m = model(src);
    for d in Dialect::ALL {
        let mut o = Options::new(d, "t");
        o.all = true;
        o.plan = PopPlan::Histogram;
        let q = compile(&m, &o).unwrap();
        assert!(q.contains("GROUP BY"), "{q}");
        assert!(q.contains("LEFT JOIN"), "{q}");
        assert!(!q.contains("RANK()"), "{q}");
        o.plan = PopPlan::Window;
        let w = compile(&m, &o).unwrap();
        assert!(w.contains("RANK()") && !w.contains("LEFT JOIN"), "{w}");
    }
    // auto: the histogram for Spark and DuckDB, the window for PostgreSQL
    let auto = |d| Options {
        all: true,
        ..Options::new(d, "t")
    };
    for d in [Dialect::Spark, Dialect::DuckDb] {
        assert!(compile(&m, &auto(d)).unwrap().contains("LEFT JOIN"));
    }
    let pg = compile(&m, &auto(Dialect::Postgres)).unwrap();
    assert!(pg.contains("RANK()"));
}

#[test]
fn the_dbt_schema_tests_the_key_and_every_grade() {
    let m = model(TIERS);
    let y = rubric_sql::dbt_schema(&m, "tiers", false);
    assert!(y.contains("- name: \"客户编号\"\n        quote: true\n        data_tests:\n          - unique\n          - not_null"), "{y}");
    assert!(y.contains("accepted_values"), "{y}");
}
