//! `workspace/executeCommand`: the commands editors bind (`pact.decompose`, `pact.build`, …),
//! their argument object, and the short ones answered directly (validate, status, stop). Long
//! ones start a job (`jobs`).
//!
//! Every command takes one object: `{project, component?, competitive?, agents?, confirmed?,
//! wait?}`. `project` is the project root; a file path or `file:` URI works too (also as
//! `uri`, `file` or `path`), and then the project and the component are those of that file.

use crate::documents::file_path;
use crate::jobs::{self, Request};
use crate::state::{Shared, guard, lock};
use crate::workspace::{Overlay, is_project_root};
use pact_core::store::{Layout, Project as Store, ProjectDocs};
use pact_engine::job::JobKind;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{MessageActionItem, MessageType, Uri};

pub const DECOMPOSE: &str = "pact.decompose";
pub const RUN_PIPELINE: &str = "pact.runPipeline";
pub const BUILD: &str = "pact.build";
pub const REBUILD: &str = "pact.rebuild";
pub const REGENERATE_TESTS: &str = "pact.regenerateTests";
pub const RUN_TESTS: &str = "pact.runTests";
pub const VALIDATE: &str = "pact.validate";
pub const STATUS: &str = "pact.status";
pub const STOP: &str = "pact.stop";

/// Every command the server advertises (`executeCommandProvider.commands`).
pub const COMMANDS: &[&str] = &[
    DECOMPOSE,
    RUN_PIPELINE,
    BUILD,
    REBUILD,
    REGENERATE_TESTS,
    RUN_TESTS,
    VALIDATE,
    STATUS,
    STOP,
];

/// Agents of a competitive build when the arguments do not say.
pub const DEFAULT_AGENTS: u32 = 2;
pub const MAX_AGENTS: u32 = 16;

/// The argument object, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args {
    pub project: Option<PathBuf>,
    /// A file (or directory) of the project, from `uri`, `file` or `path`.
    pub file: Option<PathBuf>,
    pub component: Option<String>,
    pub competitive: bool,
    pub agents: Option<u32>,
    pub confirmed: bool,
    pub wait: bool,
}

/// A path from a plain path or a `file:` URI.
fn to_path(s: &str) -> Option<PathBuf> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.starts_with("file:") {
        return file_path(&Uri::from_str(s).ok()?);
    }
    Some(PathBuf::from(s))
}

impl Args {
    /// Reads `arguments`: one object (the documented form), or positional strings
    /// (`[project]`, `[project, component]`).
    pub fn parse(arguments: &[Value]) -> std::result::Result<Self, String> {
        let mut a = Args::default();
        match arguments.first() {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                a.project = to_path(s);
                a.component = arguments.get(1).and_then(Value::as_str).map(str::to_string);
            }
            Some(Value::Object(o)) => {
                let text = |k: &str| o.get(k).and_then(Value::as_str);
                a.project = text("project").and_then(to_path);
                a.file = ["uri", "file", "path"]
                    .iter()
                    .find_map(|k| text(k).and_then(to_path));
                a.component = text("component")
                    .or(text("componentId"))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string);
                a.competitive = o.get("competitive").and_then(Value::as_bool) == Some(true);
                a.agents = match o.get("agents") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_u64()
                            .or_else(|| v.as_str()?.trim().parse().ok())
                            .filter(|n| (1..=MAX_AGENTS as u64).contains(n))
                            .ok_or_else(|| {
                                format!("`agents` must be a whole number from 1 to {MAX_AGENTS}")
                            })? as u32,
                    ),
                };
                a.confirmed = o.get("confirmed").and_then(Value::as_bool) == Some(true);
                a.wait = o.get("wait").and_then(Value::as_bool) == Some(true);
            }
            Some(other) => return Err(format!("expected an argument object, got {other}")),
        }
        Ok(a)
    }
}

/// The project (and component) a command is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub root: PathBuf,
    pub component: Option<String>,
}

/// Finds the project root for `anchor`: the innermost known project holding it, else the
/// nearest directory at or above it that looks like a project.
fn root_of(shared: &Shared, anchor: &Path) -> Option<PathBuf> {
    let known = {
        let st = lock(&shared.state);
        st.project_for(anchor)
            .map(|i| st.projects[i].root().to_path_buf())
    };
    known.or_else(|| {
        anchor
            .ancestors()
            .find(|a| a.is_dir() && is_project_root(a))
            .map(Path::to_path_buf)
    })
}

