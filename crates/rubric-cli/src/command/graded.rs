//! What `rubric diff` and `rubric report` share: reading a scheme (a file, or `git:REV:path`),
//! loading the data once ([`load_data`], the one place that knows where the customers come
//! from), and running a scheme over it with `rubric run`'s engine into memory ([`grade`]):
//! per customer its key, each grade's code and the rule that decided it, each score, and the
//! measure.

use super::run_events::{self, Events};
use crate::render;
use rubric_check::hir::{ItemKind, Model, Ty};
use rubric_eval::io::{self, Claims, DataError, Format, OutputFormat, ReadOptions, Reader};
use rubric_eval::run::{ColumnOptions, Columns, Measure, Output, RunError, RunOptions, RunSummary};
use rubric_eval::{Plan, Reject};
use rubric_syntax::date::Date;
use rubric_syntax::{Decimal, Severity};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The data options `rubric diff` and `rubric report` share with `rubric run`.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// The customer data: .csv, .json (an array of objects), .jsonl or .xlsx [optional when
    /// the scheme reads events and `input` holds only the key: the customers are the events' keys]
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// The file of an `events` block (repeat per block), as for `rubric run`
    #[arg(long, value_name = "NAME=FILE")]
    pub events: Vec<String>,
    /// The sheet of an events workbook [default: the first]
    #[arg(long, value_name = "NAME=SHEET")]
    pub events_sheet: Vec<String>,
    /// Input format, for a --data file whose extension does not tell it
    #[arg(long, value_name = "csv|json|jsonl|xlsx")]
    pub input_format: Option<String>,
    /// Encoding of a CSV input: utf-8 (default) or gb18030
    #[arg(long, value_name = "ENCODING")]
    pub encoding: Option<String>,
    /// The sheet of an .xlsx input [default: the first]
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Evaluation date (`today`) [default: each scheme's as_of, else today's date]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// A numeric field or value summed per code (e.g. revenue)
    #[arg(long, value_name = "FIELD")]
    pub measure: Option<String>,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

/// Why a command stopped: the message of `error: …` (exit 2).
pub type Fail = String;

/// A scheme that checked.
pub struct Scheme {
    /// As the user named it (`old.rubric`, `git:HEAD:tiers.rubric`).
    pub shown: String,
    pub src: String,
    pub model: Model,
}

/// Reads and checks a scheme: a path, or `git:REV:path` (the file as committed in `REV` of the
/// repository holding the current directory). A scheme with errors prints them and fails.
pub fn load_scheme(spec: &str) -> Result<Scheme, Fail> {
    // the files it `use`s come from the same place: the disk, or the same revision
    let project = match spec.strip_prefix("git:") {
        Some(rest) => {
            let src = git_show(rest)?;
            let (rev, path) = rest.split_once(':').unwrap_or_default();
            rubric_check::project::check_project(Path::new(path), &src, &mut |p: &Path| {
                git_show(&format!("{rev}:{}", p.display()))
            })
        }
        None => {
            let path = Path::new(spec);
            let src = crate::command::read_scheme(path)?;
            crate::command::check_scheme(path, &src)
        }
    };
    let checked = &project.checked;
    if checked.has_errors() {
        let color = render::color_stderr();
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        for d in &errors {
            crate::console::err!("{}", crate::command::human(&project, d, color));
        }
        return Err(format!(
            "`{spec}` has {} and cannot run\n  = help: `rubric check {spec}` shows them with fixes",
            if errors.len() == 1 {
                "1 error".to_string()
            } else {
                format!("{} errors", errors.len())
            }
        ));
    }
    Ok(Scheme {
        shown: spec.to_string(),
        // (every source back to back: what the model's spans index)
        src: project.text.clone(),
        model: project.checked.model,
    })
}

