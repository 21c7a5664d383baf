//! `pact doctor`: renders the engine's checks (`pact_engine::doctor`) as `[OK]`/`[WARN]`/`[FAIL]`
//! lines and a summary, or as one JSON object. Exit 1 when a check fails, 0 otherwise.

use pact_engine::doctor::{self, Report, Status};
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: Option<&Path>, as_json: bool) -> anyhow::Result<ExitCode> {
    let report = doctor::for_dir(dir);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&json(&report))?);
    } else {
        print!("{}", text(&report));
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `{"project", "passed", "summary": {"ok", "warn", "fail"}, "checks": [{"name", "status",
/// "message", "fix"}]}`.
pub fn json(report: &Report) -> serde_json::Value {
    serde_json::json!({
        "project": report.project,
        "passed": report.passed(),
        "summary": report.summary(),
        "checks": report.checks,
    })
}

pub fn text(report: &Report) -> String {
    let mut s = match &report.project {
        Some(p) => format!("pact doctor: {}\n\n", p.display()),
        None => "pact doctor: no project (global configuration)\n\n".to_string(),
    };
    for c in &report.checks {
        let tag = match c.status {
            Status::Ok => "[OK]",
            Status::Warn => "[WARN]",
            Status::Fail => "[FAIL]",
        };
        s.push_str(&format!("{tag:<6} {}: {}\n", c.name, c.message));
        if let Some(fix) = &c.fix {
            for line in fix.lines() {
                s.push_str(&format!("       {line}\n"));
            }
        }
    }
    let n = report.summary();
    s.push_str(&format!(
        "\n{} ok, {} {}, {} {}.",
        n.ok,
        n.warn,
        if n.warn == 1 { "warning" } else { "warnings" },
        n.fail,
        if n.fail == 1 { "failure" } else { "failures" },
    ));
    s.push_str(if n.fail > 0 {
        " Fix the failures above, then run `pact doctor` again.\n"
    } else {
        " Nothing blocks a run.\n"
    });
    s.push_str("Backends were checked offline; `pact ping` sends each a test request.\n");
    s
}
