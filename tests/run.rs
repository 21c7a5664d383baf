//! The pipeline from the command line: the offline example end to end under real pytest, a
//! kill -9 at any moment then a resume, a refused second job, `pact build`, and the interview.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::*;

fn status_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".pact/state.json")).expect("state.json");
    serde_json::from_str(&text).expect("json")
}

fn all_tests_pass(dir: &Path) -> bool {
    ["tokenizer", "counter", "formatter", "wordfreq"]
        .iter()
        .all(|c| {
            std::fs::read_to_string(
                dir.join(format!(".pact/implementations/{c}/test_results.json")),
            )
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|r| {
                r["total"].as_u64().unwrap_or(0) > 0 && r["failed"] == 0 && r["errors"] == 0
            })
        })
}

#[test]
fn the_offline_example_runs_every_phase_and_passes_under_pytest() {
    let (_t, dir) = example();
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("git")
    };
    assert!(git(&["init", "-q"]).status.success());
    let run = pact(&["run", dir.to_str().unwrap_or(".")]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // `.pact/` belongs in git, but Pact's own locks and caches do not.
    let porcelain =
        String::from_utf8_lossy(&git(&["status", "--porcelain", "--untracked-files=all"]).stdout)
            .into_owned();
    assert!(porcelain.contains(".pact/state.json"), "{porcelain}");
    let noise: Vec<&str> = porcelain
        .lines()
        .filter(|l| l.ends_with(".lock") || l.contains("/cache/") || l.contains("run.owner.json"))
        .collect();
    assert!(noise.is_empty(), "{noise:?}");
    assert!(run.stdout.contains("Run complete"), "{}", run.stdout);
    assert_eq!(status_json(&dir)["status"], "completed");
    assert!(all_tests_pass(&dir));
    let v = validate_json(&dir).1;
    assert_eq!(v["passed"], true, "{v:#}");
    // "done" is evidence-gated: a passing run of exactly these contracts, tests and sources.
    let c = pact(&["components", dir.to_str().unwrap_or("."), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&c.stdout).expect("json");
    assert!(
        v.as_array()
            .into_iter()
            .flatten()
            .all(|r| r["status"] == "done"),
        "{v:#}"
    );
    let f = dir.join(".pact/implementations/tokenizer/src/tokenizer.py");
    let code = std::fs::read_to_string(&f).expect("read");
    std::fs::write(&f, format!("{code}\n# hand edit\n")).expect("write");
    let c = pact(&["components", dir.to_str().unwrap_or("."), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&c.stdout).expect("json");
    let status = |id: &str| {
        v.as_array()
            .into_iter()
            .flatten()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].clone())
    };
    assert_eq!(status("tokenizer"), Some("stale".into()));
    assert_eq!(
        status("wordfreq"),
        Some("stale".into()),
        "a dependent's evidence covers its dependencies"
    );
    assert_eq!(status("formatter"), Some("done".into()));
    std::fs::write(&f, code).expect("restore");
    // Running again is a no-op: nothing to redo.
    let again = pact(&["run", dir.to_str().unwrap_or(".")]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("Run complete"));
}

#[test]
fn the_recording_replays_in_a_directory_of_any_name_and_from_dot() {
    // `cd <copy> && pact run`: the project is `.`, and its directory is not named `wordfreq`.
    let (_t, dir) = example();
    let copy = dir.with_file_name("my copy");
    std::fs::rename(&dir, &copy).expect("rename");
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .arg("run")
        .current_dir(&copy)
        .output()
        .expect("run pact");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Run complete"), "{stdout}\n{stderr}");
    assert!(all_tests_pass(&copy));
}

