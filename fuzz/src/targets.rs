//! The three targets. Each runs one input through the entry points a user's input reaches and
//! returns `Err` when a property does not hold; a panic is caught by the campaign. Every target
//! is a function of its input bytes alone (any choice it makes comes from a generator seeded
//! with the input's hash), so a saved input replays exactly.

use crate::rng::{hash, Rng};
use rubric_check::hir::{Model, Ty};
use rubric_eval::io::{self, Format, OutputFormat, ReadOptions, Reader};
use rubric_eval::run::{Columns, Measure, RunError, RunOptions};
use rubric_eval::Plan;
use rubric_syntax::date::Date;
use rubric_syntax::Severity;
use std::fmt::Write as _;
use tower_lsp_server::lsp_types::{Position, Range, Uri};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Scheme,
    Data,
    Lsp,
}

pub const ALL: [Target; 3] = [Target::Scheme, Target::Data, Target::Lsp];

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Scheme => "scheme",
            Target::Data => "data",
            Target::Lsp => "lsp",
        }
    }

    pub fn from_name(s: &str) -> Option<Target> {
        ALL.into_iter().find(|t| t.name() == s)
    }

    pub fn run(self, input: &[u8]) -> Result<(), String> {
        match self {
            Target::Scheme => scheme(input),
            Target::Data => data(input),
            Target::Lsp => lsp(input),
        }
    }
}

/// The evaluation date of a scheme without `as_of` (the fixtures' date).
fn default_as_of(model: &Model) -> Option<Date> {
    model.as_of.or_else(|| Date::from_ymd(2024, 6, 30))
}

