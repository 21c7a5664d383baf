//! Which backend and model answer for a role, and building them.
//!
//! Backend: `--replay` (the options) > `PACT_BACKEND` > project `role_backends[role]` > project
//! `backend`. Model: `PACT_MODEL` > the config's role model (project `role_models`, global
//! `role_models`, project/global `model`); a model named `primary`, `research` or `fast` is the
//! `model_tiers` entry of that name. Base URLs and keys come only from the environment, never from
//! files a project commits:
//!
//! | backend | key | base URL (default) |
//! |---|---|---|
//! | `anthropic` | `ANTHROPIC_API_KEY` | `ANTHROPIC_BASE_URL` (`https://api.anthropic.com`) |
//! | `openai` | `OPENAI_API_KEY` | `OPENAI_BASE_URL` (`https://api.openai.com/v1`) |
//! | `gemini` | `GEMINI_API_KEY` (or `GOOGLE_API_KEY`) | `GEMINI_BASE_URL` (`https://generativelanguage.googleapis.com`) |
//! | `openai_compatible` | `OPENAI_COMPATIBLE_API_KEY` (optional) | `OPENAI_COMPATIBLE_BASE_URL` (`http://127.0.0.1:11434/v1`) |
//! | `claude_code` | (the CLI's own login) | `PACT_CLAUDE_BIN` (`claude`) |
//! | `replay` | — | `PACT_REPLAY_FILE` |
//!
//! `PACT_STRUCTURED_MODE` (`tool`, `json_schema`, `json_object`) picks how the OpenAI-style
//! backends ask for structured output.

use crate::backend::Backend;
use crate::budget::BudgetTracker;
use crate::error::{AgentError, Result};
use crate::http::HttpOptions;
use crate::pricing::{Price, PriceSource, PricingTable};
use crate::providers::{
    AnthropicProvider, ClaudeCodeProvider, GeminiProvider, OpenAiProvider, StructuredMode,
    anthropic, claude_code, gemini, openai,
};
use crate::replay::{RecordingBackend, ReplayBackend};
use crate::structured::{StructuredBackend, StructuredOptions};
use pact_core::config::Config;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BACKENDS: &[&str] = &[
    "anthropic",
    "openai",
    "gemini",
    "openai_compatible",
    "claude_code",
    "replay",
];

/// The agent roles of the pipeline.
pub const ROLES: &[&str] = &[
    "decomposer",
    "contract_author",
    "test_author",
    "code_author",
    "trace_analyst",
    "shaper",
    "interviewer",
];

/// The environment variables the router reads.
pub const ENV_VARS: &[&str] = &[
    "PACT_BACKEND",
    "PACT_MODEL",
    "PACT_REPLAY_FILE",
    "PACT_CLAUDE_BIN",
    "PACT_STRUCTURED_MODE",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
    "GEMINI_MODEL",
    "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_BASE_URL",
    "OPENAI_COMPATIBLE_MODEL",
];

/// Where a backend's settings come from: the variables it reads and their defaults (the table
/// above). Names only, never values; the router builds providers from this, and `pact doctor`
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// An HTTP API: a key (the first of `key_vars` that is set) and a base URL.
    Http {
        key_vars: &'static [&'static str],
        /// `false` for a local server, which may need no key.
        key_required: bool,
        base_url_var: &'static str,
        default_base_url: &'static str,
    },
    /// A command-line program that uses its own login.
    Cli {
        binary_var: &'static str,
        default_binary: &'static str,
    },
    /// Answers from a recording (`--replay FILE`, or this variable).
    Recording { file_var: &'static str },
}

