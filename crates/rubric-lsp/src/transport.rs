//! A guard in front of the JSON-RPC transport. The framing layer of `tower-lsp-server` stops
//! reading for good after one undecodable message, which would take the server down; this guard
//! reads the `Content-Length` frames itself and forwards only well-formed JSON-RPC messages,
//! dropping (and logging to stderr) anything else.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Copies well-formed frames from `input` to `output` until `input` ends.
pub async fn filter<I: AsyncRead + Unpin, O: AsyncWrite + Unpin>(input: I, mut output: O) {
    let mut reader = BufReader::new(input);
    loop {
        let mut len: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    len = value.trim().parse().ok();
                }
            }
        }
        let Some(len) = len else {
            eprintln!("rubric lsp: dropped a message without a valid Content-Length header");
            continue;
        };
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        if !well_formed(&body) {
            eprintln!("rubric lsp: dropped a message that is not valid JSON-RPC");
            continue;
        }
        let header = format!("Content-Length: {len}\r\n\r\n");
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&body).await.is_err()
            || output.flush().await.is_err()
        {
            return;
        }
    }
}

/// Whether `body` is a JSON-RPC 2.0 request, notification or response the server can decode.
pub fn well_formed(body: &[u8]) -> bool {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return false;
    }
    let id_ok = match m.get("id") {
        None | Some(Value::Null) | Some(Value::String(_)) => true,
        Some(Value::Number(n)) => n.is_i64() || n.is_u64(),
        Some(_) => false,
    };
    if !id_ok {
        return false;
    }
    match m.get("method") {
        Some(Value::String(_)) => matches!(
            m.get("params"),
            None | Some(Value::Object(_) | Value::Array(_) | Value::Null)
        ),
        Some(_) => false,
        None => m.contains_key("id") && (m.contains_key("result") || m.contains_key("error")),
    }
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn messages() {
        assert!(well_formed(
            br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
        ));
        assert!(well_formed(br#"{"jsonrpc":"2.0","method":"exit"}"#));
        assert!(well_formed(br#"{"jsonrpc":"2.0","id":"a","result":null}"#));
        assert!(!well_formed(b"{ not json"));
        assert!(!well_formed(br#"{"foo":1}"#));
        assert!(!well_formed(br#"{"jsonrpc":"2.0","id":{},"method":"x"}"#));
        assert!(!well_formed(
            br#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#
        ));
        assert!(!well_formed(br#"[1,2]"#));
    }
}
