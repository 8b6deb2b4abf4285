//! A self-contained, deterministic mutation fuzzer for Rubric (stable Rust: no libFuzzer).
//!
//! Three targets drive the entry points a user's input reaches ([`targets`]): `scheme` (check,
//! the CLI's human report, fmt and its properties, SQL, both evaluators), `data` (the readers
//! through the `rubric run` driver and `read_all`) and `lsp` (edit sequences and every request
//! an editor sends). [`mutate`] changes seed bytes, [`seeds`] finds the seeds in `examples/`
//! and `tests/fixtures/`, and [`campaign`] runs inputs under `catch_unwind`, timing each.
//!
//! `tests/campaign.rs` runs a short fixed-seed campaign and replays `tests/fixtures/fuzz/`;
//! `cargo run --release -p rubric-fuzz -- --help` runs a long one.

pub mod campaign;
pub mod mutate;
pub mod rng;
pub mod seeds;
pub mod targets;

/// The CLI's diagnostic renderer, compiled in as it is: `rubric check` prints every diagnostic
/// through it, and it is where issue #16's long-line panic lived.
#[allow(dead_code)]
#[path = "../../crates/rubric-cli/src/render.rs"]
mod render;

use std::collections::BTreeMap;
use std::path::Path;
use targets::Target;

/// The seeds of every target in `targets`.
pub fn all_seeds(targets: &[Target], root: &Path) -> BTreeMap<Target, Vec<Vec<u8>>> {
    targets
        .iter()
        .map(|t| (*t, seeds::seeds(*t, root)))
        .collect()
}