/// `git show REV:path`, from the current directory.
fn git_show(rest: &str) -> Result<String, Fail> {
    let Some((rev, path)) = rest
        .split_once(':')
        .filter(|(r, p)| !r.is_empty() && !p.is_empty())
    else {
        return Err(format!(
            "`git:{rest}` does not name a revision and a file\n  = help: write git:REV:path, e.g. \
             git:HEAD:tiers.rubric or git:main~1:schemes/tiers.rubric"
        ));
    };
    let out = std::process::Command::new("git")
        .args(["show", &format!("{rev}:{path}")])
        .output()
        .map_err(|e| {
            format!(
                "cannot run git to read `git:{rest}`: {e}\n  = help: install git, or save the old \
                 scheme as a file and pass its path"
            )
        })?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.lines().next().unwrap_or("").trim();
        let why = why.strip_prefix("fatal: ").unwrap_or(why);
        return Err(format!(
            "cannot read `{path}` at revision `{rev}`: {why}\n  = help: run rubric inside the git \
             repository; `git log --oneline` lists revisions, and the path is from the \
             repository's top (or starts with ./)"
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| format!("`git:{rest}` is not UTF-8 text\n  = help: save the scheme as UTF-8"))
}

/// The customer data, read once; each scheme gets its own reader over the same bytes.
/// `None` when the customers are the keys of the events.
pub struct Data {
    customers: Option<Customers>,
}

struct Customers {
    name: String,
    bytes: Arc<[u8]>,
    format: Format,
    options: ReadOptions,
}

/// Loads the data every scheme of a command runs over: read from disk once.
pub fn load_data(args: &DataArgs) -> Result<Data, Fail> {
    let Some(data) = &args.data else {
        if args.events.is_empty() {
            return Err(
                "--data is required: the customers to grade\n  = help: pass --data FILE \
                 (csv, json, jsonl or xlsx), or --events NAME=FILE for a scheme that reads events"
                    .into(),
            );
        }
        return Ok(Data { customers: None });
    };
    let format = match &args.input_format {
        Some(f) => f.parse::<Format>().map_err(|e| data_error(&e))?,
        None => Format::from_path(data).ok_or_else(|| {
            data_error(&DataError::UnknownFormat {
                path: data.display().to_string(),
            })
        })?,
    };
    let name = data.display().to_string();
    let bytes = std::fs::read(data).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    Ok(Data {
        customers: Some(Customers {
            name,
            bytes: bytes.into(),
            format,
            options: with_encoding(
                args,
                ReadOptions {
                    format: Some(format),
                    encoding: None,
                    sheet: args.sheet.clone(),
                },
            )?,
        }),
    })
}

/// `options` with the encoding of `--encoding`.
fn with_encoding(args: &DataArgs, mut options: ReadOptions) -> Result<ReadOptions, Fail> {
    if let Some(e) = &args.encoding {
        options.encoding = Some(io::encoding_for_label(e).map_err(|e| data_error(&e))?);
    }
    Ok(options)
}

impl Data {
    /// The customer data's size in bytes (0 when the customers come from events).
    pub fn len(&self) -> usize {
        self.customers.as_ref().map_or(0, |c| c.bytes.len())
    }

    /// What the page names as the data: the customers file, else the events files.
    pub fn shown(&self, args: &DataArgs) -> PathBuf {
        match (&self.customers, &args.data) {
            (Some(_), Some(d)) => d.clone(),
            _ => PathBuf::from(args.events.join(" ")),
        }
    }

    /// The customers to grade with `model` (the scheme as checked): the customers file joined
    /// with the aggregates of the events, or the events' keys; and the events, read.
    fn reader(
        &self,
        model: &Model,
        args: &DataArgs,
        as_of: Date,
    ) -> Result<(Reader, Option<(Events, Claims)>), Fail> {
        let base = match &self.customers {
            Some(c) => Some(c.reader(model).map_err(|e| data_error(&e))?),
            None => None,
        };
        if model.events.is_empty() {
            return match base {
                Some(r) => Ok((r, None)),
                None => {
                    Err("the scheme reads no events: pass the customers with --data FILE".into())
                }
            };
        }
        if base.is_none() {
            if let Some(f) = model.fields.iter().find(|f| !f.is_key) {
                return Err(format!(
                    "without --data the customers are the keys of the events, but `input` also \
                     declares `{}`\n  = help: pass the customers with --data FILE",
                    f.name
                ));
            }
        }
        let options = with_encoding(
            args,
            ReadOptions {
                format: None,
                encoding: None,
                sheet: None,
            },
        )?;
        let files = run_events::parse(model, &args.events, &args.events_sheet, &options)?;
        let events =
            run_events::read(model, as_of, files, &mut |_| {}).map_err(|e| data_error(&e))?;
        let (reader, claims) = events.customers(base, model).map_err(|e| data_error(&e))?;
        Ok((reader, Some((events, claims))))
    }
}

impl Customers {
    fn reader(&self, model: &Model) -> Result<Reader, DataError> {
        match self.format {
            Format::Xlsx => Reader::from_bytes(
                self.bytes.to_vec(),
                &self.name,
                self.format,
                &self.options,
                model,
            ),
            _ => Reader::from_read(
                Box::new(Cursor::new(Arc::clone(&self.bytes))),
                &self.name,
                self.format,
                &self.options,
                model,
            ),
        }
    }
}

/// A data error as one message.
pub fn data_error(e: &DataError) -> Fail {
    super::run::render_data_error(e)
        .trim_end()
        .trim_start_matches("error: ")
        .trim_start_matches("× ")
        .to_string()
}

/// One grade (not tags) of a graded run.
pub struct GradeCol {
    pub name: String,
    pub label: Option<String>,
    /// Per code: name and label.
    pub codes: Vec<(String, Option<String>)>,
    /// Per customer: the code's index, [`NONE`] when no rule matched.
    pub values: Vec<u32>,
    /// Per code: its rule as written (`gold "黄金级" when revenue >= 800`).
    pub rules: Vec<String>,
    /// Per customer (with `explain`): the rule that decided and its values, as
    /// `rubric run --explain` says it.
    pub why: Texts,
}

/// No code.
pub const NONE: u32 = u32::MAX;

/// Many short texts in one buffer (a million keys or rules without a million allocations),
/// kept as the run wrote them: UTF-8 is checked only for the texts that are read as text.
#[derive(Default, PartialEq, Eq)]
pub struct Texts {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Texts {
    pub fn push(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
        self.ends.push(self.buf.len());
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// The `i`th text's bytes (empty past the end).
    pub fn bytes(&self, i: usize) -> &[u8] {
        let Some(&end) = self.ends.get(i) else {
            return &[];
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buf.get(start..end).unwrap_or(&[])
    }
    /// The `i`th text (`""` past the end).
    pub fn get(&self, i: usize) -> String {
        String::from_utf8_lossy(self.bytes(i)).into_owned()
    }
}

/// A scheme run over the data, held in memory; customers in input order.
pub struct Graded {
    pub as_of: Date,
    pub keys: Texts,
    pub grades: Vec<GradeCol>,
    /// Per score: name, label, the values (missing: `None`).
    pub scores: Vec<(String, Option<String>, Vec<Option<f64>>)>,
    /// The measure's name and per-customer value.
    pub measure: Option<(String, Vec<Option<Decimal>>)>,
    pub summary: RunSummary,
    pub rejects: Vec<Reject>,
}

/// What each output column of the run is to [`Capture`].
#[derive(Clone, Copy)]
enum Role {
    Key,
    Measure,
    Grade(usize),
    Why(usize),
    Score(usize),
    Skip,
}

/// Runs `scheme` over `data` with `rubric run`'s engine. `measure`: a field or value of the
/// scheme summed per code; `explain`: keep the rule that decided each grade.
pub fn grade(
    scheme: &Scheme,
    data: &Data,
    args: &DataArgs,
    measure: Option<&str>,
    explain: bool,
    scores: bool,
) -> Result<Graded, Fail> {
    let model = &scheme.model;
    let as_of = match &args.as_of {
        Some(s) => Date::parse(s.trim())
            .ok_or_else(|| format!("`{s}` is not a date\n  = help: write it as 2024-06-30"))?,
        None => model.as_of.unwrap_or_else(super::run::today),
    };
    let measure = match measure {
        Some(name) => Some(Measure::find(model, name).map_err(|e| {
            format!(
                "in `{}`: {e}\n  = help: --measure names a numeric field or let of both schemes",
                scheme.shown
            )
        })?),
        None => None,
    };
    let (reader, mut events) = data.reader(model, args, as_of)?;
    let checked = model;
    // (aggregates of events are fields of the row the engine grades)
    let row_model = rubric_eval::events::row_model(model);
    let model: &Model = &row_model;
    let plan = Plan::compile(model, as_of);
    let columns = Columns::with(
        model,
        &ColumnOptions {
            explain,
            keep: match measure {
                Some(Measure::Field(f)) => vec![f],
                _ => Vec::new(),
            },
            extra: match measure {
                Some(Measure::Item(i)) => vec![i],
                _ => Vec::new(),
            },
            // the grades, and the scores when they are drawn
            only: Some(
                model
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| match &it.kind {
                        ItemKind::Grade(g) => !g.is_tags,
                        ItemKind::Score { .. } => scores,
                        _ => false,
                    })
                    .map(|(id, _)| id)
                    .collect(),
            ),
            ..ColumnOptions::default()
        },
    );
    let mut graded = Graded {
        as_of,
        keys: Texts::default(),
        grades: Vec::new(),
        scores: Vec::new(),
        measure: measure.map(|m| {
            let name = match m {
                Measure::Field(f) => model.fields[f].name.clone(),
                Measure::Item(i) => model.items[i].name.clone(),
            };
            (name, Vec::new())
        }),
        summary: RunSummary::default(),
        rejects: Vec::new(),
    };
    let mut roles = Vec::new();
    let mut last_grade = None;
    for (i, shown) in columns.items_shown.iter().enumerate() {
        let role = match shown {
            None if i == 0 => Role::Key,
            None if last_grade.is_some() => Role::Why(last_grade.take().unwrap_or(0)),
            None if matches!(measure, Some(Measure::Field(_))) => Role::Measure,
            None => Role::Skip,
            Some(id) if measure == Some(Measure::Item(*id)) => Role::Measure,
            Some(id) => {
                let item = &model.items[*id];
                match (&item.kind, model.grade(*id)) {
                    (ItemKind::Grade(_), Some(g)) if !g.is_tags => {
                        graded.grades.push(GradeCol {
                            name: item.name.clone(),
                            label: item.label.clone(),
                            codes: g
                                .codes
                                .iter()
                                .map(|c| (c.name.clone(), c.label.clone()))
                                .collect(),
                            values: Vec::new(),
                            rules: g
                                .codes
                                .iter()
                                .map(|c| rule_text(model, &scheme.src, g, c))
                                .collect(),
                            why: Texts::default(),
                        });
                        let at = graded.grades.len() - 1;
                        if explain {
                            last_grade = Some(at);
                        }
                        Role::Grade(at)
                    }
                    (ItemKind::Grade(_), _) => {
                        if explain {
                            // the tags' `_why` column
                            last_grade = Some(usize::MAX);
                        }
                        Role::Skip
                    }
                    (ItemKind::Score { .. }, _) if matches!(item.ty, Ty::Int | Ty::Decimal) => {
                        graded
                            .scores
                            .push((item.name.clone(), item.label.clone(), Vec::new()));
                        Role::Score(graded.scores.len() - 1)
                    }
                    _ => Role::Skip,
                }
            }
        };
        roles.push(match role {
            Role::Why(usize::MAX) => Role::Skip,
            r => r,
        });
    }
    let options = RunOptions {
        explain,
        measure,
        threads: args.threads,
        ..RunOptions::default()
    };
    // (rows as CSV in memory: `rubric run`'s fastest output, formatted on every core; read
    // back below, one pass)
    let mut csv = Vec::with_capacity(data.len() / 2);
    let result = rubric_eval::run::run_to(
        &plan,
        model,
        &scheme.src,
        reader,
        Output::Bytes {
            out: &mut csv,
            name: &scheme.shown,
            format: OutputFormat::Csv,
        },
        &columns,
        &options,
        &mut |_| {},
    );
    let (summary, rejects) = match result {
        Ok(r) => r,
        Err(RunError::Data(e)) => return Err(data_error(&e)),
        Err(RunError::Strict(r)) => return Err(r.reason),
    };
    keep_cells(&csv, &roles, &mut graded);
    graded.summary = summary;
    graded.rejects = rejects;
    if let Some((mut events, claims)) = events.take() {
        // every event row is accounted for: an event of no customer is a reject too
        events
            .reject_orphans(checked, &claims)
            .map_err(|e| data_error(&e))?;
        for f in &events.files {
            let shown = f.shown();
            graded.rejects.extend(f.read.rejects.iter().map(|r| Reject {
                reason: format!("{shown}: {}", r.reason),
                ..r.clone()
            }));
        }
    }
    Ok(graded)
}

/// A rule as written, without its label and attributes, on one line: `gold when revenue >= 800`,
/// `other otherwise`; in a grade `by` a value, with it: `A when >= 80 (by contribution)`.
fn rule_text(
    model: &Model,
    src: &str,
    g: &rubric_check::hir::GradeDef,
    c: &rubric_check::hir::CodeDef,
) -> String {
    let Some(cond) = &c.cond else {
        return format!("{} otherwise", c.name);
    };
    let text = src
        .get(cond.span.start..cond.span.end)
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| rubric_eval::expr_text(model, cond));
    match &g.by {
        Some(by) => format!(
            "{} when {text} (by {})",
            c.name,
            rubric_eval::expr_text(model, by)
        ),
        None => format!("{} when {text}", c.name),
    }
}

/// Keeps the cells [`grade`] needs from the run's CSV (after its header): unquoted cells as
/// they are, quoted ones (`"a,b"`, `""` for `"`) unquoted; an empty cell is missing.
fn keep_cells(csv: &[u8], roles: &[Role], g: &mut Graded) {
    let body = csv
        .iter()
        .position(|&b| b == b'\n')
        .map_or(&csv[csv.len()..], |at| &csv[at + 1..]);
    let mut quoted = Vec::new();
    let mut at = 0;
    let mut col = 0;
    while at < body.len() {
        // one cell: unquoted, a slice of the CSV; quoted, unquoted into `quoted`
        let cell: &[u8] = if body[at] == b'"' {
            quoted.clear();
            at += 1;
            while at < body.len() {
                if body[at] == b'"' {
                    if body.get(at + 1) == Some(&b'"') {
                        quoted.push(b'"');
                        at += 2;
                        continue;
                    }
                    at += 1;
                    break;
                }
                quoted.push(body[at]);
                at += 1;
            }
            &quoted
        } else {
            let end = memchr_cell_end(&body[at..]).map_or(body.len(), |p| at + p);
            let cell = &body[at..end];
            at = end;
            cell
        };
        keep(g, roles.get(col).copied().unwrap_or(Role::Skip), cell);
        match body.get(at) {
            Some(b',') => col += 1,
            _ => col = 0,
        }
        at += 1;
    }
}

/// Where an unquoted cell ends: the next `,` or line break.
fn memchr_cell_end(b: &[u8]) -> Option<usize> {
    memchr::memchr2(b',', b'\n', b)
}

fn keep(g: &mut Graded, role: Role, cell: &[u8]) {
    match role {
        Role::Key => g.keys.push(cell),
        Role::Measure => {
            if let Some((_, v)) = g.measure.as_mut() {
                v.push(Decimal::parse_bytes(cell).ok());
            }
        }
        Role::Grade(i) => {
            if let Some(col) = g.grades.get_mut(i) {
                let code = col
                    .codes
                    .iter()
                    .position(|(c, _)| c.as_bytes().first() == cell.first() && c.as_bytes() == cell)
                    .map_or(NONE, |c| u32::try_from(c).unwrap_or(NONE));
                col.values.push(code);
            }
        }
        Role::Why(i) => {
            if let Some(col) = g.grades.get_mut(i) {
                col.why.push(cell);
            }
        }
        Role::Score(i) => {
            if let Some(s) = g.scores.get_mut(i) {
                s.2.push(
                    std::str::from_utf8(cell)
                        .ok()
                        .and_then(|t| t.parse::<f64>().ok()),
                );
            }
        }
        Role::Skip => {}
    }
}
