//! Content hashes that name what a verdict was about: test files, contracts, implementations.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// sha256 over a directory's files (relative names and contents), independent of listing
/// order; `__pycache__` is ignored. A missing directory hashes like an empty one.
pub fn hash_dir(dir: &Path) -> String {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            // Symlinks are never followed: code under test could point one at `/`.
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if entry.file_name() != "__pycache__" {
                    stack.push(p);
                }
            } else if !ft.is_file() {
                continue;
            } else if let Some(hash) = hash_regular(&p) {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, hash);
            }
        }
    }
    let joined: String = files.iter().map(|(k, v)| format!("{k}\0{v}\n")).collect();
    sha256_hex(joined.as_bytes())
}

/// sha256 of a regular file, streamed (its size costs no memory); `None` when there is no
/// regular file to read (a FIFO or device is never opened for reading: see
/// [`crate::store::fsio::open_regular`]).
fn hash_regular(path: &Path) -> Option<String> {
    let (mut file, _) = crate::store::fsio::open_regular(path).ok()??;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// sha256 of a document (a test file, a contract), or `None` if it cannot be read: not a regular
/// file, or over [`crate::json::MAX_DOCUMENT_BYTES`].
pub fn hash_file(path: &Path) -> Option<String> {
    crate::store::fsio::read_document(path, crate::json::MAX_DOCUMENT_BYTES as u64)
        .ok()
        .flatten()
        .map(|b| sha256_hex(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_hash_tracks_content_and_names() -> std::io::Result<()> {
        let d = tempfile::tempdir()?;
        let empty = hash_dir(d.path());
        std::fs::write(d.path().join("a.py"), "x = 1\n")?;
        let one = hash_dir(d.path());
        assert_ne!(empty, one);
        std::fs::create_dir(d.path().join("__pycache__"))?;
        std::fs::write(d.path().join("__pycache__/a.pyc"), "junk")?;
        assert_eq!(hash_dir(d.path()), one);
        std::fs::write(d.path().join("a.py"), "x = 2\n")?;
        assert_ne!(hash_dir(d.path()), one);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        Ok(())
    }
}
