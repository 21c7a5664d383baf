//! The test runtime checks: the Python interpreter and its managed environment, Node.js and
//! vitest — found or creatable on first run, and nothing created while looking.

use super::{Check, Status};
use crate::runtime::{
    self, PINNED_PYTEST, PINNED_VITEST, RuntimeError, RuntimeSpec, find_program_in, node, python,
};
use pact_core::model::TestLanguage;
use std::ffi::OsStr;
use std::path::Path;

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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::doctor::test_support::*;

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

    #[test]
    fn sizes_read_like_du() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(4096), "4.0 KB");
        assert_eq!(human_size(58 * 1024 * 1024 + 300 * 1024), "58.3 MB");
    }
}
