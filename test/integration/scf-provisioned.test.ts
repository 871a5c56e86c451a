/**
 * Provisioned concurrency through tencentcloud-sdk-nodejs-scf (spec §3.2–3.5): the official
 * GetProvisionedConcurrencyConfig example reproduced against real provisioned versions, its
 * error table, an invoke landing on a pre-initialised instance, a scheduled action firing a
 * few seconds after it is set, MB quotas, and a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  scfFailure,
  startScfPlatform,
  until,
  zipBase64,
  type ScfClient,
  type ScfTestPlatform,
} from '../helpers/scf.js';

// Reports how its environment was initialised (AWS_LAMBDA_INITIALIZATION_TYPE, set by the pool).
const SOURCE = `exports.main_handler = async () => ({ type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, pid: process.pid });`;

let p: ScfTestPlatform;

async function waitDone(client: ScfClient, fn: string, qualifier: string, allocated?: number) {
  return until(`${fn}:${qualifier} Done${allocated === undefined ? '' : ` with ${allocated}`}`, async () => {
    const got = await client.GetProvisionedConcurrencyConfig({ FunctionName: fn, Qualifier: qualifier });
    const item = got.Allocated?.[0];
    const ready =
      item?.Status === 'Done' &&
      (allocated === undefined || item.AllocatedProvisionedConcurrencyNum === allocated);
    return ready ? got : undefined;
  });
}

/** TriggerCronConfig firing once, `inMs` from now, in Asia/Shanghai (the default zone, spec §3.3). */
function oneShotCron(inMs: number): string {
  const at = new Date(Math.ceil((Date.now() + inMs) / 1000) * 1000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  ) as Record<string, string>;
  return `${Number(parts.second)} ${Number(parts.minute)} ${Number(parts.hour)} ${parts.day} ${parts.month} * ${parts.year}`;
}

beforeAll(async () => {
  // 312960 MB makes UnallocatedConcurrencyNum come out as the official example's 2343.
  p = await startScfPlatform({ scfTotalConcurrencyMemLimit: 400_000 });
  await p.scf.CreateFunction({
    FunctionName: 'hello',
    Runtime: 'Nodejs18.15',
    Code: { ZipFile: await zipBase64({ 'index.js': SOURCE }) },
  });
  await p.scf.PublishVersion({ FunctionName: 'hello' });
  await p.scf.UpdateFunctionCode({
    FunctionName: 'hello',
    ZipFile: await zipBase64({ 'index.js': `${SOURCE}\n// v2` }),
    Publish: 'TRUE',
  });
  await p.scf.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 312_960 });
});

afterAll(async () => {
  await p.dispose();
});

describe('GetProvisionedConcurrencyConfig (spec §3.2 official example)', () => {
  it('reports two provisioned versions exactly as the example does', async () => {
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'hello',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 1,
      Namespace: 'default',
    });
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'hello',
      Qualifier: '2',
      VersionProvisionedConcurrencyNum: 1,
      TriggerActions: [
        {
          TriggerName: 'timer-1',
          TriggerProvisionedConcurrencyNum: 1,
          TriggerCronConfig: '30 42 15 20 12 * 2024',
          ProvisionedType: 'Default',
        },
      ],
    });
    await waitDone(p.scf, 'hello', '1');
    await waitDone(p.scf, 'hello', '2');
    const { RequestId, ...got } = await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'hello' });
    expect(RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(got).toEqual({
      UnallocatedConcurrencyNum: 2343,
      Allocated: [
        {
          Qualifier: '1',
          AvailableProvisionedConcurrencyNum: 1,
          AllocatedProvisionedConcurrencyNum: 1,
          Status: 'Done',
          StatusReason: '',
          TriggerActions: [],
        },
        {
          Qualifier: '2',
          AvailableProvisionedConcurrencyNum: 1,
          AllocatedProvisionedConcurrencyNum: 1,
          Status: 'Done',
          StatusReason: '',
          TriggerActions: [
            {
              TriggerName: 'timer-1',
              ProvisionedType: 'Default',
              TriggerProvisionedConcurrencyNum: 1,
              TriggerCronConfig: '30 42 15 20 12 * 2024',
            },
          ],
        },
      ],
    });
  });

  it('lands invokes of a Done version on a pre-initialised instance', async () => {
    await waitDone(p.scf, 'hello', '1');
    const out = await p.scf.InvokeFunction({ FunctionName: 'hello', Qualifier: '1' });
    expect(JSON.parse(out.Result?.RetMsg ?? '{}')).toMatchObject({ type: 'provisioned-concurrency' });
    expect(out.Result).toMatchObject({ ErrMsg: '', InvokeResult: 0 });
    const latest = await p.scf.Invoke({ FunctionName: 'hello' });
    expect(JSON.parse(latest.Result?.RetMsg ?? '{}')).toMatchObject({ type: 'on-demand' });
  });

  it.each([
    ['an unknown function', { FunctionName: 'nope', Qualifier: '1' }, 'ResourceNotFound.Function'],
    [
      'an unknown namespace',
      { FunctionName: 'hello', Qualifier: '1', Namespace: 'ghost' },
      'ResourceNotFound.Namespace',
    ],
    ['an unknown version', { FunctionName: 'hello', Qualifier: '42' }, 'ResourceNotFound.Version'],
    ['$LATEST', { FunctionName: 'hello', Qualifier: '$LATEST' }, 'InvalidParameterValue.Qualifier'],
    ['no FunctionName', { Qualifier: '1' }, 'MissingParameter'],
  ])('Get answers %s with %s', async (_what, req, code) => {
    const err = await scfFailure(p.scf.GetProvisionedConcurrencyConfig(req as never));
    expect(err.code).toBe(code);
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    [
      '$LATEST',
      { FunctionName: 'hello', Qualifier: '$LATEST', VersionProvisionedConcurrencyNum: 1 },
      'InvalidParameterValue.Qualifier',
    ],
    ['no Qualifier', { FunctionName: 'hello', VersionProvisionedConcurrencyNum: 1 }, 'MissingParameter'],
    ['no VersionProvisionedConcurrencyNum', { FunctionName: 'hello', Qualifier: '1' }, 'MissingParameter'],
    [
      'an unknown version',
      { FunctionName: 'hello', Qualifier: '42', VersionProvisionedConcurrencyNum: 1 },
      'ResourceNotFound.Version',
    ],
    [
      'a string count',
      { FunctionName: 'hello', Qualifier: '1', VersionProvisionedConcurrencyNum: '1' },
      'InvalidParameter',
    ],
  ])('Put answers %s with %s', async (_what, req, code) => {
    expect((await scfFailure(p.scf.PutProvisionedConcurrencyConfig(req as never))).code).toBe(code);
  });
});

