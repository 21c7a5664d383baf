//! `pact doctor`: can this machine run this project? Each backend the project routes to, the
//! test runtimes, the configuration and the project's own files, as typed checks that any front
//! end renders (the CLI as text or JSON; an editor or an MCP server could show the same).
//!
//! Doctor only looks. It creates no environment and no file, takes no lock a job could be
//! refused for (it reads `run.owner.json` instead of trying `run.lock`), never opens the daemon's
//! pipe (it reads the file type), and never puts any part of a key's value into a check: only
//! the variable's name and whether it is set.

use crate::daemon;
use crate::joblock;
use crate::runtime::{
    self, PINNED_PYTEST, PINNED_VITEST, RuntimeError, RuntimeSpec, find_program_in, node, python,
};
use crate::setup;
use pact_agents::ping::configured_routes;
use pact_agents::router::{self, ENV_VARS, Needs};
use pact_agents::{Env, ReplayBackend, Router, RouterOptions};
use pact_core::config::Config;
use pact_core::model::TestLanguage;
use pact_core::store::Project;
use serde::Serialize;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ready (possibly with a note: "will be created on first run").
    Ok,
    /// Works, but something is off or missing that a run may need.
    Warn,
    /// A run would fail on this.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `config`, `backend anthropic`, `python`, `python environment`,
    /// `python requirements`, `node`, `vitest`, `.pact`, `run lock`, `state lock`,
    /// `audit lock`, `daemon pipe`, `git`, `project`.
    pub name: String,
    pub status: Status,
    pub message: String,
    /// What to do about it (commands, one per line); `None` when nothing needs doing.
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: Status::Ok,
            message: message.into(),
            fix: None,
        }
    }
    pub fn warn(
        name: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::with(Status::Warn, name, message, fix)
    }
    pub fn fail(
        name: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::with(Status::Fail, name, message, fix)
    }
    fn with(
        status: Status,
        name: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let fix: String = fix.into();
        Self {
            name: name.into(),
            status,
            message: message.into(),
            fix: (!fix.is_empty()).then_some(fix),
        }
    }
}

/// Every check for one project (or for the global configuration), in a stable order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The project checked; `None`: the global configuration only.
    pub project: Option<PathBuf>,
    pub checks: Vec<Check>,
}

/// How many checks came out each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.checks {
            match c.status {
                Status::Ok => s.ok += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
            }
        }
        s
    }
    /// No check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }
}

/// The checks for `dir` (a project, or a `project` failure when it is not one, followed by the
/// global configuration's checks); without `dir`, the current directory if it is a project,
/// else the global configuration.
pub fn for_dir(dir: Option<&Path>) -> Report {
    let opened = Project::open(dir.unwrap_or(Path::new(".")));
    match (opened, dir) {
        (Ok(p), _) => Report {
            project: Some(std::path::absolute(p.root()).unwrap_or_else(|_| p.root().into())),
            checks: run(Some(&p)),
        },
        (Err(e), Some(d)) => {
            let mut checks = vec![Check::fail(
                "project",
                e.to_string(),
                format!(
                    "Name a project directory, or create one with `pact init {}`.",
                    d.display()
                ),
            )];
            checks.extend(run(None));
            Report {
                project: None,
                checks,
            }
        }
        (Err(_), None) => {
            let mut checks = vec![Check::ok(
                "project",
                "the current directory is not a Pact project: checking the global configuration",
            )];
            checks.extend(run(None));
            Report {
                project: None,
                checks,
            }
        }
    }
}

/// Every check, for `project` or, without one, for the global configuration; from this
/// process's environment (PATH, keys, `PACT_CACHE_DIR`).
pub fn run(project: Option<&Project>) -> Vec<Check> {
    let search_path = std::env::var_os("PATH").unwrap_or_default();
    let mut checks = Vec::new();

    // Configuration, then the router built from it exactly as a run builds it.
    let loaded = match project {
        Some(p) => p.config().map_err(|e| e.to_string()),
        // An empty path is never a file: the global config.yaml alone.
        None => Config::load(Path::new("")).map_err(|e| e.to_string()),
    };
    checks.extend(config_checks(project, &loaded));
    let config = loaded.clone().unwrap_or_default();
    let routed = project.and_then(|p| {
        loaded.is_ok().then(|| {
            setup::router_for(p, &setup::RunOptions::default())
                .ok()
                .map(|(_, r)| r)
        })?
    });
    let router = routed.unwrap_or_else(|| {
        Router::new(
            config.clone(),
            Env::from_process(),
            RouterOptions {
                project_root: project.map(|p| p.root().to_path_buf()),
                track_budget: false,
                ..RouterOptions::default()
            },
        )
    });
    checks.extend(backend_checks(&router, &search_path));

    // Test runtimes.
    let language = runtime::language(&config);
    let root = project.map(|p| p.root().to_path_buf()).unwrap_or_default();
    match RuntimeSpec::for_project(&root, &config) {
        Ok(mut spec) => {
            if project.is_none() {
                // Outside a project there is no requirements.txt of its own to read.
                spec.python_requirements.clear();
            }
            checks.extend(python_checks(&spec, language, &search_path));
            checks.extend(node_checks(&spec, language));
        }
        Err(e) => checks.push(Check::fail("runtime cache", e.to_string(), e.fix())),
    }

    checks.push(sandbox_check());

    // The project's files.
    if let Some(p) = project {
        checks.extend(project_checks(p, LOCK_WAIT));
    }
    checks.push(git_check(project.map(Project::root), &search_path));
    redact(&mut checks, router.env());
    checks
}

/// Whether untrusted code runs sandboxed here. Unsandboxed runs still work, but every verdict
/// and certificate says so: it is a warning, not a failure.
pub fn sandbox_check() -> Check {
    match crate::sandbox::isolation() {
        crate::sandbox::Isolation::Sandboxed => Check::ok(
            "sandbox",
            "untrusted code runs in Linux namespaces (user, mount, pid, net, ipc, uts) with \
             resource limits; tests reach implementations through contract proxies",
        ),
        crate::sandbox::Isolation::Unsandboxed(why) => Check::warn(
            "sandbox",
            format!("UNSANDBOXED: {why}; generated code runs only in its own process group"),
            "On Linux, allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, \
             or user.max_user_namespaces > 0); unset PACT_SANDBOX=off",
        ),
    }
}

/// How long a state or audit lock may stay held before doctor calls it stuck: their writers
/// hold them for one read-modify-write, milliseconds.
const LOCK_WAIT: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// Configuration

