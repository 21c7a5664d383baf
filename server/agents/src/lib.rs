//! Pact's LLM backend layer. Agents ask through one interface — a role, a system prompt, the
//! conversation and the JSON Schema of the answer — and get a validated JSON value with the
//! tokens and dollars it cost.
//!
//! ```text
//! Router::backend_for(role) ─► [RecordingBackend] ─► StructuredBackend ─► Provider (one round trip)
//!                                                     │ JSON extraction, schema check,   anthropic / openai /
//!                                                     │ bounded repair, pricing, budget  gemini / openai_compatible /
//!                                                     ▼                                  claude_code
//!                          or ReplayBackend (recorded answers), ScriptedBackend (tests)
//! ```
//!
//! Typical use by the engine:
//! ```no_run
//! # async fn run(config: pact_core::config::Config) -> Result<(), pact_agents::AgentError> {
//! use pact_agents::{Env, LlmRequest, Router, RouterOptions};
//! let router = Router::new(config, Env::from_process(), RouterOptions {
//!     project_root: Some("my-project".into()),
//!     ..RouterOptions::default()
//! });
//! let backend = router.backend_for("decomposer")?;
//! let req = LlmRequest::new("decomposer", "DecomposeResponse", serde_json::json!({"type": "object"}))
//!     .system("You are ...")
//!     .user("Decompose this task ...")
//!     .phase("decompose");
//! let cancel = pact_agents::CancellationToken::new();
//! let answer = backend.complete(&req, &cancel).await?; // Err(BudgetExceeded) => status budget_exceeded
//! println!("{} (${:.4})", answer.value, answer.cost_usd);
//! # Ok(()) }
//! ```

pub mod backend;
pub mod budget;
pub mod error;
mod http;
pub mod ping;
pub mod pricing;
pub mod providers;
pub mod replay;
pub mod request;
pub mod retry;
pub mod router;
pub mod schema;
pub mod scripted;
pub mod structured;

pub use async_trait::async_trait;
pub use backend::{Answer, Backend, Provider, ProviderCall, Reply, Usage};
pub use budget::{BudgetLedger, BudgetTracker, Spend, SpendLine};
pub use error::{AgentError, Result};
pub use http::{HttpOptions, Timeouts};
pub use ping::{PingReport, ping, ping_with};
pub use pricing::{Price, PriceSource, PricingTable};
pub use replay::{RecordingBackend, ReplayBackend};
pub use request::{LlmRequest, Message, Speaker};
pub use retry::RetryPolicy;
pub use router::{Env, Route, Router, RouterOptions};
pub use scripted::ScriptedBackend;
pub use structured::{StructuredBackend, StructuredOptions};
pub use tokio_util::sync::CancellationToken;
