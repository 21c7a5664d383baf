//! Pipeline jobs started from the editor: decompose, run the pipeline, build, rebuild,
//! regenerate tests, run tests. Each job runs the engine in-process on a spawned task, holds the
//! project's job lock for its whole length (the CLI takes the same lock, so a `pact run` in a
//! terminal and an editor job never overlap), reports LSP work-done progress from the engine's
//! events, has the project re-checked as artifacts land, and stops when the client cancels it:
//! model calls and test runs end, the project stays consistent and a later run resumes it.

use crate::scheduler;
use crate::state::{Shared, guard, lock};
use pact_core::model::Phase;
use pact_core::store::Project as Store;
use pact_engine::build::{self, BuildMode};
use pact_engine::events::{Event, Sink};
use pact_engine::harness::TestRun;
use pact_engine::setup::{RunOptions, engine_for};
use pact_engine::{Engine, EngineError, Outcome};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::notification::Progress as ProgressNotification;
use tower_lsp_server::ls_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress,
    WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport,
};

/// How long re-checks wait while a job writes artifacts (several writes make one re-check).
const RECHECK_DELAY: Duration = Duration::from_millis(200);

/// The editor's settings for runs: `initializationOptions.pact` and
/// `workspace/didChangeConfiguration` `settings.pact` (`backend`, `model`, `budget`, `trace`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub backend: Option<String>,
    pub model: Option<String>,
    pub budget: Option<f64>,
    pub trace: Option<String>,
}

impl Settings {
    /// Reads the `pact` object of `v`; `None` when there is none. Null, empty and malformed
    /// values are unset (the project's own `pact.yaml` applies).
    pub fn from_value(v: &Value) -> Option<Self> {
        let o = v.get("pact")?.as_object()?;
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let budget = o
            .get("budget")
            .and_then(|b| b.as_f64().or_else(|| b.as_str()?.trim().parse().ok()))
            .filter(|b| b.is_finite() && *b > 0.0);
        Some(Self {
            backend: text("backend"),
            model: text("model"),
            budget,
            trace: text("trace"),
        })
    }

    pub fn run_options(&self) -> RunOptions {
        RunOptions {
            backend: self.backend.clone(),
            model: self.model.clone(),
            budget: self.budget,
            ..Default::default()
        }
    }

    /// `trace: verbose` also forwards the server's debug log to the client.
    pub fn verbose(&self) -> bool {
        self.trace.as_deref() == Some("verbose")
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Interview → decomposition → contracts → tests → validation; stops at the plan.
    Decompose,
    /// The whole pipeline from the current phase (as `pact run`).
    RunPipeline,
    /// One component; `agents > 1` is a competitive build.
    Build {
        agents: u32,
    },
    /// Flush the implementation, then build it from the contract.
    Rebuild,
    RegenerateTests,
    /// The locked contract tests against the current implementation (no model).
    RunTests,
}

impl JobKind {
    pub fn needs_component(self) -> bool {
        !matches!(self, JobKind::Decompose | JobKind::RunPipeline)
    }

    pub fn title(self, cid: &str) -> String {
        match self {
            JobKind::Decompose => "Pact: Decompose".into(),
            JobKind::RunPipeline => "Pact: Run pipeline".into(),
            JobKind::Build { agents } if agents > 1 => {
                format!("Pact: Build {cid} competitively ({agents})")
            }
            JobKind::Build { .. } => format!("Pact: Build {cid}"),
            JobKind::Rebuild => format!("Pact: Rebuild {cid}"),
            JobKind::RegenerateTests => format!("Pact: Regenerate tests of {cid}"),
            JobKind::RunTests => format!("Pact: Run tests of {cid}"),
        }
    }

    /// Who holds the project lock, as others see it.
    fn holder(self, cid: &str) -> String {
        let what = match self {
            JobKind::Decompose => "decompose".to_string(),
            JobKind::RunPipeline => "run pipeline".to_string(),
            JobKind::Build { agents } if agents > 1 => format!("build {cid} (competitive)"),
            JobKind::Build { .. } => format!("build {cid}"),
            JobKind::Rebuild => format!("rebuild {cid}"),
            JobKind::RegenerateTests => format!("regenerate tests of {cid}"),
            JobKind::RunTests => format!("run tests of {cid}"),
        };
        format!("pact lsp: {what}")
    }

    /// What picks up where a stopped job left off.
    fn resume_hint(self) -> &'static str {
        match self {
            JobKind::Decompose | JobKind::RunPipeline => "Pact: Run pipeline resumes it",
            JobKind::Build { .. } | JobKind::Rebuild => {
                "Pact: Build component (or Pact: Run pipeline) resumes it"
            }
            JobKind::RegenerateTests => "Pact: Regenerate tests from contract starts it again",
            JobKind::RunTests => "Pact: Run contract tests runs them again",
        }
    }
}

