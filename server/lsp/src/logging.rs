//! Logging: every event of Pact's crates goes to the client as `window/logMessage` at its own
//! level, once. stderr (which editors show as errors) carries only what the protocol cannot:
//! events after the client is gone, and everything when `PACT_LOG` asks for it (debugging).

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tower_lsp_server::ls_types::MessageType;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

pub type LogReceiver = UnboundedReceiver<(MessageType, String)>;

/// `pact.trace: verbose`: debug events go to the client too.
static VERBOSE: AtomicBool = AtomicBool::new(false);

pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// A tracing layer that hands this crate's events to the client.
pub struct ClientLayer {
    tx: UnboundedSender<(MessageType, String)>,
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for ClientLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        let max = if VERBOSE.load(Ordering::Relaxed) {
            Level::DEBUG
        } else {
            Level::INFO
        };
        if *meta.level() > max || !meta.target().starts_with("pact") {
            return;
        }
        let typ = match *meta.level() {
            Level::ERROR => MessageType::ERROR,
            Level::WARN => MessageType::WARNING,
            Level::INFO => MessageType::INFO,
            _ => MessageType::LOG,
        };
        let mut m = Message(String::new());
        event.record(&mut m);
        if let Err(lost) = self.tx.send((typ, m.0)) {
            // The client is gone: stderr is all that is left.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{} {}", meta.level(), lost.0.1);
            }
        }
    }
}

/// Installs the global subscriber (once per process); returns the client side of the log.
pub fn init() -> Option<LogReceiver> {
    use tracing_subscriber::prelude::*;
    let (tx, rx) = unbounded_channel();
    // stderr only on request: `PACT_LOG=debug pact lsp` (the client gets each event anyway).
    let stderr = std::env::var("PACT_LOG").ok().map(|spec| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_target(false)
            .with_filter(tracing_subscriber::EnvFilter::new(spec))
    });
    tracing_subscriber::registry()
        .with(stderr)
        .with(ClientLayer { tx })
        .try_init()
        .ok()
        .map(|_| rx)
}
