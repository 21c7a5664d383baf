//! Recording sessions and replaying them: deterministic runs with no network and no key.
//!
//! A recording is a JSON Lines file, one answered request a line:
//! ```json
//! {"pact_recording":1,"role":"decomposer","key":"decomposer:3f2a…","summary":"DecomposeResponse answer, 1 message(s): \"Decompose…\"",
//!  "backend":"anthropic","model":"claude-opus-4-6","answer":{…},"raw_text":"…",
//!  "usage":{"input_tokens":1200,"output_tokens":800},"cost_usd":0.078,"attempts":1,"recorded_at":"2026-11-02T12:00:00Z"}
//! ```
//! `key` is [`LlmRequest::key`]: the role and a SHA-256 of the normalized system prompt,
//! conversation and schema. Only these fields are written: never a prompt, a header or a key.
//! A request asked several times is answered in recorded order, the last answer repeating.

use crate::backend::{Answer, Backend, Usage};
use crate::budget::utc_now;
use crate::error::{AgentError, Result};
use crate::request::LlmRequest;
use async_trait::async_trait;
use pact_core::store::fsio::{FileLock, append_line};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

pub const RECORDING_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedAnswer {
    pub pact_recording: u32,
    pub role: String,
    pub key: String,
    pub summary: String,
    pub backend: String,
    pub model: String,
    pub answer: Value,
    #[serde(default)]
    pub raw_text: String,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default)]
    pub cost_usd: f64,
    #[serde(default = "one")]
    pub attempts: u32,
    #[serde(default)]
    pub recorded_at: String,
}

fn one() -> u32 {
    1
}

/// Answers from a recording file.
#[derive(Debug)]
pub struct ReplayBackend {
    file: PathBuf,
    model: String,
    answers: Mutex<HashMap<String, VecDeque<RecordedAnswer>>>,
}

impl ReplayBackend {
    pub fn open(file: &Path) -> Result<Self> {
        // A recording may be large (every answer of a run), but it is a file: bounded, and a
        // FIFO or a device is refused rather than read forever.
        let text = pact_core::store::fsio::read_text(file, 256 * 1024 * 1024)
            .map_err(|e| {
                AgentError::Config(format!(
                    "replay: cannot read the recording {} {e}",
                    file.display()
                ))
            })?
            .ok_or_else(|| {
                AgentError::Config(format!(
                    "replay: the recording {} does not exist",
                    file.display()
                ))
            })?;
        let mut answers: HashMap<String, VecDeque<RecordedAnswer>> = HashMap::new();
        let mut model = String::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let entry: RecordedAnswer = serde_json::from_str(line).map_err(|e| {
                AgentError::Config(format!(
                    "replay: {} line {}: not a recorded answer ({e})",
                    file.display(),
                    i + 1
                ))
            })?;
            if model.is_empty() {
                model = entry.model.clone();
            }
            answers
                .entry(entry.key.clone())
                .or_default()
                .push_back(entry);
        }
        Ok(Self {
            file: file.to_path_buf(),
            model,
            answers: Mutex::new(answers),
        })
    }

    /// Recorded requests not asked yet (the last answer of each key stays available).
    pub fn len(&self) -> usize {
        self.answers
            .lock()
            .map(|a| a.values().map(VecDeque::len).sum())
            .unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Backend for ReplayBackend {
    fn name(&self) -> &str {
        "replay"
    }
    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer> {
        if cancel.is_cancelled() {
            return Err(AgentError::Cancelled);
        }
        let key = req.key();
        let entry = {
            let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            answers.get_mut(&key).and_then(|q| {
                if q.len() > 1 {
                    q.pop_front()
                } else {
                    q.front().cloned()
                }
            })
        };
        let Some(e) = entry else {
            return Err(AgentError::ReplayMiss {
                role: req.role.clone(),
                key,
                summary: req.summary(),
                file: self.file.clone(),
            });
        };
        Ok(Answer {
            value: e.answer,
            usage: e.usage,
            cost_usd: e.cost_usd,
            model: e.model,
            raw_text: e.raw_text,
            attempts: e.attempts,
        })
    }
}

/// Wraps any backend and appends each answer it gives to a recording.
pub struct RecordingBackend<B> {
    inner: B,
    file: PathBuf,
    lock: PathBuf,
}

impl<B: Backend> RecordingBackend<B> {
    pub fn new(inner: B, file: impl Into<PathBuf>) -> Self {
        let file = file.into();
        let mut lock = file.clone().into_os_string();
        lock.push(".lock");
        Self {
            inner,
            file,
            lock: PathBuf::from(lock),
        }
    }

    pub fn inner(&self) -> &B {
        &self.inner
    }

    fn append(&self, req: &LlmRequest, answer: &Answer) -> Result<()> {
        let entry = RecordedAnswer {
            pact_recording: RECORDING_VERSION,
            role: req.role.clone(),
            key: req.key(),
            summary: req.summary(),
            backend: self.inner.name().to_string(),
            model: answer.model.clone(),
            answer: answer.value.clone(),
            raw_text: answer.raw_text.clone(),
            usage: answer.usage,
            cost_usd: answer.cost_usd,
            attempts: answer.attempts,
            recorded_at: utc_now(),
        };
        let line = serde_json::to_string(&entry)
            .map_err(|e| AgentError::Config(format!("record: cannot encode the answer: {e}")))?;
        let _lock = FileLock::acquire(&self.lock)
            .map_err(|e| AgentError::io(format!("record: locking {}", self.lock.display()), e))?;
        append_line(&self.file, &line)
            .map_err(|e| AgentError::io(format!("record: writing {}", self.file.display()), e))
    }
}

#[async_trait]
impl<B: Backend> Backend for RecordingBackend<B> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn model(&self) -> &str {
        self.inner.model()
    }

    async fn complete(&self, req: &LlmRequest, cancel: &CancellationToken) -> Result<Answer> {
        let answer = self.inner.complete(req, cancel).await?;
        self.append(req, &answer)?;
        Ok(answer)
    }
}
