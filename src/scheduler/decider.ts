/**
 * The scaling decider: how many provisioned instances one target (one version's provisioned
 * config) should have at an instant. It is pure — time is an argument, observations are
 * values, and it never touches the pool — so that the policy can be read and tested as
 * timelines (STYLE.md, Knative anchor; anchors.md §12). `loop.ts` does the doing.
 *
 * Three sources of a target count, by spec field:
 *   - `requested`: the static number (SCF VersionProvisionedConcurrencyNum, spec §3.2);
 *   - `scheduledActions`: a step function (SCF TriggerActions, spec §3.3) — from the moment an
 *     action fires, its number is the target, until another fires;
 *   - `tracking`: target tracking on concurrency utilisation (SCF
 *     ConcurrencyUtilizationTracking, spec §3.4) — scale out on a 10 s cadence, scale in at
 *     most once per 10 min, always inside [min, max].
 *
 * The decider knows no vendor format: a schedule is anything with `nextFireAfter` and
 * `lastFireAtOrBefore` (the SCF dialect's `scfCronSchedule` has that shape; AWS's
 * `at()/rate()/cron()` can get one later, aws-lambda spec §4.3).
 */

import type {
  BoundsAction,
  ConcurrencySample,
  DeciderObserved,
  DeciderSpec,
  DeciderTiming,
  Decision,
  DecisionReason,
  FireSchedule,
  RangeSpec,
  ScheduledAction,
  TrackingPolicy,
} from '../core/scaling/driver-types.js';

export type {
  BoundsAction,
  ConcurrencySample,
  DeciderObserved,
  DeciderSpec,
  DeciderTiming,
  Decision,
  DecisionReason,
  FireSchedule,
  RangeSpec,
  ScheduledAction,
  TrackingPolicy,
};

/** Scale-out is evaluated every 10 seconds, with no time window (spec §3.4). */
export const SCALE_OUT_PERIOD_MS = 10_000;
/** Scale-in looks at a 10-minute window and happens at most once per window (spec §3.4). */
export const SCALE_IN_WINDOW_MS = 10 * 60_000;

export const DEFAULT_DECIDER_TIMING: DeciderTiming = Object.freeze({
  scaleOutPeriodMs: SCALE_OUT_PERIOD_MS,
  scaleInWindowMs: SCALE_IN_WINDOW_MS,
});

/** Decides the target count for `spec` at `nowMs` (epoch ms). Pure. */
export function decide(
  spec: DeciderSpec,
  observed: DeciderObserved,
  nowMs: number,
  timing: DeciderTiming = DEFAULT_DECIDER_TIMING,
): Decision {
  if (spec.range !== undefined) {
    return decideRange(spec.range, spec.tracking, observed, nowMs, timing);
  }
  const fired = latestFire(spec.scheduledActions, observed.configuredAtMs, nowMs);
  const nextFireAt = earliestNextFire(spec.scheduledActions, nowMs);

  if (spec.tracking === undefined) {
    // The step function of spec §3.3, recomputed from scratch: nothing to remember, and a
    // restart lands on the same answer.
    if (fired !== undefined) {
      return {
        desired: fired.provisionedNum,
        reason: 'scheduled',
        nextCheckAt: nextFireAt,
        action: { name: fired.name, firedAtMs: fired.firedAtMs },
        detail: `action '${fired.name}' fired at ${isoOf(fired.firedAtMs)}: ${fired.provisionedNum}`,
      };
    }
    const requested = spec.requested ?? 0;
    return {
      desired: requested,
      reason: 'static',
      nextCheckAt: nextFireAt,
      detail: `requested ${requested}`,
    };
  }
  return decideTracking(spec.tracking, observed, nowMs, fired, nextFireAt, timing);
}

