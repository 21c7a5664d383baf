//! Global `config.yaml` and per-project `pact.yaml`, merged: project over global over defaults.
//!
//! YAML is read with serde-saphyr: serde_yaml is archived and serde_yml is unmaintained
//! (RUSTSEC-2025-0068); serde-saphyr is pure Rust, maintained, panic-free on hostile input and
//! reports errors with line and column.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The build modes the original defines (`hierarchy` decomposes as `auto` does).
const BUILD_MODES: &[&str] = &["auto", "unary", "hierarchy"];

/// A key whose value is not one Pact knows, with the line it is on.
fn invalid_value(path: &Path, text: &str, key: &str, value: &str, expected: &str) -> ConfigError {
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map(|i| format!(":{}", i + 1))
        .unwrap_or_default();
    ConfigError::Invalid {
        path: PathBuf::from(format!("{}{line}", path.display())),
        message: format!("`{key}: {value}` is not one Pact knows (expected {expected})"),
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    /// A value Pact does not know (`path` ends with `:line`).
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Yaml { path: PathBuf, message: String },
    /// Not a regular file (a FIFO, a device, a link loop), too large, or not text: refused
    /// before it is read, never taken for "no config".
    #[error("{path} {reason}")]
    Unreadable {
        path: PathBuf,
        reason: crate::store::fsio::ReadError,
    },
}

/// A config key this version of Pact does not know: kept out of the way, reported, not fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelTiers {
    pub primary: String,
    pub research: String,
    pub fast: String,
}

impl Default for ModelTiers {
    fn default() -> Self {
        Self {
            primary: "claude-opus-4-6".into(),
            research: "claude-sonnet-4-5-20250929".into(),
            fast: "claude-haiku-4-5-20251001".into(),
        }
    }
}

/// `monitoring_budget` caps (USD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitoringBudget {
    pub per_incident_cap: f64,
    pub hourly_cap: f64,
    pub daily_cap: f64,
    pub weekly_cap: f64,
    pub monthly_cap: f64,
}

impl Default for MonitoringBudget {
    fn default() -> Self {
        Self {
            per_incident_cap: 5.0,
            hourly_cap: 10.0,
            daily_cap: 25.0,
            weekly_cap: 100.0,
            monthly_cap: 300.0,
        }
    }
}

macro_rules! global_config {
    ($($(#[$m:meta])* $key:ident : $ty:ty = $default:expr),+ $(,)?) => {
        /// `config.yaml`: every key of the original's `GlobalConfig`, with its default.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct GlobalConfig { $($(#[$m])* pub $key: $ty),+ }
        impl Default for GlobalConfig {
            fn default() -> Self { Self { $($key: $default),+ } }
        }
        impl GlobalConfig {
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),+];
        }
    };
}

fn s(v: &str) -> String {
    v.to_string()
}
fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs.iter().map(|(k, v)| (s(k), s(v))).collect()
}

global_config! {
    model: String = s("claude-opus-4-6"),
    default_budget: f64 = 10.0,
    check_interval: u64 = 300,
    role_models: IndexMap<String, String> = map(&[
        ("decomposer", "claude-opus-4-6"), ("contract_author", "claude-opus-4-6"),
        ("test_author", "claude-sonnet-4-5-20250929"), ("code_author", "claude-opus-4-6"),
        ("trace_analyst", "claude-opus-4-6")]),
    role_backends: IndexMap<String, String> = map(&[
        ("decomposer", "anthropic"), ("contract_author", "anthropic"), ("test_author", "claude_code"),
        ("code_author", "claude_code"), ("trace_analyst", "claude_code")]),
    max_implementation_attempts: u32 = 3,
    max_plan_revisions: u32 = 2,
    max_phase_cycles: u32 = 3,
    autonomous_timeout: u64 = 600,
    parallel_components: bool = false,
    competitive_implementations: bool = false,
    competitive_agents: u32 = 2,
    max_concurrent_agents: u32 = 4,
    plan_only: bool = false,
    /// Per million tokens: `[input, output]`.
    model_pricing: IndexMap<String, Vec<f64>> = IndexMap::new(),
    slack_webhook: String = String::new(),
    linear_api_key: String = String::new(),
    linear_team_id: String = String::new(),
    git_auto_commit: bool = false,
    git_auto_branch: bool = false,
    slack_bot_token: String = String::new(),
    slack_channel: String = String::new(),
    poll_integrations: bool = false,
    poll_interval: u64 = 60,
    max_poll_attempts: u32 = 10,
    context_max_chars: u64 = 4000,
    shaping: bool = false,
    shaping_depth: String = s("standard"),
    shaping_rigor: String = s("moderate"),
    shaping_budget_pct: f64 = 0.15,
    environment: serde_json::Map<String, serde_json::Value> = Default::default(),
    impatience: String = s("normal"),
    role_timeouts: IndexMap<String, u64> = IndexMap::new(),
    model_tiers: ModelTiers = ModelTiers::default(),
    build_mode: String = s("auto"),
    monitoring_enabled: bool = false,
    monitoring_auto_remediate: bool = true,
    monitoring_budget: MonitoringBudget = MonitoringBudget::default(),
    monitoring_log_key_prefix: String = s("PACT"),
    /// The Python that managed test environments are made from ("" = `python3` on PATH).
    python: String = String::new(),
    /// The Node.js that runs JavaScript and TypeScript suites ("" = `node` on PATH).
    node: String = String::new(),
}

