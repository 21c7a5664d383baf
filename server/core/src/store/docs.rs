//! A snapshot of a project's documents (text and parsed model), read in parallel. The gate checks
//! a snapshot; the language server builds one with its open buffers laid over the disk.

use super::layout::{Layout, is_test_code};
use crate::ids::{IdError, check_component_id};
use crate::json::{self, JsonError, JsonErrorKind};
use crate::model::{
    Certification, ComponentContract, ContractTestSuite, DecompositionTree, MutationRecord,
    RedFirstRecord, TestLanguage, TestLock, TestResults,
};
use crate::text::TextRange;
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where document text comes from: the disk, or the disk overlaid with editor buffers.
pub trait Source: Sync {
    /// The file's text; `Ok(None)` when it does not exist.
    fn read(&self, path: &Path) -> Result<Option<Arc<str>>, JsonError>;
    /// Names of the directories directly inside `dir` (empty when it does not exist).
    fn subdirs(&self, dir: &Path) -> Vec<String>;
    /// Names of the files directly inside `dir`.
    fn files(&self, dir: &Path) -> Vec<String>;
}

/// Reads straight from the file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Source for Disk {
    fn read(&self, path: &Path) -> Result<Option<Arc<str>>, JsonError> {
        match std::fs::read(path) {
            Ok(bytes) => json::decode(&bytes).map(|t| Some(Arc::from(t))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
                Err(unreadable(format!("{} is a directory", path.display())))
            }
            Err(e) => Err(unreadable(format!("cannot read: {e}"))),
        }
    }
    fn subdirs(&self, dir: &Path) -> Vec<String> {
        list(dir, true)
    }
    fn files(&self, dir: &Path) -> Vec<String> {
        list(dir, false)
    }
}

fn unreadable(message: String) -> JsonError {
    JsonError {
        kind: JsonErrorKind::Unreadable,
        message,
        range: TextRange::default(),
    }
}

fn list(dir: &Path, dirs: bool) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir() == dirs))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// One JSON document: where it is, its text, and the model parsed from it (or why not).
#[derive(Debug, Clone)]
pub struct Doc<T> {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub value: Result<T, JsonError>,
}

impl<T> Doc<T> {
    pub fn ok(&self) -> Option<&T> {
        self.value.as_ref().ok()
    }
}

/// A contract test file on disk (`contract_test.py`, `*.test.ts`, …).
#[derive(Debug, Clone)]
pub struct TestFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub language: TestLanguage,
}

/// Everything the gate and the language server look at, for one project.
#[derive(Debug, Clone)]
pub struct ProjectDocs {
    pub layout: Layout,
    pub tree: Option<Doc<DecompositionTree>>,
    /// Keyed by directory name (= component id), tree order first.
    pub contracts: IndexMap<String, Doc<ComponentContract>>,
    pub suites: IndexMap<String, Doc<ContractTestSuite>>,
    pub test_files: IndexMap<String, Vec<TestFile>>,
    pub test_results: IndexMap<String, Doc<TestResults>>,
    /// Directories whose names cannot be component ids; they are reported, never used as paths.
    pub bad_ids: Vec<(PathBuf, IdError)>,
    /// Test locks, red-first and mutation records, by component.
    pub integrity: IndexMap<String, Integrity>,
    pub certification: Option<Certification>,
}

/// The integrity records of one component (see [`crate::model::TestLock`] and friends).
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    pub lock: Option<TestLock>,
    pub red_first: Option<RedFirstRecord>,
    pub mutation: Option<MutationRecord>,
}

fn load_doc<T: DeserializeOwned>(src: &dyn Source, path: PathBuf) -> Option<Doc<T>> {
    match src.read(&path) {
        Ok(None) => None,
        Ok(Some(text)) => {
            let value = json::parse::<T>(&text);
            Some(Doc { path, text, value })
        }
        Err(e) => Some(Doc {
            path,
            text: Arc::from(""),
            value: Err(e),
        }),
    }
}

struct Component {
    contract: Option<Doc<ComponentContract>>,
    suite: Option<Doc<ContractTestSuite>>,
    files: Vec<TestFile>,
    results: Option<Doc<TestResults>>,
    integrity: Integrity,
}

/// Integrity records are the engine's own bookkeeping: unreadable ones are treated as absent.
fn record<T: DeserializeOwned>(src: &dyn Source, path: PathBuf) -> Option<T> {
    load_doc::<T>(src, path).and_then(|d| d.value.ok())
}

