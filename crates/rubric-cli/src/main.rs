//! The `rubric` command. One module per subcommand under `command/`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod command;
mod render;

/// mimalloc: `rubric run` allocates and frees a value per cell on every core, and holds large
/// columns; see [`tune_allocator`] and BENCHMARKS.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tunes mimalloc for `rubric run`, which holds large columns and frees and reallocates large
/// buffers between phases:
/// - large OS pages (transparent huge pages, by `madvise`, where the kernel allows them);
/// - no purging: memory freed between phases is kept for the next one instead of being handed
///   back to the kernel and faulted in (and zeroed) again.
///
/// Touching fresh 4 KiB pages made the kernel's page clearing a fifth of a run (BENCHMARKS.md).
/// The environment variables `MIMALLOC_ALLOW_LARGE_OS_PAGES` and `MIMALLOC_PURGE_DELAY` still
/// decide where they are set.
#[allow(unsafe_code)]
fn tune_allocator() {
    /// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys names no constant).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` stores an option value that mimalloc reads when it next maps or
    // purges memory; it takes no pointers and is safe to call at any time.
    unsafe {
        if std::env::var_os("MIMALLOC_ALLOW_LARGE_OS_PAGES").is_none() {
            libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 1);
        }
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        }
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
    tune_allocator();
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
