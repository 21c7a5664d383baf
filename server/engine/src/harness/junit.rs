//! JUnit XML as pytest, node:test and vitest write it: the only place test outcomes are read
//! from (never the runner's text).

use pact_core::model::{TestFailure, TestResults};
use quick_xml::events::Event;

/// Reads JUnit XML as pytest, node:test and vitest write it. A skipped test does not pass:
/// tests are law, so a skip counts as a failure.
pub fn parse_junit(xml: &str) -> TestResults {
    parse_junit_cases(xml).0
}

/// [`parse_junit`], plus the id of every test case that ran.
pub fn parse_junit_cases(xml: &str) -> (TestResults, Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut r = TestResults::default();
    let mut cases: Vec<String> = Vec::new();
    let mut current: Option<(String, Option<(String, String)>)> = None; // (id, (kind, message))
    let mut in_outcome = false;
    let mut outcome_text = String::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| -> String {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
            .unwrap_or_default()
    };
    // A malformed document ends the read; what was read so far counts.
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let class = attr(&e, b"classname");
                let name = attr(&e, b"name");
                let id = if class.is_empty() {
                    name
                } else {
                    format!("{class}::{name}")
                };
                cases.push(id.clone());
                finish(&mut r, current.take());
                // A self-closed <testcase/> is finished when the next one starts or at the end.
                current = Some((id, None));
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(e.name().as_ref(), b"failure" | b"error" | b"skipped") =>
            {
                let kind = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let message = attr(&e, b"message");
                if let Some((_, outcome)) = current.as_mut()
                    && outcome.is_none()
                {
                    *outcome = Some((kind, message));
                }
                in_outcome = true;
                outcome_text.clear();
            }
            Event::Text(t) if in_outcome => {
                if let Ok(s) = t.decode() {
                    outcome_text.push_str(&s);
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), b"failure" | b"error" | b"skipped") => {
                in_outcome = false;
                if let Some((_, Some((_, msg)))) = current.as_mut() {
                    let detail = outcome_text.trim();
                    if !detail.is_empty() && !msg.contains(detail) {
                        if !msg.is_empty() {
                            msg.push('\n');
                        }
                        msg.push_str(&detail.chars().take(4000).collect::<String>());
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => finish(&mut r, current.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    finish(&mut r, current.take());
    (r, cases)
}

fn finish(r: &mut TestResults, case: Option<(String, Option<(String, String)>)>) {
    let Some((id, outcome)) = case else { return };
    r.total += 1;
    match outcome {
        None => r.passed += 1,
        Some((kind, message)) => {
            if kind == "error" {
                r.errors += 1;
            } else {
                r.failed += 1;
            }
            let message = if kind == "skipped" {
                format!("skipped (a skipped test does not pass): {message}")
            } else {
                message
            };
            r.failure_details.push(TestFailure {
                test_id: id,
                error_message: message,
                ..Default::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_from_pytest_and_node() {
        let pytest = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4">
<testcase classname="contract_test" name="test_a" time="0.001" />
<testcase classname="contract_test" name="test_b" time="0.001"><failure message="assert 1 == 2">def test_b():
&gt;   assert 1 == 2</failure></testcase>
<testcase classname="contract_test" name="test_c" time="0.0"><skipped type="pytest.skip" message="nope">skip</skipped></testcase>
<testcase classname="contract_test" name="test_d" time="0.0"><error message="fixture broke" /></testcase>
</testsuite></testsuites>"#;
        let r = parse_junit(pytest);
        assert_eq!((r.total, r.passed, r.failed, r.errors), (4, 1, 2, 1));
        assert_eq!(r.failure_details[0].test_id, "contract_test::test_b");
        assert!(
            r.failure_details[0]
                .error_message
                .starts_with("assert 1 == 2")
        );
        assert!(r.failure_details[1].error_message.starts_with("skipped"));
        assert!(!r.all_passed());
        assert_eq!(parse_junit("not xml <<<").total, 0);
    }
}
