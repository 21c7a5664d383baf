//! `contracts/<cid>/interface.json`: a component's typed interface.

use super::{Extra, StringMap, lenient_string, lenient_string_map};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentContract {
    pub component_id: String,
    pub name: String,
    pub description: String,
    #[serde(default = "one")]
    pub version: i64,
    #[serde(default)]
    pub types: Vec<TypeSpec>,
    #[serde(default)]
    pub functions: Vec<FunctionContract>,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub dependency_contracts: IndexMapVec,
    #[serde(default)]
    pub invariants: Vec<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_register: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_access: Option<DataAccessDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityDeclaration>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `dependency_contracts: dict[str, list[str]]`.
pub type IndexMapVec = indexmap::IndexMap<String, Vec<String>>;

fn one() -> i64 {
    1
}

impl ComponentContract {
    pub fn type_named(&self, name: &str) -> Option<&TypeSpec> {
        self.types.iter().find(|t| t.name == name)
    }
    pub fn function_named(&self, name: &str) -> Option<&FunctionContract> {
        self.functions.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    Primitive,
    Struct,
    Enum,
    List,
    Optional,
    Union,
}

impl TypeKind {
    pub const ALL: [&'static str; 6] = ["primitive", "struct", "enum", "list", "optional", "union"];
    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeSpec {
    pub name: String,
    pub kind: TypeKind,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub item_type: String,
    #[serde(default)]
    pub variants: Vec<String>,
    #[serde(default)]
    pub inner_types: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_component: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub type_ref: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, deserialize_with = "lenient_string")]
    pub default: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub validators: Vec<ValidatorSpec>,
    #[serde(flatten)]
    pub extra: Extra,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidatorKind {
    Range,
    Regex,
    Length,
    Custom,
}

impl ValidatorKind {
    pub const ALL: [&'static str; 4] = ["range", "regex", "length", "custom"];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorSpec {
    pub kind: ValidatorKind,
    pub expression: String,
    #[serde(default)]
    pub error_message: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorCase {
    pub name: String,
    pub condition: String,
    pub error_type: String,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub error_data: StringMap,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideEffectKind {
    None,
    ReadsFile,
    WritesFile,
    NetworkCall,
    MutatesState,
    Logging,
}

impl SideEffectKind {
    pub const ALL: [&'static str; 6] = [
        "none",
        "reads_file",
        "writes_file",
        "network_call",
        "mutates_state",
        "logging",
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideEffect {
    pub kind: SideEffectKind,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceBudget {
    #[serde(default)]
    pub p95_latency_ms: Option<u64>,
    #[serde(default)]
    pub max_memory_mb: Option<u64>,
    #[serde(default)]
    pub complexity: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionContract {
    pub name: String,
    pub description: String,
    pub inputs: Vec<FieldSpec>,
    pub output_type: String,
    #[serde(default)]
    pub error_cases: Vec<ErrorCase>,
    #[serde(default)]
    pub preconditions: Vec<String>,
    #[serde(default)]
    pub postconditions: Vec<String>,
    #[serde(default)]
    pub idempotent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_async: Option<bool>,
    #[serde(default)]
    pub side_effects: Vec<String>,
    #[serde(default)]
    pub structured_side_effects: Vec<SideEffect>,
    #[serde(default)]
    pub performance_budget: Option<PerformanceBudget>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl FunctionContract {
    /// `name(a: T, b: U) -> R`, as shown in hovers and design.md.
    pub fn signature(&self) -> String {
        let args: Vec<String> = self
            .inputs
            .iter()
            .map(|i| format!("{}: {}", i.name, i.type_ref))
            .collect();
        let prefix = if self.is_async == Some(true) {
            "async "
        } else {
            ""
        };
        format!(
            "{prefix}{}({}) -> {}",
            self.name,
            args.join(", "),
            self.output_type
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataAccessDeclaration {
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub writes: Vec<String>,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub side_effects: Vec<serde_json::Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorityDeclaration {
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub rationale: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}
