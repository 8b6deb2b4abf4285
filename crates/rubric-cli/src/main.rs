//! The `rubric` command. One module per subcommand under `command/`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod command;
mod render;

/// mimalloc: `rubric run` allocates and frees a value per cell on every core, and holds large
/// columns; see [`large_pages`] and BENCHMARKS.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Asks mimalloc for large OS pages (transparent huge pages, by `madvise`, where the kernel
/// allows them). Touching hundreds of megabytes of fresh 4 KiB pages made the kernel's page
/// clearing a fifth of a `rubric run` (BENCHMARKS.md). `MIMALLOC_ALLOW_LARGE_OS_PAGES=0` in the
/// environment turns it off.
#[allow(unsafe_code)]
fn large_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_LARGE_OS_PAGES").is_some() {
        return; // mimalloc read the user's choice at start-up
    }
    // SAFETY: `mi_option_set_enabled` only stores an option value (atomically) that mimalloc
    // reads when it next maps memory from the OS; it takes no pointers.
    unsafe {
        libmimalloc_sys::mi_option_set_enabled(libmimalloc_sys::mi_option_large_os_pages, true);
    }
}

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
    large_pages();
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
