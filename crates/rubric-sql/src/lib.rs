//! Rubric's SQL backend: a checked [`Model`] compiled to one `SELECT` that computes, for every row
//! of a warehouse table, exactly what `rubric run` computes for a customer: the key, then every
//! score, grade and tags (with [`Options::all`], every let and points too), in declaration order.
//!
//! The query is a chain of common table expressions. The first reads the table and gives every
//! input field its canonical type; each later one adds the columns whose inputs are ready (lets,
//! points, scores, grades, tags, and the window functions of the population functions), so a value
//! is computed once and read by name.
//!
//! Numbers follow the evaluator's exact decimals:
//! - decimal fields are read as `DECIMAL(38, 6)` ([`INPUT_SCALE`], or [`Options::decimal_places`]);
//!   every number is a `DECIMAL(38, s)` whose scale `s` is known statically, so `+ - *` are exact
//!   (an overflow is an error, never a silent rounding) and no engine falls back to binary
//!   floating point;
//! - a division is the exact quotient rounded half away from zero to [`DIV_SCALE`] places, once,
//!   as the evaluator rounds it (`rubric_syntax::decimal::div`; see `docs/warehouse.md`);
//! - PostgreSQL uses `NUMERIC` without a precision, so its `+ - *` are exact at any size.

use rubric_check::hir::{
    ArithOp, Builtin, CmpOp, FieldDef, GradeDef, ItemId, ItemKind, Model, PopFunc, TExpr,
    TExprKind, Ty,
};
use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::date::{Date, Duration, DurationUnit};
use rubric_syntax::{Decimal, Diagnostic, Span};
use std::fmt;

/// The smaller v2 additions (`within next`, `count_true`, `substr`), kept in their own file.
mod additions;
mod dbt;
mod emit;
mod events;
mod histogram;

pub use dbt::dbt_schema;
pub use emit::{emit, Emit};
pub use histogram::PopPlan;

/// The scale decimal input fields are read with, unless [`Options::decimal_places`] says otherwise.
pub const INPUT_SCALE: u32 = 6;
/// The most places a decimal input field can be read with.
pub const MAX_INPUT_SCALE: u32 = 12;
/// The scale of a division result (and of `mean`, `top_share` and `cumulative_share`).
pub const DIV_SCALE: u32 = rubric_syntax::decimal::DIV_PLACES;
/// The most places a number in the query has: those of `DECIMAL(38, s)`, and of `rubric run`'s
/// decimals. A product whose operands have more between them is refused, never rounded.
pub const MAX_SCALE: u32 = rubric_syntax::decimal::MAX_SCALE;

/// The SQL engine to write for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::DuckDb, Dialect::Postgres, Dialect::Spark];
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
        }
    }
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to compile.
#[derive(Clone, Debug)]
pub struct Options {
    pub dialect: Dialect,
    /// The table to read, as written (`sales.customers` is schema `sales`, table `customers`).
    pub table: String,
    /// The evaluation date; `None` takes the scheme's `as_of`, else the engine's `CURRENT_DATE`.
    pub as_of: Option<Date>,
    /// Every let and points too, as `rubric run --all`.
    pub all: bool,
    /// The places decimal fields are read with (DuckDB and Spark; PostgreSQL's `NUMERIC` keeps
    /// every place): [`INPUT_SCALE`] by default, at most [`MAX_INPUT_SCALE`].
    pub decimal_places: u32,
    /// The table of each `events` block, as written. With events, an empty `table` means the
    /// customers are the distinct keys of the events.
    pub events: Vec<(rubric_check::hir::EventsId, String)>,
    /// A raw relation for an `events` block (a dbt `ref`), written as it is; it wins over the
    /// block's entry in `events`.
    pub events_from: Vec<(rubric_check::hir::EventsId, String)>,
    /// A relation to read instead of `table`, written into the query as it is (a dbt `ref`, a
    /// subquery): `FROM <from> AS "rubric_input"`.
    pub from: Option<String>,
    /// A SQL date expression for the evaluation date (a dbt `var`, an Airflow `{{ ds }}`,
    /// `CURRENT_DATE`), written into the query as `CAST((<expr>) AS DATE)`; it overrides `as_of`
    /// and the scheme's `as_of`.
    pub as_of_expr: Option<String>,
    /// The warehouse column of input fields whose column is not named by the scheme's header:
    /// (field name or column header, warehouse column).
    pub columns: Vec<(String, String)>,
    /// How `rank`, `top_share` and `cumulative_share` over the whole population are computed.
    pub plan: PopPlan,
}

impl Options {
    /// Options for `table` in `dialect`: the scheme's date, the output columns, 6 places.
    pub fn new(dialect: Dialect, table: impl Into<String>) -> Options {
        Options {
            dialect,
            table: table.into(),
            as_of: None,
            all: false,
            decimal_places: INPUT_SCALE,
            events: Vec::new(),
            events_from: Vec::new(),
            from: None,
            as_of_expr: None,
            columns: Vec::new(),
            plan: PopPlan::Auto,
        }
    }

    /// The warehouse column of each input field: its header, unless [`Options::columns`] maps it.
    pub fn field_columns(&self, model: &Model) -> Result<Vec<String>, Error> {
        let mut cols: Vec<String> = model.fields.iter().map(|f| f.column.clone()).collect();
        for (field, col) in &self.columns {
            let Some(i) = model
                .fields
                .iter()
                .position(|f| f.name == *field)
                .or_else(|| model.fields.iter().position(|f| f.column == *field))
            else {
                return err(format!("the scheme has no input field `{field}`"));
            };
            if col.is_empty() {
                return err(format!("the column of `{field}` is empty"));
            }
            cols[i] = col.clone();
        }
        Ok(cols)
    }
}

/// A scheme that cannot be compiled; the message is lowercase and names user things in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A construct or option `rubric sql` cannot compile.
    Unsupported(String),
    /// A spot in the scheme the query could not compute exactly as `rubric run` does, at its
    /// span in the scheme.
    Scheme(Box<Diagnostic>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported(m) => f.write_str(m),
            Error::Scheme(d) => f.write_str(&d.message),
        }
    }
}

impl std::error::Error for Error {}

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

/// Compiles a checked scheme (one without errors) into one `SELECT`.
pub fn compile(model: &Model, opts: &Options) -> Result<String, Error> {
    rubric_syntax::stack::guarded(|| compile_here(model, opts))
}

