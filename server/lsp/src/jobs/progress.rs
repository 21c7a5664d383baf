//! A job's work-done progress: the engine's typed events folded into one message and a rising
//! percentage, sent under a server-created token, and what each event means for the documents
//! the server shows (re-read the project, or one component's test results).

use pact_core::model::Phase;
use pact_engine::events::{Event, Step};
use pact_engine::job::JobKind;
use std::collections::HashSet;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::notification::Progress as ProgressNotification;
use tower_lsp_server::ls_types::{
    NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressEnd, WorkDoneProgressReport,
};

/// Work-done progress under a server-created token (nothing is sent if the client cannot show
/// it, or refused the token).
#[derive(Clone)]
pub struct Progress {
    client: Client,
    token: NumberOrString,
    on: bool,
}

impl Progress {
    pub async fn begin(client: &Client, supported: bool, token: &str, title: &str) -> Self {
        let client = client.clone();
        let token = NumberOrString::String(token.to_string());
        let mut on = supported;
        if on && let Err(e) = client.create_work_done_progress(token.clone()).await {
            tracing::warn!("the client refused a progress token: {e}");
            on = false;
        }
        let p = Self { client, token, on };
        p.send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
            title: title.to_string(),
            cancellable: Some(true),
            message: Some("starting".into()),
            percentage: Some(0),
        }))
        .await;
        p
    }

    async fn send(&self, value: WorkDoneProgress) {
        if !self.on {
            return;
        }
        self.client
            .send_notification::<ProgressNotification>(ProgressParams {
                token: self.token.clone(),
                value: ProgressParamsValue::WorkDone(value),
            })
            .await;
    }

    pub async fn report(&self, message: &str, percentage: Option<u32>) {
        self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
            cancellable: Some(true),
            message: Some(message.to_string()),
            percentage,
        }))
        .await;
    }

    pub async fn end(&self, message: &str) {
        self.send(WorkDoneProgress::End(WorkDoneProgressEnd {
            message: Some(message.to_string()),
        }))
        .await;
    }
}

/// What an event says about the files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recheck {
    None,
    /// New test results of a component.
    Results(String),
    /// Contracts, tests, the tree or records may have landed: read the project again.
    Reload,
}

/// How a job's percentage is measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Measure {
    /// By phase, and by component within the phases that go component by component.
    Pipeline,
    /// By attempt, and by tests passed within an attempt.
    Build,
    /// Not measured (no percentage).
    #[default]
    None,
}

/// The state of a job as its events tell it: the progress message and percentage.
#[derive(Debug, Default, Clone)]
pub struct Tracker {
    measure: Measure,
    phase: Option<Phase>,
    component: String,
    step: Option<Step>,
    attempt: Option<(u32, u32)>,
    tests: Option<(u64, u64)>,
    spend: Option<(f64, f64)>,
    note: String,
    pct: u32,
    components: Option<usize>,
    contracts: HashSet<String>,
    suites: HashSet<String>,
    implemented: HashSet<String>,
}

/// The first line of a note, cut to what a progress message can show.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// Where each pipeline phase sits in the job's percentage.
fn phase_span(phase: Phase) -> Option<(u32, u32)> {
    Some(match phase {
        Phase::Interview => (0, 10),
        Phase::Shape => (10, 15),
        Phase::Decompose => (15, 25),
        Phase::Contract => (25, 45),
        Phase::Test => (45, 60),
        Phase::Validate => (60, 65),
        Phase::Preflight => (65, 65),
        Phase::Implement => (65, 95),
        Phase::Integrate | Phase::Diagnose => (95, 99),
        _ => return None,
    })
}

impl Tracker {
    pub fn new(kind: &JobKind) -> Self {
        let measure = match kind {
            JobKind::Decompose | JobKind::Run { .. } => Measure::Pipeline,
            JobKind::Build { .. } | JobKind::Rebuild { .. } => Measure::Build,
            _ => Measure::None,
        };
        Self {
            measure,
            ..Default::default()
        }
    }

    /// Applies one event; `components` counts the tree's nodes (read when first needed).
    pub fn apply(&mut self, e: &Event, components: impl FnOnce() -> Option<usize>) -> Recheck {
        let recheck = match e {
            Event::PhaseStarted { phase } => {
                self.phase = Some(*phase);
                self.component.clear();
                self.step = None;
                self.attempt = None;
                self.tests = None;
                self.note.clear();
                Recheck::None
            }
            Event::PhaseFinished { .. } => Recheck::Reload,
            Event::Component {
                phase,
                component,
                step,
            } => {
                if *component != self.component {
                    self.attempt = None;
                    self.tests = None;
                }
                self.phase = Some(*phase);
                self.component = component.clone();
                self.step = Some(*step);
                self.note.clear();
                match step {
                    Step::Contract => {
                        self.contracts.insert(component.clone());
                    }
                    Step::Tests => {
                        self.suites.insert(component.clone());
                    }
                    Step::Implement | Step::UpToDate => {
                        self.implemented.insert(component.clone());
                    }
                    Step::MutationTesting | Step::RunTests => {}
                }
                // A new contract or suite landed: read the project again.
                if matches!(step, Step::Contract | Step::Tests) {
                    Recheck::Reload
                } else {
                    Recheck::None
                }
            }
            Event::Attempt {
                component,
                attempt,
                of,
            } => {
                self.component = component.clone();
                self.attempt = Some((*attempt, *of));
                self.tests = None;
                Recheck::None
            }
            Event::TestsRan {
                component,
                passed,
                total,
            } => {
                self.component = component.clone();
                self.tests = Some((*passed, *total));
                Recheck::Results(component.clone())
            }
            Event::Spend {
                spent_usd,
                budget_usd,
            } => {
                self.spend = Some((*spent_usd, *budget_usd));
                Recheck::None
            }
            Event::Paused { reason } => {
                self.note = format!("paused: {}", short(&reason.to_string()));
                Recheck::Reload
            }
            Event::Note { message } => {
                self.note = short(message);
                Recheck::None
            }
            Event::Runtime { runtime, message } => {
                self.note = short(&format!("{runtime}: {message}"));
                Recheck::None
            }
        };
        if self.components.is_none()
            && matches!(
                self.phase,
                Some(Phase::Contract | Phase::Test | Phase::Implement)
            )
        {
            self.components = components();
        }
        self.advance();
        recheck
    }

