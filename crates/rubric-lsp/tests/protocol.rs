//! Protocol-level tests: the real server, driven in-process over JSON-RPC through tokio duplex
//! streams, with the fixtures in `tests/fixtures/lsp/*.toml` (format: see the crate docs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rubric_lsp::position::LineIndex;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower_lsp_server::lsp_types::Position;

const URI: &str = "file:///fixture/scheme.rubric";

#[derive(serde::Deserialize)]
struct Fixture {
    #[serde(default = "yes")]
    initialize: bool,
    document: Option<String>,
    /// A scheme file beside the fixture, opened by its real `file://` URI (for CodeLens, which
    /// reads the `rubric.toml` next to it). Absolute paths are replaced by `<fixtures>`.
    file: Option<String>,
    #[serde(default)]
    step: Vec<Step>,
}

fn yes() -> bool {
    true
}

#[derive(serde::Deserialize)]
struct Step {
    request: Option<String>,
    at: Option<String>,
    nth: Option<usize>,
    until: Option<String>,
    new_name: Option<String>,
    change: Option<String>,
    /// An incremental didChange (next version): this text replaces the range from `at` to the end
    /// of `until` (or is inserted at `at`). The diagnostics are recorded, and must equal those of
    /// the whole new text opened as a document of its own.
    edit: Option<String>,
    /// Incremental didChange edits sent as they are, `[start line, start character, end line,
    /// end character]` with the text (for edits that do not fit the document); the fixture's
    /// document is not changed, and what the server publishes for the version is recorded.
    edits: Option<Vec<RawEdit>>,
    /// `edits` only: whether the server publishes diagnostics for the version (default true).
    diagnostics: Option<bool>,
    /// `edits` only: the text the edits make; the diagnostics must then equal those of this text
    /// opened as a document of its own.
    text: Option<String>,
    /// Opens the document with this text (version 1), for fixtures with `initialize = false`.
    open: Option<String>,
    /// `save = true`: didSave; waits for the server to ask the client to refresh its lenses.
    #[serde(default)]
    save: bool,
    method: Option<String>,
    params: Option<toml::Value>,
    /// A document other than the fixture's (for requests about unknown documents).
    uri: Option<String>,
}

/// An incremental edit: start and end as `(line, character)`, and the new text.
type Edit = ((u32, u32), (u32, u32), String);

#[derive(serde::Deserialize)]
struct RawEdit {
    range: [u32; 4],
    text: String,
}

/// The client end of a JSON-RPC connection to an in-process server.
pub struct Client {
    write: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    rx: mpsc::UnboundedReceiver<Value>,
    buffered: VecDeque<Value>,
    /// Methods of the requests the server sent to the client.
    server_requests: Vec<String>,
    next_id: i64,
    uri: String,
}

