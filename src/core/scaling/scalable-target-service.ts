/**
 * Scalable targets as callers write them (scalable-target.ts for the records): register,
 * deregister, scheduled actions, tracking policies and tags, each validated against the
 * function's state and stored; `onChanged` then tells the driver (range-driver.ts) to
 * take the new record into account. Nothing here changes a provisioned config: only the
 * driver does, through ProvisionedService.put (AWS: registering changes nothing, §4).
 *
 * Errors are ScalingError kinds, which the dialect words (aws-autoscaling/errors.ts);
 * lookups of the function use the catalog's resolver.
 */
import { randomUUID } from 'node:crypto';
import { LATEST, isVersionQualifier, type FunctionKey, type Scope } from '../model.js';
import type { Clock, Store } from '../ports.js';
import type { KeyedMutex } from '../services/keyed-mutex.js';
import { lookupQualifier } from '../services/qualifier-resolver.js';
import {
  NOT_SUSPENDED,
  type BoundsActionRecord,
  type ScalableTargetRecord,
  type ScalingActivityRecord,
  type SuspendedFlags,
  type TrackingPolicyRecord,
} from './scalable-target.js';

/** AWS's quotas per scalable target (Application Auto Scaling service quotas). */
export const MAX_SCHEDULED_ACTIONS_PER_TARGET = 200;
export const MAX_POLICIES_PER_TARGET = 50;

export type ScalingErrorKind =
  /** No target registered for (function, qualifier). */
  | 'target-not-found'
  /** The function, alias or version does not exist. */
  | 'resource-not-found'
  /** `$LATEST` (or an alias to it) cannot have provisioned concurrency. */
  | 'unpublished'
  /** A new target without both capacities. */
  | 'capacity-required'
  | 'min-above-max'
  | 'action-not-found'
  | 'policy-not-found'
  | 'too-many-actions'
  | 'too-many-policies';

export class ScalingError extends Error {
  constructor(
    readonly kind: ScalingErrorKind,
    readonly detail: { readonly functionName: string; readonly qualifier: string; readonly name?: string },
  ) {
    super(
      `${kind}: ${detail.functionName}:${detail.qualifier}${detail.name === undefined ? '' : ` ${detail.name}`}`,
    );
    this.name = 'ScalingError';
  }
}

export interface RegisterInput {
  readonly min?: number;
  readonly max?: number;
  readonly suspended?: Partial<SuspendedFlags>;
  /** Applied when the target is created only (AWS: use TagResource afterwards). */
  readonly tags?: Readonly<Record<string, string>>;
}

export type ScheduledActionInput = Omit<BoundsActionRecord, 'id' | 'createdMs'>;
export type TrackingPolicyInput = Omit<TrackingPolicyRecord, 'id' | 'createdMs'>;

export interface ScalableTargetDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly locks: KeyedMutex;
  /** The target changed (or is gone): re-read it and (re)register or unregister it. */
  readonly onChanged: (key: FunctionKey, qualifier: string) => Promise<void>;
  readonly newId?: () => string;
}

export class ScalableTargetService {
  readonly #d: ScalableTargetDeps;
  readonly #newId: () => string;

  constructor(deps: ScalableTargetDeps) {
    this.#d = deps;
    this.#newId = deps.newId ?? (() => randomUUID().replaceAll('-', '') + randomUUID().slice(0, 4));
  }

