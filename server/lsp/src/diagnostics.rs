//! The gate's findings as LSP diagnostics: which findings a scoped re-check replaces, and what
//! to publish for each file (with the buffer version the findings were computed from).

use crate::documents::{Conv, Encoding, file_uri};
use crate::workspace::{OpenMap, Pending, Project};
use pact_core::gate::{Code, Finding, Fix, Severity};
use pact_core::store::Layout;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, Uri,
};

/// What part of the project a finding belongs to: a re-check of that part replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unit {
    Component(String),
    /// Findings about the tree's own graph and document.
    Tree,
    /// A dependency cycle, by its (sorted) members: any member's re-check replaces it.
    Cycle(Vec<String>),
    /// Findings of no component (re-emitted by every check).
    Global,
}

fn unit_of(layout: &Layout, f: &Finding) -> Unit {
    let cid_of = |p: &Path| layout.classify(p).and_then(|(_, c)| c);
    match f.code {
        Code::MissingTree | Code::MissingRoot | Code::DanglingChild | Code::TreeCycle => Unit::Tree,
        Code::DependencyCycle => {
            let mut members: Vec<String> = f
                .file
                .iter()
                .chain(f.related.iter().map(|r| &r.file))
                .filter_map(|p| cid_of(p))
                .chain(f.component.clone())
                .collect();
            members.sort();
            members.dedup();
            Unit::Cycle(members)
        }
        _ => match &f.component {
            Some(c) => Unit::Component(c.clone()),
            None if f.file.as_deref() == Some(layout.tree().as_path()) => Unit::Tree,
            None => Unit::Global,
        },
    }
}

/// The gate reports a cycle once, on the edge that closes it, with the other edges as related
/// information. Editors show it on every edge: each related edge gets the same diagnostic, its
/// related information pointing at the others.
fn expand_cycles(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out = Vec::with_capacity(findings.len());
    for f in findings {
        let is_cycle = matches!(f.code, Code::DependencyCycle | Code::TreeCycle);
        if is_cycle
            && !f.related.is_empty()
            && let (Some(file), Some(range)) = (f.file.clone(), f.range)
        {
            let here = pact_core::gate::Related {
                file,
                range,
                message: f.component.as_ref().map_or_else(
                    || "part of the cycle".to_string(),
                    |c| format!("'{c}' is part of the cycle"),
                ),
            };
            let edges: Vec<pact_core::gate::Related> = std::iter::once(here)
                .chain(f.related.iter().cloned())
                .collect();
            for (i, edge) in edges.iter().enumerate().skip(1) {
                let mut g = f.clone();
                g.file = Some(edge.file.clone());
                g.range = Some(edge.range);
                g.related = edges
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, r)| r.clone())
                    .collect();
                g.start = None;
                g.end = None;
                out.push(g);
            }
        }
        out.push(f);
    }
    out
}

/// The findings currently shown, by unit.
#[derive(Debug, Default)]
pub struct FindingStore {
    units: HashMap<Unit, Vec<Finding>>,
}

impl FindingStore {
    /// Replaces the findings of what `pending` covered with `findings`. Returns the files whose
    /// diagnostics may have changed.
    pub fn commit(
        &mut self,
        layout: &Layout,
        pending: &Pending,
        findings: Vec<Finding>,
    ) -> HashSet<PathBuf> {
        let covered = |u: &Unit| -> bool {
            pending.all
                || match u {
                    Unit::Component(c) => pending.ids.contains(c),
                    Unit::Tree => pending.tree,
                    Unit::Global => true,
                    Unit::Cycle(m) => m.iter().any(|c| pending.ids.contains(c)),
                }
        };
        let mut touched = HashSet::new();
        self.units.retain(|u, fs| {
            if covered(u) {
                touched.extend(fs.iter().filter_map(|f| f.file.clone()));
                false
            } else {
                true
            }
        });
        for f in expand_cycles(findings) {
            let list = self.units.entry(unit_of(layout, &f)).or_default();
            if list.contains(&f) {
                continue;
            }
            touched.extend(f.file.clone());
            list.push(f);
        }
        touched
    }

    /// Forgets everything; returns the files that showed something.
    pub fn clear(&mut self) -> HashSet<PathBuf> {
        let files = self
            .units
            .values()
            .flatten()
            .filter_map(|f| f.file.clone())
            .collect();
        self.units.clear();
        files
    }

    /// The findings on one file, in text order, each once.
    pub fn for_file(&self, path: &Path) -> Vec<&Finding> {
        let mut out: Vec<&Finding> = self
            .units
            .values()
            .flatten()
            .filter(|f| f.file.as_deref() == Some(path))
            .collect();
        out.sort_by_key(|f| {
            (
                f.range.map(|r| (r.start, r.end)),
                f.code.as_str(),
                f.message.as_str(),
            )
        });
        out.dedup_by(|a, b| a.code == b.code && a.range == b.range && a.message == b.message);
        out
    }

    pub fn len(&self) -> usize {
        self.units.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One `textDocument/publishDiagnostics`.
#[derive(Debug, Clone)]
pub struct Publish {
    pub uri: Uri,
    pub version: Option<i32>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The diagnostics of a finding, its range converted in the text it was computed on.
pub fn to_diagnostic(
    f: &Finding,
    conv: &Conv,
    related: &dyn Fn(&Path, pact_core::text::TextRange) -> Option<Location>,
) -> Diagnostic {
    let range = f
        .range
        .map(|r| conv.range(r))
        .unwrap_or_else(|| Range::new(Position::new(0, 0), Position::new(0, 0)));
    let severity = match f.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let related_information: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: related(&r.file, r.range)?,
                message: r.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String(f.code.as_str().to_string())),
        code_description: None,
        source: Some("pact".to_string()),
        message: f.message.clone(),
        related_information: (!related_information.is_empty()).then_some(related_information),
        tags: None,
        data: f
            .fix
            .clone()
            .and_then(|fix| serde_json::to_value(FixData { fix: fix.into() }).ok()),
    }
}

/// What a diagnostic carries for its quick fix.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FixData {
    pub fix: FixDto,
}

