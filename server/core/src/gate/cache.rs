//! A persistent cache of test-code analyses keyed by a hash of the text, so each distinct test
//! text is parsed once — ever, not once per `pact validate`. Parsing is most of the gate's cost.
//! The cache is an optimisation only: unreadable, stale or missing, it is rebuilt silently.

use crate::model::TestLanguage;
use crate::testcode::{self, TestAnalysis};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bump when the analysis changes meaning, so old entries are never reused.
const FORMAT: &str = concat!("pact-testcode-1/", env!("CARGO_PKG_VERSION"));
/// A larger cache is not read (it is rebuilt): it could only be damaged or planted.
pub const MAX_CACHE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Default, Serialize, Deserialize)]
struct OnDisk {
    format: String,
    /// (high, low) halves of the 128-bit key: JSON numbers stop at 64 bits.
    entries: Vec<((u64, u64), TestAnalysis)>,
}

#[derive(Default)]
pub struct AnalysisCache {
    path: Option<PathBuf>,
    entries: FxHashMap<u128, TestAnalysis>,
}

fn key(lang: TestLanguage, text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128_with_seed(text.as_bytes(), lang as u64)
}

impl AnalysisCache {
    /// No persistence: every run parses (what the language server wants for live buffers).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Records an analysis of `text` made elsewhere (the language server analyzes open test
    /// files from incrementally re-parsed trees), so the next check of that exact text uses it
    /// instead of parsing again. It must equal what [`testcode::analyze`] gives for the text.
    pub fn insert(&mut self, lang: TestLanguage, text: &str, analysis: TestAnalysis) {
        self.entries.insert(key(lang, text), analysis);
    }

    /// Loads `dir/test-analysis.json` if it is there, current, and a regular file of at most
    /// [`MAX_CACHE_BYTES`].
    pub fn open(dir: &Path) -> Self {
        let path = dir.join("test-analysis.json");
        let entries = crate::store::fsio::read_document(&path, MAX_CACHE_BYTES)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<OnDisk>(&b).ok())
            .filter(|d| d.format == FORMAT)
            .map(|d| {
                d.entries
                    .into_iter()
                    .map(|((h, l), a)| ((u128::from(h) << 64) | u128::from(l), a))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            path: Some(path),
            entries,
        }
    }

    /// Analyses for `jobs`, parsing only texts not seen before, on all cores. `whole_project`
    /// says `jobs` is every test text of the project, so entries not among them can go.
    pub fn analyze_all(
        &mut self,
        jobs: &[(TestLanguage, &str)],
        whole_project: bool,
    ) -> Vec<TestAnalysis> {
        let keys: Vec<u128> = jobs.par_iter().map(|(l, t)| key(*l, t)).collect();
        let missing: Vec<(u128, TestAnalysis)> = jobs
            .par_iter()
            .zip(&keys)
            .filter(|(_, k)| !self.entries.contains_key(k))
            .map(|((l, t), k)| (*k, testcode::analyze(*l, t)))
            .collect();
        let changed = !missing.is_empty();
        self.entries.extend(missing);
        let out: Vec<TestAnalysis> = keys
            .iter()
            .map(|k| self.entries.get(k).cloned().unwrap_or_default())
            .collect();
        if whole_project && self.entries.len() > keys.len() {
            // Keep only what this project uses now, so the cache never grows without bound.
            let used: rustc_hash::FxHashSet<u128> = keys.iter().copied().collect();
            self.entries.retain(|k, _| used.contains(k));
            self.save();
        } else if changed {
            self.save();
        }
        out
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        let disk = OnDisk {
            format: FORMAT.to_string(),
            entries: self
                .entries
                .iter()
                .map(|(k, v)| (((*k >> 64) as u64, *k as u64), v.clone()))
                .collect(),
        };
        if let Ok(bytes) = serde_json::to_vec(&disk) {
            // Best effort: a read-only project still validates.
            let _ = crate::store::fsio::write_atomic(path, &bytes);
            if let Some(pact) = path.parent().and_then(Path::parent) {
                crate::store::ensure_gitignore(pact);
            }
        }
    }
}
