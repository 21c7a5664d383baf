//! The backend checks: for each backend the router sends a role to, whether it could be built
//! here (key set, URL sound, CLI or recording found), without a network call and without ever
//! showing a key's value.

use super::Check;
use crate::runtime::find_program_in;
use pact_agents::ping::configured_routes;
use pact_agents::router::{self, ENV_VARS, Needs};
use pact_agents::{Env, ReplayBackend, Router};
use std::ffi::OsStr;

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
pub(super) fn redact(checks: &mut [Check], env: &Env) {
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use crate::doctor::test_support::*;
    use pact_core::config::ProjectConfig;
    use std::path::Path;

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
}
