//! The watchers: log files tailed like `tail -F` (new lines only; across rotation — a new file
//! at the path is read from its start once the old one is drained — and truncation — the file
//! shrank, so reading starts over), processes that disappear, and the webhook. They all feed
//! one queue the Sentinel works through, one signal at a time.

use super::{ErrorMatcher, Sentinel, Signal, SignalSource, budget};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Longest partial line kept while waiting for its end.
const MAX_LINE: usize = 64 * 1024;
/// Most bytes read from a log per poll (the rest comes next poll).
const MAX_READ: u64 = 1024 * 1024;
const MAX_TRACEBACK_LINES: usize = 200;

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.ino()
}
#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// Follows one log file and returns the error texts that appear in it. A Python traceback
/// (`Traceback (most recent call last):` through the exception line) is one error.
pub struct Tailer {
    pub path: PathBuf,
    matcher: Arc<ErrorMatcher>,
    file: Option<std::fs::File>,
    ino: u64,
    pos: u64,
    started: bool,
    partial: Vec<u8>,
    traceback: Option<Vec<String>>,
}

impl Tailer {
    /// Starts at the end of the file as it is now (only new lines count); a file that does not
    /// exist yet is read from its start when it appears.
    pub fn new(path: PathBuf, matcher: Arc<ErrorMatcher>) -> Self {
        let mut t = Self {
            path,
            matcher,
            file: None,
            ino: 0,
            pos: 0,
            started: false,
            partial: Vec::new(),
            traceback: None,
        };
        if let Ok(m) = std::fs::metadata(&t.path)
            && let Ok(f) = std::fs::File::open(&t.path)
        {
            t.file = Some(f);
            t.ino = inode(&m);
            t.pos = m.len();
        }
        t.started = true;
        t
    }

    fn read_more(&mut self, out: &mut Vec<String>) -> usize {
        let Some(f) = self.file.as_mut() else {
            return 0;
        };
        if f.seek(SeekFrom::Start(self.pos)).is_err() {
            return 0;
        }
        let mut buf = Vec::new();
        let n = f.take(MAX_READ).read_to_end(&mut buf).unwrap_or(0);
        self.pos += n as u64;
        if n > 0 {
            self.feed(&buf, out);
        }
        n
    }

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<String>) {
        self.partial.extend_from_slice(bytes);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            let line = String::from_utf8_lossy(&line)
                .trim_end_matches(['\n', '\r'])
                .to_string();
            self.line(line, out);
        }
        if self.partial.len() > MAX_LINE {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.partial.clear();
            self.line(line, out);
        }
    }

    fn line(&mut self, line: String, out: &mut Vec<String>) {
        if let Some(tb) = self.traceback.as_mut() {
            let continues = line.starts_with(char::is_whitespace) || line.is_empty();
            tb.push(line);
            if (!continues || tb.len() >= MAX_TRACEBACK_LINES)
                && let Some(tb) = self.traceback.take()
            {
                out.push(tb.join("\n"));
            }
            return;
        }
        if self.matcher.is_match(&line) {
            if line.contains("Traceback (most recent call last)") {
                self.traceback = Some(vec![line]);
            } else {
                out.push(line);
            }
        }
    }

    fn flush_traceback(&mut self, out: &mut Vec<String>) {
        if let Some(tb) = self.traceback.take() {
            out.push(tb.join("\n"));
        }
    }

    /// New error texts since the last poll.
    pub fn poll(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let meta = std::fs::metadata(&self.path);
        let mut read = 0;
        match meta {
            // Gone (rotated away, not yet recreated): finish what the old file holds.
            Err(_) => read += self.read_more(&mut out),
            Ok(m) => {
                let ino = inode(&m);
                if self.file.is_none() {
                    if let Ok(f) = std::fs::File::open(&self.path) {
                        self.file = Some(f);
                        self.ino = ino;
                        self.pos = 0;
                    }
                } else if ino != self.ino {
                    // Rotated: drain the old file, then follow the new one from its start.
                    read += self.read_more(&mut out);
                    if !self.partial.is_empty() {
                        let rest = std::mem::take(&mut self.partial);
                        self.line(String::from_utf8_lossy(&rest).into_owned(), &mut out);
                    }
                    self.file = std::fs::File::open(&self.path).ok();
                    self.ino = ino;
                    self.pos = 0;
                } else if m.len() < self.pos {
                    // Truncated in place (`> app.log`, copytruncate): start over.
                    self.pos = 0;
                    self.partial.clear();
                }
                read += self.read_more(&mut out);
            }
        }
        if read == 0 {
            self.flush_traceback(&mut out);
        }
        out
    }
}

/// Processes whose command line matches a pattern; reports those that disappear.
pub struct ProcessWatcher {
    patterns: Vec<(String, Regex)>,
    seen: BTreeMap<String, BTreeSet<u32>>,
    me: u32,
}

