//! Re-checks: debounced after edits, run on the blocking pool against a snapshot, thrown away
//! when a newer change arrived meanwhile (per-project generation counter), and published in
//! order.

use crate::diagnostics::{self, Publish};
use crate::state::{Shared, lock};
use crate::workspace::{Pending, Project, discover, project_root_of};
use pact_core::gate;
use pact_core::model::TestLanguage;
use pact_core::testcode::{self, TestAnalysis};
use serde::Serialize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_lsp_server::ls_types::Uri;
use tower_lsp_server::ls_types::notification::Notification;
use tree_sitter::Tree;

/// `pact/indexed`: sent once every project is loaded (requests are answered from then on).
pub enum Indexed {}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexedParams {
    pub projects: usize,
    pub components: usize,
    pub findings: usize,
    pub millis: u64,
}

impl Notification for Indexed {
    type Params = IndexedParams;
    const METHOD: &'static str = "pact/indexed";
}

/// `pact/checked`: sent once the initial full check of every project has been published.
pub enum Checked {}

impl Notification for Checked {
    type Params = IndexedParams;
    const METHOD: &'static str = "pact/checked";
}

fn generation_of(shared: &Shared, root: &Path) -> Option<u64> {
    lock(&shared.state)
        .projects
        .iter()
        .find(|p| p.root() == root)
        .map(|p| p.generation)
}

/// Re-checks the project at `root` after `delay`, unless a newer change supersedes it.
pub fn schedule(shared: &Arc<Shared>, root: PathBuf, delay: Duration) {
    let Some(expected) = generation_of(shared, &root) else {
        return;
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        check(&shared, &root, expected).await;
    });
}

pub async fn send(shared: &Shared, pubs: Vec<Publish>) {
    for p in pubs {
        shared
            .client
            .publish_diagnostics(p.uri, p.diagnostics, p.version)
            .await;
    }
}

/// An open test file in the scope of a check: re-parsed incrementally from its tree.
struct TestBuf {
    uri: Uri,
    version: i32,
    lang: TestLanguage,
    text: Arc<str>,
    tree: Option<Tree>,
    /// Already analyzed at this version.
    analysis: Option<Arc<TestAnalysis>>,
}

/// What a check produced for an open test file, to keep for the next edit.
type Parsed = (Uri, i32, Tree, Arc<TestAnalysis>);

enum Prep {
    Nothing,
    Gone(Box<Project>),
    Run {
        docs: Arc<pact_core::store::ProjectDocs>,
        pending: Pending,
        key: Vec<String>,
        cache: gate::AnalysisCache,
        bufs: Vec<TestBuf>,
    },
}

/// Analyzes the open test files (incrementally) and hands the results to the gate's cache.
fn analyze_buffers(bufs: Vec<TestBuf>, cache: &mut gate::AnalysisCache) -> Vec<Parsed> {
    let mut out = Vec::new();
    for b in bufs {
        let analysis = match b.analysis {
            Some(a) => a,
            None => {
                let Some(tree) = crate::incremental::parse(b.lang, &b.text, b.tree.as_ref()) else {
                    continue;
                };
                let a = Arc::new(testcode::analyze_tree(b.lang, &tree, &b.text));
                out.push((b.uri, b.version, tree, a.clone()));
                a
            }
        };
        cache.insert(b.lang, &b.text, (*analysis).clone());
    }
    out
}

/// Brings the snapshot up to date and takes what the gate needs (under the lock, no await).
fn prepare(shared: &Shared, root: &Path, expected: u64) -> Prep {
    let mut st = lock(&shared.state);
    let open = st.open_map();
    let Some(idx) = st.index_of(root) else {
        return Prep::Nothing;
    };
    if st.projects[idx].generation != expected {
        return Prep::Nothing;
    }
    if !st.projects[idx].exists() {
        return Prep::Gone(Box::new(st.projects.remove(idx)));
    }
    let st = &mut *st;
    let p = &mut st.projects[idx];
    p.refresh(&open);
    if p.pending.is_empty() && p.touched.is_empty() {
        return Prep::Nothing;
    }
    let pending = p.pending.clone();
    let key = pending.cache_key();
    let cache = p.take_cache(&key);
    let mut bufs = Vec::new();
    for d in st.docs.values_mut() {
        let (Some(lang), Some(path)) = (d.lang, d.path.as_deref()) else {
            continue;
        };
        let cid = p.layout.classify(path).and_then(|(_, c)| c);
        if !p.contains(path) || !cid.is_some_and(|c| pending.all || pending.ids.contains(&c)) {
            continue;
        }
        let analysis = d
            .analysis
            .as_ref()
            .filter(|(v, _)| *v == d.version)
            .map(|(_, a)| a.clone());
        bufs.push(TestBuf {
            uri: d.uri.clone(),
            version: d.version,
            lang,
            text: d.text(),
            tree: d.tree().cloned(),
            analysis,
        });
    }
    Prep::Run {
        docs: p.docs.clone(),
        pending,
        key,
        cache,
        bufs,
    }
}

