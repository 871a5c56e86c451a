import { describe, expect, it } from 'vitest';
import {
  decide,
  validateDeciderSpec,
  type Decision,
  type DeciderObserved,
  type DeciderSpec,
  type FireSchedule,
  type TrackingPolicy,
} from './decider.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 5 January 2026, 00:00 UTC. Every time below is t0 + an offset. */
const t0 = Date.UTC(2026, 0, 5);

// ---- fake schedules: plain arithmetic, so these tests do not depend on any cron format ----

/** Fires at t0 + offset + k·period for every integer k. */
function every(periodMs: number, offsetMs = 0): FireSchedule {
  const k = (at: number): number => Math.floor((at - t0 - offsetMs) / periodMs);
  return {
    lastFireAtOrBefore: (at) => t0 + offsetMs + k(at) * periodMs,
    nextFireAfter: (after) => t0 + offsetMs + (k(after) + 1) * periodMs,
  };
}
/** Fires every day at `timeOfDayMs` (UTC). */
const daily = (timeOfDayMs: number): FireSchedule => every(DAY, timeOfDayMs);
/** Fires once, at `atMs`. */
function once(atMs: number): FireSchedule {
  return {
    lastFireAtOrBefore: (at) => (at >= atMs ? atMs : undefined),
    nextFireAfter: (after) => (after < atMs ? atMs : undefined),
  };
}

/** A partial Decision, as `toMatchObject` compares it. */
type Expected = Partial<Omit<Decision, 'reason' | 'action'>> & {
  reason?: string;
  action?: Partial<NonNullable<Decision['action']>>;
};

function expectDecision(spec: DeciderSpec, observed: DeciderObserved, at: number, expected: Expected): void {
  expect(decide(spec, observed, at)).toMatchObject(expected);
}

/**
 * Drives the decider the way the loop will: keeps the observed state, records samples, and
 * applies each decision (current count, last scale-in, last scheduled fire applied).
 */
class Timeline {
  private state: {
    currentDesired: number;
    configuredAtMs: number;
    samplingSinceMs?: number;
    samples: { atMs: number; concurrency: number }[];
    lastScaleInAtMs?: number;
    lastScheduledFireAtMs?: number;
  };
  /** Every change of desired, as offsets from t0. */
  readonly changes: { at: number; desired: number; reason: string }[] = [];

  constructor(
    public spec: DeciderSpec,
    init: { currentDesired: number; configuredAtMs: number; samplingSinceMs?: number },
  ) {
    this.state = { ...init, samples: [] };
  }

  get desired(): number {
    return this.state.currentDesired;
  }

  decideAt(at: number): Decision {
    const d = decide(this.spec, this.state, at);
    if (d.desired !== this.state.currentDesired) {
      this.changes.push({ at: at - t0, desired: d.desired, reason: d.reason });
    }
    this.state.currentDesired = d.desired;
    if (d.reason === 'tracking-scale-in') {
      this.state.lastScaleInAtMs = at;
    }
    if (d.action !== undefined) {
      this.state.lastScheduledFireAtMs = d.action.firedAtMs;
    }
    return d;
  }

  /** A sample then a decision at `at`, as one loop tick does. */
  tick(at: number, concurrency: number): Decision {
    this.state.samples.push({ atMs: at, concurrency });
    this.state.samples = this.state.samples.filter((s) => s.atMs > at - 10 * MIN);
    return this.decideAt(at);
  }

  /** Ticks every 10 s over [from, to] at a constant concurrency. */
  run(from: number, to: number, concurrency: number): void {
    for (let at = from; at <= to; at += 10 * SEC) {
      this.tick(at, concurrency);
    }
  }
}

