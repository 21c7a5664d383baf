//! Reading contract test code with tree-sitter: syntax errors at their exact node, the test
//! functions it defines, whether each can fail (has an assertion), and the names it calls.

use crate::model::TestLanguage;
use crate::text::TextRange;
use std::cell::RefCell;
use std::collections::HashSet;
use tree_sitter::{Language, Node, Parser, Tree};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyntaxError {
    pub range: TextRange,
    /// 1-based line, as Python's `SyntaxError` reports it.
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TestFn {
    pub name: String,
    /// The test's name (Python) or its title string (TS/JS).
    pub name_range: TextRange,
    /// The whole definition.
    pub range: TextRange,
    pub has_assertion: bool,
    /// Free functions it calls that the file does not define or import: these must come from
    /// the contract under test.
    pub free_calls: Vec<(String, TextRange)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TestAnalysis {
    pub syntax_errors: Vec<SyntaxError>,
    pub tests: Vec<TestFn>,
}

impl TestAnalysis {
    pub fn parses(&self) -> bool {
        self.syntax_errors.is_empty()
    }
}

fn language(lang: TestLanguage) -> Language {
    match lang {
        TestLanguage::Python => tree_sitter_python::LANGUAGE.into(),
        TestLanguage::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        TestLanguage::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
    }
}

thread_local! {
    /// Parsers are not `Sync`; one per thread and language, reused across files.
    static PARSERS: RefCell<Vec<(TestLanguage, Parser)>> = const { RefCell::new(Vec::new()) };
}

/// Parses `text` (reusing this thread's parser). `None` only if the grammar cannot be loaded.
pub fn parse(lang: TestLanguage, text: &str) -> Option<Tree> {
    parse_incremental(lang, text, None)
}

/// [`parse`], reusing `old` (already edited to match `text`) when given: what an editor does
/// on each keystroke.
pub fn parse_incremental(lang: TestLanguage, text: &str, old: Option<&Tree>) -> Option<Tree> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let idx = match parsers.iter().position(|(l, _)| *l == lang) {
            Some(i) => i,
            None => {
                let mut p = Parser::new();
                p.set_language(&language(lang)).ok()?;
                parsers.push((lang, p));
                parsers.len() - 1
            }
        };
        match lang {
            TestLanguage::Python => parsers[idx].1.parse(&*mask_comment_lines(text), old),
            _ => parsers[idx].1.parse(text, old),
        }
    })
}

/// `text` with every comment-only line blanked (same bytes count, newlines kept), for the
/// Python grammar: its scanner reads ahead through every following comment line at each line
/// end, so a run of n comment lines costs n² (16k trailing comment lines took 77 s); blank
/// lines it skips in one pass. Nothing the analysis reads is in a comment, and every offset
/// into the tree still points at the same place in the original text.
fn mask_comment_lines(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        let line = &bytes[start..end];
        let indent = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if line.get(indent) == Some(&b'#') {
            let buf = out.get_or_insert_with(|| bytes.to_vec());
            for b in &mut buf[start + indent..end] {
                if *b != b'\r' {
                    *b = b' ';
                }
            }
        }
        start = end + 1;
    }
    match out {
        // Only ASCII bytes (spaces) replaced whole lines' tails: still UTF-8.
        Some(buf) => std::borrow::Cow::Owned(String::from_utf8(buf).unwrap_or_default()),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Analyzes one test file. Never panics, whatever the text.
pub fn analyze(lang: TestLanguage, text: &str) -> TestAnalysis {
    let Some(tree) = parse(lang, text) else {
        return TestAnalysis::default();
    };
    analyze_tree(lang, &tree, text)
}

/// [`analyze`] on a tree already parsed from `text` (the language server re-parses open test
/// files incrementally and analyzes the result). Same answer as [`analyze`] on the same text.
pub fn analyze_tree(lang: TestLanguage, tree: &Tree, text: &str) -> TestAnalysis {
    let root = tree.root_node();
    let syntax_errors = if root.has_error() {
        syntax_errors(root, text)
    } else {
        Vec::new()
    };
    let tests = match lang {
        TestLanguage::Python => python_tests(root, text),
        TestLanguage::TypeScript | TestLanguage::JavaScript => js_tests(root, text),
    };
    TestAnalysis {
        syntax_errors,
        tests,
    }
}

fn range(n: Node) -> TextRange {
    TextRange::new(n.start_byte(), n.end_byte())
}

/// The source text of `n` (empty if the range is not on character boundaries).
pub(crate) fn text_of<'t>(n: Node, text: &'t str) -> &'t str {
    text.get(n.start_byte()..n.end_byte()).unwrap_or("")
}

