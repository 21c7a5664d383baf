//! The plan as the model-free commands read it (`pact tasks`, `pact analyze`, `pact checklist`):
//! the decomposition tree and each component's contract and test suite, with their text (for
//! positions). A project without a tree, or with a tree, contract or suite that cannot be read,
//! is refused with the file and position; `pact validate` lists every problem.

use pact_core::json::JsonError;
use pact_core::model::{ComponentContract, ContractTestSuite, DecompositionTree};
use pact_core::store::{Doc, Project, ProjectDocs};
use pact_core::text::LineIndex;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ArtifactsError {
    #[error(
        "no decomposition tree: {} does not exist (`pact run --plan-only` decomposes the task)",
        .path.display()
    )]
    NoTree { path: PathBuf },
    #[error("{}:{line}:{column}: {message} (`pact validate` lists every problem)", .path.display())]
    Damaged {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("{}: component id '{id}' cannot be used: {reason} (`pact validate` lists every problem)", .path.display())]
    InvalidId {
        path: PathBuf,
        id: String,
        reason: String,
    },
}

/// The project's plan, read once.
#[derive(Debug)]
pub struct Artifacts {
    pub tree: DecompositionTree,
    /// Where the tree was read from, and its text.
    pub tree_path: PathBuf,
    pub tree_text: std::sync::Arc<str>,
    /// Every contract, suite and test file (the tree taken out).
    pub docs: ProjectDocs,
}

/// Reads the plan of `project`.
pub fn load(project: &Project) -> Result<Artifacts, ArtifactsError> {
    let mut docs = project.docs();
    let Some(tree_doc) = docs.tree.take() else {
        return Err(ArtifactsError::NoTree {
            path: project.layout.tree(),
        });
    };
    let tree = match &tree_doc.value {
        Ok(t) => t.clone(),
        Err(e) => return Err(damaged(&tree_doc, e)),
    };
    for id in tree.nodes.keys() {
        if let Err(e) = pact_core::ids::check_component_id(id) {
            return Err(ArtifactsError::InvalidId {
                path: tree_doc.path.clone(),
                id: id.clone(),
                reason: e.to_string(),
            });
        }
        if let Some(d) = docs.contracts.get(id)
            && let Err(e) = &d.value
        {
            return Err(damaged(d, e));
        }
        if let Some(d) = docs.suites.get(id)
            && let Err(e) = &d.value
        {
            return Err(damaged(d, e));
        }
    }
    Ok(Artifacts {
        tree,
        tree_path: tree_doc.path,
        tree_text: tree_doc.text,
        docs,
    })
}

fn damaged<T>(doc: &Doc<T>, e: &JsonError) -> ArtifactsError {
    let pos = LineIndex::new(&doc.text).line_col(&doc.text, e.range.start);
    ArtifactsError::Damaged {
        path: doc.path.clone(),
        line: pos.line,
        column: pos.column,
        message: e.message.clone(),
    }
}

/// The run state, read without taking its lock (which would create `.pact/.state.lock` in a
/// project that has none): writes replace the file whole, so a reader sees one state or the
/// other. For commands that only look; a change goes through `Project::update_state`.
pub fn read_state(
    project: &Project,
) -> Result<Option<pact_core::model::RunState>, pact_core::store::StoreError> {
    use pact_core::store::{StoreError, fsio};
    let path = project.layout.state();
    let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
    let unreadable = |reason| StoreError::Unreadable {
        path: path.clone(),
        reason,
    };
    let Some(bytes) = fsio::read_document(&path, max).map_err(unreadable)? else {
        return Ok(None);
    };
    let text = fsio::check_text(&bytes).map_err(unreadable)?;
    pact_core::json::parse(text)
        .map(Some)
        .map_err(|e| StoreError::json(&path, text, &e))
}

/// A place in a file of the project: its path relative to the project, and a 1-based line and
/// column (in characters) when the place is known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        Ok(())
    }
}

impl Artifacts {
    pub fn contract(&self, cid: &str) -> Option<&ComponentContract> {
        self.docs.contract(cid)
    }
    pub fn suite(&self, cid: &str) -> Option<&ContractTestSuite> {
        self.docs.suite(cid)
    }
    /// The project's root directory.
    pub fn root(&self) -> &Path {
        &self.docs.layout.root
    }
    /// `path` relative to the project (as typed from its root), `/`-separated.
    pub fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(self.root()).unwrap_or(path);
        rel.iter()
            .map(|p| p.to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
    /// A file of the project, without a position.
    pub fn file(&self, path: &Path) -> Location {
        Location {
            file: self.relative(path),
            line: None,
            column: None,
        }
    }
    /// The contract file of `cid` at the value `path` inside it (at `needle` within that
    /// string value, when given), or the file alone when the place cannot be found.
    pub fn in_contract(
        &self,
        cid: &str,
        path: &[pact_core::json::Seg],
        needle: Option<&str>,
    ) -> Location {
        let file = self.docs.layout.contract(cid);
        let Some(doc) = self.docs.contracts.get(cid) else {
            return self.file(&file);
        };
        let range = match needle {
            Some(n) => pact_core::json::locate_in_string(&doc.text, path, n)
                .or_else(|| pact_core::json::locate(&doc.text, path)),
            None => pact_core::json::locate(&doc.text, path),
        };
        self.at(&doc.path, &doc.text, range.map(|r| r.start))
    }
    /// The tree file at the key of `cid`'s node.
    pub fn in_tree(&self, cid: &str) -> Location {
        let path = [
            pact_core::json::Seg::from("nodes"),
            pact_core::json::Seg::from(cid),
        ];
        let at = pact_core::json::locate_key(&self.tree_text, &path).map(|r| r.start);
        self.at(&self.tree_path, &self.tree_text, at)
    }
    /// `file` at byte `offset` of its `text`.
    pub fn at(&self, file: &Path, text: &str, offset: Option<usize>) -> Location {
        let mut loc = self.file(file);
        if let Some(o) = offset {
            let pos = LineIndex::new(text).line_col(text, o);
            loc.line = Some(pos.line);
            loc.column = Some(pos.column);
        }
        loc
    }
}