describe('static and scheduled provisioned concurrency (spec §3.2, §3.3)', () => {
  const observed: DeciderObserved = { currentDesired: 0, configuredAtMs: t0, samples: [] };

  it('holds the requested number when there are no actions, and has nothing to wait for', () => {
    expectDecision({ requested: 5, scheduledActions: [] }, observed, t0 + 3 * DAY, {
      desired: 5,
      reason: 'static',
      nextCheckAt: undefined,
    });
    expectDecision({ scheduledActions: [] }, observed, t0 + MIN, { desired: 0, reason: 'static' });
  });

  // The doc's example: 30 at 6:00, 80 at 10:00, 40 at 18:00, 0 at 24:00 → a step function.
  const dayShape: DeciderSpec = {
    requested: 5,
    scheduledActions: [
      { name: 'morning', schedule: daily(6 * HOUR), provisionedNum: 30 },
      { name: 'peak', schedule: daily(10 * HOUR), provisionedNum: 80 },
      { name: 'evening', schedule: daily(18 * HOUR), provisionedNum: 40 },
      { name: 'night', schedule: daily(0), provisionedNum: 0 },
    ],
  };

  it.each([
    // Configured at exactly 00:00, so 'night' firing at t0 did not fire for this config.
    [0, 5, 'static', 6 * HOUR],
    [1 * HOUR, 5, 'static', 6 * HOUR],
    [6 * HOUR - 1, 5, 'static', 6 * HOUR],
    [6 * HOUR, 30, 'scheduled', 10 * HOUR],
    [10 * HOUR - 1, 30, 'scheduled', 10 * HOUR],
    [10 * HOUR, 80, 'scheduled', 18 * HOUR],
    [18 * HOUR, 40, 'scheduled', 24 * HOUR],
    [23 * HOUR + 59 * MIN, 40, 'scheduled', 24 * HOUR],
    [24 * HOUR, 0, 'scheduled', 30 * HOUR],
    [30 * HOUR, 30, 'scheduled', 34 * HOUR],
    [9 * DAY + 11 * HOUR, 80, 'scheduled', 9 * DAY + 18 * HOUR],
  ])('t0 + %d ms → %d (%s), next check t0 + %d', (offset, desired, reason, nextCheck) => {
    expectDecision(dayShape, observed, t0 + offset, { desired, reason, nextCheckAt: t0 + nextCheck });
  });

  it('names the action in effect and when it fired', () => {
    expectDecision(dayShape, observed, t0 + 12 * HOUR, {
      action: { name: 'peak', firedAtMs: t0 + 10 * HOUR },
    });
  });

  it('ignores fires from before the config was written (spec §3.3: "from the moment the task fires")', () => {
    const late: DeciderObserved = { ...observed, configuredAtMs: t0 + 12 * HOUR };
    expectDecision(dayShape, late, t0 + 13 * HOUR, {
      desired: 5,
      reason: 'static',
      nextCheckAt: t0 + 18 * HOUR,
    });
    expectDecision(dayShape, late, t0 + 18 * HOUR, { desired: 40, reason: 'scheduled' });
  });

  it('lets the later-listed action win when two fire at the same instant (spec §3.3)', () => {
    const a = { name: 'a', schedule: daily(10 * HOUR), provisionedNum: 80 };
    const b = { name: 'b', schedule: once(t0 + 10 * HOUR), provisionedNum: 40 };
    expectDecision({ scheduledActions: [a, b] }, observed, t0 + 10 * HOUR, {
      desired: 40,
      action: { name: 'b' },
    });
    expectDecision({ scheduledActions: [b, a] }, observed, t0 + 10 * HOUR, {
      desired: 80,
      action: { name: 'a' },
    });
    // The next day only 'a' fires again, so it takes over whatever the order.
    expectDecision({ scheduledActions: [a, b] }, observed, t0 + DAY + 10 * HOUR, { desired: 80 });
  });

  it('lets the most recent fire win, not the list order', () => {
    const spec: DeciderSpec = {
      scheduledActions: [
        { name: 'late', schedule: daily(20 * HOUR), provisionedNum: 1 },
        { name: 'early', schedule: daily(8 * HOUR), provisionedNum: 9 },
      ],
    };
    expectDecision(spec, observed, t0 + 9 * HOUR, { desired: 9, action: { name: 'early' } });
    expectDecision(spec, observed, t0 + 21 * HOUR, { desired: 1, action: { name: 'late' } });
  });

  it('keeps a one-time action in effect after it fired, with nothing more to wait for', () => {
    const spec: DeciderSpec = {
      requested: 2,
      scheduledActions: [
        { name: 'launch', schedule: once(t0 + 15 * HOUR + 42 * MIN + 30 * SEC), provisionedNum: 25 },
      ],
    };
    expectDecision(spec, observed, t0 + 15 * HOUR, {
      desired: 2,
      nextCheckAt: t0 + 15 * HOUR + 42 * MIN + 30 * SEC,
    });
    expectDecision(spec, observed, t0 + 15 * HOUR + 42 * MIN + 30 * SEC, {
      desired: 25,
      nextCheckAt: undefined,
    });
    expectDecision(spec, observed, t0 + 400 * DAY, {
      desired: 25,
      reason: 'scheduled',
      nextCheckAt: undefined,
    });
  });
});

