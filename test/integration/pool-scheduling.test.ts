/**
 * On-demand scheduling and admission: warm reuse (most recently used first), reaping,
 * no stampede, the start bound, throttles and leases (aws-lambda.md §3.7, §3.10).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/core/errors.js';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import type { HearthPool, PoolEvent } from '../../src/pool/index.js';
import { OPEN_ADMISSION, json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

let pool: HearthPool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
});

function open(overrides: Parameters<typeof testPool>[0] = {}): HearthPool {
  pool = testPool(overrides);
  return pool;
}

const sleeper = (initMs = 0, name = `sleeper-${initMs}`): EnvironmentSpec =>
  makeSpec('sleeper', { functionName: name, environment: { INIT_MS: String(initMs) } });

async function pidOf(
  p: HearthPool,
  spec: EnvironmentSpec,
  ms = 0,
  over: Parameters<typeof makeRequest>[1] = {},
): Promise<number> {
  const o = await p.invoke(makeRequest(spec, { event: { ms }, ...over }));
  expect(o.kind).toBe('success');
  return (json(o.payload) as { pid: number }).pid;
}

function record(p: HearthPool): PoolEvent[] {
  const events: PoolEvent[] = [];
  p.subscribe((e) => events.push(e));
  return events;
}

describe('warm reuse', () => {
  it('reuses the most recently used idle environment, so the active set stays small', async () => {
    const p = open();
    const spec = sleeper();
    // Long enough that no invocation ends before the other two environments are up, even
    // on a loaded machine (else a freed environment rightly serves the third waiter).
    const pids = await Promise.all([pidOf(p, spec, 2000), pidOf(p, spec, 2000), pidOf(p, spec, 2000)]);
    expect(new Set(pids).size).toBe(3);
    // Sequential invokes all land on one environment: the one used last.
    const again = [];
    for (let i = 0; i < 5; i++) {
      again.push(await pidOf(p, spec));
    }
    expect(new Set(again).size).toBe(1);
    expect(p.environments().filter((e) => e.specKey === spec.key)).toHaveLength(3);
  });

  it('reports Init Duration only on the invocation that waited for the init', async () => {
    const p = open();
    const spec = makeSpec('echo');
    const cold = await p.invoke(makeRequest(spec));
    const warm = await p.invoke(makeRequest(spec));
    expect(cold.initDurationMs).toBeGreaterThan(0);
    expect(warm.initDurationMs).toBeUndefined();
  });

  it('stops environments idle for idleTimeoutMs', async () => {
    const p = open({ idleTimeoutMs: 300 });
    const spec = sleeper();
    await pidOf(p, spec);
    const idleSince = performance.now();
    await until(p, () => p.environments().length === 0);
    expect(performance.now() - idleSince).toBeGreaterThanOrEqual(250);
  });

  it('with idleTimeoutMs 0, every invocation gets a fresh environment', async () => {
    const p = open({ idleTimeoutMs: 0 });
    const spec = sleeper();
    const a = await pidOf(p, spec);
    const b = await pidOf(p, spec);
    expect(a).not.toBe(b);
  });
});

describe('no stampede', () => {
  it('an invoke that finds an unclaimed environment starting waits for it instead of starting another', async () => {
    const p = open();
    const spec = sleeper(1000);
    const events = record(p);
    const starts = () =>
      events.filter((e) => e.type === 'environment-starting' && e.specKey === spec.key).length;
    const e1 = await pidOf(p, spec); // cold: environment 1
    const a = pidOf(p, spec, 300); // environment 1 busy for 300 ms
    const b = pidOf(p, spec, 300); // nothing idle: starts environment 2 (1 s init) and waits
    await until(p, () => starts() === 2);
    expect(await a).toBe(e1);
    // B took environment 1 as soon as A released it; environment 2 is still starting and
    // nobody is waiting for it. C must wait for an environment, not start a third one.
    const c = pidOf(p, spec);
    expect(await b).toBe(e1);
    await c;
    expect(starts()).toBe(2);
  });

  it('a burst of N concurrent cold invokes starts at most N environments, and none when warm', async () => {
    const p = open({ maxConcurrentStarts: 16 });
    const spec = sleeper(300);
    const events = record(p);
    const starts = () => events.filter((e) => e.type === 'environment-starting').length;
    await Promise.all(Array.from({ length: 10 }, () => pidOf(p, spec, 50)));
    expect(starts()).toBeLessThanOrEqual(10);
    const before = starts();
    await Promise.all(Array.from({ length: before }, () => pidOf(p, spec, 50)));
    expect(starts()).toBe(before);
  });

  it('never runs more than maxConcurrentStarts starts at once', async () => {
    const p = open({ maxConcurrentStarts: 2 });
    const spec = sleeper(300);
    let starting = 0;
    let peak = 0;
    p.subscribe((e) => {
      if (e.type === 'environment-starting') {
        peak = Math.max(peak, ++starting);
      } else if (
        e.type === 'environment-ready' ||
        (e.type === 'environment-dead' && e.cause.includes('init'))
      ) {
        starting--;
      }
    });
    const pids = await Promise.all(Array.from({ length: 6 }, () => pidOf(p, spec, 400)));
    expect(pids).toHaveLength(6);
    expect(peak).toBe(2);
  });
});

describe('admission (§3.7, §3.10)', () => {
  const fnKey = (spec: EnvironmentSpec) => `${spec.accountId}/${spec.region}/default/${spec.functionName}`;

  it('reserved concurrency 0 throttles every invoke', async () => {
    const p = open();
    const spec = sleeper();
    await expect(
      p.invoke(
        makeRequest(spec, { admission: { ...OPEN_ADMISSION, functionKey: fnKey(spec), reserved: 0 } }),
      ),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'THROTTLED_RESERVED',
        details: { functionName: spec.functionName },
      }) as Error,
    );
    expect(p.environments()).toHaveLength(0);
  });

  it('a reserved function runs at most reserved − Σ requested PC on-demand; the lease comes back after', async () => {
    const p = open();
    const spec = sleeper();
    const admission = { ...OPEN_ADMISSION, functionKey: fnKey(spec), reserved: 3, provisionedTotal: 1 };
    const running = [pidOf(p, spec, 300, { admission }), pidOf(p, spec, 300, { admission })];
    const third = p.invoke(makeRequest(spec, { event: { ms: 0 }, admission }));
    await expect(third).rejects.toBeInstanceOf(PlatformError);
    await expect(third).rejects.toMatchObject({ code: 'THROTTLED_RESERVED' });
    await Promise.all(running);
    expect(await pidOf(p, spec, 0, { admission })).toBeGreaterThan(0);
  });

  it('reserved == Σ requested PC throttles on-demand ($LATEST)', async () => {
    const p = open();
    const spec = sleeper();
    await expect(
      p.invoke(
        makeRequest(spec, {
          admission: { ...OPEN_ADMISSION, functionKey: fnKey(spec), reserved: 2, provisionedTotal: 2 },
        }),
      ),
    ).rejects.toMatchObject({ code: 'THROTTLED_RESERVED' });
  });

  it('unreserved executions are counted per scope: THROTTLED_ACCOUNT', async () => {
    const p = open();
    const spec = sleeper();
    const admission = { ...OPEN_ADMISSION, unreservedCapacity: 1 };
    const first = pidOf(p, spec, 300, { admission });
    await expect(p.invoke(makeRequest(spec, { admission }))).rejects.toMatchObject({
      code: 'THROTTLED_ACCOUNT',
      details: {},
    });
    // Another scope has its own pool.
    expect(await pidOf(p, spec, 0, { admission: { ...admission, scopeKey: 'other/scope' } })).toBeGreaterThan(
      0,
    );
    await first;
    expect(await pidOf(p, spec, 0, { admission })).toBeGreaterThan(0);
  });

  it('the lease is released on every path: timeout, crash, init failure', async () => {
    const p = open();
    const admission = (name: string) => ({ ...OPEN_ADMISSION, functionKey: `k/${name}`, reserved: 1 });
    const hang = makeSpec('hang', { timeoutSec: 1 });
    for (let i = 0; i < 2; i++) {
      const o = await p.invoke(makeRequest(hang, { admission: admission('hang') }));
      expect(o.kind === 'function-error' && o.errorType).toBe('Sandbox.Timedout');
    }
    const crash = makeSpec('exit-mid-invoke');
    for (let i = 0; i < 2; i++) {
      const o = await p.invoke(makeRequest(crash, { event: { exitCode: 2 }, admission: admission('crash') }));
      expect(o.kind === 'function-error' && o.errorType).toBe('Runtime.ExitError');
    }
    const initFails = makeSpec('throw-in-init');
    for (let i = 0; i < 2; i++) {
      const o = await p.invoke(makeRequest(initFails, { admission: admission('init') }));
      expect(o.kind).toBe('function-error');
    }
  });
});

describe('dispose', () => {
  it('kills every environment and refuses further invokes', async () => {
    const p = open();
    const spec = sleeper();
    const inFlight = p.invoke(makeRequest(spec, { event: { ms: 5000 } }));
    // The invocation is handed over as soon as its environment is ready.
    await until(p, (e) => e?.type === 'environment-ready');
    expect(p.environments().map((e) => e.state)).toEqual(['busy']);
    await p.dispose();
    const o = await inFlight;
    expect(o.kind === 'function-error' && o.errorType).toBe('Runtime.ExitError');
    expect(p.environments()).toHaveLength(0);
    await expect(p.invoke(makeRequest(spec))).rejects.toMatchObject({ code: 'INTERNAL' });
    await p.dispose();
  });
});
