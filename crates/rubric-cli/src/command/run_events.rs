//! `rubric run --events NAME=FILE`: reading the events files of a scheme's `events` blocks,
//! joining their aggregates to the customers, and accounting for every event row (read = used
//! + rejected, with the file and line of each reject).

use rubric_check::hir::{EventsId, Model};
use rubric_eval::events::{EventPlan, Totals};
use rubric_eval::io::{
    self, Claims, DataError, EventsRead, OriginalRows, ReadOptions, Reader, RejectTable,
};
use rubric_eval::Reject;
use rubric_syntax::date::Date;
use rubric_syntax::diagnostic::did_you_mean;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// One `--events NAME=FILE`.
pub struct EventFile {
    pub block: EventsId,
    pub name: String,
    pub path: PathBuf,
    options: ReadOptions,
    pub read: EventsRead,
}

impl EventFile {
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }
    pub fn shown(&self) -> String {
        self.path.display().to_string()
    }
    /// Events that count towards some customer.
    pub fn used(&self) -> u64 {
        self.read.read - self.read.rejects.len() as u64
    }
}

/// The events of a run, read and aggregated.
pub struct Events {
    pub plan: Arc<EventPlan>,
    pub totals: Arc<Totals>,
    pub files: Vec<EventFile>,
}

/// Matches `--events NAME=FILE` (and `--events-sheet NAME=SHEET`) to the scheme's blocks:
/// every block needs exactly one file.
pub fn parse(
    model: &Model,
    specs: &[String],
    sheets: &[String],
    base: &ReadOptions,
) -> Result<Vec<EventFile>, String> {
    let names: Vec<&str> = model.events.iter().map(|e| e.name.as_str()).collect();
    let block_of = |name: &str| block_named(model, name);
    let mut files: Vec<EventFile> = Vec::new();
    for spec in specs {
        let (name, file) = split(spec, "FILE")?;
        let block = block_of(&name)?;
        if files.iter().any(|f| f.block == block) {
            return Err(format!(
                "`--events {name}=…` is given twice\n  = help: one file per events block"
            ));
        }
        let path = PathBuf::from(file);
        let format = io::Format::from_path(&path);
        files.push(EventFile {
            block,
            name,
            options: ReadOptions {
                format: None,
                // (the encoding is a CSV reader's; a workbook or JSON needs none)
                encoding: base.encoding.filter(|_| format == Some(io::Format::Csv)),
                sheet: None,
            },
            path,
            read: EventsRead::default(),
        });
    }
    for spec in sheets {
        let (name, sheet) = split(spec, "SHEET")?;
        let block = block_of(&name)?;
        match files.iter_mut().find(|f| f.block == block) {
            Some(f) => f.options.sheet = Some(sheet),
            None => {
                return Err(format!(
                    "`--events-sheet {name}=…` names no events file\n  = help: give the file first: `--events {name}=FILE.xlsx`"
                ))
            }
        }
    }
    let missing: Vec<&str> = model
        .events
        .iter()
        .enumerate()
        .filter(|(b, _)| !files.iter().any(|f| f.block == *b))
        .map(|(_, e)| e.name.as_str())
        .collect();
    if let Some(first) = missing.first() {
        return Err(format!(
            "the scheme reads the events {} but no file is given for {}\n  = help: pass `--events {first}=FILE` (csv, json, jsonl or xlsx)",
            quoted(&names),
            quoted(&missing)
        ));
    }
    files.sort_by_key(|f| f.block);
    Ok(files)
}

/// The events block named `name`, or an error with did-you-mean.
pub fn block_named(model: &Model, name: &str) -> Result<EventsId, String> {
    let names: Vec<&str> = model.events.iter().map(|e| e.name.as_str()).collect();
    model
        .events
        .iter()
        .position(|e| e.name == name)
        .ok_or_else(|| {
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => "the scheme declares no `events` block".into(),
                None => format!("the scheme's events blocks are {}", quoted(&names)),
            };
            format!("the scheme has no events block `{name}`\n  = help: {help}")
        })
}

