//! The gate's findings as LSP diagnostics: which findings a scoped re-check replaces, and what
//! to publish for each file (with the buffer version the findings were computed from).

use crate::documents::{Conv, Encoding, file_uri};
use crate::workspace::{OpenMap, Pending, Project};
use pact_core::gate::{Code, Finding, Fix, Severity};
use pact_core::model::TestFailure;
use pact_core::store::{DocKind, Layout, TestFile};
use pact_core::text::TextRange;
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
        // Each finding is published once, where the gate placed it (a cycle on the edge that
        // closes it, its other edges as related information): the diagnostics count is the
        // count `pact validate` reports.
        for f in findings {
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
            let failing = project.failure_files.contains(&path);
            if findings.is_empty()
                && !failing
                && !project.published.contains(&path)
                && open_version.is_none()
            {
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
            let mut diagnostics: Vec<Diagnostic> = findings
                .iter()
                .map(|f| to_diagnostic(f, &conv, &related))
                .collect();
            if failing {
                diagnostics.extend(test_failure_diagnostics(project, &path, &conv));
            }
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

/// The code of the diagnostics that mark failing contract tests (not a gate finding: the
/// component's last test results, `test_results.json`, put them there).
pub const TEST_FAILED: &str = "test-failed";

/// A test's own name in a result id: `contract_test::test_x[3]` → `test_x`.
pub fn test_name(id: &str) -> &str {
    let last = id.rsplit("::").next().unwrap_or(id);
    last.split('[').next().unwrap_or(last).trim()
}

/// The test file a failure belongs to: the one its id names as module (`contract_test::…`),
/// else the component's only (or first) test file.
fn file_of<'a>(id: &str, files: &'a [TestFile]) -> Option<&'a TestFile> {
    if files.len() > 1 && id.contains("::") {
        let module = id.split("::").next().unwrap_or("");
        let parts: Vec<&str> = module.split(['.', '/', '\\']).collect();
        let hit = files.iter().find(|f| {
            let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let stem = name.split('.').next().unwrap_or(name);
            parts.contains(&stem) || module.ends_with(name)
        });
        if hit.is_some() {
            return hit;
        }
    }
    files.first()
}

/// The failures of a component's last test results, each with its test file.
fn failures<'a>(project: &'a Project, cid: &str) -> Vec<(&'a TestFile, &'a TestFailure)> {
    let docs = &project.docs;
    let Some(results) = docs.test_results.get(cid).and_then(|d| d.ok()) else {
        return Vec::new();
    };
    let Some(files) = docs.test_files.get(cid) else {
        return Vec::new();
    };
    results
        .failure_details
        .iter()
        .filter_map(|f| Some((file_of(&f.test_id, files)?, f)))
        .collect()
}

/// Test files that have failing tests in their component's last results.
pub fn failing_test_files(project: &Project) -> HashSet<PathBuf> {
    project
        .docs
        .test_results
        .keys()
        .flat_map(|cid| failures(project, cid))
        .map(|(f, _)| f.path.clone())
        .collect()
}

/// `test-failed` diagnostics on the failing tests of a test file, each on the test's name
/// (found in the text being shown), with the first lines of the failure as the message.
pub fn test_failure_diagnostics(project: &Project, path: &Path, conv: &Conv) -> Vec<Diagnostic> {
    let Some((DocKind::TestCode, Some(cid))) = project.layout.classify(path) else {
        return Vec::new();
    };
    let mine: Vec<&TestFailure> = failures(project, &cid)
        .into_iter()
        .filter(|(f, _)| f.path == path)
        .map(|(_, f)| f)
        .collect();
    if mine.is_empty() {
        return Vec::new();
    }
    let tests = pact_core::model::TestLanguage::from_path(path)
        .map(|lang| pact_core::testcode::analyze(lang, conv.text).tests)
        .unwrap_or_default();
    mine.into_iter()
        .map(|f| {
            let name = test_name(&f.test_id);
            let range = tests
                .iter()
                .find(|t| t.name == name || t.name == f.test_id)
                .map_or(TextRange::new(0, 0), |t| t.name_range);
            let detail: Vec<&str> = f
                .error_message
                .lines()
                .map(str::trim_end)
                .filter(|l| !l.trim().is_empty())
                .take(6)
                .collect();
            let mut message = format!("Contract test `{name}` failed");
            if !detail.is_empty() {
                message.push_str(": ");
                message.push_str(&detail.join("\n"));
            }
            Diagnostic {
                range: conv.range(range),
                severity: Some(DiagnosticSeverity::ERROR),
                code: Some(NumberOrString::String(TEST_FAILED.to_string())),
                code_description: None,
                source: Some("pact".to_string()),
                message,
                related_information: None,
                tags: None,
                data: None,
            }
        })
        .collect()
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
    fn test_names_of_result_ids() {
        assert_eq!(test_name("contract_test::test_a"), "test_a");
        assert_eq!(test_name("contract_test.TestX::test_b[1-2]"), "test_b");
        assert_eq!(test_name("test_c"), "test_c");
        let files: Vec<TestFile> = ["/p/t/contract_test.py", "/p/t/test_more.py"]
            .iter()
            .map(|p| TestFile {
                path: PathBuf::from(p),
                text: std::sync::Arc::from(""),
                language: pact_core::model::TestLanguage::Python,
            })
            .collect();
        let name = |id: &str| file_of(id, &files).map(|f| f.path.to_string_lossy().into_owned());
        assert_eq!(
            name("test_more::test_x").as_deref(),
            Some("/p/t/test_more.py")
        );
        assert_eq!(
            name("tests.test_more::test_x").as_deref(),
            Some("/p/t/test_more.py")
        );
        assert_eq!(
            name("<collection>").as_deref(),
            Some("/p/t/contract_test.py")
        );
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
        // The cycle is published once, on the edge that closes it.
        assert_eq!(store.len(), 4);
        assert!(
            store
                .for_file(Path::new("/p/.pact/contracts/c/interface.json"))
                .is_empty()
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
