pub mod check;
pub mod diff;
pub mod explain;
pub mod fmt;
mod graded;
pub mod lsp;
mod migration;
pub mod report;
mod report_html;
pub mod run;
pub(crate) mod run_events;
mod run_output;
mod run_rejects;
pub mod sql;
pub mod test;

use rubric_check::project::Project;
use rubric_syntax::Diagnostic;
use std::path::{Path, PathBuf};

/// Checks the scheme at `path` (whose text is `src`) with the files it `use`s, read from disk.
pub fn check_scheme(path: &Path, src: &str) -> Project {
    rubric_check::project::check_project(path, src, &mut |p: &Path| read_scheme(p))
}

/// A diagnostic of `project`, rendered for a person, in the file it points into.
pub fn human(project: &Project, d: &Diagnostic, color: bool) -> String {
    let (source, local) = project.local(d);
    crate::render::human(
        &local,
        &source.path.display().to_string(),
        &source.text,
        color,
    )
}

/// A diagnostic of `project` as JSON, in the file it points into.
pub fn json(project: &Project, d: &Diagnostic) -> rubric_syntax::diagnostic::JsonDiagnostic {
    let (source, local) = project.local(d);
    local.to_json(&source.path.display().to_string(), &source.text)
}

/// Reads a scheme file. The error is one line for `error: …`, with a `help` line where there is
/// something to do: a scheme is UTF-8 text, and a file saved in another encoding says so
/// instead of "stream did not contain valid UTF-8".
pub fn read_scheme(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        format!(
            "`{shown}` is not UTF-8 text (byte {at} is not valid UTF-8)\n  = help: save the scheme \
             as UTF-8 (in Excel or Notepad: Save As, encoding UTF-8); a scheme is always UTF-8, \
             whatever the encoding of the data"
        )
    })
}

/// Expands directories into the `.rubric` files under them (sorted, recursively); files are
/// kept as given. A path that does not exist is an error.
pub fn collect_schemes(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            out.extend(without_used(found));
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("`{}` does not exist", p.display()));
        }
    }
    Ok(out)
}

/// The files of a directory walk without those another of them `use`s: a shared file is
/// checked and tested as part of the schemes that use it (on its own it has no `input`).
pub(crate) fn without_used(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let used: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| read_scheme(f).ok().map(|src| (f, src)))
        .flat_map(|(f, src)| rubric_check::project::used_paths(f, &src))
        .collect();
    files
        .into_iter()
        .filter(|f| !used.iter().any(|u| rubric_check::project::same_file(u, f)))
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
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
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "rubric") {
            out.push(p);
        }
    }
    Ok(())
}
