//! The run-local vitest configuration: an explicit config (so none the code under test wrote is
//! read), bare-name aliases for the component modules, and vitest itself resolvable.

use super::{HarnessError, HarnessOptions};
use std::path::{Path, PathBuf};

/// vitest's command-line entry in the managed `node_modules`.
pub(super) fn vitest_entry(opts: &HarnessOptions) -> Result<PathBuf, HarnessError> {
    let Some(modules) = &opts.node_modules else {
        return Err(HarnessError::Runner(
            "no node_modules with vitest is provisioned for this run".into(),
        ));
    };
    let entry = modules.join("vitest").join("vitest.mjs");
    if !entry.is_file() {
        return Err(HarnessError::Runner(format!(
            "vitest is not installed: {} does not exist",
            entry.display()
        )));
    }
    Ok(entry)
}

/// Each module at the top of a source directory (`<name>.ts`, `.js`, …) by its bare name
/// (`import { f } from "tokenizer"`), the first directory winning — the component's own `src/`
/// first, as `PACT_SRC` orders Python's path; the name `vitest` is never one.
pub(super) fn module_aliases(srcs: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut seen = std::collections::HashSet::new();
    let mut aliases = Vec::new();
    for dir in srcs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut modules: Vec<(String, PathBuf)> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = module_stem(&name)?;
                Some((stem.to_string(), e.path()))
            })
            .collect();
        modules.sort();
        for (stem, path) in modules {
            if stem != "vitest" && seen.insert(stem.clone()) {
                aliases.push((stem, path));
            }
        }
    }
    aliases
}

/// Writes the run's own vitest config (an explicit `--config`, so none the code under test
/// wrote is read) and makes the test files' imports resolve:
///
/// - each of `aliases` (bare name → file) is importable by its name: the sources' modules
///   ([`module_aliases`]) when the tests import the implementation, the contract proxies when
///   they cross the boundary;
/// - `vitest` itself resolves through a `node_modules` link in the run dir to the managed one;
/// - the cache goes to the run dir, never into the shared `node_modules`.
pub(super) fn vitest_config(
    work: &Path,
    aliases: &[(String, PathBuf)],
    files: &[PathBuf],
    report: &Path,
    opts: &HarnessOptions,
) -> Result<PathBuf, HarnessError> {
    if let Some(modules) = &opts.node_modules {
        // The run's own node_modules: a link to each managed package, so that what vite writes
        // there (`.vite-temp`, the bundled config) stays in the run and the shared install,
        // read-only in the sandbox, is never touched.
        let own = work.join("node_modules");
        std::fs::create_dir_all(&own)?;
        for entry in std::fs::read_dir(modules)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".vite") {
                continue;
            }
            link_dir(&entry.path(), &own.join(entry.file_name()))?;
        }
    }
    // Stops the search for a tsconfig.json above the run dir.
    std::fs::write(work.join("tsconfig.json"), "{}\n")?;
    let js = |p: &Path| serde_json::Value::from(p.to_string_lossy().into_owned()).to_string();
    let aliases: Vec<String> = aliases
        .iter()
        .map(|(name, path)| {
            let find = format!("^{}$", regex_escape(name));
            format!(
                "      {{ find: new RegExp({}), replacement: {} }},",
                serde_json::Value::from(find),
                js(path)
            )
        })
        .collect();
    let include: Vec<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(work).ok())
        .map(|rel| {
            let rel = rel.to_string_lossy().replace('\\', "/");
            serde_json::Value::from(glob_escape(&rel)).to_string()
        })
        .collect();
    let config = format!(
        r#"// Written by pact for this test run.
export default {{
  root: {root},
  cacheDir: {cache},
  resolve: {{
    alias: [
{aliases}
    ],
  }},
  test: {{
    include: [{include}],
    reporters: ["junit", "dot"],
    outputFile: {{ junit: {report} }},
    watch: false,
    globals: false,
    environment: "node",
    testTimeout: 30000,
    hookTimeout: 30000,
  }},
}};
"#,
        root = js(work),
        cache = js(&work.join(".vite")),
        aliases = aliases.join("\n"),
        include = include.join(", "),
        report = js(report),
    );
    let path = work.join("vitest.config.mjs");
    std::fs::write(&path, config)?;
    Ok(path)
}

/// The name a source file is imported by: `tokenizer.ts` → `tokenizer`. Declaration files and
/// other files are not modules.
fn module_stem(name: &str) -> Option<&str> {
    if name.ends_with(".d.ts") || name.starts_with('.') {
        return None;
    }
    [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .filter(|stem| !stem.is_empty())
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\*?[]{}()!@+".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(unix)]
fn link_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn link_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}
