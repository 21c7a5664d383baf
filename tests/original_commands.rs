//! The original's other commands end to end with the real binary, on copies of the reference
//! projects: resume, tasks and export-tasks, analyze, checklist, cost, clean, diff, directive.
//! Each refusal exits 2 with the file or argument named and leaves every file as it was.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// Every regular file under `dir` with its bytes (what "nothing changed" compares).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let ty = e.file_type().expect("type");
            if ty.is_dir() {
                stack.push(e.path());
            } else if ty.is_file() {
                let rel = e.path().strip_prefix(dir).expect("inside").to_path_buf();
                out.insert(rel, std::fs::read(e.path()).expect("read"));
            }
        }
    }
    out
}

/// Asserts that `dir` holds exactly the files it held before, byte for byte.
fn unchanged(dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let after = files(dir);
    let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    let removed: Vec<_> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        added.is_empty() && removed.is_empty() && changed.is_empty(),
        "{what}: added {added:?}, removed {removed:?}, changed {changed:?}"
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn state(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(".pact/state.json")).expect("state"))
        .expect("json")
}

fn audit(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(".pact/audit.jsonl")).unwrap_or_default()
}

/// Output with the project's temp path shown as `<dir>`.
fn shown(text: &str, dir: &Path) -> String {
    text.replace(s(dir), "<dir>")
}

/// Holds the project's run lock as another job would (the test process is the holder).
struct HeldLock {
    _file: std::fs::File,
}

fn hold_lock(dir: &Path, command: &str) -> HeldLock {
    let pact = dir.join(".pact");
    std::fs::create_dir_all(&pact).expect("mkdir");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(pact.join("run.lock"))
        .expect("lock file");
    f.lock().expect("lock");
    let holder = serde_json::json!({"pid": std::process::id(), "command": command,
        "started_at": "2026-01-01T00:00:00"});
    std::fs::write(pact.join("run.owner.json"), holder.to_string()).expect("owner");
    HeldLock { _file: f }
}

// ── resume ──────────────────────────────────────────────────────────

