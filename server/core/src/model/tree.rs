//! `decomposition/tree.json`: the component tree.

use super::{Extra, TestResults};
use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// A node's copy of its component's contract, as the original saves it into tree.json after the
/// contract phase. Nothing reads it (`contracts/<id>/interface.json` is the contract), so it is
/// kept as the JSON text it was, to be written back unchanged: parsing a second copy of every
/// contract was most of the cost of reading the original's trees.
#[derive(Debug, Clone)]
pub struct EmbeddedContract(Box<RawValue>);

impl EmbeddedContract {
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for EmbeddedContract {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

impl<'de> Deserialize<'de> for EmbeddedContract {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(EmbeddedContract)
    }
}

impl Serialize for EmbeddedContract {
    /// Through a value, so a pretty-printed tree indents the copy like everything around it.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::from_str::<serde_json::Value>(self.json())
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecompositionNode {
    pub component_id: String,
    pub name: String,
    pub description: String,
    pub depth: u32,
    pub parent_id: String,
    pub children: Vec<String>,
    pub contract: Option<EmbeddedContract>,
    pub implementation_status: ImplementationStatus,
    pub test_results: Option<TestResults>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecompositionTree {
    pub root_id: String,
    pub nodes: IndexMap<String, DecompositionNode>,
    #[serde(flatten)]
    pub extra: Extra,
}

// Hand-written rather than derived: with `#[serde(flatten)]` a derived `Deserialize` first copies
// the whole object into serde's buffer, and a tree's object is every node with its contract.
// These read fields straight from the parser and keep unknown ones in `extra`, as flatten did.

fn required<T, E: de::Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
    v.ok_or_else(|| E::missing_field(field))
}

impl<'de> Deserialize<'de> for DecompositionNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DecompositionNode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decomposition node")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut component_id, mut name, mut description) = (None, None, None);
                let mut node = DecompositionNode {
                    component_id: String::new(),
                    name: String::new(),
                    description: String::new(),
                    depth: 0,
                    parent_id: String::new(),
                    children: Vec::new(),
                    contract: None,
                    implementation_status: ImplementationStatus::default(),
                    test_results: None,
                    extra: Extra::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "component_id" => component_id = Some(map.next_value()?),
                        "name" => name = Some(map.next_value()?),
                        "description" => description = Some(map.next_value()?),
                        "depth" => node.depth = map.next_value()?,
                        "parent_id" => node.parent_id = map.next_value()?,
                        "children" => node.children = map.next_value()?,
                        "contract" => node.contract = map.next_value()?,
                        "implementation_status" => node.implementation_status = map.next_value()?,
                        "test_results" => node.test_results = map.next_value()?,
                        _ => {
                            let v = map.next_value()?;
                            node.extra.insert(key, v);
                        }
                    }
                }
                node.component_id = required(component_id, "component_id")?;
                node.name = required(name, "name")?;
                node.description = required(description, "description")?;
                Ok(node)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for DecompositionTree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DecompositionTree;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decomposition tree")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut root_id = None;
                let mut nodes = IndexMap::new();
                let mut extra = Extra::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "root_id" => root_id = Some(map.next_value()?),
                        "nodes" => nodes = map.next_value()?,
                        _ => {
                            let v = map.next_value()?;
                            extra.insert(key, v);
                        }
                    }
                }
                Ok(DecompositionTree {
                    root_id: required(root_id, "root_id")?,
                    nodes,
                    extra,
                })
            }
        }
        d.deserialize_map(V)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A node as the original saves it after the contract phase, with a field this version
    /// does not know.
    const TREE: &str = r#"{
  "root_id": "app",
  "nodes": {
    "app": {
      "component_id": "app",
      "name": "App",
      "description": "The app",
      "depth": 0,
      "parent_id": "",
      "children": [],
      "contract": {"component_id": "app", "functions": [{"name": "run", "inputs": []}]},
      "implementation_status": "contracted",
      "test_results": null,
      "owner": "team-a"
    }
  },
  "version": 2
}"#;

    #[test]
    fn an_embedded_contract_and_unknown_fields_survive_a_round_trip() {
        let tree: DecompositionTree = serde_json::from_str(TREE).unwrap();
        let node = &tree.nodes["app"];
        assert_eq!(node.implementation_status, ImplementationStatus::Contracted);
        assert_eq!(node.extra["owner"], "team-a");
        assert_eq!(tree.extra["version"], 2);
        let embedded: serde_json::Value =
            serde_json::from_str(node.contract.as_ref().unwrap().json()).unwrap();
        assert_eq!(embedded["functions"][0]["name"], "run");

        let written = serde_json::to_string_pretty(&tree).unwrap();
        // Written back indented like the rest of the tree, not as the text it was read as.
        assert!(written.contains("\n      \"contract\": {\n        \"component_id\": \"app\""));
        let again: DecompositionTree = serde_json::from_str(&written).unwrap();
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&tree).unwrap()
        );
    }

    #[test]
    fn defaults_and_errors_are_those_of_the_derived_reader() {
        let tree: DecompositionTree = serde_json::from_str(
            r#"{"root_id": "a", "nodes": {"a": {"component_id": "a", "name": "A", "description": ""}}}"#,
        )
        .unwrap();
        let a = &tree.nodes["a"];
        assert_eq!(
            (a.depth, a.parent_id.as_str(), a.contract.is_none()),
            (0, "", true)
        );
        assert_eq!(a.implementation_status, ImplementationStatus::Pending);

        let missing = serde_json::from_str::<DecompositionTree>(
            r#"{"root_id": "a", "nodes": {"a": {"name": "A", "description": ""}}}"#,
        )
        .unwrap_err();
        assert!(
            missing.to_string().contains("missing field `component_id`"),
            "{missing}"
        );
        let wrong = serde_json::from_str::<DecompositionTree>(
            r#"{"root_id": "a", "nodes": {"a": {"component_id": "a", "name": "A", "description": "", "depth": "x"}}}"#,
        )
        .unwrap_err();
        assert!(wrong.to_string().contains("invalid type"), "{wrong}");
        assert!(serde_json::from_str::<DecompositionTree>(r#"{"nodes": {}}"#).is_err());
    }

    #[test]
    fn a_schema_error_in_a_node_is_placed_on_its_value() {
        let text = r#"{"root_id": "a", "nodes": {"a": {"component_id": "a", "name": "A", "description": "", "implementation_status": "done"}}}"#;
        let e = crate::json::parse::<DecompositionTree>(text).unwrap_err();
        assert_eq!(
            &text[e.range.start..e.range.end],
            "\"done\"",
            "{}",
            e.message
        );
    }
}
