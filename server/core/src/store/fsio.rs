//! Crash-safe file writes, the cross-process lock that lets a CLI run and the language server
//! share one project, and the one way a document is read: regular files only, never more than a
//! limit.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Why a document could not be read. Its `Display` is a predicate that follows the file's name:
/// "`tree.json` is a FIFO (named pipe), not a regular file".
#[derive(Debug)]
pub enum ReadError {
    /// A directory, FIFO, device or socket: never opened for reading (a FIFO would block
    /// forever, `/dev/zero` or `/dev/urandom` never end).
    NotAFile(&'static str),
    /// Larger than the limit; refused from its size on disk before anything is read.
    TooLarge { size: u64, max: u64 },
    /// Not UTF-8: the first invalid byte.
    NotUtf8 { offset: usize, line: usize },
    /// A NUL byte, which no text document has: binary data.
    Binary { offset: usize, line: usize },
    /// A symbolic link whose target does not exist.
    BrokenLink,
    /// The file system refused: no permission, a symbolic link loop, an I/O error.
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAFile(kind) => write!(f, "is {kind}, not a regular file"),
            Self::TooLarge { size, max } => write!(
                f,
                "is too large: {}, over the {} limit",
                human_size(*size),
                human_size(*max)
            ),
            Self::NotUtf8 { offset, line } => write!(
                f,
                "is not UTF-8 text (an invalid byte at offset {offset}, line {line})"
            ),
            Self::Binary { offset, line } => write!(
                f,
                "is binary, not text (a NUL byte at offset {offset}, line {line})"
            ),
            Self::BrokenLink => {
                f.write_str("is a broken symbolic link (its target does not exist)")
            }
            Self::Io(e) => match e.kind() {
                io::ErrorKind::PermissionDenied => f.write_str("cannot be read: permission denied"),
                _ if is_loop(e) => f.write_str("is a symbolic link loop"),
                _ => write!(f, "cannot be read: {}", io_message(e)),
            },
        }
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            ReadError::NotAFile(_) => io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
            other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
        }
    }
}

#[cfg(unix)]
fn is_loop(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}
#[cfg(not(unix))]
fn is_loop(_: &io::Error) -> bool {
    false
}

/// The OS's words for an error without the "(os error N)" suffix std adds.
fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => {
            let mut t = text[..i].to_string();
            if let Some(first) = t.get_mut(..1) {
                first.make_ascii_lowercase();
            }
            t
        }
        _ => text,
    }
}

/// `17.0 MB`, `16 MB`, `512 bytes` (binary multiples, as the limits are set).
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    let (unit, name) = match bytes {
        b if b >= MB => (MB, "MB"),
        b if b >= KB => (KB, "KB"),
        b => return format!("{b} bytes"),
    };
    if bytes.is_multiple_of(unit) {
        format!("{} {name}", bytes / unit)
    } else {
        format!("{:.1} {name}", bytes as f64 / unit as f64)
    }
}

/// What a file that is not a regular file is, in words.
fn kind_of(ft: std::fs::FileType) -> Option<&'static str> {
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_char_device() {
            return Some("a character device");
        }
        if ft.is_block_device() {
            return Some("a block device");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a file")
}

/// Opens `path` for reading if it is a regular file (symbolic links followed); `Ok(None)` when
/// nothing is there. Directories, FIFOs, devices and sockets are refused from their metadata,
/// and the file is opened non-blocking, so one swapped in after that check cannot block either:
/// it is caught by the check of the opened handle.
pub fn open_regular(path: &Path) -> Result<Option<(File, u64)>, ReadError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A link to nothing is there, and says so; nothing at all is simply absent.
            return match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => Err(ReadError::BrokenLink),
                _ => Ok(None),
            };
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    if let Some(kind) = kind_of(meta.file_type()) {
        return Err(ReadError::NotAFile(kind));
    }
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(kind) = kind_of(meta.file_type()) {
        return Err(ReadError::NotAFile(kind));
    }
    Ok(Some((file, meta.len())))
}