describe('scheduled provisioned concurrency (spec §3.3)', () => {
  it('sets the version to the action’s number when its cron fires', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'timed',
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: await zipBase64({ 'index.js': SOURCE }) },
    });
    await p.scf.PublishVersion({ FunctionName: 'timed' });
    const cron = oneShotCron(4000);
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'timed',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 1,
      TriggerActions: [{ TriggerName: 'soon', TriggerProvisionedConcurrencyNum: 2, TriggerCronConfig: cron }],
    });
    const before = await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'timed', Qualifier: '1' });
    expect(before.Allocated?.[0]?.AllocatedProvisionedConcurrencyNum).toBe(1);
    const after = await waitDone(p.scf, 'timed', '1', 2);
    expect(after.Allocated?.[0]).toMatchObject({
      AvailableProvisionedConcurrencyNum: 2,
      TriggerActions: [{ TriggerName: 'soon', TriggerProvisionedConcurrencyNum: 2, TriggerCronConfig: cron }],
    });
  }, 30_000);

  it('a version provisioned at 0 until its schedule fires is Done with 0 of 0, not in progress', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'later',
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: await zipBase64({ 'index.js': SOURCE }) },
    });
    await p.scf.PublishVersion({ FunctionName: 'later' });
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'later',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 0,
      TriggerActions: [
        { TriggerName: 'night', TriggerProvisionedConcurrencyNum: 2, TriggerCronConfig: '0 0 3 * * * *' },
      ],
    });
    const got = await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'later', Qualifier: '1' });
    expect(got.Allocated?.[0]).toMatchObject({
      AllocatedProvisionedConcurrencyNum: 0,
      AvailableProvisionedConcurrencyNum: 0,
      Status: 'Done',
    });
  });

  it('keeps the fired state and the actions across a restart', async () => {
    p = await p.restart();
    const got = await waitDone(p.scf, 'timed', '1', 2);
    expect(got.Allocated?.[0]?.TriggerActions).toHaveLength(1);
    // The past one-time action of version 2 does not fire again after the restart.
    expect(
      (await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'hello', Qualifier: '2' })).Allocated?.[0]
        ?.AllocatedProvisionedConcurrencyNum,
    ).toBe(1);
  }, 30_000);
});

describe('MB quotas (spec §3.5)', () => {
  it('refuses provisioned concurrency beyond the reserved quota and throttles a 0 reservation', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'capped',
      Runtime: 'Nodejs18.15',
      MemorySize: 256,
      Code: { ZipFile: await zipBase64({ 'index.js': SOURCE }) },
    });
    await p.scf.PublishVersion({ FunctionName: 'capped' });
    await p.scf.PutReservedConcurrencyConfig({ FunctionName: 'capped', ReservedConcurrencyMem: 512 });
    expect((await p.scf.GetReservedConcurrencyConfig({ FunctionName: 'capped' })).ReservedMem).toBe(512);
    const over = await scfFailure(
      p.scf.PutProvisionedConcurrencyConfig({
        FunctionName: 'capped',
        Qualifier: '1',
        VersionProvisionedConcurrencyNum: 3,
      }),
    );
    expect(over.code).toBe('FailedOperation.ProvisionedExceedReserved');
    expect(
      (await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'capped' })).UnallocatedConcurrencyNum,
    ).toBe(2);
    await p.scf.PutReservedConcurrencyConfig({ FunctionName: 'capped', ReservedConcurrencyMem: 0 });
    expect((await scfFailure(p.scf.InvokeFunction({ FunctionName: 'capped' }))).code).toBe(
      'LimitExceeded.Quota',
    );
    await p.scf.DeleteReservedConcurrencyConfig({ FunctionName: 'capped' });
    expect((await p.scf.InvokeFunction({ FunctionName: 'capped' })).Result?.InvokeResult).toBe(0);
  });

  it('reports usage in GetAccount', async () => {
    const account = await p.scf.GetAccount();
    expect(account.AccountUsage).toMatchObject({ TotalConcurrencyMem: 312_960, NamespacesCount: 1 });
    const ns = account.AccountUsage?.Namespace?.[0];
    expect(ns?.Functions).toEqual(expect.arrayContaining(['hello', 'timed', 'capped']));
    expect(ns?.TotalAllocatedProvisionedMem).toBe(4 * 128);
  });
});