/// A running job.
#[derive(Debug, Clone)]
pub struct Job {
    pub token: String,
    pub root: PathBuf,
    pub title: String,
    pub cancel: CancellationToken,
}

/// The jobs running in this server.
#[derive(Debug, Default)]
pub struct Jobs {
    list: Vec<Job>,
    next: u64,
}

impl Jobs {
    pub fn running_on(&self, root: &Path) -> Option<&Job> {
        self.list.iter().find(|j| j.root == root)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Cancels the job with this progress token; returns its title.
    pub fn cancel_token(&self, token: &str) -> Option<String> {
        let j = self.list.iter().find(|j| j.token == token)?;
        j.cancel.cancel();
        Some(j.title.clone())
    }

    /// Cancels the job running on `root`; returns its title.
    pub fn cancel_root(&self, root: &Path) -> Option<String> {
        let j = self.running_on(root)?;
        j.cancel.cancel();
        Some(j.title.clone())
    }

    /// Cancels every job (the server is shutting down); returns how many.
    pub fn cancel_all(&self) -> usize {
        for j in &self.list {
            j.cancel.cancel();
        }
        self.list.len()
    }

    fn add(&mut self, root: PathBuf, title: String, cancel: CancellationToken) -> String {
        self.next += 1;
        let token = format!("pact-job-{}-{}", std::process::id(), self.next);
        self.list.push(Job {
            token: token.clone(),
            root,
            title,
            cancel,
        });
        token
    }

    fn remove(&mut self, token: &str) {
        self.list.retain(|j| j.token != token);
    }
}

/// A job to start.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: JobKind,
    pub root: PathBuf,
    pub component: Option<String>,
    /// Answer when the job ends instead of at once (then `$/cancelRequest` cancels the job).
    pub wait: bool,
}

#[derive(Debug, Clone)]
struct Ctx {
    token: String,
    root: PathBuf,
    title: String,
    kind: JobKind,
    cid: String,
}

