//! The report page (`rubric report`, `rubric diff --html`): one self-contained HTML file.
//!
//! Apache ECharts (vendored in `assets/echarts/`, Apache-2.0) is inlined, and the charts' data
//! goes in as one JSON document made by serde_json, read by a small script at the end of the
//! page. Nothing is fetched: the page opens from an e-mail attachment. Same input, same bytes.

use super::graded::{Graded, Scheme};
use super::migration::Comparison;
use rubric_check::hir::{CmpOp, Model, PopFunc, TExpr, TExprKind};
use rubric_eval::{format_decimal, Value};
use rubric_syntax::Decimal;
use serde_json::{json, Value as J};
use std::path::Path;

const ECHARTS: &str = include_str!("../../assets/echarts/echarts.min.js");
const SCRIPT: &str = include_str!("../../assets/report.js");
const STYLE: &str = include_str!("../../assets/report.css");

/// Points drawn on the Pareto curve at most.
const CURVE_POINTS: usize = 400;
/// A grade whose code changes more often along the Pareto curve gets no change lines.
const MAX_CHANGES: usize = 12;
/// Bins of a score's histogram.
const BINS: usize = 20;
/// Rejects listed on the page.
const REJECTS_SHOWN: usize = 200;

fn num(d: Decimal) -> J {
    serde_json::from_str::<J>(&format_decimal(d)).unwrap_or(J::Null)
}

/// A decimal as the nearest f64, for drawing (exact sums stay decimals).
fn float(d: Decimal) -> f64 {
    let scale = i32::try_from(d.scale()).unwrap_or(0);
    d.mantissa() as f64 / 10f64.powi(scale)
}

