//! Schemes that `use` other files: `use "common.rubric"` brings that file's `let`, `points`,
//! `grade` and `tags` declarations into the scheme, in the place of the `use`.
//!
//! Every file gets its own range of offsets: the scheme's text comes first, then each used
//! file, one after the other (after a line break). A used file is parsed at its offset, so the
//! spans of every declaration, reference and diagnostic are offsets into [`Project::text`] (the
//! texts back to back), and [`Project::locate`] turns one back into a file and a span in it.
//! The checker, the evaluator and `rubric sql` see one scheme, as if it were written in one
//! file.
//!
//! Paths are relative to the using file and, after `.` and `..` are resolved (as written, without
//! following links), stay inside the folder of the scheme being checked. A file used twice is
//! brought in once; a cycle of `use` is an error.

use crate::Checked;
use rubric_syntax::ast::{Decl, DeclKind, File};
use rubric_syntax::{Diagnostic, Span, Spanned};
use std::path::{Component, Path, PathBuf};

/// One file of a scheme: the scheme itself (the first) or a file it uses.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path as the scheme's own path leads to it (`examples/29/tiers.rubric`, then
    /// `examples/29/shared/tiers.rubric`).
    pub path: PathBuf,
    pub text: String,
    /// Where its text starts in [`Project::text`].
    pub base: usize,
    /// For a used file: the path of the `use` in the scheme itself that brought it in
    /// (directly, or through the files it uses), to point at from the scheme.
    pub via: Option<Span>,
}

/// A checked scheme and the files it uses.
#[derive(Clone, Debug)]
pub struct Project {
    /// The scheme first, then every used file in the order they are first used.
    pub sources: Vec<Source>,
    /// Every source's text back to back (each after a line break): what the spans index.
    pub text: String,
    pub file: File,
    pub checked: Checked,
}

impl Project {
    /// The source that holds `span`, and the span within that source's text.
    pub fn locate(&self, span: Span) -> (&Source, Span) {
        let i = self
            .sources
            .iter()
            .rposition(|s| s.base <= span.start)
            .unwrap_or(0);
        let s = &self.sources[i];
        let end = span.end.min(s.base + s.text.len()).max(span.start);
        (s, Span::new(span.start - s.base, end - s.base))
    }

    /// `d` in the terms of the source that holds it: its spans within that source's text, and
    /// without the related places and fix edits that lie in another source.
    pub fn local(&self, d: &Diagnostic) -> (&Source, Diagnostic) {
        let (src, span) = self.locate(d.span);
        let inside = |s: Span| s.start >= src.base && s.end <= src.base + src.text.len();
        let shift = |s: Span| Span::new(s.start - src.base, s.end - src.base);
        let mut out = d.clone();
        out.span = span;
        out.related = d
            .related
            .iter()
            .filter(|r| inside(r.span))
            .map(|r| {
                let mut r = r.clone();
                r.span = shift(r.span);
                r
            })
            .collect();
        out.fixes = d
            .fixes
            .iter()
            .filter(|f| f.edits.iter().all(|e| inside(e.span)))
            .map(|f| {
                let mut f = f.clone();
                for e in &mut f.edits {
                    e.span = shift(e.span);
                }
                f
            })
            .collect();
        (src, out)
    }

    /// Whether the scheme uses other files.
    pub fn uses_files(&self) -> bool {
        self.sources.len() > 1
    }
}

/// Reads a used file: its text, or why it cannot be read.
pub type Reader<'r> = dyn FnMut(&Path) -> Result<String, String> + 'r;

