//! The `rubric` command. One module per subcommand under `command/`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod command;
mod console;
mod render;

/// mimalloc: `rubric run` allocates and frees a value per cell on every core, and holds large
/// columns; see [`tune_allocator`] and BENCHMARKS.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tunes memory for `rubric run`, which holds large columns and frees and reallocates large
/// buffers between phases:
/// - mimalloc does not purge: memory freed between phases is kept for the next one instead of
///   being handed back to the kernel and faulted in (and zeroed) again;
/// - no transparent huge pages (Linux): with them every first touch of a 2 MiB region zeroes
///   all of it, and the allocator's regions are only partly used (at 1M rows 130 MB resident
///   instead of 90 MB, and up to four times the system time after another program freed a lot
///   of memory; BENCHMARKS.md). `RUBRIC_THP=1` keeps the system's setting.
///
/// The environment variable `MIMALLOC_PURGE_DELAY` still decides where it is set.
#[allow(unsafe_code)]
fn tune_allocator() {
    /// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys names no constant).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` stores an option value that mimalloc reads when it next maps or
    // purges memory; it takes no pointers and is safe to call at any time.
    unsafe {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        }
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("RUBRIC_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this process
        // (a kernel without it returns an error, which changes nothing).
        unsafe {
            // (variadic: every argument as the unsigned long the kernel reads)
            let (on, zero): (libc::c_ulong, libc::c_ulong) = (1, 0);
            libc::prctl(libc::PR_SET_THP_DISABLE, on, zero, zero, zero);
        }
    }
}

/// The exit codes of every command, shown at the end of each `--help`.
const EXIT_CODES: &str = "Exit codes:\n  0    success\n  1    the scheme, the data or the tests have problems (errors, rejected rows, failed tests)\n  2    usage or I/O error (a bad flag, a file that cannot be read or written)\n  101  an internal error: a bug in Rubric";

/// `rubric diff`'s exit codes: 1 is an answer (customers moved), not a problem.
const DIFF_EXIT_CODES: &str = "OLD and NEW may be `git:REV:path` (e.g. git:HEAD:tiers.rubric). --out moved.csv also writes\nmoved.matrix.csv; with --out, the terminal lists the first 20 movers and the file all of them.\n\nExit codes:\n  0    no customer moved\n  1    some customers moved\n  2    usage or I/O error, or a scheme with errors\n  101  an internal error: a bug in Rubric";

/// `rubric sql`'s examples and exit codes.
const SQL_EXIT_CODES: &str = "Examples:\n  rubric sql tiers.rubric --dialect duckdb --table customers --emit view tiers\n  rubric sql tiers.rubric --dialect postgres --table crm.customers --as-of-expr \"'{{ ds }}'\" --emit insert mart.tiers\n  rubric sql tiers.rubric --dialect duckdb --from \"{{ ref('customers') }}\" --column revenue=rev_usd\n  rubric sql tiers.rubric --dialect duckdb --emit dbt-schema tiers     # the model's schema.yml\nSee docs/warehouse.md.\n\nExit codes:\n  0    the SQL (or schema.yml) was printed\n  1    the scheme has errors, or a construct the query cannot compute exactly (shown at its span)\n  2    usage or I/O error (a bad flag, an unknown field in --column, a file that cannot be read)\n  101  an internal error: a bug in Rubric";

/// `rubric report`'s exit codes.
const REPORT_EXIT_CODES: &str = "The page is self-contained (Apache ECharts inlined, no network) and the same input gives the\nsame bytes.\n\nExit codes:\n  0    the page was written\n  1    the page was written, but the run rejected rows (listed on the page)\n  2    usage or I/O error, or a scheme with errors\n  101  an internal error: a bug in Rubric";

/// Rubric: write down how you grade your customers, check it, test it, and run it.
#[derive(Parser)]
#[command(name = "rubric", version, about, long_about = None, propagate_version = true, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check scheme files and report every problem
    #[command(after_help = EXIT_CODES)]
    Check(command::check::Args),
    /// Grade a customer file with a scheme
    #[command(after_help = EXIT_CODES)]
    Run(command::run::Args),
    /// Run the test blocks and dataset snapshots of schemes
    #[command(after_help = EXIT_CODES)]
    Test(command::test::Args),
    /// Format scheme files into the canonical layout
    #[command(after_help = EXIT_CODES)]
    Fmt(command::fmt::Args),
    /// Explain how one customer got each grade
    #[command(after_help = EXIT_CODES)]
    Explain(command::explain::Args),
    /// Compare two versions of a scheme over the same data: who moved, and why
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(command::diff::Args),
    /// Write one self-contained HTML page of charts about a run
    #[command(after_help = REPORT_EXIT_CODES)]
    Report(command::report::Args),
    /// Compile a scheme to one SQL SELECT for DuckDB, PostgreSQL or Spark
    #[command(after_help = SQL_EXIT_CODES)]
    Sql(command::sql::Args),
    /// Serve the Language Server Protocol on stdio
    #[command(after_help = EXIT_CODES)]
    Lsp(command::lsp::Args),
}

/// A panic is a bug in Rubric, never an answer: it says so in one clear message (with the
/// place, for the report) instead of Rust's, and the process exits with 101.
fn report_bugs() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        console::write_err(format_args!(
            "error: internal error: {what}{place}\n  = help: this is a bug in Rubric, not in your \
             scheme or data; please report it with the command you ran and its input\n"
        ));
    }));
}

fn main() -> ExitCode {
    tune_allocator();
    report_bugs();
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
        Command::Diff(a) => command::diff::main(a),
        Command::Report(a) => command::report::main(a),
        Command::Sql(a) => command::sql::main(a),
        Command::Lsp(a) => command::lsp::main(a),
    }
}
