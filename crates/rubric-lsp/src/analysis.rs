//! One analysed version of a document: the text, the AST, the checked model, the diagnostics and
//! the line index. Handlers are plain functions over an [`Analysis`]; they never see the protocol
//! machinery, which keeps them synchronous and testable.

use crate::position::LineIndex;
use rubric_check::hir::{Model, Reference, Symbol};
use rubric_check::project::{Reader, Source};
use rubric_check::Checked;
use rubric_syntax::ast::File;
use rubric_syntax::{Diagnostic, Span};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug)]
pub struct Analysis {
    pub text: String,
    pub index: LineIndex,
    pub file: File,
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the text parsed without a syntax error.
    pub parsed_cleanly: bool,
    /// The files the document `use`s (v2): a span past the end of `text` lies in one of them.
    pub used: Vec<Source>,
    /// The references that lie in those files (the model's `refs` hold the document's own).
    pub used_refs: Vec<Reference>,
    /// The document's text and the used files' texts back to back, as the spans index them.
    all_text: String,
    /// The document's folder, which used files are shown relative to.
    dir: std::path::PathBuf,
}

impl Analysis {
    /// Parses and checks `text` with the same checker the CLI uses.
    pub fn new(text: String) -> Analysis {
        let index = LineIndex::new(&text);
        // The parser's depth guard (`rubric_syntax::scan::too_deep`) keeps every phase far from
        // the stack limit of a worker thread, so the document goes straight to the checker.
        let (file, checked) = rubric_check::check_source(&text);
        let Checked {
            model, diagnostics, ..
        } = checked;
        let parsed_cleanly = !diagnostics.iter().any(|d| d.code == "syntax-error");
        Analysis {
            all_text: text.clone(),
            text,
            index,
            file,
            model,
            diagnostics,
            parsed_cleanly,
            used: Vec::new(),
            used_refs: Vec::new(),
            dir: std::path::PathBuf::new(),
        }
    }

    /// Parses and checks the document at `path` with the files it `use`s, read with `read`
    /// (open documents first, then the disk). The diagnostics, declarations and references of
    /// the used files stay out of the document's own; an error in a used file is shown on the
    /// `use` that brings it in.
    ///
    /// A document without `input` that a scheme uses (an open document, else a `.rubric` file in
    /// its folder or up to two folders above: `open` lists the open documents) is checked with
    /// that scheme's `input` appended past its end, so its names resolve as they do in the scheme.
    pub fn with_files(
        text: String,
        path: &Path,
        open: &[(std::path::PathBuf, Arc<String>)],
        read: &mut Reader<'_>,
    ) -> Analysis {
        let importer = if has_input(&text) {
            None
        } else {
            find_importer(path, open)
        };
        let project = match &importer {
            Some((_, itext, input)) => {
                // the scheme's `input`, padded so that its offsets are the scheme's own
                let appended = format!(
                    "{text}\n{}{}",
                    " ".repeat(input.start),
                    itext.get(input.range()).unwrap_or("")
                );
                rubric_check::project::check_project(path, &appended, read)
            }
            None => rubric_check::project::check_project(path, &text, read),
        };
        if !project.uses_files() && importer.is_none() {
            return Analysis::new(text);
        }
        let own = text.len();
        let mut diagnostics = Vec::new();
        for d in &project.checked.diagnostics {
            let (source, mut local) = project.local(d);
            if source.base == 0 {
                // (not what lies past the end, and not `unused`: the scheme decides that)
                if local.span.start <= own && !(importer.is_some() && local.code == "unused") {
                    diagnostics.push(local);
                }
            } else if let (true, Some(via)) = (d.is_error(), source.via) {
                let (line, _) = rubric_syntax::span::line_col(&source.text, local.span.start);
                // the used file as the document's `use` names it (relative to the document)
                let shown = source
                    .path
                    .strip_prefix(path.parent().unwrap_or(Path::new("")))
                    .unwrap_or(&source.path);
                local.message = format!("{}:{line}: {}", shown.display(), local.message);
                local.span = via;
                local.related.clear();
                local.fixes.clear();
                diagnostics.push(local);
            }
        }
        let parsed_cleanly = !diagnostics.iter().any(|d| d.code == "syntax-error");
        let mut model = project.checked.model;
        let (refs, used_refs): (Vec<Reference>, Vec<Reference>) =
            model.refs.into_iter().partition(|r| r.span.start <= own);
        model.refs = refs;
        let mut file = project.file;
        file.decls.retain(|d| d.span().start <= own);
        Analysis {
            index: LineIndex::new(&text),
            text,
            file,
            model,
            diagnostics,
            parsed_cleanly,
            used: importer
                .map(|(ipath, itext, _)| Source {
                    path: ipath,
                    text: itext,
                    base: own + 1,
                    via: None,
                })
                .into_iter()
                .chain(project.sources.into_iter().skip(1))
                .collect(),
            used_refs,
            all_text: project.text,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        }
    }

