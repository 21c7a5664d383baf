//! `pact daemon`, `pact signal`, `pact stop`, `pact status` end to end with the real binary:
//! the offline example planned, then steered through the daemon's pipe to completion.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn daemon(dir: &Path, args: &[&str]) -> Child {
    let log = std::fs::File::create(dir.with_extension("daemon.log")).expect("log");
    Command::new(env!("CARGO_BIN_EXE_pact"))
        .arg("daemon")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone"))
        .stderr(log)
        .spawn()
        .expect("spawn daemon")
}

fn state(dir: &Path) -> serde_json::Value {
    std::fs::read_to_string(dir.join(".pact/state.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn audit(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(".pact/audit.jsonl")).unwrap_or_default()
}

fn wait_for(what: &str, dir: &Path, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; daemon log:\n{}",
            std::fs::read_to_string(dir.with_extension("daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_exit(child: &mut Child, dir: &Path) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "daemon did not exit; log:\n{}",
                std::fs::read_to_string(dir.with_extension("daemon.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn paused_daemon() -> (tempfile::TempDir, PathBuf, Child) {
    let (t, dir) = example();
    let child = daemon(&dir, &["--plan-only"]);
    wait_for("the plan-only pause", &dir, || {
        dir.join(".pact/daemon.pid").exists()
            && state(&dir)["status"] == "paused"
            && audit(&dir).contains("validation")
    });
    (t, dir, child)
}

#[test]
fn directives_steer_a_waiting_daemon_to_completion() {
    let (_t, dir, mut child) = paused_daemon();
    let d = dir.to_str().expect("utf-8");
    let status = pact(&["status", d]);
    assert!(
        status
            .stdout
            .contains(&format!("Daemon:  running (pid {})", child.id())),
        "{}",
        status.stdout
    );
    // A malformed directive is refused before it is sent: nothing changes.
    let before = (state(&dir), audit(&dir));
    let bad = pact(&[
        "signal",
        d,
        "--directive",
        r#"{"type":"apply_remedy","remedy":"nuke"}"#,
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("directive rejected: unknown remedy `nuke`"),
        "{}",
        bad.stderr
    );
    let bad = pact(&["signal", d, "--directive", "{oops"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not valid JSON"), "{}", bad.stderr);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!((state(&dir), audit(&dir)), before);

    let ok = pact(&[
        "signal",
        d,
        "--directive",
        r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":1}"#,
    ]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    wait_for("the remedy", &dir, || {
        audit(&dir).contains("\"remedy_applied\"")
    });
    assert!(audit(&dir).contains("max_plan_revisions = 1"));
    assert_eq!(
        state(&dir)["status"],
        "paused",
        "a remedy does not resume the run"
    );

    let ok = pact(&[
        "signal",
        d,
        "--directive",
        r#"{"type":"set_mode","mode":"implement"}"#,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let ok = pact(&["signal", d, "--msg", "resume"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(wait_exit(&mut child, &dir), 0);
    assert_eq!(state(&dir)["status"], "completed");
    for c in ["tokenizer", "counter", "formatter", "wordfreq"] {
        let r: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                dir.join(format!(".pact/implementations/{c}/test_results.json")),
            )
            .expect("results"),
        )
        .expect("json");
        assert!(
            r["total"].as_u64().unwrap_or(0) > 0 && r["failed"] == 0,
            "{c}: {r}"
        );
    }
    assert!(!dir.join(".pact/daemon.pid").exists());
    let gone = pact(&["signal", d, "--msg", "resume"]);
    assert_eq!(gone.code, 2);
    assert!(
        gone.stderr.contains("no daemon is running"),
        "{}",
        gone.stderr
    );
    assert!(!pact(&["status", d]).stdout.contains("Daemon:"));
}

#[test]
fn stop_ends_a_waiting_daemon_cleanly() {
    let (_t, dir, mut child) = paused_daemon();
    let d = dir.to_str().expect("utf-8");
    let busy = pact(&["run", d]);
    assert_eq!(busy.code, 2, "the daemon holds the project");
    assert!(busy.stderr.contains("pact daemon"), "{}", busy.stderr);
    let stop = pact(&["stop", d]);
    assert_eq!(stop.code, 0, "{}{}", stop.stdout, stop.stderr);
    assert!(stop.stdout.contains("Daemon stopped."), "{}", stop.stdout);
    assert_eq!(wait_exit(&mut child, &dir), 0);
    assert!(audit(&dir).contains("daemon_shutdown"));
    assert_eq!(state(&dir)["status"], "paused");
    let again = pact(&["stop", d]);
    assert!(
        again.stdout.contains("No daemon is running"),
        "{}",
        again.stdout
    );
}
