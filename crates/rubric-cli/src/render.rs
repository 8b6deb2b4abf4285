//! Rendering diagnostics for people (miette's graphical report) and for tools (JSON).

use rubric_syntax::Diagnostic;
use std::io::IsTerminal;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ErrorFormat {
    #[default]
    Human,
    Json,
}

/// Whether stderr gets colours: a terminal, and `NO_COLOR` unset.
pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Lines longer than this many characters are shown as a window around the problem.
const MAX_LINE_CHARS: usize = 200;

/// One diagnostic as miette draws it, with the source excerpt and the `help`.
///
/// miette is handed an excerpt, never the whole file: the lines the labels touch (and one on each
/// side), so that a thousand diagnostics in a large file cost a thousand small copies. When a
/// line of the excerpt is very long (miette panics past 65,535 columns, and such a line is
/// unreadable anyway), only a window of the primary label's line is shown, between `…`s, and
/// the header still gives the real line and column.
pub fn human(diag: &Diagnostic, path: &str, src: &str, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let (shown, source) = excerpt(diag, path, src);
    let report = miette::Report::new(shown).with_source_code(source);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {}: {}\n", path, diag.severity.as_str(), diag.message);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The part of `src` miette is shown for `diag`, and `diag` with its spans moved into it.
fn excerpt(diag: &Diagnostic, path: &str, src: &str) -> (Diagnostic, CharColumns) {
    use rubric_syntax::span::clamp_to_char_boundary as clamp;
    use rubric_syntax::Span;
    let spans = std::iter::once(diag.span).chain(diag.related.iter().map(|r| r.span));
    let (lo, hi) = spans.fold((usize::MAX, 0), |(lo, hi), s| {
        (lo.min(s.start), hi.max(s.end))
    });
    let (lo, hi) = (
        clamp(src, lo.min(src.len())),
        clamp(src, hi.max(lo).min(src.len())),
    );
    // miette shows one line of context on each side; the excerpt keeps two, so that where miette
    // counts a label's line is never at the excerpt's edge
    let line_of = |at: usize| src[..at].rfind('\n').map_or(0, |i| i + 1);
    let end_of = |at: usize| src[at..].find('\n').map_or(src.len(), |i| at + i);
    let (mut start, mut end) = (line_of(lo), end_of(hi));
    for _ in 0..2 {
        if start > 0 {
            start = line_of(start - 1);
        }
        if end < src.len() {
            end = end_of(end + 1);
        }
    }
    let line = src[..start].bytes().filter(|b| *b == b'\n').count();
    let text = &src[start..end];
    let too_long = text
        .split('\n')
        .any(|l| l.len() > MAX_LINE_CHARS && l.chars().count() > MAX_LINE_CHARS);
    let shift = |s: Span, base: usize, limit: usize| {
        let a = s.start.clamp(base, limit) - base;
        Span::new(
            a,
            s.end.clamp(base, limit).max(s.start.clamp(base, limit)) - base,
        )
    };
    let mut shown = diag.clone();
    if !too_long {
        shown.span = shift(diag.span, start, end);
        for r in &mut shown.related {
            r.span = shift(r.span, start, end);
        }
        let source = CharColumns {
            name: path.to_string(),
            src: text.to_string(),
            first_line: line,
            column: None,
        };
        return (shown, source);
    }
    // a window of the primary label's line
    let at = clamp(src, diag.span.start.min(src.len()));
    let line_start = line_of(at);
    let line_end = end_of(at);
    let column = src[line_start..at].chars().count();
    let back: usize = src[line_start..at]
        .chars()
        .rev()
        .take(60)
        .map(char::len_utf8)
        .sum();
    let w_start = at - back;
    let fwd: usize = src[at..line_end]
        .chars()
        .take(120)
        .map(char::len_utf8)
        .sum();
    let w_end = at + fwd;
    let (pre, post) = (
        if w_start > line_start { "…" } else { "" },
        if w_end < line_end { "…" } else { "" },
    );
    let window = format!("{pre}{}{post}", &src[w_start..w_end]);
    let span = shift(diag.span, w_start, w_end);
    shown.span = Span::new(span.start + pre.len(), span.end + pre.len());
    shown
        .related
        .retain(|r| r.span.start >= w_start && r.span.end <= w_end);
    for r in &mut shown.related {
        r.span = Span::new(
            r.span.start - w_start + pre.len(),
            r.span.end - w_start + pre.len(),
        );
    }
    let source = CharColumns {
        name: path.to_string(),
        src: window,
        first_line: src[..line_start].bytes().filter(|b| *b == b'\n').count(),
        column: Some(column),
    };
    (shown, source)
}

/// The one-line summary after a list of diagnostics, e.g. `2 errors, 1 warning`.
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Source text for miette whose reported columns count characters, not bytes, so the
/// `file:line:column` header is right on Chinese text (the squiggles already are).
struct CharColumns {
    name: String,
    /// An excerpt of the file (see [`excerpt`]).
    src: String,
    /// The line of the file the excerpt starts at (0-based).
    first_line: usize,
    /// The real column of the primary label, when the excerpt is a window of a long line.
    column: Option<usize>,
}

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.src.read_span(span, before, after)?;
        let start = rubric_syntax::span::clamp_to_char_boundary(&self.src, span.offset());
        let line_start = self.src[..start].rfind('\n').map_or(0, |i| i + 1);
        let column = match self.column {
            Some(c) if before == 0 => c,
            _ if before == 0 => self.src[line_start..start].chars().count(),
            _ => 0,
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            // miette's count is of the lines up to the end of the context, from the file's start
            inner.line_count() + self.first_line,
        )))
    }
}
