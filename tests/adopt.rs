//! `pact adopt` end to end on a small real codebase — `inflection` 0.5.1 from PyPI (MIT),
//! vendored in tests/fixtures/codebases — offline, from the recording
//! `inflection.answers/session.jsonl` (server/engine/examples/record_adopt.rs made it). The
//! contract tests run for real against the adopted code, in the sandbox.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn codebases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/codebases")
}

fn recording() -> String {
    codebases()
        .join("inflection.answers/session.jsonl")
        .display()
        .to_string()
}

/// A copy of the vendored codebase, committed to a fresh git repository.
fn codebase() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("inflection");
    copy_dir(&codebases().join("inflection"), &dir);
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            "code",
        ],
    ] {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .status()
            .expect("git")
            .success();
        assert!(ok, "git {args:?}");
    }
    (tmp, dir)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn adopting_a_real_codebase_offline_locks_tests_that_pass_and_touches_no_user_file() {
    let (_tmp, dir) = codebase();
    let d = dir.to_str().expect("utf-8");
    let run = pact(&["adopt", d, "--replay", &recording()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("inflection_module (inflection): 245/245 locked tests pass"),
        "{}",
        run.stdout
    );

    // The user's files are as they were: only .pact/ is new.
    assert_eq!(git(&dir, &["diff", "--stat"]), "");
    let status = git(&dir, &["status", "--porcelain", "--untracked-files=normal"]);
    assert_eq!(status.trim(), "?? .pact/", "{status}");

    // A validated project whose locked tests pass against the existing code.
    let (code, v) = validate_json(&dir);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["errors"], 0, "{v:#}");
    let tested = pact(&["test", d, "inflection_module"]);
    assert_eq!(tested.code, 0, "{}\n{}", tested.stdout, tested.stderr);
    assert!(tested.stdout.contains("245/245"), "{}", tested.stdout);

    // The contract covers every public function; the run waits at the implement phase; the
    // build record says the implementation is the adopted code.
    let contract: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".pact/contracts/inflection_module/interface.json"))
            .expect("contract"),
    )
    .expect("json");
    assert_eq!(contract["functions"].as_array().map(Vec::len), Some(12));
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".pact/state.json")).expect("state"),
    )
    .expect("json");
    assert_eq!(state["phase"], "implement", "{state}");
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".pact/implementations/inflection_module/metadata.json"))
            .expect("build record"),
    )
    .expect("json");
    assert_eq!(record["winner_attempt"], "adopted");
    assert_eq!(record["status"], "passed");
    // Building it now costs nothing: it is up to date.
    let built = pact(&["build", d, "inflection_module", "--replay", &recording()]);
    assert_eq!(built.code, 0, "{}\n{}", built.stdout, built.stderr);
    assert!(built.stdout.contains("UP TO DATE"), "{}", built.stdout);
}

#[test]
fn a_dry_run_shows_the_plan_and_writes_nothing() {
    let (_tmp, dir) = codebase();
    let before = files(&dir);
    let run = pact(&["adopt", dir.to_str().expect("utf-8"), "--dry-run", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["modules"][0]["component"], "inflection_module");
    assert_eq!(v["modules"][0]["module"], "inflection");
    assert!(
        v["modules"][0]["names"]
            .as_array()
            .is_some_and(|n| n.iter().any(|x| x == "camelize"))
    );
    assert_eq!(files(&dir), before);
}

#[test]
fn adopt_refuses_what_it_cannot_do_and_changes_nothing() {
    // No key for the contract author (no recording, the default backend): refused, and the
    // .pact/ it made for its lock is gone again.
    let (_tmp, dir) = codebase();
    let before = files(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["adopt", dir.to_str().expect("utf-8")])
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("PACT_BACKEND")
        .output()
        .expect("pact");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("ANTHROPIC_API_KEY"),
        "{stdout}\n{stderr}"
    );
    assert_eq!(files(&dir), before);

    // TypeScript code: the pact.yaml that would say so is not left behind either.
    let ts = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(ts.path().join("src")).expect("src");
    std::fs::write(
        ts.path().join("src/add.ts"),
        "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    )
    .expect("ts");
    let before = files(ts.path());
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["adopt", ts.path().to_str().expect("utf-8")])
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("PACT_BACKEND")
        .output()
        .expect("pact");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(files(ts.path()), before);
    assert!(!ts.path().join("pact.yaml").exists() && !ts.path().join(".pact").exists());

    // A Pact project already: refused, nothing changed.
    let (_t2, project) = copy_project("sample");
    let before = files(&project);
    let run = pact(&[
        "adopt",
        project.to_str().expect("utf-8"),
        "--replay",
        &recording(),
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(files(&project), before);

    // Not a directory, and a directory with no Python to adopt.
    let empty = tempfile::tempdir().expect("tmp");
    let missing = empty.path().join("nope");
    let run = pact(&["adopt", missing.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    let run = pact(&["adopt", empty.path().to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        std::fs::read_dir(empty.path())
            .expect("dir")
            .next()
            .is_none()
    );
}
