//! `rubric run`'s output for people: kept input columns (`--keep`, `--keep-all`), the workbook
//! (`--out FILE.xlsx`) and the summary figures it shares with the printed summary.

use rubric_check::hir::{FieldDef, Model, Ty};
use rubric_eval::format_decimal;
use rubric_eval::io::{Format, Summary, SummaryRow, SummaryTable};
use rubric_eval::run::RunSummary;
use rubric_syntax::diagnostic::did_you_mean;
use rubric_syntax::{Decimal, Span};

/// The input fields to write after the key, resolved against the scheme and the data's
/// header. Names the scheme does not declare are added to `model` as optional text fields
/// (read as the data shows them, text untouched); declared fields are written as parsed.
///
/// - `--keep a,b`: each name is a field's name, a field's header, or a header of the data;
/// - `--keep-all`: every column of the data, in order (JSON, which has no header: every field).
///
/// The key is never repeated. Returns the kept fields, in order.
pub fn resolve_keep(
    model: &mut Model,
    keep: &[String],
    keep_all: bool,
    header: &[String],
    input: Format,
) -> Result<Vec<usize>, String> {
    let json = matches!(input, Format::Json | Format::Jsonl);
    let mut names: Vec<String> = Vec::new();
    if keep_all {
        if json {
            names.extend(model.fields.iter().map(|f| f.column.clone()));
        } else {
            names.extend(header.iter().map(|h| h.trim().to_string()));
        }
    }
    names.extend(
        keep.iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty()),
    );
    let mut out: Vec<usize> = Vec::new();
    for name in names {
        let found = model
            .field_named(&name)
            .or_else(|| model.fields.iter().position(|f| f.column == name));
        let f = match found {
            Some(f) => f,
            None if json || header.iter().any(|h| h.trim() == name) => {
                model.fields.push(FieldDef {
                    name: name.clone(),
                    column: name.clone(),
                    ty: Ty::Text,
                    optional: true,
                    is_key: false,
                    span: Span::default(),
                    doc: None,
                    agg: None,
                });
                model.fields.len() - 1
            }
            None => {
                let candidates: Vec<&str> = model
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(header.iter().map(|h| h.trim()))
                    .collect();
                let help = match did_you_mean(&name, candidates) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => {
                        let shown: Vec<String> = header
                            .iter()
                            .take(12)
                            .map(|h| format!("`{}`", h.trim()))
                            .collect();
                        format!("the columns are {}", shown.join(", "))
                    }
                };
                return Err(format!(
                    "--keep: the data has no column `{name}`\n  = help: {help}"
                ));
            }
        };
        if model.key != Some(f) && !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// The label of code `i` of grade item `item` (its name when it has none).
pub fn code_label(model: &Model, item: usize, i: usize) -> Option<String> {
    let code = model.grade(item)?.codes.get(i)?;
    Some(code.label.clone().unwrap_or_else(|| code.name.clone()))
}

/// The `汇总` sheet's figures.
pub fn workbook_summary(model: &Model, s: &RunSummary) -> Summary {
    let tables = s
        .grades
        .iter()
        .map(|g| {
            let item = model.items.get(g.item);
            let title = item
                .and_then(|i| i.label.clone())
                .unwrap_or_else(|| g.name.clone());
            let mut rows: Vec<SummaryRow> = g
                .codes
                .iter()
                .enumerate()
                .map(|(i, (code, n, m))| SummaryRow {
                    code: code.clone(),
                    label: code_label(model, g.item, i).unwrap_or_else(|| code.clone()),
                    customers: *n,
                    measure: *m,
                })
                .collect();
            if g.missing.0 > 0 {
                let none = if g.is_tags { "(无标签)" } else { "(无)" };
                rows.push(SummaryRow {
                    code: none.into(),
                    label: none.into(),
                    customers: g.missing.0,
                    measure: g.missing.1,
                });
            }
            SummaryTable { title, rows }
        })
        .collect();
    Summary {
        customers: s.written,
        measure: s.measure.clone().map(|m| (m, s.measure_total)),
        tables,
    }
}

/// `part` as a percentage of `whole` with one decimal, the one way the summary prints shares
/// (`4.0%`, `17.0%`, `0.5%`); `-` when `whole` is zero.
pub fn percent(part: Decimal, whole: Decimal) -> String {
    if whole == Decimal::ZERO {
        return "-".into();
    }
    let pct = part
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|x| x.checked_div(whole));
    match pct {
        Some(p) => {
            let s = format_decimal(p.round(1));
            if s.contains('.') {
                format!("{s}%")
            } else {
                format!("{s}.0%")
            }
        }
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_have_one_decimal() {
        let p = |a: u64, b: u64| percent(Decimal::from(a), Decimal::from(b));
        assert_eq!(p(4, 100), "4.0%");
        assert_eq!(p(17, 100), "17.0%");
        assert_eq!(p(1, 200), "0.5%");
        assert_eq!(p(1, 3), "33.3%");
        assert_eq!(p(2, 3), "66.7%");
        assert_eq!(p(3, 3), "100.0%");
        assert_eq!(p(0, 3), "0.0%");
        assert_eq!(p(1, 0), "-");
    }
}
