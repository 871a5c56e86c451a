import { describe, expect, it } from 'vitest';
import type { DeciderSpec, Decision, FireSchedule } from './decider.js';
import { ScalingLoop, type ScalingTarget } from './loop.js';
import { FAKE_T0, FakeTime } from './testing/fake-time.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const t0 = FAKE_T0;

/** Lets settled promises run their callbacks (no time passes). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function daily(timeOfDayMs: number): FireSchedule {
  const k = (at: number): number => Math.floor((at - t0 - timeOfDayMs) / DAY);
  return {
    lastFireAtOrBefore: (at) => t0 + timeOfDayMs + k(at) * DAY,
    nextFireAfter: (after) => t0 + timeOfDayMs + (k(after) + 1) * DAY,
  };
}

function once(atMs: number): FireSchedule {
  return {
    lastFireAtOrBefore: (at) => (at >= atMs ? atMs : undefined),
    nextFireAfter: (after) => (after < atMs ? atMs : undefined),
  };
}

/** A loop on fake time whose `apply` records (offset from t0, target, desired, reason). */
function harness(apply?: (id: string, desired: number, d: Decision) => void | Promise<void>) {
  const time = new FakeTime();
  const calls: { at: number; id: string; desired: number; reason: string }[] = [];
  const errors: { at: number; id: string; error: unknown }[] = [];
  const loop = new ScalingLoop({
    clock: time,
    timers: time,
    apply: (id, desired, d) => {
      calls.push({ at: time.now() - t0, id, desired, reason: d.reason });
      return apply?.(id, desired, d);
    },
    onError: (id, error) => errors.push({ at: time.now() - t0, id, error }),
  });
  return { time, calls, errors, loop };
}

const target = (spec: DeciderSpec, extra: Partial<ScalingTarget> = {}): ScalingTarget => ({
  id: 'fn/1',
  spec,
  configuredAtMs: t0,
  currentDesired: 0,
  ...extra,
});

