//! The test-suite checks: each suite against its contract (version, cases, functions), and the
//! test code — on disk and a suite's `generated_code` — parsed once per distinct text: syntax
//! errors, tests that cannot fail, calls to functions the contract does not define, suites that
//! patch module internals. Generated code that also sits on disk is reported once, on the file.

use super::{Code, Finding, Fix, nearest};
use crate::json::{self};
use crate::json_path;
use crate::model::{ContractTestSuite, TestLanguage};
use crate::store::{Doc, ProjectDocs};
use crate::testcode::TestAnalysis;
use crate::text::TextRange;
use rustc_hash::FxHashMap;
use std::collections::HashSet;
use std::path::Path;

/// A piece of test code to analyze: a file on disk or a suite's `generated_code`.
struct Source<'a> {
    cid: &'a str,
    language: TestLanguage,
    text: &'a str,
    /// For generated code: the suite document it is embedded in.
    suite: Option<&'a Doc<ContractTestSuite>>,
    file: &'a Path,
    /// Disk file identical to the generated code: reported there, not listed twice.
    duplicate_of_generated: bool,
}

pub(super) fn test_suites(
    docs: &ProjectDocs,
    nodes: &super::checks::TreeNodes,
    order: &[String],
    whole_project: bool,
    cache: &mut super::AnalysisCache,
    out: &mut Vec<Finding>,
) {
    // Gather every test text, then parse each distinct one once, on all cores.
    let mut sources: Vec<Source> = Vec::new();
    for cid in order {
        let suite_doc = docs.suites.get(cid.as_str());
        let generated = suite_doc
            .and_then(|d| d.ok())
            .filter(|s| !s.generated_code.trim().is_empty());
        let gen_lang = generated.map(|s| s.language().unwrap_or(TestLanguage::Python));
        let mut gen_on_disk: Option<&Path> = None;
        for f in docs.test_files.get(cid.as_str()).into_iter().flatten() {
            let same = generated.is_some_and(|s| {
                Some(f.language) == gen_lang && s.generated_code.as_str() == &*f.text
            });
            if same && gen_on_disk.is_none() {
                gen_on_disk = Some(&f.path);
            }
            sources.push(Source {
                cid,
                language: f.language,
                text: &f.text,
                suite: None,
                file: &f.path,
                duplicate_of_generated: same,
            });
        }
        if let (Some(s), Some(doc), Some(lang)) = (generated, suite_doc, gen_lang) {
            sources.push(Source {
                cid,
                language: lang,
                text: &s.generated_code,
                suite: Some(doc),
                file: &doc.path,
                duplicate_of_generated: false,
            });
        }
    }
    let mut unique: FxHashMap<(TestLanguage, &str), usize> = FxHashMap::default();
    let mut jobs: Vec<(TestLanguage, &str)> = Vec::new();
    let slot: Vec<usize> = sources
        .iter()
        .map(|s| {
            *unique.entry((s.language, s.text)).or_insert_with(|| {
                jobs.push((s.language, s.text));
                jobs.len() - 1
            })
        })
        .collect();
    let analyses: Vec<TestAnalysis> = cache.analyze_all(&jobs, whole_project);

    for cid in order {
        let in_tree = docs
            .tree()
            .is_some_and(|t| t.nodes.contains_key(cid.as_str()));
        let Some(doc) = docs.suites.get(cid.as_str()) else {
            if in_tree {
                let range = nodes.key(cid);
                out.push(
                    Finding::error(
                        Code::MissingTestSuite,
                        format!("Component '{cid}' missing test suite"),
                    )
                    .at(&docs.layout.tree(), range)
                    .of(cid),
                );
            }
            continue;
        };
        let Some(suite) = doc.ok() else { continue };
        // A language Pact cannot run would silently run as Python.
        if !suite.test_language.trim().is_empty() && suite.language().is_none() {
            out.push(
                Finding::error(
                    Code::JsonSchema,
                    format!(
                        "Test suite for '{cid}' has test_language '{}': Pact runs python, typescript or javascript tests",
                        suite.test_language
                    ),
                )
                .at(
                    &doc.path,
                    json::locate(&doc.text, &json_path!["test_language"]),
                )
                .of(cid),
            );
        }
        if suite.component_id.trim().is_empty() {
            out.push(
                Finding::error(Code::EmptyTestSuite, "Test suite missing component_id")
                    .at(
                        &doc.path,
                        json::locate(&doc.text, &json_path!["component_id"]),
                    )
                    .of(cid),
            );
        }
        if suite.test_cases.is_empty() {
            out.push(
                Finding::error(
                    Code::EmptyTestSuite,
                    format!("Test suite for '{cid}' has no test cases"),
                )
                .at(
                    &doc.path,
                    json::locate(&doc.text, &json_path!["test_cases"]),
                )
                .of(cid),
            );
        }
        let contract = docs.contract(cid);
        if let Some(c) = contract {
            for (i, case) in suite.test_cases.iter().enumerate() {
                if !case.function.is_empty() && c.function_named(&case.function).is_none() {
                    let names = c.functions.iter().map(|f| f.name.as_str());
                    let mut f = Finding::error(
                        Code::UnknownFunction,
                        format!("Test case '{}' of '{cid}' tests function '{}', which the contract does not define", case.id, case.function),
                    )
                    .at(&doc.path, json::locate(&doc.text, &json_path!["test_cases", i, "function"]))
                    .of(cid);
                    if let Some(n) = nearest(&case.function, names) {
                        f.fix = Some(Fix::Replace {
                            with: format!("\"{n}\""),
                        });
                    }
                    out.push(f);
                }
            }
            if suite.contract_version != c.version {
                out.push(
                    Finding::warning(
                        Code::StaleTests,
                        format!(
                            "Test suite for '{cid}' was generated for contract version {}, but the contract is version {}",
                            suite.contract_version, c.version
                        ),
                    )
                    .at(&doc.path, json::locate(&doc.text, &json_path!["contract_version"]))
                    .of(cid),
                );
            }
        }
    }

    for (s, &slot) in sources.iter().zip(&slot) {
        // Generated code that also sits on disk is one problem, reported once: on the file,
        // where it is edited.
        let on_disk = s.suite.is_some()
            && docs
                .test_files
                .get(s.cid)
                .is_some_and(|fs| fs.iter().any(|f| &*f.text == s.text));
        if !on_disk {
            code_findings(s, &analyses[slot], docs, out);
        }
    }
}

