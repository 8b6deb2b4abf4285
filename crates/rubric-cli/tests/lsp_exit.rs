//! `rubric lsp` as an editor starts it: the exit code follows the protocol (0 after `shutdown`
//! then `exit`, 1 after an `exit` without `shutdown`).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn frame(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

/// Sends each message; after a request (a message with an `id`), waits for its response, as an
/// editor does. Returns the exit code once the server has gone.
fn exit_code(messages: &[&str]) -> i32 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for m in messages {
        stdin.write_all(frame(m).as_bytes()).unwrap();
        stdin.flush().unwrap();
        let v: serde_json::Value = serde_json::from_str(m).unwrap();
        if let Some(id) = v.get("id") {
            while read_message(&mut stdout).get("id") != Some(id) {}
        }
    }
    // stdin stays open until the server has gone: the exit must come from `exit`
    let status = child.wait().unwrap();
    drop(stdin);
    status.code().unwrap_or(-1)
}

fn read_message(r: &mut impl BufRead) -> serde_json::Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

const INITIALIZE: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
const SHUTDOWN: &str = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
const EXIT: &str = r#"{"jsonrpc":"2.0","method":"exit"}"#;

#[test]
fn exit_after_shutdown_is_success() {
    assert_eq!(exit_code(&[INITIALIZE, INITIALIZED, SHUTDOWN, EXIT]), 0);
}

#[test]
fn exit_without_shutdown_is_an_error() {
    assert_eq!(exit_code(&[INITIALIZE, INITIALIZED, EXIT]), 1);
}
