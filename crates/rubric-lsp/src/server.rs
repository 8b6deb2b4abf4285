//! The protocol side: document store, version tracking, panic isolation, and the dispatch from LSP
//! requests to the handler modules.

use crate::analysis::{Analysis, Shared};
use crate::code_lens::Distribution;
use crate::{
    code_action, code_lens, completion, definition, diagnostics, folding, formatting, hover,
    references, rename, semantic_tokens, signature_help, symbols,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::{Client, LanguageServer};

/// One open document.
struct Doc {
    /// Which `didOpen` this is: a document closed and opened again starts over.
    generation: u64,
    version: i32,
    text: Arc<String>,
    /// The newest analysis computed (of `version`, or older while a re-check runs).
    current: Option<(i32, Shared)>,
    /// Held while analysing, so concurrent requests wait for one analysis instead of each
    /// computing their own.
    gate: Arc<tokio::sync::Mutex<()>>,
    /// Held while publishing diagnostics, so publications go out in version order.
    publish_gate: Arc<tokio::sync::Mutex<()>>,
    /// The version whose diagnostics were published last.
    published: Option<i32>,
    /// The latest analysis whose text parsed without a syntax error, for completion.
    last_good: Option<Shared>,
    /// The grades' distribution over the sample data, computed on open and on save.
    lens: Option<Distribution>,
    /// Why the server's copy of the text can no longer be trusted: an incremental edit could not
    /// be applied. Ranged edits are then refused, and requests answer `ContentModified`, until a
    /// full-text change (or `didOpen`) gives the text again.
    out_of_sync: Option<String>,
}

pub struct Backend {
    client: Client,
    docs: Mutex<HashMap<Uri, Doc>>,
    /// Whether the client accepts `workspace/codeLens/refresh`.
    lens_refresh: std::sync::atomic::AtomicBool,
    opened: std::sync::atomic::AtomicU64,
    /// Set by the `shutdown` request: the process then exits with 0 on `exit`, else with 1, as
    /// the protocol asks.
    shut_down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Runs a synchronous handler on the blocking pool. A panic inside it becomes an LSP internal
/// error for this one request; the server keeps running.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error {
        code: ErrorCode::InternalError,
        message: if e.is_panic() {
            "internal error while answering this request".into()
        } else {
            "the request was cancelled".into()
        },
        data: None,
    })
}

fn unknown(uri: &Uri) -> Error {
    Error::invalid_params(format!("the document `{}` is not open", uri.as_str()))
}

fn out_of_sync(why: &str) -> Error {
    Error {
        code: ErrorCode::ContentModified,
        message: why.to_string().into(),
        data: None,
    }
}

