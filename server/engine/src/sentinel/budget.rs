//! What the Sentinel may spend: caps per incident and over rolling hour, day, week and month
//! windows (`monitoring_budget`), checked before every agent call an incident makes.
//!
//! `.pact/monitoring/budget.json`, as the seed's:
//! `{"budget": {per_incident_cap, hourly_cap, daily_cap, weekly_cap, monthly_cap},
//!   "spend_log": [{"timestamp", "incident_id", "amount"}]}`.
//! Time comes from a [`Clock`], so the windows are testable without waiting.

use crate::engine::Backends;
use pact_agents::{AgentError, Answer, Backend, BudgetTracker, LlmRequest};
use pact_core::config::MonitoringBudget;
use pact_core::store::fsio::{FileLock, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// The time source of the Sentinel.
pub trait Clock: Send + Sync {
    fn now(&self) -> SystemTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to (tests).
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    pub fn new(t: SystemTime) -> Self {
        Self(Mutex::new(t))
    }
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += d;
    }
    pub fn set(&self, to: SystemTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// ── ISO-8601 timestamps (UTC, no zone database) ──────────────────────────────────────────

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-mm-ddTHH:MM:SS` (UTC).
pub fn iso(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads `YYYY-mm-dd[T ]HH:MM:SS[.frac][Z|+00:00]` as UTC.
pub fn parse_iso(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let num = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, se) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se;
    if secs < 0 {
        return None;
    }
    Some(UNIX_EPOCH + Duration::from_secs(secs as u64))
}

// ── the spend log ─────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendEntry {
    pub timestamp: String,
    pub incident_id: String,
    pub amount: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetFile {
    #[serde(default)]
    pub budget: MonitoringBudget,
    #[serde(default)]
    pub spend_log: Vec<SpendEntry>,
}

/// Which cap was hit.
#[derive(Debug, Clone, PartialEq)]
pub struct CapHit {
    pub window: &'static str,
    pub spent: f64,
    pub cap: f64,
}

impl std::fmt::Display for CapHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "monitoring {} cap reached: ${:.2} spent of ${:.2}",
            self.window, self.spent, self.cap
        )
    }
}

const HOUR: u64 = 3600;
/// Windows: name, length, cap.
fn windows(b: &MonitoringBudget) -> [(&'static str, Duration, f64); 4] {
    [
        ("hourly", Duration::from_secs(HOUR), b.hourly_cap),
        ("daily", Duration::from_secs(24 * HOUR), b.daily_cap),
        ("weekly", Duration::from_secs(7 * 24 * HOUR), b.weekly_cap),
        (
            "monthly",
            Duration::from_secs(30 * 24 * HOUR),
            b.monthly_cap,
        ),
    ]
}

/// The Sentinel's spend against `monitoring_budget`, persisted in the project's monitoring dir.
pub struct MonitoringSpend {
    path: PathBuf,
    lock: PathBuf,
    caps: MonitoringBudget,
    clock: Arc<dyn Clock>,
}

impl MonitoringSpend {
    pub fn new(monitoring_dir: PathBuf, caps: MonitoringBudget, clock: Arc<dyn Clock>) -> Self {
        Self {
            path: monitoring_dir.join("budget.json"),
            lock: monitoring_dir.join(".budget.lock"),
            caps,
            clock,
        }
    }

    pub fn caps(&self) -> &MonitoringBudget {
        &self.caps
    }

    pub fn load(&self) -> BudgetFile {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Refuses when the incident or any window has reached its cap.
    pub fn check(&self, incident_id: &str) -> Result<(), CapHit> {
        let file = self.load();
        let now = self.clock.now();
        let incident: f64 = file
            .spend_log
            .iter()
            .filter(|s| s.incident_id == incident_id)
            .map(|s| s.amount)
            .sum();
        if incident >= self.caps.per_incident_cap {
            return Err(CapHit {
                window: "per-incident",
                spent: incident,
                cap: self.caps.per_incident_cap,
            });
        }
        for (name, len, cap) in windows(&self.caps) {
            let since = now.checked_sub(len).unwrap_or(UNIX_EPOCH);
            let spent: f64 = file
                .spend_log
                .iter()
                .filter(|s| parse_iso(&s.timestamp).is_some_and(|t| t > since && t <= now))
                .map(|s| s.amount)
                .sum();
            if spent >= cap {
                return Err(CapHit {
                    window: name,
                    spent,
                    cap,
                });
            }
        }
        Ok(())
    }

    /// Records spend (entries older than the longest window are dropped).
    pub fn record(&self, incident_id: &str, amount: f64) -> std::io::Result<()> {
        let _guard = FileLock::acquire(&self.lock)?;
        let mut file = self.load();
        let now = self.clock.now();
        let keep_after = now
            .checked_sub(Duration::from_secs(31 * 24 * HOUR))
            .unwrap_or(UNIX_EPOCH);
        file.spend_log
            .retain(|s| parse_iso(&s.timestamp).is_none_or(|t| t > keep_after));
        file.budget = self.caps.clone();
        file.spend_log.push(SpendEntry {
            timestamp: iso(now),
            incident_id: incident_id.to_string(),
            amount,
        });
        let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        write_atomic(&self.path, text.as_bytes())
    }

    /// What an incident has cost so far.
    pub fn incident_spend(&self, incident_id: &str) -> f64 {
        self.load()
            .spend_log
            .iter()
            .filter(|s| s.incident_id == incident_id)
            .map(|s| s.amount)
            .sum()
    }
}

/// The engine's backends, each call checked against the monitoring caps first and its cost
/// recorded against the incident after.
pub struct Metered {
    pub inner: Arc<dyn Backends>,
    pub spend: Arc<MonitoringSpend>,
    pub incident: String,
    /// The cap that stopped a call, if one did.
    pub hit: Arc<Mutex<Option<CapHit>>>,
}

impl Backends for Metered {
    fn for_role(&self, role: &str) -> Result<Arc<dyn Backend>, AgentError> {
        Ok(Arc::new(MeteredBackend {
            inner: self.inner.for_role(role)?,
            spend: self.spend.clone(),
            incident: self.incident.clone(),
            hit: self.hit.clone(),
        }))
    }
    fn budget(&self) -> Option<Arc<BudgetTracker>> {
        self.inner.budget()
    }
}

struct MeteredBackend {
    inner: Arc<dyn Backend>,
    spend: Arc<MonitoringSpend>,
    incident: String,
    hit: Arc<Mutex<Option<CapHit>>>,
}

#[pact_agents::async_trait]
impl Backend for MeteredBackend {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn model(&self) -> &str {
        self.inner.model()
    }
    async fn complete(
        &self,
        req: &LlmRequest,
        cancel: &CancellationToken,
    ) -> pact_agents::Result<Answer> {
        if let Err(hit) = self.spend.check(&self.incident) {
            let err = AgentError::BudgetExceeded {
                spent: hit.spent,
                budget: hit.cap,
                estimate: None,
            };
            *self.hit.lock().unwrap_or_else(|p| p.into_inner()) = Some(hit);
            return Err(err);
        }
        let answer = self.inner.complete(req, cancel).await?;
        self.spend
            .record(&self.incident, answer.cost_usd)
            .map_err(|source| AgentError::Io {
                context: "recording monitoring spend".into(),
                source,
            })?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        for s in [
            "1970-01-01T00:00:00",
            "2024-02-29T23:59:59",
            "2031-12-31T00:00:01",
        ] {
            let t = parse_iso(s).expect(s);
            assert_eq!(iso(t), s);
        }
        assert_eq!(
            parse_iso("2024-02-29 23:59:59.123456Z").map(iso),
            Some("2024-02-29T23:59:59".to_string())
        );
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("2024-13-01T00:00:00"), None);
    }
}
