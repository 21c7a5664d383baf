//! Request handlers: `initialize` and `shutdown`, the features (hover, definition, references,
//! rename, completion, symbols, code lens, code actions), `workspace/executeCommand` and
//! `pact/debugText`. Each one (but the lifecycle's) waits for the first index, reads the
//! document's project view under the lock (`with_view`, panics caught), calls its feature
//! module with byte offsets, and converts the answer (`convert`).

use super::{apply_settings, guarded, with_view};
use crate::actions::{self, QuickFix};
use crate::capabilities;
use crate::commands;
use crate::convert::{self, Locator, file_path, folder_path};
use crate::state::{Shared, guard, lock};
use crate::subject::View;
use crate::{completion, hover, lens, navigation, symbols};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

/// Requests are answered once every project is indexed (or after 30 s, whatever there is).
async fn wait_ready(shared: &Shared) {
    let mut rx = shared.ready.subscribe();
    let _ = tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|r| *r)).await;
}

pub async fn initialize(shared: &Shared, params: InitializeParams) -> Result<InitializeResult> {
    let enc = capabilities::position_encoding(&params.capabilities);
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
    apply_settings(
        shared,
        params
            .initialization_options
            .as_ref()
            .and_then(crate::jobs::Settings::from_value),
    );
    {
        let mut st = lock(&shared.state);
        st.enc = enc;
        st.roots = roots;
        st.caps = capabilities::read_caps(&params.capabilities);
        st.caps.client =
            crate::wording::Client::from_name(params.client_info.as_ref().map(|c| c.name.as_str()));
        if let Some(d) = debounce {
            st.debounce = d;
        }
    }
    Ok(InitializeResult {
        capabilities: capabilities::server_capabilities(enc),
        server_info: Some(capabilities::server_info()),
        offset_encoding: None,
    })
}

