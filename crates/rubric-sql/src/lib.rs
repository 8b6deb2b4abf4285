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
//!
//! Here: the options, the chain of stages and the generator's state (`Gen`); each job of the
//! generator is a file: `ddl` (tables and checks), `items`, `decimals`, `dates`, `calls`,
//! `population` (window functions; `histogram` for the distinct-value plan), `events`,
//! `additions` (v2 built-ins), and `emit`/`dbt` for what a pipeline runs.

use rubric_check::hir::{ArithOp, CmpOp, Model, TExpr, TExprKind, Ty};
use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::date::{Date, Duration};
use rubric_syntax::{Decimal, Diagnostic};
use std::fmt;

/// The smaller v2 additions (`within next`, `count_true`, `substr`), kept in their own file.
mod additions;
mod calls;
mod dates;
mod dbt;
mod ddl;
mod decimals;
mod emit;
mod events;
mod histogram;
mod items;
mod population;

pub use dbt::dbt_schema;
pub use ddl::{check_queries, column_type, create_table, not_blank, output_columns};
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