describe('utilisation tracking (spec §3.4)', () => {
  const policy: TrackingPolicy = { targetUtilization: 0.5, min: 2, max: 20 };
  const spec: DeciderSpec = { scheduledActions: [], tracking: policy };

  it('starts inside the bounds, scales out at once, and scales in at most once per 10 min', () => {
    const tl = new Timeline(spec, { currentDesired: 0, configuredAtMs: t0 });
    expect(tl.decideAt(t0)).toMatchObject({
      desired: 2,
      reason: 'tracking-bounds',
      nextCheckAt: t0 + 10 * SEC,
    });

    expect(tl.tick(t0 + 10 * SEC, 1)).toMatchObject({ desired: 2, reason: 'tracking-hold' });
    expect(tl.tick(t0 + 20 * SEC, 3)).toMatchObject({ desired: 6, reason: 'tracking-scale-out' });
    expect(tl.tick(t0 + 30 * SEC, 9)).toMatchObject({ desired: 18, reason: 'tracking-scale-out' });
    // 15 / 0.5 = 30, but never above max.
    expect(tl.tick(t0 + 40 * SEC, 15)).toMatchObject({ desired: 20, reason: 'tracking-scale-out' });
    expect(tl.tick(t0 + 50 * SEC, 15)).toMatchObject({ desired: 20, reason: 'tracking-hold' });

    // Demand falls to 4, then to 1. The 15s leave the 10-min window at 10:50, so tracking
    // scales in to what 4 needs. The 4s leave it at 20:40, but the second scale-in must wait
    // a full window after the first: 20:50.
    tl.run(t0 + 1 * MIN, t0 + 10 * MIN + 40 * SEC, 4);
    tl.run(t0 + 10 * MIN + 50 * SEC, t0 + 40 * MIN, 1);
    expect(tl.tick(t0 + 40 * MIN + 10 * SEC, 1)).toMatchObject({ desired: 2, reason: 'tracking-hold' });
    expect(tl.changes.slice(4)).toEqual([
      { at: 10 * MIN + 50 * SEC, desired: 8, reason: 'tracking-scale-in' },
      { at: 20 * MIN + 50 * SEC, desired: 2, reason: 'tracking-scale-in' },
    ]);
  });

  it('says why a scale-in is deferred', () => {
    const tl = new Timeline(spec, { currentDesired: 20, configuredAtMs: t0 });
    const d = tl.tick(t0 + 5 * MIN, 0);
    expect(d).toMatchObject({ desired: 20, reason: 'tracking-hold' });
    expect(d.detail).toContain('not before 2026-01-05T00:10:00.000Z');
  });

  it('scales out right after a scale-in: the 10-min rule binds reductions only', () => {
    const tl = new Timeline(spec, { currentDesired: 10, configuredAtMs: t0 });
    tl.run(t0, t0 + 10 * MIN, 1);
    expect(tl.changes).toEqual([{ at: 10 * MIN, desired: 2, reason: 'tracking-scale-in' }]);
    expect(tl.tick(t0 + 10 * MIN + 10 * SEC, 7)).toMatchObject({ desired: 14, reason: 'tracking-scale-out' });
  });

  it('never leaves [min, max], even when the bounds change under it', () => {
    const tl = new Timeline(spec, { currentDesired: 0, configuredAtMs: t0 });
    tl.run(t0, t0 + 2 * MIN, 100);
    expect(tl.desired).toBe(20);
    tl.spec = { scheduledActions: [], tracking: { ...policy, max: 12 } };
    expect(tl.tick(t0 + 2 * MIN + 10 * SEC, 100)).toMatchObject({ desired: 12, reason: 'tracking-bounds' });
    tl.spec = { scheduledActions: [], tracking: { ...policy, min: 15, max: 30 } };
    // No demand at all: still not below min.
    tl.run(t0 + 3 * MIN, t0 + 60 * MIN, 0);
    expect(tl.desired).toBe(15);
  });

  it('holds when it has no recent sample, instead of guessing', () => {
    const observed: DeciderObserved = {
      currentDesired: 6,
      configuredAtMs: t0,
      samples: [{ atMs: t0 + 1 * MIN, concurrency: 50 }],
    };
    expectDecision(spec, observed, t0 + 1 * MIN + 10 * SEC, { desired: 6, reason: 'tracking-no-data' });
    expectDecision(spec, observed, t0 + 1 * MIN + 9 * SEC, { desired: 20, reason: 'tracking-scale-out' });
  });

  it('after a restart, waits for a full window of samples before scaling in', () => {
    const tl = new Timeline(spec, { currentDesired: 16, configuredAtMs: t0 - 30 * DAY, samplingSinceMs: t0 });
    tl.run(t0, t0 + 12 * MIN, 0);
    expect(tl.changes).toEqual([{ at: 10 * MIN, desired: 2, reason: 'tracking-scale-in' }]);
  });

  it('does not add an instance for float noise (7 at 0.7 is 10, not 11)', () => {
    const observed: DeciderObserved = {
      currentDesired: 2,
      configuredAtMs: t0,
      samples: [{ atMs: t0 + 10 * SEC, concurrency: 7 }],
    };
    expectDecision(
      { scheduledActions: [], tracking: { targetUtilization: 0.7, min: 1, max: 50 } },
      observed,
      t0 + 10 * SEC,
      { desired: 10 },
    );
  });

  it('treats utilisation exactly at target as within target', () => {
    const observed: DeciderObserved = {
      currentDesired: 10,
      configuredAtMs: t0,
      samples: [{ atMs: t0 + 10 * SEC, concurrency: 5 }],
    };
    expectDecision(spec, observed, t0 + 10 * SEC, { desired: 10, reason: 'tracking-hold' });
  });
});

