//! `pact mcp` end to end, spoken to by a client that is not ours: the official MCP Python SDK
//! (`mcp` on PyPI, pinned below), installed by this test into a virtualenv under the target
//! directory. The client (tests/mcp/client.py) initializes, lists the tools, calls them with
//! progress, cancels one, reads a resource, and prints what it saw; this file checks it.

use crate::support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// The client SDK's version: the test speaks to what agents' SDKs speak.
const MCP_SDK: &str = "mcp==2.3.0";

/// A virtualenv with the MCP SDK, made once per target directory.
fn client_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "mcp-client-{}",
        MCP_SDK.trim_start_matches("mcp==")
    ));
    let python = venv.join("bin/python");
    let ready = venv.join(".installed");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&venv);
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv")
            .success();
        assert!(ok, "cannot make a virtualenv for the MCP client");
        let out = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                MCP_SDK,
            ])
            .output()
            .expect("pip");
        assert!(
            out.status.success(),
            "pip install {MCP_SDK}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&ready, MCP_SDK).expect("mark");
    }
    python
}

#[test]
fn an_agent_validates_builds_and_cancels_over_mcp() {
    let python = client_python();
    let (_tmp, example) = example();
    let (_tmp2, broken) = copy_project("broken_unresolved_type");
    let (_tmp3, hostile) = copy_project("broken_unresolved_type");
    let fifo = hostile.join(".pact/contracts/counter/interface.json");
    std::fs::remove_file(&fifo).expect("remove the contract");
    crate::support::special_files::mkfifo(&fifo);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mcp/client.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_pact"))
        .arg(&example)
        .arg(&broken)
        .arg(&hostile)
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .expect("run the MCP client");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "client failed:\n{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));

    assert_eq!(v["server"], "pact");
    // Every tool, each with a schema for its input and its output.
    for t in [
        "validate",
        "status",
        "components",
        "contract",
        "explain",
        "run_tests",
        "decompose",
        "build",
        "rebuild",
    ] {
        let tool = &v["tools"][t];
        assert_eq!(tool["input"]["type"], "object", "{t}: {tool}");
        assert!(tool["output"].is_object(), "{t} has no output schema");
    }

    // validate returns the same findings as `pact validate --json`.
    let cli = pact(&["validate", "--json", broken.to_str().expect("utf-8")]);
    let cli: Value = serde_json::from_str(&cli.stdout).expect("json");
    let mcp = &v["validate"]["structured"];
    assert_eq!(mcp["diagnostics"], cli["diagnostics"], "{mcp:#}");
    assert_eq!(
        (mcp["errors"].as_u64(), mcp["passed"].as_bool()),
        (Some(3), Some(false))
    );
    assert_eq!(mcp["errors"], cli["errors"]);
    assert_eq!(mcp["warnings"], cli["warnings"]);
    let typo = mcp["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["did_you_mean"] == "WordCount")
        .expect("a did-you-mean");
    assert_eq!(typo["code"], "unresolved-type");
    assert!(typo["line"].as_u64().is_some() && typo["end_column"].as_u64().is_some());
    // Scoped to one file: only that file's findings.
    let scoped = v["validate_file"]["structured"]["diagnostics"]
        .as_array()
        .expect("scoped");
    assert_eq!(scoped.len(), 2, "{scoped:?}");
    assert!(
        scoped
            .iter()
            .all(|d| d["file"] == ".pact/contracts/counter/interface.json")
    );

    assert!(
        v["explain"]["structured"]["fix"]
            .as_str()
            .is_some_and(|f| f.contains("types"))
    );
    assert_eq!(v["explain_unknown"]["is_error"], true);
    assert!(
        v["explain_unknown"]["text"][0]
            .as_str()
            .is_some_and(|t| t.contains("unresolved-type"))
    );
    assert_eq!(v["missing_project"]["is_error"], true);
    assert_eq!(
        v["missing_project"]["text"][0],
        "/nonexistent/pact-project: no such directory"
    );
    // No path out of the project, and no hang on a special file (the bounded reader).
    let outside = &v["contract_outside"];
    assert_eq!(outside["is_error"], true);
    assert!(
        outside["text"][0]
            .as_str()
            .is_some_and(|t| t.starts_with("`../../etc` is not a component id")),
        "{outside}"
    );
    let fifo = &v["contract_fifo"];
    assert_eq!(fifo["is_error"], true);
    assert!(
        fifo["text"][0].as_str().is_some_and(
            |t| t.ends_with("interface.json is a FIFO (named pipe), not a regular file")
        ),
        "{fifo}"
    );

    // Decompose and build offline, with progress notifications.
    assert_eq!(v["decompose"]["is_error"], false, "{}", v["decompose"]);
    assert_eq!(
        v["decompose"]["structured"]["outcome"], "planned",
        "{}",
        v["decompose"]
    );
    assert!(
        !v["decompose_progress"]
            .as_array()
            .expect("progress")
            .is_empty()
    );
    assert_eq!(
        v["build"]["structured"]["outcome"], "passed",
        "{}",
        v["build"]
    );
    let progress = v["build_progress"].as_array().expect("progress");
    assert!(
        progress
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.contains("tokenizer"))),
        "{progress:?}"
    );
    // A second job while the first runs: refused, naming the job that holds the project.
    let second = &v["second"];
    assert_eq!(second["is_error"], true, "{second}");
    assert_eq!(second["structured"]["outcome"], "refused", "{second}");
    assert_eq!(second["structured"]["problem"]["kind"], "busy", "{second}");
    assert!(
        second["text"][0]
            .as_str()
            .is_some_and(|t| t.contains("did not start") && t.contains("build tokenizer")),
        "{second}"
    );

    let contract = &v["contract"]["structured"];
    assert!(
        contract["functions"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );
    assert_eq!(contract["tests"]["locked"], true, "{contract}");
    assert!(contract["build"].is_object(), "{contract}");
    let tests = &v["run_tests"]["structured"];
    assert_eq!(tests["report"]["outcome"], "passed", "{tests}");
    assert!(tests["total"].as_u64().is_some_and(|t| t > 0) && tests["passed"] == tests["total"]);

    // Cancelled: the call ended without a result, the job stopped, the project is free.
    assert_eq!(v["rebuild_cancelled"], true);
    assert!(
        v["status_after_cancel"]["structured"]["holder"].is_null(),
        "{}",
        v["status_after_cancel"]
    );

    let resources = v["resources"].as_array().expect("resources");
    assert!(
        resources
            .iter()
            .any(|r| r.as_str().is_some_and(|r| r.ends_with("/tree")))
    );
    let text = v["resource_text"].as_str().expect("a contract resource");
    let read: Value = serde_json::from_str(text).expect("json");
    assert_eq!(read["component_id"], "tokenizer");
}

/// A client gone before `initialize` (or one that sends only junk, a line over rmcp's 16 MB
/// limit among it) ends the server with a word on stderr, not in silence.
#[test]
fn a_client_that_never_initializes_is_told_why_the_server_ends() {
    use std::io::Write;
    for junk in [Vec::new(), vec![b'a'; 17 << 20], b"{not json\n".to_vec()] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pact"))
            .arg("mcp")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("pact mcp");
        let mut stdin = child.stdin.take().expect("stdin");
        let _ = stdin.write_all(&junk);
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            stderr.trim(),
            "error: pact mcp: connection closed: initialize request"
        );
    }
}
