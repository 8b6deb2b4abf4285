//! Writing to the terminal. Every line the CLI prints goes through [`out!`] (stdout) or
//! [`err!`] (stderr) instead of `print!`/`eprint!`, which panic when the other end of a pipe
//! has closed (`rubric check x.rubric 2>&1 | head -1`). A stream that cannot be written ends the
//! process quietly with exit code 2 (I/O), as a Unix tool does: there is no one left to tell.
//! A test keeps `print!` and `eprint!` out of the CLI's sources.

use std::io::Write;

/// Writes to stdout; ends the process quietly when stdout is closed.
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::write_out(format_args!($($arg)*)) };
}

/// [`out!`] with a newline.
macro_rules! outln {
    () => { $crate::console::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Writes to stderr; ends the process quietly when stderr is closed.
macro_rules! err {
    ($($arg:tt)*) => { $crate::console::write_err(format_args!($($arg)*)) };
}

/// [`err!`] with a newline.
macro_rules! errln {
    () => { $crate::console::write_err(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {err, errln, out, outln};

pub fn write_out(args: std::fmt::Arguments<'_>) {
    let mut s = std::io::stdout().lock();
    if s.write_fmt(args).and_then(|()| s.flush()).is_err() {
        closed();
    }
}

pub fn write_err(args: std::fmt::Arguments<'_>) {
    if std::io::stderr().lock().write_fmt(args).is_err() {
        closed();
    }
}

/// The exit for a stream that cannot be written: quietly, with the I/O exit code.
pub fn closed() -> ! {
    std::process::exit(2)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    /// `print!` and `eprint!` panic on a closed pipe: the CLI writes through this module only.
    #[test]
    fn the_cli_prints_through_the_console_only() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        let mut offenders = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("console.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (i, line) in text.lines().enumerate() {
                        let code = line.split("//").next().unwrap_or("");
                        let called = ["print!(", "println!(", "eprint!(", "eprintln!("]
                            .iter()
                            .any(|m| {
                                code.match_indices(m).any(|(at, _)| {
                                    !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                                })
                            });
                        if called {
                            offenders.push(format!("{}:{}", path.display(), i + 1));
                        }
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "use out!/err! instead: {offenders:?}");
    }
}
