//! The formatter's two promises, on every scheme of the repository: it never changes meaning
//! (`parse(fmt(x)).file == parse(x).file`) and it is idempotent (`fmt(fmt(x)) == fmt(x)`).
//! A file with syntax errors is refused, never rewritten.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rubric_fmt::{format_source, FmtError};
use std::path::{Path, PathBuf};

fn schemes_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            schemes_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "rubric")
            // a scheme that is not UTF-8 never reaches the formatter (`fuzz/scheme/not-utf8`)
            && std::fs::read(&p).is_ok_and(|b| std::str::from_utf8(&b).is_ok())
        {
            out.push(p);
        }
    }
}

fn repo_schemes() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    schemes_under(&root.join("tests/fixtures"), &mut out);
    schemes_under(&root.join("examples"), &mut out);
    out
}

#[test]
fn formatting_keeps_meaning_and_is_idempotent_on_every_scheme() {
    let files = repo_schemes();
    assert!(
        files.len() > 20,
        "expected the fixtures and examples, found {} files",
        files.len()
    );
    let mut formatted = 0;
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let parsed = rubric_syntax::parse(&src);
        match format_source(&src) {
            Ok(once) => {
                // warnings (`full-width`) are fine: the formatter writes their ASCII form, so
                // the output has none (checked below)
                assert!(
                    !parsed.errors.iter().any(|d| d.is_error()),
                    "{}: formatted despite syntax errors",
                    path.display()
                );
                let again = rubric_syntax::parse(&once);
                assert!(
                    again.errors.is_empty(),
                    "{}: formatted text has errors: {:?}\n{once}",
                    path.display(),
                    again.errors
                );
                assert_eq!(
                    again.file,
                    parsed.file,
                    "{}: formatting changed the meaning\n{once}",
                    path.display()
                );
                let twice = format_source(&once)
                    .unwrap_or_else(|e| panic!("{}: second pass failed: {e:?}", path.display()));
                assert_eq!(
                    twice,
                    once,
                    "{}: formatting is not idempotent",
                    path.display()
                );
                let comments = |s: &str| {
                    s.lines()
                        .filter_map(|l| l.find("//").map(|i| l[i..].trim_end().to_string()))
                        .count()
                };
                assert_eq!(
                    comments(&once),
                    comments(&src),
                    "{}: a comment was lost\n{once}",
                    path.display()
                );
                formatted += 1;
            }
            Err(FmtError::Syntax(errors)) => {
                assert!(!errors.is_empty());
                assert!(
                    parsed.errors.iter().any(|d| d.is_error()),
                    "{}: refused without syntax errors",
                    path.display()
                );
            }
            Err(FmtError::Unstable) => {
                panic!("{}: the formatter would change the meaning", path.display())
            }
        }
    }
    assert!(formatted > 20);
}

#[test]
fn trailing_spaces_and_crlf_line_ends_do_not_change_the_result() {
    for path in repo_schemes() {
        let src = std::fs::read_to_string(&path).unwrap();
        let Ok(clean) = format_source(&src) else {
            continue;
        };
        let noisy: String = src.lines().map(|l| format!("{l}  \t\r\n")).collect();
        let again = format_source(&noisy).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert_eq!(again, clean, "{}", path.display());
    }
}

#[test]
fn extra_blank_lines_between_declarations_collapse_to_one() {
    for path in repo_schemes() {
        let src = std::fs::read_to_string(&path).unwrap();
        let Ok(clean) = format_source(&src) else {
            continue;
        };
        // three blank lines wherever the formatted text has one
        let spread = clean.replace("\n\n", "\n\n\n\n");
        assert_eq!(format_source(&spread).unwrap(), clean, "{}", path.display());
    }
}

/// Cut every formatter fixture at many places: a cut that still parses must format to a fixed
/// point with the same meaning, and none may panic.
#[test]
fn truncated_sources_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fmt");
    let mut files = Vec::new();
    schemes_under(&dir, &mut files);
    let mut formatted = 0;
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let cuts: Vec<usize> = src.char_indices().map(|(i, _)| i).step_by(5).collect();
        for cut in cuts {
            let part = &src[..cut];
            if let Ok(once) = format_source(part) {
                assert_eq!(
                    format_source(&once).unwrap(),
                    once,
                    "{} cut at {cut}",
                    path.display()
                );
                formatted += 1;
            }
        }
    }
    assert!(formatted > 50, "only {formatted} cuts parsed");
}
