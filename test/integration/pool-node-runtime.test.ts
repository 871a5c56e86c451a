/**
 * The bundled Node.js runtime client, driven through createPool with fixture functions,
 * over both of its channels (the private one and the HTTP Runtime API).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { InvocationOutcome } from '../../src/core/ports.js';
import { findOnPath } from '../../src/pool/launch.js';
import { json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

function errorDoc(o: InvocationOutcome): { errorType: string; errorMessage: string; trace?: string[] } {
  expect(o.kind).toBe('function-error');
  return json(o.payload) as { errorType: string; errorMessage: string; trace?: string[] };
}

describe.each(['private', 'http'] as const)('bundled Node.js runtime over the %s channel', (channel) => {
  const pool = testPool({ nodeChannel: channel });
  afterAll(() => pool.dispose());

  it('CommonJS async handler: returns the event', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('echo'), { event: { hello: 'wörld', n: [1, 2] } }));
    expect(o.kind).toBe('success');
    expect(json(o.payload)).toEqual({ hello: 'wörld', n: [1, 2] });
    expect(o.kind === 'success' && o.contentType).toBe('application/json');
  });

  it('ESM .mjs handler', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('esm-echo'), { event: { a: 1 } }));
    expect(json(o.payload)).toEqual({ esm: true, event: { a: 1 } });
  });

  it('ESM handler: evaluated once, with import.meta, and no warning for how it was loaded', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('esm-plain')));
    expect(json(o.payload)).toEqual({ initRuns: 1, metaUrl: true, warnings: [] });
  });

  it('ESM handler with top-level await: imported, each module of it evaluated once', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('esm-tla')));
    expect(json(o.payload)).toEqual({ loads: 1, initRuns: 1, waited: 'waited' });
  });

  it('.js under package.json "type": "module", in a subdirectory', async () => {
    const o = await pool.invoke(
      makeRequest(makeSpec('type-module', { handler: 'src/app.handler' }), { event: 7 }),
    );
    expect(json(o.payload)).toEqual({ module: 'esm', event: 7 });
  });

  it('Lambda context and environment (§5.5)', async () => {
    const spec = makeSpec('context-reporter', {
      version: '4',
      memoryMb: 256,
      timeoutSec: 5,
      environment: { USER_VAR: 'u' },
    });
    const req = makeRequest(spec, {
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:context-reporter:live',
      clientContext: '{"custom":{"k":"v"}}',
      traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    });
    const o = await pool.invoke(req);
    const r = json(o.payload) as Record<string, unknown> & {
      env: Record<string, string>;
      remainingMs: number;
    };
    expect(r).toMatchObject({
      awsRequestId: req.requestId,
      functionName: 'context-reporter',
      functionVersion: '4',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:context-reporter:live',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/context-reporter',
      callbackWaitsForEmptyEventLoop: true,
      clientContext: { custom: { k: 'v' } },
      traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      cwd: spec.codeDir,
    });
    expect(r.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[4\][0-9a-f]{32}$/);
    expect(r.remainingMs).toBeGreaterThan(3000);
    expect(r.remainingMs).toBeLessThanOrEqual(5000);
    expect(r.env).toMatchObject({
      USER_VAR: 'u',
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: spec.codeDir,
      AWS_LAMBDA_FUNCTION_NAME: 'context-reporter',
      AWS_LAMBDA_FUNCTION_VERSION: '4',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      TZ: ':UTC',
    });
    // A clean environment: nothing of the host's, nothing of hearth's private channel.
    expect(r.env.NODE_EXTRA_CA_CERTS).toBeUndefined();
    expect(r.env._HEARTH_RUNTIME_FD).toBeUndefined();
    expect(r.execArgv).toContain('--max-old-space-size=230');
  });

  it('console output in Lambda text format, captured per invocation with START/END/REPORT (§5.7)', async () => {
    const req = makeRequest(makeSpec('logger'), { wantLog: true });
    const o = await pool.invoke(req);
    expect(json(o.payload)).toBe('logged');
    const lines = (o.log ?? '').trimEnd().split('\n');
    const id = req.requestId;
    expect(lines[0]).toBe(`START RequestId: ${id} Version: $LATEST`);
    const body = lines
      .slice(1, -2)
      .map((l) => l.replace(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t/, 'TS\t'));
    expect(body).toEqual([
      `TS\t${id}\tINFO\thello { a: 1 }`,
      `TS\t${id}\tINFO\tinfo`,
      `TS\t${id}\tWARN\twarn`,
      `TS\t${id}\tERROR\terror`,
      `TS\t${id}\tDEBUG\tdebug`,
      `TS\t${id}\tINFO\ttwo\rlines`,
    ]);
    expect(lines.at(-2)).toBe(`END RequestId: ${id}`);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\t`,
      ),
    );
  });

  it('a thrown error is the error document {errorType, errorMessage, trace} (§5.4)', async () => {
    const req = makeRequest(makeSpec('error-thrower'), { event: { n: 1 }, wantLog: true });
    const o = await pool.invoke(req);
    const d = errorDoc(o);
    expect(d.errorType).toBe('TypeError');
    expect(d.errorMessage).toBe('boom 1');
    expect(d.trace?.[0]).toBe('TypeError: boom 1');
    expect(o.kind === 'function-error' && o.errorType).toBe('TypeError');
    expect(o.log).toContain(
      `\t${req.requestId}\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"boom 1"`,
    );
    expect(o.log).toContain('Status: error\tError Type: TypeError');
  });

  it('a thrown non-Error keeps its typeof as type', async () => {
    const d = errorDoc(
      await pool.invoke(makeRequest(makeSpec('error-thrower'), { event: { string: true } })),
    );
    expect(d).toEqual({ errorType: 'string', errorMessage: 'just a string', trace: [] });
  });

  it('callback handler: waits for the event loop by default, not with callbackWaitsForEmptyEventLoop=false', async () => {
    const spec = makeSpec('callback-handler');
    const waited = json((await pool.invoke(makeRequest(spec, { event: { timerMs: 150 } }))).payload) as {
      timerFired: boolean;
      waitedMs: number;
    };
    expect(waited.timerFired).toBe(true);
    expect(waited.waitedMs).toBeGreaterThanOrEqual(140);
    const quick = json(
      (await pool.invoke(makeRequest(spec, { event: { timerMs: 150, noWait: true } }))).payload,
    ) as { timerFired: boolean };
    expect(quick.timerFired).toBe(false);
    const failed = errorDoc(await pool.invoke(makeRequest(spec, { event: { fail: true, timerMs: 1 } })));
    expect(failed).toMatchObject({ errorType: 'Error', errorMessage: 'callback failure' });
  });

  it('a non-async handler that never calls back answers null', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('callback-handler', { handler: 'index.plain' })));
    expect(o.kind).toBe('success');
    expect(o.payload.toString()).toBe('null');
  });

  it('an uncaught exception during an invocation is its error, then the process exits', async () => {
    const spec = makeSpec('uncaught', { functionName: 'uncaught-throw' });
    const o = await pool.invoke(makeRequest(spec, { event: { throwLater: true } }));
    expect(errorDoc(o)).toMatchObject({ errorType: 'RangeError', errorMessage: 'thrown from a timer' });
    await until(pool, () => pool.environments().every((e) => e.specKey !== spec.key));
  });

  it('an unhandled rejection: Runtime.UnhandledPromiseRejection, then the process exits', async () => {
    const spec = makeSpec('uncaught', { functionName: 'uncaught-reject' });
    const o = await pool.invoke(makeRequest(spec, { event: { rejectLater: true } }));
    expect(errorDoc(o)).toMatchObject({
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'TypeError: nobody caught me',
    });
    await until(pool, () => pool.environments().every((e) => e.specKey !== spec.key));
  });

  it('warm reuse: init runs once per environment', async () => {
    const spec = makeSpec('init-type-reporter');
    const a = json((await pool.invoke(makeRequest(spec))).payload) as { pid: number; initAt: number };
    const b = json((await pool.invoke(makeRequest(spec))).payload) as { pid: number; initAt: number };
    expect(b).toEqual(a);
  });

  describe('init errors, reported on init/error as the official client does (§6)', () => {
    it.each([
      ['nosuch.handler', 'echo', 'Runtime.ImportModuleError', /^Error: Cannot find module 'nosuch'/],
      ['index.nothere', 'echo', 'Runtime.HandlerNotFound', /^index\.nothere is undefined or not exported$/],
      ['index', 'echo', 'Runtime.MalformedHandlerName', /^Bad handler$/],
      ['index.handler', 'syntax-error', 'Runtime.UserCodeSyntaxError', /^SyntaxError: /],
      ['index.handler', 'throw-in-init', 'Error', /^init went wrong$/],
    ])('%s in %s → %s', async (handler, fixture, errorType, message) => {
      const req = makeRequest(makeSpec(fixture, { handler, functionName: `${fixture}-${handler}` }), {
        wantLog: true,
      });
      const o = await pool.invoke(req);
      const d = errorDoc(o);
      expect(d.errorType).toBe(errorType);
      expect(d.errorMessage).toMatch(message);
      expect(o.kind === 'function-error' && o.errorType).toBe(errorType);
      expect(o.initializationType).toBe('on-demand');
      // The init output is part of the log tail.
      expect(o.log).toContain('\tundefined\tERROR\tUncaught Exception \t{');
    });

    it('a crash during init is Runtime.ExitError with the exit status', async () => {
      const req = makeRequest(makeSpec('crash-on-init'));
      expect(errorDoc(await pool.invoke(req))).toEqual({
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${req.requestId} Error: Runtime exited with error: exit status 3`,
      });
    });

    it('the failed environment is discarded; the next invoke tries init again', async () => {
      const spec = makeSpec('throw-in-init', { functionName: 'retry-init' });
      await pool.invoke(makeRequest(spec));
      await pool.invoke(makeRequest(spec));
      const dead = pool.environments().filter((e) => e.specKey === spec.key);
      expect(dead).toEqual([]);
    });
  });
});

/** The scheduling policy of a live process (proc(5): field 41 of /proc/<pid>/stat). */
function schedulingPolicy(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[38]);
}

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;
const chrt = findOnPath('chrt', process.env.PATH ?? '');

