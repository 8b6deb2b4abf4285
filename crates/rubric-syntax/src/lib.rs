//! Rubric syntax: the pest grammar (`grammar/rubric.pest`) lowered into a typed AST with byte
//! spans, plus the diagnostic type shared by every phase.
//!
//! [`parse`] never fails and never panics: it returns the declarations it could read and every
//! syntax error it found. It parses one top-level declaration at a time, so a typo in one
//! declaration does not hide the errors in the others. No other crate sees pest.

pub mod ast;
pub mod date;
pub mod decimal;
pub mod diagnostic;
pub mod fix;
mod lower;
pub mod normalize;
pub mod numbers;
pub mod scan;
pub mod span;
pub mod stack;

pub use decimal::Decimal;
pub use diagnostic::{Diagnostic, Severity};
pub use fix::{Edit, Fix};
pub use lower::{is_keyword, parse, Parsed, DECL_KEYWORDS, KEYWORDS, MAX_DEPTH};
pub use span::{Span, Spanned};

/// Whether `c` is layout between tokens: exactly the characters of the grammar's `WHITESPACE`
/// rule (a byte order mark and the ideographic space among them). `str::trim` is not the same
/// test: it keeps `\u{FEFF}`, which the parser skips like a space.
pub fn is_layout(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}' | '\u{3000}')
}