/// Starts a job. Answers at once with `{started: true, token}` (the job reports progress under
/// that token), or `{started: false, error}` after telling the user why it could not start
/// (another job holds the project, the configuration is broken…).
pub async fn start(shared: &Arc<Shared>, req: Request) -> Value {
    let cid = req.component.clone().unwrap_or_default();
    let title = req.kind.title(&cid);
    let own = guard(&shared.jobs)
        .running_on(&req.root)
        .map(|j| j.title.clone());
    if let Some(other) = own {
        let msg = format!(
            "{other} is already running on this project (started from this editor); wait for it or stop it with Pact: Stop run"
        );
        return refuse(&shared.client, &title, &msg).await;
    }
    let store = match Store::open(&req.root) {
        Ok(s) => s,
        Err(e) => return refuse(&shared.client, &title, &e.to_string()).await,
    };
    let job_lock = match pact_engine::joblock::acquire(&store, &req.kind.holder(&cid)) {
        Ok(l) => l,
        Err(e) => return refuse(&shared.client, &title, &e.to_string()).await,
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let sink: Sink = Arc::new(move |e: &Event| {
        let _ = tx.send(e.clone());
    });
    let settings = guard(&shared.settings).clone();
    let mut engine = match engine_for(&store, &settings.run_options(), sink) {
        Ok(e) => e,
        Err(e) => {
            drop(job_lock);
            let msg = format!("{e}; fix pact.yaml (or the pact.* settings) and try again");
            return refuse(&shared.client, &title, &msg).await;
        }
    };
    if req.kind == JobKind::Decompose {
        engine.config.project.plan_only = Some(true);
    }
    let cancel = engine.cancel.clone();
    let token = guard(&shared.jobs).add(req.root.clone(), title.clone(), cancel.clone());
    tracing::info!("{title}: started on {} ({token})", req.root.display());
    let ctx = Ctx {
        token: token.clone(),
        root: req.root.clone(),
        title: title.clone(),
        kind: req.kind,
        cid,
    };
    let shared2 = shared.clone();
    let handle = tokio::spawn(async move {
        let progress = Progress::begin(&shared2, &ctx.token, &ctx.title).await;
        let inner = tokio::spawn(work(
            shared2.clone(),
            ctx.clone(),
            engine,
            job_lock,
            rx,
            progress.clone(),
        ));
        match inner.await {
            Ok(v) => v,
            Err(e) => {
                // A panic in the job: the lock went with it; say so and keep serving.
                guard(&shared2.jobs).remove(&ctx.token);
                let msg = format!("{}: stopped by an internal error ({e})", ctx.title);
                tracing::error!("{msg}");
                progress.end(&msg).await;
                shared2
                    .client
                    .show_message(MessageType::ERROR, msg.clone())
                    .await;
                json!({"token": ctx.token, "outcome": "failed", "error": msg})
            }
        }
    });
    if req.wait {
        // `$/cancelRequest` drops this future: the guard cancels the job.
        let on_drop = cancel.drop_guard();
        let result = handle.await.unwrap_or_else(
            |e| json!({"token": token, "outcome": "failed", "error": e.to_string()}),
        );
        on_drop.disarm();
        return result;
    }
    json!({"started": true, "token": token, "job": token, "title": title})
}

async fn refuse(client: &Client, title: &str, why: &str) -> Value {
    let msg = format!("{title} did not start: {why}");
    tracing::warn!("{msg}");
    client.show_message(MessageType::ERROR, msg.clone()).await;
    json!({"started": false, "error": msg})
}

/// What the engine call returned.
enum Done {
    Run(Outcome),
    /// Decompose on a run already past its plan (in this phase).
    Planned(Phase),
    Built(bool),
    Regenerated(Result<(), String>),
    Tested(Box<TestRun>),
}

async fn execute(e: &Engine, kind: JobKind, cid: &str) -> Result<Done, EngineError> {
    match kind {
        JobKind::Decompose => {
            // Past the plan, "decompose" would go on implementing: it stops instead.
            let phase = e.project.load_state()?.map(|s| s.phase);
            match phase {
                Some(p)
                    if !matches!(
                        p,
                        Phase::Interview
                            | Phase::Shape
                            | Phase::Decompose
                            | Phase::Contract
                            | Phase::Test
                            | Phase::Validate
                    ) =>
                {
                    Ok(Done::Planned(p))
                }
                _ => e.run().await.map(Done::Run),
            }
        }
        JobKind::RunPipeline => e.run().await.map(Done::Run),
        JobKind::Build { agents } => {
            let mut mode = BuildMode::from_config(&e.config);
            if agents > 1 {
                mode.agents = agents;
            }
            build::build_component(e, cid, mode).await.map(Done::Built)
        }
        JobKind::Rebuild => {
            build::flush(e, cid)?;
            let mode = BuildMode {
                force: true,
                ..BuildMode::from_config(&e.config)
            };
            build::build_component(e, cid, mode).await.map(Done::Built)
        }
        JobKind::RegenerateTests => pact_engine::phases::regenerate_tests(e, cid)
            .await
            .map(Done::Regenerated),
        JobKind::RunTests => build::run_tests(e, cid)
            .await
            .map(|r| Done::Tested(Box::new(r))),
    }
}

async fn work(
    shared: Arc<Shared>,
    ctx: Ctx,
    engine: Engine,
    job_lock: pact_engine::joblock::JobLock,
    rx: UnboundedReceiver<Event>,
    progress: Progress,
) -> Value {
    let reporter = tokio::spawn(report(shared.clone(), ctx.clone(), progress.clone(), rx));
    let budget = engine.config.budget();
    let result = execute(&engine, ctx.kind, &ctx.cid).await;
    // The engine holds the event sink: dropping it ends the reporter once it has seen everything.
    let store = engine.project.clone();
    drop(engine);
    let tracker = reporter.await.unwrap_or_default();
    let summary = summarize(&ctx, &store, budget, &tracker, result);
    // Everything the job wrote is read again and checked before the progress ends.
    refresh_now(&shared, &ctx.root).await;
    guard(&shared.jobs).remove(&ctx.token);
    drop(job_lock);
    tracing::info!("{}: {}", ctx.title, summary.end);
    progress.end(&summary.end).await;
    if let Some((typ, msg)) = &summary.show {
        shared.client.show_message(*typ, msg.clone()).await;
    }
    if let Some(full) = &summary.log {
        shared
            .client
            .log_message(MessageType::ERROR, full.clone())
            .await;
    }
    let mut result = summary.result;
    if let Some(o) = result.as_object_mut() {
        o.insert("token".into(), ctx.token.clone().into());
        o.insert("message".into(), summary.end.clone().into());
    }
    result
}

/// How a job ended, for the progress end, the user and the log.
struct Summary {
    end: String,
    show: Option<(MessageType, String)>,
    /// The full error text (`window/logMessage`).
    log: Option<String>,
    result: Value,
}

fn spend_text(store: &Store, budget: f64) -> String {
    let spent = store
        .load_state()
        .ok()
        .flatten()
        .map_or(0.0, |s| s.total_cost_usd);
    format!("spend ${spent:.2} of ${budget:.2}")
}

fn summarize(
    ctx: &Ctx,
    store: &Store,
    budget: f64,
    tracker: &Tracker,
    result: Result<Done, EngineError>,
) -> Summary {
    let spend = spend_text(store, budget);
    let cid = ctx.cid.as_str();
    let info = |end: String, outcome: &str| Summary {
        show: Some((MessageType::INFO, format!("{}: {end}", ctx.title))),
        log: None,
        result: json!({"outcome": outcome}),
        end,
    };
    let warn = |end: String, outcome: &str| Summary {
        show: Some((MessageType::WARNING, format!("{}: {end}", ctx.title))),
        log: None,
        result: json!({"outcome": outcome}),
        end,
    };
    match result {
        Err(e) if e.is_cancelled() => info(
            format!(
                "Cancelled: model calls and test runs stopped; the project is consistent and {}.",
                ctx.kind.resume_hint()
            ),
            "cancelled",
        ),
        Err(e) => {
            let end = format!("Failed: {e}. {}", next_step(&e, ctx.kind));
            Summary {
                show: Some((MessageType::ERROR, format!("{}: {end}", ctx.title))),
                log: Some(full_error(&ctx.title, &e)),
                result: json!({"outcome": "failed", "error": e.to_string()}),
                end,
            }
        }
        Ok(Done::Run(outcome)) => match outcome {
            Outcome::Completed => info(
                format!("Run complete: every component passes its contract tests ({spend})."),
                "completed",
            ),
            Outcome::Paused { reason }
                if ctx.kind == JobKind::Decompose && reason.starts_with("Plan-only") =>
            {
                let n = store
                    .load_tree()
                    .ok()
                    .flatten()
                    .map_or(0, |t| t.nodes.len());
                info(
                    format!(
                        "Decomposed into {n} components, each with a contract and locked tests ({spend}). Next: Pact: Build component, or Pact: Run pipeline to implement them all."
                    ),
                    "planned",
                )
            }
            Outcome::Paused { reason } if reason.starts_with("Plan-only") => info(
                format!(
                    "Stopped at the plan: pact.yaml sets plan_only ({spend}). Build components one by one with Pact: Build component, or set `plan_only: false` and run the pipeline again."
                ),
                "planned",
            ),
            Outcome::Paused { reason } => warn(
                format!(
                    "Paused: {reason}. {} Then Pact: Run pipeline resumes.",
                    pause_step(&reason)
                ),
                "paused",
            ),
            Outcome::BudgetExceeded => Summary {
                end: format!(
                    "Stopped: the budget is spent ({spend}). Raise `budget` in pact.yaml (or the pact.budget setting), then Pact: Run pipeline resumes."
                ),
                show: Some((
                    MessageType::ERROR,
                    format!(
                        "{}: the budget is spent ({spend}). Raise `budget` in pact.yaml (or the pact.budget setting), then Pact: Run pipeline resumes.",
                        ctx.title
                    ),
                )),
                log: None,
                result: json!({"outcome": "budget_exceeded"}),
            },
            Outcome::Failed { reason } => Summary {
                end: format!("Run failed: {reason}"),
                show: Some((
                    MessageType::ERROR,
                    format!("{}: the run failed: {reason}", ctx.title),
                )),
                log: Some(format!("{}: the run failed: {reason}", ctx.title)),
                result: json!({"outcome": "failed", "error": reason}),
            },
            Outcome::Advanced { to } => info(format!("Advanced to {to} ({spend})."), "advanced"),
        },
        Ok(Done::Planned(phase)) => info(
            format!(
                "Already decomposed: the run is in phase {phase}. Pact: Run pipeline continues it; to plan again, start a new run (`pact run --force-new`)."
            ),
            "planned",
        ),
        Ok(Done::Built(passed)) => {
            let r = store.load_test_results(cid).ok().flatten();
            let counts = r
                .as_ref()
                .map_or_else(String::new, |r| format!("{}/{}", r.passed, r.total));
            let hidden = held_out(store, cid)
                .map(|(p, t)| format!(", held-out {p}/{t}"))
                .unwrap_or_default();
            if passed && tracker.up_to_date && tracker.attempts == 0 {
                info(
                    format!(
                        "{cid} is up to date: it passes {counts} contract tests{hidden}. Pact: Rebuild from contract builds it again."
                    ),
                    "up_to_date",
                )
            } else if passed {
                info(
                    format!("{cid} passes {counts} contract tests{hidden} ({spend})."),
                    "passed",
                )
            } else if let Some(why) = r
                .as_ref()
                .filter(|r| r.all_passed())
                .and_then(|_| held_by_mutation_gate(&store.layout, cid))
            {
                warn(
                    format!(
                        "{cid} passes {counts} contract tests{hidden} but is not done: {why} ({spend}). Strengthen its tests (Pact: Regenerate tests), lower mutation_threshold or set mutation_gate: false in pact.yaml."
                    ),
                    "weak_tests",
                )
            } else {
                let first = r
                    .as_ref()
                    .and_then(|r| r.failure_details.first())
                    .map(|f| {
                        format!(
                            " First failure: {} — {}.",
                            f.test_id,
                            f.error_message.lines().next().unwrap_or("").trim()
                        )
                    })
                    .unwrap_or_default();
                warn(
                    format!(
                        "{cid} passes {counts} contract tests{hidden} after {} attempt(s) ({spend}).{first} The failing tests are marked in the test file; fix the contract or try Pact: Rebuild from contract.",
                        tracker.attempts.max(1)
                    ),
                    "failed_tests",
                )
            }
        }
        Ok(Done::Regenerated(Ok(()))) => info(
            format!(
                "New contract tests of {cid} written and locked ({spend}); its implementation must pass them: Pact: Build component."
            ),
            "regenerated",
        ),
        Ok(Done::Regenerated(Err(reason))) => warn(
            format!(
                "The new tests of {cid} still fail the gate: {reason}. Fix the contract (see its diagnostics) and regenerate again."
            ),
            "gate_failed",
        ),
        Ok(Done::Tested(run)) => {
            let r = &run.results;
            if r.all_passed() {
                info(
                    format!("{cid}: {}/{} contract tests pass.", r.passed, r.total),
                    "passed",
                )
            } else {
                let names: Vec<&str> = r
                    .failure_details
                    .iter()
                    .take(5)
                    .map(|f| f.test_id.rsplit("::").next().unwrap_or(&f.test_id))
                    .collect();
                let more = r.failure_details.len().saturating_sub(names.len());
                warn(
                    format!(
                        "{cid}: {}/{} contract tests pass; failing: {}{}. They are marked in the test file.",
                        r.passed,
                        r.total,
                        names.join(", "),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    ),
                    "failed_tests",
                )
            }
        }
    }
}

/// The next step after a pause, by its reason.
fn pause_step(reason: &str) -> &'static str {
    if reason.contains("Interview") {
        "Answer them with `pact answer <project>` or accept the assumptions with `pact approve <project>`."
    } else if reason.contains("validation failed") || reason.contains("fail the gate") {
        "Fix the contracts and tests the diagnostics point at."
    } else if reason.contains("Diagnosis") || reason.contains("health") {
        "See `pact health` for what needs a human."
    } else {
        "Deal with the reason above."
    }
}

