//! Putting an agent's files on disk safely: only inside `src/`, never half-written, with the
//! component's log key in place.

use crate::engine::{EngineError, Result};
use crate::guard;
use pact_core::model::TestLanguage;
use serde_json::Value;
use std::path::Path;

/// Writes the agent's files into `src` (replacing what was there). Refuses the whole answer if
/// any file would land outside `src/` or change how tests run.
pub(super) fn write_files(
    answer: &Value,
    src: &Path,
    cid: &str,
    lang: TestLanguage,
    key: &str,
) -> std::result::Result<(), Vec<String>> {
    let files = answer
        .get("files")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut refused = Vec::new();
    let mut plan = Vec::new();
    for f in &files {
        let path = f.get("path").and_then(Value::as_str).unwrap_or("");
        let path = path.strip_prefix("src/").unwrap_or(path);
        let content = f.get("content").and_then(Value::as_str).unwrap_or("");
        match guard::check_generated_path(path) {
            Some(why) => refused.push(why),
            None => plan.push((path.to_string(), content.to_string())),
        }
    }
    if plan.is_empty() && refused.is_empty() {
        refused.push("the answer contained no files".into());
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    let main = match lang {
        TestLanguage::Python => format!("{cid}.py"),
        TestLanguage::TypeScript => format!("{cid}.ts"),
        TestLanguage::JavaScript => format!("{cid}.js"),
    };
    // Every implementation carries its log key, even if the agent forgot it.
    if !plan.iter().any(|(_, c)| c.contains(key))
        && let Some((_, c)) = plan.iter_mut().find(|(p, _)| *p == main)
    {
        let line = match lang {
            TestLanguage::Python => {
                format!("PACT_LOG_KEY = \"{key}\"  # attributes log lines to this component\n")
            }
            _ => format!(
                "export const PACT_LOG_KEY = \"{key}\"; // attributes log lines to this component\n"
            ),
        };
        *c = insert_after_docstring(c, &line, lang);
    }
    let io = |e: std::io::Error| vec![format!("cannot write the implementation: {e}")];
    // Write the whole attempt beside `src/`, then swap it in: never a half-written tree.
    let staging = src.with_extension("staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io)?;
    }
    for (p, c) in plan {
        pact_core::store::fsio::write_atomic(&staging.join(&p), c.as_bytes()).map_err(io)?;
    }
    swap_in(&staging, src).map_err(io)
}

/// Replaces `dst` by `staged` with two renames (the old tree kept until the new one is in place).
fn swap_in(staged: &Path, dst: &Path) -> std::io::Result<()> {
    let old = dst.with_extension("old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    if dst.exists() {
        std::fs::rename(dst, &old)?;
    }
    std::fs::rename(staged, dst)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Keeps a module docstring and `from __future__` imports first, where Python requires them.
fn insert_after_docstring(code: &str, line: &str, lang: TestLanguage) -> String {
    if lang != TestLanguage::Python {
        return format!("{line}{code}");
    }
    let mut offset = 0;
    let mut in_doc = false;
    for l in code.split_inclusive('\n') {
        let t = l.trim();
        if in_doc {
            offset += l.len();
            if t.ends_with("\"\"\"") || t.ends_with("'''") {
                in_doc = false;
            }
            continue;
        }
        if offset == 0 && (t.starts_with("\"\"\"") || t.starts_with("'''")) {
            offset += l.len();
            let body = &t[3..];
            in_doc = !(body.ends_with("\"\"\"") || body.ends_with("'''"));
            continue;
        }
        if t.starts_with("from __future__") || t.starts_with('#') && offset == 0 {
            offset += l.len();
            continue;
        }
        break;
    }
    format!("{}{line}{}", &code[..offset], &code[offset..])
}

pub(super) fn replace_dir(from: &Path, to: &Path) -> Result<()> {
    let io = |err: std::io::Error| {
        EngineError::Invalid(format!("cannot promote the winning attempt: {err}"))
    };
    let staging = to.with_extension("staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io)?;
    }
    let mut stack = vec![from.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io)?.flatten() {
            let p = entry.path();
            let rel = p.strip_prefix(from).unwrap_or(&p);
            let ft = entry.file_type().map_err(io)?;
            if ft.is_dir() {
                stack.push(p.clone());
            } else if ft.is_file() {
                pact_core::store::fsio::write_atomic(
                    &staging.join(rel),
                    &std::fs::read(&p).map_err(io)?,
                )
                .map_err(io)?;
            }
        }
    }
    swap_in(&staging, to).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_key_goes_after_the_docstring() {
        let code = "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\n";
        let out = insert_after_docstring(code, "KEY = 1\n", TestLanguage::Python);
        assert_eq!(
            out,
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nKEY = 1\nimport os\n"
        );
        let out = insert_after_docstring("import os\n", "KEY = 1\n", TestLanguage::Python);
        assert_eq!(out, "KEY = 1\nimport os\n");
    }
}
