//! The configuration check: whether `pact.yaml` and `config.yaml` parse, and what in them a run
//! would ignore.

use super::Check;
use pact_core::config::Config;
use pact_core::store::Project;
use std::path::Path;

/// `pact.yaml` and `config.yaml`: parse errors and values Pact does not know (`language: rust`)
/// fail; unknown keys warn.
pub fn config_checks(project: Option<&Project>, loaded: &Result<Config, String>) -> Vec<Check> {
    let global_path = pact_core::config::global_config_path();
    let global = match &global_path {
        Some(p) if p.is_file() => format!("global config {} parses", p.display()),
        Some(p) => format!("no global config at {}", p.display()),
        None => "no global config (neither PACT_CONFIG nor HOME is set)".to_string(),
    };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(
                "config",
                format!("{e} (the other checks use the defaults)"),
                "Fix the file at the position shown, then run `pact doctor` again.",
            )];
        }
    };
    let message = match project {
        Some(p) if p.layout.pact_yaml().is_file() => format!(
            "pact.yaml parses (language {}, budget ${:.2}); {global}",
            config.project.language,
            config.budget()
        ),
        Some(_) => format!("no pact.yaml: the defaults apply; {global}"),
        None if global_path.as_deref().is_some_and(Path::is_file) => global,
        None => format!("{global}: the defaults apply"),
    };
    let mut out = vec![Check::ok("config", message)];
    for w in &config.warnings {
        out.push(Check::warn(
            "config",
            format!("{}: {}", w.path.display(), w.message),
            "Remove the key or correct its name.",
        ));
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::doctor::Status;
    use crate::doctor::test_support::*;

    #[test]
    fn config_warnings_warn_and_a_broken_pact_yaml_fails() {
        let (_tmp, p) = project();
        std::fs::write(p.layout.pact_yaml(), "budgett: 5\nlanguage: python\n").unwrap();
        let loaded = p.config().map_err(|e| e.to_string());
        let checks = config_checks(Some(&p), &loaded);
        assert_eq!(checks[0].status, Status::Ok, "{checks:?}");
        assert!(
            checks[0]
                .message
                .starts_with("pact.yaml parses (language python")
        );
        assert!(
            checks.iter().any(|c| c.status == Status::Warn
                && c.message
                    .contains("unknown key `budgett` is ignored (did you mean `budget`?)")),
            "{checks:#?}"
        );
        // A language Pact does not run is an error with its line, not a quiet fallback.
        std::fs::write(p.layout.pact_yaml(), "budget: 5\nlanguage: rust\n").unwrap();
        let loaded = p.config().map_err(|e| e.to_string());
        let checks = config_checks(Some(&p), &loaded);
        assert_eq!(checks[0].status, Status::Fail, "{checks:?}");
        assert!(
            checks[0]
                .message
                .contains("pact.yaml:2: `language: rust` is not one Pact knows"),
            "{checks:?}"
        );
        std::fs::write(p.layout.pact_yaml(), "budget: [1,\n").unwrap();
        let loaded = p.config().map_err(|e| e.to_string());
        let checks = config_checks(Some(&p), &loaded);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Fail);
        assert!(
            checks[0].message.contains("pact.yaml"),
            "{}",
            checks[0].message
        );
    }
}
