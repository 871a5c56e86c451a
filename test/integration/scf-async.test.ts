/**
 * SCF's asynchronous side through tencentcloud-sdk-nodejs-scf (issue 13): `Invoke` with
 * `InvocationType: Event` feeds the durable queue; the async retry config
 * (Get/UpdateFunctionEventInvokeConfig) and the async events (ListAsyncEvents,
 * GetAsyncEventStatus, TerminateAsyncEvent).
 */
import { GetFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scfFailure, startScfPlatform, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';

const SOURCE = `exports.main_handler = async (event) => {
  if (event.sleepMs) { await new Promise((r) => setTimeout(r, event.sleepMs)); }
  if (event.fail) { throw new Error('asked to fail'); }
  return { ok: true };
};`;

let p: ScfTestPlatform;

beforeAll(async () => {
  p = await startScfPlatform();
  await p.scf.CreateFunction({
    FunctionName: 'worker',
    Runtime: 'Nodejs18.15',
    Handler: 'index.main_handler',
    Code: { ZipFile: await zipBase64({ 'index.js': SOURCE }) },
  });
});

afterAll(async () => {
  await p.dispose();
});

async function invokeAsync(event: Record<string, unknown>): Promise<string> {
  const res = await p.scf.Invoke({
    FunctionName: 'worker',
    InvocationType: 'Event',
    ClientContext: JSON.stringify(event),
  });
  expect(res.Result?.RetMsg).toBeNull();
  return res.Result?.FunctionRequestId ?? '';
}

describe('async retry config', () => {
  it("reports the defaults, then what Update set; refuses values beyond the account's limits", async () => {
    expect((await p.scf.GetFunctionEventInvokeConfig({ FunctionName: 'worker' })).AsyncTriggerConfig).toEqual(
      {
        RetryConfig: [{ RetryNum: 2 }],
        MsgTTL: 21600,
      },
    );
    await p.scf.UpdateFunctionEventInvokeConfig({
      FunctionName: 'worker',
      AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 0 }], MsgTTL: 3600 },
    });
    expect(
      (await p.scf.GetFunctionEventInvokeConfig({ FunctionName: 'worker', Qualifier: '$LATEST' }))
        .AsyncTriggerConfig,
    ).toEqual({ RetryConfig: [{ RetryNum: 0 }], MsgTTL: 3600 });
    expect(
      await scfFailure(
        p.scf.UpdateFunctionEventInvokeConfig({
          FunctionName: 'worker',
          AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 3 }], MsgTTL: 3600 },
        }),
      ),
    ).toMatchObject({ code: 'LimitExceeded.RetryNum' });
    expect(
      await scfFailure(
        p.scf.UpdateFunctionEventInvokeConfig({
          FunctionName: 'worker',
          AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 1 }], MsgTTL: 59 },
        }),
      ),
    ).toMatchObject({ code: 'LimitExceeded.MsgTTL' });
    expect(
      await scfFailure(
        p.scf.UpdateFunctionEventInvokeConfig({
          FunctionName: 'missing',
          AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 1 }], MsgTTL: 60 },
        }),
      ),
    ).toMatchObject({ code: 'ResourceNotFound.Function' });
    // The same config through the AWS dialect: one queue, one config.
    const aws = await p.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'worker' }));
    expect(aws).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 3600 });
  });
});

describe('async events', () => {
  it('lists events and their status: FINISHED, FAILED (no retries), ABORTED', async () => {
    const ok = await invokeAsync({});
    const bad = await invokeAsync({ fail: true });
    await p.platform.core.events.idle();
    expect((await p.scf.GetAsyncEventStatus({ InvokeRequestId: ok })).Result).toEqual({
      Status: 'FINISHED',
      StatusCode: 200,
      InvokeRequestId: ok,
    });
    expect((await p.scf.GetAsyncEventStatus({ InvokeRequestId: bad })).Result?.Status).toBe('FAILED');

    // A long one is terminated while it runs: no retry, ABORTED.
    const slow = await invokeAsync({ sleepMs: 1500, fail: true });
    expect((await p.scf.GetAsyncEventStatus({ InvokeRequestId: slow })).Result).toMatchObject({
      Status: 'RUNNING',
      StatusCode: 0,
    });
    await p.scf.TerminateAsyncEvent({ FunctionName: 'worker', InvokeRequestId: slow });
    await p.platform.core.events.idle();
    expect((await p.scf.GetAsyncEventStatus({ InvokeRequestId: slow })).Result?.Status).toBe('ABORTED');
    expect(
      await scfFailure(p.scf.TerminateAsyncEvent({ FunctionName: 'worker', InvokeRequestId: slow })),
    ).toMatchObject({ code: 'FailedOperation.AsyncEventStatus' });
    expect(
      await scfFailure(p.scf.TerminateAsyncEvent({ FunctionName: 'worker', InvokeRequestId: 'nope' })),
    ).toMatchObject({ code: 'ResourceNotFound.AsyncEvent' });
    expect(await scfFailure(p.scf.GetAsyncEventStatus({ InvokeRequestId: 'nope' }))).toMatchObject({
      code: 'ResourceNotFound.AsyncEvent',
    });

    const all = await p.scf.ListAsyncEvents({ FunctionName: 'worker' });
    expect(all.TotalCount).toBe(3);
    // Newest first by default.
    expect(all.EventList?.map((e) => e.InvokeRequestId)).toEqual([slow, bad, ok]);
    expect(all.EventList?.[2]).toMatchObject({
      InvokeType: 'API',
      Qualifier: '$LATEST',
      Status: 'FINISHED',
      StartTime: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/) as unknown,
      EndTime: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/) as unknown,
    });
    const failed = await p.scf.ListAsyncEvents({ FunctionName: 'worker', Status: ['FAILED', 'ABORTED'] });
    expect(failed.EventList?.map((e) => e.InvokeRequestId)).toEqual([slow, bad]);
    const page = await p.scf.ListAsyncEvents({ FunctionName: 'worker', Order: 'ASC', Offset: 1, Limit: 1 });
    expect(page).toMatchObject({ TotalCount: 3, EventList: [{ InvokeRequestId: bad }] });
    const one = await p.scf.ListAsyncEvents({ FunctionName: 'worker', InvokeRequestId: ok });
    expect(one.EventList?.map((e) => e.InvokeRequestId)).toEqual([ok]);
    const none = await p.scf.ListAsyncEvents({
      FunctionName: 'worker',
      StartTimeInterval: { Start: '2000-01-01 00:00:00', End: '2000-01-02 00:00:00' },
    });
    expect(none.TotalCount).toBe(0);
  });

  it('refuses an async event over 128 KB', async () => {
    const err = await scfFailure(
      p.scf.Invoke({
        FunctionName: 'worker',
        InvocationType: 'Event',
        ClientContext: JSON.stringify({ pad: 'x'.repeat(128 * 1024) }),
      }),
    );
    expect(err.code).toBe('InvalidParameter.RequestTooLarge');
  });
});