/// The sorted diagnostic codes of a checked source, errors and warnings, but for `full-width`:
/// `fmt` writes a full-width character in code (`（`, `＞`) as the ASCII one it reads as, so the
/// warning goes away by design.
fn codes(checked: &rubric_check::Checked) -> Vec<(&'static str, bool)> {
    let mut v: Vec<(&'static str, bool)> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code != "full-width")
        .map(|d| (d.code, d.severity == Severity::Error))
        .collect();
    v.sort_unstable();
    v
}

/// check -> render every diagnostic as the CLI does -> fmt -> check the formatted text ->
/// fmt again; for a scheme without errors, SQL in three dialects, evaluation of generated rows
/// (row by row, traced, and through the `rubric run` driver).
pub fn scheme(input: &[u8]) -> Result<(), String> {
    let src = String::from_utf8_lossy(input);
    let src: &str = &src;
    let (_, checked) = rubric_check::check_source(src);
    // the human report of `rubric check`: the long-line panic of issue #16 lived here
    for d in checked.diagnostics.iter().take(50) {
        let _ = crate::render::human(d, "fuzz.rubric", src, false);
    }
    let before = codes(&checked);
    match rubric_fmt::format_source(src) {
        Ok(formatted) => {
            let (_, again) = rubric_check::check_source(&formatted);
            let after = codes(&again);
            if after != before {
                return Err(format!(
                    "fmt changed the diagnostics: {before:?} -> {after:?}\n--- formatted:\n{formatted}"
                ));
            }
            match rubric_fmt::format_source(&formatted) {
                Ok(twice) if twice == formatted => {}
                Ok(twice) => {
                    return Err(format!(
                        "fmt is not idempotent\n--- once:\n{formatted}\n--- twice:\n{twice}"
                    ))
                }
                Err(e) => {
                    return Err(format!(
                        "fmt refused its own output: {e:?}\n--- formatted:\n{formatted}"
                    ))
                }
            }
        }
        Err(rubric_fmt::FmtError::Unstable) => {
            return Err("fmt: the formatted text parses to a different AST (Unstable)".into())
        }
        Err(rubric_fmt::FmtError::Syntax(_)) => {}
    }
    if checked.has_errors() {
        return Ok(());
    }
    let model = &checked.model;
    for dialect in [
        rubric_sql::Dialect::DuckDb,
        rubric_sql::Dialect::Postgres,
        rubric_sql::Dialect::Spark,
    ] {
        let opts = rubric_sql::Options::new(dialect, "t");
        let _ = rubric_sql::compile(model, &opts).map_err(|e| e.to_string());
    }
    let mut rng = Rng::new(hash(input));
    let csv = rows_csv(model, &mut rng);
    let Some(as_of) = default_as_of(model) else {
        return Ok(());
    };
    let plan = Plan::compile(model, as_of);
    // row by row, as `rubric test`, `explain` and the CodeLens evaluate
    let (rows, rejects) = io::read_all_bytes(
        csv.clone().into_bytes(),
        "rows.csv",
        Format::Csv,
        &ReadOptions::default(),
        model,
    )
    .map_err(|e| format!("generated rows do not read: {e}\n--- rows:\n{csv}"))?;
    let records = rows.len() + rejects.len();
    let given = rows.len();
    let ev = plan.evaluate(rows);
    if ev.len() + ev.rejects().len() != given {
        return Err(format!(
            "evaluate: {given} rows in, {} evaluated + {} rejected",
            ev.len(),
            ev.rejects().len()
        ));
    }
    for row in 0..ev.len().min(4) {
        for (item, def) in model.items.iter().enumerate() {
            if matches!(def.ty, Ty::Grade(_) | Ty::Tags(_)) {
                let _ = ev.trace(model, row, item).why(src, model);
            }
        }
    }
    // the `rubric run` driver, streaming or held, over the same rows
    let explain = rng.one_in(3);
    let summary = drive(
        &plan,
        model,
        src,
        csv.into_bytes(),
        Format::Csv,
        None,
        &RunSettings {
            all: rng.one_in(2),
            explain,
            strict: false,
            threads: 1 + rng.below(2),
            out: OutputFormat::Csv,
            measure: None,
        },
    )?;
    if let Some((read, _, _)) = summary {
        if read != records as u64 {
            return Err(format!(
                "the run read {read} records, read_all {records} from the same rows"
            ));
        }
    }
    Ok(())
}

struct RunSettings {
    all: bool,
    explain: bool,
    strict: bool,
    threads: usize,
    out: OutputFormat,
    measure: Option<Measure>,
}

/// Runs the `rubric run` driver over `data`; `Ok(Some((read, written, rejected)))` when it ran
/// to the end, `Ok(None)` when the input was refused with an error (rendered as the CLI does).
/// The property: rows read = written + rejected, and the output holds the written rows.
fn drive(
    plan: &Plan,
    model: &Model,
    src: &str,
    data: Vec<u8>,
    format: Format,
    encoding: Option<&'static encoding_rs::Encoding>,
    s: &RunSettings,
) -> Result<Option<(u64, u64, u64)>, String> {
    let options = ReadOptions {
        format: Some(format),
        encoding,
        sheet: None,
    };
    let reader = match Reader::from_bytes(data, "data", format, &options, model) {
        Ok(r) => r,
        Err(e) => {
            render_error(&e);
            return Ok(None);
        }
    };
    drive_reader(plan, model, src, reader, s)
}

/// [`drive`] over an opened reader (a file's, or the customers joined with their events).
fn drive_reader(
    plan: &Plan,
    model: &Model,
    src: &str,
    reader: Reader,
    s: &RunSettings,
) -> Result<Option<(u64, u64, u64)>, String> {
    if let Err(e) = reader.row_parser(model) {
        render_error(&e);
        return Ok(None);
    }
    let columns = Columns::new(model, s.all, s.explain);
    let options = RunOptions {
        all: s.all,
        explain: s.explain,
        strict: s.strict,
        measure: s.measure,
        threads: s.threads,
    };
    let mut out: Vec<u8> = Vec::new();
    let result = rubric_eval::run::run(
        plan,
        model,
        src,
        reader,
        &mut out,
        "out",
        s.out,
        &columns,
        &options,
        &mut |_| {},
    );
    match result {
        Ok((summary, rejects)) => {
            if summary.read != summary.written + summary.rejected {
                return Err(format!(
                    "read {} != written {} + rejected {}",
                    summary.read, summary.written, summary.rejected
                ));
            }
            if rejects.len() as u64 != summary.rejected {
                return Err(format!(
                    "{} rejects listed, {} counted",
                    rejects.len(),
                    summary.rejected
                ));
            }
            if s.out == OutputFormat::Jsonl {
                let lines = out.iter().filter(|b| **b == b'\n').count() as u64;
                if lines != summary.written {
                    return Err(format!(
                        "{} rows written, {lines} JSONL lines out",
                        summary.written
                    ));
                }
            }
            Ok(Some((summary.read, summary.written, summary.rejected)))
        }
        Err(RunError::Strict(r)) => {
            let _ = format!("{}: {}", r.line, r.reason);
            Ok(None)
        }
        Err(RunError::Data(e)) => {
            render_error(&e);
            Ok(None)
        }
    }
}

/// A data error as `rubric run` prints it.
fn render_error(e: &io::DataError) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    let mut out = String::new();
    let _ = handler.render_report(&mut out, e);
}

