//! `rubric run`'s handling of rejected rows (LANGUAGE.md §6, §9): the rejects file with each
//! row's original cells, the one summary line on what the rejects take out of the population,
//! `--max-rejects`, and the staged output that makes "fail before anything is written" true for
//! a streaming run.

use crate::console::errln;
use rubric_check::hir::Model;
use rubric_eval::io::{
    DataError, OriginalRows, RawRecord, ReadOptions, Reader, RejectTable, RejectWriter, RowParser,
};
use rubric_eval::run::{Measure, RunSummary};
use rubric_eval::{format_decimal, Reject, Value};
use rubric_syntax::Decimal;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// `--max-rejects N` or `--max-rejects N%` (of the rows read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxRejects {
    Rows(u64),
    Percent(Decimal),
}

impl FromStr for MaxRejects {
    type Err = String;
    fn from_str(s: &str) -> Result<MaxRejects, String> {
        let t = s.trim();
        let bad = || format!("`{s}` is not a number of rows (10) or a percentage (0.5%)");
        match t.strip_suffix('%') {
            Some(p) => {
                let d = Decimal::from_str(p.trim()).map_err(|_| bad())?;
                if d.is_sign_negative() || d > Decimal::ONE_HUNDRED {
                    return Err(bad());
                }
                Ok(MaxRejects::Percent(d))
            }
            None => t.parse::<u64>().map(MaxRejects::Rows).map_err(|_| bad()),
        }
    }
}

impl std::fmt::Display for MaxRejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxRejects::Rows(n) => write!(f, "{n}"),
            MaxRejects::Percent(p) => write!(f, "{}%", format_decimal(*p)),
        }
    }
}

/// Whether a reject is a totals row (`合计`…): a row of sums, not a customer.
pub fn is_totals(r: &Reject) -> bool {
    r.is_totals_row()
}

/// The rejected customers: every reject but totals rows.
pub fn customer_rejects(rejects: &[Reject]) -> u64 {
    rejects.iter().filter(|r| !is_totals(r)).count() as u64
}

impl MaxRejects {
    /// The error when the run rejected more customers than allowed (totals rows do not count).
    pub fn exceeded(self, summary: &RunSummary, rejects: &[Reject]) -> Option<String> {
        let n = customer_rejects(rejects);
        let over = match self {
            MaxRejects::Rows(max) => n > max,
            // n × 100 > p × read, exactly
            MaxRejects::Percent(p) => {
                let lhs = Decimal::from(n).checked_mul(Decimal::ONE_HUNDRED);
                let rhs = p.checked_mul(Decimal::from(summary.read));
                matches!((lhs, rhs), (Some(l), Some(r)) if l > r)
            }
        };
        if !over {
            return None;
        }
        let was = if n == 1 { "was" } else { "were" };
        Some(format!(
            "{n} of {} rows {was} rejected, more than `--max-rejects {self}` allows; nothing was written",
            summary.read
        ))
    }
}

/// The output, written under a temporary name beside the output file and renamed into place
/// only when the run succeeds, so that a failed run (`--strict`, `--max-rejects`, an i/o
/// error) leaves an earlier output untouched and no half-written one. An output that is not a
/// regular file (stdout, `/dev/null`, a pipe, a symlink) is written directly, or, with
/// `--max-rejects`, spooled to a temporary file and copied to it at the end.
pub struct Staged {
    temp: PathBuf,
    target: Target,
    done: bool,
}

enum Target {
    /// Rename the temporary file to this path.
    Rename(PathBuf),
    /// Copy the temporary file to this path, or to stdout.
    Copy(Option<PathBuf>),
}

/// Where the rows go: the writer, and the staging to commit after a successful run.
pub type Output = (Option<Staged>, Box<dyn Write>);

