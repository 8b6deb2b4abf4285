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
//!
//! A scheme with `events` takes `--events NAME=FILE` per block (DATA may then be `-`: the
//! customers are the keys of the events); the case then holds one more table per block
//! (`events`: its name, fields, accepted rows and DDL), which the SQL reads by `--events`.

use rubric_check::hir::Model;
use rubric_eval::io::{self, ReadOptions};
use rubric_eval::{format_value, InputRow, Plan, Reject, Value};
use rubric_sql::{Dialect, Emit, Options, PopPlan};
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
    let mut event_specs: Vec<(String, String)> = Vec::new();
    let mut i = 2;
    while i + 1 < args.len() {
        match args[i].as_str() {
            "--as-of" => as_of = Date::parse(&args[i + 1]),
            "--encoding" => encoding = Some(args[i + 1].clone()),
            "--events" => {
                if let Some((n, f)) = args[i + 1].split_once('=') {
                    event_specs.push((n.to_string(), f.to_string()));
                }
            }
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
    let date = as_of.or(model.as_of).unwrap_or(Date(0));
    let read = if model.events.is_empty() {
        io::read_all(data.as_ref(), &opts, model)
            .map(|(rows, rejects)| (rows, rejects, Vec::new()))
            .map_err(|e| e.to_string())
    } else {
        read_with_events(model, data, &opts, &event_specs, date)
    };
    let (rows, rejects, events) = match read {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let out = build_case(model, rows, rejects, date, events);
    println!("{out}");
    ExitCode::SUCCESS
}

/// The accepted rows of each events block: `(block, rows of [key, fields…])`.
type EventRows = Vec<(usize, Vec<Vec<Value>>)>;

/// The customers joined with their events (as `rubric run --events` reads them), and each
/// events file's accepted rows (the tables the SQL aggregates).
fn read_with_events(
    model: &Model,
    data: &str,
    opts: &ReadOptions,
    specs: &[(String, String)],
    date: Date,
) -> Result<(Vec<InputRow>, Vec<Reject>, EventRows), String> {
    let mut files = Vec::new();
    for (name, file) in specs {
        let block = model
            .events
            .iter()
            .position(|e| &e.name == name)
            .ok_or_else(|| format!("no events block `{name}`"))?;
        files.push((block, std::path::PathBuf::from(file)));
    }
    let event_opts = ReadOptions::default();
    let list: Vec<io::EventsFile<'_>> = files
        .iter()
        .map(|(b, p)| io::EventsFile {
            block: *b,
            path: p,
            options: &event_opts,
        })
        .collect();
    let data_path = std::path::Path::new(data);
    let customers = (data != "-").then_some((data_path, opts));
    let (rows, rejects) =
        io::read_all_joined(customers, &list, model, date).map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    for (b, path) in &files {
        let emodel = io::events_model(model, *b);
        let (erows, _) = io::read_all(path, &event_opts, &emodel).map_err(|e| e.to_string())?;
        events.push((*b, erows.into_iter().map(|r| r.values).collect()));
    }
    Ok((rows, rejects, events))
}

/// Evaluates `rows` and writes the case as JSON.
fn build_case(
    model: &Model,
    rows: Vec<InputRow>,
    rejects: Vec<Reject>,
    date: Date,
    events: EventRows,
) -> serde_json::Value {
    let plan = Plan::compile(model, date);
    let ev = plan.evaluate(rows);
    let items: Vec<usize> = (0..model.items.len()).collect();
    // a row as the customers table holds it (a grade-typed field's cell: the code's name)
    let table_row = |row: &InputRow| -> Vec<serde_json::Value> {
        row.values
            .iter()
            .zip(&model.fields)
            .map(|(v, f)| match (v, &f.codes) {
                (Value::Code(c), Some(codes)) => codes
                    .codes
                    .get(usize::from(*c))
                    .map_or(serde_json::Value::Null, |(name, _)| json!(name)),
                _ => cell(v),
            })
            .collect()
    };
    let mut input = Vec::new();
    let mut expected = Vec::new();
    // the table holds every row a population counted, the ones that overflowed later too (the
    // engine then refuses the query: a documented limit of 38-digit decimals)
    for row in ev.overflowed() {
        input.push(table_row(row));
    }
    for r in 0..ev.len() {
        let Some(row) = ev.input(r) else { continue };
        input.push(table_row(row));
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
    let (mut alt, mut wh_setup, mut warehouse, mut emit) =
        (Map::new(), Map::new(), Map::new(), Map::new());
    let tables: Vec<(usize, String)> = (0..model.events.len())
        .map(|b| (b, format!("events_{b}")))
        .collect();
    let mut event_tables = Vec::new();
    for (b, erows) in &events {
        let emodel = io::events_model(model, *b);
        let mut edl = Map::new();
        for d in Dialect::ALL {
            edl.insert(
                d.name().into(),
                json!(plain_table(&emodel, &format!("events_{b}"), d)),
            );
        }
        let fields: Vec<_> = emodel
            .fields
            .iter()
            .map(|f| json!({"name": f.name, "column": f.column, "ty": f.ty.describe(&emodel)}))
            .collect();
        let rows: Vec<Vec<serde_json::Value>> =
            erows.iter().map(|r| r.iter().map(cell).collect()).collect();
        event_tables.push(json!({
            "table": format!("events_{b}"),
            "fields": fields,
            "rows": rows,
            "ddl": edl,
        }));
    }
    for d in Dialect::ALL {
        let o = Options {
            dialect: d,
            table: "input".into(),
            as_of: Some(date),
            all: true,
            decimal_places: rubric_sql::INPUT_SCALE,
            events: tables.clone(),
            ..Options::new(Dialect::DuckDb, "")
        };
        let compiled = rubric_sql::compile(model, &o);
        match &compiled {
            Ok(s) => sql.insert(d.name().into(), json!(s)),
            Err(e) => sql.insert(d.name().into(), json!(format!("ERROR: {e}"))),
        };
        // the other plan of whole-population ranks and shares, where it differs
        let other = match PopPlan::Auto.resolve(d) {
            PopPlan::Histogram => PopPlan::Window,
            _ => PopPlan::Histogram,
        };
        if let Ok(s) = rubric_sql::compile(
            model,
            &Options {
                plan: other,
                ..o.clone()
            },
        ) {
            if compiled.as_ref().is_ok_and(|c| *c != s) {
                alt.insert(d.name().into(), json!(s));
            }
        }
        // the warehouse options: a raw relation whose columns are c0, c1, … and a date expression
        let renamed: Vec<String> = model
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                format!(
                    "{} AS {}",
                    rubric_sql::ident(&f.column, d),
                    rubric_sql::ident(&format!("c{i}"), d)
                )
            })
            .collect();
        let wh = rubric_sql::ident("wh_input", d);
        let view = if d == Dialect::Spark {
            "OR REPLACE TEMPORARY VIEW"
        } else {
            "TABLE"
        };
        wh_setup.insert(
            d.name().into(),
            json!(format!(
                "CREATE {view} {wh} AS SELECT {} FROM {}",
                renamed.join(", "),
                rubric_sql::ident("input", d)
            )),
        );
        let wo = Options {
            from: Some(format!("(SELECT * FROM {wh})")),
            // the events as raw relations too (`--events-from`)
            events: Vec::new(),
            events_from: tables
                .iter()
                .map(|(b, t)| (*b, format!("(SELECT * FROM {})", rubric_sql::ident(t, d))))
                .collect(),
            as_of: None,
            as_of_expr: Some(format!("'{date}'")),
            columns: model
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.clone(), format!("c{i}")))
                .collect(),
            ..o.clone()
        };
        if let Ok(s) = rubric_sql::compile(model, &wo) {
            warehouse.insert(d.name().into(), json!(s));
        }
        let mut modes = Map::new();
        for (mode, what) in [
            ("view", Emit::View("rubric_out_view".into())),
            ("table", Emit::Table("rubric_out_table".into())),
            ("insert", Emit::Insert("rubric_out_table".into())),
        ] {
            if let Ok(stmts) = rubric_sql::emit(model, &o, &what) {
                modes.insert(mode.into(), json!(stmts));
            }
        }
        emit.insert(d.name().into(), json!(modes));
        ddl.insert(
            d.name().into(),
            json!(rubric_sql::create_table(
                model,
                "input",
                d,
                rubric_sql::INPUT_SCALE
            )),
        );
        plain.insert(d.name().into(), json!(plain_table(model, "input", d)));
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
        // rows graded by no engine of 38-digit decimals (PostgreSQL's NUMERIC grades them)
        "overflowed": ev.overflowed().len(),
        "sql": sql,
        // the same query with the other plan of whole-population ranks and shares
        "sql_alt": alt,
        // the query of --from (a subquery of wh_input), --column (its columns c0, c1, …) and
        // --as-of-expr, and the statement that makes wh_input of input
        "sql_warehouse": warehouse,
        "wh_setup": wh_setup,
        // the statements of --emit view / table / insert
        "emit": emit,
        "ddl": ddl,
        "plain_ddl": plain,
        "checks": checks,
        "events": event_tables,
    })
}

