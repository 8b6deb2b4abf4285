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
    /// The table to read: one column per input field, named by its column header
    #[arg(long, value_name = "T")]
    table: String,
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
    if args.create_table {
        outln!(
            "{};",
            rubric_sql::create_table(&checked.model, &args.table, dialect, args.decimal_places)
        );
        return ExitCode::SUCCESS;
    }
    let opts = Options {
        dialect,
        table: args.table,
        as_of,
        all: args.all,
        decimal_places: args.decimal_places,
    };
    match rubric_sql::compile(&checked.model, &opts) {
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
