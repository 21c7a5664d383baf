//! The cost estimate (`pact cost`): what the work left in a project will cost, phase by phase,
//! at the configured models' prices, next to what it has spent and its budget.
//!
//! The work left is read from the project: a component without a contract still needs its
//! contract, tests and build; one without a suite its tests and build; one not built from its
//! current contract and tests (what "done" means for `pact status`: [`crate::build::already_built`])
//! its build — implementation for a leaf, integration for a parent. Each call is priced by the
//! route the run would take for the phase's role (backend and model, `PACT_BACKEND`/`PACT_MODEL`
//! included) with the token counts of a typical call: the original's per-phase figures, or this
//! project's own average once it has made a few calls of that phase (`budget.json`). The
//! estimate counts one answer per call; the worst case every retry and revision the
//! configuration allows.

use crate::artifacts::Artifacts;
use crate::engine::Engine;
use crate::roles;
use pact_agents::{BudgetLedger, PriceSource};
use pact_core::model::Phase;
use pact_core::store::Project;
use serde::Serialize;
use std::sync::Arc;

/// Tokens of one call (input, output) as the original estimates them.
const DEFAULT_TOKENS: &[(Phase, u64, u64)] = &[
    (Phase::Contract, 4000, 2000),
    (Phase::Test, 3000, 2000),
    (Phase::Implement, 6000, 4000),
    (Phase::Integrate, 4000, 3000),
];

/// Calls of a phase a project must have made before its own average replaces the default.
const CALIBRATE_AFTER: u64 = 3;

/// Where a phase's tokens per call come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The original's figures for a typical call.
    Default,
    /// This project's average over its calls of the phase so far.
    Project,
}

/// One phase of the work left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseCost {
    pub phase: Phase,
    pub role: String,
    pub backend: String,
    pub model: String,
    /// USD per million tokens.
    pub price_in: f64,
    pub price_out: f64,
    /// The model is not in the price table: the fallback rate applies (set `model_pricing`).
    pub price_guessed: bool,
    /// The components that still need this phase, in tree order.
    pub pending: Vec<String>,
    /// Calls expected (one answer per call), and at most (every retry and revision).
    pub calls: u64,
    pub max_calls: u64,
    /// Tokens of one call, and where the figures come from.
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub tokens_from: TokenSource,
    pub estimate_usd: f64,
    pub worst_case_usd: f64,
}

/// One component's part of the estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentCost {
    pub id: String,
    pub leaf: bool,
    /// The phases it still needs.
    pub needs: Vec<Phase>,
    pub estimate_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    pub components: usize,
    pub phases: Vec<PhaseCost>,
    pub per_component: Vec<ComponentCost>,
    pub estimate_usd: f64,
    pub worst_case_usd: f64,
    /// What the project has spent (`budget.json`, or `state.json` if it says more).
    pub spent_usd: f64,
    /// Spent so far by the phase a call was made in (the ledger's own labels; integration is
    /// counted under `implement`).
    pub spent_by_phase: Vec<(String, f64)>,
    pub budget_usd: f64,
    pub budget_left_usd: f64,
    /// The estimate is within what the budget has left.
    pub fits: bool,
    /// A recorded session answers every call: nothing is spent whatever the estimate says.
    pub replayed: bool,
}

