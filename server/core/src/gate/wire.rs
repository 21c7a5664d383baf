//! The gate's verdict as data for other programs. `pact validate --json`, the MCP server's
//! `validate` tool and the coding-agent hook print this one shape, so a finding reads the same
//! wherever a program meets it.

use super::{Finding, Fix, Report, Severity};
use serde::Serialize;
use std::path::Path;

/// One finding, placed in a file relative to the project's root.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code (`unresolved-type`, …); `pact explain`-style help is keyed on it.
    pub code: String,
    pub message: String,
    /// Relative to the project's root; empty for a finding about the project as a whole.
    pub file: String,
    /// 1-based; columns count Unicode scalar values.
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
    pub component: Option<String>,
    /// What the gate suggests in place of the underlined text ("did you mean …?").
    pub did_you_mean: Option<String>,
    /// A component id the contract should list in its `dependencies`.
    pub add_dependency: Option<String>,
}

impl Diagnostic {
    pub fn new(f: &Finding, root: &Path) -> Self {
        let (did_you_mean, add_dependency) = match &f.fix {
            Some(Fix::Replace { with }) => (Some(with.clone()), None),
            Some(Fix::AddDependency { id }) => (None, Some(id.clone())),
            None => (None, None),
        };
        Self {
            severity: f.severity,
            code: f.code.as_str().to_string(),
            message: f.message.clone(),
            file: f
                .file
                .as_deref()
                .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
                .unwrap_or_default(),
            line: f.start.map(|p| p.line),
            column: f.start.map(|p| p.column),
            end_line: f.end.map(|p| p.line),
            end_column: f.end.map(|p| p.column),
            component: f.component.clone(),
            did_you_mean,
            add_dependency,
        }
    }
}

/// The gate's verdict: the original's `passed` / `reason` / `details`, the counts every surface
/// shows, and each finding once.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    pub passed: bool,
    pub reason: String,
    pub errors: usize,
    pub warnings: usize,
    /// The original's list of messages (errors, then `[warning] …`).
    pub details: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The verdict as data, with files relative to `root`.
    pub fn verdict(&self, root: &Path) -> Verdict {
        self.verdict_of(root, self.findings.iter())
    }

    /// The verdict on the findings `keep` selects; `passed` and the counts are those of the
    /// findings kept (a scoped question gets a scoped answer).
    pub fn verdict_where(&self, root: &Path, keep: impl Fn(&Finding) -> bool) -> Verdict {
        self.verdict_of(root, self.findings.iter().filter(|f| keep(f)))
    }

    fn verdict_of<'a>(&self, root: &Path, findings: impl Iterator<Item = &'a Finding>) -> Verdict {
        let kept = Report {
            findings: findings.cloned().collect(),
        };
        let counts = kept.counts();
        Verdict {
            passed: kept.passed(),
            reason: kept.reason(),
            errors: counts.errors,
            warnings: counts.warnings,
            details: kept.details(),
            diagnostics: kept
                .findings
                .iter()
                .map(|f| Diagnostic::new(f, root))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::Code;
    use crate::text::LineCol;

    #[test]
    fn a_finding_as_data() {
        let mut f = Finding::new(Severity::Error, Code::UnresolvedType, "no type `Wrd`");
        f.file = Some("/p/.pact/contracts/a/interface.json".into());
        f.start = Some(LineCol { line: 3, column: 5 });
        f.end = Some(LineCol {
            line: 3,
            column: 10,
        });
        f.fix = Some(Fix::Replace {
            with: "Word".into(),
        });
        f.in_details = true;
        let mut w = Finding::new(Severity::Warning, Code::DistantDependency, "far");
        w.in_details = true;
        let report = Report {
            findings: vec![f, w],
        };
        let v = report.verdict(Path::new("/p"));
        assert_eq!((v.passed, v.errors, v.warnings), (false, 1, 1));
        assert_eq!(v.details, ["no type `Wrd`", "[warning] far"]);
        let d = &v.diagnostics[0];
        assert_eq!(d.file, ".pact/contracts/a/interface.json");
        assert_eq!(
            (d.line, d.column, d.end_column),
            (Some(3), Some(5), Some(10))
        );
        assert_eq!(d.did_you_mean.as_deref(), Some("Word"));
        assert_eq!(v.diagnostics[1].file, "");

        let warnings_only = report.verdict_where(Path::new("/p"), |f| f.file.is_none());
        assert!(warnings_only.passed);
        assert_eq!(warnings_only.diagnostics.len(), 1);
    }
}
