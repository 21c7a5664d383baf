//! `lsp-bench`: times the language server from outside, over stdio, as an editor meets it.
//!
//!     cargo build --release -p pact-lsp -p pact-bench
//!     target/release/lsp-bench --components 1000 --edits 200
//!
//! It generates a synthetic project with `pact-bench gen` (found next to this binary), starts
//! the server (itself, `lsp-bench serve`, or `--server PATH` run as `PATH lsp`), and reports:
//! the initial index (initialize → `pact/indexed`, which includes the first full check), the
//! latency from `didChange` to the `publishDiagnostics` of that version for keystrokes in a
//! contract and in a 2,000-line test file (debounce set to 0), and the server's peak RSS.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../../../../tests/support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{LspClient, position, uri};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

struct Args {
    components: usize,
    edits: usize,
    server: Option<PathBuf>,
    keep: Option<PathBuf>,
    /// Keep `.pact/cache` from an earlier run (a project validated before).
    warm: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        components: 1000,
        edits: 200,
        server: None,
        keep: None,
        warm: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--components" => a.components = value()?.parse().map_err(|e| format!("--components: {e}"))?,
            "--edits" => a.edits = value()?.parse().map_err(|e| format!("--edits: {e}"))?,
            "--server" => a.server = Some(PathBuf::from(value()?)),
            "--keep" => a.keep = Some(PathBuf::from(value()?)),
            "--warm" => a.warm = true,
            "-h" | "--help" => return Err("usage: lsp-bench [--components N] [--edits N] [--server PATH] [--keep DIR] [--warm]".into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        return pact_lsp::run_stdio();
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lsp-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<34} n={:<4} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        ms.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 90.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Sends one edit and waits for the diagnostics of that version; returns the latency.
fn keystroke(
    c: &mut LspClient,
    u: &str,
    version: i64,
    range: [u32; 4],
    text: &str,
) -> Result<f64, String> {
    let t = Instant::now();
    c.change(u, version, range, text);
    c.wait_diagnostics(u, Duration::from_secs(30), |p| p.version == Some(version))
        .map(|p| p.at.duration_since(t).as_secs_f64() * 1000.0)
        .ok_or_else(|| {
            format!(
                "no diagnostics for version {version} of {u}\n{}",
                c.stderr_text()
            )
        })
}

/// Alternately inserts and deletes a character at `at` in `text` (an editor's keystrokes),
/// with every tenth pair swapping `swap.0` for `swap.1` and back (a change with findings).
fn keystrokes(
    c: &mut LspClient,
    u: &str,
    text: &mut String,
    at: usize,
    swap: (&str, &str),
    n: usize,
) -> Result<Vec<f64>, String> {
    let mut out = Vec::with_capacity(n);
    let swap_at = text
        .find(swap.0)
        .ok_or(format!("{:?} not in the document", swap.0))?;
    for i in 0..n {
        let version = i as i64 + 2;
        // (byte range to replace, replacement)
        let (a, b, insert) = if i % 20 == 18 || i % 20 == 19 {
            let (from, to) = if i % 20 == 18 { swap } else { (swap.1, swap.0) };
            (swap_at, swap_at + from.len(), to)
        } else if i % 2 == 0 {
            (at, at, "x")
        } else {
            (at, at + 1, "")
        };
        let (l0, c0) = position(text, a);
        let (l1, c1) = position(text, b);
        out.push(keystroke(c, u, version, [l0, c0, l1, c1], insert)?);
        text.replace_range(a..b, insert);
    }
    Ok(out)
}

fn run(args: &Args) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let generator = me.with_file_name("pact-bench");
    if !generator.is_file() {
        return Err(format!(
            "{} not found: cargo build --release -p pact-bench",
            generator.display()
        ));
    }
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = args
        .keep
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let root = ws.join(format!("p{}", args.components));
    if !root.join(".pact").is_dir() {
        let st = Command::new(&generator)
            .args([
                "gen",
                &root.to_string_lossy(),
                "--components",
                &args.components.to_string(),
            ])
            .status()
            .map_err(|e| e.to_string())?;
        if !st.success() {
            return Err("pact-bench gen failed".into());
        }
    }
    let cache = root.join(".pact/cache");
    if !args.warm {
        let _ = std::fs::remove_dir_all(&cache);
    }
    let warm = cache.join("test-analysis.json").is_file();