/// `pact.yaml` and `config.yaml`: parse errors fail; unknown keys and an unknown `language`
/// warn.
pub fn config_checks(project: Option<&Project>, loaded: &Result<Config, String>) -> Vec<Check> {
    let global_path = pact_core::config::global_config_path();
    let global = match &global_path {
        Some(p) if p.is_file() => format!("global config {} parses", p.display()),
        Some(p) => format!("no global config at {}", p.display()),
        None => "no global config (neither PACT_CONFIG nor HOME is set)".to_string(),
    };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(
                "config",
                format!("{e} (the other checks use the defaults)"),
                "Fix the file at the position shown, then run `pact doctor` again.",
            )];
        }
    };
    let message = match project {
        Some(p) if p.layout.pact_yaml().is_file() => format!(
            "pact.yaml parses (language {}, budget ${:.2}); {global}",
            config.project.language,
            config.budget()
        ),
        Some(_) => format!("no pact.yaml: the defaults apply; {global}"),
        None if global_path.as_deref().is_some_and(Path::is_file) => global,
        None => format!("{global}: the defaults apply"),
    };
    let mut out = vec![Check::ok("config", message)];
    for w in &config.warnings {
        out.push(Check::warn(
            "config",
            format!("{}: {}", w.path.display(), w.message),
            "Remove the key or correct its name.",
        ));
    }
    if TestLanguage::parse(&config.project.language).is_none() {
        out.push(Check::warn(
            "config",
            format!(
                "language `{}` is not one Pact runs tests in: its suites are treated as Python",
                config.project.language
            ),
            "Set `language:` in pact.yaml to python, typescript or javascript.",
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Backends

/// One check per backend the router sends a role to, from what the backend needs
/// ([`router::needs`]) and what building it says, without a network call.
pub fn backend_checks(router: &Router, search_path: &OsStr) -> Vec<Check> {
    let env = router.env();
    let mut by_backend: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for (route, roles) in configured_routes(router) {
        match by_backend.iter_mut().find(|(b, _, _)| *b == route.backend) {
            Some((_, models, rs)) => {
                models.push(route.model.clone());
                rs.extend(roles);
            }
            None => by_backend.push((route.backend.clone(), vec![route.model.clone()], roles)),
        }
    }
    let chosen_by = env
        .get("PACT_BACKEND")
        .map(|_| " (chosen by PACT_BACKEND)")
        .unwrap_or_default();
    let mut out = Vec::new();
    for (backend, models, roles) in by_backend {
        let name = format!("backend {backend}");
        let used = used_by(&models, &roles);
        let route = router.route(&roles[0]);
        let check = match router::needs(&backend) {
            None => {
                let msg = router
                    .build(&route)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| format!("unknown backend `{backend}`"));
                Check::fail(
                    name,
                    format!("{msg}{chosen_by}"),
                    format!(
                        "Set `backend:` (or `role_backends:`) in pact.yaml, or PACT_BACKEND, to one of: {}.",
                        router::BACKENDS.join(", ")
                    ),
                )
            }
            Some(Needs::Http {
                key_vars,
                key_required,
                base_url_var,
                default_base_url,
            }) => http_check(
                router,
                &route,
                HttpNeeds {
                    key_vars,
                    key_required,
                    base_url_var,
                    default_base_url,
                },
                &format!("{chosen_by}; {used}"),
            ),
            Some(Needs::Cli {
                binary_var,
                default_binary,
            }) => {
                let binary = env.get(binary_var).unwrap_or(default_binary);
                match find_program_in(binary, search_path) {
                    Some(found) => Check::ok(
                        name,
                        format!(
                            "`{binary}` found at {}; it uses its own login{chosen_by}; {used}",
                            found.display()
                        ),
                    ),
                    None => Check::fail(
                        name,
                        format!("`{binary}` not found on PATH{chosen_by}; {used}"),
                        format!(
                            "Install Claude Code (npm install -g @anthropic-ai/claude-code) and log in with `claude`, or set {binary_var} to its path."
                        ),
                    ),
                }
            }
            Some(Needs::Recording { file_var }) => match router.replay_file() {
                None => Check::fail(
                    name,
                    format!("no recording to replay{chosen_by}"),
                    format!(
                        "Pass --replay FILE, set {file_var}, or put the recording in the project as session.jsonl."
                    ),
                ),
                Some(file) => match ReplayBackend::open(&file) {
                    Ok(r) => Check::ok(
                        name,
                        format!(
                            "recording {} ({} answers){chosen_by}; for {}",
                            file.display(),
                            r.len(),
                            roles_text(&roles)
                        ),
                    ),
                    Err(e) => Check::fail(
                        name,
                        e.to_string(),
                        format!("Point --replay or {file_var} at a recording made with --record."),
                    ),
                },
            },
        };
        out.push(check);
    }
    out
}

struct HttpNeeds {
    key_vars: &'static [&'static str],
    key_required: bool,
    base_url_var: &'static str,
    default_base_url: &'static str,
}

/// An HTTP API: its key variable set or not (never the value), its base URL, and whatever else
/// building the provider refuses.
fn http_check(router: &Router, route: &pact_agents::Route, n: HttpNeeds, tail: &str) -> Check {
    let name = format!("backend {}", route.backend);
    let env = router.env();
    let key_set = n.key_vars.iter().find(|v| env.get(v).is_some());
    let key = match (key_set, n.key_required) {
        (Some(v), _) => format!("{v} set"),
        (None, true) => {
            let or: String = n.key_vars[1..]
                .iter()
                .map(|v| format!(" (or {v})"))
                .collect();
            return Check::fail(
                name,
                format!("{}{or} not set{tail}", n.key_vars[0]),
                format!(
                    "export {}=<your key>, or route the roles to another backend (`backend:` in pact.yaml, or PACT_BACKEND).",
                    n.key_vars[0]
                ),
            );
        }
        (None, false) => format!("{} not set (optional)", n.key_vars[0]),
    };
    let (url, from) = match env.get(n.base_url_var) {
        Some(u) => (u.to_string(), format!("from {}", n.base_url_var)),
        None => (n.default_base_url.to_string(), "default".to_string()),
    };
    let shown = redact_url(&url);
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Check::fail(
            name,
            format!("{} is not an http(s) URL: {shown}", n.base_url_var),
            format!(
                "Set {} to the API's address (default {}), or unset it.",
                n.base_url_var, n.default_base_url
            ),
        );
    }
    if let Err(e) = router.build(route) {
        return Check::fail(name, e.to_string(), "");
    }
    let message = format!("{key}; base URL {shown} ({from}){tail}");
    if url.starts_with("http://") && key_set.is_some() && !is_local(&url) {
        return Check::warn(
            name,
            format!("{message}; the key would travel unencrypted (plain http to a remote host)"),
            format!("Use an https:// address in {}.", n.base_url_var),
        );
    }
    Check::ok(name, message)
}