function decideTracking(
  policy: TrackingPolicy,
  observed: DeciderObserved,
  nowMs: number,
  fired: Fired | undefined,
  nextFireAt: number | undefined,
  timing: DeciderTiming,
): Decision {
  const { scaleOutPeriodMs, scaleInWindowMs } = policy.timing ?? timing;
  const tickMs = (policy.timing ?? timing).tickMs ?? scaleOutPeriodMs;
  const nextCheckAt = Math.min(nowMs + tickMs, nextFireAt ?? Infinity);
  const current = observed.currentDesired;
  const clamp = (n: number): number => Math.min(policy.max, Math.max(policy.min, n));
  const decision = (desired: number, reason: DecisionReason, detail: string): Decision => ({
    desired,
    reason,
    nextCheckAt,
    detail,
  });

  // 1. A scheduled action that fired since the last one applied sets the count once, then
  //    tracking carries on from there. [REC] Spec §3.3 and §3.4 do not say how the two mix
  //    (the SDK sends both in one Put, spec §2.3.3); we keep tracking's bounds authoritative
  //    ("kept between Min and Max", §3.4) and let the jump open a new scale-in window (step 4)
  //    so that a scheduled pre-warm is not undone on the next tick.
  if (fired !== undefined && fired.firedAtMs > (observed.lastScheduledFireAtMs ?? -Infinity)) {
    const desired = clamp(fired.provisionedNum);
    return {
      ...decision(
        desired,
        'scheduled',
        `action '${fired.name}' fired at ${isoOf(fired.firedAtMs)}: ${desired}`,
      ),
      action: { name: fired.name, firedAtMs: fired.firedAtMs },
    };
  }

  // 2. Never outside [min, max] (spec §3.4), whatever the history (bounds changed, start at 0).
  if (current < policy.min || current > policy.max) {
    return decision(
      clamp(current),
      'tracking-bounds',
      `${current} is outside [${policy.min}, ${policy.max}]`,
    );
  }

  // 3. Scale out: every 10 s, no window (spec §3.4). desired = ceil(peak / target), the
  //    formula of spec §3.4 [REC]; peak/current > target ⇔ ceil(peak/target) > current.
  const recent = samplesSince(observed.samples, nowMs - scaleOutPeriodMs, nowMs);
  if (recent.length === 0) {
    return decision(current, 'tracking-no-data', `no sample since ${isoOf(nowMs - scaleOutPeriodMs)}`);
  }
  const recentPeak = peakOf(recent);
  const outWant = clamp(instancesFor(recentPeak, policy.targetUtilization));
  const outAllowedAt = (observed.lastScaleOutAtMs ?? -Infinity) + (policy.scaleOutCooldownMs ?? 0);
  if (outWant > current && policy.disableScaleOut !== true && nowMs >= outAllowedAt) {
    return decision(
      outWant,
      'tracking-scale-out',
      `peak ${recentPeak} in 10 s is ${ratio(recentPeak, current)} of ${current} > ${policy.targetUtilization}`,
    );
  }

  // 4. Scale in: to what the busiest moment of the last 10 min needed, and at most once per
  //    10 min (spec §3.4). The window must also hold 10 min of evidence since sampling
  //    began, the config changed or a scheduled action jumped (see step 1).
  const windowPeak = peakOf(samplesSince(observed.samples, nowMs - scaleInWindowMs, nowMs));
  const inWant = clamp(instancesFor(windowPeak, policy.targetUtilization));
  if (inWant < current && policy.disableScaleIn !== true) {
    const windowStart = Math.max(
      observed.samplingSinceMs ?? observed.configuredAtMs,
      observed.configuredAtMs,
      observed.lastScaleInAtMs ?? -Infinity,
      observed.lastScheduledFireAtMs ?? -Infinity,
    );
    const allowedAt = Math.max(
      windowStart + scaleInWindowMs,
      (observed.lastScaleInAtMs ?? -Infinity) + (policy.scaleInCooldownMs ?? 0),
    );
    if (nowMs >= allowedAt) {
      return decision(inWant, 'tracking-scale-in', `peak ${windowPeak} in 10 min needs ${inWant}`);
    }
    return decision(current, 'tracking-hold', `scale-in to ${inWant} not before ${isoOf(allowedAt)}`);
  }
  return decision(current, 'tracking-hold', `peak ${recentPeak} in 10 s is within target at ${current}`);
}

/**
 * Range mode (spec.range): the range moved by the bounds actions fired since the spec was
 * written, then the count clamped into it or tracked inside it. Each action's last fire is
 * applied in fire order, which gives every field the value of its most recent setter.
 */
function decideRange(
  range: RangeSpec,
  tracking: TrackingPolicy | undefined,
  observed: DeciderObserved,
  nowMs: number,
  timing: DeciderTiming,
): Decision {
  const fires: Fired[] = [];
  const byName = new Map<string, BoundsAction>();
  for (const a of range.boundsActions) {
    byName.set(a.name, a);
    const at = a.schedule.lastFireAtOrBefore(nowMs);
    if (at !== undefined && at > observed.configuredAtMs) {
      fires.push({ name: a.name, firedAtMs: at, provisionedNum: 0 });
    }
  }
  fires.sort((x, y) => x.firedAtMs - y.firedAtMs);
  let { min, max } = range;
  for (const f of fires) {
    const a = byName.get(f.name);
    min = a?.min ?? min;
    max = a?.max ?? max;
    // AWS: an action that sets only one side past the other moves that side too [DESIGN].
    if (a?.min !== undefined && min > max) {
      max = min;
    } else if (a?.max !== undefined && max < min) {
      min = max;
    }
  }
  const bounds = { min, max };
  const last = fires.at(-1);
  const nextFireAt = earliestNextFire(
    range.boundsActions.map((a) => ({ name: a.name, schedule: a.schedule, provisionedNum: 0 })),
    nowMs,
  );
  const current = observed.currentDesired;
  const clamped = Math.min(max, Math.max(min, current));
  const withAction = last === undefined ? {} : { action: { name: last.name, firedAtMs: last.firedAtMs } };
  if (tracking === undefined || clamped !== current) {
    const tick = tracking?.timing ?? timing;
    const trackAt = tracking === undefined ? Infinity : nowMs + (tick.tickMs ?? tick.scaleOutPeriodMs);
    const nextCheckAt = Math.min(nextFireAt ?? Infinity, trackAt);
    return {
      desired: clamped,
      reason: last !== undefined && clamped !== current ? 'scheduled' : 'tracking-bounds',
      nextCheckAt: nextCheckAt === Infinity ? undefined : nextCheckAt,
      bounds,
      ...withAction,
      detail: `kept in [${min}, ${max}]: ${clamped}`,
    };
  }
  const d = decideTracking({ ...tracking, min, max }, observed, nowMs, undefined, nextFireAt, timing);
  return { ...d, bounds, ...withAction };
}

