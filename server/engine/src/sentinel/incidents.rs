//! Incidents: one per distinct production error (by fingerprint), with their lifecycle
//! detected → triaging → remediating → resolved | escalated, stored in
//! `.pact/monitoring/incidents.json` (`{"incidents": {id: Incident}}`, as the seed's) and a
//! diagnostic report per closed incident in `.pact/monitoring/reports/<id>.md`.

use super::Signal;
use indexmap::IndexMap;
use pact_core::store::Project;
use pact_core::store::fsio::{FileLock, write_atomic};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Detected,
    Triaging,
    Diagnosing,
    Remediating,
    Verifying,
    Resolved,
    Escalated,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Detected => "detected",
            Self::Triaging => "triaging",
            Self::Diagnosing => "diagnosing",
            Self::Remediating => "remediating",
            Self::Verifying => "verifying",
            Self::Resolved => "resolved",
            Self::Escalated => "escalated",
        }
    }
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Resolved | Self::Escalated)
    }
}

impl std::fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Signals kept per incident (the count goes on).
pub const MAX_SIGNALS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub status: IncidentStatus,
    #[serde(default)]
    pub project_dir: String,
    #[serde(default)]
    pub component_id: String,
    #[serde(default)]
    pub signals: Vec<Signal>,
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default)]
    pub spend_usd: f64,
    #[serde(default)]
    pub resolution: String,
    #[serde(default)]
    pub diagnostic_report: String,
    #[serde(default)]
    pub remediation_attempts: u32,
    /// How the component was found: `log_key`, `triage`, or "" (not attributed).
    #[serde(default)]
    pub attribution: String,
    /// Every occurrence, including those beyond [`MAX_SIGNALS`].
    #[serde(default)]
    pub occurrences: u64,
    /// The lifecycle, one line per transition.
    #[serde(default)]
    pub history: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Incident {
    pub fn new(
        id: String,
        project_dir: String,
        fingerprint: String,
        signal: Signal,
        now: String,
    ) -> Self {
        Self {
            id,
            status: IncidentStatus::Detected,
            project_dir,
            component_id: String::new(),
            signals: vec![signal],
            fingerprint,
            created_at: now.clone(),
            updated_at: now.clone(),
            spend_usd: 0.0,
            resolution: String::new(),
            diagnostic_report: String::new(),
            remediation_attempts: 0,
            attribution: String::new(),
            occurrences: 1,
            history: vec![format!("{now} detected")],
            extra: Map::new(),
        }
    }

    pub fn set_status(&mut self, s: IncidentStatus, now: &str, note: &str) {
        self.status = s;
        self.updated_at = now.to_string();
        self.history.push(if note.is_empty() {
            format!("{now} {s}")
        } else {
            format!("{now} {s}: {note}")
        });
    }

    /// The first signal's text, on one line, shortened.
    pub fn headline(&self) -> String {
        let t = self
            .signals
            .first()
            .map(|s| s.raw_text.as_str())
            .unwrap_or("");
        let line = t
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let mut out: String = line.chars().take(100).collect();
        if line.chars().count() > 100 {
            out.push('…');
        }
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentFile {
    #[serde(default)]
    pub incidents: IndexMap<String, Incident>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The incidents of one project.
#[derive(Debug, Clone)]
pub struct IncidentStore {
    dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid incidents file ({message}); fix or remove it")]
    Corrupt { path: PathBuf, message: String },
}

impl IncidentStore {
    pub fn new(project: &Project) -> Self {
        Self {
            dir: project.layout.monitoring_dir(),
        }
    }
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
    pub fn path(&self) -> PathBuf {
        self.dir.join("incidents.json")
    }
    pub fn report_path(&self, id: &str) -> PathBuf {
        self.dir.join("reports").join(format!("{id}.md"))
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path(),
            source,
        }
    }

    pub fn load(&self) -> Result<IncidentFile, StoreError> {
        let path = self.path();
        match std::fs::read_to_string(&path) {
            Ok(t) if t.trim().is_empty() => Ok(IncidentFile::default()),
            Ok(t) => serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IncidentFile::default()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Read-modify-write under `.pact/monitoring/.incidents.lock`.
    pub fn update<R>(&self, f: impl FnOnce(&mut IncidentFile) -> R) -> Result<R, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        let _guard =
            FileLock::acquire(&self.dir.join(".incidents.lock")).map_err(|e| self.io(e))?;
        let mut file = self.load()?;
        let r = f(&mut file);
        let mut text =
            serde_json::to_string_pretty(&file).map_err(|e| self.io(std::io::Error::other(e)))?;
        text.push('\n');
        write_atomic(&self.path(), text.as_bytes()).map_err(|e| self.io(e))?;
        Ok(r)
    }

    /// Changes one incident (no-op if it is gone).
    pub fn modify(
        &self,
        id: &str,
        f: impl FnOnce(&mut Incident),
    ) -> Result<Option<Incident>, StoreError> {
        self.update(|file| {
            file.incidents.get_mut(id).map(|i| {
                f(i);
                i.clone()
            })
        })
    }

    pub fn get(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        Ok(self.load()?.incidents.get(id).cloned())
    }

    /// An incident by id or unique id prefix.
    pub fn find(&self, id: &str) -> Result<Vec<Incident>, StoreError> {
        let file = self.load()?;
        if let Some(i) = file.incidents.get(id) {
            return Ok(vec![i.clone()]);
        }
        Ok(file
            .incidents
            .values()
            .filter(|i| !id.is_empty() && i.id.starts_with(id))
            .cloned()
            .collect())
    }

    /// Writes the incident's diagnostic report and returns its text.
    pub fn write_report(&self, i: &Incident) -> Result<String, StoreError> {
        let text = render_report(i);
        let path = self.report_path(&i.id);
        write_atomic(&path, text.as_bytes()).map_err(|source| StoreError::Io { path, source })?;
        Ok(text)
    }
}

/// `# Diagnostic Report: Incident <id>` with status, component, spend, attempts, up to five
/// signals and the resolution, as the seed writes it.
pub fn render_report(i: &Incident) -> String {
    let mut s = format!("# Diagnostic Report: Incident {}\n\n", i.id);
    s.push_str(&format!("- **Status:** {}\n", i.status));
    s.push_str(&format!(
        "- **Component:** {}\n",
        if i.component_id.is_empty() {
            "unknown"
        } else {
            &i.component_id
        }
    ));
    if !i.attribution.is_empty() {
        s.push_str(&format!("- **Attributed by:** {}\n", i.attribution));
    }
    s.push_str(&format!("- **Project:** {}\n", i.project_dir));
    s.push_str(&format!("- **Fingerprint:** {}\n", i.fingerprint));
    s.push_str(&format!("- **Created:** {}\n", i.created_at));
    s.push_str(&format!("- **Updated:** {}\n", i.updated_at));
    s.push_str(&format!("- **Spend:** ${:.4}\n", i.spend_usd));
    s.push_str(&format!(
        "- **Remediation attempts:** {}\n",
        i.remediation_attempts
    ));
    s.push_str(&format!("- **Occurrences:** {}\n", i.occurrences));
    s.push_str("\n## Signals\n\n");
    for sig in i.signals.iter().take(5) {
        let origin = match (sig.file_path.is_empty(), sig.process_name.is_empty()) {
            (false, _) => format!(" ({})", sig.file_path),
            (true, false) => format!(" ({})", sig.process_name),
            _ => String::new(),
        };
        s.push_str(&format!(
            "### {} {}{origin}\n\n```\n{}\n```\n\n",
            sig.timestamp,
            sig.source.as_str(),
            sig.raw_text.trim_end()
        ));
    }
    s.push_str("## Resolution\n\n");
    s.push_str(if i.resolution.is_empty() {
        "(open)"
    } else {
        &i.resolution
    });
    s.push('\n');
    if !i.history.is_empty() {
        s.push_str("\n## History\n\n");
        for h in &i.history {
            s.push_str(&format!("- {h}\n"));
        }
    }
    s
}
