//! The Sentinel: attribution by log key and by the triage agent, incidents and their reports,
//! remediation that adds a failing reproducer to the contract's tests and rebuilds (real
//! pytest), refusals and rollbacks, every budget window with an injected clock, and the
//! watchers — a log rotated and truncated while watched, and the webhook.

use crate::support::fixture;
use crate::support::keyed;
use crate::support::script;

use keyed::Keyed;
use pact_core::config::MonitoringBudget;
use pact_core::store::Project;
use pact_engine::sentinel::budget::{Clock, ManualClock, MonitoringSpend};
use pact_engine::sentinel::incidents::{IncidentStatus, IncidentStore};
use pact_engine::sentinel::watch::{self, WatchOptions};
use pact_engine::sentinel::{Sentinel, Signal, SignalSource, Target};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    ))
}

fn sentinel_for(
    p: &Project,
    k: Arc<Keyed>,
    clock: Arc<dyn Clock>,
    setup: impl FnOnce(&mut pact_engine::Engine),
) -> (Sentinel, Arc<Mutex<Vec<String>>>) {
    let mut e = fixture::engine_with(p, k, None);
    setup(&mut e);
    let (t, warnings) = Target::new(e);
    assert!(warnings.is_empty(), "{warnings:?}");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l2 = lines.clone();
    let log = Arc::new(move |m: &str| l2.lock().expect("log").push(m.to_string()));
    (Sentinel::new(vec![t], clock, log), lines)
}

fn signal(text: &str) -> Signal {
    Signal::new(SignalSource::LogFile, text, String::new())
}

