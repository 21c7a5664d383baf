//! The Sentinel: production monitoring for what Pact built, so nobody has to debug at 3am.
//!
//! Signals come from log files (tailed across rotation and truncation), watched processes
//! (one that disappears), a webhook on the loopback interface, or `pact report`. Lines that
//! match `monitoring_error_patterns` become signals; each distinct error (by fingerprint)
//! becomes an incident, attributed to a component by its `PACT:<hash>:<component>` log key or
//! by the triage agent. With `monitoring_auto_remediate`, a fixer agent writes a reproducer
//! test that fails against the current implementation, the test joins the contract's locked
//! tests, and the component is rebuilt until every test passes: the contract gets stricter.
//! Every agent call is checked against `monitoring_budget` first; at a cap the incident is
//! escalated, not fixed.

pub mod attribution;
pub mod budget;
pub mod incidents;
pub mod remediate;
pub mod watch;
pub mod webhook;

use crate::engine::{Engine, EngineError, project_hash};
use crate::events::Event;
use attribution::ComponentBrief;
use budget::{Clock, Metered, MonitoringSpend};
use incidents::{Incident, IncidentStatus, IncidentStore};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    LogFile,
    Process,
    Webhook,
    Manual,
}

impl SignalSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LogFile => "log_file",
            Self::Process => "process",
            Self::Webhook => "webhook",
            Self::Manual => "manual",
        }
    }
}

/// One observation of an error (the seed's `Signal`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub source: SignalSource,
    pub raw_text: String,
    #[serde(default)]
    pub timestamp: String,
    #[serde(default)]
    pub file_path: String,
    #[serde(default)]
    pub process_name: String,
    #[serde(default)]
    pub log_key: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Longest error text kept per signal.
pub const MAX_SIGNAL_TEXT: usize = 16 * 1024;

impl Signal {
    pub fn new(source: SignalSource, raw_text: impl Into<String>, timestamp: String) -> Self {
        let mut raw_text: String = raw_text.into();
        if raw_text.len() > MAX_SIGNAL_TEXT {
            let mut cut = MAX_SIGNAL_TEXT;
            while !raw_text.is_char_boundary(cut) {
                cut -= 1;
            }
            raw_text.truncate(cut);
        }
        Self {
            source,
            raw_text,
            timestamp,
            file_path: String::new(),
            process_name: String::new(),
            log_key: String::new(),
            extra: Map::new(),
        }
    }
}

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}[.\d]*Z?").unwrap_or_else(|_| unreachable!())
});
static HEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"0x[0-9a-fA-F]+").unwrap_or_else(|_| unreachable!()));
static LINE_NO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r":\d+").unwrap_or_else(|_| unreachable!()));
static BIG_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{5,}").unwrap_or_else(|_| unreachable!()));

/// The seed's fingerprint: timestamps, hex addresses, `:<line>` and numbers of five digits or
/// more removed, whitespace collapsed, sha256, first 16 hex digits. The same error at another
/// time, address or pid has the same fingerprint.
pub fn fingerprint(text: &str) -> String {
    let t = TIMESTAMP.replace_all(text, "");
    let t = HEX.replace_all(&t, "");
    let t = LINE_NO.replace_all(&t, "");
    let t = BIG_NUMBER.replace_all(&t, "");
    let collapsed = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let digest = Sha256::digest(collapsed.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `monitoring_error_patterns`: regular expressions; one that does not compile is matched as
/// plain text (and reported).
#[derive(Debug, Clone)]
pub struct ErrorMatcher {
    patterns: Vec<Regex>,
}

impl ErrorMatcher {
    pub fn new(patterns: &[String]) -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let patterns = patterns
            .iter()
            .filter(|p| !p.is_empty())
            .filter_map(|p| match Regex::new(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    warnings.push(format!(
                        "monitoring_error_patterns: `{p}` is not a valid regular expression ({}); matching it as text",
                        e.to_string().lines().last().unwrap_or("")
                    ));
                    Regex::new(&regex::escape(p)).ok()
                }
            })
            .collect();
        (Self { patterns }, warnings)
    }
    pub fn is_match(&self, line: &str) -> bool {
        self.patterns.iter().any(|r| r.is_match(line))
    }
}

