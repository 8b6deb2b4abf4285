//! The reproductions of the reliability issue, run as a user runs them: each once ended in a
//! panic, an abort or a silently lost customer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rubric;
use std::process::{Command, Stdio};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rubric-rel-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An error 70,000 columns into a line panicked in miette's renderer; now the line is shown as a
/// window around the problem, with the real line and column.
#[test]
fn an_error_far_into_a_long_line_is_shown_as_a_window() {
    let dir = temp_dir("long");
    let path = dir.join("w.rubric");
    let src = format!(
        "scheme \"x\"\ninput {{\n  id text key \"id\"\n}}\nlet a = {}nope\n",
        " ".repeat(70_000)
    );
    std::fs::write(&path, src).unwrap();
    let p = path.to_str().unwrap();
    let (code, _, stderr) = rubric(&["check", p]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("unknown name `nope`"), "{stderr}");
    assert!(stderr.contains("w.rubric:5:70009]"), "{stderr}");
    assert!(stderr.contains("…"), "{stderr}");
    assert!(
        stderr.lines().all(|l| l.chars().count() < 400),
        "no line of the report is as long as the source line"
    );
    let (code, _, stderr) = rubric(&["fmt", "--check", p]);
    assert_ne!(code, 101, "{stderr}");
}

/// `rubric check x 2>&1 | head -1` panicked when the reader went away.
#[test]
fn a_closed_stderr_ends_the_command_quietly() {
    let dir = temp_dir("pipe");
    let path = dir.join("many.rubric");
    let lets: String = (0..3000).map(|i| format!("let a{i} = nope{i}\n")).collect();
    std::fs::write(&path, format!("input {{ id text key }}\n{lets}")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(["check", path.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take()); // the reader closes before the first line
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "exit code 2 (I/O), not a panic's 101"
    );
}

/// A scheme saved as GBK exited 2 but its summary said "0 errors".
#[test]
fn a_scheme_that_is_not_utf8_says_so() {
    let dir = temp_dir("gbk");
    let path = dir.join("gbk.rubric");
    std::fs::write(
        &path,
        b"scheme \"\xb2\xe2\xca\xd4\"\ninput { id text key }\n",
    )
    .unwrap();
    let (code, _, stderr) = rubric(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not UTF-8 text"), "{stderr}");
    assert!(stderr.contains("1 file could not be read"), "{stderr}");
    // an unread file was not checked: no "0 errors" for it
    assert!(
        stderr.contains("checked 0 files; 1 file could not be read"),
        "{stderr}"
    );
    assert!(!stderr.contains("0 errors"), "{stderr}");
    let (code, _, stderr) = rubric(&["fmt", "--check", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(!stderr.contains("already formatted"), "{stderr}");
}

/// A stray quote swallowed the customers after it into one reject; now only its own line is
/// rejected, the others are graded, and the counts add up.
#[test]
fn an_unterminated_quote_loses_no_customer() {
    let dir = temp_dir("quote");
    let scheme = dir.join("q.rubric");
    std::fs::write(
        &scheme,
        "input {\n  id text key\n  name text\n  n int\n  amount decimal\n}\n\
         grade g { big when amount > 100, small otherwise }\n",
    )
    .unwrap();
    let mut rows = vec![
        "id,name,n,amount".to_string(),
        "A0,乙,1,50.00".into(),
        "A1,\"甲公司,3,100.00".into(),
    ];
    rows.extend((2..102).map(|i| format!("A{i},x{i},{i},{i}0.00")));
    let data = dir.join("q.csv");
    std::fs::write(&data, rows.join("\n") + "\n").unwrap();
    let out = dir.join("out.csv");
    let (code, _, stderr) = rubric(&[
        "run",
        scheme.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "rows were rejected: {stderr}");
    assert!(
        stderr.contains("read 102 rows: 101 written, 1 rejected"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 102, "the header and 101 customers");
    assert!(written.contains("A101,big"));
    let rejects = std::fs::read_to_string(dir.join("out.rejects.csv")).unwrap();
    assert!(
        rejects.contains("unterminated quote: cell 2 opens a quote that line 3 does not close"),
        "{rejects}"
    );
    // the line's key and its cells as written, so that the operator can mend it and run again
    let line3 = rejects.lines().find(|l| l.starts_with("3,")).unwrap();
    assert!(line3.starts_with("3,,A1,"), "{line3}");
    assert!(
        line3.ends_with("q.csv,A1,\"\"\"甲公司\",3,100.00"),
        "{line3}"
    );
    let (code, _, stderr) = rubric(&[
        "run",
        scheme.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        dir.join("strict.csv").to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("line 3 (key `A1`): unterminated quote"),
        "{stderr}"
    );
}
