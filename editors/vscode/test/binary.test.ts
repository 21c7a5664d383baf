import { describe, expect, it } from 'vitest';
import { INSTALL_HINT, expandSetting, resolveBinary, searchPath, serverArgs, type BinaryEnv } from '../src/binary';

function env(executables: string[], over: Partial<BinaryEnv> = {}): BinaryEnv {
  const set = new Set(executables);
  return {
    platform: 'linux',
    pathEnv: '/usr/local/bin:/usr/bin',
    home: '/home/u',
    workspaceFolder: '/w',
    isExecutable: (p) => set.has(p),
    ...over,
  };
}

describe('resolveBinary', () => {
  it('uses an absolute pact.path when it is executable', () => {
    expect(resolveBinary('/opt/pact/bin/pact', env(['/opt/pact/bin/pact']))).toEqual({
      ok: true,
      path: '/opt/pact/bin/pact',
      source: 'setting',
    });
  });
  it('expands ~ and ${workspaceFolder}, and resolves relative paths against the workspace', () => {
    expect(resolveBinary('~/bin/pact', env(['/home/u/bin/pact']))).toMatchObject({ ok: true, path: '/home/u/bin/pact' });
    expect(resolveBinary('${workspaceFolder}/target/debug/pact', env(['/w/target/debug/pact']))).toMatchObject({
      ok: true,
      path: '/w/target/debug/pact',
    });
    expect(resolveBinary('./target/debug/pact', env(['/w/target/debug/pact']))).toMatchObject({
      ok: true,
      path: '/w/target/debug/pact',
    });
  });
  it('looks a bare command name in pact.path up on PATH', () => {
    expect(resolveBinary('pact-nightly', env(['/usr/bin/pact-nightly']))).toMatchObject({
      ok: true,
      path: '/usr/bin/pact-nightly',
    });
  });
  it('reports a pact.path that is not executable, with the install hint', () => {
    const r = resolveBinary('/nope/pact', env([]));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('"pact.path" is set to "/nope/pact"');
      expect(r.message).toContain('not an executable file');
      expect(r.message).toContain(INSTALL_HINT);
    }
  });
  it('searches PATH in order when unset', () => {
    expect(resolveBinary('', env(['/usr/bin/pact', '/usr/local/bin/pact']))).toEqual({
      ok: true,
      path: '/usr/local/bin/pact',
      source: 'PATH',
    });
  });
  it('falls back to ~/.cargo/bin', () => {
    expect(resolveBinary(undefined, env(['/home/u/.cargo/bin/pact']))).toEqual({
      ok: true,
      path: '/home/u/.cargo/bin/pact',
      source: 'cargo',
    });
  });
  it('explains how to install when nothing is found', () => {
    const r = resolveBinary('', env([]));
    expect(r).toEqual({
      ok: false,
      message: `Pact's language server needs the "pact" binary, which was not found on PATH. ${INSTALL_HINT}`,
    });
    expect(INSTALL_HINT).toContain('cargo install');
    expect(INSTALL_HINT).toContain('"pact.path"');
  });
  it('tries PATHEXT on Windows', () => {
    const e = env(['C:\\tools\\pact.exe'], { platform: 'win32', pathEnv: 'C:\\bin;C:\\tools', pathExt: '.COM;.EXE' });
    expect(resolveBinary('', e)).toMatchObject({ ok: true, path: 'C:\\tools\\pact.exe' });
    expect(searchPath('pact', e)).toBe('C:\\tools\\pact.exe');
  });
  it('ignores empty PATH entries', () => {
    expect(searchPath('pact', env(['pact'], { pathEnv: ':/usr/bin' }))).toBeUndefined();
  });
});

describe('expandSetting / serverArgs', () => {
  it('expands ${userHome}', () => {
    expect(expandSetting('${userHome}/x', env([]))).toBe('/home/u/x');
  });
  it('starts the server as `pact lsp`', () => {
    expect(serverArgs()).toEqual(['lsp']);
  });
});
