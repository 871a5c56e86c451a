/**
 * Reserved concurrency and the account view of concurrency (spec §3.1–3.2).
 *
 * Account-wide decisions run under the scope lock, taken after the function lock (see
 * keyed-mutex.ts), so two functions reserving at once cannot both pass the floor check.
 */
import type { FunctionKey, Scope } from '../model.js';
import { LATEST, functionKeyString } from '../model.js';
import { checkReservedPut, claimOf } from './concurrency-rules.js';
import type { ClaimsIndex, FunctionClaims } from '../claims/claims-index.js';
import { functionLockKey, scopeLockKey } from './keyed-mutex.js';
import { requireFunction, type ServiceContext } from './service-context.js';
import { accountLimits } from '../account-limits.js';

/** Claims of every function of a scope, keyed by `functionKeyString`. */
export interface ScopeClaims {
  /** ConcurrentExecutions of the scope. */
  readonly limit: number;
  /** Floor of UnreservedConcurrentExecutions. */
  readonly minUnreserved: number;
  /** By functionKeyString (claims-index.ts: also each version's MemorySize). */
  readonly byFunction: ReadonlyMap<string, FunctionClaims>;
  /** UnreservedConcurrentExecutions now. */
  readonly unreserved: number;
  /** Changes whenever any claim of the scope does (claims-index.ts). */
  readonly revision: number;
}

export interface AccountSettings {
  readonly concurrencyLimit: number;
  readonly unreservedConcurrency: number;
  readonly minUnreservedConcurrency: number;
  /** Σ code size of every version (`$LATEST` included) of every function. */
  readonly totalCodeSizeBytes: number;
  readonly functionCount: number;
}

export interface ConcurrencyService {
  /**
   * Sets the function's reserved concurrency (0 blocks it). Errors: FUNCTION_NOT_FOUND
   * (naming `$LATEST`, as AWS does), RESERVED_BELOW_UNRESERVED_MINIMUM,
   * RESERVED_BELOW_PROVISIONED.
   */
  putReserved(key: FunctionKey, reserved: number): Promise<number>;
  /** Undefined when nothing is reserved. */
  getReserved(key: FunctionKey): Promise<number | undefined>;
  /** Removes the reservation; idempotent. */
  deleteReserved(key: FunctionKey): Promise<void>;
  /** Every function's claim on the scope's concurrency, and what is left unreserved. */
  claims(scope: Scope): Promise<ScopeClaims>;
  accountSettings(scope: Scope): Promise<AccountSettings>;
}

/** Builds the concurrency service; limits come from `deps.limits`. */
export function createConcurrencyService(ctx: ServiceContext, index: ClaimsIndex): ConcurrencyService {
  const { store, limits } = ctx.deps;

  async function claims(scope: Scope): Promise<ScopeClaims> {
    const view = await index.view(scope);
    const own = accountLimits(limits, scope.accountId);
    return {
      limit: own.accountConcurrency,
      minUnreserved: own.minUnreservedConcurrency,
      byFunction: view.byFunction,
      unreserved: own.accountConcurrency - view.claimed,
      revision: view.revision,
    };
  }

  return {
    putReserved(key, reserved) {
      return ctx.locks.run(functionLockKey(key), () =>
        ctx.locks.run(scopeLockKey(key), async () => {
          // Existence before value checks: AWS answers 404 even for a valid value (§3.2 step 2).
          const fn = await requireFunction(ctx, key, LATEST);
          const scope = await claims(key);
          const id = functionKeyString(key);
          let otherClaims = 0;
          for (const [k, c] of scope.byFunction) {
            if (k !== id) {
              otherClaims += claimOf(c);
            }
          }
          checkReservedPut({
            limit: scope.limit,
            minUnreserved: scope.minUnreserved,
            otherClaims,
            current: scope.byFunction.get(id) ?? { provisioned: {} },
            requested: reserved,
          });
          await store.updateFunction({ ...fn, reservedConcurrency: reserved });
          await ctx.changes.emit({ kind: 'reserved-concurrency-changed', key });
          return reserved;
        }),
      );
    },

    async getReserved(key) {
      return (await requireFunction(ctx, key)).reservedConcurrency;
    },

    deleteReserved(key) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        if (fn.reservedConcurrency === undefined) {
          return;
        }
        const { reservedConcurrency: _dropped, ...rest } = fn;
        await store.updateFunction(rest);
        await ctx.changes.emit({ kind: 'reserved-concurrency-changed', key });
      });
    },

    claims,

    async accountSettings(scope) {
      const view = await index.view(scope);
      const own = accountLimits(limits, scope.accountId);
      return {
        concurrencyLimit: own.accountConcurrency,
        // A limit lowered below what is already reserved (a credentials-file reload) leaves
        // nothing unreserved; AWS never shows a negative figure.
        unreservedConcurrency: Math.max(0, own.accountConcurrency - view.claimed),
        minUnreservedConcurrency: own.minUnreservedConcurrency,
        totalCodeSizeBytes: view.codeSizeBytes,
        functionCount: view.byFunction.size,
      };
    },
  };
}
