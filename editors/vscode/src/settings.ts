// The extension's settings and what the server gets of them. The server reads its settings
// under the key `pact` (fields backend, model, budget, trace) from `initializationOptions` and
// from `workspace/didChangeConfiguration`; both are built here. Pure (no `vscode` import).

export const SECTION = 'pact';

export const TRACE_LEVELS = ['off', 'messages', 'verbose'] as const;
export type TraceLevel = (typeof TRACE_LEVELS)[number];

export const BACKENDS = [
  'anthropic',
  'openai',
  'gemini',
  'openai_compatible',
  'claude_code',
  'replay',
] as const;

/** The part of `vscode.WorkspaceConfiguration` used here. */
export interface ConfigReader {
  get(key: string): unknown;
}

export interface Settings {
  /** `pact.path`: the binary; empty = search PATH. */
  path: string;
  /** `pact.backend`: LLM backend override; undefined = the project's own choice. */
  backend: string | undefined;
  /** `pact.model`: model override; undefined = the project's own choice. */
  model: string | undefined;
  /** `pact.budget`: spend cap in USD; undefined = the project's `pact.yaml`. */
  budget: number | undefined;
  /** `pact.trace.server`: message tracing (client log) and the server's log level. */
  trace: TraceLevel;
}

/** What the server receives under `pact`. Unset values are sent as `null` so a cleared
 * setting reaches the server as cleared. */
export interface ServerSettings {
  backend: string | null;
  model: string | null;
  budget: number | null;
  trace: TraceLevel;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function readSettings(cfg: ConfigReader): Settings {
  const trace = cfg.get('trace.server');
  const budget = cfg.get('budget');
  return {
    path: str(cfg.get('path')) ?? '',
    backend: str(cfg.get('backend')),
    model: str(cfg.get('model')),
    budget:
      typeof budget === 'number' && Number.isFinite(budget) && budget >= 0 ? budget : undefined,
    trace: TRACE_LEVELS.find((t) => t === trace) ?? 'off',
  };
}

export function serverSettings(s: Settings): ServerSettings {
  return {
    backend: s.backend ?? null,
    model: s.model ?? null,
    budget: s.budget ?? null,
    trace: s.trace,
  };
}

/** `initializationOptions` of the `initialize` request. */
export function initializationOptions(s: Settings): { pact: ServerSettings } {
  return { pact: serverSettings(s) };
}

/** Params of `workspace/didChangeConfiguration`. */
export function didChangeConfigurationParams(s: Settings): { settings: { pact: ServerSettings } } {
  return { settings: { pact: serverSettings(s) } };
}

/**
 * Answers a `workspace/configuration` request: the `pact` section (or a key in it) in the
 * server's shape; `undefined` for sections this extension does not own (the caller asks VS Code).
 */
export function configurationItem(section: string | undefined, s: Settings): unknown {
  const server = serverSettings(s);
  if (section === SECTION) return server;
  if (section?.startsWith(SECTION + '.')) {
    const key = section.slice(SECTION.length + 1);
    return key in server ? server[key as keyof ServerSettings] : undefined;
  }
  return undefined;
}

/** What a settings change requires: a restart (new binary), a push to the server, or nothing. */
export type ChangeAction = 'restart' | 'notify' | 'none';

export function changeAction(affects: (section: string) => boolean): ChangeAction {
  if (affects(`${SECTION}.path`)) return 'restart';
  if (
    affects(`${SECTION}.backend`) ||
    affects(`${SECTION}.model`) ||
    affects(`${SECTION}.budget`) ||
    affects(`${SECTION}.trace`)
  ) {
    return 'notify';
  }
  return 'none';
}
