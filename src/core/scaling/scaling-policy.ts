/**
 * A provisioned config's scaling policy, in neutral terms: the static number the caller
 * asked for, scheduled actions and utilisation tracking. It is stored with the config
 * (`ProvisionedConfigRecord.extra.scaling`), so it survives restarts and is the same record
 * every dialect reads; the config's `requested` is the count currently in force (what the
 * pool is told), which the policy moves over time.
 *
 * Vocabulary (SCF words in brackets, tencent-scf.md §3.2–3.4):
 *   - `requested` [VersionProvisionedConcurrencyNum]: in force until an action fires;
 *   - `scheduledActions` [TriggerActions]: from its fire instant on, an action's number is
 *     the target; on a tie the later-declared action wins (§3.3);
 *   - `tracking` [ConcurrencyUtilizationTracking: TrackingTarget, MinCapacity, MaxCapacity].
 * Schedules are references (`kind` + expression + zone) turned into fire times by an injected
 * ScheduleFactory, so core knows no cron dialect.
 */

/** Key of the policy inside `ProvisionedConfigRecord.extra`. */
export const SCALING_EXTRA_KEY = 'scaling';

/** A schedule by reference, e.g. `{ kind: 'scf-cron', expression: '0 0 8 * * * *', timeZone: 'Asia/Shanghai' }`. */
export interface ScheduleRef {
  readonly kind: string;
  readonly expression: string;
  /** IANA zone the expression is read in. */
  readonly timeZone: string;
  /** Where a fixed-rate schedule counts from (AWS `rate(...)`: StartTime, else creation), epoch ms. */
  readonly anchorMs?: number;
}

export interface ScheduledActionPolicy {
  /** Unique within the config. */
  readonly name: string;
  readonly schedule: ScheduleRef;
  /** Instances from the fire instant on; integer ≥ 0. */
  readonly provisionedNum: number;
}

export interface TrackingPolicySpec {
  /** Utilisation to aim for, in (0, 1). */
  readonly targetUtilization: number;
  /** Instances, integers, min ≤ max. */
  readonly min: number;
  readonly max: number;
}

export interface ScalingPolicy {
  /** The static number asked for; integer ≥ 0 (0 under tracking, §3.4). */
  readonly requested: number;
  /** When the caller wrote this policy, epoch ms; actions firing at or before it did not fire for it. */
  readonly configuredAtMs: number;
  /** In declaration order. */
  readonly scheduledActions: readonly ScheduledActionPolicy[];
  readonly tracking?: TrackingPolicySpec;
}

/** True when the policy needs the scaling loop (something moves the count over time). */
export function isDynamic(policy: ScalingPolicy): boolean {
  return policy.scheduledActions.length > 0 || policy.tracking !== undefined;
}

/**
 * The count to put in force when the policy is written: tracking starts at its floor
 * (the decider would clamp there on its first tick anyway, §3.4 "kept between Min and
 * Max"); otherwise the static number, since no action has fired for a policy written now.
 */
export function initialDesired(policy: ScalingPolicy): number {
  return policy.tracking === undefined ? policy.requested : policy.tracking.min;
}

/** The policy stored in a config's `extra`, or undefined when there is none (or it is malformed). */
export function readScalingPolicy(
  extra: Readonly<Record<string, unknown>> | undefined,
): ScalingPolicy | undefined {
  const raw = extra?.[SCALING_EXTRA_KEY];
  if (
    !isRecord(raw) ||
    !isCount(raw.requested) ||
    typeof raw.configuredAtMs !== 'number' ||
    !Array.isArray(raw.scheduledActions)
  ) {
    return undefined;
  }
  const actions: ScheduledActionPolicy[] = [];
  for (const a of raw.scheduledActions as unknown[]) {
    if (!isRecord(a) || typeof a.name !== 'string' || !isCount(a.provisionedNum) || !isRecord(a.schedule)) {
      return undefined;
    }
    const s = a.schedule;
    if (typeof s.kind !== 'string' || typeof s.expression !== 'string' || typeof s.timeZone !== 'string') {
      return undefined;
    }
    actions.push({
      name: a.name,
      provisionedNum: a.provisionedNum,
      schedule: { kind: s.kind, expression: s.expression, timeZone: s.timeZone },
    });
  }
  let tracking: TrackingPolicySpec | undefined;
  if (raw.tracking !== undefined) {
    const t = raw.tracking;
    if (!isRecord(t) || typeof t.targetUtilization !== 'number' || !isCount(t.min) || !isCount(t.max)) {
      return undefined;
    }
    tracking = { targetUtilization: t.targetUtilization, min: t.min, max: t.max };
  }
  return {
    requested: raw.requested,
    configuredAtMs: raw.configuredAtMs,
    scheduledActions: actions,
    ...(tracking === undefined ? {} : { tracking }),
  };
}

/** `extra` with the policy set (other dialects' keys kept). */
export function withScalingPolicy(
  extra: Readonly<Record<string, unknown>> | undefined,
  policy: ScalingPolicy,
): Record<string, unknown> {
  return { ...(extra ?? {}), [SCALING_EXTRA_KEY]: policy };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