impl Client {
    pub fn start() -> Client {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (server_read, server_write) = tokio::io::split(server);
        tokio::spawn(rubric_lsp::serve(server_read, server_write));
        let (client_read, write) = tokio::io::split(client);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(client_read);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("a Content-Length header")];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                let v: Value =
                    serde_json::from_slice(&body).expect("a JSON message from the server");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            write,
            rx,
            buffered: VecDeque::new(),
            server_requests: Vec::new(),
            next_id: 0,
            uri: URI.to_string(),
        }
    }

    async fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.write.write_all(frame.as_bytes()).await.unwrap();
        self.write.flush().await.unwrap();
    }

    pub async fn send_raw(&mut self, body: &str) {
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.write.write_all(frame.as_bytes()).await.unwrap();
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Reads one message. A server-to-client request is answered with `null` (and returned).
    async fn recv(&mut self) -> Value {
        let msg = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("the server answers (no hang)")
            .expect("the server is still running");
        if msg.get("method").is_some() && msg.get("id").is_some() {
            let id = msg["id"].clone();
            self.server_requests
                .push(msg["method"].as_str().unwrap_or("?").to_string());
            self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}))
                .await;
        }
        msg
    }

    /// Sends a request and waits for its response (the whole response object).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let msg = self.recv().await;
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.buffered.push_back(msg);
        }
    }

    /// Waits for the diagnostics published for `version` of the document.
    pub async fn diagnostics(&mut self, version: i64) -> Value {
        let uri = self.uri.clone();
        self.diagnostics_of(&uri, version).await
    }

    /// Waits for the diagnostics published for `version` of the document `uri`.
    pub async fn diagnostics_of(&mut self, uri: &str, version: i64) -> Value {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["version"] == json!(version)
                && m["params"]["uri"] == json!(uri)
        };
        if let Some(i) = self.buffered.iter().position(matches) {
            return self.buffered.remove(i).unwrap()["params"].clone();
        }
        loop {
            let msg = self.recv().await;
            if matches(&msg) {
                return msg["params"].clone();
            }
            self.buffered.push_back(msg);
        }
    }

    pub async fn initialize(&mut self) -> Value {
        let r = self
            .request(
                "initialize",
                json!({"capabilities": {"workspace": {"codeLens": {"refreshSupport": true}}}}),
            )
            .await;
        self.notify("initialized", json!({})).await;
        r
    }

    pub async fn open(&mut self, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": self.uri, "languageId": "rubric", "version": 1, "text": text}}),
        )
        .await;
    }

    pub async fn change(&mut self, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": self.uri, "version": version}, "contentChanges": [{"text": text}]}),
        )
        .await;
    }

    /// Sends ranged didChange edits: `(start, end, text)`, positions as `(line, character)`.
    pub async fn edit(&mut self, version: i64, edits: &[Edit]) {
        let changes: Vec<Value> = edits
            .iter()
            .map(|(a, b, text)| {
                json!({"range": {"start": {"line": a.0, "character": a.1}, "end": {"line": b.0, "character": b.1}}, "text": text})
            })
            .collect();
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": self.uri, "version": version}, "contentChanges": changes}),
        )
        .await;
    }

    /// The diagnostics of `text` opened as a document of its own, with the fixture's URI in
    /// place of its own (to compare with the fixture document's).
    pub async fn diagnostics_of_whole(&mut self, text: &str) -> Value {
        let other = "file:///fixture/whole.rubric";
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": other, "languageId": "rubric", "version": 1, "text": text}}),
        )
        .await;
        let d = self.diagnostics_of(other, 1).await;
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": other}}),
        )
        .await;
        let d = d["diagnostics"].to_string().replace(other, &self.uri);
        serde_json::from_str(&d).unwrap()
    }

    /// Sends didSave and waits until the server asks for a CodeLens refresh.
    pub async fn save(&mut self) {
        let uri = self.uri.clone();
        self.notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
        let want = "workspace/codeLens/refresh";
        let before = self.server_requests.iter().filter(|m| *m == want).count();
        while self.server_requests.iter().filter(|m| *m == want).count() == before {
            let msg = self.recv().await;
            self.buffered.push_back(msg);
        }
    }
}

/// The LSP position of a byte offset, counted here independently of the server's code: lines end
/// at `\n`, the character is the UTF-16 units from the line's start.
fn utf16_position(doc: &str, offset: usize) -> (u32, u32) {
    let before = &doc[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line as u32, before[start..].encode_utf16().count() as u32)
}

/// Finds the cursor written as `te|xt` in the document.
fn cursor(doc: &str, at: &str, nth: usize) -> usize {
    let bar = at.find('|').unwrap_or(at.len());
    let needle = at.replacen('|', "", 1);
    let start = doc
        .match_indices(&needle)
        .nth(nth.saturating_sub(1))
        .unwrap_or_else(|| panic!("`{needle}` occurs in the document"))
        .0;
    start + bar
}

fn pos_json(ix: &LineIndex, doc: &str, offset: usize) -> Value {
    let p = ix.position(doc, offset);
    json!({"line": p.line, "character": p.character})
}

