//! A snapshot of a project's documents (text and parsed model), read in parallel. The gate checks
//! a snapshot; the language server builds one with its open buffers laid over the disk.

use super::fsio;
use super::layout::{Layout, is_test_code};
use crate::ids::{IdError, check_component_id};
use crate::json::{self, JsonError, JsonErrorKind};
use crate::model::{
    Certification, ComponentContract, ContractTestSuite, DecompositionTree, MutationRecord,
    RedFirstRecord, TestLanguage, TestLock, TestResults,
};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
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

/// Reads straight from the file system, through [`fsio::read_text`]: regular files only (a FIFO,
/// a device or a symbolic link loop is an error, never a hang), at most
/// [`json::max_bytes`], UTF-8 text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Source for Disk {
    fn read(&self, path: &Path) -> Result<Option<Arc<str>>, JsonError> {
        match fsio::read_text(path, crate::json::max_bytes(path)) {
            Ok(text) => Ok(text.map(Arc::from)),
            Err(e) => Err(JsonError::unreadable(&e)),
        }
    }
    fn subdirs(&self, dir: &Path) -> Vec<String> {
        list(dir, true)
    }
    fn files(&self, dir: &Path) -> Vec<String> {
        list(dir, false)
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

/// A file of the project that could not be read as text (a special file, too large, not UTF-8,
/// no permission): test files, and the engine's records. The gate reports each.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: PathBuf,
    pub component: Option<String>,
    pub error: JsonError,
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
    /// Test files and records that could not be read (documents with a model keep their error
    /// in their [`Doc`]).
    pub unreadable: Vec<Unreadable>,
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
    unreadable: Vec<Unreadable>,
}

/// Integrity records are the engine's own bookkeeping: damaged ones are treated as absent. One
/// that cannot be read at all (a special file, too large, binary) is also reported.
fn record<T: DeserializeOwned>(
    src: &dyn Source,
    path: PathBuf,
    cid: Option<&str>,
    unreadable: &mut Vec<Unreadable>,
) -> Option<T> {
    let doc = load_doc::<T>(src, path)?;
    match doc.value {
        Ok(v) => Some(v),
        Err(error) => {
            if error.kind == JsonErrorKind::Unreadable {
                unreadable.push(Unreadable {
                    path: doc.path,
                    component: cid.map(str::to_string),
                    error,
                });
            }
            None
        }
    }
}

