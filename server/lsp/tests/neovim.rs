//! Real Neovim (headless, 0.7+: `vim.lsp.start_client`) against the language server (`pact-lsp`,
//! the entry `pact lsp` calls) on a copy of the sample project with a broken contract: the
//! diagnostics Neovim ends up with are checked.
//!
//! Skipped (loudly) only when `nvim` is missing and `CI` is not set; in CI it must run.

#[path = "../../../tests/support/lsp_client.rs"]
mod lsp_client;
mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
local root = os.getenv("PACT_ROOT")
local file = os.getenv("PACT_FILE")
local out = os.getenv("PACT_OUT")
local start = vim.lsp.start_client or function() error("no vim.lsp.start_client") end
local id = start({
  name = "pact",
  cmd = { os.getenv("PACT_LSP") },
  root_dir = root,
})
vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, id)
local function wanted()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == "unresolved-type" then return true end
  end
  return false
end
local ok = vim.wait(15000, wanted, 50)
local result = { ok = ok, diagnostics = vim.diagnostic.get(buf) }
local f = assert(io.open(out, "w"))
f:write(vim.fn.json_encode(result))
f:close()
vim.lsp.stop_client(id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
vim.cmd("qa!")
"#;

fn nvim() -> Option<PathBuf> {
    let out = Command::new("nvim").arg("--version").output().ok()?;
    out.status.success().then(|| PathBuf::from("nvim"))
}

#[test]
fn neovim_receives_the_gates_diagnostics() {
    let Some(nvim) = nvim() else {
        if std::env::var_os("CI").is_some() {
            panic!("nvim is not installed, and CI is set: `apt-get install -y neovim` in .ci/run");
        }
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        );
        eprintln!("!!! SKIPPED neovim_receives_the_gates_diagnostics: nvim is not installed   !!!");
        eprintln!(
            "!!! (apt-get install -y neovim); it runs, and must pass, when CI is set     !!!"
        );
        eprintln!(
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
        return;
    };
    let (tmp, root) = support::copy_project("sample");
    let contract = root.join(".pact/contracts/counter/interface.json");
    let text = std::fs::read_to_string(&contract).expect("read");
    // A near-miss type name after non-ASCII text on its line: Neovim converts our UTF-16
    // columns to byte columns, so a wrong conversion on either side shows.
    let broken = text.replacen(
        "\"output_type\": \"WordCountList\"",
        "\"x_note\": \"naïve 𝄞\", \"output_type\": \"WordCuontList\"",
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&contract, &broken).expect("write");
    let script = tmp.path().join("test.lua");
    std::fs::write(&script, SCRIPT).expect("script");
    let out = tmp.path().join("diagnostics.json");
    let started = Instant::now();
    let mut child = Command::new(&nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("PACT_ROOT", &root)
        .env("PACT_FILE", &contract)
        .env("PACT_OUT", &out)
        .env("PACT_LSP", support::server())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run nvim");
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        if started.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.is_some(), "nvim did not finish");
    let got: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(
        got["ok"], true,
        "no unresolved-type diagnostic reached Neovim: {got}"
    );
    let diags = got["diagnostics"].as_array().cloned().unwrap_or_default();
    let d = diags
        .iter()
        .find(|d| d["code"] == "unresolved-type")
        .cloned()
        .unwrap_or_default();
    let at = broken.find("WordCuontList").expect("name");
    let (line, col) = lsp_client::position_utf8(&broken, at);
    assert_eq!(
        (d["lnum"].as_u64(), d["col"].as_u64()),
        (Some(line as u64), Some(col as u64)),
        "{d}"
    );
    assert_eq!(
        d["end_col"].as_u64(),
        Some(col as u64 + "WordCuontList".len() as u64),
        "{d}"
    );
    assert_eq!(d["source"], "pact");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("WordCuontList"),
        "{d}"
    );
    assert_eq!(diags.len(), 1, "only the broken type: {diags:?}");
}
