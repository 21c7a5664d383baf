import { describe, expect, it } from 'vitest';
import { exitReport, isLogMessageTrace, isPanic, logStderrLine, StderrTail } from '../src/serverlog';

function sink() {
  const lines: string[] = [];
  return { lines, trace: (m: string) => lines.push(`[trace] ${m}`), error: (m: string) => lines.push(`[error] ${m}`) };
}

describe('stderr', () => {
  it('goes to the channel at trace level; a panic as an error', () => {
    const s = sink();
    const tail = new StderrTail();
    logStderrLine(s, tail, '2026-01-01T00:00:00Z  INFO indexed');
    logStderrLine(s, tail, '   ');
    logStderrLine(s, tail, "thread 'main' panicked at server/lsp/src/x.rs:3:5:");
    expect(s.lines).toEqual([
      '[trace] [stderr] 2026-01-01T00:00:00Z  INFO indexed',
      "[error] pact lsp: thread 'main' panicked at server/lsp/src/x.rs:3:5:",
    ]);
    expect(isPanic('panicked at x')).toBe(true);
    expect(isPanic('INFO all good')).toBe(false);
  });

  it('keeps the last lines for an unexpected exit, once', () => {
    const tail = new StderrTail(2);
    for (const l of ['a', 'b', 'c']) tail.push(l);
    expect(exitReport(tail, false)).toBe('pact lsp stopped unexpectedly. Its last stderr lines:\nb\nc');
    expect(exitReport(tail, false)).toBeUndefined();
    tail.push('d');
    expect(exitReport(tail, true)).toBeUndefined();
  });
});

describe('the message trace', () => {
  it('recognises the trace of window/logMessage only', () => {
    expect(isLogMessageTrace("Received notification 'window/logMessage'.")).toBe(true);
    expect(isLogMessageTrace("Received notification 'window/showMessage'.")).toBe(false);
    expect(isLogMessageTrace("Sending request 'initialize - (0)'.")).toBe(false);
  });
});
