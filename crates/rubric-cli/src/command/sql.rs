//! `rubric sql SCHEME --dialect D --table T`: print one SELECT that computes what `rubric run`
//! computes, for DuckDB, PostgreSQL or Spark SQL.

use crate::console::{err, errln, out, outln};
use crate::render;
use rubric_sql::{Dialect, Options};
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
    #[arg(long, value_name = "T")]
    table: Option<String>,
    /// The table of an `events` block (repeat per block); each block becomes a `GROUP BY`
    /// subquery, `LEFT JOIN`ed to the customers
    #[arg(long, value_name = "NAME=TABLE")]
    events: Vec<String>,
    /// The evaluation date (default: the scheme's `as_of`, else the engine's current date)
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
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
    if args.decimal_places > rubric_sql::MAX_INPUT_SCALE {
        errln!(
            "error: `--decimal-places` is at most {}",
            rubric_sql::MAX_INPUT_SCALE
        );
        return ExitCode::from(2);
    }
    let (_, checked) = rubric_check::check_source(&src);
    if checked.has_errors() {
        let color = render::color_stderr();
        for d in &checked.diagnostics {
            err!("{}", render::human(d, &shown, &src, color));
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
    let table = match (&args.table, model.events.is_empty()) {
        (Some(t), _) => t.clone(),
        (None, false) if model.fields.iter().all(|f| f.is_key) => String::new(),
        (None, _) => {
            errln!("error: --table is required: the table of customers to grade");
            errln!("  = help: pass --table T, one column per input field");
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
    };
    match rubric_sql::compile(model, &opts) {
        Ok(sql) => {
            out!("{sql}");
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
