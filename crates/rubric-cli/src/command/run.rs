//! `rubric run SCHEME --data FILE`: grade a customer file with a scheme.

use super::run_events::{self, Events};
use super::run_output::{self, percent};
use super::run_rejects::{self, Excluded, MaxRejects, Staged};
use crate::console::{err, errln};
use crate::render;
use rubric_eval::io::{
    self, DataError, EncodeWriter, Format, OutputFormat, ReadOptions, Reader, XlsxBook, XlsxColumn,
};
use rubric_eval::run::{ColumnOptions, Columns, Measure, Output, RunError, RunOptions, RunSummary};
use rubric_eval::{format_decimal, Plan, Reject};
use rubric_syntax::date::Date;
use rubric_syntax::{Decimal, Severity};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Human,
    Json,
}

/// Grade every customer of a data file. Rows keep the input order; the output has the key,
/// the kept input columns (--keep), then every score, grade and tags in declaration order.
///
/// `--out FILE.xlsx` writes a workbook: sheet 结果 (the rows, each grade as its code and its
/// label), sheet 汇总 (customers and share per grade, with a chart) and sheet 拒绝 (the
/// rejects).
///
/// A bad row (an unparsable cell, an empty required cell, a duplicate key, an evaluation
/// overflow, a totals row such as `合计`) is never dropped silently: it goes to the rejects
/// file with its line, column, reason and original cells, and the summary shows rows read =
/// written + rejected, and what the rejected rows take out of the population.
///
/// Order data: a scheme with `events` blocks reads each block's file with `--events
/// NAME=FILE` (one row per order; every input format works). Without `--data`, and when
/// `input` holds only the key, the customers are the distinct keys of the events. An event
/// whose key is no customer's is rejected (`no such customer`); a customer without events
/// still gets a row. The summary accounts for every file: read = used + rejected.
///
/// Exit status: 0 when every row was written, 1 when the scheme has errors or some rows (or
/// events) were rejected (the other rows are still written), 2 for usage and i/o errors.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The scheme (`.rubric`)
    #[arg(value_name = "SCHEME")]
    scheme: PathBuf,
    /// The customer data: .csv, .json (an array of objects), .jsonl or .xlsx [required unless
    /// the scheme reads events and `input` holds only the key]
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// The file of an `events` block (repeat per block): .csv, .json, .jsonl or .xlsx
    #[arg(long, value_name = "NAME=FILE")]
    events: Vec<String>,
    /// The sheet of an events workbook [default: the first]
    #[arg(long, value_name = "NAME=SHEET")]
    events_sheet: Vec<String>,
    /// Where to write the graded rows [default: stdout]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format [default: by the --out extension (.csv, .json, .jsonl, .xlsx), else csv]
    #[arg(long, value_name = "csv|json|jsonl|xlsx")]
    format: Option<String>,
    /// Input format, for a --data file whose extension does not tell it (e.g. `.txt`)
    /// [default: by the --data extension]
    #[arg(long, value_name = "csv|json|jsonl|xlsx")]
    input_format: Option<String>,
    /// Encoding of a CSV input and of a CSV output: utf-8 (default) or gb18030 (Excel on
    /// Chinese Windows)
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,
    /// Also write these input columns after the key (field names or headers, comma-separated)
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    keep: Vec<String>,
    /// Also write every input column after the key, in input order
    #[arg(long)]
    keep_all: bool,
    /// Write each grade's and tag's label instead of its code (a code without a label stays
    /// as it is); the summary shows labels too
    #[arg(long)]
    labels: bool,
    /// Start a CSV output with a UTF-8 byte order mark (what Excel needs to read UTF-8)
    #[arg(long)]
    bom: bool,
    /// The sheet of an .xlsx input [default: the first]
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Evaluation date (`today`) [default: the scheme's as_of, else today's date]
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Also write every let and points value (and in a workbook, every grade attribute)
    #[arg(long)]
    all: bool,
    /// Add a `<name>_why` column per grade and tags: the rule that fired and the values that
    /// decided it
    #[arg(long)]
    explain: bool,
    /// Where to write rejected rows (CSV: line,column,key,reason,file, then the row's original
    /// cells under their headers) [default: `<out>.rejects.csv` beside the output, or
    /// `rubric.rejects.csv` when writing to stdout; a workbook keeps them in its sheet 拒绝].
    /// Written only when some row was rejected
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Fail on the first bad row instead of rejecting it (exit 1, nothing kept); a totals row
    /// (`合计`) is still set aside
    #[arg(long)]
    strict: bool,
    /// Fail (exit 1, nothing written) when more than N rows, or N% of the rows read, are
    /// rejected; totals rows (`合计`, `Total`, …) do not count
    #[arg(long, value_name = "N|N%")]
    max_rejects: Option<MaxRejects>,
    /// The run summary on stderr: human (default) or json
    #[arg(long, value_enum, value_name = "human|json", default_value = "human")]
    summary: SummaryFormat,
    /// Sum this numeric field or value per grade code in the summary (e.g. revenue)
    #[arg(long, value_name = "FIELD")]
    measure: Option<String>,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
}