/// The next step after an error, by its kind.
fn next_step(e: &EngineError, kind: JobKind) -> String {
    use pact_engine::AgentError as A;
    match e {
        EngineError::Agent(A::MissingKey { var, .. }) => format!(
            "Set {var} in the environment the editor starts `pact lsp` from and restart the server, or choose another backend (the pact.backend setting or `backend` in pact.yaml)."
        ),
        EngineError::Agent(A::Auth { var, .. }) => {
            format!("Check that {var} holds a valid key, then try again.")
        }
        EngineError::Agent(A::BudgetExceeded { .. }) => {
            "Raise `budget` in pact.yaml (or the pact.budget setting), then try again.".into()
        }
        EngineError::Agent(A::ReplayMiss { .. }) => {
            "The recording has no answer for this request: run with a real backend (the pact.backend setting).".into()
        }
        EngineError::Agent(
            A::RateLimited { .. } | A::Server { .. } | A::Connection { .. } | A::Timeout { .. },
        ) => format!(
            "The project is consistent; try again later ({}).",
            kind.resume_hint()
        ),
        EngineError::Lock(_) => {
            "Regenerate the tests (Pact: Regenerate tests from contract) to lock them again."
                .into()
        }
        EngineError::Job(_) => "Wait for the other job, or stop it where it runs.".into(),
        _ => format!("The project is consistent; {}.", kind.resume_hint()),
    }
}

