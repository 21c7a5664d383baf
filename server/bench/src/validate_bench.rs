//! `pact validate` timed from outside: wall time from spawn to exit and the peak resident set of
//! that one process (from `wait4`), on generated projects; and, when `PACT_ORIGINAL` names the
//! original's `pact` executable, the original's `pact validate` on the same projects in the same
//! invocation, interleaved with ours (ours cold, ours warm, original, ours cold, …), so that both
//! meet the same load on a shared machine.

use crate::{Shape, human, original};
use anyhow::Context;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub struct Tools {
    pub ours: PathBuf,
    pub original: Option<PathBuf>,
}

impl Tools {
    /// Ours: `--pact` or the `pact` next to this binary; the original: `$PACT_ORIGINAL`.
    pub fn find(pact: Option<PathBuf>) -> anyhow::Result<Self> {
        let ours = match pact {
            Some(p) => p,
            None => std::env::current_exe()?.with_file_name("pact"),
        };
        anyhow::ensure!(
            ours.is_file(),
            "no pact binary at {} (cargo build --release -p pact-cli)",
            ours.display()
        );
        let original = std::env::var_os("PACT_ORIGINAL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(o) = &original {
            anyhow::ensure!(
                o.is_file(),
                "PACT_ORIGINAL={} is not a file (the original's `pact` executable, e.g. <venv>/bin/pact)",
                o.display()
            );
        }
        Ok(Tools { ours, original })
    }

    fn ours(&self, dir: &Path, json: bool) -> anyhow::Result<Run> {
        let mut args = vec![std::ffi::OsStr::new("validate")];
        if json {
            args.push("--json".as_ref());
        }
        args.push(dir.as_os_str());
        let r = run(&self.ours, &args)?;
        anyhow::ensure!(
            r.code == 0 || r.code == 1,
            "{} validate {} exited with {}:\n{}{}",
            self.ours.display(),
            dir.display(),
            r.code,
            r.stdout,
            r.stderr
        );
        Ok(r)
    }

    fn original(&self, dir: &Path) -> anyhow::Result<Option<Run>> {
        let Some(o) = &self.original else {
            return Ok(None);
        };
        let r = run(o, &["validate".as_ref(), dir.as_os_str()])?;
        anyhow::ensure!(
            r.code == 0,
            "{} validate {} exited with {}:\n{}{}",
            o.display(),
            dir.display(),
            r.code,
            r.stdout,
            r.stderr
        );
        Ok(Some(r))
    }
}

/// One process run to its end.
pub struct Run {
    pub secs: f64,
    pub rss_mb: f64,
    /// The exit code, or minus the signal that ended it.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program args` (stdin empty, output to files) through `pact-bench measure`, a fresh
/// process that starts it and reaps it with `wait4`. Linux counts the peak resident set of the
/// address space a process leaves at `exec` as part of the new program's (and a spawned child
/// starts in its parent's), so a child spawned from here would report at least this process's
/// own peak (tens of MB after generating 10,000 components); the small runner's is ~4 MB.
pub fn run(program: &Path, args: &[&std::ffi::OsStr]) -> anyhow::Result<Run> {
    let mut out = tempfile::tempfile()?;
    let mut err = tempfile::tempfile()?;
    let result = tempfile::NamedTempFile::new()?;
    let status = Command::new(std::env::current_exe()?)
        .arg("measure")
        .arg("--result")
        .arg(result.path())
        .arg("--")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(err.try_clone()?)
        .status()?;
    let text = |f: &mut std::fs::File| -> anyhow::Result<String> {
        let mut s = Vec::new();
        f.rewind()?;
        f.read_to_end(&mut s)?;
        Ok(String::from_utf8_lossy(&s).into_owned())
    };
    let (stdout, stderr) = (text(&mut out)?, text(&mut err)?);
    anyhow::ensure!(
        status.success(),
        "pact-bench measure {} failed: {stderr}",
        program.display()
    );
    let m = std::fs::read_to_string(result.path())?;
    let mut f = m.split_whitespace();
    let mut next = || {
        f.next()
            .ok_or_else(|| anyhow::anyhow!("bad measure result {m:?}"))
    };
    let secs: f64 = next()?.parse()?;
    let rss_kb: f64 = next()?.parse()?;
    let code: i32 = next()?.parse()?;
    Ok(Run {
        secs,
        rss_mb: rss_kb / 1024.0,
        code,
        stdout,
        stderr,
    })
}

/// `pact-bench measure`: runs `command` with this process's stdin, stdout and stderr, and
/// writes `<seconds> <peak RSS KiB> <exit code or -signal>` to `result`.
pub fn measure(result: &Path, command: &[std::ffi::OsString]) -> anyhow::Result<()> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("measure: no command"))?;
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .spawn()
        .with_context(|| format!("starting {}", program.to_string_lossy()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: `pid` is our child, not yet reaped (std never waits for it: we never call
        // `wait` on `child`); wait4 writes only into `status` and `usage`, both ours.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        if rc == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).context("waiting for the benchmarked process");
        }
    }
    let secs = start.elapsed().as_secs_f64();
    drop(child); // reaped above; dropping a Child neither waits nor kills
    // SAFETY: wait4 succeeded, so it filled the struct (which started zeroed anyway).
    let usage = unsafe { usage.assume_init() };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    // ru_maxrss is in KiB on Linux.
    std::fs::write(result, format!("{secs} {} {code}\n", usage.ru_maxrss))?;
    Ok(())
}