impl Staged {
    /// Opens the output (`None`: stdout). `spool`: the run must be able to write nothing at all
    /// (`--max-rejects`), even to stdout or another special file.
    pub fn open(out: Option<&Path>, spool: bool) -> Result<Output, String> {
        let cannot = |p: &Path, e: std::io::Error| format!("cannot write `{}`: {e}", p.display());
        let regular = out.map(|p| match std::fs::symlink_metadata(p) {
            Ok(m) => m.file_type().is_file(),
            Err(_) => true,
        });
        match (out, regular) {
            (Some(p), Some(true)) => {
                let name = p
                    .file_name()
                    .map_or("out".into(), |n| n.to_string_lossy().into_owned());
                // (beside the output, so that the rename stays on one file system)
                let temp = p.with_file_name(format!(".{name}.{}.rubric-tmp", std::process::id()));
                let file = File::create(&temp).map_err(|e| cannot(p, e))?;
                let staged = Staged {
                    temp,
                    target: Target::Rename(p.to_path_buf()),
                    done: false,
                };
                Ok((Some(staged), Box::new(file)))
            }
            _ if spool => {
                let temp =
                    std::env::temp_dir().join(format!("rubric-{}.out.tmp", std::process::id()));
                let file = File::create(&temp).map_err(|e| cannot(&temp, e))?;
                let staged = Staged {
                    temp,
                    target: Target::Copy(out.map(Path::to_path_buf)),
                    done: false,
                };
                Ok((Some(staged), Box::new(file)))
            }
            (Some(p), _) => Ok((None, Box::new(File::create(p).map_err(|e| cannot(p, e))?))),
            (None, _) => Ok((None, Box::new(std::io::stdout().lock()))),
        }
    }

    /// Puts the output in place (or copies it to its target).
    pub fn commit(mut self) -> Result<(), String> {
        self.done = true;
        let r = match &self.target {
            Target::Rename(target) => std::fs::rename(&self.temp, target)
                .map_err(|e| format!("cannot write `{}`: {e}", target.display())),
            Target::Copy(target) => {
                let shown = target
                    .as_ref()
                    .map_or("stdout".into(), |p| p.display().to_string());
                File::open(&self.temp)
                    .and_then(|mut f| {
                        let mut out: Box<dyn Write> = match target {
                            Some(p) => Box::new(File::create(p)?),
                            None => Box::new(std::io::stdout().lock()),
                        };
                        std::io::copy(&mut f, &mut out)?;
                        out.flush()
                    })
                    .map_err(|e| format!("cannot write `{shown}`: {e}"))
            }
        };
        let _ = std::fs::remove_file(&self.temp);
        r
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// The original cells of the rejected rows, read again from `data`; when that fails (the file
/// changed or vanished), a warning and rejects without them.
pub fn originals(
    data: &Path,
    options: &ReadOptions,
    model: &Model,
    rejects: &[Reject],
) -> OriginalRows {
    let shown = data.display().to_string();
    let read = Reader::open(data, options, model)
        .and_then(|reader| OriginalRows::read(reader, rejects.iter().map(|r| r.line)));
    match read {
        Ok(o) => o,
        Err(e) => {
            errln!("warning: the rejects file has no original cells: {e}");
            OriginalRows::empty(&shown, &[])
        }
    }
}

/// Writes a rejects file laid out as `table`.
pub fn write_table(path: &Path, table: &RejectTable) -> Result<(), DataError> {
    let shown = path.display().to_string();
    let file = File::create(path).map_err(|source| DataError::Write {
        path: shown.clone(),
        source,
    })?;
    let mut w = RejectWriter::new(BufWriter::new(file), &shown)?;
    w.write_table(table)?;
    let mut inner = w.finish()?;
    inner.flush().map_err(|source| DataError::Write {
        path: shown,
        source,
    })
}

/// What the rejected customers take out of the population (LANGUAGE.md §9).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Excluded {
    /// Rejected customers outside the population (totals rows and the rows the population
    /// functions counted before they were rejected are not).
    pub rows: u64,
    /// Rejected totals rows.
    pub totals: u64,
    /// The measure, when one is summed: the sum over the rejected customers whose measure cell
    /// reads, and how many could not be counted.
    pub measure: Option<(Decimal, u64)>,
}

impl Excluded {
    /// `measure` is read from each rejected row's original cells, as the run reads a cell; a
    /// measure computed by the scheme (not a field) cannot be counted.
    pub fn of(
        model: &Model,
        summary: &RunSummary,
        measure: Option<Measure>,
        rejects: &[Reject],
        originals: &OriginalRows,
    ) -> Excluded {
        let totals = rejects.iter().filter(|r| is_totals(r)).count() as u64;
        let customers: Vec<&Reject> = rejects
            .iter()
            .filter(|r| {
                !is_totals(r)
                    && summary
                        .rejected_in_population
                        .binary_search(&r.line)
                        .is_err()
            })
            .collect();
        let rows = customers.len() as u64;
        let measure = measure.map(|m| {
            let parser = match m {
                Measure::Field(f) => model.fields.get(f).and_then(|field| {
                    let mut field = field.clone();
                    field.is_key = false;
                    RowParser::for_fields(&originals.file, &[field], &originals.header).ok()
                }),
                Measure::Item(_) => None,
            };
            let Some(parser) = parser else {
                return (Decimal::ZERO, rows);
            };
            let mut sum = Decimal::ZERO;
            let mut uncounted = 0;
            for r in customers {
                let cells = originals.get(r.line).unwrap_or(&[]);
                let value = parser
                    .parse(&RawRecord::from_text(r.line, cells))
                    .ok()
                    .and_then(|row| row.values.into_iter().next());
                match value {
                    Some(Value::Num(d)) => match sum.checked_add(d) {
                        Some(s) => sum = s,
                        None => uncounted += 1,
                    },
                    // an empty optional cell holds nothing, as in a written row
                    Some(Value::Missing) => {}
                    _ => uncounted += 1,
                }
            }
            (sum, uncounted)
        });
        Excluded {
            rows,
            totals,
            measure,
        }
    }

