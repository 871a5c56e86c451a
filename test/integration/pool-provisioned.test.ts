/**
 * Provisioned concurrency is real: `count` processes initialised ahead of any invoke, with
 * Allocated/Available/Status from live environments (aws-lambda.md §3.3, §3.4, §3.6–3.8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisionedStatus } from '../../src/core/model.js';
import type { EnvironmentSpec, InvokeRequest } from '../../src/core/ports.js';
import type { HearthPool, PoolEvent } from '../../src/pool/index.js';
import { OPEN_ADMISSION, childPids, json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

let pool: HearthPool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
});

function open(overrides: Parameters<typeof testPool>[0] = {}): HearthPool {
  pool = testPool(overrides);
  return pool;
}

const KEY = '123456789012/us-east-1/default/fn#live';

const sleeper = (version = '1', initMs = 0): EnvironmentSpec =>
  makeSpec('sleeper', {
    functionName: 'fn',
    version,
    handler: `index.handler`,
    key: `fn/${version}@r`,
    environment: { INIT_MS: String(initMs) },
  });

interface Served {
  pid: number;
  initType: string;
}

function request(spec: EnvironmentSpec, ms = 0, over: Partial<InvokeRequest> = {}): InvokeRequest {
  return makeRequest(spec, { event: { ms }, provisionedKey: KEY, ...over });
}

async function served(
  p: HearthPool,
  spec: EnvironmentSpec,
  ms = 0,
  over: Partial<InvokeRequest> = {},
): Promise<Served> {
  const o = await p.invoke(request(spec, ms, over));
  expect(o.kind).toBe('success');
  const s = json(o.payload) as Served;
  expect(o.initializationType).toBe(s.initType);
  return s;
}

const status = (p: HearthPool): ProvisionedStatus => p.provisionedStatus(KEY);
const ready = (p: HearthPool, n: number) =>
  until(p, () => status(p).status === 'READY' && status(p).available === n);
const mine = (p: HearthPool) => p.environments().filter((e) => e.provisionedKey === KEY);

function statuses(p: HearthPool): ProvisionedStatus[] {
  const seen: ProvisionedStatus[] = [];
  p.subscribe((e: PoolEvent) => {
    if (e.type === 'provisioned-status' && e.provisionedKey === KEY) {
      seen.push(e.status);
    }
  });
  return seen;
}

describe('allocation', () => {
  it('starts exactly `count` environments, initialised before any invoke, then READY', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 3);
    expect(status(p)).toEqual({ allocated: 0, available: 0, status: 'IN_PROGRESS' });
    await ready(p, 3);
    expect(status(p)).toEqual({ allocated: 3, available: 3, status: 'READY' });
    expect(mine(p).map((e) => [e.state, e.initializationType])).toEqual([
      ['idle', 'provisioned-concurrency'],
      ['idle', 'provisioned-concurrency'],
      ['idle', 'provisioned-concurrency'],
    ]);
    const before = Date.now();
    const o = await p.invoke(
      request(makeSpec('init-type-reporter', { key: spec.key, functionName: 'fn', version: '1' })),
    );
    // Same spec key: served by a provisioned environment that ran its init earlier.
    expect(o.initializationType).toBe('provisioned-concurrency');
    expect(o.initDurationMs).toBeUndefined();
    const s = json(o.payload) as Served & { initAt?: number };
    expect(s.initType).toBe('provisioned-concurrency');
    expect(mine(p).map((e) => e.pid)).toContain(s.pid);
    expect(before).toBeGreaterThan(0);
  });

  it('init ran before the first invoke (init-type reporter)', async () => {
    const p = open();
    const spec = makeSpec('init-type-reporter', { functionName: 'fn', version: '1', key: 'reporter/1' });
    p.setProvisioned(KEY, spec, 1);
    await ready(p, 1);
    const sentAt = Date.now();
    const o = await p.invoke(makeRequest(spec, { provisionedKey: KEY }));
    const r = json(o.payload) as { initType: string; initAt: number };
    expect(r.initType).toBe('provisioned-concurrency');
    expect(r.initAt).toBeLessThanOrEqual(sentAt);
  });

  it('no partial availability: while IN_PROGRESS, invokes run on-demand', async () => {
    const p = open();
    const spec = sleeper('1', 800);
    p.setProvisioned(KEY, spec, 2);
    const s = await served(p, spec);
    expect(s.initType).toBe('on-demand');
    await ready(p, 2);
    expect((await served(p, spec)).initType).toBe('provisioned-concurrency');
  });

  it('a larger count serves nothing until all are up, unless asked to keep serving (a cluster move)', async () => {
    const p = open();
    const spec = sleeper('1', 800);
    p.setProvisioned(KEY, spec, 1);
    await ready(p, 1);
    // Grown as a cluster move's receiver: its environment keeps serving while one more starts.
    p.setProvisioned(KEY, spec, 2, { keepServing: true });
    expect(status(p).status).toBe('IN_PROGRESS');
    expect((await served(p, spec)).initType).toBe('provisioned-concurrency');
    await ready(p, 2);
    // Grown as a user asks (§3.4): nothing serves until the third is up.
    p.setProvisioned(KEY, spec, 3);
    expect((await served(p, spec)).initType).toBe('on-demand');
    await ready(p, 3);
  });

  it('re-declaring the same spec and count changes nothing', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 2);
    await ready(p, 2);
    const ids = mine(p).map((e) => e.environmentId);
    p.setProvisioned(KEY, spec, 2);
    expect(mine(p).map((e) => e.environmentId)).toEqual(ids);
    expect(status(p).status).toBe('READY');
  });

  it('provisioned environments are not reaped when idle', async () => {
    const p = open({ idleTimeoutMs: 50 });
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 1);
    await ready(p, 1);
    await served(p, spec);
    // An on-demand environment of the same spec is reaped; the provisioned one stays.
    await p.invoke(makeRequest(spec, { event: { ms: 0 } }));
    await until(p, () => p.environments().every((e) => e.provisionedKey === KEY));
    expect(mine(p)).toHaveLength(1);
  });

  it('an unknown key reports IN_PROGRESS 0/0 and utilisation 0', () => {
    const p = open();
    expect(p.provisionedStatus('nope')).toEqual({ allocated: 0, available: 0, status: 'IN_PROGRESS' });
    expect(p.provisionedUtilization('nope')).toBe(0);
  });
});

describe('scheduling onto provisioned environments (§3.7)', () => {
  it('spillover: a second concurrent invoke runs on-demand', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 1);
    await ready(p, 1);
    const [a, b] = await Promise.all([served(p, spec, 300), served(p, spec, 0)]);
    expect(a.initType).toBe('provisioned-concurrency');
    expect(b.initType).toBe('on-demand');
  });

  it('is not counted against the unreserved pool; the spillover is', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 1);
    await ready(p, 1);
    const admission = { ...OPEN_ADMISSION, unreservedCapacity: 0 };
    const first = served(p, spec, 300, { admission });
    await expect(p.invoke(request(spec, 0, { admission }))).rejects.toMatchObject({
      code: 'THROTTLED_ACCOUNT',
    });
    expect((await first).initType).toBe('provisioned-concurrency');
  });

  it('a spec that is not the config’s (alias moved meanwhile) runs on-demand', async () => {
    const p = open();
    p.setProvisioned(KEY, sleeper('1'), 1);
    await ready(p, 1);
    expect((await served(p, sleeper('2'))).initType).toBe('on-demand');
  });

  it('utilisation is busy / allocated', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 2);
    await ready(p, 2);
    expect(p.provisionedUtilization(KEY)).toBe(0);
    const running = served(p, spec, 300);
    expect(p.provisionedUtilization(KEY)).toBe(0.5);
    await running;
    await until(p, () => p.provisionedUtilization(KEY) === 0);
  });
});

describe('reconciling (§3.3, §3.8)', () => {
  it('scaling up and down changes only the difference', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 2);
    await ready(p, 2);
    const first = mine(p).map((e) => e.environmentId);
    p.setProvisioned(KEY, spec, 4);
    expect(status(p).status).toBe('IN_PROGRESS');
    await ready(p, 4);
    const four = mine(p).map((e) => e.environmentId);
    expect(four).toEqual(expect.arrayContaining(first));
    expect(four).toHaveLength(4);
    p.setProvisioned(KEY, spec, 1);
    await until(p, () => mine(p).length === 1);
    expect(status(p)).toEqual({ allocated: 1, available: 1, status: 'READY' });
    expect(four).toContain(mine(p)[0]?.environmentId);
  });

  it('a new count while IN_PROGRESS overwrites the previous one', async () => {
    const p = open();
    const spec = sleeper('1', 500);
    p.setProvisioned(KEY, spec, 4);
    p.setProvisioned(KEY, spec, 1);
    await until(p, () => status(p).status === 'READY' && mine(p).length === 1);
    expect(status(p)).toEqual({ allocated: 1, available: 1, status: 'READY' });
  });

  it('a provisioned environment that dies is replaced: Available dips, then recovers', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 2);
    await ready(p, 2);
    const seen = statuses(p);
    const victim = mine(p)[0]?.pid ?? 0;
    process.kill(victim, 'SIGKILL');
    await until(p, () => seen.some((s) => s.available === 1) && status(p).status === 'READY');
    expect(status(p)).toEqual({ allocated: 2, available: 2, status: 'READY' });
    expect(mine(p).map((e) => e.pid)).not.toContain(victim);
  });

  it('after faults, the live child processes return to exactly the provisioned count', async () => {
    const p = open();
    const spec = makeSpec('exit-mid-invoke', {
      functionName: 'fn',
      version: '1',
      key: 'exits/1',
      timeoutSec: 1,
    });
    p.setProvisioned(KEY, spec, 3);
    await ready(p, 3);
    expect(childPids()).toHaveLength(3);
    const faults = [{ exitCode: 1 }, { signal: 'SIGKILL' }, { exitCode: 0 }, { signal: 'SIGSEGV' }];
    const outcomes = await Promise.all(
      faults.map((event) => p.invoke(makeRequest(spec, { event, provisionedKey: KEY }))),
    );
    expect(outcomes.map((o) => o.kind === 'function-error' && o.errorType)).toEqual(
      faults.map(() => 'Runtime.ExitError'),
    );
    // One more killed from outside while idle.
    await ready(p, 3);
    const victim = mine(p)[0];
    process.kill(victim?.pid ?? 0, 'SIGKILL');
    await until(p, (e) => e?.type === 'environment-exited' && e.environmentId === victim?.environmentId);
    // Every process that hearth started and still counts is alive, and there are 3.
    const sameProcesses = () =>
      JSON.stringify(childPids().sort()) ===
      JSON.stringify(
        p
          .environments()
          .map((e) => e.pid)
          .sort(),
      );
    await until(p, () => status(p).status === 'READY' && p.environments().length === 3 && sameProcesses());
    expect(childPids()).toHaveLength(3);
  });

  it('a new spec (alias moved) is make-before-break: Allocated never drops, the old go once the new are ready', async () => {
    const p = open();
    const v1 = sleeper('1');
    const v2 = sleeper('2', 400);
    p.setProvisioned(KEY, v1, 2);
    await ready(p, 2);
    const seen = statuses(p);
    p.setProvisioned(KEY, v2, 2);
    // The version left keeps serving (core routes the alias there meanwhile) and is what is
    // available, as AWS recorded right after a move (IN_PROGRESS 1/1).
    expect(status(p)).toEqual({ allocated: 2, available: 2, status: 'IN_PROGRESS' });
    expect((await served(p, v1)).initType).toBe('provisioned-concurrency');
    // v2's environments take nothing before they are all READY.
    expect((await served(p, v2)).initType).toBe('on-demand');
    await until(p, () => status(p).status === 'READY' && mine(p).length === 2);
    expect(mine(p).every((e) => e.specKey === v2.key)).toBe(true);
    expect(seen.every((s) => s.allocated >= 2)).toBe(true);
    expect((await served(p, v2)).initType).toBe('provisioned-concurrency');
  });

  it('an alias moved A → B → A before B was ready serves from A’s environments again', async () => {
    const p = open();
    const a = sleeper('1');
    const b = sleeper('2', 2000);
    p.setProvisioned(KEY, a, 2);
    await ready(p, 2);
    const before = mine(p).map((e) => e.pid);
    p.setProvisioned(KEY, b, 2);
    p.setProvisioned(KEY, a, 2);
    await until(p, () => status(p).status === 'READY');
    const s = await served(p, a);
    expect(s.initType).toBe('provisioned-concurrency');
    expect(before).toContain(s.pid);
    expect(
      mine(p)
        .map((e) => e.pid)
        .sort(),
    ).toEqual([...before].sort());
  });

  it('count 0 drains and forgets the config', async () => {
    const p = open();
    p.setProvisioned(KEY, sleeper(), 2);
    await ready(p, 2);
    p.setProvisioned(KEY, undefined, 0);
    await until(p, () => p.environments().length === 0);
    expect(status(p)).toEqual({ allocated: 0, available: 0, status: 'IN_PROGRESS' });
  });

  it('drain(prefix) stops every environment of a deleted version, provisioned ones included', async () => {
    const p = open();
    const spec = sleeper();
    p.setProvisioned(KEY, spec, 2);
    await ready(p, 2);
    await p.invoke(makeRequest(spec, { event: { ms: 0 } }));
    await p.drain('fn/1@');
    expect(p.environments()).toHaveLength(0);
    expect(childPids()).toHaveLength(0);
  });
});

describe('init failures (§3.4)', () => {
  it('FAILED with FUNCTION_ERROR_INIT_FAILURE after 6 attempts; invokes run on-demand', async () => {
    const p = open();
    const spec = makeSpec('throw-in-init', { functionName: 'fn', version: '1', key: 'bad/1' });
    let starts = 0;
    p.subscribe((e) => {
      if (e.type === 'environment-starting' && e.provisionedKey === KEY) {
        starts++;
      }
    });
    p.setProvisioned(KEY, spec, 2);
    await until(p, () => status(p).status === 'FAILED');
    expect(status(p)).toEqual({
      allocated: 0,
      available: 0,
      status: 'FAILED',
      statusReason: 'FUNCTION_ERROR_INIT_FAILURE',
      lastInitFailure: "the function's init failed with Error",
    });
    expect(starts).toBeGreaterThanOrEqual(6);
    expect(starts).toBeLessThanOrEqual(7);
    await until(p, () => mine(p).length === 0);
    const o = await p.invoke(makeRequest(spec, { provisionedKey: KEY }));
    expect(o.kind === 'function-error' && o.errorType).toBe('Error');
    expect(o.initializationType).toBe('on-demand');
    // The same declaration again does not restart it; a new one does.
    p.setProvisioned(KEY, spec, 2);
    expect(status(p).status).toBe('FAILED');
    p.setProvisioned(KEY, spec, 1);
    expect(status(p).status).toBe('IN_PROGRESS');
  });

  it('the 10 s on-demand init limit does not bind provisioned inits (§3.8)', async () => {
    // Scaled down: on-demand init limit 1 s, an init of 1.5 s, a function timeout of 10 s
    // (room for a process start on a loaded machine).
    const p = open({ onDemandInitTimeoutMs: 1000 });
    const spec = makeSpec('slow-init', {
      functionName: 'fn',
      version: '1',
      key: 'slow/1',
      timeoutSec: 10,
      environment: { INIT_MS: '1500' },
    });
    // On-demand, the init is retried inside the invoke under the function's timeout (§3.8).
    const onDemand = await p.invoke(makeRequest(spec, { wantLog: true }));
    expect(onDemand.kind).toBe('success');
    expect(onDemand.kind === 'success' && onDemand.initDurationMs).toBeGreaterThanOrEqual(1500);
    p.setProvisioned(KEY, spec, 1);
    await ready(p, 1);
    const o = await p.invoke(makeRequest(spec, { provisionedKey: KEY }));
    expect((json(o.payload) as Served).initType).toBe('provisioned-concurrency');
  });
});
