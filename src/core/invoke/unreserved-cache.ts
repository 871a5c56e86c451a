/**
 * UnreservedConcurrentExecutions per scope, kept in memory for the invoke path (admission
 * needs it on every invoke; computing it scans every function of the scope). Recomputed
 * lazily after any change that can move it: reserved concurrency, provisioned configs,
 * deleted functions.
 */
import type { Scope } from '../model.js';

export class UnreservedCache {
  readonly #compute: (scope: Scope) => Promise<number>;
  readonly #cache = new Map<string, Promise<number>>();

  constructor(compute: (scope: Scope) => Promise<number>) {
    this.#compute = compute;
  }

  get(scope: Scope): Promise<number> {
    const id = `${scope.accountId}/${scope.region}`;
    let value = this.#cache.get(id);
    if (value === undefined) {
      value = this.#compute({ accountId: scope.accountId, region: scope.region });
      this.#cache.set(id, value);
      // Forget a failure, but only if it is still the cached value (not a newer one).
      const mine = value;
      mine.catch(() => {
        if (this.#cache.get(id) === mine) {
          this.#cache.delete(id);
        }
      });
    }
    return value;
  }

  invalidate(scope: Scope): void {
    this.#cache.delete(`${scope.accountId}/${scope.region}`);
  }
}