const TEXTS: &[&str] = &[
    "a",
    "甲公司",
    "north",
    "",
    " ",
    "A1",
    "金牌",
    "x,y",
    "say \"hi\"",
    "line\nbreak",
    "😀",
    "１２３",
    "0",
    "-",
    "是",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "3",
    "7",
    "12.5",
    "0.1",
    "-0.000001",
    "1000",
    "99999",
    "1234567.891",
    "99999999999999999999999999999999999999",
    "0.00000000000000000000000000000000000001",
    "1e3",
    "",
    " 5 ",
    "abc",
    "1,000",
    "50%",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "5",
    "10",
    "100",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999999999999999999",
    "",
    "1.5",
    "x",
];
const BOOLS: &[&str] = &[
    "true", "false", "yes", "no", "是", "否", "1", "0", "", "maybe",
];
const DATES: &[&str] = &[
    "2024-06-30",
    "2024-02-29",
    "2023-02-29",
    "0001-01-01",
    "9999-12-31",
    "2024/05/16",
    "2020-01-01",
    "2024-06-01",
    "",
    "soon",
];

fn csv_cell(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A CSV of 0 to 12 rows whose cells mostly match the fields' types (and sometimes do not).
fn rows_csv(model: &Model, rng: &mut Rng) -> String {
    fields_csv(&model.fields, rng, 13, false)
}

/// A CSV of the columns of `fields`, fewer than `max_rows` rows; with `repeat_keys` the key
/// takes one of a few values (the events of a few customers).
pub fn fields_csv(
    fields: &[rubric_check::hir::FieldDef],
    rng: &mut Rng,
    max_rows: usize,
    repeat_keys: bool,
) -> String {
    let mut out = String::new();
    // aggregates are computed, not read
    let fields: Vec<_> = fields.iter().filter(|f| f.agg.is_none()).collect();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_cell(&mut out, &f.column);
    }
    out.push('\n');
    let n = rng.below(max_rows);
    for row in 0..n {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let cell: String = if f.is_key && repeat_keys {
                format!("k{}", rng.below(5))
            } else if f.is_key {
                if rng.one_in(8) {
                    "k0".into()
                } else {
                    match f.ty {
                        Ty::Int | Ty::Decimal => row.to_string(),
                        _ => format!("k{row}"),
                    }
                }
            } else if f.optional && rng.one_in(4) {
                String::new()
            } else {
                let pool = match f.ty {
                    Ty::Int => INTS,
                    Ty::Decimal => NUMBERS,
                    Ty::Bool => BOOLS,
                    Ty::Date => DATES,
                    _ => TEXTS,
                };
                // mostly the first, well-formed values
                let k = if rng.one_in(6) {
                    rng.below(pool.len())
                } else {
                    rng.below(pool.len().min(8))
                };
                pool.get(k).copied().unwrap_or("").into()
            };
            csv_cell(&mut out, &cell);
        }
        out.push('\n');
    }
    out
}

/// A data case: the scheme, the format and the options of a run, and the data bytes. Saved as
/// a header of `key: value` lines, `scheme-bytes: N`, the scheme, then the data to the end.
#[derive(Clone, Debug)]
pub struct DataCase {
    pub scheme: String,
    pub format: Format,
    pub gb18030: bool,
    pub options: String,
    pub data: Vec<u8>,
}

const MAGIC: &str = "rubric-fuzz data\n";

