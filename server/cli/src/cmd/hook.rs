//! `pact hook claude-code`: Claude Code's `PostToolUse` hook. After the agent edits a file, the
//! hook checks it at Pact's gate and, when the file has findings, tells the agent at once, in
//! the same turn, instead of leaving them for the next `pact validate`.
//!
//! Claude Code runs the hook with the event as JSON on standard input (`session_id`,
//! `transcript_path`, `cwd`, `hook_event_name`, `tool_name`, `tool_input.file_path`,
//! `tool_response`, …). What the hook does:
//!
//! - A file outside every Pact project, or one that is not a document the gate checks: nothing,
//!   exit 0, before anything is read but the event (a few `stat` calls up the directory tree).
//! - A contract, test suite, test file or `tree.json`: one gate run over the project (with the
//!   project's analysis cache, as `pact validate`); the findings located in the edited file go
//!   to standard error, one line each, then a line saying what to do; exit 2. None: exit 0.
//! - A locked or held-out test copy (`.pact/locks/`, `.pact/hidden/`): the same gate run, so
//!   an edit there is reported as tampering on the spot.
//! - `pact.yaml`: it is loaded as every command loads it; an error or an unknown key is
//!   reported the same way.
//! - Bad input (not JSON, no `tool_input.file_path`, a path that is not there, another event):
//!   exit 0, at most a one-line note on standard error. A hook must never stand in the agent's
//!   way because of its own input.
//!
//! Why exit 2 and standard error: Claude Code's hooks reference (code.claude.com/docs/en/hooks,
//! "Exit code 2 behavior per event") says that for `PostToolUse` exit code 2 "shows stderr to
//! Claude (tool already ran)": the text is fed back to the model as an error it acts on, and
//! stdout (and any JSON in it) is ignored. Exit 0 shows the model nothing (stdout goes to the
//! transcript/debug log only), and any other code shows stderr to the user only. The JSON
//! alternative (`{"decision": "block", "reason": …}` on stdout with exit 0) reaches the model
//! too, but needs a JSON envelope whose schema has moved between releases; plain stderr with
//! exit 2 is the documented, stable path. Warnings alone are surfaced the same way: the agent
//! is the one who can fix them, and it only sees what exit 2 carries. The edit itself is never
//! undone (a `PostToolUse` hook runs after the tool).

use pact_core::gate::{self, Diagnostic, Severity};
use pact_core::store::{DocKind, Layout, Project};
use serde::Deserialize;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The coding agents Pact has a hook for.
#[derive(clap::Subcommand)]
pub enum Agent {
    /// Claude Code's PostToolUse hook: reads the event on stdin; if the edited file is a Pact
    /// document with findings, prints them on stderr and exits 2 (Claude sees them); else
    /// prints nothing and exits 0.
    ClaudeCode,
}

/// Warnings shown before the rest are only counted (errors are always shown, every one).
const WARNINGS_SHOWN: usize = 5;
/// The event is small; a `Write` carries the file's content, so allow for a large one. A
/// larger event is not read whole: it cannot be parsed, so the hook stays out of the way.
const MAX_EVENT_BYTES: u64 = 64 * 1024 * 1024;
/// Exit code 2: Claude Code feeds standard error back to the model.
const SHOW_CLAUDE: u8 = 2;

pub fn run(agent: &Agent) -> anyhow::Result<ExitCode> {
    match agent {
        Agent::ClaudeCode => Ok(claude_code()),
    }
}

/// The parts of Claude Code's hook event the hook reads; everything else is ignored, and every
/// field may be missing.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Event {
    cwd: Option<String>,
    hook_event_name: Option<String>,
    tool_input: Option<ToolInput>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ToolInput {
    /// Edit, Write, MultiEdit.
    file_path: Option<String>,
    /// NotebookEdit.
    notebook_path: Option<String>,
}

