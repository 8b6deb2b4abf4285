//! `rubric report SCHEME --data FILE --out report.html`: the run as pictures, in one HTML file.

use super::graded::{self, DataArgs, Fail};
use crate::console::{errln, outln};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Write one self-contained HTML page of charts about a run: per grade, customers and the
/// measure per code; the Pareto curve of the measure with each grade's cut lines; the
/// histogram of every score; the run's counts and rejects; and with --baseline, the migration
/// from the old scheme. Charts are drawn by Apache ECharts, inlined in the page: it opens from
/// an e-mail attachment with no network. Same input, same bytes.
///
/// Exit status: 0 when the page was written, 1 when it was written but the run rejected rows
/// (of the customers or of an events file),
/// 2 for errors (a scheme that does not check, a file that cannot be read or written).
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The scheme (`.rubric`, or `git:REV:path`)
    #[arg(value_name = "SCHEME")]
    scheme: String,
    #[command(flatten)]
    data: DataArgs,
    /// An older version of the scheme to show the migration from (a file or `git:REV:path`)
    #[arg(long, value_name = "OLD")]
    baseline: Option<String>,
    /// Where to write the page (.html)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub fn main(args: Args) -> ExitCode {
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            errln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<ExitCode, Fail> {
    if !args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
    {
        return Err(format!(
            "`{}` is not an .html file\n  = help: the report is one HTML page: --out report.html",
            args.out.display()
        ));
    }
    let scheme = graded::load_scheme(&args.scheme)?;
    let old = match &args.baseline {
        Some(b) => Some(graded::load_scheme(b)?),
        None => None,
    };
    let data = graded::load_data(&args.data)?;
    let (graded, cmp) = match &old {
        Some(old) => {
            let (a, b) = super::diff::grade_both(old, &scheme, &data, &args.data, false, true)?;
            let cmp = super::migration::compare(&a, &b, false);
            (b, Some(cmp))
        }
        None => (
            graded::grade(
                &scheme,
                &data,
                &args.data,
                args.data.measure.as_deref(),
                false,
                true,
            )?,
            None,
        ),
    };
    let baseline = old.as_ref().map(|o| o.shown.as_str()).zip(cmp.as_ref());
    let page = super::report_html::page(&scheme, &graded, baseline, &data.shown(&args.data));
    write_file(&args.out, page.as_bytes())?;
    let s = &graded.summary;
    // (rejects past the customers' are event rows)
    let events = (graded.rejects.len() as u64).saturating_sub(s.rejected);
    outln!(
        "wrote `{}`: {} customers ({} rows read, {} rejected{})",
        args.out.display(),
        s.written,
        s.read,
        s.rejected,
        if events > 0 {
            format!("; {events} event rows rejected")
        } else {
            String::new()
        }
    );
    Ok(if s.rejected > 0 || events > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes a whole file: into a temporary file beside it, then renamed over it, so a failed
/// write leaves an earlier file as it was.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Fail> {
    let shown = path.display();
    let name = path
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().to_string());
    let tmp = path.with_file_name(format!(".{name}.rubric-tmp"));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "cannot write `{shown}`: {e}\n  = help: check that the folder exists and is writable"
        ));
    }
    Ok(())
}