fn full_error(title: &str, e: &EngineError) -> String {
    let mut s = format!("{title} failed: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(&format!("\n  caused by: {c}"));
        src = c.source();
    }
    s.push_str(&format!("\n  ({e:?})"));
    s
}

/// Held-out counts of an implementation (`metadata.json` field `hidden`), while they are about
/// its sources as they are (the record's `src_hash`).
pub fn held_out(store: &Store, cid: &str) -> Option<(u64, u64)> {
    held_out_at(&store.layout, cid)
}

pub fn held_out_at(layout: &pact_core::store::Layout, cid: &str) -> Option<(u64, u64)> {
    let text =
        std::fs::read_to_string(layout.implementation_dir(cid).join("metadata.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let h = v.get("hidden").filter(|h| !h.is_null())?;
    let counts = (h.get("passed")?.as_u64()?, h.get("total")?.as_u64()?);
    let src = pact_core::digest::hash_dir(&layout.implementation_src(cid));
    (v.get("src_hash").and_then(Value::as_str) == Some(src.as_str())).then_some(counts)
}

/// Why the mutation gate holds back the component's implementation as it is now (its tests
/// pass, its suite is too weak or unmeasured), from `metadata.json`.
pub fn held_by_mutation_gate(layout: &pact_core::store::Layout, cid: &str) -> Option<String> {
    let text =
        std::fs::read_to_string(layout.implementation_dir(cid).join("metadata.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let finding = v.get("mutation")?.get("finding")?.as_str()?;
    let src = pact_core::digest::hash_dir(&layout.implementation_src(cid));
    (!finding.is_empty() && v.get("src_hash").and_then(Value::as_str) == Some(src.as_str()))
        .then(|| finding.to_string())
}

// ── progress ────────────────────────────────────────────────────────────────────────────

/// Work-done progress under a server-created token (nothing is sent if the client cannot show
/// it, or refused the token).
#[derive(Clone)]
struct Progress {
    client: Client,
    token: NumberOrString,
    on: bool,
}

impl Progress {
    async fn begin(shared: &Shared, token: &str, title: &str) -> Self {
        let client = shared.client.clone();
        let token = NumberOrString::String(token.to_string());
        let mut on = lock(&shared.state).caps.work_done_progress;
        if on && let Err(e) = client.create_work_done_progress(token.clone()).await {
            tracing::warn!("the client refused a progress token: {e}");
            on = false;
        }
        let p = Self { client, token, on };
        p.send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
            title: title.to_string(),
            cancellable: Some(true),
            message: Some("starting".into()),
            percentage: Some(0),
        }))
        .await;
        p
    }

    async fn send(&self, value: WorkDoneProgress) {
        if !self.on {
            return;
        }
        self.client
            .send_notification::<ProgressNotification>(ProgressParams {
                token: self.token.clone(),
                value: ProgressParamsValue::WorkDone(value),
            })
            .await;
    }

    async fn report(&self, message: &str, percentage: Option<u32>) {
        self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
            cancellable: Some(true),
            message: Some(message.to_string()),
            percentage,
        }))
        .await;
    }

    async fn end(&self, message: &str) {
        self.send(WorkDoneProgress::End(WorkDoneProgressEnd {
            message: Some(message.to_string()),
        }))
        .await;
    }
}

