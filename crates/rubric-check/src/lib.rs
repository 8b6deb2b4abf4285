//! The one checker every tool uses: the CLI, the language server, `rubric test` and `rubric sql`
//! all call [`check_source`] (or [`check`] on an AST they already have).
//!
//! It resolves names, checks types, finds cycles, checks keys, attributes and weights, runs the
//! grading analysis ([`analysis`]: unreachable rules, gaps, traps, hygiene) on every declaration
//! that checked clean, and returns a typed [`hir::Model`] with every diagnostic collected, never just the first.

pub mod analysis;
mod check;
pub mod fixes;
pub mod hir;
mod lints;
pub mod project;
pub mod signature;
pub mod visit;

pub use check::{check, literal_ty, unify, Checked};
pub use rubric_syntax::{Diagnostic, Severity};

/// Parses and checks a source text. The diagnostics are sorted by position.
pub fn check_source(src: &str) -> (rubric_syntax::ast::File, Checked) {
    rubric_syntax::stack::guarded(|| check_source_here(src))
}

fn check_source_here(src: &str) -> (rubric_syntax::ast::File, Checked) {
    let parsed = rubric_syntax::parse(src);
    check_parsed(src, parsed)
}

/// Checks what `parse` gave for `src` (for a scheme that uses other files, `src` is the text of
/// every file back to back and the declarations are all of theirs; see [`project`]).
pub(crate) fn check_parsed(
    src: &str,
    parsed: rubric_syntax::Parsed,
) -> (rubric_syntax::ast::File, Checked) {
    let mut checked = check(&parsed.file);
    let errors: Vec<rubric_syntax::Span> = parsed
        .errors
        .iter()
        .chain(&checked.diagnostics)
        .filter(|d| d.is_error())
        .map(|d| d.span)
        .collect();
    let findings = if errors.is_empty() {
        analysis::analyze(&checked.model)
    } else {
        analysis::analyze_clean(&checked.model, &errors)
    };
    checked.diagnostics.extend(findings);
    checked
        .diagnostics
        .extend(lints::mixed_percent(src, &parsed.file));
    let mut diags = parsed.errors;
    diags.append(&mut checked.diagnostics);
    fixes::complete(src, &checked.model, &mut diags);
    rubric_syntax::diagnostic::sort(&mut diags);
    checked.diagnostics = diags;
    (parsed.file, checked)
}