fn compile_here(model: &Model, opts: &Options) -> Result<String, Error> {
    let d = opts.dialect;
    if opts.decimal_places > MAX_INPUT_SCALE {
        return err(format!(
            "decimal fields can be read with at most {MAX_INPUT_SCALE} places"
        ));
    }
    let key = model
        .key
        .and_then(|k| model.fields.get(k))
        .ok_or_else(|| Error::Unsupported("the scheme has no `key` field".into()))?;
    let as_of = match opts.as_of_expr {
        Some(_) => None,
        None => opts.as_of.or(model.as_of),
    };
    let today = match (as_of, &opts.as_of_expr) {
        (_, Some(e)) => format!("CAST(({e}) AS DATE)"),
        (Some(date), None) => format!("DATE '{date}'"),
        (None, None) => "CURRENT_DATE".into(),
    };
    let columns = opts.field_columns(model)?;
    let mut g = Gen {
        m: model,
        d,
        today,
        as_of,
        places: opts.decimal_places,
        stages: vec![Vec::new()],
        items: vec![None; model.items.len()],
        pops: vec![None; model.pops.len()],
        aux: 0,
        field_cols: Vec::new(),
        item_cols: Vec::new(),
        event_block: None,
        aggs: Vec::new(),
        plan: opts.plan.resolve(d),
        helpers: vec![Vec::new()],
        joins: vec![Vec::new()],
    };
    let mut seen = std::collections::HashSet::new();
    let mut internal = |name: &str| {
        let mut col = name.to_string();
        let mut k = 1;
        while !seen.insert(col.to_lowercase()) {
            k += 1;
            col = format!("{name}__{k}");
        }
        col
    };
    g.field_cols = model.fields.iter().map(|f| internal(&f.name)).collect();
    g.item_cols = model.items.iter().map(|i| internal(&i.name)).collect();
    for (fi, f) in model.fields.iter().enumerate() {
        let src = ident(&columns[fi], d);
        let sql = match f.ty {
            Ty::Int => format!("CAST({src} AS {})", g.dec(0)),
            Ty::Decimal => format!("CAST({src} AS {})", g.dec(g.places)),
            _ => src,
        };
        g.stages[0].push((g.field_cols[fi].clone(), sql));
    }
    // (a raw `--from` is aliased: a subquery must be, in PostgreSQL before 16)
    let relation = match &opts.from {
        Some(raw) => Some(raw.trim().to_string()),
        None => Some(opts.table.as_str())
            .filter(|t| !t.trim().is_empty())
            .map(|t| table_name(t, d)),
    };
    let from = if model.events.is_empty() {
        match (relation, &opts.from) {
            (Some(r), Some(_)) => format!("{r} AS {}", ident("rubric_input", d)),
            (Some(r), None) => r,
            (None, _) => return err("no table to read: name the customers' table"),
        }
    } else {
        let key_col = model.key.and_then(|k| columns.get(k)).map(|c| ident(c, d));
        g.events_from(relation, key_col, &opts.events, &opts.events_from)?
    };
    for &id in &model.order {
        g.item(id)?;
    }
    let mut sql = String::new();
    let scheme = model
        .name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    match (as_of, &opts.as_of_expr) {
        (_, Some(_)) => sql.push_str(&format!(
            "-- rubric sql{scheme} for {d}, as of the date `--as-of-expr` gives\n"
        )),
        (Some(date), None) => {
            sql.push_str(&format!("-- rubric sql{scheme} for {d}, as of {date}\n"))
        }
        (None, None) => sql.push_str(&format!(
            "-- rubric sql{scheme} for {d}, as of the current date\n"
        )),
    }
    if d == Dialect::Spark {
        sql.push_str(
            "-- run with spark.sql.decimalOperations.allowPrecisionLoss=false and spark.sql.ansi.enabled=true:\n\
             -- otherwise Spark rounds decimal products to 6 places and turns overflows into NULL\n",
        );
    }
    let last = g.stages.len() - 1;
    sql.push_str("WITH\n");
    for (i, stage) in g.stages.iter().enumerate() {
        for (name, body) in g.helpers.get(i).into_iter().flatten() {
            sql.push_str(&format!("  {} AS (\n{body}\n  ),\n", ident(name, d)));
        }
        let cols: Vec<String> = stage
            .iter()
            .map(|(name, e)| format!("    {e} AS {}", ident(name, d)))
            .collect();
        if i == 0 {
            sql.push_str(&format!(
                "  {} AS (\n  SELECT\n{}\n  FROM {}\n  )",
                stage_name(0, d),
                cols.join(",\n"),
                from
            ));
        } else {
            let joins: String = g.joins.get(i).into_iter().flatten().cloned().collect();
            sql.push_str(&format!(
                "  {} AS (\n  SELECT\n    *,\n{}\n  FROM {}{joins}\n  )",
                stage_name(i, d),
                cols.join(",\n"),
                stage_name(i - 1, d)
            ));
        }
        sql.push_str(if i == last { "\n" } else { ",\n" });
    }
    let mut outs = vec![format!(
        "  {} AS {}",
        ident(
            model
                .key
                .and_then(|k| g.field_cols.get(k))
                .map_or(&key.name, |c| c),
            d
        ),
        ident(&key.column, d)
    )];
    for (i, it) in model.items.iter().enumerate() {
        if opts.all || it.is_output() {
            let col = &g.item_cols[i];
            if *col == it.name {
                outs.push(format!("  {}", ident(col, d)));
            } else {
                outs.push(format!("  {} AS {}", ident(col, d), ident(&it.name, d)));
            }
        }
    }
    sql.push_str(&format!(
        "SELECT\n{}\nFROM {}\n",
        outs.join(",\n"),
        stage_name(last, d)
    ));
    Ok(sql)
}

fn stage_name(i: usize, d: Dialect) -> String {
    ident(&format!("rubric_{i}"), d)
}