/// The page. `baseline`: the old scheme's name and the comparison with it.
pub fn page(
    scheme: &Scheme,
    g: &Graded,
    baseline: Option<(&str, &Comparison)>,
    data: &Path,
) -> String {
    let doc = document(scheme, g, baseline, data);
    // (inside <script>: `</` would end it)
    let data_json = serde_json::to_string(&doc)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let title = html_escape(&page_title(scheme));
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <main id=\"report\"><h1>{title}</h1><noscript>this report draws its charts with JavaScript; open it in a browser with scripts on</noscript></main>\n\
         <script id=\"rubric-data\" type=\"application/json\">{data_json}</script>\n\
         <script>\n{ECHARTS}\n</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

fn page_title(scheme: &Scheme) -> String {
    match &scheme.model.name {
        Some(n) => format!("{n} — rubric report"),
        None => format!("{} — rubric report", scheme.shown),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn document(scheme: &Scheme, g: &Graded, baseline: Option<(&str, &Comparison)>, data: &Path) -> J {
    let model = &scheme.model;
    let s = &g.summary;
    let grades: Vec<J> = s
        .grades
        .iter()
        .map(|gs| {
            let item = &model.items[gs.item];
            let gd = model.grade(gs.item);
            let codes: Vec<J> = gs
                .codes
                .iter()
                .enumerate()
                .map(|(i, (code, count, sum))| {
                    let label = gd.and_then(|d| d.codes.get(i)).and_then(|c| c.label.clone());
                    json!({ "code": code, "label": label, "customers": count, "measure": num(*sum) })
                })
                .collect();
            json!({
                "name": gs.name,
                "label": item.label,
                "tags": gs.is_tags,
                "codes": codes,
                "none": { "customers": gs.missing.0, "measure": num(gs.missing.1) },
            })
        })
        .collect();
    let rejects: Vec<J> = g
        .rejects
        .iter()
        .take(REJECTS_SHOWN)
        .map(|r| json!({ "line": r.line, "column": r.column, "key": r.key, "reason": r.reason }))
        .collect();
    let mut doc = json!({
        "title": page_title(scheme),
        "scheme": scheme.shown,
        "data": data.display().to_string(),
        "as_of": g.as_of.to_string(),
        "counts": { "read": s.read, "written": s.written, "rejected": s.rejected },
        "rejects": rejects,
        "measure": s.measure,
        "measure_total": num(s.measure_total),
        "grades": grades,
        "scores": scores(g),
        "pareto": pareto(model, g),
        "baseline": J::Null,
    });
    if let Some((name, cmp)) = baseline {
        doc["baseline"] = json!({
            "scheme": name,
            "customers": cmp.customers,
            "moved": cmp.moved_customers(),
            "only_in_old": cmp.only_in_old,
            "only_in_new": cmp.only_in_new,
            "grades": cmp.matrices.iter().map(|m| {
                let code = |c: &super::migration::Code| json!({ "code": c.name, "label": c.label, "shown": c.shown() });
                json!({
                    "name": m.grade,
                    "label": m.label,
                    "rows": m.rows.iter().map(code).collect::<Vec<_>>(),
                    "cols": m.cols.iter().map(code).collect::<Vec<_>>(),
                    "customers": m.customers,
                    "measure": m.measure.as_ref().map(|v| v.iter().map(|r| r.iter().map(|d| num(*d)).collect::<Vec<_>>()).collect::<Vec<_>>()),
                    "moved": m.moved,
                })
            }).collect::<Vec<_>>(),
        });
    }
    doc
}

/// Each score's histogram: `BINS` equal bins from its least to its greatest value.
fn scores(g: &Graded) -> Vec<J> {
    g.scores
        .iter()
        .map(|(name, label, values)| {
            let present: Vec<f64> = values.iter().flatten().copied().collect();
            let missing = values.len() - present.len();
            let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut bins = Vec::new();
            if !present.is_empty() {
                let width = if hi > lo {
                    (hi - lo) / BINS as f64
                } else {
                    1.0
                };
                let n = if hi > lo { BINS } else { 1 };
                let mut counts = vec![0u64; n];
                for v in &present {
                    let b = (((v - lo) / width) as usize).min(n - 1);
                    counts[b] += 1;
                }
                for (b, c) in counts.iter().enumerate() {
                    let from = lo + width * b as f64;
                    bins.push(json!({ "from": from, "to": from + width, "customers": c }));
                }
            }
            json!({ "name": name, "label": label, "bins": bins, "missing": missing })
        })
        .collect()
}

/// The Pareto curve of the measure (customers sorted by it, largest first: x the share of
/// customers, y the share of the measure), and per grade its cut lines: the thresholds of its
/// rules on `cumulative_share`/`top_share` of the measure, and where its code changes along
/// the curve.
fn pareto(model: &Model, g: &Graded) -> J {
    let Some((name, values)) = &g.measure else {
        return J::Null;
    };
    // largest first, by the nearest f64 (a picture; the sums stay exact); ties in input order
    let mut keyed: Vec<(f64, usize)> = (0..values.len())
        .filter_map(|i| values[i].map(|v| (float(v), i)))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    let n = order.len();
    let total = order
        .iter()
        .filter_map(|&i| values[i])
        .fold(Decimal::ZERO, |t, v| t.checked_add(v).unwrap_or(t));
    if n == 0 || total.is_zero() {
        return J::Null;
    }
    let total_f = float(total);
    let mut cum = Vec::with_capacity(n);
    let mut run = Decimal::ZERO;
    for &i in &order {
        run = run
            .checked_add(values[i].unwrap_or(Decimal::ZERO))
            .unwrap_or(run);
        cum.push(float(run) / total_f);
    }
    let step = n.div_ceil(CURVE_POINTS).max(1);
    let mut points = vec![json!([0.0, 0.0])];
    for k in (step - 1..n).step_by(step) {
        points.push(json!([(k + 1) as f64 / n as f64, cum[k]]));
    }
    if (n - 1) % step != step - 1 {
        points.push(json!([1.0, cum[n - 1]]));
    }
    let cuts: Vec<J> = g
        .grades
        .iter()
        .map(|col| {
            let mut changes = Vec::new();
            for k in 1..n {
                let (a, b) = (col.values[order[k - 1]], col.values[order[k]]);
                if a != b && changes.len() > MAX_CHANGES {
                    break;
                }
                if a != b {
                    changes.push(json!({
                        "x": k as f64 / n as f64,
                        "y": cum[k - 1],
                        "from": code_shown(col, a),
                        "to": code_shown(col, b),
                    }));
                }
            }
            let runs = changes.len() <= MAX_CHANGES;
            json!({
                "grade": col.name,
                "label": col.label,
                "thresholds": thresholds(model, &col.name, name),
                "changes": if runs { changes } else { Vec::new() },
                "mixed": !runs,
            })
        })
        .collect();
    json!({ "measure": name, "points": points, "cuts": cuts })
}

fn code_shown(col: &super::graded::GradeCol, code: u32) -> String {
    usize::try_from(code)
        .ok()
        .and_then(|c| col.codes.get(c))
        .map_or("(none)".to_string(), |(name, label)| match label {
            Some(l) => format!("{name} {l}"),
            None => name.clone(),
        })
}

/// The thresholds a grade's rules put on `cumulative_share(measure)` (a level of the curve)
/// and `top_share(measure)` (a share of customers): `[{kind, value, code}]`.
fn thresholds(model: &Model, grade: &str, measure: &str) -> Vec<J> {
    let Some(id) = model.item_named(grade) else {
        return Vec::new();
    };
    let Some(gd) = model.grade(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in &gd.codes {
        let Some(cond) = &c.cond else { continue };
        let mut found = Vec::new();
        walk(model, cond, gd.by.as_ref(), measure, &mut found);
        for (kind, value) in found {
            out.push(json!({ "kind": kind, "value": value, "code": c.name, "label": c.label }));
        }
    }
    out
}

fn walk(
    model: &Model,
    e: &TExpr,
    by: Option<&TExpr>,
    measure: &str,
    out: &mut Vec<(&'static str, f64)>,
) {
    match &e.kind {
        TExprKind::And(a, b) | TExprKind::Or(a, b) => {
            walk(model, a, by, measure, out);
            walk(model, b, by, measure, out);
        }
        TExprKind::Cmp(CmpOp::Le | CmpOp::Lt, lhs, rhs) => {
            if let (Some(kind), TExprKind::Lit(l)) = (share_of(model, lhs, by, measure), &rhs.kind)
            {
                if let Value::Num(d) = rubric_eval::literal_value(l) {
                    out.push((kind, float(d)));
                }
            }
        }
        _ => {}
    }
}

/// `cumulative_share(measure)` or `top_share(measure)`, directly, through a `let`, or as the
/// grade's `by` subject.
fn share_of(model: &Model, e: &TExpr, by: Option<&TExpr>, measure: &str) -> Option<&'static str> {
    match &e.kind {
        TExprKind::Subject => share_of(model, by?, None, measure),
        TExprKind::Item(i) => match &model.items.get(*i)?.kind {
            rubric_check::hir::ItemKind::Let { value } => share_of(model, value, None, measure),
            _ => None,
        },
        TExprKind::Pop(p) => {
            let pop = model.pops.get(*p)?;
            if pop.within.is_some() {
                return None;
            }
            let arg = pop.arg.as_ref()?;
            let named = match &arg.kind {
                TExprKind::Field(f) => model.fields.get(*f).map(|f| f.name.as_str()),
                TExprKind::Item(i) => model.items.get(*i).map(|i| i.name.as_str()),
                _ => None,
            };
            if named != Some(measure) {
                return None;
            }
            match pop.func {
                PopFunc::CumulativeShare => Some("cumulative_share"),
                PopFunc::TopShare => Some("top_share"),
                _ => None,
            }
        }
        _ => None,
    }
}
