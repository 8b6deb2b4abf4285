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
