//! A component's dependencies as its tests see them: which sources go on the import path and
//! which contracts the tests cross to reach the implementation.

use crate::engine::{Engine, Result};
use pact_core::model::ComponentContract;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A component's dependencies: its contract's `dependencies` plus its tree children.
pub(crate) fn dependencies(e: &Engine, cid: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = e
        .project
        .load_contract(cid)?
        .map(|c| c.dependencies)
        .unwrap_or_default();
    if let Some(t) = e.project.load_tree()?
        && let Some(n) = t.nodes.get(cid)
    {
        for c in &n.children {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    Ok(out)
}

/// `src/` of the component and of everything it depends on, transitively: what its tests import.
pub(crate) fn src_dirs(e: &Engine, cid: &str, own: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = vec![own.to_path_buf()];
    for d in dependency_closure(e, cid)?.iter().skip(1) {
        dirs.push(e.project.layout.implementation_src(d));
    }
    Ok(dirs)
}

/// The contracts a component's tests cross to reach it: its own, then its dependencies' (the
/// modules [`src_dirs`] puts on the implementation's path). A dependency without a contract is
/// left out (its module is then reached only by the implementation itself).
pub(crate) fn boundary_contracts(e: &Engine, cid: &str) -> Result<Vec<ComponentContract>> {
    let mut out = Vec::new();
    for d in dependency_closure(e, cid)? {
        out.extend(e.project.load_contract(&d)?);
    }
    Ok(out)
}

/// `cid`, then every component it depends on, directly or not, each once (invalid ids skipped).
fn dependency_closure(e: &Engine, cid: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue = vec![cid.to_string()];
    while let Some(d) = queue.pop() {
        if pact_core::ids::check_component_id(&d).is_err() || !seen.insert(d.clone()) {
            continue;
        }
        queue.extend(dependencies(e, &d)?);
        out.push(d);
    }
    Ok(out)
}