/// The component a path belongs to (a component's directory counts too).
pub fn component_of(layout: &Layout, path: &Path) -> Option<String> {
    layout
        .classify(path)
        .and_then(|(_, c)| c)
        .or_else(|| {
            layout
                .classify(&path.join("interface.json"))
                .and_then(|(_, c)| c)
        })
        .or_else(|| {
            layout
                .classify(&path.join("contract_test_suite.json"))
                .and_then(|(_, c)| c)
        })
}

pub fn resolve(shared: &Shared, args: &Args) -> std::result::Result<Target, String> {
    let anchor = args
        .project
        .as_ref()
        .or(args.file.as_ref())
        .ok_or_else(|| {
            "which project? Pass {\"project\": \"<project root>\"} (or the uri of one of its files)"
                .to_string()
        })?;
    let anchor = if anchor.is_relative() {
        let first = lock(&shared.state).roots.first().cloned();
        first.map_or_else(|| anchor.clone(), |r| r.join(anchor))
    } else {
        anchor.clone()
    };
    let root = root_of(shared, &anchor).ok_or_else(|| {
        format!(
            "{} is not in a Pact project (a directory holding .pact/ or pact.yaml)",
            anchor.display()
        )
    })?;
    let layout = Layout::detect(&root);
    let component = match &args.component {
        Some(c) => Some(c.clone()),
        None => args
            .file
            .as_deref()
            .or(args.project.as_deref().filter(|p| *p != root))
            .and_then(|p| component_of(&layout, p)),
    };
    if let Some(c) = &component {
        pact_core::ids::check_component_id(c).map_err(|e| format!("component '{c}': {e}"))?;
    }
    Ok(Target { root, component })
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::invalid_params(msg.into())
}

/// Runs one command.
pub async fn execute(shared: &Arc<Shared>, command: &str, arguments: &[Value]) -> Result<Value> {
    if !COMMANDS.contains(&command) {
        return Err(invalid(format!(
            "unknown command `{command}` (known: {})",
            COMMANDS.join(", ")
        )));
    }
    let args = Args::parse(arguments).map_err(invalid)?;
    let target = resolve(shared, &args).map_err(|e| invalid(format!("{command}: {e}")))?;
    let job = match command {
        VALIDATE => return Ok(validate(shared, &target.root).await),
        STATUS => return Ok(status(shared, &target.root).await),
        STOP => return Ok(stop(shared, &target.root).await),
        DECOMPOSE => Some(JobKind::Decompose),
        RUN_PIPELINE => Some(JobKind::run()),
        _ => None,
    };
    let kind = match job {
        Some(k) => k,
        None => {
            let Some(component) = target.component.clone() else {
                return Err(invalid(format!(
                    "{command} needs a component: pass {{\"project\": …, \"component\": \"<id>\"}}, or the uri of one of its files"
                )));
            };
            let agents = if args.competitive {
                args.agents.unwrap_or(DEFAULT_AGENTS).max(2)
            } else {
                args.agents.unwrap_or(1)
            };
            match command {
                BUILD => JobKind::Build { component, agents },
                REBUILD => JobKind::Rebuild { component, agents },
                REGENERATE_TESTS => {
                    if !args.confirmed && !confirm_regenerate(shared, &component).await {
                        tracing::info!(
                            "regenerating the tests of {component}: not confirmed; nothing changed"
                        );
                        return Ok(json!({"started": false, "confirmed": false}));
                    }
                    JobKind::RegenerateTests { component }
                }
                _ => JobKind::RunTests { component },
            }
        }
    };
    Ok(jobs::start(
        shared,
        Request {
            kind,
            root: target.root,
            wait: args.wait,
        },
    )
    .await)
}

pub const REGENERATE: &str = "Regenerate";
pub const CANCEL: &str = "Cancel";

/// Tests are law: regenerating them asks first (`window/showMessageRequest`).
async fn confirm_regenerate(shared: &Shared, cid: &str) -> bool {
    let msg = format!(
        "Regenerate the contract tests of '{cid}' from its contract? Tests are law: the current tests (and any edits made to them) are replaced, and the implementation is judged by the new ones."
    );
    let actions = [REGENERATE, CANCEL]
        .iter()
        .map(|t| MessageActionItem {
            title: (*t).to_string(),
            properties: Default::default(),
        })
        .collect();
    match shared
        .client
        .show_message_request(MessageType::WARNING, msg, Some(actions))
        .await
    {
        Ok(Some(item)) => item.title == REGENERATE,
        Ok(None) => false,
        Err(e) => {
            tracing::warn!("could not ask to confirm regenerating the tests: {e}");
            false
        }
    }
}

