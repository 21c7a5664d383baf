//! The modules to adopt, from the mechanical scan: what each component is made from, and the
//! public API its contract must cover. The CLI and the recordings both come through here, so a
//! recorded adoption replays: the same codebase gives the same prompts.

use super::AdoptModule;
use pact_core::codebase::{FunctionInfo, Inventory, Language, ParamKind};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Every module with something public, in the scan's order. A component id that equals a
/// top-level Python module or package of the codebase gets `_module` appended: its
/// implementation is a module of that id that imports the adopted one, and must not shadow it.
pub fn modules(inv: &Inventory) -> Vec<AdoptModule> {
    let python = inv.language == Language::Python;
    let tops: HashSet<&str> = inv
        .modules
        .iter()
        .filter(|_| python)
        .filter_map(|m| m.module.split('.').next())
        .collect();
    inv.modules
        .iter()
        .filter(|m| !m.functions.is_empty() || !m.classes.is_empty())
        .map(|m| {
            let mut component = m.component_id.clone();
            while tops.contains(component.as_str()) {
                component.push_str("_module");
            }
            let mut api = Vec::new();
            let mut names = Vec::new();
            for f in &m.functions {
                api.push(signature(f, ""));
                names.push(f.name.clone());
            }
            for c in &m.classes {
                let bases = if c.bases.is_empty() {
                    String::new()
                } else {
                    format!("({})", c.bases.join(", "))
                };
                api.push(format!("class {}{bases}:", c.name));
                for meth in &c.methods {
                    api.push(signature(meth, "    "));
                }
                if !c.name.contains('.') {
                    names.push(c.name.clone());
                }
            }
            AdoptModule {
                component,
                module: m.module.clone(),
                path: m.path.clone(),
                import_root: if python {
                    import_root(&m.path, &m.module)
                } else {
                    PathBuf::new()
                },
                api: api.join("\n"),
                names,
                language: if python { "python" } else { "typescript" }.to_string(),
                untyped: m
                    .functions
                    .iter()
                    .chain(m.classes.iter().flat_map(|c| c.methods.iter()))
                    .filter(|f| f.untyped)
                    .map(|f| f.qualified_name.clone())
                    .collect(),
            }
        })
        .collect()
}

fn signature(f: &FunctionInfo, indent: &str) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| {
            let star = match p.kind {
                ParamKind::VarPositional => "*",
                ParamKind::VarKeyword => "**",
                _ => "",
            };
            let mut s = format!("{star}{}", p.name);
            if let Some(a) = &p.annotation {
                s.push_str(&format!(": {a}"));
            }
            if let Some(d) = &p.default {
                s.push_str(&format!(" = {d}"));
            }
            s
        })
        .collect();
    let ret = f
        .returns
        .as_deref()
        .map(|r| format!(" -> {r}"))
        .unwrap_or_default();
    let kw = if f.is_async { "async def" } else { "def" };
    // One notation for both languages: the contract author reads the source beside it.
    format!("{indent}{kw} {}({}){ret}", f.name, params.join(", "))
}

/// The directory the module is imported from: its path without the dotted name's parts
/// (`src/pkg/mod.py`, `pkg.mod` → `src`; `pkg/__init__.py`, `pkg` → ``).
fn import_root(path: &Path, module: &str) -> PathBuf {
    let depth = module.split('.').count();
    let is_init = path.file_stem().is_some_and(|s| s == "__init__");
    let up = if is_init { depth + 1 } else { depth };
    let mut root = path.to_path_buf();
    for _ in 0..up {
        if !root.pop() {
            break;
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_roots() {
        assert_eq!(
            import_root(Path::new("src/pkg/mod.py"), "pkg.mod"),
            PathBuf::from("src")
        );
        assert_eq!(
            import_root(Path::new("pkg/__init__.py"), "pkg"),
            PathBuf::from("")
        );
        assert_eq!(import_root(Path::new("util.py"), "util"), PathBuf::from(""));
    }
}
