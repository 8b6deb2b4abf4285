//! Formatting with the canonical formatter (`rubric fmt`): one edit replacing the whole text.
//! A scheme with syntax errors is left as it is (its diagnostics already say why).

use crate::analysis::Analysis;
use rubric_syntax::Span;

/// `Ok(None)`: nothing to change (already formatted, or syntax errors). `Err`: the formatter
/// refused (its output would not mean the same).
pub fn format(a: &Analysis) -> Result<Option<(Span, String)>, String> {
    match rubric_fmt::format_source(&a.text) {
        Ok(out) if out == a.text => Ok(None),
        Ok(out) => Ok(Some((Span::new(0, a.text.len()), out))),
        Err(rubric_fmt::FmtError::Syntax(_)) => Ok(None),
        Err(rubric_fmt::FmtError::Unstable) => {
            Err("the formatter could not format this scheme without changing its meaning; it was left as it is".into())
        }
    }
}
