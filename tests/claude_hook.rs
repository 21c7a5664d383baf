//! `pact hook claude-code`, Claude Code's PostToolUse hook, run as Claude Code runs it: the event
//! as JSON on stdin, findings of the edited file on stderr with exit 2, silence and exit 0
//! otherwise; and the Claude Code plugin in `editors/claude-code` against the documented rules
//! for its manifest, hooks, MCP servers and commands.

use crate::support;

use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::*;

/// Runs the hook with `input` on stdin, as Claude Code does (cwd: the session's directory).
fn hook(input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["hook", "claude-code"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pact");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        // The hook may stop reading early (never on valid input); a broken pipe is its business.
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A PostToolUse event as Claude Code sends it after an Edit.
fn event(cwd: &Path, file_path: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "session_id": "3f0a6c1e-2b7d-4f3a-9c1e-5d2b7f3a9c1e",
        "transcript_path": "/home/user/.claude/projects/p/3f0a6c1e.jsonl",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": "PostToolUse",
        "tool_name": "Edit",
        "tool_input": {
            "file_path": file_path,
            "old_string": "\"type_ref\": \"str\"",
            "new_string": "\"type_ref\": \"Histogram\"",
            "replace_all": false
        },
        "tool_response": {
            "filePath": file_path,
            "oldString": "\"type_ref\": \"str\"",
            "newString": "\"type_ref\": \"Histogram\"",
            "structuredPatch": [],
            "userModified": false
        },
        "tool_use_id": "toolu_01ABCDEF"
    }))
    .expect("event")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// What `pact validate --json` says about one file of the project, as the hook words it.
fn validate_lines_for(dir: &Path, rel: &str) -> Vec<String> {
    let (_, v) = validate_json(dir);
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["file"] == rel && d["severity"] != "info")
        .map(|d| {
            format!(
                "{}[{}] {}:{}:{}: {}",
                d["severity"].as_str().expect("severity"),
                d["code"].as_str().expect("code"),
                rel,
                d["line"],
                d["column"],
                d["message"].as_str().expect("message"),
            )
        })
        .collect()
}

fn assert_silent(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{what}");
    assert_eq!(run.stderr, "", "{what}");
}

/// Bad input: never in the agent's way (exit 0, nothing on stdout), never a panic.
fn assert_stays_out_of_the_way(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{what}");
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert!(run.stderr.lines().count() <= 1, "{what}: {}", run.stderr);
}

const COUNTER: &str = ".pact/contracts/counter/interface.json";

