//! `rubric explain SCHEME --data FILE --key K`: how one customer got each output, for business
//! readers. For every score, grade and tags (`--all`: lets and points too) it shows the value,
//! every rule in order with whether it fired and the values that decided it, the attributes of
//! the code, and how far the customer is from the next better grade when that grade's
//! condition is one threshold on one value ("营业额 needs +123,456.00 to reach gold").

use crate::command::test::load_scheme;
use crate::console::{errln, outln};
use crate::render;
use rubric_check::hir::ItemKind;
use rubric_eval::io::{self, ReadOptions};
use rubric_eval::{literal_value, Plan, Value};
use rubric_syntax::ast::Literal;
use rubric_syntax::date::Date;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "explain_text.rs"]
pub(crate) mod text;

#[path = "explain_distance.rs"]
mod distance;

#[derive(clap::Args)]
pub struct Args {
    /// The scheme file (`.rubric`)
    #[arg(value_name = "SCHEME")]
    scheme: PathBuf,
    /// The customer data: csv, json, jsonl or xlsx (by extension, or --input-format) [required
    /// unless the scheme reads events and `input` holds only the key]
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// The file of an `events` block (repeat per block)
    #[arg(long, value_name = "NAME=FILE")]
    events: Vec<String>,
    /// The key of the customer to explain
    #[arg(long, value_name = "K")]
    key: String,
    /// Evaluation date, e.g. 2024-06-30 (default: the scheme's as_of, else today)
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// The data format when the extension does not tell: csv, json, jsonl or xlsx
    #[arg(long, value_name = "FORMAT")]
    input_format: Option<String>,
    /// The text encoding of a CSV file, e.g. gb18030
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,
    /// The sheet of an XLSX file (default: the first)
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Explain lets and points too
    #[arg(long)]
    all: bool,
    /// `text` for people, or `json` for tools (one object; see docs/language.md)
    #[arg(long, value_enum, value_name = "text|json", default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date(i32::try_from(secs / 86_400).unwrap_or(0))
}

