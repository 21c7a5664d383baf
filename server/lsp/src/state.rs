//! The server's shared state: open documents, projects, what the client can do.

use crate::documents::{Document, Encoding};
use crate::logging::LogReceiver;
use crate::workspace::{OpenMap, OpenText, Project};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::Uri;

/// What the client said it supports.
#[derive(Debug, Clone, Default)]
pub struct Caps {
    pub dynamic_watch: bool,
    pub resource_rename: bool,
    pub document_changes: bool,
    pub lens_refresh: bool,
    pub snippets: bool,
    /// `window.workDoneProgress`: the client shows server-created progress.
    pub work_done_progress: bool,
    /// Which editor it is (`clientInfo`): messages are worded for it.
    pub client: crate::wording::Client,
}

pub struct State {
    pub enc: Encoding,
    pub docs: HashMap<Uri, Document>,
    pub projects: Vec<Project>,
    pub roots: Vec<PathBuf>,
    pub caps: Caps,
    pub debounce: Duration,
    pub indexed: bool,
}

impl Default for State {
    fn default() -> Self {
        Self {
            enc: Encoding::Utf16,
            docs: HashMap::new(),
            projects: Vec::new(),
            roots: Vec::new(),
            caps: Caps::default(),
            debounce: Duration::from_millis(50),
            indexed: false,
        }
    }
}

impl State {
    /// The open file buffers' texts (materialised from their ropes).
    pub fn open_map(&mut self) -> OpenMap {
        self.docs
            .values_mut()
            .filter_map(|d| {
                let path = d.path.clone()?;
                Some((
                    path,
                    OpenText {
                        text: d.text(),
                        version: d.version,
                    },
                ))
            })
            .collect()
    }

    /// The project holding `path` (the innermost when projects nest).
    pub fn project_for(&self, path: &Path) -> Option<usize> {
        self.projects
            .iter()
            .enumerate()
            .filter(|(_, p)| p.contains(path))
            .max_by_key(|(_, p)| p.root().as_os_str().len())
            .map(|(i, _)| i)
    }

    pub fn index_of(&self, root: &Path) -> Option<usize> {
        self.projects.iter().position(|p| p.root() == root)
    }

    pub fn project_mut(&mut self, root: &Path) -> Option<&mut Project> {
        self.projects.iter_mut().find(|p| p.root() == root)
    }
}

/// Everything the protocol handlers and background tasks share.
pub struct Shared {
    pub client: Client,
    pub state: Mutex<State>,
    /// Held while committing and sending diagnostics, so publications keep their order.
    pub publish: tokio::sync::Mutex<()>,
    /// True once the initial index is done.
    pub ready: tokio::sync::watch::Sender<bool>,
    pub log: Mutex<Option<LogReceiver>>,
    pub shutdown: AtomicBool,
    /// Pipeline jobs started from the editor, one per project at most.
    pub jobs: Mutex<crate::jobs::Jobs>,
    /// The editor's settings for runs (`pact.backend`, `pact.model`, `pact.budget`, `pact.trace`).
    pub settings: Mutex<crate::jobs::Settings>,
}

/// Locks any of the small shared tables; a panic elsewhere never makes them unusable.
pub fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Locks the state; a panic elsewhere never makes it unusable.
pub fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