/// Every `{start, end}` range in a response, with the text it covers.
fn ranges(v: &Value, doc: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let (Some(s), Some(e)) = (map.get("start"), map.get("end")) {
                if let (Some(sl), Some(sc), Some(el), Some(ec)) = (
                    s["line"].as_u64(),
                    s["character"].as_u64(),
                    e["line"].as_u64(),
                    e["character"].as_u64(),
                ) {
                    let ix = LineIndex::new(doc);
                    let a = ix.offset(doc, Position::new(sl as u32, sc as u32));
                    let b = ix.offset(doc, Position::new(el as u32, ec as u32));
                    let covered = doc.get(a..b).unwrap_or("?");
                    let covered: String = if covered.chars().count() > 60 {
                        format!("{}…", covered.chars().take(60).collect::<String>())
                    } else {
                        covered.to_string()
                    };
                    out.push(format!("{sl}:{sc}-{el}:{ec} {covered:?}"));
                    return;
                }
            }
            for v in map.values() {
                ranges(v, doc, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| ranges(v, doc, out)),
        _ => {}
    }
}

fn render(out: &mut String, title: &str, v: &Value, doc: &str) {
    writeln!(out, "## {title}").unwrap();
    writeln!(out, "{}", serde_json::to_string_pretty(v).unwrap()).unwrap();
    let mut rs = Vec::new();
    ranges(v, doc, &mut rs);
    for r in rs {
        writeln!(out, "  @ {r}").unwrap();
    }
    out.push('\n');
}

/// Completion items, one line each: label, kind, detail, inserted text.
fn render_completion(out: &mut String, title: &str, v: &Value) {
    writeln!(out, "## {title}").unwrap();
    let Some(items) = v["result"].as_array() else {
        writeln!(out, "{}\n", serde_json::to_string_pretty(v).unwrap()).unwrap();
        return;
    };
    if items.is_empty() {
        writeln!(out, "(no items)").unwrap();
    }
    let mut items = items.clone();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    for i in items {
        let mut line = format!("{} ({})", i["label"].as_str().unwrap_or("?"), i["kind"]);
        if let Some(d) = i["detail"].as_str() {
            write!(line, " — {d}").unwrap();
        }
        if let Some(t) = i["insertText"].as_str() {
            write!(line, " ⇒ {t:?}").unwrap();
        }
        writeln!(out, "{line}").unwrap();
    }
    out.push('\n');
}

/// Semantic tokens decoded back to `line:col len type modifiers "text"`.
fn render_tokens(out: &mut String, title: &str, v: &Value, doc: &str) {
    writeln!(out, "## {title}").unwrap();
    let types = [
        "keyword",
        "type",
        "property",
        "variable",
        "enum",
        "enumMember",
        "function",
        "string",
        "number",
        "comment",
    ];
    let data: Vec<u64> = v["result"]["data"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let ix = LineIndex::new(doc);
    let (mut line, mut col) = (0u64, 0u64);
    for t in data.chunks(5) {
        let [dl, ds, len, ty, m] = [t[0], t[1], t[2], t[3], t[4]];
        line += dl;
        col = if dl == 0 { col + ds } else { ds };
        let a = ix.offset(doc, Position::new(line as u32, col as u32));
        let b = ix.offset(doc, Position::new(line as u32, (col + len) as u32));
        writeln!(
            out,
            "{line}:{col} {} m{m} {:?}",
            types.get(ty as usize).unwrap_or(&"?"),
            doc.get(a..b).unwrap_or("?")
        )
        .unwrap();
    }
    out.push('\n');
}

/// Signature help as a user sees it: each signature (`*` the active one), the text of its
/// active parameter (cut from the label by its UTF-16 offsets), and its documentation.
fn render_signatures(out: &mut String, title: &str, v: &Value) {
    writeln!(out, "## {title}").unwrap();
    let Some(sigs) = v["result"]["signatures"].as_array() else {
        writeln!(out, "{}\n", serde_json::to_string_pretty(v).unwrap()).unwrap();
        return;
    };
    let active = v["result"]["activeSignature"].as_u64();
    for (i, s) in sigs.iter().enumerate() {
        let label = s["label"].as_str().unwrap_or("?");
        let mark = if active == Some(i as u64) { "*" } else { " " };
        let units: Vec<u16> = label.encode_utf16().collect();
        let param = s["activeParameter"]
            .as_u64()
            .and_then(|p| s["parameters"].get(p as usize))
            .map(|p| {
                let [a, b] = [0, 1].map(|k| p["label"][k].as_u64().unwrap() as usize);
                String::from_utf16(&units[a..b]).unwrap()
            });
        writeln!(out, "{mark} {label}").unwrap();
        writeln!(out, "    active parameter: {param:?}").unwrap();
        for line in s["documentation"]["value"].as_str().unwrap_or("").lines() {
            writeln!(out, "    | {line}").unwrap();
        }
    }
    out.push('\n');
}

fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/lsp")
        .canonicalize()
        .unwrap()
}

