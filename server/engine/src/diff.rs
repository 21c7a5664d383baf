//! `pact diff`: a component's current implementation against one of its attempts — a competing
//! attempt of a competitive build, or an earlier implementation archived when it was rebuilt
//! (`implementations/<cid>/attempts/<id>/src/`). File by file, as unified diffs (`similar`),
//! from the attempt to the current code.

use pact_core::store::Project;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Larger files are compared by size and hash only.
const MAX_TEXT: u64 = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `implementations/<cid>/src/`.
    Current,
    /// One agent's attempt in a competitive build.
    Competitive,
    /// An implementation set aside when the component was rebuilt.
    Archived,
}

/// An implementation of the component.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `current`, or the attempt's id.
    pub id: String,
    pub kind: SourceKind,
    /// Its `src/`, relative to the project.
    pub path: String,
    /// The attempt that won its competitive build (its code is the current one's).
    pub winner: bool,
    /// Its tests as the attempt recorded them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    pub files: usize,
    #[serde(skip)]
    dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Modified,
    /// Only in the current implementation.
    Added,
    /// Only in the attempt.
    Removed,
    /// Differs, but is not text (or too large to show).
    Binary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileDiff {
    /// Relative to `src/`.
    pub path: String,
    pub change: Change,
    /// The unified diff (empty for a binary file).
    pub unified: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImplDiff {
    pub component: String,
    /// Every implementation of the component: the current one, then its attempts by id.
    pub sources: Vec<Source>,
    /// What is compared: the attempt (`from`) against the current implementation (`to`).
    pub from: String,
    pub to: String,
    /// Files that differ, by path; an empty list: the two are identical.
    pub files: Vec<FileDiff>,
}

#[derive(Debug, Error)]
pub enum DiffError {
    #[error(transparent)]
    Id(#[from] pact_core::ids::IdError),
    #[error("unknown component '{id}'{}", listed(.known))]
    UnknownComponent { id: String, known: Vec<String> },
    #[error("'{id}' has no implementation to compare: {} does not exist", .path)]
    NoImplementation { id: String, path: String },
    #[error(
        "'{id}' has no attempt to compare its implementation with (competitive builds and rebuilds leave them in {path})"
    )]
    NoAttempts { id: String, path: String },
    #[error("'{id}' has no attempt '{attempt}'{}", listed(.known))]
    UnknownAttempt {
        id: String,
        attempt: String,
        known: Vec<String>,
    },
    #[error("{0}")]
    Project(String),
}

fn listed(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!(" (known: {})", list.join(", "))
    }
}

/// Every implementation of `cid`: the current one (if it has code), then its attempts by id.
pub fn sources(project: &Project, cid: &str) -> Result<Vec<Source>, DiffError> {
    pact_core::ids::check_component_id(cid)?;
    let tree = project
        .load_tree()
        .map_err(|e| DiffError::Project(e.to_string()))?;
    let impl_dir = project.layout.implementation_dir(cid);
    let in_tree = tree.as_ref().is_some_and(|t| t.nodes.contains_key(cid));
    if !in_tree && !impl_dir.is_dir() {
        return Err(DiffError::UnknownComponent {
            id: cid.to_string(),
            known: tree
                .map(|t| t.nodes.keys().cloned().collect())
                .unwrap_or_default(),
        });
    }
    let rel = |p: &Path| {
        p.strip_prefix(project.root())
            .unwrap_or(p)
            .iter()
            .map(|s| s.to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    };
    let winner = project
        .load_build_record(cid)
        .ok()
        .flatten()
        .map(|r| r.winner_attempt)
        .unwrap_or_default();
    let mut out = Vec::new();
    let current = project.layout.implementation_src(cid);
    let current_files = list_files(&current);
    if !current_files.is_empty() {
        out.push(Source {
            id: "current".into(),
            kind: SourceKind::Current,
            path: rel(&current),
            winner: false,
            passed: None,
            total: None,
            files: current_files.len(),
            dir: current,
        });
    }
    let attempts = project.layout.attempts_dir(cid);
    let mut ids: Vec<String> = std::fs::read_dir(&attempts)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    for id in ids {
        let dir = attempts.join(&id);
        let meta: serde_json::Value = pact_core::store::fsio::read_text(
            &dir.join("metadata.json"),
            pact_core::json::MAX_DOCUMENT_BYTES as u64,
        )
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
        let archived = meta["type"] == "archived" || id.starts_with("archived_");
        let src = dir.join("src");
        out.push(Source {
            winner: !winner.is_empty() && winner == id,
            kind: if archived {
                SourceKind::Archived
            } else {
                SourceKind::Competitive
            },
            path: rel(&src),
            passed: meta["passed"].as_u64(),
            total: meta["total"].as_u64(),
            files: list_files(&src).len(),
            id,
            dir: src,
        });
    }
    Ok(out)
}

/// The current implementation of `cid` against `attempt` (by id), or by default against its
/// latest archived implementation, else its first attempt that did not win, else the winner.
pub fn diff(project: &Project, cid: &str, attempt: Option<&str>) -> Result<ImplDiff, DiffError> {
    let sources = sources(project, cid)?;
    let shown = |p: PathBuf| {
        p.strip_prefix(project.root())
            .map(Path::to_path_buf)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let Some(current) = sources.iter().find(|s| s.kind == SourceKind::Current) else {
        return Err(DiffError::NoImplementation {
            id: cid.to_string(),
            path: shown(project.layout.implementation_src(cid)),
        });
    };
    let attempts: Vec<&Source> = sources
        .iter()
        .filter(|s| s.kind != SourceKind::Current)
        .collect();
    let from = match attempt {
        Some(want) => attempts
            .iter()
            .find(|s| s.id == want)
            .copied()
            .ok_or_else(|| DiffError::UnknownAttempt {
                id: cid.to_string(),
                attempt: want.to_string(),
                known: attempts.iter().map(|s| s.id.clone()).collect(),
            })?,
        None => attempts
            .iter()
            .rev()
            .find(|s| s.kind == SourceKind::Archived)
            .or_else(|| attempts.iter().find(|s| !s.winner))
            .or_else(|| attempts.first())
            .copied()
            .ok_or_else(|| DiffError::NoAttempts {
                id: cid.to_string(),
                path: shown(project.layout.attempts_dir(cid)),
            })?,
    };
    let files = compare(&from.dir, &current.dir, &from.id, &current.id);
    Ok(ImplDiff {
        component: cid.to_string(),
        from: from.id.clone(),
        to: current.id.clone(),
        files,
        sources: sources.clone(),
    })
}

/// Regular files under `dir`, relative, `/`-separated (links are not followed; caches skipped).
fn list_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(ty) = e.file_type() else { continue };
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if ty.is_dir() {
                if name != "__pycache__" && name != "node_modules" {
                    stack.push((e.path(), rel));
                }
            } else if ty.is_file() && !name.ends_with(".pyc") {
                out.insert(rel, e.path());
            }
        }
    }
    out
}