/// `NAME=VALUE` of `--events` and its kin; `what` names the value (`FILE`, `TABLE`).
pub fn split(spec: &str, what: &str) -> Result<(String, String), String> {
    match spec.split_once('=') {
        Some((n, f)) if !n.trim().is_empty() && !f.trim().is_empty() => {
            Ok((n.trim().to_string(), f.trim().to_string()))
        }
        _ => Err(format!(
            "`{spec}` is not NAME={what}\n  = help: write the events block's name, `=`, and the {}, as in `--events{} orders={}`",
            what.to_lowercase(),
            if what == "SQL" { "-from" } else { "" },
            match what {
                "TABLE" => "orders_table",
                "SQL" => "{{ ref('orders') }}",
                _ => "orders.csv",
            }
        )),
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads and aggregates every events file, in block order.
pub fn read(
    model: &Model,
    as_of: Date,
    mut files: Vec<EventFile>,
    progress: &mut dyn FnMut(u64),
) -> Result<Events, DataError> {
    let plan = EventPlan::compile(model, as_of);
    let mut totals = Totals::new(&plan);
    let mut done = 0;
    for f in &mut files {
        let emodel = io::events_model(model, f.block);
        let reader = Reader::open(&f.path, &f.options, &emodel)?;
        f.read = io::read_events(reader, model, f.block, &plan, &mut totals, &mut |n| {
            progress(done + n)
        })?;
        done += f.read.read;
    }
    Ok(Events {
        plan: Arc::new(plan),
        totals: Arc::new(totals),
        files,
    })
}

impl Events {
    /// The customers: `base` (the customers file) joined with the aggregates, or without one
    /// the keys of the events.
    pub fn customers(
        &self,
        base: Option<Reader>,
        model: &Model,
    ) -> Result<(Reader, Claims), DataError> {
        let paths = self.files.iter().map(EventFile::shown).collect();
        Reader::joined(base, model, self.plan.clone(), self.totals.clone(), paths)
    }

    /// After the customers were read: the events whose key is no customer's are rejected
    /// ("no such customer"), each file's rejects sorted by line.
    pub fn reject_orphans(&mut self, model: &Model, claims: &Claims) -> Result<(), DataError> {
        let claimed = claims.lock().map(|c| c.clone()).unwrap_or_default();
        let orphans: HashSet<String> = self
            .totals
            .keys()
            .enumerate()
            .filter(|(c, _)| !claimed.get(*c).copied().unwrap_or(false))
            .map(|(_, (k, _))| k.to_string())
            .collect();
        if orphans.is_empty() {
            return Ok(());
        }
        for f in &mut self.files {
            let emodel = io::events_model(model, f.block);
            let reader = Reader::open(&f.path, &f.options, &emodel)?;
            let mut more = io::orphan_rejects(reader, model, &orphans)?;
            f.read.rejects.append(&mut more);
            f.read.rejects.sort_by_key(|r| r.line);
        }
        Ok(())
    }

    /// Every rejected event.
    pub fn rejects(&self) -> usize {
        self.files.iter().map(|f| f.read.rejects.len()).sum()
    }

    /// The rejects of each events file, with their original cells.
    pub fn reject_tables(&self, model: &Model) -> Vec<RejectTable> {
        self.files
            .iter()
            .filter(|f| !f.read.rejects.is_empty())
            .map(|f| {
                let emodel = io::events_model(model, f.block);
                let originals = Reader::open(&f.path, &f.options, &emodel)
                    .and_then(|r| OriginalRows::read(r, f.read.rejects.iter().map(|r| r.line)))
                    .unwrap_or_else(|_| OriginalRows::empty(&f.shown(), &[]));
                RejectTable::new(&f.read.rejects, &originals)
            })
            .collect()
    }

    /// The first rejected event, for `--strict`.
    pub fn first_reject(&self) -> Option<(&EventFile, &Reject)> {
        self.files.iter().find_map(|f| {
            f.read
                .rejects
                .iter()
                .find(|r| !r.is_totals_row())
                .map(|r| (f, r))
        })
    }

    /// One line per events file for the summary.
    pub fn human(&self) -> String {
        self.files
            .iter()
            .map(|f| {
                format!(
                    "read {} {} events from `{}`: {} used, {} rejected\n",
                    f.read.read,
                    f.name,
                    f.shown(),
                    f.used(),
                    f.read.rejects.len()
                )
            })
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "events": f.name,
                        "file": f.shown(),
                        "read": f.read.read,
                        "used": f.used(),
                        "rejected": f.read.rejects.len(),
                    })
                })
                .collect(),
        )
    }
}
