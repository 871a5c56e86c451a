/**
 * Scheduled and utilisation-tracking provisioned concurrency, as core glue between stored
 * policies (scaling-policy.ts) and a scaling driver (the scheduler's ScalingLoop, composed
 * in server/create-platform.ts; core does not import it, see the lint layers).
 *
 *   1. `configure(key, q, policy)`: a dialect writes a config with its policy; the count
 *      put in force now is `initialDesired(policy)`; a dynamic policy is (re)registered
 *      with the driver as a target whose id is the config's pool key;
 *   2. the driver decides when the count must change and calls `apply(id, desired)`;
 *   3. `apply` re-reads the config and, if it still carries the policy that target was
 *      registered for, changes the count through `ProvisionedService.put` with the config's
 *      `extra` unchanged — the same path, rules and reconcile as a caller's Put;
 *   4. deletes (config, version, function) unregister the target.
 *
 * Every write of one config's count (configure, remove, apply) runs under one lock per pool
 * key, taken before the function lock (lock order: scaling → function → scope), so a stale
 * decision can never overwrite a policy written after it was made.
 *
 * Tracking samples come from the pool: concurrency = utilisation × allocated environments
 * (tencent-scf.md §3.4; the decider's ConcurrencySample saturates there by design).
 */
import type { FunctionKey, ProvisionedConfigRecord } from '../model.js';
import type { FireSchedule, ScalingTarget } from './driver-types.js';
import { functionKeyString } from '../model.js';
import type { Pool, Store } from '../ports.js';
import type { ProvisionedView } from '../provisioned/provisioned-service.js';
import type { ChangeFeed } from '../services/change-feed.js';
import type { KeyedMutex } from '../services/keyed-mutex.js';
import {
  initialDesired,
  isDynamic,
  readScalingPolicy,
  withScalingPolicy,
  type ScalingPolicy,
  type ScheduleRef,
} from './scaling-policy.js';

/** Fire instants of a schedule in epoch ms. */
export type FireScheduleLike = FireSchedule;

/** Turns a stored schedule reference into fire instants; throws for an unknown kind or bad expression. */
export type ScheduleFactory = (ref: ScheduleRef) => FireScheduleLike;

/** A target as the driver takes it. */
export type ScalingDriverTarget = ScalingTarget;

export interface ScalingDriver {
  register(target: ScalingDriverTarget): void;
  unregister(id: string): void;
}

/** The part of ProvisionedService this glue drives. */
export interface ProvisionedWriter {
  put(
    key: FunctionKey,
    qualifier: string,
    requested: number,
    extra?: Record<string, unknown>,
  ): Promise<ProvisionedView>;
  delete(key: FunctionKey, qualifier: string): Promise<void>;
  poolKey(key: FunctionKey, qualifier: string): string;
}

export interface ScalingServiceDeps {
  readonly store: Store;
  readonly pool: Pick<Pool, 'provisionedUtilization' | 'provisionedStatus'>;
  readonly provisioned: ProvisionedWriter;
  readonly changes: ChangeFeed;
  readonly locks: KeyedMutex;
  readonly schedules: ScheduleFactory;
  /** True when something else (a scalable target, range-driver.ts) drives this config. */
  readonly governed?: (targetId: string) => boolean;
  /** Tracking's demand sample for a config (core/metrics); default: the pool's utilisation × allocated. */
  readonly sample?: (targetId: string) => number;
  /** Registration failures (a schedule that no longer parses...). Defaults to ignoring them. */
  readonly onError?: (targetId: string, error: unknown) => void;
}

interface Registered {
  readonly key: FunctionKey;
  readonly qualifier: string;
  /** Changes on every registration: a decision made for an older one is dropped. */
  readonly generation: number;
  readonly configuredAtMs: number;
}

