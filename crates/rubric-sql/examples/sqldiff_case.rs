//! One case of the differential test (`tests/sql/run.sh`): reads a data file with the
//! evaluator's own readers, evaluates the scheme with `rubric_eval` (as `rubric run --all`), and
//! prints JSON with the accepted input rows, the expected output cells, and the SQL for every
//! dialect: the query, the `CREATE TABLE` of `rubric sql --create-table` (`ddl`), the same table
//! without constraints (`plain_ddl`) and the `check_queries` for such a table (`checks`).
//!
//! `cargo run -p rubric-sql --example sqldiff_case -- SCHEME DATA [--as-of DATE] [--encoding E]`
//!
//! With `--tests SCHEME`, prints one such case per `test` block of the scheme instead: the
//! block's `given` records are the customers and its `as_of` (else the scheme's) the date.

use rubric_check::hir::Model;
use rubric_eval::io::{self, ReadOptions};
use rubric_eval::{format_value, InputRow, Plan, Reject, Value};
use rubric_sql::{Dialect, Options};
use rubric_syntax::date::Date;
use serde_json::{json, Map};
use std::process::ExitCode;

fn cell(v: &Value) -> serde_json::Value {
    match v {
        Value::Missing => serde_json::Value::Null,
        Value::Num(d) => json!(rubric_eval::format_decimal(*d)),
        Value::Text(t) => json!(t.to_string()),
        Value::Bool(b) => json!(b),
        Value::Date(d) => json!(d.to_string()),
        other => json!(format!("{other:?}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--tests") {
        let Some(scheme) = args.get(1) else {
            eprintln!("usage: sqldiff_case --tests SCHEME");
            return ExitCode::from(2);
        };
        let src = match std::fs::read_to_string(scheme) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read `{scheme}`: {e}");
                return ExitCode::from(2);
            }
        };
        let checked = rubric_check::project::check_project(
            std::path::Path::new(scheme),
            &src,
            &mut |p: &std::path::Path| std::fs::read_to_string(p).map_err(|e| e.to_string()),
        )
        .checked;
        if checked.has_errors() {
            println!("[]");
            return ExitCode::SUCCESS;
        }
        println!("{}", test_cases(&checked.model));
        return ExitCode::SUCCESS;
    }
    let (Some(scheme), Some(data)) = (args.first(), args.get(1)) else {
        eprintln!("usage: sqldiff_case SCHEME DATA [--as-of DATE] [--encoding E]");
        return ExitCode::from(2);
    };
    let mut as_of = None;
    let mut encoding = None;
    let mut i = 2;
    while i + 1 < args.len() {
        match args[i].as_str() {
            "--as-of" => as_of = Date::parse(&args[i + 1]),
            "--encoding" => encoding = Some(args[i + 1].clone()),
            _ => {}
        }
        i += 2;
    }
    let src = match std::fs::read_to_string(scheme) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read `{scheme}`: {e}");
            return ExitCode::from(2);
        }
    };
    let checked = rubric_check::project::check_project(
        std::path::Path::new(scheme),
        &src,
        &mut |p: &std::path::Path| std::fs::read_to_string(p).map_err(|e| e.to_string()),
    )
    .checked;
    if checked.has_errors() {
        eprintln!(
            "error: `{scheme}` does not check: {:?}",
            checked.diagnostics
        );
        return ExitCode::from(1);
    }
    let model = &checked.model;
    let mut opts = ReadOptions::default();
    if let Some(e) = &encoding {
        match io::encoding_for_label(e) {
            Ok(enc) => opts.encoding = Some(enc),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let (rows, rejects) = match io::read_all(data.as_ref(), &opts, model) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let date = as_of.or(model.as_of).unwrap_or(Date(0));
    let out = build_case(model, rows, rejects, date);
    println!("{out}");
    ExitCode::SUCCESS
}

/// Evaluates `rows` and writes the case as JSON.
fn build_case(
    model: &Model,
    rows: Vec<InputRow>,
    rejects: Vec<Reject>,
    date: Date,
) -> serde_json::Value {
    let plan = Plan::compile(model, date);
    let ev = plan.evaluate(rows);
    let items: Vec<usize> = (0..model.items.len()).collect();
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for r in 0..ev.len() {
        let Some(row) = ev.input(r) else { continue };
        input.push(
            row.values
                .iter()
                .zip(&model.fields)
                .map(|(v, f)| match (v, &f.codes) {
                    // a grade-typed field's cell: the code's name, as a table would hold it
                    (Value::Code(c), Some(codes)) => codes
                        .codes
                        .get(usize::from(*c))
                        .map_or(serde_json::Value::Null, |(name, _)| json!(name)),
                    _ => cell(v),
                })
                .collect::<Vec<_>>(),
        );
        let mut out = vec![json!(ev.key(r))];
        for &it in &items {
            out.push(json!(format_value(
                ev.value(r, it),
                &model.items[it].ty,
                model
            )));
        }
        expected.push(out);
    }
    let mut sql = Map::new();
    let mut ddl = Map::new();
    let mut plain = Map::new();
    let mut checks = Map::new();
    for d in Dialect::ALL {
        let o = Options {
            dialect: d,
            table: "input".into(),
            as_of: Some(date),
            all: true,
            decimal_places: rubric_sql::INPUT_SCALE,
        };
        match rubric_sql::compile(model, &o) {
            Ok(s) => sql.insert(d.name().into(), json!(s)),
            Err(e) => sql.insert(d.name().into(), json!(format!("ERROR: {e}"))),
        };
        ddl.insert(
            d.name().into(),
            json!(rubric_sql::create_table(
                model,
                "input",
                d,
                rubric_sql::INPUT_SCALE
            )),
        );
        plain.insert(d.name().into(), json!(plain_table(model, d)));
        checks.insert(
            d.name().into(),
            json!(rubric_sql::check_queries(model, "input", d)),
        );
    }
    let fields: Vec<_> = model
        .fields
        .iter()
        .map(|f| json!({"name": f.name, "column": f.column, "ty": field_ty(f, model)}))
        .collect();
    json!({
        "fields": fields,
        "rows": input,
        "rejected": rejects.len() + ev.rejects().len(),
        "columns": rubric_sql::output_columns(model, true),
        "expected": expected,
        "sql": sql,
        "ddl": ddl,
        "plain_ddl": plain,
        "checks": checks,
    })
}

/// The table of `create_table` without its constraints: every column nullable, no key.
fn plain_table(model: &Model, d: Dialect) -> String {
    let cols: Vec<String> = model
        .fields
        .iter()
        .map(|f| {
            format!(
                "  {} {}",
                rubric_sql::ident(&f.column, d),
                rubric_sql::column_type(f, d, rubric_sql::INPUT_SCALE)
            )
        })
        .collect();
    format!(
        "CREATE TABLE {} (\n{}\n)",
        rubric_sql::table_name("input", d),
        cols.join(",\n")
    )
}

/// One case per `test` block.
fn test_cases(model: &Model) -> serde_json::Value {
    let mut cases = Vec::new();
    for t in &model.tests {
        let rows: Vec<InputRow> = t
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut values = vec![Value::Missing; model.fields.len()];
                for (f, lit) in &r.values {
                    if let (Some(v), Some(fd)) = (values.get_mut(*f), model.fields.get(*f)) {
                        *v = rubric_eval::field_value(fd, lit);
                    }
                }
                InputRow {
                    line: i as u64 + 1,
                    values,
                }
            })
            .collect();
        let date = t.as_of.or(model.as_of).unwrap_or(Date(0));
        let mut case = build_case(model, rows, Vec::new(), date);
        // a test leaves unlisted fields missing, required ones too: the table must take them
        case["ddl"] = case["plain_ddl"].clone();
        case["name"] = json!(t.name);
        cases.push(case);
    }
    json!(cases)
}

/// A field's type as the harness loads its column: a grade-typed field is text.
fn field_ty(f: &rubric_check::hir::FieldDef, model: &Model) -> String {
    if f.codes.is_some() {
        "text".into()
    } else {
        f.ty.describe(model)
    }
}
