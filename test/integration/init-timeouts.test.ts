/**
 * Inits that never end, through the official clients (issue 13 item 7; src/pool/init-limits.ts):
 *   - AWS on-demand: the init limit, then one retry inside the invoke under the function's
 *     Timeout; the answer is Sandbox.Timedout with that Timeout, the log has both
 *     INIT_REPORT lines (Phase: init, Phase: invoke);
 *   - a retry that completes leaves the invocation what is left of its Timeout;
 *   - provisioned: StatusReason says why while the pool retries, FAILED after the last attempt;
 *   - SCF: a function's own InitTimeout bounds its init (433), and the provisioned config's
 *     StatusReason says why.
 * The limits are scaled down by settings (AWS's 10 s and 130 s are the defaults).
 */
import {
  CreateFunctionCommand,
  type Runtime,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../helpers/platform.js';
import { startScfPlatform, until, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
// A custom runtime that never asks for work: its init never ends.
const NEVER_READY = { bootstrap: { data: '#!/bin/sh\nexec sleep 1000\n', mode: 0o755 } };
// A module whose loading never ends (asleep, not spinning).
const NEVER_LOADS = `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1e6);
exports.main_handler = async () => 'never';`;
// Ready after 1.2 s: past the (scaled-down) init limit, within its Timeout.
const SLOW_INIT = {
  'index.mjs': `await new Promise((r) => setTimeout(r, 1200));
export const handler = async (_e, context) => ({ left: context.getRemainingTimeInMillis() });`,
};

let p: ScfTestPlatform;

beforeAll(async () => {
  p = await startScfPlatform({ onDemandInitTimeoutMs: 700, provisionedInitTimeoutMs: 700 });
  const create = async (
    name: string,
    runtime: Runtime,
    files: Parameters<typeof makeZip>[0],
    timeout: number,
  ) =>
    p.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Role: ROLE,
        Handler: runtime.startsWith('provided') ? 'x' : 'index.handler',
        Timeout: timeout,
        Code: { ZipFile: await makeZip(files) },
      }),
    );
  await create('never-ready', 'provided.al2023', NEVER_READY, 1);
  await create('slow-init', 'nodejs20.x', SLOW_INIT, 5);
});

afterAll(() => p.dispose());

describe('AWS on-demand: the init limit, then a retry inside the invoke', () => {
  it('answers Sandbox.Timedout with the function Timeout, and logs both INIT_REPORT lines', async () => {
    const started = performance.now();
    const out = await p.client.send(new InvokeCommand({ FunctionName: 'never-ready', LogType: 'Tail' }));
    const took = performance.now() - started;
    expect(out.FunctionError).toBe('Unhandled');
    const body = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as Record<string, string>;
    expect(body).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(
        /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/,
      ),
    });
    // 0.7 s of init, then the retry's 1 s.
    expect(took).toBeGreaterThanOrEqual(1700);
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString();
    expect(log).toMatch(/INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: timeout\n/);
    expect(log).toMatch(
      /START RequestId: .*\n[\s\S]*INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: invoke\tStatus: timeout\nEND RequestId: .*\nREPORT RequestId: .*Status: timeout\n$/,
    );
  });

  it('a retry that completes runs the invocation with what is left of its Timeout', async () => {
    const out = await p.client.send(new InvokeCommand({ FunctionName: 'slow-init' }));
    expect(out.FunctionError).toBeUndefined();
    const { left } = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { left: number };
    // 5 s minus the retried init's 1.2 s (and then some).
    expect(left).toBeLessThanOrEqual(5000 - 1200);
    expect(left).toBeGreaterThan(1000);
  });
});

describe('AWS provisioned: StatusReason while retrying, then FAILED', () => {
  it('says the init timed out, then FAILED with FUNCTION_ERROR_INIT_FAILURE', async () => {
    const v = await p.client.send(new PublishVersionCommand({ FunctionName: 'never-ready' }));
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'never-ready',
        Qualifier: v.Version,
        ProvisionedConcurrentExecutions: 1,
      }),
    );
    const get = () =>
      p.client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'never-ready', Qualifier: v.Version }),
      );
    const retrying = await until('a StatusReason while IN_PROGRESS', async () => {
      const c = await get();
      return c.Status === 'IN_PROGRESS' && c.StatusReason !== undefined ? c : undefined;
    });
    // max(0.7 s, Timeout 1 s) = 1 s.
    expect(retrying.StatusReason).toMatch(
      /^Init attempt [1-5] of 6 failed: the runtime did not become ready within the init limit of 1\.00 seconds \(INIT_REPORT Status: timeout\)\. Retrying\.$/,
    );
    const failed = await until('FAILED', async () => {
      const c = await get();
      return c.Status === 'FAILED' ? c : undefined;
    });
    expect(failed.StatusReason).toBe('FUNCTION_ERROR_INIT_FAILURE');
    expect(failed.AllocatedProvisionedConcurrentExecutions).toBe(0);
  });
});

describe("SCF: the function's own InitTimeout", () => {
  beforeAll(async () => {
    await p.scf.CreateFunction({
      FunctionName: 'scf-never-ready',
      Runtime: 'Nodejs18.15',
      Timeout: 3,
      InitTimeout: 1,
      Code: { ZipFile: await zipBase64({ 'index.js': NEVER_LOADS }) },
    });
    await until('Active', async () => {
      const f = await p.scf.GetFunction({ FunctionName: 'scf-never-ready' });
      return f.Status === 'Active' ? f : undefined;
    });
  });

  it('bounds the init: InvokeResult 433 and the init named, without a retry', async () => {
    const started = performance.now();
    const { Result } = await p.scf.Invoke({ FunctionName: 'scf-never-ready', LogType: 'Tail' });
    const took = performance.now() - started;
    expect(Result?.InvokeResult).toBe(433);
    expect(JSON.parse(Result?.ErrMsg ?? '')).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${Result?.FunctionRequestId ?? ''} Error: Init timed out after 1.00 seconds`,
    });
    expect(took).toBeLessThan(2900);
    expect(Result?.Log).toMatch(/INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: timeout\n/);
    expect(Result?.Log).not.toContain('Phase: invoke');
  });

  it('the provisioned config says why, retrying and once Failed', async () => {
    const v = await p.scf.PublishVersion({ FunctionName: 'scf-never-ready' });
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'scf-never-ready',
      Qualifier: v.FunctionVersion ?? '',
      VersionProvisionedConcurrencyNum: 1,
    });
    const item = async () =>
      (
        await p.scf.GetProvisionedConcurrencyConfig({
          FunctionName: 'scf-never-ready',
          Qualifier: v.FunctionVersion ?? '',
        })
      ).Allocated?.[0];
    const retrying = await until('InProgress with a reason', async () => {
      const i = await item();
      return i?.Status === 'InProgress' && i.StatusReason !== '' ? i : undefined;
    });
    expect(retrying.StatusReason).toMatch(/^Init attempt [1-5] of 6 failed: .*init limit of 1\.00 seconds/);
    const failed = await until('Failed', async () => {
      const i = await item();
      return i?.Status === 'Failed' ? i : undefined;
    });
    expect(failed.StatusReason).toBe(
      'FUNCTION_ERROR_INIT_FAILURE: the runtime did not become ready within the init limit of 1.00 seconds (INIT_REPORT Status: timeout)',
    );
  });
});