/// "models a, b for all roles" / "model m for decomposer, code_author".
fn used_by(models: &[String], roles: &[String]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for m in models {
        if !unique.contains(&m.as_str()) {
            unique.push(m);
        }
    }
    let models = format!(
        "model{} {}",
        if unique.len() == 1 { "" } else { "s" },
        unique.join(", ")
    );
    format!("{models} for {}", roles_text(roles))
}

fn roles_text(roles: &[String]) -> String {
    if roles.len() == router::ROLES.len() {
        "every role".to_string()
    } else {
        roles.join(", ")
    }
}

/// A URL without its user and password, should it carry them.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

fn is_local(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

/// No check carries a key's value, whatever a message quoted.
fn redact(checks: &mut [Check], env: &Env) {
    let secrets: Vec<&str> = ENV_VARS
        .iter()
        .filter(|v| v.ends_with("_KEY"))
        .filter_map(|v| env.get(v))
        .filter(|s| s.len() >= 4)
        .collect();
    for c in checks {
        for s in &secrets {
            if c.message.contains(s) {
                c.message = c.message.replace(s, "[redacted]");
            }
            if let Some(f) = c.fix.as_mut().filter(|f| f.contains(s)) {
                *f = f.replace(s, "[redacted]");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Test runtimes

/// The interpreter, the managed environment and the requirements. A missing interpreter fails
/// when the project's suites are Python and warns otherwise.
pub fn python_checks(
    spec: &RuntimeSpec,
    language: TestLanguage,
    search_path: &OsStr,
) -> Vec<Check> {
    let needed = language == TestLanguage::Python;
    let severity = if needed { Status::Fail } else { Status::Warn };
    let not_needed = if needed {
        String::new()
    } else {
        format!(
            " — only Python suites need it; this project's are {}",
            lang_name(language)
        )
    };
    let (base, probe) = match python::find(spec) {
        Ok(found) => found,
        Err(e) => {
            return vec![Check::with(
                severity,
                "python",
                format!("{e}{not_needed}"),
                e.fix(),
            )];
        }
    };
    let mut out = Vec::new();
    let resolved = if Path::new(&probe.executable) != base {
        format!(" → {}", probe.executable)
    } else {
        String::new()
    };
    out.push(Check::ok(
        "python",
        format!(
            "Python {} ({}) at {}{resolved}",
            probe.version,
            probe.implementation,
            base.display()
        ),
    ));
    let packages = std::iter::once(PINNED_PYTEST.to_string())
        .chain(spec.python_requirements.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    out.push(match python::existing(spec) {
        Ok(Some(env)) => Check::ok(
            "python environment",
            format!(
                "{} ({}, {packages})",
                env.dir.display(),
                human_size(runtime::dir_size(&env.dir))
            ),
        ),
        Ok(None) => {
            let dir = python::env_dir(spec, &probe);
            let uv = find_program_in("uv", search_path);
            match venv_error(&base, &probe, uv.as_deref()) {
                Some(e) => Check::with(
                    severity,
                    "python environment",
                    format!("not created yet, and cannot be: {e}{not_needed}"),
                    e.fix(),
                ),
                None => Check::ok(
                    "python environment",
                    format!(
                        "not created yet: the first run creates it in {} with {packages} ({}; needs the package index once)",
                        dir.display(),
                        if uv.is_some() { "uv" } else { "venv + pip" }
                    ),
                ),
            }
        }
        Err(e) => Check::with(severity, "python environment", e.to_string(), e.fix()),
    });
    out.push(Check::ok(
        "python requirements",
        if spec.python_requirements.is_empty() {
            format!("{PINNED_PYTEST} only (add packages with `python_requirements:` in pact.yaml or a requirements.txt)")
        } else {
            format!(
                "{PINNED_PYTEST} + {} (from python_requirements and requirements.txt)",
                spec.python_requirements.join(", ")
            )
        },
    ));
    out
}

/// Whether `python -m venv` would fail for want of ensurepip (Debian's python3 without
/// python3-venv); `uv` makes environments without it.
fn venv_error(base: &Path, probe: &python::Probe, uv: Option<&Path>) -> Option<RuntimeError> {
    if uv.is_some() {
        return None;
    }
    let mut c = runtime::tool_command(base);
    c.args(["-I", "-c", "import venv, ensurepip"]);
    let detail = runtime::run_tool(c, "venv").err()?;
    let detail = match detail {
        RuntimeError::Install { detail, .. } => detail.lines().last().unwrap_or("").to_string(),
        other => other.to_string(),
    };
    Some(RuntimeError::NoVenv {
        python: base.display().to_string(),
        version: probe.version.clone(),
        detail,
    })
}

/// Node.js, and vitest for TypeScript. A missing Node fails when the project's suites are
/// TypeScript or JavaScript and warns otherwise.
pub fn node_checks(spec: &RuntimeSpec, language: TestLanguage) -> Vec<Check> {
    let needed = language != TestLanguage::Python;
    let severity = if needed { Status::Fail } else { Status::Warn };
    let node = match node::find(spec) {
        Ok(n) => n,
        Err(e) => {
            let note = if needed {
                String::new()
            } else {
                " — only TypeScript and JavaScript suites need it; this project's are Python"
                    .to_string()
            };
            return vec![Check::with(severity, "node", format!("{e}{note}"), e.fix())];
        }
    };
    let mut out = vec![Check::ok(
        "node",
        format!("Node.js {} at {}", node.version, node.node.display()),
    )];
    let existing = node::existing_vitest(spec, &node);
    out.push(match (language, existing) {
        (_, Some(dir)) => Check::ok(
            "vitest",
            format!(
                "{PINNED_VITEST} in {} ({})",
                dir.display(),
                human_size(runtime::dir_size(&dir))
            ),
        ),
        (TestLanguage::TypeScript, None) => match node::npm(&node) {
            Some(npm) => Check::ok(
                "vitest",
                format!(
                    "not installed yet: the first run installs {PINNED_VITEST} into {} with {} (needs the npm registry once)",
                    node::vitest_dir(spec, &node).display(),
                    npm.display()
                ),
            ),
            None => {
                let e = RuntimeError::NoNpm {
                    node: node.node.display().to_string(),
                };
                Check::fail("vitest", e.to_string(), e.fix())
            }
        },
        (lang, None) => Check::ok(
            "vitest",
            format!(
                "not installed (only TypeScript suites need it; this project's are {})",
                lang_name(lang)
            ),
        ),
    });
    out
}

fn lang_name(l: TestLanguage) -> &'static str {
    match l {
        TestLanguage::Python => "Python",
        TestLanguage::TypeScript => "TypeScript",
        TestLanguage::JavaScript => "JavaScript",
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

// ---------------------------------------------------------------------------------------------
// The project's files

/// `.pact/`, the job lock, the state and audit locks, the daemon's pipe.
pub fn project_checks(project: &Project, lock_wait: Duration) -> Vec<Check> {
    let dir = project.layout.pact_dir();
    let mut out = Vec::new();
    match std::fs::metadata(&dir) {
        Err(_) => {
            out.push(Check::ok(".pact", "not created yet: the first run creates it"));
            return out;
        }
        Ok(m) if !m.is_dir() => {
            out.push(Check::fail(
                ".pact",
                format!("{} is not a directory", dir.display()),
                format!("Move it away: mv {0} {0}.bak", dir.display()),
            ));
            return out;
        }
        Ok(_) if !writable(&dir) => out.push(Check::fail(
            ".pact",
            format!("{} is not writable by this user", dir.display()),
            format!(
                "Give it back to yourself (a `sudo pact …` may have taken it): sudo chown -R \"$(id -un)\" {}",
                dir.display()
            ),
        )),
        Ok(_) => out.push(Check::ok(".pact", format!("{} is writable", dir.display()))),
    }
    let job = joblock::holder(project);
    let job_alive = job.as_ref().is_some_and(|h| daemon::pid_alive(h.pid));
    out.push(match &job {
        None => Check::ok("run lock", "free (no job is running)"),
        Some(h) if job_alive => Check::ok(
            "run lock",
            format!(
                "held by `{}` (pid {}, since {}): another job waits until it ends",
                h.command, h.pid, h.started_at
            ),
        ),
        Some(h) => Check::warn(
            "run lock",
            format!(
                "stale: `{}` (pid {}, since {}) ended without releasing it; the lock itself is free",
                h.command, h.pid, h.started_at
            ),
            format!(
                "Nothing blocks a run; to clear the record: rm {}",
                dir.join("run.owner.json").display()
            ),
        ),
    });
    out.push(lock_check(
        "state lock",
        &project.layout.state_lock(),
        job_alive,
        lock_wait,
    ));
    out.push(lock_check(
        "audit lock",
        &project.layout.audit_lock(),
        job_alive,
        lock_wait,
    ));
    out.push(pipe_check(project));
    out
}

/// A sidecar lock file: a regular file this user can write, not held for long when no job runs.
fn lock_check(name: &str, path: &Path, job_running: bool, wait: Duration) -> Check {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Err(_) => return Check::ok(name, format!("not created yet ({shown})")),
        Ok(m) => m,
    };
    if !meta.is_file() {
        return Check::fail(
            name,
            format!("{shown} is not a regular file: every write to the project would fail"),
            format!("Remove it: rm -r {shown}"),
        );
    }
    if !writable(path) {
        return Check::fail(
            name,
            format!("{shown} is not writable by this user"),
            format!("sudo chown \"$(id -un)\" {shown}"),
        );
    }
    if job_running {
        return Check::ok(name, format!("in use by the running job ({shown})"));
    }
    if held_longer_than(path, wait) {
        return Check::warn(
            name,
            format!(
                "{shown} has been held for over {:.0?} with no job running: a stuck process holds it",
                wait
            ),
            "Find it with `fuser -v` or `lsof` on the file and end it; writes to the project wait until then.",
        );
    }
    Check::ok(name, format!("free ({shown})"))
}

/// Whether another process keeps an exclusive lock on `path` for `wait`. Asks for a shared lock
/// without blocking: a writer that arrives meanwhile waits a moment, nothing is refused.
fn held_longer_than(path: &Path, wait: Duration) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let start = Instant::now();
    loop {
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                return false;
            }
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => return true,
            Err(std::fs::TryLockError::Error(_)) => return false,
        }
    }
}

/// `.pact/dispatch`, by its file type: opening a FIFO could block.
fn pipe_check(project: &Project) -> Check {
    let path = daemon::dispatch_path(project);
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(&path) {
        Err(_) => {
            return Check::ok(
                "daemon pipe",
                "none: no daemon is running (`pact daemon` creates .pact/dispatch)",
            );
        }
        Ok(m) => m,
    };
    let status = daemon::status(project);
    if is_fifo(&meta) {
        return match (status.alive, status.pid) {
            (true, Some(pid)) => Check::ok(
                "daemon pipe",
                format!("{shown}: the daemon (pid {pid}) listens on it"),
            ),
            _ => Check::warn(
                "daemon pipe",
                format!(
                    "{shown} is left from a daemon that is not running{}: `pact signal` will say no daemon listens",
                    status
                        .pid
                        .map(|p| format!(" (pid {p})"))
                        .unwrap_or_default()
                ),
                format!(
                    "Start one with `pact daemon {}` (it reuses the pipe), or remove it: rm {shown}",
                    project.root().display()
                ),
            ),
        };
    }
    if meta.is_dir() {
        return Check::fail(
            "daemon pipe",
            format!("{shown} is a directory, not a named pipe: `pact daemon` cannot start"),
            format!("Remove it: rm -r {shown}"),
        );
    }
    Check::warn(
        "daemon pipe",
        format!(
            "{shown} is not a named pipe: `pact signal` cannot use it (`pact daemon` replaces it)"
        ),
        format!("Remove it: rm {shown}"),
    )
}

#[cfg(unix)]
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::Metadata) -> bool {
    false
}

/// Whether this user may write `path`, asked without opening it.
#[cfg(unix)]
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path; access() only reads it.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

// ---------------------------------------------------------------------------------------------
// git

/// `git` on PATH and, for a project, whether it is in a work tree. Pact runs without git:
/// both only warn.
pub fn git_check(root: Option<&Path>, search_path: &OsStr) -> Check {
    let Some(git) = find_program_in("git", search_path) else {
        return Check::warn(
            "git",
            "`git` not found on PATH",
            "Install git (Debian/Ubuntu: sudo apt install git; macOS: xcode-select --install) to keep contracts and tests under version control.",
        );
    };
    let version = quiet(Command::new(&git).arg("--version"))
        .map(|v| v.trim().trim_start_matches("git version ").to_string())
        .unwrap_or_else(|_| "(version unknown)".into());
    let Some(root) = root else {
        return Check::ok("git", format!("git {version} at {}", git.display()));
    };
    match quiet(
        Command::new(&git)
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "--show-toplevel"]),
    ) {
        Ok(top) => Check::ok(
            "git",
            format!(
                "git {version}; the project is in the work tree {}",
                top.trim()
            ),
        ),
        Err(why) => Check::warn(
            "git",
            format!(
                "git {version}; the project is not in a git work tree{}",
                why.lines()
                    .find(|l| !l.trim().is_empty() && !l.contains("not a git repository"))
                    .map(|l| format!(" ({})", l.trim()))
                    .unwrap_or_default()
            ),
            format!(
                "Keep its contracts and tests under version control: git -C {} init",
                root.display()
            ),
        ),
    }
}

