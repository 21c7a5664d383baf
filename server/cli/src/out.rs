//! Standard output for every command. `println!` panics when the reader has gone away
//! (`pact log | head`); these macros do not. As ripgrep and fd do, a closed pipe ends a command
//! quietly with status 0. A long-running command (`pact daemon`, `pact watch`) is stopped instead,
//! as by Ctrl-C, so that the project stays consistent and its test processes are reaped; what it
//! would still print is dropped. Any other write error (a full disk) is reported, exit status 2.
//!
//! SIGPIPE stays ignored (Rust's default): its default action would also let a write to a dead
//! child's pipe kill a long job, or kill the language server, whose standard output is its client.

use std::io::{self, Write};
use std::sync::OnceLock;

/// Set once standard output failed: the status the command exits with.
static EXIT: OnceLock<u8> = OnceLock::new();
/// Cancelled when standard output fails, instead of exiting at once.
static ON_FAILURE: OnceLock<pact_agents::CancellationToken> = OnceLock::new();

// `println!`, `print!` and `eprintln!` in this crate are these (textual scope shadows std's), so
// every command, and any command added later, gets the behaviour above without knowing it.

/// std's `println!`, without the panic.
macro_rules! println {
    () => { $crate::out::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), true) };
}

/// std's `print!`, without the panic.
macro_rules! print {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), false) };
}

/// std's `eprintln!`, without the panic: a message nobody can read is dropped.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    if EXIT.get().is_some() {
        return;
    }
    let result = {
        let mut stdout = io::stdout().lock();
        if newline {
            writeln!(stdout, "{args}")
        } else {
            write!(stdout, "{args}")
        }
    };
    if let Err(e) = result {
        failed(&e);
    }
}

/// Shows a prompt written without a newline.
pub fn flush() {
    if EXIT.get().is_some() {
        return;
    }
    let result = io::stdout().flush();
    if let Err(e) = result {
        failed(&e);
    }
}

/// For long-running commands: a failed standard output cancels `token` rather than exiting.
pub fn cancel_on_failure(token: &pact_agents::CancellationToken) {
    let _ = ON_FAILURE.set(token.clone());
}

/// The exit status once standard output has failed (0 when the reader went away).
pub fn exit_status() -> Option<u8> {
    EXIT.get().copied()
}

fn failed(e: &io::Error) {
    let status = if e.kind() == io::ErrorKind::BrokenPipe {
        0
    } else {
        eprintln!("error: cannot write to standard output: {e}");
        2
    };
    if EXIT.set(status).is_err() {
        return;
    }
    match ON_FAILURE.get() {
        Some(token) => token.cancel(),
        None => std::process::exit(i32::from(status)),
    }
}
