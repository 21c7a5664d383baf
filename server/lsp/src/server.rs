//! The protocol surface: `serve` wires the transport and the service; the `LanguageServer` impl
//! only names, for each method, its handler — requests in `handlers::requests`, notifications
//! in `handlers::notifications` (as rust-analyzer's and ruff's servers are laid out). What the
//! server advertises is `capabilities`; conversions to and from protocol types are `convert`.

use crate::handlers::notifications;
use crate::handlers::requests::{self, DebugText, DebugTextParams};
use crate::logging::LogReceiver;
use crate::state::{Shared, State};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::jsonrpc::Result;
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
    let (input, output) = crate::transport::guard(input, output);
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

/// The methods `LanguageServer` does not have.
impl Backend {
    async fn debug_text(&self, params: DebugTextParams) -> Result<Option<DebugText>> {
        requests::debug_text(&self.shared, params).await
    }

    async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        notifications::work_done_progress_cancel(&self.shared, params).await
    }
}

impl LanguageServer for Backend {
    // ---- lifecycle ----

    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        requests::initialize(&self.shared, params).await
    }

    async fn initialized(&self, params: InitializedParams) {
        notifications::initialized(&self.shared, params).await
    }

    async fn shutdown(&self) -> Result<()> {
        requests::shutdown(&self.shared).await
    }

    // ---- notifications ----

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        notifications::did_open(&self.shared, params).await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        notifications::did_change(&self.shared, params).await
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        notifications::did_save(&self.shared, params).await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        notifications::did_close(&self.shared, params).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        notifications::did_change_configuration(&self.shared, params).await
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        notifications::did_change_watched_files(&self.shared, params).await
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        notifications::did_change_workspace_folders(&self.shared, params).await
    }

    // ---- requests ----

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        requests::hover(&self.shared, params).await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        requests::goto_definition(&self.shared, params).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        requests::references(&self.shared, params).await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        requests::prepare_rename(&self.shared, params).await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        requests::rename(&self.shared, params).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        requests::completion(&self.shared, params).await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        requests::document_symbol(&self.shared, params).await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        requests::workspace_symbol(&self.shared, params).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        requests::code_lens(&self.shared, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        requests::code_action(&self.shared, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        requests::execute_command(&self.shared, params).await
    }
}
