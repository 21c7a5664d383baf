//! The `claude` CLI as a subprocess, in print mode with JSON output:
//! `claude -p --output-format json --model <m>`, the prompt on stdin (no argument-length limit),
//! `CLAUDECODE` removed from the environment so it also runs from inside a Claude Code session.
//!
//! The process runs in its own process group; on timeout, cancellation or a dropped future the
//! whole group is killed, so no `claude` (or its tool subprocesses) outlives the call.

use crate::backend::{Provider, ProviderCall, Reply, Usage};
use crate::error::{AgentError, Result};
use crate::http::clip;
use crate::request::Speaker;
use async_trait::async_trait;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

pub const DEFAULT_BINARY: &str = "claude";
/// The original's limit for one structured call through the CLI.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct ClaudeCodeProvider {
    binary: PathBuf,
    model: String,
    timeout: Duration,
    cwd: Option<PathBuf>,
    extra_args: Vec<String>,
}

impl ClaudeCodeProvider {
    pub fn new(binary: impl Into<PathBuf>, model: &str, timeout: Duration) -> Self {
        Self {
            binary: binary.into(),
            model: model.to_string(),
            timeout,
            cwd: None,
            extra_args: Vec::new(),
        }
    }

    /// Runs the CLI in this directory (so its read-only tools see the project).
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn extra_args(mut self, args: Vec<String>) -> Self {
        self.extra_args = args;
        self
    }

    /// The CLI has no schema parameter: the schema and the conversation go into the prompt.
    pub fn prompt(call: &ProviderCall<'_>) -> String {
        let schema =
            serde_json::to_string_pretty(call.schema).unwrap_or_else(|_| call.schema.to_string());
        let mut p = String::new();
        if !call.system.trim().is_empty() {
            p.push_str(call.system.trim_end());
            p.push_str("\n\n");
        }
        p.push_str(&format!(
            "You MUST respond with a JSON object matching this schema ({}):\n```json\n{schema}\n```\n\n",
            call.schema_name
        ));
        match call.messages {
            [only] => {
                p.push_str("Task:\n");
                p.push_str(&only.content);
            }
            many => {
                for m in many {
                    p.push_str(match m.role {
                        Speaker::User => "### Request\n",
                        Speaker::Assistant => "### Your previous answer\n",
                    });
                    p.push_str(&m.content);
                    p.push_str("\n\n");
                }
            }
        }
        p.push_str("\n\nRespond ONLY with the JSON object matching the schema above.");
        p
    }
}

#[async_trait]
impl Provider for ClaudeCodeProvider {
    fn name(&self) -> &str {
        "claude_code"
    }
    fn model(&self) -> &str {
        &self.model
    }

    async fn send(&self, call: &ProviderCall<'_>) -> Result<Reply> {
        let prompt = Self::prompt(call);
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.arg("-p").arg("--output-format").arg("json");
        if !self.model.is_empty() {
            cmd.arg("--model").arg(&self.model);
        }
        cmd.args(&self.extra_args)
            .env_remove("CLAUDECODE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = spawn(&mut cmd).await.map_err(|e| AgentError::Process {
            backend: "claude_code".into(),
            message: format!(
                "cannot run `{}` ({e}); install Claude Code or set PACT_CLAUDE_BIN to its path",
                self.binary.display()
            ),
        })?;
        let mut group = GroupKill::new(child.id());
        let stdin = child.stdin.take();
        let write = async move {
            if let Some(mut s) = stdin {
                // A CLI that exits without reading its input is reported by its exit status.
                let _ = s.write_all(prompt.as_bytes()).await;
                let _ = s.shutdown().await;
            }
        };
        let run = async move { tokio::join!(write, child.wait_with_output()).1 };
        let output = match tokio::time::timeout(self.timeout, run).await {
            Err(_) => {
                return Err(AgentError::Timeout {
                    backend: "claude_code".into(),
                    seconds: self.timeout.as_secs_f64(),
                });
            }
            Ok(Err(e)) => {
                return Err(AgentError::Process {
                    backend: "claude_code".into(),
                    message: format!("waiting for the CLI: {e}"),
                });
            }
            Ok(Ok(o)) => o,
        };
        group.disarm();
        parse_output(&output.stdout, &output.stderr, output.status, &self.model)
    }
}

/// Spawns, retrying briefly on ETXTBSY: a just-written executable can be reported busy while
/// another thread's fork still holds its write handle.
async fn spawn(cmd: &mut tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    const ETXTBSY: i32 = 26;
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 5 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

fn parse_output(
    stdout: &[u8],
    stderr: &[u8],
    status: std::process::ExitStatus,
    model: &str,
) -> Result<Reply> {
    let process = |message: String| AgentError::Process {
        backend: "claude_code".into(),
        message,
    };
    let out = String::from_utf8_lossy(stdout);
    let err = String::from_utf8_lossy(stderr);
    // `json` prints one object; `stream-json` output ends with the result object: take the last.
    let parsed = serde_json::from_str::<Value>(out.trim())
        .ok()
        .filter(Value::is_object)
        .or_else(|| {
            out.lines()
                .rev()
                .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
                .find(|v| v.get("type").and_then(Value::as_str) == Some("result"))
        });
    let Some(v) = parsed else {
        let detail = if err.trim().is_empty() {
            clip(out.trim(), 500)
        } else {
            clip(err.trim(), 500)
        };
        return Err(if status.success() {
            AgentError::Protocol {
                backend: "claude_code".into(),
                message: format!("the CLI did not print JSON: {detail}"),
            }
        } else {
            process(format!("the CLI exited with {status}: {detail}"))
        });
    };
    let result = v
        .get("result")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let is_error = v.get("is_error").and_then(Value::as_bool).unwrap_or(false)
        || v.get("subtype")
            .and_then(Value::as_str)
            .is_some_and(|s| s != "success");
    if is_error || !status.success() {
        let why = if result.is_empty() {
            v.get("subtype")
                .and_then(Value::as_str)
                .unwrap_or("error")
                .to_string()
        } else {
            clip(&result, 500)
        };
        return Err(process(format!(
            "the CLI reported an error ({status}): {why}"
        )));
    }
    let usage = v.get("usage").filter(|u| u.is_object()).map(|u| {
        let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        Usage {
            input_tokens: n("input_tokens"),
            output_tokens: n("output_tokens"),
            cache_creation_input_tokens: n("cache_creation_input_tokens"),
            cache_read_input_tokens: n("cache_read_input_tokens"),
            estimated: false,
        }
    });
    let reported_model = v
        .get("modelUsage")
        .and_then(Value::as_object)
        .and_then(|m| m.keys().next().cloned());
    Ok(Reply {
        text: result,
        value: v.get("structured_output").filter(|s| !s.is_null()).cloned(),
        usage,
        model: reported_model.unwrap_or_else(|| model.to_string()),
        truncated: false,
        reported_cost_usd: v
            .get("total_cost_usd")
            .or_else(|| v.get("cost_usd"))
            .and_then(Value::as_f64),
    })
}

/// Kills the child's whole process group when dropped, unless the child finished on its own.
struct GroupKill {
    pgid: Option<u32>,
}

impl GroupKill {
    fn new(pid: Option<u32>) -> Self {
        Self { pgid: pid }
    }
    fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pgid) = self
            .pgid
            .and_then(|p| i32::try_from(p).ok())
            .filter(|p| *p > 1)
        {
            // SAFETY: kill(2) with a negative pid signals the process group we created for the
            // child (`process_group(0)` makes its pgid equal its pid); it touches no memory.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}
