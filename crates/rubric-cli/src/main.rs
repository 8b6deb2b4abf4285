//! The `rubric` command. One module per subcommand under `command/`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod command;
mod render;

/// mimalloc: `rubric run` allocates and frees a value per cell on every core; the system
/// allocator made that (and the page faults of returning memory to the kernel) a tenth of a run
/// (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rubric: write down how you grade your customers, check it, test it, and run it.
#[derive(Parser)]
#[command(name = "rubric", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check scheme files and report every problem
    Check(command::check::Args),
    /// Grade a customer file with a scheme
    Run(command::run::Args),
    /// Run the test blocks and dataset snapshots of schemes
    Test(command::test::Args),
    /// Format scheme files into the canonical layout
    Fmt(command::fmt::Args),
    /// Explain how one customer got each grade
    Explain(command::explain::Args),
    /// Compile a scheme to one SQL SELECT for DuckDB, PostgreSQL or Spark
    Sql(command::sql::Args),
    /// Serve the Language Server Protocol on stdio
    Lsp(command::lsp::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: help and version are not errors
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Check(a) => command::check::main(a),
        Command::Run(a) => command::run::main(a),
        Command::Test(a) => command::test::main(a),
        Command::Fmt(a) => command::fmt::main(a),
        Command::Explain(a) => command::explain::main(a),
        Command::Sql(a) => command::sql::main(a),
        Command::Lsp(a) => command::lsp::main(a),
    }
}
