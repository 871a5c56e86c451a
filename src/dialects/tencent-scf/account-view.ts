/**
 * The MB-quota view of one account (quotas.ts), read from core's claims index: functions
 * and versions (memory sizes), provisioned claims, reservations, and the SCF settings.
 * Quota checks read it fresh under the dialect's quota lock (a view is kept while the
 * claims revision and the SCF settings are unchanged); the invoke path asks only for T − Σ R,
 * cached per scope until a change that can move a reservation's MB (below) or a write of the
 * SCF settings.
 */
import { PromiseMemo } from '../../core/claims/promise-memo.js';
import type { CoreChange } from '../../core/services/change-feed.js';
import { scopeKey, type Scope } from '../../core/model.js';
import type { ScopeSettingsService } from '../../core/services/scope-settings.js';
import { unreservedInvokeMb, type AccountQuota, type FunctionQuota } from './quotas.js';
import { effectiveReservedMb, readScfSettings } from './scf-settings.js';
import type { ScfCore } from './types.js';

export class AccountQuotaCache {
  readonly #invokeLimit = new PromiseMemo<string, number>();
  /** The last view per scope, with the claims revision it was built from. */
  readonly #views = new Map<string, { readonly revision: number; readonly view: AccountQuota }>();

  constructor(
    private readonly core: ScfCore,
    private readonly settings: ScopeSettingsService,
    private readonly defaultTotalMb: number,
  ) {
    core.changes.subscribe((change) => {
      if (movesReservedMb(change)) {
        this.#invokeLimit.delete(scopeKey(change.key));
      }
    });
    // A write of the settings (T, a reservation's MB), here or on another node.
    settings.subscribe((scope) => this.invalidate(scope));
  }

  /**
   * The account's quota view now, from core's claims index (each function's
   * reservation, provisioned claims and the MemorySize of each of its versions): no
   * scan of the store, whatever the size of the account.
   */
  async load(scope: Scope): Promise<AccountQuota> {
    const key = scopeKey(scope);
    const claims = await this.core.concurrency.claims(scope);
    const kept = this.#views.get(key);
    if (kept !== undefined && kept.revision === claims.revision) {
      // Nothing of the scope changed since (settings writes drop the view): reuse it.
      return kept.view;
    }
    const scf = readScfSettings(await this.settings.get(scope));
    const functions: FunctionQuota[] = [];
    for (const [id, claim] of claims.byFunction) {
      const fn = claim.fn;
      const latestMb = fn.latest.config.memoryMb;
      const reservedMb = effectiveReservedMb(fn, scf);
      functions.push({
        id,
        namespace: fn.key.namespace,
        name: fn.key.name,
        memoryMb: latestMb,
        ...(reservedMb === undefined ? {} : { reservedMb }),
        // An alias config (AWS-made) is costed at $LATEST's memory [REC].
        provisioned: Object.entries(claim.provisioned).map(([qualifier, instances]) => ({
          qualifier,
          instances,
          memoryMb: claim.memoryMbByVersion.get(qualifier) ?? latestMb,
        })),
      });
    }
    const view = { totalMb: scf.totalConcurrencyMem ?? this.defaultTotalMb, functions };
    this.#views.set(key, { revision: claims.revision, view });
    return view;
  }

  /** T − Σ R of the scope, MB (the memory budget of SCF's synchronous invokes). */
  invokeLimitMb(scope: Scope): Promise<number> {
    return this.#invokeLimit.get(scopeKey(scope), () => this.load(scope).then(unreservedInvokeMb));
  }

  /** After a write of the SCF settings (T, or a reservation's MB annotation). */
  invalidate(scope: Scope): void {
    this.#invokeLimit.delete(scopeKey(scope));
    this.#views.delete(scopeKey(scope));
  }
}

/**
 * Σ R reads each function's reservation and `$LATEST`'s MemorySize (effectiveReservedMb);
 * versions and aliases move neither. The views need no such filter: they are keyed by the
 * claims revision, which every change moves.
 */
function movesReservedMb(change: CoreChange): boolean {
  switch (change.kind) {
    case 'function-created':
    case 'function-updated':
    case 'function-deleted':
    case 'reserved-concurrency-changed':
      return true;
    case 'version-published':
    case 'version-deleted':
    case 'alias-changed':
    case 'alias-deleted':
    case 'provisioned-changed':
    case 'target-changed':
      return false;
  }
}
