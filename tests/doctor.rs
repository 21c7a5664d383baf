//! `pact doctor` end to end: what a machine without Python, Node.js or git is told, what a
//! complete one is told, and that a key's value never reaches the output.

use crate::support;

use std::path::Path;
use std::process::Command;
use support::*;

const SECRET: &str = "sk-ant-e2e-DOCTOR-must-never-appear-7781";

/// Variables the router reads: none leaks in from the machine running the tests.
const ROUTER_VARS: &[&str] = &[
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

/// `pact doctor ARGS` with its own cache and no global config; `path` replaces PATH.
fn doctor(args: &[&str], tmp: &Path, path: Option<&Path>, env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pact"));
    c.arg("doctor").args(args);
    for v in ROUTER_VARS {
        c.env_remove(v);
    }
    c.env("PACT_CACHE_DIR", tmp.join("cache"))
        .env("PACT_CONFIG", tmp.join("no-global-config.yaml"));
    if let Some(p) = path {
        // The same on every machine: the sandbox line says what this one offers otherwise.
        c.env("PACT_SANDBOX", "off");
        c.env("PATH", p);
    }
    c.envs(env.iter().copied());
    let out = c.output().expect("run pact doctor");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `dir` with its size, to show that doctor changed nothing.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let m = std::fs::symlink_metadata(e.path()).expect("metadata");
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path().display().to_string(), m.len()));
        }
    }
    out.sort();
    out
}

#[test]
fn doctor_without_python_node_or_git_names_each_and_exits_1() {
    let (tmp, dir) = copy_project("sample");
    let empty = tmp.path().join("empty-bin");
    std::fs::create_dir(&empty).expect("mkdir");
    let d = dir.to_str().expect("utf-8");
    let before = listing(&dir);
    let key = [("ANTHROPIC_API_KEY", SECRET)];

    let run = doctor(&[d], tmp.path(), Some(&empty), &key);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("[FAIL] python: no Python interpreter found (`python3` not found, `python` not found on PATH)"),
        "{out}"
    );
    assert!(
        out.contains("sudo apt install python3 python3-venv"),
        "{out}"
    );
    assert!(out.contains("[WARN] node: no Node.js found"), "{out}");
    assert!(out.contains("[WARN] git: `git` not found on PATH"), "{out}");
    assert!(
        out.contains("[OK]   backend anthropic: ANTHROPIC_API_KEY set;"),
        "{out}"
    );
    assert!(!out.contains(SECRET) && !run.stderr.contains(SECRET));
    assert!(!out.contains("never-appear"), "no part of the key: {out}");
    insta::assert_snapshot!(
        "doctor_empty_path",
        out.replace(d, "[PROJECT]")
            .replace(&tmp.path().display().to_string(), "[TMP]")
    );

    // The same as one JSON object.
    let run = doctor(&[d, "--json"], tmp.path(), Some(&empty), &key);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains(SECRET));
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("json ({e}): {}", run.stdout));
    assert_eq!(v["passed"], false);
    assert_eq!(v["project"], d);
    assert_eq!(v["summary"]["fail"], 1, "{v:#}");
    let checks = v["checks"].as_array().expect("checks");
    for c in checks {
        let keys: Vec<&String> = c.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["name", "status", "message", "fix"], "{c}");
        assert!(["ok", "warn", "fail"].contains(&c["status"].as_str().unwrap_or("")));
    }
    let status = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("no `{name}` check: {v:#}"))
    };
    assert_eq!(status("python"), "fail");
    assert_eq!(status("node"), "warn");
    assert_eq!(status("git"), "warn");
    assert_eq!(status("backend anthropic"), "ok");
    assert_eq!(status("daemon pipe"), "ok");

    // A backend that needs a program on PATH says so.
    let run = doctor(
        &[d],
        tmp.path(),
        Some(&empty),
        &[("PACT_BACKEND", "claude_code")],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(
            "[FAIL] backend claude_code: `claude` not found on PATH (chosen by PACT_BACKEND)"
        ),
        "{}",
        run.stdout
    );
    // Without the key: its name, never a value.
    let run = doctor(&[d], tmp.path(), Some(&empty), &[]);
    assert!(
        run.stdout
            .contains("[FAIL] backend anthropic: ANTHROPIC_API_KEY not set"),
        "{}",
        run.stdout
    );

    assert_eq!(listing(&dir), before, "doctor changed the project");
    assert!(
        !tmp.path().join("cache").exists(),
        "doctor created the cache"
    );
}

#[test]
fn doctor_on_a_complete_machine_reports_no_failure() {
    let (tmp, dir) = copy_project("sample");
    let d = dir.to_str().expect("utf-8");
    let before = listing(&dir);
    let run = doctor(&[d], tmp.path(), None, &[("ANTHROPIC_API_KEY", SECRET)]);
    assert!(
        !run.stdout.contains("[FAIL]"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
    assert!(
        run.stdout.contains("[OK]   python: Python 3."),
        "{}",
        run.stdout
    );
    // A fresh cache: the environment is made by the first run, not by doctor.
    let cache = tmp.path().join("cache").display().to_string();
    assert!(
        run.stdout.contains(&format!(
            "[OK]   python environment: not created yet: the first run creates it in {cache}"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Nothing blocks a run."),
        "{}",
        run.stdout
    );
    assert_eq!(listing(&dir), before, "doctor changed the project");
    assert!(
        !tmp.path().join("cache").exists(),
        "doctor created the cache"
    );
}

#[test]
fn doctor_outside_a_project_checks_the_global_configuration() {
    let tmp = tempfile::tempdir().expect("tmp");
    let here = tmp.path().join("not-a-project");
    std::fs::create_dir(&here).expect("mkdir");
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .arg("doctor")
        .current_dir(&here)
        .env("PACT_CACHE_DIR", tmp.path().join("cache"))
        .env("PACT_CONFIG", tmp.path().join("none.yaml"))
        .env("PACT_BACKEND", "openai_compatible")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("pact doctor: no project (global configuration)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[OK]   project: the current directory is not a Pact project"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "[OK]   backend openai_compatible: OPENAI_COMPATIBLE_API_KEY not set (optional)"
        ),
        "{stdout}"
    );
    assert!(
        !stdout.contains("run lock"),
        "no project files to check: {stdout}"
    );

    // A directory named on the command line that is not a project fails.
    let missing = tmp.path().join("missing");
    let run = doctor(&[missing.to_str().expect("utf-8")], tmp.path(), None, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("[FAIL] project: "), "{}", run.stdout);
    assert!(run.stdout.contains("pact init"), "{}", run.stdout);
}