    /// A used file's path as the document's `use` names it (relative to the document's folder).
    pub fn shown(&self, source: &Source) -> String {
        relative(&source.path, &self.dir).display().to_string()
    }

    /// The used file a span past the document's end lies in, and the span within it.
    pub fn used_file(&self, span: Span) -> Option<(&Source, Span)> {
        if span.start <= self.text.len() {
            return None;
        }
        let s = self.used.iter().rev().find(|s| s.base <= span.start)?;
        let end = span.end.min(s.base + s.text.len()).max(span.start);
        Some((s, Span::new(span.start - s.base, end - s.base)))
    }

    /// The reference whose span holds `offset`; the narrowest one when several do. An offset just
    /// after a name (the cursor at its end) still counts.
    pub fn reference_at(&self, offset: usize) -> Option<&Reference> {
        self.model
            .refs
            .iter()
            .filter(|r| r.span.contains(offset))
            .min_by_key(|r| (r.span.len(), r.span.start))
    }

    /// Every occurrence of a symbol, definitions first, then in source order.
    pub fn occurrences(&self, symbol: Symbol) -> Vec<&Reference> {
        let mut v: Vec<&Reference> = self
            .model
            .refs
            .iter()
            .filter(|r| r.symbol == symbol)
            .collect();
        v.sort_by_key(|r| (!r.is_definition, r.span.start, r.span.end));
        v.dedup_by_key(|r| r.span);
        v
    }

    /// The span of a symbol's definition: in the document, or past its end in a used file.
    pub fn definition(&self, symbol: Symbol) -> Option<Span> {
        self.model
            .refs
            .iter()
            .chain(&self.used_refs)
            .find(|r| r.symbol == symbol && r.is_definition)
            .map(|r| r.span)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.all_text.get(span.range()).unwrap_or("")
    }
}

/// A shared, immutable analysis.
pub type Shared = Arc<Analysis>;

fn has_input(text: &str) -> bool {
    rubric_syntax::parse(text)
        .file
        .decls
        .iter()
        .any(|d| matches!(d.kind, rubric_syntax::ast::DeclKind::Input(_)))
}

/// A scheme that `use`s the file at `path`: its path, its text and the span of its `input`.
fn find_importer(
    path: &Path,
    open: &[(std::path::PathBuf, Arc<String>)],
) -> Option<(std::path::PathBuf, String, Span)> {
    let uses_it = |cand: &Path, text: &str| {
        rubric_check::project::used_paths(cand, text)
            .iter()
            .any(|u| rubric_check::project::same_file(u, path))
    };
    let mut found: Option<(std::path::PathBuf, String)> = open
        .iter()
        .find(|(p, t)| p.as_path() != path && uses_it(p, t))
        .map(|(p, t)| (p.clone(), t.as_ref().clone()));
    let mut dir = path.parent();
    for _ in 0..3 {
        if found.is_some() {
            break;
        }
        let Some(d) = dir else { break };
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(d)
            .map(|it| {
                it.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "rubric") && p != path)
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        found = files.into_iter().find_map(|p| {
            let t = std::fs::read_to_string(&p).ok()?;
            uses_it(&p, &t).then_some((p, t))
        });
        dir = d.parent();
    }
    let (ipath, itext) = found?;
    let input = rubric_syntax::parse(&itext)
        .file
        .decls
        .into_iter()
        .find_map(|d| match d.kind {
            rubric_syntax::ast::DeclKind::Input(_) => Some(d.span()),
            _ => None,
        })?;
    Some((ipath, itext, input))
}

/// `path` relative to the folder `dir` (`../tiers.rubric` from `common/`), when they share a
/// start; else `path` itself.
fn relative(path: &Path, dir: &Path) -> std::path::PathBuf {
    let (p, d): (Vec<_>, Vec<_>) = (path.components().collect(), dir.components().collect());
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common == 0 && !d.is_empty() {
        return path.to_path_buf();
    }
    let mut out = std::path::PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}