  async list(scope: Scope): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]> {
    return this.#d.store.listScalableTargets(scope);
  }

  async get(key: FunctionKey, qualifier: string): Promise<ScalableTargetRecord | undefined> {
    const all = await this.#d.store.listScalableTargets(key);
    return all.find((e) => sameKey(e.key, key) && e.target.qualifier === qualifier)?.target;
  }

  activities(scope: Scope): Promise<{ key: FunctionKey; activity: ScalingActivityRecord }[]> {
    return this.#d.store.listScalingActivities(scope);
  }

  /** RegisterScalableTarget: creates (both capacities needed) or updates what is given. */
  register(key: FunctionKey, qualifier: string, input: RegisterInput): Promise<ScalableTargetRecord> {
    return this.#write(key, qualifier, async (existing) => {
      await this.#checkResource(key, qualifier);
      const now = this.#d.clock.now();
      if (existing === undefined && (input.min === undefined || input.max === undefined)) {
        throw new ScalingError('capacity-required', { functionName: key.name, qualifier });
      }
      const min = input.min ?? existing?.minCapacity ?? 0;
      const max = input.max ?? existing?.maxCapacity ?? 0;
      if (min > max) {
        throw new ScalingError('min-above-max', { functionName: key.name, qualifier });
      }
      const boundsMoved = existing === undefined || input.min !== undefined || input.max !== undefined;
      return {
        qualifier,
        id: existing?.id ?? this.#newId(),
        minCapacity: min,
        maxCapacity: max,
        suspended: { ...(existing?.suspended ?? NOT_SUSPENDED), ...input.suspended },
        createdMs: existing?.createdMs ?? now,
        boundsSetMs: boundsMoved ? now : (existing?.boundsSetMs ?? now),
        tags: existing?.tags ?? input.tags ?? {},
        scheduledActions: existing?.scheduledActions ?? [],
        policies: existing?.policies ?? [],
      };
    });
  }

  /** DeregisterScalableTarget: the target, its actions and policies; the config stays as it is. */
  deregister(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#d.locks.run(lockKey(key, qualifier), async () => {
      await this.#existing(key, qualifier);
      await this.#d.store.deleteScalableTarget(key, qualifier);
      await this.#d.onChanged(key, qualifier);
    });
  }

  putScheduledAction(key: FunctionKey, qualifier: string, input: ScheduledActionInput) {
    return this.#update(key, qualifier, (t) => {
      const old = t.scheduledActions.find((a) => a.name === input.name);
      if (old === undefined && t.scheduledActions.length >= MAX_SCHEDULED_ACTIONS_PER_TARGET) {
        throw new ScalingError('too-many-actions', { functionName: key.name, qualifier });
      }
      const action: BoundsActionRecord = {
        ...input,
        id: old?.id ?? randomUUID(),
        // A rewritten action starts a new history: fires before now are not its own.
        createdMs: this.#d.clock.now(),
      };
      const scheduledActions =
        old === undefined
          ? [...t.scheduledActions, action]
          : t.scheduledActions.map((a) => (a.name === input.name ? action : a));
      return { ...t, scheduledActions };
    });
  }

  deleteScheduledAction(key: FunctionKey, qualifier: string, name: string) {
    return this.#update(key, qualifier, (t) => {
      if (!t.scheduledActions.some((a) => a.name === name)) {
        throw new ScalingError('action-not-found', { functionName: key.name, qualifier, name });
      }
      return { ...t, scheduledActions: t.scheduledActions.filter((a) => a.name !== name) };
    });
  }

  putPolicy(key: FunctionKey, qualifier: string, input: TrackingPolicyInput) {
    return this.#update(key, qualifier, (t) => {
      const old = t.policies.find((p) => p.name === input.name);
      if (old === undefined && t.policies.length >= MAX_POLICIES_PER_TARGET) {
        throw new ScalingError('too-many-policies', { functionName: key.name, qualifier });
      }
      const policy: TrackingPolicyRecord = {
        ...input,
        id: old?.id ?? randomUUID(),
        createdMs: old?.createdMs ?? this.#d.clock.now(),
      };
      const policies =
        old === undefined
          ? [...t.policies, policy]
          : t.policies.map((p) => (p.name === input.name ? policy : p));
      return { ...t, policies };
    });
  }

  deletePolicy(key: FunctionKey, qualifier: string, name: string) {
    return this.#update(key, qualifier, (t) => {
      if (!t.policies.some((p) => p.name === name)) {
        throw new ScalingError('policy-not-found', { functionName: key.name, qualifier, name });
      }
      return { ...t, policies: t.policies.filter((p) => p.name !== name) };
    });
  }

  /** TagResource (merge) / UntagResource (remove keys); tags never move the scaler. */
  retag(
    key: FunctionKey,
    qualifier: string,
    set: Readonly<Record<string, string>>,
    remove: readonly string[],
  ) {
    return this.#d.locks.run(lockKey(key, qualifier), async () => {
      const t = await this.#existing(key, qualifier);
      const tags: Record<string, string> = { ...t.tags, ...set };
      for (const k of remove) {
        delete tags[k];
      }
      const next = { ...t, tags };
      await this.#d.store.putScalableTarget(key, next);
      return next;
    });
  }

  /** The driver's write of moved bounds (an action fired); no re-registration needed. */
  recordBounds(key: FunctionKey, qualifier: string, min: number, max: number, atMs: number) {
    return this.#d.locks.run(lockKey(key, qualifier), async () => {
      const t = await this.get(key, qualifier);
      if (t === undefined || (t.minCapacity === min && t.maxCapacity === max) || t.boundsSetMs >= atMs) {
        return;
      }
      await this.#d.store.putScalableTarget(key, {
        ...t,
        minCapacity: min,
        maxCapacity: max,
        boundsSetMs: atMs,
      });
    });
  }

  async #existing(key: FunctionKey, qualifier: string): Promise<ScalableTargetRecord> {
    const t = await this.get(key, qualifier);
    if (t === undefined) {
      throw new ScalingError('target-not-found', { functionName: key.name, qualifier });
    }
    return t;
  }

  #update(key: FunctionKey, qualifier: string, change: (t: ScalableTargetRecord) => ScalableTargetRecord) {
    return this.#write(key, qualifier, (existing) => {
      if (existing === undefined) {
        throw new ScalingError('target-not-found', { functionName: key.name, qualifier });
      }
      return Promise.resolve(change(existing));
    });
  }

  #write(
    key: FunctionKey,
    qualifier: string,
    make: (existing: ScalableTargetRecord | undefined) => Promise<ScalableTargetRecord>,
  ): Promise<ScalableTargetRecord> {
    return this.#d.locks.run(lockKey(key, qualifier), async () => {
      const next = await make(await this.get(key, qualifier));
      await this.#d.store.putScalableTarget(key, next);
      await this.#d.onChanged(key, qualifier);
      return next;
    });
  }

  /** The qualifier must name a published version, or an alias not on `$LATEST`. */
  async #checkResource(key: FunctionKey, qualifier: string): Promise<void> {
    if (qualifier === LATEST) {
      throw new ScalingError('unpublished', { functionName: key.name, qualifier });
    }
    const r = await lookupQualifier(this.#d.store, key, qualifier);
    if (r.kind !== 'found') {
      throw new ScalingError('resource-not-found', { functionName: key.name, qualifier });
    }
    if (!isVersionQualifier(qualifier) && r.alias?.functionVersion === LATEST) {
      throw new ScalingError('unpublished', { functionName: key.name, qualifier });
    }
  }
}

function sameKey(a: FunctionKey, b: FunctionKey): boolean {
  return (
    a.accountId === b.accountId && a.region === b.region && a.namespace === b.namespace && a.name === b.name
  );
}

/** Target writes are serialised with the driver's bounds writes. */
function lockKey(key: FunctionKey, qualifier: string): string {
  return `scalable-target:${key.accountId}/${key.region}/${key.namespace}/${key.name}#${qualifier}`;
}
