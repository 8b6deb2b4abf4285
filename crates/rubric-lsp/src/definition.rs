//! Go to definition for fields, lets, points, scores, grades, tags, codes and attributes.

use crate::analysis::Analysis;
use rubric_syntax::Span;

/// The span of the definition of the name at `offset`.
pub fn definition(a: &Analysis, offset: usize) -> Option<Span> {
    let r = a.reference_at(offset)?;
    a.definition(r.symbol)
}
