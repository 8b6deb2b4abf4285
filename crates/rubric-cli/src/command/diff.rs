//! `rubric diff OLD NEW --data FILE`: what a change to a scheme does to the customers.

use super::graded::{self, DataArgs, Fail, Graded};
use super::migration::{self, Comparison};
use crate::console::{errln, outln};
use rubric_eval::format_decimal;
use rubric_eval::io::{self, ColumnKind, OutputColumn, OutputFormat, RecordWriter, Sheet};
use rubric_syntax::Decimal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Movers listed on the terminal when they are also written to --out.
const LIST_WITH_OUT: usize = 20;

/// Run two versions of a scheme over the same data and show what changed: for every grade
/// both define, the migration matrix (old code → new code: customers, and with --measure its
/// sum), then every customer who moved, with the rule that decided before and after.
///
/// OLD may be `git:REV:path`: the scheme as committed in revision REV of the git repository
/// holding the current directory (e.g. `git:HEAD:tiers.rubric`). The data is read once.
///
/// `--out moved.csv|json|xlsx` writes the movers and the matrices (CSV: the movers, and the
/// matrices beside it in `moved.matrix.csv`); `--html report.html` writes `rubric report`'s
/// page of the new scheme with the migration in it. With --out, the terminal lists the first
/// 20 movers; without, all of them.
///
/// Exit status: 0 when no customer moved, 1 when some customers moved, 2 for errors (a scheme
/// that does not check, a file that cannot be read or written, a bad flag).
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The old scheme: a `.rubric` file or `git:REV:path`
    #[arg(value_name = "OLD")]
    old: String,
    /// The new scheme: a `.rubric` file or `git:REV:path`
    #[arg(value_name = "NEW")]
    new: String,
    #[command(flatten)]
    data: DataArgs,
    /// Write the movers and the matrices: .csv, .json or .xlsx
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write the report page of the new scheme, with the migration, as one HTML file
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Show the values that decided each mover's rules (`revenue = 900 >= 800`), as
    /// `rubric run --explain` does; slower: every customer is explained
    #[arg(long)]
    explain: bool,
}

