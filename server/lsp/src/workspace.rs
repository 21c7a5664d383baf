//! The workspace model: Pact projects found in the workspace folders, each with a snapshot of
//! its documents (open buffers laid over the disk), the reverse dependency index that bounds a
//! re-check, and what is still to be re-checked.

use crate::diagnostics::FindingStore;
use pact_core::gate::{AnalysisCache, Scope};
use pact_core::json::{self, JsonError};
use pact_core::model::ComponentContract;
use pact_core::store::{Disk, Doc, DocKind, Layout, ProjectDocs, Source};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The text of an open buffer, as of its version.
#[derive(Debug, Clone)]
pub struct OpenText {
    pub text: Arc<str>,
    pub version: i32,
}

pub type OpenMap = HashMap<PathBuf, OpenText>;

/// The disk, with open buffers laid over it (a buffer wins, even for a file not on disk yet).
pub struct Overlay<'a> {
    pub open: &'a OpenMap,
}

impl Source for Overlay<'_> {
    fn read(&self, path: &Path) -> Result<Option<Arc<str>>, JsonError> {
        match self.open.get(path) {
            Some(o) => Ok(Some(o.text.clone())),
            None => Disk.read(path),
        }
    }
    fn subdirs(&self, dir: &Path) -> Vec<String> {
        let mut names = Disk.subdirs(dir);
        for p in self.open.keys() {
            let Ok(rest) = p.strip_prefix(dir) else {
                continue;
            };
            let mut parts = rest.iter();
            if let (Some(first), Some(_)) = (parts.next(), parts.next())
                && let Some(n) = first.to_str().filter(|n| !n.starts_with('.'))
            {
                names.push(n.to_string());
            }
        }
        names.sort();
        names.dedup();
        names
    }
    fn files(&self, dir: &Path) -> Vec<String> {
        let mut names = Disk.files(dir);
        names.extend(
            self.open
                .keys()
                .filter(|p| p.parent() == Some(dir))
                .filter_map(|p| p.file_name()?.to_str().map(str::to_string)),
        );
        names.sort();
        names.dedup();
        names
    }
}

/// Does this directory hold a Pact project? A `.pact` directory never does: it is its parent's
/// state, though its `decomposition/tree.json` makes it look like a project of the root layout
/// (taken for one, a contract opened on its own became a second project of the same files).
pub fn is_project_root(dir: &Path) -> bool {
    if dir.file_name() == Some(std::ffi::OsStr::new(".pact")) {
        return false;
    }
    dir.join(".pact").is_dir()
        || dir.join("pact.yaml").is_file()
        || dir.join("decomposition/tree.json").is_file()
}

const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "__pycache__",
    "venv",
    "dist",
    "build",
];

/// Every project at or below the workspace folders (a few levels deep; not inside a project).
pub fn discover(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut queue: std::collections::VecDeque<(PathBuf, usize)> =
        roots.iter().map(|r| (r.clone(), 0)).collect();
    let mut visited = 0usize;
    while let Some((dir, depth)) = queue.pop_front() {
        visited += 1;
        if visited > 20_000 {
            tracing::warn!("project discovery stopped after 20000 directories");
            break;
        }
        if is_project_root(&dir) {
            if !found.contains(&dir) {
                found.push(dir);
            }
            continue;
        }
        if depth >= 4 {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut subdirs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                !n.starts_with('.') && !SKIP_DIRS.contains(&n.as_ref())
            })
            .map(|e| e.path())
            .collect();
        subdirs.sort();
        queue.extend(subdirs.into_iter().map(|d| (d, depth + 1)));
    }
    found
}

/// The project a file belongs to, found by walking up from it.
pub fn project_root_of(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|a| is_project_root(a) && Layout::detect(a).classify(path).is_some())
        .map(Path::to_path_buf)
}

/// What the next check must cover (accumulated until a check commits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending {
    pub all: bool,
    pub ids: HashSet<String>,
    pub tree: bool,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        !self.all && !self.tree && self.ids.is_empty()
    }
    pub fn scope(&self) -> Scope {
        if self.all {
            Scope::All
        } else {
            Scope::Components {
                ids: self.ids.clone(),
                tree: self.tree,
            }
        }
    }
    /// Identifies the analysis cache that fits this scope.
    pub fn cache_key(&self) -> Vec<String> {
        if self.all {
            return vec!["*".to_string()];
        }
        let mut k: Vec<String> = self.ids.iter().cloned().collect();
        k.sort();
        k
    }
}

