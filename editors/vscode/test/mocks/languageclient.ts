// A stand-in for `vscode-languageclient/node`: records what the extension sends and lets tests
// answer requests and deliver progress as the server would.

export const TransportKind = { stdio: 0, ipc: 1, pipe: 2, socket: 3 } as const;
export const State = { Stopped: 1, Starting: 3, Running: 2 } as const;

class ProgressType {}
export const WorkDoneProgress = { type: new ProgressType() };
export const ExecuteCommandRequest = { type: { method: 'workspace/executeCommand' } };
export const DidChangeConfigurationNotification = { type: { method: 'workspace/didChangeConfiguration' } };
export const WorkDoneProgressCancelNotification = { type: { method: 'window/workDoneProgress/cancel' } };

type Handler = (value: unknown) => void;

export class LanguageClient {
  static instances: LanguageClient[] = [];
  /** Answers `workspace/executeCommand` (tests replace it). */
  static respond: (method: string, params: unknown) => unknown = () => null;
  /** Makes `start()` fail (tests set it). */
  static failStart: Error | undefined;

  running = false;
  stopped = false;
  readonly requests: { method: string; params: unknown }[] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  readonly progressHandlers = new Map<string | number, Handler>();
  private readonly stateListeners: ((e: { oldState: number; newState: number }) => void)[] = [];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly serverOptions: unknown,
    readonly clientOptions: Record<string, unknown>,
  ) {
    LanguageClient.instances.push(this);
  }

  start(): Promise<void> {
    if (LanguageClient.failStart) return Promise.reject(LanguageClient.failStart);
    this.running = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    for (const l of this.stateListeners) l({ oldState: State.Running, newState: State.Stopped });
    return Promise.resolve();
  }
  isRunning(): boolean {
    return this.running;
  }
  needsStop(): boolean {
    return this.running;
  }
  sendRequest(type: { method: string }, params: unknown): Promise<unknown> {
    this.requests.push({ method: type.method, params });
    try {
      return Promise.resolve(LanguageClient.respond(type.method, params));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
  sendNotification(type: { method: string }, params: unknown): Promise<void> {
    this.notifications.push({ method: type.method, params });
    return Promise.resolve();
  }
  /** What the client's tracer wrote (`trace` is what the message trace calls). */
  readonly traced: string[] = [];
  trace(message: string, _data?: unknown): void {
    this.traced.push(message);
  }
  onProgress(_type: unknown, token: string | number, handler: Handler): { dispose(): void } {
    this.progressHandlers.set(token, handler);
    return { dispose: () => this.progressHandlers.delete(token) };
  }
  onDidChangeState(l: (e: { oldState: number; newState: number }) => void): { dispose(): void } {
    this.stateListeners.push(l);
    return { dispose: () => undefined };
  }
}