/// What `backend` (any spelling the router accepts) needs; `None` for an unknown backend.
pub fn needs(backend: &str) -> Option<Needs> {
    Some(match normalize_backend(backend).as_str() {
        "anthropic" => Needs::Http {
            key_vars: &[anthropic::KEY_VAR],
            key_required: true,
            base_url_var: "ANTHROPIC_BASE_URL",
            default_base_url: anthropic::DEFAULT_BASE_URL,
        },
        "openai" => Needs::Http {
            key_vars: &[openai::KEY_VAR],
            key_required: true,
            base_url_var: "OPENAI_BASE_URL",
            default_base_url: openai::DEFAULT_BASE_URL,
        },
        "gemini" => Needs::Http {
            key_vars: &[gemini::KEY_VAR, "GOOGLE_API_KEY"],
            key_required: true,
            base_url_var: "GEMINI_BASE_URL",
            default_base_url: gemini::DEFAULT_BASE_URL,
        },
        "openai_compatible" => Needs::Http {
            key_vars: &[openai::COMPATIBLE_KEY_VAR],
            key_required: false,
            base_url_var: "OPENAI_COMPATIBLE_BASE_URL",
            default_base_url: openai::COMPATIBLE_DEFAULT_BASE_URL,
        },
        "claude_code" => Needs::Cli {
            binary_var: "PACT_CLAUDE_BIN",
            default_binary: claude_code::DEFAULT_BINARY,
        },
        "replay" => Needs::Recording {
            file_var: "PACT_REPLAY_FILE",
        },
        _ => return None,
    })
}

/// A snapshot of the environment variables the router uses, so tests can give their own.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for Env {
    /// Names only: values include API keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("Env").field("set", &names).finish()
    }
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_pairs(
            ENV_VARS
                .iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (*k, v))),
        )
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value, if set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct RouterOptions {
    /// The project: its `.pact/budget.json` is kept, and raw answers go to `.pact/raw/`.
    pub project_root: Option<PathBuf>,
    /// Append every answer to this recording (`--record FILE`).
    pub record: Option<PathBuf>,
    /// Answer every role from this recording (`--replay FILE`).
    pub replay: Option<PathBuf>,
    pub http: HttpOptions,
    pub claude_timeout: Duration,
    pub max_repairs: u32,
    /// Check and record spend in the project's budget (needs `project_root`).
    pub track_budget: bool,
}

impl Default for RouterOptions {
    fn default() -> Self {
        Self {
            project_root: None,
            record: None,
            replay: None,
            http: HttpOptions::default(),
            claude_timeout: claude_code::DEFAULT_TIMEOUT,
            max_repairs: StructuredOptions::default().max_repairs,
            track_budget: true,
        }
    }
}

/// Where a role's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub role: String,
    pub backend: String,
    pub model: String,
}

pub struct Router {
    config: Config,
    env: Env,
    options: RouterOptions,
    pricing: PricingTable,
    budget: Option<Arc<BudgetTracker>>,
    replay: Mutex<Option<Arc<ReplayBackend>>>,
}