    fn advance(&mut self) {
        let pct = match self.measure {
            Measure::Pipeline => {
                let Some((lo, hi)) = self.phase.and_then(phase_span) else {
                    return;
                };
                let n = self.components.unwrap_or(0).max(1) as f64;
                let done = match self.phase {
                    Some(Phase::Contract) => self.contracts.len().saturating_sub(1) as f64 / n,
                    Some(Phase::Test) => self.suites.len().saturating_sub(1) as f64 / n,
                    Some(Phase::Implement) => self.implemented.len().saturating_sub(1) as f64 / n,
                    _ => 0.0,
                };
                lo + ((hi - lo) as f64 * done.clamp(0.0, 1.0)) as u32
            }
            Measure::Build => {
                let Some((k, of)) = self.attempt else {
                    return;
                };
                let of = of.max(1) as f64;
                let within = self
                    .tests
                    .map_or(0.0, |(p, t)| if t == 0 { 0.0 } else { p as f64 / t as f64 });
                (((k.saturating_sub(1)) as f64 + within * 0.9) / of * 100.0).min(99.0) as u32
            }
            Measure::None => return,
        };
        // Percentages only rise (clients may ignore values that fall).
        self.pct = self.pct.max(pct.min(99));
    }

    pub fn percentage(&self) -> Option<u32> {
        (self.measure != Measure::None).then_some(self.pct)
    }

    /// "implement · tokenizer · attempt 1/3 · tests 7/7 passed · $0.02 of $5.00".
    pub fn message(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = self.phase {
            parts.push(p.to_string());
        }
        if !self.component.is_empty() {
            let step = match self.step {
                Some(s) if self.phase.is_none_or(|p| p.as_str() != s.to_string()) => {
                    format!(": {s}")
                }
                _ => String::new(),
            };
            parts.push(format!("{}{step}", self.component));
        }
        if let Some((k, n)) = self.attempt {
            parts.push(format!("attempt {k}/{n}"));
        }
        if let Some((p, t)) = self.tests {
            parts.push(format!("tests {p}/{t} passed"));
        }
        if let Some((s, b)) = self.spend {
            parts.push(format!("${s:.2} of ${b:.2}"));
        }
        if !self.note.is_empty() {
            parts.push(self.note.clone());
        }
        if parts.is_empty() {
            "starting".into()
        } else {
            parts.join(" · ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(phase: Phase, c: &str, step: Step) -> Event {
        Event::Component {
            phase,
            component: c.into(),
            step,
        }
    }

    #[test]
    fn progress_of_a_pipeline_rises_through_the_phases() {
        let mut t = Tracker::new(&JobKind::run());
        let four = || Some(4);
        let mut seen = Vec::new();
        let events = [
            Event::PhaseStarted {
                phase: Phase::Interview,
            },
            Event::PhaseFinished {
                phase: Phase::Interview,
            },
            Event::PhaseStarted {
                phase: Phase::Decompose,
            },
            component(Phase::Contract, "a", Step::Contract),
            component(Phase::Contract, "b", Step::Contract),
            component(Phase::Test, "a", Step::Tests),
            Event::PhaseStarted {
                phase: Phase::Validate,
            },
            Event::PhaseStarted {
                phase: Phase::Implement,
            },
            component(Phase::Implement, "a", Step::Implement),
            Event::Attempt {
                component: "a".into(),
                attempt: 1,
                of: 3,
            },
            Event::TestsRan {
                component: "a".into(),
                passed: 7,
                total: 7,
            },
            Event::Spend {
                spent_usd: 0.25,
                budget_usd: 5.0,
            },
        ];
        let mut rechecks = Vec::new();
        for e in &events {
            rechecks.push(t.apply(e, four));
            seen.push(t.percentage().unwrap_or(0));
        }
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert_eq!(*seen.last().unwrap_or(&0), 65);
        assert_eq!(
            t.message(),
            "implement · a · attempt 1/3 · tests 7/7 passed · $0.25 of $5.00"
        );
        assert_eq!(rechecks[1], Recheck::Reload);
        assert_eq!(rechecks[3], Recheck::Reload);
        assert_eq!(rechecks[10], Recheck::Results("a".into()));
    }

    #[test]
    fn progress_of_a_build_follows_its_attempts() {
        let mut t = Tracker::new(&JobKind::Build {
            component: "c".into(),
            agents: 1,
        });
        t.apply(
            &Event::Attempt {
                component: "c".into(),
                attempt: 2,
                of: 4,
            },
            || None,
        );
        assert_eq!(t.percentage(), Some(25));
        t.apply(
            &Event::TestsRan {
                component: "c".into(),
                passed: 5,
                total: 10,
            },
            || None,
        );
        assert_eq!(t.percentage(), Some(36));
        assert_eq!(t.message(), "c · attempt 2/4 · tests 5/10 passed");
        let tests = Tracker::new(&JobKind::RunTests {
            component: "c".into(),
        });
        assert_eq!(tests.percentage(), None);
    }
}
