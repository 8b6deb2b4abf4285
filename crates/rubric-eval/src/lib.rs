//! Rubric evaluation: a checked [`rubric_check::hir::Model`] is compiled into a compact
//! [`Plan`] and evaluated over customer rows; the `io` module reads and writes the data files.
//!
//! - [`Plan::compile`]: fields become column indices, items slots, constants are folded.
//! - [`Plan::evaluate`]: a population held in memory (tests, explain) → an [`Evaluation`] with
//!   every value, [`Evaluation::eval_expr`] for test expectations and [`Evaluation::trace`].
//! - [`run`]: `rubric run`'s streaming, parallel evaluation of a data file.
//!
//! Semantics: exact decimals (a quotient is rounded to 16 places, division by zero is missing,
//! overflow rejects the row), calendar dates, SQL three-valued logic, population functions as SQL
//! window functions (see `pop`).

mod eval;
pub mod events;
mod hash;
pub mod io;
mod ir;
mod model;
mod par;
mod plan;
mod pop;
mod population;
mod profile;
pub mod project;
mod rules;
pub mod run;
mod stages;
mod table;
#[cfg(test)]
mod tests;
mod trace;
pub mod value;
mod vector;

pub use ir::overflow_reason;
pub use ir::Plan;
pub use model::expr_text;
pub use plan::{field_value, literal_value};
pub use population::Evaluation;
pub use rules::Overflow;
pub use trace::{
    show, BonusTrace, Explainer, Leaf, Outcome, RuleTrace, TermTrace, Trace, TraceDetail,
};
pub use value::{format_decimal, format_value, InputRow, Reject, Value, ValueFormat};
