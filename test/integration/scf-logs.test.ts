/**
 * SCF GetFunctionLogs through tencentcloud-sdk-nodejs-scf: one FunctionLog per invocation,
 * read from the same log store as the CloudWatch Logs API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scfFailure, startScfPlatform, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';

let p: ScfTestPlatform;

beforeAll(async () => {
  p = await startScfPlatform();
  await p.scf.CreateFunction({
    FunctionName: 'logged',
    Runtime: 'Nodejs18.15',
    Handler: 'index.main_handler',
    Code: {
      ZipFile: await zipBase64({
        'index.js': `exports.main_handler = async (event) => {
          console.log('working on', event.n);
          if (event.fail) { throw new Error('asked to fail'); }
          return 'done';
        };`,
      }),
    },
  });
  for (;;) {
    const f = await p.scf.GetFunction({ FunctionName: 'logged' });
    if (f.Status === 'Active') {
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  await p.dispose();
});

describe('GetFunctionLogs', () => {
  it('returns each invocation with its lines, duration and memory, filtered and ordered', async () => {
    const ok = await p.scf.Invoke({ FunctionName: 'logged', ClientContext: '{"n":1}' });
    const bad = await p.scf.Invoke({ FunctionName: 'logged', ClientContext: '{"n":2,"fail":true}' });
    const okId = ok.Result?.FunctionRequestId ?? '';
    const badId = bad.Result?.FunctionRequestId ?? '';
    const all = await p.scf.GetFunctionLogs({ FunctionName: 'logged' });
    expect(all.TotalCount).toBe(2);
    // Newest first by default.
    expect(all.Data?.map((d) => d.RequestId)).toEqual([badId, okId]);
    const first = all.Data?.[1];
    expect(first).toMatchObject({ FunctionName: 'logged', RetCode: 0, InvokeFinished: 1 });
    expect(first?.Log).toMatch(new RegExp(`^START RequestId: ${okId} Version: \\$LATEST\\n`));
    expect(first?.Log).toContain('working on 1');
    expect(first?.Log).toMatch(new RegExp(`\\nREPORT RequestId: ${okId}\\t`));
    expect(first?.Duration).toBeGreaterThan(0);
    expect(first?.MemUsage).toBeGreaterThan(0);
    expect(first?.StartTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const failed = await p.scf.GetFunctionLogs({ FunctionName: 'logged', Filter: { RetCode: 'not0' } });
    expect(failed.Data?.map((d) => d.RequestId)).toEqual([badId]);
    expect(failed.Data?.[0]?.RetCode).not.toBe(0);
    const one = await p.scf.GetFunctionLogs({ FunctionName: 'logged', FunctionRequestId: okId });
    expect(one.TotalCount).toBe(1);
    const asc = await p.scf.GetFunctionLogs({ FunctionName: 'logged', Order: 'asc', Limit: 1 });
    expect(asc.TotalCount).toBe(2);
    expect(asc.Data?.map((d) => d.RequestId)).toEqual([okId]);
  });

  it("answers SCF's errors", async () => {
    expect((await scfFailure(p.scf.GetFunctionLogs({ FunctionName: 'missing' }))).code).toBe(
      'ResourceNotFound.Function',
    );
    expect((await scfFailure(p.scf.GetFunctionLogs({ FunctionName: 'logged', Order: 'up' }))).code).toBe(
      'InvalidParameterValue.Order',
    );
    expect(
      (await scfFailure(p.scf.GetFunctionLogs({ FunctionName: 'logged', Offset: 9999, Limit: 2 }))).code,
    ).toBe('LimitExceeded.Offset');
    expect(
      (await scfFailure(p.scf.GetFunctionLogs({ FunctionName: 'logged', StartTime: 'yesterday' }))).code,
    ).toBe('InvalidParameterValue.DateTime');
  });
});
