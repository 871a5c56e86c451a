/**
 * Functions that misbehave: the outcome each gets (aws-lambda.md §5.7), and that hearth
 * stays healthy afterwards (no leaked processes, leases or environments).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { InvocationOutcome } from '../../src/core/ports.js';
import { childPids, json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

const pool = testPool({ onDemandInitTimeoutMs: 1500 });
afterAll(() => pool.dispose());

/** After each fault: every environment that died is gone, and the pool still serves. */
afterEach(async () => {
  const o = await pool.invoke(makeRequest(makeSpec('echo'), { event: 'still fine' }));
  expect(json(o.payload)).toBe('still fine');
  const sameProcesses = () => {
    const live = pool.environments().map((e) => e.pid);
    return JSON.stringify(childPids().sort()) === JSON.stringify(live.filter((p) => p !== undefined).sort());
  };
  // Dead environments' processes are reaped shortly after: wait for those events.
  await until(pool, sameProcesses);
});

function errorOf(o: InvocationOutcome): unknown {
  expect(o.kind).toBe('function-error');
  return json(o.payload);
}

describe('function timeout (§5.6, §5.7)', () => {
  it('SIGKILLs the environment and answers Sandbox.Timedout', async () => {
    const spec = makeSpec('hang', { timeoutSec: 1 });
    const req = makeRequest(spec, { wantLog: true });
    const started = performance.now();
    const o = await pool.invoke(req);
    const took = performance.now() - started;
    expect(errorOf(o)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${req.requestId} Error: Task timed out after 1.00 seconds`,
    });
    expect(o.kind === 'function-error' && o.errorType).toBe('Sandbox.Timedout');
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(o.log).toContain(`${req.requestId} Task timed out after 1.00 seconds`);
    expect(o.log).toMatch(/Status: timeout\n$/);
    await until(pool, () => pool.environments().every((e) => e.specKey !== spec.key));
  });

  it("counts from each invocation's start, and an idle environment outlives its last deadline", async () => {
    // One timer per environment, re-armed by each invocation: the second invocation runs
    // past the first one's deadline, and the environment then sits idle past the second's.
    const spec = makeSpec('sleeper', { functionName: 'timer-reuse', timeoutSec: 1 });
    const pid = (o: InvocationOutcome) => (json(o.payload) as { pid: number }).pid;
    const first = await pool.invoke(makeRequest(spec, { event: { ms: 600 } }));
    const second = await pool.invoke(makeRequest(spec, { event: { ms: 600 } }));
    expect(second.kind).toBe('success');
    expect(pid(second)).toBe(pid(first));
    // The last deadline passes while nothing runs: a deadline, not an event, is what is
    // waited for here.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const third = await pool.invoke(makeRequest(spec, { event: { ms: 10 } }));
    expect(pid(third)).toBe(pid(first));
    const started = performance.now();
    const hung = await pool.invoke(makeRequest(spec, { event: { ms: 5000 } }));
    expect(errorOf(hung)).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(performance.now() - started).toBeLessThan(4000);
  });
});

describe('the runtime exits during an invocation: Runtime.ExitError (§5.7)', () => {
  it.each([
    [{ exitCode: 7 }, 'Runtime exited with error: exit status 7'],
    [{ exitCode: 0 }, 'Runtime exited without providing a reason'],
    [{ signal: 'SIGKILL' }, 'Runtime exited with error: signal: killed'],
    [{ signal: 'SIGSEGV' }, 'Runtime exited with error: signal: segmentation fault'],
  ])('%j → %s', async (event, reason) => {
    const spec = makeSpec('exit-mid-invoke', { functionName: `exit-${JSON.stringify(event)}` });
    const req = makeRequest(spec, { event, wantLog: true });
    const o = await pool.invoke(req);
    expect(errorOf(o)).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${req.requestId} Error: ${reason}`,
    });
    // What it printed before dying is in its log.
    expect(o.log).toContain('\tINFO\tabout to go');
    expect(o.log).toContain('Status: error\tError Type: Runtime.ExitError');
    await until(pool, () => pool.environments().every((e) => e.specKey !== spec.key));
    // The next invocation gets a fresh environment.
    const again = await pool.invoke(makeRequest(spec, { event: {} }));
    expect(again.kind).toBe('success');
    expect(again.initDurationMs).toBeGreaterThan(0);
  });
});

