//! The word lists and text tests behind the security smells, shared by both languages.

/// `isAdmin`, `IS_ADMIN`, `is-admin` → `is_admin`.
pub(super) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Names whose value decides what someone may do: a branch on one needs tests both ways.
const AUTH_NAMES: &[&str] = &[
    "admin",
    "is_admin",
    "superuser",
    "is_superuser",
    "is_staff",
    "role",
    "roles",
    "permission",
    "permissions",
    "has_permission",
    "authorized",
    "is_authorized",
    "authenticated",
    "is_authenticated",
    "privilege",
    "privileges",
    "credential",
    "credentials",
    "password",
    "api_key",
    "sudo",
    "access_token",
    "auth_token",
];

/// Calls whose answer is an authorization decision.
const AUTH_CALL_PREFIXES: &[&str] = &[
    "grant_",
    "revoke_",
    "elevate_",
    "authenticate",
    "authorize",
    "set_role",
    "set_permission",
    "check_permission",
    "has_permission",
    "check_role",
    "has_role",
    "verify_token",
    "validate_token",
    "check_auth",
    "is_admin",
];

pub(super) fn auth_name(name: &str) -> bool {
    AUTH_NAMES.contains(&snake(name).as_str())
}

pub(super) fn auth_call(name: &str) -> bool {
    let s = snake(name);
    AUTH_CALL_PREFIXES.iter().any(|p| s.starts_with(p))
}

/// Names that say their value is a credential.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "auth_token",
    "access_token",
    "refresh_token",
    "bearer_token",
    "client_secret",
];

pub(super) fn secret_name(name: &str) -> bool {
    let s = snake(name);
    s == "token"
        || (s.ends_with("_token") && s != "next_token")
        || SECRET_WORDS.iter().any(|w| s.contains(w))
}

/// Whether `value`, assigned to a name that says it is a credential, looks like a real one:
/// eight characters or more, no spaces, not a placeholder, an environment variable's name, a
/// format string, a path or a URL.
pub(super) fn secret_value(value: &str) -> bool {
    let v = value.trim();
    if v.len() < 8 || v.chars().any(char::is_whitespace) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    let placeholder = [
        "xxx",
        "***",
        "...",
        "<",
        "{",
        "$",
        "%s",
        "changeme",
        "example",
        "your_",
        "your-",
        "dummy",
        "placeholder",
        "redacted",
        "test",
    ]
    .iter()
    .any(|p| lower.contains(p));
    let env_name = v
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let first = v.chars().next();
    let same = v.chars().all(|c| Some(c) == first);
    let path_or_url = v.contains("://") || v.starts_with('/') || v.starts_with("./");
    !(placeholder || env_name || same || path_or_url)
}

/// A literal in the format of a well-known credential, whatever it is assigned to.
pub(super) fn known_secret(value: &str) -> Option<&'static str> {
    let v = value.trim();
    let alnum_run = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .count()
    };
    if let Some(rest) = v.strip_prefix("AKIA")
        && rest.len() >= 16
        && rest
            .chars()
            .take(16)
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key id");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    for (prefix, what) in [
        ("ghp_", "a GitHub token"),
        ("gho_", "a GitHub token"),
        ("ghs_", "a GitHub token"),
        ("github_pat_", "a GitHub token"),
        ("xoxb-", "a Slack token"),
        ("xoxp-", "a Slack token"),
        ("sk_live_", "a Stripe secret key"),
        ("sk-ant-", "an Anthropic API key"),
        ("AIza", "a Google API key"),
    ] {
        if let Some(rest) = v.strip_prefix(prefix)
            && alnum_run(rest) >= 20
        {
            return Some(what);
        }
    }
    None
}

/// Whether `text` (a string's content, interpolations replaced) reads as an SQL statement.
pub(super) fn sql_like(text: &str) -> bool {
    let t = text.trim_start().to_ascii_uppercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let starts = |p: &str| t.starts_with(p);
    (starts("SELECT ") && t.contains(" FROM "))
        || starts("INSERT INTO ")
        || starts("REPLACE INTO ")
        || (starts("UPDATE ") && t.contains(" SET "))
        || starts("DELETE FROM ")
        || starts("DROP TABLE ")
        || starts("CREATE TABLE ")
        || starts("ALTER TABLE ")
        || (starts("WITH ") && t.contains(" SELECT "))
}

/// A hard-coded string given to a name that looks like a credential (either language: the
/// value is a literal string either way).
pub(super) fn secret_assignment(
    name: &str,
    value: tree_sitter::Node,
    src: &str,
) -> Option<(super::SmellKind, String)> {
    if !secret_name(name) {
        return None;
    }
    let value = super::syntax::literal_string(super::syntax::unparen(value), src)?;
    secret_value(&value).then(|| {
        (
            super::SmellKind::HardcodedSecret,
            format!("`{name}` is given a hard-coded string: a credential belongs in the environment or a secret store"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(snake("isAdmin"), "is_admin");
        assert_eq!(snake("API_KEY"), "api_key");
        assert!(auth_name("isAdmin") && !auth_name("user_role"));
        assert!(auth_call("checkPermission") && auth_call("grant_access"));
        assert!(secret_name("DB_PASSWORD") && secret_name("apiKey") && secret_name("token"));
        assert!(!secret_name("tokenizer") && !secret_name("next_token"));
        assert!(
            secret_value("hunter2hunter2")
                && !secret_value("API_KEY")
                && !secret_value("changeme123")
        );
        assert!(!secret_value("short") && !secret_value("has a space in it"));
        assert_eq!(
            known_secret("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        assert!(known_secret("ghp_0123456789abcdefghijABCDEFGHIJ").is_some());
        assert!(known_secret("ghp_").is_none());
        assert!(sql_like("select * from users where id = x"));
        assert!(sql_like("  INSERT INTO t VALUES (x)"));
        assert!(!sql_like("selected items from the list") && !sql_like("update the docs"));
    }
}