/// The first few error or missing nodes, outermost first, as a parser would report them.
fn syntax_errors(root: Node, text: &str) -> Vec<SyntaxError> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if out.len() >= 8 {
            break;
        }
        if node.is_missing() {
            out.push(SyntaxError {
                range: TextRange::new(node.start_byte(), node.start_byte()),
                line: node.start_position().row as u32 + 1,
                message: format!("missing `{}`", node.kind()),
            });
            continue;
        }
        if node.is_error() {
            let snippet: String = text_of(node, text).chars().take(20).collect();
            let snippet = snippet.lines().next().unwrap_or("").trim().to_string();
            out.push(SyntaxError {
                range: range(node),
                line: node.start_position().row as u32 + 1,
                message: if snippet.is_empty() {
                    "invalid syntax".to_string()
                } else {
                    format!("invalid syntax near `{snippet}`")
                },
            });
            continue;
        }
        if node.has_error() {
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    out.sort_by_key(|e| e.range.start);
    out
}

/// Pre-order walk of `node` and everything under it (also the codebase scan's walk).
pub(crate) fn descendants(node: Node) -> impl Iterator<Item = Node> {
    let mut cursor = node.walk();
    let mut next = Some(node);
    std::iter::from_fn(move || {
        let current = next?;
        // Invariant: the cursor sits on `current`; move it to the node after it.
        next = None;
        if cursor.goto_first_child() {
            next = Some(cursor.node());
        } else {
            loop {
                if cursor.node() == node {
                    break;
                }
                if cursor.goto_next_sibling() {
                    next = Some(cursor.node());
                    break;
                }
                if !cursor.goto_parent() {
                    break;
                }
            }
        }
        Some(current)
    })
}

/// Builtins a Python test may call without importing them.
const PY_BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "hasattr",
    "hash",
    "hex",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "RuntimeError",
    "AttributeError",
    "NotImplementedError",
    "AssertionError",
    "StopIteration",
    "OSError",
    "IOError",
    "FileNotFoundError",
    "PermissionError",
    "ZeroDivisionError",
    "LookupError",
    "ArithmeticError",
    "OverflowError",
    "UnicodeError",
    "UnicodeDecodeError",
    "TimeoutError",
    "ConnectionError",
    "BaseException",
    "KeyboardInterrupt",
    "SystemExit",
    "compile",
    "eval",
    "exec",
    "globals",
    "locals",
    "input",
    "memoryview",
    "property",
    "staticmethod",
    "classmethod",
    "complex",
    "delattr",
    "breakpoint",
    "__import__",
    "aiter",
    "anext",
];

/// What one pass over a Python file learns about a function definition.
struct PyFn {
    name: String,
    name_range: TextRange,
    range: TextRange,
    asserts: bool,
    /// Plain-identifier callees (name, range).
    calls: Vec<(String, TextRange)>,
}

/// Python: every `def test_*` (module level or in a class), with assertion and free-call facts.
/// One cursor walk (no `Node::parent`, which re-descends from the root each time).
fn python_tests(root: Node, text: &str) -> Vec<TestFn> {
    // Names the file binds anywhere: an identifier used other than as a callee, a keyword
    // argument name or an attribute name. Good enough to tell "imported or defined here" from
    // "must come from the module under test via `import *`".
    let mut bound: HashSet<&str> = HashSet::new();
    let mut fns: Vec<PyFn> = Vec::new();
    let mut fn_stack: Vec<usize> = Vec::new();
    let mut ancestors: Vec<Node> = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        let field = cursor.field_name();
        let parent_kind = ancestors.last().map(|p| p.kind()).unwrap_or("");
        match node.kind() {
            "identifier" => {
                let role = (parent_kind, field.unwrap_or(""));
                let is_def_name =
                    matches!(role, ("function_definition" | "class_definition", "name"));
                let is_use_only = matches!(
                    role,
                    ("call", "function")
                        | ("keyword_argument", "name")
                        | ("attribute", "attribute")
                );
                if is_def_name || !is_use_only {
                    bound.insert(text_of(node, text));
                }
            }
            "assert_statement" => {
                for &i in &fn_stack {
                    fns[i].asserts = true;
                }
            }
            "call" => {
                if let (Some(&i), Some(callee)) =
                    (fn_stack.last(), node.child_by_field_name("function"))
                {
                    let last = match callee.kind() {
                        "attribute" => callee
                            .child_by_field_name("attribute")
                            .map(|a| text_of(a, text))
                            .unwrap_or(""),
                        _ => text_of(callee, text),
                    };
                    if last.starts_with("assert")
                        || last.starts_with("expect")
                        || matches!(last, "raises" | "fail" | "warns" | "deprecated_call")
                    {
                        fns[i].asserts = true;
                    }
                    if callee.kind() == "identifier" {
                        fns[i].calls.push((last.to_string(), range(callee)));
                    }
                }
            }
            "function_definition" => {
                let name_node = node.child_by_field_name("name");
                fns.push(PyFn {
                    name: name_node
                        .map(|n| text_of(n, text).to_string())
                        .unwrap_or_default(),
                    name_range: name_node.map(range).unwrap_or_default(),
                    range: range(node),
                    asserts: false,
                    calls: Vec::new(),
                });
                fn_stack.push(fns.len() - 1);
            }
            _ => {}
        }
        if cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        // Leave `node`, then every ancestor that has no next sibling.
        let mut leaving = node;
        loop {
            if leaving.kind() == "function_definition" {
                fn_stack.pop();
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return finish_python(fns, &bound);
            }
            match ancestors.pop() {
                Some(p) => leaving = p,
                None => return finish_python(fns, &bound),
            }
        }
    }
}

