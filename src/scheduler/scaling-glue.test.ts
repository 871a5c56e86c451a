/**
 * The scheduler's ScalingLoop driving core's ScalingService on fake time: a scheduled action
 * (spec §3.3) and utilisation tracking (spec §3.4, with a shortened cadence) change a
 * provisioned config's count through core. Core cannot import the scheduler (lint layers),
 * so the pairing is tested here, as create-platform composes it.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from '../core/scaling/scaling-policy.js';
import { scalingFixture } from '../core/scaling/testing.js';
import { ScalingLoop, type Timers } from './loop.js';

/** One-shot timers on a clock that moves only when told; settles promises between timers. */
function fakeTime(start: number) {
  let now = start;
  const queue: { at: number; fn: () => void; live: boolean }[] = [];
  const timers: Timers = {
    schedule(fn, delay) {
      const t = { at: now + delay, fn, live: true };
      queue.push(t);
      return () => {
        t.live = false;
      };
    },
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setImmediate(r));
    }
  };
  return {
    clock: { now: () => now },
    timers,
    async advanceTo(ms: number) {
      for (;;) {
        const due = queue.filter((t) => t.live && t.at <= ms).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) {
          now = ms;
          await settle();
          return;
        }
        due.live = false;
        now = due.at;
        due.fn();
        await settle();
      }
    },
  };
}

async function setup(timing?: { scaleOutPeriodMs: number; scaleInWindowMs: number }) {
  const { deps, pool, key, scaling, id } = await scalingFixture();
  const time = fakeTime(1000);
  const loop = new ScalingLoop({
    clock: time.clock,
    timers: time.timers,
    apply: (id, desired) => scaling.apply(id, desired),
    ...(timing === undefined ? {} : { timing }),
  });
  scaling.attach(loop);
  const requested = async () => (await deps.store.getProvisionedConfig(key, '1'))?.requested;
  return { pool, scaling, loop, time, key, requested, id };
}

describe('ScalingLoop × ScalingService', () => {
  it('sets the count to a scheduled action’s number when it fires', async () => {
    const s = await setup();
    const policy: ScalingPolicy = {
      requested: 2,
      configuredAtMs: 1000,
      scheduledActions: [
        { name: 'peak', provisionedNum: 5, schedule: { kind: 'once', expression: '5000', timeZone: 'UTC' } },
      ],
    };
    await s.scaling.configure(s.key, '1', policy);
    await s.time.advanceTo(4999);
    expect(await s.requested()).toBe(2);
    await s.time.advanceTo(5000);
    expect(await s.requested()).toBe(5);
    expect(s.pool.counts.get(s.id)).toBe(5);
    s.loop.stop();
  });

  it('scales out under load on the configured cadence, never past MaxCapacity', async () => {
    const s = await setup({ scaleOutPeriodMs: 500, scaleInWindowMs: 60_000 });
    await s.scaling.configure(s.key, '1', {
      requested: 0,
      configuredAtMs: 1000,
      scheduledActions: [],
      tracking: { targetUtilization: 0.5, min: 1, max: 3 },
    });
    await s.time.advanceTo(1000);
    expect(await s.requested()).toBe(1);
    // Saturated: each 500 ms tick wants ceil(busy instances / 0.5).
    s.pool.busy = 10;
    await s.time.advanceTo(1499);
    expect(await s.requested()).toBe(1);
    await s.time.advanceTo(1500);
    expect(await s.requested()).toBe(2);
    await s.time.advanceTo(2000);
    expect(await s.requested()).toBe(3);
    await s.time.advanceTo(5000);
    expect(await s.requested()).toBe(3);
    s.loop.stop();
  });
});