fn read(path: &Path) -> Option<Vec<u8>> {
    pact_core::store::fsio::read_document(path, MAX_TEXT)
        .ok()
        .flatten()
}

fn compare(from: &Path, to: &Path, from_label: &str, to_label: &str) -> Vec<FileDiff> {
    let a = list_files(from);
    let b = list_files(to);
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let (pa, pb) = (a.get(name), b.get(name));
        let change = match (pa, pb) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            _ => Change::Modified,
        };
        // Absent: `None`; present but unreadable (special, too large): `Some(None)`.
        let old = pa.map(|p| read(p));
        let new = pb.map(|p| read(p));
        if change == Change::Modified && old == new && old.as_ref().is_some_and(Option::is_some) {
            continue;
        }
        let as_text = |side: Option<Option<Vec<u8>>>| match side {
            None => Some(String::new()),
            Some(None) => None,
            Some(Some(bytes)) => String::from_utf8(bytes).ok(),
        };
        let (Some(ta), Some(tb)) = (as_text(old), as_text(new)) else {
            out.push(FileDiff {
                path: name.clone(),
                change: Change::Binary,
                unified: String::new(),
            });
            continue;
        };
        let from_name = match change {
            Change::Added => "/dev/null".to_string(),
            _ => format!("{from_label}/{name}"),
        };
        let to_name = match change {
            Change::Removed => "/dev/null".to_string(),
            _ => format!("{to_label}/{name}"),
        };
        let unified = similar::TextDiff::from_lines(&ta, &tb)
            .unified_diff()
            .context_radius(3)
            .header(&from_name, &to_name)
            .to_string();
        out.push(FileDiff {
            path: name.clone(),
            change,
            unified,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_compared_as_unified_diffs() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(a.join("pkg"))?;
        std::fs::create_dir_all(b.join("pkg"))?;
        std::fs::write(a.join("same.py"), "x = 1\n")?;
        std::fs::write(b.join("same.py"), "x = 1\n")?;
        std::fs::write(a.join("pkg/m.py"), "def f():\n    return 1\n")?;
        std::fs::write(b.join("pkg/m.py"), "def f():\n    return 2\n")?;
        std::fs::write(a.join("old.py"), "gone = True\n")?;
        std::fs::write(b.join("new.py"), "here = True\n")?;
        std::fs::write(b.join("blob.bin"), [0xff, 0xfe, 0])?;
        std::fs::write(a.join("blob.bin"), [0xff, 0])?;
        let d = compare(&a, &b, "x1", "current");
        let changes: Vec<(&str, Change)> = d.iter().map(|f| (f.path.as_str(), f.change)).collect();
        assert_eq!(
            changes,
            [
                ("blob.bin", Change::Binary),
                ("new.py", Change::Added),
                ("old.py", Change::Removed),
                ("pkg/m.py", Change::Modified),
            ]
        );
        let m = &d[3].unified;
        assert!(
            m.starts_with("--- x1/pkg/m.py\n+++ current/pkg/m.py\n@@ -1,2 +1,2 @@\n"),
            "{m}"
        );
        assert!(m.contains("-    return 1\n+    return 2\n"), "{m}");
        assert!(
            d[1].unified
                .starts_with("--- /dev/null\n+++ current/new.py\n")
        );
        Ok(())
    }
}