    let (program, sargs): (PathBuf, Vec<&str>) = match &args.server {
        Some(p) => (p.clone(), vec!["lsp"]),
        None => (me.clone(), vec!["serve"]),
    };
    let mut c = LspClient::spawn_with_env(&program, &sargs, &[("PACT_LOG", "warn")]);
    let caps = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": false}}});
    let t = Instant::now();
    c.initialize(&ws, caps, json!({"debounceMs": 0}));
    let indexed = c
        .wait_notification("pact/indexed", Duration::from_secs(120))
        .ok_or_else(|| format!("not indexed\n{}", c.stderr_text()))?;
    let index_ms = t.elapsed().as_secs_f64() * 1000.0;
    let checked = c
        .wait_notification("pact/checked", Duration::from_secs(300))
        .ok_or_else(|| format!("not checked\n{}", c.stderr_text()))?;
    let check_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "workspace: {} components, {} findings ({})",
        indexed["components"],
        checked["findings"],
        if warm {
            "warm .pact/cache"
        } else {
            "cold: no .pact/cache"
        }
    );
    println!(
        "initial index (initialize → pact/indexed: projects found, every document read and parsed): {index_ms:.0} ms"
    );
    println!(
        "first full check published (initialize → pact/checked):                               {check_ms:.0} ms"
    );
    println!(
        "RSS after the first check: {:.0} MB",
        peak_rss_mb(c.pid()).unwrap_or(f64::NAN)
    );

    // A keystroke in a contract (a component with dependents).
    let cid = "comp_00003";
    let contract = root.join(format!(".pact/contracts/{cid}/interface.json"));
    let mut text = std::fs::read_to_string(&contract).map_err(|e| e.to_string())?;
    let u = c.open_text(&contract, "json", &text);
    c.wait_diagnostics(&u, Duration::from_secs(30), |p| p.version == Some(1))
        .ok_or("no diagnostics after didOpen")?;
    let at = text
        .find("A synthetic component.")
        .ok_or("no description")?
        + 2;
    let ms = keystrokes(
        &mut c,
        &u,
        &mut text,
        at,
        ("\"type_ref\": \"str\"", "\"type_ref\": \"stx\""),
        args.edits,
    )?;
    summary(&format!("keystroke in a contract ({cid})"), ms);
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));

    // A keystroke in a 2,000-line test file.
    let cid = "comp_00004";
    let tests = root.join(format!(".pact/contracts/{cid}/tests/contract_test.py"));
    let base = std::fs::read_to_string(&tests).map_err(|e| e.to_string())?;
    let mut text = base.clone();
    let mut round = 1;
    while text.lines().count() < 2000 {
        text.push_str(
            &base
                .split_once("\n\n\n")
                .map(|(_, rest)| rest)
                .unwrap_or(&base)
                .replace("def test_", &format!("def test_r{round}_")),
        );
        round += 1;
    }
    let lines = text.lines().count();
    let u2 = uri(&tests);
    c.open_text(&tests, "python", &text);
    c.wait_diagnostics(&u2, Duration::from_secs(30), |p| p.version == Some(1))
        .ok_or("no diagnostics after didOpen")?;
    let at =
        text.rfind("assert len(result) <= 5").ok_or("no assert")? + "assert len(result) <= ".len();
    let ms = keystrokes(
        &mut c,
        &u2,
        &mut text,
        at,
        ("assert first == second", "asert first == second"),
        args.edits,
    )?;
    summary(&format!("keystroke in a {lines}-line test file"), ms);
    let got = c.request("pact/debugText", json!({"textDocument": {"uri": u2}}));
    if got["text"].as_str() != Some(text.as_str()) {
        return Err("the server's text differs from the client's".into());
    }

    let rss = peak_rss_mb(c.pid());
    println!("peak RSS of the server: {:.0} MB", rss.unwrap_or(f64::NAN));
    let status = c.shutdown_and_exit();
    if status.map(|s| s.success()) != Some(true) {
        return Err(format!("server did not exit cleanly: {status:?}"));
    }
    Ok(())
}