fn claude_code() -> ExitCode {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!(
            "pact hook claude-code: reads a Claude Code PostToolUse event (JSON) on stdin; see editors/claude-code/README.md"
        );
        return ExitCode::SUCCESS;
    }
    let mut bytes = Vec::new();
    if let Err(e) = stdin.lock().take(MAX_EVENT_BYTES).read_to_end(&mut bytes) {
        eprintln!("pact hook claude-code: cannot read the event: {e}");
        return ExitCode::SUCCESS;
    }
    let event: Event = match serde_json::from_slice(&bytes) {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "pact hook claude-code: the event is not the JSON Claude Code sends ({e}); nothing checked"
            );
            return ExitCode::SUCCESS;
        }
    };
    if let Some(name) = event
        .hook_event_name
        .as_deref()
        .filter(|n| *n != "PostToolUse")
    {
        // Exit 2 on PreToolUse would block the edit, and the file is not written yet.
        eprintln!("pact hook claude-code: handles PostToolUse only, not {name}; nothing checked");
        return ExitCode::SUCCESS;
    }
    let Some(file) = event
        .tool_input
        .and_then(|t| t.file_path.or(t.notebook_path))
        .filter(|f| !f.is_empty())
    else {
        return ExitCode::SUCCESS;
    };
    let Some(path) = resolve(&file, event.cwd.as_deref()) else {
        return ExitCode::SUCCESS;
    };
    match project_of(&path) {
        Some((root, Check::Gate)) => check_document(&root, &path),
        Some((root, Check::Config)) => check_config(&root, &path),
        None => ExitCode::SUCCESS,
    }
}

/// What an edited file gets.
enum Check {
    /// One gate run over the project, the findings in the file shown.
    Gate,
    /// `pact.yaml`, loaded as every command loads it.
    Config,
}

/// The edited file as the project's paths spell it: absolute, symbolic links resolved (the
/// project root is canonical). `None` when it is not there (nothing to check).
fn resolve(file: &str, cwd: Option<&str>) -> Option<PathBuf> {
    let path = Path::new(file);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match cwd.filter(|c| !c.is_empty()) {
            Some(cwd) => Path::new(cwd).join(path),
            None => std::env::current_dir().ok()?.join(path),
        }
    };
    std::fs::canonicalize(path).ok()
}

/// The project `path` belongs to, and what it gets: the nearest directory above it that is a
/// project root as the editors decide it (`.pact/`, `pact.yaml` or `decomposition/tree.json`)
/// and in whose layout `path` is a document, or a locked or held-out test copy
/// (`.pact/locks/`, `.pact/hidden/`: an edit there is tampering, which the gate reports on that
/// file). `None`: nothing to check.
fn project_of(path: &Path) -> Option<(PathBuf, Check)> {
    let (root, kind) = path
        .ancestors()
        .skip(1)
        .filter(|dir| pact_lsp::workspace::is_project_root(dir))
        .find_map(|dir| {
            let layout = Layout::detect(dir);
            if let Some((kind, _)) = layout.classify(path) {
                return Some((dir, Some(kind)));
            }
            let pact = layout.pact_dir();
            (path.starts_with(pact.join("locks")) || path.starts_with(pact.join("hidden")))
                .then_some((dir, None))
        })?;
    let check = match kind {
        None | Some(DocKind::Tree | DocKind::Contract | DocKind::Suite | DocKind::TestCode) => {
            Check::Gate
        }
        Some(DocKind::Config) => Check::Config,
        // task.md and sops.md are prose. An implementation file's only findings come from its
        // mutation record, which is keyed by the code's hash: an edit has just made it stale,
        // so a gate run would find nothing there.
        Some(_) => return None,
    };
    Some((root.to_path_buf(), check))
}

/// One gate run over the project; the findings in `path` are shown.
fn check_document(root: &Path, path: &Path) -> ExitCode {
    let project = match Project::open(root) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pact hook claude-code: {e}; nothing checked");
            return ExitCode::SUCCESS;
        }
    };
    let docs = project.docs();
    let mut cache = gate::AnalysisCache::open(&project.layout.pact_dir().join("cache"));
    let report = gate::validate_with(&docs, &mut cache);
    let verdict = report.verdict_where(project.root(), |f| {
        f.severity != Severity::Info && f.file.as_deref() == Some(path)
    });
    let rel = path
        .strip_prefix(project.root())
        .unwrap_or(path)
        .display()
        .to_string();
    let lines: Vec<(Severity, String)> = verdict
        .diagnostics
        .iter()
        .map(|d| (d.severity, line_of(d)))
        .collect();
    let code = show(&lines, &rel, project.root());
    // The process ends here: as for `pact validate`, freeing every parsed document one by one
    // would only cost time (on every edit, for a hook); the OS takes the memory back at once.
    std::mem::forget(report);
    std::mem::forget(docs);
    code
}