enum Fail {
    /// Usage or i/o: exit 2.
    Usage(String),
    Data(DataError),
}

pub fn main(args: Args) -> ExitCode {
    match run(&args) {
        Ok(code) => code,
        Err(Fail::Usage(msg)) => {
            errln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Fail::Data(e)) => {
            err!("{}", render_data_error(&e));
            ExitCode::from(2)
        }
    }
}

fn render_data_error(e: &DataError) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(if render::color_stderr() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    })
    .with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, e).is_err() {
        out = format!("error: {e}\n");
    }
    out
}

fn run(args: &Args) -> Result<ExitCode, Fail> {
    let shown = args.scheme.display().to_string();
    let src = crate::command::read_scheme(&args.scheme).map_err(Fail::Usage)?;
    let (_, checked) = rubric_check::check_source(&src);
    if checked.has_errors() {
        let color = render::color_stderr();
        let mut errors = 0;
        for d in checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            errors += 1;
            err!("{}", render::human(d, &shown, &src, color));
        }
        errln!(
            "error: `{shown}` has {} and cannot run",
            if errors == 1 {
                "1 error".to_string()
            } else {
                format!("{errors} errors")
            }
        );
        return Ok(ExitCode::from(1));
    }
    let model = checked.model;

    let as_of = match &args.as_of {
        Some(s) => Date::parse(s.trim())
            .ok_or_else(|| Fail::Usage(format!("`{s}` is not a date (write 2024-06-30)")))?,
        None => model.as_of.unwrap_or_else(today),
    };
    let measure = match &args.measure {
        Some(name) => Some(Measure::find(&model, name).map_err(Fail::Usage)?),
        None => None,
    };
    let out_format = match (&args.format, &args.out) {
        (Some(f), _) => f.parse::<OutputFormat>().map_err(Fail::Data)?,
        (None, Some(p)) => OutputFormat::for_path(p).map_err(Fail::Data)?,
        (None, None) => OutputFormat::Csv,
    };
    if out_format == OutputFormat::Xlsx && args.out.is_none() {
        return Err(Fail::Usage(
            "a workbook cannot be written to stdout\n  = help: pass --out FILE.xlsx".into(),
        ));
    }
    if args.bom && out_format != OutputFormat::Csv {
        return Err(Fail::Usage(format!(
            "--bom applies to csv output, not to {out_format}\n  = help: drop --bom, or write csv"
        )));
    }
    let input_format = match &args.input_format {
        Some(f) => Some(f.parse::<Format>().map_err(Fail::Data)?),
        None => None,
    };
    let encoding = match &args.encoding {
        Some(e) => Some(io::encoding_for_label(e).map_err(Fail::Data)?),
        None => None,
    };
    let data = match (&args.data, model.events.is_empty()) {
        (Some(d), _) => Some(d.clone()),
        (None, true) => {
            return Err(Fail::Usage(
                "--data is required: the customers to grade
  = help: pass --data FILE (csv, json, jsonl or xlsx)"
                    .into(),
            ))
        }
        (None, false) => {
            if let Some(f) = model.fields.iter().find(|f| !f.is_key) {
                return Err(Fail::Usage(format!(
                    "without --data the customers are the keys of the events, but `input` also declares `{}`
  = help: pass the customers with --data FILE, or keep only the key in `input`",
                    f.name
                )));
            }
            None
        }
    };
    let csv_in = data.as_deref().and_then(Format::from_path).or(input_format) == Some(Format::Csv);
    // `--encoding` is the input's when it is CSV and the output's when it is CSV (a reader
    // that is not CSV refuses it when the output is not CSV either)
    let out_encoding = encoding.filter(|e| out_format == OutputFormat::Csv && e.name() != "UTF-8");
    if args.bom && out_encoding.is_some() {
        return Err(Fail::Usage(
            "--bom is for utf-8 output, not with --encoding\n  = help: drop --bom".into(),
        ));
    }
    let read_options = ReadOptions {
        format: input_format,
        encoding: encoding.filter(|_| csv_in || out_encoding.is_none()),
        sheet: args.sheet.clone(),
    };
    let event_files = run_events::parse(&model, &args.events, &args.events_sheet, &read_options)
        .map_err(Fail::Usage)?;
    // the file rejects name: the customers file, else the first events file
    let shown_data: PathBuf = data
        .clone()
        .or_else(|| event_files.first().map(|f| f.path.clone()))
        .unwrap_or_default();
    let mut events: Option<Events> = None;
    if !model.events.is_empty() {
        let mut progress = Progress::new();
        let read = run_events::read(&model, as_of, event_files, &mut |n| progress.tick(n));
        progress.clear();
        let read = read.map_err(Fail::Data)?;
        if let Some((f, r)) = read.first_reject().filter(|_| args.strict) {
            errln!("error: {}", describe_reject(r, &f.path));
            errln!(
                "  = help: without --strict, bad rows go to the rejects file and the run goes on"
            );
            return Ok(ExitCode::from(1));
        }
        events = Some(read);
    }
    // Open the input first: a missing file or column fails before any output is created.
    let checked_model = model.clone();
    let open_customers =
        |fields_of: &rubric_check::hir::Model| -> Result<(Reader, Option<io::Claims>), Fail> {
            // (the customers file is read with its own fields; the aggregates are joined to it)
            let mut own = fields_of.clone();
            own.fields.retain(|f| f.agg.is_none());
            let base = match &data {
                Some(d) => Some(Reader::open(d, &read_options, &own).map_err(Fail::Data)?),
                None => None,
            };
            match (&events, base) {
                (Some(ev), base) => {
                    let (r, claims) = ev.customers(base, &checked_model).map_err(Fail::Data)?;
                    Ok((r, Some(claims)))
                }
                (None, Some(base)) => Ok((base, None)),
                (None, None) => Err(Fail::Usage("--data is required".into())),
            }
        };
    let (mut reader, mut claims) = open_customers(&model)?;
    let mut model = rubric_eval::events::row_model(&model).into_owned();
    let keep = if args.keep.is_empty() && !args.keep_all {
        Vec::new()
    } else {
        let fields = model.fields.len();
        let header = reader.header().to_vec();
        let keep = run_output::resolve_keep(
            &mut model,
            &args.keep,
            args.keep_all,
            &header,
            reader.format(),
        )
        .map_err(Fail::Usage)?;
        if model.fields.len() > fields && matches!(reader.format(), Format::Json | Format::Jsonl) {
            // a JSON reader extracts the model's columns: open it again for the kept ones
            (reader, claims) = open_customers(&model)?;
        }
        keep
    };
    let model = model;
    let claims = claims;
    reader.row_parser(&model).map_err(Fail::Data)?;

    let plan = Plan::compile(&model, as_of);
    let xlsx = out_format == OutputFormat::Xlsx;
    let columns = Columns::with(
        &model,
        &ColumnOptions {
            all: args.all,
            explain: args.explain,
            // a workbook has a column of codes and one of labels
            labels: args.labels && !xlsx,
            keep,
        },
    );
    let options = RunOptions {
        all: args.all,
        explain: args.explain,
        strict: args.strict,
        measure,
        threads: args.threads,
    };

    let out_name = args
        .out
        .as_ref()
        .map_or("stdout".to_string(), |p| p.display().to_string());
    if xlsx {
        let layout = XlsxColumn::layout(&model, &columns.columns, &columns.items_shown, args.all);
        let book = XlsxBook::new(&out_name, layout, as_of).map_err(Fail::Data)?;
        let inputs = Inputs {
            data,
            shown: shown_data,
            read_options,
            events,
            claims,
        };
        return run_workbook(
            args, &plan, &model, &src, reader, book, &columns, &options, as_of, inputs,
        );
    }
    // The output is staged and put in place only when the run succeeds (see `Staged`).
    let (staged, mut sink) =
        Staged::open(args.out.as_deref(), args.max_rejects.is_some()).map_err(Fail::Usage)?;
    if args.bom {
        sink.write_all(b"\xEF\xBB\xBF")
            .map_err(|e| Fail::Usage(format!("cannot write `{out_name}`: {e}")))?;
    }
    if let Some(e) = out_encoding {
        sink = Box::new(EncodeWriter::new(sink, e));
    }
    // (64 KiB: `rubric run` writes CSV a block at a time, and a write of more than the buffer
    // goes straight to the file instead of through the buffer)
    let mut sink = BufWriter::with_capacity(1 << 16, sink);

    let mut progress = Progress::new();
    let result = rubric_eval::run::run(
        &plan,
        &model,
        &src,
        reader,
        &mut sink,
        &out_name,
        out_format,
        &columns,
        &options,
        &mut |n| progress.tick(n),
    );
    progress.clear();
    let (summary, rejects) = match result {
        Ok(r) => r,
        Err(RunError::Data(e)) => return Err(Fail::Data(e)),
        Err(RunError::Strict(r)) => {
            // (the staged output is dropped: an earlier output stays as it was)
            drop(sink);
            drop(staged);
            errln!("error: {}", describe_reject(&r, &shown_data));
            errln!(
                "  = help: without --strict, bad rows go to the rejects file and the run goes on"
            );
            return Ok(ExitCode::from(1));
        }
    };
    sink.flush()
        .map_err(|e| Fail::Usage(format!("cannot write `{out_name}`: {e}")))?;
    drop(sink);
    if let Some(code) = too_many_rejects(args, &summary, &rejects, &shown_data) {
        drop(staged);
        return Ok(code);
    }
    if let Some(staged) = staged {
        staged.commit().map_err(Fail::Usage)?;
    }
    let mut inputs = Inputs {
        data,
        shown: shown_data,
        read_options,
        events,
        claims,
    };
    inputs.reject_orphans(&checked_model)?;

    let clean = rejects.is_empty() && inputs.event_rejects() == 0;
    let (rejects_path, excluded) = if clean {
        (None, None)
    } else {
        let path = rejects_path(args);
        let originals = inputs.originals(&model, &rejects);
        let table = inputs.table(&checked_model, &rejects, &originals);
        run_rejects::write_table(&path, &table).map_err(Fail::Data)?;
        let excluded = (plan.has_population() && !rejects.is_empty())
            .then(|| Excluded::of(&model, &summary, measure, &rejects, &originals));
        (Some(path), excluded)
    };
    print_summary(
        args,
        &model,
        &summary,
        rejects_path.as_deref(),
        as_of,
        excluded.as_ref(),
        inputs.events.as_ref(),
    );
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Where a run's customers come from, and what is needed afterwards to account for every row.
struct Inputs {
    /// The customers file (`None`: the customers are the keys of the events).
    data: Option<PathBuf>,
    /// The file customer rejects name.
    shown: PathBuf,
    read_options: ReadOptions,
    events: Option<Events>,
    /// Which customers with events have a record.
    claims: Option<io::Claims>,
}