fn no_remediation(e: &mut pact_engine::Engine) {
    e.config.project.monitoring_auto_remediate = Some(false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_with_a_log_key_is_attributed_filed_reported_and_deduplicated() {
    let (_t, p) = fixture::built("");
    let k = Arc::new(Keyed::new());
    let (s, _) = sentinel_for(&p, k.clone(), clock(), no_remediation);
    let key = fixture::key(&p, "counter");
    let h = s
        .handle(signal(&format!(
            "2031-01-01 10:00:00 ERROR [{key}] top_n failed for request 123456 at 0x7f00"
        )))
        .await
        .expect("handle");
    assert!(h.new);
    let i = &h.incident;
    assert_eq!(
        (i.component_id.as_str(), i.attribution.as_str()),
        ("counter", "log_key")
    );
    assert_eq!(i.status, IncidentStatus::Escalated);
    assert!(
        i.resolution.contains("monitoring_auto_remediate: false"),
        "{}",
        i.resolution
    );
    assert_eq!(k.total_calls(), 0, "a log key needs no agent");
    let store = IncidentStore::new(&p);
    let report = std::fs::read_to_string(store.report_path(&i.id)).expect("report");
    assert!(
        report.starts_with(&format!("# Diagnostic Report: Incident {}", i.id)),
        "{report}"
    );
    assert!(
        report.contains("**Component:** counter") && report.contains("top_n failed"),
        "{report}"
    );
    // The same error later, from another request: one incident, two occurrences.
    let again = s
        .handle(signal(&format!(
            "2031-01-02 11:11:11 ERROR [{key}] top_n failed for request 987654 at 0x7f99"
        )))
        .await
        .expect("again");
    assert!(!again.new);
    assert_eq!(again.incident.id, i.id);
    let file = store.load().expect("load");
    assert_eq!(file.incidents.len(), 1);
    assert_eq!(file.incidents[&i.id].occurrences, 2);
    assert_eq!(file.incidents[&i.id].signals.len(), 2);
    let actions = fixture::audit_actions(&p);
    assert!(actions.iter().any(|(a, _)| a == "incident_detected"));
    assert!(actions.iter().any(|(a, _)| a == "incident_escalated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_the_triage_agent_attributes_or_the_incident_escalates() {
    let (_t, p) = fixture::built("");
    let k = Keyed::new();
    k.push("triage", "", json!({"component_id": "formatter", "confidence": 0.8, "reasoning": "format_report raises on unknown formats"}));
    k.push(
        "triage",
        "",
        json!({"component_id": "unknown", "confidence": 0.1, "reasoning": "not from this system"}),
    );
    let k = Arc::new(k);
    let (s, _) = sentinel_for(&p, k.clone(), clock(), no_remediation);
    let h = s
        .handle(signal(
            "ERROR ValueError: unknown format 'yaml' in format_report",
        ))
        .await
        .expect("handle");
    assert_eq!(
        (
            h.incident.component_id.as_str(),
            h.incident.attribution.as_str()
        ),
        ("formatter", "triage")
    );
    assert_eq!(h.incident.extra["triage"]["confidence"], 0.8);
    let asked = k.calls_for("triage", "");
    assert_eq!(asked.len(), 1);
    let prompt: String = asked[0]
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert!(
        prompt.contains("unknown format 'yaml'")
            && prompt.contains("`formatter`")
            && prompt.contains("format_report"),
        "{prompt}"
    );
    let h = s
        .handle(signal("CRITICAL disk /dev/sda1 full"))
        .await
        .expect("handle");
    assert_eq!(h.incident.status, IncidentStatus::Escalated);
    assert!(h.incident.component_id.is_empty());
    assert!(
        h.incident.resolution.starts_with("unattributed"),
        "{}",
        h.incident.resolution
    );
}

const BUGGY_COUNTER: &str = "from collections import Counter\nfrom dataclasses import dataclass\n\n\n@dataclass(frozen=True)\nclass Token:\n    text: str\n    position: int\n\n\n@dataclass(frozen=True)\nclass WordCount:\n    word: str\n    count: int\n\n\ndef count_tokens(tokens):\n    return dict(Counter(t.text for t in tokens))\n\n\ndef top_n(counts, n):\n    if n < 1:\n        raise ValueError(\"n must be >= 1\")\n    _, biggest = max(counts.items(), key=lambda kv: kv[1])\n    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]\n    return [WordCount(word=w, count=c) for w, c in ranked]\n";

fn crash(p: &Project) -> String {
    format!(
        "ERROR [{}] top_n failed\nTraceback (most recent call last):\n  File \"/srv/app/counter.py\", line 24, in top_n\n    _, biggest = max(counts.items(), key=lambda kv: kv[1])\nValueError: max() arg is an empty sequence",
        fixture::key(p, "counter")
    )
}

fn reproducer(body: &str) -> serde_json::Value {
    json!({"test_name": "test_reproducer_top_n_empty",
        "test_code": format!("def test_reproducer_top_n_empty():\n    \"\"\"Incident: top_n crashed on an empty count map\"\"\"\n    {body}\n"),
        "description": "top_n on an empty count map returns an empty list", "function": "top_n"})
}

fn buggy_project(yaml: &str) -> (tempfile::TempDir, Project) {
    let (t, p) = fixture::built(yaml);
    std::fs::write(
        p.layout.implementation_src("counter").join("counter.py"),
        BUGGY_COUNTER,
    )
    .expect("bug");
    (t, p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remediation_adds_a_failing_reproducer_and_rebuilds_until_every_test_passes() {
    let (_t, p) = buggy_project("");
    let k = Keyed::new();
    k.push("fixer", "counter", reproducer("assert top_n({}, 3) == []"));
    k.push(
        "code_author",
        "counter",
        script::code(&fixture::sample(), "counter"),
    );
    let k = Arc::new(k);
    let (s, lines) = sentinel_for(&p, k.clone(), clock(), |_| {});
    let h = s.handle(signal(&crash(&p))).await.expect("handle");
    let i = &h.incident;
    assert_eq!(
        i.status,
        IncidentStatus::Resolved,
        "{}\n{:?}",
        i.resolution,
        lines.lock().map(|l| l.clone())
    );
    assert!(
        i.resolution
            .starts_with("auto_fixed: reproducer test_reproducer_top_n_empty"),
        "{}",
        i.resolution
    );
    assert!(i.resolution.contains("7/7 tests pass"), "{}", i.resolution);
    // The contract's tests are stricter: suite, test file and lock all carry the reproducer.
    let suite = p.load_suite("counter").expect("s").expect("suite");
    assert!(
        suite
            .generated_code
            .contains("def test_reproducer_top_n_empty")
    );
    let case = suite
        .test_cases
        .iter()
        .find(|c| c.id.starts_with("REPRO_"))
        .expect("case");
    assert_eq!(case.function, "top_n");
    let file = std::fs::read_to_string(p.layout.tests_dir("counter").join("contract_test.py"))
        .expect("file");
    assert!(file.contains(&format!("Reproducer for production incident {}", i.id)));
    let (lock, files) = pact_engine::lock::verified_tests(&p, "counter").expect("locked");
    assert!(
        std::fs::read_to_string(&files[0])
            .expect("locked copy")
            .contains("test_reproducer_top_n_empty")
    );
    assert!(!lock.files.is_empty());
    assert!(
        pact_core::gate::validate(&p.docs()).passed(),
        "the project still passes the gate"
    );
    // The rebuilt implementation passes everything, and the code agent saw the reproducer.
    let r = p.load_test_results("counter").expect("r").expect("results");
    assert_eq!((r.passed, r.total), (7, 7));
    let asked = k.calls_for("code_author", "counter");
    assert_eq!(asked.len(), 1);
    let prompt: String = asked[0]
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert!(
        prompt.contains("test_reproducer_top_n_empty"),
        "the code agent must see the new law"
    );
    let fixed = std::fs::read_to_string(p.layout.implementation_src("counter").join("counter.py"))
        .expect("src");
    assert!(!fixed.contains("biggest"));
    let actions = fixture::audit_actions(&p);
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "test_lock"
                && d.contains("reproducer test_reproducer_top_n_empty added")),
        "{actions:?}"
    );
    assert!(actions.iter().any(|(a, _)| a == "remediation"));
    assert!(actions.iter().any(|(a, _)| a == "incident_resolved"));
    let learnings = std::fs::read_to_string(p.layout.learnings()).expect("learnings");
    assert!(learnings.contains("production_incident"));
    assert_eq!(i.remediation_attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reproducer_that_passes_is_refused_and_a_failed_rebuild_is_rolled_back() {
    // The fixer's test passes against the buggy code twice: nothing is added, escalated.
    let (_t, p) = buggy_project("");
    let suite_before = p.load_suite("counter").expect("s");
    let k = Keyed::new();
    k.push(
        "fixer",
        "counter",
        reproducer("assert top_n({\"a\": 1}, 1)[0].word == \"a\""),
    );
    let k = Arc::new(k);
    let (s, _) = sentinel_for(&p, k.clone(), clock(), |_| {});
    let h = s.handle(signal(&crash(&p))).await.expect("handle");
    assert_eq!(h.incident.status, IncidentStatus::Escalated);
    assert!(
        h.incident.resolution.starts_with("no reproducer"),
        "{}",
        h.incident.resolution
    );
    assert!(
        h.incident.resolution.contains("does not reproduce"),
        "{}",
        h.incident.resolution
    );
    assert_eq!(k.calls_for("fixer", "counter").len(), 2);
    let second: String = k.calls_for("fixer", "counter")[1]
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert!(
        second.contains("passed against the current implementation"),
        "{second}"
    );
    assert_eq!(
        p.load_suite("counter").expect("s"),
        suite_before,
        "the contract's tests are untouched"
    );

    // A good reproducer, but the code agent cannot fix it: the old implementation comes back.
    let (_t, p) = buggy_project("max_implementation_attempts: 1\n");
    let k = Keyed::new();
    k.push("fixer", "counter", reproducer("assert top_n({}, 3) == []"));
    k.push(
        "code_author",
        "counter",
        script::files(&[(
            "counter.py",
            BUGGY_COUNTER.replace("biggest", "largest").as_str(),
        )]),
    );
    let (s, _) = sentinel_for(&p, Arc::new(k), clock(), |_| {});
    let h = s.handle(signal(&crash(&p))).await.expect("handle");
    assert_eq!(h.incident.status, IncidentStatus::Escalated);
    assert!(
        h.incident
            .resolution
            .starts_with("rebuild failed: counter passes 6/7"),
        "{}",
        h.incident.resolution
    );
    let src = std::fs::read_to_string(p.layout.implementation_src("counter").join("counter.py"))
        .expect("src");
    assert_eq!(
        src, BUGGY_COUNTER,
        "the previous implementation is restored"
    );
    assert!(
        fixture::audit_actions(&p)
            .iter()
            .any(|(a, _)| a == "remediation_rollback")
    );
    // The stricter test stays: the bug is now known to the contract.
    assert!(
        p.load_suite("counter")
            .expect("s")
            .expect("suite")
            .generated_code
            .contains("test_reproducer_top_n_empty")
    );
}

#[test]
fn every_budget_window_caps_spend() {
    let c = clock();
    let tmp = tempfile::tempdir().expect("tmp");
    let caps = MonitoringBudget {
        per_incident_cap: 1.0,
        hourly_cap: 2.0,
        daily_cap: 3.0,
        weekly_cap: 4.0,
        monthly_cap: 5.0,
    };
    let m = MonitoringSpend::new(tmp.path().to_path_buf(), caps, c.clone());
    let window = |id: &str| m.check(id).err().map(|h| h.window);
    let hour = Duration::from_secs(3600);
    m.record("a", 0.9).expect("rec");
    assert_eq!(window("a"), None);
    m.record("a", 0.2).expect("rec");
    assert_eq!(window("a"), Some("per-incident"));
    assert_eq!(window("b"), None);
    m.record("b", 0.95).expect("rec");
    assert_eq!(window("c"), Some("hourly"));
    c.advance(2 * hour);
    assert_eq!(window("c"), None, "the hour has passed");
    m.record("c", 0.99).expect("rec");
    assert_eq!(window("d"), Some("daily"));
    c.advance(25 * hour);
    assert_eq!(window("d"), None);
    m.record("d", 0.99).expect("rec");
    assert_eq!(window("e"), Some("weekly"));
    c.advance(8 * 24 * hour);
    assert_eq!(window("e"), None);
    m.record("e", 0.99).expect("rec");
    assert_eq!(window("f"), Some("monthly"));
    c.advance(31 * 24 * hour);
    assert_eq!(window("f"), None, "a month later all is forgotten");
    m.record("f", 0.1).expect("rec");
    assert_eq!(
        m.incident_spend("a"),
        0.0,
        "old entries are pruned on the next write"
    );
    let file = m.load();
    assert_eq!(file.spend_log.len(), 1);
    assert_eq!(file.budget.monthly_cap, 5.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_a_cap_the_incident_is_escalated_not_fixed() {
    let (_t, p) = fixture::built("");
    let mut k = Keyed::new();
    k.cost_per_call = 0.6;
    k.push(
        "triage",
        "",
        json!({"component_id": "counter", "confidence": 0.9, "reasoning": "top_n"}),
    );
    let k = Arc::new(k);
    let c = clock();
    let (s, _) = sentinel_for(&p, k.clone(), c.clone() as Arc<dyn Clock>, |e| {
        e.config.project.monitoring_budget = Some(MonitoringBudget {
            per_incident_cap: 0.5,
            ..MonitoringBudget::default()
        });
    });
    // Triage spends $0.60: past the per-incident cap, so no fixer is asked.
    let h = s
        .handle(signal("ERROR top_n crashed"))
        .await
        .expect("handle");
    assert_eq!(h.incident.status, IncidentStatus::Escalated);
    assert!(
        h.incident
            .resolution
            .starts_with("budget_exceeded: monitoring per-incident cap"),
        "{}",
        h.incident.resolution
    );
    assert!((h.incident.spend_usd - 0.6).abs() < 1e-9);
    assert_eq!(k.total_calls(), 1);
    assert!(k.calls_for("fixer", "counter").is_empty());
    // Ten dollars spent this hour elsewhere: the next incident may not even triage.
    let spend = s.spend(&s.targets[0]);
    spend.record("earlier", 10.0).expect("rec");
    let h = s
        .handle(signal("ERROR formatter exploded"))
        .await
        .expect("handle");
    assert!(
        h.incident
            .resolution
            .starts_with("budget_exceeded: monitoring hourly cap"),
        "{}",
        h.incident.resolution
    );
    assert_eq!(k.total_calls(), 1, "refused before the call");
    let _ = c.now();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn post(port: u16, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(request.as_bytes()).expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn json_post(port: u16, token: &str, body: &str) -> String {
    post(
        port,
        &format!(
            "POST /report HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_log_through_rotation_and_truncation_and_the_webhook() {
    let (_t, p) = fixture::built("");
    let log = p.root().join("logs/app.log");
    std::fs::create_dir_all(log.parent().expect("dir")).expect("mkdir");
    std::fs::write(&log, "ERROR an old error, before watching\n").expect("log");
    let port = free_port();
    let k = Keyed::new();
    k.push(
        "triage",
        "",
        json!({"component_id": "unknown", "confidence": 0.0, "reasoning": "memory, not code"}),
    );
    let k = Arc::new(k);
    let (s, lines) = sentinel_for(
        &p,
        k.clone(),
        Arc::new(pact_engine::sentinel::budget::SystemClock),
        |e| {
            no_remediation(e);
            e.config.project.monitoring_log_files = vec!["logs/app.log".into()];
            e.config.project.monitoring_webhook_port = port;
        },
    );
    let s = Arc::new(s);
    let cancel = tokio_util::sync::CancellationToken::new();
    let opts = WatchOptions {
        poll: Duration::from_millis(30),
        ..WatchOptions::default()
    };
    let task = tokio::spawn(watch::run(s.clone(), opts, cancel.clone()));
    let l2 = lines.clone();
    wait_for("the watchers", move || {
        let l = l2.lock().expect("lines");
        l.iter().any(|x| x.starts_with("tailing"))
            && l.iter().any(|x| x.starts_with("webhook listening"))
    })
    .await;
    let store = IncidentStore::new(&p);
    let count = |store: &IncidentStore| store.load().map(|f| f.incidents.len()).unwrap_or(0);
    let append = |text: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("open");
        f.write_all(text.as_bytes()).expect("append");
    };
    let key = fixture::key(&p, "tokenizer");
    append(&format!("INFO all fine\nERROR [{key}] tokenize blew up\n"));
    let st = store.clone();
    wait_for("the first incident", move || count(&st) == 1).await;
    // Rotation: the file is moved away and a new one starts.
    std::fs::rename(&log, log.with_extension("log.1")).expect("rotate");
    std::fs::write(
        &log,
        format!(
            "ERROR [{}] counting went wrong\n",
            fixture::key(&p, "counter")
        ),
    )
    .expect("new log");
    let st = store.clone();
    wait_for("the incident after rotation", move || count(&st) == 2).await;
    // Truncation in place, then a shorter file.
    std::fs::write(&log, "CRITICAL [x] out of memory\n").expect("truncate");
    let st = store.clone();
    wait_for("the incident after truncation", move || count(&st) == 3).await;

    // The webhook: errors in, garbage out.
    let token = std::fs::read_to_string(p.layout.monitoring_dir().join("webhook.token"))
        .expect("the webhook's token")
        .trim()
        .to_string();
    // Not from a web page, not without the project's token, not as text/plain.
    let body = r#"{"error": "injected from a web page"}"#;
    let from_page = post(
        port,
        &format!(
            "POST / HTTP/1.1\r\nOrigin: https://evil.example\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(from_page.starts_with("HTTP/1.1 403"), "{from_page}");
    let plain = post(
        port,
        &format!(
            "POST / HTTP/1.1\r\nContent-Type: text/plain\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(plain.starts_with("HTTP/1.1 415"), "{plain}");
    let no_token = json_post(port, "", body);
    assert!(no_token.starts_with("HTTP/1.1 401"), "{no_token}");
    let wrong = json_post(port, &"0".repeat(token.len()), body);
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    assert!(
        !std::fs::read_to_string(p.layout.pact_dir().join("monitoring/.gitignore"))
            .unwrap_or_default()
            .is_empty(),
        "the token is kept out of git"
    );
    let ok = json_post(
        port,
        &token,
        &format!(
            r#"{{"error": "formatting failed", "log_key": "{}"}}"#,
            fixture::key(&p, "formatter")
        ),
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let st = store.clone();
    wait_for("the webhook incident", move || count(&st) == 4).await;
    let bad = json_post(port, &token, r#"{"nothing": "here"}"#);
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
    let get = post(port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert!(get.starts_with("HTTP/1.1 405"), "{get}");
    let headers = format!("Content-Type: application/json\r\nX-Pact-Token: {token}");
    let big = post(
        port,
        &format!("POST / HTTP/1.1\r\n{headers}\r\nContent-Length: 999999\r\n\r\n"),
    );
    assert!(big.starts_with("HTTP/1.1 413"), "{big}");
    let nolen = post(port, &format!("POST / HTTP/1.1\r\n{headers}\r\n\r\n"));
    assert!(nolen.starts_with("HTTP/1.1 411"), "{nolen}");

    cancel.cancel();
    let summary = task.await.expect("join").expect("watch");
    assert_eq!(summary.new_incidents, 4);
    let file = store.load().expect("load");
    let by_component: Vec<(&str, &str)> = file
        .incidents
        .values()
        .map(|i| (i.component_id.as_str(), i.signals[0].source.as_str()))
        .collect();
    assert_eq!(
        by_component,
        vec![
            ("tokenizer", "log_file"),
            ("counter", "log_file"),
            ("", "log_file"),
            ("formatter", "webhook")
        ]
    );
    assert!(
        file.incidents
            .values()
            .all(|i| !i.signals[0].raw_text.contains("old error"))
    );
    assert_eq!(k.total_calls(), 1, "only the keyless error needed triage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_audit_rates_each_requirement_and_recounts() {
    let (_t, p) = fixture::built("");
    let k = Keyed::new();
    k.push(
        "auditor",
        "",
        json!({"requirements": [
            {"requirement": "Count word frequencies", "status": "covered", "evidence": "counter.count_tokens"},
            {"requirement": "Output as JSON or CSV", "status": "partial", "evidence": "formatter", "notes": "CSV quoting untested"},
            {"requirement": "Read from stdin", "status": "gap", "notes": "no CLI"}],
            "summary": "the agent's own summary is replaced", "covered_count": 99}),
    );
    let k = Arc::new(k);
    let e = fixture::engine_with(&p, k.clone(), None);
    let r = pact_engine::audit_spec::audit(&e).await.expect("audit");
    assert_eq!(
        (r.covered_count, r.partial_count, r.gap_count, r.total_count),
        (1, 1, 1, 3)
    );
    assert_eq!(r.summary, "1/3 requirements fully covered (33%)");
    let text = r.render();
    assert!(
        text.contains("[COVERED] Count word frequencies") && text.contains("[GAP]"),
        "{text}"
    );
    let asked = k.calls_for("auditor", "");
    let prompt: String = asked[0]
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert!(
        prompt.contains("# task.md") && prompt.contains("def count_tokens"),
        "{prompt}"
    );
    assert!(p.layout.pact_dir().join("spec_audit.json").is_file());
    assert!(
        fixture::audit_actions(&p)
            .iter()
            .any(|(a, d)| a == "spec_audit" && d.starts_with("1/3"))
    );
}