/// Parses and checks the scheme at `path` (whose text is `src`) with every file it uses, read
/// with `read`. A scheme without `use` checks exactly as [`crate::check_source`] checks it.
pub fn check_project(path: &Path, src: &str, read: &mut Reader<'_>) -> Project {
    rubric_syntax::stack::guarded(|| {
        let parsed = rubric_syntax::parse(src);
        let mut loader = Loader {
            root: parent(path),
            sources: vec![Source {
                path: path.to_path_buf(),
                text: src.to_string(),
                base: 0,
                via: None,
            }],
            text: src.to_string(),
            errors: parsed.errors,
            broken: parsed.file.broken,
            read,
        };
        let decls = loader.expand(parsed.file.decls, &mut vec![normal(path)], 0);
        let parsed = rubric_syntax::Parsed {
            file: File {
                decls,
                broken: std::mem::take(&mut loader.broken),
            },
            errors: std::mem::take(&mut loader.errors),
        };
        let text = loader.text;
        let (file, checked) = crate::check_parsed(&text, parsed);
        Project {
            sources: loader.sources,
            text,
            file,
            checked,
        }
    })
}

/// The files `src` (the scheme at `path`) names in its `use` declarations, resolved, without
/// reading them: for a directory walk, which files are used by others.
pub fn used_paths(path: &Path, src: &str) -> Vec<PathBuf> {
    let parsed = rubric_syntax::parse(src);
    parsed
        .file
        .decls
        .iter()
        .filter_map(|d| match &d.kind {
            DeclKind::Use(p) => Some(normal(&parent(path).join(&p.node))),
            _ => None,
        })
        .collect()
}

/// Whether two paths name the same file once `.` and `..` are resolved as written.
pub fn same_file(a: &Path, b: &Path) -> bool {
    normal(a) == normal(b)
}

