//! The `claude` CLI backend against fake `claude` scripts.

use crate::common::{PRICE, good, request, structured, tempdir};
use pact_agents::providers::ClaudeCodeProvider;
use pact_agents::{AgentError, Backend, CancellationToken};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Writes an executable shell script; `$DIR` in `body` becomes the script's directory.
fn script(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("claude");
    let text = format!(
        "#!/bin/sh\n{}\n",
        body.replace("$DIR", &dir.display().to_string())
    );
    if let Err(e) = std::fs::write(&p, text) {
        panic!("writing the fake claude: {e}");
    }
    if let Err(e) = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)) {
        panic!("chmod: {e}");
    }
    p
}

fn backend(bin: &Path, timeout: Duration, raw: &Path) -> pact_agents::StructuredBackend {
    let p = ClaudeCodeProvider::new(bin, "claude-sonnet-4-5-20250929", timeout);
    structured(Arc::new(p), raw)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Dead, or a zombie waiting to be reaped.
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn wait_gone(pid: &str) -> bool {
    for _ in 0..100 {
        if gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn print_mode_json_result_with_usage_and_reported_cost() {
    let dir = tempdir();
    let result = serde_json::json!({
        "type": "result", "subtype": "success", "is_error": false, "duration_ms": 1200, "num_turns": 1,
        "result": format!("Here it is:\n```json\n{}\n```", good()),
        "session_id": "s1", "total_cost_usd": 0.0123,
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 100},
        "modelUsage": {"claude-sonnet-4-5-20250929": {"inputTokens": 10}}
    });
    let bin = script(
        dir.path(),
        &format!(
            "for a in \"$@\"; do echo \"$a\"; done > \"$DIR/args.txt\"\ncat > \"$DIR/prompt.txt\"\ncat <<'EOF'\n{result}\nEOF"
        ),
    );
    let b = backend(&bin, Duration::from_secs(10), dir.path());
    let a = match b.complete(&request(), &CancellationToken::new()).await {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(a.value, good());
    assert_eq!(a.cost_usd, 0.0123, "the CLI's own cost is used");
    assert_eq!(
        (a.usage.input_tokens, a.usage.cache_read_input_tokens),
        (10, 100)
    );
    assert_eq!(a.model, "claude-sonnet-4-5-20250929");
    let args: Vec<String> = read(&dir.path().join("args.txt"))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        args,
        [
            "-p",
            "--output-format",
            "json",
            "--model",
            "claude-sonnet-4-5-20250929"
        ]
    );
    let prompt = read(&dir.path().join("prompt.txt"));
    assert!(prompt.starts_with("You make widgets."), "{prompt}");
    assert!(prompt.contains("You MUST respond with a JSON object matching this schema (Widget)"));
    assert!(prompt.contains("\"additionalProperties\": false"));
    assert!(prompt.contains("Task:\nmake a widget"));
}

#[tokio::test]
async fn no_usage_reported_is_estimated_and_priced() {
    let dir = tempdir();
    let bin = script(
        dir.path(),
        &format!(
            "cat >/dev/null\necho '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":{}}}'",
            serde_json::Value::String(good().to_string())
        ),
    );
    let b = backend(&bin, Duration::from_secs(10), dir.path());
    let a = match b.complete(&request(), &CancellationToken::new()).await {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert!(a.usage.estimated && a.usage.input_tokens > 0);
    assert!((a.cost_usd - PRICE.cost(&a.usage)).abs() < 1e-15);
}

#[tokio::test]
async fn timeout_kills_the_process_group() {
    let dir = tempdir();
    let bin = script(
        dir.path(),
        "echo $$ > \"$DIR/pid\"\nsleep 30 &\necho $! > \"$DIR/child.pid\"\nwait",
    );
    let b = backend(&bin, Duration::from_secs(1), dir.path());
    let started = Instant::now();
    let e = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err();
    assert!(matches!(e, Some(AgentError::Timeout { .. })), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let pid = read(&dir.path().join("pid"));
    let child = read(&dir.path().join("child.pid"));
    assert!(!pid.trim().is_empty() && !child.trim().is_empty());
    assert!(
        wait_gone(&pid).await,
        "the CLI process {pid} is still running"
    );
    assert!(
        wait_gone(&child).await,
        "its child {child} is still running"
    );
}

#[tokio::test]
async fn cancellation_kills_the_process() {
    let dir = tempdir();
    let bin = script(dir.path(), "echo $$ > \"$DIR/pid\"\nexec sleep 30");
    let b = backend(&bin, Duration::from_secs(30), dir.path());
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let pid_file = dir.path().join("pid");
    tokio::spawn(async move {
        // Cancel once the script is surely running.
        for _ in 0..250 {
            if !read(&pid_file).trim().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        trigger.cancel();
    });
    let e = b.complete(&request(), &cancel).await.err();
    assert!(matches!(e, Some(AgentError::Cancelled)), "{e:?}");
    let pid = read(&dir.path().join("pid"));
    assert!(wait_gone(&pid).await, "process {pid} survived cancellation");
}

#[tokio::test]
async fn cli_failures_are_reported() {
    let dir = tempdir();
    let bin = script(
        dir.path(),
        "cat >/dev/null\necho 'Error: not logged in' >&2\nexit 1",
    );
    let b = backend(&bin, Duration::from_secs(10), dir.path());
    let msg = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("exited with") && msg.contains("not logged in"),
        "{msg}"
    );

    let dir2 = tempdir();
    let bin = script(
        dir2.path(),
        "cat >/dev/null\necho '{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":true,\"result\":\"Invalid API key\"}'",
    );
    let b = backend(&bin, Duration::from_secs(10), dir2.path());
    let msg = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("reported an error") && msg.contains("Invalid API key"),
        "{msg}"
    );

    let b = backend(
        Path::new("/nonexistent/claude"),
        Duration::from_secs(1),
        dir2.path(),
    );
    let msg = b
        .complete(&request(), &CancellationToken::new())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("PACT_CLAUDE_BIN"), "{msg}");
}

#[tokio::test]
async fn invalid_answer_is_repaired_through_the_transcript() {
    let dir = tempdir();
    // First call answers badly, later calls well; the repair prompt must carry the errors.
    let bad = serde_json::json!({"type": "result", "subtype": "success", "is_error": false, "result": "{\"name\": 1}"});
    let ok = serde_json::json!({"type": "result", "subtype": "success", "is_error": false, "result": good().to_string()});
    let bin = script(
        dir.path(),
        &format!(
            "cat > \"$DIR/prompt.$$\"\nif [ -e \"$DIR/called\" ]; then cat <<'EOF'\n{ok}\nEOF\nelse touch \"$DIR/called\"; cat <<'EOF'\n{bad}\nEOF\nfi"
        ),
    );
    let b = backend(&bin, Duration::from_secs(10), dir.path());
    let a = b.complete(&request(), &CancellationToken::new()).await;
    assert_eq!(a.as_ref().ok().map(|a| a.attempts), Some(2), "{a:?}");
    let prompts: Vec<String> = std::fs::read_dir(dir.path())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("prompt."))
        })
        .map(|p| read(&p))
        .collect();
    assert!(
        prompts
            .iter()
            .any(|p| p.contains("### Your previous answer")
                && p.contains("missing required property `count`")),
        "{prompts:?}"
    );
}
