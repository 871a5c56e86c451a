/**
 * Per-scope settings (ports.ts: "account concurrency limits, SCF quotas..."): one JSON
 * document per (account, region), read whole and changed by read–modify–write under the
 * scope lock, so two writers never lose each other's keys.
 *
 * Keys are owned by whoever writes them; a dialect namespaces its own (e.g. `scf`).
 * Caches derived from them subscribe: a write on this node or on another one sharing the
 * store reaches them.
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
  /**
   * Calls `listener` after a scope's settings changed: written here (after the write) or
   * by another node sharing the store (`changed`, from the store's remote feed).
   */
  subscribe(listener: (scope: Scope) => void): () => void;
  /** Another node wrote the scope's settings (the composition relays the store's feed). */
  changed(scope: Scope): void;
}

export function createScopeSettingsService(ctx: ServiceContext): ScopeSettingsService {
  const { store } = ctx.deps;
  const listeners = new Set<(scope: Scope) => void>();
  const changed = (scope: Scope): void => {
    for (const listener of listeners) {
      listener(scope);
    }
  };
  return {
    get: (scope) => store.getSettings(scope),
    update(scope, mutate) {
      return ctx.locks.run(scopeLockKey(scope), async () => {
        const next = mutate(await store.getSettings(scope));
        await store.putSettings(scope, next);
        changed(scope);
        return next;
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    changed,
  };
}
