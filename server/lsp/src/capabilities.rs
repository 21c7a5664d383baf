//! Capabilities, both ways: what the server advertises in `initialize` (and registers later:
//! the watched files), and what it reads of the client's (`Caps`, the position encoding).

use crate::commands;
use crate::documents::Encoding;
use crate::state::Caps;
use tower_lsp_server::ls_types::*;

/// The position encoding both sides will use: UTF-8 when the client offers it, else UTF-16.
pub fn position_encoding(c: &ClientCapabilities) -> Encoding {
    Encoding::negotiate(
        c.general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    )
}

/// What the client said it supports, as far as the server cares.
pub fn read_caps(c: &ClientCapabilities) -> Caps {
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

/// What the server advertises, with the negotiated position encoding.
pub fn server_capabilities(enc: Encoding) -> ServerCapabilities {
    ServerCapabilities {
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
    }
}

/// The server's name and version, as `initialize` answers them.
pub fn server_info() -> ServerInfo {
    ServerInfo {
        name: "pact-lsp".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
    }
}

/// The files the server asks to be told about (registered after `initialized` when the client
/// registers watchers dynamically): project documents, sources and tests, and the directories
/// whose appearance or removal changes a project.
pub fn watched_files() -> Registration {
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
    Registration {
        id: "pact-watched-files".to_string(),
        method: "workspace/didChangeWatchedFiles".to_string(),
        register_options: serde_json::to_value(options).ok(),
    }
}
