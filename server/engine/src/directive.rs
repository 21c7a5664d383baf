//! Directives: what a human (or a script) tells a running daemon through `pact signal`.
//!
//! A directive is one line: a JSON object `{"type": …, …}` or a bare word (`resume`,
//! `shutdown`, as the seed's senders write them). It is parsed and checked in full before
//! anything happens — a malformed directive is rejected with a message and changes nothing.
//! Applied directives change the daemon's configuration in memory only (never `pact.yaml`)
//! and are recorded in the audit trail.

use crate::engine::Engine;
use pact_core::model::{ImplementationStatus, TaskStatus};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use thiserror::Error;

/// Directives are written to a pipe in one atomic write: at most `PIPE_BUF` bytes.
pub const MAX_DIRECTIVE_BYTES: usize = 4000;

#[derive(Debug, Clone, PartialEq, Error)]
#[error("{0}")]
pub struct DirectiveError(pub String);

fn bad(msg: impl Into<String>) -> DirectiveError {
    DirectiveError(msg.into())
}

#[derive(Debug, Clone, PartialEq)]
pub enum Remedy {
    /// Contract/test revisions allowed (≥ 1).
    MaxPlanRevisions(u32),
    /// Shaping off.
    NoShaping,
    /// Components waiting on failed dependencies are marked failed instead of built.
    SkipCascaded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    PlanOnly,
    Implement,
    BuildMode(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// Un-pause (`resume`, and the seed's `approved` / `resumed`). Carries the word sent.
    Resume(String),
    Shutdown,
    ApplyRemedy(Remedy),
    SetMode(Mode),
    /// Checked `(key, value)` pairs from the whitelist.
    SetConfig(Vec<(String, Value)>),
    InjectContext(String),
}

pub const TYPES: &[&str] = &[
    "resume",
    "shutdown",
    "apply_remedy",
    "set_mode",
    "set_config",
    "inject_context",
];
pub const REMEDIES: &[&str] = &["max_plan_revisions", "shaping", "skip_cascaded"];
pub const MODES: &[&str] = &["plan_only", "implement", "unary", "auto", "hierarchy"];

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int(u64, u64),
    OneOf(&'static [&'static str]),
    Number,
}

/// Keys `set_config` may change, with their types.
const CONFIG_KEYS: &[(&str, Kind)] = &[
    ("max_plan_revisions", Kind::Int(0, 10)),
    ("max_implementation_attempts", Kind::Int(1, 20)),
    ("parallel_components", Kind::Bool),
    ("competitive_implementations", Kind::Bool),
    ("competitive_agents", Kind::Int(1, 10)),
    ("max_concurrent_agents", Kind::Int(1, 64)),
    ("plan_only", Kind::Bool),
    ("shaping", Kind::Bool),
    ("build_mode", Kind::OneOf(&["unary", "auto", "hierarchy"])),
];

fn config_kind(key: &str) -> Option<Kind> {
    if let Some(name) = key.strip_prefix("health_thresholds.") {
        return crate::health::HealthThresholds::KEYS
            .contains(&name)
            .then_some(Kind::Number);
    }
    CONFIG_KEYS.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

fn check_value(key: &str, kind: Kind, v: &Value) -> Result<Value, DirectiveError> {
    match kind {
        Kind::Bool => v
            .as_bool()
            .map(Value::from)
            .ok_or_else(|| bad(format!("set_config: `{key}` takes true or false, not {v}"))),
        Kind::Int(lo, hi) => match v.as_u64() {
            Some(n) if (lo..=hi).contains(&n) => Ok(Value::from(n)),
            _ => Err(bad(format!(
                "set_config: `{key}` takes a whole number from {lo} to {hi}, not {v}"
            ))),
        },
        Kind::OneOf(options) => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(Value::from(s)),
            _ => Err(bad(format!(
                "set_config: `{key}` takes one of {}, not {v}",
                options.join(", ")
            ))),
        },
        Kind::Number => match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(json!(n)),
            _ => Err(bad(format!(
                "set_config: `{key}` takes a number ≥ 0, not {v}"
            ))),
        },
    }
}

fn allowed_keys() -> String {
    let mut keys: Vec<String> = CONFIG_KEYS.iter().map(|(k, _)| k.to_string()).collect();
    keys.push("health_thresholds.<name>".into());
    keys.join(", ")
}

