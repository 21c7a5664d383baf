//! The component tree of an adopted codebase: a root, a node per package directory, a leaf per
//! module, in the scan's order (the same codebase gives the same tree).

use super::AdoptModule;
use indexmap::IndexMap;
use pact_core::model::{DecompositionNode, DecompositionTree, ImplementationStatus};

/// The id of the adopted tree's root.
pub const ROOT: &str = "root";

fn node(id: &str, name: &str, description: String, depth: u32, parent: &str) -> DecompositionNode {
    DecompositionNode {
        component_id: id.to_string(),
        name: name.to_string(),
        description,
        depth,
        parent_id: parent.to_string(),
        children: Vec::new(),
        contract: None,
        implementation_status: ImplementationStatus::Pending,
        test_results: None,
        extra: Default::default(),
    }
}

/// The tree: one module is the whole tree (its own root); several hang under a root, through a
/// node per package.
pub fn plan_tree(modules: &[AdoptModule]) -> DecompositionTree {
    if let [m] = modules {
        let n = node(
            &m.component,
            &m.module,
            format!("The module {} ({})", m.module, m.path.display()),
            0,
            "",
        );
        return DecompositionTree {
            root_id: m.component.clone(),
            nodes: [(m.component.clone(), n)].into_iter().collect(),
            extra: Default::default(),
        };
    }
    let mut nodes: IndexMap<String, DecompositionNode> = IndexMap::new();
    nodes.insert(
        ROOT.into(),
        node(
            ROOT,
            "Adopted codebase",
            "An existing codebase under contract".into(),
            0,
            "",
        ),
    );
    for m in modules {
        // Package nodes for each directory above the module (relative to its import root).
        let mut parent = ROOT.to_string();
        let mut parts: Vec<&str> = m.module.split('.').collect();
        parts.pop();
        for i in 0..parts.len() {
            let id = format!("pkg_{}", parts[..=i].join("_"));
            if !nodes.contains_key(&id) {
                let n = node(
                    &id,
                    parts[i],
                    format!("Package {}", parts[..=i].join(".")),
                    (i + 1) as u32,
                    &parent,
                );
                nodes.insert(id.clone(), n);
                if let Some(p) = nodes.get_mut(&parent) {
                    p.children.push(id.clone());
                }
            }
            parent = id;
        }
        let depth = nodes.get(&parent).map_or(1, |p| p.depth + 1);
        let n = node(
            &m.component,
            &m.module,
            format!("The module {} ({})", m.module, m.path.display()),
            depth,
            &parent,
        );
        nodes.insert(m.component.clone(), n);
        if let Some(p) = nodes.get_mut(&parent) {
            p.children.push(m.component.clone());
        }
    }
    DecompositionTree {
        root_id: ROOT.into(),
        nodes,
        extra: Default::default(),
    }
}