/// Median and maximum of a sample.
#[derive(Clone, Copy, Default)]
struct Stat {
    median: f64,
    max: f64,
}

fn stat(xs: &[f64]) -> Stat {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return Stat::default();
    }
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Stat {
        median,
        max: v[n - 1],
    }
}

fn peak(runs: &[Run]) -> f64 {
    runs.iter().map(|r| r.rss_mb).fold(0.0, f64::max)
}

fn remove_cache(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir.join(".pact/cache")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// What each tool concluded (from an untimed first run, which also fills the page cache and
/// the original's bytecode cache).
fn verdicts(tools: &Tools, dir: &Path) -> anyhow::Result<String> {
    let r = tools.ours(dir, true)?;
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .with_context(|| format!("pact validate --json printed:\n{}", r.stdout))?;
    let mut s = format!(
        "ours: {}, {} errors, {} warnings",
        if v["passed"].as_bool() == Some(true) {
            "passed"
        } else {
            "FAILED"
        },
        v["errors"],
        v["warnings"]
    );
    remove_cache(dir)?;
    if let Some(o) = tools.original(dir)? {
        let lines = o.stdout.lines().count();
        s += &format!(
            "; original: {} ({} lines)",
            o.stdout.lines().next().unwrap_or("(no output)"),
            lines
        );
    }
    Ok(s)
}

/// `pact-bench validate`: one row per size.
pub fn validate(
    tools: &Tools,
    shape: Shape,
    sizes: &[usize],
    runs: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    println!(
        "pact validate, {} shape, seed {seed}: {runs} runs of each, interleaved (ours cold, ours warm{}); times in ms, RSS = peak resident set of one run, MB",
        shape.name(),
        if tools.original.is_some() {
            ", original"
        } else {
            ""
        }
    );
    let mut header = format!(
        "{:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "components",
        "size",
        "cold med",
        "cold max",
        "warm med",
        "warm max",
        "RSS cold",
        "RSS warm"
    );
    if tools.original.is_some() {
        header += &format!(
            " {:>9} {:>9} {:>8} {:>7} {:>7}",
            "orig med", "orig max", "RSS orig", "×cold", "×warm"
        );
    }
    let mut rows = vec![header];
    for n in sizes {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join(format!("p{n}"));
        shape.generate(&dir, n, seed)?;
        let size = dir_size(&dir);
        println!(
            "{n} components, {}: {}",
            human(size),
            verdicts(tools, &dir)?
        );
        let (mut cold, mut warm, mut orig) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            remove_cache(&dir)?;
            cold.push(tools.ours(&dir, false)?);
            warm.push(tools.ours(&dir, false)?);
            if let Some(o) = tools.original(&dir)? {
                orig.push(o);
            }
        }
        let ms = |rs: &[Run]| stat(&rs.iter().map(|r| r.secs * 1e3).collect::<Vec<_>>());
        let (c, w) = (ms(&cold), ms(&warm));
        let mut row = format!(
            "{n:>10} {:>9} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>8.0} {:>8.0}",
            format!("{:.1} MB", size as f64 / 1e6),
            c.median,
            c.max,
            w.median,
            w.max,
            peak(&cold),
            peak(&warm)
        );
        if !orig.is_empty() {
            let o = ms(&orig);
            row += &format!(
                " {:>9.0} {:>9.0} {:>8.0} {:>7.1} {:>7.1}",
                o.median,
                o.max,
                peak(&orig),
                o.median / c.median,
                o.median / w.median
            );
        }
        rows.push(row);
    }
    println!();
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

/// `pact-bench sweep`: the two cases whose cost must grow linearly.
pub fn sweep(
    tools: &Tools,
    missing: &[usize],
    comments: &[usize],
    runs: usize,
    seed: u64,
) -> anyhow::Result<()> {
    if !missing.is_empty() {
        println!(
            "(a) every contract missing (tree.json only, original's shape): pact validate, {runs} runs each, cold"
        );
        sweep_rows(tools, "components", missing, runs, |dir, n| {
            original::generate_tree_only(dir, n, seed)
        })?;
    }
    if !comments.is_empty() {
        println!(
            "(b) one test file ending in K comment lines (in the suite's generated code and on disk; an 8-component project in the original's shape): pact validate, {runs} runs each, cold (no .pact/cache)"
        );
        sweep_rows(tools, "K lines", comments, runs, |dir, k| {
            original::generate(dir, 8, seed)?;
            original::append_comment_lines(dir, k).map(|_| ())
        })?;
    }
    Ok(())
}

fn sweep_rows(
    tools: &Tools,
    label: &str,
    sizes: &[usize],
    runs: usize,
    make: impl Fn(&Path, usize) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut header = format!(
        "{label:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "size ×", "ours s", "max s", "time ×", "RSS MB"
    );
    if tools.original.is_some() {
        header += &format!(" {:>8} {:>8} {:>8}", "orig s", "time ×", "orig÷us");
    }
    println!("{header}");
    let mut prev: Option<(usize, f64, f64)> = None;
    for &n in sizes {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join(format!("p{n}"));
        make(&dir, n)?;
        // Untimed first runs (page cache, the original's bytecode cache).
        tools.ours(&dir, false)?;
        tools.original(&dir)?;
        let (mut ours, mut orig) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            remove_cache(&dir)?;
            ours.push(tools.ours(&dir, false)?);
            if let Some(o) = tools.original(&dir)? {
                orig.push(o);
            }
        }
        let s = |rs: &[Run]| stat(&rs.iter().map(|r| r.secs).collect::<Vec<_>>());
        let (o, g) = (s(&ours), s(&orig));
        let factor = |now: f64, before: f64| format!("×{:.1}", now / before);
        let row_growth = prev.map_or("".into(), |(pn, _, _)| factor(n as f64, pn as f64));
        let mut row = format!(
            "{n:>10} {row_growth:>8} {:>8.3} {:>8.3} {:>8} {:>8.0}",
            o.median,
            o.max,
            prev.map_or("".into(), |(_, po, _)| factor(o.median, po)),
            peak(&ours)
        );
        if !orig.is_empty() {
            row += &format!(
                " {:>8.3} {:>8} {:>8.1}",
                g.median,
                prev.map_or("".into(), |(_, _, pg)| factor(g.median, pg)),
                g.median / o.median
            );
        }
        println!("{row}");
        prev = Some((n, o.median, g.median));
    }
    Ok(())
}

pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
