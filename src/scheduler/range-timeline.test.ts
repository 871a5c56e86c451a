/**
 * AWS Application Auto Scaling on the shared loop (range mode), as timelines on fake time:
 * a whole working day of scheduled actions (AWS cron syntax, parsed by the dialect) and a
 * load ramp under target tracking with AWS's Lambda alarm periods (3 datapoints out, 15 in).
 */
import { describe, expect, it } from 'vitest';
import { scheduleOf } from '../dialects/aws-autoscaling/schedule.js';
import type { DeciderSpec, DeciderTiming } from './decider.js';
import { decide } from './decider.js';
import { ScalingLoop } from './loop.js';
import { FAKE_T0, FakeTime } from './testing/fake-time.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DATAPOINT = MIN;
const AWS_TIMING: DeciderTiming = {
  scaleOutPeriodMs: 3 * DATAPOINT,
  scaleInWindowMs: 15 * DATAPOINT,
  tickMs: DATAPOINT,
};

const cron = (expr: string) => scheduleOf(expr, 'UTC', 0);

/** Business hours 08:00–20:00 on weekdays: [10, 40]; nights [1, 10]. */
function daySpec(tracking: boolean): DeciderSpec {
  return {
    scheduledActions: [],
    range: {
      min: 1,
      max: 50,
      boundsActions: [
        { name: 'morning', schedule: cron('cron(0 8 ? * MON-FRI *)'), min: 10, max: 40 },
        { name: 'night', schedule: cron('cron(0 20 * * ? *)'), min: 1, max: 10 },
      ],
    },
    ...(tracking ? { tracking: { targetUtilization: 0.5, min: 0, max: 0, timing: AWS_TIMING } } : {}),
  };
}

/** Executions in flight: idle until 10:00, ramp to 30 by 12:00, hold to 14:00, then 2. */
function load(atMs: number): number {
  const h = (atMs - FAKE_T0) / HOUR;
  if (h < 10) {
    return 0;
  }
  if (h < 12) {
    return Math.round(((h - 10) / 2) * 30);
  }
  return h < 14 ? 30 : 2;
}

function run(spec: DeciderSpec, untilMs: number) {
  const time = new FakeTime();
  let desired = 0;
  const applied: { atH: number; desired: number; reason: string; min?: number; max?: number }[] = [];
  const loop = new ScalingLoop({
    clock: time,
    timers: time,
    timing: AWS_TIMING,
    apply: (_id, n, d) => {
      desired = n;
      applied.push({
        atH: (time.now() - FAKE_T0) / HOUR,
        desired: n,
        reason: d.reason,
        ...(d.bounds === undefined ? {} : { min: d.bounds.min, max: d.bounds.max }),
      });
    },
  });
  loop.register({
    id: 'f#live',
    spec,
    configuredAtMs: FAKE_T0,
    currentDesired: 0,
    sampleConcurrency: () => load(time.now()),
  });
  const startedAt = performance.now();
  time.advanceTo(untilMs);
  loop.stop();
  return { applied, desired: () => desired, realMs: performance.now() - startedAt };
}

const at = (applied: ReturnType<typeof run>['applied'], hour: number) =>
  [...applied].reverse().find((a) => a.atH <= hour)?.desired ?? 0;

describe('range mode: scheduled actions (AWS cron) on a whole day', () => {
  it('follows the range of the last action fired; never leaves it', () => {
    const { applied, realMs } = run(daySpec(false), FAKE_T0 + 24 * HOUR);
    // 20:00 sets [1, 10]: 10 is inside it, so the count stays (no apply).
    expect(applied.map((a) => [a.atH, a.desired, a.reason])).toEqual([
      [0, 1, 'tracking-bounds'], // registered [1, 50], an action exists: 0 is brought to 1
      [8, 10, 'scheduled'], // morning: [10, 40]
    ]);
    expect(realMs).toBeLessThan(5_000);
  });

  it('a restart mid-day lands on the same range (pure step function of the fires)', () => {
    const spec = daySpec(false);
    const d = decide(spec, { currentDesired: 3, configuredAtMs: FAKE_T0, samples: [] }, FAKE_T0 + 9 * HOUR);
    expect(d).toMatchObject({ desired: 10, bounds: { min: 10, max: 40 }, action: { name: 'morning' } });
    const night = decide(
      spec,
      { currentDesired: 30, configuredAtMs: FAKE_T0, samples: [] },
      FAKE_T0 + 21 * HOUR,
    );
    expect(night).toMatchObject({ desired: 10, bounds: { min: 1, max: 10 }, action: { name: 'night' } });
  });
});

describe('range mode: target tracking with a load ramp', () => {
  it('scales out within minutes, in only after 15 quiet datapoints, inside the range', () => {
    const { applied, realMs } = run(daySpec(true), FAKE_T0 + 24 * HOUR);
    for (const a of applied) {
      // Never outside the range in force when it was applied.
      expect(a.desired).toBeGreaterThanOrEqual(a.atH >= 8 && a.atH < 20 ? 10 : 1);
      expect(a.desired).toBeLessThanOrEqual(a.atH >= 8 && a.atH < 20 ? 40 : 50);
    }
    expect(at(applied, 7.9)).toBe(1);
    expect(at(applied, 8)).toBe(10);
    // The ramp passes 5 in flight (10 at 0.5) at 10:20; scale-out follows within a datapoint.
    const outs = applied.filter((a) => a.reason === 'tracking-scale-out');
    expect(outs.length).toBeGreaterThan(3);
    expect(outs[0]?.atH).toBeGreaterThan(10.3);
    expect(outs[0]?.atH).toBeLessThan(10.5);
    // 30 in flight needs 60 at 0.5: capped at the business-hours max.
    expect(at(applied, 13)).toBe(40);
    // Load drops to 2 at 14:00: nothing before 15 datapoints, then the business-hours floor.
    expect(at(applied, 14.2)).toBe(40);
    // The 15th quiet datapoint is 14:14 (14:00 … 14:14).
    const firstIn = applied.find((a) => a.reason === 'tracking-scale-in');
    expect(firstIn?.atH).toBeCloseTo(14 + 14 / 60, 5);
    expect(firstIn?.desired).toBe(10);
    // 20:00 opens [1, 10]; 2 in flight needs 4, and the last 15 datapoints were quiet
    // already (the low alarm has been in ALARM since 14:14): scale-in follows at once.
    expect(at(applied, 19.99)).toBe(10);
    expect(applied.find((a) => a.atH >= 20)).toMatchObject({
      atH: 20,
      desired: 4,
      reason: 'tracking-scale-in',
    });
    expect(realMs).toBeLessThan(10_000);
  });
});
