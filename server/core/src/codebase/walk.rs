//! Walking the codebase: which directories and files are read, what they are, and which
//! language the codebase is.

use super::*;

pub(super) fn open_root(root: &Path) -> Result<PathBuf, ScanError> {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ScanError::NotFound(root.to_path_buf()));
        }
        Err(e) => {
            return Err(ScanError::Unreadable {
                path: root.to_path_buf(),
                source: e,
            });
        }
    };
    if !meta.is_dir() {
        let kind = if meta.is_file() {
            "a file"
        } else {
            "not a file or directory"
        };
        return Err(ScanError::NotADirectory {
            path: root.to_path_buf(),
            kind,
        });
    }
    let canonical = std::fs::canonicalize(root).map_err(|e| ScanError::Unreadable {
        path: root.to_path_buf(),
        source: e,
    })?;
    // Listing it now turns "permission denied" into an error rather than an empty inventory.
    std::fs::read_dir(&canonical).map_err(|e| ScanError::Unreadable {
        path: root.to_path_buf(),
        source: e,
    })?;
    Ok(canonical)
}

pub(super) fn no_sources(root: &Path, language: Option<Language>, walk: &Walk) -> ScanError {
    let wanted = match language {
        Some(l) => l.name(),
        None => "Python or TypeScript/JavaScript",
    };
    let tests = walk
        .candidates
        .iter()
        .filter(|c| c.is_test && language.is_none_or(|l| c.kind.language() == l))
        .count();
    let other = walk
        .candidates
        .iter()
        .filter(|c| !c.is_test && language.is_some_and(|l| c.kind.language() != l))
        .count();
    let mut parts = Vec::new();
    if tests > 0 {
        parts.push(format!(
            "only {tests} test file{}",
            if tests == 1 { "" } else { "s" }
        ));
    }
    if other > 0 {
        let other_name = match language {
            Some(Language::Python) => "TypeScript/JavaScript",
            _ => "Python",
        };
        parts.push(format!(
            "{other} {other_name} source file{}",
            if other == 1 { "" } else { "s" }
        ));
    }
    if walk.files_seen > 0 && parts.is_empty() {
        parts.push(format!(
            "{} other file{}",
            walk.files_seen,
            if walk.files_seen == 1 { "" } else { "s" }
        ));
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    ScanError::NoSources {
        path: root.to_path_buf(),
        wanted,
        detail,
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the tree
// ---------------------------------------------------------------------------------------------

/// The grammar a file is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
}

impl FileKind {
    pub(super) fn language(self) -> Language {
        match self {
            Self::Python => Language::Python,
            _ => Language::TypeScript,
        }
    }

    pub(super) fn of(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".d.ts")
            || lower.ends_with(".d.mts")
            || lower.ends_with(".d.cts")
            || lower.ends_with(".min.js")
        {
            return None;
        }
        let ext = lower.rsplit_once('.')?.1;
        Some(match ext {
            "py" => Self::Python,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Self::JavaScript,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub(super) struct Candidate {
    pub(super) rel: PathBuf,
    pub(super) kind: FileKind,
    pub(super) is_test: bool,
}

#[derive(Debug, Default)]
pub(super) struct Walk {
    pub(super) candidates: Vec<Candidate>,
    pub(super) skipped: Vec<(PathBuf, String)>,
    /// Regular files seen that are not candidates.
    pub(super) files_seen: usize,
    /// Directories not entered (hidden, virtualenvs, `node_modules`…).
    pub(super) dirs_not_read: usize,
    /// Directories (relative) holding an `__init__.py`.
    pub(super) packages: HashSet<PathBuf>,
    /// The `name` of the root's `package.json`.
    pub(super) package_name: Option<String>,
}

/// Directories never entered.
pub(super) const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "venv",
    "env",
    "__pycache__",
    "site-packages",
    "build",
    "dist",
    "bower_components",
    "jspm_packages",
];

pub(super) fn skip_dir(name: &str, abs: &Path) -> bool {
    name.starts_with('.')
        || SKIP_DIRS.contains(&name)
        || name.ends_with(".egg-info")
        || abs.join("pyvenv.cfg").exists()
}

pub(super) fn walk(root: &Path) -> Walk {
    let mut w = Walk::default();
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let abs_dir = root.join(&rel_dir);
        let entries = match std::fs::read_dir(&abs_dir) {
            Ok(e) => e,
            Err(e) => {
                if !rel_dir.as_os_str().is_empty() {
                    w.skipped
                        .push((rel_dir.clone(), format!("directory cannot be read: {e}")));
                }
                continue;
            }
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let name_os = entry.file_name();
            let name = name_os.to_string_lossy();
            let rel = rel_dir.join(&name_os);
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_symlink() {
                let target_is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
                if FileKind::of(&name).is_some()
                    || (target_is_dir && !skip_dir(&name, &entry.path()))
                {
                    w.skipped.push((
                        rel,
                        "a symbolic link: not followed (nothing outside the root is read)"
                            .to_string(),
                    ));
                }
                continue;
            }
            if ft.is_dir() {
                if skip_dir(&name, &entry.path()) {
                    w.dirs_not_read += 1;
                } else {
                    subdirs.push(rel);
                }
                continue;
            }
            if !ft.is_file() {
                if FileKind::of(&name).is_some() {
                    w.skipped.push((
                        rel,
                        "not a regular file (a FIFO, socket or device)".to_string(),
                    ));
                }
                continue;
            }
            if name == "__init__.py" {
                w.packages.insert(rel_dir.clone());
            }
            if rel_dir.as_os_str().is_empty() && name == "package.json" {
                w.package_name = package_name(&entry.path());
            }
            match FileKind::of(&name) {
                Some(kind) => {
                    let is_test = is_test_file(&rel, kind.language());
                    w.candidates.push(Candidate { rel, kind, is_test });
                }
                None => w.files_seen += 1,
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    w.candidates.sort_by(|a, b| a.rel.cmp(&b.rel));
    w
}

pub(super) fn package_name(path: &Path) -> Option<String> {
    let text = crate::store::fsio::read_text(path, 1024 * 1024).ok()??;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

/// Whether `rel` (relative to the root) is a test file of a `language` codebase, by the
/// conventions pytest, vitest and jest use.
pub fn is_test_file(rel: &Path, language: Language) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let dirs: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    match language {
        Language::Python => {
            name.starts_with("test_")
                || name.ends_with("_test.py")
                || name == "conftest.py"
                || dirs.iter().any(|d| d == "test" || d == "tests")
        }
        Language::TypeScript => {
            let stem_parts: Vec<&str> = name.split('.').collect();
            stem_parts.len() > 2
                && stem_parts[1..stem_parts.len() - 1]
                    .iter()
                    .any(|p| *p == "test" || *p == "spec")
                || dirs
                    .iter()
                    .any(|d| d == "test" || d == "tests" || d == "__tests__")
        }
    }
}

pub(super) fn detect_language(candidates: &[Candidate]) -> Option<Language> {
    let count = |lang: Language, tests: bool| {
        candidates
            .iter()
            .filter(|c| c.kind.language() == lang && c.is_test == tests)
            .count()
    };
    let (py, ts) = (
        count(Language::Python, false),
        count(Language::TypeScript, false),
    );
    if py == 0 && ts == 0 {
        return None;
    }
    Some(if ts > py {
        Language::TypeScript
    } else {
        Language::Python
    })
}