    /// The share of the measure the excluded rows hold, of all the measure read (written rows
    /// and counted rejects).
    fn share(&self, summary: &RunSummary) -> Option<Decimal> {
        let (sum, _) = self.measure?;
        let all = summary.measure_total.checked_add(sum)?;
        sum.checked_div(all)
    }

    /// The one summary line, or `None` when no customer left the population.
    pub fn human(&self, summary: &RunSummary) -> Option<String> {
        if self.rows == 0 {
            return None;
        }
        let mut s = format!(
            "population: excludes {} rejected {}",
            self.rows,
            if self.rows == 1 { "row" } else { "rows" }
        );
        if self.totals > 0 {
            s.push_str(&format!(
                " (not counting {} totals {})",
                self.totals,
                if self.totals == 1 { "row" } else { "rows" }
            ));
        }
        match (self.measure, summary.measure.as_deref()) {
            (Some((sum, uncounted)), Some(name)) if uncounted < self.rows => {
                let pct = self
                    .share(summary)
                    .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
                    .map_or("-".to_string(), |p| format!("{}%", p.round(1)));
                s.push_str(&format!(
                    ", holding {}{} of `{name}` ({pct} of all read)",
                    if uncounted > 0 { "at least " } else { "" },
                    format_decimal(sum)
                ));
                if uncounted > 0 {
                    s.push_str(&format!(
                        "; the `{name}` of {uncounted} of them could not be read"
                    ));
                }
            }
            (Some(_), Some(name)) => {
                s.push_str(&format!("; their `{name}` could not be read"));
            }
            _ => {
                s.push_str(" (ranks and shares are computed without them)");
            }
        }
        Some(s)
    }

    /// The same as JSON: `{rows, totals_rows, measure, measure_share, uncounted}`.
    pub fn json(&self, summary: &RunSummary) -> serde_json::Value {
        let num = |d: Decimal| -> serde_json::Value {
            serde_json::from_str(&format_decimal(d))
                .unwrap_or(serde_json::Value::String(format_decimal(d)))
        };
        let mut o = serde_json::json!({ "rows": self.rows, "totals_rows": self.totals });
        if let Some((sum, uncounted)) = self.measure {
            o["measure"] = num(sum);
            o["measure_share"] = self
                .share(summary)
                .map_or(serde_json::Value::Null, |r| num(r.round(6)));
            o["uncounted"] = serde_json::json!(uncounted);
        }
        o
    }
}
