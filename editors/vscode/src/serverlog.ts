// The server's log in the **Pact** output channel, each line once. Pure (no `vscode` import).
//
// `pact lsp` sends its log as `window/logMessage` at the real level; the language client writes
// each one to the channel at that level. Three things would show a line again, and are handled:
//
// - stderr: by default the client writes every stderr line to the channel as an *error*. The
//   server's stderr is not its log (that is `window/logMessage`); it carries what cannot go
//   through the protocol: a panic, or a crash's last words. Stderr lines go to the channel at
//   trace level (visible with the channel's level at Trace), a panic as an error, and the last
//   lines are kept so that an exit nobody asked for can show them.
// - the message trace (`pact.trace.server`): a traced `window/logMessage` notification repeats
//   the line it carries, so that one notification is left out of the trace.
// - one channel: the client gets the extension's channel as `outputChannel` and no separate
//   trace channel, so there is one **Pact** channel.

/** The part of VS Code's `LogOutputChannel` the log needs. */
export interface LogSink {
  trace(message: string): void;
  error(message: string): void;
}

/** A stderr line that reports a panic (Rust's panic hook). */
export function isPanic(line: string): boolean {
  return /\bpanicked at\b/.test(line);
}

/** The last `max` stderr lines of the current server process. */
export class StderrTail {
  private lines: string[] = [];
  constructor(private readonly max = 40) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** The kept lines, forgetting them. */
  take(): string[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }
}

/** Writes one stderr line: a panic as an error, anything else at trace level. */
export function logStderrLine(sink: LogSink, tail: StderrTail, line: string): void {
  if (line.trim() === '') return;
  tail.push(line);
  if (isPanic(line)) {
    sink.error(`pact lsp: ${line}`);
  } else {
    sink.trace(`[stderr] ${line}`);
  }
}

/** What to say when the server's stderr closes: its last lines if nobody asked it to stop. */
export function exitReport(tail: StderrTail, expected: boolean): string | undefined {
  const lines = tail.take();
  if (expected || lines.length === 0) return undefined;
  return `pact lsp stopped unexpectedly. Its last stderr lines:\n${lines.join('\n')}`;
}

/**
 * Whether a trace entry is the client's trace of a `window/logMessage` notification, whose text
 * the channel already shows at its level. (`pact.trace.server` is a plain level, so the trace is
 * in the text format: "Received notification 'window/logMessage'." plus the params.)
 */
export function isLogMessageTrace(message: string): boolean {
  return message.startsWith("Received notification 'window/logMessage'");
}
