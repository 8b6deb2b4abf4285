//! `rubric test [PATH…]`: runs every `test` block of the schemes found (LANGUAGE.md §5) and
//! every dataset `[[snapshot]]` of the `rubric.toml` files found, and ends with
//! `N passed, N failed`.
//!
//! A test builds its population from its `given` records, evaluates it at the test's `as_of`
//! (else the scheme's; tests never read today's date), and passes when every `expect` is true.
//! A failing expectation prints `file:line`, its source, the actual values of the compared
//! sides, and the rule trace of every grade, points, score or let it reads.

use super::explain::text;
use crate::console::{err, errln, out, outln};
use crate::render;
use rubric_check::hir::{ItemId, Model, TExpr, TExprKind, TestCase};
use rubric_check::visit;
use rubric_eval::{Evaluation, InputRow, Plan, Value};
use rubric_syntax::span::line_col;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "test_report.rs"]
mod report;
#[path = "test_snapshot.rs"]
mod snapshot;

#[derive(clap::Args)]
pub struct Args {
    /// Scheme files, `rubric.toml` files, or directories to search (recursively) for both
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Run only the tests (and snapshots) whose name contains TEXT
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Write new and changed dataset snapshots (never when the environment has CI=true)
    #[arg(long)]
    update: bool,
    /// How results are written to stdout: `human` as the tests run; `json`, `junit` (JUnit XML)
    /// or `github` (workflow annotations) once at the end, with the `N passed, N failed` line on
    /// stderr
    #[arg(long, value_enum, default_value = "human")]
    format: report::Format,
}

/// Counts and exit status of a whole run, and every case for the reports.
#[derive(Default)]
pub(crate) struct Tally {
    pub passed: usize,
    pub failed: usize,
    /// A scheme did not check, or a file could not be read.
    pub broken: bool,
    pub format: report::Format,
    pub cases: Vec<report::Case>,
}

impl Tally {
    /// Whether results are printed for people as the tests run.
    pub fn human(&self) -> bool {
        self.format == report::Format::Human
    }

    /// Counts a case and keeps it for the report.
    pub fn record(&mut self, case: report::Case) {
        if case.failure.is_some() {
            self.failed += 1;
        } else {
            self.passed += 1;
        }
        self.cases.push(case);
    }
}

pub fn main(args: Args) -> ExitCode {
    let mut schemes = Vec::new();
    let mut tomls = Vec::new();
    let mut beside_tomls: Vec<(PathBuf, PathBuf)> = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            if let Err(e) = walk(p, &mut schemes, &mut tomls) {
                errln!("error: cannot read `{}`: {e}", p.display());
                return ExitCode::from(2);
            }
        } else if !p.exists() {
            errln!("error: `{}` does not exist", p.display());
            return ExitCode::from(2);
        } else if p.file_name().is_some_and(|n| n == "rubric.toml") {
            tomls.push(p.clone());
        } else {
            schemes.push(p.clone());
            // a scheme named on its own also runs its snapshots in the rubric.toml beside it
            let beside = p.parent().unwrap_or(Path::new("")).join("rubric.toml");
            if beside.is_file() {
                beside_tomls.push((beside, p.canonicalize().unwrap_or_else(|_| p.clone())));
            }
        }
    }
    let whole: Vec<PathBuf> = tomls.iter().filter_map(|t| t.canonicalize().ok()).collect();
    beside_tomls.retain(|(t, _)| !t.canonicalize().is_ok_and(|c| whole.contains(&c)));
    let color = render::color_stderr();
    let mut tally = Tally {
        format: args.format,
        ..Tally::default()
    };
    for path in &schemes {
        run_scheme(path, args.filter.as_deref(), color, &mut tally);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let runs = tomls
        .iter()
        .map(|t| (t, None))
        .chain(beside_tomls.iter().map(|(t, s)| (t, Some(s.as_path()))));
    for (toml, only) in runs {
        snapshot::run_file(
            toml,
            only,
            args.filter.as_deref(),
            args.update && !ci,
            ci,
            color,
            &mut tally,
        );
    }
    if tally.passed + tally.failed == 0 && !tally.broken {
        errln!("note: no tests found");
    }
    if tally.human() {
        outln!("{} passed, {} failed", tally.passed, tally.failed);
    } else {
        out!(
            "{}",
            report::render(tally.format, &tally.cases, tally.broken)
        );
        errln!("{} passed, {} failed", tally.passed, tally.failed);
    }
    if tally.broken {
        ExitCode::from(2)
    } else if tally.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `.rubric` files and `rubric.toml` files under `dir`, sorted, skipping hidden folders and
/// build output.
fn walk(dir: &Path, schemes: &mut Vec<PathBuf>, tomls: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if p.is_dir() {
            walk(&p, schemes, tomls)?;
        } else if p.extension().is_some_and(|e| e == "rubric") {
            schemes.push(p);
        } else if name == "rubric.toml" {
            tomls.push(p);
        }
    }
    Ok(())
}