/// What an event says about the files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recheck {
    None,
    /// New test results of a component.
    Results(String),
    /// Contracts, tests, the tree or records may have landed: read the project again.
    Reload,
}

/// The state of a job as its events tell it: the progress message and percentage.
#[derive(Debug, Default, Clone)]
pub struct Tracker {
    kind: Option<JobKind>,
    phase: String,
    component: String,
    step: String,
    attempt: Option<(u32, u32)>,
    tests: Option<(u64, u64)>,
    spend: Option<(f64, f64)>,
    note: String,
    pct: u32,
    components: Option<usize>,
    contracts: HashSet<String>,
    suites: HashSet<String>,
    implemented: HashSet<String>,
    /// Attempts seen (model calls of the code agent).
    pub attempts: u32,
    /// A build found its component already built from the current tests.
    pub up_to_date: bool,
}

/// The first line of a note, cut to what a progress message can show.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// Where each pipeline phase sits in the job's percentage.
fn phase_span(phase: &str) -> Option<(u32, u32)> {
    Some(match phase {
        "interview" => (0, 10),
        "shape" => (10, 15),
        "decompose" => (15, 25),
        "contract" => (25, 45),
        "test" => (45, 60),
        "validate" => (60, 65),
        "preflight" => (65, 65),
        "implement" => (65, 95),
        "integrate" | "diagnose" => (95, 99),
        _ => return None,
    })
}

impl Tracker {
    pub fn new(kind: JobKind) -> Self {
        Self {
            kind: Some(kind),
            ..Default::default()
        }
    }

