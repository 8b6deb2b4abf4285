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

/// One diagnostic as miette draws it, with the source excerpt and the `help`.
pub fn human(diag: &Diagnostic, path: &str, src: &str, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let report = miette::Report::new(diag.clone()).with_source_code(CharColumns {
        name: path.to_string(),
        src: src.to_string(),
    });
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {}: {}\n", path, diag.severity.as_str(), diag.message);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
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
    src: String,
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
        let column = if before == 0 {
            self.src[line_start..start].chars().count()
        } else {
            0
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}
