//! Pipeline jobs started from the editor. The engine's job API does the work and applies the
//! policy ([`pact_engine::job`]: the run lock, every precondition checked before anything
//! changes, the build policy); this module connects it to the protocol: work-done progress from
//! the engine's events, re-checks as artifacts land, cancellation by the client, and one message
//! per outcome, worded for the client.

mod progress;
mod registry;
mod render;
mod settings;

pub use progress::{Recheck, Tracker};
pub use registry::{Job, Jobs};
pub use render::{holder, title};
pub use settings::Settings;

use crate::scheduler;
use crate::state::{Shared, guard, lock};
use pact_core::store::Project as Store;
use pact_engine::events::{Event, Sink};
use pact_engine::job::{self, JobKind, JobRequest};
use progress::Progress;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::ls_types::MessageType;

/// How long re-checks wait while a job writes artifacts (several writes make one re-check).
const RECHECK_DELAY: Duration = Duration::from_millis(200);

/// A job to start.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: JobKind,
    pub root: std::path::PathBuf,
    /// Answer when the job ends instead of at once (then `$/cancelRequest` cancels the job).
    pub wait: bool,
}

/// Starts a job. Its preflight runs first (under the job's progress): a job that cannot start
/// answers `{started: false, error}` and changed nothing; otherwise the answer is `{started:
/// true, token}` at once, or the job's report when it ends (`wait`). Either way the user gets
/// exactly one message about the outcome.
pub async fn start(shared: &Arc<Shared>, req: Request) -> Value {
    let title = title(&req.kind);
    let client = lock(&shared.state).caps.client;
    let own = guard(&shared.jobs)
        .running_on(&req.root)
        .map(|j| j.title.clone());
    if let Some(other) = own {
        let msg = format!(
            "{title}: Did not start: {other} is already running on this project (started from this editor).{}",
            client.next(&[job::NextStep::WaitOrStop])
        );
        return refuse(shared, &msg).await;
    }
    let store = match Store::open(&req.root) {
        Ok(s) => s,
        Err(e) => return refuse(shared, &format!("{title}: Did not start: {e}.")).await,
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let sink: Sink = Arc::new(move |e: &Event| {
        let _ = tx.send(e.clone());
    });
    let cancel = CancellationToken::new();
    let token = guard(&shared.jobs).add(req.root.clone(), title.clone(), cancel.clone());
    tracing::info!("{title}: starting on {} ({token})", req.root.display());
    let request = JobRequest {
        project: store,
        kind: req.kind.clone(),
        options: guard(&shared.settings).run_options(),
        holder: holder(&req.kind),
    };
    // Whether the job passed its preflight: `None` it runs, `Some(answer)` it was refused.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Option<Value>>();
    let body = {
        let shared = shared.clone();
        let root = req.root.clone();
        let token = token.clone();
        let cancel = cancel.clone();
        let kind = req.kind.clone();
        let title = title.clone();
        async move {
            let supported = lock(&shared.state).caps.work_done_progress;
            let progress = Progress::begin(&shared.client, supported, &token, &title).await;
            let reporter = tokio::spawn(report(
                shared.clone(),
                root.clone(),
                kind,
                progress.clone(),
                rx,
            ));
            // The preflight: nothing changes if it fails.
            let prepared = match job::prepare(&request, sink, cancel).await {
                Ok(p) => {
                    let _ = ready_tx.send(None);
                    p
                }
                Err(report) => {
                    let _ = reporter.await;
                    let answer = finish(&shared, &root, &token, &progress, client, &report).await;
                    let _ = ready_tx.send(Some(answer.clone()));
                    return answer;
                }
            };
            let report = prepared.execute().await;
            // The engine held the event sink: the reporter has seen everything once it ends.
            let _ = reporter.await;
            finish(&shared, &root, &token, &progress, client, &report).await
        }
    };
    let shared2 = shared.clone();
    let token2 = token.clone();
    let handle = tokio::spawn(async move {
        match tokio::spawn(body).await {
            Ok(v) => v,
            Err(e) => {
                // A panic in the job: the lock went with it; say so and keep serving.
                guard(&shared2.jobs).remove(&token2);
                let msg = format!("stopped by an internal error ({e})");
                tracing::error!("{msg}");
                shared2
                    .client
                    .show_message(MessageType::ERROR, msg.clone())
                    .await;
                json!({"token": token2, "outcome": "failed", "error": msg})
            }
        }
    });
    if req.wait {
        // `$/cancelRequest` drops this future: the guard cancels the job, whatever it is doing.
        let on_drop = cancel.drop_guard();
        let result = handle.await.unwrap_or_else(
            |e| json!({"token": token, "outcome": "failed", "error": e.to_string()}),
        );
        on_drop.disarm();
        return result;
    }
    match ready_rx.await {
        Ok(Some(refused)) => refused,
        _ => json!({"started": true, "token": token, "job": token, "title": title}),
    }
}

/// A job that cannot even be prepared (one of this editor's runs on the project, an unreadable
/// project): one message, the answer `{started: false}`.
async fn refuse(shared: &Shared, msg: &str) -> Value {
    tracing::info!("{msg}");
    shared
        .client
        .show_message(MessageType::ERROR, msg.to_string())
        .await;
    json!({"started": false, "error": msg})
}

/// The end of a job: the project re-read and checked, the progress ended, one message.
async fn finish(
    shared: &Arc<Shared>,
    root: &Path,
    token: &str,
    progress: &Progress,
    client: crate::wording::Client,
    report: &job::JobReport,
) -> Value {
    let summary = render::render(report, client);
    // Everything the job wrote is read again and checked before the progress ends.
    if !matches!(report.outcome, job::JobOutcome::Refused { .. }) {
        refresh_now(shared, root).await;
    }
    guard(&shared.jobs).remove(token);
    tracing::info!("{}", summary.show.1);
    progress.end(&summary.end).await;
    shared
        .client
        .show_message(summary.show.0, summary.show.1.clone())
        .await;
    let mut result = summary.result;
    if let Some(o) = result.as_object_mut() {
        o.insert("token".into(), token.into());
    }
    result
}

/// Turns the job's events into progress reports and re-checks.
async fn report(
    shared: Arc<Shared>,
    root: std::path::PathBuf,
    kind: JobKind,
    progress: Progress,
    mut rx: UnboundedReceiver<Event>,
) {
    let mut t = Tracker::new(&kind);
    let store = Store::open(&root).ok();
    let mut last: Option<(String, Option<u32>)> = None;
    while let Some(e) = rx.recv().await {
        let recheck = t.apply(&e, || {
            store
                .as_ref()?
                .load_tree()
                .ok()
                .flatten()
                .map(|t| t.nodes.len())
        });
        match recheck {
            Recheck::None => {}
            Recheck::Reload => touch(&shared, &root, true, &[]),
            Recheck::Results(cid) => touch(&shared, &root, false, &[cid]),
        }
        // One report per change of what the user sees (re-checks are debounced instead).
        let now = (t.message(), t.percentage());
        if last.as_ref() != Some(&now) {
            progress.report(&now.0, now.1).await;
            last = Some(now);
        }
    }
}

/// Marks what a job wrote as changed and schedules a (debounced) re-check.
fn touch(shared: &Arc<Shared>, root: &Path, reload: bool, results: &[String]) {
    {
        let mut st = lock(&shared.state);
        let Some(p) = st.project_mut(root) else {
            return;
        };
        if reload {
            p.mark(root);
        }
        for cid in results {
            let path = p.layout.test_results(cid);
            p.mark(&path);
        }
    }
    scheduler::schedule(shared, root.to_path_buf(), RECHECK_DELAY);
}

/// Reads the whole project again and re-checks it now (a project the server did not know yet
/// is added).
pub async fn refresh_now(shared: &Arc<Shared>, root: &Path) {
    let generation = {
        let mut st = lock(&shared.state);
        st.project_mut(root).map(|p| {
            p.mark(root);
            p.generation
        })
    };
    match generation {
        Some(g) => {
            scheduler::check(shared, root, g).await;
        }
        None => {
            scheduler::add_project(shared, root.to_path_buf()).await;
        }
    }
}
