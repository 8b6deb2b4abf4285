//! Dataset snapshots: each `[[snapshot]]` of a `rubric.toml` runs a scheme over sample data and
//! compares the result (key + outputs, as `rubric run` writes CSV) with a stored CSV.
//!
//! The file is read by `rubric_eval::project`, which the language server shares.

use super::{load_scheme, text, Tally};
use crate::console::{errln, outln};
use rubric_check::hir::{ItemKind, Model};
use rubric_eval::io::{self, OutputColumn, OutputFormat, RecordWriter};
use rubric_eval::project::{Project, Snapshot};
use rubric_eval::{Plan, ValueFormat};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How many changed, added or removed customers are listed by key.
const LIST_AT_MOST: usize = 20;

/// Runs every snapshot of one `rubric.toml` (or only those of `only_scheme`, a canonical
/// path). `update` writes new and changed snapshots; `ci`
/// only changes the hint given for a missing one.
pub(crate) fn run_file(
    toml_path: &Path,
    only_scheme: Option<&Path>,
    filter: Option<&str>,
    update: bool,
    ci: bool,
    color: bool,
    tally: &mut Tally,
) {
    let shown = toml_path.display().to_string();
    let config = match Project::read(toml_path) {
        Ok(c) => c,
        Err(e) => {
            errln!("error: {e}");
            tally.broken = true;
            return;
        }
    };
    let dir = toml_path.parent().unwrap_or(Path::new("."));
    for entry in &config.snapshots {
        if let Some(only) = only_scheme {
            if !entry.is_for(dir, only) {
                continue;
            }
        }
        let output = dir.join(&entry.output);
        let name = output.display().to_string();
        if filter.is_some_and(|f| !name.contains(f)) {
            continue;
        }
        if tally.human() {
            outln!("snapshot {name}");
        }
        let (lines, failed) = match run_entry(dir, entry, &output, update, ci, color) {
            Ok(lines) => (lines, false),
            Err((lines, broken)) => {
                tally.broken |= broken;
                (lines, true)
            }
        };
        if tally.human() {
            for l in &lines {
                outln!("  {l}");
            }
        }
        tally.record(super::report::Case {
            kind: "snapshot",
            suite: shown.clone(),
            name: name.clone(),
            file: shown.clone(),
            line: None,
            failure: failed.then_some(lines),
        });
    }
}

type Failure = (Vec<String>, bool);

fn fail(msg: impl Into<String>) -> Failure {
    (vec![format!("FAIL  {}", msg.into())], false)
}

fn broken(msg: impl Into<String>) -> Failure {
    (vec![format!("FAIL  {}", msg.into())], true)
}