/**
 * Problems with a spec, each naming the field, the value and what is allowed (empty when
 * valid). The decider trusts its input; callers check once, when the config is written.
 */
export function validateDeciderSpec(spec: DeciderSpec): string[] {
  const problems: string[] = [];
  const count = (field: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v < 0) {
      problems.push(`${field} = ${v}, must be an integer ≥ 0`);
    }
  };
  if (spec.requested !== undefined) {
    count('requested', spec.requested);
  }
  const names = new Set<string>();
  for (const [i, a] of spec.scheduledActions.entries()) {
    if (a.name === '') {
      problems.push(`scheduledActions[${i}].name is empty`);
    } else if (names.has(a.name)) {
      problems.push(`scheduledActions[${i}].name = '${a.name}' repeats an earlier action's name`);
    }
    names.add(a.name);
    count(`scheduledActions[${i}].provisionedNum`, a.provisionedNum);
  }
  if (spec.range !== undefined) {
    count('range.min', spec.range.min);
    count('range.max', spec.range.max);
    if (spec.range.max < spec.range.min) {
      problems.push(`range.max = ${spec.range.max}, must be ≥ range.min = ${spec.range.min}`);
    }
  }
  const t = spec.tracking;
  if (t !== undefined) {
    if (!(t.targetUtilization > 0 && t.targetUtilization < 1)) {
      problems.push(`tracking.targetUtilization = ${t.targetUtilization}, must be in (0, 1)`);
    }
    count('tracking.min', t.min);
    count('tracking.max', t.max);
    if (t.max < t.min) {
      problems.push(`tracking.max = ${t.max}, must be ≥ tracking.min = ${t.min}`);
    }
  }
  return problems;
}

// ---- helpers ------------------------------------------------------------------------------

interface Fired {
  readonly name: string;
  readonly firedAtMs: number;
  readonly provisionedNum: number;
}

/**
 * The action whose fire is the latest in (configuredAtMs, nowMs]. On a tie the later-declared
 * action wins: "If tasks overlap at the same time point, the later task overrides the earlier
 * one" (spec §3.3). [REC] "later" read as later in the TriggerActions list, the only order a
 * Put gives us.
 */
function latestFire(
  actions: readonly ScheduledAction[],
  configuredAtMs: number,
  nowMs: number,
): Fired | undefined {
  let best: Fired | undefined;
  for (const a of actions) {
    const at = a.schedule.lastFireAtOrBefore(nowMs);
    if (at === undefined || at <= configuredAtMs) {
      continue;
    }
    if (best === undefined || at >= best.firedAtMs) {
      best = { name: a.name, firedAtMs: at, provisionedNum: a.provisionedNum };
    }
  }
  return best;
}

function earliestNextFire(actions: readonly ScheduledAction[], nowMs: number): number | undefined {
  let next: number | undefined;
  for (const a of actions) {
    const at = a.schedule.nextFireAfter(nowMs);
    if (at !== undefined && (next === undefined || at < next)) {
      next = at;
    }
  }
  return next;
}

function samplesSince(
  samples: readonly ConcurrencySample[],
  afterMs: number,
  nowMs: number,
): ConcurrencySample[] {
  return samples.filter((s) => s.atMs > afterMs && s.atMs <= nowMs);
}

function peakOf(samples: readonly ConcurrencySample[]): number {
  return samples.reduce((peak, s) => Math.max(peak, s.concurrency), 0);
}

/**
 * Instances needed to serve `concurrency` at `target` utilisation. The small tolerance keeps
 * float noise from adding an instance: 7 / 0.7 is 10.000000000000002 in binary floating point.
 */
function instancesFor(concurrency: number, target: number): number {
  return Math.max(0, Math.ceil(concurrency / target - 1e-9));
}

function ratio(concurrency: number, instances: number): string {
  return instances === 0 ? '∞' : (concurrency / instances).toFixed(2);
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