/// The key under which the gate's `normalize_dependency_name` could match a name: lowercase
/// `_`-words, sorted. Exact and case-insensitive matches share it.
pub fn dep_key(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut words: Vec<&str> = lower.split('_').collect();
    words.sort_unstable();
    words.join("_")
}

/// One Pact project.
pub struct Project {
    pub layout: Layout,
    pub docs: Arc<ProjectDocs>,
    /// `dep_key(dependency)` → components whose contract names it.
    dependents: HashMap<String, HashSet<String>>,
    /// Paths whose text may differ from `docs`.
    pub dirty: HashSet<PathBuf>,
    /// Read everything again (a directory appeared or vanished).
    pub reload: bool,
    pub pending: Pending,
    /// Bumped by every change; a check whose generation is no longer current is thrown away.
    pub generation: u64,
    /// Versions of the open buffers whose text is in `docs`.
    pub versions: HashMap<PathBuf, i32>,
    pub findings: FindingStore,
    /// Files that currently show diagnostics in the client.
    pub published: HashSet<PathBuf>,
    /// Analysis caches per scope (the gate keeps only what a run used).
    caches: Vec<(Vec<String>, AnalysisCache)>,
    /// Paths re-read since the last commit (republished with their new version).
    pub touched: HashSet<PathBuf>,
    /// Test results (or the tree) changed: code lenses need a refresh.
    pub lens_dirty: bool,
    /// Test results changed: the `test-failed` diagnostics on test files are worked out again.
    pub results_dirty: bool,
    /// Test files that show `test-failed` diagnostics now.
    pub failure_files: HashSet<PathBuf>,
    /// The last contract that parsed, for components whose contract is mid-edit (invalid):
    /// hover and completion keep working while the user types.
    last_good: HashMap<String, ComponentContract>,
}

impl Project {
    pub fn load(root: &Path, open: &OpenMap) -> Self {
        let layout = Layout::detect(root);
        let docs = ProjectDocs::load(layout.clone(), &Overlay { open });
        let mut p = Self {
            layout,
            docs: Arc::new(docs),
            dependents: HashMap::new(),
            dirty: HashSet::new(),
            reload: false,
            pending: Pending {
                all: true,
                ..Default::default()
            },
            generation: 0,
            versions: HashMap::new(),
            findings: FindingStore::default(),
            published: HashSet::new(),
            caches: Vec::new(),
            touched: HashSet::new(),
            lens_dirty: false,
            results_dirty: true,
            failure_files: HashSet::new(),
            last_good: HashMap::new(),
        };
        p.rebuild_dependents();
        p.capture_versions(open);
        p
    }

    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    /// Whether the project directory is still there.
    pub fn exists(&self) -> bool {
        self.layout.root.is_dir()
    }

