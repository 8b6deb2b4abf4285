//! Tables for the data: the `CREATE TABLE` of a scheme's input, the checks that data loaded
//! into it is valid, and the names of the output columns.

use super::{additions, ident, table_name, Dialect};
use rubric_check::hir::{FieldDef, Model, Ty};

/// The SQL type of an input field's column, decimals with `places` places.
pub fn column_type(field: &FieldDef, dialect: Dialect, places: u32) -> String {
    match (&field.ty, dialect) {
        (Ty::Text, Dialect::DuckDb) => "VARCHAR".into(),
        (Ty::Text, Dialect::Postgres) => "TEXT".into(),
        (Ty::Text, Dialect::Spark) => "STRING".into(),
        (Ty::Int, _) => "BIGINT".into(),
        (Ty::Decimal, Dialect::Postgres) => "NUMERIC".into(),
        (Ty::Decimal, _) => format!("DECIMAL(38,{places})"),
        (Ty::Bool, _) => "BOOLEAN".into(),
        (Ty::Date, _) => "DATE".into(),
        // a grade-typed field holds a code or a label
        (Ty::Grade(_), Dialect::DuckDb) => "VARCHAR".into(),
        (Ty::Grade(_), Dialect::Spark) => "STRING".into(),
        _ => "TEXT".into(),
    }
}

/// `CREATE TABLE` for a table the scheme can read: one column per input field, named by its
/// column header, in declaration order, decimals with `places` places.
///
/// In DuckDB and PostgreSQL the table cannot hold a row that `rubric run` would reject or read
/// differently: every required field (one without `?`) is `NOT NULL`, the key is the `PRIMARY
/// KEY`, and a text column holds no blank value ([`not_blank`]: `rubric run` reads a cell of only
/// spaces, tabs and line breaks as empty). Spark SQL enforces no constraint, so there the
/// statement is preceded by the [`check_queries`] to run instead, as comments.
pub fn create_table(model: &Model, table: &str, dialect: Dialect, places: u32) -> String {
    let spark = dialect == Dialect::Spark;
    let mut cols: Vec<String> = model
        .fields
        .iter()
        .map(|f| {
            let col = ident(&f.column, dialect);
            let mut line = format!("  {col} {}", column_type(f, dialect, places));
            if !spark {
                if !f.optional {
                    line.push_str(" NOT NULL");
                }
                if f.ty == Ty::Text {
                    line.push_str(&format!(" CHECK ({})", not_blank(&col, dialect)));
                }
                if let Some(codes) = &f.codes {
                    line.push_str(&format!(
                        " CHECK ({})",
                        additions::is_code_cell(&col, codes, dialect)
                    ));
                }
            }
            line
        })
        .collect();
    let key = model.key.and_then(|k| model.fields.get(k));
    if let (false, Some(k)) = (spark, key) {
        cols.push(format!("  PRIMARY KEY ({})", ident(&k.column, dialect)));
    }
    let mut out = String::new();
    if spark {
        out.push_str(
            "-- Spark SQL enforces neither NOT NULL nor a key: before running the query, check that\n\
             -- these return no rows (a repeated key; a missing required value or a blank text)\n",
        );
        for q in check_queries(model, table, dialect) {
            let lines: Vec<String> = q.lines().map(|l| format!("--   {l}")).collect();
            out.push_str(&lines.join("\n"));
            out.push_str(";\n");
        }
    }
    out.push_str(&format!(
        "CREATE TABLE {} (\n{}\n)",
        table_name(table, dialect),
        cols.join(",\n")
    ));
    out
}

/// A condition that holds where text column `col` holds a character other than a space, a tab
/// or a line break: a blank cell is empty to `rubric run` (missing, or a rejected row where the
/// field is required), so a table must hold `NULL` there.
pub fn not_blank(col: &str, dialect: Dialect) -> String {
    const NON_BLANK: &str = r"'[^ \t\r\n]'";
    match dialect {
        Dialect::DuckDb => format!("regexp_matches({col}, {NON_BLANK})"),
        Dialect::Postgres => format!("{col} ~ {NON_BLANK}"),
        Dialect::Spark => format!("{col} RLIKE {NON_BLANK}"),
    }
}

/// Two queries (without a final `;`) that return the rows of `table` that `rubric run` would reject or read
/// differently, for a table without the constraints of [`create_table`] (any Spark table): the
/// keys held by more than one row, and the rows with a missing required value or a blank text.
/// Both return no rows for a table the query reads exactly as `rubric run` reads the file.
pub fn check_queries(model: &Model, table: &str, dialect: Dialect) -> Vec<String> {
    let t = table_name(table, dialect);
    let mut out = Vec::new();
    if let Some(k) = model.key.and_then(|k| model.fields.get(k)) {
        let key = ident(&k.column, dialect);
        out.push(format!(
            "SELECT {key}, COUNT(*) AS {} FROM {t} GROUP BY {key} HAVING COUNT(*) > 1",
            ident("rows", dialect)
        ));
    }
    let mut bad = Vec::new();
    for f in &model.fields {
        let col = ident(&f.column, dialect);
        match (f.optional, f.ty == Ty::Text) {
            (false, true) => bad.push(format!(
                "{col} IS NULL OR NOT ({})",
                not_blank(&col, dialect)
            )),
            (false, false) => bad.push(format!("{col} IS NULL")),
            (true, true) => bad.push(format!("NOT ({})", not_blank(&col, dialect))),
            (true, false) => {}
        }
        if let Some(codes) = &f.codes {
            bad.push(format!(
                "NOT ({})",
                additions::is_code_cell(&col, codes, dialect)
            ));
        }
    }
    if !bad.is_empty() {
        out.push(format!("SELECT * FROM {t}\nWHERE {}", bad.join("\n   OR ")));
    }
    out
}

/// The output column names of the query, in order: the key's column header, then the items.
pub fn output_columns(model: &Model, all: bool) -> Vec<String> {
    let mut cols = Vec::new();
    if let Some(k) = model.key.and_then(|k| model.fields.get(k)) {
        cols.push(k.column.clone());
    }
    for it in &model.items {
        if all || it.is_output() {
            cols.push(it.name.clone());
        }
    }
    cols
}
