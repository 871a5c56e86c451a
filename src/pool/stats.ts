/**
 * The pool's own counters, kept where each event happens (no second bookkeeping on the
 * invoke path): /metrics and the dashboard read them at scrape time.
 *
 *   - per function version (`FunctionSeries`, found once per environment start and held by
 *     the environment, so an invocation costs a few additions and no lookup): invocations,
 *     function errors, cold starts, invocations on provisioned environments, throttles by
 *     reason, and duration and init-duration histograms (fixed buckets, counts per bucket);
 *   - per provisioned config (`ConfigSeries`, by provisioned key): invocations on its
 *     environments and spill-overs (an invocation of a version it serves that ran on
 *     demand), as Lambda's ProvisionedConcurrency(Spillover)Invocations;
 *   - the last invocations (a ring of RECENT_INVOCATIONS), for the dashboard.
 *
 * Cardinality is bounded: a series exists per version that was invoked or started an
 * environment, is forgotten when its function or version is drained (deleted), and past
 * `maxSeries` new versions fold into one overflow series (function `_other`).
 */
import type { EnvironmentSpec, InitializationType, InvocationOutcome, InvokeRequest } from '../core/ports.js';

/** Upper bounds of the duration buckets, ms (exported in seconds; +Inf is implied). */
export const DURATION_BUCKETS_MS: readonly number[] = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000,
];

/** Upper bounds of the init-duration buckets, ms. */
export const INIT_BUCKETS_MS: readonly number[] = [
  10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 130_000,
];

export type ThrottleReason = 'reserved' | 'account' | 'memory';

/** Counts per bucket (not cumulative), the sum and the count of a histogram. */
export class HistogramCounts {
  readonly counts: number[];
  sumMs = 0;
  count = 0;
  constructor(readonly boundsMs: readonly number[]) {
    this.counts = new Array<number>(boundsMs.length + 1).fill(0);
  }

  observe(ms: number): void {
    const b = this.boundsMs;
    let i = 0;
    while (i < b.length && ms > (b[i] as number)) {
      i++;
    }
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sumMs += ms;
    this.count++;
  }
}

export class FunctionSeries {
  invocations = 0;
  errors = 0;
  coldStarts = 0;
  /** Invocations that ran on a provisioned environment. */
  provisioned = 0;
  readonly throttles: Record<ThrottleReason, number> = { reserved: 0, account: 0, memory: 0 };
  readonly duration = new HistogramCounts(DURATION_BUCKETS_MS);
  readonly initOnDemand = new HistogramCounts(INIT_BUCKETS_MS);
  readonly initProvisioned = new HistogramCounts(INIT_BUCKETS_MS);
  constructor(
    /** The spec key up to its digest (`account/region/namespace/name/version@`): drain prefixes match it. */
    readonly prefix: string,
    readonly region: string,
    readonly namespace: string,
    readonly functionName: string,
    readonly version: string,
  ) {}
}

export class ConfigSeries {
  invocations = 0;
  spillovers = 0;
}

export interface RecentInvocation {
  readonly atMs: number;
  readonly requestId: string;
  readonly functionName: string;
  readonly namespace: string;
  readonly version: string;
  readonly durationMs: number;
  readonly cold: boolean;
  readonly initializationType: InitializationType;
  /** Set when the version has a provisioned config: true when it ran on demand. */
  readonly spillover: boolean;
  readonly errorType?: string;
}

export const RECENT_INVOCATIONS = 200;
const OVERFLOW = '_other';

