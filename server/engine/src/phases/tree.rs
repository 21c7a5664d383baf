//! The decomposition tree: asked of the decomposer, made well-formed whatever it answers, and
//! ordered so every component comes after what it depends on.

use super::interview::interview_context;
use super::{ask, parse, read};
use crate::engine::{Engine, EngineError, Result};
use crate::roles;
use pact_core::ids::check_component_id;
use pact_core::model::{
    DecompositionNode, DecompositionTree, EngineeringDecision, ImplementationStatus,
};
use serde_json::Value;
use std::collections::HashSet;

pub(super) async fn make_tree(e: &Engine) -> Result<DecompositionTree> {
    let task = read(e, &e.project.layout.task_md())?;
    let sops = read(e, &e.project.layout.sops_md())?;
    let mode = e.config.build_mode().to_string();
    let tree = if mode == "unary" {
        single_node_tree("root", "Main", &task)
    } else {
        let mut context = interview_context(e.project.load_interview()?.as_ref());
        let pitch = e.project.layout.decomposition_dir().join("pitch.json");
        if let Some(p) = e.project.read_text(&pitch)? {
            context.push_str(&format!("\n# Shaping pitch\n{p}\n"));
        }
        let v = ask(e, &roles::decompose(&task, &sops, &context, &mode)).await?;
        let decisions: Vec<EngineeringDecision> = v
            .get("decisions")
            .cloned()
            .map(|d| parse(d, "decisions"))
            .transpose()?
            .unwrap_or_default();
        e.project.save_decisions(&decisions)?;
        tree_from_answer(&v, &task)?
    };
    e.project.save_tree(&tree)?;
    e.audit("decomposition", format!("{} components", tree.nodes.len()))?;
    Ok(tree)
}

fn single_node_tree(id: &str, name: &str, description: &str) -> DecompositionTree {
    let mut nodes = indexmap::IndexMap::new();
    nodes.insert(
        id.to_string(),
        node(id, name, description, 0, "", Vec::new()),
    );
    DecompositionTree {
        root_id: id.into(),
        nodes,
        extra: Default::default(),
    }
}

fn node(
    id: &str,
    name: &str,
    description: &str,
    depth: u32,
    parent: &str,
    children: Vec<String>,
) -> DecompositionNode {
    DecompositionNode {
        component_id: id.into(),
        name: name.into(),
        description: description.into(),
        depth,
        parent_id: parent.into(),
        children,
        contract: None,
        implementation_status: ImplementationStatus::Pending,
        test_results: None,
        extra: Default::default(),
    }
}