fn only_fields(o: &Map<String, Value>, ty: &str, allowed: &[&str]) -> Result<(), DirectiveError> {
    for k in o.keys() {
        if k != "type" && !allowed.contains(&k.as_str()) {
            return Err(bad(format!(
                "{ty}: unexpected field `{k}`{}",
                if allowed.is_empty() {
                    String::new()
                } else {
                    format!(" (expected {})", allowed.join(", "))
                }
            )));
        }
    }
    Ok(())
}

/// Parses and checks one directive. Nothing is applied here.
pub fn parse(text: &str) -> Result<Directive, DirectiveError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("empty directive"));
    }
    if text.len() > MAX_DIRECTIVE_BYTES {
        return Err(bad(format!(
            "directive too long ({} bytes; at most {MAX_DIRECTIVE_BYTES})",
            text.len()
        )));
    }
    if !text.starts_with('{') {
        return match text {
            "resume" | "resumed" | "approved" | "approve" => Ok(Directive::Resume(text.into())),
            "shutdown" | "stop" => Ok(Directive::Shutdown),
            "apply_remedy" | "set_mode" | "set_config" | "inject_context" => Err(bad(format!(
                "`{text}` needs arguments: send it as JSON, e.g. {{\"type\": \"{text}\", …}}"
            ))),
            other => Err(bad(format!(
                "unknown directive `{}` (known: {})",
                other.chars().take(40).collect::<String>(),
                TYPES.join(", ")
            ))),
        };
    }
    let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let o = v
        .as_object()
        .ok_or_else(|| bad("a directive is a JSON object"))?;
    let ty = o
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a directive needs a string field `type`"))?;
    match ty {
        "resume" | "resumed" | "approved" => {
            only_fields(o, ty, &["reason"])?;
            Ok(Directive::Resume(ty.into()))
        }
        "shutdown" => {
            only_fields(o, ty, &["reason"])?;
            Ok(Directive::Shutdown)
        }
        "apply_remedy" => {
            only_fields(o, ty, &["remedy", "value"])?;
            let remedy = o.get("remedy").and_then(Value::as_str).ok_or_else(|| {
                bad(format!(
                    "apply_remedy needs `remedy`: one of {}",
                    REMEDIES.join(", ")
                ))
            })?;
            let value = o.get("value").filter(|v| !v.is_null());
            match remedy {
                "max_plan_revisions" => match value {
                    None => Ok(Directive::ApplyRemedy(Remedy::MaxPlanRevisions(1))),
                    Some(v) => match v.as_u64() {
                        Some(n) if (1..=10).contains(&n) => {
                            Ok(Directive::ApplyRemedy(Remedy::MaxPlanRevisions(n as u32)))
                        }
                        _ => Err(bad(format!(
                            "apply_remedy max_plan_revisions: `value` must be a whole number from 1 to 10, not {v}"
                        ))),
                    },
                },
                "shaping" => match value {
                    None => Ok(Directive::ApplyRemedy(Remedy::NoShaping)),
                    Some(Value::Bool(false)) => Ok(Directive::ApplyRemedy(Remedy::NoShaping)),
                    Some(v) => Err(bad(format!(
                        "apply_remedy shaping: the remedy turns shaping off; `value` must be false, not {v}"
                    ))),
                },
                "skip_cascaded" => match value {
                    None | Some(Value::Bool(true)) => {
                        Ok(Directive::ApplyRemedy(Remedy::SkipCascaded))
                    }
                    Some(v) => Err(bad(format!(
                        "apply_remedy skip_cascaded takes no value (got {v})"
                    ))),
                },
                other => Err(bad(format!(
                    "unknown remedy `{other}` (known: {})",
                    REMEDIES.join(", ")
                ))),
            }
        }
        "set_mode" => {
            only_fields(o, ty, &["mode"])?;
            let mode = o.get("mode").and_then(Value::as_str).ok_or_else(|| {
                bad(format!(
                    "set_mode needs `mode`: one of {}",
                    MODES.join(", ")
                ))
            })?;
            match mode {
                "plan_only" => Ok(Directive::SetMode(Mode::PlanOnly)),
                "implement" => Ok(Directive::SetMode(Mode::Implement)),
                "unary" | "auto" | "hierarchy" => {
                    Ok(Directive::SetMode(Mode::BuildMode(mode.into())))
                }
                other => Err(bad(format!(
                    "unknown mode `{other}` (known: {})",
                    MODES.join(", ")
                ))),
            }
        }
        "set_config" => {
            let mut pairs: Vec<(String, Value)> = Vec::new();
            if o.contains_key("key") || o.contains_key("value") {
                only_fields(o, ty, &["key", "value"])?;
                let key = o
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("set_config needs a string `key`"))?;
                let value = o
                    .get("value")
                    .ok_or_else(|| bad("set_config needs a `value`"))?;
                pairs.push((key.to_string(), value.clone()));
            } else {
                // The seed's form: `{"type": "set_config", "<key>": <value>, …}`.
                for (k, v) in o.iter().filter(|(k, _)| *k != "type") {
                    pairs.push((k.clone(), v.clone()));
                }
            }
            if pairs.is_empty() {
                return Err(bad("set_config names no key"));
            }
            let mut checked = Vec::new();
            for (k, v) in pairs {
                let kind = config_kind(&k).ok_or_else(|| {
                    bad(format!(
                        "set_config: `{k}` cannot be changed by a directive (allowed: {})",
                        allowed_keys()
                    ))
                })?;
                checked.push((k.clone(), check_value(&k, kind, &v)?));
            }
            Ok(Directive::SetConfig(checked))
        }
        "inject_context" => {
            only_fields(o, ty, &["context"])?;
            let c = o
                .get("context")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| bad("inject_context needs a non-empty string `context`"))?;
            Ok(Directive::InjectContext(c.to_string()))
        }
        other => Err(bad(format!(
            "unknown directive type `{}` (known: {})",
            other.chars().take(40).collect::<String>(),
            TYPES.join(", ")
        ))),
    }
}

