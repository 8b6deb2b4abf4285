//! Find references: every definition and use of the symbol under the cursor.

use crate::analysis::Analysis;
use rubric_syntax::Span;

pub fn references(a: &Analysis, offset: usize, include_declaration: bool) -> Vec<Span> {
    let Some(r) = a.reference_at(offset) else {
        return Vec::new();
    };
    // with the definitions and uses in the files the document `use`s (past its end)
    let mut found: Vec<_> = a.occurrences(r.symbol);
    found.extend(a.used_refs.iter().filter(|u| u.symbol == r.symbol));
    found
        .into_iter()
        .filter(|o| include_declaration || !o.is_definition)
        .map(|o| o.span)
        .collect()
}
