// Pact projects on disk: where a project's root is, and which component a file belongs to.
// Pure functions over paths (no `vscode` import), so they are unit-tested directly.

import * as path from 'node:path';

/** A file or directory test, injected so tests need no real file system. */
export type Exists = (p: string) => boolean;

/** Names whose presence in a directory makes it a Pact project root. */
export const ROOT_MARKERS = ['.pact', 'pact.yaml'] as const;

/** Glob (relative to a workspace folder) of files that mark a project root. */
export const ROOT_MARKER_GLOB = '**/{pact.yaml,.pact/state.json}';

/** Component ids as Pact accepts them: `[A-Za-z0-9_.-]+`, never `.` or `..`. */
export function isComponentId(s: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(s) && s !== '.' && s !== '..';
}

/** Splits a path on both separators, dropping empty segments. */
function segments(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s.length > 0);
}

/** Path module matching the path's style (POSIX unless it looks like a Windows path). */
function pathFor(p: string): path.PlatformPath {
  return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\') ? path.win32 : path.posix;
}

/**
 * The nearest directory at or above `start` (a file or directory) that holds `.pact` or
 * `pact.yaml`. A path inside `.pact/` itself resolves to the directory holding that `.pact`.
 */
export function findProjectRoot(start: string, exists: Exists): string | undefined {
  const p = pathFor(start);
  let dir = p.resolve(start);
  // A file path: begin at its directory, unless the path is itself a project directory.
  if (!ROOT_MARKERS.some((m) => exists(p.join(dir, m)))) {
    dir = p.dirname(dir);
  }
  for (;;) {
    if (p.basename(dir) !== '.pact' && ROOT_MARKERS.some((m) => exists(p.join(dir, m)))) {
      return dir;
    }
    const parent = p.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}

/**
 * Project roots from the marker files a workspace search found (`pact.yaml` or
 * `.pact/state.json`), de-duplicated and sorted. Roots nested in another root's `.pact/` are dropped.
 */
export function rootsFromMarkers(markers: readonly string[]): string[] {
  const roots = new Set<string>();
  for (const m of markers) {
    const p = pathFor(m);
    const segs = segments(m);
    const name = segs[segs.length - 1];
    if (name === 'pact.yaml') {
      roots.add(p.dirname(p.resolve(m)));
    } else if (name === 'state.json' && segs[segs.length - 2] === '.pact') {
      roots.add(p.dirname(p.dirname(p.resolve(m))));
    }
  }
  return [...roots].filter((r) => !segments(r).includes('.pact')).sort();
}

/** Whether `file` lies inside (or is) `dir`. */
export function isInside(dir: string, file: string): boolean {
  const p = pathFor(dir);
  const rel = p.relative(p.resolve(dir), p.resolve(file));
  return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
}

/** The innermost of `roots` containing `file`. */
export function rootOf(file: string, roots: readonly string[]): string | undefined {
  return roots
    .filter((r) => isInside(r, file))
    .sort((a, b) => b.length - a.length)[0];
}

/**
 * The component a file belongs to, from its path relative to the project root. Both layouts:
 *
 * - seed: `.pact/contracts/<cid>/…`, `.pact/implementations/<cid>/…`, `.pact/compositions/<cid>/…`
 * - root: `contracts/<cid>/…`, `tests/<cid>/…`, `src/<cid>/…`, `implementations/<cid>/…`
 *
 * A path with no component (e.g. `.pact/state.json`, `src/main.py`) gives `undefined`.
 */
export function componentFromPath(root: string, file: string): string | undefined {
  if (!isInside(root, file)) {
    return undefined;
  }
  const p = pathFor(root);
  const segs = segments(p.relative(p.resolve(root), p.resolve(file)));
  let rest = segs;
  if (rest[0] === '.pact') {
    rest = rest.slice(1);
    if (!['contracts', 'implementations', 'compositions'].includes(rest[0] ?? '')) {
      return undefined;
    }
  } else if (!['contracts', 'tests', 'src', 'implementations'].includes(rest[0] ?? '')) {
    return undefined;
  }
  // The directory holding the component must be followed by something inside it, or be the
  // component directory itself (explorer context menu on a folder).
  const cid = rest[1];
  if (cid === undefined || !isComponentId(cid)) {
    return undefined;
  }
  // `src/<file>.py` is a file in src/, not a component directory.
  if (rest.length === 2 && /\.[A-Za-z0-9]+$/.test(cid) && rest[0] !== 'contracts') {
    return undefined;
  }
  return cid;
}

/** Where contracts live in a project, in both layouts (for listing components). */
export function contractDirs(root: string): string[] {
  const p = pathFor(root);
  return [p.join(root, '.pact', 'contracts'), p.join(root, 'contracts')];
}

/** Which kind of Pact file a path is, for choosing commands in context menus. */
export type FileKind = 'contract' | 'test-suite' | 'test-code' | 'tree' | 'state' | 'config' | 'other';

export function fileKind(file: string): FileKind {
  const segs = segments(file);
  const name = segs[segs.length - 1] ?? '';
  if (name === 'interface.json') return 'contract';
  if (name === 'contract_test_suite.json') return 'test-suite';
  if (/^contract_test.*\.py$/.test(name) || /\.test\.[jt]sx?$/.test(name)) return 'test-code';
  if (name === 'tree.json' && segs[segs.length - 2] === 'decomposition') return 'tree';
  if (name === 'state.json' && segs[segs.length - 2] === '.pact') return 'state';
  if (name === 'pact.yaml') return 'config';
  return 'other';
}