impl Directive {
    /// The JSON line sent for this directive.
    pub fn to_line(&self) -> String {
        let v = match self {
            Directive::Resume(w) => {
                json!({"type": if w == "approved" || w == "approve" { "approved" } else { "resume" }})
            }
            Directive::Shutdown => json!({"type": "shutdown"}),
            Directive::ApplyRemedy(Remedy::MaxPlanRevisions(n)) => {
                json!({"type": "apply_remedy", "remedy": "max_plan_revisions", "value": n})
            }
            Directive::ApplyRemedy(Remedy::NoShaping) => {
                json!({"type": "apply_remedy", "remedy": "shaping", "value": false})
            }
            Directive::ApplyRemedy(Remedy::SkipCascaded) => {
                json!({"type": "apply_remedy", "remedy": "skip_cascaded"})
            }
            Directive::SetMode(m) => json!({"type": "set_mode", "mode": match m {
                Mode::PlanOnly => "plan_only",
                Mode::Implement => "implement",
                Mode::BuildMode(b) => b.as_str(),
            }}),
            Directive::SetConfig(pairs) => {
                let mut o = Map::new();
                o.insert("type".into(), "set_config".into());
                for (k, v) in pairs {
                    o.insert(k.clone(), v.clone());
                }
                Value::Object(o)
            }
            Directive::InjectContext(c) => json!({"type": "inject_context", "context": c}),
        };
        v.to_string()
    }
}

/// Applies a configuration directive to the engine (in memory) and audits it. `Resume` and
/// `Shutdown` are the daemon's business and change nothing here. Returns what was done.
pub fn apply(e: &mut Engine, d: &Directive) -> Result<String, DirectiveError> {
    let io = |err: pact_core::store::StoreError| bad(format!("cannot record the directive: {err}"));
    match d {
        Directive::Resume(_) | Directive::Shutdown => Ok(String::new()),
        Directive::ApplyRemedy(Remedy::MaxPlanRevisions(n)) => {
            e.config.project.max_plan_revisions = Some((*n).max(1));
            let done = format!("max_plan_revisions = {}", (*n).max(1));
            e.project
                .audit("remedy_applied", done.clone())
                .map_err(io)?;
            Ok(done)
        }
        Directive::ApplyRemedy(Remedy::NoShaping) => {
            e.config.project.shaping = Some(false);
            let done = "shaping = false".to_string();
            e.project
                .audit("remedy_applied", done.clone())
                .map_err(io)?;
            Ok(done)
        }
        Directive::ApplyRemedy(Remedy::SkipCascaded) => {
            let skipped = skip_cascaded(e).map_err(|err| bad(err.to_string()))?;
            let done = format!(
                "skip_cascaded: {} component(s) marked failed{}",
                skipped.len(),
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", skipped.join(", "))
                }
            );
            e.project
                .audit("remedy_applied", done.clone())
                .map_err(io)?;
            Ok(done)
        }
        Directive::SetMode(m) => {
            let done = match m {
                Mode::PlanOnly => {
                    e.config.project.plan_only = Some(true);
                    "plan_only = true".to_string()
                }
                Mode::Implement => {
                    e.config.project.plan_only = Some(false);
                    "plan_only = false".to_string()
                }
                Mode::BuildMode(b) => {
                    e.config.project.build_mode = Some(b.clone());
                    format!("build_mode = {b}")
                }
            };
            e.project.audit("set_mode", done.clone()).map_err(io)?;
            Ok(done)
        }
        Directive::SetConfig(pairs) => {
            let mut done = Vec::new();
            for (k, v) in pairs {
                set_config(&mut e.config, k, v)?;
                done.push(format!("{k} = {v}"));
            }
            let done = done.join(", ");
            e.project.audit("set_config", done.clone()).map_err(io)?;
            Ok(done)
        }
        Directive::InjectContext(c) => {
            let path = context_path(&e.project);
            let mut text = e.project.read_text(&path).map_err(io)?.unwrap_or_default();
            text.push_str(&format!(
                "\n## Context injected {}\n\n{}\n",
                pact_core::store::now_iso(),
                c
            ));
            e.project.write_text(&path, &text).map_err(io)?;
            let done = format!("{} chars appended to .pact/context.md", c.chars().count());
            e.project
                .audit("inject_context", done.clone())
                .map_err(io)?;
            Ok(done)
        }
    }
}

