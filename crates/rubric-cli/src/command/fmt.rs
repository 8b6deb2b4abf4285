//! `rubric fmt` (being built in this session).

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> ExitCode {
    eprintln!("error: `rubric fmt` is not available in this build");
    ExitCode::from(2)
}