/// [`Fix`] in a form that reads back from JSON.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixDto {
    Replace { with: String },
    AddDependency { id: String },
}

impl From<Fix> for FixDto {
    fn from(f: Fix) -> Self {
        match f {
            Fix::Replace { with } => FixDto::Replace { with },
            Fix::AddDependency { id } => FixDto::AddDependency { id },
        }
    }
}

/// Builds the publications for `files`, converting ranges in the texts of the snapshot.
pub fn plan(
    project: &mut Project,
    files: HashSet<PathBuf>,
    open: &OpenMap,
    enc: Encoding,
) -> Vec<Publish> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = files.into_iter().collect();
    files.sort();
    let mut shown: Vec<(PathBuf, bool)> = Vec::new();
    {
        let project: &Project = project;
        let text_of = |p: &Path| project.text(open, p);
        for path in files {
            if path.is_dir() {
                continue;
            }
            let Some(uri) = file_uri(&path) else { continue };
            let findings = project.findings.for_file(&path);
            let open_version = project.versions.get(&path).copied();
            if findings.is_empty() && !project.published.contains(&path) && open_version.is_none() {
                continue;
            }
            let text = text_of(&path).unwrap_or_else(|| std::sync::Arc::from(""));
            let conv = Conv::new(&text, enc);
            let related = |p: &Path, r: pact_core::text::TextRange| -> Option<Location> {
                let t = if p == path { text.clone() } else { text_of(p)? };
                Some(Location {
                    uri: file_uri(p)?,
                    range: Conv::new(&t, enc).range(r),
                })
            };
            let diagnostics: Vec<Diagnostic> = findings
                .iter()
                .map(|f| to_diagnostic(f, &conv, &related))
                .collect();
            shown.push((path.clone(), !diagnostics.is_empty()));
            out.push(Publish {
                uri,
                version: open_version,
                diagnostics,
            });
        }
    }
    for (path, any) in shown {
        if any {
            project.published.insert(path);
        } else {
            project.published.remove(&path);
        }
    }
    out
}

/// Empty publications for every file a project showed diagnostics on (it went away).
pub fn clear_all(project: &mut Project) -> Vec<Publish> {
    let mut files = project.findings.clear();
    files.extend(project.published.drain());
    let mut files: Vec<PathBuf> = files.into_iter().collect();
    files.sort();
    files.dedup();
    files
        .into_iter()
        .filter_map(|p| {
            Some(Publish {
                uri: file_uri(&p)?,
                version: None,
                diagnostics: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pact_core::gate::Related;
    use pact_core::store::LayoutKind;
    use pact_core::text::TextRange;

    fn layout() -> Layout {
        Layout {
            root: PathBuf::from("/p"),
            kind: LayoutKind::Seed,
        }
    }

    fn finding(code: Code, cid: Option<&str>, file: &str) -> Finding {
        let mut f = Finding::error(code, format!("{code:?} {cid:?}"))
            .at(Path::new(file), Some(TextRange::new(1, 2)));
        f.component = cid.map(str::to_string);
        f
    }

    #[test]
    fn scoped_commits_replace_only_what_they_cover() {
        let l = layout();
        let mut store = FindingStore::default();
        let a = finding(
            Code::UnresolvedType,
            Some("a"),
            "/p/.pact/contracts/a/interface.json",
        );
        let b = finding(
            Code::UnresolvedType,
            Some("b"),
            "/p/.pact/contracts/b/interface.json",
        );
        let tree = finding(
            Code::DanglingChild,
            Some("a"),
            "/p/.pact/decomposition/tree.json",
        );
        let mut cycle = finding(
            Code::DependencyCycle,
            Some("a"),
            "/p/.pact/contracts/a/interface.json",
        );
        cycle.related.push(Related {
            file: PathBuf::from("/p/.pact/contracts/c/interface.json"),
            range: TextRange::new(0, 1),
            message: String::new(),
        });
        store.commit(
            &l,
            &Pending {
                all: true,
                ..Default::default()
            },
            vec![a.clone(), b.clone(), tree.clone(), cycle.clone()],
        );
        // The cycle shows on both of its edges.
        assert_eq!(store.len(), 5);
        assert_eq!(
            store
                .for_file(Path::new("/p/.pact/contracts/c/interface.json"))
                .len(),
            1
        );
        // Re-check of `c` alone: the cycle through c goes (it was fixed), the rest stays.
        let only_c = Pending {
            ids: ["c".to_string()].into_iter().collect(),
            ..Default::default()
        };
        let touched = store.commit(&l, &only_c, vec![]);
        assert_eq!(store.len(), 3);
        assert!(touched.contains(Path::new("/p/.pact/contracts/a/interface.json")));
        // Re-check of `a` (not the tree): a's finding replaced, the tree's kept.
        let only_a = Pending {
            ids: ["a".to_string()].into_iter().collect(),
            ..Default::default()
        };
        store.commit(&l, &only_a, vec![]);
        assert_eq!(store.len(), 2);
        assert_eq!(
            store
                .for_file(Path::new("/p/.pact/decomposition/tree.json"))
                .len(),
            1
        );
        assert_eq!(
            store.for_file(Path::new("/p/.pact/contracts/b/interface.json")),
            vec![&b]
        );
    }
}
