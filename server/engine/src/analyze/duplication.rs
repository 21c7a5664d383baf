//! Type names defined by several contracts.

use super::*;

/// What makes two definitions of a type the same type.
pub(super) fn shape(t: &TypeSpec) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = t
        .fields
        .iter()
        .map(|f| serde_json::json!([f.name, f.type_ref, f.required]))
        .collect();
    serde_json::json!({
        "kind": t.kind.as_str(),
        "fields": fields,
        "item_type": t.item_type,
        "variants": t.variants,
        "inner_types": t.inner_types,
    })
}

pub(super) fn duplication(a: &Artifacts, f: &mut Findings) {
    let mut names: Vec<&str> = Vec::new();
    let mut defs: Vec<Vec<(&str, usize, &TypeSpec)>> = Vec::new();
    for id in a.tree.nodes.keys() {
        let Some(c) = a.contract(id) else { continue };
        for (i, t) in c.types.iter().enumerate() {
            match names.iter().position(|n| *n == t.name) {
                Some(k) => {
                    if !defs[k].iter().any(|(d, _, _)| d == id) {
                        defs[k].push((id, i, t));
                    }
                }
                None => {
                    names.push(&t.name);
                    defs.push(vec![(id, i, t)]);
                }
            }
        }
    }
    for (name, defs) in names.iter().zip(&defs) {
        if defs.len() < 2 {
            continue;
        }
        let ids: Vec<&str> = defs.iter().map(|(id, _, _)| *id).collect();
        let same = defs.iter().all(|(_, _, t)| shape(t) == shape(defs[0].2));
        let locs: Vec<Location> = defs
            .iter()
            .map(|(id, i, _)| {
                a.in_contract(
                    id,
                    &[Seg::from("types"), Seg::from(*i), Seg::from("name")],
                    None,
                )
            })
            .collect();
        let (severity, description, suggestion) = if same {
            (
                Severity::Info,
                format!(
                    "Type '{name}' is defined in multiple contracts, identically: {}",
                    ids.join(", ")
                ),
                "Consider one owner for it (`owner_component`) or a shared types module",
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "Type '{name}' is defined in multiple contracts, differently: {}",
                    ids.join(", ")
                ),
                "Make the definitions agree, or give the types different names",
            )
        };
        let mut locs = locs.into_iter();
        let first = locs.next();
        f.add(
            severity,
            Category::Duplication,
            Code::DuplicateType,
            "",
            description,
            suggestion.into(),
            first,
            locs.collect(),
        );
    }
}
