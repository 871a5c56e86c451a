/**
 * Every function's claim on its scope's concurrency, kept incrementally (issue 8): what
 * unreserved concurrency, the reserved and provisioned rules, SCF's quotas and
 * GetAccountSettings read, without scanning the store.
 *
 *   1. A scope is loaded once, on first use: its functions, each with its reserved
 *      concurrency, its provisioned configs (qualifier → requested), the MemorySize of each
 *      version and the code size of all of them.
 *   2. A committed change (the change feed) or a provisioned write marks its function
 *      dirty, synchronously, so that no read can see the state before it.
 *   3. A read refreshes only the dirty functions of its scope (a few store reads each,
 *      served from memory), adjusting the scope's running sums, then answers from memory.
 *
 * So reading one SCF provisioned config, or admitting one invoke, costs the same with
 * 10 functions in the account as with 2,000 (bench/scale.mjs, run alone with
 * `npm run build && node bench/scale.mjs`).
 */
import { functionKeyString, scopeKey, type FunctionKey, type FunctionRecord, type Scope } from '../model.js';
import type { Store } from '../ports.js';
import { claimOf, type FunctionConcurrencyClaim } from '../services/concurrency-rules.js';
import { PromiseMemo } from './promise-memo.js';

/** One function as the claims see it. */
export interface FunctionClaims extends FunctionConcurrencyClaim {
  readonly fn: FunctionRecord;
  /** MemorySize of each version, `$LATEST` included. */
  readonly memoryMbByVersion: ReadonlyMap<string, number>;
  /** Σ code size of `$LATEST` and every published version. */
  readonly codeSizeBytes: number;
}

/** A scope's claims, read-only; valid until the next change of the scope. */
export interface ScopeClaimsView {
  readonly byFunction: ReadonlyMap<string, FunctionClaims>;
  /** Σ claimOf over the scope's functions. */
  readonly claimed: number;
  readonly codeSizeBytes: number;
  /** Changes whenever any claim of the scope does (views derived from it can be kept). */
  readonly revision: number;
}

class ScopeState implements ScopeClaimsView {
  readonly byFunction = new Map<string, FunctionClaims>();
  readonly dirty = new Map<string, FunctionKey>();
  claimed = 0;
  codeSizeBytes = 0;
  revision = 0;

  put(id: string, claims: FunctionClaims | undefined): void {
    this.revision++;
    const old = this.byFunction.get(id);
    if (old !== undefined) {
      this.claimed -= claimOf(old);
      this.codeSizeBytes -= old.codeSizeBytes;
      this.byFunction.delete(id);
    }
    if (claims !== undefined) {
      this.byFunction.set(id, claims);
      this.claimed += claimOf(claims);
      this.codeSizeBytes += claims.codeSizeBytes;
    }
  }
}

export class ClaimsIndex {
  readonly #store: Store;
  readonly #scopes = new Map<string, ScopeState>();
  readonly #loading = new PromiseMemo<string, ScopeState>();
  readonly #refreshing = new PromiseMemo<string, void>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Step 2: the function changed; its scope re-reads it before the next answer. */
  touch(key: FunctionKey): void {
    this.#scopes.get(scopeKey(key))?.dirty.set(functionKeyString(key), key);
  }

  /** The scope's claims, current as of every change already committed. */
  view(scope: Scope): Promise<ScopeClaimsView> {
    const id = scopeKey(scope);
    const state = this.#current(id);
    return state === undefined ? this.#viewSlow(scope, id) : Promise.resolve(state);
  }

  /** `view`, when it would answer at once (the common case); undefined otherwise. */
  viewNow(scope: Scope): ScopeClaimsView | undefined {
    return this.#current(scopeKey(scope));
  }

  /** The common case (every invoke's admission): loaded, nothing to refresh. */
  #current(id: string): ScopeState | undefined {
    const state = this.#scopes.get(id);
    return state !== undefined && state.dirty.size === 0 && !this.#refreshing.has(id) ? state : undefined;
  }

  async #viewSlow(scope: Scope, id: string): Promise<ScopeClaimsView> {
    const state =
      this.#scopes.get(id) ??
      (await this.#loading.get(id, () => this.#load({ accountId: scope.accountId, region: scope.region })));
    // A refresh in flight is awaited even when nothing is dirty any more: readers answer
    // in the order they asked (admission of two invokes must not swap).
    while (state.dirty.size > 0 || this.#refreshing.has(id)) {
      await this.#refreshing.get(id, () => this.#refresh(id, state));
    }
    return state;
  }

  async #load(scope: Scope): Promise<ScopeState> {
    const state = new ScopeState();
    // Registered first: changes during the load mark their functions dirty.
    this.#scopes.set(scopeKey(scope), state);
    try {
      for (const fn of await this.#store.listFunctions(scope)) {
        state.put(functionKeyString(fn.key), await this.#read(fn));
      }
    } catch (e) {
      this.#scopes.delete(scopeKey(scope));
      throw e;
    }
    return state;
  }

  async #refresh(id: string, state: ScopeState): Promise<void> {
    const batch = [...state.dirty];
    state.dirty.clear();
    try {
      for (const [fnId, key] of batch) {
        const fn = await this.#store.getFunction(key);
        state.put(fnId, fn === undefined ? undefined : await this.#read(fn));
      }
    } catch (e) {
      for (const [fnId, key] of batch) {
        state.dirty.set(fnId, key);
      }
      throw e;
    } finally {
      this.#refreshing.delete(id);
    }
  }

  async #read(fn: FunctionRecord): Promise<FunctionClaims> {
    const provisioned: Record<string, number> = {};
    for (const config of await this.#store.listProvisionedConfigs(fn.key)) {
      provisioned[config.qualifier] = config.requested;
    }
    const memoryMbByVersion = new Map<string, number>([[fn.latest.version, fn.latest.config.memoryMb]]);
    let codeSizeBytes = fn.latest.config.codeSizeBytes;
    for (const v of await this.#store.listVersions(fn.key)) {
      memoryMbByVersion.set(v.version, v.config.memoryMb);
      codeSizeBytes += v.config.codeSizeBytes;
    }
    return {
      fn,
      ...(fn.reservedConcurrency === undefined ? {} : { reserved: fn.reservedConcurrency }),
      provisioned,
      memoryMbByVersion,
      codeSizeBytes,
    };
  }
}