async fn run(mut fixture: Fixture) -> String {
    let mut c = Client::start();
    let mut out = String::new();
    if let Some(file) = &fixture.file {
        let path = fixtures_dir().join(file);
        fixture.document = Some(std::fs::read_to_string(&path).unwrap());
        c.uri = format!("file://{}", path.display());
    }
    let mut doc = fixture.document.clone().unwrap_or_default();
    let mut version = 1;
    if fixture.initialize {
        let r = c.initialize().await;
        writeln!(
            out,
            "## initialize: server {}\n",
            r["result"]["serverInfo"]["name"]
        )
        .unwrap();
        if let Some(d) = &fixture.document {
            c.open(d).await;
            let diags = c.diagnostics(1).await;
            render(&mut out, "diagnostics (version 1)", &diags, &doc);
        }
    }
    for step in fixture.step {
        if let Some(text) = step.open {
            c.open(&text).await;
            doc = text;
            let diags = c.diagnostics(1).await;
            render(&mut out, "diagnostics (version 1)", &diags, &doc);
            continue;
        }
        if step.save {
            c.save().await;
            writeln!(out, "## save: the server asked for a CodeLens refresh\n").unwrap();
            continue;
        }
        if let Some(text) = step.change {
            version += 1;
            c.change(version, &text).await;
            doc = text;
            let diags = c.diagnostics(version).await;
            render(
                &mut out,
                &format!("diagnostics (version {version})"),
                &diags,
                &doc,
            );
            continue;
        }
        if let Some(new) = step.edit {
            let at = step.at.as_deref().expect("an edit has `at`");
            let a = cursor(&doc, at, step.nth.unwrap_or(1));
            let b = match &step.until {
                Some(u) => {
                    a + doc[a..]
                        .find(u.as_str())
                        .expect("`until` occurs after the cursor")
                        + u.len()
                }
                None => a,
            };
            let (start, end) = (utf16_position(&doc, a), utf16_position(&doc, b));
            version += 1;
            c.edit(version, &[(start, end, new.clone())]).await;
            let old = doc[a..b].to_string();
            doc.replace_range(a..b, &new);
            let diags = c.diagnostics(version).await;
            let whole = c.diagnostics_of_whole(&doc).await;
            assert_eq!(
                diags["diagnostics"], whole,
                "after the edit at {at:?}, the diagnostics are those of the whole text"
            );
            render(
                &mut out,
                &format!(
                    "edit {}:{}-{}:{} {old:?} ⇒ {new:?} (version {version}): diagnostics, equal to those of the whole text",
                    start.0, start.1, end.0, end.1
                ),
                &diags,
                &doc,
            );
            continue;
        }
        if let Some(edits) = step.edits {
            version += 1;
            let edits: Vec<_> = edits
                .into_iter()
                .map(|e| ((e.range[0], e.range[1]), (e.range[2], e.range[3]), e.text))
                .collect();
            c.edit(version, &edits).await;
            writeln!(out, "## edits {edits:?} (version {version})\n").unwrap();
            let given = step.text.is_some();
            if let Some(t) = step.text {
                doc = t;
            }
            if step.diagnostics.unwrap_or(true) {
                let diags = c.diagnostics(version).await;
                if given {
                    let whole = c.diagnostics_of_whole(&doc).await;
                    assert_eq!(diags["diagnostics"], whole, "the edits make the given text");
                }
                render(&mut out, "diagnostics", &diags, &doc);
            }
            // what the server told the user meanwhile
            let shown: Vec<Value> = c
                .buffered
                .iter()
                .filter(|m| m["method"] == "window/showMessage")
                .map(|m| m["params"].clone())
                .collect();
            c.buffered.retain(|m| m["method"] != "window/showMessage");
            for m in shown {
                render(&mut out, "window/showMessage", &m, &doc);
            }
            let r = c
                .request(
                    "textDocument/documentSymbol",
                    json!({"textDocument": {"uri": c.uri}}),
                )
                .await;
            render(
                &mut out,
                "documentSymbol: its error, if any",
                &r["error"],
                &doc,
            );
            continue;
        }
        let kind = step.request.as_deref().unwrap_or("raw");
        let ix = LineIndex::new(&doc);
        let uri = step.uri.clone().unwrap_or_else(|| c.uri.clone());
        let at = step
            .at
            .as_deref()
            .map(|at| cursor(&doc, at, step.nth.unwrap_or(1)));
        let position = at
            .map(|o| pos_json(&ix, &doc, o))
            .unwrap_or(json!({"line": 0, "character": 0}));
        let td = json!({"uri": uri});
        let where_ = step
            .at
            .as_deref()
            .map(|a| format!(" at {a:?} {}:{}", position["line"], position["character"]))
            .unwrap_or_default();
        let title = format!("{kind}{where_}");
        let (method, params) = match kind {
            "hover" => (
                "textDocument/hover",
                json!({"textDocument": td, "position": position}),
            ),
            "completion" => (
                "textDocument/completion",
                json!({"textDocument": td, "position": position}),
            ),
            "signatureHelp" => (
                "textDocument/signatureHelp",
                json!({"textDocument": td, "position": position}),
            ),
            "definition" => (
                "textDocument/definition",
                json!({"textDocument": td, "position": position}),
            ),
            "references" => (
                "textDocument/references",
                json!({"textDocument": td, "position": position, "context": {"includeDeclaration": true}}),
            ),
            "prepareRename" => (
                "textDocument/prepareRename",
                json!({"textDocument": td, "position": position}),
            ),
            "rename" => (
                "textDocument/rename",
                json!({"textDocument": td, "position": position, "newName": step.new_name.clone().unwrap_or_default()}),
            ),
            "documentSymbol" => ("textDocument/documentSymbol", json!({"textDocument": td})),
            "foldingRange" => ("textDocument/foldingRange", json!({"textDocument": td})),
            "semanticTokens" => (
                "textDocument/semanticTokens/full",
                json!({"textDocument": td}),
            ),
            "formatting" => (
                "textDocument/formatting",
                json!({"textDocument": td, "options": {"tabSize": 2, "insertSpaces": true}}),
            ),
            "codeLens" => ("textDocument/codeLens", json!({"textDocument": td})),
            "codeAction" => {
                let end = match (&step.until, at) {
                    (Some(u), Some(a)) => {
                        a + doc[a..]
                            .find(u.as_str())
                            .expect("`until` occurs after the cursor")
                            + u.len()
                    }
                    _ => at.unwrap_or(0),
                };
                let range = json!({"start": position, "end": pos_json(&ix, &doc, end)});
                (
                    "textDocument/codeAction",
                    json!({"textDocument": td, "range": range, "context": {"diagnostics": []}}),
                )
            }
            "raw" => {
                let params = step
                    .params
                    .clone()
                    .map(|p| serde_json::to_value(p).unwrap())
                    .unwrap_or(Value::Null);
                (step.method.as_deref().unwrap_or("?"), params)
            }
            other => panic!("unknown request kind `{other}`"),
        };
        let title = if kind == "raw" {
            format!("{title} {method}")
        } else {
            title
        };
        let mut response = c.request(method, params).await;
        if let Some(obj) = response.as_object_mut() {
            obj.remove("jsonrpc");
            obj.remove("id");
        }
        match kind {
            "completion" => render_completion(&mut out, &title, &response),
            "semanticTokens" => render_tokens(&mut out, &title, &response, &doc),
            "signatureHelp" => render_signatures(&mut out, &title, &response),
            _ => render(&mut out, &title, &response, &doc),
        }
    }
    // the server is still alive at the end, whatever the fixture did
    let r = c.request("shutdown", Value::Null).await;
    writeln!(out, "## shutdown\n{}", r["result"]).unwrap();
    out.replace(
        &format!("file://{}", fixtures_dir().display()),
        "file://<fixtures>",
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(256 << 20)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn fixtures() {
    insta::glob!("../../../tests/fixtures/lsp", "*.toml", |path| {
        eprintln!("fixture {}", path.display());
        let text = std::fs::read_to_string(path).unwrap();
        let fixture: Fixture =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let out = runtime().block_on(run(fixture));
        insta::assert_snapshot!(out);
    });
}

/// Edits sent faster than the server analyses them: the last diagnostics published are for the
/// last version, and no diagnostics for an older version arrive after a newer one's.
#[test]
fn stale_diagnostics_are_not_published_over_newer_edits() {
    runtime().block_on(async {
        let mut c = Client::start();
        c.initialize().await;
        c.open("input { id text key }\nlet a = nope1\n").await;
        for v in 2..=30 {
            c.change(v, &format!("input {{ id text key }}\nlet a = nope{v}\n"))
                .await;
        }
        let last = c.diagnostics(30).await;
        assert_eq!(last["diagnostics"][0]["message"], "unknown name `nope30`");
        // whatever was published before, nothing older may follow version 30
        let _ = c.request("shutdown", Value::Null).await;
        let mut seen_last = false;
        for m in &c.buffered {
            if m["method"] == "textDocument/publishDiagnostics" {
                let v = m["params"]["version"].as_i64().unwrap_or(0);
                assert!(
                    !seen_last || v >= 30,
                    "diagnostics for version {v} came after version 30"
                );
                seen_last |= v == 30;
            }
        }
    });
}

/// A ranged edit whose version is not newer than the document's came out of order: applying it
/// or dropping it would leave a text the editor does not have, so the document is out of sync
/// (an `out-of-sync` error) until the whole text comes again.
#[test]
fn an_edit_of_an_old_version_puts_the_document_out_of_sync() {
    runtime().block_on(async {
        let mut c = Client::start();
        c.initialize().await;
        c.open("input { id text key }\nlet a = 1\n").await;
        c.edit(2, &[((1, 8), (1, 9), "2".to_string())]).await;
        let d = c.diagnostics(2).await;
        let has = |d: &Value, what: &str| {
            d["diagnostics"]
                .as_array()
                .is_some_and(|ds| ds.iter().any(|x| x.to_string().contains(what)))
        };
        assert!(!has(&d, "out-of-sync"), "{d}");
        // version 2 again: late, not newer
        c.edit(2, &[((1, 8), (1, 9), "nope".to_string())]).await;
        c.edit(3, &[((1, 8), (1, 9), "3".to_string())]).await;
        c.change(4, "input { id text key }\nlet a = nope4\n").await;
        let d = c.diagnostics(4).await;
        assert_eq!(
            d["diagnostics"][0]["message"], "unknown name `nope4`",
            "{d}"
        );
        let _ = c.request("shutdown", Value::Null).await;
        let codes: Vec<String> = c
            .buffered
            .iter()
            .filter(|m| m["method"] == "textDocument/publishDiagnostics")
            .filter_map(|m| {
                m["params"]["diagnostics"][0]["code"]
                    .as_str()
                    .map(String::from)
            })
            .collect();
        assert!(codes.iter().any(|c| c == "out-of-sync"), "{codes:?}");
        let said: Vec<&Value> = c
            .buffered
            .iter()
            .filter(|m| m["method"] == "window/showMessage")
            .collect();
        assert!(
            said.iter().any(|m| m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("arrived after version 2"))),
            "{said:?}"
        );
    });
}

/// Garbage bytes on the wire and invalid messages get errors; the server keeps answering.
#[test]
fn garbage_messages_do_not_kill_the_server() {
    runtime().block_on(async {
        let mut c = Client::start();
        c.initialize().await;
        c.send_raw("{ this is not json").await;
        c.send_raw(
            r#"{"jsonrpc":"2.0","id":99,"method":"textDocument/hover","params":{"nonsense":true}}"#,
        )
        .await;
        let r = c
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}),
            )
            .await;
        assert_eq!(
            r["error"]["message"],
            format!("the document `{URI}` is not open")
        );
        c.open("input { id text key }").await;
        let d = c.diagnostics(1).await;
        assert_eq!(d["diagnostics"], json!([]));
    });
}

