//! Spend against the project budget, kept in `.pact/budget.json` so that it survives restarts
//! and is shared by every process working on the project (the original kept it in memory, so
//! each invocation started again from zero).
//!
//! `budget.json`:
//! ```json
//! {
//!   "version": 1,
//!   "budget_usd": 10.0,
//!   "total": {"cost_usd": 1.23, "calls": 7, "input_tokens": 51000, "output_tokens": 9000,
//!             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
//!   "by_role": {"decomposer": {...same fields...}},
//!   "by_phase": {"decompose": {...}},
//!   "by_component": {"parser": {...}},
//!   "by_model": {"claude-opus-4-6": {...}},
//!   "updated_at": "2026-11-02T12:00:00Z"
//! }
//! ```
//! Calls without a phase or component are counted in `total`, `by_role` and `by_model` only.
//! Updates take `.pact/.budget.lock` and replace the file atomically.

use crate::backend::Usage;
use crate::error::{AgentError, Result};
use indexmap::IndexMap;
use pact_core::store::Layout;
use pact_core::store::fsio::{FileLock, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const LEDGER_VERSION: u32 = 1;

/// Spend under one heading.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpendLine {
    pub cost_usd: f64,
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl SpendLine {
    fn add(&mut self, usage: &Usage, cost: f64) {
        self.cost_usd += cost;
        self.calls += 1;
        self.input_tokens += usage.input_tokens;
        self.output_tokens += usage.output_tokens;
        self.cache_creation_input_tokens += usage.cache_creation_input_tokens;
        self.cache_read_input_tokens += usage.cache_read_input_tokens;
    }

    pub fn tokens(&self) -> u64 {
        self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
    }
}

/// The content of `budget.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BudgetLedger {
    pub version: u32,
    pub budget_usd: f64,
    pub total: SpendLine,
    pub by_role: IndexMap<String, SpendLine>,
    pub by_phase: IndexMap<String, SpendLine>,
    pub by_component: IndexMap<String, SpendLine>,
    pub by_model: IndexMap<String, SpendLine>,
    pub updated_at: String,
}

impl Default for BudgetLedger {
    fn default() -> Self {
        Self {
            version: LEDGER_VERSION,
            budget_usd: 0.0,
            total: SpendLine::default(),
            by_role: IndexMap::new(),
            by_phase: IndexMap::new(),
            by_component: IndexMap::new(),
            by_model: IndexMap::new(),
            updated_at: String::new(),
        }
    }
}

impl BudgetLedger {
    pub fn spent(&self) -> f64 {
        self.total.cost_usd
    }

    /// Reads a ledger; a missing file is an empty one. A damaged file is an error rather than a
    /// silent reset, which would hand out the budget a second time.
    pub fn load(path: &Path) -> Result<Self> {
        // Through the bounded reader: a FIFO or a link to a device is an error, never a hang.
        let max = pact_core::json::MAX_DOCUMENT_BYTES as u64;
        match pact_core::store::fsio::read_text(path, max) {
            Ok(None) => Ok(Self::default()),
            Ok(Some(text)) if text.trim().is_empty() => Ok(Self::default()),
            Ok(Some(text)) => serde_json::from_str(&text).map_err(|e| {
                AgentError::Config(format!(
                    "{}: not a valid budget ledger ({e}); fix or remove it to start counting again",
                    path.display()
                ))
            }),
            Err(e) => Err(AgentError::Config(format!("{} {e}", path.display()))),
        }
    }
}

/// One call's spend and the labels it is filed under.
#[derive(Debug, Clone, PartialEq)]
pub struct Spend<'a> {
    pub role: &'a str,
    pub phase: Option<&'a str>,
    pub component: Option<&'a str>,
    pub model: &'a str,
    pub usage: Usage,
    pub cost_usd: f64,
}