#[test]
fn resume_refuses_and_changes_nothing() {
    let missing = pact(&["resume", "/nonexistent/pact-project"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/pact-project"),
        "{}",
        missing.stderr
    );

    // (how to break the sample, arguments after the directory, what the error says)
    type Setup = fn(&Path);
    let cases: Vec<(&str, Setup, Vec<&str>, &str)> = vec![
        (
            "no run",
            |d| std::fs::remove_file(d.join(".pact/state.json")).expect("rm"),
            vec![],
            "no run to resume: ",
        ),
        (
            "unknown phase",
            |_| {},
            vec!["--from-phase", "bogus"],
            "unknown phase 'bogus' (phases: interview, shape, decompose, contract, test, validate, implement, integrate)",
        ),
        (
            "not a phase to resume at",
            |_| {},
            vec!["--from-phase", "complete"],
            "a run cannot resume at 'complete'",
        ),
        (
            "a later phase",
            |_| {},
            vec!["--from-phase", "integrate"],
            "--from-phase integrate comes after the run's phase implement: resume can only go back",
        ),
        (
            "active",
            |d| {
                edit(&d.join(".pact/state.json"), |v| {
                    v["status"] = "active".into()
                })
            },
            vec![],
            "the run is already active (phase implement)",
        ),
        (
            "completed",
            |d| {
                edit(&d.join(".pact/state.json"), |v| {
                    v["status"] = "completed".into()
                })
            },
            vec![],
            "the run has completed",
        ),
        (
            "damaged state",
            |d| std::fs::write(d.join(".pact/state.json"), "{\"id\": \"x\", ").expect("w"),
            vec![],
            "state.json:1:",
        ),
        (
            "budget still spent",
            |d| {
                edit(&d.join(".pact/state.json"), |v| {
                    v["status"] = "budget_exceeded".into();
                    v["total_cost_usd"] = 10.5.into();
                })
            },
            vec![],
            "the budget is spent ($10.50 of $10.00); raise `budget` in pact.yaml first",
        ),
    ];
    for (what, setup, args, expected) in cases {
        let (_t, dir) = copy_project("sample");
        setup(&dir);
        let before = files(&dir);
        let mut argv = vec!["resume", s(&dir)];
        argv.extend(args);
        let run = pact(&argv);
        assert_eq!(run.code, 2, "{what}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(expected), "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains("Nothing was changed."),
            "{what}: {}",
            run.stderr
        );
        unchanged(&dir, &before, what);
    }

    // Another job holds the project.
    let (_t, dir) = copy_project("sample");
    let lock = hold_lock(&dir, "pact build counter");
    let before = files(&dir);
    let run = pact(&["resume", s(&dir)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("another job is running on this project: pact build counter"),
        "{}",
        run.stderr
    );
    unchanged(&dir, &before, "busy");
    drop(lock);

    // A directory that is a project but has never run: not even a lock file appears.
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("task.md"), "# Task\n").expect("task");
    let before = files(tmp.path());
    let run = pact(&["resume", s(tmp.path())]);
    assert_eq!(run.code, 2);
    assert!(tmp.path().join(".pact").symlink_metadata().is_err());
    unchanged(tmp.path(), &before, "fresh project");
}

#[test]
fn resume_sets_the_run_going_again() {
    let (_t, dir) = copy_project("sample");
    let run = pact(&["resume", s(&dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("resume_sample", shown(&run.stdout, &dir));
    let st = state(&dir);
    assert_eq!(st["status"], "active");
    assert_eq!(st["phase"], "implement");
    assert_eq!(st["pause_reason"], "");
    let last = audit(&dir).lines().last().unwrap_or_default().to_string();
    assert!(
        last.contains("\"daemon_resume\"")
            && last.contains("Resuming from paused at implement: hand-built fixture"),
        "{last}"
    );
    // Once active, a second resume is refused.
    let again = pact(&["resume", s(&dir)]);
    assert_eq!(again.code, 2);

    // Back to an earlier phase.
    let (_t2, dir) = copy_project("sample");
    let run = pact(&["resume", s(&dir), "--from-phase", "Contract"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Resumed the run at phase contract (it was paused at implement)."),
        "{}",
        run.stdout
    );
    assert_eq!(state(&dir)["phase"], "contract");

    // A failed run in diagnosis goes on by implementing again; its end time goes.
    let (_t3, dir) = copy_project("sample");
    edit(&dir.join(".pact/state.json"), |v| {
        v["status"] = "failed".into();
        v["phase"] = "diagnose".into();
        v["completed_at"] = "2025-01-02T00:00:00".into();
    });
    let run = pact(&["resume", s(&dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let st = state(&dir);
    assert_eq!(
        (&st["status"], &st["phase"], &st["completed_at"]),
        (
            &serde_json::json!("active"),
            &serde_json::json!("implement"),
            &serde_json::json!("")
        )
    );

    // Out of budget, and the budget raised since.
    let (_t4, dir) = copy_project("sample");
    edit(&dir.join(".pact/state.json"), |v| {
        v["status"] = "budget_exceeded".into();
        v["total_cost_usd"] = 10.5.into();
    });
    let yaml = std::fs::read_to_string(dir.join("pact.yaml")).expect("yaml");
    std::fs::write(
        dir.join("pact.yaml"),
        yaml.replace("budget: 10.0", "budget: 20.0"),
    )
    .expect("yaml");
    let run = pact(&["resume", s(&dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(state(&dir)["status"], "active");
}

fn daemon(dir: &Path) -> Child {
    let log = std::fs::File::create(dir.with_extension("daemon.log")).expect("log");
    Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["daemon", s(dir), "--plan-only"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone"))
        .stderr(log)
        .spawn()
        .expect("spawn daemon")
}

fn wait_for(what: &str, dir: &Path, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; daemon log:\n{}",
            std::fs::read_to_string(dir.with_extension("daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `pact resume` and `pact directive` with a daemon waiting on the project: the directive is
/// the daemon's, checked before it is sent; resume leaves the run for the daemon to take back.
#[test]
fn resume_and_directive_reach_a_waiting_daemon() {
    let (_t, dir) = example();
    let d = s(&dir).to_string();
    let mut child = daemon(&dir);
    let validations = |dir: &Path| audit(dir).matches("\"validation\"").count();
    wait_for("the plan-only pause", &dir, || {
        dir.join(".pact/daemon.pid").exists()
            && std::fs::read_to_string(dir.join(".pact/state.json"))
                .is_ok_and(|t| t.contains("\"paused\""))
            && validations(&dir) > 0
    });

    let bad = pact(&[
        "directive",
        &d,
        r#"{"type":"apply_remedy","remedy":"nuke"}"#,
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("directive rejected: unknown remedy `nuke`"),
        "{}",
        bad.stderr
    );
    let ok = pact(&[
        "directive",
        &d,
        r#"{"type":"apply_remedy","remedy":"max_plan_revisions","value":1}"#,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    wait_for("the remedy", &dir, || {
        audit(&dir).contains("\"remedy_applied\"")
    });

    let seen = validations(&dir);
    let run = pact(&["resume", &d]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("Signalled the daemon (pid {})", child.id())),
        "{}",
        run.stdout
    );
    // The daemon took the run back and (plan-only) paused at the gate again.
    wait_for("the daemon to go on", &dir, || {
        audit(&dir).contains("Signal: resume") && validations(&dir) > seen
    });
    let stop = pact(&["stop", &d]);
    assert_eq!(stop.code, 0, "{}", stop.stderr);
    let _ = child.wait();

    // No daemon any more: the directive says so.
    let gone = pact(&["directive", &d, "resume"]);
    assert_eq!(gone.code, 2);
    assert!(
        gone.stderr.contains("no daemon is running"),
        "{}",
        gone.stderr
    );
}

// ── tasks, export-tasks ─────────────────────────────────────────────

#[test]
fn tasks_are_deterministic_with_real_dependencies() {
    let (_t, dir) = copy_project("sample");
    let before = files(&dir);
    let md = pact(&["tasks", s(&dir)]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    insta::assert_snapshot!("tasks_sample", md.stdout);
    let json = pact(&["tasks", s(&dir), "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    // Same input, same bytes.
    assert_eq!(pact(&["tasks", s(&dir)]).stdout, md.stdout);
    assert_eq!(pact(&["tasks", s(&dir), "--json"]).stdout, json.stdout);
    unchanged(&dir, &before, "tasks reads only");

    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["project_id"], "sample");
    let tasks = v["tasks"].as_array().expect("tasks");
    let task = |desc: &str| {
        tasks
            .iter()
            .find(|t| t["description"] == desc)
            .unwrap_or_else(|| panic!("no task {desc}"))
    };
    // The counter is implemented after the tokenizer it depends on is verified.
    let verify_tokenizer = task("Run tests and verify Tokenizer")["id"].clone();
    let implement_counter = task("Implement Word Counter");
    assert!(
        implement_counter["depends_on"]
            .as_array()
            .is_some_and(|d| d.contains(&verify_tokenizer)),
        "{implement_counter}"
    );
    // The parent is wired after each child is verified.
    let wire = task("Wire children for Word Frequency Report");
    for child in ["Tokenizer", "Word Counter", "Report Formatter"] {
        let v = task(&format!("Run tests and verify {child}"))["id"].clone();
        assert!(
            wire["depends_on"]
                .as_array()
                .is_some_and(|d| d.contains(&v)),
            "{wire}"
        );
    }
    // Every leaf's review can start with the phase; nothing after it in its chain can.
    assert_eq!(task("Review contract for Tokenizer")["parallel"], true);
    assert_eq!(task("Implement Tokenizer")["parallel"], false);
    // Ids are the original's, in order.
    for (i, t) in tasks.iter().enumerate() {
        assert_eq!(t["id"], format!("T{:03}", i + 1));
    }

    // export-tasks prints the same, and writes a file only where none is.
    let out = pact(&["export-tasks", s(&dir)]);
    assert_eq!(out.stdout, md.stdout);
    let out = pact(&["export-tasks", s(&dir), "--format", "json"]);
    assert_eq!(out.stdout, json.stdout);
    let file = dir.join("TASKS.md");
    let out = pact(&["export-tasks", s(&dir), "-o", s(&file)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).expect("written"), md.stdout);
    std::fs::write(&file, "mine\n").expect("w");
    let before = files(&dir);
    let out = pact(&["export-tasks", s(&dir), "-o", s(&file)]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("TASKS.md exists; `--force` overwrites it"),
        "{}",
        out.stderr
    );
    unchanged(&dir, &before, "export over a user file");
    let out = pact(&[
        "export-tasks",
        s(&dir),
        "--format",
        "json",
        "-o",
        s(&file),
        "--force",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).expect("r"), json.stdout);
    let out = pact(&["export-tasks", s(&dir), "-o", s(&dir.join(".pact"))]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not a regular file"),
        "{}",
        out.stderr
    );
}

#[test]
fn tasks_analyze_and_checklist_refuse_an_unusable_plan() {
    let run = pact(&["directive", "/nonexistent/pact-project", "resume"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/pact-project"),
        "{}",
        run.stderr
    );
    for cmd in ["tasks", "export-tasks", "analyze", "checklist"] {
        let run = pact(&[cmd, "/nonexistent/pact-project"]);
        assert_eq!(run.code, 2, "{cmd}");
        assert!(run.stderr.contains("/nonexistent/pact-project"), "{cmd}");

        let (_t, dir) = copy_project("sample");
        std::fs::remove_file(dir.join(".pact/decomposition/tree.json")).expect("rm");
        let before = files(&dir);
        let run = pact(&[cmd, s(&dir)]);
        assert_eq!(run.code, 2, "{cmd}: {}", run.stdout);
        assert!(
            run.stderr.contains("no decomposition tree: ")
                && run.stderr.contains("tree.json does not exist"),
            "{cmd}: {}",
            run.stderr
        );
        unchanged(&dir, &before, cmd);

        let (_t, dir) = copy_project("sample");
        std::fs::write(
            dir.join(".pact/contracts/counter/interface.json"),
            "{\n  \"component_id\": \"counter\",\n  \"name\": 7\n}\n",
        )
        .expect("w");
        let before = files(&dir);
        let run = pact(&[cmd, s(&dir)]);
        assert_eq!(run.code, 2, "{cmd}");
        assert!(
            run.stderr.contains("counter/interface.json:3:")
                && run.stderr.contains("`pact validate` lists every problem"),
            "{cmd}: {}",
            run.stderr
        );
        unchanged(&dir, &before, cmd);
    }
}

// ── analyze ─────────────────────────────────────────────────────────

#[test]
fn analyze_finds_gaps_vague_words_duplicates_and_unused_dependencies() {
    let (_t, dir) = copy_project("sample");
    let before = files(&dir);
    let run = pact(&["analyze", s(&dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("analyze_sample", run.stdout);
    unchanged(&dir, &before, "analyze reads only");

    // A requirement nobody covers, vague wording, a dependency never used, a missing suite.
    std::fs::write(
        dir.join("task.md"),
        std::fs::read_to_string(dir.join("task.md")).expect("task")
            + "- Results are cached on disk between runs.\n",
    )
    .expect("w");
    edit(&dir.join(".pact/contracts/formatter/interface.json"), |v| {
        v["dependencies"] = serde_json::json!(["tokenizer"]);
        v["functions"][0]["postconditions"] =
            serde_json::json!(["The output should be appropriate, etc."]);
    });
    std::fs::remove_file(dir.join(".pact/contracts/tokenizer/tests/contract_test_suite.json"))
        .expect("rm");
    let run = pact(&["analyze", s(&dir), "--json"]);
    assert_eq!(run.code, 1, "an error finding: {}", run.stdout);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let find = |code: &str| -> Vec<serde_json::Value> {
        v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["code"] == code)
            .cloned()
            .collect()
    };
    let req = find("uncovered-requirement");
    assert_eq!(req.len(), 1, "{req:?}");
    assert_eq!(req[0]["location"]["file"], "task.md");
    assert_eq!(req[0]["location"]["line"], 12);
    assert!(
        req[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("Results are cached on disk between runs."))
    );
    let vague = find("vague-wording");
    assert_eq!(vague.len(), 1, "{vague:?}");
    assert_eq!(vague[0]["severity"], "warning");
    assert_eq!(
        vague[0]["location"]["file"],
        ".pact/contracts/formatter/interface.json"
    );
    let text =
        std::fs::read_to_string(dir.join(".pact/contracts/formatter/interface.json")).expect("r");
    let line = vague[0]["location"]["line"].as_u64().unwrap_or(0) as usize;
    let col = vague[0]["location"]["column"].as_u64().unwrap_or(0) as usize;
    let at: String = text
        .lines()
        .nth(line - 1)
        .unwrap_or_default()
        .chars()
        .skip(col - 1)
        .take(6)
        .collect();
    assert_eq!(at, "should", "the position is the first vague word");
    let unused = find("unused-dependency");
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert_eq!(unused[0]["component_id"], "formatter");
    assert_eq!(find("missing-suite").len(), 1);
    assert_eq!(v["errors"], 1);
    let dup = find("duplicate-type");
    assert_eq!(dup.len(), 3, "ReportFormat, Token, WordCount");
    assert_eq!(dup[0]["related"].as_array().map(Vec::len), Some(1));
}

// ── checklist ───────────────────────────────────────────────────────

#[test]
fn checklist_answers_what_the_project_answers() {
    let (_t, dir) = copy_project("sample");
    let before = files(&dir);
    let run = pact(&["checklist", s(&dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("checklist_sample", run.stdout);
    unchanged(&dir, &before, "checklist reads only");
    assert_eq!(pact(&["checklist", s(&dir)]).stdout, run.stdout);

    // An error case no test expects, a vague precondition, a postcondition about nothing.
    edit(
        &dir.join(".pact/contracts/counter/tests/contract_test_suite.json"),
        |v| {
            if let Some(cases) = v["test_cases"].as_array_mut() {
                cases.retain(|c| c["category"] != "error_case");
            }
        },
    );
    edit(&dir.join(".pact/contracts/counter/interface.json"), |v| {
        v["functions"][1]["preconditions"] = serde_json::json!(["n should be reasonable"]);
        v["functions"][1]["postconditions"] = serde_json::json!(["everything is consistent"]);
    });
    let run = pact(&["checklist", s(&dir), "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let items = v["items"].as_array().expect("items");
    let item = |start: &str| {
        items
            .iter()
            .find(|i| i["question"].as_str().is_some_and(|q| q.starts_with(start)))
            .unwrap_or_else(|| panic!("no item {start}: {items:?}"))
    };
    let err = item("Is error case 'InvalidN' of 'top_n'");
    assert_eq!(err["satisfied"], false);
    assert_eq!(err["category"], "error_handling");
    assert_eq!(
        err["location"]["file"],
        ".pact/contracts/counter/interface.json"
    );
    let pre = item("Is the precondition of 'top_n' testable");
    assert_eq!(pre["satisfied"], false);
    assert!(
        pre["why"]
            .as_str()
            .is_some_and(|w| w.contains("\"should\""))
    );
    let post = item("Is the postcondition of 'top_n' measurable");
    assert_eq!(post["satisfied"], false);
    let suite = item("Does the test suite of 'counter' include error case tests?");
    assert_eq!(suite["satisfied"], false);
    assert_eq!(
        v["total"].as_u64(),
        Some(items.len() as u64),
        "counts add up"
    );
}

// ── cost ────────────────────────────────────────────────────────────

/// `pact` with no backend, model or global configuration from the machine running the tests.
fn pact_clean(args: &[&str], config_dir: &Path) -> Run {
    pact_with(args, |cmd| {
        cmd.env("PACT_CONFIG", config_dir.join("config.yaml"))
            .env_remove("PACT_BACKEND")
            .env_remove("PACT_MODEL")
            .env_remove("PACT_REPLAY_FILE");
    })
}

#[test]
fn cost_estimates_the_work_left_at_the_configured_prices() {
    let (t, dir) = copy_project("sample");
    let before = files(&dir);
    let run = pact_clean(&["cost", s(&dir)], t.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("cost_sample", shown(&run.stdout, &dir));
    unchanged(&dir, &before, "cost reads only");

    let json = |dir: &Path| -> serde_json::Value {
        let run = pact_clean(&["cost", s(dir), "--json"], t.path());
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str(&run.stdout).expect("json")
    };
    let v = json(&dir);
    let phase = |v: &serde_json::Value, name: &str| {
        v["phases"]
            .as_array()
            .and_then(|p| p.iter().find(|x| x["phase"] == name).cloned())
            .unwrap_or_default()
    };
    assert_eq!(
        phase(&v, "implement")["pending"],
        serde_json::json!(["tokenizer", "counter", "formatter"])
    );
    assert_eq!(
        phase(&v, "integrate")["pending"],
        serde_json::json!(["wordfreq"])
    );
    assert_eq!(v["spent_usd"], 0.42);
    assert_eq!(v["budget_usd"], 10.0);
    // One implementation at opus prices: 6,000 × 15 + 4,000 × 75 per million.
    let per = phase(&v, "implement")["estimate_usd"]
        .as_f64()
        .unwrap_or(0.0)
        / 3.0;
    assert!((per - 0.39).abs() < 1e-9, "{per}");

    // A component without its contract needs everything; the project's own prices apply; an
    // estimate over what is left says so.
    std::fs::remove_file(dir.join(".pact/contracts/formatter/interface.json")).expect("rm");
    std::fs::remove_file(dir.join(".pact/contracts/formatter/tests/contract_test_suite.json"))
        .expect("rm");
    let yaml = std::fs::read_to_string(dir.join("pact.yaml")).expect("yaml");
    std::fs::write(
        dir.join("pact.yaml"),
        yaml.replace("budget: 10.0", "budget: 0.5")
            + "model_pricing:\n  claude-opus-4-6: [1.0, 2.0]\n",
    )
    .expect("yaml");
    let v = json(&dir);
    assert_eq!(
        phase(&v, "contract")["pending"],
        serde_json::json!(["formatter"])
    );
    assert_eq!(
        phase(&v, "test")["pending"],
        serde_json::json!(["formatter"])
    );
    assert_eq!(phase(&v, "contract")["price_in"], 1.0);
    let formatter = v["per_component"]
        .as_array()
        .and_then(|c| c.iter().find(|x| x["id"] == "formatter").cloned())
        .unwrap_or_default();
    assert_eq!(
        formatter["needs"],
        serde_json::json!(["contract", "test", "implement"])
    );
    let run = pact_clean(&["cost", s(&dir)], t.path());
    assert!(
        run.stdout.contains("more than the budget has left"),
        "{}",
        run.stdout
    );

    // A model the price table does not know is priced at the fallback, and said to be.
    std::fs::write(
        dir.join("pact.yaml"),
        "budget: 10.0\nlanguage: python\nmodel: some-local-model\n",
    )
    .expect("yaml");
    let v = json(&dir);
    assert_eq!(phase(&v, "implement")["price_guessed"], true);
    assert_eq!(phase(&v, "implement")["model"], "some-local-model");

    // No plan yet: nothing to estimate.
    let (_t2, dir) = copy_project("sample");
    std::fs::remove_file(dir.join(".pact/decomposition/tree.json")).expect("rm");
    let before = files(&dir);
    let run = pact_clean(&["cost", s(&dir)], t.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no decomposition tree"),
        "{}",
        run.stderr
    );
    unchanged(&dir, &before, "cost without a tree");
    let run = pact_clean(&["cost", "/nonexistent/pact-project"], t.path());
    assert_eq!(run.code, 2);
}

// ── clean ───────────────────────────────────────────────────────────

/// The sample with something of every removable kind, all of known size.
fn cluttered() -> (tempfile::TempDir, PathBuf) {
    let (t, dir) = copy_project("sample");
    let p = dir.join(".pact");
    // What other tests leave in the fixture (validate writes its cache and .gitignore there).
    let _ = std::fs::remove_dir_all(p.join("cache"));
    let _ = std::fs::remove_file(p.join(".gitignore"));
    let put = |rel: &str, text: &str| {
        let f = p.join(rel);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    };
    put("cache/test-analysis.json", "{\"entries\": {}}\n");
    put("raw/contract_author-1.txt", "not json\n");
    // A pid above any pid_max: that daemon is gone.
    put("daemon.pid", "2147483646\n");
    put("shutdown", "shutdown requested\n");
    put(
        "implementations/counter/attempts/a1b2c3d4/src/counter.py",
        "def top_n(): ...\n",
    );
    put(
        "implementations/counter/attempts/a1b2c3d4/metadata.json",
        "{\"passed\": 5}\n",
    );
    put(
        "implementations/counter/attempts/e5f6a7b8/src/counter.py",
        "def top_n(): pass\n",
    );
    put(
        "contracts/counter/history/20250101_000000.json",
        "{\"v\": 1}\n",
    );
    put(
        "contracts/counter/history/20250102_000000.json",
        "{\"v\": 2}\n",
    );
    put("tasks.json", "{}\n");
    (t, dir)
}

#[test]
fn clean_lists_then_removes_only_what_is_safe() {
    let (_t, dir) = cluttered();
    let d = s(&dir).to_string();
    let before = files(&dir);
    let run = pact(&["clean", &d]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Nothing removed."), "{}", run.stdout);
    let dry = pact(&["clean", &d, "--all", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    insta::assert_snapshot!("clean_all_dry_run", dry.stdout);
    unchanged(&dir, &before, "listing and a dry run remove nothing");

    let gone = |after: &BTreeMap<PathBuf, Vec<u8>>| -> Vec<String> {
        before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .map(|k| k.to_string_lossy().into_owned())
            .collect()
    };
    // --stale: the dead daemon's files, the cache, raw answers.
    let run = pact(&["clean", &d, "--stale"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Removing ("), "{}", run.stdout);
    let after = files(&dir);
    let mut removed = gone(&after);
    removed.sort();
    assert_eq!(
        removed,
        [
            ".pact/cache/test-analysis.json",
            ".pact/daemon.pid",
            ".pact/raw/contract_author-1.txt",
            ".pact/shutdown"
        ]
    );
    // Everything else is as it was (the clean held the run lock: its file, and the .gitignore
    // Pact writes next to its first lock, may have appeared).
    for (k, v) in &after {
        if let Some(b) = before.get(k) {
            assert_eq!(b, v, "{k:?} changed");
        } else {
            assert!(
                k.ends_with("run.lock") || k.ends_with(".gitignore"),
                "{k:?} appeared"
            );
        }
    }

    // --attempts: the attempts, nothing else.
    let run = pact(&["clean", &d, "--attempts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.join(".pact/implementations/counter/attempts").exists());
    assert!(
        dir.join(".pact/implementations/counter/src/counter.py")
            .exists()
    );
    assert!(
        dir.join(".pact/contracts/counter/history/20250101_000000.json")
            .exists()
    );

    // --all: and old contract versions, never the newest.
    let run = pact(&["clean", &d, "--all", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        v["removed"][0]["path"],
        ".pact/contracts/counter/history/20250101_000000.json"
    );
    assert!(
        !dir.join(".pact/contracts/counter/history/20250101_000000.json")
            .exists()
    );
    assert!(
        dir.join(".pact/contracts/counter/history/20250102_000000.json")
            .exists()
    );
    let run = pact(&["clean", &d, "--all"]);
    assert!(run.stdout.contains("Nothing to remove."), "{}", run.stdout);

    // Never touched, whatever the flags: contracts, tests, tree, state, audit, implementations.
    for kept in [
        ".pact/contracts/counter/interface.json",
        ".pact/contracts/counter/tests/contract_test_suite.json",
        ".pact/decomposition/tree.json",
        ".pact/state.json",
        ".pact/audit.jsonl",
        ".pact/implementations/counter/src/counter.py",
        ".pact/tasks.json",
    ] {
        assert_eq!(
            std::fs::read(dir.join(kept)).ok().as_deref(),
            before.get(Path::new(kept)).map(Vec::as_slice),
            "{kept}"
        );
    }
}

#[test]
fn clean_refuses_while_a_job_runs_and_never_follows_links() {
    let (_t, dir) = cluttered();
    let d = s(&dir).to_string();
    let lock = hold_lock(&dir, "pact run");
    let before = files(&dir);
    let run = pact(&["clean", &d, "--all"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("another job is running on this project: pact run (pid")
            && run.stderr.contains("nothing was removed"),
        "{}",
        run.stderr
    );
    unchanged(&dir, &before, "clean while a job runs");
    let json = pact(&["clean", &d, "--attempts", "--json"]);
    assert_eq!(json.code, 2);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert!(
        v["refused"]
            .as_str()
            .is_some_and(|r| r.contains("pact run"))
    );
    let dry = pact(&["clean", &d, "--all", "--dry-run"]);
    assert_eq!(dry.code, 0);
    assert!(
        dry.stdout.contains("a clean now would be refused"),
        "{}",
        dry.stdout
    );
    unchanged(&dir, &before, "dry run while a job runs");
    drop(lock);

    // A link inside an attempt to a file outside the project: the link goes, the file stays.
    let outside = tempfile::tempdir().expect("tmp");
    let target = outside.path().join("precious.txt");
    std::fs::write(&target, "mine\n").expect("w");
    std::os::unix::fs::symlink(
        outside.path(),
        dir.join(".pact/implementations/counter/attempts/a1b2c3d4/src/linked"),
    )
    .expect("symlink");
    let run = pact(&["clean", &d, "--attempts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.join(".pact/implementations/counter/attempts").exists());
    assert_eq!(
        std::fs::read_to_string(&target).ok().as_deref(),
        Some("mine\n")
    );

    let run = pact(&["clean", "/nonexistent/pact-project", "--all"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/pact-project"),
        "{}",
        run.stderr
    );
}

// ── diff ────────────────────────────────────────────────────────────

/// The sample's counter with two competing attempts (the first won) and an archived one.
fn with_attempts() -> (tempfile::TempDir, PathBuf) {
    let (t, dir) = copy_project("sample");
    let imp = dir.join(".pact/implementations/counter");
    let current = std::fs::read_to_string(imp.join("src/counter.py")).expect("src");
    let put = |rel: &str, text: &str| {
        let f = imp.join(rel);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    };
    put("attempts/a1winner/src/counter.py", &current);
    put(
        "attempts/a1winner/metadata.json",
        r#"{"attempt_id": "a1winner", "passed": 6, "total": 6}"#,
    );
    put(
        "attempts/b2loser/src/counter.py",
        &current.replace("(-kv[1], kv[0])", "(kv[1], kv[0])"),
    );
    put("attempts/b2loser/src/helper.py", "UNUSED = 1\n");
    put(
        "attempts/b2loser/metadata.json",
        r#"{"attempt_id": "b2loser", "passed": 4, "total": 6}"#,
    );
    put(
        "metadata.json",
        r#"{"component_id": "counter", "status": "passed", "attempts": 2, "contract_version": 1,
            "src_hash": "", "test_hash": "", "winner_attempt": "a1winner", "timestamp": ""}"#,
    );
    (t, dir)
}

#[test]
fn diff_shows_the_current_implementation_against_an_attempt() {
    let (_t, dir) = with_attempts();
    let d = s(&dir).to_string();
    let before = files(&dir);
    // By default: the first attempt that did not win.
    let run = pact(&["diff", &d, "counter"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("diff_counter", run.stdout);
    let run = pact(&["diff", &d, "counter", "--attempt", "a1winner"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("No differences: a1winner and current are identical."),
        "{}",
        run.stdout
    );
    let run = pact(&["diff", &d, "counter", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        (&v["from"], &v["to"]),
        (&"b2loser".into(), &"current".into())
    );
    assert_eq!(v["files"][0]["path"], "counter.py");
    assert_eq!(v["files"][0]["change"], "modified");
    assert_eq!(v["files"][1]["change"], "removed");
    assert_eq!(v["sources"][1]["winner"], true);
    unchanged(&dir, &before, "diff reads only");

    // Refusals name what is wrong.
    type Setup = fn(&Path);
    let cases: Vec<(&str, Setup, Vec<&str>, &str)> = vec![
        (
            "unknown component",
            |_| {},
            vec!["nope"],
            "unknown component 'nope' (known: wordfreq, tokenizer, counter, formatter)",
        ),
        (
            "an id that is a path",
            |_| {},
            vec!["../counter"],
            "component id \"../counter\" is not allowed",
        ),
        (
            "unknown attempt",
            |_| {},
            vec!["counter", "--attempt", "zz"],
            "'counter' has no attempt 'zz' (known: a1winner, b2loser)",
        ),
        (
            "an attempt that is a path",
            |_| {},
            vec!["counter", "--attempt", "../../tokenizer"],
            "'counter' has no attempt '../../tokenizer'",
        ),
        (
            "no attempts",
            |_| {},
            vec!["tokenizer"],
            "'tokenizer' has no attempt to compare its implementation with",
        ),
        (
            "no implementation",
            |d| std::fs::remove_dir_all(d.join(".pact/implementations/counter/src")).expect("rm"),
            vec!["counter"],
            "'counter' has no implementation to compare: .pact/implementations/counter/src does not exist",
        ),
    ];
    for (what, setup, args, expected) in cases {
        let (_t, dir) = with_attempts();
        setup(&dir);
        let before = files(&dir);
        let mut argv = vec!["diff", s(&dir)];
        argv.extend(args);
        let run = pact(&argv);
        assert_eq!(run.code, 2, "{what}: {}", run.stdout);
        assert!(run.stderr.contains(expected), "{what}: {}", run.stderr);
        unchanged(&dir, &before, what);
    }
    let run = pact(&["diff", "/nonexistent/pact-project", "counter"]);
    assert_eq!(run.code, 2);
}

/// A rebuild from the contract archives the implementation it replaces, as the original does;
/// `pact diff` then shows what the rebuild changed.
#[test]
fn a_rebuild_archives_the_old_implementation_for_diff() {
    let (_t, dir) = example();
    let d = s(&dir).to_string();
    let run = pact(&["run", &d]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Someone edited the accepted code by hand; the rebuild replaces it.
    let src = dir.join(".pact/implementations/counter/src/counter.py");
    let edited = std::fs::read_to_string(&src).expect("src") + "\n# edited by hand\n";
    std::fs::write(&src, &edited).expect("edit");
    let run = pact(&["build", "--force", &d, "counter"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let attempts: Vec<String> =
        std::fs::read_dir(dir.join(".pact/implementations/counter/attempts"))
            .expect("attempts")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    let id = &attempts[0];
    assert!(id.starts_with("archived_"), "{id}");
    let archived = dir.join(".pact/implementations/counter/attempts").join(id);
    assert_eq!(
        std::fs::read_to_string(archived.join("src/counter.py"))
            .ok()
            .as_deref(),
        Some(edited.as_str())
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(archived.join("metadata.json")).expect("meta"),
    )
    .expect("json");
    assert_eq!(meta["type"], "archived");
    assert!(archived.join("original_metadata.json").is_file());
    assert!(audit(&dir).contains("implementation archived as archived_"));

    let run = pact(&["diff", &d, "counter"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("Diff: {id} → current (1 file differs)"))
            && run.stdout.contains("-# edited by hand"),
        "{}",
        run.stdout
    );
    // And clean --attempts takes the archive away.
    let run = pact(&["clean", &d, "--attempts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!archived.exists());
}

// ── a closed pipe ───────────────────────────────────────────────────

/// `pact tasks … | head -0`: standard output is a pipe nobody reads. Each command ends quietly
/// with status 0 (as on a reader that went away), never a panic.
#[test]
fn a_closed_pipe_is_no_panic() {
    let (_t, dir) = with_attempts();
    let d = s(&dir).to_string();
    for args in [
        vec!["tasks", &d],
        vec!["tasks", &d, "--json"],
        vec!["export-tasks", &d],
        vec!["analyze", &d],
        vec!["checklist", &d, "--json"],
        vec!["cost", &d],
        vec!["clean", &d],
        vec!["diff", &d, "counter"],
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_pact"))
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run pact");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
