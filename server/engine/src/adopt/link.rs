//! Linking existing code as a component's implementation. The component's source directory
//! gets a copy of the code as it was adopted — the module's whole top-level package, so its own
//! imports resolve, readable in the sandbox with nothing else of the project beside it — and a
//! shim module `<id>` that re-exports the module's public names (what the tests import through
//! the contract boundary). A marker names the module's own file: the one the mutation gate
//! mutates. A rebuild replaces all of it with code built from the contract.

use super::AdoptModule;
use crate::engine::{Engine, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The marker's name, in the component's source directory.
pub const MARKER: &str = ".adopted.json";

/// What the marker says: which module the implementation is, and its file (relative to the
/// source directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub module: String,
    pub file: PathBuf,
}

/// The adopted module's file in `src`, if `src` holds adopted code.
pub fn adopted_file(src: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(src.join(MARKER)).ok()?;
    serde_json::from_str::<Marker>(&text).ok().map(|m| m.file)
}

/// Writes the component's implementation: the code's copy, the shim and the marker.
pub(super) fn link(e: &Engine, m: &AdoptModule) -> Result<()> {
    let root = e.project.root();
    let src = e.project.layout.implementation_src(&m.component);
    let python = m.language == "python";
    if python {
        let top = m.module.split('.').next().unwrap_or(&m.module);
        let from = root.join(&m.import_root);
        if from.join(top).is_dir() {
            copy_tree(e, &from.join(top), &src.join(top), python)?;
        } else {
            let file = format!("{top}.py");
            copy_file(e, &from.join(&file), &src.join(&file))?;
        }
    } else {
        // Relative imports: the module's whole top directory (`src/`), or the file at the root.
        match m.path.components().next() {
            Some(first) if m.path.components().count() > 1 => {
                let top = first.as_os_str();
                copy_tree(e, &root.join(top), &src.join(top), python)?;
            }
            _ => copy_file(e, &root.join(&m.path), &src.join(&m.path))?,
        }
    }
    let file = m
        .path
        .strip_prefix(&m.import_root)
        .unwrap_or(&m.path)
        .to_path_buf();
    let marker = Marker {
        module: m.module.clone(),
        file,
    };
    let json = serde_json::to_string_pretty(&marker)
        .map_err(|err| crate::EngineError::Invalid(err.to_string()))?;
    e.project.write_text(&src.join(MARKER), &json)?;
    let (name, text) = if python {
        (format!("{}.py", m.component), shim(m))
    } else {
        (format!("{}.ts", m.component), ts_shim(m))
    };
    e.project.write_text(&src.join(name), &text)?;
    Ok(())
}

/// `export { … } from "./src/strings";` (TypeScript resolves the extension; a JavaScript file
/// is named with its own).
fn ts_shim(m: &AdoptModule) -> String {
    let path = m.path.to_string_lossy().replace('\\', "/");
    let spec = match path.rsplit_once('.') {
        Some((stem, "ts" | "tsx" | "mts" | "cts")) => stem.to_string(),
        _ => path.clone(),
    };
    format!(
        "// Adopted: this component's implementation is the existing module {path}, copied\n\
         // beside this file as it was when it was adopted. A rebuild replaces it with code built\n\
         // from the contract.\nexport {{ {names} }} from \"./{spec}\";\n",
        names = m.names.join(", "),
    )
}

fn shim(m: &AdoptModule) -> String {
    format!(
        "\"\"\"Adopted: this component's implementation is the existing module `{module}`\n\
         ({path}), copied beside this file as it was when it was adopted. A rebuild replaces\n\
         it with code built from the contract.\"\"\"\n\nfrom {module} import {names}  # noqa: F401\n\n__all__ = [{quoted}]\n",
        module = m.module,
        path = m.path.display(),
        names = m.names.join(", "),
        quoted = m
            .names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn copy_file(e: &Engine, from: &Path, to: &Path) -> Result<()> {
    if let Some(text) = e.project.read_text(from)? {
        e.project.write_text(to, &text)?;
    }
    Ok(())
}

/// The source files under `from` (Python, or TypeScript/JavaScript), without tests, caches,
/// virtualenvs, `node_modules` or links.
fn copy_tree(e: &Engine, from: &Path, to: &Path, python: bool) -> Result<()> {
    let Ok(rd) = std::fs::read_dir(from) else {
        return Ok(());
    };
    let mut entries: Vec<_> = rd.filter_map(|x| x.ok()).collect();
    entries.sort_by_key(|x| x.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() || name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        let path = entry.path();
        let skip_dir = ["tests", "test", "__tests__", "node_modules"].contains(&&*name)
            || path.join("pyvenv.cfg").exists();
        if kind.is_dir() {
            if !skip_dir {
                copy_tree(e, &path, &to.join(&*name), python)?;
            }
        } else if source_file(&name, python) {
            copy_file(e, &path, &to.join(&*name))?;
        }
    }
    Ok(())
}

fn source_file(name: &str, python: bool) -> bool {
    if python {
        return name.ends_with(".py") && !name.starts_with("test_");
    }
    let code = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]
        .iter()
        .any(|x| name.ends_with(x));
    code && !name.contains(".test.") && !name.contains(".spec.") && !name.ends_with(".d.ts")
}