impl ProjectDocs {
    /// Reads every document of the project at `layout` through `src`, using all cores.
    pub fn load(layout: Layout, src: &dyn Source) -> Self {
        let tree: Option<Doc<DecompositionTree>> = load_doc(src, layout.tree());
        let mut ids: IndexMap<String, ()> = IndexMap::new();
        if let Some(t) = tree.as_ref().and_then(|t| t.ok()) {
            ids.extend(t.nodes.keys().map(|k| (k.clone(), ())));
        }
        ids.extend(
            src.subdirs(&layout.contracts_dir())
                .into_iter()
                .map(|k| (k, ())),
        );
        ids.extend(
            src.subdirs(&layout.tests_parent())
                .into_iter()
                .map(|k| (k, ())),
        );
        let mut bad_ids = Vec::new();
        let ids: Vec<String> = ids
            .into_keys()
            .filter(|id| match check_component_id(id) {
                Ok(()) => true,
                Err(e) => {
                    // Tree ids are reported by the gate against tree.json; directories here.
                    let in_tree = tree
                        .as_ref()
                        .and_then(|t| t.ok())
                        .is_some_and(|t| t.nodes.contains_key(id));
                    if !in_tree {
                        bad_ids.push((layout.contracts_dir().join(id), e));
                    }
                    false
                }
            })
            .collect();
        let loaded: Vec<(String, Component)> = ids
            .into_par_iter()
            .map(|cid| {
                let tests_dir = layout.tests_dir(&cid);
                let files = src
                    .files(&tests_dir)
                    .into_iter()
                    .filter(|n| is_test_code(n))
                    .filter_map(|n| {
                        let path = tests_dir.join(&n);
                        let language = TestLanguage::from_path(&path)?;
                        let text = src.read(&path).ok().flatten()?;
                        Some(TestFile {
                            path,
                            text,
                            language,
                        })
                    })
                    .collect();
                let c = Component {
                    contract: load_doc(src, layout.contract(&cid)),
                    suite: load_doc(src, layout.suite(&cid)),
                    files,
                    results: load_doc(src, layout.test_results(&cid)),
                    integrity: Integrity {
                        lock: record(src, layout.lock_dir(&cid).join("lock.json")),
                        red_first: record(src, layout.integrity_dir(&cid).join("red_first.json")),
                        mutation: record(src, layout.integrity_dir(&cid).join("mutation.json")),
                    },
                };
                (cid, c)
            })
            .collect();
        let mut docs = ProjectDocs {
            layout,
            tree,
            contracts: IndexMap::new(),
            suites: IndexMap::new(),
            test_files: IndexMap::new(),
            test_results: IndexMap::new(),
            bad_ids,
            integrity: IndexMap::new(),
            certification: None,
        };
        docs.certification = record(src, docs.layout.certification());
        for (cid, c) in loaded {
            if let Some(d) = c.contract {
                docs.contracts.insert(cid.clone(), d);
            }
            if let Some(d) = c.suite {
                docs.suites.insert(cid.clone(), d);
            }
            if !c.files.is_empty() {
                docs.test_files.insert(cid.clone(), c.files);
            }
            if let Some(d) = c.results {
                docs.test_results.insert(cid.clone(), d);
            }
            let i = c.integrity;
            if i.lock.is_some() || i.red_first.is_some() || i.mutation.is_some() {
                docs.integrity.insert(cid, i);
            }
        }
        docs
    }

    pub fn tree(&self) -> Option<&DecompositionTree> {
        self.tree.as_ref().and_then(|t| t.ok())
    }
    pub fn contract(&self, cid: &str) -> Option<&ComponentContract> {
        self.contracts.get(cid).and_then(|d| d.ok())
    }
    pub fn suite(&self, cid: &str) -> Option<&ContractTestSuite> {
        self.suites.get(cid).and_then(|d| d.ok())
    }

    /// The text of any document in the snapshot, by path.
    pub fn text_of(&self, path: &Path) -> Option<&Arc<str>> {
        if let Some(t) = self.tree.as_ref().filter(|t| t.path == path) {
            return Some(&t.text);
        }
        let cid = self.layout.classify(path).and_then(|(_, c)| c)?;
        [
            self.contracts.get(&cid).map(|d| (&d.path, &d.text)),
            self.suites.get(&cid).map(|d| (&d.path, &d.text)),
        ]
        .into_iter()
        .flatten()
        .chain(
            self.test_files
                .get(&cid)
                .into_iter()
                .flatten()
                .map(|f| (&f.path, &f.text)),
        )
        .chain(self.test_results.get(&cid).map(|d| (&d.path, &d.text)))
        .find(|(p, _)| p.as_path() == path)
        .map(|(_, t)| t)
    }
}