/// Applies one `didChange` notification's edits, in order, to `text`. A full-text change
/// replaces it (and makes it trustworthy again); a ranged edit that does not fit the text is
/// not applied, and every ranged edit after it is refused: the reason is returned.
fn apply_changes(
    text: &mut String,
    changes: Vec<TextDocumentContentChangeEvent>,
    mut broken: Option<String>,
    uri: &Uri,
    version: i32,
) -> Option<String> {
    for (i, change) in changes.into_iter().enumerate() {
        match change.range {
            None => {
                *text = change.text;
                broken = None;
            }
            Some(_) if broken.is_some() => {}
            Some(range) => {
                let index = crate::position::LineIndex::new(text);
                match index.edit_span(text, range) {
                    Ok(span) => text.replace_range(span.range(), &change.text),
                    Err(why) => {
                        broken = Some(format!(
                            "edit {} of version {version} of {} does not fit the document: {why}; \
                             the server no longer knows the document's text, so close and reopen it",
                            i + 1,
                            uri.as_str()
                        ));
                    }
                }
            }
        }
    }
    broken
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend::with_shutdown_flag(client, Default::default())
    }

    /// A server that sets `shut_down` when the client sends `shutdown`.
    pub fn with_shutdown_flag(
        client: Client,
        shut_down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Backend {
        Backend {
            client,
            docs: Mutex::new(HashMap::new()),
            lens_refresh: std::sync::atomic::AtomicBool::new(false),
            opened: std::sync::atomic::AtomicU64::new(0),
            shut_down,
        }
    }

    fn docs(&self) -> MutexGuard<'_, HashMap<Uri, Doc>> {
        self.docs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The analysis of the document's current text (computed now if needed), and the last clean one.
    async fn analysis(&self, uri: &Uri) -> Result<(Shared, Option<Shared>)> {
        let gate = self
            .docs()
            .get(uri)
            .ok_or_else(|| unknown(uri))?
            .gate
            .clone();
        let _one_at_a_time = gate.lock().await;
        let (generation, version, text) = {
            let docs = self.docs();
            let doc = docs.get(uri).ok_or_else(|| unknown(uri))?;
            if let Some(why) = &doc.out_of_sync {
                return Err(out_of_sync(why));
            }
            if let Some((v, a)) = &doc.current {
                if *v == doc.version {
                    return Ok((a.clone(), doc.last_good.clone()));
                }
            }
            (doc.generation, doc.version, doc.text.clone())
        };
        let path = file_path(uri);
        let open = self.open_files();
        let a: Shared = Arc::new(
            blocking(move || match path {
                // with the files it `use`s: an open document's text, else the file on disk
                Some(path) => {
                    let docs = open.clone();
                    Analysis::with_files(text.as_ref().clone(), &path, &docs, &mut |p| match open
                        .iter()
                        .find(|(q, _)| q == p)
                    {
                        Some((_, t)) => Ok(t.as_ref().clone()),
                        None => std::fs::read_to_string(p).map_err(|e| e.to_string()),
                    })
                }
                None => Analysis::new(text.as_ref().clone()),
            })
            .await?,
        );
        let mut docs = self.docs();
        let doc = docs.get_mut(uri).ok_or_else(|| unknown(uri))?;
        if doc.generation == generation && doc.current.as_ref().is_none_or(|(v, _)| *v < version) {
            if a.parsed_cleanly {
                doc.last_good = Some(a.clone());
            }
            doc.current = Some((version, a.clone()));
        }
        let last_good = doc.last_good.clone();
        Ok((a, last_good))
    }

    /// Re-analyses and publishes diagnostics, unless a newer version arrived meanwhile.
    async fn refresh(&self, uri: Uri) {
        let Ok((a, _)) = self.analysis(&uri).await else {
            return;
        };
        let current = self.docs().get(&uri).and_then(|d| {
            d.current
                .as_ref()
                .map(|(v, c)| (d.version, *v, Arc::ptr_eq(c, &a)))
        });
        let Some((doc_version, version, true)) = current else {
            return;
        };
        if doc_version != version {
            return;
        }
        let uri2 = uri.clone();
        let Ok(diags) = blocking(move || diagnostics::to_lsp(&a, &uri2)).await else {
            return;
        };
        // Publish under the document's publish gate, and only if this is still the newest
        // version and newer than what went out last: an older result can never follow a newer one.
        let Some(gate) = self.docs().get(&uri).map(|d| d.publish_gate.clone()) else {
            return;
        };
        let _in_order = gate.lock().await;
        {
            let mut docs = self.docs();
            let Some(doc) = docs.get_mut(&uri) else {
                return;
            };
            if doc.version != version || doc.published.is_some_and(|p| p >= version) {
                return;
            }
            doc.published = Some(version);
        }
        self.client
            .publish_diagnostics(uri, diags, Some(version))
            .await;
    }

    /// Re-evaluates the sample data for the lenses; true when the document has sample data.
    async fn update_lens(&self, uri: &Uri) -> bool {
        use tower_lsp_server::UriExt as _;
        let Some(path) = uri.to_file_path().map(|p| p.into_owned()) else {
            return false;
        };
        let Ok((a, _)) = self.analysis(uri).await else {
            return false;
        };
        let Ok(d) = blocking(move || code_lens::distribution(&a, &path)).await else {
            return false;
        };
        let has_data = d != Distribution::NoData;
        if let Some(doc) = self.docs().get_mut(uri) {
            doc.lens = Some(d);
        }
        has_data
    }

    /// The path and text of every open document that is a file.
    fn open_files(&self) -> Vec<(std::path::PathBuf, Arc<String>)> {
        self.docs()
            .iter()
            .filter(|(_, d)| d.out_of_sync.is_none())
            .filter_map(|(u, d)| file_path(u).map(|p| (p, d.text.clone())))
            .collect()
    }

    /// Re-checks the open documents that `use` the document `uri` (its text changed).
    async fn refresh_users(&self, uri: &Uri) {
        let Some(path) = file_path(uri) else {
            return;
        };
        let users: Vec<Uri> = {
            let mut docs = self.docs();
            docs.iter_mut()
                .filter(|(u, _)| *u != uri)
                .filter(|(_, d)| {
                    d.current.as_ref().is_some_and(|(_, a)| {
                        a.used
                            .iter()
                            .any(|s| rubric_check::project::same_file(&s.path, &path))
                    })
                })
                .map(|(u, d)| {
                    // analyse again, and publish again for the same version
                    d.current = None;
                    d.published = None;
                    u.clone()
                })
                .collect()
        };
        for u in users {
            self.refresh(u).await;
        }
    }

    /// Runs `f` on the current analysis of `uri` with panic isolation.
    async fn with<T: Send + 'static>(
        &self,
        uri: &Uri,
        f: impl FnOnce(&Analysis, Option<&Analysis>) -> T + Send + 'static,
    ) -> Result<T> {
        let (a, last_good) = self.analysis(uri).await?;
        blocking(move || f(&a, last_good.as_deref())).await
    }
}

