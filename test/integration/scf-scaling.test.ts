/**
 * Utilisation tracking (ProvisionedType ConcurrencyUtilizationTracking, spec §3.4) end to
 * end: real environments, real load, the scaling loop on a shortened cadence (config
 * `scalingScaleOutPeriodMs`; Tencent's is 10 s). Scale-out must happen under load and
 * never pass MaxCapacity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScfPlatform, until, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';

// Busy long enough for the loop's samples to see it.
const SLOW = `exports.main_handler = async () => { await new Promise((r) => setTimeout(r, 1200)); return process.env.AWS_LAMBDA_INITIALIZATION_TYPE; };`;

let p: ScfTestPlatform;

beforeAll(async () => {
  p = await startScfPlatform({ scalingScaleOutPeriodMs: 300 });
  await p.scf.CreateFunction({
    FunctionName: 'tracked',
    Runtime: 'Nodejs18.15',
    Timeout: 10,
    Code: { ZipFile: await zipBase64({ 'index.js': SLOW }) },
  });
  await p.scf.PublishVersion({ FunctionName: 'tracked' });
});

afterAll(async () => {
  await p.dispose();
});

describe('ConcurrencyUtilizationTracking (spec §3.4)', () => {
  it('starts at MinCapacity, scales out under load and stays within MaxCapacity', async () => {
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'tracked',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 0,
      ProvisionedType: 'ConcurrencyUtilizationTracking',
      TrackingTarget: 0.5,
      MinCapacity: 1,
      MaxCapacity: 3,
    });
    const start = await until('MinCapacity ready', async () => {
      const item = (await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'tracked', Qualifier: '1' }))
        .Allocated?.[0];
      return item?.Status === 'Done' ? item : undefined;
    });
    expect(start).toMatchObject({
      AllocatedProvisionedConcurrencyNum: 1,
      AvailableProvisionedConcurrencyNum: 1,
      ProvisionedType: 'ConcurrencyUtilizationTracking',
      TrackingTarget: 0.5,
      MinCapacity: 1,
      MaxCapacity: 3,
    });

    // Keep three invocations in flight until the loop has scaled to the maximum.
    let loading = true;
    const seen: number[] = [];
    const worker = async () => {
      while (loading) {
        await p.scf.InvokeFunction({ FunctionName: 'tracked', Qualifier: '1' });
      }
    };
    const workers = [worker(), worker(), worker()];
    try {
      await until(
        'scale-out to MaxCapacity',
        async () => {
          const item = (
            await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'tracked', Qualifier: '1' })
          ).Allocated?.[0];
          seen.push(item?.AllocatedProvisionedConcurrencyNum ?? -1);
          return item?.AllocatedProvisionedConcurrencyNum === 3 ? item : undefined;
        },
        { timeoutMs: 25_000, intervalMs: 200 },
      );
    } finally {
      loading = false;
      await Promise.all(workers);
    }
    expect(Math.max(...seen)).toBeLessThanOrEqual(3);
    // The count only grew: scale-in waits for its (10-minute) window.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const done = await until('scaled instances ready', async () => {
      const item = (await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'tracked', Qualifier: '1' }))
        .Allocated?.[0];
      return item?.Status === 'Done' ? item : undefined;
    });
    expect(done).toMatchObject({
      AllocatedProvisionedConcurrencyNum: 3,
      AvailableProvisionedConcurrencyNum: 3,
    });
  }, 40_000);
});
