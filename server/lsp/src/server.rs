//! The protocol surface. Handlers are thin: notifications change state synchronously (before
//! any `.await`, so rapid edits apply in order) and schedule re-checks; requests read a project
//! view under the lock and call the feature modules, with panics caught per request.

use crate::actions;
use crate::commands;
use crate::diagnostics;
use crate::documents::{Conv, Document, Encoding, file_path, file_uri};
use crate::logging::LogReceiver;
use crate::scheduler::{self, schedule};
use crate::state::{Caps, Shared, State, guard, lock};
use crate::subject::{Loc, View};
use crate::workspace::project_root_of;
use crate::{completion, hover, lens, navigation, symbols};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

pub struct Backend {
    shared: Arc<Shared>,
}

/// Serves one client over the given streams; true when it ended with `shutdown` then `exit`.
pub async fn serve<I, O>(input: I, output: O, log: Option<LogReceiver>) -> bool
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite,
{
    let input = crate::transport::sanitize(input);
    let (tx, _) = tokio::sync::watch::channel(false);
    let mut shared_out: Option<Arc<Shared>> = None;
    let (service, socket) = LspService::build(|client: Client| {
        let shared = Arc::new(Shared {
            client,
            state: std::sync::Mutex::new(State::default()),
            publish: tokio::sync::Mutex::new(()),
            ready: tx,
            log: std::sync::Mutex::new(log),
            shutdown: Default::default(),
            jobs: Default::default(),
            settings: Default::default(),
        });
        shared_out = Some(shared.clone());
        Backend { shared }
    })
    .custom_method("pact/debugText", Backend::debug_text)
    // tower-lsp-server 0.23 has no handler for this notification: registered here.
    .custom_method(
        "window/workDoneProgress/cancel",
        Backend::work_done_progress_cancel,
    )
    .finish();
    Server::new(input, output, socket).serve(service).await;
    shared_out.is_some_and(|s| s.shutdown.load(Ordering::SeqCst))
}

/// `pact/debugText`: the server's copy of an open buffer (tests compare it with theirs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugTextParams {
    pub text_document: TextDocumentIdentifier,
}

#[derive(Debug, Serialize)]
pub struct DebugText {
    pub version: i32,
    pub text: String,
}

fn folder_path(uri: &Uri) -> Option<PathBuf> {
    file_path(uri)
}

/// Runs a pure feature function; a panic becomes a logged error and an empty answer.
fn guarded<R>(what: &str, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(e) => {
            let msg = e
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!("{what} failed: {msg}");
            None
        }
    }
}

/// Converts locations in other files, reading each text once.
struct Locator<'a> {
    view: &'a View<'a>,
    enc: Encoding,
    texts: HashMap<PathBuf, Option<Arc<str>>>,
}

impl<'a> Locator<'a> {
    fn new(view: &'a View<'a>, enc: Encoding) -> Self {
        Self {
            view,
            enc,
            texts: HashMap::new(),
        }
    }
    fn range(&mut self, path: &Path, r: pact_core::text::TextRange) -> Option<Range> {
        let text = self
            .texts
            .entry(path.to_path_buf())
            .or_insert_with(|| self.view.text(path))
            .clone()?;
        Some(Conv::new(&text, self.enc).range(r))
    }
    fn location(&mut self, loc: &Loc) -> Option<Location> {
        Some(Location {
            uri: file_uri(&loc.path)?,
            range: self.range(&loc.path, loc.range)?,
        })
    }
}

