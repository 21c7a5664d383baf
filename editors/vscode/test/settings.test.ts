import { describe, expect, it } from 'vitest';
import {
  changeAction,
  configurationItem,
  didChangeConfigurationParams,
  initializationOptions,
  readSettings,
  type ConfigReader,
} from '../src/settings';

function cfg(values: Record<string, unknown>): ConfigReader {
  return { get: (k: string) => values[k] };
}

describe('readSettings', () => {
  it('reads every setting', () => {
    expect(
      readSettings(cfg({ path: ' /bin/pact ', backend: 'openai', model: 'gpt-x', budget: 2.5, 'trace.server': 'verbose' })),
    ).toEqual({ path: '/bin/pact', backend: 'openai', model: 'gpt-x', budget: 2.5, trace: 'verbose' });
  });
  it('treats empty and invalid values as unset', () => {
    expect(readSettings(cfg({ backend: '', model: '  ', budget: -1, 'trace.server': 'loud' }))).toEqual({
      path: '',
      backend: undefined,
      model: undefined,
      budget: undefined,
      trace: 'off',
    });
    expect(readSettings(cfg({ budget: null })).budget).toBeUndefined();
  });
});

describe('what the server receives', () => {
  const s = readSettings(cfg({ backend: 'anthropic', budget: 5, 'trace.server': 'messages' }));
  it('initializationOptions carry the settings under `pact`, unset ones as null', () => {
    expect(initializationOptions(s)).toEqual({
      pact: { backend: 'anthropic', model: null, budget: 5, trace: 'messages' },
    });
  });
  it('didChangeConfiguration carries the same object under settings.pact', () => {
    expect(didChangeConfigurationParams(s)).toEqual({
      settings: { pact: { backend: 'anthropic', model: null, budget: 5, trace: 'messages' } },
    });
  });
  it('workspace/configuration answers the pact section and its keys only', () => {
    expect(configurationItem('pact', s)).toEqual({ backend: 'anthropic', model: null, budget: 5, trace: 'messages' });
    expect(configurationItem('pact.budget', s)).toBe(5);
    expect(configurationItem('pact.nope', s)).toBeUndefined();
    expect(configurationItem('editor', s)).toBeUndefined();
    expect(configurationItem(undefined, s)).toBeUndefined();
  });
});

describe('changeAction', () => {
  const affects = (...keys: string[]) => (s: string) => keys.some((k) => k === s || k.startsWith(s + '.'));
  it('restarts for a new binary path', () => {
    expect(changeAction(affects('pact.path'))).toBe('restart');
  });
  it('notifies the server for backend, model, budget, trace', () => {
    for (const k of ['pact.backend', 'pact.model', 'pact.budget', 'pact.trace.server']) {
      expect(changeAction(affects(k))).toBe('notify');
    }
  });
  it('ignores other settings', () => {
    expect(changeAction(affects('editor.fontSize'))).toBe('none');
  });
});