/// Reads and checks a scheme; prints its diagnostics and returns `None` when it has errors.
pub(crate) fn load_scheme(path: &Path, color: bool) -> Option<(String, Model)> {
    let shown = path.display().to_string();
    let src = match crate::command::read_scheme(path) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return None;
        }
    };
    let (_, checked) = rubric_check::check_source(&src);
    if checked.has_errors() {
        for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
            err!("{}", render::human(d, &shown, &src, color));
        }
        errln!("error: `{shown}` does not check; its tests were not run");
        return None;
    }
    Some((src, checked.model))
}

fn run_scheme(path: &Path, filter: Option<&str>, color: bool, tally: &mut Tally) {
    let shown = path.display().to_string();
    let Some((src, model)) = load_scheme(path, color) else {
        tally.broken = true;
        return;
    };
    let tests: Vec<&TestCase> = model
        .tests
        .iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .collect();
    if tests.is_empty() {
        return;
    }
    if tally.human() {
        outln!("{shown}");
    }
    for t in tests {
        let result = run_test(&model, &src, &shown, t);
        if tally.human() {
            match &result {
                Ok(()) => outln!("  ok    {}", t.name),
                Err(lines) => {
                    outln!("  FAIL  {}", t.name);
                    for l in lines {
                        outln!("    {l}");
                    }
                }
            }
        }
        // a failure is reported at its first failing line (`file:line: …`), else the test's
        let line = result
            .as_ref()
            .err()
            .and_then(|lines| lines.first())
            .and_then(|l| l.strip_prefix(&format!("{shown}:")))
            .and_then(|rest| rest.split(':').next()?.parse().ok())
            .unwrap_or_else(|| line_col(&src, t.span.start).0);
        tally.record(report::Case {
            kind: "test",
            suite: shown.clone(),
            name: t.name.clone(),
            file: shown.clone(),
            line: Some(line),
            failure: result.err(),
        });
    }
}