describe('a shortened tracking cadence (DeciderTiming)', () => {
  const spec: DeciderSpec = { scheduledActions: [], tracking: { targetUtilization: 0.5, min: 1, max: 10 } };
  const timing = { scaleOutPeriodMs: 500, scaleInWindowMs: 5 * SEC };

  it('checks every scaleOutPeriodMs and looks back that far only', () => {
    const observed: DeciderObserved = {
      currentDesired: 2,
      configuredAtMs: t0,
      samples: [{ atMs: t0 + 400, concurrency: 2 }],
    };
    expect(decide(spec, observed, t0 + 500, timing)).toMatchObject({
      desired: 4,
      reason: 'tracking-scale-out',
      nextCheckAt: t0 + 1000,
    });
    expect(decide(spec, observed, t0 + 1000, timing)).toMatchObject({ reason: 'tracking-no-data' });
  });

  it('scales in once the shortened window has passed', () => {
    const observed: DeciderObserved = {
      currentDesired: 4,
      configuredAtMs: t0,
      samples: [{ atMs: t0 + 4900, concurrency: 0.5 }],
    };
    expect(decide(spec, observed, t0 + 4900, timing)).toMatchObject({ desired: 4, reason: 'tracking-hold' });
    expect(
      decide(spec, { ...observed, samples: [{ atMs: t0 + 5000, concurrency: 0.5 }] }, t0 + 5000, timing),
    ).toMatchObject({
      desired: 1,
      reason: 'tracking-scale-in',
    });
  });
});