macro_rules! project_config {
    ($($(#[$m:meta])* $key:ident : $ty:ty = $default:expr),+ $(,)?) => {
        /// `pact.yaml`: the original's `ProjectConfig`; `None` means "inherit the global value".
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct ProjectConfig { $($(#[$m])* pub $key: $ty),+ }
        impl Default for ProjectConfig {
            fn default() -> Self { Self { $($key: $default),+ } }
        }
        impl ProjectConfig {
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),+];
        }
    };
}

project_config! {
    budget: f64 = 10.0,
    model: String = String::new(),
    backend: String = s("anthropic"),
    check_interval: u64 = 0,
    max_implementation_attempts: u32 = 0,
    role_models: IndexMap<String, String> = IndexMap::new(),
    role_backends: IndexMap<String, String> = IndexMap::new(),
    parallel_components: Option<bool> = None,
    competitive_implementations: Option<bool> = None,
    competitive_agents: Option<u32> = None,
    max_concurrent_agents: Option<u32> = None,
    plan_only: Option<bool> = None,
    max_plan_revisions: Option<u32> = None,
    slack_webhook: String = String::new(),
    linear_api_key: String = String::new(),
    linear_team_id: String = String::new(),
    git_auto_commit: Option<bool> = None,
    git_auto_branch: Option<bool> = None,
    slack_bot_token: String = String::new(),
    slack_channel: String = String::new(),
    poll_integrations: Option<bool> = None,
    poll_interval: Option<u64> = None,
    max_poll_attempts: Option<u32> = None,
    context_max_chars: Option<u64> = None,
    shaping: Option<bool> = None,
    shaping_depth: Option<String> = None,
    shaping_rigor: Option<String> = None,
    shaping_budget_pct: Option<f64> = None,
    environment: Option<serde_json::Map<String, serde_json::Value>> = None,
    impatience: Option<String> = None,
    role_timeouts: Option<IndexMap<String, u64>> = None,
    model_tiers: Option<ModelTiers> = None,
    build_mode: Option<String> = None,
    language: String = s("python"),
    /// The Python that managed test environments are made from (overrides config.yaml's).
    python: Option<String> = None,
    /// The Node.js that runs JavaScript and TypeScript suites (overrides config.yaml's).
    node: Option<String> = None,
    /// Packages the contract tests need besides pytest (pip requirement lines); a
    /// `requirements.txt` in the project adds its lines too.
    python_requirements: Vec<String> = Vec::new(),
    test_framework: String = String::new(),
    health_thresholds: IndexMap<String, f64> = IndexMap::new(),
    model_pricing: IndexMap<String, Vec<f64>> = IndexMap::new(),
    monitoring_log_files: Vec<String> = Vec::new(),
    monitoring_process_patterns: Vec<String> = Vec::new(),
    monitoring_webhook_port: u16 = 0,
    monitoring_error_patterns: Vec<String> = vec![s("ERROR"), s("CRITICAL"), s("Traceback")],
    monitoring_auto_remediate: Option<bool> = None,
    monitoring_budget: Option<MonitoringBudget> = None,
    /// Tests must fail against the interface stub before they are accepted (default on).
    red_first: Option<bool> = None,
    /// The test author also writes a held-out suite the code agent never sees (default on).
    held_out_tests: Option<bool> = None,
    /// Suites whose mutation score is below this are flagged as weak (default 0.6).
    mutation_threshold: Option<f64> = None,
    /// At most this many mutants per component (default 40).
    max_mutants: Option<u32> = None,
    /// A Python component is done only when its suite kills at least `mutation_threshold` of
    /// the mutants of its accepted implementation (default on).
    mutation_gate: Option<bool> = None,
    // Keys of the original's later versions, accepted so their projects load without warnings.
    processing_register: String = String::new(),
    package_namespace: String = String::new(),
    readiness: Option<serde_json::Value> = None,
    production_profile: bool = false,
    audit_mode: String = String::new(),
}

/// The configuration a run uses: global and project merged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub global: GlobalConfig,
    pub project: ProjectConfig,
    pub warnings: Vec<ConfigWarning>,
}

impl Config {
    /// Reads the global config (see [`global_config_path`]) and the project's `pact.yaml`.
    pub fn load(project_yaml: &Path) -> Result<Self, ConfigError> {
        let mut warnings = Vec::new();
        let global = match global_config_path() {
            Some(p) if p.is_file() => read_yaml(&p, GlobalConfig::KEYS, &mut warnings)?,
            _ => GlobalConfig::default(),
        };
        // Anything named pact.yaml is read (a FIFO or a link to a device is an error, not "no
        // config").
        let project: ProjectConfig = if std::fs::symlink_metadata(project_yaml).is_ok() {
            read_yaml(project_yaml, ProjectConfig::KEYS, &mut warnings)?
        } else {
            ProjectConfig::default()
        };
        // Values Pact would otherwise replace silently (a typo'd language runs Python tests).
        let text = || {
            crate::store::fsio::read_text(project_yaml, crate::json::MAX_DOCUMENT_BYTES as u64)
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        let lang = project.language.trim();
        if !lang.is_empty() && crate::model::TestLanguage::parse(lang).is_none() {
            return Err(invalid_value(
                project_yaml,
                &text(),
                "language",
                lang,
                "python, typescript or javascript",
            ));
        }
        if let Some(mode) = project.build_mode.as_deref()
            && !BUILD_MODES.contains(&mode)
        {
            return Err(invalid_value(
                project_yaml,
                &text(),
                "build_mode",
                mode,
                "auto, unary or hierarchy",
            ));
        }
        Ok(Self {
            global,
            project,
            warnings,
        })
    }

    pub fn from_parts(global: GlobalConfig, project: ProjectConfig) -> Self {
        Self {
            global,
            project,
            warnings: Vec::new(),
        }
    }

    pub fn budget(&self) -> f64 {
        self.project.budget
    }
    pub fn model(&self) -> &str {
        if self.project.model.is_empty() {
            &self.global.model
        } else {
            &self.project.model
        }
    }
    /// The model a role uses: project role_models, global role_models, then the project/global model.
    pub fn role_model(&self, role: &str) -> String {
        self.project
            .role_models
            .get(role)
            .filter(|m| !m.is_empty())
            .or_else(|| {
                // A project that names its own model means it, over the global role defaults.
                if self.project.model.is_empty() {
                    self.global.role_models.get(role)
                } else {
                    None
                }
            })
            .cloned()
            .unwrap_or_else(|| self.model().to_string())
    }
    /// The backend a role uses: project role_backends, then the project's `backend`.
    pub fn role_backend(&self, role: &str) -> String {
        self.project
            .role_backends
            .get(role)
            .filter(|b| !b.is_empty())
            .cloned()
            .unwrap_or_else(|| self.project.backend.clone())
    }
    pub fn max_implementation_attempts(&self) -> u32 {
        match self.project.max_implementation_attempts {
            0 => self.global.max_implementation_attempts,
            n => n,
        }
    }
    pub fn max_plan_revisions(&self) -> u32 {
        self.project
            .max_plan_revisions
            .unwrap_or(self.global.max_plan_revisions)
    }
    pub fn parallel_components(&self) -> bool {
        self.project
            .parallel_components
            .unwrap_or(self.global.parallel_components)
    }
    pub fn competitive_implementations(&self) -> bool {
        self.project
            .competitive_implementations
            .unwrap_or(self.global.competitive_implementations)
    }
    pub fn competitive_agents(&self) -> u32 {
        self.project
            .competitive_agents
            .unwrap_or(self.global.competitive_agents)
            .max(1)
    }
    pub fn max_concurrent_agents(&self) -> u32 {
        self.project
            .max_concurrent_agents
            .unwrap_or(self.global.max_concurrent_agents)
            .max(1)
    }
    pub fn plan_only(&self) -> bool {
        self.project.plan_only.unwrap_or(self.global.plan_only)
    }
    pub fn shaping(&self) -> bool {
        self.project.shaping.unwrap_or(self.global.shaping)
    }
    pub fn shaping_budget_pct(&self) -> f64 {
        self.project
            .shaping_budget_pct
            .unwrap_or(self.global.shaping_budget_pct)
    }
    pub fn red_first(&self) -> bool {
        self.project.red_first.unwrap_or(true)
    }
    pub fn held_out_tests(&self) -> bool {
        self.project.held_out_tests.unwrap_or(true)
    }
    pub fn mutation_threshold(&self) -> f64 {
        self.project.mutation_threshold.unwrap_or(0.6)
    }
    pub fn max_mutants(&self) -> usize {
        self.project.max_mutants.unwrap_or(40) as usize
    }
    pub fn mutation_gate(&self) -> bool {
        self.project.mutation_gate.unwrap_or(true)
    }
    /// Mutants per component in the build's own mutation pass: `max_mutants`, at most 20, so
    /// a build does not run its tests forty more times per component.
    pub fn gate_mutants(&self) -> usize {
        self.max_mutants().min(20)
    }
    pub fn build_mode(&self) -> &str {
        self.project
            .build_mode
            .as_deref()
            .unwrap_or(&self.global.build_mode)
    }
    pub fn model_tiers(&self) -> &ModelTiers {
        self.project
            .model_tiers
            .as_ref()
            .unwrap_or(&self.global.model_tiers)
    }
    pub fn monitoring_auto_remediate(&self) -> bool {
        self.project
            .monitoring_auto_remediate
            .unwrap_or(self.global.monitoring_auto_remediate)
    }
    pub fn monitoring_budget(&self) -> &MonitoringBudget {
        self.project
            .monitoring_budget
            .as_ref()
            .unwrap_or(&self.global.monitoring_budget)
    }
    /// The configured Python interpreter, project over global; `None` means "find one on PATH".
    pub fn python(&self) -> Option<&str> {
        self.project
            .python
            .as_deref()
            .or(Some(self.global.python.as_str()))
            .filter(|p| !p.trim().is_empty())
    }
    /// The configured Node.js, project over global; `None` means "find one on PATH".
    pub fn node(&self) -> Option<&str> {
        self.project
            .node
            .as_deref()
            .or(Some(self.global.node.as_str()))
            .filter(|p| !p.trim().is_empty())
    }
    /// `model_pricing` entries, project over global: model → (input, output) USD per million tokens.
    pub fn pricing_override(&self, model: &str) -> Option<(f64, f64)> {
        let pair = self
            .project
            .model_pricing
            .get(model)
            .or_else(|| self.global.model_pricing.get(model))?;
        match pair.as_slice() {
            [i, o, ..] => Some((*i, *o)),
            _ => None,
        }
    }
}

/// `$PACT_CONFIG`, else `$XDG_CONFIG_HOME/pact/config.yaml`, else `~/.config/pact/config.yaml`.
pub fn global_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PACT_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("pact").join("config.yaml"))
}

fn read_yaml<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
    known: &[&str],
    warnings: &mut Vec<ConfigWarning>,
) -> Result<T, ConfigError> {
    let text = crate::store::fsio::read_text(path, crate::json::MAX_DOCUMENT_BYTES as u64)
        .map_err(|reason| ConfigError::Unreadable {
            path: path.into(),
            reason,
        })?
        .unwrap_or_default();
    parse_yaml(&text, path, known, warnings)
}

