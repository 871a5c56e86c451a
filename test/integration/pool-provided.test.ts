/**
 * Custom runtimes (`provided`, `provided.al2`, `provided.al2023`): the package's executable
 * `bootstrap` speaking the HTTP Runtime API (aws-lambda.md §5.2, §5.6).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

describe('custom runtimes over the HTTP Runtime API', () => {
  // Runtimes that fork between their answer and their next /next (the shell one runs curl):
  // on a loaded machine that takes longer than the 100 ms an invoke waits for them by default.
  const pool = testPool({ finishingGraceMs: 30_000 });
  afterAll(() => pool.dispose());

  it('the AWS tutorial runtime in shell and curl', async () => {
    const spec = makeSpec('provided-shell', { runtime: 'provided.al2023', handler: 'upper' });
    const req = makeRequest(spec, { event: { say: 'hello' }, wantLog: true });
    const o = await pool.invoke(req);
    expect(o.kind).toBe('success');
    expect(json(o.payload)).toEqual({ SAY: 'HELLO' });
    expect(o.log).toContain(`shell saw ${req.requestId}`);
    const failed = await pool.invoke(makeRequest(spec, { event: { fail: true } }));
    expect(failed.kind === 'function-error' && failed.errorType).toBe('Function.Custom');
    expect(failed.payload.toString()).toBe('{"errorType":"Function.Custom","errorMessage":"asked to fail"}');
    // Both on one warm environment.
    expect(pool.environments().filter((e) => e.specKey === spec.key)).toHaveLength(1);
  });

  it('a Python bootstrap with the standard library only (issue 9): runs, errors and times out', async () => {
    const spec = makeSpec('provided-python', {
      runtime: 'provided.al2023',
      handler: 'fn.handler',
      timeoutSec: 1,
    });
    const ok = await pool.invoke(makeRequest(spec, { event: { a: 1 } }));
    expect(json(ok.payload)).toEqual({ handler: 'fn.handler', echo: { a: 1 } });
    const failed = await pool.invoke(makeRequest(spec, { event: { fail: true } }));
    expect(failed.kind === 'function-error' && failed.errorType).toBe('CustomError');
    expect(json(failed.payload)).toEqual({ errorMessage: 'asked to fail', errorType: 'CustomError' });
    const req = makeRequest(spec, { event: { sleep: 5 } });
    const late = await pool.invoke(req);
    expect(late.kind === 'function-error' && json(late.payload)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${req.requestId} Error: Task timed out after 1.00 seconds`,
    });
  });

  it('a Node bootstrap: the headers it receives (§5.3)', async () => {
    const spec = makeSpec('provided-node', { runtime: 'provided', handler: 'x', timeoutSec: 7 });
    const req = makeRequest(spec, {
      event: { a: 1 },
      traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1',
      clientContext: '{"client":{"app_title":"t"}}',
    });
    const before = Date.now();
    const o = await pool.invoke(req);
    const r = json(o.payload) as { headers: Record<string, string>; event: unknown };
    expect(r.event).toEqual({ a: 1 });
    expect(r.headers['lambda-runtime-aws-request-id']).toBe(req.requestId);
    expect(r.headers['lambda-runtime-invoked-function-arn']).toBe(req.invokedFunctionArn);
    expect(r.headers['lambda-runtime-trace-id']).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1');
    expect(r.headers['lambda-runtime-client-context']).toBe('{"client":{"app_title":"t"}}');
    const deadline = Number(r.headers['lambda-runtime-deadline-ms']);
    expect(deadline).toBeGreaterThanOrEqual(before + 7000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 7000);
  });

  it('a wrong request id is refused with 400 InvalidRequestID, the right one still answers', async () => {
    const spec = makeSpec('provided-node', {
      runtime: 'provided.al2',
      handler: 'x',
      functionName: 'wrong-id',
    });
    const o = await pool.invoke(makeRequest(spec, { event: { wrongId: true } }));
    expect(json(o.payload)).toEqual({
      wrongIdStatus: 400,
      wrongIdBody: { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' },
    });
  });
});

describe('between an answer and the next /next (HTTP runtimes)', () => {
  const pool = testPool();
  // The runtime's POST /response then GET /next can be far apart on a loaded machine: the
  // first test is about waiting for it, not about how long (the default grace is 100 ms).
  const patient = testPool({ finishingGraceMs: 30_000 });
  afterAll(() => patient.dispose());
  afterAll(() => pool.dispose());

  it('back-to-back invokes wait for the environment that just answered instead of starting another', async () => {
    const spec = makeSpec('provided-node', { runtime: 'provided', handler: 'x', functionName: 'b2b' });
    for (let i = 0; i < 10; i++) {
      expect((await patient.invoke(makeRequest(spec, { event: { i } }))).kind).toBe('success');
    }
    expect(patient.environments().filter((e) => e.specKey === spec.key)).toHaveLength(1);
  });

  it('…but not for long: a runtime slow to come back is not waited for', async () => {
    const spec = makeSpec('provided-node', {
      runtime: 'provided',
      handler: 'x',
      functionName: 'slow-next',
      timeoutSec: 10,
    });
    await pool.invoke(makeRequest(spec, { event: { warm: true } }));
    const a = await pool.invoke(makeRequest(spec, { event: { pauseMs: 3000 } }));
    expect(a.kind).toBe('success');
    const started = performance.now();
    const b = await pool.invoke(makeRequest(spec, { event: { b: 1 } }));
    expect(b.kind).toBe('success');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(pool.environments().filter((e) => e.specKey === spec.key)).toHaveLength(2);
  });

  it('the function timeout bounds the time to the next /next: the environment is reset, the answer stands', async () => {
    const spec = makeSpec('provided-node', {
      runtime: 'provided',
      handler: 'x',
      functionName: 'never-next',
      timeoutSec: 1,
    });
    const events: string[] = [];
    pool.subscribe((e) => {
      if (e.type === 'environment-dead' && e.specKey === spec.key) {
        events.push(e.cause);
      }
    });
    const o = await pool.invoke(makeRequest(spec, { event: { pauseMs: 5000 } }));
    expect(o.kind).toBe('success');
    await until(pool, () => events.length === 1);
    expect(events).toEqual(['timeout']);
  });
});
