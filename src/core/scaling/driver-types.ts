/**
 * The scaling driver's vocabulary, in one home: what core's scaling glue registers and the
 * scheduler's pure decider and loop work on (src/scheduler/ implements them; core never
 * imports it). Times are epoch ms; counts are provisioned instances.
 */

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
  /** How often tracking is evaluated, ms; defaults to `scaleOutPeriodMs`. */
  readonly tickMs?: number;
}

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
  /** This policy's own cadence (AWS's alarm periods); defaults to the loop's. */
  readonly timing?: DeciderTiming;
  /** Least time between two scale-outs / two scale-ins, ms (AWS cooldowns); default 0. */
  readonly scaleOutCooldownMs?: number;
  readonly scaleInCooldownMs?: number;
  /** No scale-in / scale-out by tracking (AWS DisableScaleIn, SuspendedState). */
  readonly disableScaleIn?: boolean;
  readonly disableScaleOut?: boolean;
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
  /**
   * Range mode (AWS Application Auto Scaling, aws-autoscaling README): the count is kept in
   * [min, max] as registered at `configuredAtMs`; `boundsActions` move the range when they
   * fire; `tracking` (its own min/max ignored) works inside the range, and without it the
   * count is only clamped into the range. `requested` and `scheduledActions` are unused.
   */
  readonly range?: RangeSpec;
}

/** A scheduled change of the range (AWS PutScheduledAction's ScalableTargetAction). */
export interface BoundsAction {
  readonly name: string;
  readonly schedule: FireSchedule;
  readonly min?: number;
  readonly max?: number;
}

export interface RangeSpec {
  readonly min: number;
  readonly max: number;
  readonly boundsActions: readonly BoundsAction[];
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
  /** When tracking last scaled out (reason `tracking-scale-out`), epoch ms. */
  readonly lastScaleOutAtMs?: number;
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
  /** Range mode: the range in force now (moved by the actions fired since `configuredAtMs`). */
  readonly bounds?: { readonly min: number; readonly max: number };
  /** One line for logs and the dashboard. */
  readonly detail: string;
}

/** What the loop needs to know about one target (one version's provisioned config). */
export interface ScalingTarget {
  /** Stable key, handed back to `apply` (e.g. the pool's provisionedKey). */
  readonly id: string;
  /** Must pass `validateDeciderSpec`; `register` throws a RangeError otherwise. */
  readonly spec: DeciderSpec;
  /** When the spec was written (the config's lastModifiedMs), epoch ms. */
  readonly configuredAtMs: number;
  /**
   * Instances the target holds now, used only on first registration (after a restart: the
   * count last given to the pool). Later registrations keep the loop's own, fresher count.
   */
  readonly currentDesired: number;
  /**
   * Executions in flight on the target now, read once per tracking tick. Without it a
   * tracking target only ever gets `tracking-no-data` holds.
   */
  readonly sampleConcurrency?: () => number;
}