fn run_entry(
    dir: &Path,
    entry: &Snapshot,
    output: &Path,
    update: bool,
    ci: bool,
    color: bool,
) -> Result<Vec<String>, Failure> {
    let scheme = dir.join(&entry.scheme);
    let Some((_src, model)) = load_scheme(&scheme, color) else {
        return Err(broken(format!(
            "the scheme `{}` does not check",
            scheme.display()
        )));
    };
    let as_of = entry.as_of(model.as_of).map_err(broken)?;
    let (rows, mut rejects) = entry.read(dir, &model, as_of).map_err(broken)?;
    let plan = Plan::compile(&model, as_of);
    let ev = plan.evaluate(rows);
    rejects.extend(ev.rejects().iter().cloned());
    let actual = snapshot_csv(&model, &ev, output).map_err(broken)?;
    let mut notes = Vec::new();
    if !rejects.is_empty() {
        notes.push(format!(
            "note: {} of the data's rows were rejected and are not in the snapshot (`rubric run` lists them)",
            rejects.len()
        ));
    }
    let stored = match std::fs::read(output) {
        Ok(b) => Some(String::from_utf8_lossy(&b).replace("\r\n", "\n")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(broken(format!("cannot read `{}`: {e}", output.display()))),
    };
    match stored {
        None if update => {
            write(output, &actual)?;
            notes.push(format!("ok    written: {} customers", ev.len()));
            Ok(notes)
        }
        None => {
            let hint = if ci {
                "CI=true: snapshots are never written in CI; run `rubric test --update` locally and commit the file"
            } else {
                "run `rubric test --update` to write it"
            };
            let mut f = fail(format!(
                "the snapshot `{}` does not exist",
                output.display()
            ));
            f.0.splice(0..0, notes);
            f.0.push(format!("      {hint}"));
            Err(f)
        }
        Some(old) if old == actual => {
            notes.push(format!("ok    {} customers", ev.len()));
            Ok(notes)
        }
        Some(old) => {
            let report = diff(&model, &old, &actual);
            if update {
                write(output, &actual)?;
                notes.push("ok    updated; what changed:".to_string());
                notes.extend(report.into_iter().map(|l| format!("      {l}")));
                Ok(notes)
            } else {
                let mut lines = notes;
                lines.push("FAIL  the output differs from the snapshot".to_string());
                lines.extend(report.into_iter().map(|l| format!("      {l}")));
                let hint = if ci {
                    ""
                } else {
                    " (`rubric test --update` accepts it)"
                };
                lines.push(format!(
                    "      if the change is intended, update the snapshot{hint}"
                ));
                Err((lines, false))
            }
        }
    }
}

fn write(output: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(output, text)
        .map_err(|e| broken(format!("cannot write `{}`: {e}", output.display())))
}

/// The CSV `rubric run` writes: the key column, then every score, grade and tags.
fn snapshot_csv(
    model: &Model,
    ev: &rubric_eval::Evaluation<'_>,
    output: &Path,
) -> Result<String, String> {
    let key_name = model
        .key
        .and_then(|k| model.fields.get(k))
        .map_or("key".to_string(), |f| f.column.clone());
    let items: Vec<usize> = model.outputs().collect();
    let mut columns = vec![OutputColumn::new(key_name, io::ColumnKind::Text)];
    let mut formats = Vec::new();
    for &i in &items {
        let item = &model.items[i];
        let kind = match &item.kind {
            ItemKind::Grade(g) if g.is_tags => io::ColumnKind::Tags,
            ItemKind::Grade(_) => io::ColumnKind::Code,
            _ => io::ColumnKind::Number,
        };
        columns.push(OutputColumn::new(item.name.clone(), kind));
        formats.push(ValueFormat::new(&item.ty, model));
    }
    let name = output.display().to_string();
    let mut w = RecordWriter::new(Vec::new(), &name, OutputFormat::Csv, columns)
        .map_err(|e| e.to_string())?;
    for row in 0..ev.len() {
        w.cell(Some(ev.key(row))).map_err(|e| e.to_string())?;
        for (k, &i) in items.iter().enumerate() {
            let text = formats[k].format(ev.value(row, i));
            w.cell(if text.is_empty() {
                None
            } else {
                Some(text.as_str())
            })
            .map_err(|e| e.to_string())?;
        }
        w.end_row().map_err(|e| e.to_string())?;
    }
    let bytes = w.finish().map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
}

/// RFC 4180 records: quoted cells may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => cell.push(c),
        }
    }
    if any {
        row.push(cell);
        rows.push(row);
    }
    rows
}

struct Table {
    header: Vec<String>,
    keys: Vec<String>,
    rows: HashMap<String, Vec<String>>,
}

fn table(text: &str) -> Table {
    let mut records = parse_csv(text).into_iter();
    let header = records.next().unwrap_or_default();
    let mut keys = Vec::new();
    let mut rows = HashMap::new();
    for r in records {
        let key = r.first().cloned().unwrap_or_default();
        if !rows.contains_key(&key) {
            keys.push(key.clone());
        }
        rows.insert(key, r);
    }
    Table { header, keys, rows }
}