fn finish_python(fns: Vec<PyFn>, bound: &HashSet<&str>) -> Vec<TestFn> {
    // A helper that asserts gives teeth to the tests that call it.
    let helpers: HashSet<&str> = fns
        .iter()
        .filter(|f| !f.name.starts_with("test") && f.asserts)
        .map(|f| f.name.as_str())
        .collect();
    fns.iter()
        .filter(|f| f.name.starts_with("test"))
        .map(|f| TestFn {
            name: f.name.clone(),
            name_range: f.name_range,
            range: f.range,
            has_assertion: f.asserts || f.calls.iter().any(|(c, _)| helpers.contains(c.as_str())),
            free_calls: f
                .calls
                .iter()
                .filter(|(c, _)| !bound.contains(c.as_str()) && !PY_BUILTINS.contains(&c.as_str()))
                .cloned()
                .collect(),
        })
        .collect()
}

/// TS/JS: `test("title", fn)` / `it(...)` calls, assertion = a call rooted at `expect`/`assert`.
fn js_tests(root: Node, text: &str) -> Vec<TestFn> {
    let mut tests = Vec::new();
    for node in descendants(root) {
        if node.kind() != "call_expression" {
            continue;
        }
        let Some(callee) = node.child_by_field_name("function") else {
            continue;
        };
        let callee_root = callee_root_name(callee, text);
        if !matches!(callee_root, "test" | "it") {
            continue;
        }
        let Some(args) = node.child_by_field_name("arguments") else {
            continue;
        };
        let mut cursor = args.walk();
        let named: Vec<Node> = args.named_children(&mut cursor).collect();
        let Some(title) = named
            .first()
            .filter(|n| matches!(n.kind(), "string" | "template_string"))
        else {
            continue;
        };
        let title_text = text_of(*title, text).trim_matches(|c| c == '"' || c == '\'' || c == '`');
        let body = named.iter().find(|n| {
            matches!(
                n.kind(),
                "arrow_function" | "function_expression" | "function"
            )
        });
        let has_assertion = body.is_some_and(|b| {
            descendants(*b).any(|n| {
                n.kind() == "call_expression"
                    && n.child_by_field_name("function").is_some_and(|c| {
                        let r = callee_root_name(c, text);
                        r == "expect"
                            || r == "assert"
                            || r.starts_with("assert")
                            || text_of(c, text).contains(".assert")
                    })
            })
        });
        tests.push(TestFn {
            name: title_text.to_string(),
            name_range: range(*title),
            range: range(node),
            has_assertion,
            free_calls: Vec::new(),
        });
    }
    tests
}

/// `expect(x).toBe` → `expect`; `assert.equal` → `assert`; `test.each(...)` → `test`.
fn callee_root_name<'t>(mut n: Node, text: &'t str) -> &'t str {
    loop {
        match n.kind() {
            "identifier" => return text_of(n, text),
            "member_expression" => match n.child_by_field_name("object") {
                Some(o) => n = o,
                None => return "",
            },
            "call_expression" => match n.child_by_field_name("function") {
                Some(f) => n = f,
                None => return "",
            },
            _ => return "",
        }
    }
}

/// The test case a test function implements, by the original's naming (`test_tc001_...`).
/// Whether test code patches module internals (`unittest.mock.patch`, `patch.object`,
/// pytest's `monkeypatch`, pytest-mock's `mocker`; `vi.mock`/`vi.spyOn` in TypeScript): such a
/// suite reaches into the implementation's module, so it must run in the implementation's
/// process instead of across the contract boundary.
pub fn patches_modules(text: &str) -> bool {
    module_patch(text).is_some()
}