fn location(a: &Analysis, uri: &Uri, span: rubric_syntax::Span) -> Location {
    use tower_lsp_server::UriExt as _;
    // a definition in a file the document `use`s
    if let Some((source, local)) = a.used_file(span) {
        let path = std::path::absolute(&source.path).unwrap_or_else(|_| source.path.clone());
        if let Some(u) = Uri::from_file_path(&path) {
            let index = crate::position::LineIndex::new(&source.text);
            return Location {
                uri: u,
                range: index.range(&source.text, local),
            };
        }
    }
    Location {
        uri: uri.clone(),
        range: a.index.range(&a.text, span),
    }
}

/// The file a document is, when it is one.
fn file_path(uri: &Uri) -> Option<std::path::PathBuf> {
    use tower_lsp_server::UriExt as _;
    uri.to_file_path().map(|p| p.into_owned())
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let refresh = params
            .capabilities
            .workspace
            .and_then(|w| w.code_lens)
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        self.lens_refresh
            .store(refresh, std::sync::atomic::Ordering::Relaxed);
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::UTF16),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "[".into()]),
                    ..CompletionOptions::default()
                }),
                signature_help_provider: Some(SignatureHelpOptions {
                    // the full-width `（` and `，` are what a Chinese input method types
                    trigger_characters: Some(["(", ",", "（", "，"].map(String::from).to_vec()),
                    retrigger_characters: None,
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: semantic_tokens::legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                document_formatting_provider: Some(OneOf::Left(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "rubric".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        self.docs().insert(
            doc.uri.clone(),
            Doc {
                generation: self
                    .opened
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                version: doc.version,
                text: Arc::new(doc.text),
                current: None,
                last_good: None,
                lens: None,
                gate: Arc::default(),
                publish_gate: Arc::default(),
                published: None,
                out_of_sync: None,
            },
        );
        self.refresh(doc.uri.clone()).await;
        self.refresh_users(&doc.uri).await;
        self.update_lens(&doc.uri).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let broken = {
            let mut docs = self.docs();
            let Some(doc) = docs.get_mut(&uri) else {
                return;
            };
            let mut text = doc.text.as_ref().clone();
            let was = doc.out_of_sync.take();
            // Versions only grow: edits of an older version came out of order, and applying
            // them (or dropping them) would leave a text the editor does not have.
            let stale = (version <= doc.version).then(|| {
                format!(
                    "the edits of version {version} of {} arrived after version {}; the server \
                     no longer knows the document's text, so close and reopen it",
                    uri.as_str(),
                    doc.version
                )
            });
            let broken = apply_changes(
                &mut text,
                params.content_changes,
                was.clone().or(stale),
                &uri,
                version,
            );
            doc.version = doc.version.max(version);
            match broken {
                None => {
                    doc.text = Arc::new(text);
                    None
                }
                Some(why) => {
                    // nothing is analysed or published from a text the client does not have
                    doc.out_of_sync = Some(why.clone());
                    doc.current = None;
                    doc.published = Some(doc.version);
                    Some((why, was.is_none(), doc.version))
                }
            }
        };
        if let Some((why, newly, current)) = broken {
            let logged = if newly {
                why.clone()
            } else {
                format!("the edits of version {version} are not applied, the document being out of sync: {why}")
            };
            self.client.log_message(MessageType::ERROR, logged).await;
            if newly {
                self.client.show_message(MessageType::ERROR, &why).await;
                let whole = Range::new(Position::new(0, 0), Position::new(0, 0));
                let d = Diagnostic {
                    range: whole,
                    severity: Some(DiagnosticSeverity::ERROR),
                    code: Some(NumberOrString::String("out-of-sync".into())),
                    source: Some("rubric".into()),
                    message: why,
                    ..Diagnostic::default()
                };
                self.client
                    .publish_diagnostics(uri, vec![d], Some(current))
                    .await;
            }
            return;
        }
        self.refresh(uri.clone()).await;
        self.refresh_users(&uri).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        if self.update_lens(&params.text_document.uri).await
            && self.lens_refresh.load(std::sync::atomic::Ordering::Relaxed)
        {
            let _ = self.client.code_lens_refresh().await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.docs().remove(&uri);
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        self.with(&p.text_document.uri, move |a, _| {
            hover::hover(a, a.index.offset(&a.text, p.position))
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let uri = &p.text_document.uri;
        let snapshot = {
            let docs = self.docs();
            let doc = docs.get(uri).ok_or_else(|| unknown(uri))?;
            if let Some(why) = &doc.out_of_sync {
                return Err(out_of_sync(why));
            }
            doc.current
                .as_ref()
                .map(|(_, a)| (doc.text.clone(), a.clone(), doc.last_good.clone()))
        };
        // never analysed yet: wait for the first analysis
        let (text, a, last_good) = match snapshot {
            Some(s) => s,
            None => {
                let (a, last_good) = self.analysis(uri).await?;
                (Arc::new(a.text.clone()), a, last_good)
            }
        };
        blocking(move || {
            let index = crate::position::LineIndex::new(&text);
            let offset = index.offset(&text, p.position);
            let models: Vec<&rubric_check::hir::Model> = std::iter::once(&a.model)
                .chain(last_good.as_deref().map(|l| &l.model))
                .collect();
            Some(completion::completion(&text, &models, offset))
        })
        .await
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let p = params.text_document_position_params;
        let uri = &p.text_document.uri;
        // the text as it is now: a call being typed seldom parses
        let text = {
            let docs = self.docs();
            let doc = docs.get(uri).ok_or_else(|| unknown(uri))?;
            if let Some(why) = &doc.out_of_sync {
                return Err(out_of_sync(why));
            }
            doc.text.clone()
        };
        blocking(move || {
            let index = crate::position::LineIndex::new(&text);
            signature_help::signature_help(&text, index.offset(&text, p.position))
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let uri = p.text_document.uri.clone();
        self.with(&p.text_document.uri, move |a, _| {
            definition::definition(a, a.index.offset(&a.text, p.position))
                .map(|s| GotoDefinitionResponse::Scalar(location(a, &uri, s)))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri.clone();
        let include = params.context.include_declaration;
        self.with(&p.text_document.uri, move |a, _| {
            let spans = references::references(a, a.index.offset(&a.text, p.position), include);
            (!spans.is_empty()).then(|| spans.into_iter().map(|s| location(a, &uri, s)).collect())
        })
        .await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let p = params.text_document_position_params;
        self.with(&p.text_document.uri, move |a, _| {
            let offset = a.index.offset(&a.text, p.position);
            let r = a.reference_at(offset)?;
            let highlights: Vec<DocumentHighlight> = a
                .occurrences(r.symbol)
                .into_iter()
                .map(|o| DocumentHighlight {
                    range: a.index.range(&a.text, o.span),
                    kind: Some(if o.is_definition {
                        DocumentHighlightKind::WRITE
                    } else {
                        DocumentHighlightKind::READ
                    }),
                })
                .collect();
            Some(highlights)
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let uri = params.text_document.uri.clone();
        self.with(&uri, move |a, _| {
            rename::prepare(a, a.index.offset(&a.text, params.position)).map(
                |(span, placeholder)| PrepareRenameResponse::RangeWithPlaceholder {
                    range: a.index.range(&a.text, span),
                    placeholder,
                },
            )
        })
        .await?
        .map(Some)
        .map_err(Error::invalid_params)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri.clone();
        let new_name = params.new_name;
        self.with(&p.text_document.uri, move |a, _| {
            rename::rename(a, a.index.offset(&a.text, p.position), &new_name).map(|spans| {
                // each edit in its file: the document, or a file it `use`s
                let mut files: Vec<(Uri, Vec<TextEdit>)> = Vec::new();
                for (s, new_text) in spans {
                    let at = location(a, &uri, s);
                    let edit = TextEdit {
                        range: at.range,
                        new_text,
                    };
                    match files.iter_mut().find(|(u, _)| *u == at.uri) {
                        Some((_, edits)) => edits.push(edit),
                        None => files.push((at.uri, vec![edit])),
                    }
                }
                WorkspaceEdit {
                    changes: Some(files.into_iter().collect()),
                    ..WorkspaceEdit::default()
                }
            })
        })
        .await?
        .map(Some)
        .map_err(Error::invalid_params)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.with(&params.text_document.uri, |a, _| {
            Some(DocumentSymbolResponse::Nested(symbols::symbols(a)))
        })
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.with(&params.text_document.uri, |a, _| Some(folding::folding(a)))
            .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with(&params.text_document.uri, |a, _| {
            let data = semantic_tokens::encode(a, &semantic_tokens::tokens(a));
            Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data,
            }))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        // every action here is a quick fix; a client asking only for other kinds gets none
        if let Some(only) = &params.context.only {
            if !only
                .iter()
                .any(|k| CodeActionKind::QUICKFIX.as_str().starts_with(k.as_str()))
            {
                return Ok(None);
            }
        }
        let uri = params.text_document.uri.clone();
        self.with(&params.text_document.uri, move |a, _| {
            let range = a.index.span(&a.text, params.range);
            let actions: Vec<CodeActionOrCommand> = code_action::actions(a, range)
                .into_iter()
                .map(|act| {
                    let edits = act
                        .edits
                        .iter()
                        .map(|(s, t)| TextEdit {
                            range: a.index.range(&a.text, *s),
                            new_text: t.clone(),
                        })
                        .collect();
                    CodeActionOrCommand::CodeAction(CodeAction {
                        title: act.title,
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: act.fixes.map(|d| vec![diagnostics::convert(a, &uri, d)]),
                        edit: Some(WorkspaceEdit {
                            changes: Some(HashMap::from([(uri.clone(), edits)])),
                            ..WorkspaceEdit::default()
                        }),
                        is_preferred: act.preferred.then_some(true),
                        ..CodeAction::default()
                    })
                })
                .collect();
            (!actions.is_empty()).then_some(actions)
        })
        .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.with(&params.text_document.uri, |a, _| {
            formatting::format(a).map(|edit| {
                edit.map(|(span, new_text)| {
                    vec![TextEdit {
                        range: a.index.range(&a.text, span),
                        new_text,
                    }]
                })
            })
        })
        .await?
        .map_err(|m| Error {
            code: ErrorCode::InternalError,
            message: m.into(),
            data: None,
        })
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri;
        let cached = self
            .docs()
            .get(&uri)
            .ok_or_else(|| unknown(&uri))?
            .lens
            .clone();
        if cached.is_none() {
            self.update_lens(&uri).await;
        }
        let Some(d) = self.docs().get(&uri).and_then(|doc| doc.lens.clone()) else {
            return Ok(None);
        };
        self.with(&uri, move |a, _| {
            let lenses: Vec<CodeLens> = code_lens::lenses(a, &d)
                .into_iter()
                .map(|(span, title)| CodeLens {
                    range: a.index.range(&a.text, span),
                    command: Some(Command {
                        title,
                        command: String::new(),
                        arguments: None,
                    }),
                    data: None,
                })
                .collect();
            (!lenses.is_empty()).then_some(lenses)
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_becomes_an_internal_error_and_the_next_one_runs() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let failed = rt.block_on(blocking(|| -> u32 { panic!("a bug in a handler") }));
        let e = failed.unwrap_err();
        assert_eq!(e.code, ErrorCode::InternalError);
        assert_eq!(e.message, "internal error while answering this request");
        assert_eq!(rt.block_on(blocking(|| 7)).unwrap(), 7);
    }
}