export class PoolStats {
  readonly #series = new Map<string, FunctionSeries>();
  readonly #configs = new Map<string, ConfigSeries>();
  readonly #recent: (RecentInvocation | undefined)[] = new Array<RecentInvocation | undefined>(
    RECENT_INVOCATIONS,
  );
  #next = 0;
  readonly #maxSeries: number;
  readonly #listeners = new Set<(r: RecentInvocation) => void>();

  constructor(maxSeries = 2000) {
    this.#maxSeries = maxSeries;
  }

  /** The series of a spec's version (once per environment start or throttle). */
  series(spec: EnvironmentSpec): FunctionSeries {
    const at = spec.key.indexOf('@');
    const prefix = at === -1 ? `${spec.key}@` : spec.key.slice(0, at + 1);
    let s = this.#series.get(prefix);
    if (s === undefined) {
      if (this.#series.size >= this.#maxSeries) {
        return this.#overflow();
      }
      s = new FunctionSeries(prefix, spec.region, spec.namespace, spec.functionName, spec.version);
      this.#series.set(prefix, s);
    }
    return s;
  }

  /** One invocation's outcome, where it was produced (environment or failed init). */
  outcome(
    series: FunctionSeries,
    req: InvokeRequest,
    outcome: InvocationOutcome,
    initializationType: InitializationType,
  ): void {
    series.invocations++;
    series.duration.observe(outcome.durationMs);
    const cold = outcome.initDurationMs !== undefined;
    if (cold) {
      series.coldStarts++;
    }
    const onProvisioned = initializationType === 'provisioned-concurrency';
    if (onProvisioned) {
      series.provisioned++;
    }
    if (outcome.kind === 'function-error') {
      series.errors++;
    }
    if (req.provisionedKey !== undefined) {
      let c = this.#configs.get(req.provisionedKey);
      if (c === undefined) {
        c = new ConfigSeries();
        this.#configs.set(req.provisionedKey, c);
      }
      if (onProvisioned) {
        c.invocations++;
      } else {
        c.spillovers++;
      }
    }
    const r: RecentInvocation = {
      atMs: Date.now(),
      requestId: req.requestId,
      functionName: series.functionName,
      namespace: series.namespace,
      version: series.version,
      durationMs: outcome.durationMs,
      cold,
      initializationType,
      spillover: req.provisionedKey !== undefined && !onProvisioned,
      ...(outcome.kind === 'function-error' ? { errorType: outcome.errorType } : {}),
    };
    this.#recent[this.#next] = r;
    this.#next = (this.#next + 1) % RECENT_INVOCATIONS;
    for (const l of this.#listeners) {
      l(r);
    }
  }

  /** An environment finished its init (any initialisation type). */
  initialised(series: FunctionSeries, initializationType: InitializationType, initDurationMs: number): void {
    (initializationType === 'on-demand' ? series.initOnDemand : series.initProvisioned).observe(
      initDurationMs,
    );
  }

  throttled(spec: EnvironmentSpec, reason: ThrottleReason): void {
    this.series(spec).throttles[reason]++;
  }

  /** Forgets the series of drained functions or versions (spec-key prefix). */
  forget(specPrefix: string): void {
    // A version's prefix or a function's; a drained $LATEST revision (a whole spec key) keeps
    // the version's series, which the new revision goes on counting in.
    for (const [k, s] of this.#series) {
      if (s.prefix.startsWith(specPrefix)) {
        this.#series.delete(k);
      }
    }
  }

  /** Forgets a provisioned config's counters (the config was removed). */
  forgetConfig(provisionedKey: string): void {
    this.#configs.delete(provisionedKey);
  }

  allSeries(): Iterable<FunctionSeries> {
    return this.#series.values();
  }

  configs(): Iterable<[string, ConfigSeries]> {
    return this.#configs.entries();
  }

  /** The last invocations, oldest first. */
  recent(): RecentInvocation[] {
    const out: RecentInvocation[] = [];
    for (let i = 0; i < RECENT_INVOCATIONS; i++) {
      const r = this.#recent[(this.#next + i) % RECENT_INVOCATIONS];
      if (r !== undefined) {
        out.push(r);
      }
    }
    return out;
  }

  /** Calls `listener` with every invocation until the returned function is called. */
  onInvocation(listener: (r: RecentInvocation) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #overflow(): FunctionSeries {
    let s = this.#series.get(OVERFLOW);
    if (s === undefined) {
      s = new FunctionSeries(OVERFLOW, OVERFLOW, OVERFLOW, OVERFLOW, OVERFLOW);
      this.#series.set(OVERFLOW, s);
    }
    return s;
  }
}