pub fn main(args: Args) -> ExitCode {
    let color = render::color_stderr();
    let Some((src, model)) = load_scheme(&args.scheme, color) else {
        return ExitCode::from(2);
    };
    let as_of = match &args.as_of {
        Some(s) => match Date::parse(s.trim()) {
            Some(d) => d,
            None => {
                errln!("error: `{s}` is not a date like 2024-06-30");
                return ExitCode::from(2);
            }
        },
        None => model.as_of.unwrap_or_else(today),
    };
    let mut options = ReadOptions::default();
    if let Some(f) = &args.input_format {
        match f.parse() {
            Ok(f) => options.format = Some(f),
            Err(e) => return usage(e),
        }
    }
    if let Some(e) = &args.encoding {
        match io::encoding_for_label(e) {
            Ok(enc) => options.encoding = Some(enc),
            Err(e) => return usage(e),
        }
    }
    options.sheet = args.sheet.clone();
    let files = match super::run_events::parse(&model, &args.events, &[], &options) {
        Ok(f) => f,
        Err(e) => return usage(e),
    };
    if args.data.is_none() && (model.events.is_empty() || model.fields.iter().any(|f| !f.is_key)) {
        return usage("--data is required: the customers\n  = help: pass --data FILE");
    }
    let events_files: Vec<io::EventsFile<'_>> = files
        .iter()
        .map(|f| io::EventsFile {
            block: f.block,
            path: &f.path,
            options: f.options(),
        })
        .collect();
    let data = args.data.as_deref().map(|d| (d, &options));
    let read = if model.events.is_empty() {
        let Some((d, o)) = data else {
            return usage("--data is required");
        };
        io::read_all(d, o, &model).map(|(rows, rejects)| (rows, rejects, Vec::new(), None))
    } else {
        io::read_joined(data, &events_files, &model, as_of).map(|mut r| {
            let events = r.rejects.split_off(r.customer_rejects.min(r.rejects.len()));
            (r.rows, r.rejects, events, Some((r.plan, r.totals)))
        })
    };
    let (rows, read_rejects, event_rejects, totals) = match read {
        Ok(r) => r,
        Err(e) => return usage(e),
    };
    let plan = Plan::compile(&model, as_of);
    // kept to evaluate again with one value of the customer changed (the distance)
    let all_rows = rows.clone();
    let ev = plan.evaluate(rows);
    let data_shown = match (&args.data, files.first()) {
        (Some(d), _) => d.display().to_string(),
        (None, Some(f)) => f.shown(),
        (None, None) => String::new(),
    };
    let Some(row) = ev.row_of_key(&args.key) else {
        let rejected = read_rejects
            .iter()
            .chain(ev.rejects())
            .find(|r| r.key.as_deref() == Some(args.key.as_str()));
        match rejected {
            Some(r) => {
                let column = r
                    .column
                    .as_ref()
                    .map(|c| format!(", column `{c}`"))
                    .unwrap_or_default();
                errln!(
                    "error: customer `{}` was rejected and is not graded: line {}{column}: {}",
                    args.key,
                    r.line,
                    r.reason
                );
            }
            None => errln!(
                "error: no customer with key `{}` in `{data_shown}`",
                args.key
            ),
        }
        return ExitCode::from(1);
    };

    let mut out: Vec<String> = Vec::new();
    let mut json_items: Vec<serde_json::Value> = Vec::new();
    let mut json_input: Vec<serde_json::Value> = Vec::new();
    let mut json_events: Vec<serde_json::Value> = Vec::new();
    let line = ev.input(row).map_or(0, |r| r.line);
    // the customer's place among the rows read
    let customer_at = ev.input(row).and_then(|input| {
        all_rows
            .iter()
            .position(|r| r.line == input.line && r.values == input.values)
    });
    out.push(format!("customer {} ({data_shown}, line {line})", args.key));
    let scheme_name = model
        .name
        .as_ref()
        .map(|n| format!("\"{n}\" "))
        .unwrap_or_default();
    out.push(format!(
        "scheme {scheme_name}({}), as of {as_of}, among {} customers",
        args.scheme.display(),
        ev.len()
    ));
    let rejected = read_rejects.len() + ev.rejects().len();
    if rejected > 0 {
        let rows = if rejected == 1 {
            "1 row".to_string()
        } else {
            format!("{rejected} rows")
        };
        out.push(format!(
            "({rows} of the data rejected and not part of the population)"
        ));
    }
    if !event_rejects.is_empty() {
        let n = event_rejects.len();
        out.push(format!(
            "({n} event row{} rejected and counted in no aggregate)",
            if n == 1 { "" } else { "s" }
        ));
    }
    out.push(String::new());

    // the customer's record, by column header
    out.push("input".to_string());
    let labels: Vec<String> = model
        .fields
        .iter()
        .map(|f| {
            if f.column == f.name {
                f.name.clone()
            } else {
                format!("{} ({})", f.column, f.name)
            }
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| rubric_fmt::display_width(l))
        .max()
        .unwrap_or(0);
    if let Some(input) = ev.input(row) {
        for (k, f) in model.fields.iter().enumerate() {
            let v = input.values.get(k).cloned().unwrap_or(Value::Missing);
            let shown = text::value(&v, &f.ty, &model, f.ty == rubric_check::hir::Ty::Decimal);
            out.push(format!("  {}  {shown}", text::pad(&labels[k], width)));
            json_input.push(serde_json::json!({
                "field": f.name,
                "column": f.column,
                "value": exact(&v, &f.ty, &model),
            }));
        }
    }

    // each aggregate over events, with how many of the customer's events it counted
    if let Some((_, totals)) = &totals {
        let c = totals.index_of(&args.key);
        let texts: Vec<String> = (0..model.aggs.len())
            .map(|a| rubric_eval::events::agg_text(&model, a))
            .collect();
        let width = texts
            .iter()
            .map(|t| rubric_fmt::display_width(t))
            .max()
            .unwrap_or(0);
        out.push(String::new());
        out.push("events".to_string());
        for (a, t) in texts.iter().enumerate() {
            let v = ev
                .input(row)
                .and_then(|r| r.values.get(model.fields.len() + a))
                .cloned()
                .unwrap_or(Value::Missing);
            let shown = text::value(&v, &model.aggs[a].ty, &model, false);
            let n = totals.counted(c, a);
            let events = if n == 1 { "event" } else { "events" };
            out.push(format!(
                "  {}  {shown}  ({n} {events})",
                text::pad(t, width)
            ));
            json_events.push(serde_json::json!({
                "aggregate": t,
                "value": exact(&v, &model.aggs[a].ty, &model),
                "events": n,
            }));
        }
    }

    for (id, item) in model.items.iter().enumerate() {
        let wanted = item.is_output() || args.all;
        if !wanted {
            continue;
        }
        let trace = ev.trace(&model, row, id);
        out.push(String::new());
        out.push(format!(
            "{} = {}",
            text::item_heading(&model, id),
            text::item_value(&model, &trace)
        ));
        out.extend(text::trace_lines(&model, &src, &trace, "  "));
        let mut json_attrs: Vec<serde_json::Value> = Vec::new();
        let mut json_next = serde_json::Value::Null;
        if let (ItemKind::Grade(g), Value::Code(c)) = (&item.kind, &trace.value) {
            if let Some(code) = g.codes.get(usize::from(*c)) {
                // numbers as written (`92%`, `2万`), texts and the rest as values
                let written = text::attrs_as_written(&src, code.rule_span);
                let attrs: Vec<String> = g
                    .attr_keys
                    .iter()
                    .zip(&code.attrs)
                    .map(|((k, ty), lit)| {
                        let as_written = written
                            .iter()
                            .find(|(wk, _)| wk == k)
                            .map(|(_, v)| v.clone())
                            .filter(|_| matches!(lit, Literal::Int(_) | Literal::Decimal(_)));
                        let shown = as_written
                            .unwrap_or_else(|| text::value(&literal_value(lit), ty, &model, false));
                        json_attrs.push(serde_json::json!({
                            "key": k,
                            "value": exact(&literal_value(lit), ty, &model),
                        }));
                        format!("{k} = {shown}")
                    })
                    .collect();
                if !attrs.is_empty() {
                    out.push(format!("  attributes: {}", attrs.join(", ")));
                }
            }
        }
        if let Some(at) = customer_at {
            let probe = distance::Probe {
                plan: &plan,
                model: &model,
                rows: &all_rows,
                at,
                key: &args.key,
            };
            if let Some(nb) = distance::next_better(&probe, &trace) {
                out.extend(nb.lines("  "));
                json_next = nb.json(&model, id);
            }
        }
        let mut j = trace_json(&model, &src, &trace);
        j["kind"] = serde_json::json!(item.keyword());
        j["name"] = serde_json::json!(item.name);
        j["label"] = serde_json::json!(item.label);
        j["value"] = exact(&trace.value, &trace.ty, &model);
        if matches!(item.kind, ItemKind::Grade(_)) {
            j["attributes"] = serde_json::json!(json_attrs);
            j["next_better"] = json_next;
        }
        json_items.push(j);
    }
    if args.format == Format::Json {
        let doc = serde_json::json!({
            "customer": args.key,
            "data": data_shown,
            "line": line,
            "scheme": model.name,
            "scheme_file": args.scheme.display().to_string(),
            "as_of": as_of.to_string(),
            "customers": ev.len(),
            "rejected_rows": rejected,
            "rejected_events": event_rejects.len(),
            "input": json_input,
            "events": json_events,
            "items": json_items,
        });
        match serde_json::to_string_pretty(&doc) {
            Ok(t) => outln!("{t}"),
            Err(e) => {
                errln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        return ExitCode::SUCCESS;
    }
    for l in out {
        outln!("{l}");
    }
    ExitCode::SUCCESS
}

/// A value as `rubric run` writes it (a number exact, without trailing zeros); `null` when
/// missing.
fn exact(
    v: &Value,
    ty: &rubric_check::hir::Ty,
    model: &rubric_check::hir::Model,
) -> serde_json::Value {
    match v {
        Value::Missing => serde_json::Value::Null,
        Value::Num(d) => serde_json::json!(rubric_eval::format_decimal(d.normalize())),
        _ => serde_json::json!(rubric_eval::format_value(v, ty, model)),
    }
}

/// The rules, terms or values of a trace, for `--format json`.
fn trace_json(
    model: &rubric_check::hir::Model,
    src: &str,
    trace: &rubric_eval::Trace,
) -> serde_json::Value {
    use rubric_eval::TraceDetail;
    let leaf = |l: &rubric_eval::Leaf| serde_json::json!({ "name": l.name, "value": exact(&l.value, &l.ty, model) });
    let bonus = |b: &rubric_eval::BonusTrace| {
        serde_json::json!({
            "factor": rubric_eval::format_decimal(b.factor),
            "when": text::source_text(src, b.span),
            "outcome": b.outcome.as_str(),
        })
    };
    match &trace.detail {
        TraceDetail::Rules { subject, rules } => {
            let cond = |index: usize| match model.items.get(trace.item).map(|i| &i.kind) {
                Some(ItemKind::Grade(g)) => g.codes.get(index).and_then(|c| c.cond.as_ref()),
                Some(ItemKind::Points { rules, .. }) => {
                    rules.get(index).and_then(|r| r.cond.as_ref())
                }
                _ => None,
            };
            let rules: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "rule": r.label,
                        "when": cond(r.index).map(|c| text::source_text(src, c.span)),
                        "outcome": r.outcome.as_str(),
                        "values": r.leaves.iter().map(leaf).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::json!({ "by": subject.as_ref().map(leaf), "rules": rules })
        }
        TraceDetail::Score { terms, bonuses } => {
            let terms: Vec<serde_json::Value> = terms
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "term": t.name,
                        "value": exact(&t.value, &rubric_check::hir::Ty::Decimal, model),
                        "weight": rubric_eval::format_decimal(t.weight),
                        "bonus": t.bonus.as_ref().map(bonus),
                        "contribution": exact(&t.contribution, &rubric_check::hir::Ty::Decimal, model),
                    })
                })
                .collect();
            serde_json::json!({
                "terms": terms,
                "bonuses": bonuses.iter().map(bonus).collect::<Vec<_>>(),
            })
        }
        TraceDetail::Let { leaves } => {
            serde_json::json!({ "values": leaves.iter().map(leaf).collect::<Vec<_>>() })
        }
    }
}

fn usage(e: impl std::fmt::Display) -> ExitCode {
    errln!("error: {e}");
    ExitCode::from(2)
}