/// Runs one test: `Err` holds the report of its failures.
fn run_test(model: &Model, src: &str, shown: &str, t: &TestCase) -> Result<(), Vec<String>> {
    let Some(as_of) = t.as_of.or(model.as_of) else {
        let (line, _) = line_col(src, t.span.start);
        return Err(vec![format!(
            "{shown}:{line}: no evaluation date: add `as_of 2024-06-30` (any date) to the test or to the scheme; tests never use today's date"
        )]);
    };
    let events = rubric_eval::events::EventPlan::compile(model, as_of);
    let mut rows: Vec<InputRow> = Vec::new();
    for r in &t.records {
        let line = line_col(src, r.span.start).0;
        match rubric_eval::events::test_values(model, &events, r) {
            Ok(values) => rows.push(InputRow {
                line: line as u64,
                values,
            }),
            Err(reason) => {
                return Err(vec![format!(
                    "{shown}:{line}: the customer is not evaluated: {reason}"
                )])
            }
        }
    }
    let plan = Plan::compile(model, as_of);
    let ev = plan.evaluate(rows);
    let mut report = Vec::new();
    for r in ev.rejects() {
        report.push(format!(
            "{shown}:{}: the customer is not evaluated: {}",
            r.line, r.reason
        ));
    }
    for e in &t.expects {
        // One customer: the expectation is about it. A population: `x["key"]` names customers,
        // and an expectation without a key must hold for every customer.
        let rows: Vec<Option<usize>> = if (t.many && has_index(&e.expr)) || ev.is_empty() {
            vec![None]
        } else {
            (0..ev.len()).map(Some).collect()
        };
        for row in rows {
            let v = match row {
                Some(r) => ev.eval_expr(model, &e.expr, r),
                None => ev.eval_global(model, &e.expr),
            };
            if v == Value::Bool(true) {
                continue;
            }
            let (line, _) = line_col(src, e.span.start);
            let mut head = format!("{shown}:{line}: expect {}", text::source_text(src, e.span));
            if t.many && row.is_some() {
                head.push_str(&format!("  (customer \"{}\")", ev.key(row.unwrap_or(0))));
            }
            report.push(head);
            let got = match v {
                Value::Missing => "missing".to_string(),
                other => text::value(&other, &rubric_check::hir::Ty::Bool, model, false),
            };
            report.push(format!("  is {got}"));
            for side in sides(&e.expr) {
                let sv = match row {
                    Some(r) => ev.eval_expr(model, side, r),
                    None => ev.eval_global(model, side),
                };
                report.push(format!(
                    "  {} = {}",
                    text::source_text(src, side.span),
                    text::value(&sv, &side.ty, model, false)
                ));
            }
            for (item, r) in involved(model, &ev, &e.expr, row) {
                let Some(r) = r else { continue };
                let trace = ev.trace(model, r, item);
                let who = if t.many {
                    format!(" for \"{}\"", ev.key(r))
                } else {
                    String::new()
                };
                report.push(format!(
                    "  {}{who} = {}:",
                    text::item_heading(model, item),
                    text::item_value(model, &trace)
                ));
                report.extend(text::trace_lines(model, src, &trace, "    "));
            }
            // one failing customer is enough to explain an expectation about everyone
            break;
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

fn has_index(e: &TExpr) -> bool {
    let mut found = false;
    visit::walk(e, &mut |x| {
        if matches!(x.kind, TExprKind::Index { .. }) {
            found = true;
        }
    });
    found
}

/// The compared sides of an expectation whose values are worth showing: the operands of every
/// comparison under `and`/`or`/`not` that are not constants.
fn sides(e: &TExpr) -> Vec<&TExpr> {
    fn constant(e: &TExpr) -> bool {
        match &e.kind {
            TExprKind::Lit(_) | TExprKind::Code { .. } => true,
            TExprKind::List(items) => items.iter().all(constant),
            TExprKind::Unary(_, a) => constant(a),
            _ => false,
        }
    }
    fn go<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
        match &e.kind {
            TExprKind::And(a, b) | TExprKind::Or(a, b) => {
                go(a, out);
                go(b, out);
            }
            TExprKind::Unary(_, a) => go(a, out),
            TExprKind::Cmp(_, a, b) => {
                out.extend([&**a, &**b].into_iter().filter(|x| !constant(x)));
            }
            TExprKind::In { value, list, .. } => {
                out.extend([&**value, &**list].into_iter().filter(|x| !constant(x)));
            }
            TExprKind::Between { value, lo, hi } => {
                out.extend(
                    [&**value, &**lo, &**hi]
                        .into_iter()
                        .filter(|x| !constant(x)),
                );
            }
            TExprKind::Has { tags, .. } => out.push(tags),
            TExprKind::IsMissing { expr, .. } => out.push(expr),
            TExprKind::Within { date, .. } => out.push(date),
            _ => {
                if !constant(e) {
                    out.push(e);
                }
            }
        }
    }
    let mut out = Vec::new();
    go(e, &mut out);
    let mut seen: Vec<rubric_syntax::Span> = Vec::new();
    out.retain(|x| {
        let new = !seen.contains(&x.span);
        seen.push(x.span);
        new
    });
    out
}

/// The items an expectation reads, with the customer each is read for (`tier["b"]` is `b`).
fn involved(
    model: &Model,
    ev: &Evaluation<'_>,
    e: &TExpr,
    row: Option<usize>,
) -> Vec<(ItemId, Option<usize>)> {
    fn go(
        model: &Model,
        ev: &Evaluation<'_>,
        e: &TExpr,
        row: Option<usize>,
        out: &mut Vec<(ItemId, Option<usize>)>,
    ) {
        match &e.kind {
            TExprKind::Index { value, key } => {
                let r = match ev.eval_global(model, key) {
                    Value::Text(k) => ev.row_of_key(&k),
                    _ => None,
                };
                go(model, ev, value, r, out);
            }
            TExprKind::Item(i) => {
                if text::is_traceable(model, *i) && !out.contains(&(*i, row)) {
                    out.push((*i, row));
                }
            }
            _ => {
                for c in visit::children(e) {
                    go(model, ev, c, row, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    go(model, ev, e, row, &mut out);
    out
}
