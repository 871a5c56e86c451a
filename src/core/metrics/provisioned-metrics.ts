/**
 * Provisioned-concurrency metrics, measured (Lambda's CloudWatch metrics of the same names,
 * aws-lambda.md §4): per config (pool key = function + qualifier) and per function, in
 * time buckets that target tracking (AWS and SCF alike), tests and dashboards read.
 *
 *   - ProvisionedConcurrencyUtilization: busy ÷ allocated provisioned environments, the
 *     maximum over the window (Lambda publishes it with the Maximum statistic);
 *   - ProvisionedConcurrentExecutions: busy provisioned environments, maximum;
 *   - ProvisionedConcurrencyInvocations: invocations that ran on a provisioned environment;
 *   - ProvisionedConcurrencySpilloverInvocations: invocations of a version with a config
 *     that ran on demand because no provisioned environment was free.
 *
 * Sources, none of them a second count on the invoke path: busy and allocated are the
 * pool's own (Pool.provisionedUtilization / provisionedStatus), read by `sample()` on a
 * cadence the composition root drives and by `peakConcurrency`; invocations are counted
 * from each outcome's initialization type, once, where core already has it.
 */
import type { Clock, Pool } from '../ports.js';

export interface MetricsOptions {
  readonly clock: Clock;
  readonly pool: Pick<Pool, 'provisionedUtilization' | 'provisionedStatus'>;
  /** The pool keys of every config that exists now (what `sample()` reads). */
  readonly keys: () => Iterable<string>;
  /** Bucket width, ms (CloudWatch's 1-minute period scaled down for tests). Default 1 s. */
  readonly bucketMs?: number;
  /** How long buckets are kept, ms. Default 1 h. */
  readonly retainMs?: number;
}

/** One window's metrics. Maxima are 0 when nothing was observed. */
export interface ProvisionedWindow {
  readonly maxUtilization: number;
  readonly maxConcurrentExecutions: number;
  readonly invocations: number;
  readonly spilloverInvocations: number;
  /** Observations of busy/allocated in the window (0: the maxima say nothing). */
  readonly samples: number;
}

interface Bucket {
  readonly startMs: number;
  maxUtilization: number;
  maxBusy: number;
  invocations: number;
  spillovers: number;
  samples: number;
}

const EMPTY: ProvisionedWindow = Object.freeze({
  maxUtilization: 0,
  maxConcurrentExecutions: 0,
  invocations: 0,
  spilloverInvocations: 0,
  samples: 0,
});

export class ProvisionedMetrics {
  readonly #o: Required<MetricsOptions>;
  /** Pool key → buckets, oldest first. */
  readonly #series = new Map<string, Bucket[]>();

  constructor(options: MetricsOptions) {
    this.#o = { bucketMs: 1000, retainMs: 3600_000, ...options };
  }

  /** One invocation of a version served by config `poolKey` finished (any outcome). */
  countInvocation(poolKey: string, onProvisioned: boolean): void {
    const b = this.#bucket(poolKey, this.#o.clock.now());
    if (onProvisioned) {
      b.invocations++;
    } else {
      b.spillovers++;
    }
  }

  /** Reads busy/allocated of every config now; forgets the series of configs that are gone. */
  sample(): void {
    const live = new Set(this.#o.keys());
    for (const key of live) {
      this.observe(key);
    }
    for (const key of [...this.#series.keys()]) {
      if (!live.has(key)) {
        this.#series.delete(key);
      }
    }
  }

  /** Reads one config's busy/allocated now; returns busy (concurrent executions). */
  observe(poolKey: string): number {
    const utilization = this.#o.pool.provisionedUtilization(poolKey);
    const busy = Math.round(utilization * this.#o.pool.provisionedStatus(poolKey).allocated);
    const b = this.#bucket(poolKey, this.#o.clock.now());
    b.maxUtilization = Math.max(b.maxUtilization, utilization);
    b.maxBusy = Math.max(b.maxBusy, busy);
    b.samples++;
    return busy;
  }

  /** Metrics of one config over [fromMs, toMs] (buckets that overlap it). */
  window(poolKey: string, fromMs: number, toMs: number): ProvisionedWindow {
    return this.#sum([poolKey], fromMs, toMs);
  }

  /** Metrics of every config of a function (`functionId#…` pool keys) over [fromMs, toMs]. */
  functionWindow(functionId: string, fromMs: number, toMs: number): ProvisionedWindow {
    const keys = [...this.#series.keys()].filter((k) => k.startsWith(`${functionId}#`));
    return this.#sum(keys, fromMs, toMs);
  }

  /**
   * Target tracking's sample: the most executions in flight since `sinceMs`, including
   * a reading taken now (so a tick never reports less than what runs at that instant).
   */
  peakConcurrency(poolKey: string, sinceMs: number): number {
    const now = this.observe(poolKey);
    return Math.max(now, this.window(poolKey, sinceMs, this.#o.clock.now()).maxConcurrentExecutions);
  }

  #sum(keys: readonly string[], fromMs: number, toMs: number): ProvisionedWindow {
    if (keys.length === 0) {
      return EMPTY;
    }
    // Per function, maxima add up per bucket (configs run side by side), then the max of those.
    const perBucket = new Map<number, { util: number; busy: number }>();
    let invocations = 0;
    let spillovers = 0;
    let samples = 0;
    for (const key of keys) {
      for (const b of this.#series.get(key) ?? []) {
        if (b.startMs + this.#o.bucketMs <= fromMs || b.startMs > toMs) {
          continue;
        }
        const acc = perBucket.get(b.startMs) ?? { util: 0, busy: 0 };
        acc.util = Math.max(acc.util, b.maxUtilization);
        acc.busy += b.maxBusy;
        perBucket.set(b.startMs, acc);
        invocations += b.invocations;
        spillovers += b.spillovers;
        samples += b.samples;
      }
    }
    let maxUtilization = 0;
    let maxConcurrentExecutions = 0;
    for (const acc of perBucket.values()) {
      maxUtilization = Math.max(maxUtilization, acc.util);
      maxConcurrentExecutions = Math.max(maxConcurrentExecutions, acc.busy);
    }
    return {
      maxUtilization,
      maxConcurrentExecutions,
      invocations,
      spilloverInvocations: spillovers,
      samples,
    };
  }

  #bucket(poolKey: string, nowMs: number): Bucket {
    const startMs = nowMs - (nowMs % this.#o.bucketMs);
    let series = this.#series.get(poolKey);
    if (series === undefined) {
      series = [];
      this.#series.set(poolKey, series);
    }
    const last = series.at(-1);
    if (last !== undefined && last.startMs === startMs) {
      return last;
    }
    const b: Bucket = { startMs, maxUtilization: 0, maxBusy: 0, invocations: 0, spillovers: 0, samples: 0 };
    series.push(b);
    const oldest = nowMs - this.#o.retainMs;
    while (series.length > 0 && (series[0] as Bucket).startMs + this.#o.bucketMs < oldest) {
      series.shift();
    }
    return b;
  }
}
