//! `rubric.toml`, the project file, read in one place for `rubric test` (dataset snapshots) and
//! the language server (the sample data behind its CodeLens):
//!
//! ```toml
//! [[snapshot]]
//! scheme = "tiers.rubric"          # paths are relative to rubric.toml
//! data = "customers.csv"           # csv/json/jsonl/xlsx, by extension (or `format = "csv"`)
//! output = "tiers.snapshot.csv"    # the stored snapshot
//! as_of = "2024-06-30"             # optional; default: the scheme's as_of
//! encoding = "gb18030"             # optional, csv only
//! sheet = "Sheet1"                 # optional, xlsx only
//! events = { orders = "orders.csv" } # a file per `events` block; then `data` is optional
//! ```

use crate::io::{self, ReadOptions};
use rubric_syntax::date::Date;
use std::path::{Path, PathBuf};

/// A `rubric.toml`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    #[serde(default, rename = "snapshot")]
    pub snapshots: Vec<Snapshot>,
}

/// One `[[snapshot]]`: a scheme, its sample data and the stored result.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub scheme: String,
    /// The customers; optional when the scheme reads events and `input` holds only the key.
    pub data: Option<String>,
    pub output: String,
    /// A file per `events` block, by block name.
    #[serde(default)]
    pub events: std::collections::BTreeMap<String, String>,
    /// `"2024-06-30"` or a bare TOML date.
    as_of: Option<AsOf>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub format: Option<String>,
}

/// `as_of` as written: a bare TOML date, or text (a bare date read into a `toml::Value` came out
/// as a private table, so `as_of = 2024-06-30` was refused before this type).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
enum AsOf {
    Date(toml::value::Datetime),
    Text(String),
}

impl Project {
    /// Reads and parses a `rubric.toml`; the error is one line for `error: …`.
    pub fn read(path: &Path) -> Result<Project, String> {
        let shown = path.display();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        toml::from_str(&text)
            .map_err(|e| format!("`{shown}` is not a valid rubric.toml: {}", e.message()))
    }

    /// The snapshot whose scheme is `scheme`, in the `rubric.toml` of the scheme's folder or of
    /// one of its three parents (the first that names it), with that file's folder.
    pub fn find_for_scheme(scheme: &Path) -> Option<(PathBuf, Snapshot)> {
        let scheme = scheme.canonicalize().ok()?;
        let mut dir = scheme.parent()?.to_path_buf();
        for _ in 0..4 {
            if let Ok(project) = Project::read(&dir.join("rubric.toml")) {
                if let Some(s) = project
                    .snapshots
                    .into_iter()
                    .find(|s| s.is_for(&dir, &scheme))
                {
                    return Some((dir, s));
                }
            }
            dir = dir.parent()?.to_path_buf();
        }
        None
    }
}

impl Snapshot {
    /// Whether this snapshot's scheme (relative to `dir`) is the file `scheme` (canonical).
    pub fn is_for(&self, dir: &Path, scheme: &Path) -> bool {
        dir.join(&self.scheme).canonicalize().ok().as_deref() == Some(scheme)
    }

    /// The evaluation date: the snapshot's `as_of`, else the scheme's.
    pub fn as_of(&self, scheme_as_of: Option<Date>) -> Result<Date, String> {
        match &self.as_of {
            Some(v) => {
                let s = match v {
                    AsOf::Text(s) => s.clone(),
                    AsOf::Date(d) => d.to_string(),
                };
                Date::parse(s.trim())
                    .ok_or_else(|| format!("`as_of = {s}` is not a date like \"2024-06-30\""))
            }
            None => scheme_as_of.ok_or_else(|| {
                "no evaluation date: add `as_of = \"2024-06-30\"` to the snapshot or `as_of` to \
                 the scheme"
                    .to_string()
            }),
        }
    }

    /// Reads the sample data (and its events files) for `model`: the accepted rows, in the
    /// values of the model's row model, and the rejects.
    pub fn read(
        &self,
        dir: &Path,
        model: &rubric_check::hir::Model,
        as_of: Date,
    ) -> Result<(Vec<crate::InputRow>, Vec<crate::Reject>), String> {
        let options = self.read_options()?;
        if model.events.is_empty() {
            if let Some(name) = self.events.keys().next() {
                return Err(format!(
                    "`events.{name}`: the scheme declares no `events` block"
                ));
            }
            let Some(data) = &self.data else {
                return Err("the snapshot has no `data`: add `data = \"customers.csv\"`".into());
            };
            return io::read_all(&dir.join(data), &options, model).map_err(|e| e.to_string());
        }
        let mut paths = Vec::new();
        for (b, e) in model.events.iter().enumerate() {
            let Some(file) = self.events.get(&e.name) else {
                return Err(format!(
                    "the scheme reads the events `{}`: add `events = {{ {} = \"FILE\" }}`",
                    e.name, e.name
                ));
            };
            paths.push((b, dir.join(file)));
        }
        if let Some(name) = self
            .events
            .keys()
            .find(|n| !model.events.iter().any(|e| &e.name == *n))
        {
            return Err(format!(
                "`events.{name}`: the scheme has no events block `{name}`"
            ));
        }
        // (an events file is read with its own format, by extension; the encoding is CSV's)
        let event_options = ReadOptions {
            encoding: options.encoding,
            ..ReadOptions::default()
        };
        let files: Vec<io::EventsFile<'_>> = paths
            .iter()
            .map(|(b, p)| io::EventsFile {
                block: *b,
                path: p,
                options: &event_options,
            })
            .collect();
        let data = self.data.as_ref().map(|d| dir.join(d));
        let data = data.as_deref().map(|d| (d, &options));
        io::read_all_joined(data, &files, model, as_of).map_err(|e| e.to_string())
    }

    /// How to read the sample data.
    pub fn read_options(&self) -> Result<ReadOptions, String> {
        let mut options = ReadOptions::default();
        if let Some(f) = &self.format {
            options.format = Some(f.parse().map_err(|e: io::DataError| e.to_string())?);
        }
        if let Some(e) = &self.encoding {
            options.encoding = Some(io::encoding_for_label(e).map_err(|e| e.to_string())?);
        }
        options.sheet = self.sheet.clone();
        Ok(options)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_text_or_toml_and_unknown_keys() {
        let p: Project = toml::from_str(
            "[[snapshot]]\nscheme = \"a.rubric\"\ndata = \"a.csv\"\noutput = \"a.snap.csv\"\nas_of = 2024-06-30\n\
             [[snapshot]]\nscheme = \"b.rubric\"\ndata = \"b.csv\"\noutput = \"b.snap.csv\"\nas_of = \"2024-07-01\"\n",
        )
        .unwrap();
        assert_eq!(
            p.snapshots[0].as_of(None).unwrap().to_string(),
            "2024-06-30"
        );
        assert_eq!(
            p.snapshots[1].as_of(None).unwrap().to_string(),
            "2024-07-01"
        );
        let bad = toml::from_str::<Project>(
            "[[snapshot]]\nscheme = \"a\"\ndata = \"b\"\noutput = \"c\"\nsheets = \"x\"\n",
        );
        assert!(bad
            .unwrap_err()
            .message()
            .contains("unknown field `sheets`"));
    }
}
