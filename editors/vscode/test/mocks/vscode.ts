// A stand-in for the parts of the `vscode` API the extension uses. Tests drive it through
// `mock` (configuration values, files found, answers to prompts) and inspect what was called.

import { vi } from 'vitest';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>): Disposable => {
    this.listeners.push(l);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((x) => x !== l);
    });
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  dispose(): void {
    this.fn();
  }
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    const m = /^([a-z]+):(?:\/\/)?(.*)$/.exec(s);
    return m ? new Uri(m[1] ?? 'file', m[2] ?? '') : new Uri('file', s);
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export class StatusBarItem {
  text = '';
  tooltip: string | undefined;
  command: string | undefined;
  name: string | undefined;
  backgroundColor: ThemeColor | undefined;
  accessibilityInformation: { label: string } | undefined;
  visible = false;
  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number,
  ) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

export class OutputChannel {
  lines: string[] = [];
  shown = false;
  logLevel = 3;
  onDidChangeLogLevel = new EventEmitter<number>().event;
  constructor(readonly name: string) {}
  // Log levels are recorded as a `[level] ` prefix.
  trace(s: string): void {
    this.lines.push(`[trace] ${s}`);
  }
  debug(s: string): void {
    this.lines.push(`[debug] ${s}`);
  }
  info(s: string): void {
    this.lines.push(`[info] ${s}`);
  }
  warn(s: string): void {
    this.lines.push(`[warning] ${s}`);
  }
  error(s: string | Error): void {
    this.lines.push(`[error] ${String(s)}`);
  }
  append(s: string): void {
    this.lines.push(s);
  }
  appendLine(s: string): void {
    this.lines.push(s);
  }
  show(): void {
    this.shown = true;
  }
  clear(): void {
    this.lines = [];
  }
  hide(): void {
    this.shown = false;
  }
  replace(s: string): void {
    this.lines = [s];
  }
  dispose(): void {
    /* nothing */
  }
}