/// What a finished check hands back.
struct Finished {
    pending: Pending,
    key: Vec<String>,
    cache: gate::AnalysisCache,
    report: Result<gate::Report, Box<dyn std::any::Any + Send>>,
    parsed: Vec<Parsed>,
}

/// Stores the findings of a finished check and plans the publications (under the lock).
fn commit(
    shared: &Shared,
    root: &Path,
    expected: u64,
    done: Finished,
) -> Option<(Vec<Publish>, usize, bool)> {
    let Finished {
        pending,
        key,
        cache,
        report,
        parsed,
    } = done;
    let mut st = lock(&shared.state);
    for (uri, version, tree, analysis) in parsed {
        if let Some(d) = st.docs.get_mut(&uri).filter(|d| d.version == version) {
            d.set_tree(Some(tree));
            d.analysis = Some((version, analysis));
        }
    }
    let enc = st.enc;
    let st_lens_refresh = st.caps.lens_refresh;
    let open = st.open_map();
    let p = st.project_mut(root)?;
    p.put_cache(key, cache);
    let Ok(report) = report else {
        tracing::error!(
            "the validation gate panicked on {}; diagnostics left as they were",
            root.display()
        );
        return None;
    };
    if p.generation != expected {
        tracing::debug!("dropped a stale re-check of {}", root.display());
        return None;
    }
    let layout = p.layout.clone();
    let mut files = p.findings.commit(&layout, &pending, report.findings);
    files.extend(p.touched.drain());
    if std::mem::take(&mut p.results_dirty) {
        // New test results: the test files that showed failures and those that show them now.
        let now = diagnostics::failing_test_files(p);
        files.extend(p.failure_files.drain());
        files.extend(now.iter().cloned());
        p.failure_files = now;
    }
    p.pending = Pending::default();
    let lens = std::mem::take(&mut p.lens_dirty) && st_lens_refresh;
    Some((
        diagnostics::plan(p, files, &open, enc),
        p.findings.len(),
        lens,
    ))
}

/// One re-check of generation `expected`; returns the number of findings committed.
pub async fn check(shared: &Arc<Shared>, root: &Path, expected: u64) -> Option<usize> {
    let (docs, pending, key, mut cache, bufs) = match prepare(shared, root, expected) {
        Prep::Nothing => return None,
        Prep::Gone(mut p) => {
            let pubs = diagnostics::clear_all(&mut p);
            let _order = shared.publish.lock().await;
            send(shared, pubs).await;
            tracing::info!(
                "project {} is gone; its diagnostics are cleared",
                root.display()
            );
            return None;
        }
        Prep::Run {
            docs,
            pending,
            key,
            cache,
            bufs,
        } => (docs, pending, key, cache, bufs),
    };
    let scope = pending.scope();
    let started = Instant::now();
    let joined = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let parsed = catch_unwind(AssertUnwindSafe(|| analyze_buffers(bufs, &mut cache)))
            .unwrap_or_default();
        let parse_time = t.elapsed();
        let report = catch_unwind(AssertUnwindSafe(|| {
            gate::validate_scoped(&docs, &scope, &mut cache)
        }));
        tracing::debug!(
            "open test files analyzed in {parse_time:?}, gate in {:?}",
            t.elapsed() - parse_time
        );
        (report, cache, parsed)
    })
    .await;
    let Ok((report, cache, parsed)) = joined else {
        tracing::error!("a re-check of {} did not finish", root.display());
        return None;
    };
    let order = shared.publish.lock().await;
    let all = pending.all;
    let ids = pending.ids.len();
    let (pubs, count, lens) = commit(
        shared,
        root,
        expected,
        Finished {
            pending,
            key,
            cache,
            report,
            parsed,
        },
    )?;
    tracing::debug!(
        "checked {} ({}) in {:?}; {} publications",
        root.display(),
        if all {
            "all".to_string()
        } else {
            format!("{ids} components")
        },
        started.elapsed(),
        pubs.len()
    );
    send(shared, pubs).await;
    drop(order);
    if lens {
        let client = shared.client.clone();
        tokio::spawn(async move {
            let _ = client.code_lens_refresh().await;
        });
    }
    Some(count)
}