/// Checks calls against the budget and records what they cost.
///
/// Calls in flight hold a [`Reservation`] of their estimated cost, so parallel agents cannot all
/// pass the check on the same remaining dollars. The file work is synchronous: a read, or a
/// locked read-modify-rename of a small file, once per model call.
#[derive(Debug)]
pub struct BudgetTracker {
    path: PathBuf,
    lock_path: PathBuf,
    budget: f64,
    pending: Mutex<f64>,
}

impl BudgetTracker {
    /// A ledger at `path` (normally `.pact/budget.json`); `budget` in USD. A non-finite budget
    /// means no cap.
    pub fn new(path: impl Into<PathBuf>, budget: f64) -> Self {
        let path = path.into();
        let lock_path = path.with_file_name(".budget.lock");
        Self {
            path,
            lock_path,
            budget,
            pending: Mutex::new(0.0),
        }
    }

    /// The project's ledger, `.pact/budget.json` under `root`.
    pub fn for_project(root: &Path, budget: f64) -> Self {
        Self::new(Layout::detect(root).budget(), budget)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn budget(&self) -> f64 {
        self.budget
    }
    pub fn ledger(&self) -> Result<BudgetLedger> {
        BudgetLedger::load(&self.path)
    }
    pub fn spent(&self) -> Result<f64> {
        Ok(self.ledger()?.spent())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, f64> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Refuses a call whose estimated cost would take spend (recorded plus in flight) past the
    /// budget; otherwise holds the estimate until the call is recorded or abandoned.
    pub fn reserve(&self, estimate_usd: f64) -> Result<Reservation<'_>> {
        let spent = self.spent()?;
        let mut pending = self.pending();
        let committed = spent + *pending;
        if self.budget.is_finite() && committed + estimate_usd > self.budget {
            return Err(AgentError::BudgetExceeded {
                spent: committed,
                budget: self.budget,
                estimate: Some(estimate_usd),
            });
        }
        *pending += estimate_usd;
        Ok(Reservation {
            tracker: self,
            amount: estimate_usd,
        })
    }

    /// The check alone, without holding anything.
    pub fn check_before(&self, estimate_usd: f64) -> Result<()> {
        self.reserve(estimate_usd).map(drop)
    }

    /// Adds a call's spend to the ledger. Returns the updated ledger, or
    /// [`AgentError::BudgetExceeded`] (after recording) once spend has passed the budget: the
    /// run then stops with status `budget_exceeded`.
    pub fn record(&self, spend: &Spend<'_>) -> Result<BudgetLedger> {
        let ledger = {
            let _lock = FileLock::acquire(&self.lock_path)
                .map_err(|e| AgentError::io(format!("locking {}", self.lock_path.display()), e))?;
            let mut ledger = self.ledger()?;
            ledger.version = LEDGER_VERSION;
            ledger.budget_usd = if self.budget.is_finite() {
                self.budget
            } else {
                0.0
            };
            ledger.total.add(&spend.usage, spend.cost_usd);
            ledger
                .by_role
                .entry(spend.role.to_string())
                .or_default()
                .add(&spend.usage, spend.cost_usd);
            ledger
                .by_model
                .entry(spend.model.to_string())
                .or_default()
                .add(&spend.usage, spend.cost_usd);
            if let Some(p) = spend.phase.filter(|p| !p.is_empty()) {
                ledger
                    .by_phase
                    .entry(p.to_string())
                    .or_default()
                    .add(&spend.usage, spend.cost_usd);
            }
            if let Some(c) = spend.component.filter(|c| !c.is_empty()) {
                ledger
                    .by_component
                    .entry(c.to_string())
                    .or_default()
                    .add(&spend.usage, spend.cost_usd);
            }
            ledger.updated_at = utc_now();
            let text = serde_json::to_string_pretty(&ledger)
                .map_err(|e| AgentError::Config(format!("cannot encode the budget ledger: {e}")))?;
            write_atomic(&self.path, text.as_bytes())
                .map_err(|e| AgentError::io(format!("writing {}", self.path.display()), e))?;
            ledger
        };
        if self.budget.is_finite() && ledger.spent() > self.budget {
            return Err(AgentError::BudgetExceeded {
                spent: ledger.spent(),
                budget: self.budget,
                estimate: None,
            });
        }
        Ok(ledger)
    }
}

/// An estimate held against the budget while its call runs; released when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    tracker: &'a BudgetTracker,
    amount: f64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut pending = self.tracker.pending();
        *pending = (*pending - self.amount).max(0.0);
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from the system clock.
pub(crate) fn utc_now() -> String {
    pact_core::store::now_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_ledger_that_is_a_pipe_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("budget.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let err = BudgetLedger::load(&path).expect_err("a FIFO is no ledger");
        assert!(err.to_string().contains("FIFO"), "{err}");
    }

    fn spend<'a>(
        role: &'a str,
        phase: Option<&'a str>,
        component: Option<&'a str>,
        cost: f64,
    ) -> Spend<'a> {
        Spend {
            role,
            phase,
            component,
            model: "claude-opus-4-6",
            usage: Usage::new(1000, 200),
            cost_usd: cost,
        }
    }

    #[test]
    fn records_per_role_phase_component_and_persists() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| AgentError::io("tempdir", e))?;
        let t = BudgetTracker::for_project(dir.path(), 10.0);
        assert_eq!(t.path(), dir.path().join(".pact/budget.json"));
        t.record(&spend("decomposer", Some("decompose"), None, 1.5))?;
        t.record(&spend(
            "code_author",
            Some("implement"),
            Some("parser"),
            2.0,
        ))?;
        let again = BudgetTracker::for_project(dir.path(), 10.0);
        let l = again.ledger()?;
        assert!((l.spent() - 3.5).abs() < 1e-9);
        assert_eq!(l.total.calls, 2);
        assert_eq!(l.total.input_tokens, 2000);
        assert_eq!(l.by_role["decomposer"].cost_usd, 1.5);
        assert_eq!(l.by_phase["implement"].calls, 1);
        assert_eq!(l.by_component["parser"].output_tokens, 200);
        assert!(!l.by_component.contains_key("decomposer"));
        assert_eq!(l.by_model["claude-opus-4-6"].calls, 2);
        assert_eq!(l.budget_usd, 10.0);
        assert_eq!(l.updated_at.len(), 20);
        let raw: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(again.path()).map_err(|e| AgentError::io("read", e))?,
        )
        .map_err(|e| AgentError::Config(e.to_string()))?;
        assert_eq!(raw["version"], 1);
        assert_eq!(raw["by_role"]["code_author"]["cost_usd"], 2.0);
        Ok(())
    }

    #[test]
    fn refuses_before_and_stops_after() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| AgentError::io("tempdir", e))?;
        let t = BudgetTracker::for_project(dir.path(), 1.0);
        let held = t.reserve(0.6)?;
        // In-flight estimates count: a second parallel call cannot spend the same dollars.
        let second = t.reserve(0.6);
        assert!(
            matches!(
                second,
                Err(AgentError::BudgetExceeded {
                    estimate: Some(_),
                    ..
                })
            ),
            "{second:?}"
        );
        drop(held);
        t.check_before(0.6)?;
        t.record(&spend("decomposer", None, None, 0.9))?;
        let refused = t.check_before(0.2);
        let msg = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("would take spend from $0.9000 past the project budget of $1.00"),
            "{msg}"
        );
        let after = t.record(&spend("decomposer", None, None, 0.2));
        assert!(matches!(
            after,
            Err(AgentError::BudgetExceeded { estimate: None, .. })
        ));
        assert!(after.err().is_some_and(|e| e.is_budget()));
        assert!(
            (t.spent()? - 1.1).abs() < 1e-9,
            "the call that crossed the line is still recorded"
        );
        Ok(())
    }

    #[test]
    fn damaged_ledger_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let p = dir.path().join("budget.json");
        let _ = std::fs::write(&p, "{not json");
        let t = BudgetTracker::new(&p, 5.0);
        let msg = t
            .check_before(0.0)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("not a valid budget ledger"), "{msg}");
    }
}
