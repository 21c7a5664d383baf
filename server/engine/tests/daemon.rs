//! The daemon in process: it waits while the run is paused and takes directives through its
//! named pipe — malformed ones are rejected and change nothing, remedies and settings apply in
//! memory, a resume carries the run to completion — and it stops on request or when idle.

use crate::support::fixture;
use crate::support::keyed;
use crate::support::script;

use keyed::Keyed;
use pact_core::model::RunStatus;
use pact_core::store::Project;
use pact_engine::daemon::{self, DaemonExit, DaemonOptions};
use pact_engine::{Engine, Outcome};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn good_answers() -> Keyed {
    let k = Keyed::new();
    let s = fixture::sample();
    k.push("interviewer", "", script::interview());
    k.push("decomposer", "", script::decomposition(&s));
    for cid in script::ORDER {
        k.push("contract_author", cid, script::contract(&s, cid));
        k.push("test_author", cid, script::tests(&s, cid));
        k.push("code_author", cid, script::code(&s, cid));
    }
    k
}

fn engine(p: &Project) -> Engine {
    let mut e = fixture::engine_with(p, Arc::new(good_answers()), None);
    e.runner = Arc::new(fixture::InstantPass);
    e
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn has_audit(p: &Project, action: &str, detail: &str) -> bool {
    fixture::audit_actions(p)
        .iter()
        .any(|(a, d)| a == action && d.contains(detail))
}

/// A project paused at the end of planning, and a daemon waiting on it.
async fn paused_with_daemon(
    opts: DaemonOptions,
) -> (
    tempfile::TempDir,
    Project,
    tokio::task::JoinHandle<(pact_engine::engine::Result<DaemonExit>, Engine)>,
) {
    let (t, p) = fixture::project("plan_only: true\n");
    let o = engine(&p).run().await.expect("plan");
    assert!(
        matches!(&o, Outcome::Paused { reason } if *reason == pact_engine::job::PauseReason::PlanOnly),
        "{o:?}"
    );
    let mut job = pact_engine::job::Prepared::new(
        engine(&p),
        pact_engine::job::JobKind::run(),
        "pact daemon",
    )
    .await
    .unwrap_or_else(|r| panic!("preflight: {r:?}"));
    let handle = tokio::spawn(async move {
        let log = |_: &str| {};
        let r = daemon::run(&mut job, &opts, &log).await;
        (r, job.engine)
    });
    let p2 = p.clone();
    wait_for("the daemon to listen", move || {
        daemon::status(&p2).alive && daemon::status(&p2).fifo_exists
    })
    .await;
    (t, p, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directives_through_the_pipe_while_the_daemon_waits() {
    let (_t, p, handle) = paused_with_daemon(DaemonOptions::default()).await;
    let st = daemon::status(&p);
    assert_eq!(st.pid, Some(std::process::id()));
    assert!(
        pact_engine::joblock::acquire(&p, "pact run").is_err(),
        "the daemon holds the project"
    );
    let before = p.load_state().expect("s").expect("state");
    assert_eq!(before.status, RunStatus::Paused);

    // Malformed lines written straight into the pipe: rejected, audited, nothing changes.
    for bad in [
        "{not json",
        r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":0}"#,
        r#"{"type":"set_config","budget":1000}"#,
        "frobnicate",
    ] {
        daemon::send(&p, bad).expect("send");
    }
    let p2 = p.clone();
    wait_for("four rejections", move || {
        fixture::audit_actions(&p2)
            .iter()
            .filter(|(a, _)| a == "directive_rejected")
            .count()
            == 4
    })
    .await;
    let after = p.load_state().expect("s").expect("state");
    assert_eq!(
        (after.status, &after.pause_reason, after.phase),
        (before.status, &before.pause_reason, before.phase)
    );
    assert!(has_audit(&p, "directive_rejected", "not valid JSON"));
    assert!(has_audit(
        &p,
        "directive_rejected",
        "`budget` cannot be changed"
    ));

    // Remedies, settings and context apply in memory and are audited.
    daemon::send(
        &p,
        r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":1}"#,
    )
    .expect("send");
    daemon::send(
        &p,
        r#"{"type":"set_config","max_implementation_attempts":5}"#,
    )
    .expect("send");
    daemon::send(
        &p,
        r#"{"type":"inject_context","context":"Production runs on Python 3.12."}"#,
    )
    .expect("send");
    let p2 = p.clone();
    wait_for("the context", move || {
        has_audit(&p2, "inject_context", "chars appended")
    })
    .await;
    assert!(has_audit(&p, "remedy_applied", "max_plan_revisions = 1"));
    assert!(has_audit(
        &p,
        "set_config",
        "max_implementation_attempts = 5"
    ));
    let context = std::fs::read_to_string(p.layout.pact_dir().join("context.md")).expect("context");
    assert!(context.contains("Python 3.12"), "{context}");
    assert_eq!(
        p.load_state().expect("s").expect("st").status,
        RunStatus::Paused,
        "still waiting"
    );

    // Implement after all, and resume: the run goes to completion and the daemon exits.
    daemon::send(&p, r#"{"type":"set_mode","mode":"implement"}"#).expect("send");
    daemon::send(&p, "resume").expect("send");
    let (exit, e) = tokio::time::timeout(Duration::from_secs(60), handle)
        .await
        .expect("daemon finished")
        .expect("joined");
    assert_eq!(exit.expect("daemon"), DaemonExit::Completed);
    assert_eq!(
        p.load_state().expect("s").expect("st").status,
        RunStatus::Completed
    );
    assert_eq!(e.config.project.max_plan_revisions, Some(1));
    assert_eq!(e.config.project.max_implementation_attempts, 5);
    assert_eq!(e.config.project.plan_only, Some(false));
    assert!(
        !std::fs::read_to_string(p.layout.pact_yaml())
            .expect("yaml")
            .contains("max_plan_revisions"),
        "directives never write pact.yaml"
    );
    assert!(has_audit(&p, "daemon_resume", "Signal: resume"));
    assert!(has_audit(&p, "daemon_dispatch", "Phase: implement"));
    // Its files are gone, and a sender is told nobody listens.
    assert!(!daemon::status(&p).alive);
    let err = daemon::send(&p, "resume")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("no daemon is running"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_requests_end_a_waiting_daemon_and_idle_daemons_time_out() {
    let (_t, p, handle) = paused_with_daemon(DaemonOptions::default()).await;
    assert_eq!(
        daemon::request_stop(&p).expect("stop"),
        Some(std::process::id())
    );
    let (exit, _) = tokio::time::timeout(Duration::from_secs(20), handle)
        .await
        .expect("stopped")
        .expect("joined");
    assert_eq!(exit.expect("daemon"), DaemonExit::Shutdown);
    assert!(has_audit(&p, "daemon_shutdown", "Clean shutdown"));
    assert!(
        !daemon::shutdown_path(&p).exists(),
        "the request is consumed"
    );
    assert!(!daemon::pid_path(&p).exists());
    assert_eq!(
        daemon::request_stop(&p).expect("stop"),
        None,
        "nothing left to stop"
    );
    assert!(
        pact_engine::joblock::acquire(&p, "pact run").is_ok(),
        "the project is free again"
    );

    let (_t, p, handle) = paused_with_daemon(DaemonOptions {
        max_idle: Duration::from_millis(300),
        ..DaemonOptions::default()
    })
    .await;
    let (exit, _) = tokio::time::timeout(Duration::from_secs(20), handle)
        .await
        .expect("timed out")
        .expect("joined");
    assert_eq!(exit.expect("daemon"), DaemonExit::IdleTimeout);
    let st = p.load_state().expect("s").expect("state");
    assert!(
        st.pause_reason.ends_with(daemon::TIMED_OUT),
        "{}",
        st.pause_reason
    );
}