export class ScalingService {
  readonly #d: ScalingServiceDeps;
  readonly #targets = new Map<string, Registered>();
  #driver: ScalingDriver | undefined;
  #generation = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: ScalingServiceDeps) {
    this.#d = deps;
    this.#unsubscribe = deps.changes.subscribe((change) => {
      if (change.kind === 'function-deleted') {
        this.#forget((t) => functionKeyString(t.key) === functionKeyString(change.key));
      } else if (change.kind === 'version-deleted') {
        this.#forget(
          (t) => functionKeyString(t.key) === functionKeyString(change.key) && t.qualifier === change.version,
        );
      }
    });
  }

  /** Binds the driver (the loop is built after this service: its `apply` calls back here). */
  attach(driver: ScalingDriver): void {
    this.#driver = driver;
  }

  /**
   * Writes a config governed by `policy` (step 1). Returns the provisioned view after the
   * put. Errors are ProvisionedService.put's.
   */
  configure(
    key: FunctionKey,
    qualifier: string,
    policy: ScalingPolicy,
    extra?: Record<string, unknown>,
  ): Promise<ProvisionedView> {
    const id = this.#d.provisioned.poolKey(key, qualifier);
    return this.#d.locks.run(lockKey(id), async () => {
      const view = await this.#d.provisioned.put(
        key,
        qualifier,
        initialDesired(policy),
        withScalingPolicy(extra, policy),
      );
      // A new policy starts a new history: the driver must not keep the old target's count.
      this.#unregister(id);
      this.#registerRecord(key, view.config);
      return view;
    });
  }

  /** Deletes a config and its target (step 4). Errors are ProvisionedService.delete's. */
  remove(key: FunctionKey, qualifier: string): Promise<void> {
    const id = this.#d.provisioned.poolKey(key, qualifier);
    return this.#d.locks.run(lockKey(id), async () => {
      await this.#d.provisioned.delete(key, qualifier);
      this.#unregister(id);
    });
  }

  /** The driver's actuation (steps 2–3). Rejects when the put fails, so the driver retries. */
  apply(targetId: string, desired: number): Promise<void> {
    // Captured before waiting for the lock: a configure queued ahead of us re-registers.
    const target = this.#targets.get(targetId);
    if (target === undefined) {
      return Promise.resolve();
    }
    return this.#d.locks.run(lockKey(targetId), async () => {
      if (this.#targets.get(targetId)?.generation !== target.generation) {
        return;
      }
      const record = await this.#d.store.getProvisionedConfig(target.key, target.qualifier);
      const policy = readScalingPolicy(record?.extra);
      if (record === undefined || policy === undefined || policy.configuredAtMs !== target.configuredAtMs) {
        // Deleted or rewritten by a caller that did not go through `configure` (another dialect).
        this.#unregister(targetId);
        return;
      }
      if (record.requested === desired) {
        return;
      }
      await this.#d.provisioned.put(target.key, target.qualifier, desired, { ...(record.extra ?? {}) });
    });
  }

  /** Registers a config's policy again (a scalable target stopped governing it). */
  refresh(key: FunctionKey, qualifier: string): Promise<void> {
    const id = this.#d.provisioned.poolKey(key, qualifier);
    return this.#d.locks.run(lockKey(id), async () => {
      const config = await this.#d.store.getProvisionedConfig(key, qualifier);
      this.#unregister(id);
      if (config !== undefined) {
        this.#registerRecord(key, config);
      }
    });
  }

  /** Start-up: registers every stored config whose policy is dynamic. */
  async start(): Promise<void> {
    for (const { key, config } of await this.#d.store.listAllProvisionedConfigs()) {
      this.#registerRecord(key, config);
    }
  }

  /** The targets currently registered (for tests and the dashboard). */
  targets(): { readonly id: string; readonly key: FunctionKey; readonly qualifier: string }[] {
    return [...this.#targets].map(([id, t]) => ({ id, key: t.key, qualifier: t.qualifier }));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const id of [...this.#targets.keys()]) {
      this.#unregister(id);
    }
  }

  #registerRecord(key: FunctionKey, config: ProvisionedConfigRecord): void {
    const policy = readScalingPolicy(config.extra);
    if (policy === undefined || !isDynamic(policy)) {
      return;
    }
    const id = this.#d.provisioned.poolKey(key, config.qualifier);
    const driver = this.#driver;
    if (driver === undefined || this.#d.governed?.(id) === true) {
      return;
    }
    try {
      const { pool } = this.#d;
      driver.register({
        id,
        spec: {
          requested: policy.requested,
          scheduledActions: policy.scheduledActions.map((a) => ({
            name: a.name,
            schedule: this.#d.schedules(a.schedule),
            provisionedNum: a.provisionedNum,
          })),
          ...(policy.tracking === undefined ? {} : { tracking: policy.tracking }),
        },
        configuredAtMs: policy.configuredAtMs,
        currentDesired: config.requested,
        ...(policy.tracking === undefined
          ? {}
          : {
              sampleConcurrency:
                this.#d.sample === undefined
                  ? () => pool.provisionedUtilization(id) * pool.provisionedStatus(id).allocated
                  : () => this.#d.sample?.(id) ?? 0,
            }),
      });
    } catch (e) {
      this.#d.onError?.(id, e);
      return;
    }
    this.#targets.set(id, {
      key,
      qualifier: config.qualifier,
      generation: ++this.#generation,
      configuredAtMs: policy.configuredAtMs,
    });
  }

  #unregister(id: string): void {
    if (this.#targets.delete(id)) {
      this.#driver?.unregister(id);
    }
  }

  #forget(match: (t: Registered) => boolean): void {
    for (const [id, t] of [...this.#targets]) {
      if (match(t)) {
        this.#unregister(id);
      }
    }
  }
}

function lockKey(poolKey: string): string {
  return `scaling:${poolKey}`;
}