impl Inputs {
    /// Rejects the events whose key is no customer's.
    fn reject_orphans(&mut self, model: &rubric_check::hir::Model) -> Result<(), Fail> {
        match (&mut self.events, &self.claims) {
            (Some(ev), Some(claims)) => ev.reject_orphans(model, claims).map_err(Fail::Data),
            _ => Ok(()),
        }
    }

    fn event_rejects(&self) -> usize {
        self.events.as_ref().map_or(0, Events::rejects)
    }

    /// The original cells of the rejected customers (none for customers read from events).
    fn originals(&self, model: &rubric_check::hir::Model, rejects: &[Reject]) -> io::OriginalRows {
        match &self.data {
            Some(d) => {
                let mut own = model.clone();
                own.fields.retain(|f| f.agg.is_none());
                run_rejects::originals(d, &self.read_options, &own, rejects)
            }
            None => io::OriginalRows::empty(&self.shown.display().to_string(), &[]),
        }
    }

    /// Every reject of the run, customers first, then each events file's.
    fn table(
        &self,
        model: &rubric_check::hir::Model,
        rejects: &[Reject],
        originals: &io::OriginalRows,
    ) -> io::RejectTable {
        let mut tables = vec![io::RejectTable::new(rejects, originals)];
        if let Some(ev) = &self.events {
            tables.extend(ev.reject_tables(model));
        }
        io::RejectTable::concat(&tables)
    }
}

