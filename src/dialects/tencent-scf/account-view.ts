/**
 * The MB-quota view of one account (quotas.ts), read from core: functions and versions
 * (memory sizes), provisioned claims, reservations, and the SCF settings document.
 * Quota checks read it fresh under the dialect's quota lock; the invoke path asks only for
 * T − Σ R, cached per scope until a change that can move it (core's change feed, or a write
 * of the SCF settings).
 */
import type { Scope } from '../../core/model.js';
import { functionKeyString } from '../../core/model.js';
import type { ScopeSettingsService } from '../../core/services/scope-settings.js';
import { unreservedInvokeMb, type AccountQuota, type FunctionQuota } from './quotas.js';
import { effectiveReservedMb, readScfSettings } from './scf-settings.js';
import type { ScfCore } from './types.js';

export class AccountQuotaCache {
  readonly #invokeLimit = new Map<string, Promise<number>>();

  constructor(
    private readonly core: ScfCore,
    private readonly settings: ScopeSettingsService,
    private readonly defaultTotalMb: number,
  ) {
    core.changes.subscribe((change) => this.invalidate(change.key));
  }

  /** The account's quota view now (never cached). */
  async load(scope: Scope): Promise<AccountQuota> {
    const scf = readScfSettings(await this.settings.get(scope));
    const items = await this.core.functions.list(scope, { allVersions: true });
    const claims = await this.core.concurrency.claims(scope);
    const byId = new Map<string, { fn: (typeof items)[number]['fn']; memory: Map<string, number> }>();
    for (const { fn, version } of items) {
      const id = functionKeyString(fn.key);
      let entry = byId.get(id);
      if (entry === undefined) {
        entry = { fn, memory: new Map() };
        byId.set(id, entry);
      }
      entry.memory.set(version.version, version.config.memoryMb);
    }
    const functions: FunctionQuota[] = [];
    for (const [id, { fn, memory }] of byId) {
      const latestMb = fn.latest.config.memoryMb;
      const claim = claims.byFunction.get(id);
      const reservedMb = effectiveReservedMb(fn, scf);
      functions.push({
        id,
        namespace: fn.key.namespace,
        name: fn.key.name,
        memoryMb: latestMb,
        ...(reservedMb === undefined ? {} : { reservedMb }),
        // An alias config (AWS-made) is costed at $LATEST's memory [REC].
        provisioned: Object.entries(claim?.provisioned ?? {}).map(([qualifier, instances]) => ({
          qualifier,
          instances,
          memoryMb: memory.get(qualifier) ?? latestMb,
        })),
      });
    }
    return { totalMb: scf.totalConcurrencyMem ?? this.defaultTotalMb, functions };
  }

  /** T − Σ R of the scope, MB (the invoke gate's limit). */
  invokeLimitMb(scope: Scope): Promise<number> {
    const k = scopeKey(scope);
    let v = this.#invokeLimit.get(k);
    if (v === undefined) {
      v = this.load(scope).then(unreservedInvokeMb);
      this.#invokeLimit.set(k, v);
      v.catch(() => this.#invokeLimit.delete(k));
    }
    return v;
  }

  invalidate(scope: Scope): void {
    this.#invokeLimit.delete(scopeKey(scope));
  }
}

export function scopeKey(scope: Scope): string {
  return `${scope.accountId}/${scope.region}`;
}