/// Estimates the work left in `project`, whose plan is `plan`.
pub fn estimate(project: &Project, plan: &Artifacts) -> crate::engine::Result<CostEstimate> {
    let (config, router) = crate::setup::router_for(project, &Default::default())?;
    let router = Arc::new(router);
    let engine = Engine::new(
        project.clone(),
        config.clone(),
        router.clone(),
        crate::events::ignore(),
    );
    let ledger = BudgetLedger::load(&project.layout.budget())?;
    let state = crate::artifacts::read_state(project)?;

    // What each component still needs.
    let mut per_component = Vec::new();
    for (id, node) in &plan.tree.nodes {
        let leaf = node.children.is_empty();
        let build = if leaf {
            Phase::Implement
        } else {
            Phase::Integrate
        };
        let mut needs = Vec::new();
        if plan.contract(id).is_none() {
            needs.push(Phase::Contract);
        }
        if plan.suite(id).is_none() {
            needs.push(Phase::Test);
        }
        if !needs.is_empty() || !crate::build::already_built(&engine, id).unwrap_or(false) {
            needs.push(build);
        }
        per_component.push(ComponentCost {
            id: id.clone(),
            leaf,
            needs,
            estimate_usd: 0.0,
        });
    }

    let agents = if config.competitive_implementations() {
        u64::from(config.competitive_agents().max(1))
    } else {
        1
    };
    let revisions = u64::from(config.max_plan_revisions());
    let suites = if config.held_out_tests() { 2 } else { 1 };
    let attempts = u64::from(config.max_implementation_attempts().max(1));
    let mutation_revisions = if config.mutation_gate() { revisions } else { 0 };
    let mut phases = Vec::new();
    for &(phase, default_in, default_out) in DEFAULT_TOKENS {
        let (role, label, per, max_per) = match phase {
            Phase::Contract => (roles::CONTRACT_AUTHOR, "contract", 1, 1 + revisions),
            Phase::Test => (
                roles::TEST_AUTHOR,
                "test",
                suites,
                suites * (1 + revisions) + mutation_revisions,
            ),
            Phase::Implement => (roles::CODE_AUTHOR, "implement", agents, agents * attempts),
            _ => (roles::CODE_AUTHOR, "implement", agents, agents * attempts),
        };
        let route = router.route(role);
        let replayed = route.backend == "replay";
        let (price, source) = if replayed {
            (pact_agents::Price::FREE, PriceSource::Config)
        } else {
            router.price_for(&route.backend, &route.model)
        };
        let (input_tokens, output_tokens, tokens_from) = match ledger.by_phase.get(label) {
            Some(l) if l.calls >= CALIBRATE_AFTER => (
                (l.input_tokens + l.cache_creation_input_tokens + l.cache_read_input_tokens)
                    / l.calls,
                l.output_tokens / l.calls,
                TokenSource::Project,
            ),
            _ => (default_in, default_out, TokenSource::Default),
        };
        let per_call =
            (input_tokens as f64 * price.input + output_tokens as f64 * price.output) / 1_000_000.0;
        let pending: Vec<String> = per_component
            .iter()
            .filter(|c| c.needs.contains(&phase))
            .map(|c| c.id.clone())
            .collect();
        let n = pending.len() as u64;
        for c in per_component
            .iter_mut()
            .filter(|c| c.needs.contains(&phase))
        {
            c.estimate_usd += per_call * per as f64;
        }
        phases.push(PhaseCost {
            phase,
            role: role.to_string(),
            backend: route.backend.clone(),
            model: route.model.clone(),
            price_in: price.input,
            price_out: price.output,
            price_guessed: source == PriceSource::Unknown,
            pending,
            calls: n * per,
            max_calls: n * max_per,
            input_tokens,
            output_tokens,
            tokens_from,
            estimate_usd: per_call * (n * per) as f64,
            worst_case_usd: per_call * (n * max_per) as f64,
        });
    }
    let estimate_usd: f64 = phases.iter().map(|p| p.estimate_usd).sum();
    let worst_case_usd: f64 = phases.iter().map(|p| p.worst_case_usd).sum();
    let spent_usd = ledger
        .spent()
        .max(state.as_ref().map_or(0.0, |s| s.total_cost_usd));
    let budget_usd = config.budget();
    let budget_left_usd = (budget_usd - spent_usd).max(0.0);
    let replayed = phases.iter().any(|p| p.backend == "replay");
    Ok(CostEstimate {
        components: per_component.len(),
        spent_by_phase: ledger
            .by_phase
            .iter()
            .map(|(k, v)| (k.clone(), v.cost_usd))
            .collect(),
        phases,
        per_component,
        estimate_usd,
        worst_case_usd,
        spent_usd,
        budget_usd,
        budget_left_usd,
        fits: estimate_usd <= budget_left_usd,
        replayed,
    })
}
