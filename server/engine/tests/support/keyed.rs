//! A test backend that answers by (role, component) — so parallel and competitive runs get the
//! right answer whatever the order — with optional cost and delay, and remembers every request.
#![allow(dead_code)]

use pact_agents::{AgentError, Answer, Backend, LlmRequest, Usage, async_trait};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Keyed {
    queues: Mutex<HashMap<(String, String), VecDeque<Value>>>,
    pub calls: Mutex<Vec<LlmRequest>>,
    pub cost_per_call: f64,
    pub delay: Duration,
    /// Charged like a real backend: refused before a call that would cross it, recorded after.
    pub budget: Option<std::sync::Arc<pact_agents::BudgetTracker>>,
}

impl Keyed {
    pub fn new() -> Self {
        Self::default()
    }
    /// Queues an answer for `role` about `component` ("" for project-wide roles).
    pub fn push(&self, role: &str, component: &str, v: Value) {
        let mut q = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        q.entry((role.to_string(), component.to_string()))
            .or_default()
            .push_back(v);
    }
    /// Queues `v` ahead of what is already queued for `role` about `component`.
    pub fn before(&self, role: &str, component: &str, v: Value) {
        let mut q = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        q.entry((role.to_string(), component.to_string()))
            .or_default()
            .push_front(v);
    }
    /// Replaces every answer queued for `role` about `component`.
    pub fn replace(&self, role: &str, component: &str, values: Vec<Value>) {
        let mut q = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        q.insert((role.to_string(), component.to_string()), values.into());
    }
    pub fn calls_for(&self, role: &str, component: &str) -> Vec<LlmRequest> {
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls
            .iter()
            .filter(|c| c.role == role && c.component.as_deref().unwrap_or("") == component)
            .cloned()
            .collect()
    }
    pub fn total_calls(&self) -> usize {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[async_trait]
impl Backend for Keyed {
    fn name(&self) -> &str {
        "keyed"
    }
    fn model(&self) -> &str {
        "test"
    }
    async fn complete(
        &self,
        req: &LlmRequest,
        cancel: &CancellationToken,
    ) -> pact_agents::Result<Answer> {
        if cancel.is_cancelled() {
            return Err(AgentError::Cancelled);
        }
        if !self.delay.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(self.delay) => {}
                _ = cancel.cancelled() => return Err(AgentError::Cancelled),
            }
        }
        if let Some(b) = &self.budget {
            b.check_before(self.cost_per_call)?;
        }
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(req.clone());
        let key = (req.role.clone(), req.component.clone().unwrap_or_default());
        let value = {
            let mut q = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            let queue = q.get_mut(&key);
            match queue {
                // The last answer repeats, as a model asked the same thing would answer again.
                Some(q) if q.len() > 1 => q.pop_front(),
                Some(q) => q.front().cloned(),
                None => None,
            }
        };
        let value = value.ok_or_else(|| AgentError::Protocol {
            backend: "keyed".into(),
            message: format!("no answer for {key:?}"),
        })?;
        let errors = pact_agents::schema::validate(&req.schema, &value);
        if !errors.is_empty() {
            return Err(AgentError::Protocol {
                backend: "keyed".into(),
                message: format!("scripted answer for {key:?} fails its schema: {errors:?}"),
            });
        }
        if let Some(b) = &self.budget {
            b.record(&pact_agents::Spend {
                role: &req.role,
                phase: req.phase.as_deref(),
                component: req.component.as_deref(),
                model: "test",
                usage: Usage::new(1000, 500),
                cost_usd: self.cost_per_call,
            })?;
        }
        Ok(Answer {
            raw_text: value.to_string(),
            value,
            usage: Usage::new(1000, 500),
            cost_usd: self.cost_per_call,
            model: "test".into(),
            attempts: 1,
        })
    }
}
