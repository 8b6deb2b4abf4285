//! The one diagnostic type every phase reports: parse, check, analysis and test loading.
//!
//! A single type (rather than one per phase) lets the CLI, the LSP and the JSON output convert
//! diagnostics generically. It implements [`miette::Diagnostic`], so the CLI renders it with
//! miette's graphical handler.

pub use crate::fix::{Edit, Fix, JsonFix};
use crate::span::{line_col, Span};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
        }
    }
}

/// A secondary location that explains the primary one ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable, kebab-case code such as `unknown-name`; documented in docs/diagnostics.md.
    pub code: &'static str,
    /// Lowercase, no final period, user names in backticks.
    pub message: String,
    /// The exact place the problem is.
    pub span: Span,
    /// A short label shown under the span, when it says more than the message.
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Repairs, best first (see [`crate::fix`]): the CLI's `--fix` applies the first safe one,
    /// the language server offers every one as a quick fix.
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: None,
            help: None,
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }
    pub fn hint(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Hint,
            ..Diagnostic::error(code, message, span)
        }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }
    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }
    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fixes.push(fix);
        self
    }
    /// A ``did you mean `X`?`` help, with the fix that writes `X` over the span (a guess, so
    /// offered in editors and never applied by `--fix`).
    pub fn with_suggestion(self, name: &str) -> Diagnostic {
        let span = self.span;
        self.with_help(format!("did you mean `{name}`?"))
            .with_fix(Fix::guess(format!("replace with `{name}`"), span, name))
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The stable JSON shape of `rubric check --error-format json`: 1-based lines and columns,
    /// columns counted in characters.
    pub fn to_json(&self, file: &str, src: &str) -> JsonDiagnostic {
        let (line, column) = line_col(src, self.span.start);
        let (end_line, end_column) = line_col(src, self.span.end);
        JsonDiagnostic {
            file: file.to_string(),
            severity: self.severity,
            code: self.code.to_string(),
            message: self.message.clone(),
            help: self.help.clone(),
            line,
            column,
            end_line,
            end_column,
            fixes: self.fixes.iter().map(|f| f.to_json(src)).collect(),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub help: Option<String>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub fixes: Vec<JsonFix>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Hint => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let primary = miette::LabeledSpan::new_primary_with_span(self.label.clone(), self.span);
        let related = self
            .related
            .iter()
            .map(|r| miette::LabeledSpan::new_with_span(Some(r.message.clone()), r.span));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// Sorts diagnostics by position, then severity, so every consumer sees the same order.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.span.start, a.span.end, a.severity, a.code).cmp(&(
            b.span.start,
            b.span.end,
            b.severity,
            b.code,
        ))
    });
}

/// Edit distance over characters (optimal string alignment: a swap of two neighbours counts as
/// one edit, so `regoin` is one edit from `region`), for "did you mean".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    edit_distance_within(&a, &b, a.len().max(b.len())).unwrap_or(usize::MAX)
}

/// The edit distance of `a` and `b` (as [`edit_distance`]) when it is at most `limit`, else
/// `None`. Only a band of `2 * limit + 1` cells around the diagonal is computed, so the cost is
/// `O(len * limit)`, never the square of a long name's length.
pub fn edit_distance_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    const FAR: usize = usize::MAX / 2;
    // three rows of the full matrix (i - 2, i - 1, i), columns 0..=b.len(); cells outside the
    // band stay FAR
    let w = b.len() + 1;
    let (mut prev2, mut prev, mut cur) = (vec![FAR; w], vec![FAR; w], vec![FAR; w]);
    for (j, cell) in prev.iter_mut().enumerate().take(limit.min(b.len()) + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (lo, hi) = (i.saturating_sub(limit).max(1), (i + limit).min(b.len()));
        // the next rows read this row from lo - 1 to hi + 1 only; its other cells are stale
        cur[lo - 1] = FAR;
        if hi < b.len() {
            cur[hi + 1] = FAR;
        }
        cur[0] = if i <= limit { i } else { FAR };
        let mut best = cur[0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            best = best.min(v);
        }
        if best > limit {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

/// The closest candidate to `name`, if it is close enough to be a likely typo: at most one edit
/// in four characters, and never more than four edits (a longer name gets no looser match, and
/// the comparison stays cheap whatever its length).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted: Vec<char> = name.to_lowercase().chars().collect();
    let limit = (wanted.len() / 4).clamp(1, 4);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name || c.len().abs_diff(name.len()) > 4 * limit {
            continue;
        }
        let cand: Vec<char> = c.to_lowercase().chars().collect();
        if let Some(d) = edit_distance_within(&wanted, &cand, limit) {
            if best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
                best = Some((d, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_but_not_unrelated_names() {
        assert_eq!(
            did_you_mean("revnue", ["revenue", "region"]),
            Some("revenue")
        );
        assert_eq!(
            did_you_mean("regoin", ["revenue", "region"]),
            Some("region")
        );
        assert_eq!(did_you_mean("forecast_sales", ["forecast_pts"]), None);
        assert_eq!(did_you_mean("营业", ["营业额", "利润"]), Some("营业额"));
        // a long name is matched with at most four edits, in time linear in its length
        let long = "a".repeat(20_000);
        let typo = format!("{}b", &long[1..]);
        assert_eq!(did_you_mean(&typo, [long.as_str()]), Some(long.as_str()));
        let far = format!("{}bbbbb", &long[5..]);
        assert_eq!(did_you_mean(&far, [long.as_str()]), None);
    }

    /// The full matrix, as the textbook writes it.
    fn osa(a: &[char], b: &[char]) -> usize {
        let w = b.len() + 1;
        let mut d = vec![0usize; (a.len() + 1) * w];
        for i in 0..=a.len() {
            d[i * w] = i;
        }
        for (j, cell) in d.iter_mut().enumerate().take(w) {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                d[i * w + j] = v;
            }
        }
        d[a.len() * w + b.len()]
    }

    #[test]
    fn the_banded_distance_is_the_full_distance_within_its_limit() {
        let alphabet = ['a', 'b', 'c', '营'];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5000 {
            let mut word = |n: u64| -> Vec<char> {
                let len = (next() % n) as usize;
                (0..len).map(|_| alphabet[(next() % 4) as usize]).collect()
            };
            let (a, b) = (word(9), word(9));
            let full = osa(&a, &b);
            for limit in 0..6 {
                let banded = edit_distance_within(&a, &b, limit);
                assert_eq!(
                    banded,
                    (full <= limit).then_some(full),
                    "{a:?} {b:?} {limit}"
                );
            }
        }
    }
}