/// `.pact/context.md`: context injected by directives, for the agents' prompts.
pub fn context_path(p: &pact_core::store::Project) -> std::path::PathBuf {
    p.layout.pact_dir().join("context.md")
}

fn set_config(
    c: &mut pact_core::config::Config,
    key: &str,
    v: &Value,
) -> Result<(), DirectiveError> {
    let kind = config_kind(key).ok_or_else(|| bad(format!("set_config: unknown key `{key}`")))?;
    let v = check_value(key, kind, v)?;
    let int = || v.as_u64().unwrap_or(0) as u32;
    let p = &mut c.project;
    if let Some(name) = key.strip_prefix("health_thresholds.") {
        p.health_thresholds
            .insert(name.to_string(), v.as_f64().unwrap_or(0.0));
        return Ok(());
    }
    match key {
        "max_plan_revisions" => p.max_plan_revisions = Some(int()),
        "max_implementation_attempts" => p.max_implementation_attempts = int(),
        "parallel_components" => p.parallel_components = v.as_bool(),
        "competitive_implementations" => p.competitive_implementations = v.as_bool(),
        "competitive_agents" => p.competitive_agents = Some(int()),
        "max_concurrent_agents" => p.max_concurrent_agents = Some(int()),
        "plan_only" => p.plan_only = v.as_bool(),
        "shaping" => p.shaping = v.as_bool(),
        "build_mode" => p.build_mode = v.as_str().map(str::to_string),
        _ => return Err(bad(format!("set_config: unknown key `{key}`"))),
    }
    Ok(())
}