/// A component's test files in `tests_dir`: the readable ones, and why the others are not.
fn test_files(src: &dyn Source, cid: &str, tests_dir: &Path) -> (Vec<TestFile>, Vec<Unreadable>) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for name in src.files(tests_dir).into_iter().filter(|n| is_test_code(n)) {
        let path = tests_dir.join(&name);
        let Some(language) = TestLanguage::from_path(&path) else {
            continue;
        };
        match src.read(&path) {
            Ok(Some(text)) => files.push(TestFile {
                path,
                text,
                language,
            }),
            Ok(None) => {}
            Err(error) => unreadable.push(Unreadable {
                path,
                component: Some(cid.to_string()),
                error,
            }),
        }
    }
    (files, unreadable)
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
                let (files, mut unreadable) = test_files(src, &cid, &layout.tests_dir(&cid));
                let (lock, red_first, mutation) = (
                    layout.lock_dir(&cid).join("lock.json"),
                    layout.integrity_dir(&cid).join("red_first.json"),
                    layout.integrity_dir(&cid).join("mutation.json"),
                );
                let some = Some(cid.as_str());
                let integrity = Integrity {
                    lock: record(src, lock, some, &mut unreadable),
                    red_first: record(src, red_first, some, &mut unreadable),
                    mutation: record(src, mutation, some, &mut unreadable),
                };
                let c = Component {
                    contract: load_doc(src, layout.contract(&cid)),
                    suite: load_doc(src, layout.suite(&cid)),
                    files,
                    results: load_doc(src, layout.test_results(&cid)),
                    integrity,
                    unreadable,
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
            unreadable: Vec::new(),
        };
        docs.certification = record(src, docs.layout.certification(), None, &mut docs.unreadable);
        for (cid, c) in loaded {
            docs.unreadable.extend(c.unreadable);
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

    /// Reads one test file of `cid` again (the language server, after an edit or a change on
    /// disk): its text, or why it cannot be read, replaces what the snapshot had for that path.
    pub fn reload_test_file(&mut self, src: &dyn Source, cid: &str, path: &Path) {
        self.unreadable.retain(|u| u.path != path);
        let files = self.test_files.entry(cid.to_string()).or_default();
        files.retain(|f| f.path != path);
        if let Some(language) = TestLanguage::from_path(path) {
            match src.read(path) {
                Ok(Some(text)) => {
                    files.push(TestFile {
                        path: path.to_path_buf(),
                        text,
                        language,
                    });
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                }
                Ok(None) => {}
                Err(error) => self.unreadable.push(Unreadable {
                    path: path.to_path_buf(),
                    component: Some(cid.to_string()),
                    error,
                }),
            }
        }
        if files.is_empty() {
            self.test_files.shift_remove(cid);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{self, Code};

    /// A project whose tree, contracts, suites, test files and records are every kind of file
    /// that is not a document: each one is a positioned `unreadable-file` finding, none is
    /// dropped, and reading them all takes no time.
    #[cfg(unix)]
    #[test]
    fn every_unreadable_file_is_a_positioned_finding() -> std::io::Result<()> {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir()?;
        let layout = Layout {
            root: tmp.path().to_path_buf(),
            kind: crate::store::LayoutKind::Seed,
        };
        let tests = |cid: &str| {
            let d = layout.tests_dir(cid);
            std::fs::create_dir_all(&d).map(|()| d)
        };
        let fifo = |p: &Path| std::process::Command::new("mkfifo").arg(p).status();
        std::fs::create_dir_all(layout.decomposition_dir())?;
        assert!(fifo(&layout.tree())?.success());
        let a = tests("a")?;
        symlink("/dev/zero", layout.contract("a"))?;
        std::fs::write(
            a.join("contract_test.py"),
            b"def test_a():\n    assert 1\n\xff\n",
        )?;
        std::fs::write(a.join("test_nul.py"), b"def test_b():\n    assert 1\0\n")?;
        let b = tests("b")?;
        symlink("/dev/urandom", b.join("contract_test.py"))?;
        symlink("loop", b.join("contract_test_suite.json"))?;
        symlink("contract_test_suite.json", b.join("loop"))?;
        std::fs::write(b.join("test_big.py"), vec![b'#'; 17 * 1024 * 1024])?;
        std::fs::create_dir_all(layout.lock_dir("b"))?;
        assert!(fifo(&layout.lock_dir("b").join("lock.json"))?.success());
        let started = std::time::Instant::now();
        let docs = ProjectDocs::load(layout.clone(), &Disk);
        let report = gate::validate(&docs);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let mut found: Vec<(String, String)> = report
            .findings
            .iter()
            .filter(|f| f.code == Code::Unreadable)
            .map(|f| {
                assert_eq!(f.start.map(|p| (p.line, p.column)), Some((1, 1)), "{f:?}");
                let file = f.file.as_deref().unwrap_or(Path::new(""));
                let rel = file.strip_prefix(tmp.path()).unwrap_or(file);
                (rel.display().to_string(), f.message.clone())
            })
            .collect();
        found.sort();
        let want = [
            (
                ".pact/contracts/a/interface.json",
                "interface.json of 'a' is a character device, not a regular file",
            ),
            (
                ".pact/contracts/a/tests/contract_test.py",
                "contract_test.py of 'a' is not UTF-8 text (an invalid byte at offset 27, line 3)",
            ),
            (
                ".pact/contracts/a/tests/test_nul.py",
                "test_nul.py of 'a' is binary, not text (a NUL byte at offset 26, line 2)",
            ),
            (
                ".pact/contracts/b/tests/contract_test.py",
                "contract_test.py of 'b' is a character device, not a regular file",
            ),
            (
                ".pact/contracts/b/tests/contract_test_suite.json",
                "contract_test_suite.json of 'b' is a symbolic link loop",
            ),
            (
                ".pact/contracts/b/tests/test_big.py",
                "test_big.py of 'b' is too large: 17 MB, over the 16 MB limit",
            ),
            (
                ".pact/decomposition/tree.json",
                "tree.json is a FIFO (named pipe), not a regular file",
            ),
            (
                ".pact/locks/b/lock.json",
                "lock.json of 'b' is a FIFO (named pipe), not a regular file",
            ),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(f, m)| (f.to_string(), m.to_string()))
            .collect();
        assert_eq!(found, want);
        assert!(!report.passed());
        Ok(())
    }

    /// The language server re-reads one test file after a change: a file that became unreadable
    /// is reported, and the report goes when it is readable again.
    #[test]
    fn reloading_a_test_file_tracks_whether_it_can_be_read() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let layout = Layout {
            root: tmp.path().to_path_buf(),
            kind: crate::store::LayoutKind::Seed,
        };
        let dir = layout.tests_dir("a");
        std::fs::create_dir_all(&dir)?;
        let p = dir.join("contract_test.py");
        std::fs::write(&p, "def test_a():\n    assert 1\n")?;
        let mut docs = ProjectDocs::load(layout, &Disk);
        assert_eq!(docs.test_files.get("a").map(Vec::len), Some(1));
        std::fs::write(&p, b"\xff\xfe")?;
        docs.reload_test_file(&Disk, "a", &p);
        assert!(docs.test_files.get("a").is_none());
        assert_eq!(docs.unreadable.len(), 1);
        std::fs::write(&p, "def test_a():\n    assert 1\n")?;
        docs.reload_test_file(&Disk, "a", &p);
        assert!(docs.unreadable.is_empty());
        assert_eq!(docs.test_files.get("a").map(Vec::len), Some(1));
        Ok(())
    }
}
