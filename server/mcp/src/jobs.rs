//! Jobs started by an agent: the engine's job API with MCP progress notifications (when the
//! client asked for them with a progress token) and cancellation (`notifications/cancelled`
//! cancels the job; the project stays consistent and resumable).

use pact_core::store::Project;
use pact_engine::events::{Event, Sink};
use pact_engine::job::{self, JobKind, JobReport, JobRequest};
use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RequestContext;
use std::sync::Arc;

/// Runs `kind` on `project` to its end and returns the report.
pub async fn run(project: Project, kind: JobKind, ctx: &RequestContext<RoleServer>) -> JobReport {
    let token = ctx
        .meta
        .get("progressToken")
        .cloned()
        .and_then(|t| serde_json::from_value::<rmcp::model::NumberOrString>(t).ok())
        .map(ProgressToken);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let sink: Sink = Arc::new(move |e: &Event| {
        let _ = tx.send(e.clone());
    });
    let reporter = {
        let peer = ctx.peer.clone();
        tokio::spawn(async move {
            let mut step = 0u32;
            while let Some(event) = rx.recv().await {
                let (Some(token), Some(message)) = (&token, describe(&event)) else {
                    continue;
                };
                step += 1;
                let param = ProgressNotificationParam::new(token.clone(), f64::from(step))
                    .with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    tracing::debug!("progress notification not delivered");
                }
            }
        })
    };
    let holder = format!("pact mcp: {}", title(&kind));
    let request = JobRequest {
        project,
        kind,
        options: Default::default(),
        holder,
    };
    let report = job::run(request, sink, ctx.ct.clone()).await;
    // The engine held the sink: once it is dropped the reporter drains and ends.
    let _ = reporter.await;
    report
}

/// "build tokenizer": how a job is named to whoever finds the project busy.
pub fn title(kind: &JobKind) -> String {
    match kind {
        JobKind::Decompose => "decompose".into(),
        JobKind::Run { .. } => "run".into(),
        JobKind::Build { component, .. } => format!("build {component}"),
        JobKind::Rebuild { component, .. } => format!("rebuild {component}"),
        JobKind::RegenerateTests { component } => format!("regenerate tests of {component}"),
        JobKind::RunTests { component } => format!("run tests of {component}"),
        JobKind::Adopt { .. } => "adopt".into(),
    }
}

/// The progress message of an event; `None` for events not worth a notification.
fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::PhaseStarted { phase } => format!("phase {phase}"),
        Event::PhaseFinished { .. } => return None,
        Event::Component {
            component, step, ..
        } => format!("{component}: {step}"),
        Event::Attempt {
            component,
            attempt,
            of,
        } => format!("{component}: attempt {attempt} of {of}"),
        Event::TestsRan {
            component,
            passed,
            total,
        } => format!("{component}: {passed}/{total} contract tests pass"),
        Event::Spend {
            spent_usd,
            budget_usd,
        } => format!("spent ${spent_usd:.2} of ${budget_usd:.2}"),
        Event::Paused { reason } => format!("paused: {reason}"),
        Event::Note { message } => message.clone(),
        Event::Runtime { runtime, message } => format!("{runtime}: {message}"),
    })
}