/// Parses one config file. An empty file is the defaults; unknown keys become warnings.
pub fn parse_yaml<T: serde::de::DeserializeOwned + Default>(
    text: &str,
    path: &Path,
    known: &[&str],
    warnings: &mut Vec<ConfigWarning>,
) -> Result<T, ConfigError> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    let yaml_err = |e: serde_saphyr::Error| ConfigError::Yaml {
        path: path.into(),
        message: e.to_string(),
    };
    let keys: Option<IndexMap<String, serde::de::IgnoredAny>> = serde_saphyr::from_str(text)
        .map_err(|e| ConfigError::Yaml {
            path: path.into(),
            message: format!("expected a mapping of keys to values: {e}"),
        })?;
    for key in keys.unwrap_or_default().keys() {
        if !known.contains(&key.as_str()) {
            let hint = crate::gate::nearest(key, known.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            warnings.push(ConfigWarning {
                path: path.into(),
                message: format!("unknown key `{key}` is ignored{hint}"),
            });
        }
    }
    serde_saphyr::from_str::<Option<T>>(text)
        .map(Option::unwrap_or_default)
        .map_err(yaml_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #15: a pact.yaml that is not a file is an error that says so, at once — never a
    /// hang on a FIFO, never a read of `/dev/zero`, never silently the defaults.
    #[cfg(unix)]
    #[test]
    fn a_special_or_huge_pact_yaml_is_refused_at_once() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let yaml = dir.path().join("pact.yaml");
        let load = |p: &Path| {
            let p = p.to_path_buf();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(Config::load(&p).err().map(|e| e.to_string()));
            });
            rx.recv_timeout(std::time::Duration::from_secs(5))
                .expect("Config::load returned within 5 s")
        };
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&yaml)
                .status()?
                .success()
        );
        let err = load(&yaml).unwrap_or_default();
        assert!(
            err.ends_with("pact.yaml is a FIFO (named pipe), not a regular file"),
            "{err}"
        );
        std::fs::remove_file(&yaml)?;
        std::os::unix::fs::symlink("/dev/zero", &yaml)?;
        let err = load(&yaml).unwrap_or_default();
        assert!(
            err.ends_with("is a character device, not a regular file"),
            "{err}"
        );
        std::fs::remove_file(&yaml)?;
        std::fs::File::create(&yaml)?.set_len(100 * 1024 * 1024)?;
        let err = load(&yaml).unwrap_or_default();
        assert!(
            err.ends_with("is too large: 100 MB, over the 16 MB limit"),
            "{err}"
        );
        Ok(())
    }

    fn project(text: &str) -> (Result<ProjectConfig, ConfigError>, Vec<ConfigWarning>) {
        let mut w = Vec::new();
        (
            parse_yaml(text, Path::new("pact.yaml"), ProjectConfig::KEYS, &mut w),
            w,
        )
    }

    #[test]
    fn defaults_and_overrides() {
        let (cfg, warnings) =
            project("budget: 25.0\nparallel_components: true\ncompetitive_agents: 3\n");
        let cfg = cfg.expect("valid yaml");
        assert!(warnings.is_empty());
        let merged = Config::from_parts(GlobalConfig::default(), cfg);
        assert_eq!(merged.budget(), 25.0);
        assert!(merged.parallel_components());
        assert!(!merged.competitive_implementations());
        assert_eq!(merged.competitive_agents(), 3);
        assert_eq!(merged.max_concurrent_agents(), 4);
        assert_eq!(
            merged.role_model("test_author"),
            "claude-sonnet-4-5-20250929"
        );
        assert_eq!(merged.role_backend("code_author"), "anthropic");
        assert_eq!(merged.max_implementation_attempts(), 3);
    }

    #[test]
    fn unknown_keys_warn_with_a_suggestion() {
        let (cfg, warnings) = project("budgett: 3\n");
        assert!(cfg.is_ok());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].message.contains("did you mean `budget`"),
            "{:?}",
            warnings[0]
        );
    }

    #[test]
    fn wrong_types_are_errors_with_a_position() {
        let (cfg, _) = project("budget: lots\n");
        let msg = cfg.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("pact.yaml"), "{msg}");
        assert!(msg.contains("line 1") || msg.contains("1:"), "{msg}");
    }

    #[test]
    fn empty_and_garbage_files() {
        assert_eq!(project("").0.ok(), Some(ProjectConfig::default()));
        assert!(project("- a\n- b\n").0.is_err());
        assert!(project("\u{0}\u{1}binary").0.is_err());
    }

    #[test]
    fn sample_project_config_loads() {
        let text = "budget: 10.0\nplan_only: true\nlanguage: python\nreadiness:\n  security: {level: standard, controls: []}\n";
        let (cfg, warnings) = project(text);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(cfg.ok().and_then(|c| c.plan_only), Some(true));
    }
}
