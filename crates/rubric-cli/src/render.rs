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
    let report = miette::Report::new(diag.clone())
        .with_source_code(miette::NamedSource::new(path, src.to_string()));
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}: {}: {}\n", path, diag.severity.as_str(), diag.message);
    }
    out
}

/// The one-line summary after a list of diagnostics, e.g. `2 errors, 1 warning`.
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| if n == 1 { format!("{n} {w}") } else { format!("{n} {w}s") };
    format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
}