/// Marks every component that (transitively) depends on a failed one and has not been built
/// as failed, so the run stops spending on work that cannot pass. Returns the ids marked.
pub fn skip_cascaded(e: &Engine) -> crate::engine::Result<Vec<String>> {
    let Some(state) = e.project.load_state()? else {
        return Ok(Vec::new());
    };
    let tree = e.project.load_tree()?;
    // Who depends on whom: contract dependencies and tree children.
    let mut dependents: HashMap<String, Vec<String>> = HashMap::new();
    let mut ids: Vec<String> = state
        .component_tasks
        .iter()
        .map(|t| t.component_id.clone())
        .collect();
    if let Some(t) = &tree {
        for (id, n) in &t.nodes {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
            for c in &n.children {
                dependents.entry(c.clone()).or_default().push(id.clone());
            }
        }
    }
    for id in &ids {
        if let Some(c) = e.project.load_contract(id).ok().flatten() {
            for d in c.dependencies {
                dependents.entry(d).or_default().push(id.clone());
            }
        }
    }
    let failed: Vec<String> = state.failed_components();
    let mut reached: HashMap<String, String> = HashMap::new();
    let mut seen: HashSet<String> = failed.iter().cloned().collect();
    let mut queue: Vec<(String, String)> = failed.iter().map(|f| (f.clone(), f.clone())).collect();
    while let Some((id, root)) = queue.pop() {
        for d in dependents.get(&id).into_iter().flatten() {
            if seen.insert(d.clone()) {
                reached.insert(d.clone(), root.clone());
                queue.push((d.clone(), root.clone()));
            }
        }
    }
    let done_or_failed = |id: &str| {
        state
            .task(id)
            .is_some_and(|t| matches!(t.status, TaskStatus::Completed | TaskStatus::Failed))
    };
    let mut marked: Vec<String> = reached
        .keys()
        .filter(|id| !done_or_failed(id))
        .cloned()
        .collect();
    marked.sort();
    if marked.is_empty() {
        return Ok(marked);
    }
    e.project.update_state(|s| {
        if let Some(s) = s {
            for id in &marked {
                let t = s.task_mut(id);
                t.status = TaskStatus::Failed;
                t.last_error = format!(
                    "depends on failed {} (skipped by remedy skip_cascaded)",
                    reached.get(id).map(String::as_str).unwrap_or("?")
                );
            }
        }
    })?;
    if let Some(mut t) = tree {
        for id in &marked {
            if let Some(n) = t.nodes.get_mut(id) {
                n.implementation_status = ImplementationStatus::Failed;
            }
        }
        e.project.save_tree(&t)?;
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_rejects_the_rest() {
        assert_eq!(parse("resume"), Ok(Directive::Resume("resume".into())));
        assert_eq!(
            parse(" approved\n"),
            Ok(Directive::Resume("approved".into()))
        );
        assert_eq!(parse(r#"{"type":"shutdown"}"#), Ok(Directive::Shutdown));
        assert_eq!(
            parse(r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":1}"#),
            Ok(Directive::ApplyRemedy(Remedy::MaxPlanRevisions(1)))
        );
        assert_eq!(
            parse(r#"{"type":"apply_remedy","remedy":"shaping","value":false}"#),
            Ok(Directive::ApplyRemedy(Remedy::NoShaping))
        );
        assert_eq!(
            parse(r#"{"type":"set_config","max_implementation_attempts":5}"#),
            Ok(Directive::SetConfig(vec![(
                "max_implementation_attempts".into(),
                json!(5)
            )]))
        );
        assert_eq!(
            parse(r#"{"type":"set_config","key":"health_thresholds.cascade_critical","value":9}"#),
            Ok(Directive::SetConfig(vec![(
                "health_thresholds.cascade_critical".into(),
                json!(9.0)
            )]))
        );
        assert_eq!(
            parse(r#"{"type":"set_mode","mode":"implement"}"#),
            Ok(Directive::SetMode(Mode::Implement))
        );
        for (bad_text, says) in [
            ("", "empty"),
            ("frobnicate", "unknown directive `frobnicate`"),
            ("{not json", "not valid JSON"),
            ("[1]", "unknown directive"),
            (r#"{"remedy":"shaping"}"#, "`type`"),
            (
                r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":0}"#,
                "from 1 to 10",
            ),
            (
                r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":"1"}"#,
                "from 1 to 10",
            ),
            (
                r#"{"type":"apply_remedy","remedy":"shaping","value":true}"#,
                "must be false",
            ),
            (
                r#"{"type":"apply_remedy","remedy":"nuke"}"#,
                "unknown remedy `nuke`",
            ),
            (
                r#"{"type":"apply_remedy","remedy":"shaping","extra":1}"#,
                "unexpected field `extra`",
            ),
            (
                r#"{"type":"set_config","budget":100}"#,
                "`budget` cannot be changed",
            ),
            (
                r#"{"type":"set_config","plan_only":"yes"}"#,
                "true or false",
            ),
            (
                r#"{"type":"set_config","build_mode":"chaos"}"#,
                "one of unary, auto, hierarchy",
            ),
            (r#"{"type":"set_config"}"#, "names no key"),
            (r#"{"type":"set_mode","mode":"turbo"}"#, "unknown mode"),
            (r#"{"type":"inject_context","context":"  "}"#, "non-empty"),
            (r#"{"type":"launch"}"#, "unknown directive type `launch`"),
            ("set_mode", "needs arguments"),
        ] {
            let err = parse(bad_text).err().map(|e| e.0).unwrap_or_default();
            assert!(err.contains(says), "{bad_text:?}: {err}");
        }
        let long = format!(
            r#"{{"type":"inject_context","context":"{}"}}"#,
            "x".repeat(5000)
        );
        assert!(parse(&long).is_err());
    }

    #[test]
    fn lines_round_trip() {
        for d in [
            Directive::Resume("resume".into()),
            Directive::Shutdown,
            Directive::ApplyRemedy(Remedy::MaxPlanRevisions(2)),
            Directive::ApplyRemedy(Remedy::NoShaping),
            Directive::ApplyRemedy(Remedy::SkipCascaded),
            Directive::SetMode(Mode::BuildMode("unary".into())),
            Directive::SetConfig(vec![("plan_only".into(), json!(false))]),
            Directive::InjectContext("Use UTC.".into()),
        ] {
            assert_eq!(parse(&d.to_line()), Ok(d.clone()));
        }
    }
}