fn print_summary(
    args: &Args,
    model: &rubric_check::hir::Model,
    summary: &RunSummary,
    rejects: Option<&Path>,
    as_of: Date,
    excluded: Option<&Excluded>,
    events: Option<&Events>,
) {
    let labels = args.labels.then_some(model);
    match args.summary {
        SummaryFormat::Human => {
            let mut text = human_summary(summary, rejects, labels);
            if let Some(ev) = events {
                text.insert_str(0, &ev.human());
            }
            if let Some(line) = excluded.and_then(|e| e.human(summary)) {
                // right after the counts line
                let at = text.find('\n').map_or(text.len(), |i| i + 1);
                text.insert_str(at, &format!("{line}\n"));
            }
            err!("{text}");
        }
        SummaryFormat::Json => {
            let mut json = json_summary(summary, rejects, as_of, model);
            if let Some(ev) = events {
                json["events"] = ev.json();
            }
            if let Some(e) = excluded.filter(|e| e.rows > 0) {
                json["population_excludes"] = e.json(summary);
            }
            errln!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
    }
}

/// [`run`] into a workbook: the rows, then the summary and the rejects, then the file, which is
/// created only once the run has passed `--strict` and `--max-rejects`.
#[allow(clippy::too_many_arguments)]
fn run_workbook(
    args: &Args,
    plan: &Plan,
    model: &rubric_check::hir::Model,
    src: &str,
    reader: Reader,
    mut book: XlsxBook,
    columns: &Columns,
    options: &RunOptions,
    as_of: Date,
    mut inputs: Inputs,
) -> Result<ExitCode, Fail> {
    let Some(path) = &args.out else {
        return Err(Fail::Usage("a workbook needs --out FILE.xlsx".into()));
    };
    let mut progress = Progress::new();
    let result = rubric_eval::run::run_to(
        plan,
        model,
        src,
        reader,
        Output::Rows(&mut book),
        columns,
        options,
        &mut |n| progress.tick(n),
    );
    progress.clear();
    let (summary, rejects) = match result {
        Ok(r) => r,
        Err(RunError::Data(e)) => return Err(Fail::Data(e)),
        Err(RunError::Strict(r)) => {
            errln!("error: {}", describe_reject(&r, &inputs.shown));
            errln!(
                "  = help: without --strict, bad rows go to the rejects file and the run goes on"
            );
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(code) = too_many_rejects(args, &summary, &rejects, &inputs.shown) {
        return Ok(code);
    }
    let checked_model = {
        let mut m = model.clone();
        m.fields.retain(|f| f.agg.is_none());
        m
    };
    inputs.reject_orphans(&checked_model)?;
    let originals = inputs.originals(model, &rejects);
    let table = inputs.table(&checked_model, &rejects, &originals);
    let clean = rejects.is_empty() && inputs.event_rejects() == 0;
    let shown = path.display().to_string();
    // (staged: the workbook is put in place whole, or an earlier one stays as it was)
    // (the zip is assembled in memory: the writer wants a `Send` sink; a workbook is compressed)
    let mut bytes = Vec::new();
    book.finish(
        &run_output::workbook_summary(model, &summary),
        &table,
        &mut bytes,
    )
    .map_err(Fail::Data)?;
    let (staged, mut file) = Staged::open(Some(path), false).map_err(Fail::Usage)?;
    file.write_all(&bytes)
        .and_then(|()| file.flush())
        .map_err(|e| Fail::Usage(format!("cannot write `{shown}`: {e}")))?;
    drop(file);
    if let Some(staged) = staged {
        staged.commit().map_err(Fail::Usage)?;
    }
    // the rejects are in the sheet 拒绝; a CSV of them only when asked for
    let rejects_path = match &args.rejects {
        Some(p) if !clean => {
            run_rejects::write_table(p, &table).map_err(Fail::Data)?;
            Some(p.clone())
        }
        _ => None,
    };
    let excluded = (plan.has_population() && !rejects.is_empty())
        .then(|| Excluded::of(model, &summary, options.measure, &rejects, &originals));
    let shown_rejects = rejects_path
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{shown}, sheet {}", io::REJECT_SHEET)));
    let rejects_shown = (!clean).then_some(shown_rejects.as_path());
    print_summary(
        args,
        model,
        &summary,
        rejects_shown,
        as_of,
        excluded.as_ref(),
        inputs.events.as_ref(),
    );
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--max-rejects`: when the run rejected more, says so (with the first rows) and gives the
/// exit code; nothing has been written then.
fn too_many_rejects(
    args: &Args,
    summary: &RunSummary,
    rejects: &[Reject],
    data: &Path,
) -> Option<ExitCode> {
    let error = args
        .max_rejects
        .and_then(|max| max.exceeded(summary, rejects))?;
    errln!("error: {error}");
    const SHOWN: usize = 5;
    for r in rejects
        .iter()
        .filter(|r| !run_rejects::is_totals(r))
        .take(SHOWN)
    {
        errln!("  {}", describe_reject(r, data));
    }
    errln!("  = help: fix these rows in the data, or raise --max-rejects");
    Some(ExitCode::from(1))
}

/// Today's date in UTC: the only place `rubric run` reads the clock.
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date(i32::try_from(secs / 86_400).unwrap_or(0))
}

fn rejects_path(args: &Args) -> PathBuf {
    if let Some(p) = &args.rejects {
        return p.clone();
    }
    match &args.out {
        Some(out) => {
            let stem = out
                .file_stem()
                .map_or("rubric".into(), |s| s.to_string_lossy().to_string());
            out.with_file_name(format!("{stem}.rejects.csv"))
        }
        None => PathBuf::from("rubric.rejects.csv"),
    }
}

fn describe_reject(r: &Reject, data: &Path) -> String {
    let mut s = format!("`{}` line {}", data.display(), r.line);
    if let Some(c) = &r.column {
        s.push_str(&format!(", column `{c}`"));
    }
    if let Some(k) = &r.key {
        if !k.is_empty() {
            s.push_str(&format!(" (key `{k}`)"));
        }
    }
    format!("{s}: {}", r.reason)
}

fn share(count: u64, total: u64) -> String {
    percent(Decimal::from(count), Decimal::from(total))
}

/// The printed summary; with `labels`, each code's label instead of the code.
fn human_summary(
    s: &RunSummary,
    rejects: Option<&Path>,
    labels: Option<&rubric_check::hir::Model>,
) -> String {
    let mut out = format!(
        "read {} rows: {} written, {} rejected",
        s.read, s.written, s.rejected
    );
    if let Some(p) = rejects {
        out.push_str(&format!(" (see `{}`)", p.display()));
    }
    out.push('\n');
    for g in &s.grades {
        let mut rows: Vec<(String, u64, Decimal)> = g.codes.clone();
        if let Some(model) = labels {
            for (i, row) in rows.iter_mut().enumerate() {
                if let Some(l) = run_output::code_label(model, g.item, i) {
                    row.0 = l;
                }
            }
        }
        if g.missing.0 > 0 {
            rows.push((
                if g.is_tags {
                    "(no tag)".into()
                } else {
                    "(none)".into()
                },
                g.missing.0,
                g.missing.1,
            ));
        }
        // (widths on screen: a Chinese character takes two columns)
        let w = rows
            .iter()
            .map(|r| io::text_width(&r.0))
            .max()
            .unwrap_or(0)
            .max(io::text_width(&g.name));
        let pad =
            |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(io::text_width(s))));
        out.push_str(&format!(
            "\n{}  {:>9}  {:>6}",
            pad(&g.name, w),
            "customers",
            "share"
        ));
        if let Some(m) = &s.measure {
            out.push_str(&format!("  {m:>14}  {:>6}", "share"));
        }
        out.push('\n');
        for (code, count, sum) in rows {
            out.push_str(&format!(
                "{}  {count:>9}  {:>6}",
                pad(&code, w),
                share(count, s.written)
            ));
            if s.measure.is_some() {
                let pct = percent(sum, s.measure_total);
                out.push_str(&format!("  {:>14}  {pct:>6}", format_decimal(sum)));
            }
            out.push('\n');
        }
    }
    out
}

fn json_summary(
    s: &RunSummary,
    rejects: Option<&Path>,
    as_of: Date,
    model: &rubric_check::hir::Model,
) -> serde_json::Value {
    use serde_json::{json, Value as J};
    let num = |d: Decimal| -> J {
        serde_json::from_str::<J>(&format_decimal(d)).unwrap_or(J::String(format_decimal(d)))
    };
    let ratio = |count: u64, total: u64| -> J {
        if total == 0 {
            J::Null
        } else {
            Decimal::from(count)
                .checked_div(Decimal::from(total))
                .map_or(J::Null, |r| num(r.round(6)))
        }
    };
    let grades: Vec<J> = s
        .grades
        .iter()
        .map(|g| {
            let codes: Vec<J> = g
                .codes
                .iter()
                .enumerate()
                .map(|(i, (code, count, sum))| {
                    let label = model
                        .grade(g.item)
                        .and_then(|gd| gd.codes.get(i))
                        .and_then(|c| c.label.clone());
                    let mut o = json!({ "code": code, "label": label, "count": count, "share": ratio(*count, s.written) });
                    if s.measure.is_some() {
                        o["measure"] = num(*sum);
                    }
                    o
                })
                .collect();
            let mut missing = json!({ "count": g.missing.0, "share": ratio(g.missing.0, s.written) });
            if s.measure.is_some() {
                missing["measure"] = num(g.missing.1);
            }
            json!({ "name": g.name, "kind": if g.is_tags { "tags" } else { "grade" }, "codes": codes, "missing": missing })
        })
        .collect();
    let mut o = json!({
        "as_of": as_of.to_string(),
        "rows_read": s.read,
        "written": s.written,
        "rejected": s.rejected,
        "rejects_file": rejects.map(|p| p.display().to_string()),
        "grades": grades,
    });
    if let Some(m) = &s.measure {
        o["measure"] = json!({ "name": m, "total": num(s.measure_total) });
    }
    o
}

/// Rows per second on stderr, every 250 ms, only when stderr is a terminal.
struct Progress {
    on: bool,
    start: Instant,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        let now = Instant::now();
        Progress {
            on: std::io::stderr().is_terminal(),
            start: now,
            last: now,
            shown: false,
        }
    }
    fn tick(&mut self, rows: u64) {
        if !self.on || self.last.elapsed() < Duration::from_millis(250) {
            return;
        }
        self.last = Instant::now();
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        err!("\r{rows} rows, {:.0} rows/s   ", rows as f64 / secs);
        self.shown = true;
    }
    fn clear(&mut self) {
        if self.shown {
            err!("\r\x1b[2K");
        }
    }
}
