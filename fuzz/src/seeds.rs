//! The seeds: every scheme and data file under `examples/` and `tests/fixtures/`.

use crate::rng::Rng;
use crate::targets::{random_options, DataCase, Target};
use rubric_eval::io::Format;
use std::path::{Path, PathBuf};

/// The repository root (this crate is `fuzz/` in it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every file under `examples/` and `tests/fixtures/`, sorted, except the fuzz regressions
/// (replayed on their own).
pub fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(&root.join("examples"), &mut out);
    walk(&root.join("tests/fixtures"), &mut out);
    let fuzz = root.join("tests/fixtures/fuzz");
    out.retain(|p| !p.starts_with(&fuzz));
    out
}

fn ext(p: &Path) -> &str {
    p.extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn checks_clean(src: &str) -> bool {
    !rubric_check::check_source(src).1.has_errors()
}

/// The scheme a data file is read with: `<stem>.rubric` beside it, else the one clean scheme in
/// its folder.
fn scheme_for(data: &Path) -> Option<String> {
    let dir = data.parent()?;
    let stem = data.file_stem()?.to_str()?.split('.').next()?;
    let beside = dir.join(format!("{stem}.rubric"));
    if let Ok(s) = std::fs::read_to_string(&beside) {
        if checks_clean(&s) {
            return Some(s);
        }
    }
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if ext(&p) == "rubric" {
            if let Ok(s) = std::fs::read_to_string(&p) {
                if checks_clean(&s) {
                    found.push(s);
                }
            }
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

/// A scheme over a CSV's header: the first column the key, each other column of a random type,
/// optional or not.
fn scheme_from_header(data: &[u8], rng: &mut Rng) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let header = text.lines().next()?.trim_start_matches('\u{feff}');
    let mut s = String::from("scheme \"fuzz\"\nas_of 2024-06-30\ninput {\n");
    let mut n = 0;
    for col in header.split(',') {
        let col = col.trim_matches('"');
        if col.is_empty() || col.contains(['"', '\\']) {
            continue;
        }
        let ty = if n == 0 {
            "text key"
        } else {
            [
                "text", "int", "decimal", "bool", "date", "text?", "decimal?", "date?",
            ][rng.below(8)]
        };
        s.push_str(&format!("  c{n} {ty} \"{col}\"\n"));
        n += 1;
    }
    s.push_str("}\nlet one = 1\n");
    (n > 0 && checks_clean(&s)).then_some(s)
}

/// The seeds of one target.
pub fn seeds(target: Target, root: &Path) -> Vec<Vec<u8>> {
    let files = files(root);
    match target {
        Target::Scheme | Target::Lsp => files
            .iter()
            .filter(|p| ext(p) == "rubric")
            .filter_map(|p| std::fs::read(p).ok())
            .collect(),
        Target::Data => {
            let mut rng = Rng::new(16);
            let mut out = Vec::new();
            for p in &files {
                let format = match ext(p) {
                    "csv" | "txt" => Format::Csv,
                    "json" => Format::Json,
                    "jsonl" => Format::Jsonl,
                    "xlsx" => Format::Xlsx,
                    _ => continue,
                };
                let Ok(data) = std::fs::read(p) else {
                    continue;
                };
                let name = p.to_string_lossy();
                let gb18030 = name.contains("gb18030");
                let mut schemes: Vec<String> = scheme_for(p).into_iter().collect();
                if format == Format::Csv && !gb18030 {
                    schemes.extend(scheme_from_header(&data, &mut rng));
                }
                for scheme in schemes {
                    let mut options = random_options(&mut rng);
                    // an events file (`orders.csv` beside a scheme with `events orders`)
                    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                    if events_blocks(&scheme).iter().any(|b| b == stem) {
                        options.push_str(&format!(" events={stem}"));
                    }
                    out.push(
                        DataCase {
                            scheme,
                            format,
                            gb18030,
                            options,
                            data: data.clone(),
                        }
                        .to_bytes(),
                    );
                }
            }
            out.extend(events_seeds(&files, &mut rng));
            out
        }
    }
}

/// The names of the `events` blocks of a scheme that checks clean.
fn events_blocks(scheme: &str) -> Vec<String> {
    let (_, checked) = rubric_check::check_source(scheme);
    if checked.has_errors() {
        return Vec::new();
    }
    checked
        .model
        .events
        .iter()
        .map(|e| e.name.clone())
        .collect()
}

/// For every clean scheme with `events` blocks: a generated events file per block (a few
/// customers' events, cells mostly of the right type), run with `events=NAME`.
fn events_seeds(files: &[PathBuf], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for p in files.iter().filter(|p| ext(p) == "rubric") {
        let Ok(scheme) = std::fs::read_to_string(p) else {
            continue;
        };
        let (_, checked) = rubric_check::check_source(&scheme);
        if checked.has_errors() || checked.model.events.is_empty() {
            continue;
        }
        for (b, block) in checked.model.events.iter().enumerate() {
            for _ in 0..4 {
                let emodel = rubric_eval::io::events_model(&checked.model, b);
                let csv = crate::targets::fields_csv(&emodel.fields, rng, 40, true);
                out.push(
                    DataCase {
                        scheme: scheme.clone(),
                        format: Format::Csv,
                        gb18030: false,
                        options: format!("{} events={}", random_options(rng), block.name),
                        data: csv.into_bytes(),
                    }
                    .to_bytes(),
                );
            }
        }
    }
    out
}