impl Backend {
    async fn wait_ready(&self) {
        let mut rx = self.shared.ready.subscribe();
        let _ = tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|r| *r)).await;
    }

    /// Runs `f` on the project view of `uri`'s document (refreshed first), under the lock.
    fn with_view<R>(
        &self,
        what: &str,
        uri: &Uri,
        f: impl FnOnce(&View, &Path, &Conv, Encoding) -> R,
    ) -> Option<R> {
        let path = file_path(uri)?;
        let mut st = lock(&self.shared.state);
        let open = st.open_map();
        let enc = st.enc;
        let idx = st.project_for(&path)?;
        let p = &mut st.projects[idx];
        guarded("refresh", || p.refresh(&open));
        let view = View {
            project: p,
            open: &open,
        };
        let text = view.text(&path)?;
        let conv = Conv::new(&text, enc);
        guarded(what, || f(&view, &path, &conv, enc))
    }

    /// Records a changed path in its project and schedules a re-check.
    fn changed(&self, path: &Path, delay: Duration) {
        let root = {
            let mut st = lock(&self.shared.state);
            let Some(i) = st.project_for(path) else {
                let indexed = st.indexed;
                drop(st);
                if indexed {
                    self.adopt(path);
                }
                return;
            };
            let p = &mut st.projects[i];
            if !p.mark(path) {
                return;
            }
            p.root().to_path_buf()
        };
        schedule(&self.shared, root, delay);
    }

    /// A file of a project we do not know yet: index that project in the background.
    fn adopt(&self, path: &Path) {
        let Some(root) = project_root_of(path) else {
            return;
        };
        let shared = self.shared.clone();
        tokio::spawn(async move {
            scheduler::add_project(&shared, root).await;
        });
    }

    fn drop_folders(
        &self,
        removed: &[PathBuf],
        added: &[PathBuf],
    ) -> Vec<crate::workspace::Project> {
        let mut st = lock(&self.shared.state);
        st.roots.retain(|r| !removed.contains(r));
        st.roots.extend(added.iter().cloned());
        let (keep, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut st.projects)
            .into_iter()
            .partition(|p| !removed.iter().any(|r| p.root().starts_with(r)));
        st.projects = keep;
        gone
    }

    async fn debug_text(&self, params: DebugTextParams) -> Result<Option<DebugText>> {
        let mut st = lock(&self.shared.state);
        Ok(st
            .docs
            .get_mut(&params.text_document.uri)
            .map(|d| DebugText {
                version: d.version,
                text: d.text().to_string(),
            }))
    }

    /// `window/workDoneProgress/cancel`: the user cancelled a job's progress.
    async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        let token = match &params.token {
            NumberOrString::String(s) => s.clone(),
            NumberOrString::Number(n) => n.to_string(),
        };
        match guard(&self.shared.jobs).cancel_token(&token) {
            Some(title) => tracing::info!("{title}: cancelled by the client"),
            None => tracing::debug!("cancel of an unknown or finished job ({token})"),
        }
    }

    fn apply_settings(&self, settings: Option<crate::jobs::Settings>) {
        let Some(s) = settings else { return };
        crate::logging::set_verbose(s.verbose());
        *guard(&self.shared.settings) = s;
    }

    async fn register_watchers(shared: Arc<Shared>) {
        let globs = [
            "**/*.json",
            "**/*.{py,ts,js,mjs}",
            "**/{pact.yaml,task.md,sops.md}",
            "**/.pact",
            "**/contracts/*",
            "**/tests/*",
            "**/decomposition",
        ];
        let watchers: Vec<FileSystemWatcher> = globs
            .iter()
            .map(|g| FileSystemWatcher {
                glob_pattern: GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let reg = Registration {
            id: "pact-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(e) = shared.client.register_capability(vec![reg]).await {
            tracing::warn!("the client refused file watchers: {e}");
        }
    }
}

fn read_caps(c: &ClientCapabilities) -> Caps {
    let ws = c.workspace.as_ref();
    let edit = ws.and_then(|w| w.workspace_edit.as_ref());
    Caps {
        dynamic_watch: ws
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        resource_rename: edit
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| ops.contains(&ResourceOperationKind::Rename)),
        document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
        lens_refresh: ws
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|l| l.refresh_support)
            .unwrap_or(false),
        snippets: c
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false),
        work_done_progress: c
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        client: Default::default(),
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let enc = Encoding::negotiate(
            params
                .capabilities
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| folder_path(&f.uri))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            roots.extend(
                params
                    .root_uri
                    .as_ref()
                    .and_then(folder_path)
                    .or(params.root_path.as_ref().map(PathBuf::from)),
            );
        }
        let debounce = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("debounceMs"))
            .and_then(|v| v.as_u64())
            .map(Duration::from_millis);
        self.apply_settings(
            params
                .initialization_options
                .as_ref()
                .and_then(crate::jobs::Settings::from_value),
        );
        {
            let mut st = lock(&self.shared.state);
            st.enc = enc;
            st.roots = roots;
            st.caps = read_caps(&params.capabilities);
            st.caps.client = crate::wording::Client::from_name(
                params.client_info.as_ref().map(|c| c.name.as_str()),
            );
            if let Some(d) = debounce {
                st.debounce = d;
            }
        }
        let capabilities = ServerCapabilities {
            position_encoding: Some(enc.kind()),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec!["\"".into(), "[".into(), ",".into(), " ".into()]),
                ..Default::default()
            }),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_symbol_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
            code_lens_provider: Some(CodeLensOptions {
                resolve_provider: Some(false),
            }),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::SOURCE,
                    CodeActionKind::EMPTY,
                ]),
                ..Default::default()
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: commands::COMMANDS.iter().map(|c| c.to_string()).collect(),
                work_done_progress_options: WorkDoneProgressOptions {
                    work_done_progress: Some(true),
                },
            }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        };
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "pact-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let log = self
            .shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut rx) = log {
            let client = self.shared.client.clone();
            tokio::spawn(async move {
                while let Some((typ, msg)) = rx.recv().await {
                    client.log_message(typ, msg).await;
                }
            });
        }
        if lock(&self.shared.state).caps.dynamic_watch {
            tokio::spawn(Self::register_watchers(self.shared.clone()));
        }
        tokio::spawn(scheduler::index(self.shared.clone()));
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Running jobs stop cleanly (consistent, resumable, lock released) before we exit.
        let n = guard(&self.shared.jobs).cancel_all();
        if n > 0 {
            tracing::info!("shutting down: cancelling {n} running job(s)");
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while !guard(&self.shared.jobs).is_empty() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        let path = file_path(&d.uri);
        let delay = {
            let mut st = lock(&self.shared.state);
            st.docs.insert(
                d.uri.clone(),
                Document::new(d.uri, d.version, d.language_id, &d.text),
            );
            st.debounce
        };
        if let Some(path) = path {
            self.changed(&path, delay);
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let v = params.text_document;
        // Applied before any await: rapid edits keep their order.
        let (path, delay) = {
            let mut st = lock(&self.shared.state);
            let enc = st.enc;
            let delay = st.debounce;
            let Some(doc) = st.docs.get_mut(&v.uri) else {
                tracing::warn!("change to a document that is not open: {}", v.uri.as_str());
                return;
            };
            if v.version <= doc.version {
                tracing::warn!(
                    "version {} of {} arrived after version {}",
                    v.version,
                    v.uri.as_str(),
                    doc.version
                );
            }
            let changes = params.content_changes;
            if guarded("applying an edit", || doc.apply(&changes, v.version, enc)).is_none() {
                return;
            }
            (doc.path.clone(), delay)
        };
        if let Some(path) = path {
            self.changed(&path, delay);
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // An implementation saved: records about its sources (mutation, certification) may
        // no longer apply. Other documents are checked as they are typed.
        let Some(path) = file_path(&params.text_document.uri) else {
            return;
        };
        let (is_impl, delay) = {
            let st = lock(&self.shared.state);
            let is_impl = st.project_for(&path).is_some_and(|i| {
                matches!(
                    st.projects[i].layout.classify(&path),
                    Some((pact_core::store::DocKind::Implementation, _))
                )
            });
            (is_impl, st.debounce)
        };
        if is_impl {
            self.changed(&path, delay);
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.apply_settings(crate::jobs::Settings::from_value(&params.settings));
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let (path, delay) = {
            let mut st = lock(&self.shared.state);
            let d = st.docs.remove(&params.text_document.uri);
            (d.and_then(|d| d.path), st.debounce)
        };
        // The disk's text counts again.
        if let Some(path) = path {
            self.changed(&path, delay);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut roots = Vec::new();
        let mut unknown = Vec::new();
        {
            let mut st = lock(&self.shared.state);
            let open: Vec<PathBuf> = st.docs.values().filter_map(|d| d.path.clone()).collect();
            for ev in params.changes {
                let Some(path) = file_path(&ev.uri) else {
                    continue;
                };
                if open.contains(&path) {
                    continue; // the buffer wins over the disk
                }
                let mut known = false;
                for p in st.projects.iter_mut() {
                    let hit = if p.root().starts_with(&path) {
                        let root = p.root().to_path_buf();
                        p.mark(&root)
                    } else {
                        p.mark(&path)
                    };
                    if hit || p.contains(&path) {
                        known = true;
                    }
                    if hit && !roots.contains(&p.root().to_path_buf()) {
                        roots.push(p.root().to_path_buf());
                    }
                }
                if !known && ev.typ != FileChangeType::DELETED {
                    unknown.push(path);
                }
            }
        }
        for root in roots {
            schedule(&self.shared, root, Duration::ZERO);
        }
        // A project created (or moved) here.
        let mut seen: Vec<PathBuf> = Vec::new();
        for path in unknown {
            let candidate = if path.is_dir() && crate::workspace::is_project_root(&path) {
                Some(path.clone())
            } else {
                project_root_of(&path)
            };
            if let Some(root) = candidate.filter(|r| !seen.contains(r)) {
                seen.push(root.clone());
                let shared = self.shared.clone();
                tokio::spawn(async move {
                    scheduler::add_project(&shared, root).await;
                });
            }
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| folder_path(&f.uri))
            .collect();
        let added: Vec<PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| folder_path(&f.uri))
            .collect();
        let gone = self.drop_folders(&removed, &added);
        {
            let _order = self.shared.publish.lock().await;
            for mut p in gone {
                scheduler::send(&self.shared, diagnostics::clear_all(&mut p)).await;
            }
        }
        let found = tokio::task::spawn_blocking(move || crate::workspace::discover(&added))
            .await
            .unwrap_or_default();
        for root in found {
            scheduler::add_project(&self.shared, root).await;
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.wait_ready().await;
        let p = params.text_document_position_params;
        Ok(self
            .with_view("hover", &p.text_document.uri, |view, path, conv, _| {
                let (md, range) = hover::hover(view, path, conv.text, conv.offset(p.position))?;
                Some(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: md,
                    }),
                    range: Some(conv.range(range)),
                })
            })
            .flatten())
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.wait_ready().await;
        let p = params.text_document_position_params;
        Ok(self
            .with_view(
                "definition",
                &p.text_document.uri,
                |view, path, conv, enc| {
                    let locs =
                        navigation::definition(view, path, conv.text, conv.offset(p.position));
                    let mut l = Locator::new(view, enc);
                    let out: Vec<Location> = locs.iter().filter_map(|x| l.location(x)).collect();
                    (!out.is_empty()).then_some(GotoDefinitionResponse::Array(out))
                },
            )
            .flatten())
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.wait_ready().await;
        let p = params.text_document_position;
        let decl = params.context.include_declaration;
        Ok(self
            .with_view(
                "references",
                &p.text_document.uri,
                |view, path, conv, enc| {
                    let locs = navigation::references(
                        view,
                        path,
                        conv.text,
                        conv.offset(p.position),
                        decl,
                    );
                    let mut l = Locator::new(view, enc);
                    let out: Vec<Location> = locs.iter().filter_map(|x| l.location(x)).collect();
                    (!out.is_empty()).then_some(out)
                },
            )
            .flatten())
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.wait_ready().await;
        Ok(self
            .with_view(
                "prepareRename",
                &params.text_document.uri,
                |view, path, conv, _| {
                    let (range, name) = navigation::prepare_rename(
                        view,
                        path,
                        conv.text,
                        conv.offset(params.position),
                    )?;
                    Some(PrepareRenameResponse::RangeWithPlaceholder {
                        range: conv.range(range),
                        placeholder: name,
                    })
                },
            )
            .flatten())
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.wait_ready().await;
        let p = params.text_document_position;
        let new_name = params.new_name;
        let caps = lock(&self.shared.state).caps.clone();
        let result = self.with_view("rename", &p.text_document.uri, |view, path, conv, enc| {
            let plan =
                navigation::rename(view, path, conv.text, conv.offset(p.position), &new_name)?;
            let mut l = Locator::new(view, enc);
            let mut files: Vec<(Uri, Vec<TextEdit>, Option<i32>)> = Vec::new();
            for (file, edits) in &plan.edits {
                let Some(uri) = file_uri(file) else { continue };
                let edits: Vec<TextEdit> = edits
                    .iter()
                    .filter_map(|(r, t)| {
                        Some(TextEdit {
                            range: l.range(file, *r)?,
                            new_text: t.clone(),
                        })
                    })
                    .collect();
                files.push((uri, edits, view.open.get(file).map(|o| o.version)));
            }
            let moves = if caps.resource_rename {
                plan.moves
            } else {
                Vec::new()
            };
            if caps.document_changes || !moves.is_empty() {
                let mut ops: Vec<DocumentChangeOperation> = files
                    .into_iter()
                    .map(|(uri, edits, version)| {
                        DocumentChangeOperation::Edit(TextDocumentEdit {
                            text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                            edits: edits.into_iter().map(OneOf::Left).collect(),
                        })
                    })
                    .collect();
                for (from, to) in moves {
                    if let (Some(old_uri), Some(new_uri)) = (file_uri(&from), file_uri(&to)) {
                        ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(
                            RenameFile {
                                old_uri,
                                new_uri,
                                options: None,
                                annotation_id: None,
                            },
                        )));
                    }
                }
                Ok(WorkspaceEdit {
                    document_changes: Some(DocumentChanges::Operations(ops)),
                    ..Default::default()
                })
            } else {
                let changes: HashMap<Uri, Vec<TextEdit>> =
                    files.into_iter().map(|(u, e, _)| (u, e)).collect();
                Ok(WorkspaceEdit {
                    changes: Some(changes),
                    ..Default::default()
                })
            }
        });
        match result {
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(msg)) => Err(Error::invalid_params::<String>(msg)),
            None => Ok(None),
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.wait_ready().await;
        let p = params.text_document_position;
        let snippets = lock(&self.shared.state).caps.snippets;
        Ok(self
            .with_view("completion", &p.text_document.uri, |view, path, conv, _| {
                let items =
                    completion::complete(view, path, conv, conv.offset(p.position), snippets);
                (!items.is_empty()).then_some(CompletionResponse::Array(items))
            })
            .flatten())
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.wait_ready().await;
        Ok(self.with_view(
            "documentSymbol",
            &params.text_document.uri,
            |view, path, conv, _| {
                DocumentSymbolResponse::Nested(symbols::document_symbols(view, path, conv))
            },
        ))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.wait_ready().await;
        let mut st = lock(&self.shared.state);
        let open = st.open_map();
        let enc = st.enc;
        let mut out: Vec<SymbolInformation> = Vec::new();
        for p in st.projects.iter_mut() {
            guarded("refresh", || p.refresh(&open));
            let view = View {
                project: p,
                open: &open,
            };
            let mut found = Vec::new();
            guarded("workspace symbols", || {
                symbols::workspace_symbols(&view, &params.query, 1000, &mut found)
            });
            let mut l = Locator::new(&view, enc);
            for s in found {
                let Some(location) = l.location(&s.loc) else {
                    continue;
                };
                #[allow(deprecated)]
                out.push(SymbolInformation {
                    name: s.name,
                    kind: s.kind,
                    tags: None,
                    deprecated: None,
                    location,
                    container_name: s.container,
                });
            }
        }
        Ok(Some(WorkspaceSymbolResponse::Flat(out)))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.wait_ready().await;
        Ok(self.with_view(
            "codeLens",
            &params.text_document.uri,
            |view, path, conv, _| {
                let argument = view.project.layout.classify(path).and_then(|(_, c)| c).map(|cid| {
                    json!({"project": view.project.root().to_string_lossy(), "component": cid})
                });
                lens::lenses(view, path, conv.text)
                    .into_iter()
                    .map(|l| CodeLens {
                        range: conv.range(l.range),
                        command: Some(Command {
                            title: l.title,
                            command: if argument.is_some() {
                                l.command.to_string()
                            } else {
                                String::new()
                            },
                            arguments: argument.clone().map(|a| vec![a]),
                        }),
                        data: None,
                    })
                    .collect()
            },
        ))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.wait_ready().await;
        let uri = params.text_document.uri.clone();
        // Pipeline commands go in the ordinary code-action menu (no kind: what an editor lists
        // on Ctrl+. or `vim.lsp.buf.code_action()`), and in the source-action menu when that is
        // what the client asks for; never when it asks for quick fixes only.
        let asked = |k: &CodeActionKind| {
            params
                .context
                .only
                .as_ref()
                .is_some_and(|only| only.iter().any(|o| o == k))
        };
        let command_kind = if asked(&CodeActionKind::SOURCE) {
            Some(CodeActionKind::SOURCE)
        } else {
            None
        };
        let commands_wanted = params.context.only.as_ref().is_none_or(|only| {
            only.iter()
                .any(|k| k.as_str().is_empty() || k.as_str() == CodeActionKind::SOURCE.as_str())
        });
        let root = file_path(&uri).and_then(|p| {
            let st = lock(&self.shared.state);
            st.project_for(&p)
                .map(|i| st.projects[i].root().to_path_buf())
        });
        let running = root.is_some_and(|r| guard(&self.shared.jobs).running_on(&r).is_some());
        Ok(self
            .with_view("codeAction", &uri, |view, path, conv, _| {
                type Fix = (
                    String,
                    pact_core::text::TextRange,
                    String,
                    Option<Diagnostic>,
                );
                let mut fixes: Vec<Fix> = Vec::new();
                // Fixes carried by the client's diagnostics…
                for d in &params.context.diagnostics {
                    let Some(fix) = actions::fix_of(d) else {
                        continue;
                    };
                    let r = pact_core::text::TextRange::new(
                        conv.offset(d.range.start),
                        conv.offset(d.range.end),
                    );
                    if let Some((title, range, text)) = actions::quick_fix(&fix, conv.text, r) {
                        fixes.push((title, range, text, Some(d.clone())));
                    }
                }
                // …else those of the findings we published on this range.
                if fixes.is_empty() {
                    let want = pact_core::text::TextRange::new(
                        conv.offset(params.range.start),
                        conv.offset(params.range.end),
                    );
                    for f in view.project.findings.for_file(path) {
                        let (Some(fix), Some(r)) = (&f.fix, f.range) else {
                            continue;
                        };
                        if r.end < want.start || r.start > want.end {
                            continue;
                        }
                        if let Some((title, range, text)) =
                            actions::quick_fix(&fix.clone().into(), conv.text, r)
                        {
                            fixes.push((title, range, text, None));
                        }
                    }
                }
                let mut out: CodeActionResponse = fixes
                    .into_iter()
                    .map(|(title, range, new_text, diag)| {
                        let edit = TextEdit {
                            range: conv.range(range),
                            new_text,
                        };
                        let changes: HashMap<Uri, Vec<TextEdit>> =
                            [(uri.clone(), vec![edit])].into_iter().collect();
                        CodeActionOrCommand::CodeAction(CodeAction {
                            title,
                            kind: Some(CodeActionKind::QUICKFIX),
                            diagnostics: diag.map(|d| vec![d]),
                            edit: Some(WorkspaceEdit {
                                changes: Some(changes),
                                ..Default::default()
                            }),
                            is_preferred: Some(true),
                            ..Default::default()
                        })
                    })
                    .collect();
                if commands_wanted {
                    let at = conv.offset(params.range.start);
                    for a in actions::command_actions(view, path, conv.text, at, running) {
                        out.push(CodeActionOrCommand::CodeAction(CodeAction {
                            title: a.title.clone(),
                            kind: command_kind.clone(),
                            command: Some(Command {
                                title: a.title,
                                command: a.command.to_string(),
                                arguments: Some(vec![a.argument]),
                            }),
                            ..Default::default()
                        }));
                    }
                }
                (!out.is_empty()).then_some(out)
            })
            .flatten())
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        self.wait_ready().await;
        commands::execute(&self.shared, &params.command, &params.arguments)
            .await
            .map(Some)
    }
}
