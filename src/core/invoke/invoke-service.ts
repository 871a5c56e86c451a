/**
 * Invoke: resolve the qualifier to a version, pick the provisioned config that may serve
 * it, and hand the request to the pool with the admission inputs (aws-lambda.md §3.7).
 *
 *   1. resolve: no qualifier or `$LATEST` → $LATEST; a number → that version; an alias →
 *      its primary version, or the additional one with the alias's weight (§3.6);
 *   2. DryRun stops here; Event is written to the durable queue (event-queue.ts) and
 *      acknowledged (202) once stored; the queue runs steps 3–4 later through `runEvent`;
 *   3. build (or reuse) the version's EnvironmentSpec;
 *   4. pool.invoke with the serving provisioned key (never for `$LATEST`) and the limits.
 *
 * Everything on this path is served from memory: the store caches functions and aliases,
 * specs are cached per version revision, and provisioned/accounting figures are indexes
 * kept up to date by their services.
 */
import type { ProvisionedMetrics } from '../metrics/provisioned-metrics.js';
import { randomUUID } from 'node:crypto';
import { PlatformError, notFound } from '../errors.js';
import {
  LATEST,
  functionKeyString,
  scopeKey,
  type AliasRecord,
  type FunctionKey,
  type FunctionRecord,
  type VersionRecord,
} from '../model.js';
import type { AsyncEventRecord, Clock, EnvironmentSpec, InvocationOutcome, Pool, Store } from '../ports.js';
import type { ProvisionedService } from '../provisioned/provisioned-service.js';
import { lookupQualifier, lookupQualifierNow, type QualifierLookup } from '../services/qualifier-resolver.js';
import type { SpecCache } from './environment-spec.js';
import type { EventQueue } from './event-queue.js';

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeParams {
  readonly key: FunctionKey;
  /** Qualifier from the name or the parameter (the dialect reconciled them). */
  readonly qualifier?: string;
  readonly payload: Buffer;
  readonly invocationType: InvocationType;
  readonly wantLog: boolean;
  /** The ARN as the caller named the function (runtime header Invoked-Function-Arn). */
  readonly invokedFunctionArn: string;
  readonly clientContext?: string;
  readonly traceId?: string;
  /** The caller's request id, when the dialect's wire uses one id for both (AWS). */
  readonly requestId?: string;
  /**
   * The scope's memory budget for synchronous invocations of functions without a
   * reservation, MB (SCF's T − Σ R, quotas.ts); enforced by the pool's admission.
   */
  readonly memoryBudgetMb?: number;
}

export type InvokeResult =
  | { readonly kind: 'completed'; readonly outcome: InvocationOutcome }
  | { readonly kind: 'queued'; readonly requestId: string; readonly executedVersion: string }
  | { readonly kind: 'dry-run'; readonly executedVersion: string };

export interface InvokeDeps {
  readonly store: Store;
  readonly pool: Pool;
  readonly specs: SpecCache;
  readonly provisioned: ProvisionedService;
  readonly events: EventQueue;
  /** The scope's UnreservedConcurrentExecutions (kept per scope by claims/claims-index.ts). */
  readonly unreservedCapacity: (key: FunctionKey) => Promise<number>;
  /** The same, when it is known at once (undefined: ask unreservedCapacity). */
  readonly unreservedNow?: (key: FunctionKey) => number | undefined;
  readonly clock: Clock;
  readonly random?: () => number;
  /** Counts invocations of versions with a config (provisioned or spilled over). */
  readonly metrics?: Pick<ProvisionedMetrics, 'countInvocation'>;
}

/** The outcome as the pool gave it (#run). */
const asIs = (outcome: InvocationOutcome): InvocationOutcome => outcome;
/** A synchronous invocation's result (invoke). */
const completed = (outcome: InvocationOutcome): InvokeResult => ({ kind: 'completed', outcome });

export class InvokeService {
  readonly #d: InvokeDeps;
  readonly #random: () => number;
  /**
   * Published versions are immutable: cached by function and version name until `forget`
   * (version or function deleted).
   */
  readonly #versions = new Map<string, Map<string, VersionRecord>>();

  constructor(deps: InvokeDeps) {
    this.#d = deps;
    this.#random = deps.random ?? Math.random;
  }

