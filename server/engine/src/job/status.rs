//! The one status query: what `pact status`, `pact components` and the language server's
//! `pact.status` show. A component is "done" only with evidence (its build record says it passed
//! the current contract, tests, held-out tests and dependencies, and the mutation gate where it
//! applies), so every front end tells the same story about the same project.

use crate::engine::Engine;
use crate::events;
use crate::setup::{RunOptions, engine_for};
use pact_core::model::{DecompositionTree, ImplementationStatus, Phase, RunStatus, TaskStatus};
use pact_core::store::Project;
use serde::Serialize;

/// Where a component stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComponentState {
    /// Built and passing from the current contract and tests (with evidence).
    Done,
    /// Was completed, but its contract, tests, code or dependencies changed since.
    Stale,
    /// In the state machine's words (`pending`, `implementing`, `failed`, …).
    Task(TaskStatus),
    /// No run state: the tree node's own status.
    Node(ImplementationStatus),
}

impl std::fmt::Display for ComponentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Done => f.write_str("done"),
            Self::Stale => f.write_str("stale"),
            Self::Task(t) => f.write_str(t.as_str()),
            Self::Node(n) => f.write_str(n.as_str()),
        }
    }
}

/// One component, in tree order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ComponentStatus {
    pub id: String,
    pub name: String,
    /// Depth in the tree (the root is 0).
    pub depth: usize,
    pub leaf: bool,
    pub state: ComponentState,
    /// The last test run: passed of total.
    pub tests: Option<(u64, u64)>,
    pub attempts: u32,
}

/// The run as a whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProjectStatus {
    /// `None`: no run has started.
    pub run_id: Option<String>,
    pub phase: Option<Phase>,
    pub status: Option<RunStatus>,
    pub pause_reason: String,
    pub spent_usd: f64,
    pub tokens: u64,
    pub budget_usd: f64,
    pub components: Vec<ComponentStatus>,
    /// Who holds the project's run lock, if anyone ("pact run (pid 123)").
    pub holder: Option<crate::joblock::Holder>,
}

impl ProjectStatus {
    pub fn done(&self) -> usize {
        self.components
            .iter()
            .filter(|c| c.state == ComponentState::Done)
            .count()
    }
}

/// The project's status; `options` are the front end's overrides (an editor's budget).
pub fn status(
    project: &Project,
    options: &RunOptions,
) -> Result<ProjectStatus, crate::EngineError> {
    let engine = engine_for(project, options, events::ignore()).ok();
    let state = project.load_state()?;
    let budget = engine
        .as_ref()
        .map(|e| e.config.budget())
        .or_else(|| project.config().ok().map(|c| c.budget()))
        .unwrap_or(0.0);
    let components = match project.load_tree()? {
        Some(t) => components(project, engine.as_ref(), &t, state.as_ref()),
        None => Vec::new(),
    };
    Ok(ProjectStatus {
        run_id: state.as_ref().map(|s| s.id.clone()),
        phase: state.as_ref().map(|s| s.phase),
        status: state.as_ref().map(|s| s.status),
        pause_reason: state
            .as_ref()
            .map(|s| s.pause_reason.clone())
            .unwrap_or_default(),
        spent_usd: state.as_ref().map_or(0.0, |s| s.total_cost_usd),
        tokens: state.as_ref().map_or(0, |s| s.total_tokens),
        budget_usd: budget,
        components,
        holder: crate::joblock::holder(project),
    })
}

/// The tree's components in pre-order from the root (so a list reads like the tree), then any
/// node the root does not reach.
fn components(
    project: &Project,
    engine: Option<&Engine>,
    tree: &DecompositionTree,
    state: Option<&pact_core::model::RunState>,
) -> Vec<ComponentStatus> {
    let mut stack = vec![(tree.root_id.as_str(), 0usize)];
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    while let Some((id, depth)) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(node) = tree.nodes.get(id) else {
            continue;
        };
        order.push((id, depth));
        for c in node.children.iter().rev() {
            stack.push((c.as_str(), depth + 1));
        }
    }
    for id in tree.nodes.keys() {
        if !seen.contains(id.as_str()) {
            order.push((id.as_str(), 0));
        }
    }
    let mut out = Vec::new();
    for (id, depth) in order {
        let Some(node) = tree.nodes.get(id) else {
            continue;
        };
        let results = project
            .load_test_results(id)
            .ok()
            .flatten()
            .or_else(|| node.test_results.clone());
        let task = state.and_then(|s| s.task(id));
        let built = engine.is_some_and(|e| crate::build::already_built(e, id).unwrap_or(false));
        let state = match task.map(|t| t.status) {
            _ if built => ComponentState::Done,
            Some(TaskStatus::Completed) => ComponentState::Stale,
            Some(t) => ComponentState::Task(t),
            None => ComponentState::Node(node.implementation_status),
        };
        out.push(ComponentStatus {
            id: id.to_string(),
            name: node.name.clone(),
            depth,
            leaf: node.children.is_empty(),
            state,
            tests: results.map(|r| (r.passed, r.total)),
            attempts: task.map_or(0, |t| t.attempts),
        });
    }
    out
}