    /// Applies one event; `components` counts the tree's nodes (read when first needed).
    pub fn apply(&mut self, e: &Event, components: impl FnOnce() -> Option<usize>) -> Recheck {
        let recheck = match e {
            Event::PhaseStarted { phase } => {
                self.phase = phase.clone();
                self.component.clear();
                self.step.clear();
                self.attempt = None;
                self.tests = None;
                self.note.clear();
                Recheck::None
            }
            Event::PhaseFinished { .. } => Recheck::Reload,
            Event::Component {
                phase,
                component,
                step,
            } => {
                if *component != self.component {
                    self.attempt = None;
                    self.tests = None;
                }
                self.phase = phase.clone();
                self.component = component.clone();
                self.step = step.clone();
                self.note.clear();
                match phase.as_str() {
                    "contract" => {
                        self.contracts.insert(component.clone());
                    }
                    "test" if step == "tests" => {
                        self.suites.insert(component.clone());
                    }
                    "implement" => {
                        self.implemented.insert(component.clone());
                        if step == "up to date" {
                            self.up_to_date = true;
                        }
                    }
                    _ => {}
                }
                if matches!(phase.as_str(), "contract" | "test") && step != "run contract tests" {
                    Recheck::Reload
                } else {
                    Recheck::None
                }
            }
            Event::Attempt {
                component,
                attempt,
                of,
            } => {
                self.component = component.clone();
                self.attempt = Some((*attempt, *of));
                self.tests = None;
                self.attempts += 1;
                Recheck::None
            }
            Event::TestsRan {
                component,
                passed,
                total,
            } => {
                self.component = component.clone();
                self.tests = Some((*passed, *total));
                Recheck::Results(component.clone())
            }
            Event::Spend {
                spent_usd,
                budget_usd,
            } => {
                self.spend = Some((*spent_usd, *budget_usd));
                Recheck::None
            }
            Event::Paused { reason } => {
                self.note = format!("paused: {}", short(reason));
                Recheck::Reload
            }
            Event::Note { message } => {
                self.note = short(message);
                Recheck::None
            }
            Event::Runtime { runtime, message } => {
                self.note = short(&format!("{runtime}: {message}"));
                Recheck::None
            }
        };
        if self.components.is_none()
            && matches!(self.phase.as_str(), "contract" | "test" | "implement")
        {
            self.components = components();
        }
        self.advance();
        recheck
    }

    fn advance(&mut self) {
        let pct = match self.kind {
            Some(JobKind::Decompose | JobKind::RunPipeline) => {
                let Some((lo, hi)) = phase_span(&self.phase) else {
                    return;
                };
                let n = self.components.unwrap_or(0).max(1) as f64;
                let done = match self.phase.as_str() {
                    "contract" => self.contracts.len().saturating_sub(1) as f64 / n,
                    "test" => self.suites.len().saturating_sub(1) as f64 / n,
                    "implement" => self.implemented.len().saturating_sub(1) as f64 / n,
                    _ => 0.0,
                };
                lo + ((hi - lo) as f64 * done.clamp(0.0, 1.0)) as u32
            }
            Some(JobKind::Build { .. } | JobKind::Rebuild) => {
                let Some((k, of)) = self.attempt else {
                    return;
                };
                let of = of.max(1) as f64;
                let within = self
                    .tests
                    .map_or(0.0, |(p, t)| if t == 0 { 0.0 } else { p as f64 / t as f64 });
                (((k.saturating_sub(1)) as f64 + within * 0.9) / of * 100.0).min(99.0) as u32
            }
            _ => return,
        };
        // Percentages only rise (clients may ignore values that fall).
        self.pct = self.pct.max(pct.min(99));
    }

    pub fn percentage(&self) -> Option<u32> {
        match self.kind {
            Some(JobKind::RegenerateTests | JobKind::RunTests) | None => None,
            _ => Some(self.pct),
        }
    }

    /// "implement · tokenizer · attempt 1/3 · tests 7/7 passed · $0.02 of $5.00".
    pub fn message(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.phase.is_empty() {
            parts.push(self.phase.clone());
        }
        if !self.component.is_empty() {
            let step = if self.step.is_empty() || self.step == self.phase {
                String::new()
            } else {
                format!(": {}", self.step)
            };
            parts.push(format!("{}{step}", self.component));
        }
        if let Some((k, n)) = self.attempt {
            parts.push(format!("attempt {k}/{n}"));
        }
        if let Some((p, t)) = self.tests {
            parts.push(format!("tests {p}/{t} passed"));
        }
        if let Some((s, b)) = self.spend {
            parts.push(format!("${s:.2} of ${b:.2}"));
        }
        if !self.note.is_empty() {
            parts.push(self.note.clone());
        }
        if parts.is_empty() {
            "starting".into()
        } else {
            parts.join(" · ")
        }
    }
}

