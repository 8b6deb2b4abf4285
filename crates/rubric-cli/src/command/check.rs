//! `rubric check FILE…`: parse, check and analyse scheme files, reporting every problem.

use crate::console::{err, errln, outln};
use crate::render::{self, ErrorFormat};
use rubric_syntax::Severity;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Scheme files (`.rubric`) or directories to search for them
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// `human` for people, `json` for tools: an array of
    /// {file, severity, code, message, help, line, column, end_line, end_column}
    #[arg(long, value_enum, default_value = "human")]
    error_format: ErrorFormat,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    deny_warnings: bool,
}

pub fn main(args: Args) -> ExitCode {
    let files = match crate::command::collect_schemes(&args.files) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let color = render::color_stderr();
    let mut json = Vec::new();
    let (mut errors, mut warnings, mut unreadable) = (0usize, 0usize, 0usize);
    for path in &files {
        let shown = path.display().to_string();
        let src = match crate::command::read_scheme(path) {
            Ok(s) => s,
            Err(e) => {
                errln!("error: {e}");
                unreadable += 1;
                continue;
            }
        };
        let (_, checked) = rubric_check::check_source(&src);
        for d in &checked.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Hint => {}
            }
            match args.error_format {
                ErrorFormat::Human => err!("{}", render::human(d, &shown, &src, color)),
                ErrorFormat::Json => json.push(d.to_json(&shown, &src)),
            }
        }
    }
    match args.error_format {
        ErrorFormat::Json => match serde_json::to_string_pretty(&json) {
            Ok(s) => outln!("{s}"),
            Err(e) => {
                errln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        ErrorFormat::Human => {
            let n = files.len();
            let checked = if n == 1 {
                "checked 1 file".to_string()
            } else {
                format!("checked {n} files")
            };
            let unread = match unreadable {
                0 => String::new(),
                1 => "; 1 file could not be read".to_string(),
                n => format!("; {n} files could not be read"),
            };
            errln!("{checked}: {}{unread}", render::summary(errors, warnings));
        }
    }
    if unreadable > 0 {
        ExitCode::from(2)
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
