//! What a run reports as it goes: the CLI draws progress bars from these, the language server
//! turns them into LSP work-done progress. Sinks must be cheap; they run on the engine's tasks.

use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PhaseStarted {
        phase: String,
    },
    PhaseFinished {
        phase: String,
    },
    /// Work on one component began (contract, tests, implementation…).
    Component {
        phase: String,
        component: String,
        step: String,
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
        reason: String,
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