/// A short command's standard output, or its standard error when it fails.
fn quiet(c: &mut Command) -> Result<String, String> {
    let out = c.stdin(Stdio::null()).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use pact_core::config::{GlobalConfig, ProjectConfig};
    use std::os::unix::fs::PermissionsExt;

    const SECRET: &str = "sk-ant-DOCTOR-never-print-me-4242";

    fn router(project: ProjectConfig, env: &[(&str, &str)], replay: Option<PathBuf>) -> Router {
        Router::new(
            Config::from_parts(GlobalConfig::default(), project),
            Env::from_pairs(env.iter().copied()),
            RouterOptions {
                replay,
                track_budget: false,
                ..RouterOptions::default()
            },
        )
    }

    fn backend(name: &str) -> ProjectConfig {
        ProjectConfig {
            backend: name.into(),
            ..ProjectConfig::default()
        }
    }

    fn one(checks: &[Check], name: &str) -> Check {
        let found: Vec<&Check> = checks.iter().filter(|c| c.name == name).collect();
        assert_eq!(found.len(), 1, "one `{name}` check in {checks:#?}");
        found[0].clone()
    }

    /// An executable shell script. Another test's fork may hold a just-written file open for
    /// writing for a moment (ETXTBSY on exec): this waits until the script runs.
    fn stub(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        for _ in 0..200 {
            match Command::new(&p)
                .arg("--ready")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
            {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => break,
            }
        }
        p
    }

    /// A Python that answers the runtime's probe; `ensurepip: false` is Debian's python3 without
    /// python3-venv.
    fn fake_python(dir: &Path, version: &str, ensurepip: bool) -> PathBuf {
        let venv = if ensurepip {
            ""
        } else {
            "case \"$3\" in *ensurepip*) echo \"ModuleNotFoundError: No module named 'ensurepip'\" >&2; exit 1;; esac\n"
        };
        stub(
            dir,
            "python3",
            &format!(
                "{venv}echo '{{\"version\": \"{version}\", \"implementation\": \"cpython\", \"executable\": \"/opt/py/bin/python{version}\"}}'"
            ),
        )
    }

    fn spec(cache: &Path, python: Option<&Path>, node: Option<&Path>) -> RuntimeSpec {
        RuntimeSpec {
            python: python.map(|p| p.display().to_string()),
            node: node.map(|p| p.display().to_string()),
            python_requirements: Vec::new(),
            cache: cache.to_path_buf(),
        }
    }

    #[test]
    fn statuses_order_and_the_report_fails_on_any_failure() {
        assert!(Status::Ok < Status::Warn && Status::Warn < Status::Fail);
        let mut r = Report {
            project: None,
            checks: vec![Check::ok("a", "x"), Check::warn("b", "y", "z")],
        };
        assert!(r.passed());
        r.checks.push(Check::fail("c", "bad", ""));
        assert!(!r.passed());
        assert_eq!(
            r.summary(),
            Summary {
                ok: 1,
                warn: 1,
                fail: 1
            }
        );
        assert_eq!(r.checks[2].fix, None, "an empty fix is none");
        let v = serde_json::to_value(&r.checks[1]).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "b", "status": "warn", "message": "y", "fix": "z"})
        );
    }

    #[test]
    fn a_set_key_is_named_and_its_value_never_shown() {
        let r = router(
            ProjectConfig::default(),
            &[("ANTHROPIC_API_KEY", SECRET)],
            None,
        );
        let checks = backend_checks(&r, OsStr::new(""));
        let c = one(&checks, "backend anthropic");
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.contains("ANTHROPIC_API_KEY set"), "{}", c.message);
        assert!(
            c.message
                .contains("base URL https://api.anthropic.com (default)"),
            "{}",
            c.message
        );
        assert!(c.message.contains("for every role"), "{}", c.message);
        let all = serde_json::to_string(&checks).unwrap() + &format!("{checks:?}");
        assert!(
            !all.contains(SECRET) && !all.contains("never-print"),
            "{all}"
        );
    }

    #[test]
    fn a_missing_key_fails_naming_the_variable() {
        let c = one(
            &backend_checks(&router(ProjectConfig::default(), &[], None), OsStr::new("")),
            "backend anthropic",
        );
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.starts_with("ANTHROPIC_API_KEY not set"),
            "{}",
            c.message
        );
        assert!(
            c.fix
                .as_deref()
                .unwrap_or("")
                .contains("export ANTHROPIC_API_KEY="),
            "{c:?}"
        );
        // Gemini takes either variable, as the router does.
        let c = one(
            &backend_checks(&router(backend("gemini"), &[], None), OsStr::new("")),
            "backend gemini",
        );
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message
                .contains("GEMINI_API_KEY (or GOOGLE_API_KEY) not set"),
            "{}",
            c.message
        );
        let c = one(
            &backend_checks(
                &router(backend("gemini"), &[("GOOGLE_API_KEY", SECRET)], None),
                OsStr::new(""),
            ),
            "backend gemini",
        );
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.contains("GOOGLE_API_KEY set"), "{}", c.message);
    }

    #[test]
    fn a_local_server_needs_no_key_and_urls_lose_their_credentials() {
        let r = router(
            backend("ollama"),
            &[(
                "OPENAI_COMPATIBLE_BASE_URL",
                "http://me:hunter2@127.0.0.1:8080/v1",
            )],
            None,
        );
        let c = one(
            &backend_checks(&r, OsStr::new("")),
            "backend openai_compatible",
        );
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.message
                .contains("OPENAI_COMPATIBLE_API_KEY not set (optional)"),
            "{}",
            c.message
        );
        assert!(
            c.message
                .contains("http://***@127.0.0.1:8080/v1 (from OPENAI_COMPATIBLE_BASE_URL)"),
            "{}",
            c.message
        );
        assert!(!c.message.contains("hunter2"));
    }

    #[test]
    fn base_urls_must_be_http_and_keys_do_not_travel_in_the_clear() {
        let check = |url: &str| {
            let r = router(
                backend("openai"),
                &[("OPENAI_API_KEY", SECRET), ("OPENAI_BASE_URL", url)],
                None,
            );
            one(&backend_checks(&r, OsStr::new("")), "backend openai")
        };
        let c = check("api.example.com/v1");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("OPENAI_BASE_URL is not an http(s) URL"),
            "{}",
            c.message
        );
        let c = check("http://api.example.com/v1");
        assert_eq!(c.status, Status::Warn);
        assert!(c.message.contains("unencrypted"), "{}", c.message);
        for local in [
            "http://localhost:4000/v1",
            "http://127.0.0.1/v1",
            "http://[::1]:9/v1",
        ] {
            assert_eq!(check(local).status, Status::Ok, "{local}");
        }
        assert_eq!(check("https://proxy.example.com/v1").status, Status::Ok);
    }

    #[test]
    fn a_bad_structured_mode_fails_as_building_the_backend_would() {
        let r = router(
            backend("openai"),
            &[("OPENAI_API_KEY", SECRET), ("PACT_STRUCTURED_MODE", "yaml")],
            None,
        );
        let c = one(&backend_checks(&r, OsStr::new("")), "backend openai");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("PACT_STRUCTURED_MODE"), "{}", c.message);
    }

    #[test]
    fn each_routed_backend_gets_a_check_and_claude_code_needs_its_cli() {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let mut p = ProjectConfig::default();
        p.role_backends
            .insert("code_author".into(), "claude-code".into());
        let env = [("ANTHROPIC_API_KEY", SECRET)];
        let checks = backend_checks(&router(p.clone(), &env, None), bin.as_os_str());
        let c = one(&checks, "backend claude_code");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.starts_with("`claude` not found on PATH"),
            "{}",
            c.message
        );
        assert!(c.message.contains("for code_author"), "{}", c.message);
        assert!(c.fix.as_deref().unwrap_or("").contains("PACT_CLAUDE_BIN"));
        let a = one(&checks, "backend anthropic");
        assert!(
            a.status == Status::Ok && !a.message.contains("code_author"),
            "{a:?}"
        );

        let claude = stub(&bin, "claude", "exit 0");
        let checks = backend_checks(&router(p.clone(), &env, None), bin.as_os_str());
        let c = one(&checks, "backend claude_code");
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.message
                .contains(&format!("found at {}", claude.display())),
            "{}",
            c.message
        );
        // PACT_CLAUDE_BIN names another binary, as the router would run it.
        let env = [
            ("ANTHROPIC_API_KEY", SECRET),
            ("PACT_CLAUDE_BIN", "/nowhere/claude"),
        ];
        let c = one(
            &backend_checks(&router(p, &env, None), bin.as_os_str()),
            "backend claude_code",
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.message.contains("/nowhere/claude"), "{}", c.message);
    }

    #[test]
    fn replay_needs_a_readable_recording() {
        let tmp = tempfile::tempdir().unwrap();
        let c = one(
            &backend_checks(&router(backend("replay"), &[], None), OsStr::new("")),
            "backend replay",
        );
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.as_deref().unwrap_or("").contains("PACT_REPLAY_FILE"));

        let missing = tmp.path().join("missing.jsonl");
        let c = one(
            &backend_checks(
                &router(backend("replay"), &[], Some(missing.clone())),
                OsStr::new(""),
            ),
            "backend replay",
        );
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("missing.jsonl"), "{}", c.message);

        let corrupt = tmp.path().join("corrupt.jsonl");
        std::fs::write(&corrupt, "{not json\n").unwrap();
        let c = one(
            &backend_checks(
                &router(
                    backend("replay"),
                    &[("PACT_REPLAY_FILE", corrupt.to_str().unwrap())],
                    None,
                ),
                OsStr::new(""),
            ),
            "backend replay",
        );
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("line 1"), "{}", c.message);

        let good =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wordfreq/session.jsonl");
        let c = one(
            &backend_checks(&router(backend("replay"), &[], Some(good)), OsStr::new("")),
            "backend replay",
        );
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.contains("answers)"), "{}", c.message);
    }

    #[test]
    fn an_unknown_backend_fails_listing_the_known_ones_and_pact_backend_is_named() {
        let c = one(
            &backend_checks(&router(backend("bedrock"), &[], None), OsStr::new("")),
            "backend bedrock",
        );
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("unknown backend `bedrock`"),
            "{}",
            c.message
        );
        assert!(c.fix.as_deref().unwrap_or("").contains("openai_compatible"));
        let r = router(
            ProjectConfig::default(),
            &[("PACT_BACKEND", "openai"), ("OPENAI_API_KEY", SECRET)],
            None,
        );
        let checks = backend_checks(&r, OsStr::new(""));
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert!(checks[0].message.contains("(chosen by PACT_BACKEND)"));
    }

    #[test]
    fn no_python_fails_for_python_suites_and_warns_otherwise() {
        let tmp = tempfile::tempdir().unwrap();
        let nowhere = tmp.path().join("no-such-python");
        let s = spec(tmp.path(), Some(&nowhere), None);
        let checks = python_checks(&s, TestLanguage::Python, OsStr::new(""));
        assert_eq!(
            checks.len(),
            1,
            "nothing more to say without an interpreter"
        );
        let c = &checks[0];
        assert_eq!((c.name.as_str(), c.status), ("python", Status::Fail));
        assert!(c.message.contains("no-such-python"), "{}", c.message);
        let fix = c.fix.as_deref().unwrap_or("");
        assert!(
            fix.contains("sudo apt install python3 python3-venv"),
            "{fix}"
        );
        assert!(fix.contains("brew install"), "{fix}");
        let c = &python_checks(&s, TestLanguage::TypeScript, OsStr::new(""))[0];
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.message.contains("this project's are TypeScript"),
            "{}",
            c.message
        );
    }

    #[test]
    fn an_old_python_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let py = fake_python(tmp.path(), "3.8.10", true);
        let c = &python_checks(
            &spec(tmp.path(), Some(&py), None),
            TestLanguage::Python,
            OsStr::new(""),
        )[0];
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.contains("3.8.10") && c.message.contains("3.9"),
            "{}",
            c.message
        );
    }

    #[test]
    fn a_python_without_its_environment_yet_is_ready_and_nothing_is_created() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let py = fake_python(tmp.path(), "3.12.1", true);
        let mut s = spec(&cache, Some(&py), None);
        s.python_requirements = vec!["attrs".into(), "requests==2.32.3".into()];
        let checks = python_checks(&s, TestLanguage::Python, OsStr::new(""));
        let c = one(&checks, "python");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message
                .contains(&format!("Python 3.12.1 (cpython) at {}", py.display())),
            "{}",
            c.message
        );
        assert!(
            c.message.contains("→ /opt/py/bin/python3.12.1"),
            "{}",
            c.message
        );
        let env = one(&checks, "python environment");
        assert_eq!(env.status, Status::Ok, "{env:?}");
        assert!(
            env.message.starts_with("not created yet"),
            "{}",
            env.message
        );
        assert!(
            env.message.contains(&cache.display().to_string()),
            "{}",
            env.message
        );
        assert!(env.message.contains(PINNED_PYTEST), "{}", env.message);
        let reqs = one(&checks, "python requirements");
        assert!(
            reqs.message.contains("attrs, requests==2.32.3"),
            "{}",
            reqs.message
        );
        assert!(!cache.exists(), "doctor created {}", cache.display());
    }

    #[test]
    fn an_existing_environment_shows_its_directory_and_size() {
        let tmp = tempfile::tempdir().unwrap();
        let py = fake_python(tmp.path(), "3.12.1", true);
        let s = spec(&tmp.path().join("cache"), Some(&py), None);
        let (_, probe) = python::find(&s).unwrap();
        let dir = python::env_dir(&s, &probe);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        stub(&dir.join("bin"), "python", "exit 0");
        std::fs::write(dir.join(runtime::MARKER), "{}").unwrap();
        std::fs::write(dir.join("payload"), vec![0u8; 4096]).unwrap();
        let c = one(
            &python_checks(&s, TestLanguage::Python, OsStr::new("")),
            "python environment",
        );
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message.starts_with(&format!("{} (", dir.display())),
            "{}",
            c.message
        );
        assert!(c.message.contains(" KB, "), "{}", c.message);
    }

    #[test]
    fn a_python_that_cannot_make_environments_fails_unless_uv_can() {
        let tmp = tempfile::tempdir().unwrap();
        let py = fake_python(tmp.path(), "3.11.2", false);
        let s = spec(&tmp.path().join("cache"), Some(&py), None);
        let c = one(
            &python_checks(&s, TestLanguage::Python, OsStr::new("")),
            "python environment",
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.message.contains("ensurepip"), "{}", c.message);
        assert!(
            c.fix.as_deref().unwrap_or("").contains("python3.11-venv"),
            "{c:?}"
        );
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        stub(&bin, "uv", "exit 0");
        let c = one(
            &python_checks(&s, TestLanguage::Python, bin.as_os_str()),
            "python environment",
        );
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.contains("(uv;"), "{}", c.message);
    }

    #[test]
    fn no_node_warns_for_python_and_fails_for_typescript_and_javascript() {
        let tmp = tempfile::tempdir().unwrap();
        let s = spec(tmp.path(), None, Some(&tmp.path().join("no-node")));
        let c = &node_checks(&s, TestLanguage::Python)[0];
        assert_eq!((c.name.as_str(), c.status), ("node", Status::Warn));
        assert!(
            c.message.contains("this project's are Python"),
            "{}",
            c.message
        );
        assert!(c.fix.as_deref().unwrap_or("").contains("nodejs"));
        for lang in [TestLanguage::TypeScript, TestLanguage::JavaScript] {
            let checks = node_checks(&s, lang);
            assert_eq!(checks.len(), 1);
            assert_eq!(checks[0].status, Status::Fail);
        }
        let old = stub(tmp.path(), "node", "echo v16.20.0");
        let c = &node_checks(
            &spec(tmp.path(), None, Some(&old)),
            TestLanguage::JavaScript,
        )[0];
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("16.20.0"), "{}", c.message);
    }

    #[test]
    fn typescript_reports_vitest_installed_or_to_be_installed() {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let node_bin = stub(&bin, "node", "echo v20.11.1");
        let npm = stub(&bin, "npm", "exit 0");
        let cache = tmp.path().join("cache");
        let s = spec(&cache, None, Some(&node_bin));
        let checks = node_checks(&s, TestLanguage::TypeScript);
        let n = one(&checks, "node");
        assert_eq!(n.status, Status::Ok);
        assert!(n.message.contains("Node.js 20.11.1"), "{}", n.message);
        let v = one(&checks, "vitest");
        assert_eq!(v.status, Status::Ok);
        assert!(v.message.starts_with("not installed yet"), "{}", v.message);
        assert!(
            v.message.contains(&npm.display().to_string()),
            "{}",
            v.message
        );
        let js = one(&node_checks(&s, TestLanguage::JavaScript), "vitest");
        assert!(
            js.message.contains("only TypeScript suites need it"),
            "{}",
            js.message
        );
        assert!(!cache.exists(), "doctor created the cache");

        let found = node::find(&s).unwrap();
        let dir = node::vitest_dir(&s, &found);
        std::fs::create_dir_all(dir.join("node_modules/vitest")).unwrap();
        std::fs::write(dir.join("node_modules/vitest/vitest.mjs"), "x").unwrap();
        std::fs::write(dir.join(runtime::MARKER), "{}").unwrap();
        let v = one(&node_checks(&s, TestLanguage::TypeScript), "vitest");
        assert_eq!(v.status, Status::Ok);
        assert!(
            v.message
                .starts_with(&format!("{PINNED_VITEST} in {}", dir.display())),
            "{}",
            v.message
        );
    }

    fn project() -> (tempfile::TempDir, Project) {
        let tmp = tempfile::tempdir().unwrap();
        let (p, _) = Project::init(tmp.path(), 1.0).unwrap();
        (tmp, p)
    }

    #[test]
    fn the_pact_directory_must_be_a_writable_directory() {
        let (_tmp, p) = project();
        let dir = p.layout.pact_dir();
        let c = one(&project_checks(&p, Duration::ZERO), ".pact");
        assert_eq!(c.status, Status::Ok);
        std::fs::remove_dir_all(&dir).unwrap();
        let checks = project_checks(&p, Duration::ZERO);
        assert_eq!(checks.len(), 1);
        assert!(checks[0].message.starts_with("not created yet"));
        assert!(!dir.exists(), "doctor created .pact");
        std::fs::write(&dir, "oops").unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), ".pact");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("not a directory"), "{}", c.message);
    }

    #[test]
    fn the_run_lock_names_a_live_holder_and_calls_a_dead_one_stale() {
        let (_tmp, p) = project();
        let owner = p.layout.pact_dir().join("run.owner.json");
        let c = one(&project_checks(&p, Duration::ZERO), "run lock");
        assert_eq!(c.status, Status::Ok);
        assert!(c.message.starts_with("free"), "{}", c.message);
        let job = joblock::acquire(&p, "pact run").unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), "run lock");
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message
                .contains(&format!("held by `pact run` (pid {}", std::process::id())),
            "{}",
            c.message
        );
        drop(job);
        // A job killed outright leaves its record behind.
        let dead = r#"{"pid": 2147483000, "command": "pact build x", "started_at": "2026-01-01T00:00:00"}"#;
        std::fs::write(&owner, dead).unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), "run lock");
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.message.starts_with("stale: `pact build x`"),
            "{}",
            c.message
        );
        assert!(c.fix.as_deref().unwrap_or("").contains("run.owner.json"));
    }

    #[test]
    fn a_state_lock_held_with_no_job_running_warns() {
        let (_tmp, p) = project();
        let lock = p.layout.state_lock();
        let c = one(&project_checks(&p, Duration::ZERO), "state lock");
        assert!(
            c.status == Status::Ok && c.message.starts_with("not created yet"),
            "{c:?}"
        );
        std::fs::write(&lock, "").unwrap();
        let held = pact_core::store::fsio::FileLock::acquire(&lock).unwrap();
        let c = one(
            &project_checks(&p, Duration::from_millis(100)),
            "state lock",
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("held for over"), "{}", c.message);
        let _job = joblock::acquire(&p, "pact run").unwrap();
        let c = one(
            &project_checks(&p, Duration::from_millis(100)),
            "state lock",
        );
        assert_eq!(c.status, Status::Ok);
        assert!(
            c.message.starts_with("in use by the running job"),
            "{}",
            c.message
        );
        drop(held);
        drop(_job);
        let c = one(
            &project_checks(&p, Duration::from_millis(100)),
            "state lock",
        );
        assert!(
            c.status == Status::Ok && c.message.starts_with("free ("),
            "{c:?}"
        );
        // A directory where the lock file goes breaks every write.
        std::fs::create_dir_all(p.layout.audit_lock()).unwrap();
        let c = one(&project_checks(&p, Duration::ZERO), "audit lock");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("not a regular file"), "{}", c.message);
    }

    #[test]
    fn the_daemon_pipe_is_judged_by_its_file_type_without_opening_it() {
        use std::os::unix::ffi::OsStrExt;
        let (_tmp, p) = project();
        let fifo = daemon::dispatch_path(&p);
        // A check that opened the pipe would block here for want of a writer.
        let check = |p: &Project| {
            let p = p.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(one(&project_checks(&p, Duration::ZERO), "daemon pipe"));
            });
            rx.recv_timeout(Duration::from_secs(20))
                .expect("the pipe check returns without blocking")
        };
        let c = check(&p);
        assert!(
            c.status == Status::Ok && c.message.starts_with("none"),
            "{c:?}"
        );

        let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let c = check(&p);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("not running"), "{}", c.message);
        std::fs::write(daemon::pid_path(&p), format!("{}\n", std::process::id())).unwrap();
        let c = check(&p);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.message
                .contains(&format!("the daemon (pid {}) listens", std::process::id())),
            "{}",
            c.message
        );

        std::fs::remove_file(&fifo).unwrap();
        std::fs::write(&fifo, "resume\n").unwrap();
        let c = check(&p);
        assert_eq!(c.status, Status::Warn);
        assert!(c.message.contains("not a named pipe"), "{}", c.message);
        std::fs::remove_file(&fifo).unwrap();
        std::fs::create_dir(&fifo).unwrap();
        let c = check(&p);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("is a directory"), "{}", c.message);
    }

    #[test]
    fn config_warnings_warn_and_a_broken_pact_yaml_fails() {
        let (_tmp, p) = project();
        std::fs::write(p.layout.pact_yaml(), "budgett: 5\nlanguage: rust\n").unwrap();
        let loaded = p.config().map_err(|e| e.to_string());
        let checks = config_checks(Some(&p), &loaded);
        assert_eq!(checks[0].status, Status::Ok, "{checks:?}");
        assert!(
            checks[0]
                .message
                .starts_with("pact.yaml parses (language rust")
        );
        assert!(
            checks.iter().any(|c| c.status == Status::Warn
                && c.message
                    .contains("unknown key `budgett` is ignored (did you mean `budget`?)")),
            "{checks:#?}"
        );
        assert!(
            checks
                .iter()
                .any(|c| c.status == Status::Warn && c.message.contains("language `rust`")),
            "{checks:#?}"
        );
        std::fs::write(p.layout.pact_yaml(), "budget: [1,\n").unwrap();
        let loaded = p.config().map_err(|e| e.to_string());
        let checks = config_checks(Some(&p), &loaded);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Fail);
        assert!(
            checks[0].message.contains("pact.yaml"),
            "{}",
            checks[0].message
        );
    }

    #[test]
    fn git_missing_or_no_work_tree_only_warns() {
        let tmp = tempfile::tempdir().unwrap();
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let c = git_check(Some(tmp.path()), empty.as_os_str());
        assert_eq!(c.status, Status::Warn);
        assert_eq!(c.message, "`git` not found on PATH");
        let path = std::env::var_os("PATH").unwrap_or_default();
        if find_program_in("git", &path).is_none() {
            eprintln!("skipped the work-tree half: no git on PATH");
            return;
        }
        let c = git_check(Some(&empty), &path);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.message.contains("not in a git work tree"),
            "{}",
            c.message
        );
        let init = Command::new("git")
            .args(["init", "-q"])
            .current_dir(&empty)
            .status()
            .unwrap();
        assert!(init.success());
        let c = git_check(Some(&empty), &path);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.contains("in the work tree"), "{}", c.message);
    }

    #[test]
    fn no_check_carries_a_key_value() {
        let env = Env::from_pairs([("OPENAI_API_KEY", SECRET)]);
        let mut checks = vec![Check::fail(
            "x",
            format!("the server said {SECRET}"),
            SECRET,
        )];
        redact(&mut checks, &env);
        assert_eq!(checks[0].message, "the server said [redacted]");
        assert_eq!(checks[0].fix.as_deref(), Some("[redacted]"));
    }

    #[test]
    fn sizes_read_like_du() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(4096), "4.0 KB");
        assert_eq!(human_size(58 * 1024 * 1024 + 300 * 1024), "58.3 MB");
    }
}