impl DataCase {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::from(MAGIC);
        let _ = writeln!(s, "format: {}", self.format.name());
        let _ = writeln!(
            s,
            "encoding: {}",
            if self.gb18030 { "gb18030" } else { "utf-8" }
        );
        let _ = writeln!(s, "options: {}", self.options);
        let _ = writeln!(s, "scheme-bytes: {}", self.scheme.len());
        let mut out = s.into_bytes();
        out.extend_from_slice(self.scheme.as_bytes());
        out.extend_from_slice(&self.data);
        out
    }

    pub fn parse(bytes: &[u8]) -> Option<DataCase> {
        let mut rest = bytes.strip_prefix(MAGIC.as_bytes())?;
        let line = |rest: &mut &[u8]| -> Option<String> {
            let end = rest.iter().position(|b| *b == b'\n')?;
            let l = String::from_utf8(rest[..end].to_vec()).ok()?;
            *rest = &rest[end + 1..];
            Some(l)
        };
        let format: Format = line(&mut rest)?.strip_prefix("format: ")?.parse().ok()?;
        let gb18030 = line(&mut rest)?.strip_prefix("encoding: ")? == "gb18030";
        let options = line(&mut rest)?.strip_prefix("options: ")?.to_string();
        let n: usize = line(&mut rest)?
            .strip_prefix("scheme-bytes: ")?
            .parse()
            .ok()?;
        let scheme = String::from_utf8(rest.get(..n)?.to_vec()).ok()?;
        Some(DataCase {
            scheme,
            format,
            gb18030,
            options,
            data: rest.get(n..)?.to_vec(),
        })
    }
}

/// Options of a data run, as words: `threads=2 explain all strict out=json measure`.
pub fn random_options(rng: &mut Rng) -> String {
    let mut words = vec![format!("threads={}", 1 + rng.below(2))];
    for w in ["explain", "all", "strict", "measure"] {
        if rng.one_in(4) {
            words.push(w.into());
        }
    }
    words.push(format!("out={}", ["csv", "json", "jsonl"][rng.below(3)]));
    words.join(" ")
}