/// The byte range of the first module patch in `text` (see [`patches_modules`]); comments
/// (`#` and `//` to the end of the line) do not count.
pub fn module_patch(text: &str) -> Option<(usize, usize)> {
    const MARKERS: [&str; 6] = [
        "patch.object(",
        "patch(",
        "monkeypatch",
        "mocker.",
        "vi.mock(",
        "vi.spyOn(",
    ];
    // Most suites patch nothing: one scan of the whole text per marker says so, instead of
    // eight searches on every line (the largest cost of a warm `pact validate`).
    if !MARKERS.iter().any(|m| text.contains(m)) {
        return None;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code_end = [line.find('#'), line.find("//")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(line.len());
        let code = &line[..code_end];
        if let Some((at, m)) = MARKERS
            .iter()
            .filter_map(|m| code.find(m).map(|at| (at, m)))
            .min_by_key(|(at, _)| *at)
        {
            let len = m.trim_end_matches('(').len();
            return Some((offset + at, offset + at + len));
        }
        offset += line.len();
    }
    None
}

pub fn case_for_test<'a>(
    test_name: &str,
    case_ids: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = test_name.to_ascii_lowercase();
    let rest = lower.strip_prefix("test_").unwrap_or(&lower);
    case_ids.into_iter().find(|id| {
        let id = id.to_ascii_lowercase();
        !id.is_empty()
            && (rest == id
                || rest.starts_with(&format!("{id}_"))
                || lower.contains(&format!("{id}:")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_syntax_error_points_at_the_line() {
        let code = "import pytest\n\ndef test_a(:\n    assert 1\n";
        let a = analyze(TestLanguage::Python, code);
        assert!(!a.parses());
        assert_eq!(a.syntax_errors[0].line, 3, "{:?}", a.syntax_errors);
    }

    #[test]
    fn python_tests_assertions_and_free_calls() {
        let code = r#"
import pytest
from counter import *

def _check(x):
    assert x

def test_tc001_ok():
    assert count_tokens([]) == {}

def test_tc002_raises():
    with pytest.raises(ValueError):
        top_n({}, 0)

def test_tc003_toothless():
    count_tokens([])

def test_tc004_helper():
    _check(rank([]))

class TestGroup:
    def test_method(self):
        self.assertEqual(1, 1)
"#;
        let a = analyze(TestLanguage::Python, code);
        assert!(a.parses());
        let names: Vec<_> = a
            .tests
            .iter()
            .map(|t| (t.name.as_str(), t.has_assertion))
            .collect();
        assert_eq!(
            names,
            vec![
                ("test_tc001_ok", true),
                ("test_tc002_raises", true),
                ("test_tc003_toothless", false),
                ("test_tc004_helper", true),
                ("test_method", true)
            ]
        );
        let free: Vec<_> = a.tests[3]
            .free_calls
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(free, vec!["rank"]);
        let free: Vec<_> = a.tests[0]
            .free_calls
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(free, vec!["count_tokens"]);
    }

    #[test]
    fn typescript_tests() {
        let code = r#"
import { describe, it, expect } from "vitest";
import { tokenize } from "../src/tokenizer";
describe("tokenizer", () => {
  it("splits words", () => { expect(tokenize("a b")).toEqual(["a", "b"]); });
  test("does nothing", () => { tokenize(""); });
});
"#;
        let a = analyze(TestLanguage::TypeScript, code);
        assert!(a.parses(), "{:?}", a.syntax_errors);
        let t: Vec<_> = a
            .tests
            .iter()
            .map(|t| (t.name.as_str(), t.has_assertion))
            .collect();
        assert_eq!(t, vec![("splits words", true), ("does nothing", false)]);
        let bad = analyze(
            TestLanguage::JavaScript,
            "test('x', () => { expect(1).toBe(1) ",
        );
        assert!(!bad.parses());
    }

    #[test]
    fn comment_lines_are_blanked_for_the_parser_and_change_no_finding() {
        let mut text = String::from("def test_a():\n    # why\n    assert f(1) == 2  # inline\n");
        for i in 0..20_000 {
            text.push_str(&format!("# trailing comment {i} é\n"));
        }
        let a = analyze(TestLanguage::Python, &text);
        assert!(a.syntax_errors.is_empty());
        assert_eq!(a.tests.len(), 1);
        assert!(a.tests[0].has_assertion);
        let masked = mask_comment_lines("a = 1\n  # x é\r\nb = '#'\n");
        assert_eq!(masked, "a = 1\n        \r\nb = '#'\n");
    }

    #[test]
    fn maps_test_names_to_cases() {
        let ids = ["TC001", "TC002"];
        assert_eq!(case_for_test("test_tc002_count_empty", ids), Some("TC002"));
        assert_eq!(case_for_test("test_other", ids), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
            let _ = analyze(TestLanguage::Python, &s);
            let _ = analyze(TestLanguage::TypeScript, &s);
        }
    }
}
