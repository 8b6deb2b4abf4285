//! `rubric sql SCHEME --dialect D --table T`: print one SELECT that computes what `rubric run`
//! computes, for DuckDB, PostgreSQL or Spark SQL; with `--emit`, a view, a table or an insert of
//! it.

use crate::console::{err, errln, out, outln};
use crate::render;
use rubric_sql::{Dialect, Emit, Options, PopPlan};
use rubric_syntax::date::Date;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectArg {
    Duckdb,
    Postgres,
    Spark,
}

#[derive(clap::Args)]
pub struct Args {
    /// The scheme file (`.rubric`)
    #[arg(value_name = "SCHEME")]
    scheme: PathBuf,
    /// The SQL engine to write for
    #[arg(long, value_enum)]
    dialect: DialectArg,
    /// The table to read: one column per input field, named by its column header [required
    /// unless the scheme reads events and `input` holds only the key: then the customers are
    /// the distinct keys of the events]
    #[arg(long, value_name = "T", conflicts_with = "from")]
    table: Option<String>,
    /// A relation to read instead of `--table`, written as it is (not quoted): a dbt
    /// `{{ ref('customers') }}`, a schema-qualified name in the engine's own quoting, or a
    /// `(SELECT …)` subquery
    #[arg(long, value_name = "SQL")]
    from: Option<String>,
    /// The warehouse column of an input field, when it is not named by the field's column header
    /// (repeat per field; FIELD is the field's name or its header)
    #[arg(long = "column", value_name = "FIELD=COLUMN")]
    columns: Vec<String>,
    /// A file of column mappings: one `FIELD=COLUMN` a line, `#` starts a comment (`--column`
    /// wins over the file)
    #[arg(long, value_name = "FILE")]
    columns_file: Option<PathBuf>,
    /// The table of an `events` block (repeat per block); each block becomes a `GROUP BY`
    /// subquery, `LEFT JOIN`ed to the customers
    #[arg(long, value_name = "NAME=TABLE")]
    events: Vec<String>,
    /// A raw relation for an `events` block, written as it is (not quoted), as `--from` is for the
    /// customers: `--events-from "orders={{ ref('orders') }}"` (repeat per block)
    #[arg(long, value_name = "NAME=SQL")]
    events_from: Vec<String>,
    /// The evaluation date (default: the scheme's `as_of`, else the engine's current date)
    #[arg(long, value_name = "DATE", conflicts_with = "as_of_expr")]
    as_of: Option<String>,
    /// A SQL date expression for the evaluation date, written into the query as it is: a dbt
    /// `{{ var('as_of') }}` in quotes, an Airflow `'{{ ds }}'`, `CURRENT_DATE`
    #[arg(long, value_name = "SQL")]
    as_of_expr: Option<String>,
    /// What to print: `select` (the query, the default), `view NAME` (CREATE OR REPLACE VIEW),
    /// `table NAME` (the table rebuilt from the query) or `insert NAME` (INSERT INTO an existing
    /// table with the output columns); or `dbt-schema MODEL`, the dbt schema.yml of a model
    /// built by the query (unique and not-null key, accepted values of every grade)
    #[arg(long, num_args = 1..=2, value_names = ["MODE", "NAME"])]
    emit: Vec<String>,
    /// How whole-population `rank`, `top_share` and `cumulative_share` are computed: `window`
    /// (a window over every row), `histogram` (a window over the distinct values, joined back;
    /// spreads over a cluster) or `auto` (histogram for Spark and DuckDB, window for PostgreSQL)
    #[arg(long, value_name = "PLAN", default_value = "auto")]
    population_plan: String,
    /// Also output every let and points, as `rubric run --all`
    #[arg(long)]
    all: bool,
    /// Places decimal fields are read with in DuckDB and Spark (`DECIMAL(38, N)`, at most 12)
    #[arg(long, value_name = "N", default_value_t = rubric_sql::INPUT_SCALE)]
    decimal_places: u32,
    /// Print the `CREATE TABLE` for the table the query reads, with constraints that keep out the
    /// rows `rubric run` rejects, instead of the query
    #[arg(long)]
    create_table: bool,
}

/// `FIELD=COLUMN` pairs: the file's lines, then the flags.
fn column_mappings(args: &Args) -> Result<Vec<(String, String)>, String> {
    let mut specs: Vec<(String, String)> = Vec::new();
    if let Some(path) = &args.columns_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                specs.push((format!("{}:{}", path.display(), n + 1), line.to_string()));
            }
        }
    }
    for c in &args.columns {
        specs.push(("--column".into(), c.clone()));
    }
    let mut out = Vec::new();
    for (place, spec) in specs {
        match spec.split_once('=') {
            Some((f, c)) if !f.trim().is_empty() && !c.trim().is_empty() => {
                out.push((f.trim().to_string(), c.trim().to_string()))
            }
            _ => return Err(format!("{place}: `{spec}` is not FIELD=COLUMN")),
        }
    }
    Ok(out)
}