/// `pact.validate`: the gate on the project as the editor sees it (open buffers over the disk).
async fn validate(shared: &Arc<Shared>, root: &Path) -> Value {
    let open = lock(&shared.state).open_map();
    let r = root.to_path_buf();
    let report = tokio::task::spawn_blocking(move || {
        let docs = ProjectDocs::load(Layout::detect(&r), &Overlay { open: &open });
        pact_core::gate::validate(&docs)
    })
    .await;
    let Ok(report) = report else {
        let msg = format!(
            "Validation of {} stopped by an internal error",
            root.display()
        );
        shared
            .client
            .show_message(MessageType::ERROR, msg.clone())
            .await;
        return json!({"passed": false, "reason": msg, "details": []});
    };
    let passed = report.passed();
    let reason = report.reason();
    let details = report.details();
    let counts = report.counts();
    let place = lock(&shared.state).caps.client.diagnostics_place();
    let (typ, msg) = if passed {
        let w = if counts.warnings > 0 {
            format!(" ({} warning(s) in {place})", counts.warnings)
        } else {
            String::new()
        };
        (
            MessageType::INFO,
            format!("Pact: validation passed: {reason}{w}"),
        )
    } else {
        let first: Vec<&str> = details.iter().take(3).map(String::as_str).collect();
        (
            MessageType::WARNING,
            format!(
                "Pact: validation failed: {reason}, {} warning(s) — {}{}. All of them are in {place}.",
                counts.warnings,
                first.join("; "),
                if details.len() > 3 { "; …" } else { "" }
            ),
        )
    };
    shared.client.show_message(typ, msg).await;
    json!({
        "passed": passed,
        "reason": reason,
        "details": details,
        "errors": counts.errors,
        "warnings": counts.warnings,
    })
}

/// `pact.status`: phase, status, spend against budget, components (done only with evidence),
/// and any running job — the engine's one status query, as `pact status` shows it.
async fn status(shared: &Arc<Shared>, root: &Path) -> Value {
    let running = guard(&shared.jobs)
        .running_on(root)
        .map(|j| j.title.clone());
    let options = guard(&shared.settings).run_options();
    let client = lock(&shared.state).caps.client;
    let r = root.to_path_buf();
    let v = tokio::task::spawn_blocking(move || status_of(&r, &options, running, client))
        .await
        .unwrap_or_else(|e| json!({"error": e.to_string()}));
    let line = v
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    shared
        .client
        .show_message(MessageType::INFO, format!("Pact: {line}"))
        .await;
    v
}

fn status_of(
    root: &Path,
    options: &pact_engine::setup::RunOptions,
    running: Option<String>,
    client: crate::wording::Client,
) -> Value {
    let name = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let status = match Store::open(root)
        .map_err(|e| e.to_string())
        .and_then(|p| pact_engine::job::status::status(&p, options).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => return json!({"error": e, "summary": format!("{name}: {e}")}),
    };
    let components: Vec<Value> = status
        .components
        .iter()
        .map(|c| {
            json!({"id": c.id, "name": c.name, "status": c.state.to_string(), "attempts": c.attempts,
                "tests_passed": c.tests.map(|t| t.0), "tests_total": c.tests.map(|t| t.1)})
        })
        .collect();
    let budget = status.budget_usd;
    let mut summary = match (status.phase, status.status) {
        (Some(phase), Some(st)) => {
            let mut s = format!(
                "{name}: phase {phase} ({}) · spend ${:.2} of ${budget:.2} · {} component(s), {} done",
                st.as_str().replace('_', " "),
                status.spent_usd,
                status.components.len(),
                status.done(),
            );
            if !status.pause_reason.is_empty() {
                s.push_str(&format!(" · {}", status.pause_reason));
            }
            s
        }
        _ => format!(
            "{name}: not started yet (budget ${budget:.2});{}",
            client.next(&[pact_engine::job::NextStep::Decompose])
        ),
    };
    let holder = status.holder.as_ref().filter(|_| running.is_none());
    if let Some(j) = &running {
        summary.push_str(&format!(" · running: {j}"));
    } else if let Some(h) = holder {
        summary.push_str(&format!(" · held by {} (pid {})", h.command, h.pid));
    }
    json!({
        "phase": status.phase.map(|p| p.as_str()),
        "status": status.status.map(|s| s.as_str()),
        "total_cost_usd": status.spent_usd,
        "total_tokens": status.tokens,
        "budget": budget,
        "pause_reason": status.pause_reason,
        "components": components,
        "running": running,
        "summary": summary,
    })
}

