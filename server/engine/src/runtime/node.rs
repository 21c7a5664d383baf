//! The Node.js runtime: `node` for JavaScript suites (node:test needs nothing else), and for
//! TypeScript a pinned vitest installed with `npm ci` from a lock file shipped in the binary,
//! into an npm prefix in the cache.

use super::{
    MARKER, Progress, RuntimeError, RuntimeSpec, find_program, key, provision_locked, run_tool,
    tool_command,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The vitest every TypeScript suite runs under.
pub const PINNED_VITEST: &str = "vitest 3.2.4";
const PACKAGE_JSON: &str = include_str!("vitest-package.json");
const PACKAGE_LOCK: &str = include_str!("vitest-package-lock.json");
const MIN_NODE: u32 = 18;

#[derive(Debug, Clone)]
pub struct NodeRuntime {
    pub node: PathBuf,
    /// `node --version` without the `v`, e.g. `20.20.2`.
    pub version: String,
}

impl NodeRuntime {
    fn major(&self) -> u32 {
        major(&self.version)
    }
}

fn major(version: &str) -> u32 {
    version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// The Node.js the spec names, or `node` on PATH, probed.
pub fn find(spec: &RuntimeSpec) -> Result<NodeRuntime, RuntimeError> {
    let name = spec.node.clone().unwrap_or_else(|| "node".into());
    let tried = || {
        format!(
            "`{name}` {}",
            if spec.node.is_some() {
                "— set by `node` in pact.yaml or config.yaml"
            } else {
                "on PATH"
            }
        )
    };
    let path = find_program(&name).ok_or_else(|| RuntimeError::NoNode { tried: tried() })?;
    let mut c = tool_command(&path);
    c.arg("--version");
    let out = run_tool(c, "node").map_err(|_| RuntimeError::NoNode {
        tried: format!("{} did not run", tried()),
    })?;
    let version = out.trim().trim_start_matches('v').to_string();
    let rt = NodeRuntime {
        node: path,
        version,
    };
    if rt.major() < MIN_NODE {
        return Err(RuntimeError::OldNode {
            node: rt.node.display().to_string(),
            version: rt.version,
            min: MIN_NODE,
        });
    }
    Ok(rt)
}

/// The npm that installs vitest: the one next to `node`, else `npm` on PATH.
pub fn npm(node: &NodeRuntime) -> Option<PathBuf> {
    node.node
        .parent()
        .map(|d| d.join("npm"))
        .filter(|p| p.is_file())
        .or_else(|| find_program("npm"))
}

/// Where the vitest prefix for `node` lives, whether or not it exists yet.
pub fn vitest_dir(spec: &RuntimeSpec, node: &NodeRuntime) -> PathBuf {
    let k = key(&[&node.major().to_string(), PACKAGE_JSON, PACKAGE_LOCK]);
    spec.cache
        .join("node")
        .join(format!("vitest-node{}-{k}", node.major()))
}

/// The `node_modules` holding vitest, installed on first use.
pub fn ensure_vitest(
    node: &NodeRuntime,
    spec: &RuntimeSpec,
    progress: Progress,
) -> Result<PathBuf, RuntimeError> {
    let dir = vitest_dir(spec, node);
    let modules = dir.join("node_modules");
    if dir.join(MARKER).is_file() && !modules.join("vitest").join("vitest.mjs").is_file() {
        let _ = std::fs::remove_file(dir.join(MARKER));
    }
    let npm = npm(node);
    let marker = serde_json::json!({
        "node": node.version,
        "vitest": PINNED_VITEST,
        "created_at": pact_core::store::now_iso(),
    })
    .to_string();
    let started = Instant::now();
    let created = provision_locked(&dir, &marker, |dir| {
        let npm = npm.as_ref().ok_or_else(|| RuntimeError::NoNpm {
            node: node.node.display().to_string(),
        })?;
        progress(
            "vitest",
            &format!(
                "installing {PINNED_VITEST} for Node.js {} into {}",
                node.version,
                dir.display()
            ),
        );
        install(npm, node, dir)
    })?;
    if created {
        progress(
            "vitest",
            &format!("vitest ready in {:.1}s", started.elapsed().as_secs_f64()),
        );
    }
    Ok(modules)
}

fn install(npm: &Path, node: &NodeRuntime, dir: &Path) -> Result<(), RuntimeError> {
    let io = |e: std::io::Error| RuntimeError::Cache {
        dir: dir.to_path_buf(),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join("package.json"), PACKAGE_JSON).map_err(io)?;
    std::fs::write(dir.join("package-lock.json"), PACKAGE_LOCK).map_err(io)?;
    let mut c = tool_command(npm);
    // npm runs its scripts with the node next to it; put ours first so they agree.
    if let Some(bin) = node.node.parent() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(dirs) {
            c.env("PATH", joined);
        }
    }
    c.current_dir(dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
    ]);
    run_tool(c, PINNED_VITEST)?;
    let mut c = tool_command(&node.node);
    c.arg(dir.join("node_modules").join("vitest").join("vitest.mjs"))
        .arg("--version");
    run_tool(c, "vitest (checking the new install)")?;
    Ok(())
}

/// The vitest prefix for `spec` if it exists already (for `pact doctor`; creates nothing).
pub fn existing_vitest(spec: &RuntimeSpec, node: &NodeRuntime) -> Option<PathBuf> {
    let dir = vitest_dir(spec, node);
    (dir.join(MARKER).is_file() && dir.join("node_modules/vitest/vitest.mjs").is_file())
        .then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_pins_vitest() {
        let lock: serde_json::Value = serde_json::from_str(PACKAGE_LOCK).unwrap();
        assert_eq!(
            lock["packages"]["node_modules/vitest"]["version"].as_str(),
            Some(PINNED_VITEST.trim_start_matches("vitest "))
        );
        assert_eq!(major("20.20.2"), 20);
        assert_eq!(major("junk"), 0);
    }
}
