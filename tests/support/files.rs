//! Projects copied to temp dirs: what the CLI's end-to-end tests (`tests/support`) and the
//! language server's protocol tests (`server/lsp/tests/support`) both need. Paths are from a
//! crate two levels below the repository's root (`server/cli`, `server/lsp`).

use std::path::{Path, PathBuf};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reference")
}

/// A writable copy of a reference project.
pub fn copy_project(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dst = tmp.path().join(name);
    copy_dir(&fixtures().join(name), &dst);
    (tmp, dst)
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir") {
        let e = e.expect("entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// The offline example (`examples/wordfreq`), fresh: no `.pact/`, no design.md.
pub fn example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("wordfreq");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wordfreq"),
        &dir,
    );
    let _ = std::fs::remove_dir_all(dir.join(".pact"));
    let _ = std::fs::remove_file(dir.join("design.md"));
    (tmp, dir)
}
