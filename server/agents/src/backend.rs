//! The interface every agent uses: a request in, a schema-valid JSON value out, with the tokens
//! and dollars it cost. Two levels:
//!
//! - [`Backend`]: the whole job (validation, repair, pricing, budget). Agents only see this.
//! - [`Provider`]: one raw round trip to one model API. [`crate::structured::StructuredBackend`]
//!   turns any provider into a backend, so the repair loop and the accounting exist once.

use crate::error::Result;
use crate::request::{LlmRequest, Message};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Tokens of one call (or the sum of several). `input_tokens` excludes cached input, which is
/// counted (and priced) separately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    /// True when the provider reported nothing and the numbers were estimated from text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

impl Usage {
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            output_tokens,
            ..Self::default()
        }
    }
    pub fn total(&self) -> u64 {
        self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Self) {
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cache_creation_input_tokens += o.cache_creation_input_tokens;
        self.cache_read_input_tokens += o.cache_read_input_tokens;
        self.estimated |= o.estimated;
    }
}

/// A validated answer. `usage` and `cost_usd` cover every attempt it took, repairs included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub value: Value,
    pub usage: Usage,
    pub cost_usd: f64,
    /// The model that answered, as the provider reported it.
    pub model: String,
    /// The text of the final answer as received, for logs and recordings.
    pub raw_text: String,
    /// 1 when the first answer was valid; more when it had to be repaired.
    #[serde(default = "one")]
    pub attempts: u32,
}

fn one() -> u32 {
    1
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// The backend's name as configured (`anthropic`, `openai`, `replay`, ...).
    fn name(&self) -> &str;
    /// The model it asks.
    fn model(&self) -> &str;
    /// Answers `req` with a value valid against `req.schema`. Stops promptly, with
    /// [`crate::AgentError::Cancelled`], when `cancel` fires; dropping the future also stops it.
    async fn complete(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer>;
}

/// Shared backends (the router hands out `Arc<dyn Backend>`) wrap like any other.
#[async_trait]
impl Backend for std::sync::Arc<dyn Backend> {
    fn name(&self) -> &str {
        self.as_ref().name()
    }
    fn model(&self) -> &str {
        self.as_ref().model()
    }
    async fn complete(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer> {
        self.as_ref().complete(req, cancel).await
    }
}

/// One round trip, before validation.
#[derive(Debug, Clone)]
pub struct ProviderCall<'a> {
    pub role: &'a str,
    pub system: &'a str,
    pub messages: &'a [Message],
    pub schema_name: &'a str,
    pub tool_name: &'a str,
    pub schema: &'a Value,
    pub max_tokens: u32,
}

/// What came back from one round trip.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    /// The answer as text (tool arguments serialized, or the message text).
    pub text: String,
    /// Already-parsed JSON when the wire carried an object (Anthropic tool input).
    pub value: Option<Value>,
    /// `None` when the provider did not report usage; the caller estimates it then.
    pub usage: Option<Usage>,
    pub model: String,
    /// The answer stopped at the output limit.
    pub truncated: bool,
    /// A cost the provider itself reported (the `claude` CLI does), preferred over our pricing.
    pub reported_cost_usd: Option<f64>,
}

#[async_trait]
pub trait Provider: Send + Sync {
    fn name(&self) -> &str;
    fn model(&self) -> &str;
    /// Sends one request. Dropping the future cancels it (HTTP connection closed, process killed).
    async fn send(&self, call: &ProviderCall<'_>) -> Result<Reply>;
}
