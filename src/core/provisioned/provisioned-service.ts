/**
 * Provisioned concurrency: desired state in the store, actual state in the pool, and this
 * service between them (ARCHITECTURE.md principle 2).
 *
 * Each config (function, qualifier) gets a stable pool key. `reconcile(fn)` recomputes,
 * for every config of a function, the version it must run (the version itself, or the
 * alias's current primary version) and declares it to the pool; the pool starts, replaces
 * and drains environments and reports Allocated/Available/Status from live ones. Every
 * change that can move a config (put, delete, alias update/delete, version delete, function
 * delete, start-up) ends with a reconcile of that function.
 *
 * Invokes ask `servingKey(fn, version)` which config's environments may serve a version
 * (aws-lambda.md §3.6: PC on an alias also serves direct invokes of its version).
 *
 * An alias with provisioned concurrency that moves to another version is served by the
 * version it left until its config is READY on the new one (alias-service.ts `shiftOnMove`):
 * that version maps to the config too (the pool keeps its environments serving), and the
 * move is ended here when the pool reports the config settled (READY or FAILED) or gone.
 */
import { PlatformError, notFound } from '../errors.js';
import {
  LATEST,
  functionKeyString,
  isVersionQualifier,
  type FunctionKey,
  type ProvisionedConfigRecord,
  type ProvisionedStatus,
} from '../model.js';
import type { Clock, Pool, Store } from '../ports.js';
import type { SpecCache } from '../invoke/environment-spec.js';
import type { ScalingPolicy } from '../scaling/scaling-policy.js';
import type { ShiftRef } from '../services/alias-service.js';
import { lookupQualifier } from '../services/qualifier-resolver.js';
import { checkProvisionedPut, targetVersionOf } from '../rules/provisioned-rules.js';

export interface ProvisionedView {
  readonly config: ProvisionedConfigRecord;
  readonly status: ProvisionedStatus;
}

export interface ProvisionedDeps {
  readonly store: Store;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly specs: SpecCache;
  /** The floor of the account's UnreservedConcurrentExecutions. */
  readonly minUnreservedConcurrency: (key: FunctionKey) => number;
  /** The scope's current UnreservedConcurrentExecutions. */
  readonly unreserved: (key: FunctionKey) => Promise<number>;
  /** Serialises mutations of one function with the rest of core. */
  readonly withLock: <T>(key: FunctionKey, fn: () => Promise<T>) => Promise<T>;
  /** Called after the function's provisioned state changed (accounting caches). */
  readonly onChanged: (key: FunctionKey) => void;
  /** Ends an alias's provisioned move (alias-service.ts `endShift`); takes the function lock. */
  readonly endShift: (key: FunctionKey, alias: string, ref: ShiftRef) => Promise<void>;
  /** Faults of background work (ending a move). */
  readonly report: (what: string, error: unknown) => void;
}

/** An alias in a provisioned move, by the pool key of its config. */
interface Shift {
  readonly key: FunctionKey;
  readonly alias: string;
  readonly ref: ShiftRef;
  /** The alias's routing is being restored (endShift is running). */
  ending: boolean;
}

/** What a function's configs serve, rebuilt on every reconcile (hot-path index). */
interface Serving {
  /** version → pool key of the config whose environments run it */
  readonly byVersion: Map<string, string>;
  /** Σ requested over the function's configs */
  readonly requestedTotal: number;
  /** pool keys declared to the pool, to retract the ones that went away */
  readonly poolKeys: Set<string>;
}

export class ProvisionedService {
  readonly #d: ProvisionedDeps;
  readonly #serving = new Map<string, Serving>();
  readonly #shifts = new Map<string, Shift>();

  constructor(deps: ProvisionedDeps) {
    this.#d = deps;
    deps.pool.watchProvisioned((pk, status) => {
      if (status.status !== 'IN_PROGRESS') {
        this.#endShift(pk);
      }
    });
  }

  /** The stable pool key of one config. */
  poolKey(key: FunctionKey, qualifier: string): string {
    return `${functionKeyString(key)}#${qualifier}`;
  }

  /** The pool key of the config whose environments may serve `version`, if any. */
  servingKey(key: FunctionKey, version: string): string | undefined {
    return this.#serving.get(functionKeyString(key))?.byVersion.get(version);
  }

  /** The pool keys of every config declared to the pool (metrics sampling). */
  *servedPoolKeys(): Iterable<string> {
    for (const s of this.#serving.values()) {
      yield* s.poolKeys;
    }
  }

  /** Σ requested provisioned concurrency of a function (admission's reserved on-demand cap). */
  requestedTotal(key: FunctionKey): number {
    return this.#serving.get(functionKeyString(key))?.requestedTotal ?? 0;
  }

