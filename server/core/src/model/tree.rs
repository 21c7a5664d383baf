//! `decomposition/tree.json`: the component tree.

use super::{ComponentContract, Extra, TestResults};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImplementationStatus {
    #[default]
    Pending,
    Contracted,
    Implemented,
    Tested,
    Failed,
}

impl ImplementationStatus {
    pub const ALL: [&'static str; 5] = ["pending", "contracted", "implemented", "tested", "failed"];
    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }
    /// The status icon of `pact tree` / `pact status`, as the original draws it.
    pub fn icon(self) -> &'static str {
        match self {
            Self::Pending => "[ ]",
            Self::Contracted => "[C]",
            Self::Implemented => "[I]",
            Self::Tested => "[+]",
            Self::Failed => "[X]",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecompositionNode {
    pub component_id: String,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub depth: u32,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub children: Vec<String>,
    #[serde(default)]
    pub contract: Option<ComponentContract>,
    #[serde(default)]
    pub implementation_status: ImplementationStatus,
    #[serde(default)]
    pub test_results: Option<TestResults>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecompositionTree {
    pub root_id: String,
    #[serde(default)]
    pub nodes: IndexMap<String, DecompositionNode>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl DecompositionTree {
    pub fn is_leaf(&self, id: &str) -> bool {
        self.nodes.get(id).is_none_or(|n| n.children.is_empty())
    }

    /// Children before parents (post-order from the root), then nodes the root does not reach,
    /// so every component appears exactly once even in a malformed tree.
    pub fn topological_order(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(self.nodes.len());
        // Iterative post-order so a deep or cyclic tree cannot overflow the stack.
        let mut stack: Vec<(&str, usize)> = Vec::new();
        let starts =
            std::iter::once(self.root_id.as_str()).chain(self.nodes.keys().map(|k| k.as_str()));
        for start in starts {
            if !self.nodes.contains_key(start) || !seen.insert(start) {
                continue;
            }
            stack.push((start, 0));
            while let Some((id, i)) = stack.last_mut() {
                let children = self
                    .nodes
                    .get(*id)
                    .map(|n| n.children.as_slice())
                    .unwrap_or(&[]);
                if let Some(child) = children.get(*i) {
                    *i += 1;
                    if self.nodes.contains_key(child.as_str()) && seen.insert(child.as_str()) {
                        stack.push((child.as_str(), 0));
                    }
                } else {
                    out.push(*id);
                    stack.pop();
                }
            }
        }
        out
    }

    /// Ancestors of `id`, nearest first.
    pub fn ancestors(&self, id: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut cur = self
            .nodes
            .get(id)
            .map(|n| n.parent_id.as_str())
            .unwrap_or("");
        while !cur.is_empty() && !out.contains(&cur) && out.len() <= self.nodes.len() {
            out.push(cur);
            cur = self
                .nodes
                .get(cur)
                .map(|n| n.parent_id.as_str())
                .unwrap_or("");
        }
        out
    }
}
