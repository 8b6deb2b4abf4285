//! `rubric lsp`: serves the Language Server Protocol on stdin/stdout (the server lives in the
//! `rubric-lsp` crate).

use crate::console::errln;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Serve over stdin/stdout (the default and only transport; accepted because editors pass it)
    #[arg(long)]
    stdio: bool,
}

pub fn main(args: Args) -> ExitCode {
    let _ = args.stdio;
    match rubric_lsp::run_stdio() {
        Ok(true) => ExitCode::SUCCESS,
        // `exit` without `shutdown` (or the client went away): 1, as the protocol asks
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            errln!("error: cannot start the language server: {e}");
            ExitCode::from(2)
        }
    }
}