/// A watched project: its engine (configuration and agents) and what to watch.
pub struct Target {
    pub engine: Engine,
    /// The project part of its log keys.
    pub key_hash: String,
    pub matcher: ErrorMatcher,
    pub log_files: Vec<PathBuf>,
    pub process_patterns: Vec<String>,
    pub webhook_port: u16,
}

impl Target {
    /// Returns the target and configuration warnings.
    pub fn new(engine: Engine) -> (Self, Vec<String>) {
        let p = &engine.project;
        let key_hash = project_hash(p.load_tree().ok().flatten().as_ref());
        let c = &engine.config.project;
        let (matcher, warnings) = ErrorMatcher::new(&c.monitoring_error_patterns);
        let log_files = c
            .monitoring_log_files
            .iter()
            .map(|f| {
                let f = PathBuf::from(f);
                if f.is_absolute() { f } else { p.root().join(f) }
            })
            .collect();
        let t = Self {
            process_patterns: c.monitoring_process_patterns.clone(),
            webhook_port: c.monitoring_webhook_port,
            matcher,
            log_files,
            key_hash,
            engine,
        };
        (t, warnings)
    }

    /// The project's components, as triage sees them (read fresh: rebuilds add files).
    pub fn components(&self) -> Vec<ComponentBrief> {
        let p = &self.engine.project;
        let Some(tree) = p.load_tree().ok().flatten() else {
            return Vec::new();
        };
        tree.nodes
            .values()
            .map(|n| {
                let contract = p.load_contract(&n.component_id).ok().flatten();
                let src = p.layout.implementation_src(&n.component_id);
                let mut files: Vec<String> = std::fs::read_dir(&src)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter(|e| e.path().is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                files.sort();
                ComponentBrief {
                    id: n.component_id.clone(),
                    name: n.name.clone(),
                    description: n.description.clone(),
                    functions: contract
                        .map(|c| c.functions.iter().map(|f| f.name.clone()).collect())
                        .unwrap_or_default(),
                    files,
                }
            })
            .collect()
    }

    pub fn store(&self) -> IncidentStore {
        IncidentStore::new(&self.engine.project)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SentinelError {
    #[error(transparent)]
    Store(#[from] incidents::StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("no project to file the incident in")]
    NoTarget,
}

/// What happened to a signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    pub project: usize,
    pub incident: Incident,
    /// False when it was another occurrence of a known incident.
    pub new: bool,
}

pub type LogFn = Arc<dyn Fn(&str) + Send + Sync>;

/// Turns signals into incidents and works them.
pub struct Sentinel {
    pub targets: Vec<Target>,
    pub clock: Arc<dyn Clock>,
    pub log: LogFn,
    /// Incidents with the same fingerprint among this many recent ones are the same incident.
    pub dedupe_window: usize,
    serial: Mutex<()>,
}

fn new_id() -> String {
    std::iter::repeat_with(|| {
        let n = fastrand::u8(0..16);
        char::from_digit(n as u32, 16).unwrap_or('0')
    })
    .take(12)
    .collect()
}

impl Sentinel {
    pub fn new(targets: Vec<Target>, clock: Arc<dyn Clock>, log: LogFn) -> Self {
        Self {
            targets,
            clock,
            log,
            dedupe_window: 100,
            serial: Mutex::new(()),
        }
    }

    fn now(&self) -> String {
        budget::iso(self.clock.now())
    }

    fn say(&self, t: &Target, msg: String) {
        (self.log)(&msg);
        t.engine.emit(Event::Note { message: msg });
    }

    /// The spend meter of a project.
    pub fn spend(&self, t: &Target) -> Arc<MonitoringSpend> {
        Arc::new(MonitoringSpend::new(
            t.engine.project.layout.monitoring_dir(),
            t.engine.config.monitoring_budget().clone(),
            self.clock.clone(),
        ))
    }

    /// Files a signal: a new incident (attributed, triaged, remediated or escalated), or one
    /// more occurrence of an incident with the same fingerprint.
    pub async fn handle(&self, mut sig: Signal) -> Result<Handled, SentinelError> {
        if sig.timestamp.is_empty() {
            sig.timestamp = self.now();
        }
        let located = attribution::locate(&self.targets, &sig);
        let idx = located.project.unwrap_or(0);
        let t = self.targets.get(idx).ok_or(SentinelError::NoTarget)?;
        let store = t.store();
        let fp = fingerprint(&sig.raw_text);
        let now = self.now();
        // One incident at a time per Sentinel: creation and dedupe must not race.
        let created = {
            let _one = self.serial.lock().unwrap_or_else(|p| p.into_inner());
            let window = self.dedupe_window;
            store.update(|file| {
                let n = file.incidents.len();
                let known = file
                    .incidents
                    .values_mut()
                    .skip(n.saturating_sub(window))
                    .find(|i| i.fingerprint == fp);
                if let Some(i) = known {
                    i.occurrences += 1;
                    i.updated_at = now.clone();
                    if i.signals.len() < incidents::MAX_SIGNALS {
                        i.signals.push(sig.clone());
                    }
                    return (i.clone(), false);
                }
                let mut i = Incident::new(
                    new_id(),
                    t.engine.project.root().display().to_string(),
                    fp.clone(),
                    sig.clone(),
                    now.clone(),
                );
                if let Some(c) = &located.component {
                    i.component_id = c.clone();
                    i.attribution = located.how.clone();
                }
                file.incidents.insert(i.id.clone(), i.clone());
                (i, true)
            })?
        };
        let (incident, new) = created;
        if !new {
            self.say(
                t,
                format!(
                    "incident {} ({}) occurred again ({} times)",
                    incident.id, incident.status, incident.occurrences
                ),
            );
            return Ok(Handled {
                project: idx,
                incident,
                new: false,
            });
        }
        self.say(
            t,
            format!(
                "incident {} detected: {}{}",
                incident.id,
                incident.headline(),
                if incident.component_id.is_empty() {
                    String::new()
                } else {
                    format!(" [{} by {}]", incident.component_id, incident.attribution)
                }
            ),
        );
        let _ = t.engine.project.audit(
            "incident_detected",
            format!("{}: {}", incident.id, incident.headline()),
        );
        let incident = self.work(t, incident, located.project.is_some()).await?;
        Ok(Handled {
            project: idx,
            incident,
            new: true,
        })
    }

    async fn work(
        &self,
        t: &Target,
        incident: Incident,
        project_known: bool,
    ) -> Result<Incident, SentinelError> {
        let id = incident.id.clone();
        let spend = self.spend(t);
        let hit = Arc::new(Mutex::new(None));
        let mut engine = t.engine.clone();
        engine.backends = Arc::new(Metered {
            inner: t.engine.backends.clone(),
            spend: spend.clone(),
            incident: id.clone(),
            hit: hit.clone(),
        });
        let store = t.store();
        let mut cid = incident.component_id.clone();
        if !project_known {
            return self.close(t, &id, IncidentStatus::Escalated, "unattributed: the error names no watched project (no log key, log file or process of one)", &spend);
        }
        if cid.is_empty() {
            let now = self.now();
            store.modify(&id, |i| i.set_status(IncidentStatus::Triaging, &now, ""))?;
            let components = t.components();
            if components.is_empty() {
                return self.close(
                    t,
                    &id,
                    IncidentStatus::Escalated,
                    "unattributed: the project has no components yet",
                    &spend,
                );
            }
            let text: String = incident
                .signals
                .iter()
                .map(|s| s.raw_text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            match attribution::triage(&engine, &text, &components).await {
                Ok((Some(c), r)) => {
                    let now = self.now();
                    store.modify(&id, |i| {
                        i.component_id = c.clone();
                        i.attribution = "triage".into();
                        i.extra.insert(
                            "triage".into(),
                            serde_json::to_value(&r).unwrap_or(Value::Null),
                        );
                        i.history.push(format!(
                            "{now} triage: {c} (confidence {:.2}): {}",
                            r.confidence, r.reasoning
                        ));
                    })?;
                    self.say(
                        t,
                        format!(
                            "incident {id}: triage says {c} ({:.0}%)",
                            r.confidence * 100.0
                        ),
                    );
                    cid = c;
                }
                Ok((None, r)) => {
                    return self.close(
                        t,
                        &id,
                        IncidentStatus::Escalated,
                        &format!(
                            "unattributed: triage could not name a component ({}: {})",
                            r.component_id, r.reasoning
                        ),
                        &spend,
                    );
                }
                Err(err) => return self.close_on_error(t, &id, err, &hit, &spend),
            }
        }
        if !t.engine.config.monitoring_auto_remediate() {
            return self.close(
                t,
                &id,
                IncidentStatus::Escalated,
                "auto-remediation is off (monitoring_auto_remediate: false): needs a human",
                &spend,
            );
        }
        if let Err(h) = spend.check(&id) {
            return self.close(
                t,
                &id,
                IncidentStatus::Escalated,
                &format!("budget_exceeded: {h}"),
                &spend,
            );
        }
        let job = match crate::joblock::acquire(
            &t.engine.project,
            &format!("pact sentinel: remediating incident {id}"),
        ) {
            Ok(j) => j,
            Err(err) => {
                return self.close(
                    t,
                    &id,
                    IncidentStatus::Escalated,
                    &format!("the project is busy, so it was not remediated: {err}"),
                    &spend,
                );
            }
        };
        let now = self.now();
        store.modify(&id, |i| {
            i.set_status(
                IncidentStatus::Remediating,
                &now,
                &format!("component {cid}"),
            );
        })?;
        self.say(t, format!("incident {id}: remediating {cid}"));
        let current = store.get(&id)?.unwrap_or(incident);
        let result = remediate::remediate(&engine, &current, &cid, &*self.log).await;
        drop(job);
        match result {
            Ok(remediate::Remediation::Fixed {
                test_name,
                attempts,
                passed,
                total,
            }) => {
                store.modify(&id, |i| i.remediation_attempts = attempts)?;
                self.close(
                    t,
                    &id,
                    IncidentStatus::Resolved,
                    &format!("auto_fixed: reproducer {test_name} added to {cid}'s contract tests; rebuilt, {passed}/{total} tests pass"),
                    &spend,
                )
            }
            Ok(remediate::Remediation::Escalated { reason, attempts }) => {
                store.modify(&id, |i| i.remediation_attempts = attempts)?;
                self.close(t, &id, IncidentStatus::Escalated, &reason, &spend)
            }
            Err(err) => self.close_on_error(t, &id, err, &hit, &spend),
        }
    }

    fn close_on_error(
        &self,
        t: &Target,
        id: &str,
        err: EngineError,
        hit: &Mutex<Option<budget::CapHit>>,
        spend: &MonitoringSpend,
    ) -> Result<Incident, SentinelError> {
        let cap = hit.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let reason = match (cap, &err) {
            (Some(h), _) => format!("budget_exceeded: {h}"),
            (None, EngineError::Agent(a)) if a.is_budget() => format!("budget_exceeded: {a}"),
            _ => format!("agent error: {err}"),
        };
        self.close(t, id, IncidentStatus::Escalated, &reason, spend)
    }

    fn close(
        &self,
        t: &Target,
        id: &str,
        status: IncidentStatus,
        resolution: &str,
        spend: &MonitoringSpend,
    ) -> Result<Incident, SentinelError> {
        let store = t.store();
        let now = self.now();
        let cost = spend.incident_spend(id);
        let mut closed = store
            .modify(id, |i| {
                i.spend_usd = cost;
                i.resolution = resolution.to_string();
                i.set_status(status, &now, resolution);
            })?
            .ok_or(SentinelError::NoTarget)?;
        let report = store.write_report(&closed)?;
        closed = store
            .modify(id, |i| i.diagnostic_report = report.clone())?
            .unwrap_or(closed);
        let action = match status {
            IncidentStatus::Resolved => "incident_resolved",
            _ => "incident_escalated",
        };
        let _ = t
            .engine
            .project
            .audit(action, format!("{id}: {resolution}"));
        self.say(t, format!("incident {id} {status}: {resolution}"));
        Ok(closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_times_addresses_lines_and_pids() {
        let a = fingerprint(
            "2024-01-01T10:00:00.123Z ERROR worker 12345 at 0xdeadbeef: boom in app.py:42",
        );
        let b = fingerprint("2025-06-30 23:59:59 ERROR   worker 67890 at 0x1: boom in app.py:7");
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        assert_ne!(a, fingerprint("ERROR worker: another failure"));
    }

    #[test]
    fn bad_patterns_match_as_text() {
        let (m, w) = ErrorMatcher::new(&["ERROR".into(), "Fatal[".into()]);
        assert_eq!(w.len(), 1);
        assert!(m.is_match("x ERROR y"));
        assert!(m.is_match("Fatal[ oops"));
        assert!(!m.is_match("all good"));
    }
}