pub async fn shutdown(shared: &Shared) -> Result<()> {
    shared.shutdown.store(true, Ordering::SeqCst);
    // Running jobs stop cleanly (consistent, resumable, lock released) before we exit.
    let n = guard(&shared.jobs).cancel_all();
    if n > 0 {
        tracing::info!("shutting down: cancelling {n} running job(s)");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !guard(&shared.jobs).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(())
}

pub async fn hover(shared: &Shared, params: HoverParams) -> Result<Option<Hover>> {
    wait_ready(shared).await;
    let p = params.text_document_position_params;
    Ok(with_view(
        shared,
        "hover",
        &p.text_document.uri,
        |view, path, conv, _| {
            let (md, range) = hover::hover(view, path, conv.text, conv.offset(p.position))?;
            Some(convert::hover(conv, md, range))
        },
    )
    .flatten())
}

pub async fn goto_definition(
    shared: &Shared,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    wait_ready(shared).await;
    let p = params.text_document_position_params;
    Ok(with_view(
        shared,
        "definition",
        &p.text_document.uri,
        |view, path, conv, enc| {
            let locs = navigation::definition(view, path, conv.text, conv.offset(p.position));
            let out = Locator::new(view, enc).locations(&locs);
            (!out.is_empty()).then_some(GotoDefinitionResponse::Array(out))
        },
    )
    .flatten())
}

pub async fn references(shared: &Shared, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
    wait_ready(shared).await;
    let p = params.text_document_position;
    let decl = params.context.include_declaration;
    Ok(with_view(
        shared,
        "references",
        &p.text_document.uri,
        |view, path, conv, enc| {
            let locs = navigation::references(view, path, conv.text, conv.offset(p.position), decl);
            let out = Locator::new(view, enc).locations(&locs);
            (!out.is_empty()).then_some(out)
        },
    )
    .flatten())
}

pub async fn prepare_rename(
    shared: &Shared,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    wait_ready(shared).await;
    Ok(with_view(
        shared,
        "prepareRename",
        &params.text_document.uri,
        |view, path, conv, _| {
            let (range, name) =
                navigation::prepare_rename(view, path, conv.text, conv.offset(params.position))?;
            Some(convert::prepare_rename(conv, range, name))
        },
    )
    .flatten())
}

pub async fn rename(shared: &Shared, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    wait_ready(shared).await;
    let p = params.text_document_position;
    let new_name = params.new_name;
    let caps = lock(&shared.state).caps.clone();
    let result = with_view(
        shared,
        "rename",
        &p.text_document.uri,
        |view, path, conv, enc| {
            let plan =
                navigation::rename(view, path, conv.text, conv.offset(p.position), &new_name)?;
            Ok(convert::workspace_edit(view, enc, plan, &caps))
        },
    );
    match result {
        Some(Ok(edit)) => Ok(Some(edit)),
        Some(Err(msg)) => Err(Error::invalid_params::<String>(msg)),
        None => Ok(None),
    }
}

pub async fn completion(
    shared: &Shared,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>> {
    wait_ready(shared).await;
    let p = params.text_document_position;
    let snippets = lock(&shared.state).caps.snippets;
    Ok(with_view(
        shared,
        "completion",
        &p.text_document.uri,
        |view, path, conv, _| {
            let items = completion::complete(view, path, conv, conv.offset(p.position), snippets);
            (!items.is_empty()).then_some(CompletionResponse::Array(items))
        },
    )
    .flatten())
}

pub async fn document_symbol(
    shared: &Shared,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    wait_ready(shared).await;
    Ok(with_view(
        shared,
        "documentSymbol",
        &params.text_document.uri,
        |view, path, conv, _| {
            DocumentSymbolResponse::Nested(symbols::document_symbols(view, path, conv))
        },
    ))
}

/// `workspace/symbol`: over every project (each refreshed first).
pub async fn workspace_symbol(
    shared: &Shared,
    params: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>> {
    wait_ready(shared).await;
    let mut st = lock(&shared.state);
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
            out.push(convert::symbol_information(s, location));
        }
    }
    Ok(Some(WorkspaceSymbolResponse::Flat(out)))
}

pub async fn code_lens(shared: &Shared, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    wait_ready(shared).await;
    Ok(with_view(
        shared,
        "codeLens",
        &params.text_document.uri,
        |view, path, conv, _| {
            let argument = view.project.layout.classify(path).and_then(|(_, c)| c).map(
                |cid| json!({"project": view.project.root().to_string_lossy(), "component": cid}),
            );
            lens::lenses(view, path, conv.text)
                .into_iter()
                .map(|l| convert::code_lens(conv, l, argument.as_ref()))
                .collect()
        },
    ))
}

pub async fn code_action(
    shared: &Shared,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    wait_ready(shared).await;
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
        let st = lock(&shared.state);
        st.project_for(&p)
            .map(|i| st.projects[i].root().to_path_buf())
    });
    let running = root.is_some_and(|r| guard(&shared.jobs).running_on(&r).is_some());
    Ok(
        with_view(shared, "codeAction", &uri, |view, path, conv, _| {
            let mut fixes: Vec<QuickFix> = Vec::new();
            // Fixes carried by the client's diagnostics…
            for d in &params.context.diagnostics {
                let Some(fix) = actions::fix_of(d) else {
                    continue;
                };
                let r = convert::text_range(conv, d.range);
                if let Some((title, range, new_text)) = actions::quick_fix(&fix, conv.text, r) {
                    fixes.push(QuickFix {
                        title,
                        range,
                        new_text,
                        diagnostic: Some(d.clone()),
                    });
                }
            }
            // …else those of the findings we published on this range.
            if fixes.is_empty() {
                let want = convert::text_range(conv, params.range);
                for f in view.project.findings.for_file(path) {
                    let (Some(fix), Some(r)) = (&f.fix, f.range) else {
                        continue;
                    };
                    if r.end < want.start || r.start > want.end {
                        continue;
                    }
                    if let Some((title, range, new_text)) =
                        actions::quick_fix(&fix.clone().into(), conv.text, r)
                    {
                        fixes.push(QuickFix {
                            title,
                            range,
                            new_text,
                            diagnostic: None,
                        });
                    }
                }
            }
            let mut out: CodeActionResponse = fixes
                .into_iter()
                .map(|fix| convert::quick_fix(&uri, conv, fix))
                .collect();
            if commands_wanted {
                let at = conv.offset(params.range.start);
                for a in actions::command_actions(view, path, conv.text, at, running) {
                    out.push(convert::command_action(a, command_kind.clone()));
                }
            }
            (!out.is_empty()).then_some(out)
        })
        .flatten(),
    )
}

pub async fn execute_command(
    shared: &Arc<Shared>,
    params: ExecuteCommandParams,
) -> Result<Option<LSPAny>> {
    wait_ready(shared).await;
    commands::execute(shared, &params.command, &params.arguments)
        .await
        .map(Some)
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

pub async fn debug_text(shared: &Shared, params: DebugTextParams) -> Result<Option<DebugText>> {
    let mut st = lock(&shared.state);
    Ok(st
        .docs
        .get_mut(&params.text_document.uri)
        .map(|d| DebugText {
            version: d.version,
            text: d.text().to_string(),
        }))
}