describe.skipIf(process.platform !== 'linux')(
  'scheduling of the bundled runtime (README "Scheduling")',
  () => {
    const batch = testPool({});
    const plain = testPool({ batchScheduling: false });
    afterAll(() => Promise.all([batch.dispose(), plain.dispose()]));

    it.skipIf(chrt === undefined)('runs under SCHED_BATCH when chrt is on the PATH', async () => {
      const o = await batch.invoke(makeRequest(makeSpec('init-type-reporter')));
      const { pid } = json(o.payload) as { pid: number };
      expect(schedulingPolicy(pid)).toBe(SCHED_BATCH);
    });

    it('runs under the default policy when told not to', async () => {
      const o = await plain.invoke(makeRequest(makeSpec('init-type-reporter')));
      const { pid } = json(o.payload) as { pid: number };
      expect(schedulingPolicy(pid)).toBe(SCHED_OTHER);
    });
  },
);

describe('a function log sink that throws', () => {
  const pool = testPool({
    onFunctionLog: () => {
      throw new Error('sink broke');
    },
  });
  afterAll(() => pool.dispose());

  it('costs the log line, not the invocation or the pool', async () => {
    const o = await pool.invoke(makeRequest(makeSpec('logger'), { event: { lines: 3 } }));
    expect(o.kind).toBe('success');
    const again = await pool.invoke(makeRequest(makeSpec('echo'), { event: { ok: true } }));
    expect(json(again.payload)).toEqual({ ok: true });
  });
});

