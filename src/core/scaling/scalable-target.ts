/**
 * Scalable targets: a provisioned-concurrency config that a bounds-and-tracking scaler
 * drives (AWS Application Auto Scaling's model, in neutral words). A target is keyed by
 * (function, qualifier) and exists on its own, before and without a config: registering
 * it changes nothing until a scheduled action or a tracking policy does (aws-lambda.md §4).
 *
 *   - `minCapacity`/`maxCapacity`: the range the config's count is kept in once something
 *     moves it; scheduled actions rewrite them when they fire;
 *   - `scheduledActions`: from their fire instant on, set min and/or max (a step function);
 *   - `policies`: target tracking on provisioned-concurrency utilisation inside the range;
 *   - `suspended`: what is paused (dynamic scale-in, dynamic scale-out, scheduled).
 *
 * Records are stored as they are (Store: `putScalableTarget`); activities (what the scaler
 * did and why) are stored beside them.
 */
import type { ScheduleRef } from './scaling-policy.js';

export interface SuspendedFlags {
  readonly dynamicScalingIn: boolean;
  readonly dynamicScalingOut: boolean;
  readonly scheduled: boolean;
}

export const NOT_SUSPENDED: SuspendedFlags = Object.freeze({
  dynamicScalingIn: false,
  dynamicScalingOut: false,
  scheduled: false,
});

/** A scheduled change of the range. At least one of min and max is set. */
export interface BoundsActionRecord {
  /** Unique within the target. */
  readonly name: string;
  /** Stable id (ARN suffix). */
  readonly id: string;
  readonly schedule: ScheduleRef;
  /** Fires before it (epoch ms) are ignored. */
  readonly startMs?: number;
  /** Fires after it (epoch ms) are ignored. */
  readonly endMs?: number;
  readonly min?: number;
  readonly max?: number;
  readonly createdMs: number;
}

/** Target tracking on utilisation (busy ÷ allocated provisioned environments). */
export interface TrackingPolicyRecord {
  /** Unique within the target. */
  readonly name: string;
  /** Stable id (ARN suffix and alarm names). */
  readonly id: string;
  /** Utilisation to aim for, in [0.1, 0.9] (AWS's range for the predefined metric). */
  readonly targetValue: number;
  /** Seconds after a scale-in before the next scale-in. */
  readonly scaleInCooldownSec: number;
  /** Seconds after a scale-out before the next scale-out. */
  readonly scaleOutCooldownSec: number;
  readonly disableScaleIn: boolean;
  readonly createdMs: number;
}

export interface ScalableTargetRecord {
  readonly qualifier: string;
  /** Stable id (ARN suffix). */
  readonly id: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly suspended: SuspendedFlags;
  readonly createdMs: number;
  /**
   * When min/max were last written (by the caller, or by an action that fired), epoch ms:
   * actions that fired at or before it are already part of them.
   */
  readonly boundsSetMs: number;
  readonly tags: Readonly<Record<string, string>>;
  /** In the order they were first put. */
  readonly scheduledActions: readonly BoundsActionRecord[];
  readonly policies: readonly TrackingPolicyRecord[];
}

export type ActivityStatus =
  'Pending' | 'InProgress' | 'Successful' | 'Overridden' | 'Unfulfilled' | 'Failed';

/** One change the scaler made (or tried to), with why. */
export interface ScalingActivityRecord {
  readonly id: string;
  readonly qualifier: string;
  readonly startMs: number;
  readonly endMs?: number;
  readonly status: ActivityStatus;
  readonly statusMessage?: string;
  readonly description: string;
  readonly cause: string;
}

/** Activities kept per target (oldest dropped first). */
export const MAX_ACTIVITIES_PER_TARGET = 200;