/// The table `name` of `model`'s fields as `create_table` writes it, without its constraints:
/// every column nullable, no key.
fn plain_table(model: &Model, name: &str, d: Dialect) -> String {
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
        rubric_sql::table_name(name, d),
        cols.join(",\n")
    )
}

/// One case per `test` block.
fn test_cases(model: &Model) -> serde_json::Value {
    let mut cases = Vec::new();
    for t in &model.tests {
        let date = t.as_of.or(model.as_of).unwrap_or(Date(0));
        let plan = rubric_eval::events::EventPlan::compile(model, date);
        let mut rows = Vec::new();
        let mut events: EventRows = (0..model.events.len()).map(|b| (b, Vec::new())).collect();
        for (i, r) in t.records.iter().enumerate() {
            let Ok(values) = rubric_eval::events::test_values(model, &plan, r) else {
                continue;
            };
            let key = model
                .key
                .and_then(|k| values.get(k))
                .cloned()
                .unwrap_or_default();
            for (b, list) in &r.events {
                let width = model.events.get(*b).map_or(0, |e| e.fields.len());
                for ev in list {
                    let mut row = vec![key.clone()];
                    row.resize(width + 1, Value::Missing);
                    for (f, lit) in ev {
                        if let Some(v) = row.get_mut(f + 1) {
                            *v = rubric_eval::literal_value(lit);
                        }
                    }
                    if let Some((_, rows)) = events.get_mut(*b) {
                        rows.push(row);
                    }
                }
            }
            rows.push(InputRow {
                line: i as u64 + 1,
                values,
            });
        }
        let mut case = build_case(model, rows, Vec::new(), date, events);
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