/// Turns the job's events into progress reports and re-checks; returns the final state.
async fn report(
    shared: Arc<Shared>,
    ctx: Ctx,
    progress: Progress,
    mut rx: UnboundedReceiver<Event>,
) -> Tracker {
    let mut t = Tracker::new(ctx.kind);
    let store = Store::open(&ctx.root).ok();
    let mut last: Option<(String, Option<u32>)> = None;
    while let Some(e) = rx.recv().await {
        tracing::debug!("{}: {e:?}", ctx.title);
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
            Recheck::Reload => touch(&shared, &ctx.root, true, &[]),
            Recheck::Results(cid) => touch(&shared, &ctx.root, false, &[cid]),
        }
        // One report per change of what the user sees (re-checks are debounced instead).
        let now = (t.message(), t.percentage());
        if last.as_ref() != Some(&now) {
            progress.report(&now.0, now.1).await;
            last = Some(now);
        }
    }
    t
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_the_editor() {
        let s = Settings::from_value(
            &json!({"pact": {"backend": "replay", "model": "", "budget": "2.5", "trace": "verbose"}}),
        )
        .unwrap_or_default();
        assert_eq!(s.backend.as_deref(), Some("replay"));
        assert_eq!(s.model, None);
        assert_eq!(s.budget, Some(2.5));
        assert!(s.verbose());
        assert!(Settings::from_value(&json!({"debounceMs": 10})).is_none());
        let s = Settings::from_value(&json!({"pact": {"budget": null, "backend": null}}))
            .unwrap_or_default();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn progress_of_a_pipeline_rises_through_the_phases() {
        let mut t = Tracker::new(JobKind::RunPipeline);
        let four = || Some(4);
        let mut seen = Vec::new();
        let events = [
            Event::PhaseStarted {
                phase: "interview".into(),
            },
            Event::PhaseFinished {
                phase: "interview".into(),
            },
            Event::PhaseStarted {
                phase: "decompose".into(),
            },
            Event::Component {
                phase: "contract".into(),
                component: "a".into(),
                step: "contract".into(),
            },
            Event::Component {
                phase: "contract".into(),
                component: "b".into(),
                step: "contract".into(),
            },
            Event::Component {
                phase: "test".into(),
                component: "a".into(),
                step: "tests".into(),
            },
            Event::PhaseStarted {
                phase: "validate".into(),
            },
            Event::PhaseStarted {
                phase: "implement".into(),
            },
            Event::Component {
                phase: "implement".into(),
                component: "a".into(),
                step: "implement".into(),
            },
            Event::Attempt {
                component: "a".into(),
                attempt: 1,
                of: 3,
            },
            Event::TestsRan {
                component: "a".into(),
                passed: 7,
                total: 7,
            },
            Event::Spend {
                spent_usd: 0.25,
                budget_usd: 5.0,
            },
        ];
        let mut rechecks = Vec::new();
        for e in &events {
            rechecks.push(t.apply(e, four));
            seen.push(t.percentage().unwrap_or(0));
        }
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert_eq!(*seen.last().unwrap_or(&0), 65);
        assert_eq!(
            t.message(),
            "implement · a · attempt 1/3 · tests 7/7 passed · $0.25 of $5.00"
        );
        assert_eq!(rechecks[1], Recheck::Reload);
        assert_eq!(rechecks[3], Recheck::Reload);
        assert_eq!(rechecks[10], Recheck::Results("a".into()));
        assert_eq!(t.attempts, 1);
    }

    #[test]
    fn progress_of_a_build_follows_its_attempts() {
        let mut t = Tracker::new(JobKind::Build { agents: 1 });
        t.apply(
            &Event::Attempt {
                component: "c".into(),
                attempt: 2,
                of: 4,
            },
            || None,
        );
        assert_eq!(t.percentage(), Some(25));
        t.apply(
            &Event::TestsRan {
                component: "c".into(),
                passed: 5,
                total: 10,
            },
            || None,
        );
        assert_eq!(t.percentage(), Some(36));
        assert_eq!(t.message(), "c · attempt 2/4 · tests 5/10 passed");
        assert_eq!(Tracker::new(JobKind::RunTests).percentage(), None);
    }

    #[test]
    fn job_registry_cancels_by_token_and_by_project() {
        let mut jobs = Jobs::default();
        let c = CancellationToken::new();
        let t = jobs.add(PathBuf::from("/p"), "Pact: Build x".into(), c.clone());
        assert_eq!(jobs.cancel_token("nope"), None);
        assert_eq!(jobs.cancel_token(&t).as_deref(), Some("Pact: Build x"));
        assert!(c.is_cancelled());
        assert!(jobs.running_on(Path::new("/p")).is_some());
        jobs.remove(&t);
        assert!(jobs.is_empty());
        assert_eq!(jobs.cancel_root(Path::new("/p")), None);
    }
}