impl ProcessWatcher {
    pub fn new(patterns: &[String]) -> Self {
        let patterns = patterns
            .iter()
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let r = Regex::new(p)
                    .or_else(|_| Regex::new(&regex::escape(p)))
                    .ok()?;
                Some((p.clone(), r))
            })
            .collect();
        Self {
            patterns,
            seen: BTreeMap::new(),
            me: std::process::id(),
        }
    }

    fn running() -> Vec<(u32, String)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
                continue;
            };
            let cmd = String::from_utf8_lossy(&raw)
                .replace('\0', " ")
                .trim()
                .to_string();
            if !cmd.is_empty() {
                out.push((pid, cmd));
            }
        }
        out
    }

    /// How many running processes a pattern matched at the last scan.
    pub fn tracked(&self, pattern: &str) -> usize {
        self.seen.get(pattern).map_or(0, BTreeSet::len)
    }

    /// Messages for patterns whose previously seen processes are gone.
    pub fn scan(&mut self) -> Vec<(String, String)> {
        let procs = Self::running();
        let mut out = Vec::new();
        for (p, r) in &self.patterns {
            let now: BTreeSet<u32> = procs
                .iter()
                .filter(|(pid, cmd)| *pid != self.me && r.is_match(cmd))
                .map(|(pid, _)| *pid)
                .collect();
            let before = self.seen.insert(p.clone(), now.clone()).unwrap_or_default();
            let gone: Vec<String> = before.difference(&now).map(u32::to_string).collect();
            if !gone.is_empty() {
                out.push((
                    p.clone(),
                    format!(
                        "Process matching '{p}' disappeared (PIDs: {})",
                        gone.join(", ")
                    ),
                ));
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub poll: Duration,
    pub process_interval: Duration,
    /// Address the webhooks bind to (loopback unless told otherwise).
    pub webhook_bind: IpAddr,
    /// Stop after this long (tests, cron); `None` runs until cancelled.
    pub duration: Option<Duration>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(250),
            process_interval: Duration::from_secs(10),
            webhook_bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            duration: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchSummary {
    pub signals: u64,
    pub new_incidents: u64,
}

/// Watches every target until cancelled (or `duration` passes). Fails at once if a webhook
/// port cannot be bound.
pub async fn run(
    sentinel: Arc<Sentinel>,
    opts: WatchOptions,
    cancel: CancellationToken,
) -> std::io::Result<WatchSummary> {
    let (tx, mut rx) = mpsc::channel::<Signal>(1024);
    let stop = cancel.child_token();
    let mut tasks = tokio::task::JoinSet::new();
    let log = sentinel.log.clone();

    // Webhooks: one listener per port; a port owned by one project names it.
    let mut ports: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    let mut tokens: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for t in &sentinel.targets {
        if t.webhook_port != 0 {
            let root = t.engine.project.root().display().to_string();
            let token = super::webhook::token(&t.engine.project.layout.monitoring_dir())?;
            log(&format!(
                "webhook token of {root}: {token} (send it as `Authorization: Bearer <token>`; kept in .pact/monitoring/webhook.token)"
            ));
            tokens.entry(t.webhook_port).or_default().push(token);
            ports.entry(t.webhook_port).or_default().push(root);
        }
    }
    if !ports.is_empty() && !opts.webhook_bind.is_loopback() {
        log(&format!(
            "WARNING: the webhook listens on {}, not the loopback interface: anyone who can reach this machine and learns a token can file incidents that reach the agents",
            opts.webhook_bind
        ));
    }
    for (port, owners) in ports {
        let addr = SocketAddr::new(opts.webhook_bind, port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        log(&format!(
            "webhook listening on {}",
            listener.local_addr().unwrap_or(addr)
        ));
        let project = (owners.len() == 1).then(|| owners[0].clone());
        tasks.spawn(super::webhook::serve(
            listener,
            tx.clone(),
            project,
            tokens.remove(&port).unwrap_or_default(),
            sentinel.clock.clone(),
            stop.clone(),
        ));
    }

    // Log files.
    for t in &sentinel.targets {
        for f in &t.log_files {
            if !f.starts_with(t.engine.project.root()) {
                // pact.yaml chose it; say so, since a project from elsewhere could name any file.
                log(&format!(
                    "note: {} is outside the project; it is tailed because pact.yaml's monitoring_log_files names it",
                    f.display()
                ));
            }
            let mut tailer = Tailer::new(f.clone(), Arc::new(t.matcher.clone()));
            let (tx, stop, clock, every) =
                (tx.clone(), stop.clone(), sentinel.clock.clone(), opts.poll);
            log(&format!("tailing {}", f.display()));
            tasks.spawn(async move {
                loop {
                    for text in tailer.poll() {
                        let mut s =
                            Signal::new(SignalSource::LogFile, text, budget::iso(clock.now()));
                        s.file_path = tailer.path.to_string_lossy().into_owned();
                        if tx.send(s).await.is_err() {
                            return;
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = stop.cancelled() => return,
                    }
                }
            });
        }
    }

    // Processes.
    let patterns: Vec<String> = sentinel
        .targets
        .iter()
        .flat_map(|t| t.process_patterns.iter().cloned())
        .collect();
    if !patterns.is_empty() {
        if std::path::Path::new("/proc").is_dir() {
            let mut w = ProcessWatcher::new(&patterns);
            w.scan();
            let (tx, stop, clock, every) = (
                tx.clone(),
                stop.clone(),
                sentinel.clock.clone(),
                opts.process_interval,
            );
            log(&format!("watching processes: {}", patterns.join(", ")));
            tasks.spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = stop.cancelled() => return,
                    }
                    for (p, msg) in w.scan() {
                        let mut s =
                            Signal::new(SignalSource::Process, msg, budget::iso(clock.now()));
                        s.process_name = p;
                        if tx.send(s).await.is_err() {
                            return;
                        }
                    }
                }
            });
        } else {
            log("process watching needs /proc; skipped");
        }
    }
    drop(tx);

    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut summary = WatchSummary::default();
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            break;
        }
        let sleep = tokio::time::sleep(left.unwrap_or(Duration::from_secs(3600)));
        let sig = tokio::select! {
            s = rx.recv() => s,
            _ = sleep => continue,
            _ = cancel.cancelled() => break,
        };
        let Some(sig) = sig else { break };
        summary.signals += 1;
        match sentinel.handle(sig).await {
            Ok(h) if h.new => summary.new_incidents += 1,
            Ok(_) => {}
            Err(e) => log(&format!("cannot file the signal: {e}")),
        }
    }
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> Arc<ErrorMatcher> {
        Arc::new(ErrorMatcher::new(&["ERROR".into(), "CRITICAL".into(), "Traceback".into()]).0)
    }

    #[test]
    fn tails_new_lines_through_rotation_and_truncation() {
        let tmp = tempfile::tempdir().expect("tmp");
        let log = tmp.path().join("app.log");
        std::fs::write(&log, "ERROR old news\n").expect("write");
        let mut t = Tailer::new(log.clone(), matcher());
        assert!(t.poll().is_empty(), "lines before the start are not new");
        let append = |s: &str| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&log)
                .expect("open");
            f.write_all(s.as_bytes()).expect("append");
        };
        append("INFO fine\nERROR one\nERROR par");
        assert_eq!(t.poll(), vec!["ERROR one".to_string()]);
        append("tial\n");
        assert_eq!(t.poll(), vec!["ERROR partial".to_string()]);
        // Rotation: the old file moves away (with a last line), a new one takes the path.
        append("ERROR last words\n");
        std::fs::rename(&log, tmp.path().join("app.log.1")).expect("rotate");
        std::fs::write(&log, "ERROR fresh start\n").expect("new");
        assert_eq!(
            t.poll(),
            vec![
                "ERROR last words".to_string(),
                "ERROR fresh start".to_string()
            ]
        );
        // Truncation in place.
        append("ERROR before truncation\n");
        assert_eq!(t.poll().len(), 1);
        std::fs::write(&log, "CRITICAL after\n").expect("truncate");
        assert_eq!(t.poll(), vec!["CRITICAL after".to_string()]);
        // A traceback is one error, ending at the exception line.
        append(
            "Traceback (most recent call last):\n  File \"counter.py\", line 9, in top_n\n    best = max(counts.values())\nValueError: max() arg is an empty sequence\nINFO next\n",
        );
        let got = t.poll();
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("Traceback") && got[0].ends_with("empty sequence"),
            "{}",
            got[0]
        );
    }

    #[test]
    fn a_file_that_appears_later_is_read_from_its_start() {
        let tmp = tempfile::tempdir().expect("tmp");
        let log = tmp.path().join("late.log");
        let mut t = Tailer::new(log.clone(), matcher());
        assert!(t.poll().is_empty());
        std::fs::write(&log, "ERROR first\n").expect("write");
        assert_eq!(t.poll(), vec!["ERROR first".to_string()]);
    }

    #[test]
    fn a_vanished_process_is_reported() {
        let mut child = std::process::Command::new("sleep")
            .arg("30.123457")
            .spawn()
            .expect("spawn sleep");
        let pattern = "sleep 30\\.123457".to_string();
        let mut w = ProcessWatcher::new(std::slice::from_ref(&pattern));
        // Until the child has exec'd, its command line is still ours.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while w.tracked(&pattern) == 0 {
            assert!(w.scan().is_empty());
            assert!(
                std::time::Instant::now() < deadline,
                "never saw the process"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        let gone = w.scan();
        assert_eq!(gone.len(), 1, "{gone:?}");
        assert!(gone[0].1.contains(&child.id().to_string()), "{}", gone[0].1);
    }
}
