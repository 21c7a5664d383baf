//! A backend that answers from queues filled by a test, one per role, and remembers what it was
//! asked: for engine tests that need agents without models, files or mocks.

use crate::backend::{Answer, Backend, Usage};
use crate::error::{AgentError, Result};
use crate::request::LlmRequest;
use crate::schema;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

enum Scripted {
    Answer(Answer),
    Error(String),
}

#[derive(Default)]
pub struct ScriptedBackend {
    queues: Mutex<HashMap<String, VecDeque<Scripted>>>,
    calls: Mutex<Vec<LlmRequest>>,
    skip_validation: bool,
}

impl ScriptedBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers are not checked against the request's schema (for tests of bad answers).
    pub fn without_validation(mut self) -> Self {
        self.skip_validation = true;
        self
    }

    /// Queues `value` as the next answer for `role`, free of charge.
    pub fn push(&self, role: &str, value: Value) -> &Self {
        let raw_text = value.to_string();
        self.push_answer(
            role,
            Answer {
                value,
                usage: Usage::default(),
                cost_usd: 0.0,
                model: "scripted".into(),
                raw_text,
                attempts: 1,
            },
        )
    }

    /// Queues a full answer (with usage and cost) for `role`.
    pub fn push_answer(&self, role: &str, answer: Answer) -> &Self {
        self.queue(role, Scripted::Answer(answer));
        self
    }

    /// The next call for `role` fails with [`AgentError::Protocol`] carrying `message`.
    pub fn push_error(&self, role: &str, message: &str) -> &Self {
        self.queue(role, Scripted::Error(message.to_string()));
        self
    }

    fn queue(&self, role: &str, item: Scripted) {
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(role.to_string())
            .or_default()
            .push_back(item);
    }

    /// Every request received so far, in order.
    pub fn calls(&self) -> Vec<LlmRequest> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Answers still queued, all roles together.
    pub fn remaining(&self) -> usize {
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(VecDeque::len)
            .sum()
    }
}

#[async_trait]
impl Backend for ScriptedBackend {
    fn name(&self) -> &str {
        "scripted"
    }
    fn model(&self) -> &str {
        "scripted"
    }

    async fn complete(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer> {
        if cancel.is_cancelled() {
            return Err(AgentError::Cancelled);
        }
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(req.clone());
        let next = self
            .queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&req.role)
            .and_then(VecDeque::pop_front);
        match next {
            None => Err(AgentError::Protocol {
                backend: "scripted".into(),
                message: format!(
                    "no scripted answer left for role `{}` ({})",
                    req.role,
                    req.summary()
                ),
            }),
            Some(Scripted::Error(message)) => Err(AgentError::Protocol {
                backend: "scripted".into(),
                message,
            }),
            Some(Scripted::Answer(answer)) => {
                if !self.skip_validation {
                    let errors = schema::validate(&req.schema, &answer.value);
                    if !errors.is_empty() {
                        return Err(AgentError::SchemaFailed {
                            role: req.role.clone(),
                            schema_name: req.schema_name.clone(),
                            attempts: 1,
                            errors: errors
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; "),
                            raw_path: None,
                        });
                    }
                }
                Ok(answer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn answers_in_order_per_role_and_records_calls() {
        let b = ScriptedBackend::new();
        b.push("decomposer", json!({"n": 1}))
            .push("decomposer", json!({"n": 2}))
            .push_error("shaper", "boom");
        let schema = json!({"type": "object", "required": ["n"]});
        let cancel = CancellationToken::new();
        let req = LlmRequest::new("decomposer", "T", schema.clone()).user("go");
        let first = b.complete(&req, &cancel).await.ok().map(|a| a.value);
        let second = b.complete(&req, &cancel).await.ok().map(|a| a.value);
        assert_eq!(
            (first, second),
            (Some(json!({"n": 1})), Some(json!({"n": 2})))
        );
        let third = b
            .complete(&req, &cancel)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            third.contains("no scripted answer left for role `decomposer`"),
            "{third}"
        );
        let shaper = LlmRequest::new("shaper", "T", schema.clone());
        assert!(
            b.complete(&shaper, &cancel)
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("boom")
        );
        b.push("decomposer", json!({"m": 1}));
        assert!(matches!(
            b.complete(&req, &cancel).await,
            Err(AgentError::SchemaFailed { .. })
        ));
        assert_eq!(b.calls().len(), 5);
        assert_eq!(b.remaining(), 0);
    }
}
