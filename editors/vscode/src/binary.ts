// Finding the `pact` binary: the `pact.path` setting, else PATH, else a clear error.
// Pure (the file system and environment are injected), so it is unit-tested directly.

import * as path from 'node:path';

export interface BinaryEnv {
  platform: NodeJS.Platform;
  /** The PATH environment variable. */
  pathEnv: string | undefined;
  /** PATHEXT on Windows (e.g. `.COM;.EXE;.BAT`). */
  pathExt?: string | undefined;
  /** The user's home directory, for `~` and `~/.cargo/bin`. */
  home?: string | undefined;
  /** The first workspace folder, for `${workspaceFolder}` and relative settings. */
  workspaceFolder?: string | undefined;
  /** Whether the path is an executable regular file. */
  isExecutable(p: string): boolean;
}

export type Resolution =
  | { ok: true; path: string; source: 'setting' | 'PATH' | 'cargo' }
  | { ok: false; message: string };

export const INSTALL_HINT =
  'Install it with `cargo install --locked --path server/cli` from a Pact checkout ' +
  '(or put a release binary on your PATH), or set "pact.path" to the binary.';

function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** Names to try for a bare command on this platform (PATHEXT on Windows). */
function candidates(name: string, env: BinaryEnv): string[] {
  if (env.platform !== 'win32' || path.win32.extname(name) !== '') {
    return [name];
  }
  const exts = (env.pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e.length > 0);
  return [...exts.map((e) => name + e.toLowerCase()), name];
}

/** `~`, `${workspaceFolder}` and `${env:HOME}`-style expansion of the setting. */
export function expandSetting(value: string, env: BinaryEnv): string {
  let v = value.trim();
  if (env.home && (v === '~' || v.startsWith('~/') || v.startsWith('~\\'))) {
    v = env.home + v.slice(1);
  }
  if (env.workspaceFolder) {
    v = v.split('${workspaceFolder}').join(env.workspaceFolder);
  }
  if (env.home) {
    v = v.split('${userHome}').join(env.home);
  }
  return v;
}

/** Searches PATH for `name`; returns the first executable match. */
export function searchPath(name: string, env: BinaryEnv): string | undefined {
  const p = pathFor(env.platform);
  const delimiter = env.platform === 'win32' ? ';' : ':';
  for (const dir of (env.pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const c of candidates(name, env)) {
      const full = p.join(dir, c);
      if (env.isExecutable(full)) return full;
    }
  }
  return undefined;
}

/**
 * Resolves the `pact` binary. With `pact.path` set, that path (or bare command, looked up on
 * PATH) must be executable; unset, PATH is searched, then `~/.cargo/bin` (where
 * `cargo install` puts it, often missing from the PATH of a desktop-launched editor).
 */
export function resolveBinary(setting: string | undefined, env: BinaryEnv): Resolution {
  const p = pathFor(env.platform);
  const raw = (setting ?? '').trim();
  if (raw !== '') {
    const v = expandSetting(raw, env);
    const hasSep = v.includes('/') || (env.platform === 'win32' && v.includes('\\'));
    if (!hasSep) {
      const found = searchPath(v, env);
      if (found) return { ok: true, path: found, source: 'setting' };
      return {
        ok: false,
        message: `"pact.path" is set to "${raw}", which was not found on PATH. ${INSTALL_HINT}`,
      };
    }
    const full = p.isAbsolute(v) ? v : p.resolve(env.workspaceFolder ?? '', v);
    for (const c of candidates(full, env)) {
      if (env.isExecutable(c)) return { ok: true, path: c, source: 'setting' };
    }
    return {
      ok: false,
      message: `"pact.path" is set to "${raw}", but ${full} is not an executable file. ${INSTALL_HINT}`,
    };
  }
  const onPath = searchPath('pact', env);
  if (onPath) return { ok: true, path: onPath, source: 'PATH' };
  if (env.home) {
    for (const c of candidates(p.join(env.home, '.cargo', 'bin', 'pact'), env)) {
      if (env.isExecutable(c)) return { ok: true, path: c, source: 'cargo' };
    }
  }
  return {
    ok: false,
    message: `Pact's language server needs the "pact" binary, which was not found on PATH. ${INSTALL_HINT}`,
  };
}

/** The server command line: `pact lsp`. */
export function serverArgs(): string[] {
  return ['lsp'];
}
