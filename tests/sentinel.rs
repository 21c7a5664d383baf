//! `pact watch`, `pact report`, `pact incidents`, `pact incident` and `pact health` with the
//! real binary, on the reference sample project built from its recorded artifacts.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::*;

struct Env {
    _tmp: tempfile::TempDir,
    _sample: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
}

/// The sample project, its tests locked, watching `app.log` and a webhook port, with a global
/// config that enables monitoring.
fn sample(port: u16) -> Env {
    let (sample_tmp, dir) = copy_project("sample");
    let project = pact_core::store::Project::open(&dir).expect("open");
    for cid in ["tokenizer", "counter", "formatter", "wordfreq"] {
        let f = project.layout.tests_dir(cid).join("contract_test.py");
        pact_engine::lock::lock_tests(&project, cid, 1, &[f]).expect("lock");
    }
    let mut yaml = std::fs::read_to_string(dir.join("pact.yaml")).expect("yaml");
    yaml.push_str(&format!(
        "monitoring_log_files: [app.log]\nmonitoring_webhook_port: {port}\nmonitoring_auto_remediate: false\n"
    ));
    std::fs::write(dir.join("pact.yaml"), yaml).expect("yaml");
    let tmp = tempfile::tempdir().expect("tmp");
    let config = tmp.path().join("config.yaml");
    std::fs::write(&config, "monitoring_enabled: true\n").expect("config");
    Env {
        _tmp: tmp,
        _sample: sample_tmp,
        dir,
        config,
    }
}

fn key(dir: &Path, cid: &str) -> String {
    let p = pact_core::store::Project::open(dir).expect("open");
    pact_engine::engine::log_key(p.load_tree().expect("tree").as_ref(), cid)
}

