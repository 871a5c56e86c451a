import { describe, expect, it } from 'vitest';
import { ConfigError, envName, fromEnv, loadConfig } from './load.js';

describe('switches (memoryCgroups, batchScheduling)', () => {
  it('are on by default', () => {
    const c = loadConfig({});
    expect([c.memoryCgroups, c.batchScheduling]).toEqual([true, true]);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['Off', false],
    ['no', false],
    ['true', true],
    ['1', true],
    ['ON', true],
  ])('read %s from the environment as %s', (text, value) => {
    expect(envName('memoryCgroups')).toBe('HEARTH_MEMORY_CGROUPS');
    const c = loadConfig(fromEnv({ HEARTH_MEMORY_CGROUPS: text, HEARTH_BATCH_SCHEDULING: text }));
    expect([c.memoryCgroups, c.batchScheduling]).toEqual([value, value]);
  });

  it('refuse anything else, naming the key and the value', () => {
    expect(() => loadConfig({ batchScheduling: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ batchScheduling: 'sometimes' })).toThrow(
      /batchScheduling \(got "sometimes"\): must be true or false/,
    );
  });
});

describe('numbers', () => {
  it('say which bound a number is outside, and refuse what is not a whole number', () => {
    expect(() => loadConfig(fromEnv({ HEARTH_PORT: '70000' }))).toThrow(
      /port \(got "70000"\): must be at most 65535/,
    );
    expect(() => loadConfig(fromEnv({ HEARTH_MAX_CONCURRENT_STARTS: '0' }))).toThrow(
      /maxConcurrentStarts \(got "0"\): must be at least 1/,
    );
    expect(() => loadConfig(fromEnv({ HEARTH_PRESTARTED_RUNTIMES: '65' }))).toThrow(
      /prestartedRuntimes \(got "65"\): must be at most 64/,
    );
    expect(() => loadConfig(fromEnv({ HEARTH_PRESTARTED_RUNTIMES: '1e3' }))).toThrow(
      /prestartedRuntimes \(got "1e3"\): must be a whole number/,
    );
    expect(loadConfig(fromEnv({ HEARTH_PRESTARTED_RUNTIMES: '0' })).prestartedRuntimes).toBe(0);
    expect(loadConfig({}).prestartedRuntimes).toBe(4);
  });

  it('refuse a timer delay Node would run at once (above 2^31 - 1 ms)', () => {
    expect(() => loadConfig(fromEnv({ HEARTH_ON_DEMAND_INIT_TIMEOUT_MS: '3000000000' }))).toThrow(
      /onDemandInitTimeoutMs \(got "3000000000"\): must be at most 2147483647 ms/,
    );
    expect(
      loadConfig(fromEnv({ HEARTH_PROVISIONED_INIT_TIMEOUT_MS: '2147483647' })).provisionedInitTimeoutMs,
    ).toBe(2_147_483_647);
  });

  it.each(['', ' ', '1e3', '0x10', '-1', '8.5', 'eighty'])('refuse %j for the port', (text) => {
    expect(() => loadConfig({ port: text })).toThrow(ConfigError);
  });

  it('read decimal digits', () => {
    expect(loadConfig(fromEnv({ HEARTH_PORT: '8080', HEARTH_IDLE_TIMEOUT_MS: ' 500 ' }))).toMatchObject({
      port: 8080,
      idleTimeoutMs: 500,
    });
  });
});