impl Router {
    pub fn new(config: Config, env: Env, options: RouterOptions) -> Self {
        let pricing = PricingTable::from_config(&config);
        let budget = match (&options.project_root, options.track_budget) {
            (Some(root), true) => Some(Arc::new(BudgetTracker::for_project(root, config.budget()))),
            _ => None,
        };
        Self {
            config,
            env,
            options,
            pricing,
            budget,
            replay: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The environment the router reads keys, URLs and overrides from.
    pub fn env(&self) -> &Env {
        &self.env
    }
    /// The recording the `replay` backend answers from: `--replay`, else `PACT_REPLAY_FILE`.
    pub fn replay_file(&self) -> Option<PathBuf> {
        self.options
            .replay
            .clone()
            .or_else(|| self.env.get("PACT_REPLAY_FILE").map(PathBuf::from))
    }
    pub fn pricing(&self) -> &PricingTable {
        &self.pricing
    }
    /// The project's budget tracker, shared by every backend this router builds.
    pub fn budget(&self) -> Option<Arc<BudgetTracker>> {
        self.budget.clone()
    }

    /// The model of a `model_tiers` tier (`primary`, `research`, `fast`).
    pub fn tier_model(&self, tier: &str) -> Option<String> {
        let t = self.config.model_tiers();
        match tier {
            "primary" => Some(t.primary.clone()),
            "research" => Some(t.research.clone()),
            "fast" => Some(t.fast.clone()),
            _ => None,
        }
    }

    pub fn route(&self, role: &str) -> Route {
        let backend = if self.options.replay.is_some() {
            "replay".to_string()
        } else {
            self.env
                .get("PACT_BACKEND")
                .map(str::to_string)
                .unwrap_or_else(|| self.config.role_backend(role))
        };
        let backend = normalize_backend(&backend);
        let model = self
            .env
            .get("PACT_MODEL")
            .map(str::to_string)
            .unwrap_or_else(|| self.config.role_model(role));
        let model = self.tier_model(&model).unwrap_or(model);
        Route {
            role: role.to_string(),
            model: self.model_for_backend(&backend, model),
            backend,
        }
    }

    /// A model meant for another provider (the global defaults name Claude models) is replaced
    /// by this provider's default rather than sent to an API that cannot serve it.
    fn model_for_backend(&self, backend: &str, model: String) -> String {
        let foreign = |prefixes: &[&str]| prefixes.iter().any(|p| model.starts_with(p));
        match backend {
            "openai" if foreign(&["claude", "gemini"]) => {
                self.env.get("OPENAI_MODEL").unwrap_or("gpt-4o").to_string()
            }
            "gemini" if foreign(&["claude", "gpt", "o1", "o3"]) => self
                .env
                .get("GEMINI_MODEL")
                .unwrap_or(gemini::DEFAULT_MODEL)
                .to_string(),
            "openai_compatible" => match self.env.get("OPENAI_COMPATIBLE_MODEL") {
                Some(m) if foreign(&["claude", "gemini"]) => m.to_string(),
                _ => model,
            },
            _ => model,
        }
    }

    /// The price a backend's model is charged at: a local server's unknown model is free.
    pub fn price_for(&self, backend: &str, model: &str) -> (Price, PriceSource) {
        match (backend, self.pricing.lookup(model)) {
            (_, Some(found)) => found,
            ("openai_compatible", None) => (Price::FREE, PriceSource::Unknown),
            _ => self.pricing.price(model),
        }
    }

    /// The backend for a role, wrapped for recording when `--record` is on.
    pub fn backend_for(&self, role: &str) -> Result<Arc<dyn Backend>> {
        let route = self.route(role);
        self.build(&route)
    }

    /// The backend for a role with another model (e.g. the `fast` tier for a cheap check).
    pub fn backend_with_model(&self, role: &str, model: &str) -> Result<Arc<dyn Backend>> {
        let mut route = self.route(role);
        let model = self.tier_model(model).unwrap_or_else(|| model.to_string());
        route.model = self.model_for_backend(&route.backend, model);
        self.build(&route)
    }

    pub fn build(&self, route: &Route) -> Result<Arc<dyn Backend>> {
        let backend: Arc<dyn Backend> = match route.backend.as_str() {
            "replay" => return Ok(self.replay_backend()?),
            name => {
                let provider = self.provider(name, route)?;
                let (price, _) = self.price_for(name, &route.model);
                let mut b =
                    StructuredBackend::new(provider, price).with_options(StructuredOptions {
                        max_repairs: self.options.max_repairs,
                        raw_dir: match &self.options.project_root {
                            Some(root) => root.join(".pact").join("raw"),
                            None => StructuredOptions::default().raw_dir,
                        },
                        ..StructuredOptions::default()
                    });
                if let Some(budget) = &self.budget {
                    b = b.with_budget(budget.clone());
                }
                Arc::new(b)
            }
        };
        Ok(match &self.options.record {
            Some(file) => Arc::new(RecordingBackend::new(backend, file.clone())),
            None => backend,
        })
    }

    fn replay_backend(&self) -> Result<Arc<ReplayBackend>> {
        let mut cached = self.replay.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = cached.as_ref() {
            return Ok(r.clone());
        }
        let file = self.replay_file().ok_or_else(|| {
            AgentError::Config(
                "the replay backend needs a recording: pass --replay FILE or set PACT_REPLAY_FILE"
                    .into(),
            )
        })?;
        let r = Arc::new(ReplayBackend::open(&file)?);
        *cached = Some(r.clone());
        Ok(r)
    }

    fn http_options(&self, role: &str) -> HttpOptions {
        let mut http = self.options.http.clone();
        if let Some(t) = self.role_timeout(role) {
            http.timeouts.request = t;
        }
        http
    }

    /// `role_timeouts[role]` in seconds, project over global.
    fn role_timeout(&self, role: &str) -> Option<Duration> {
        let timeouts = self
            .config
            .project
            .role_timeouts
            .as_ref()
            .unwrap_or(&self.config.global.role_timeouts);
        timeouts
            .get(role)
            .filter(|s| **s > 0)
            .map(|s| Duration::from_secs(*s))
    }

    fn key(&self, backend: &str, vars: &[&str]) -> Result<String> {
        vars.iter()
            .find_map(|v| self.env.get(v))
            .map(str::to_string)
            .ok_or_else(|| AgentError::MissingKey {
                backend: backend.to_string(),
                var: vars[0].to_string(),
            })
    }

    fn structured_mode(&self) -> Result<Option<StructuredMode>> {
        match self.env.get("PACT_STRUCTURED_MODE") {
            None => Ok(None),
            Some(m) => StructuredMode::parse(m).map(Some).ok_or_else(|| {
                AgentError::Config(format!(
                    "PACT_STRUCTURED_MODE=`{m}`: expected tool, json_schema or json_object"
                ))
            }),
        }
    }

    fn provider(&self, name: &str, route: &Route) -> Result<Arc<dyn crate::backend::Provider>> {
        let http = self.http_options(&route.role);
        let unknown = || AgentError::UnknownBackend {
            name: name.to_string(),
            available: BACKENDS.join(", "),
        };
        Ok(match needs(name).ok_or_else(unknown)? {
            Needs::Cli {
                binary_var,
                default_binary,
            } => {
                let timeout = self
                    .role_timeout(&route.role)
                    .unwrap_or(self.options.claude_timeout);
                let binary = self.env.get(binary_var).unwrap_or(default_binary);
                let mut p = ClaudeCodeProvider::new(binary, &route.model, timeout);
                if let Some(root) = &self.options.project_root {
                    p = p.cwd(root.clone());
                }
                Arc::new(p)
            }
            // Answered by `build` before a provider is asked for.
            Needs::Recording { .. } => return Err(unknown()),
            Needs::Http {
                key_vars,
                key_required,
                base_url_var,
                default_base_url,
            } => {
                let url = self.env.get(base_url_var).unwrap_or(default_base_url);
                let key = if key_required {
                    Some(self.key(name, key_vars)?)
                } else {
                    key_vars
                        .iter()
                        .find_map(|v| self.env.get(v))
                        .map(str::to_string)
                };
                let required = || key.clone().unwrap_or_default();
                match name {
                    "anthropic" => Arc::new(AnthropicProvider::new(
                        url,
                        &required(),
                        &route.model,
                        http,
                    )?),
                    "gemini" => {
                        Arc::new(GeminiProvider::new(url, &required(), &route.model, http)?)
                    }
                    "openai" | "openai_compatible" => {
                        let mut p = if name == "openai" {
                            OpenAiProvider::openai(url, &required(), &route.model, http)?
                        } else {
                            OpenAiProvider::compatible(url, key.as_deref(), &route.model, http)?
                        };
                        if let Some(mode) = self.structured_mode()? {
                            p = p.with_mode(mode);
                        }
                        Arc::new(p)
                    }
                    _ => return Err(unknown()),
                }
            }
        })
    }
}

/// Case and dashes do not matter; the original's team variants answer structured calls like
/// their single-agent backends; `ollama` and `local` name the OpenAI-compatible backend.
fn normalize_backend(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase().replace('-', "_");
    match n.as_str() {
        "claude_code_team" | "claude" => "claude_code".into(),
        "ollama" | "local" | "openai_compat" => "openai_compatible".into(),
        _ => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pact_core::config::{GlobalConfig, ProjectConfig};

    fn router(project: ProjectConfig, env: &[(&str, &str)]) -> Router {
        Router::new(
            Config::from_parts(GlobalConfig::default(), project),
            Env::from_pairs(env.iter().copied()),
            RouterOptions::default(),
        )
    }

    #[test]
    fn routes_follow_config_then_env() {
        let mut p = ProjectConfig::default();
        p.role_backends
            .insert("code_author".into(), "claude-code".into());
        p.role_models.insert("trace_analyst".into(), "fast".into());
        let r = router(p.clone(), &[]);
        assert_eq!(
            r.route("decomposer"),
            Route {
                role: "decomposer".into(),
                backend: "anthropic".into(),
                model: "claude-opus-4-6".into()
            }
        );
        assert_eq!(r.route("code_author").backend, "claude_code");
        assert_eq!(r.route("test_author").model, "claude-sonnet-4-5-20250929");
        assert_eq!(
            r.route("trace_analyst").model,
            "claude-haiku-4-5-20251001",
            "tier names resolve"
        );
        let r = router(
            p,
            &[("PACT_BACKEND", "openai"), ("OPENAI_MODEL", "gpt-4o-mini")],
        );
        assert_eq!(r.route("code_author").backend, "openai");
        assert_eq!(
            r.route("code_author").model,
            "gpt-4o-mini",
            "a Claude model is not sent to OpenAI"
        );
    }

    #[test]
    fn local_models_and_unknown_backends() {
        let p = ProjectConfig {
            backend: "ollama".into(),
            model: "llama3.1:8b".into(),
            ..ProjectConfig::default()
        };
        let r = router(p, &[]);
        let route = r.route("decomposer");
        assert_eq!(
            (route.backend.as_str(), route.model.as_str()),
            ("openai_compatible", "llama3.1:8b")
        );
        assert_eq!(
            r.price_for("openai_compatible", "llama3.1:8b").0,
            Price::FREE
        );
        assert!(
            r.backend_for("decomposer").is_ok(),
            "no key needed for a local server"
        );

        let p = ProjectConfig {
            backend: "bedrock".into(),
            ..ProjectConfig::default()
        };
        let msg = router(p, &[])
            .backend_for("decomposer")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("unknown backend `bedrock`") && msg.contains("openai_compatible"),
            "{msg}"
        );
    }

    #[test]
    fn missing_keys_name_the_variable() {
        let msg = router(ProjectConfig::default(), &[])
            .backend_for("decomposer")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("ANTHROPIC_API_KEY is not set"), "{msg}");
        let p = ProjectConfig {
            backend: "gemini".into(),
            ..ProjectConfig::default()
        };
        let r = router(p.clone(), &[]);
        let msg = r
            .backend_for("x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("GEMINI_API_KEY"), "{msg}");
        assert!(
            router(p, &[("GOOGLE_API_KEY", "k")])
                .backend_for("x")
                .is_ok()
        );
        let replay = ProjectConfig {
            backend: "replay".into(),
            ..ProjectConfig::default()
        };
        let msg = router(replay, &[])
            .backend_for("x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("PACT_REPLAY_FILE"), "{msg}");
    }

    #[test]
    fn every_backend_says_what_it_needs_by_any_of_its_names() {
        for b in BACKENDS {
            assert!(needs(b).is_some(), "{b}");
        }
        assert_eq!(needs("Claude-Code"), needs("claude_code"));
        assert_eq!(needs("ollama"), needs("openai_compatible"));
        assert_eq!(needs("bedrock"), None);
        match needs("gemini") {
            Some(Needs::Http {
                key_vars,
                key_required: true,
                ..
            }) => assert_eq!(key_vars, ["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            needs("openai_compatible"),
            Some(Needs::Http {
                key_required: false,
                ..
            })
        ));
        // `--replay` comes before PACT_REPLAY_FILE.
        let env = Env::from_pairs([("PACT_REPLAY_FILE", "env.jsonl")]);
        let r = Router::new(Config::default(), env.clone(), RouterOptions::default());
        assert_eq!(r.replay_file(), Some(PathBuf::from("env.jsonl")));
        let r = Router::new(
            Config::default(),
            env,
            RouterOptions {
                replay: Some("flag.jsonl".into()),
                ..RouterOptions::default()
            },
        );
        assert_eq!(r.replay_file(), Some(PathBuf::from("flag.jsonl")));
    }

    #[test]
    fn env_debug_hides_values() {
        let e = Env::from_pairs([("ANTHROPIC_API_KEY", "sk-ant-secret")]);
        let shown = format!("{e:?}");
        assert!(
            shown.contains("ANTHROPIC_API_KEY") && !shown.contains("sk-ant-secret"),
            "{shown}"
        );
        assert_eq!(Env::from_pairs([("A", "  ")]).get("A"), None);
    }
}