fn pact_env(config: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(args)
        .env("PACT_CONFIG", config)
        .env_remove("PACT_BACKEND")
        .output()
        .expect("run pact");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn incidents(env: &Env) -> Vec<serde_json::Value> {
    let r = pact_env(
        &env.config,
        &[
            "incidents",
            env.dir.to_str().expect("utf-8"),
            "--all",
            "--json",
        ],
    );
    serde_json::from_str(&r.stdout).unwrap_or_default()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn watch_follows_a_rotated_and_truncated_log_and_the_webhook() {
    let port = free_port();
    let env = sample(port);
    let log = env.dir.join("app.log");
    std::fs::write(&log, "ERROR from before the watch\n").expect("log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args([
            "watch",
            env.dir.to_str().expect("utf-8"),
            "--once-for",
            "60",
        ])
        .env("PACT_CONFIG", &env.config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn watch");
    let (tx, rx) = mpsc::channel::<String>();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(seen
        .iter()
        .any(|l: &String| l.contains("webhook listening"))
        && seen.iter().any(|l: &String| l.contains("tailing")))
    {
        assert!(Instant::now() < deadline, "watch did not start: {seen:?}");
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(l);
        }
    }
    let append = |t: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("open");
        f.write_all(t.as_bytes()).expect("write");
    };
    append(&format!(
        "ERROR [{}] tokenizer choked on input\n",
        key(&env.dir, "tokenizer")
    ));
    wait_for("the first incident", || incidents(&env).len() == 1);
    std::fs::rename(&log, env.dir.join("app.log.1")).expect("rotate");
    std::fs::write(
        &log,
        format!("ERROR [{}] count mismatch\n", key(&env.dir, "counter")),
    )
    .expect("new");
    wait_for("the rotated log's incident", || incidents(&env).len() == 2);
    std::fs::write(
        &log,
        format!("CRITICAL [{}] bad\n", key(&env.dir, "formatter")),
    )
    .expect("truncate");
    wait_for("the truncated log's incident", || {
        incidents(&env).len() == 3
    });
    let body = format!(
        r#"{{"message": "wordfreq returned 500", "log_key": "{}"}}"#,
        key(&env.dir, "wordfreq")
    );
    let token = std::fs::read_to_string(env.dir.join(".pact/monitoring/webhook.token"))
        .expect("the webhook's token")
        .trim()
        .to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(
        format!(
            "POST / HTTP/1.1\r\nContent-Type: application/json\r\nX-Pact-Token: {token}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .expect("post");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("response");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    wait_for("the webhook's incident", || incidents(&env).len() == 4);
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let list = incidents(&env);
    let comps: Vec<&str> = list
        .iter()
        .filter_map(|i| i["component_id"].as_str())
        .collect();
    assert_eq!(comps, vec!["tokenizer", "counter", "formatter", "wordfreq"]);
    assert!(list.iter().all(|i| i["status"] == "escalated"));
    assert!(!env.dir.join(".pact/sentinel.pid").exists());
}

#[test]
fn watch_needs_monitoring_enabled() {
    let env = sample(0);
    let off = env.config.with_file_name("off.yaml");
    std::fs::write(&off, "monitoring_enabled: false\n").expect("config");
    let r = pact_env(
        &off,
        &["watch", env.dir.to_str().expect("utf-8"), "--once-for", "1"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("Monitoring is disabled. Set monitoring_enabled: true in config.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn report_then_list_and_show_incidents() {
    let env = sample(0);
    let d = env.dir.to_str().expect("utf-8");
    let text = format!(
        "ERROR [{}] top_n raised on an empty map",
        key(&env.dir, "counter")
    );
    let r = pact_env(&env.config, &["report", d, &text]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let id = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Incident "))
        .and_then(|l| l.split(':').next())
        .expect("incident id")
        .to_string();
    assert!(
        r.stdout.contains("escalated (component counter)"),
        "{}",
        r.stdout
    );
    let list = pact_env(&env.config, &["incidents", d]);
    assert!(
        list.stdout.contains(&id) && list.stdout.contains("counter"),
        "{}",
        list.stdout
    );
    let one = pact_env(&env.config, &["incident", d, &id[..6]]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stdout
            .starts_with(&format!("# Diagnostic Report: Incident {id}")),
        "{}",
        one.stdout
    );
    assert!(one.stdout.contains("top_n raised on an empty map"));
    let missing = pact_env(&env.config, &["incident", d, "nope"]);
    assert_eq!(missing.code, 2);
}

#[test]
fn health_reports_metrics_findings_and_remedies() {
    let env = sample(0);
    let d = env.dir.to_str().expect("utf-8");
    let healthy = pact_env(&env.config, &["health", d, "--json"]);
    assert_eq!(healthy.code, 0, "{}", healthy.stderr);
    let v: serde_json::Value = serde_json::from_str(&healthy.stdout).expect("json");
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["thresholds"]["output_planning_ratio_critical"], 0.25);
    // A run that planned a lot and generated little.
    std::fs::write(
        env.dir.join(".pact/budget.json"),
        r#"{"version": 1, "total": {"cost_usd": 0.05, "calls": 12, "input_tokens": 90000, "output_tokens": 12000},
            "by_phase": {"contract": {"calls": 10, "input_tokens": 80000, "output_tokens": 10000},
                         "implement": {"calls": 2, "input_tokens": 10000, "output_tokens": 2000}}}"#,
    )
    .expect("budget");
    let sick = pact_env(&env.config, &["health", d]);
    assert_eq!(sick.code, 1, "{}", sick.stdout);
    assert!(
        sick.stdout.starts_with("Health: CRITICAL"),
        "{}",
        sick.stdout
    );
    assert!(
        sick.stdout
            .contains("[output_planning_ratio] Planning dominates generation"),
        "{}",
        sick.stdout
    );
    assert!(
        sick.stdout
            .contains(r#"--directive '{"type":"apply_remedy","remedy":"shaping","value":false}'"#),
        "{}",
        sick.stdout
    );
}
