//! Where each document of a project lives, in the seed layout (everything under `.pact/`) or the
//! original's newer layout (deliverables at the project root).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// v0.3.0: `.pact/decomposition`, `.pact/contracts/<cid>/tests`, `.pact/implementations/<cid>/src`.
    Seed,
    /// v0.6+: `decomposition/`, `contracts/<cid>/`, `tests/<cid>/`, `src/<cid>/` at the root.
    Root,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub root: PathBuf,
    pub kind: LayoutKind,
}

impl Layout {
    /// The seed layout unless the project only has the newer one on disk.
    pub fn detect(root: &Path) -> Self {
        let seed =
            root.join(".pact/decomposition").is_dir() || root.join(".pact/contracts").is_dir();
        let newer =
            root.join("decomposition/tree.json").is_file() || root.join("contracts").is_dir();
        let kind = if !seed && newer {
            LayoutKind::Root
        } else {
            LayoutKind::Seed
        };
        Self {
            root: root.to_path_buf(),
            kind,
        }
    }

    fn deliverable(&self, rel: &str) -> PathBuf {
        match self.kind {
            LayoutKind::Seed => self.root.join(".pact").join(rel),
            LayoutKind::Root => self.root.join(rel),
        }
    }

    pub fn pact_dir(&self) -> PathBuf {
        self.root.join(".pact")
    }
    pub fn task_md(&self) -> PathBuf {
        self.root.join("task.md")
    }
    pub fn sops_md(&self) -> PathBuf {
        self.root.join("sops.md")
    }
    pub fn pact_yaml(&self) -> PathBuf {
        self.root.join("pact.yaml")
    }
    pub fn design_md(&self) -> PathBuf {
        self.root.join("design.md")
    }
    pub fn state(&self) -> PathBuf {
        self.pact_dir().join("state.json")
    }
    pub fn state_lock(&self) -> PathBuf {
        self.pact_dir().join(".state.lock")
    }
    pub fn audit(&self) -> PathBuf {
        self.pact_dir().join("audit.jsonl")
    }
    pub fn audit_lock(&self) -> PathBuf {
        self.pact_dir().join(".audit.lock")
    }
    pub fn budget(&self) -> PathBuf {
        self.pact_dir().join("budget.json")
    }
    pub fn decomposition_dir(&self) -> PathBuf {
        self.deliverable("decomposition")
    }
    pub fn tree(&self) -> PathBuf {
        self.decomposition_dir().join("tree.json")
    }
    pub fn decisions(&self) -> PathBuf {
        self.decomposition_dir().join("decisions.json")
    }
    pub fn interview(&self) -> PathBuf {
        self.decomposition_dir().join("interview.json")
    }
    pub fn contracts_dir(&self) -> PathBuf {
        self.deliverable("contracts")
    }
    pub fn contract_dir(&self, cid: &str) -> PathBuf {
        self.contracts_dir().join(cid)
    }
    pub fn contract(&self, cid: &str) -> PathBuf {
        self.contract_dir(cid).join("interface.json")
    }
    pub fn contract_history_dir(&self, cid: &str) -> PathBuf {
        self.contract_dir(cid).join("history")
    }
    /// The directory holding a component's test suite and test code.
    pub fn tests_dir(&self, cid: &str) -> PathBuf {
        match self.kind {
            LayoutKind::Seed => self.contract_dir(cid).join("tests"),
            LayoutKind::Root => self.root.join("tests").join(cid),
        }
    }
    /// Where the per-component test directories are listed from.
    pub fn tests_parent(&self) -> PathBuf {
        match self.kind {
            LayoutKind::Seed => self.contracts_dir(),
            LayoutKind::Root => self.root.join("tests"),
        }
    }
    pub fn suite(&self, cid: &str) -> PathBuf {
        self.tests_dir(cid).join("contract_test_suite.json")
    }
    pub fn implementation_dir(&self, cid: &str) -> PathBuf {
        self.pact_dir().join("implementations").join(cid)
    }
    pub fn implementation_src(&self, cid: &str) -> PathBuf {
        match self.kind {
            LayoutKind::Seed => self.implementation_dir(cid).join("src"),
            LayoutKind::Root => self.root.join("src").join(cid),
        }
    }
    /// The build record (`metadata.json`): what the implementation was built from and how its
    /// verdict was reached. The one place its path is spelled.
    pub fn build_record(&self, cid: &str) -> PathBuf {
        self.implementation_dir(cid).join("metadata.json")
    }
    pub fn test_results(&self, cid: &str) -> PathBuf {
        self.implementation_dir(cid).join("test_results.json")
    }
    pub fn attempts_dir(&self, cid: &str) -> PathBuf {
        self.implementation_dir(cid).join("attempts")
    }
    pub fn composition_dir(&self, parent: &str) -> PathBuf {
        self.pact_dir().join("compositions").join(parent)
    }
    pub fn learnings(&self) -> PathBuf {
        self.deliverable("learnings").join("learnings.jsonl")
    }
    /// Where tests are locked: hashes and the copy that runs (`.pact/locks/<cid>/`).
    pub fn lock_dir(&self, cid: &str) -> PathBuf {
        self.pact_dir().join("locks").join(cid)
    }
    /// The held-out suite no code agent sees (`.pact/hidden/<cid>/`).
    pub fn hidden_dir(&self, cid: &str) -> PathBuf {
        self.pact_dir().join("hidden").join(cid)
    }
    /// Red-first and mutation records (`.pact/integrity/<cid>/`).
    pub fn integrity_dir(&self, cid: &str) -> PathBuf {
        self.pact_dir().join("integrity").join(cid)
    }
    pub fn certification(&self) -> PathBuf {
        self.pact_dir().join("certification.json")
    }
    pub fn monitoring_dir(&self) -> PathBuf {
        self.pact_dir().join("monitoring")
    }

