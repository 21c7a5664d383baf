//! Which mutants to try: the syntax-aware changes to Python sources that a good suite should
//! notice, and an even sample of them.

use pact_core::model::TestLanguage;
use std::collections::HashSet;
use tree_sitter::Node;

/// One candidate change to a source file.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
    pub operator: &'static str,
    pub original: String,
    pub function: String,
}

fn span_text<'t>(n: Node, text: &'t str) -> &'t str {
    text.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

/// The nodes under `root` worth mutating, in document order, found without recursion (a file of
/// 100,000 nested parentheses must not overflow the stack). Decorators are left out:
/// `@dataclass(frozen=True)` and the like configure definitions that the contract boundary
/// rebuilds on the tests' side (values cross it as plain data), so their mutants are
/// equivalent or nearly so, and would only dilute the score.
fn mutable_nodes(root: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    loop {
        let n = cursor.node();
        let descend = n.kind() != "decorator";
        if descend {
            out.push(n);
            if cursor.goto_first_child() {
                continue;
            }
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// Mutations of a Python file: arithmetic and comparison operators, boolean operators,
/// constants, negated conditions and replaced return values.
pub fn python_mutations(file: &str, text: &str) -> Vec<Mutation> {
    let Some(tree) = pact_core::testcode::parse(TestLanguage::Python, text) else {
        return Vec::new();
    };
    let nodes = mutable_nodes(tree.root_node());
    let fns: Vec<(usize, usize, String)> = nodes
        .iter()
        .filter(|n| n.kind() == "function_definition")
        .map(|n| {
            let name = n
                .child_by_field_name("name")
                .map(|x| span_text(x, text).to_string())
                .unwrap_or_default();
            (n.start_byte(), n.end_byte(), name)
        })
        .collect();
    let function_at = |at: usize| {
        fns.iter()
            .filter(|(s, e, _)| *s <= at && at < *e)
            .min_by_key(|(s, e, _)| e - s)
            .map(|f| f.2.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut push = |n: Node, replacement: String, operator: &'static str| {
        out.push(Mutation {
            file: file.to_string(),
            start: n.start_byte(),
            end: n.end_byte(),
            original: span_text(n, text).to_string(),
            replacement,
            operator,
            function: function_at(n.start_byte()),
        });
    };
    for &n in &nodes {
        match n.kind() {
            "binary_operator" | "comparison_operator" | "boolean_operator" => {
                let op = match n.kind() {
                    "boolean_operator" => "boolean operator",
                    "comparison_operator" => "comparison",
                    _ => "arithmetic",
                };
                let mut c = n.walk();
                for child in n.children(&mut c) {
                    let swapped = match span_text(child, text) {
                        "+" => "-",
                        "-" => "+",
                        "*" => "//",
                        "<" => "<=",
                        "<=" => "<",
                        ">" => ">=",
                        ">=" => ">",
                        "==" => "!=",
                        "!=" => "==",
                        "and" => "or",
                        "or" => "and",
                        _ => continue,
                    };
                    push(child, swapped.to_string(), op);
                }
            }
            "integer" => {
                let repl = match span_text(n, text).parse::<i64>() {
                    Ok(0) => "1".to_string(),
                    Ok(x) => x
                        .checked_add(1)
                        .map_or_else(|| "0".to_string(), |v| v.to_string()),
                    Err(_) => continue,
                };
                push(n, repl, "constant");
            }
            "true" => push(n, "False".into(), "constant"),
            "false" => push(n, "True".into(), "constant"),
            "if_statement" | "while_statement" | "elif_clause" => {
                if let Some(cond) = n.child_by_field_name("condition") {
                    push(
                        cond,
                        format!("not ({})", span_text(cond, text)),
                        "negated condition",
                    );
                }
            }
            "return_statement" => {
                let mut c = n.walk();
                if let Some(value) = n.named_children(&mut c).next()
                    && span_text(value, text) != "None"
                {
                    push(value, "None".into(), "return value");
                }
            }
            _ => {}
        }
    }
    out
}

/// Picks at most `max` mutations spread evenly over the list (deterministic).
pub(super) fn sample(mut all: Vec<Mutation>, max: usize) -> Vec<Mutation> {
    if all.len() <= max || max == 0 {
        return all;
    }
    let step = all.len() as f64 / max as f64;
    let picked: HashSet<usize> = (0..max).map(|i| (i as f64 * step) as usize).collect();
    let mut i = 0;
    all.retain(|_| {
        let keep = picked.contains(&i);
        i += 1;
        keep
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_mutations_cover_the_operators() {
        let code =
            "def f(a, b):\n    if a < b and b > 0:\n        return a + 1\n    return False\n";
        let ms = python_mutations("x.py", code);
        let ops: HashSet<&str> = ms.iter().map(|m| m.operator).collect();
        for want in [
            "comparison",
            "boolean operator",
            "arithmetic",
            "constant",
            "negated condition",
            "return value",
        ] {
            assert!(ops.contains(want), "{want} missing: {ms:?}");
        }
        assert!(ms.iter().all(|m| m.function == "f"));
        for m in &ms {
            let mutated = format!("{}{}{}", &code[..m.start], m.replacement, &code[m.end..]);
            assert!(
                pact_core::testcode::analyze(TestLanguage::Python, &mutated).parses(),
                "{mutated}"
            );
        }
    }

    #[test]
    fn decorators_are_not_mutated() {
        let code = "from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass T:\n    n: int = 0\n\ndef f(a):\n    return a > 1\n";
        let ms = python_mutations("t.py", code);
        assert!(ms.iter().all(|m| m.original != "True"), "{ms:?}");
        // `0` of the field default, `>` and `1` in f, f's return value.
        assert_eq!(ms.len(), 4, "{ms:?}");
    }

    #[test]
    fn deeply_nested_sources_do_not_overflow_the_stack() {
        // 100,000 nested parentheses, walked on a thread with a small stack: no recursion.
        let n = 100_000;
        let code = format!("x = {}1 + 2{}\n", "(".repeat(n), ")".repeat(n));
        let ms = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || python_mutations("deep.py", &code).len())
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        assert_eq!(ms, 3, "`+`, `1` and `2`");
    }

    #[test]
    fn sampling_is_even_and_bounded() {
        let ms: Vec<Mutation> = (0..100)
            .map(|i| Mutation {
                file: String::new(),
                start: i,
                end: i,
                replacement: String::new(),
                operator: "x",
                original: String::new(),
                function: String::new(),
            })
            .collect();
        let s = sample(ms, 10);
        assert_eq!(s.len(), 10);
        assert_eq!(s[1].start, 10);
    }
}