#[test]
fn a_run_killed_at_any_moment_resumes_to_completion() {
    for delay_ms in [30u64, 120, 250, 400, 600] {
        let (_t, dir) = example();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
            .args(["run"])
            .arg(&dir)
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL: no cleanup code runs, as when a machine dies.
        let _ = child.kill();
        let _ = child.wait();
        let run = pact(&["run", dir.to_str().unwrap_or(".")]);
        assert_eq!(
            run.code, 0,
            "killed after {delay_ms} ms:\n{}\n{}",
            run.stdout, run.stderr
        );
        assert_eq!(
            status_json(&dir)["status"],
            "completed",
            "killed after {delay_ms} ms"
        );
        assert!(all_tests_pass(&dir), "killed after {delay_ms} ms");
        // Every JSON document is whole (atomic writes).
        assert_eq!(
            validate_json(&dir).1["passed"],
            true,
            "killed after {delay_ms} ms"
        );
    }
}

#[test]
fn a_second_job_on_the_same_project_is_refused_with_the_holder() {
    let (_t, dir) = example();
    let project = pact_core::store::Project::open(&dir).expect("open");
    let _held = pact_engine::joblock::acquire(&project, "pact run (editor)").expect("lock");
    let run = pact(&["run", dir.to_str().unwrap_or(".")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("another job is running on this project: pact run (editor)"),
        "{}",
        run.stderr
    );
    assert!(
        !dir.join(".pact/state.json").exists(),
        "the refused job changed nothing"
    );
}

#[test]
fn plan_only_then_build_one_component() {
    let (_t, dir) = example();
    let d = dir.to_str().unwrap_or(".");
    let run = pact(&["run", d, "--plan-only"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Plan-only mode"), "{}", run.stdout);
    assert!(!dir.join(".pact/implementations/tokenizer/src").exists());
    let build = pact(&["build", d, "tokenizer"]);
    assert_eq!(build.code, 0, "{}\n{}", build.stdout, build.stderr);
    assert!(
        build
            .stdout
            .contains("SUCCESS: tokenizer passes 7/7 contract tests"),
        "{}",
        build.stdout
    );
    let bad = pact(&["build", d, "../etc"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not allowed"), "{}", bad.stderr);
}

#[test]
fn interview_answers_from_a_file_approve_the_interview() {
    let (_t, dir) = example();
    std::fs::create_dir_all(dir.join(".pact/decomposition")).expect("mkdir");
    std::fs::write(
        dir.join(".pact/decomposition/interview.json"),
        r#"{"risks": [], "ambiguities": [], "questions": ["Count numbers as words?", "Case-sensitive?"], "assumptions": ["no", "no"], "user_answers": {}, "approved": false}"#,
    )
    .expect("write");
    let answers = dir.join("answers.yaml");
    std::fs::write(&answers, "1: yes\n\"Case-sensitive?\": no\n").expect("write");
    let run = pact(&[
        "answer",
        dir.to_str().unwrap_or("."),
        "--answers",
        answers.to_str().unwrap_or(""),
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let i: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".pact/decomposition/interview.json")).expect("read"),
    )
    .expect("json");
    assert_eq!(i["approved"], true);
    assert_eq!(i["user_answers"]["Count numbers as words?"], "yes");
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "7: maybe\n").expect("write");
    let run = pact(&[
        "answer",
        dir.to_str().unwrap_or("."),
        "--answers",
        bad.to_str().unwrap_or(""),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no question \"7\""), "{}", run.stderr);
}

#[test]
fn certify_verify_and_mutate_from_the_command_line() {
    let (_t, dir) = example();
    let d = dir.to_str().unwrap_or(".");
    assert_eq!(pact(&["run", d]).code, 0);
    let cert = pact(&["certify", d]);
    assert_eq!(cert.code, 0, "{}\n{}", cert.stdout, cert.stderr);
    assert_eq!(
        cert.stdout.matches("CERTIFIED ").count(),
        4,
        "{}",
        cert.stdout
    );
    assert!(
        cert.stdout
            .contains("CERTIFIED counter: 6/6 tests, held-out 3/3"),
        "{}",
        cert.stdout
    );
    let ok = pact(&["certify", d, "--verify"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    let f = dir.join(".pact/implementations/counter/src/counter.py");
    let code = std::fs::read_to_string(&f).expect("read");
    std::fs::write(&f, format!("{code}\n# edited by hand\n")).expect("write");
    let stale = pact(&["certify", d, "--verify"]);
    assert_eq!(stale.code, 1);
    assert!(
        stale
            .stdout
            .contains("STALE counter: implementation changed"),
        "{}",
        stale.stdout
    );
    std::fs::write(&f, code).expect("restore");
    let m = pact(&["mutate", d, "formatter", "--max", "6", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&m.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", m.stdout, m.stderr));
    assert_eq!(v[0]["component_id"], "formatter");
    assert_eq!(v[0]["total"], 6);
    assert!(v[0]["killed"].as_u64().is_some_and(|k| k <= 6));
    assert_eq!(
        m.code,
        if v[0]["score"].as_f64().unwrap_or(0.0) < 0.6 {
            1
        } else {
            0
        }
    );
}

/// SIGTERM (a closing terminal, `kill`, a CI timeout) stops a run like Ctrl-C: its test
/// processes die with it and its temp dirs go, within two seconds.
#[test]
fn sigterm_stops_a_run_and_leaves_no_test_process_or_temp_dir() {
    stop_a_run_midway("-TERM", &["run"]);
}

/// Ctrl-C of `pact mutate` stops the mutant runs the same way: no test process, no temp dir.
#[test]
fn sigint_stops_mutate_and_leaves_no_test_process_or_temp_dir() {
    stop_a_run_midway("-INT", &["mutate"]);
}

/// SIGKILL gives Pact no chance to clean up: its test processes die with it all the same
/// (they are tied to it), and the scratch dirs it left are removed by the next Pact to run.
#[test]
fn sigkill_leaves_no_test_process_and_the_next_run_sweeps_its_temp_dirs() {
    stop_a_run_midway("-KILL", &["run"]);
}

fn stop_a_run_midway(signal: &str, command: &[&str]) {
    let (_t, dir) = example();
    if command[0] == "mutate" {
        // Mutation needs accepted implementations: run the example first.
        let run = pact(&["run", dir.to_str().unwrap_or(".")]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let scratch = tempfile::tempdir().expect("tmp");
    let ours = |entry: &str| {
        ["pact-run-", "pact-stub-", "pact-mutant-"]
            .iter()
            .any(|p| entry.starts_with(p))
    };
    let leftovers = || -> Vec<String> {
        std::fs::read_dir(scratch.path())
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| ours(n))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(command)
        .arg(dir.to_str().unwrap_or("."))
        .env("TMPDIR", scratch.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start pact run");
    // Wait until a test run is under way.
    let started = std::time::Instant::now();
    while leftovers().is_empty() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!leftovers().is_empty(), "no test run started");
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    assert!(!status.success(), "a cancelled run does not report success");
    std::thread::sleep(Duration::from_secs(2));
    // No process of the run is left: none has the run's scratch dir in its command line.
    let needle = scratch.path().to_string_lossy().into_owned();
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
                .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                .filter(|c| c.contains(&needle))
                .collect()
        })
        .unwrap_or_default();
    assert!(survivors.is_empty(), "{survivors:?}");
    let killed = signal == "-KILL";
    if !killed {
        assert!(leftovers().is_empty(), "{:?}", leftovers());
    }
    // And the project resumes to completion (sweeping what a killed run left).
    let run = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["run", dir.to_str().unwrap_or(".")])
        .env("TMPDIR", scratch.path())
        .output()
        .expect("run again");
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let pid = format!("-{}-", child.id());
    let of_the_killed: Vec<String> = leftovers()
        .into_iter()
        .filter(|n| n.contains(&pid))
        .collect();
    assert!(of_the_killed.is_empty(), "{of_the_killed:?}");
}