describe('response over 6291556 bytes: Function.ResponseSizeTooLarge (§5.2, §5.7)', () => {
  it('bundled runtime: the environment stays usable', async () => {
    const spec = makeSpec('big-response');
    const o = await pool.invoke(makeRequest(spec));
    expect(errorOf(o)).toEqual({
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
      errorType: 'Function.ResponseSizeTooLarge',
    });
    const fits = await pool.invoke(makeRequest(spec, { event: { bytes: 6 * 1024 * 1024 } }));
    expect(fits.kind).toBe('success');
    expect(fits.payload.length).toBe(6 * 1024 * 1024 + 2);
    expect(pool.environments().filter((e) => e.specKey === spec.key)).toHaveLength(1);
  });

  it('custom runtime over HTTP: 413 to the runtime, the same outcome to the caller', async () => {
    const spec = makeSpec('provided-node', { runtime: 'provided.al2023', handler: 'x' });
    const req = makeRequest(spec, { event: { bytes: 10 * 1024 * 1024 }, wantLog: true });
    const o = await pool.invoke(req);
    expect(o.kind === 'function-error' && o.errorType).toBe('Function.ResponseSizeTooLarge');
    const next = await pool.invoke(makeRequest(spec, { event: { n: 1 } }));
    expect(next.kind).toBe('success');
  });
});

describe('a flood of output', () => {
  it('is drained and kept bounded in the log tail', async () => {
    const req = makeRequest(makeSpec('flood-stdout', { timeoutSec: 20 }), {
      event: { mb: 20 },
      wantLog: true,
    });
    const o = await pool.invoke(req);
    expect(json(o.payload)).toEqual({ lines: 20 * 1024 });
    expect(o.log?.length).toBeLessThanOrEqual(64 * 1024);
    expect(o.log).toContain('\tINFO\tflood done');
    expect(o.log).toMatch(/REPORT RequestId: /);
  });
});

describe('environments that never become ready', () => {
  it('a bootstrap that never calls /next: the init limit, a retry under the function timeout, both killed with their children', async () => {
    const spec = makeSpec('provided-sleeps', { runtime: 'provided', handler: 'x', timeoutSec: 1 });
    const req = makeRequest(spec, { wantLog: true });
    const o = await pool.invoke(req);
    // §3.8: the 1.5 s init limit, then the retry inside the invoke under Timeout (1 s).
    expect(errorOf(o)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${req.requestId} Error: Task timed out after 1.00 seconds`,
    });
    expect(o.durationMs).toBeGreaterThanOrEqual(2500);
    expect(o.log).toMatch(
      // The 1.5 s limit, and however late its timer fired on a loaded machine.
      /^INIT_START .*\nINIT_REPORT Init Duration: 1[5-9]\d\d\.\d\d ms\tPhase: init\tStatus: timeout\n/,
    );
    expect(o.log).toMatch(
      /\nINIT_REPORT Init Duration: 1\d\d\d\.\d\d ms\tPhase: invoke\tStatus: timeout\nEND /,
    );
    expect(o.log).toMatch(/Status: timeout\n$/);
  });

  it("a function's own init limit (SCF's InitTimeout) has no retry", async () => {
    const spec = makeSpec('provided-sleeps', {
      runtime: 'provided',
      handler: 'x',
      functionName: 'own-limit',
      initTimeoutSec: 1,
    });
    const req = makeRequest(spec);
    const o = await pool.invoke(req);
    expect(errorOf(o)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${req.requestId} Error: Init timed out after 1.00 seconds`,
    });
    expect(o.durationMs).toBeLessThan(2500);
  });

  it('a bootstrap that is not executable: Runtime.InvalidEntrypoint', async () => {
    const spec = makeSpec('provided-noexec', { runtime: 'provided.al2', handler: 'x' });
    const req = makeRequest(spec);
    expect(errorOf(await pool.invoke(req))).toEqual({
      errorType: 'Runtime.InvalidEntrypoint',
      errorMessage: `RequestId: ${req.requestId} Error: fork/exec ${spec.codeDir}/bootstrap: permission denied`,
    });
  });

  it('a custom runtime that reports init/error: its body, verbatim', async () => {
    const spec = makeSpec('provided-node', {
      runtime: 'provided',
      handler: 'x',
      environment: { INIT_FAIL: '1' },
      functionName: 'init-fail',
    });
    const o = await pool.invoke(makeRequest(spec));
    expect(o.payload.toString()).toBe(
      '{"errorType":"Custom.InitFailure","errorMessage":"custom init failed"}',
    );
    expect(o.kind === 'function-error' && o.errorType).toBe('Custom.InitFailure');
  });

  it('a runtime hearth does not have', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('echo', { runtime: 'ruby3.3', functionName: 'rb' })));
    expect(o.kind === 'function-error' && o.errorType).toBe('Runtime.InvalidEntrypoint');
  });
});