  /** PutProvisionedConcurrencyConfig: validate (§3.3), store, reconcile, report. */
  put(
    key: FunctionKey,
    qualifier: string,
    requested: number,
    scaling?: ScalingPolicy,
  ): Promise<ProvisionedView> {
    return this.#d.withLock(key, async () => {
      if (qualifier === LATEST) {
        throw new PlatformError('PROVISIONED_ON_UNPUBLISHED', { functionName: key.name });
      }
      const fn = await this.#resolve(key, qualifier);
      const aliases = await this.#d.store.listAliases(key);
      const alias = isVersionQualifier(qualifier) ? undefined : aliases.find((a) => a.name === qualifier);
      if (alias?.functionVersion === LATEST) {
        throw new PlatformError('PROVISIONED_ON_UNPUBLISHED', { functionName: key.name });
      }
      const configs = await this.#d.store.listProvisionedConfigs(key);
      checkProvisionedPut({
        functionName: key.name,
        qualifier,
        requested,
        ...(alias === undefined ? {} : { alias }),
        ...(fn.reservedConcurrency === undefined ? {} : { reserved: fn.reservedConcurrency }),
        configs,
        aliases,
        unreserved: await this.#d.unreserved(key),
        minUnreserved: this.#d.minUnreservedConcurrency(key),
      });
      const config: ProvisionedConfigRecord = {
        qualifier,
        requested,
        lastModifiedMs: this.#d.clock.now(),
        ...(scaling === undefined ? {} : { scaling }),
      };
      await this.#d.store.putProvisionedConfig(key, config);
      await this.#reconcileLocked(key);
      this.#d.onChanged(key);
      return { config, status: this.#status(key, config) };
    });
  }

  /** GetProvisionedConcurrencyConfig. */
  async get(key: FunctionKey, qualifier: string): Promise<ProvisionedView> {
    if (qualifier === LATEST) {
      throw new PlatformError('PROVISIONED_QUALIFIER_INVALID', { functionName: key.name, qualifier });
    }
    await this.#resolve(key, qualifier);
    const config = await this.#d.store.getProvisionedConfig(key, qualifier);
    if (config === undefined) {
      throw new PlatformError('PROVISIONED_CONFIG_NOT_FOUND', { functionName: key.name, qualifier });
    }
    return { config, status: this.#status(key, config) };
  }

  /** DeleteProvisionedConcurrencyConfig: idempotent once the qualifier exists (§3.3). */
  delete(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#d.withLock(key, async () => {
      if (qualifier === LATEST) {
        throw new PlatformError('PROVISIONED_QUALIFIER_INVALID', { functionName: key.name, qualifier });
      }
      await this.#resolve(key, qualifier);
      await this.#d.store.deleteProvisionedConfig(key, qualifier);
      await this.#reconcileLocked(key);
      this.#d.onChanged(key);
    });
  }

  /** ListProvisionedConcurrencyConfigs (all configs of a function, by qualifier). */
  async list(key: FunctionKey): Promise<ProvisionedView[]> {
    if ((await this.#d.store.getFunction(key)) === undefined) {
      throw notFound.fn(key.name);
    }
    const configs = await this.#d.store.listProvisionedConfigs(key);
    return configs.map((config) => ({ config, status: this.#status(key, config) }));
  }

  /**
   * The truth about a config's environments. A config of 0 (SCF allows it: a schedule or
   * tracking that starts from nothing) has nothing to wait for: READY with 0 of 0; the pool
   * keeps no state for it.
   */
  #status(key: FunctionKey, config: ProvisionedConfigRecord): ProvisionedStatus {
    if (config.requested === 0) {
      return { allocated: 0, available: 0, status: 'READY' };
    }
    const pk = this.poolKey(key, config.qualifier);
    const status = this.#d.pool.provisionedStatus(pk);
    // READY only once the alias routes to its new version again (its move has ended).
    return status.status === 'READY' && this.#shifts.has(pk) ? { ...status, status: 'IN_PROGRESS' } : status;
  }

  /**
   * Re-declares a function's configs to the pool. Call with the function's lock held
   * (alias and version changes do) or through `reconcile`.
   */
  async reconcileLocked(key: FunctionKey): Promise<void> {
    await this.#reconcileLocked(key);
    this.#d.onChanged(key);
  }

  /** Start-up: every function that has configs is reconciled (§3 "on restart, re-provisioned"). */
  /**
   * Re-provisions every stored config. One function that cannot be (its package lost, say)
   * is reported through `onFailure` and the others still start: a bad function never keeps
   * the platform from starting.
   */
  async start(onFailure: (key: FunctionKey, error: unknown) => void = () => undefined): Promise<void> {
    const all = await this.#d.store.listAllProvisionedConfigs();
    const seen = new Map<string, FunctionKey>();
    for (const { key } of all) {
      seen.set(functionKeyString(key), key);
    }
    for (const key of seen.values()) {
      try {
        await this.#d.withLock(key, () => this.reconcileLocked(key));
      } catch (e) {
        onFailure(key, e);
      }
    }
  }

  /** The function is gone: retract every config from the pool. */
  forget(key: FunctionKey): void {
    const s = this.#serving.get(functionKeyString(key));
    if (s !== undefined) {
      for (const pk of s.poolKeys) {
        this.#d.pool.setProvisioned(pk, undefined, 0);
      }
      this.#serving.delete(functionKeyString(key));
    }
  }

  async #reconcileLocked(key: FunctionKey): Promise<void> {
    const id = functionKeyString(key);
    const previous = this.#serving.get(id);
    const fn = await this.#d.store.getFunction(key);
    if (fn === undefined) {
      this.forget(key);
      return;
    }
    const [configs, aliases] = await Promise.all([
      this.#d.store.listProvisionedConfigs(key),
      this.#d.store.listAliases(key),
    ]);
    const byVersion = new Map<string, string>();
    const poolKeys = new Set<string>();
    let requestedTotal = 0;
    for (const config of configs) {
      requestedTotal += config.requested;
      const pk = this.poolKey(key, config.qualifier);
      const version = targetVersionOf(config.qualifier, aliases);
      const record =
        version === undefined || version === LATEST
          ? undefined
          : await this.#d.store.getVersion(key, version);
      if (record === undefined) {
        // The target vanished (cascades normally remove the config first): nothing to run.
        this.#d.pool.setProvisioned(pk, undefined, 0);
        continue;
      }
      const spec = await this.#d.specs.get(key, record);
      this.#d.pool.setProvisioned(pk, spec, config.requested);
      byVersion.set(record.version, pk);
      poolKeys.add(pk);
    }
    // Moves in progress: the version left keeps this config's environments until it settles.
    const moving = new Set<string>();
    for (const alias of aliases) {
      const shift = alias.provisionedShift;
      if (shift === undefined) {
        continue;
      }
      const pk = this.poolKey(key, alias.name);
      const ref = { fromVersion: shift.fromVersion, toVersion: alias.functionVersion };
      const known = this.#shifts.get(pk);
      if (
        known === undefined ||
        known.ref.fromVersion !== ref.fromVersion ||
        known.ref.toVersion !== ref.toVersion
      ) {
        this.#shifts.set(pk, { key, alias: alias.name, ref, ending: false });
      }
      moving.add(pk);
      if (poolKeys.has(pk) && this.#d.pool.provisionedStatus(pk).status === 'IN_PROGRESS') {
        if (!byVersion.has(shift.fromVersion)) {
          byVersion.set(shift.fromVersion, pk);
        }
      } else {
        // Nothing left to wait for (config deleted, already READY, or FAILED).
        this.#endShift(pk);
      }
    }
    for (const pk of previous?.poolKeys ?? []) {
      if (!poolKeys.has(pk)) {
        this.#d.pool.setProvisioned(pk, undefined, 0);
      }
    }
    for (const [pk, shift] of this.#shifts) {
      if (functionKeyString(shift.key) === id && !moving.has(pk)) {
        this.#shifts.delete(pk);
      }
    }
    this.#serving.set(id, { byVersion, requestedTotal, poolKeys });
  }

  /** Ends the move of the alias behind `pk`, if one is in progress (after the lock is free). */
  #endShift(pk: string): void {
    const shift = this.#shifts.get(pk);
    if (shift === undefined || shift.ending) {
      return;
    }
    shift.ending = true;
    this.#d
      .endShift(shift.key, shift.alias, shift.ref)
      .catch((e: unknown) => {
        this.#d.report(`ending the provisioned move of ${shift.key.name}:${shift.alias}`, e);
      })
      .finally(() => {
        // The reconcile that endShift's change ran has usually forgotten it already.
        if (this.#shifts.get(pk) === shift) {
          this.#shifts.delete(pk);
        }
      });
  }

  /**
   * §3.3 step 2: resolution errors, which AWS words by the qualifier's shape: a version
   * or alias that cannot be found is named even when the function itself is missing.
   */
  async #resolve(key: FunctionKey, qualifier: string) {
    const r = await lookupQualifier(this.#d.store, key, qualifier);
    if (r.kind === 'found' || (r.kind === 'no-version' && r.viaAlias)) {
      return r.fn;
    }
    throw isVersionQualifier(qualifier)
      ? notFound.version(key.name, qualifier)
      : notFound.alias(key.name, qualifier);
  }
}