pub fn main(args: Args) -> ExitCode {
    let shown = args.scheme.display().to_string();
    let src = match crate::command::read_scheme(&args.scheme) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let as_of = match &args.as_of {
        None => None,
        Some(s) => match Date::parse(s) {
            Some(d) => Some(d),
            None => {
                errln!("error: `{s}` is not a date; write it as 2024-06-30");
                return ExitCode::from(2);
            }
        },
    };
    let emit = match args.emit.as_slice() {
        [] => Emit::Select,
        [mode, rest @ ..] => match Emit::parse(mode, rest.first().map(String::as_str)) {
            Ok(e) => e,
            Err(e) => {
                errln!("error: {e}");
                errln!("  = help: --emit select, --emit view NAME, --emit table NAME, --emit insert NAME or --emit dbt-schema MODEL");
                return ExitCode::from(2);
            }
        },
    };
    let Some(plan) = PopPlan::from_name(&args.population_plan) else {
        errln!(
            "error: unknown `--population-plan` `{}`; expected one of {}",
            args.population_plan,
            PopPlan::NAMES.join(", ")
        );
        errln!("  = help: leave it out for `auto`, the measured faster plan of each dialect");
        return ExitCode::from(2);
    };
    if args
        .as_of_expr
        .as_deref()
        .is_some_and(|e| e.trim().is_empty())
    {
        errln!("error: `--as-of-expr` is empty");
        errln!("  = help: give a SQL date expression, e.g. --as-of-expr CURRENT_DATE");
        return ExitCode::from(2);
    }
    if args.from.as_deref().is_some_and(|e| e.trim().is_empty()) {
        errln!("error: `--from` is empty");
        errln!("  = help: give a relation, e.g. --from \"{{{{ ref('customers') }}}}\"");
        return ExitCode::from(2);
    }
    let columns = match column_mappings(&args) {
        Ok(c) => c,
        Err(e) => {
            errln!("error: {e}");
            errln!("  = help: map a field to its warehouse column as --column revenue=rev_usd");
            return ExitCode::from(2);
        }
    };
    if args.create_table && (args.from.is_some() || emit != Emit::Select) {
        errln!("error: `--create-table` prints the table the query reads: it takes `--table`, not `--from` or `--emit`");
        errln!("  = help: print the table with `--create-table --table T`, then the query in a second call");
        return ExitCode::from(2);
    }
    if args.decimal_places > rubric_sql::MAX_INPUT_SCALE {
        errln!(
            "error: `--decimal-places` is at most {}",
            rubric_sql::MAX_INPUT_SCALE
        );
        return ExitCode::from(2);
    }
    let project = crate::command::check_scheme(&args.scheme, &src);
    let checked = &project.checked;
    if checked.has_errors() {
        let color = render::color_stderr();
        for d in &checked.diagnostics {
            err!("{}", crate::command::human(&project, d, color));
        }
        return ExitCode::from(1);
    }
    let dialect = match args.dialect {
        DialectArg::Duckdb => Dialect::DuckDb,
        DialectArg::Postgres => Dialect::Postgres,
        DialectArg::Spark => Dialect::Spark,
    };
    let model = &checked.model;
    let mut events = Vec::new();
    for spec in &args.events {
        let block = super::run_events::split(spec, "TABLE")
            .and_then(|(name, table)| Ok((super::run_events::block_named(model, &name)?, table)));
        match block {
            Ok(b) => events.push(b),
            Err(e) => {
                errln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut events_from = Vec::new();
    for spec in &args.events_from {
        let block = super::run_events::split(spec, "SQL")
            .and_then(|(name, sql)| Ok((super::run_events::block_named(model, &name)?, sql)));
        match block {
            Ok(b) => events_from.push(b),
            Err(e) => {
                errln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let table = match (&args.table, model.events.is_empty()) {
        (Some(t), _) => t.clone(),
        (None, _) if args.from.is_some() || matches!(emit, Emit::DbtSchema(_)) => String::new(),
        (None, false) if model.fields.iter().all(|f| f.is_key) => String::new(),
        (None, _) => {
            errln!("error: --table is required: the table of customers to grade");
            errln!("  = help: pass --table T (or a raw relation as --from SQL), one column per input field");
            return ExitCode::from(2);
        }
    };
    if args.create_table {
        outln!(
            "{};",
            rubric_sql::create_table(model, &table, dialect, args.decimal_places)
        );
        return ExitCode::SUCCESS;
    }
    let opts = Options {
        dialect,
        table,
        as_of,
        all: args.all,
        decimal_places: args.decimal_places,
        events,
        events_from,
        from: args.from.clone(),
        as_of_expr: args.as_of_expr.clone(),
        columns,
        plan,
    };
    if let Err(e) = opts.field_columns(model) {
        let fields: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
        errln!("error: `--column`: {e}");
        errln!("  = help: the input fields are {}", fields.join(", "));
        return ExitCode::from(2);
    }
    match rubric_sql::emit(model, &opts, &emit) {
        Ok(statements) if matches!(emit, Emit::Select | Emit::DbtSchema(_)) => {
            out!("{}", statements.concat());
            ExitCode::SUCCESS
        }
        Ok(statements) => {
            outln!("{};", statements.join(";\n\n"));
            ExitCode::SUCCESS
        }
        Err(rubric_sql::Error::Scheme(d)) => {
            let color = render::color_stderr();
            err!("{}", render::human(&d, &shown, &src, color));
            ExitCode::from(1)
        }
        Err(e) => {
            errln!("error: `{shown}`: {e}");
            ExitCode::from(1)
        }
    }
}