pub fn main(args: Args) -> ExitCode {
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            errln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Runs both schemes; the measure is summed in each scheme that has it.
pub fn grade_both(
    old: &graded::Scheme,
    new: &graded::Scheme,
    data: &graded::Data,
    args: &DataArgs,
    explain: bool,
    scores: bool,
) -> Result<(Graded, Graded), Fail> {
    let measure = args.measure.as_deref();
    let has = |s: &graded::Scheme| {
        measure.filter(|m| rubric_eval::run::Measure::find(&s.model, m).is_ok())
    };
    if let Some(m) = measure {
        if has(old).is_none() && has(new).is_none() {
            rubric_eval::run::Measure::find(&new.model, m).map_err(|e| {
                format!("{e}\n  = help: --measure names a numeric field or let of the schemes")
            })?;
        }
    }
    // Both at once: one run alone leaves cores idle while it reads and while its sink keeps
    // the cells, so the two overlap (BENCHMARKS.md).
    let (a, b) = std::thread::scope(|s| {
        let old_run = s.spawn(|| graded::grade(old, data, args, has(old), explain, scores));
        let b = graded::grade(new, data, args, has(new), explain, scores);
        let a = old_run
            .join()
            .unwrap_or_else(|_| Err("internal error: the run of the old scheme failed".into()));
        (a, b)
    });
    Ok((a?, b?))
}

fn run(args: &Args) -> Result<ExitCode, Fail> {
    let out_format = match &args.out {
        Some(p) => Some(OutputFormat::for_path(p).map_err(|e| graded::data_error(&e))?),
        None => None,
    };
    if out_format == Some(OutputFormat::Jsonl) {
        return Err("--out writes .csv, .json or .xlsx, not .jsonl\n  = help: name the file moved.csv, moved.json or moved.xlsx".into());
    }
    let old = graded::load_scheme(&args.old)?;
    let new = graded::load_scheme(&args.new)?;
    let data = graded::load_data(&args.data)?;
    let (a, b) = grade_both(
        &old,
        &new,
        &data,
        &args.data,
        args.explain,
        args.html.is_some(),
    )?;
    let cmp = migration::compare(&a, &b, true);

    for line in summary_lines(&cmp, &a, &b, &old.shown, &new.shown) {
        outln!("{line}");
    }
    for m in &cmp.matrices {
        let title = format!(
            "\n{}: customers, old (rows) → new (columns)",
            grade_shown(&m.grade, m.label.as_deref())
        );
        for line in m.text(&title, "old \\ new", cmp.measure.as_deref(), false) {
            outln!("{line}");
        }
    }
    if !cmp.movers.is_empty() {
        let limit = if args.out.is_some() {
            LIST_WITH_OUT
        } else {
            usize::MAX
        };
        outln!("\nmoved:");
        for line in mover_lines(&cmp, limit) {
            outln!("{line}");
        }
        if cmp.movers.len() > limit {
            outln!(
                "  … and {} more in `{}`",
                cmp.movers.len() - limit,
                args.out
                    .as_deref()
                    .map_or(String::new(), |p| p.display().to_string())
            );
        }
    }
    if let (Some(path), Some(format)) = (&args.out, out_format) {
        write_out(path, format, &cmp, b.as_of)?;
    }
    if let Some(path) = &args.html {
        let page =
            super::report_html::page(&new, &b, Some((&old.shown, &cmp)), &data.shown(&args.data));
        super::report::write_file(path, page.as_bytes())?;
    }
    Ok(if cmp.movers.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn grade_shown(name: &str, label: Option<&str>) -> String {
    match label {
        Some(l) if l != name => format!("{name} {l}"),
        _ => name.to_string(),
    }
}

fn summary_lines(cmp: &Comparison, a: &Graded, b: &Graded, old: &str, new: &str) -> Vec<String> {
    let mut out = vec![format!(
        "{old} → {new}: {} customers, {} moved",
        cmp.customers,
        cmp.moved_customers()
    )];
    for (which, g) in [(old, a), (new, b)] {
        if g.summary.rejected > 0 {
            out.push(format!(
                "note: {which} rejected {} of {} rows (`rubric run` lists them)",
                g.summary.rejected, g.summary.read
            ));
        }
        // (the rejects past the customers' are event rows: an order of no customer, a bad cell)
        let events = (g.rejects.len() as u64).saturating_sub(g.summary.rejected);
        if events > 0 {
            out.push(format!(
                "note: {which} rejected {events} event row{} (`rubric run` lists them)",
                if events == 1 { "" } else { "s" }
            ));
        }
    }
    if cmp.only_old > 0 {
        out.push(format!(
            "note: {} customers are graded by {old} only (the new scheme rejected them)",
            cmp.only_old
        ));
    }
    if cmp.only_new > 0 {
        out.push(format!(
            "note: {} customers are graded by {new} only (the old scheme rejected them)",
            cmp.only_new
        ));
    }
    for g in &cmp.only_in_old {
        out.push(format!("grade `{g}` is only in {old} (removed)"));
    }
    for g in &cmp.only_in_new {
        out.push(format!("grade `{g}` is only in {new} (added)"));
    }
    out
}

/// The movers as aligned text lines: key, grade, old → new, and the rules.
fn mover_lines(cmp: &Comparison, limit: usize) -> Vec<String> {
    let rows: Vec<[String; 5]> = cmp
        .movers
        .iter()
        .take(limit)
        .map(|m| {
            let g = &cmp.matrices[m.grade];
            [
                m.key.clone(),
                g.grade.clone(),
                g.rows[m.old].shown(),
                g.cols[m.new].shown(),
                format!("was {}; now {}", m.old_why, m.new_why),
            ]
        })
        .collect();
    let w = |k: usize| {
        rows.iter()
            .map(|r| rubric_fmt::display_width(&r[k]))
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (w(0), w(1), w(2));
    rows.iter()
        .map(|r| {
            format!(
                "  {}  {}  {} → {}   {}",
                super::explain::text::pad(&r[0], w0),
                super::explain::text::pad(&r[1], w1),
                super::explain::text::pad(&r[2], w2),
                r[3],
                r[4]
            )
        })
        .collect()
}

/// One table of an export: header, kinds, text cells.
struct Table {
    header: Vec<&'static str>,
    kinds: Vec<ColumnKind>,
    rows: Vec<Vec<Option<String>>>,
}

fn decimal(d: Decimal) -> Option<String> {
    Some(format_decimal(d))
}

fn code_name(c: &migration::Code) -> Option<String> {
    (!c.name.is_empty()).then(|| c.name.clone())
}

fn code_label(c: &migration::Code) -> Option<String> {
    c.label.clone()
}

/// The movers: one row per customer and grade that changed.
fn movers_table(cmp: &Comparison) -> Table {
    let mut header = vec![
        "key",
        "grade",
        "old",
        "old_label",
        "new",
        "new_label",
        "old_rule",
        "new_rule",
    ];
    let mut kinds = vec![ColumnKind::Text; header.len()];
    if cmp.measure.is_some() {
        header.push("measure");
        kinds.push(ColumnKind::Number);
    }
    let rows = cmp
        .movers
        .iter()
        .map(|m| {
            let g = &cmp.matrices[m.grade];
            let (o, n) = (&g.rows[m.old], &g.cols[m.new]);
            let mut r = vec![
                Some(m.key.clone()),
                Some(g.grade.clone()),
                code_name(o),
                code_label(o),
                code_name(n),
                code_label(n),
                Some(m.old_why.clone()),
                Some(m.new_why.clone()),
            ];
            if cmp.measure.is_some() {
                r.push(m.measure.and_then(decimal));
            }
            r
        })
        .collect();
    Table {
        header,
        kinds,
        rows,
    }
}

/// The matrices, one row per grade and pair of codes (every declared pair, zeros too).
fn matrix_table(cmp: &Comparison) -> Table {
    let mut header = vec!["grade", "old", "old_label", "new", "new_label", "customers"];
    let mut kinds = vec![ColumnKind::Text; 5];
    kinds.push(ColumnKind::Number);
    if cmp.measure.is_some() {
        header.push("measure");
        kinds.push(ColumnKind::Number);
    }
    let mut rows = Vec::new();
    for g in &cmp.matrices {
        for (r, o) in g.rows.iter().enumerate() {
            for (c, n) in g.cols.iter().enumerate() {
                let count = g.customers[r][c];
                if count == 0 && (o.name.is_empty() || n.name.is_empty()) {
                    continue;
                }
                let mut row = vec![
                    Some(g.grade.clone()),
                    code_name(o),
                    code_label(o),
                    code_name(n),
                    code_label(n),
                    Some(count.to_string()),
                ];
                if let Some(m) = &g.measure {
                    row.push(decimal(m[r][c]));
                }
                rows.push(row);
            }
        }
    }
    Table {
        header,
        kinds,
        rows,
    }
}

fn csv_bytes(path: &Path, t: &Table) -> Result<Vec<u8>, Fail> {
    let columns = t
        .header
        .iter()
        .zip(&t.kinds)
        .map(|(h, k)| OutputColumn::new(*h, *k))
        .collect();
    let name = path.display().to_string();
    let fail = |e: io::DataError| graded::data_error(&e);
    let mut w = RecordWriter::new(Vec::new(), &name, OutputFormat::Csv, columns).map_err(fail)?;
    for row in &t.rows {
        let cells: Vec<Option<&str>> = row.iter().map(|c| c.as_deref()).collect();
        w.write_row(&cells).map_err(fail)?;
    }
    w.finish().map_err(fail)
}

fn json_rows(t: &Table) -> serde_json::Value {
    use serde_json::Value as J;
    J::Array(
        t.rows
            .iter()
            .map(|row| {
                let mut o = serde_json::Map::new();
                for ((h, k), c) in t.header.iter().zip(&t.kinds).zip(row) {
                    let v = match c {
                        None => J::Null,
                        Some(s) if *k == ColumnKind::Number => {
                            serde_json::from_str(s).unwrap_or(J::String(s.clone()))
                        }
                        Some(s) => J::String(s.clone()),
                    };
                    o.insert((*h).to_string(), v);
                }
                J::Object(o)
            })
            .collect(),
    )
}

/// `--out`: the movers and the matrices.
fn write_out(
    path: &Path,
    format: OutputFormat,
    cmp: &Comparison,
    created: rubric_syntax::date::Date,
) -> Result<(), Fail> {
    let (movers, matrix) = (movers_table(cmp), matrix_table(cmp));
    let write = |p: &Path, bytes: &[u8]| super::report::write_file(p, bytes);
    match format {
        OutputFormat::Csv => {
            write(path, &csv_bytes(path, &movers)?)?;
            write(&matrix_path(path), &csv_bytes(path, &matrix)?)
        }
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "customers": cmp.customers,
                "moved": cmp.moved_customers(),
                "measure": cmp.measure,
                "grades_only_in_old": cmp.only_in_old,
                "grades_only_in_new": cmp.only_in_new,
                "matrix": json_rows(&matrix),
                "movers": json_rows(&movers),
            });
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
            write(path, text.as_bytes())
        }
        _ => {
            let sheet = |name: &str, t: &Table| Sheet {
                name: name.to_string(),
                header: t.header.iter().map(|h| (*h).to_string()).collect(),
                kinds: t.kinds.clone(),
                rows: t.rows.clone(),
            };
            let sheets = [sheet(MOVERS_SHEET, &movers), sheet(MATRIX_SHEET, &matrix)];
            let mut bytes = Vec::new();
            io::write_sheets(&path.display().to_string(), &sheets, created, &mut bytes)
                .map_err(|e| graded::data_error(&e))?;
            write(path, &bytes)
        }
    }
}

/// The workbook's sheets.
pub const MOVERS_SHEET: &str = "变动客户";
pub const MATRIX_SHEET: &str = "迁移矩阵";

/// `moved.csv` → `moved.matrix.csv`.
fn matrix_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or("moved".into(), |s| s.to_string_lossy().to_string());
    path.with_file_name(format!("{stem}.matrix.csv"))
}