describe('ScalingLoop', () => {
  it('follows a schedule day by day, waking only around fires', () => {
    const { time, calls, loop } = harness();
    loop.register(
      target({
        requested: 5,
        scheduledActions: [
          { name: 'morning', schedule: daily(6 * HOUR), provisionedNum: 30 },
          { name: 'peak', schedule: daily(10 * HOUR), provisionedNum: 80 },
          { name: 'night', schedule: daily(0), provisionedNum: 0 },
        ],
      }),
    );
    expect(calls).toEqual([]); // register never applies synchronously
    time.advanceTo(t0 + 2 * DAY - 1);
    expect(calls.map(({ at, desired }) => [at / HOUR, desired])).toEqual([
      [0, 5],
      [6, 30],
      [10, 80],
      [24, 0],
      [30, 30],
      [34, 80],
    ]);
    expect(time.pendingTimers).toBe(1);
  });

  it('applies a one-time action weeks away exactly on time, in hops under the timer limit', () => {
    const { time, calls, loop } = harness();
    const launch = t0 + 40 * DAY + 15 * HOUR + 42 * MIN + 30 * SEC;
    loop.register(
      target({
        requested: 1,
        scheduledActions: [{ name: 'launch', schedule: once(launch), provisionedNum: 9 }],
      }),
    );
    time.advanceTo(t0 + 60 * DAY);
    expect(calls).toEqual([
      { at: 0, id: 'fn/1', desired: 1, reason: 'static' },
      { at: launch - t0, id: 'fn/1', desired: 9, reason: 'scheduled' },
    ]);
    // Nothing left to wait for.
    expect(time.pendingTimers).toBe(0);
  });

  it('samples demand every 10 s for tracking, scales out at once and in after the window', () => {
    let demand = 0;
    const { time, calls, loop } = harness();
    loop.register(
      target(
        { scheduledActions: [], tracking: { targetUtilization: 0.5, min: 1, max: 10 } },
        { sampleConcurrency: () => demand },
      ),
    );
    time.advanceTo(t0);
    demand = 3;
    time.advanceTo(t0 + 10 * SEC);
    demand = 0;
    time.advanceTo(t0 + 30 * MIN);
    expect(calls).toEqual([
      { at: 0, id: 'fn/1', desired: 1, reason: 'tracking-bounds' },
      { at: 10 * SEC, id: 'fn/1', desired: 6, reason: 'tracking-scale-out' },
      // The 3 leaves the 10-min window at 10:10.
      { at: 10 * MIN + 10 * SEC, id: 'fn/1', desired: 1, reason: 'tracking-scale-in' },
    ]);
    expect(loop.status('fn/1')).toMatchObject({ desired: 1, lastDecision: { reason: 'tracking-hold' } });
  });

  it('retries a failed apply after 10 s, keeping the old count meanwhile', async () => {
    let attempts = 0;
    const { time, calls, errors, loop } = harness(() => {
      attempts++;
      return attempts === 1 ? Promise.reject(new Error('pool busy')) : Promise.resolve();
    });
    loop.register(target({ requested: 4, scheduledActions: [] }));
    time.advanceTo(t0);
    await flush();
    expect(errors).toMatchObject([{ at: 0, id: 'fn/1', error: { message: 'pool busy' } }]);
    expect(loop.status('fn/1')?.desired).toBe(0);

    time.advanceTo(t0 + 10 * SEC);
    await flush();
    expect(calls.map((c) => [c.at, c.desired])).toEqual([
      [0, 4],
      [10 * SEC, 4],
    ]);
    expect(loop.status('fn/1')?.desired).toBe(4);
    expect(time.pendingTimers).toBe(0);
  });

  it('retries when apply throws synchronously', () => {
    let attempts = 0;
    const { time, calls, errors, loop } = harness(() => {
      if (++attempts === 1) {
        throw new Error('boom');
      }
    });
    loop.register(target({ requested: 2, scheduledActions: [] }));
    time.advanceTo(t0 + 10 * SEC);
    expect(errors).toHaveLength(1);
    expect(calls.map((c) => c.at)).toEqual([0, 10 * SEC]);
    expect(loop.status('fn/1')?.desired).toBe(2);
  });

  it('never overlaps applies, and decides again when the spec changed meanwhile', async () => {
    let release: () => void = () => undefined;
    const { time, calls, loop } = harness(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    loop.register(target({ requested: 4, scheduledActions: [] }));
    time.advanceTo(t0);
    loop.register(target({ requested: 7, scheduledActions: [] }, { configuredAtMs: t0 }));
    time.advanceTo(t0 + MIN);
    expect(calls.map((c) => c.desired)).toEqual([4]);

    release();
    await flush();
    time.advanceTo(t0 + MIN);
    expect(calls.map((c) => c.desired)).toEqual([4, 7]);
    release();
    await flush();
    expect(loop.status('fn/1')?.desired).toBe(7);
  });

  it('keeps its own count when a target is registered again', () => {
    const { time, calls, loop } = harness();
    loop.register(target({ requested: 3, scheduledActions: [] }));
    time.advanceTo(t0);
    loop.register(target({ requested: 3, scheduledActions: [] }, { currentDesired: 99 }));
    time.advanceTo(t0 + MIN);
    expect(calls.map((c) => c.desired)).toEqual([3]);
  });

  it('stops waking a target once unregistered, and stops everything on stop()', () => {
    const { time, calls, loop } = harness();
    const spec: DeciderSpec = {
      scheduledActions: [{ name: 'morning', schedule: daily(6 * HOUR), provisionedNum: 30 }],
    };
    loop.register(target(spec));
    loop.register(target(spec, { id: 'fn/2' }));
    time.advanceTo(t0 + HOUR);
    loop.unregister('fn/1');
    time.advanceTo(t0 + 7 * HOUR);
    expect(calls.map((c) => [c.id, c.desired])).toEqual([['fn/2', 30]]);
    loop.stop();
    expect(loop.size).toBe(0);
    expect(time.pendingTimers).toBe(0);
    expect(() => loop.register(target(spec))).toThrow('stopped');
  });

  it('reports a schedule that throws, and tries again later', () => {
    let broken = true;
    const flaky: FireSchedule = {
      lastFireAtOrBefore: (at) => {
        if (broken) {
          throw new Error('tz data missing');
        }
        return at >= t0 + MIN ? t0 + MIN : undefined;
      },
      nextFireAfter: (after) => (after < t0 + MIN ? t0 + MIN : undefined),
    };
    const { time, calls, errors, loop } = harness();
    loop.register(target({ scheduledActions: [{ name: 'x', schedule: flaky, provisionedNum: 6 }] }));
    time.advanceTo(t0);
    expect(errors).toHaveLength(1);
    broken = false;
    time.advanceTo(t0 + 2 * MIN);
    expect(calls.map((c) => [c.at, c.desired])).toEqual([[MIN, 6]]);
  });

  it('rejects an invalid spec at registration, naming the field', () => {
    const { loop } = harness();
    expect(() =>
      loop.register(target({ scheduledActions: [], tracking: { targetUtilization: 1.5, min: 1, max: 2 } })),
    ).toThrow(/tracking\.targetUtilization = 1\.5/);
    expect(loop.size).toBe(0);
  });
});
