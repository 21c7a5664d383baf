//! `tests/contract_test_suite.json` and `test_results.json`: a contract's tests and their outcome.

use super::{Extra, StringMap, lenient_string, lenient_string_map};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestCategory {
    HappyPath,
    EdgeCase,
    ErrorCase,
    Invariant,
}

impl TestCategory {
    pub const ALL: [&'static str; 4] = ["happy_path", "edge_case", "error_case", "invariant"];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub id: String,
    #[serde(deserialize_with = "lenient_string")]
    pub description: String,
    pub function: String,
    pub category: TestCategory,
    #[serde(default, deserialize_with = "lenient_string")]
    pub setup_description: String,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub mock_dependencies: StringMap,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub input_values: StringMap,
    #[serde(default, deserialize_with = "lenient_string")]
    pub input_description: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub expected_output_description: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub expected_error: String,
    #[serde(default)]
    pub assertions: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The language a suite's `generated_code` is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestLanguage {
    Python,
    TypeScript,
    JavaScript,
}

impl TestLanguage {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "python" | "py" => Some(Self::Python),
            "typescript" | "ts" => Some(Self::TypeScript),
            "javascript" | "js" => Some(Self::JavaScript),
            _ => None,
        }
    }
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".py") {
            Some(Self::Python)
        } else if name.ends_with(".ts") || name.ends_with(".tsx") {
            Some(Self::TypeScript)
        } else if name.ends_with(".js") || name.ends_with(".mjs") {
            Some(Self::JavaScript)
        } else {
            None
        }
    }
    /// File name of the contract test file, as the original names it.
    pub fn test_file_name(self) -> &'static str {
        match self {
            Self::Python => "contract_test.py",
            Self::TypeScript => "contract_test.test.ts",
            Self::JavaScript => "contract_test.test.js",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractTestSuite {
    pub component_id: String,
    pub contract_version: i64,
    #[serde(default, deserialize_with = "lenient_test_cases")]
    pub test_cases: Vec<TestCase>,
    #[serde(default = "python")]
    pub test_language: String,
    #[serde(default)]
    pub generated_code: String,
    #[serde(flatten)]
    pub extra: Extra,
}

fn python() -> String {
    "python".into()
}

/// The original accepts `test_cases` given as a JSON string (an LLM quirk); so do we. A visitor
/// (not an untagged enum) so that errors inside the list keep their path and message.
fn lenient_test_cases<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TestCase>, D::Error> {
    struct Cases;
    impl<'de> serde::de::Visitor<'de> for Cases {
        type Value = Vec<TestCase>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of test cases")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::<TestCase>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            if s.trim().is_empty() {
                return Ok(Vec::new());
            }
            serde_json::from_str(s).map_err(E::custom)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(Cases)
}

impl ContractTestSuite {
    pub fn language(&self) -> Option<TestLanguage> {
        TestLanguage::parse(&self.test_language)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestFailure {
    pub test_id: String,
    #[serde(default)]
    pub test_description: String,
    #[serde(default)]
    pub error_message: String,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestResults {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub passed: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub errors: u64,
    #[serde(default)]
    pub failure_details: Vec<TestFailure>,
    #[serde(default)]
    pub timestamp: String,
    #[serde(flatten)]
    pub extra: Extra,
}

impl TestResults {
    /// A run of zero tests proves nothing, so it does not count as passing (v0.3.0 semantics).
    pub fn all_passed(&self) -> bool {
        self.total > 0 && self.failed == 0 && self.errors == 0
    }
}