/// The bytes of the regular file at `path`, at most `max` of them; `Ok(None)` when it does not
/// exist. The one way Pact reads a document: a file over the limit is refused from its size
/// before it is read (and one that grows while it is read, after `max + 1` bytes), never read
/// whole; special files are refused without blocking (see [`open_regular`]).
pub fn read_document(path: &Path, max: u64) -> Result<Option<Vec<u8>>, ReadError> {
    let Some((file, len)) = open_regular(path)? else {
        return Ok(None);
    };
    if len > max {
        return Err(ReadError::TooLarge { size: len, max });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(Some(bytes))
}

/// [`read_document`], then [`check_text`]: the document as UTF-8 text without NUL bytes.
pub fn read_text(path: &Path, max: u64) -> Result<Option<String>, ReadError> {
    let Some(bytes) = read_document(path, max)? else {
        return Ok(None);
    };
    // One UTF-8 pass: the documents of a large project are tens of megabytes.
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        ReadError::NotUtf8 {
            offset,
            line: line_at(e.as_bytes(), offset),
        }
    })?;
    no_nul(text.as_bytes())?;
    Ok(Some(text))
}

/// [`read_document`] for callers that speak `io::Error`: a missing file is `NotFound`, every
/// refusal an error whose text says why.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    read_document(path, max)?.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
}

/// `bytes` as text: UTF-8 and no NUL byte (binary data that happens to be valid UTF-8).
pub fn check_text(bytes: &[u8]) -> Result<&str, ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        offset: e.valid_up_to(),
        line: line_at(bytes, e.valid_up_to()),
    })?;
    no_nul(bytes)?;
    Ok(text)
}

fn no_nul(bytes: &[u8]) -> Result<(), ReadError> {
    match memchr::memchr(0, bytes) {
        Some(offset) => Err(ReadError::Binary {
            offset,
            line: line_at(bytes, offset),
        }),
        None => Ok(()),
    }
}

/// The 1-based line of `offset`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..offset]).count() + 1
}

/// Writes `bytes` to `path` so that readers see the old or the new content, never a mix:
/// a temp file in the same directory, fsync, rename over the target, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("pact")
        ))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temp files are created 0600; keep the target's mode, or the usual 0644 for a new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Best effort: a directory fsync makes the rename durable; some filesystems refuse it.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Appends one line (a trailing newline is added) under the caller's lock.
pub fn append_line(path: &Path, line: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let mut buf = String::with_capacity(line.len() + 2);
    // A crash mid-append leaves a torn last line: start on a fresh one so only it is lost.
    if ends_without_newline(&mut f)? {
        buf.push('\n');
    }
    buf.push_str(line);
    buf.push('\n');
    f.write_all(buf.as_bytes())?;
    f.sync_data()
}

