pub mod check;
pub mod explain;
pub mod fmt;
pub mod lsp;
pub mod run;
pub(crate) mod run_events;
mod run_output;
mod run_rejects;
pub mod sql;
pub mod test;

use std::path::{Path, PathBuf};

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
            walk(p, &mut out).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("`{}` does not exist", p.display()));
        }
    }
    Ok(out)
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
