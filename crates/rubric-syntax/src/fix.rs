//! Fixes as data (ruff's): a diagnostic with an obvious repair carries it as edits on the
//! source, with an applicability. `rubric check --fix` applies the safe ones ([`apply`]); the
//! language server offers every one as a quick fix. Each fix is defined once, where its
//! diagnostic is made.

use crate::diagnostic::Diagnostic;
use crate::span::{line_col, Span};

/// Replace the text at `span` with `replacement` (an empty span inserts, an empty replacement
/// deletes). Spans are byte ranges of the source the diagnostic was made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn new(span: Span, replacement: impl Into<String>) -> Edit {
        Edit {
            span,
            replacement: replacement.into(),
        }
    }
}

/// One repair: a title for the editor, its edits (applied together, never overlapping), and
/// whether it is safe, that is whether it keeps what the writer evidently meant (full-width
/// `，` → `,`); an unsafe fix is a likely guess (`revnue` → `revenue`) that only a person applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub message: String,
    pub edits: Vec<Edit>,
    pub safe: bool,
}

impl Fix {
    /// A safe fix of one edit.
    pub fn safe(message: impl Into<String>, span: Span, replacement: impl Into<String>) -> Fix {
        Fix {
            message: message.into(),
            edits: vec![Edit::new(span, replacement)],
            safe: true,
        }
    }
    /// An unsafe fix of one edit (offered, never applied by `--fix`).
    pub fn guess(message: impl Into<String>, span: Span, replacement: impl Into<String>) -> Fix {
        Fix {
            safe: false,
            ..Fix::safe(message, span, replacement)
        }
    }
    pub fn with_edit(mut self, span: Span, replacement: impl Into<String>) -> Fix {
        self.edits.push(Edit::new(span, replacement));
        self
    }

    pub fn to_json(&self, src: &str) -> JsonFix {
        JsonFix {
            message: self.message.clone(),
            applicability: if self.safe { "safe" } else { "unsafe" },
            edits: self
                .edits
                .iter()
                .map(|e| {
                    let (line, column) = line_col(src, e.span.start);
                    let (end_line, end_column) = line_col(src, e.span.end);
                    JsonEdit {
                        span: e.span,
                        line,
                        column,
                        end_line,
                        end_column,
                        replacement: e.replacement.clone(),
                    }
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct JsonFix {
    pub message: String,
    /// `safe` (applied by `rubric check --fix`) or `unsafe` (offered only).
    pub applicability: &'static str,
    pub edits: Vec<JsonEdit>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct JsonEdit {
    pub span: Span,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: String,
}

/// Whether two edits cannot both apply: they overlap, or both insert at one point (their order
/// would be a guess). Edits that only touch apply together.
fn clash(a: Span, b: Span) -> bool {
    (a.start < b.end && b.start < a.end) || (a.start == b.start && a.is_empty() && b.is_empty())
}

/// The source with the first safe fix of every diagnostic applied, and how many diagnostics were
/// fixed. A fix whose edits would clash with an edit already chosen is left for the next round: the caller checks the result again and repeats until nothing
/// changes. Edits outside the source or off character boundaries are skipped, never a panic.
pub fn apply(src: &str, diagnostics: &[Diagnostic]) -> (String, usize) {
    let mut chosen: Vec<&Fix> = Vec::new();
    let mut taken: Vec<Span> = Vec::new();
    for d in diagnostics {
        let Some(fix) = d.fixes.iter().find(|f| f.safe) else {
            continue;
        };
        let valid = !fix.edits.is_empty()
            && fix.edits.iter().all(|e| {
                e.span.start <= e.span.end
                    && e.span.end <= src.len()
                    && src.is_char_boundary(e.span.start)
                    && src.is_char_boundary(e.span.end)
            });
        let clashes = fix
            .edits
            .iter()
            .any(|e| taken.iter().any(|t| clash(e.span, *t)));
        if !valid || clashes || chosen.contains(&fix) {
            continue;
        }
        taken.extend(fix.edits.iter().map(|e| e.span));
        chosen.push(fix);
    }
    let mut edits: Vec<&Edit> = chosen.iter().flat_map(|f| f.edits.iter()).collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(src.len());
    let mut at = 0;
    for e in edits {
        if e.span.start < at {
            // two edits of one fix overlap: keep the text as it is from here on
            continue;
        }
        out.push_str(&src[at..e.span.start]);
        out.push_str(&e.replacement);
        at = e.span.end;
    }
    out.push_str(&src[at..]);
    (out, chosen.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn diag(fix: Fix) -> Diagnostic {
        Diagnostic::warning("full-width", "x", Span::point(0)).with_fix(fix)
    }

    #[test]
    fn safe_fixes_apply_and_clashing_ones_wait() {
        let src = "a ＝＝ b";
        let d = [
            diag(Fix::safe("=", Span::new(2, 5), "=")),
            diag(Fix::safe("=", Span::new(5, 8), "=")),
            diag(Fix::guess("b", Span::new(9, 10), "c")),
            diag(Fix::safe("clash", Span::new(3, 6), "?")),
        ];
        let (out, n) = apply(src, &d);
        // the two full-width fixes touch and apply together; the one across both waits
        assert_eq!((out.as_str(), n), ("a == b", 2));
        let (out, n) = apply(
            src,
            &[diag(
                Fix::safe("both", Span::new(2, 5), "=").with_edit(Span::new(5, 8), "="),
            )],
        );
        assert_eq!((out.as_str(), n), ("a == b", 1));
        // out of range or inside a character: skipped
        let (out, n) = apply(src, &[diag(Fix::safe("bad", Span::new(3, 4), ""))]);
        assert_eq!((out.as_str(), n), (src, 0));
    }
}
