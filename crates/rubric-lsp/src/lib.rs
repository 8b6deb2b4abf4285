//! The Rubric language server: `rubric lsp` serves LSP over stdio.
//!
//! This is the only crate that knows LSP types and JSON-RPC. It uses the same checker as the CLI
//! ([`rubric_check::check_source`]) and re-analyses the whole document on every change.
//!
//! # Layout
//! - [`server`]: the protocol side: the document store, version tracking (a result computed for an
//!   older version is never published over a newer one), and panic isolation (each handler runs on
//!   the blocking pool; a panic becomes an LSP internal error for that one request).
//! - [`analysis`]: one analysed version of a document; handlers are plain functions over it.
//! - [`position`]: the one place where byte offsets become UTF-16 LSP positions and back.
//! - one module per feature: [`diagnostics`], [`completion`], [`hover`], [`definition`],
//!   [`references`] (also document highlights), [`rename`], [`symbols`], [`folding`],
//!   [`formatting`], [`semantic_tokens`], [`code_action`], [`code_lens`], [`signature_help`].
//! - [`transport`]: drops malformed JSON-RPC frames before they reach `tower-lsp-server`, whose
//!   reader would otherwise stop for good.
//!
//! # Tests
//! `tests/protocol.rs` drives the real server in-process over JSON-RPC (tokio duplex streams) with
//! the fixtures in `tests/fixtures/lsp/*.toml` at the repository root. A fixture is:
//!
//! ```toml
//! # optional: skip `initialize` to test requests sent before it
//! initialize = true
//! # the document, opened as version 1 (its diagnostics are recorded)
//! document = '''
//! input { id text key, revenue decimal }
//! '''
//! # or: a scheme file beside the fixture, opened by its real file:// URI (CodeLens reads the
//! # rubric.toml next to it); absolute paths in the snapshot become `<fixtures>`
//! file = "lens/tiers.rubric"
//! [[step]]
//! request = "hover"          # hover | completion | signatureHelp | definition | references |
//!                            # prepareRename | rename | documentSymbol | foldingRange |
//!                            # semanticTokens | codeAction | formatting | codeLens | raw
//! at = "rev|enue"            # the cursor: the first occurrence of the text without `|`, at `|`
//! nth = 1                    # optional: the nth occurrence instead (1-based)
//! new_name = "营收"           # rename only
//! until = "enue"             # codeAction only: the end of the range, after the cursor
//! uri = "file:///other.rubric" # optional: ask about another document (one never opened)
//! [[step]]
//! change = '''…'''           # a full-text didChange (next version); its diagnostics are recorded
//! [[step]]
//! edit = "营收"               # an incremental didChange (next version): replaces `at`…`until`
//! at = "营|业额"              # (or inserts at `at`); its diagnostics are recorded and must equal
//! until = "业"                # those of the whole new text opened as a document of its own
//! [[step]]
//! edits = [{ range = [7, 0, 7, 0], text = "x" }]  # ranged edits sent as they are, for edits
//! text = '''…'''             # that do not fit; optional: the text they make (compared as above)
//! diagnostics = false        # optional: the server publishes nothing for this version
//! [[step]]
//! open = '''…'''             # didOpen (version 1), when the fixture has no `document`
//! [[step]]
//! save = true                # didSave; waits for the server's CodeLens refresh request
//! [[step]]
//! request = "raw"            # any method, params as given, sent as-is
//! method = "textDocument/hover"
//! params = { … }
//! ```
//!
//! The snapshot lists every response as JSON (completion as one line per item, semantic tokens
//! decoded to `line:col type "text"`), and under it every range in it with the text that range
//! covers in the document, so a reader can check positions (Chinese text included) at a glance.

pub mod analysis;
pub mod code_action;
pub mod code_lens;
pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod folding;
pub mod formatting;
mod functions;
pub mod hover;
pub mod position;
pub mod references;
pub mod rename;
pub mod semantic_tokens;
pub mod server;
pub mod signature_help;
pub mod symbols;
pub mod transport;

pub use server::Backend;
use tower_lsp_server::{ClientSocket, LspService, Server};

/// The service, for driving the server in-process (tests, benchmarks).
pub fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::new(Backend::new)
}

/// Serves LSP over a pair of byte streams until the input ends or the client sends `exit`.
/// Malformed messages are dropped before they reach the protocol layer (see [`transport`]).
/// Returns whether the client sent `shutdown` first (the protocol's exit code is 0 then, else 1).
pub async fn serve<I, O>(input: I, output: O) -> bool
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin,
{
    let (filtered_in, filter_out) = tokio::io::duplex(1 << 16);
    let filter = tokio::spawn(transport::filter(input, filter_out));
    let shut_down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = shut_down.clone();
    let (service, socket) =
        LspService::new(move |client| Backend::with_shutdown_flag(client, flag.clone()));
    Server::new(filtered_in, output, socket)
        .serve(service)
        .await;
    filter.abort();
    shut_down.load(std::sync::atomic::Ordering::SeqCst)
}

/// Serves LSP on stdin/stdout until the client exits. Returns whether the client sent
/// `shutdown` before it left.
pub fn run_stdio() -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // handlers recurse over the syntax tree; see rubric_syntax::stack
        .thread_stack_size(rubric_syntax::stack::STACK_SIZE)
        .enable_all()
        .build()?;
    let clean = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // After `exit` the client may keep stdin open; a blocking read of it must not keep the
    // process alive, so the runtime is not waited for.
    runtime.shutdown_background();
    Ok(clean)
}