    pub fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.layout.root)
    }

    fn capture_versions(&mut self, open: &OpenMap) {
        self.versions = open
            .iter()
            .filter(|(p, _)| p.starts_with(&self.layout.root))
            .map(|(p, o)| (p.clone(), o.version))
            .collect();
    }

    fn rebuild_dependents(&mut self) {
        self.dependents.clear();
        let docs = self.docs.clone();
        for (cid, d) in &docs.contracts {
            for dep in d.ok().map(|c| c.dependencies.as_slice()).unwrap_or(&[]) {
                self.dependents
                    .entry(dep_key(dep))
                    .or_default()
                    .insert(cid.clone());
            }
        }
    }

    /// A component's contract: as parsed now, else as it last parsed.
    pub fn contract(&self, cid: &str) -> Option<&ComponentContract> {
        self.docs.contract(cid).or_else(|| self.last_good.get(cid))
    }

    /// Components whose contract depends on `cid` (by any name the gate would resolve to it).
    pub fn dependents_of(&self, cid: &str) -> HashSet<String> {
        let mut out = self
            .dependents
            .get(&dep_key(cid))
            .cloned()
            .unwrap_or_default();
        out.remove(cid);
        out
    }

    /// Every component id: tree order, then contracts and suites the tree does not list.
    pub fn component_ids(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let docs = &self.docs;
        docs.tree()
            .into_iter()
            .flat_map(|t| t.nodes.keys())
            .chain(docs.contracts.keys())
            .chain(docs.suites.keys())
            .chain(docs.test_files.keys())
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect()
    }

    fn known_ids(docs: &ProjectDocs) -> HashSet<String> {
        docs.tree()
            .into_iter()
            .flat_map(|t| t.nodes.keys())
            .chain(docs.contracts.keys())
            .chain(docs.suites.keys())
            .chain(docs.test_files.keys())
            .cloned()
            .collect()
    }

    /// The text of any file of the project: the snapshot, an open buffer, or the disk.
    pub fn text(&self, open: &OpenMap, path: &Path) -> Option<Arc<str>> {
        if let Some(t) = self.docs.text_of(path) {
            return Some(t.clone());
        }
        Overlay { open }.read(path).ok().flatten()
    }

    /// Marks a path as changed; returns whether it matters to this project at all.
    pub fn mark(&mut self, path: &Path) -> bool {
        if !self.contains(path) {
            return false;
        }
        match self.layout.classify(path) {
            Some(_) => {
                self.dirty.insert(path.to_path_buf());
            }
            None => {
                // A component directory (or the whole `.pact`) appeared or vanished.
                let structural = [
                    self.layout.contracts_dir(),
                    self.layout.tests_parent(),
                    self.layout.decomposition_dir(),
                ];
                let dir_like = path.extension().is_none();
                // The engine's integrity records (test locks, red-first and mutation records,
                // certification) are read with the project and checked by the gate.
                let pact = self.layout.pact_dir();
                let integrity = ["locks", "integrity", "certification.json"]
                    .iter()
                    .any(|d| path.starts_with(pact.join(d)));
                let relevant = path == self.root()
                    || path == pact
                    || integrity
                    || (dir_like && structural.iter().any(|s| path.starts_with(s)));
                if !relevant {
                    return false;
                }
                self.reload = true;
            }
        }
        self.generation += 1;
        true
    }

    /// Brings `docs` up to date with the dirty paths and records what the next check must
    /// cover. Returns whether test results changed (code lenses need a refresh).
    pub fn refresh(&mut self, open: &OpenMap) -> bool {
        if self.dirty.is_empty() && !self.reload {
            return false;
        }
        let overlay = Overlay { open };
        let dirty: Vec<PathBuf> = self.dirty.drain().collect();
        self.touched.extend(dirty.iter().cloned());
        if self.reload {
            self.reload = false;
            let docs = ProjectDocs::load(Layout::detect(&self.layout.root), &overlay);
            self.layout = docs.layout.clone();
            self.docs = Arc::new(docs);
            self.rebuild_dependents();
            self.capture_versions(open);
            self.pending.all = true;
            self.lens_dirty = true;
            self.results_dirty = true;
            return true;
        }
        let before_ids = Self::known_ids(&self.docs);
        let mut results_changed = false;
        for path in &dirty {
            match open.get(path) {
                Some(o) => self.versions.insert(path.clone(), o.version),
                None => self.versions.remove(path),
            };
            let Some((kind, cid)) = self.layout.classify(path) else {
                continue;
            };
            let docs = Arc::make_mut(&mut self.docs);
            match (kind, cid) {
                (DocKind::Contract, Some(cid)) => {
                    let old: Vec<String> = docs
                        .contract(&cid)
                        .map(|c| c.dependencies.clone())
                        .unwrap_or_default();
                    let previous = docs.contracts.get(&cid).and_then(|d| d.ok()).cloned();
                    replace(&mut docs.contracts, &cid, load_doc(&overlay, path));
                    match (docs.contracts.get(&cid).map(|d| d.value.is_ok()), previous) {
                        (Some(false), Some(prev)) => {
                            self.last_good.insert(cid.clone(), prev);
                        }
                        (Some(false), None) => {}
                        _ => {
                            self.last_good.remove(&cid);
                        }
                    }
                    let new: Vec<String> = docs
                        .contract(&cid)
                        .map(|c| c.dependencies.clone())
                        .unwrap_or_default();
                    if old != new {
                        for d in &old {
                            if let Some(s) = self.dependents.get_mut(&dep_key(d)) {
                                s.remove(&cid);
                            }
                        }
                        for d in &new {
                            self.dependents
                                .entry(dep_key(d))
                                .or_default()
                                .insert(cid.clone());
                        }
                    }
                    let deps = self.dependents_of(&cid);
                    self.pending.ids.extend(deps);
                    self.pending.ids.insert(cid);
                }
                (DocKind::Suite, Some(cid)) => {
                    replace(&mut docs.suites, &cid, load_doc(&overlay, path));
                    self.pending.ids.insert(cid);
                }
                (DocKind::TestCode, Some(cid)) => {
                    // Its text, or why it cannot be read (reported as `unreadable-file`).
                    docs.reload_test_file(&overlay, &cid, path);
                    self.pending.ids.insert(cid);
                }
                (DocKind::TestResults, Some(cid)) => {
                    replace(&mut docs.test_results, &cid, load_doc(&overlay, path));
                    results_changed = true;
                    self.results_dirty = true;
                }
                (DocKind::Implementation, Some(cid)) => {
                    // Mutation and certification records hold for one implementation (by the
                    // hash of its sources): a change on disk decides whether they still apply.
                    let recorded = docs
                        .integrity
                        .get(&cid)
                        .is_some_and(|i| i.mutation.is_some())
                        || docs
                            .certification
                            .as_ref()
                            .is_some_and(|c| c.components.contains_key(&cid));
                    if recorded {
                        self.pending.ids.insert(cid);
                        self.lens_dirty = true;
                    }
                }
                (DocKind::Tree, _) => {
                    let old = docs.tree().cloned();
                    docs.tree = load_doc(&overlay, path);
                    let new = docs.tree().cloned();
                    match (old, new) {
                        (Some(a), Some(b))
                            if a.root_id == b.root_id
                                && a.nodes.len() == b.nodes.len()
                                && a.nodes.keys().eq(b.nodes.keys()) =>
                        {
                            let changed: Vec<String> = b
                                .nodes
                                .iter()
                                .filter(|(k, n)| a.nodes.get(*k) != Some(*n))
                                .map(|(k, _)| k.clone())
                                .collect();
                            for c in changed {
                                let deps = self.dependents_of(&c);
                                self.pending.ids.extend(deps);
                                self.pending.ids.insert(c);
                            }
                            self.pending.tree = true;
                        }
                        _ => self.pending.all = true,
                    }
                    results_changed = true;
                }
                _ => {}
            }
        }
        if Self::known_ids(&self.docs) != before_ids {
            self.pending.all = true;
        }
        self.lens_dirty |= results_changed;
        results_changed
    }

    /// Takes the analysis cache for this scope (or a fresh one).
    /// Whole-project checks share `pact validate`'s persistent cache (`.pact/cache`), so a
    /// project validated before is indexed without parsing its test code again.
    pub fn take_cache(&mut self, key: &[String]) -> AnalysisCache {
        match self.caches.iter().position(|(k, _)| k == key) {
            Some(i) => self.caches.remove(i).1,
            None if key == ["*"] && self.layout.pact_dir().is_dir() => {
                AnalysisCache::open(&self.layout.pact_dir().join("cache"))
            }
            None => AnalysisCache::in_memory(),
        }
    }

    /// Gives a cache back; the few most recent scopes are kept.
    pub fn put_cache(&mut self, key: Vec<String>, cache: AnalysisCache) {
        self.caches.retain(|(k, _)| *k != key);
        self.caches.insert(0, (key, cache));
        self.caches.truncate(6);
    }
}