describe('scheduled actions under tracking ([REC] on spec §3.3 + §3.4)', () => {
  const spec: DeciderSpec = {
    scheduledActions: [
      { name: 'prewarm', schedule: daily(8 * HOUR), provisionedNum: 15 },
      { name: 'too-many', schedule: daily(12 * HOUR), provisionedNum: 500 },
    ],
    tracking: { targetUtilization: 0.5, min: 2, max: 20 },
  };

  it('jumps to the action once, holds it for a scale-in window, then tracks again', () => {
    const tl = new Timeline(spec, { currentDesired: 2, configuredAtMs: t0 });
    tl.run(t0 + 7 * HOUR + 50 * MIN, t0 + 8 * HOUR + 15 * MIN, 0);
    expect(tl.changes).toEqual([
      { at: 8 * HOUR, desired: 15, reason: 'scheduled' },
      { at: 8 * HOUR + 10 * MIN, desired: 2, reason: 'tracking-scale-in' },
    ]);
  });

  it('still scales out above the scheduled number', () => {
    const tl = new Timeline(spec, { currentDesired: 2, configuredAtMs: t0 });
    tl.tick(t0 + 8 * HOUR, 0);
    expect(tl.desired).toBe(15);
    expect(tl.tick(t0 + 8 * HOUR + 10 * SEC, 9)).toMatchObject({ desired: 18, reason: 'tracking-scale-out' });
  });

  it('clamps the action into [min, max]', () => {
    const tl = new Timeline(spec, { currentDesired: 2, configuredAtMs: t0 });
    expect(tl.tick(t0 + 12 * HOUR, 0)).toMatchObject({ desired: 20, reason: 'scheduled' });
  });

  it('checks again at the next fire when it is sooner than the 10 s tick', () => {
    expect(
      decide(spec, { currentDesired: 2, configuredAtMs: t0, samples: [] }, t0 + 8 * HOUR - 3 * SEC)
        .nextCheckAt,
    ).toBe(t0 + 8 * HOUR);
  });
});

describe('validateDeciderSpec', () => {
  const action = { name: 'a', schedule: once(t0), provisionedNum: 1 };
  it.each<[string, DeciderSpec, string[]]>([
    ['a valid spec', { requested: 3, scheduledActions: [action] }, []],
    [
      'a valid tracking spec',
      { scheduledActions: [], tracking: { targetUtilization: 0.7, min: 1, max: 50 } },
      [],
    ],
    [
      'a negative request',
      { requested: -1, scheduledActions: [] },
      ['requested = -1, must be an integer ≥ 0'],
    ],
    [
      'a fractional request',
      { requested: 1.5, scheduledActions: [] },
      ['requested = 1.5, must be an integer ≥ 0'],
    ],
    [
      'a repeated action name',
      { scheduledActions: [action, { ...action, provisionedNum: 2 }] },
      ["scheduledActions[1].name = 'a' repeats an earlier action's name"],
    ],
    [
      'an empty action name and a bad number',
      { scheduledActions: [{ ...action, name: '', provisionedNum: -3 }] },
      [
        'scheduledActions[0].name is empty',
        'scheduledActions[0].provisionedNum = -3, must be an integer ≥ 0',
      ],
    ],
    [
      'a target of 1',
      { scheduledActions: [], tracking: { targetUtilization: 1, min: 1, max: 5 } },
      ['tracking.targetUtilization = 1, must be in (0, 1)'],
    ],
    [
      'a target of 0 and max below min',
      { scheduledActions: [], tracking: { targetUtilization: 0, min: 5, max: 4 } },
      ['tracking.targetUtilization = 0, must be in (0, 1)', 'tracking.max = 4, must be ≥ tracking.min = 5'],
    ],
    [
      'a NaN target',
      { scheduledActions: [], tracking: { targetUtilization: Number.NaN, min: 0, max: 0 } },
      ['tracking.targetUtilization = NaN, must be in (0, 1)'],
    ],
  ])('%s', (_name, spec, problems) => {
    expect(validateDeciderSpec(spec)).toEqual(problems);
  });
});