/// What changed between two snapshots: customers whose outputs changed (from what to what),
/// a migration table per grade, and the customers added and removed.
fn diff(model: &Model, old: &str, new: &str) -> Vec<String> {
    let (old, new) = (table(old), table(new));
    let mut out = Vec::new();
    if old.header != new.header {
        out.push(format!("columns were: {}", old.header.join(", ")));
        out.push(format!("columns are:  {}", new.header.join(", ")));
    }
    // the output columns both snapshots have, by name (the key column is the first)
    let shared: Vec<(String, usize, usize)> = new
        .header
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(j, name)| {
            old.header
                .iter()
                .skip(1)
                .position(|h| h == name)
                .map(|i| (name.clone(), i + 1, j))
        })
        .collect();
    let cell = |r: &Vec<String>, i: usize| r.get(i).cloned().unwrap_or_default();
    let shown = |s: &str| {
        if s.is_empty() {
            "(empty)".to_string()
        } else {
            s.to_string()
        }
    };
    let mut changed = Vec::new();
    for key in &new.keys {
        let (Some(o), Some(n)) = (old.rows.get(key), new.rows.get(key)) else {
            continue;
        };
        let diffs: Vec<String> = shared
            .iter()
            .filter(|(_, i, j)| cell(o, *i) != cell(n, *j))
            .map(|(name, i, j)| format!("{name} {} → {}", shown(&cell(o, *i)), shown(&cell(n, *j))))
            .collect();
        if !diffs.is_empty() {
            changed.push(format!("{key}: {}", diffs.join(", ")));
        }
    }
    let added: Vec<&String> = new
        .keys
        .iter()
        .filter(|k| !old.rows.contains_key(*k))
        .collect();
    let removed: Vec<&String> = old
        .keys
        .iter()
        .filter(|k| !new.rows.contains_key(*k))
        .collect();
    out.push(format!(
        "{} changed, {} added, {} removed ({} customers before, {} now)",
        plural(changed.len(), "customer"),
        added.len(),
        removed.len(),
        old.keys.len(),
        new.keys.len()
    ));
    if !changed.is_empty() {
        out.push("changed:".to_string());
        for c in changed.iter().take(LIST_AT_MOST) {
            out.push(format!("  {c}"));
        }
        if changed.len() > LIST_AT_MOST {
            out.push(format!("  … and {} more", changed.len() - LIST_AT_MOST));
        }
    }
    for (what, keys) in [("added", &added), ("removed", &removed)] {
        if keys.is_empty() {
            continue;
        }
        let mut list: Vec<String> = keys
            .iter()
            .take(LIST_AT_MOST)
            .map(|k| k.to_string())
            .collect();
        if keys.len() > LIST_AT_MOST {
            list.push(format!("… and {} more", keys.len() - LIST_AT_MOST));
        }
        out.push(format!("{what}: {}", list.join(", ")));
    }
    // a migration table for every grade column that changed
    for (name, i, j) in &shared {
        let Some(grade) = model.item_named(name).and_then(|g| model.grade(g)) else {
            continue;
        };
        if grade.is_tags {
            continue;
        }
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut moved = false;
        for key in &new.keys {
            let (Some(o), Some(n)) = (old.rows.get(key), new.rows.get(key)) else {
                continue;
            };
            let (a, b) = (cell(o, *i), cell(n, *j));
            moved |= a != b;
            *counts.entry((a, b)).or_default() += 1;
        }
        if !moved {
            continue;
        }
        // codes in declaration order, then any others (a renamed code), then the empty cell
        let mut order: Vec<String> = grade.codes.iter().map(|c| c.name.clone()).collect();
        for (a, b) in counts.keys() {
            for c in [a, b] {
                if !c.is_empty() && !order.contains(c) {
                    order.push(c.clone());
                }
            }
        }
        order.push(String::new());
        let rows: Vec<&String> = order
            .iter()
            .filter(|c| counts.keys().any(|(a, _)| a == *c))
            .collect();
        let cols: Vec<&String> = order
            .iter()
            .filter(|c| counts.keys().any(|(_, b)| b == *c))
            .collect();
        let label = |c: &str| {
            if c.is_empty() {
                "(empty)".to_string()
            } else {
                c.to_string()
            }
        };
        let w0 = rows
            .iter()
            .map(|c| rubric_fmt::display_width(&label(c)))
            .max()
            .unwrap_or(0)
            .max("before \\ after".len());
        let widths: Vec<usize> = cols
            .iter()
            .map(|c| rubric_fmt::display_width(&label(c)).max(4))
            .collect();
        out.push(format!(
            "{name}: customers per code before (rows) and now (columns)"
        ));
        let mut head = format!("  {}", text::pad("before \\ after", w0));
        for (k, c) in cols.iter().enumerate() {
            head.push_str(&format!("  {:>w$}", label(c), w = widths[k]));
        }
        out.push(head.trim_end().to_string());
        for r in &rows {
            let mut line = format!("  {}", text::pad(&label(r), w0));
            for (k, c) in cols.iter().enumerate() {
                let n = counts
                    .get(&((*r).clone(), (*c).clone()))
                    .copied()
                    .unwrap_or(0);
                let cell = n.to_string();
                let pad = widths[k].saturating_sub(rubric_fmt::display_width(&cell));
                line.push_str(&format!("  {}{cell}", " ".repeat(pad)));
            }
            out.push(line);
        }
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_may_hold_commas_quotes_and_line_breaks() {
        let rows = parse_csv("\u{feff}id,name\n1,\"a, \"\"b\"\"\nc\"\n2,\n");
        assert_eq!(
            rows,
            vec![vec!["id", "name"], vec!["1", "a, \"b\"\nc"], vec!["2", ""]]
        );
    }
}
