//! CodeLens above each grade and tags: its distribution over the scheme's sample data, e.g.
//! `金牌 12 (4.0%) · 银牌 40 (13.3%) · 其他 248 (82.7%)`.
//!
//! The sample data is the first `[[snapshot]]` of a `rubric.toml` in the scheme's folder (or a
//! parent folder) whose `scheme` is this file. The data is read and evaluated with `rubric_eval`
//! when the document is opened and each time it is saved; the counts are kept per grade name, so
//! edits in between move the lenses without re-reading the data.

use crate::analysis::Analysis;
use rubric_check::hir::{ItemKind, Ty};
use rubric_eval::project::{Project, Snapshot};
use rubric_eval::{Plan, Value};
use rubric_syntax::Span;
use std::collections::BTreeMap;
use std::path::Path;

/// The distribution of every grade and tags over the sample data, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// No `rubric.toml` names this scheme: no lenses.
    NoData,
    /// The data could not be evaluated; shown above every grade.
    Failed(String),
    /// Per grade or tags name: the lens title.
    Ready(BTreeMap<String, String>),
}

/// Evaluates the analysed scheme over its sample data.
pub fn distribution(a: &Analysis, scheme: &Path) -> Distribution {
    let Some((dir, entry)) = Project::find_for_scheme(scheme) else {
        return Distribution::NoData;
    };
    if a.diagnostics.iter().any(|d| d.is_error()) {
        return Distribution::Failed(
            "the scheme has errors; fix them to see the distribution".into(),
        );
    }
    match evaluate(a, &dir, &entry) {
        Ok(d) => Distribution::Ready(d),
        Err(e) => Distribution::Failed(e),
    }
}

fn evaluate(
    a: &Analysis,
    dir: &Path,
    entry: &Snapshot,
) -> Result<BTreeMap<String, String>, String> {
    let model = &a.model;
    let as_of = entry.as_of(model.as_of)?;
    let (rows, _rejects) = entry
        .read(dir, model, as_of)
        .map_err(|e| format!("sample data: {e}"))?;
    let plan = Plan::compile(model, as_of);
    let ev = plan.evaluate(rows);
    let n = ev.len();
    let mut out = BTreeMap::new();
    for (id, item) in model.items.iter().enumerate() {
        let ItemKind::Grade(g) = &item.kind else {
            continue;
        };
        let mut counts = vec![0u64; g.codes.len()];
        let mut none = 0u64;
        for row in 0..n {
            match (ev.value(row, id), &item.ty) {
                (Value::Code(c), Ty::Grade(_)) => {
                    if let Some(x) = counts.get_mut(usize::from(*c)) {
                        *x += 1;
                    }
                }
                (Value::Tags(bits), Ty::Tags(_)) if *bits != 0 => {
                    for (i, x) in counts.iter_mut().enumerate() {
                        if i < 64 && bits & (1u64 << i) != 0 {
                            *x += 1;
                        }
                    }
                }
                _ => none += 1,
            }
        }
        let mut parts: Vec<String> = g
            .codes
            .iter()
            .zip(&counts)
            .map(|(c, k)| {
                format!(
                    "{} {k} ({})",
                    c.label.as_deref().unwrap_or(&c.name),
                    percent(*k, n)
                )
            })
            .collect();
        if none > 0 {
            let what = if g.is_tags { "no tag" } else { "no code" };
            parts.push(format!("{what} {none} ({})", percent(none, n)));
        }
        if n == 0 {
            parts = vec!["the sample data has no customers".to_string()];
        }
        out.insert(item.name.clone(), parts.join(" · "));
    }
    Ok(out)
}

/// `k` of `n` as a percentage with one decimal, rounded half up, in integer arithmetic.
fn percent(k: u64, n: usize) -> String {
    let n = n as u128;
    if n == 0 {
        return "0.0%".into();
    }
    let tenths = (u128::from(k) * 1000 * 2 + n) / (2 * n);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// The lenses: a title above each grade and tags declaration.
pub fn lenses(a: &Analysis, d: &Distribution) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    for item in &a.model.items {
        if !matches!(item.kind, ItemKind::Grade(_)) {
            continue;
        }
        let title = match d {
            Distribution::NoData => continue,
            Distribution::Failed(e) => e.clone(),
            Distribution::Ready(map) => match map.get(&item.name) {
                Some(t) => t.clone(),
                None => "not in the sample data yet; save to refresh".to_string(),
            },
        };
        out.push((item.span, title));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percentages() {
        assert_eq!(percent(12, 300), "4.0%");
        assert_eq!(percent(40, 300), "13.3%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(1, 8), "12.5%");
        assert_eq!(percent(0, 0), "0.0%");
    }
}
