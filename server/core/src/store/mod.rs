//! Reading and writing a project on disk: atomic writes, cross-process locks, both layouts.

mod docs;
pub mod fsio;
mod layout;

pub use docs::{Disk, Doc, Integrity, ProjectDocs, Source, TestFile, Unreadable};
pub use layout::{DocKind, Layout, LayoutKind, is_test_code};

use crate::config::{Config, ConfigError};
use crate::ids::{IdError, check_component_id};
use crate::json::{self, JsonError, MAX_DOCUMENT_BYTES};
use crate::model::{
    AuditEntry, BuildRecord, ComponentContract, ContractTestSuite, DecompositionTree,
    EngineeringDecision, InterviewResult, RunState, TestResults,
};
use fsio::{FileLock, ReadError, write_atomic};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}: no such directory")]
    NoProject(PathBuf),
    #[error(
        "{0}: not a Pact project (no task.md, pact.yaml or .pact/ here); run `pact init {0}` to create one"
    )]
    NotAProject(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A document that is not a regular file, too large, or refused by the file system.
    #[error("{path} {reason}")]
    Unreadable { path: PathBuf, reason: ReadError },
    #[error("{path}:{line}:{column}: {message}")]
    Json {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    #[error(transparent)]
    Id(#[from] IdError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl StoreError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    fn unreadable(path: &Path, reason: ReadError) -> Self {
        Self::Unreadable {
            path: path.to_path_buf(),
            reason,
        }
    }
    pub fn json(path: &Path, text: &str, e: &JsonError) -> Self {
        let pos = crate::text::LineIndex::new(text).line_col(text, e.range.start);
        Self::Json {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            message: e.message.clone(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The audit trail grows with every action of a project's life; it gets more room than a document.
pub const MAX_AUDIT_BYTES: usize = 64 * 1024 * 1024;

/// A project directory: where its documents live and how to read and write them safely.
#[derive(Debug, Clone)]
pub struct Project {
    pub layout: Layout,
}

/// Templates `pact init` writes, as the seed's.
pub const TASK_TEMPLATE: &str = "# Task\n\nDescribe your task here.\n\n## Context\n\nAny relevant context, constraints, or requirements.\n";
pub const SOPS_TEMPLATE: &str = "# Operating Procedures\n\n## Tech Stack\n- Language: Python 3.12+\n- Testing: pytest\n\n## Standards\n- Type annotations on all public functions\n- Prefer composition over inheritance\n\n## Verification\n- All functions must have at least one test\n- Tests must be runnable without external services\n- No task is done until its contract tests pass\n\n## Preferences\n- Prefer stdlib over third-party libraries\n- Keep files under 300 lines\n";
pub const DESIGN_TEMPLATE: &str = "# Design Document\n\n*Auto-maintained by pact. Do not edit manually.*\n\n## Status: Not started\n";

impl Project {
    /// Opens an existing project. A directory counts as one if it has `task.md`, `pact.yaml`
    /// or `.pact/`. The root is canonical (absolute, symbolic links resolved): however the path
    /// was spelled (`p`, `./p`, `p/.`, `/abs/p`, through a link), the project is the same one,
    /// with the same name and the same paths in every record.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(StoreError::NoProject(dir.to_path_buf()));
        }
        let root = canonical_root(dir)?;
        let looks = ["task.md", "pact.yaml", ".pact"]
            .iter()
            .any(|n| std::fs::symlink_metadata(root.join(n)).is_ok())
            || root.join("decomposition/tree.json").is_file();
        if !looks {
            return Err(StoreError::NotAProject(dir.to_path_buf()));
        }
        Ok(Self {
            layout: Layout::detect(&root),
        })
    }

    /// Scaffolds a project; never overwrites a file that exists. Returns the files it wrote.
    pub fn init(dir: &Path, budget: f64) -> Result<(Self, Vec<PathBuf>)> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let dir = &canonical_root(dir)?;
        let layout = Layout {
            root: dir.to_path_buf(),
            kind: LayoutKind::Seed,
        };
        let yaml = format!("budget: {budget:?}\n");
        let files = [
            (layout.task_md(), TASK_TEMPLATE.to_string()),
            (layout.sops_md(), SOPS_TEMPLATE.to_string()),
            (layout.pact_yaml(), yaml),
            (layout.design_md(), DESIGN_TEMPLATE.to_string()),
        ];
        let mut written = Vec::new();
        for (path, content) in files {
            if !path.exists() {
                write_atomic(&path, content.as_bytes()).map_err(|e| StoreError::io(&path, e))?;
                written.push(path);
            }
        }
        let pact = layout.pact_dir();
        std::fs::create_dir_all(&pact).map_err(|e| StoreError::io(&pact, e))?;
        Ok((
            Self {
                layout: Layout::detect(dir),
            },
            written,
        ))
    }

    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    pub fn config(&self) -> Result<Config> {
        Ok(Config::load(&self.layout.pact_yaml())?)
    }

    /// A snapshot of every document, for the gate.
    pub fn docs(&self) -> ProjectDocs {
        ProjectDocs::load(self.layout.clone(), &Disk)
    }

    /// Reads a document through the one bounded reader ([`fsio::read_document`]): a special
    /// file or one over [`MAX_DOCUMENT_BYTES`] is refused before it is read.
    fn read_bytes(&self, path: &Path, max: usize) -> Result<Option<Vec<u8>>> {
        fsio::read_document(path, max as u64).map_err(|e| StoreError::unreadable(path, e))
    }

    fn read_json<T: DeserializeOwned>(&self, path: &Path) -> Result<Option<T>> {
        let Some(bytes) = self.read_bytes(path, json::max_bytes(path) as usize)? else {
            return Ok(None);
        };
        let text = fsio::check_text(&bytes).map_err(|e| StoreError::unreadable(path, e))?;
        json::parse(text)
            .map(Some)
            .map_err(|e| StoreError::json(path, text, &e))
    }

    fn write_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|e| StoreError::io(path, std::io::Error::other(e)))?;
        text.push('\n');
        write_atomic(path, text.as_bytes()).map_err(|e| StoreError::io(path, e))
    }

    fn lock(&self, path: &Path) -> Result<FileLock> {
        let lock = FileLock::acquire(path).map_err(|e| StoreError::io(path, e))?;
        ensure_gitignore(&self.layout.pact_dir());
        Ok(lock)
    }

    pub fn load_state(&self) -> Result<Option<RunState>> {
        let _guard = self.lock(&self.layout.state_lock())?;
        self.read_json(&self.layout.state())
    }

    pub fn save_state(&self, state: &RunState) -> Result<()> {
        let _guard = self.lock(&self.layout.state_lock())?;
        self.write_json(&self.layout.state(), state)
    }

    /// Read-modify-write of state.json under the lock, so concurrent writers never lose updates.
    pub fn update_state<R>(&self, f: impl FnOnce(&mut Option<RunState>) -> R) -> Result<R> {
        let _guard = self.lock(&self.layout.state_lock())?;
        let mut state = self.read_json(&self.layout.state())?;
        let r = f(&mut state);
        if let Some(s) = &state {
            self.write_json(&self.layout.state(), s)?;
        }
        Ok(r)
    }

    /// Appends to audit.jsonl under its lock (one JSON object a line, as the original).
    pub fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let path = self.layout.audit();
        let line = serde_json::to_string(entry)
            .map_err(|e| StoreError::io(&path, std::io::Error::other(e)))?;
        let _guard = self.lock(&self.layout.audit_lock())?;
        fsio::append_line(&path, &line).map_err(|e| StoreError::io(&path, e))
    }

    /// Every audit entry; a damaged line (e.g. a crash mid-append) is reported, not fatal.
    pub fn read_audit(&self) -> Result<(Vec<AuditEntry>, Vec<StoreError>)> {
        let path = self.layout.audit();
        let Some(bytes) = self.read_bytes(&path, MAX_AUDIT_BYTES)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match json::parse::<AuditEntry>(line) {
                Ok(e) => entries.push(e),
                Err(e) => problems.push(StoreError::Json {
                    path: path.clone(),
                    line: i as u32 + 1,
                    column: line[..e.range.start.min(line.len())].chars().count() as u32 + 1,
                    message: e.message,
                }),
            }
        }
        Ok((entries, problems))
    }

    /// Records an action in the audit trail with the current time.
    pub fn audit(&self, action: &str, detail: impl Into<String>) -> Result<()> {
        self.append_audit(&AuditEntry {
            timestamp: now_iso(),
            action: action.to_string(),
            detail: detail.into(),
            extra: Default::default(),
        })
    }

    pub fn load_tree(&self) -> Result<Option<DecompositionTree>> {
        self.read_json(&self.layout.tree())
    }
    pub fn save_tree(&self, tree: &DecompositionTree) -> Result<()> {
        for id in tree.nodes.keys() {
            check_component_id(id)?;
        }
        self.write_json(&self.layout.tree(), tree)
    }
    /// Read-modify-write of tree.json under `.pact/.tree.lock` (parallel builds update node status).
    pub fn update_tree<R>(&self, f: impl FnOnce(&mut DecompositionTree) -> R) -> Result<Option<R>> {
        let _guard = self.lock(&self.layout.pact_dir().join(".tree.lock"))?;
        let Some(mut tree) = self.read_json::<DecompositionTree>(&self.layout.tree())? else {
            return Ok(None);
        };
        let r = f(&mut tree);
        self.save_tree(&tree)?;
        Ok(Some(r))
    }

    pub fn load_decisions(&self) -> Result<Vec<EngineeringDecision>> {
        Ok(self
            .read_json(&self.layout.decisions())?
            .unwrap_or_default())
    }
    pub fn save_decisions(&self, d: &[EngineeringDecision]) -> Result<()> {
        self.write_json(&self.layout.decisions(), &d)
    }
    pub fn load_interview(&self) -> Result<Option<InterviewResult>> {
        self.read_json(&self.layout.interview())
    }
    pub fn save_interview(&self, i: &InterviewResult) -> Result<()> {
        self.write_json(&self.layout.interview(), i)
    }
    pub fn load_contract(&self, cid: &str) -> Result<Option<ComponentContract>> {
        check_component_id(cid)?;
        self.read_json(&self.layout.contract(cid))
    }
    /// Saves a contract and a copy in `history/<YYYYmmdd_HHMMSS>.json`, as the original.
    pub fn save_contract(&self, c: &ComponentContract) -> Result<()> {
        check_component_id(&c.component_id)?;
        self.write_json(&self.layout.contract(&c.component_id), c)?;
        let hist = self
            .layout
            .contract_history_dir(&c.component_id)
            .join(format!("{}.json", stamp()));
        self.write_json(&hist, c)
    }
    pub fn load_suite(&self, cid: &str) -> Result<Option<ContractTestSuite>> {
        check_component_id(cid)?;
        self.read_json(&self.layout.suite(cid))
    }
    pub fn save_suite(&self, s: &ContractTestSuite) -> Result<()> {
        check_component_id(&s.component_id)?;
        self.write_json(&self.layout.suite(&s.component_id), s)
    }
    pub fn load_test_results(&self, cid: &str) -> Result<Option<TestResults>> {
        check_component_id(cid)?;
        self.read_json(&self.layout.test_results(cid))
    }
    pub fn save_test_results(&self, cid: &str, r: &TestResults) -> Result<()> {
        check_component_id(cid)?;
        self.write_json(&self.layout.test_results(cid), r)
    }
    /// The implementation's build record (`metadata.json`), if it has one.
    pub fn load_build_record(&self, cid: &str) -> Result<Option<BuildRecord>> {
        check_component_id(cid)?;
        self.read_json(&self.layout.build_record(cid))
    }
    pub fn save_build_record(&self, cid: &str, r: &BuildRecord) -> Result<()> {
        check_component_id(cid)?;
        self.write_json(&self.layout.build_record(cid), r)
    }
    /// A text file of the project (invalid UTF-8 replaced), read through the bounded reader.
    pub fn read_text(&self, path: &Path) -> Result<Option<String>> {
        Ok(self
            .read_bytes(path, MAX_DOCUMENT_BYTES)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
    pub fn write_text(&self, path: &Path, text: &str) -> Result<()> {
        write_atomic(path, text.as_bytes()).map_err(|e| StoreError::io(path, e))
    }
}

/// The one spelling of a project directory: absolute, `.` and `..` gone, symbolic links resolved.
fn canonical_root(dir: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(dir).map_err(|e| StoreError::io(dir, e))
}

/// UTC without a zone suffix, in the shape of Python's `datetime.now().isoformat()` (to the
/// second), as the original writes audit timestamps.
pub fn now_iso() -> String {
    format_utc(std::time::SystemTime::now(), "T")
}

/// `YYYY-mm-ddTHH:MM:SSZ` (UTC, explicit zone) for records read by other tools.
pub fn now_utc() -> String {
    format!("{}Z", format_utc(std::time::SystemTime::now(), "T"))
}

/// [`now_utc`] for a given number of seconds since the Unix epoch.
pub fn utc_from_secs(secs: u64) -> String {
    format!(
        "{}Z",
        format_utc(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            "T"
        )
    )
}

fn stamp() -> String {
    format_utc(std::time::SystemTime::now(), "_").replace(['-', ':'], "")
}

/// `YYYY-mm-ddTHH:MM:SS` in UTC (civil-from-days; no time-zone database needed).
fn format_utc(t: std::time::SystemTime, sep: &str) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What `.pact/.gitignore` keeps out of git: Pact's own locks and caches. The rest of `.pact/`
/// (contracts, tests, locks of tests, state, the audit trail) is the project and belongs in git.
const GITIGNORE: &str = "# Written by Pact: its own locks and caches are not part of the project.\n*.lock\nrun.owner.json\ncache/\n";

/// Writes `.pact/.gitignore` the first time Pact writes a lock or cache there (as ruff does for
/// its cache); never overwrites one the user edited. Best effort: a read-only project still works.
pub fn ensure_gitignore(pact_dir: &Path) {
    let path = pact_dir.join(".gitignore");
    if pact_dir.is_dir() && std::fs::symlink_metadata(&path).is_err() {
        let _ = fsio::write_atomic(&path, GITIGNORE.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(format_utc(t, "T"), "2023-11-14T22:13:20");
        assert_eq!(utc_from_secs(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_secs(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn init_never_overwrites() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::io(Path::new("tmp"), e))?;
        std::fs::write(dir.path().join("task.md"), "mine")
            .map_err(|e| StoreError::io(dir.path(), e))?;
        let (_, written) = Project::init(dir.path(), 10.0)?;
        assert_eq!(written.len(), 3);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("task.md"))
                .ok()
                .as_deref(),
            Some("mine")
        );
        Ok(())
    }

    #[test]
    fn oversized_and_special_state_is_refused_before_it_is_read() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::io(Path::new("tmp"), e))?;
        let (p, _) = Project::init(dir.path(), 1.0)?;
        let state = p.layout.state();
        // 200 MB (sparse): refused from its size, in no time and without reading it.
        std::fs::File::create(&state)
            .and_then(|f| f.set_len(200 * 1024 * 1024))
            .map_err(|e| StoreError::io(&state, e))?;
        let started = std::time::Instant::now();
        let err = p.load_state().err().map(|e| e.to_string());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(
            err,
            Some(format!(
                "{} is too large: 200 MB, over the 16 MB limit",
                state.display()
            ))
        );
        #[cfg(unix)]
        {
            std::fs::remove_file(&state).map_err(|e| StoreError::io(&state, e))?;
            std::os::unix::fs::symlink("/dev/zero", &state)
                .map_err(|e| StoreError::io(&state, e))?;
            let err = p.load_state().err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.ends_with("is a character device, not a regular file")),
                "{err:?}"
            );
            assert!(p.read_text(&state).is_err());
        }
        Ok(())
    }

    /// However the project's path is spelled, it is one project with one root: absolute, no
    /// `.` or `..`, links resolved (issue #15: records differed with the spelling).
    #[test]
    fn the_root_is_canonical_however_the_path_is_spelled() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::io(Path::new("tmp"), e))?;
        let proj = dir.path().join("wordfreq");
        let (made, _) = Project::init(&proj, 1.0)?;
        let canonical = std::fs::canonicalize(&proj).map_err(|e| StoreError::io(&proj, e))?;
        assert_eq!(made.root(), canonical);
        let mut spellings = vec![
            proj.clone(),
            proj.join("."),
            proj.join("../wordfreq"),
            proj.join(".pact/.."),
        ];
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&proj, &link).map_err(|e| StoreError::io(&link, e))?;
            spellings.push(link);
        }
        for s in spellings {
            let p = Project::open(&s)?;
            assert_eq!(p.root(), canonical, "{}", s.display());
            assert_eq!(
                p.root().file_name().and_then(|n| n.to_str()),
                Some("wordfreq")
            );
        }
        Ok(())
    }

    #[test]
    fn state_updates_survive_concurrent_writers() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::io(Path::new("tmp"), e))?;
        let (p, _) = Project::init(dir.path(), 1.0)?;
        p.save_state(
            &serde_json::from_str(r#"{"id":"x","project_dir":"."}"#)
                .map_err(|e| StoreError::io(dir.path(), e.into()))?,
        )?;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..25 {
                        let _ = p.update_state(|st| {
                            if let Some(st) = st {
                                st.total_tokens += 1;
                            }
                        });
                    }
                });
            }
        });
        assert_eq!(p.load_state()?.map(|s| s.total_tokens), Some(100));
        Ok(())
    }
}