fn load_doc<T: DeserializeOwned>(src: &dyn Source, path: &Path) -> Option<Doc<T>> {
    match src.read(path) {
        Ok(None) => None,
        Ok(Some(text)) => {
            let value = json::parse::<T>(&text);
            Some(Doc {
                path: path.to_path_buf(),
                text,
                value,
            })
        }
        Err(e) => Some(Doc {
            path: path.to_path_buf(),
            text: Arc::from(""),
            value: Err(e),
        }),
    }
}

fn replace<T>(map: &mut indexmap::IndexMap<String, Doc<T>>, cid: &str, doc: Option<Doc<T>>) {
    match doc {
        Some(d) => {
            map.insert(cid.to_string(), d);
        }
        None => {
            map.shift_remove(cid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_keys_match_the_gates_normalisation() {
        assert_eq!(dep_key("word_counter"), dep_key("Counter_Word"));
        assert_eq!(dep_key("Tokenizer"), dep_key("tokenizer"));
        assert_ne!(dep_key("a_b"), dep_key("ab"));
    }

    #[test]
    fn a_document_under_pact_belongs_to_the_project_that_holds_pact() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("p");
        let contract = root.join(".pact/contracts/a/interface.json");
        std::fs::create_dir_all(contract.parent().unwrap()).unwrap();
        std::fs::create_dir_all(root.join(".pact/decomposition")).unwrap();
        std::fs::write(root.join(".pact/decomposition/tree.json"), "{}").unwrap();
        std::fs::write(&contract, "{}").unwrap();
        assert!(!is_project_root(&root.join(".pact")));
        assert_eq!(project_root_of(&contract), Some(root));
    }
}
