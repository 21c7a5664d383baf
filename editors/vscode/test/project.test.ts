import { describe, expect, it } from 'vitest';
import {
  componentFromPath,
  fileKind,
  findProjectRoot,
  isComponentId,
  isInside,
  rootOf,
  rootsFromMarkers,
} from '../src/project';

/** A fake file system: the set of existing paths. */
function fsOf(...paths: string[]): (p: string) => boolean {
  const set = new Set(paths);
  return (p) => set.has(p);
}

describe('findProjectRoot', () => {
  const exists = fsOf('/w/proj/.pact', '/w/proj/pact.yaml', '/w/other/pact.yaml');

  it('finds the directory holding .pact from a contract file inside .pact', () => {
    expect(findProjectRoot('/w/proj/.pact/contracts/counter/interface.json', exists)).toBe('/w/proj');
  });
  it('finds the directory holding pact.yaml from a root-layout file', () => {
    expect(findProjectRoot('/w/other/tests/counter/contract_test.py', exists)).toBe('/w/other');
  });
  it('accepts the project directory itself', () => {
    expect(findProjectRoot('/w/proj', exists)).toBe('/w/proj');
  });
  it('accepts the .pact directory', () => {
    expect(findProjectRoot('/w/proj/.pact', exists)).toBe('/w/proj');
  });
  it('gives undefined outside any project', () => {
    expect(findProjectRoot('/w/elsewhere/file.py', exists)).toBeUndefined();
  });
  it('prefers the nearest project', () => {
    const nested = fsOf('/w/proj/pact.yaml', '/w/proj/sub/pact.yaml');
    expect(findProjectRoot('/w/proj/sub/contracts/a/interface.json', nested)).toBe('/w/proj/sub');
  });
  it('handles Windows paths', () => {
    const win = fsOf('C:\\w\\proj\\.pact');
    expect(findProjectRoot('C:\\w\\proj\\.pact\\contracts\\a\\interface.json', win)).toBe('C:\\w\\proj');
  });
});

describe('rootsFromMarkers', () => {
  it('maps pact.yaml and .pact/state.json to their project, de-duplicated and sorted', () => {
    expect(
      rootsFromMarkers(['/w/b/pact.yaml', '/w/a/.pact/state.json', '/w/b/.pact/state.json', '/w/x/state.json']),
    ).toEqual(['/w/a', '/w/b']);
  });
  it('drops anything inside a .pact directory', () => {
    expect(rootsFromMarkers(['/w/a/.pact/implementations/x/pact.yaml'])).toEqual([]);
  });
});

describe('isInside / rootOf', () => {
  it('knows containment without prefix confusion', () => {
    expect(isInside('/w/proj', '/w/proj/a.json')).toBe(true);
    expect(isInside('/w/proj', '/w/proj')).toBe(true);
    expect(isInside('/w/proj', '/w/project/a.json')).toBe(false);
  });
  it('picks the innermost root', () => {
    expect(rootOf('/w/a/b/c.json', ['/w/a', '/w/a/b'])).toBe('/w/a/b');
    expect(rootOf('/z/c.json', ['/w/a'])).toBeUndefined();
  });
});

describe('componentFromPath', () => {
  const root = '/w/proj';
  it.each([
    ['.pact/contracts/counter/interface.json', 'counter'],
    ['.pact/contracts/counter/tests/contract_test.py', 'counter'],
    ['.pact/contracts/counter/tests/contract_test_suite.json', 'counter'],
    ['.pact/contracts/counter', 'counter'],
    ['.pact/implementations/counter/src/counter.py', 'counter'],
    ['.pact/compositions/root/glue.py', 'root'],
    ['contracts/tokenizer/interface.json', 'tokenizer'],
    ['tests/tokenizer/contract_test.py', 'tokenizer'],
    ['tests/tokenizer/contract_test.test.ts', 'tokenizer'],
    ['src/word_freq/impl.py', 'word_freq'],
    ['implementations/a.b-c/src/x.py', 'a.b-c'],
  ])('%s → %s', (rel, cid) => {
    expect(componentFromPath(root, `${root}/${rel}`)).toBe(cid);
  });
  it.each([
    '.pact/state.json',
    '.pact/decomposition/tree.json',
    'pact.yaml',
    'src/main.py',
    'tests/conftest.py',
    'docs/contracts/x.md',
  ])('%s has no component', (rel) => {
    expect(componentFromPath(root, `${root}/${rel}`)).toBeUndefined();
  });
  it('is undefined outside the root', () => {
    expect(componentFromPath(root, '/w/other/.pact/contracts/a/interface.json')).toBeUndefined();
  });
  it('works with Windows paths', () => {
    expect(componentFromPath('C:\\p', 'C:\\p\\.pact\\contracts\\counter\\interface.json')).toBe('counter');
  });
});

describe('isComponentId / fileKind', () => {
  it('accepts ids Pact accepts', () => {
    expect(isComponentId('word_freq-2.v1')).toBe(true);
    expect(isComponentId('..')).toBe(false);
    expect(isComponentId('a/b')).toBe(false);
    expect(isComponentId('')).toBe(false);
  });
  it('classifies Pact files', () => {
    expect(fileKind('/p/.pact/contracts/a/interface.json')).toBe('contract');
    expect(fileKind('/p/.pact/contracts/a/tests/contract_test_suite.json')).toBe('test-suite');
    expect(fileKind('/p/.pact/contracts/a/tests/contract_test.py')).toBe('test-code');
    expect(fileKind('/p/.pact/contracts/a/tests/contract_test_goodhart.py')).toBe('test-code');
    expect(fileKind('/p/tests/a/contract.test.ts')).toBe('test-code');
    expect(fileKind('/p/.pact/decomposition/tree.json')).toBe('tree');
    expect(fileKind('/p/.pact/state.json')).toBe('state');
    expect(fileKind('/p/pact.yaml')).toBe('config');
    expect(fileKind('/p/README.md')).toBe('other');
  });
});
