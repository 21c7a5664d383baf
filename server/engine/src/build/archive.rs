//! An implementation set aside before a rebuild from its contract, as the original archives it:
//! `implementations/<cid>/attempts/archived_<YYYYmmdd_HHMMSS>/` with its `src/`, a
//! `metadata.json` (`archived_at`, `reason`, `type: archived`) and the build record and test
//! results it had (`original_metadata.json`, `original_test_results.json`). `pact diff` compares
//! it with the new code; `pact clean --attempts` removes it.

use crate::engine::{Engine, EngineError, Result};
use pact_core::store::fsio::write_atomic;
use std::path::Path;

/// Archives the current implementation of `cid`, if it has code; returns the archive's id.
pub(super) fn archive(e: &Engine, cid: &str, reason: &str) -> Result<Option<String>> {
    let layout = &e.project.layout;
    let src = layout.implementation_src(cid);
    let io = |err: std::io::Error| {
        EngineError::Invalid(format!("cannot archive the implementation of {cid}: {err}"))
    };
    let mut files = Vec::new();
    collect(&src, &src, &mut files).map_err(io)?;
    if files.is_empty() {
        return Ok(None);
    }
    let now = pact_core::store::now_iso();
    let stamp: String = now
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        .replace('T', "_");
    let attempts = layout.attempts_dir(cid);
    let mut id = format!("archived_{stamp}");
    let mut n = 2;
    while attempts.join(&id).exists() {
        id = format!("archived_{stamp}_{n}");
        n += 1;
    }
    let dir = attempts.join(&id);
    for rel in &files {
        let bytes = std::fs::read(src.join(rel)).map_err(io)?;
        write_atomic(&dir.join("src").join(rel), &bytes).map_err(io)?;
    }
    let meta = serde_json::json!({"archived_at": now, "reason": reason, "type": "archived"});
    let text = serde_json::to_string_pretty(&meta).map_err(|err| io(std::io::Error::other(err)))?;
    write_atomic(&dir.join("metadata.json"), text.as_bytes()).map_err(io)?;
    for (from, to) in [
        (layout.build_record(cid), "original_metadata.json"),
        (layout.test_results(cid), "original_test_results.json"),
    ] {
        if let Ok(bytes) = std::fs::read(&from) {
            write_atomic(&dir.join(to), &bytes).map_err(io)?;
        }
    }
    e.audit(
        "archive",
        format!("{cid}: implementation archived as {id} ({reason})"),
    )?;
    Ok(Some(id))
}

/// Regular files under `dir`, relative to `root` (links not followed, caches skipped).
fn collect(root: &Path, dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    for entry in rd {
        let entry = entry?;
        let ty = entry.file_type()?;
        let name = entry.file_name();
        if ty.is_dir() && name != "__pycache__" && name != "node_modules" {
            collect(root, &entry.path(), out)?;
        } else if ty.is_file() {
            let p = entry.path();
            out.push(p.strip_prefix(root).unwrap_or(&p).to_path_buf());
        }
    }
    out.sort();
    Ok(())
}
