/**
 * `_X_AMZN_TRACE_ID` in the bundled runtimes (runtimes/node/trace-env.cjs, Python's
 * hearth_runtime.py _TraceEnv): the function sees each invocation's trace header as an
 * environment variable, and a long-lived environment does not grow with the distinct values
 * it has seen (setenv(3) kept them all).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import type { HearthPool } from '../../src/pool/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { json, makeRequest, makeSpec, pidOf, testPool } from './pool-helpers.js';

const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

describe.each(['private', 'http'] as const)('_X_AMZN_TRACE_ID over the %s channel', (channel) => {
  const pool = testPool({ nodeChannel: channel });
  afterAll(() => pool.dispose());
  const spec = makeSpec('trace-reporter', { version: channel });

  it("is the invocation's trace header, everywhere the environment is read, child processes included", async () => {
    const o = await pool.invoke(makeRequest(spec, { traceId: TRACE, event: { child: true } }));
    expect(json(o.payload)).toEqual({
      value: TRACE,
      has: true,
      listed: true,
      copied: TRACE,
      child: TRACE,
      home: true,
    });
  });

  it('is absent from an invocation without one', async () => {
    await pool.invoke(makeRequest(spec, { traceId: TRACE, event: {} }));
    const o = await pool.invoke(makeRequest(spec, { event: { child: true } }));
    expect(json(o.payload)).toEqual({
      value: null,
      has: false,
      listed: false,
      copied: null,
      child: null,
      home: true,
    });
  });

  it('the function may set and delete it; the next invocation has its own', async () => {
    const set = await pool.invoke(makeRequest(spec, { event: { set: 42, child: true } }));
    expect(json(set.payload)).toMatchObject({ value: '42', has: true, child: '42' });
    const removed = await pool.invoke(makeRequest(spec, { traceId: TRACE, event: { remove: true } }));
    expect(json(removed.payload)).toMatchObject({ value: null, has: false, listed: false });
    const next = await pool.invoke(makeRequest(spec, { traceId: `${TRACE}-2`, event: {} }));
    expect(json(next.payload)).toMatchObject({ value: `${TRACE}-2`, listed: true });
  });
});

describe.skipIf(process.platform !== 'linux')(
  'a long-lived Node.js environment and distinct trace ids',
  () => {
    const pool = testPool();
    afterAll(() => pool.dispose());

    it('does not grow with them', async () => {
      // setenv(3) kept each value: ~110 bytes per invocation, 3.3 MB over 30,000.
      expect(await growthKb(pool, makeSpec('echo', { version: 'traces' }))).toBeLessThan(1500);
    }, 60_000);
  },
);

/** The runtime of the machine's python3, which the pool finds on the PATH. */
const PYTHON_RUNTIME = execFileSync(
  'python3',
  ['-c', 'import sys; print("python%d.%d" % sys.version_info[:2])'],
  { encoding: 'utf8' },
).trim();

function python(fixture: string, version: string): EnvironmentSpec {
  return makeSpec(fixture, {
    runtime: PYTHON_RUNTIME,
    handler: 'app.handler',
    codeDir: fileURLToPath(new URL(`../fixtures/python/${fixture}`, import.meta.url)),
    functionName: `py-${fixture}`,
    version,
  });
}

/** The growth of an environment's RSS over 30,000 invocations with distinct trace ids. */
async function growthKb(pool: HearthPool, spec: EnvironmentSpec): Promise<number> {
  const call = (i: number) =>
    pool.invoke(
      makeRequest(spec, { traceId: `Root=1-${String(i).padStart(8, '0')}-${'a'.repeat(24)}`, event: { i } }),
    );
  // Warm: the heap reaches its size first.
  for (let i = 0; i < 5000; i++) {
    await call(i);
  }
  const pid = pidOf(pool, spec);
  const rssKb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const before = rssKb();
  for (let i = 5000; i < 35_000; i++) {
    await call(i);
  }
  return rssKb() - before;
}

describe.skipIf(process.platform !== 'linux')('_X_AMZN_TRACE_ID in the bundled Python runtime', () => {
  const pool = testPool();
  afterAll(() => pool.dispose());
  const spec = python('trace-reporter', 'py-trace');

  it("is the invocation's trace header, for os.environ, os.getenv and child processes", async () => {
    const o = await pool.invoke(makeRequest(spec, { traceId: TRACE, event: { child: true } }));
    expect(json(o.payload)).toEqual({ value: TRACE, getenv: TRACE, has: true, listed: true, child: TRACE });
    const none = await pool.invoke(makeRequest(spec, { event: { child: true } }));
    expect(json(none.payload)).toEqual({ value: null, getenv: null, has: false, listed: false, child: null });
    const set = await pool.invoke(makeRequest(spec, { event: { set: 'mine', child: true } }));
    expect(json(set.payload)).toMatchObject({ value: 'mine', child: 'mine' });
    const next = await pool.invoke(makeRequest(spec, { traceId: `${TRACE}-2`, event: { child: true } }));
    expect(json(next.payload)).toMatchObject({ value: `${TRACE}-2`, child: `${TRACE}-2` });
  });

  it('a long-lived environment does not grow with distinct trace ids', async () => {
    // setenv(3) kept each value: ~110 bytes per invocation, 3.3 MB over 30,000.
    expect(await growthKb(pool, python('echo', 'py-traces'))).toBeLessThan(1500);
  }, 90_000);
});