/// `pact.yaml` as every command loads it: an error makes the project unusable (every command
/// exits 2), an unknown key is ignored with a warning.
fn check_config(root: &Path, path: &Path) -> ExitCode {
    let spelled = |text: String| {
        let prefix = format!("{}{}", root.display(), std::path::MAIN_SEPARATOR);
        text.replace(&prefix, "")
    };
    let lines: Vec<(Severity, String)> = match pact_core::config::Config::load(path) {
        Ok(config) => config
            .warnings
            .into_iter()
            .filter(|w| w.path == path)
            .map(|w| {
                (
                    Severity::Warning,
                    format!("warning[config] pact.yaml: {}", w.message),
                )
            })
            .collect(),
        Err(e) => {
            let text = e.to_string();
            // An error in the global config.yaml is not this edit's doing.
            if !text.starts_with(&path.display().to_string()) {
                return ExitCode::SUCCESS;
            }
            vec![(
                Severity::Error,
                format!("error[config] {}", one_line(&spelled(text))),
            )]
        }
    };
    show(&lines, "pact.yaml", root)
}

/// `error[unresolved-type] .pact/contracts/x/interface.json:12:20: message (did you mean
/// `Word`?)`
fn line_of(d: &Diagnostic) -> String {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    let place = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", d.file),
        (Some(l), None) => format!("{}:{l}", d.file),
        _ => d.file.clone(),
    };
    let mut text = format!("{severity}[{}] {place}: {}", d.code, one_line(&d.message));
    if let Some(word) = &d.did_you_mean {
        text.push_str(&format!(" (did you mean `{word}`?)"));
    }
    if let Some(id) = &d.add_dependency {
        text.push_str(&format!(" (add \"{id}\" to the contract's `dependencies`)"));
    }
    text
}

/// A message on one line: each finding is one line the model can quote back.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints the findings (errors, then the first warnings) and what to do, on standard error;
/// exit 2 when there is anything to show, else 0 and silence.
fn show(lines: &[(Severity, String)], file: &str, root: &Path) -> ExitCode {
    let errors: Vec<&str> = lines
        .iter()
        .filter(|(s, _)| *s == Severity::Error)
        .map(|(_, l)| l.as_str())
        .collect();
    let warnings: Vec<&str> = lines
        .iter()
        .filter(|(s, _)| *s == Severity::Warning)
        .map(|(_, l)| l.as_str())
        .collect();
    if errors.is_empty() && warnings.is_empty() {
        return ExitCode::SUCCESS;
    }
    let validate = format!("pact validate {}", root.display());
    for line in errors.iter().chain(warnings.iter().take(WARNINGS_SHOWN)) {
        eprintln!("{line}");
    }
    if warnings.len() > WARNINGS_SHOWN {
        let more = warnings.len() - WARNINGS_SHOWN;
        eprintln!(
            "… {more} more warning{}: run `{validate}`",
            if more == 1 { "" } else { "s" }
        );
    }
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let them = |n: usize| if n == 1 { "it" } else { "them" };
    if errors.is_empty() {
        eprintln!(
            "Pact: {file} passes the gate with {}; fix {} unless intended (`{validate}` checks the whole project).",
            count(warnings.len(), "warning"),
            them(warnings.len()),
        );
    } else {
        eprintln!(
            "Pact: the gate rejects {file} with {}; fix {} before you go on, then run `{validate}`.",
            count(errors.len(), "error"),
            them(errors.len()),
        );
    }
    ExitCode::from(SHOW_CLAUDE)
}