describe('function log lines of an environment that serves a waiting invocation', () => {
  const entries: { environmentId: number; text: string }[] = [];
  const seen: { text: string; resolve: () => void }[] = [];
  const pool = testPool({
    onFunctionLog: (e) => {
      entries.push({ environmentId: e.environmentId, text: e.text });
      for (const w of seen.filter((x) => e.text.includes(x.text))) {
        w.resolve();
      }
    },
  });
  const logged = (text: string) =>
    new Promise<void>((resolve) => {
      if (entries.some((e) => e.text.includes(text))) {
        resolve();
      } else {
        seen.push({ text, resolve });
      }
    });
  afterAll(() => pool.dispose());

  it("closes one invocation (END, REPORT) before the next one's START", async () => {
    const spec = makeSpec('sleeper', { environment: { INIT_MS: '1500' } });
    await pool.invoke(makeRequest(spec, { event: { ms: 0 } }));
    // r1 holds the only environment; r2 waits for a second one to start, but takes the
    // first as soon as r1 has answered.
    const r1 = makeRequest(spec, { event: { ms: 300 } });
    const r2 = makeRequest(spec, { event: { ms: 0 } });
    const first = pool.invoke(r1);
    const second = pool.invoke(r2);
    const o1 = await first;
    const o2 = await second;
    expect(o1.kind).toBe('success');
    expect(o2.kind).toBe('success');
    expect(json(o2.payload)).toMatchObject({ pid: (json(o1.payload) as { pid: number }).pid });
    await logged(`REPORT RequestId: ${r2.requestId}`);
    const env = entries.find((e) => e.text.startsWith(`START RequestId: ${r1.requestId}`))?.environmentId;
    const lines = entries
      .filter((e) => e.environmentId === env)
      .flatMap((e) => e.text.split('\n'))
      .filter((l) => /^(START|END|REPORT) /.test(l))
      .map((l) => l.split('\t')[0]?.replace(/ Version: .*/, ''));
    const tail = lines.slice(-6);
    expect(tail).toEqual([
      `START RequestId: ${r1.requestId}`,
      `END RequestId: ${r1.requestId}`,
      `REPORT RequestId: ${r1.requestId}`,
      `START RequestId: ${r2.requestId}`,
      `END RequestId: ${r2.requestId}`,
      `REPORT RequestId: ${r2.requestId}`,
    ]);
  });
});
