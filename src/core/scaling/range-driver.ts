/**
 * Drives scalable targets (scalable-target.ts) on the shared scaling loop, the way
 * Application Auto Scaling drives Lambda provisioned concurrency (aws-autoscaling README):
 *
 *   1. `refresh(key, qualifier)` re-reads a target; one with a scheduled action or a
 *      policy is registered with the driver in range mode (its range, its actions as
 *      bounds actions, its policies folded into one tracking policy); one without is
 *      unregistered and handed back (`onReleased`) to whatever governed the config before;
 *   2. the loop decides; `observe` persists a range moved by a fired action, so that
 *      DescribeScalableTargets shows what is in force (and a restart resumes from it);
 *   3. `apply` changes the config's count through ProvisionedService.put (the same path,
 *      rules and reconcile as a caller's Put; 0 deletes the config) and records an activity.
 *
 * Timing is AWS's for Lambda, scaled by `datapointMs` (a CloudWatch datapoint, 60 s on
 * AWS): scale-out looks at 3 datapoints and is evaluated every datapoint, scale-in needs 15
 * below target; cooldowns (default 0 for Lambda) are scaled alike.
 * Writes of one config's count take the `scaling:<pool key>` lock, as ScalingService's do.
 */
import { randomUUID } from 'node:crypto';
import type { FunctionKey } from '../model.js';
import type { Clock, Store } from '../ports.js';
import type { ProvisionedMetrics } from '../metrics/provisioned-metrics.js';
import type { KeyedMutex } from '../services/keyed-mutex.js';
import type { Decision, FireSchedule, TrackingPolicy } from './driver-types.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from './scalable-target.js';
import type { ProvisionedWriter, ScalingDriver, ScheduleFactory } from './scaling-service.js';

/** AWS's Lambda alarms: 3 datapoints above target to scale out, 15 below to scale in. */
export const SCALE_OUT_DATAPOINTS = 3;
export const SCALE_IN_DATAPOINTS = 15;
/** A CloudWatch datapoint on AWS. */
export const AWS_DATAPOINT_MS = 60_000;

export interface RangeDriverDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly locks: KeyedMutex;
  readonly provisioned: ProvisionedWriter;
  readonly metrics: Pick<ProvisionedMetrics, 'peakConcurrency'>;
  readonly schedules: ScheduleFactory;
  /** One datapoint, ms: AWS_DATAPOINT_MS, or less for tests and demos. */
  readonly datapointMs: number;
  /** The config is no longer governed by a target: give it back (SCF policy glue). */
  readonly onReleased?: (key: FunctionKey, qualifier: string) => Promise<void>;
  readonly onError?: (targetId: string, error: unknown) => void;
}

interface Governed {
  readonly key: FunctionKey;
  readonly qualifier: string;
  readonly target: ScalableTargetRecord;
}

export class RangeDriver {
  readonly #d: RangeDriverDeps;
  readonly #governed = new Map<string, Governed>();
  #driver: ScalingDriver | undefined;

  constructor(deps: RangeDriverDeps) {
    this.#d = deps;
  }

  attach(driver: ScalingDriver): void {
    this.#driver = driver;
  }

  /** True when a target drives this config (its SCF policy, if any, waits). */
  governs(id: string): boolean {
    return this.#governed.has(id);
  }

  /** Start-up: every stored target with something to do is registered again. */
  async start(): Promise<void> {
    for (const { key, target } of await this.#d.store.listAllScalableTargets()) {
      await this.#sync(key, target.qualifier, target);
    }
  }

  /** Step 1, after any write of the target. */
  async refresh(key: FunctionKey, qualifier: string): Promise<void> {
    const target = (await this.#d.store.listScalableTargets(key)).find(
      (e) => e.key.namespace === key.namespace && e.key.name === key.name && e.target.qualifier === qualifier,
    )?.target;
    await this.#sync(key, qualifier, target);
  }