/// The data readers through the `rubric run` driver, and through `read_all` (what `rubric
/// test`, `explain` and the CodeLens read with): no panic, rows read = written + rejected, and
/// both read the same number of records.
pub fn data(input: &[u8]) -> Result<(), String> {
    let Some(case) = DataCase::parse(input) else {
        return Ok(());
    };
    let (_, checked) = rubric_check::check_source(&case.scheme);
    if checked.has_errors() {
        return Ok(());
    }
    let model = &checked.model;
    let words: Vec<&str> = case.options.split_whitespace().collect();
    let has = |w: &str| words.contains(&w);
    let value = |k: &str| {
        words
            .iter()
            .find_map(|w| w.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
    };
    let out = match value("out") {
        Some("json") => OutputFormat::Json,
        Some("jsonl") => OutputFormat::Jsonl,
        _ => OutputFormat::Csv,
    };
    let measure = if has("measure") {
        model
            .fields
            .iter()
            .find(|f| f.ty.is_numeric())
            .and_then(|f| Measure::find(model, &f.name).ok())
    } else {
        None
    };
    let settings = RunSettings {
        all: has("all"),
        explain: has("explain"),
        strict: has("strict"),
        threads: value("threads")
            .and_then(|t| t.parse().ok())
            .unwrap_or(1usize)
            .clamp(1, 4),
        out,
        measure,
    };
    let encoding = case.gb18030.then_some(encoding_rs::GB18030);
    let Some(as_of) = default_as_of(model) else {
        return Ok(());
    };
    if !model.events.is_empty() {
        return events(&case, model, value("events"), as_of, &settings, encoding);
    }
    let plan = Plan::compile(model, as_of);
    let ran = drive(
        &plan,
        model,
        &case.scheme,
        case.data.clone(),
        case.format,
        encoding,
        &settings,
    )?;
    let options = ReadOptions {
        format: Some(case.format),
        encoding,
        sheet: None,
    };
    match io::read_all_bytes(case.data, "data", case.format, &options, model) {
        Ok((rows, rejects)) => {
            if let Some((read, _, _)) = ran {
                if !settings.strict && read != (rows.len() + rejects.len()) as u64 {
                    return Err(format!(
                        "the run read {read} records, read_all {} + {}",
                        rows.len(),
                        rejects.len()
                    ));
                }
            }
            let given = rows.len();
            let ev = plan.evaluate(rows);
            if ev.len() + ev.rejects().len() != given {
                return Err(format!(
                    "evaluate: {given} rows in, {} evaluated + {} rejected",
                    ev.len(),
                    ev.rejects().len()
                ));
            }
        }
        Err(e) => {
            if ran.is_some() {
                return Err(format!("the run read the data, read_all refused it: {e}"));
            }
            render_error(&e);
        }
    }
    Ok(())
}

/// A scheme with `events` blocks, as `rubric run --events` reads it: with `events=NAME` in the
/// options the data is the file of that block and the customers are the keys of its events;
/// without, the data is the customers file, joined with no events. Properties: events read =
/// used + rejected (each reject on a line of the file), every key of the events is one customer
/// read, and customers read = written + rejected.
fn events(
    case: &DataCase,
    model: &Model,
    block_name: Option<&str>,
    as_of: Date,
    settings: &RunSettings,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Result<(), String> {
    use rubric_eval::events::{row_model, EventPlan, Totals};
    use std::sync::Arc;
    let block = block_name.and_then(|n| model.events.iter().position(|e| e.name == n));
    let options = ReadOptions {
        format: Some(case.format),
        encoding,
        sheet: None,
    };
    let eplan = EventPlan::compile(model, as_of);
    let mut totals = Totals::new(&eplan);
    let mut base = None;
    // an upper bound on the lines (a CSV record also ends at a lone `\r`)
    let lines = case
        .data
        .iter()
        .filter(|b| matches!(b, b'\n' | b'\r'))
        .count() as u64
        + 1;
    match block {
        Some(b) => {
            let emodel = io::events_model(model, b);
            let reader = match Reader::from_bytes(
                case.data.clone(),
                "events",
                case.format,
                &options,
                &emodel,
            ) {
                Ok(r) => r,
                Err(e) => {
                    render_error(&e);
                    return Ok(());
                }
            };
            let read = match io::read_events(reader, model, b, &eplan, &mut totals, &mut |_| {}) {
                Ok(r) => r,
                Err(e) => {
                    render_error(&e);
                    return Ok(());
                }
            };
            if read.rejects.len() as u64 > read.read {
                return Err(format!(
                    "events: {} read, {} rejected",
                    read.read,
                    read.rejects.len()
                ));
            }
            if case.format == Format::Csv && !case.gb18030 {
                if let Some(r) = read.rejects.iter().find(|r| r.line == 0 || r.line > lines) {
                    return Err(format!(
                        "an event rejected on line {} of a {lines}-line file: {}",
                        r.line, r.reason
                    ));
                }
            }
        }
        None => {
            let mut own = model.clone();
            own.fields.retain(|f| f.agg.is_none());
            match Reader::from_bytes(case.data.clone(), "customers", case.format, &options, &own) {
                Ok(r) => base = Some(r),
                Err(e) => {
                    render_error(&e);
                    return Ok(());
                }
            }
        }
    }
    let with_base = base.is_some();
    let customers = totals.customers() as u64;
    let (reader, claims) = match Reader::joined(
        base,
        model,
        Arc::new(eplan),
        Arc::new(totals),
        vec!["events".into()],
    ) {
        Ok(r) => r,
        Err(e) => {
            render_error(&e);
            return Ok(());
        }
    };
    let rows_model = row_model(model).into_owned();
    let plan = Plan::compile(&rows_model, as_of);
    let ran = drive_reader(&plan, &rows_model, &case.scheme, reader, settings)?;
    if let Some((read, _, _)) = ran {
        if !with_base && read != customers {
            return Err(format!(
                "{customers} customers have events, {read} customers were read"
            ));
        }
        if !with_base && !settings.strict {
            let claimed = claims.lock().map(|c| c.clone()).unwrap_or_default();
            if let Some(c) = claimed.iter().position(|c| !c) {
                return Err(format!("customer {c} of the events was never read"));
            }
        }
    }
    Ok(())
}

/// A random LSP position: mostly inside the text, sometimes past a line's end, inside a
/// surrogate pair, or past the last line.
fn position(rng: &mut Rng, text: &str) -> Position {
    let lines = text.split('\n').count() as u32;
    let line = match rng.below(10) {
        0 => lines + rng.below(3) as u32,
        _ => rng.below(lines as usize) as u32,
    };
    let len = text
        .split('\n')
        .nth(line as usize)
        .map_or(0, |l| rubric_lsp::position::utf16_len(l) as usize);
    let character = match rng.below(10) {
        0 => (len + rng.below(5)) as u32,
        1 => u32::MAX - rng.below(2) as u32,
        _ => rng.below(len + 1) as u32,
    };
    Position { line, character }
}

fn range(rng: &mut Rng, text: &str) -> Range {
    let a = position(rng, text);
    let b = if rng.one_in(4) {
        position(rng, text) // possibly before `a`
    } else {
        Position {
            line: a.line + rng.below(2) as u32,
            character: a.character.saturating_add(rng.below(20) as u32),
        }
    };
    Range { start: a, end: b }
}

/// A sequence of edits to a document, applied as `didChange` applies them, each followed by an
/// analysis and the requests an editor sends, at random positions.
pub fn lsp(input: &[u8]) -> Result<(), String> {
    let mut rng = Rng::new(hash(input));
    let dict = crate::mutate::dictionary();
    let mut text = String::from_utf8_lossy(input).into_owned();
    let uri: Uri = "file:///fuzz/doc.rubric"
        .parse()
        .map_err(|_| "uri".to_string())?;
    let mut last_good: Option<rubric_lsp::analysis::Analysis> = None;
    let steps = 1 + rng.below(4);
    for step in 0..steps {
        if step > 0 {
            // an incremental change, as the server applies it
            let r = range(&mut rng, &text);
            let new_text: String = match rng.below(4) {
                0 => String::new(),
                1 => {
                    let bytes = crate::mutate::mutate(
                        &mut rng,
                        text.as_bytes().get(..64.min(text.len())).unwrap_or(b""),
                        b"",
                        &dict,
                        4096,
                    );
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                _ => rng.pick(&dict).copied().unwrap_or("(").to_string(),
            };
            let index = rubric_lsp::position::LineIndex::new(&text);
            // the lenient conversion (request ranges) and the strict one (edits) both give a
            // range of the text, or the strict one refuses the edit and the text stays
            let lenient = index.span(&text, r);
            let strict = index.edit_span(&text, r);
            for span in std::iter::once(lenient).chain(strict.as_ref().ok().copied()) {
                if span.start > span.end
                    || span.end > text.len()
                    || !text.is_char_boundary(span.start)
                    || !text.is_char_boundary(span.end)
                {
                    return Err(format!(
                        "LineIndex gave {span:?} for {r:?}, not a range of the text"
                    ));
                }
            }
            if let Ok(span) = strict {
                text.replace_range(span.range(), &new_text);
            }
        }
        let a = rubric_lsp::analysis::Analysis::new(text.clone());
        let _ = rubric_lsp::diagnostics::to_lsp(&a, &uri);
        let _ = rubric_lsp::semantic_tokens::encode(&a, &rubric_lsp::semantic_tokens::tokens(&a));
        let _ = rubric_lsp::symbols::symbols(&a);
        let _ = rubric_lsp::folding::folding(&a);
        if let Ok(Some((span, new))) = rubric_lsp::formatting::format(&a) {
            let _ = a.index.range(&a.text, span);
            let _ = new.len();
        }
        for _ in 0..4 {
            let p = position(&mut rng, &text);
            let offset = a.index.offset(&a.text, p);
            if offset > a.text.len() || !a.text.is_char_boundary(offset) {
                return Err(format!(
                    "LineIndex::offset({p:?}) gave {offset}, not a char boundary"
                ));
            }
            let _ = rubric_lsp::hover::hover(&a, offset);
            let models: Vec<&Model> = std::iter::once(&a.model)
                .chain(last_good.as_ref().map(|l| &l.model))
                .collect();
            let _ = rubric_lsp::completion::completion(&text, &models, offset);
            if let Some(s) = rubric_lsp::definition::definition(&a, offset) {
                let _ = a.index.range(&a.text, s);
            }
            for s in rubric_lsp::references::references(&a, offset, rng.one_in(2)) {
                let _ = a.index.range(&a.text, s);
            }
            if let Some(r) = a.reference_at(offset) {
                let _ = a.occurrences(r.symbol);
            }
            let _ = rubric_lsp::rename::prepare(&a, offset);
            let name = ["x2", "营收", "a b", "", "let", "𝒳"][rng.below(6)];
            if let Ok(edits) = rubric_lsp::rename::rename(&a, offset, name) {
                for (s, _) in edits {
                    let _ = a.index.range(&a.text, s);
                }
            }
            let r = range(&mut rng, &text);
            let span = a.index.span(&a.text, r);
            for act in rubric_lsp::code_action::actions(&a, span) {
                for (s, _) in &act.edits {
                    let _ = a.index.range(&a.text, *s);
                }
            }
        }
        if a.parsed_cleanly {
            last_good = Some(a);
        }
    }
    Ok(())
}