/// Deeply nested brackets, a 20,000-term expression and a megabyte of noise: each gets
/// diagnostics, and the server still answers afterwards.
#[test]
fn huge_and_deep_documents() {
    runtime().block_on(async {
        let mut c = Client::start();
        c.initialize().await;
        let deep = format!("input {{ id text key }}\nlet a = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
        c.open(&deep).await;
        let d = c.diagnostics(1).await;
        assert_eq!(d["diagnostics"][0]["code"], "too-deep");

        // an `if … else if …` chain 10,000 deep (it overflowed a worker and took the server down)
        let chain: String = (0..10_000).map(|i| format!("if a == {i} then {i} else ")).collect();
        c.change(2, &format!("input {{ id text key\n a int }}\nlet b = {chain}0\n")).await;
        let d = c.diagnostics(2).await;
        assert_eq!(d["diagnostics"][0]["code"], "too-deep");

        let long = format!("input {{ id text key }}\nlet a = {}1\ngrade g {{ x when a > 1, y otherwise }}\n", "1 + ".repeat(20_000));
        c.change(3, &long).await;
        let d = c.diagnostics(3).await;
        assert_eq!(d["diagnostics"][0]["code"], "too-deep", "the parser refuses the chain");

        // deterministic noise: ASCII punctuation, letters, Chinese and astral-plane characters
        let alphabet: Vec<char> = "{}[]()\"\\/.,;:=<>!?%_- \n\tabcxyz0129营业额客户𝒳😀grade when input let".chars().collect();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: String = (0..1_000_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect();
        c.change(4, &noise).await;
        let d = c.diagnostics(4).await;
        assert!(d["diagnostics"].as_array().is_some_and(|a| !a.is_empty()));
        for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition"] {
            let r = c
                .request(method, json!({"textDocument": {"uri": URI}, "position": {"line": 100, "character": 3}}))
                .await;
            assert!(r.get("result").is_some(), "{method} answers: {r}");
        }
        let r = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": URI}})).await;
        assert!(r["result"]["data"].is_array());
    });
}

/// Completion right after an edit, without waiting for its diagnostics, sees the edited text:
/// it reads the text as it is now and the names of the model it already has.
#[test]
fn completion_right_after_an_edit_sees_the_new_text() {
    runtime().block_on(async {
        let mut c = Client::start();
        c.initialize().await;
        let base = "input { id text key, 营业额 decimal }\ngrade tier { gold when 营业额 > 1 { owner: \"甲\" }, other otherwise { owner: \"乙\" } }\n";
        c.open(base).await;
        c.diagnostics(1).await;
        let edited = format!("{base}let who = tier.");
        c.change(2, &edited).await;
        let r = c
            .request(
                "textDocument/completion",
                json!({"textDocument": {"uri": URI}, "position": {"line": 2, "character": 15}}),
            )
            .await;
        let labels: Vec<&str> = r["result"].as_array().unwrap().iter().filter_map(|i| i["label"].as_str()).collect();
        assert_eq!(labels, ["owner"]);
    });
}

/// A scheme is re-checked when a file it `use`s changes in the editor: fixing the used file
/// clears the error shown on the scheme's `use`, without touching the scheme.
#[test]
fn a_scheme_is_rechecked_when_a_file_it_uses_changes() {
    runtime().block_on(async {
        let dir = fixtures_dir().join("use");
        let mut c = Client::start();
        c.initialize().await;
        let scheme = format!("file://{}", dir.join("tiers.rubric").display());
        c.uri = scheme.clone();
        c.open(&std::fs::read_to_string(dir.join("tiers.rubric")).unwrap())
            .await;
        let first = c.diagnostics(1).await;
        assert_eq!(first["uri"], json!(scheme));
        assert_eq!(first["diagnostics"].as_array().unwrap().len(), 1, "{first}");
        // open the used file with the typo fixed (not saved): the scheme's error goes
        c.uri = format!("file://{}", dir.join("common/broken.rubric").display());
        c.open("let oops = revenue * 2\n").await;
        let again = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                let msg = c.recv().await;
                if msg["method"] == "textDocument/publishDiagnostics"
                    && msg["params"]["uri"] == json!(scheme)
                {
                    return msg["params"].clone();
                }
            }
        })
        .await
        .expect("the scheme's diagnostics are published again");
        assert_eq!(again["diagnostics"], json!([]), "{again}");
    });
}