fn ends_without_newline(f: &mut File) -> io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// An exclusive advisory lock on a sidecar file (`.pact/.state.lock`, `.pact/.audit.lock`, as the
/// original's later versions name them), released on drop. Blocks until it is free.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    pub fn acquire(path: &Path) -> io::Result<Self> {
        let file = open_lock_file(path)?;
        file.lock()?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Takes the lock if nobody holds it; `Ok(None)` when another process (or handle) does.
    pub fn try_acquire(path: &Path) -> io::Result<Option<Self>> {
        let file = open_lock_file(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self {
                file,
                path: path.to_path_buf(),
            })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file itself, e.g. to record who holds the lock.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MAX: u64 = 16 * 1024 * 1024;

    /// Runs `f` on its own thread and fails the test if it does not finish within 5 s (a read
    /// that blocks on a FIFO, or never ends on `/dev/zero`, must not hang the test suite).
    fn within_5s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the read did not return within 5 s")
    }

    fn message(path: &Path) -> String {
        let p = path.to_path_buf();
        match within_5s(move || read_text(&p, MAX)) {
            Ok(v) => panic!("{} was read: {:?}", path.display(), v.map(|t| t.len())),
            Err(e) => e.to_string(),
        }
    }

    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL in a temp path");
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
        assert_eq!(rc, 0, "mkfifo {}", path.display());
    }

    #[test]
    fn documents_are_read_and_absent_ones_are_none() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("a.json");
        std::fs::write(&p, "{}\n")?;
        assert_eq!(read_text(&p, MAX)?.as_deref(), Some("{}\n"));
        assert!(read_text(&dir.path().join("missing.json"), MAX)?.is_none());
        // A symbolic link to a regular file is followed.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&p, dir.path().join("link.json"))?;
            assert_eq!(
                read_text(&dir.path().join("link.json"), MAX)?.as_deref(),
                Some("{}\n")
            );
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_at_once_with_what_they_are() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        mkfifo(&d.join("fifo.json"));
        std::os::unix::fs::symlink("/dev/zero", d.join("zero.json"))?;
        std::os::unix::fs::symlink("/dev/urandom", d.join("random.py"))?;
        std::os::unix::fs::symlink("loop_b.json", d.join("loop_a.json"))?;
        std::os::unix::fs::symlink("loop_a.json", d.join("loop_b.json"))?;
        std::os::unix::fs::symlink("nowhere.json", d.join("broken.json"))?;
        std::fs::create_dir(d.join("dir.json"))?;
        let cases = [
            ("fifo.json", "is a FIFO (named pipe), not a regular file"),
            ("zero.json", "is a character device, not a regular file"),
            ("random.py", "is a character device, not a regular file"),
            ("loop_a.json", "is a symbolic link loop"),
            ("broken.json", "is a broken symbolic link"),
            ("dir.json", "is a directory, not a regular file"),
        ];
        for (name, want) in cases {
            let got = message(&d.join(name));
            assert!(got.starts_with(want), "{name}: {got}");
        }
        // The byte-level reader and the hash refuse them the same way, without blocking.
        let fifo = d.join("fifo.json");
        assert!(within_5s(move || read_document(&fifo, MAX)).is_err());
        let zero = d.join("zero.json");
        assert!(within_5s(move || crate::digest::hash_file(&zero)).is_none());
        Ok(())
    }

    #[test]
    fn over_the_limit_is_refused_from_its_size_before_it_is_read() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("big.py");
        std::fs::write(&p, vec![b'a'; 17 * 1024 * 1024])?;
        assert_eq!(message(&p), "is too large: 17 MB, over the 16 MB limit");
        // A sparse 200 MB file: refused from its metadata, never read (it would take seconds
        // and 200 MB to read whole).
        let huge = dir.path().join("state.json");
        std::fs::File::create(&huge)?.set_len(200 * 1024 * 1024)?;
        let started = std::time::Instant::now();
        assert_eq!(message(&huge), "is too large: 200 MB, over the 16 MB limit");
        assert!(started.elapsed() < Duration::from_secs(1));
        // Exactly at the limit is fine.
        let edge = dir.path().join("edge.json");
        std::fs::write(&edge, vec![b' '; 1024])?;
        assert_eq!(read_document(&edge, 1024)?.map(|b| b.len()), Some(1024));
        assert!(matches!(
            read_document(&edge, 1023),
            Err(ReadError::TooLarge {
                size: 1024,
                max: 1023
            })
        ));
        Ok(())
    }

    #[test]
    fn non_utf8_and_binary_text_is_refused_with_its_place() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let bad = dir.path().join("bad.py");
        std::fs::write(&bad, b"def test_a():\n    assert 1\n\xff\xfe\n")?;
        assert_eq!(
            message(&bad),
            "is not UTF-8 text (an invalid byte at offset 27, line 3)"
        );
        let nul = dir.path().join("nul.py");
        std::fs::write(&nul, b"def test_a():\n    assert 1\x00\n")?;
        assert_eq!(
            message(&nul),
            "is binary, not text (a NUL byte at offset 26, line 2)"
        );
        // Bytes are bytes: the byte-level reader does not judge them.
        assert!(read_document(&nul, MAX)?.is_some());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_file_without_read_permission_says_so() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("contract_test.py");
        std::fs::write(&p, "def test_a():\n    assert 1\n")?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            // root reads it anyway: nothing to refuse.
            assert!(read_text(&p, MAX)?.is_some());
        } else {
            assert_eq!(message(&p), "cannot be read: permission denied");
        }
        Ok(())
    }

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("sub/state.json");
        write_atomic(&p, b"one")?;
        write_atomic(&p, b"two")?;
        assert_eq!(std::fs::read_to_string(&p)?, "two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap_or(dir.path()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        Ok(())
    }

    #[test]
    fn lock_is_exclusive_across_handles() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join(".state.lock");
        let held = FileLock::acquire(&p)?;
        assert!(FileLock::try_acquire(&p)?.is_none());
        drop(held);
        assert!(FileLock::try_acquire(&p)?.is_some());
        Ok(())
    }
}