/// `pact.stop`: cancels this server's job on the project, else asks the daemon to stop; a job
/// started elsewhere (a terminal) is named, with where to stop it.
async fn stop(shared: &Arc<Shared>, root: &Path) -> Value {
    let cancelled = guard(&shared.jobs).cancel_root(root);
    if let Some(title) = cancelled {
        // Answered once the job has stopped and let go of the project (its lock released,
        // `state.json` no longer `active`), so whatever the client does next finds it free;
        // the job's own end is the one message about it.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while guard(&shared.jobs).running_on(root).is_some()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let stopped = guard(&shared.jobs).running_on(root).is_none();
        return json!({"stopped": stopped, "job": title});
    }
    let r = root.to_path_buf();
    let (stopped, msg) = tokio::task::spawn_blocking(move || stop_elsewhere(&r))
        .await
        .unwrap_or_else(|e| (false, format!("cannot stop: {e}")));
    shared
        .client
        .show_message(MessageType::INFO, format!("Pact: {msg}"))
        .await;
    json!({"stopped": stopped})
}

fn stop_elsewhere(root: &Path) -> (bool, String) {
    let store = match Store::open(root) {
        Ok(s) => s,
        Err(e) => return (false, e.to_string()),
    };
    if pact_engine::daemon::status(&store).alive {
        return match pact_engine::daemon::request_stop(&store) {
            Ok(Some(pid)) => (
                true,
                format!("asked the daemon (pid {pid}) to stop after its current phase."),
            ),
            Ok(None) => (false, "no daemon is running.".into()),
            Err(e) => (false, format!("cannot reach the daemon: {e}")),
        };
    }
    if let Some(h) = pact_engine::joblock::holder(&store)
        && pact_engine::daemon::pid_alive(h.pid)
    {
        return (
            false,
            format!(
                "{} (pid {}, since {}) holds the project; it was not started from this editor — stop it where it runs (Ctrl-C in its terminal).",
                h.command, h.pid, h.started_at
            ),
        );
    }
    (false, format!("nothing is running on {}.", root.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_in_every_documented_shape() {
        let a = Args::parse(&[json!({"project": "/p", "component": "tok", "competitive": true, "agents": 3, "confirmed": true})])
            .unwrap_or_default();
        assert_eq!(a.project.as_deref(), Some(Path::new("/p")));
        assert_eq!(a.component.as_deref(), Some("tok"));
        assert!(a.competitive && a.confirmed && !a.wait);
        assert_eq!(a.agents, Some(3));
        let a = Args::parse(&[json!({"uri": "file:///p/.pact/contracts/tok/interface.json"})])
            .unwrap_or_default();
        assert_eq!(
            a.file.as_deref(),
            Some(Path::new("/p/.pact/contracts/tok/interface.json"))
        );
        let a = Args::parse(&[json!("/p"), json!("tok")]).unwrap_or_default();
        assert_eq!(a.component.as_deref(), Some("tok"));
        assert!(Args::parse(&[json!({"project": "/p", "agents": 0})]).is_err());
        assert!(Args::parse(&[json!(3)]).is_err());
        assert_eq!(Args::parse(&[]).unwrap_or_default(), Args::default());
    }

    #[test]
    fn components_of_paths_in_both_layouts() {
        let seed = Layout {
            root: PathBuf::from("/p"),
            kind: pact_core::store::LayoutKind::Seed,
        };
        assert_eq!(
            component_of(
                &seed,
                Path::new("/p/.pact/contracts/tok/tests/contract_test.py")
            )
            .as_deref(),
            Some("tok")
        );
        assert_eq!(
            component_of(&seed, Path::new("/p/.pact/contracts/tok")).as_deref(),
            Some("tok")
        );
        assert_eq!(
            component_of(&seed, Path::new("/p/.pact/implementations/tok/src/tok.py")).as_deref(),
            Some("tok")
        );
        let root = Layout {
            root: PathBuf::from("/p"),
            kind: pact_core::store::LayoutKind::Root,
        };
        assert_eq!(
            component_of(&root, Path::new("/p/tests/tok")).as_deref(),
            Some("tok")
        );
        assert_eq!(component_of(&root, Path::new("/p/task.md")), None);
    }
}