/// A scheme typed into the editor edit by edit, as an operator with a Chinese IME does: pinyin
/// composed and then replaced by its characters, full-width punctuation, emoji (surrogate pairs),
/// CRLF line ends, backspaces. Edits go out in bursts without waiting; after each burst the
/// diagnostics equal those of the whole text opened as a document of its own, and at the end the
/// document is the scheme, with the diagnostics of the scheme.
#[test]
fn typing_a_scheme_edit_by_edit_gives_the_diagnostics_of_the_whole_text() {
    let scheme = "input {\r\n  id      text     key\r\n  营业额  decimal  \"营业额😀（元）\"\r\n  城市    text\r\n}\nlet 大客户 = 营业额 ＞＝ ５万 and 城市 == \"上海😀🎉\"\nlet 𝒳 = 营业额 * 2\ngrade 等级 {\n  金 when 大客户 and 𝒳 > 1 { 折扣: 88%, 备注: \"👍 好\" }\n  银 otherwise { 折扣: 95%, 备注: \"普通\" }\n}\n";
    runtime().block_on(async {
        let mut c = Client::start();
        c.initialize().await;
        c.open("").await;
        c.diagnostics(1).await;
        let mut doc = String::new();
        let mut version = 1;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rand = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        // what is typed at once: a character, or a line end (`\r\n` is one keystroke)
        let chars: Vec<String> = scheme
            .split_inclusive("\r\n")
            .flat_map(|piece| {
                let body = piece.strip_suffix("\r\n");
                body.unwrap_or(piece)
                    .chars()
                    .map(String::from)
                    .chain(body.map(|_| "\r\n".to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut i = 0;
        let mut burst = 0;
        let mut last = Value::Null;
        while i < chars.len() {
            let mut edits = Vec::new();
            let end = doc.len();
            let at = utf16_position(&doc, end);
            match rand(6) {
                // IME composition: pinyin typed, then replaced by the next character
                0 if !chars[i].is_ascii() => {
                    edits.push((at, at, "ying".to_string()));
                    let after = utf16_position(&format!("{doc}ying"), end + 4);
                    edits.push((at, after, chars[i].clone()));
                    doc.push_str(&chars[i]);
                    i += 1;
                }
                // a typo, then backspace
                1 => {
                    let typo = ['😀', '营', 'x', '（'][rand(4) as usize];
                    edits.push((at, at, typo.to_string()));
                    let after = utf16_position(&format!("{doc}{typo}"), end + typo.len_utf8());
                    edits.push((at, after, String::new()));
                }
                // one to three characters typed at once
                _ => {
                    let n = (1 + rand(3) as usize).min(chars.len() - i);
                    let typed: String = chars[i..i + n].concat();
                    edits.push((at, at, typed.clone()));
                    doc.push_str(&typed);
                    i += n;
                }
            }
            for e in edits {
                version += 1;
                c.edit(version, &[e]).await;
            }
            burst += 1;
            if burst % 8 == 0 || i == chars.len() {
                let d = c.diagnostics(version).await;
                let whole = c.diagnostics_of_whole(&doc).await;
                assert_eq!(d["diagnostics"], whole, "version {version}, after {doc:?}");
                last = d;
            }
        }
        assert_eq!(doc, scheme);
        // the scheme as typed: only `full-width` warnings, on `＞＝` and `５`
        let d = last;
        let codes: Vec<&str> = d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert_eq!(codes, ["full-width", "full-width"], "{d}");
        // and edits with several changes in one notification, applied in order
        version += 1;
        let line = 5; // `let 大客户 = 营业额 ＞＝ ５万 …`
        let ge = "let 大客户 = 营业额 ".encode_utf16().count() as u32;
        c.edit(
            version,
            &[
                ((line, ge), (line, ge + 2), ">=".to_string()),
                ((line, ge + 3), (line, ge + 4), "5".to_string()),
            ],
        )
        .await;
        let d = c.diagnostics(version).await;
        assert_eq!(d["diagnostics"], json!([]), "{d}");
        let ascii = scheme.replace("＞＝ ５万", ">= 5万");
        assert_eq!(c.diagnostics_of_whole(&ascii).await, json!([]));
    });
}
