//! `pact test-gen <dir>`: the mechanical pass over an existing codebase (`pact_core::codebase`):
//! its modules, public functions with signatures and complexity, which the codebase's tests
//! already call, and security smells. `--dry-run` prints that inventory (`--json`: the
//! `Inventory` itself). Without it, the model's step — a contract and contract tests per
//! module — is `pact adopt`'s, which this hands the codebase to (`cmd::adopt::run`: the same
//! job, flags and output).

use indicatif::{ProgressBar, ProgressStyle};
use pact_core::codebase::{
    self, FunctionInfo, Granularity, Inventory, Language, ParamKind, ScanOptions,
};
use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;

/// `--language`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LanguageArg {
    Python,
    /// TypeScript and JavaScript.
    #[value(alias = "javascript", alias = "ts", alias = "js")]
    Typescript,
}

pub struct Flags {
    /// `--record`/`--replay`, for the model's step.
    pub opts: super::run::RunOpts,
    pub dry_run: bool,
    pub json: bool,
    pub language: Option<LanguageArg>,
    pub package: bool,
}

/// Files scanned before a progress bar is worth showing.
const BAR_FROM: usize = 200;

pub fn run(dir: &Path, flags: &Flags) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions {
        language: flags.language.map(|l| match l {
            LanguageArg::Python => Language::Python,
            LanguageArg::Typescript => Language::TypeScript,
        }),
        granularity: if flags.package {
            Granularity::Package
        } else {
            Granularity::Module
        },
        ..Default::default()
    };
    let bar: OnceLock<ProgressBar> = OnceLock::new();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |done: usize, total: usize| {
        if !terminal || total < BAR_FROM {
            return;
        }
        let b = bar.get_or_init(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {pos}/{len} files")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.set_prefix("scanning");
            b
        });
        b.set_position(done as u64);
    };
    let scanned = codebase::scan_with_progress(dir, &opts, &progress);
    if let Some(b) = bar.get() {
        b.finish_and_clear();
    }
    let inventory = scanned?;
    if !flags.dry_run {
        let d = dir.display();
        eprintln!(
            "test-gen: contracts and contract tests by a model are `pact adopt`'s: adopting {d} \
             (`pact test-gen --dry-run {d}` only lists what they cover)"
        );
        return super::adopt::run(dir, &flags.opts, false, false, flags.package);
    }
    if flags.json {
        println!("{}", serde_json::to_string_pretty(&inventory)?);
    } else {
        print_inventory(&inventory, dir);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_inventory(inv: &Inventory, dir: &Path) {
    let python = inv.language == Language::Python;
    for m in &inv.modules {
        if m.functions.is_empty() && m.classes.is_empty() {
            continue;
        }
        let files = if m.files.len() == 1 {
            String::new()
        } else {
            format!(", {} files", m.files.len())
        };
        println!(
            "{}  {}  ({} lines{files}, component {})",
            m.module,
            path_text(&m.path),
            m.lines,
            m.component_id
        );
        if let Some(line) = m.syntax_error {
            println!("  ! syntax error at line {line}: what parsed is listed, maybe not all");
        }
        for f in &m.functions {
            println!("  {}{}", signature(f, python), stats(f));
        }
        for c in &m.classes {
            let bases = if c.bases.is_empty() {
                String::new()
            } else if python {
                format!("({})", c.bases.join(", "))
            } else {
                format!(" extends {}", c.bases.join(", "))
            };
            println!("  class {}{bases}", c.name);
            for f in &c.methods {
                println!("    {}{}", signature(f, python), stats(f));
            }
        }
        println!();
    }
    let empty: Vec<&str> = inv
        .modules
        .iter()
        .filter(|m| m.functions.is_empty() && m.classes.is_empty())
        .map(|m| m.module.as_str())
        .collect();
    if !empty.is_empty() {
        println!(
            "Nothing public in {} module{}: {}",
            empty.len(),
            plural(empty.len()),
            empty.join(", ")
        );
        println!();
    }
    if !inv.smells.is_empty() {
        println!("Security smells ({}):", inv.smells.len());
        for s in &inv.smells {
            let within = s
                .function
                .as_deref()
                .map(|f| format!(" (in {f})"))
                .unwrap_or_default();
            println!(
                "  {}:{}  {}: {}{within}",
                path_text(&s.file),
                s.line,
                s.kind.as_str(),
                s.message
            );
        }
        println!();
    }
    if !inv.skipped.is_empty() {
        println!("Not read ({}):", inv.skipped.len());
        for (p, why) in &inv.skipped {
            println!("  {}: {why}", path_text(p));
        }
        println!();
    }

    let functions: Vec<&FunctionInfo> = inv.functions().map(|(_, f)| f).collect();
    let n = functions.len();
    let covered = functions
        .iter()
        .filter(|f| !f.covered_by.is_empty())
        .count();
    let untyped = functions.iter().filter(|f| f.untyped).count();
    let mut complexity: Vec<u32> = functions.iter().map(|f| f.complexity).collect();
    complexity.sort_unstable();
    let unit = match inv.granularity {
        Granularity::Module => "module",
        Granularity::Package => "package",
    };
    println!(
        "{} ({}): {} {unit}{}, {n} public function{} and method{}{}",
        path_text(&inv.root),
        inv.language.name(),
        inv.modules.len(),
        plural(inv.modules.len()),
        plural(n),
        plural(n),
        if untyped > 0 {
            format!(" ({untyped} not fully typed)")
        } else {
            String::new()
        },
    );
    if let (Some(max), Some(median)) = (complexity.last(), complexity.get(n / 2)) {
        let complex = complexity.iter().filter(|&&c| c >= 10).count();
        println!("Complexity: median {median}, max {max}, {complex} at 10 or more");
    }
    if inv.test_files.is_empty() {
        println!("Tests: no test files found");
    } else if let Some(share) = (covered * 100).checked_div(n) {
        println!(
            "Tests: {} file{}; {covered} of {n} functions called by a test ({share}%)",
            inv.test_files.len(),
            plural(inv.test_files.len()),
        );
    }
    println!(
        "Next: `pact test-gen {}` hands this to `pact adopt`: a model writes a contract and \
         contract tests for each {unit} with something public. Nothing was written.",
        dir.display()
    );
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn path_text(p: &Path) -> String {
    let s = p.display().to_string();
    if s.is_empty() { ".".to_string() } else { s }
}

fn stats(f: &FunctionInfo) -> String {
    let tests = match f.covered_by.len() {
        0 => "no test".to_string(),
        1 => "1 test".to_string(),
        k => format!("{k} tests"),
    };
    let untyped = if f.untyped { ", untyped" } else { "" };
    format!("  [complexity {}, {tests}{untyped}]", f.complexity)
}

/// `async def f(a, /, b: int = 1, *, c) -> str` or `async f(a: number, b?: string): T`.
fn signature(f: &FunctionInfo, python: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let last_posonly = f
        .params
        .iter()
        .rposition(|p| p.kind == ParamKind::PositionalOnly);
    let mut star_done = false;
    for (i, p) in f.params.iter().enumerate() {
        if p.kind == ParamKind::KeywordOnly && !star_done {
            parts.push("*".to_string());
            star_done = true;
        }
        let prefix = match (p.kind, python) {
            (ParamKind::VarPositional, true) => {
                star_done = true;
                "*"
            }
            (ParamKind::VarPositional, false) => "...",
            (ParamKind::VarKeyword, _) => "**",
            _ => "",
        };
        let optional = if p.optional { "?" } else { "" };
        let mut s = format!("{prefix}{}{optional}", p.name);
        if let Some(a) = &p.annotation {
            s.push_str(&format!(": {a}"));
        }
        if let Some(d) = &p.default {
            if p.annotation.is_some() || !python {
                s.push_str(&format!(" = {d}"));
            } else {
                s.push_str(&format!("={d}"));
            }
        }
        parts.push(s);
        if Some(i) == last_posonly {
            parts.push("/".to_string());
        }
    }
    let returns = match (&f.returns, python) {
        (Some(r), true) => format!(" -> {r}"),
        (Some(r), false) => format!(": {r}"),
        (None, _) => String::new(),
    };
    let asyn = if f.is_async { "async " } else { "" };
    let decorators: String = f.decorators.iter().map(|d| format!("@{d} ")).collect();
    format!(
        "{decorators}{asyn}{}({}){returns}",
        f.name,
        parts.join(", ")
    )
}
