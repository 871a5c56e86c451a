/**
 * The official Node.js runtime interface client (aws-lambda-ric 4.0.2, native part built)
 * against hearth's HTTP Runtime API (aws-lambda.md §5, §6): `node aws-lambda-ric/index.mjs`
 * as the environment's command.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const ricEntry = path.join(
  path.dirname(createRequire(import.meta.url).resolve('aws-lambda-ric/package.json')),
  'index.mjs',
);

describe('aws-lambda-ric over the HTTP Runtime API', () => {
  const pool = testPool({
    runtimeCommands: { 'nodejs22.x': { command: process.execPath, args: [ricEntry] } },
    // The client's POST /response then GET /next can be far apart on a loaded machine;
    // "serves provisioned concurrency" is about waiting for it, not about how long.
    finishingGraceMs: 30_000,
  });
  afterAll(() => pool.dispose());
  const spec = (handler: string, name = handler) =>
    makeSpec('ric-echo', {
      runtime: 'nodejs22.x',
      handler,
      functionName: `ric-${name.replace(/\W/g, '-')}`,
      version: '3',
    });

  it('runs a handler: event, context and environment as the client sees them', async () => {
    const s = spec('index.handler');
    const req = makeRequest(s, {
      event: { hi: 'there' },
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ric-index-handler:3',
    });
    const o = await pool.invoke(req);
    expect(o.kind).toBe('success');
    expect(json(o.payload)).toEqual({
      event: { hi: 'there' },
      functionName: 'ric-index-handler',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ric-index-handler:3',
      remainingPositive: true,
      initType: 'on-demand',
    });
    // Warm: the same environment answers again.
    const again = await pool.invoke(makeRequest(s, { event: 2 }));
    expect((json(again.payload) as { event: unknown }).event).toBe(2);
    expect(pool.environments().filter((e) => e.specKey === s.key)).toHaveLength(1);
  });

  it('forwards its error document verbatim (it sends no error-type header)', async () => {
    const o = await pool.invoke(makeRequest(spec('index.fails'), { wantLog: true }));
    expect(o.kind === 'function-error' && o.errorType).toBe('TypeError');
    const d = json(o.payload) as { errorType: string; errorMessage: string; trace: string[] };
    expect(d.errorType).toBe('TypeError');
    expect(d.errorMessage).toBe('ric boom');
    expect(d.trace[0]).toBe('TypeError: ric boom');
    expect(o.log).toContain('\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"ric boom"');
  });

  it('init errors: its init/error body, verbatim, and the environment is discarded', async () => {
    const missing = spec('nosuch.handler');
    const o = await pool.invoke(makeRequest(missing));
    expect(o.kind === 'function-error' && o.errorType).toBe('Runtime.ImportModuleError');
    expect((json(o.payload) as { errorMessage: string }).errorMessage).toMatch(
      /^Error: Cannot find module 'nosuch'/,
    );
    const notThere = await pool.invoke(makeRequest(spec('index.nothere')));
    expect(json(notThere.payload)).toMatchObject({
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.nothere is undefined or not exported',
    });
    expect(pool.environments().filter((e) => e.specKey === missing.key)).toHaveLength(0);
  });

  it('serves provisioned concurrency', async () => {
    const s = spec('index.handler', 'pc');
    pool.setProvisioned('ric#pc', s, 1);
    await new Promise<void>((resolve) => {
      const stop = pool.subscribe(() => {
        if (pool.provisionedStatus('ric#pc').status === 'READY') {
          stop();
          resolve();
        }
      });
    });
    // Back to back: each invoke waits for the environment that just answered to ask for
    // the next one, rather than spilling over to on-demand.
    for (let i = 0; i < 5; i++) {
      const o = await pool.invoke(makeRequest(s, { provisionedKey: 'ric#pc' }));
      expect((json(o.payload) as { initType: string }).initType).toBe('provisioned-concurrency');
    }
    expect(pool.environments().filter((e) => e.specKey === s.key)).toHaveLength(1);
  });
});
