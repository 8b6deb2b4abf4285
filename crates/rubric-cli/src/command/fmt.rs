//! `rubric fmt [--check] [PATH…]`: rewrite scheme files in the canonical layout (`-` reads
//! stdin and writes stdout). A file with syntax errors is left untouched and reported.

use crate::console::{err, errln, outln};
use crate::render;
use rubric_fmt::{format_source, FmtError};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Scheme files, directories to search for `.rubric` files, or `-` for stdin (the result
    /// goes to stdout)
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    check: bool,
}

enum Outcome {
    Unchanged,
    Changed,
    Failed,
}

pub fn main(args: Args) -> ExitCode {
    let (stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) =
        args.paths.into_iter().partition(|p| p.as_os_str() == "-");
    let files = match crate::command::collect_schemes(&paths) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let color = render::color_stderr();
    let (mut changed, mut failed, mut io_failed, mut unreadable) = (0usize, 0usize, false, 0usize);
    if !stdin.is_empty() {
        let mut src = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut src) {
            errln!("error: cannot read stdin: {e}");
            return ExitCode::from(2);
        }
        match format_one("<stdin>", &src, color) {
            Some(out) => {
                if args.check {
                    if out != src {
                        outln!("<stdin>");
                        changed += 1;
                    }
                } else if std::io::stdout().write_all(out.as_bytes()).is_err() {
                    io_failed = true;
                }
            }
            None => failed += 1,
        }
    }
    for path in &files {
        let shown = path.display().to_string();
        let src = match crate::command::read_scheme(path) {
            Ok(s) => s,
            Err(e) => {
                errln!("error: {e}");
                io_failed = true;
                unreadable += 1;
                continue;
            }
        };
        let outcome = match format_one(&shown, &src, color) {
            None => Outcome::Failed,
            Some(out) if out == src => Outcome::Unchanged,
            Some(out) => {
                if args.check {
                    outln!("{shown}");
                } else if let Err(e) = std::fs::write(path, out) {
                    errln!("error: cannot write `{shown}`: {e}");
                    io_failed = true;
                }
                Outcome::Changed
            }
        };
        match outcome {
            Outcome::Unchanged => {}
            Outcome::Changed => changed += 1,
            Outcome::Failed => failed += 1,
        }
    }
    // files that could not be read are neither formatted nor "already formatted"
    let n = files.len() + stdin.len().min(1) - unreadable;
    let files_word = |n: usize| {
        if n == 1 {
            "1 file".to_string()
        } else {
            format!("{n} files")
        }
    };
    if args.check {
        if changed > 0 {
            errln!("{} of {} would be reformatted", files_word(changed), n);
        } else if failed == 0 && n > 0 {
            errln!("{} already formatted", files_word(n));
        }
    } else if stdin.is_empty() {
        errln!("formatted {}: {} changed", files_word(n), changed);
    }
    if failed > 0 {
        errln!("{} not formatted: syntax errors", files_word(failed));
    }
    if unreadable > 0 {
        errln!("{} could not be read", files_word(unreadable));
    }
    if io_failed {
        ExitCode::from(2)
    } else if failed > 0 || (args.check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The formatted text, or `None` after reporting why the file is left as it is.
fn format_one(shown: &str, src: &str, color: bool) -> Option<String> {
    match format_source(src) {
        Ok(out) => Some(out),
        Err(FmtError::Syntax(errors)) => {
            for d in &errors {
                err!("{}", render::human(d, shown, src, color));
            }
            None
        }
        Err(FmtError::Unstable) => {
            errln!("error: `{shown}` was left as it is: formatting it would change its meaning (a bug in `rubric fmt`, please report it)");
            None
        }
    }
}