class FileSystemWatcher {
  readonly created = new EventEmitter<Uri>();
  readonly changed = new EventEmitter<Uri>();
  readonly deleted = new EventEmitter<Uri>();
  onDidCreate = this.created.event;
  onDidChange = this.changed.event;
  onDidDelete = this.deleted.event;
  constructor(readonly glob: string) {}
  dispose(): void {
    /* nothing */
  }
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export interface MockDiagnostic {
  severity: DiagnosticSeverity;
  source?: string;
  code?: string | number | { value: string | number };
  message: string;
}

/** Test-controlled state. */
export const mock = {
  config: {} as Record<string, unknown>,
  markers: [] as string[],
  workspaceFolders: [] as string[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  contexts: new Map<string, unknown>(),
  statusItems: [] as StatusBarItem[],
  outputs: [] as OutputChannel[],
  watchers: [] as FileSystemWatcher[],
  configListeners: new EventEmitter<{ affectsConfiguration(s: string): boolean }>(),
  editorListeners: new EventEmitter<unknown>(),
  /** Diagnostics by file path, as `languages.getDiagnostics()` returns them. */
  diagnostics: new Map<string, MockDiagnostic[]>(),
  diagnosticListeners: new EventEmitter<unknown>(),
  /** Sets the diagnostics of a file and fires `onDidChangeDiagnostics`. */
  setDiagnostics(file: string, diagnostics: MockDiagnostic[]): void {
    this.diagnostics.set(file, diagnostics);
    this.diagnosticListeners.fire({ uris: [Uri.file(file)] });
  },
  reset(): void {
    this.diagnostics = new Map();
    this.diagnosticListeners = new EventEmitter();
    this.config = {};
    this.markers = [];
    this.workspaceFolders = [];
    this.commands.clear();
    this.contexts.clear();
    this.statusItems = [];
    this.outputs = [];
    this.watchers = [];
    this.configListeners = new EventEmitter();
    this.editorListeners = new EventEmitter();
    window.activeTextEditor = undefined;
    for (const f of [
      window.showErrorMessage,
      window.showWarningMessage,
      window.showInformationMessage,
      window.showQuickPick,
      window.showInputBox,
    ]) {
      f.mockReset();
    }
  },
  /** Fires a configuration change for the given keys. */
  changeConfig(values: Record<string, unknown>): void {
    Object.assign(this.config, values);
    const keys = Object.keys(values);
    this.configListeners.fire({
      affectsConfiguration: (s: string) => keys.some((k) => k === s || k.startsWith(s + '.') || s.startsWith(k + '.')),
    });
  },
};

export const window = {
  activeTextEditor: undefined as { document: { uri: Uri } } | undefined,
  createOutputChannel: (name: string, _options?: { log: true }): OutputChannel => {
    const c = new OutputChannel(name);
    mock.outputs.push(c);
    return c;
  },
  createStatusBarItem: (id: string, alignment: StatusBarAlignment, priority: number): StatusBarItem => {
    const s = new StatusBarItem(id, alignment, priority);
    mock.statusItems.push(s);
    return s;
  },
  showErrorMessage: vi.fn((..._args: unknown[]): Promise<string | undefined> => Promise.resolve(undefined)),
  showWarningMessage: vi.fn((..._args: unknown[]): Promise<string | undefined> => Promise.resolve(undefined)),
  showInformationMessage: vi.fn((..._args: unknown[]): Promise<string | undefined> => Promise.resolve(undefined)),
  showQuickPick: vi.fn((..._args: unknown[]): Promise<string | undefined> => Promise.resolve(undefined)),
  showInputBox: vi.fn((..._args: unknown[]): Promise<string | undefined> => Promise.resolve(undefined)),
  onDidChangeActiveTextEditor: (l: Listener<unknown>): Disposable => mock.editorListeners.event(l),
};

export const workspace = {
  get workspaceFolders(): { uri: Uri; name: string; index: number }[] | undefined {
    return mock.workspaceFolders.length === 0
      ? undefined
      : mock.workspaceFolders.map((p, index) => ({ uri: Uri.file(p), name: p, index }));
  },
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, dflt?: T): T | undefined => {
      const full = section ? `${section}.${key}` : key;
      return (full in mock.config ? mock.config[full] : dflt) as T | undefined;
    },
    has: (key: string) => `${section ?? ''}.${key}` in mock.config,
  }),
  findFiles: (_include: string, _exclude?: string, _max?: number): Promise<Uri[]> =>
    Promise.resolve(mock.markers.map((m) => Uri.file(m))),
  createFileSystemWatcher: (glob: string): FileSystemWatcher => {
    const w = new FileSystemWatcher(glob);
    mock.watchers.push(w);
    return w;
  },
  onDidChangeConfiguration: (l: Listener<{ affectsConfiguration(s: string): boolean }>): Disposable =>
    mock.configListeners.event(l),
  onDidChangeWorkspaceFolders: (_l: Listener<unknown>): Disposable => new Disposable(),
};

export const languages = {
  getDiagnostics: (): [Uri, MockDiagnostic[]][] => [...mock.diagnostics].map(([f, d]) => [Uri.file(f), d]),
  onDidChangeDiagnostics: (l: Listener<unknown>): Disposable => mock.diagnosticListeners.event(l),
};

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown): Disposable => {
    if (mock.commands.has(id)) throw new Error(`command '${id}' already exists`);
    mock.commands.set(id, fn);
    return new Disposable(() => mock.commands.delete(id));
  },
  executeCommand: (id: string, ...args: unknown[]): Promise<unknown> => {
    if (id === 'setContext') {
      mock.contexts.set(args[0] as string, args[1]);
      return Promise.resolve(undefined);
    }
    const fn = mock.commands.get(id);
    return Promise.resolve(fn?.(...args));
  },
};