/// Builds a well-formed tree from the decomposer's answer: ids checked, unknown children
/// dropped, one root (synthesized if the answer has several), depths and parents assigned, and
/// unreachable components adopted by the root, as the original does.
pub(crate) fn tree_from_answer(v: &Value, task: &str) -> Result<DecompositionTree> {
    let comps = v
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let field = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut list: Vec<(String, String, String, Vec<String>)> = Vec::new();
    let mut declared: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for c in &comps {
        let id = field(c, "component_id");
        check_component_id(&id).map_err(|err| {
            EngineError::Invalid(format!(
                "the decomposer proposed an unusable component id: {err}"
            ))
        })?;
        let children = c
            .get("children")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let deps: Vec<String> = c
            .get("dependencies")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        declared.insert(id.clone(), deps);
        if !list.iter().any(|(i, ..)| *i == id) {
            list.push((id, field(c, "name"), field(c, "description"), children));
        }
    }
    if list.is_empty() {
        return Err(EngineError::Invalid(
            "the decomposer proposed no components".into(),
        ));
    }
    if list.len() == 1 || v.get("is_trivial").and_then(Value::as_bool) == Some(true) {
        let (id, name, desc, _) = &list[0];
        return Ok(single_node_tree(id, name, desc));
    }
    let ids: HashSet<String> = list.iter().map(|(i, ..)| i.clone()).collect();
    for (_, _, _, ch) in list.iter_mut() {
        ch.retain(|c| ids.contains(c));
    }
    let child_ids: HashSet<String> = list
        .iter()
        .flat_map(|(_, _, _, ch)| ch.iter().cloned())
        .collect();
    let wanted_root = v.get("root_id").and_then(Value::as_str).unwrap_or("");
    let roots: Vec<String> = list
        .iter()
        .map(|(i, ..)| i.clone())
        .filter(|i| !child_ids.contains(i))
        .collect();
    let root = if ids.contains(wanted_root) && !child_ids.contains(wanted_root) {
        wanted_root.to_string()
    } else if roots.len() == 1 {
        roots[0].clone()
    } else {
        let desc: String = task.chars().take(200).collect();
        list.push(("root".into(), "Root".into(), desc, roots.clone()));
        "root".into()
    };
    let mut nodes = indexmap::IndexMap::new();
    let mut queue = std::collections::VecDeque::from([(root.clone(), 0u32, String::new())]);
    let find = |id: &str| list.iter().find(|(i, ..)| i == id).cloned();
    while let Some((id, depth, parent)) = queue.pop_front() {
        if nodes.contains_key(&id) {
            continue;
        }
        let Some((_, name, desc, children)) = find(&id) else {
            continue;
        };
        let children: Vec<String> = children
            .into_iter()
            .filter(|c| !nodes.contains_key(c) && *c != id)
            .collect();
        for c in &children {
            queue.push_back((c.clone(), depth + 1, id.clone()));
        }
        nodes.insert(
            id.clone(),
            node(&id, &name, &desc, depth, &parent, children),
        );
    }
    let orphans: Vec<String> = list
        .iter()
        .map(|(i, ..)| i.clone())
        .filter(|i| !nodes.contains_key(i))
        .collect();
    for o in orphans {
        if let Some((_, name, desc, _)) = find(&o) {
            nodes.insert(o.clone(), node(&o, &name, &desc, 1, &root, Vec::new()));
            if let Some(r) = nodes.get_mut(&root) {
                r.children.push(o);
            }
        }
    }
    // The decomposer's declared dependencies (beyond children) guide contract order and the
    // contracts' `dependencies`; kept in the node's extra fields, which the original ignores.
    let known: HashSet<String> = nodes.keys().cloned().collect();
    for (id, n) in nodes.iter_mut() {
        let deps: Vec<Value> = declared
            .get(id)
            .into_iter()
            .flatten()
            .filter(|d| known.contains(*d) && *d != id && !n.children.contains(d))
            .map(|d| Value::from(d.clone()))
            .collect();
        if !deps.is_empty() {
            n.extra.insert("dependencies".into(), Value::Array(deps));
        }
    }
    Ok(DecompositionTree {
        root_id: root,
        nodes,
        extra: Default::default(),
    })
}

/// Children plus the decomposer's declared dependencies of a node.
pub(crate) fn node_deps(node: &DecompositionNode) -> Vec<String> {
    let mut out = node.children.clone();
    for d in node
        .extra
        .get("dependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !out.iter().any(|o| o == d) {
            out.push(d.to_string());
        }
    }
    out
}

/// Components ordered so that each comes after everything it depends on (children and declared
/// dependencies); a cycle falls back to the tree's order for its members.
pub(crate) fn build_order(tree: &DecompositionTree) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut placed: HashSet<String> = HashSet::new();
    let base: Vec<String> = tree
        .topological_order()
        .into_iter()
        .map(str::to_string)
        .collect();
    loop {
        let before = out.len();
        for id in &base {
            if placed.contains(id) {
                continue;
            }
            let ready = tree.nodes.get(id).is_none_or(|n| {
                node_deps(n)
                    .iter()
                    .all(|d| placed.contains(d) || !tree.nodes.contains_key(d))
            });
            if ready {
                placed.insert(id.clone());
                out.push(id.clone());
            }
        }
        if out.len() == base.len() {
            return out;
        }
        if out.len() == before {
            // A cycle: take the rest in tree order; the gate reports the cycle.
            out.extend(base.into_iter().filter(|id| !placed.contains(id)));
            return out;
        }
    }
}
