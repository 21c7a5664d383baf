//! What a run reports as it goes: the CLI draws progress bars from these, the language server
//! turns them into LSP work-done progress. Sinks must be cheap; they run on the engine's tasks.

use crate::job::PauseReason;
use pact_core::model::Phase;
use serde::Serialize;
use std::sync::Arc;

/// What the engine is doing to one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Writing its contract.
    Contract,
    /// Writing its contract tests.
    Tests,
    /// The code agent implements it.
    Implement,
    /// Built already from the current contract and tests: nothing to do.
    UpToDate,
    /// The mutation gate measures its tests.
    MutationTesting,
    /// Its locked contract tests run against the implementation.
    RunTests,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Contract => "contract",
            Self::Tests => "tests",
            Self::Implement => "implement",
            Self::UpToDate => "up to date",
            Self::MutationTesting => "mutation testing",
            Self::RunTests => "run contract tests",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PhaseStarted {
        phase: Phase,
    },
    PhaseFinished {
        phase: Phase,
    },
    /// Work on one component began (contract, tests, implementation…).
    Component {
        phase: Phase,
        component: String,
        step: Step,
    },
    Attempt {
        component: String,
        attempt: u32,
        of: u32,
    },
    TestsRan {
        component: String,
        passed: u64,
        total: u64,
    },
    Spend {
        spent_usd: f64,
        budget_usd: f64,
    },
    Paused {
        reason: PauseReason,
    },
    Note {
        message: String,
    },
    /// A test runtime is being provisioned (`runtime`: "Python" or "vitest").
    Runtime {
        runtime: String,
        message: String,
    },
}

pub type Sink = Arc<dyn Fn(&Event) + Send + Sync>;

/// A sink that drops everything.
pub fn ignore() -> Sink {
    Arc::new(|_| {})
}

/// A sink that keeps every event (tests and benchmarks).
pub fn collect() -> (Sink, Arc<std::sync::Mutex<Vec<Event>>>) {
    let store = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = store.clone();
    let sink: Sink = Arc::new(move |e: &Event| {
        if let Ok(mut v) = s.lock() {
            v.push(e.clone());
        }
    });
    (sink, store)
}
