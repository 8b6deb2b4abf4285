//! Rubric evaluation: a checked [`rubric_check::hir::Model`] is compiled into a compact plan and
//! evaluated over customer rows; the `io` module reads and writes the data files.

pub mod io;
pub mod value;

pub use value::{InputRow, Reject, Value};