    /// Which component a path inside the project belongs to, and what it is.
    pub fn classify(&self, path: &Path) -> Option<(DocKind, Option<String>)> {
        use LayoutKind::{Root, Seed};
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<&str> = rel.iter().map(|p| p.to_str()).collect::<Option<_>>()?;
        match parts.as_slice() {
            ["task.md"] => return Some((DocKind::Task, None)),
            ["sops.md"] => return Some((DocKind::Sops, None)),
            ["pact.yaml"] => return Some((DocKind::Config, None)),
            _ => {}
        }
        let rest: &[&str] = match (self.kind, parts.as_slice()) {
            (_, [".pact", rest @ ..]) => rest,
            (Seed, _) => return None,
            (Root, rest) => rest,
        };
        let owned = |cid: &str| Some(cid.to_string());
        let found = match (self.kind, rest) {
            (_, ["decomposition", "tree.json"]) => (DocKind::Tree, None),
            (_, ["contracts", cid, "interface.json"]) => (DocKind::Contract, owned(cid)),
            (Seed, ["contracts", cid, "tests", file]) | (Root, ["tests", cid, file]) => {
                if *file == "contract_test_suite.json" {
                    (DocKind::Suite, owned(cid))
                } else if is_test_code(file) {
                    (DocKind::TestCode, owned(cid))
                } else {
                    return None;
                }
            }
            (Seed, ["implementations", cid, "src", _, ..]) | (Root, ["src", cid, _, ..]) => {
                (DocKind::Implementation, owned(cid))
            }
            (_, ["implementations", cid, "test_results.json"]) => {
                (DocKind::TestResults, owned(cid))
            }
            _ => return None,
        };
        Some(found)
    }
}

/// Is this file name a contract test file (`contract_test.py`, `*.test.ts`, `*.test.js`, …)?
pub fn is_test_code(name: &str) -> bool {
    (name.ends_with(".py") && (name.starts_with("contract_test") || name.starts_with("test_")))
        || name.ends_with(".test.ts")
        || name.ends_with(".test.js")
        || name.ends_with(".test.mjs")
        || name.ends_with(".spec.ts")
        || name.ends_with(".spec.js")
}

/// The kinds of document a Pact project has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Task,
    Sops,
    Config,
    Tree,
    Contract,
    Suite,
    TestCode,
    Implementation,
    TestResults,
}
