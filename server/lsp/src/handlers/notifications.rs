//! Notification handlers: `initialized`, the document lifecycle (open, change, save, close),
//! watched files, workspace folders, configuration, and the cancel of a job's progress. Each
//! changes the state synchronously, before any `.await` (rapid edits keep their order), then
//! schedules a re-check of the projects it touched.

use super::{apply_settings, guarded};
use crate::capabilities;
use crate::convert::{file_path, folder_path, progress_token};
use crate::diagnostics;
use crate::documents::Document;
use crate::scheduler::{self, schedule};
use crate::state::{Shared, guard, lock};
use crate::workspace::{Project, project_root_of};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower_lsp_server::ls_types::*;

/// Records a changed path in its project and schedules a re-check.
fn changed(shared: &Arc<Shared>, path: &Path, delay: Duration) {
    let root = {
        let mut st = lock(&shared.state);
        let Some(i) = st.project_for(path) else {
            let indexed = st.indexed;
            drop(st);
            if indexed {
                adopt(shared, path);
            }
            return;
        };
        let p = &mut st.projects[i];
        if !p.mark(path) {
            return;
        }
        p.root().to_path_buf()
    };
    schedule(shared, root, delay);
}

/// A file of a project we do not know yet: index that project in the background.
fn adopt(shared: &Arc<Shared>, path: &Path) {
    let Some(root) = project_root_of(path) else {
        return;
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        scheduler::add_project(&shared, root).await;
    });
}

/// Forgets the folders removed (and the projects under them); returns those projects.
fn drop_folders(shared: &Shared, removed: &[PathBuf], added: &[PathBuf]) -> Vec<Project> {
    let mut st = lock(&shared.state);
    st.roots.retain(|r| !removed.contains(r));
    st.roots.extend(added.iter().cloned());
    let (keep, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut st.projects)
        .into_iter()
        .partition(|p| !removed.iter().any(|r| p.root().starts_with(r)));
    st.projects = keep;
    gone
}

async fn register_watchers(shared: Arc<Shared>) {
    let reg = capabilities::watched_files();
    if let Err(e) = shared.client.register_capability(vec![reg]).await {
        tracing::warn!("the client refused file watchers: {e}");
    }
}

/// `initialized`: the log goes to the client from now on, file watchers are registered (when
/// the client registers them dynamically), and the workspace is indexed in the background.
pub async fn initialized(shared: &Arc<Shared>, _: InitializedParams) {
    let log = shared.log.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut rx) = log {
        let client = shared.client.clone();
        tokio::spawn(async move {
            while let Some((typ, msg)) = rx.recv().await {
                client.log_message(typ, msg).await;
            }
        });
    }
    if lock(&shared.state).caps.dynamic_watch {
        tokio::spawn(register_watchers(shared.clone()));
    }
    tokio::spawn(scheduler::index(shared.clone()));
}

pub async fn did_open(shared: &Arc<Shared>, params: DidOpenTextDocumentParams) {
    let d = params.text_document;
    let path = file_path(&d.uri);
    let delay = {
        let mut st = lock(&shared.state);
        st.docs.insert(
            d.uri.clone(),
            Document::new(d.uri, d.version, d.language_id, &d.text),
        );
        st.debounce
    };
    if let Some(path) = path {
        changed(shared, &path, delay);
    }
}

pub async fn did_change(shared: &Arc<Shared>, params: DidChangeTextDocumentParams) {
    let v = params.text_document;
    // Applied before any await: rapid edits keep their order.
    let (path, delay) = {
        let mut st = lock(&shared.state);
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
        changed(shared, &path, delay);
    }
}

pub async fn did_save(shared: &Arc<Shared>, params: DidSaveTextDocumentParams) {
    // An implementation saved: records about its sources (mutation, certification) may
    // no longer apply. Other documents are checked as they are typed.
    let Some(path) = file_path(&params.text_document.uri) else {
        return;
    };
    let (is_impl, delay) = {
        let st = lock(&shared.state);
        let is_impl = st.project_for(&path).is_some_and(|i| {
            matches!(
                st.projects[i].layout.classify(&path),
                Some((pact_core::store::DocKind::Implementation, _))
            )
        });
        (is_impl, st.debounce)
    };
    if is_impl {
        changed(shared, &path, delay);
    }
}

pub async fn did_close(shared: &Arc<Shared>, params: DidCloseTextDocumentParams) {
    let (path, delay) = {
        let mut st = lock(&shared.state);
        let d = st.docs.remove(&params.text_document.uri);
        (d.and_then(|d| d.path), st.debounce)
    };
    // The disk's text counts again.
    if let Some(path) = path {
        changed(shared, &path, delay);
    }
}

pub async fn did_change_configuration(shared: &Shared, params: DidChangeConfigurationParams) {
    apply_settings(shared, crate::jobs::Settings::from_value(&params.settings));
}

pub async fn did_change_watched_files(shared: &Arc<Shared>, params: DidChangeWatchedFilesParams) {
    let mut roots = Vec::new();
    let mut unknown = Vec::new();
    {
        let mut st = lock(&shared.state);
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
        schedule(shared, root, Duration::ZERO);
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
            let shared = shared.clone();
            tokio::spawn(async move {
                scheduler::add_project(&shared, root).await;
            });
        }
    }
}

pub async fn did_change_workspace_folders(
    shared: &Arc<Shared>,
    params: DidChangeWorkspaceFoldersParams,
) {
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
    let gone = drop_folders(shared, &removed, &added);
    {
        let _order = shared.publish.lock().await;
        for mut p in gone {
            scheduler::send(shared, diagnostics::clear_all(&mut p)).await;
        }
    }
    let found = tokio::task::spawn_blocking(move || crate::workspace::discover(&added))
        .await
        .unwrap_or_default();
    for root in found {
        scheduler::add_project(shared, root).await;
    }
}

/// `window/workDoneProgress/cancel`: the user cancelled a job's progress.
pub async fn work_done_progress_cancel(shared: &Shared, params: WorkDoneProgressCancelParams) {
    let token = progress_token(&params.token);
    match guard(&shared.jobs).cancel_token(&token) {
        Some(title) => tracing::info!("{title}: cancelled by the client"),
        None => tracing::debug!("cancel of an unknown or finished job ({token})"),
    }
}