  /**
   * A synchronous invocation whose function, alias, version, spec and unreserved capacity
   * are all in memory (every warm one) reaches the pool without awaiting anything: each
   * await on the way is a turn of the microtask queue before its environment gets it, and
   * another on the way back. Anything else (a miss to word, a version or spec not read yet,
   * claims being refreshed, Event and DryRun) takes the path that awaits.
   */
  invoke(p: InvokeParams): Promise<InvokeResult> {
    if (p.invocationType !== 'RequestResponse') {
      return this.#invoke(p);
    }
    try {
      const r = lookupQualifierNow(this.#d.store, p.key, p.qualifier, this.#lookup);
      if (r instanceof Promise) {
        return r.then((read) => this.#invoke(p, foundOrThrow(read, p.key, p.qualifier)));
      }
      const { fn, version } = foundOrThrow(r, p.key, p.qualifier);
      const spec = this.#d.specs.now(p.key, version);
      const unreserved = this.#d.unreservedNow?.(p.key);
      if (fn.reservedConcurrency === 0 || spec === undefined || unreserved === undefined) {
        // (The version chosen for a weighted alias is kept: one draw per invocation.)
        return this.#invoke(p, { fn, version });
      }
      const requestId = p.requestId ?? randomUUID();
      return this.#start(p, fn, version, spec, unreserved, requestId, p.wantLog, completed);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  async #invoke(
    p: InvokeParams,
    resolved?: { readonly fn: FunctionRecord; readonly version: VersionRecord },
  ): Promise<InvokeResult> {
    const { fn, version } = resolved ?? (await this.#resolve(p.key, p.qualifier));
    if (p.invocationType === 'DryRun') {
      return { kind: 'dry-run', executedVersion: version.version };
    }
    const requestId = p.requestId ?? randomUUID();
    if (p.invocationType === 'Event') {
      const now = this.#d.clock.now();
      // The event runs the version it was routed to (an alias's weights are applied once).
      await this.#d.events.enqueue({
        requestId,
        key: p.key,
        version: version.version,
        ...(p.qualifier === undefined ? {} : { qualifier: p.qualifier }),
        invokedFunctionArn: p.invokedFunctionArn,
        payload: p.payload,
        ...(p.clientContext === undefined ? {} : { clientContext: p.clientContext }),
        ...(p.traceId === undefined ? {} : { traceId: p.traceId }),
        enqueuedMs: now,
        attempts: 0,
        throttles: 0,
        notBeforeMs: now,
      });
      return { kind: 'queued', requestId, executedVersion: version.version };
    }
    return { kind: 'completed', outcome: await this.#run(p, fn, version, requestId, p.wantLog) };
  }

  /** One attempt of a queued event (the queue calls this; after a restart too). */
  async runEvent(ev: AsyncEventRecord): Promise<InvocationOutcome> {
    const { fn, version } = await this.#resolve(ev.key, ev.version);
    const p: InvokeParams = {
      key: ev.key,
      payload: ev.payload,
      invocationType: 'Event',
      wantLog: false,
      invokedFunctionArn: ev.invokedFunctionArn,
      ...(ev.clientContext === undefined ? {} : { clientContext: ev.clientContext }),
      ...(ev.traceId === undefined ? {} : { traceId: ev.traceId }),
    };
    return await this.#run(p, fn, version, ev.requestId, false);
  }

  /** `fn` is the record the qualifier was resolved through (read once per invocation). */
  async #run(
    p: InvokeParams,
    fn: FunctionRecord,
    version: VersionRecord,
    requestId: string,
    wantLog: boolean,
  ): Promise<InvocationOutcome> {
    if (fn.reservedConcurrency === 0) {
      // Blocked (§3.2): the same 429 the pool would give, marked so that an async event is
      // dropped at once as ZeroReservedConcurrency rather than retried for hours.
      throw new PlatformError('THROTTLED_RESERVED', { functionName: p.key.name, zeroReserved: true });
    }
    const spec = await this.#d.specs.get(p.key, version);
    const unreserved = await this.#d.unreservedCapacity(p.key);
    // Awaited rather than returned: an async function that returns a promise settles one
    // more turn of the microtask queue later, and the answer waits for each such turn.
    return await this.#start(p, fn, version, spec, unreserved, requestId, wantLog, asIs);
  }

  /**
   * Hands the invocation to the pool; counts it for metrics once it is over, and gives the
   * outcome to `then` in the same turn (each `.then` on the way back is one more turn of
   * the microtask queue before the caller's answer goes out).
   */
  #start<T>(
    p: InvokeParams,
    fn: FunctionRecord,
    version: VersionRecord,
    spec: EnvironmentSpec,
    unreservedCapacity: number,
    requestId: string,
    wantLog: boolean,
    then: (outcome: InvocationOutcome) => T,
  ): Promise<T> {
    // `$LATEST` never runs on provisioned environments (§3.7).
    const provisionedKey =
      version.version === LATEST ? undefined : this.#d.provisioned.servingKey(p.key, version.version);
    const running = this.#d.pool.invoke({
      spec,
      requestId,
      payload: p.payload,
      invokedFunctionArn: p.invokedFunctionArn,
      ...(p.clientContext === undefined ? {} : { clientContext: p.clientContext }),
      ...(p.traceId === undefined ? {} : { traceId: p.traceId }),
      wantLog,
      ...(provisionedKey === undefined ? {} : { provisionedKey }),
      admission: {
        scopeKey: scopeKey(p.key),
        functionKey: functionKeyString(p.key),
        ...(fn.reservedConcurrency === undefined ? {} : { reserved: fn.reservedConcurrency }),
        provisionedTotal: this.#d.provisioned.requestedTotal(p.key),
        unreservedCapacity,
        ...(p.memoryBudgetMb === undefined ||
        fn.reservedConcurrency !== undefined ||
        p.invocationType !== 'RequestResponse'
          ? {}
          : { memoryBudget: { limitMb: p.memoryBudgetMb, memoryMb: version.config.memoryMb } }),
      },
    });
    const metrics = this.#d.metrics;
    if (provisionedKey === undefined || metrics === undefined) {
      // asIs is the identity: the pool's own promise, without a turn more.
      return then === asIs ? (running as Promise<unknown> as Promise<T>) : running.then(then);
    }
    // The one count of this invocation for metrics: where it ran is in its outcome.
    return running.then((outcome) => {
      metrics.countInvocation(provisionedKey, outcome.initializationType === 'provisioned-concurrency');
      return then(outcome);
    });
  }

  /** Weighted routing and the version cache, built once (the invoke path runs per call). */
  readonly #lookup = {
    pick: (alias: AliasRecord) => this.#pick(alias.functionVersion, alias.additionalVersionWeights),
    versionNow: (k: FunctionKey, versionName: string): VersionRecord | undefined =>
      this.#versions.get(functionKeyString(k))?.get(versionName),
    getVersion: async (k: FunctionKey, versionName: string): Promise<VersionRecord | undefined> => {
      let v = this.#versions.get(functionKeyString(k))?.get(versionName);
      if (v === undefined) {
        v = await this.#d.store.getVersion(k, versionName);
        if (v !== undefined) {
          const fk = functionKeyString(k);
          let byName = this.#versions.get(fk);
          if (byName === undefined) {
            byName = new Map();
            this.#versions.set(fk, byName);
          }
          byName.set(versionName, v);
        }
      }
      return v;
    },
  };

  async #resolve(
    key: FunctionKey,
    qualifier: string | undefined,
  ): Promise<{ readonly fn: FunctionRecord; readonly version: VersionRecord }> {
    return foundOrThrow(await lookupQualifier(this.#d.store, key, qualifier, this.#lookup), key, qualifier);
  }

  /** Drops cached versions of a function (a version or the function was deleted). */
  forget(key: FunctionKey): void {
    this.#versions.delete(functionKeyString(key));
  }

  /** Weighted alias routing: the additional version with probability w (§3.6). */
  #pick(primary: string, weights: Readonly<Record<string, number>>): string {
    let r = this.#random();
    // (for…in rather than Object.entries: the same order, and no arrays on every invoke)
    for (const version in weights) {
      const w = weights[version] ?? 0;
      if (r < w) {
        return version;
      }
      r -= w;
    }
    return primary;
  }
}

/**
 * The function and version a lookup found; invoke words every miss as the function not
 * found, naming what was asked for (or the version an alias routed to).
 */
function foundOrThrow(
  r: QualifierLookup,
  key: FunctionKey,
  qualifier: string | undefined,
): { readonly fn: FunctionRecord; readonly version: VersionRecord } {
  switch (r.kind) {
    case 'found':
      return r;
    case 'no-function':
      throw notFound.fn(key.name, qualifier);
    case 'no-alias':
      throw notFound.fn(key.name, r.alias);
    case 'no-version':
      throw notFound.fn(key.name, r.version);
  }
}
