//! Checker diagnostics → LSP diagnostics, generically (cedar's `to_lsp_diagnostics`): the code,
//! the severity, the exact range, the help line and every related location.

use crate::analysis::Analysis;
use rubric_syntax::{Diagnostic, Severity};
use tower_lsp_server::lsp_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri,
};

pub fn to_lsp(a: &Analysis, uri: &Uri) -> Vec<lsp::Diagnostic> {
    a.diagnostics.iter().map(|d| convert(a, uri, d)).collect()
}

pub fn convert(a: &Analysis, uri: &Uri, d: &Diagnostic) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push_str(&format!("\n{label}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .map(|r| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: a.index.range(&a.text, r.span),
            },
            message: r.message.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: a.index.range(&a.text, d.span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Hint => DiagnosticSeverity::HINT,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("rubric".to_string()),
        message,
        related_information: if related.is_empty() {
            None
        } else {
            Some(related)
        },
        ..lsp::Diagnostic::default()
    }
}