struct Loader<'r, 'a> {
    /// The scheme's folder: no used file may lie outside it.
    root: PathBuf,
    sources: Vec<Source>,
    text: String,
    errors: Vec<Diagnostic>,
    broken: Vec<rubric_syntax::ast::BrokenDecl>,
    read: &'a mut Reader<'r>,
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `path` with `.` and `..` resolved as written.
fn normal(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

impl Loader<'_, '_> {
    /// `decls` (of source `from`) with each `use` replaced by the used file's declarations.
    fn expand(&mut self, decls: Vec<Decl>, stack: &mut Vec<PathBuf>, from: usize) -> Vec<Decl> {
        let mut out = Vec::with_capacity(decls.len());
        for d in decls {
            let DeclKind::Use(rel) = &d.kind else {
                if from == 0 || self.only_shared(&d) {
                    out.push(d);
                }
                continue;
            };
            if let Some(i) = self.open(rel, stack, from) {
                let parsed = {
                    let s = &self.sources[i];
                    rubric_syntax::parse(&format!("{}{}", " ".repeat(s.base), s.text))
                };
                self.errors.extend(parsed.errors);
                self.broken.extend(parsed.file.broken);
                stack.push(normal(&self.sources[i].path));
                let inner = self.expand(parsed.file.decls, stack, i);
                stack.pop();
                out.extend(inner);
            }
        }
        out
    }

    /// Finds, reads and registers the file `rel` names; `None` when it cannot be used (an
    /// error is recorded) or is already in (a file used twice is brought in once).
    fn open(&mut self, rel: &Spanned<String>, stack: &[PathBuf], from: usize) -> Option<usize> {
        let dir = parent(&self.sources[from].path);
        let path = normal(&dir.join(&rel.node));
        let inside = Path::new(&rel.node).is_relative() && path.starts_with(normal(&self.root));
        if !inside {
            self.errors.push(
                Diagnostic::error(
                    "use-outside",
                    format!("`{}` is outside the scheme's folder", rel.node),
                    rel.span,
                )
                .with_help(
                    "a used file is named relative to the file that uses it, and lies in the scheme's folder or below",
                ),
            );
            return None;
        }
        if let Some(at) = stack.iter().position(|p| *p == path) {
            let names: Vec<String> = stack[at..]
                .iter()
                .chain(std::iter::once(&path))
                .map(|p| {
                    p.file_name()
                        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            self.errors.push(
                Diagnostic::error(
                    "use-cycle",
                    format!("`use` goes round in a circle: {}", names.join(" -> ")),
                    rel.span,
                )
                .with_help("move what both files need into a third file that both use"),
            );
            return None;
        }
        if self.sources.iter().any(|s| normal(&s.path) == path) {
            return None;
        }
        let text = match (self.read)(&path) {
            Ok(t) => t,
            Err(e) => {
                self.errors.push(
                    Diagnostic::error(
                        "use-not-found",
                        format!("`{}` cannot be used: {e}", rel.node),
                        rel.span,
                    )
                    .with_help("the path is relative to the file that uses it"),
                );
                return None;
            }
        };
        self.text.push('\n');
        let base = self.text.len();
        self.text.push_str(&text);
        let via = self.sources[from].via.or(Some(rel.span));
        self.sources.push(Source {
            path,
            text,
            base,
            via,
        });
        Some(self.sources.len() - 1)
    }

    /// Whether a used file may bring `d`: `let`, `points`, `grade` and `tags` (and `use` of
    /// others); anything else is an error and left out.
    fn only_shared(&mut self, d: &Decl) -> bool {
        let kw = d.keyword();
        let at = Span::new(d.span().start, d.span().start + kw.len());
        let err = match &d.kind {
            DeclKind::Input(_) => Diagnostic::error(
                "use-input",
                "a used file cannot declare `input`",
                at,
            )
            .with_help("its names read the fields of the scheme that uses it: declare them there"),
            DeclKind::Scheme(_) | DeclKind::AsOf(_) | DeclKind::Score(_) | DeclKind::Test(_) => {
                Diagnostic::error(
                    "use-declaration",
                    format!("a used file cannot declare `{kw}`"),
                    at,
                )
                .with_help("a used file brings `let`, `points`, `grade` and `tags`; put the rest in the scheme")
            }
            _ => return true,
        };
        self.errors.push(err);
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn files<'a>(
        list: &'a [(&'a str, &'a str)],
    ) -> impl FnMut(&Path) -> Result<String, String> + 'a {
        move |p: &Path| {
            list.iter()
                .find(|(name, _)| Path::new(name) == p)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| "no such file".to_string())
        }
    }

    #[test]
    fn a_used_file_brings_its_declarations_and_its_spans_map_back() {
        let main = "use \"lib/common.rubric\"\ninput { id text key, revenue decimal }\ngrade g by pts { a when >= 10, b otherwise }\n";
        let lib = "points pts by revenue { 10 when > 5, 0 otherwise }\nlet unused_here = revnue\n";
        let list = [("s/lib/common.rubric", lib)];
        let mut read = files(&list);
        let p = check_project(Path::new("s/main.rubric"), main, &mut read);
        assert_eq!(p.sources.len(), 2);
        assert!(p.checked.model.item_named("pts").is_some());
        let d = p
            .checked
            .diagnostics
            .iter()
            .find(|d| d.code == "unknown-name")
            .unwrap();
        let (src, span) = p.locate(d.span);
        assert_eq!(src.path, Path::new("s/lib/common.rubric"));
        assert_eq!(&src.text[span.start..span.end], "revnue");
    }

    #[test]
    fn without_a_file_use_is_an_error_not_silence() {
        let (_, c) = crate::check_source("use \"x.rubric\"\ninput { id text key }\n");
        assert!(c.diagnostics.iter().any(|d| d.code == "use-unsupported"));
    }

    #[test]
    fn paths_resolve_lexically_and_stay_inside() {
        assert_eq!(
            normal(Path::new("a/./b/../c.rubric")),
            Path::new("a/c.rubric")
        );
        let mut read = files(&[]);
        let p = check_project(
            Path::new("s/main.rubric"),
            "use \"../../etc/x.rubric\"\ninput { id text key }\n",
            &mut read,
        );
        assert!(p
            .checked
            .diagnostics
            .iter()
            .any(|d| d.code == "use-outside"));
    }
}