#[test]
fn an_unresolved_type_goes_back_to_claude_with_its_place_and_fix() {
    let (_tmp, dir) = copy_project("broken_unresolved_type");
    let file = dir.join(COUNTER);
    let run = hook(&event(&dir, text(&file)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "", "exit 2: Claude Code reads stderr only");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "error[unresolved-type] .pact/contracts/counter/interface.json:62:24: Function 'count_tokens' input 'histogram' type_ref 'Histogram' not defined in component 'counter'",
            "error[unresolved-type] .pact/contracts/counter/interface.json:87:28: Function 'top_n' output_type 'list[WordCounts]' not defined in component 'counter' (did you mean `WordCount`?)",
            &format!(
                "Pact: the gate rejects .pact/contracts/counter/interface.json with 2 errors; fix them before you go on, then run `pact validate {}`.",
                std::fs::canonicalize(&dir).expect("canonical").display()
            ),
        ]
    );
    // The same findings, at the same places, as `pact validate` reports for this file; the
    // other contract's error is not this edit's.
    for want in validate_lines_for(&dir, COUNTER) {
        assert!(
            run.stderr.contains(&want),
            "missing {want:?} in\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("formatter"), "{}", run.stderr);
}

#[test]
fn the_contract_once_fixed_is_silent() {
    let (_tmp, dir) = copy_project("broken_unresolved_type");
    let file = dir.join(COUNTER);
    let fixed = std::fs::read_to_string(&file)
        .expect("read")
        .replace(
            "\"type_ref\": \"Histogram\"",
            "\"type_ref\": \"dict[str, int]\"",
        )
        .replace("list[WordCounts]", "list[WordCount]");
    std::fs::write(&file, fixed).expect("write");
    assert_silent(&hook(&event(&dir, text(&file))), "fixed contract");
    // The project still fails the gate elsewhere: that is another file's business.
    let formatter = dir.join(".pact/contracts/formatter/interface.json");
    let run = hook(&event(&dir, text(&formatter)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error[unresolved-type] .pact/contracts/formatter/interface.json:24:24: Type 'WordCount' field 'ratio' type_ref 'Percentage' not defined"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_relative_path_is_taken_from_the_events_cwd() {
    let (_tmp, dir) = copy_project("broken_unresolved_type");
    let run = hook(&event(&dir, COUNTER));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(
        "error[unresolved-type] .pact/contracts/counter/interface.json:62:24: Function 'count_tokens'"
    ));
    // From a subdirectory, with `..` in the path.
    let run = hook(&event(
        &dir.join(".pact/contracts/formatter"),
        "../counter/interface.json",
    ));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(".pact/contracts/counter/interface.json:87:28")
    );
}

#[test]
fn warnings_alone_are_shown_too_and_capped() {
    let (_tmp, dir) = copy_project("sample");
    let rel = ".pact/contracts/tokenizer/tests/contract_test.py";
    let file = dir.join(rel);
    assert_silent(&hook(&event(&dir, text(&file))), "a clean test file");

    let mut code = std::fs::read_to_string(&file).expect("read");
    for i in 1..=7 {
        code.push_str(&format!("\n\ndef test_idle_{i}():\n    tokenize(\"a\")\n"));
    }
    std::fs::write(&file, &code).expect("write");
    let run = hook(&event(&dir, text(&file)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        7,
        "5 warnings, the count of the rest, what to do:\n{}",
        run.stderr
    );
    assert!(
        lines[..5]
            .iter()
            .all(|l| l.starts_with(&format!("warning[toothless-test] {rel}:")))
    );
    assert!(lines[0].ends_with(
        "Test 'test_idle_1' in 'contract_test.py' of 'tokenizer' has no assertion: it cannot fail"
    ));
    assert!(
        lines[5].starts_with("… 2 more warnings: run `pact validate "),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].starts_with(&format!(
            "Pact: {rel} passes the gate with 7 warnings; fix them"
        )),
        "{}",
        lines[6]
    );

    // An error comes first, and errors are never capped.
    code.push_str("\n\ndef broken(:\n    pass\n");
    std::fs::write(&file, &code).expect("write");
    let run = hook(&event(&dir, text(&file)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let first = run.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("error[test-syntax] {rel}:")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("Pact: the gate rejects")
    );
}

#[test]
fn an_edit_of_a_locked_test_is_tampering_and_said_at_once() {
    let (_tmp, dir) = copy_project("sample");
    let tests = dir.join(".pact/contracts/tokenizer/tests/contract_test.py");
    let locks = dir.join(".pact/locks/tokenizer");
    std::fs::create_dir_all(&locks).expect("mkdir");
    let locked = locks.join("contract_test.py");
    std::fs::copy(&tests, &locked).expect("copy");
    let hash = pact_core::digest::sha256_hex(&std::fs::read(&locked).expect("read"));
    std::fs::write(
        locks.join("lock.json"),
        json!({"component_id": "tokenizer", "contract_version": 1,
               "files": {"contract_test.py": hash}, "locked_at": "2026-01-01T00:00:00Z"})
        .to_string(),
    )
    .expect("write");
    assert_silent(&hook(&event(&dir, text(&locked))), "an untouched lock");

    let mut weakened = std::fs::read_to_string(&locked).expect("read");
    weakened.push_str("\n# nothing to see here\n");
    std::fs::write(&locked, &weakened).expect("write");
    let run = hook(&event(&dir, text(&locked)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error[test-tampered] .pact/locks/tokenizer/contract_test.py: Locked test file 'contract_test.py' of 'tokenizer' no longer matches its recorded hash"
        ),
        "{}",
        run.stderr
    );

    // The project's copy differs from the locked one: a warning on the project's copy.
    std::fs::write(&tests, &weakened).expect("write");
    let run = hook(&event(&dir, text(&tests)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "warning[test-lock-mismatch] .pact/contracts/tokenizer/tests/contract_test.py:1:1:"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn pact_yaml_is_checked_as_every_command_loads_it() {
    let (_tmp, dir) = copy_project("sample");
    let yaml = dir.join("pact.yaml");
    assert_silent(&hook(&event(&dir, text(&yaml))), "the sample's pact.yaml");
    std::fs::write(&yaml, "budget: 5\nlanguag: python\n").expect("write");
    let run = hook(&event(&dir, text(&yaml)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with(
        "warning[config] pact.yaml: unknown key `languag` is ignored (did you mean `language`?)\n"
    ), "{}", run.stderr);
    std::fs::write(&yaml, "budget: [\n").expect("write");
    let run = hook(&event(&dir, text(&yaml)));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let first = run.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error[config] pact.yaml:"),
        "{}",
        run.stderr
    );
    // Named as the agent sees it, relative to the project.
    let root = std::fs::canonicalize(&dir).expect("canonical");
    assert!(!first.contains(text(&root)), "{first}");
}

#[test]
fn files_that_are_not_pact_documents_are_left_alone() {
    let outside = tempfile::tempdir().expect("tmp");
    let file = outside.path().join("notes.json");
    std::fs::write(&file, "{ not json").expect("write");
    assert_silent(
        &hook(&event(outside.path(), text(&file))),
        "outside any project",
    );
    // A file named like a contract, but in no project.
    let fake = outside.path().join("contracts/x");
    std::fs::create_dir_all(&fake).expect("mkdir");
    std::fs::write(fake.join("interface.json"), "{").expect("write");
    assert_silent(
        &hook(&event(outside.path(), "contracts/x/interface.json")),
        "a contract-like file outside a project",
    );

    let (_tmp, dir) = copy_project("broken_unresolved_type");
    for rel in [
        "task.md",
        "sops.md",
        ".pact/implementations/counter/src/counter.py",
        ".pact/state.json",
        ".pact/audit.jsonl",
    ] {
        assert_silent(&hook(&event(&dir, rel)), rel);
    }
}

#[test]
fn bad_input_never_gets_in_the_agents_way() {
    let (_tmp, dir) = copy_project("broken_unresolved_type");
    let contract = dir.join(COUNTER);
    let contract = text(&contract);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"this is not json\n".to_vec()),
        ("empty", Vec::new()),
        ("binary", vec![0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96]),
        ("truncated", event(&dir, contract)[..40].to_vec()),
        ("an array", b"[1, 2, 3]".to_vec()),
        ("null", b"null".to_vec()),
        (
            "no tool_input",
            serde_json::to_vec(&json!({"hook_event_name": "PostToolUse", "tool_name": "Edit", "cwd": dir})).expect("json"),
        ),
        (
            "tool_input without file_path",
            serde_json::to_vec(&json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "cwd": dir, "tool_input": {"command": "ls"}})).expect("json"),
        ),
        (
            "file_path not a string",
            serde_json::to_vec(&json!({"hook_event_name": "PostToolUse", "cwd": dir, "tool_input": {"file_path": 42}})).expect("json"),
        ),
        (
            "empty file_path",
            serde_json::to_vec(&json!({"hook_event_name": "PostToolUse", "cwd": dir, "tool_input": {"file_path": ""}})).expect("json"),
        ),
        (
            "a path that does not exist",
            event(&dir, text(&dir.join(".pact/contracts/ghost/interface.json"))),
        ),
        ("a relative path and no cwd", {
            let mut v: Value = serde_json::from_slice(&event(&dir, COUNTER)).expect("json");
            v.as_object_mut().expect("object").remove("cwd");
            serde_json::to_vec(&v).expect("json")
        }),
        (
            "a cwd that does not exist",
            event(Path::new("/nonexistent/pact/hook"), COUNTER),
        ),
        (
            "invalid UTF-8 in the path",
            [
                br#"{"hook_event_name":"PostToolUse","tool_input":{"file_path":"/tmp/"#.as_slice(),
                &[0xff, 0xfe],
                br#".json"}}"#.as_slice(),
            ]
            .concat(),
        ),
        (
            "a lone surrogate in the path",
            br#"{"hook_event_name":"PostToolUse","tool_input":{"file_path":"/tmp/\udc80.json"}}"#.to_vec(),
        ),
        (
            "a NUL in the path",
            br#"{"hook_event_name":"PostToolUse","tool_input":{"file_path":"/tmp/a\u0000b.json"}}"#.to_vec(),
        ),
    ];
    for (what, input) in cases {
        assert_stays_out_of_the_way(&hook(&input), what);
    }

    // The event before an edit: exit 2 there would block the edit, so the hook stays silent.
    let mut pre: Value = serde_json::from_slice(&event(&dir, contract)).expect("json");
    pre["hook_event_name"] = json!("PreToolUse");
    let run = hook(&serde_json::to_vec(&pre).expect("json"));
    assert_stays_out_of_the_way(&run, "PreToolUse");
    // No stdin at all.
    let out = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["hook", "claude-code"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_closed_stderr_is_no_panic() {
    let (_tmp, dir) = copy_project("broken_unresolved_type");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
        .args(["hook", "claude-code"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The reader of stderr goes away before the hook writes a byte (it is still reading stdin).
    drop(child.stderr.take());
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&event(&dir, text(&dir.join(COUNTER))))
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(2),
        "the verdict stands; no panic (101)"
    );
}

// ---------------------------------------------------------------------------------------------
// The plugin

fn plugin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/claude-code")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, the plugin name rule of Claude Code's manifest reference.
fn is_kebab_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// MAJOR.MINOR.PATCH, optionally `-pre.release`.
fn is_semver(v: &str) -> bool {
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    nums.len() == 3
        && nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.split('.').all(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        })
}

/// The hook events of Claude Code's hooks reference.
const HOOK_EVENTS: &[&str] = &[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Notification",
    "UserPromptSubmit",
    "Stop",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "SessionStart",
    "SessionEnd",
];

#[test]
fn the_plugin_manifest_follows_the_documented_schema() {
    let dir = plugin_dir();
    let m = read_json(&dir.join(".claude-plugin/plugin.json"));
    let name = m["name"].as_str().expect("name is required");
    assert_eq!(name, "pact");
    assert!(is_kebab_case(name));
    assert!(!is_kebab_case("Pact") && !is_kebab_case("pact-") && !is_kebab_case("pact_x"));
    let version = m["version"].as_str().expect("version");
    assert!(is_semver(version), "{version}");
    assert!(!is_semver("1.0") && !is_semver("one"));
    assert_eq!(
        version,
        env!("CARGO_PKG_VERSION"),
        "the plugin goes with this `pact`"
    );
    assert!(m["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(m["author"]["name"].as_str().is_some_and(|a| !a.is_empty()));
    assert_eq!(m["license"], "MIT");
    assert!(
        m["keywords"]
            .as_array()
            .is_some_and(|k| k.iter().all(Value::is_string))
    );
    // Optional links, when given, are real addresses (none is made up for a project with no
    // public home yet).
    for field in ["homepage", "repository"] {
        assert!(
            m.get(field)
                .is_none_or(|u| u.as_str().is_some_and(|u| u.starts_with("https://"))),
            "{field}"
        );
    }
    // Component paths, where given, are relative to the plugin root and start with `./`.
    for field in [
        "commands",
        "agents",
        "skills",
        "hooks",
        "mcpServers",
        "outputStyles",
        "lspServers",
    ] {
        let paths: Vec<&str> = match &m[field] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        for p in paths {
            assert!(p.starts_with("./") && !p.contains(".."), "{field}: {p}");
            assert!(dir.join(p).exists(), "{field}: {p}");
        }
    }
    // No language server: Claude Code routes each file extension to one server, and Pact's
    // documents are `.json` and `.py`/`.ts` files (see the README).
    assert!(m.get("lspServers").is_none());
    assert!(!dir.join(".lsp.json").exists());
    // The standard layout: everything but the manifests outside .claude-plugin/.
    for entry in std::fs::read_dir(dir.join(".claude-plugin")).expect("read_dir") {
        let n = entry.expect("entry").file_name();
        assert!(n == "plugin.json" || n == "marketplace.json", "{n:?}");
    }

    let market = read_json(&dir.join(".claude-plugin/marketplace.json"));
    assert!(market["name"].as_str().is_some_and(is_kebab_case));
    assert!(market["owner"]["name"].is_string());
    let listed = market["plugins"].as_array().expect("plugins");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], name);
    assert_eq!(listed[0]["source"], "./");
}

#[test]
fn the_hook_runs_pact_after_every_edit() {
    let hooks = read_json(&plugin_dir().join("hooks/hooks.json"));
    let events = hooks["hooks"]
        .as_object()
        .expect("hooks: an object of events");
    for (event, groups) in events {
        assert!(
            HOOK_EVENTS.contains(&event.as_str()),
            "unknown hook event {event}"
        );
        for group in groups.as_array().expect("matcher groups") {
            for h in group["hooks"].as_array().expect("hooks") {
                assert_eq!(h["type"], "command");
                assert!(h["command"].is_string());
                if let Some(t) = h.get("timeout") {
                    assert!(t.as_u64().is_some_and(|t| (1..=600).contains(&t)), "{t}");
                }
            }
        }
    }
    let post = events["PostToolUse"].as_array().expect("PostToolUse");
    assert_eq!(post.len(), 1);
    let matcher = post[0]["matcher"].as_str().expect("matcher");
    let tools: Vec<&str> = matcher.split('|').collect();
    for tool in ["Edit", "Write", "MultiEdit"] {
        assert!(tools.contains(&tool), "{matcher}");
    }
    let command = post[0]["hooks"][0]["command"].as_str().expect("command");
    assert_eq!(command, "pact hook claude-code");
    // The command the plugin runs exists.
    let args: Vec<&str> = command.split(' ').skip(1).chain(["--help"]).collect();
    let help = pact(&args);
    assert_eq!(help.code, 0, "{}", help.stderr);
}

#[test]
fn the_plugin_starts_the_pact_mcp_server() {
    let mcp = read_json(&plugin_dir().join(".mcp.json"));
    let servers = mcp["mcpServers"].as_object().expect("mcpServers");
    assert_eq!(servers.len(), 1);
    assert_eq!(servers["pact"]["command"], "pact");
    assert_eq!(servers["pact"]["args"], json!(["mcp"]));
    // The server the plugin starts exists.
    let help = pact(&["mcp", "--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
}

#[test]
fn each_command_says_what_it_does_and_which_tool_it_uses() {
    let dir = plugin_dir().join("commands");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("commands/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("md"),
            "{}",
            path.display()
        );
        let text = std::fs::read_to_string(&path).expect("read");
        let rest = text.strip_prefix("---\n").expect("frontmatter");
        let (front, body) = rest.split_once("\n---\n").expect("frontmatter end");
        let field = |key: &str| {
            front
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}:")))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        assert!(
            field("description").is_some_and(|d| !d.is_empty()),
            "{name}: description"
        );
        assert!(field("argument-hint").is_some(), "{name}: argument-hint");
        assert!(body.contains("$ARGUMENTS"), "{name}");
        assert!(
            body.contains(&format!("`{name}` tool")),
            "{name}: names its MCP tool"
        );
        assert!(
            body.contains(&format!("`pact {name} ")),
            "{name}: the CLI fallback"
        );
        names.push(name);
    }
    names.sort();
    assert_eq!(names, ["build", "status", "validate"]);
}

/// Claude Code's own validator, where it is installed: `PACT_CLAUDE_CLI` names the `claude`
/// binary (`npm install @anthropic-ai/claude-code`; it runs offline for `plugin validate`).
#[test]
fn claude_plugin_validate_passes_strict() {
    let Some(claude) = std::env::var_os("PACT_CLAUDE_CLI") else {
        // CI installs it (.ci/run); there a missing validator is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "PACT_CLAUDE_CLI is not set: .ci/run installs Claude Code for its plugin validator"
        );
        eprintln!(
            "SKIP: PACT_CLAUDE_CLI is not set (the `claude` binary, for `claude plugin validate`)"
        );
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let dir = plugin_dir();
    for target in [
        dir.join(".claude-plugin/plugin.json"),
        dir.join(".claude-plugin/marketplace.json"),
    ] {
        let out = Command::new(&claude)
            .args(["plugin", "validate", "--strict"])
            .arg(&target)
            .env("HOME", home.path())
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("DISABLE_TELEMETRY", "1")
            .output()
            .expect("run claude");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}\n{stdout}\n{}",
            target.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Validation passed"), "{stdout}");
    }
}
