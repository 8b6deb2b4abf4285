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
    /// {file, severity, code, message, help, line, column, end_line, end_column, fixes}
    #[arg(long, value_enum, default_value = "human")]
    error_format: ErrorFormat,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    deny_warnings: bool,
    /// Apply every safe fix (full-width input, thousands separators, units, `=` for `==`, …),
    /// rewrite the files and say what changed; then report what is left
    #[arg(long)]
    fix: bool,
}

/// The most rounds of fixes on one file: a fix can reveal another (a repaired syntax error lets
/// the checker see the declaration), and each round takes every fix that does not clash.
const FIX_ROUNDS: usize = 8;

/// `src` with every safe fix applied, round after round until nothing changes, and how many
/// problems were fixed.
fn fix_all(path: &std::path::Path, mut src: String) -> (String, usize) {
    let mut fixed = 0;
    for _ in 0..FIX_ROUNDS {
        // the fixes of this file only (a file it uses is fixed on its own)
        let project = crate::command::check_scheme(path, &src);
        let local: Vec<_> = project
            .checked
            .diagnostics
            .iter()
            .map(|d| project.local(d))
            .filter(|(s, _)| s.base == 0)
            .map(|(_, d)| d)
            .collect();
        let (out, n) = rubric_syntax::fix::apply(&src, &local);
        if n == 0 || out == src {
            break;
        }
        fixed += n;
        src = out;
    }
    (src, fixed)
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
        let src = if args.fix {
            let (fixed_src, fixed) = fix_all(path, src.clone());
            if fixed > 0 && fixed_src != src {
                if let Err(e) = std::fs::write(path, &fixed_src) {
                    errln!("error: cannot write `{shown}`: {e}");
                    unreadable += 1;
                    continue;
                }
                let problems = if fixed == 1 { "problem" } else { "problems" };
                errln!("fixed {fixed} {problems} in {shown}");
            }
            fixed_src
        } else {
            src
        };
        let project = crate::command::check_scheme(path, &src);
        for d in &project.checked.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Hint => {}
            }
            match args.error_format {
                ErrorFormat::Human => err!("{}", crate::command::human(&project, d, color)),
                ErrorFormat::Json => json.push(crate::command::json(&project, d)),
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
            // a file that could not be read was not checked: it counts on its own, never as
            // "0 errors"
            let n = files.len().saturating_sub(unreadable);
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
            if n == 0 && unreadable > 0 {
                errln!("{checked}{unread}");
            } else {
                errln!("{checked}: {}{unread}", render::summary(errors, warnings));
            }
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