  stop(): void {
    for (const id of [...this.#governed.keys()]) {
      this.#governed.delete(id);
      this.#driver?.unregister(id);
    }
  }

  /** Step 2: a moved range is stored (once per fire). */
  observe(id: string, decision: Decision): void {
    const g = this.#governed.get(id);
    const b = decision.bounds;
    if (g === undefined || b === undefined || decision.action === undefined) {
      return;
    }
    if (b.min === g.target.minCapacity && b.max === g.target.maxCapacity) {
      return;
    }
    const target = {
      ...g.target,
      minCapacity: b.min,
      maxCapacity: b.max,
      boundsSetMs: decision.action.firedAtMs,
    };
    this.#governed.set(id, { ...g, target });
    this.#d.store.putScalableTarget(g.key, target).catch((e: unknown) => this.#d.onError?.(id, e));
  }

  /** Step 3. Rejects when the change fails, so the loop retries. */
  apply(id: string, desired: number, decision: Decision): Promise<void> {
    const g = this.#governed.get(id);
    if (g === undefined) {
      return Promise.resolve();
    }
    return this.#d.locks.run(`scaling:${id}`, async () => {
      const config = await this.#d.store.getProvisionedConfig(g.key, g.qualifier);
      if ((config?.requested ?? 0) === desired) {
        return;
      }
      const activity: ScalingActivityRecord = {
        id: randomUUID(),
        qualifier: g.qualifier,
        startMs: this.#d.clock.now(),
        status: 'InProgress',
        description: `Setting desired concurrency to ${desired}.`,
        cause: causeOf(g, decision),
      };
      await this.#d.store.putScalingActivity(g.key, activity);
      try {
        if (desired === 0) {
          await this.#d.provisioned.delete(g.key, g.qualifier);
        } else {
          await this.#d.provisioned.put(
            g.key,
            g.qualifier,
            desired,
            config?.extra === undefined ? undefined : { ...config.extra },
          );
        }
      } catch (e) {
        await this.#d.store.putScalingActivity(g.key, {
          ...activity,
          status: 'Failed',
          endMs: this.#d.clock.now(),
          statusMessage: `Failed to set desired concurrency to ${desired}. ${e instanceof Error ? e.message : String(e)}`,
        });
        throw e;
      }
      await this.#d.store.putScalingActivity(g.key, {
        ...activity,
        status: 'Successful',
        endMs: this.#d.clock.now(),
        statusMessage: `Successfully set desired concurrency to ${desired}. Change successfully fulfilled by lambda.`,
      });
    });
  }

  async #sync(key: FunctionKey, qualifier: string, target: ScalableTargetRecord | undefined): Promise<void> {
    const id = this.#d.provisioned.poolKey(key, qualifier);
    const active =
      target !== undefined &&
      ((target.scheduledActions.length > 0 && !target.suspended.scheduled) || target.policies.length > 0);
    if (!active) {
      if (this.#governed.delete(id)) {
        this.#driver?.unregister(id);
        await this.#d.onReleased?.(key, qualifier);
      }
      return;
    }
    const driver = this.#driver;
    if (driver === undefined) {
      return;
    }
    const config = await this.#d.store.getProvisionedConfig(key, qualifier);
    const tracking = trackingOf(target, this.#d.datapointMs);
    try {
      driver.register({
        id,
        spec: {
          scheduledActions: [],
          range: {
            min: target.minCapacity,
            max: target.maxCapacity,
            boundsActions: target.suspended.scheduled
              ? []
              : target.scheduledActions.map((a) => ({
                  name: a.name,
                  schedule: windowed(
                    this.#d.schedules(a.schedule),
                    Math.max(a.createdMs, (a.startMs ?? -Infinity) - 1),
                    a.endMs,
                  ),
                  ...(a.min === undefined ? {} : { min: a.min }),
                  ...(a.max === undefined ? {} : { max: a.max }),
                })),
          },
          ...(tracking === undefined ? {} : { tracking }),
        },
        configuredAtMs: target.boundsSetMs,
        currentDesired: config?.requested ?? 0,
        ...(tracking === undefined
          ? {}
          : {
              sampleConcurrency: () =>
                this.#d.metrics.peakConcurrency(id, this.#d.clock.now() - this.#d.datapointMs),
            }),
      });
    } catch (e) {
      this.#d.onError?.(id, e);
      return;
    }
    this.#governed.set(id, { key, qualifier, target });
  }
}