fn code_findings(s: &Source, a: &TestAnalysis, docs: &ProjectDocs, out: &mut Vec<Finding>) {
    let cid = s.cid;
    // Where a byte offset of the code is in its file (generated code is escaped inside JSON).
    let place = |r: TextRange| -> Option<TextRange> {
        match s.suite {
            None => Some(r),
            Some(doc) => {
                let whole = json::locate(&doc.text, &json_path!["generated_code"])?;
                let raw = &doc.text[whole.start..whole.end];
                let a = json::raw_offset_in_string(raw, r.start);
                let b = json::raw_offset_in_string(raw, r.end);
                Some(TextRange::new(whole.start + a, whole.start + b))
            }
        }
    };
    let file_name = s
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("test file");
    if let Some(e) = a.syntax_errors.first() {
        let generated = s.suite.is_some() || s.duplicate_of_generated;
        let message = if generated {
            format!(
                "Test suite for '{cid}' has syntax error in generated code: {} (<unknown>, line {})",
                python_style(&e.message),
                e.line
            )
        } else {
            format!(
                "Test file '{file_name}' of '{cid}' has a syntax error at line {}: {}",
                e.line, e.message
            )
        };
        let f = Finding::error(Code::TestSyntax, message)
            .at(s.file, place(e.range))
            .of(cid);
        out.push(f);
    }
    let contract = docs.contract(cid);
    let known: HashSet<&str> = contract
        .into_iter()
        .flat_map(|c| {
            c.functions
                .iter()
                .map(|f| f.name.as_str())
                .chain(c.types.iter().map(|t| t.name.as_str()))
                .chain(
                    c.functions
                        .iter()
                        .flat_map(|f| f.error_cases.iter().map(|e| e.error_type.as_str())),
                )
        })
        .collect();
    let where_ = if s.suite.is_some() {
        "generated code".to_string()
    } else {
        format!("'{file_name}'")
    };
    if let Some((start, end)) = crate::testcode::module_patch(s.text) {
        let mut f = Finding::warning(
            Code::InProcessTest,
            format!(
                "The tests in {where_} of '{cid}' patch module internals, so they run in the \
                 implementation's own process, where the code under test can see them; contract \
                 tests should call the contract's functions only"
            ),
        )
        .at(s.file, place(TextRange::new(start, end)))
        .of(cid);
        // A diagnostic of ours: `details` keep the original's list.
        f.in_details = false;
        out.push(f);
    }
    for t in &a.tests {
        if !t.has_assertion {
            let f = Finding::warning(
                Code::ToothlessTest,
                format!(
                    "Test '{}' in {where_} of '{cid}' has no assertion: it cannot fail",
                    t.name
                ),
            )
            .at(s.file, place(t.name_range))
            .of(cid);
            out.push(f);
        }
        if contract.is_some() {
            for (name, r) in &t.free_calls {
                if known.contains(name.as_str()) {
                    continue;
                }
                let mut f = Finding::warning(
                    Code::UnknownFunction,
                    format!("Test '{}' in {where_} of '{cid}' calls '{name}', which contract '{cid}' does not define", t.name),
                )
                .at(s.file, place(*r))
                .of(cid);
                f.fix = nearest(name, known.iter().copied()).map(|n| Fix::Replace {
                    with: n.to_string(),
                });
                out.push(f);
            }
        }
    }
}

/// Python's wording for the common case, so messages read like the original's.
fn python_style(msg: &str) -> &str {
    if msg.starts_with("invalid syntax") {
        "invalid syntax"
    } else {
        msg
    }
}
