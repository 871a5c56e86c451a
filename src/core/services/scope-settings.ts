/**
 * Per-scope settings (ports.ts: "account concurrency limits, SCF quotas..."): one JSON
 * document per (account, region), read whole and changed by read–modify–write under the
 * scope lock, so two writers never lose each other's keys.
 *
 * Keys are owned by whoever writes them; a dialect namespaces its own (e.g. `scf`).
 */
import { scopeLockKey } from './keyed-mutex.js';
import type { ServiceContext } from './service-context.js';
import type { Scope } from '../model.js';

export type ScopeSettings = Readonly<Record<string, unknown>>;

export interface ScopeSettingsService {
  get(scope: Scope): Promise<ScopeSettings>;
  /**
   * Applies `mutate` to the current settings under the scope lock and stores the result.
   * Callers already holding a function lock may call this (function → scope lock order).
   */
  update(scope: Scope, mutate: (current: ScopeSettings) => ScopeSettings): Promise<ScopeSettings>;
}

export function createScopeSettingsService(ctx: ServiceContext): ScopeSettingsService {
  const { store } = ctx.deps;
  return {
    get: (scope) => store.getSettings(scope),
    update(scope, mutate) {
      return ctx.locks.run(scopeLockKey(scope), async () => {
        const next = mutate(await store.getSettings(scope));
        await store.putSettings(scope, next);
        return next;
      });
    },
  };
}