/**
 * Several policies as one [DESIGN]: AWS scales out when any policy asks and in only when
 * all do; tracking the lowest TargetValue with the longest cooldowns, scale-in disabled if
 * any policy disables it, gives the same answers for one metric.
 */
function trackingOf(t: ScalableTargetRecord, datapointMs: number): TrackingPolicy | undefined {
  if (t.policies.length === 0) {
    return undefined;
  }
  const scale = datapointMs / AWS_DATAPOINT_MS;
  return {
    targetUtilization: Math.min(...t.policies.map((p) => p.targetValue)),
    min: t.minCapacity,
    max: t.maxCapacity,
    timing: {
      scaleOutPeriodMs: SCALE_OUT_DATAPOINTS * datapointMs,
      scaleInWindowMs: SCALE_IN_DATAPOINTS * datapointMs,
      tickMs: datapointMs,
    },
    scaleOutCooldownMs: Math.max(...t.policies.map((p) => p.scaleOutCooldownSec)) * 1000 * scale,
    scaleInCooldownMs: Math.max(...t.policies.map((p) => p.scaleInCooldownSec)) * 1000 * scale,
    disableScaleIn: t.suspended.dynamicScalingIn || t.policies.some((p) => p.disableScaleIn),
    disableScaleOut: t.suspended.dynamicScalingOut,
  };
}

/** AWS's alarm names for a policy (TargetTracking-<resource id>-AlarmHigh-<uuid>). */
export function alarmNames(resourceId: string, policyId: string): { high: string; low: string } {
  return {
    high: `TargetTracking-${resourceId}-AlarmHigh-${policyId}`,
    low: `TargetTracking-${resourceId}-AlarmLow-${policyId}`,
  };
}

function causeOf(g: Governed, d: Decision): string {
  const resourceId = `function:${g.key.name}:${g.qualifier}`;
  if (d.reason === 'tracking-scale-out' || d.reason === 'tracking-scale-in') {
    const policy = [...g.target.policies].sort((a, b) => a.targetValue - b.targetValue)[0];
    const names = alarmNames(resourceId, policy?.id ?? '');
    const alarm = d.reason === 'tracking-scale-out' ? names.high : names.low;
    return `monitor alarm ${alarm} in state ALARM triggered policy ${policy?.name ?? ''}`;
  }
  if (d.action !== undefined && d.reason === 'scheduled') {
    return `scheduled action name ${d.action.name} was triggered`;
  }
  const b = d.bounds ?? { min: g.target.minCapacity, max: g.target.maxCapacity };
  return d.desired <= b.min ? `minimum capacity was set to ${b.min}` : `maximum capacity was set to ${b.max}`;
}

/** Fires of `s` after `afterMs` (exclusive) and up to `untilMs` (inclusive). */
export function windowed(s: FireSchedule, afterMs: number, untilMs: number | undefined): FireSchedule {
  const until = untilMs ?? Infinity;
  return {
    lastFireAtOrBefore(atMs) {
      const t = s.lastFireAtOrBefore(Math.min(atMs, until));
      return t !== undefined && t > afterMs ? t : undefined;
    },
    nextFireAfter(afterAt) {
      const t = s.nextFireAfter(Math.max(afterAt, afterMs));
      return t !== undefined && t <= until ? t : undefined;
    },
  };
}
