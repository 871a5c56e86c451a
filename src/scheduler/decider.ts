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

/** Scale-out is evaluated every 10 seconds, with no time window (spec §3.4). */
export const SCALE_OUT_PERIOD_MS = 10_000;
/** Scale-in looks at a 10-minute window and happens at most once per window (spec §3.4). */
export const SCALE_IN_WINDOW_MS = 10 * 60_000;

/**
 * The tracking cadence. Tencent's is fixed (10 s out, 10 min in, spec §3.4); it is a
 * parameter so that a test deployment can run the same policy on a shorter timeline
 * (config `scalingScaleOutPeriodMs` / `scalingScaleInWindowMs`) without fake clocks.
 */
export interface DeciderTiming {
  /** How often scale-out is evaluated and how far back its peak looks, ms. */
  readonly scaleOutPeriodMs: number;
  /** Scale-in look-back window and minimum spacing between scale-ins, ms. */
  readonly scaleInWindowMs: number;
}

export const DEFAULT_DECIDER_TIMING: DeciderTiming = Object.freeze({
  scaleOutPeriodMs: SCALE_OUT_PERIOD_MS,
  scaleInWindowMs: SCALE_IN_WINDOW_MS,
});

/** When something fires, in epoch milliseconds. Implementations must be pure. */
export interface FireSchedule {
  /** The first fire instant strictly after `afterMs`, or undefined if it never fires again. */
  nextFireAfter(afterMs: number): number | undefined;
  /** The last fire instant at or before `atMs`, or undefined if it had not fired by then. */
  lastFireAtOrBefore(atMs: number): number | undefined;
}

/** One scheduled action (SCF `TriggerAction`, spec §3.3 / Appendix A). */
export interface ScheduledAction {
  /** Unique within the target (SCF TriggerName); reported in decisions. */
  readonly name: string;
  readonly schedule: FireSchedule;
  /**
   * Instances the target should have from the moment the action fires (SCF
   * TriggerProvisionedConcurrencyNum). Integer ≥ 0; 0 ends a window (spec §3.3).
   */
  readonly provisionedNum: number;
}

/** Target tracking on utilisation (SCF ConcurrencyUtilizationTracking, spec §3.4). */
export interface TrackingPolicy {
  /**
   * Utilisation to aim for: concurrent executions ÷ provisioned instances. Open interval
   * (0, 1) (SCF TrackingTarget, two decimals; AWS TargetValue 0.7 for its predefined metric).
   */
  readonly targetUtilization: number;
  /** Floor, in instances. Integer ≥ 0 (SCF requires ≥ 1; AWS allows 0, aws-lambda spec §4.2). */
  readonly min: number;
  /** Ceiling, in instances. Integer ≥ min. Demand above it is served on demand (spec §3.4). */
  readonly max: number;
}

/** What the target is configured to do. Validate with `validateDeciderSpec` when it is written. */
export interface DeciderSpec {
  /**
   * Static instances in effect until a scheduled action fires. Integer ≥ 0; undefined = 0.
   * Ignored under `tracking`, where SCF requires it to be 0 (spec §3.4).
   */
  readonly requested?: number;
  /** In declaration order: on a tie, the later one wins (spec §3.3). May be empty. */
  readonly scheduledActions: readonly ScheduledAction[];
  /** When set, utilisation tracking decides between the scheduled jumps. */
  readonly tracking?: TrackingPolicy;
}

/** One observation of demand on the target. */
export interface ConcurrencySample {
  /** When it was taken, epoch ms. */
  readonly atMs: number;
  /**
   * Executions in flight on the target's version at that instant, ≥ 0 (may be fractional if
   * averaged). When derived from the pool's utilisation (busy ÷ allocated) it saturates at
   * the allocated count; scale-out still works because utilisation 1 > target.
   */
  readonly concurrency: number;
}

/** What the caller knows about the target now. */
export interface DeciderObserved {
  /**
   * Instances the target is currently set to: the last decision applied. Integer ≥ 0. Only
   * tracking reads it; the static/scheduled step function does not depend on history.
   */
  readonly currentDesired: number;
  /**
   * When the spec took effect (the config's last write), epoch ms. Actions that fired at or
   * before it did not fire for this config [REC, spec §3.3: the number applies "from the
   * moment the task fires"; a task created later never fired].
   */
  readonly configuredAtMs: number;
  /**
   * Since when `samples` have been collected without a gap (loop start), epoch ms; defaults to
   * `configuredAtMs`. Scale-in needs a full window of evidence after it.
   */
  readonly samplingSinceMs?: number;
  /** Demand samples in any order; only those of the last 10 min matter. */
  readonly samples: readonly ConcurrencySample[];
  /** When tracking last scaled in (reason `tracking-scale-in`), epoch ms. */
  readonly lastScaleInAtMs?: number;
  /**
   * Fire instant of the last scheduled action applied under tracking (`Decision.action`),
   * epoch ms. Without tracking it is not needed: the step function is recomputed each time.
   */
  readonly lastScheduledFireAtMs?: number;
}

export type DecisionReason =
  /** No action has fired since the config was written: `requested`. */
  | 'static'
  /** A scheduled action's number (clamped into [min, max] under tracking). */
  | 'scheduled'
  /** Tracking: the current count was outside [min, max] (e.g. new bounds); clamped. */
  | 'tracking-bounds'
  /** Tracking: recent utilisation above target. */
  | 'tracking-scale-out'
  /** Tracking: the whole last window was below target and the window since the last scale-in is over. */
  | 'tracking-scale-in'
  /** Tracking: at target, or a scale-in is not allowed yet. */
  | 'tracking-hold'
  /** Tracking: no sample in the last 10 s; nothing to decide on (not an error, Knative's "invalid"). */
  | 'tracking-no-data';

export interface Decision {
  /** Instances the target should have now. Integer ≥ 0; inside [min, max] under tracking. */
  readonly desired: number;
  readonly reason: DecisionReason;
  /**
   * The latest instant at which deciding again could give a different answer without new
   * input (next action fire, next 10 s tracking tick), epoch ms; undefined when only a spec
   * change can.
   */
  readonly nextCheckAt: number | undefined;
  /** The action in effect (static mode) or just applied (tracking), for reason `scheduled`. */
  readonly action?: { readonly name: string; readonly firedAtMs: number };
  /** One line for logs and the dashboard. */
  readonly detail: string;
}

/** Decides the target count for `spec` at `nowMs` (epoch ms). Pure. */
export function decide(
  spec: DeciderSpec,
  observed: DeciderObserved,
  nowMs: number,
  timing: DeciderTiming = DEFAULT_DECIDER_TIMING,
): Decision {
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
  const { scaleOutPeriodMs, scaleInWindowMs } = timing;
  const nextCheckAt = Math.min(nowMs + scaleOutPeriodMs, nextFireAt ?? Infinity);
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
  if (outWant > current) {
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
  if (inWant < current) {
    const windowStart = Math.max(
      observed.samplingSinceMs ?? observed.configuredAtMs,
      observed.configuredAtMs,
      observed.lastScaleInAtMs ?? -Infinity,
      observed.lastScheduledFireAtMs ?? -Infinity,
    );
    const allowedAt = windowStart + scaleInWindowMs;
    if (nowMs >= allowedAt) {
      return decision(inWant, 'tracking-scale-in', `peak ${windowPeak} in 10 min needs ${inWant}`);
    }
    return decision(current, 'tracking-hold', `scale-in to ${inWant} not before ${isoOf(allowedAt)}`);
  }
  return decision(current, 'tracking-hold', `peak ${recentPeak} in 10 s is within target at ${current}`);
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