fn open_if_new(shared: &Shared, root: &Path) -> Option<crate::workspace::OpenMap> {
    let mut st = lock(&shared.state);
    if st.index_of(root).is_some() {
        return None;
    }
    Some(st.open_map())
}

fn insert(shared: &Shared, mut project: Project) -> Option<u64> {
    let mut st = lock(&shared.state);
    if st.index_of(project.root()).is_some() {
        return None;
    }
    // Buffers edited while it loaded are read again.
    let open_paths: Vec<PathBuf> = st
        .docs
        .values()
        .filter_map(|d| d.path.clone())
        .filter(|p| project.contains(p))
        .collect();
    for p in open_paths {
        project.mark(&p);
    }
    project.generation += 1;
    let generation = project.generation;
    st.projects.push(project);
    Some(generation)
}

/// Loads a project (unless known); returns the generation its first check must have.
async fn load_project(shared: &Arc<Shared>, root: PathBuf) -> Option<u64> {
    let open = open_if_new(shared, &root)?;
    let r = root.clone();
    let started = Instant::now();
    let Ok(project) = tokio::task::spawn_blocking(move || Project::load(&r, &open)).await else {
        tracing::error!("could not index {}", root.display());
        return None;
    };
    tracing::info!(
        "loaded {} ({} components) in {} ms",
        root.display(),
        project.component_ids().len(),
        started.elapsed().as_millis()
    );
    insert(shared, project)
}

/// Loads a project and checks it all; false when it was already known.
pub async fn add_project(shared: &Arc<Shared>, root: PathBuf) -> bool {
    let Some(generation) = load_project(shared, root.clone()).await else {
        return false;
    };
    check(shared, &root, generation).await;
    true
}

fn stats(shared: &Shared) -> (usize, usize, usize) {
    let mut st = lock(&shared.state);
    st.indexed = true;
    (
        st.projects.len(),
        st.projects
            .iter()
            .map(|p| p.component_ids().len())
            .sum::<usize>(),
        st.projects.iter().map(|p| p.findings.len()).sum::<usize>(),
    )
}

fn roots_and_open(shared: &Shared) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let st = lock(&shared.state);
    (
        st.roots.clone(),
        st.docs.values().filter_map(|d| d.path.clone()).collect(),
    )
}

/// Finds and indexes every project of the workspace folders, then reports `pact/indexed`.
pub async fn index(shared: Arc<Shared>) {
    let started = Instant::now();
    let (roots, open_paths) = roots_and_open(&shared);
    let mut found = tokio::task::spawn_blocking(move || discover(&roots))
        .await
        .unwrap_or_default();
    // Projects of files opened before we were ready, even outside the workspace folders.
    for p in open_paths {
        if let Some(r) = project_root_of(&p)
            && !found.iter().any(|f| p.starts_with(f))
        {
            found.push(r);
        }
    }
    let mut loaded = Vec::new();
    for root in found {
        if let Some(generation) = load_project(&shared, root.clone()).await {
            loaded.push((root, generation));
        }
    }
    let (projects, components, _) = stats(&shared);
    let millis = started.elapsed().as_millis() as u64;
    shared.ready.send_replace(true);
    tracing::info!("indexed {projects} project(s), {components} components in {millis} ms");
    shared
        .client
        .send_notification::<Indexed>(IndexedParams {
            projects,
            components,
            findings: 0,
            millis,
        })
        .await;
    for (root, generation) in loaded {
        check(&shared, &root, generation).await;
    }
    let (projects, components, findings) = stats(&shared);
    let millis = started.elapsed().as_millis() as u64;
    tracing::info!("checked {projects} project(s): {findings} findings, {millis} ms after start");
    shared
        .client
        .send_notification::<Checked>(IndexedParams {
            projects,
            components,
            findings,
            millis,
        })
        .await;
}