/// A quoted identifier.
pub fn ident(name: &str, d: Dialect) -> String {
    match d {
        Dialect::Spark => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A table name, each dot-separated part quoted.
pub fn table_name(table: &str, d: Dialect) -> String {
    table
        .split('.')
        .map(|p| ident(p, d))
        .collect::<Vec<_>>()
        .join(".")
}

/// A string literal.
pub fn text_literal(s: &str, d: Dialect) -> String {
    match d {
        Dialect::Spark => {
            let mut out = String::from("'");
            for c in s.chars() {
                match c {
                    '\'' => out.push_str("\\'"),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        _ => format!("'{}'", s.replace('\'', "''")),
    }
}

/// A duration: known when the query is written, or computed per row (its text, `NULL` where it
/// is missing, and every duration it can hold).
enum Dur {
    Known(Duration),
    Computed { text: E, leaves: Vec<Duration> },
}

/// A compiled expression: its SQL, the scale of a number, and the first stage that can compute
/// it (every column it reads is made in an earlier stage).
#[derive(Clone, Debug)]
struct E {
    sql: String,
    scale: u32,
    ready: usize,
}

impl E {
    fn new(sql: String, scale: u32, ready: usize) -> E {
        E { sql, scale, ready }
    }
}

struct Gen<'m> {
    m: &'m Model,
    d: Dialect,
    today: String,
    as_of: Option<Date>,
    /// The places of decimal fields.
    places: u32,
    /// Stage 0 reads the table; stage i > 0 adds its columns to stage i - 1.
    stages: Vec<Vec<(String, String)>>,
    /// The stage after which each item is readable, and its numeric scale.
    items: Vec<Option<(usize, u32)>>,
    pops: Vec<Option<E>>,
    aux: usize,
    /// The column of each field and item inside the query: its name, unless another name differs
    /// from it only in case (DuckDB and Spark match quoted identifiers case-insensitively).
    field_cols: Vec<String>,
    item_cols: Vec<String>,
    /// Inside an aggregate over events: the block whose fields are in scope.
    event_block: Option<rubric_check::hir::EventsId>,
    /// The stage-0 column of each aggregate over events.
    aggs: Vec<E>,
    /// The plan of whole-population ranks and shares (never `Auto`).
    plan: PopPlan,
    /// Common table expressions written just before stage i (they read stage i - 1), and the
    /// joins of stage i's `FROM` (see `histogram.rs`).
    helpers: Vec<Vec<(String, String)>>,
    joins: Vec<Vec<String>>,
}

fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error::Unsupported(msg.into()))
}

impl Gen<'_> {
    /// The numeric type of scale `s`.
    fn dec(&self, s: u32) -> String {
        match self.d {
            Dialect::Postgres => "NUMERIC".into(),
            _ => format!("DECIMAL(38,{s})"),
        }
    }

    /// Adds a column to stage `stage` and returns a reference to it.
    fn place(&mut self, stage: usize, name: String, sql: String, scale: u32) -> E {
        let stage = stage.max(1);
        while self.stages.len() <= stage {
            self.stages.push(Vec::new());
            self.helpers.push(Vec::new());
            self.joins.push(Vec::new());
        }
        self.stages[stage].push((name.clone(), sql));
        E::new(ident(&name, self.d), scale, stage + 1)
    }

    fn fresh(&mut self, what: &str) -> String {
        self.aux += 1;
        format!("__{what}{}", self.aux)
    }

    /// `e` as its own column, unless it already is one or a literal.
    fn hoist(&mut self, e: E, what: &str) -> E {
        let simple = e.sql.starts_with(['"', '`']) && !e.sql.contains(' ');
        if simple {
            return e;
        }
        let name = self.fresh(what);
        let (ready, scale) = (e.ready, e.scale);
        self.place(ready, name, e.sql, scale)
    }

    /// `e` as its own column when its SQL is long (see [`Gen::hoist`]): for an operand a
    /// construct reads more than once.
    fn hoist_long(&mut self, e: E, what: &str) -> E {
        if e.sql.len() > 64 {
            self.hoist(e, what)
        } else {
            e
        }
    }

    /// Rescales a number to `s` (only ever upwards, which is exact).
    fn rescale(&self, e: &E, s: u32) -> String {
        if e.scale == s || self.d == Dialect::Postgres {
            e.sql.clone()
        } else {
            format!("CAST({} AS {})", e.sql, self.dec(s))
        }
    }

    /// A number literal as a `DECIMAL(38, s)`, `s` at least its own scale.
    fn num_lit_at(&self, v: Decimal, s: u32) -> String {
        format!("CAST({} AS {})", v, self.dec(s.max(v.scale())))
    }

    fn num_lit(&self, v: Decimal) -> E {
        let s = v.scale();
        E::new(format!("CAST({} AS {})", v, self.dec(s)), s, 1)
    }

    fn item(&mut self, id: ItemId) -> Result<(), Error> {
        let m = self.m;
        let Some(it) = m.items.get(id) else {
            return Ok(());
        };
        let name = self.item_cols[id].clone();
        let (ready, scale) = match &it.kind {
            ItemKind::Let { value } => {
                let e = self.expr(value, None)?;
                let r = self.place(e.ready, name, e.sql, e.scale);
                (r.ready, r.scale)
            }
            ItemKind::Points { by, rules } => {
                let subject = self.subject(by.as_ref())?;
                let scale = rules.iter().map(|r| r.value.scale()).max().unwrap_or(0);
                let arms: Vec<_> = rules
                    .iter()
                    .map(|r| (r.cond.as_ref(), self.num_lit_at(r.value, scale)))
                    .collect();
                let (sql, ready) = self.case(arms, subject.as_ref())?;
                let r = self.place(ready, name, sql, scale);
                (r.ready, scale)
            }
            ItemKind::Score { terms, bonuses } => {
                let mut total: Option<E> = None;
                for t in terms {
                    let e = self.expr(&t.expr, None)?;
                    let w = self.num_lit(t.weight);
                    let mut p = self.mul(e, w, t.span)?;
                    if let Some(b) = &t.bonus {
                        let f = self.bonus(b.factor, &b.cond)?;
                        p = self.mul(p, f, b.span)?;
                    }
                    total = Some(match total {
                        None => p,
                        Some(acc) => self.add_sub(acc, p, "+"),
                    });
                }
                let mut total = match total {
                    Some(t) => t,
                    None => self.num_lit(Decimal::ZERO),
                };
                for b in bonuses {
                    let f = self.bonus(b.factor, &b.cond)?;
                    total = self.mul(total, f, b.span)?;
                }
                let r = self.place(total.ready, name, total.sql, total.scale);
                (r.ready, r.scale)
            }
            ItemKind::Grade(gd) if gd.is_tags => {
                let (r, s) = self.tags(id, gd)?;
                (r, s)
            }
            ItemKind::Grade(gd) => {
                let subject = self.subject(gd.by.as_ref())?;
                let arms: Vec<_> = gd
                    .codes
                    .iter()
                    .map(|c| (c.cond.as_ref(), text_literal(&c.name, self.d)))
                    .collect();
                let (sql, ready) = self.case(arms, subject.as_ref())?;
                let r = self.place(ready, name, sql, 0);
                (r.ready, 0)
            }
        };
        if let Some(slot) = self.items.get_mut(id) {
            *slot = Some((ready, scale));
        }
        Ok(())
    }

    /// The column holding whether tag `code` of `tags` is set.
    fn tag_column(&self, tags: ItemId, code: usize) -> String {
        let cname = self
            .m
            .grade(tags)
            .and_then(|g| g.codes.get(code))
            .map_or("?", |c| c.name.as_str());
        format!("__{}__{}", self.item_cols[tags], cname)
    }

    fn tags(&mut self, id: ItemId, gd: &GradeDef) -> Result<(usize, u32), Error> {
        let subject = self.subject(gd.by.as_ref())?;
        let mut flags = Vec::new();
        let mut others = Vec::new();
        let mut otherwise = Vec::new();
        for (i, c) in gd.codes.iter().enumerate() {
            let col = self.tag_column(id, i);
            match &c.cond {
                Some(cond) => {
                    let e = self.expr(cond, subject.as_ref())?;
                    let r = self.place(e.ready, col, format!("COALESCE({}, FALSE)", e.sql), 0);
                    others.push(r.clone());
                    flags.push((i, r));
                }
                None => otherwise.push((i, col)),
            }
        }
        for (i, col) in otherwise {
            let ready = others.iter().map(|o| o.ready).max().unwrap_or(1);
            let sql = if others.is_empty() {
                "TRUE".to_string()
            } else {
                format!(
                    "NOT ({})",
                    others
                        .iter()
                        .map(|o| o.sql.clone())
                        .collect::<Vec<_>>()
                        .join(" OR ")
                )
            };
            let r = self.place(ready, col, sql, 0);
            flags.push((i, r));
        }
        flags.sort_by_key(|(i, _)| *i);
        let ready = flags.iter().map(|(_, f)| f.ready).max().unwrap_or(1);
        let parts: Vec<String> = flags
            .iter()
            .map(|(i, f)| {
                format!(
                    "CASE WHEN {} THEN {} END",
                    f.sql,
                    text_literal(&gd.codes[*i].name, self.d)
                )
            })
            .collect();
        let sql = if parts.is_empty() {
            "''".to_string()
        } else {
            format!("concat_ws(';', {})", parts.join(", "))
        };
        let name = self.item_cols[id].clone();
        let r = self.place(ready, name, sql, 0);
        Ok((r.ready, 0))
    }

    /// The subject of a `points`, `grade` or `tags … by`, computed once in its own column.
    fn subject(&mut self, by: Option<&TExpr>) -> Result<Option<E>, Error> {
        Ok(match by {
            Some(b) => {
                let e = self.expr(b, None)?;
                Some(self.hoist(e, "by"))
            }
            None => None,
        })
    }

    /// `CASE WHEN cond THEN value … END` over rules in order (a rule without a condition is
    /// `WHEN TRUE`), and the stage where every condition is ready.
    fn case(
        &mut self,
        arms: Vec<(Option<&TExpr>, String)>,
        subject: Option<&E>,
    ) -> Result<(String, usize), Error> {
        let mut ready = subject.map_or(1, |s| s.ready);
        let mut sql = String::from("CASE");
        for (cond, then) in arms {
            match cond {
                Some(c) => {
                    let c = self.expr(c, subject)?;
                    ready = ready.max(c.ready);
                    sql.push_str(&format!(" WHEN {} THEN {then}", c.sql));
                }
                None => sql.push_str(&format!(" WHEN TRUE THEN {then}")),
            }
        }
        sql.push_str(" END");
        Ok((sql, ready))
    }

    /// `CASE WHEN cond THEN factor ELSE 1 END`.
    fn bonus(&mut self, factor: Decimal, cond: &TExpr) -> Result<E, Error> {
        let c = self.expr(cond, None)?;
        let f = self.num_lit(factor);
        let s = f.scale;
        let one = self.num_lit_at(Decimal::ONE, s);
        Ok(E::new(
            format!("CASE WHEN {} THEN {} ELSE {one} END", c.sql, f.sql),
            s,
            c.ready,
        ))
    }

    fn add_sub(&mut self, a: E, b: E, op: &str) -> E {
        let s = a.scale.max(b.scale);
        let ready = a.ready.max(b.ready);
        E::new(format!("({} {op} {})", a.sql, b.sql), s, ready)
    }

    fn mul(&mut self, a: E, b: E, span: Span) -> Result<E, Error> {
        let ready = a.ready.max(b.ready);
        let scale = a.scale + b.scale;
        // Exact in every engine: DECIMAL(38, s₁ + s₂) in DuckDB and Spark, NUMERIC in PostgreSQL.
        // Beyond 38 places no engine's DECIMAL holds the product, and `rubric run` would round
        // it: refused, so that the query never differs from `rubric run` silently.
        if scale > MAX_SCALE {
            return Err(Error::Scheme(Box::new(
                Diagnostic::error(
                    "sql-too-many-places",
                    format!(
                        "this product can have {scale} decimal places ({} + {}), more than the \
                         {MAX_SCALE} a warehouse decimal holds",
                        a.scale, b.scale
                    ),
                    span,
                )
                .with_help(format!(
                    "round an operand, e.g. `round(x, {})`: a quotient has {DIV_SCALE} places, a \
                     `decimal` field {}",
                    MAX_SCALE.saturating_sub(a.scale.min(b.scale)).min(8),
                    self.places
                )),
            )));
        }
        Ok(E::new(format!("({} * {})", a.sql, b.sql), scale, ready))
    }

    /// `a / b`: missing when `b` is zero, else the quotient rounded half away from zero to
    /// DIV_SCALE places.
    fn div(&mut self, a: E, b: E) -> E {
        let p = DIV_SCALE;
        match self.d {
            Dialect::Postgres => {
                // NUMERIC division rounds its last place, so ROUND(a / b, 16) would round twice:
                // divide a * 10^16 by b with the exact, truncating div() and round with mod().
                let ready = a.ready.max(b.ready);
                let nn = self.fresh("num");
                let dn = self.fresh("den");
                let scaled = format!("({} * 1{})", a.sql, "0".repeat(p as usize));
                let n = self.place(ready, nn, scaled, 0).sql;
                let dd = self
                    .place(ready, dn, format!("NULLIF({}, 0)", b.sql), 0)
                    .sql;
                let q = format!(
                    "(div({n}, {dd}) + CASE WHEN 2 * abs(mod({n}, {dd})) >= abs({dd}) THEN sign({n}) * sign({dd}) ELSE 0 END)"
                );
                let unit = format!("0.{}1", "0".repeat(p as usize - 1));
                E::new(format!("({q} * {unit})"), p, ready + 1)
            }
            Dialect::Spark => {
                // Spark rounds a quotient to at least 18 places, and a cast to 16 would round it
                // again: take the 16 places below the quotient's magnitude, then add the last
                // one when the exact remainder |a| - f |b| is at least half of it.
                let ready = a.ready.max(b.ready);
                let (an, bn, qn) = (self.fresh("num"), self.fresh("den"), self.fresh("quo"));
                let a = self.place(ready, an, a.sql, a.scale);
                let b = self.place(ready, bn, format!("NULLIF({}, 0)", b.sql), b.scale);
                let q = self.place(
                    a.ready.max(b.ready),
                    qn,
                    format!("({} / {})", a.sql, b.sql),
                    0,
                );
                let ready = q.ready;
                let (a, b, q) = (a.sql, b.sql, q.sql);
                let f = format!("floor(abs({q}), {p})");
                let half = format!("0.{}5", "0".repeat(p as usize));
                let unit = format!("0.{}1", "0".repeat(p as usize - 1));
                E::new(
                    format!(
                        "CAST(CASE WHEN ({a} < 0) = ({b} < 0) THEN 1 ELSE -1 END * ({f} + CASE WHEN abs({a}) - {f} * abs({b}) >= abs({b}) * {half} THEN {unit} ELSE 0 END) AS {})",
                        self.dec(p)
                    ),
                    p,
                    ready,
                )
            }
            Dialect::DuckDb => {
                // DuckDB divides decimals in DOUBLE, so divide the unscaled integers (HUGEINT,
                // truncating) and round with the remainder.
                let (sa, sb) = (a.scale as i64, b.scale as i64);
                let k = sb + p as i64 - sa;
                // The unscaled integer of a DECIMAL(38, s). Multiplying by 10^s keeps the scale,
                // so it overflows once |x| reaches 10^(38 - 2s); for finer scales read the digits.
                let unscaled = |e: &E, s: i64| {
                    if s == 0 {
                        format!("CAST({} AS HUGEINT)", e.sql)
                    } else if s <= 6 {
                        format!("CAST({} * {} AS HUGEINT)", e.sql, pow10_hugeint(s))
                    } else {
                        format!(
                            "CAST(replace(CAST({} AS VARCHAR), '.', '') AS HUGEINT)",
                            e.sql
                        )
                    }
                };
                let mut n = unscaled(&a, sa);
                let mut dd = unscaled(&b, sb);
                if k > 0 {
                    n = format!("({n} * {})", pow10_hugeint(k));
                } else if k < 0 {
                    dd = format!("({dd} * {})", pow10_hugeint(-k));
                }
                let ready = a.ready.max(b.ready);
                let nn = self.fresh("num");
                let dn = self.fresh("den");
                let n = self.place(ready, nn, n, 0);
                let dd = self.place(ready, dn, format!("NULLIF({dd}, 0)"), 0);
                let (n, dd) = (n.sql, dd.sql);
                let q = format!(
                    "({n} // {dd} + CASE WHEN 2 * abs({n} % {dd}) >= abs({dd}) THEN CASE WHEN ({n} < 0) = ({dd} < 0) THEN 1 ELSE -1 END ELSE 0 END)"
                );
                let unit = format!("0.{}1", "0".repeat(p as usize - 1));
                E::new(
                    format!("(CAST({q} AS DECIMAL(38,0)) * CAST({unit} AS DECIMAL(38,{p})))"),
                    p,
                    ready + 1,
                )
            }
        }
    }

    /// `date ± dur`: a known duration shifts the date directly; a computed one is a `CASE` over
    /// its text with one arm per duration it can hold (no arm, `NULL`, where it is missing).
    fn date_shift(&mut self, date: E, dur: Dur, sign: i64) -> Result<E, Error> {
        match dur {
            Dur::Known(d) => self.date_add(&date, d, sign),
            Dur::Computed { text, leaves } => {
                // read once per arm: a column, a date literal or today, else hoisted
                let constant = date.sql.starts_with("DATE '") || date.sql == "CURRENT_DATE";
                let date = if constant {
                    date
                } else {
                    self.hoist(date, "date")
                };
                let mut sql = format!("CASE {}", text.sql);
                for d in leaves {
                    let shifted = self.date_add(&date, d, sign)?;
                    sql.push_str(&format!(
                        " WHEN {} THEN {}",
                        text_literal(&d.to_string(), self.d),
                        shifted.sql
                    ));
                }
                sql.push_str(" END");
                Ok(E::new(sql, 0, date.ready.max(text.ready)))
            }
        }
    }

    fn date_add(&self, date: &E, dur: Duration, sign: i64) -> Result<E, Error> {
        let (n, months) = match dur.unit {
            DurationUnit::Day => (dur.count, false),
            DurationUnit::Week => (dur.count * 7, false),
            DurationUnit::Month => (dur.count, true),
            DurationUnit::Year => (dur.count * 12, true),
        };
        let n = n * sign;
        let op = if n < 0 { "-" } else { "+" };
        let a = n.abs();
        let d = &date.sql;
        let sql = match (self.d, months) {
            (Dialect::DuckDb, false) => format!("CAST({d} {op} INTERVAL {a} DAY AS DATE)"),
            (Dialect::DuckDb, true) => format!("CAST({d} {op} INTERVAL {a} MONTH AS DATE)"),
            (Dialect::Postgres, false) => format!("({d} {op} {a})"),
            (Dialect::Postgres, true) => format!("CAST({d} {op} INTERVAL '{a} months' AS DATE)"),
            (Dialect::Spark, false) => format!("date_add({d}, {n})"),
            (Dialect::Spark, true) => format!("add_months({d}, {n})"),
        };
        Ok(E::new(sql, 0, date.ready))
    }

    /// The duration an expression stands for. A literal, or a `let` that holds one (`let window
    /// = 90d`, `let w = window`), is known when the query is written. Any other duration (`if vip
    /// then 30d else 90d`, `w ?? 7d`, a grade attribute) is computed per row as its text (`'30d'`,
    /// as `rubric run --all` prints it, `NULL` where it is missing), with every duration it can
    /// hold, so that a date shifted by it is a `CASE` over that text.
    fn duration(&mut self, e: &TExpr, subj: Option<&E>) -> Result<Dur, Error> {
        if let Some(d) = self.known_duration(e) {
            return Ok(Dur::Known(d));
        }
        let mut leaves = Vec::new();
        self.duration_leaves(e, &mut leaves, 0)?;
        let text = self.expr(e, subj)?;
        let text = self.hoist(text, "dur");
        Ok(Dur::Computed { text, leaves })
    }

    /// A duration written as a literal, or a chain of `let`s ending in one.
    fn known_duration(&self, e: &TExpr) -> Option<Duration> {
        let mut e = e;
        // lets cannot form cycles (the checker rejects them); the bound is only a guard
        for _ in 0..=self.m.items.len() {
            match &e.kind {
                TExprKind::Lit(Literal::Duration(d)) => return Some(*d),
                TExprKind::Item(i) => match self.m.items.get(*i).map(|it| &it.kind) {
                    Some(ItemKind::Let { value }) => e = value,
                    _ => return None,
                },
                _ => return None,
            }
        }
        None
    }

    /// Every duration `e` can hold, each once, in the order they are written.
    fn duration_leaves(
        &self,
        e: &TExpr,
        out: &mut Vec<Duration>,
        depth: usize,
    ) -> Result<(), Error> {
        // lets cannot form cycles (the checker rejects them); the bound is only a guard
        if depth > self.m.items.len() + 64 {
            return err("a duration nests too deeply");
        }
        let add = |d: Duration, out: &mut Vec<Duration>| {
            if !out.contains(&d) {
                out.push(d);
            }
        };
        match &e.kind {
            TExprKind::Lit(Literal::Duration(d)) => add(*d, out),
            // no duration: the `CASE` over the leaves gives NULL, as `rubric run` gives missing
            TExprKind::Missing => {}
            TExprKind::Item(i) => match self.m.items.get(*i).map(|it| &it.kind) {
                Some(ItemKind::Let { value }) => self.duration_leaves(value, out, depth + 1)?,
                _ => return err("`rubric sql` cannot compile this duration"),
            },
            TExprKind::If(_, a, b) | TExprKind::Coalesce(a, b) => {
                self.duration_leaves(a, out, depth + 1)?;
                self.duration_leaves(b, out, depth + 1)?;
            }
            TExprKind::Attr { grade, attr, .. } => {
                let Some(gd) = self.m.grade(*grade) else {
                    return err("unknown grade");
                };
                for c in &gd.codes {
                    if let Some(Literal::Duration(d)) = c.attrs.get(*attr) {
                        add(*d, out);
                    }
                }
            }
            _ => {
                return err(
                    "`rubric sql` compiles a duration written as a literal, a `let`, `if`, `??` or a grade attribute",
                )
            }
        }
        Ok(())
    }

    /// Whole days from `b` to `a`, as a number.
    fn days_between(&self, a: &str, b: &str) -> String {
        let inner = match self.d {
            Dialect::DuckDb => format!("date_diff('day', {b}, {a})"),
            Dialect::Postgres => format!("({a} - {b})"),
            Dialect::Spark => format!("datediff({a}, {b})"),
        };
        format!("CAST({inner} AS {})", self.dec(0))
    }

    fn part(&self, d: &str, what: &str) -> String {
        match self.d {
            Dialect::Postgres => format!("EXTRACT({} FROM {d})", what.to_uppercase()),
            Dialect::Spark if what == "day" => format!("dayofmonth({d})"),
            _ => format!("{what}({d})"),
        }
    }

    /// Whole calendar months from `d` to today, counted like an age.
    fn months_since(&self, d: &str) -> String {
        let t = &self.today;
        // With a known evaluation date, its parts are constants.
        let (ty, tm, td) = match self.as_of {
            Some(date) => {
                let (y, m, d) = date.ymd();
                (y.to_string(), m.to_string(), d.to_string())
            }
            None => (
                self.part(t, "year"),
                self.part(t, "month"),
                self.part(t, "day"),
            ),
        };
        let m = format!(
            "(({ty} - {}) * 12 + ({tm} - {}))",
            self.part(d, "year"),
            self.part(d, "month")
        );
        let (dt, dd) = (td, self.part(d, "day"));
        format!("({m} - CASE WHEN {m} > 0 AND {dt} < {dd} THEN 1 WHEN {m} < 0 AND {dt} > {dd} THEN -1 ELSE 0 END)")
    }

    fn call(&mut self, b: Builtin, args: &[TExpr], subj: Option<&E>) -> Result<E, Error> {
        let mut es = Vec::new();
        for a in args {
            es.push(self.expr(a, subj)?);
        }
        let ready = es.iter().map(|e| e.ready).max().unwrap_or(1);
        let arg = |i: usize| {
            es.get(i)
                .map(|e| e.sql.clone())
                .unwrap_or_else(|| "NULL".into())
        };
        let d = self.d;
        if matches!(b, Builtin::CountTrue | Builtin::Substr) {
            return Ok(self.call_v2(b, args, es, ready));
        }
        let sql = match b {
            Builtin::DaysSince => self.days_between(&self.today, &arg(0)),
            Builtin::MonthsSince => {
                format!("CAST({} AS {})", self.months_since(&arg(0)), self.dec(0))
            }
            Builtin::YearsSince => {
                let m = self.months_since(&arg(0));
                let y = match d {
                    Dialect::DuckDb => format!("({m} // 12)"),
                    Dialect::Postgres => format!("TRUNC({m} / 12)"),
                    Dialect::Spark => format!("({m} div 12)"),
                };
                format!("CAST({y} AS {})", self.dec(0))
            }
            Builtin::Year => format!("CAST({} AS {})", self.part(&arg(0), "year"), self.dec(0)),
            Builtin::MonthStart => format!("CAST(DATE_TRUNC('month', {}) AS DATE)", arg(0)),
            Builtin::StartsWith => match d {
                Dialect::Spark => format!("startswith({}, {})", arg(0), arg(1)),
                _ => format!("starts_with({}, {})", arg(0), arg(1)),
            },
            Builtin::EndsWith => match d {
                Dialect::Spark => format!("endswith({}, {})", arg(0), arg(1)),
                Dialect::DuckDb => format!("ends_with({}, {})", arg(0), arg(1)),
                Dialect::Postgres => {
                    format!("(right({0}, char_length({1})) = {1})", arg(0), arg(1))
                }
            },
            Builtin::Contains => match d {
                Dialect::Postgres => format!("(strpos({}, {}) > 0)", arg(0), arg(1)),
                _ => format!("contains({}, {})", arg(0), arg(1)),
            },
            Builtin::Lower => format!("lower({})", arg(0)),
            Builtin::Upper => format!("upper({})", arg(0)),
            Builtin::Len => match d {
                Dialect::DuckDb => format!("CAST(length({}) AS {})", arg(0), self.dec(0)),
                _ => format!("CAST(char_length({}) AS {})", arg(0), self.dec(0)),
            },
            Builtin::Min | Builtin::Max => {
                let (a, c) = match (es.first(), es.get(1)) {
                    (Some(a), Some(c)) => (a.clone(), c.clone()),
                    _ => return err("`min` and `max` take two arguments"),
                };
                // each operand is read three times below: a long one is read from its own
                // column, or nested `min`s would grow the query threefold a level
                let (a, c) = (self.hoist_long(a, "min"), self.hoist_long(c, "min"));
                let ready = ready.max(a.ready).max(c.ready);
                let numeric = args.first().is_some_and(|x| x.ty.is_numeric());
                let s = a.scale.max(c.scale);
                let (x, y) = if numeric {
                    (self.rescale(&a, s), self.rescale(&c, s))
                } else {
                    (a.sql, c.sql)
                };
                let op = if b == Builtin::Min { "<=" } else { ">=" };
                return Ok(E::new(
                    format!("CASE WHEN {x} IS NULL OR {y} IS NULL THEN NULL WHEN {x} {op} {y} THEN {x} ELSE {y} END"),
                    if numeric { s } else { 0 },
                    ready,
                ));
            }
            Builtin::Abs => {
                return Ok(E::new(
                    format!("abs({})", arg(0)),
                    es.first().map_or(0, |e| e.scale),
                    ready,
                ))
            }
            Builtin::Round => {
                let digits = match args.get(1).map(|a| &a.kind) {
                    Some(TExprKind::Lit(Literal::Int(n))) => {
                        u32::try_from(n.mantissa()).unwrap_or(0)
                    }
                    _ => return err("the digits of `round` must be a whole number literal"),
                };
                let s = es.first().map_or(0, |e| e.scale);
                let t = digits.min(s);
                return Ok(E::new(
                    format!("CAST(round({}, {digits}) AS {})", arg(0), self.dec(t)),
                    t,
                    ready,
                ));
            }
            Builtin::CountTrue | Builtin::Substr => return err("handled by `call_v2`"),
        };
        Ok(E::new(sql, 0, ready))
    }

    fn pop(&mut self, id: usize) -> Result<E, Error> {
        if let Some(Some(e)) = self.pops.get(id) {
            return Ok(e.clone());
        }
        let m = self.m;
        let Some(pd) = m.pops.get(id) else {
            return err("unknown population function");
        };
        let x = match &pd.arg {
            Some(a) => {
                let e = self.expr(a, None)?;
                Some((self.hoist(e, "arg"), a.ty.clone()))
            }
            None => None,
        };
        let w = match &pd.within {
            Some(w) => {
                let e = self.expr(w, None)?;
                Some(self.hoist(e, "within"))
            }
            None => None,
        };
        let mut ready = w.as_ref().map_or(1, |w| w.ready);
        if let Some((x, _)) = &x {
            ready = ready.max(x.ready);
        }
        let part = |extra: Option<&str>| {
            let mut ps = Vec::new();
            if let Some(w) = &w {
                ps.push(w.sql.clone());
            }
            if let Some(e) = extra {
                ps.push(format!("({e} IS NULL)"));
            }
            if ps.is_empty() {
                String::new()
            } else {
                format!("PARTITION BY {}", ps.join(", "))
            }
        };
        let dec0 = self.dec(0);
        // An aggregate over everyone (or over the partition). Spark runs a window without
        // PARTITION BY in a single task, so there it is a scalar subquery, computed once.
        let prev = stage_name(ready.max(1) - 1, self.d);
        let spark_global = self.d == Dialect::Spark && w.is_none();
        let histogram = w.is_none() && self.plan == PopPlan::Histogram;
        let over_all = |agg: String| {
            if spark_global {
                format!("(SELECT {agg} FROM {prev})")
            } else {
                format!("{agg} OVER ({})", part(None))
            }
        };
        let e = match (pd.func, &x) {
            (PopFunc::Count, _) => {
                let name = self.fresh("pop");
                self.place(
                    ready,
                    name,
                    format!("CAST({} AS {dec0})", over_all("COUNT(*)".into())),
                    0,
                )
            }
            (_, None) => return err(format!("`{}` needs an argument", pd.func.name())),
            (f, Some((x, ty))) => {
                let xs = x.sql.clone();
                let guard = |s: String| format!("CASE WHEN {xs} IS NULL THEN NULL ELSE {s} END");
                let ordered = format!("{} ORDER BY {xs} DESC", part(Some(&xs)));
                match f {
                    PopFunc::Total | PopFunc::MinOf | PopFunc::MaxOf => {
                        let agg = match f {
                            PopFunc::Total => "SUM",
                            PopFunc::MinOf => "MIN",
                            _ => "MAX",
                        };
                        let win = over_all(format!("{agg}({xs})"));
                        let win = if ty.is_numeric() {
                            format!("CAST({win} AS {})", self.dec(x.scale))
                        } else {
                            win
                        };
                        let name = self.fresh("pop");
                        self.place(ready, name, guard(win), x.scale)
                    }
                    PopFunc::Rank => {
                        let r = if histogram {
                            self.histogram(f, x, ready)
                        } else {
                            format!("CAST(RANK() OVER ({ordered}) AS {dec0})")
                        };
                        let name = self.fresh("pop");
                        self.place(ready, name, guard(r), 0)
                    }
                    PopFunc::Mean | PopFunc::TopShare | PopFunc::CumulativeShare => {
                        let (num, den, ns) = match f {
                            PopFunc::Mean => (
                                format!(
                                    "CAST({} AS {})",
                                    over_all(format!("SUM({xs})")),
                                    self.dec(x.scale)
                                ),
                                format!("CAST({} AS {dec0})", over_all(format!("COUNT({xs})"))),
                                x.scale,
                            ),
                            PopFunc::TopShare if histogram => (
                                self.histogram(f, x, ready),
                                format!("CAST({} AS {dec0})", over_all(format!("COUNT({xs})"))),
                                0,
                            ),
                            PopFunc::TopShare => (
                                format!("CAST(COUNT(*) OVER ({ordered}) AS {dec0})"),
                                format!("CAST({} AS {dec0})", over_all(format!("COUNT({xs})"))),
                                0,
                            ),
                            _ => (
                                if histogram {
                                    self.histogram(f, x, ready)
                                } else {
                                    format!(
                                        "CAST(SUM({xs}) OVER ({ordered}) AS {})",
                                        self.dec(x.scale)
                                    )
                                },
                                format!(
                                    "CAST({} AS {})",
                                    over_all(format!("SUM({xs})")),
                                    self.dec(x.scale)
                                ),
                                x.scale,
                            ),
                        };
                        let (nn, dn) = (self.fresh("num"), self.fresh("den"));
                        let n = self.place(ready, nn, num, ns);
                        let dd = self.place(
                            ready,
                            dn,
                            den,
                            if f == PopFunc::CumulativeShare {
                                x.scale
                            } else {
                                0
                            },
                        );
                        let q = self.div(n, dd);
                        let name = self.fresh("pop");
                        self.place(q.ready, name, guard(q.sql), q.scale)
                    }
                    PopFunc::Count => return err("`count()` takes no argument"),
                }
            }
        };
        if let Some(slot) = self.pops.get_mut(id) {
            *slot = Some(e.clone());
        }
        Ok(e)
    }

    fn expr(&mut self, e: &TExpr, subj: Option<&E>) -> Result<E, Error> {
        let d = self.d;
        Ok(match &e.kind {
            TExprKind::Lit(l) => match l {
                Literal::Int(v) | Literal::Decimal(v) => self.num_lit(*v),
                Literal::Text(s) => E::new(text_literal(s, d), 0, 1),
                Literal::Bool(b) => E::new(if *b { "TRUE" } else { "FALSE" }.into(), 0, 1),
                Literal::Date(date) => E::new(format!("DATE '{date}'"), 0, 1),
                // a duration as a value is its text, as `rubric run --all` prints it (`'30d'`):
                // `==`, `in`, `??` and `is missing` then mean what they mean in `rubric run`
                Literal::Duration(dur) => E::new(text_literal(&dur.to_string(), d), 0, 1),
            },
            TExprKind::Field(f) => {
                let Some(fd) = self.m.fields.get(*f) else {
                    return err("unknown field");
                };
                let scale = if fd.ty == Ty::Decimal { self.places } else { 0 };
                let col = ident(&self.field_cols[*f], d);
                if let Some(codes) = &fd.codes {
                    return Ok(E::new(additions::code_of_cell(&col, codes, d), 0, 1));
                }
                E::new(col, scale, 1)
            }
            TExprKind::Item(i) => {
                let Some(Some((ready, scale))) = self.items.get(*i) else {
                    return err("an item is read before it is computed");
                };
                E::new(ident(&self.item_cols[*i], d), *scale, *ready)
            }
            TExprKind::Code { grade, code } => {
                let name = self
                    .m
                    .grade(*grade)
                    .and_then(|g| g.codes.get(*code))
                    .map_or("", |c| c.name.as_str());
                E::new(text_literal(name, d), 0, 1)
            }
            TExprKind::Agg(a) => match self.aggs.get(*a) {
                Some(e) => e.clone(),
                None => return err("an aggregate is read before it is computed"),
            },
            TExprKind::EventField { events, field } => {
                if self.event_block != Some(*events) {
                    return err("an event field outside its aggregate");
                }
                self.event_field(*events, *field)?
            }
            TExprKind::Today => E::new(self.today.clone(), 0, 1),
            TExprKind::Missing => E::new("NULL".into(), 0, 1),
            TExprKind::WithinNext { date, duration } => self.within_next(date, duration, subj)?,
            TExprKind::Subject => match subj {
                Some(s) => s.clone(),
                None => {
                    return err("a condition that starts with an operator needs a `by` subject")
                }
            },
            TExprKind::List(_) => return err("a list can only follow `in`"),
            TExprKind::Unary(op, a) => {
                let a = self.expr(a, subj)?;
                match op {
                    UnOp::Neg => E::new(format!("(-{})", a.sql), a.scale, a.ready),
                    UnOp::Not => E::new(format!("(NOT {})", a.sql), 0, a.ready),
                }
            }
            TExprKind::Arith(op, a, b) => {
                let (lt, rt) = (a.ty.clone(), b.ty.clone());
                match (lt, rt) {
                    (Ty::Date, Ty::Duration) => {
                        let x = self.expr(a, subj)?;
                        let dur = self.duration(b, subj)?;
                        self.date_shift(x, dur, if *op == ArithOp::Sub { -1 } else { 1 })?
                    }
                    (Ty::Date, Ty::Date) => {
                        let x = self.expr(a, subj)?;
                        let y = self.expr(b, subj)?;
                        E::new(self.days_between(&x.sql, &y.sql), 0, x.ready.max(y.ready))
                    }
                    _ => {
                        let x = self.expr(a, subj)?;
                        let y = self.expr(b, subj)?;
                        match op {
                            ArithOp::Add => self.add_sub(x, y, "+"),
                            ArithOp::Sub => self.add_sub(x, y, "-"),
                            ArithOp::Mul => self.mul(x, y, e.span)?,
                            ArithOp::Div => self.div(x, y),
                        }
                    }
                }
            }
            TExprKind::Cmp(op, a, b) => {
                let x = self.expr(a, subj)?;
                let y = self.expr(b, subj)?;
                let o = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "<>",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                E::new(
                    format!("({} {o} {})", x.sql, y.sql),
                    0,
                    x.ready.max(y.ready),
                )
            }
            TExprKind::And(a, b) | TExprKind::Or(a, b) => {
                let o = if matches!(e.kind, TExprKind::And(..)) {
                    "AND"
                } else {
                    "OR"
                };
                let x = self.expr(a, subj)?;
                let y = self.expr(b, subj)?;
                E::new(
                    format!("({} {o} {})", x.sql, y.sql),
                    0,
                    x.ready.max(y.ready),
                )
            }
            TExprKind::In {
                value,
                list,
                negated,
            } => {
                let v = self.expr(value, subj)?;
                let TExprKind::List(items) = &list.kind else {
                    return err("`in` needs a list");
                };
                let mut ready = v.ready;
                let mut parts = Vec::new();
                for i in items {
                    let x = self.expr(i, subj)?;
                    ready = ready.max(x.ready);
                    parts.push(x.sql);
                }
                if parts.is_empty() {
                    // `x in []` is false and `x not in []` true, for a present x.
                    let b = if *negated { "TRUE" } else { "FALSE" };
                    E::new(
                        format!("CASE WHEN {} IS NULL THEN NULL ELSE {b} END", v.sql),
                        0,
                        ready,
                    )
                } else {
                    let not = if *negated { " NOT" } else { "" };
                    E::new(
                        format!("({}{not} IN ({}))", v.sql, parts.join(", ")),
                        0,
                        ready,
                    )
                }
            }
            TExprKind::Has { tags, code } => {
                let TExprKind::Item(t) = &tags.kind else {
                    return err("`has` needs a tags declaration on its left");
                };
                let t = *t;
                let Some(Some((ready, _))) = self.items.get(t) else {
                    return err("tags are read before they are computed");
                };
                let ready = *ready;
                E::new(ident(&self.tag_column(t, *code), d), 0, ready)
            }
            TExprKind::Between { value, lo, hi } => {
                let v = self.expr(value, subj)?;
                let l = self.expr(lo, subj)?;
                let h = self.expr(hi, subj)?;
                let ready = v.ready.max(l.ready).max(h.ready);
                E::new(
                    format!("({} BETWEEN {} AND {})", v.sql, l.sql, h.sql),
                    0,
                    ready,
                )
            }
            TExprKind::Within { date, duration } => {
                let x = self.expr(date, subj)?;
                let today = E::new(self.today.clone(), 0, 1);
                match self.duration(duration, subj)? {
                    Dur::Known(dur) => {
                        let from = self.date_add(&today, dur, -1)?;
                        E::new(
                            format!("({0} >= {1} AND {0} <= {2})", x.sql, from.sql, self.today),
                            0,
                            x.ready,
                        )
                    }
                    Dur::Computed { text, leaves } => {
                        // one arm per duration; `NULL` where it is missing, as in `rubric run`
                        let x = self.hoist(x, "date");
                        let mut sql = format!("CASE {}", text.sql);
                        for dur in leaves {
                            let from = self.date_add(&today, dur, -1)?;
                            sql.push_str(&format!(
                                " WHEN {0} THEN ({1} >= {2} AND {1} <= {3})",
                                text_literal(&dur.to_string(), d),
                                x.sql,
                                from.sql,
                                self.today
                            ));
                        }
                        sql.push_str(" END");
                        E::new(sql, 0, x.ready.max(text.ready))
                    }
                }
            }
            TExprKind::IsMissing { expr, present } => {
                if matches!(expr.ty, Ty::Tags(_)) {
                    // A tags value is a set, never missing (an empty set prints as an empty cell).
                    let x = self.expr(expr, subj)?;
                    return Ok(E::new(
                        if *present { "TRUE" } else { "FALSE" }.into(),
                        0,
                        x.ready,
                    ));
                }
                let x = self.expr(expr, subj)?;
                let is = if *present { "IS NOT NULL" } else { "IS NULL" };
                E::new(format!("({} {is})", x.sql), 0, x.ready)
            }
            TExprKind::Coalesce(a, b) => {
                let x = self.expr(a, subj)?;
                let y = self.expr(b, subj)?;
                let numeric = e.ty.is_numeric();
                let s = if numeric { x.scale.max(y.scale) } else { 0 };
                let (xs, ys) = if numeric {
                    (self.rescale(&x, s), self.rescale(&y, s))
                } else {
                    (x.sql, y.sql)
                };
                E::new(format!("COALESCE({xs}, {ys})"), s, x.ready.max(y.ready))
            }
            TExprKind::If(c, a, b) => {
                let c = self.expr(c, subj)?;
                let x = self.expr(a, subj)?;
                let y = self.expr(b, subj)?;
                let numeric = e.ty.is_numeric();
                let s = if numeric { x.scale.max(y.scale) } else { 0 };
                let (xs, ys) = if numeric {
                    (self.rescale(&x, s), self.rescale(&y, s))
                } else {
                    (x.sql, y.sql)
                };
                let ready = c.ready.max(x.ready).max(y.ready);
                E::new(
                    format!("CASE WHEN {} THEN {xs} ELSE {ys} END", c.sql),
                    s,
                    ready,
                )
            }
            TExprKind::Call(b, args) => self.call(*b, args, subj)?,
            TExprKind::Pop(p) => self.pop(*p)?,
            TExprKind::Attr { value, grade, attr } => {
                let v = self.expr(value, subj)?;
                let Some(gd) = self.m.grade(*grade) else {
                    return err("unknown grade");
                };
                let numeric = gd.attr_keys.get(*attr).is_some_and(|(_, t)| t.is_numeric());
                let mut vals = Vec::new();
                for c in &gd.codes {
                    let lit = c.attrs.get(*attr).cloned().unwrap_or(Literal::Bool(false));
                    let lit = TExpr {
                        kind: TExprKind::Lit(lit),
                        ty: Ty::Error,
                        nullable: false,
                        span: e.span,
                    };
                    vals.push((c.name.clone(), self.expr(&lit, None)?));
                }
                let s = if numeric {
                    vals.iter().map(|(_, v)| v.scale).max().unwrap_or(0)
                } else {
                    0
                };
                let mut sql = format!("CASE {}", v.sql);
                for (code, val) in &vals {
                    let val = if numeric {
                        self.rescale(val, s)
                    } else {
                        val.sql.clone()
                    };
                    sql.push_str(&format!(" WHEN {} THEN {val}", text_literal(code, d)));
                }
                sql.push_str(" END");
                E::new(sql, s, v.ready)
            }
            TExprKind::Index { .. } => return err("`x[\"key\"]` only works in a test"),
        })
    }
}

/// 10^n as a DuckDB HUGEINT.
fn pow10_hugeint(n: i64) -> String {
    format!("CAST('1{}' AS HUGEINT)", "0".repeat(n.max(0) as usize))
}
