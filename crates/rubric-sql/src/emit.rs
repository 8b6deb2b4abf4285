//! The statements `rubric sql --emit` writes around the query: a view, a table built from it, or
//! an `INSERT` into an existing table, in each dialect's own words.

use super::{compile, ident, output_columns, table_name, Dialect, Error, Options};
use rubric_check::hir::Model;

/// What `rubric sql` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Emit {
    /// The query alone (no final `;`).
    Select,
    /// `CREATE OR REPLACE VIEW name AS` the query.
    View(String),
    /// The table `name` rebuilt from the query: `CREATE OR REPLACE TABLE … AS` in DuckDB;
    /// `DROP TABLE IF EXISTS` then `CREATE TABLE … AS` in PostgreSQL and Spark (a Spark table
    /// of the session's default format; `REPLACE TABLE` needs a v2 catalog).
    Table(String),
    /// `INSERT INTO name (columns)` the query's rows, into a table that has the output columns
    /// (by position when two output columns differ only in case).
    Insert(String),
    /// Not SQL: the dbt `schema.yml` of the model `name` ([`crate::dbt_schema`]).
    DbtSchema(String),
}

impl Emit {
    pub const MODES: [&'static str; 5] = ["select", "view", "table", "insert", "dbt-schema"];

    /// `mode` and its name (`select` takes none, the others one).
    pub fn parse(mode: &str, name: Option<&str>) -> Result<Emit, String> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        match (mode, name) {
            ("select", None) => Ok(Emit::Select),
            ("select", Some(n)) => Err(format!("`--emit select` takes no name, found `{n}`")),
            ("view", Some(n)) => Ok(Emit::View(n.into())),
            ("table", Some(n)) => Ok(Emit::Table(n.into())),
            ("insert", Some(n)) => Ok(Emit::Insert(n.into())),
            ("dbt-schema", Some(n)) => Ok(Emit::DbtSchema(n.into())),
            ("view" | "table" | "insert", None) => {
                Err(format!("`--emit {mode}` needs the name of the {mode}"))
            }
            ("dbt-schema", None) => Err("`--emit dbt-schema` needs the name of the model".into()),
            (other, _) => Err(format!(
                "unknown `--emit` mode `{other}`; expected one of {}",
                Emit::MODES.join(", ")
            )),
        }
    }
}

/// The statements that `emit` the scheme's query, each without its final `;`.
pub fn emit(model: &Model, opts: &Options, what: &Emit) -> Result<Vec<String>, Error> {
    if let Emit::DbtSchema(name) = what {
        return Ok(vec![crate::dbt_schema(model, name, opts.all)]);
    }
    let query = compile(model, opts)?;
    let d = opts.dialect;
    // the query's leading comments stay first, before the statement they describe
    let split = query
        .find("WITH\n")
        .filter(|&i| query[..i].lines().all(|l| l.starts_with("--")))
        .unwrap_or(0);
    let (comments, body) = query.split_at(split);
    let body = body.trim_end();
    Ok(match what {
        Emit::Select | Emit::DbtSchema(_) => vec![query],
        Emit::View(name) => vec![format!(
            "{comments}CREATE OR REPLACE VIEW {} AS\n{body}",
            table_name(name, d)
        )],
        Emit::Table(name) => {
            let t = table_name(name, d);
            match d {
                Dialect::DuckDb => {
                    vec![format!("{comments}CREATE OR REPLACE TABLE {t} AS\n{body}")]
                }
                _ => vec![
                    format!("{comments}DROP TABLE IF EXISTS {t}"),
                    format!("CREATE TABLE {t} AS\n{body}"),
                ],
            }
        }
        Emit::Insert(name) => {
            let t = table_name(name, d);
            let names = output_columns(model, opts.all);
            // by name, unless two differ only in case (one column to DuckDB and Spark): then
            // by position
            let mut seen = std::collections::HashSet::new();
            let distinct = names.iter().all(|n| seen.insert(n.to_lowercase()));
            let cols = if distinct {
                let cols: Vec<String> = names.iter().map(|c| ident(c, d)).collect();
                format!(" ({})", cols.join(", "))
            } else {
                String::new()
            };
            match d {
                // Spark reads `INSERT … WITH` as a query without a target: the CTEs come first
                Dialect::Spark => {
                    let Some(select) = body.rfind("\nSELECT\n") else {
                        return Err(Error::Unsupported("the query has no final SELECT".into()));
                    };
                    let (ctes, last) = body.split_at(select);
                    vec![format!("{comments}{ctes}\nINSERT INTO {t}{cols}{last}")]
                }
                _ => vec![format!("{comments}INSERT INTO {t}{cols}\n{body}")],
            }
        }
    })
}
