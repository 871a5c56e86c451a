/**
 * GET /metrics: Prometheus's text exposition format, written by prom-client from the
 * pool's own counters (pool/stats.ts) and live state, read at scrape time. Nothing here
 * runs on the invoke path: every value is collected when Prometheus asks.
 *
 * Families and labels (README "Metrics" lists them; every label value comes from a
 * bounded set: functions and versions that exist, configs that exist, fixed enums):
 *
 *   per function version  {region, namespace, function, version}
 *     hearth_invocations_total, hearth_invocation_errors_total, hearth_cold_starts_total,
 *     hearth_throttles_total{reason=reserved|account|memory},
 *     hearth_invocation_duration_seconds (histogram),
 *     hearth_init_duration_seconds{initialization_type} (histogram),
 *     hearth_concurrent_executions (gauge)
 *   per provisioned config  {region, namespace, function, qualifier}, named after Lambda's
 *   CloudWatch metrics
 *     hearth_provisioned_concurrent_executions, hearth_provisioned_concurrency_utilization_ratio,
 *     hearth_provisioned_concurrency_invocations_total,
 *     hearth_provisioned_concurrency_spillover_invocations_total,
 *     hearth_provisioned_concurrency_{requested,allocated,available},
 *     hearth_provisioned_concurrency_status{status=IN_PROGRESS|READY|FAILED} (1 for the current)
 *   hearth_environments{state, initialization_type}; hearth_async_events_queued,
 *   hearth_async_events_running, hearth_async_events_run_limit,
 *   hearth_async_event_oldest_age_seconds; and prom-client's
 *   process and Node.js metrics (process_*, nodejs_*).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric, type MetricValue } from 'prom-client';
import type { ProvisionedStatus } from '../core/model.js';
import type { HearthPool } from '../pool/index.js';
import type { FunctionSeries, HistogramCounts } from '../pool/stats.js';

/** A provisioned config as the store has it, with its pool key. */
export interface ConfigRef {
  readonly poolKey: string;
  readonly region: string;
  readonly namespace: string;
  readonly functionName: string;
  readonly qualifier: string;
  readonly requested: number;
}

export interface MetricsSources {
  readonly pool: HearthPool;
  /** Every provisioned config (desired state). */
  readonly configs: () => Promise<readonly ConfigRef[]>;
  /** The async event queue. */
  readonly queue: () => {
    readonly depth: number;
    readonly running: number;
    readonly oldestAgeMs: number;
    readonly runLimit: number;
  };
}

type Labels = Record<string, string>;

const seriesLabels = (s: FunctionSeries): Labels => ({
  region: s.region,
  namespace: s.namespace,
  function: s.functionName,
  version: s.version,
});

const configLabels = (c: ConfigRef): Labels => ({
  region: c.region,
  namespace: c.namespace,
  function: c.functionName,
  qualifier: c.qualifier,
});

const ENV_STATES = ['starting', 'idle', 'busy', 'draining'] as const;
const INIT_TYPES = ['on-demand', 'provisioned-concurrency'] as const;
const STATUSES: readonly ProvisionedStatus['status'][] = ['IN_PROGRESS', 'READY', 'FAILED'];

/**
 * A histogram whose bucket counts the pool keeps (prom-client's Histogram only observes):
 * the same values prom-client's own Histogram.get() returns, formatted by its registry.
 */
function histogramFromCounts(
  name: string,
  help: string,
  read: () => Iterable<{ labels: Labels; h: HistogramCounts }>,
): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset: () => undefined,
    get: () => {
      const values: MetricValue<string>[] = [];
      for (const { labels, h } of read()) {
        let cumulative = 0;
        h.boundsMs.forEach((boundMs, i) => {
          cumulative += h.counts[i] ?? 0;
          values.push({
            metricName: `${name}_bucket`,
            labels: { ...labels, le: boundMs / 1000 },
            value: cumulative,
          } as MetricValue<string>);
        });
        values.push({
          metricName: `${name}_bucket`,
          labels: { ...labels, le: '+Inf' },
          value: h.count,
        } as MetricValue<string>);
        values.push({ metricName: `${name}_sum`, labels, value: h.sumMs / 1000 } as MetricValue<string>);
        values.push({ metricName: `${name}_count`, labels, value: h.count } as MetricValue<string>);
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  // prom-client's registry formats any object with get() (registry.js getMetricsAsString).
  return metric as unknown as Metric;
}

export function createMetricsRegistry(src: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const stats = src.pool.stats;
  const fnLabels = ['region', 'namespace', 'function', 'version'];
  const pcLabels = ['region', 'namespace', 'function', 'qualifier'];

  /** A counter read from the pool's series at scrape time. */
  const seriesCounter = (name: string, help: string, value: (s: FunctionSeries) => number) =>
    new Counter({
      name,
      help,
      labelNames: fnLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of stats.allSeries()) {
          this.inc(seriesLabels(s), value(s));
        }
      },
    });
  seriesCounter('hearth_invocations_total', 'Invocations that ran (any outcome).', (s) => s.invocations);
  seriesCounter(
    'hearth_invocation_errors_total',
    'Invocations that ended in a function error (Lambda Errors).',
    (s) => s.errors,
  );
  seriesCounter(
    'hearth_cold_starts_total',
    'Invocations that waited for their environment to initialise.',
    (s) => s.coldStarts,
  );
  new Counter({
    name: 'hearth_throttles_total',
    help: 'Invocations refused by admission: reserved (function concurrency), account (unreserved), memory (SCF quota).',
    labelNames: [...fnLabels, 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of stats.allSeries()) {
        for (const [reason, n] of Object.entries(s.throttles)) {
          this.inc({ ...seriesLabels(s), reason }, n);
        }
      }
    },
  });
  registry.registerMetric(
    histogramFromCounts(
      'hearth_invocation_duration_seconds',
      'Duration of invocations (Lambda Duration).',
      function* () {
        for (const s of stats.allSeries()) {
          yield { labels: seriesLabels(s), h: s.duration };
        }
      },
    ),
  );
  registry.registerMetric(
    histogramFromCounts(
      'hearth_init_duration_seconds',
      'Init duration of environments that became ready.',
      function* () {
        for (const s of stats.allSeries()) {
          const l = seriesLabels(s);
          yield { labels: { ...l, initialization_type: 'on-demand' }, h: s.initOnDemand };
          yield { labels: { ...l, initialization_type: 'provisioned-concurrency' }, h: s.initProvisioned };
        }
      },
    ),
  );
  new Gauge({
    name: 'hearth_concurrent_executions',
    help: 'Environments running an invocation now (Lambda ConcurrentExecutions).',
    labelNames: fnLabels,
    registers: [registry],
    collect() {
      this.reset();
      const busy = new Map<string, number>();
      for (const env of src.pool.environments()) {
        if (env.state === 'busy' || env.state === 'draining') {
          const prefix = env.specKey.slice(0, env.specKey.indexOf('@') + 1);
          busy.set(prefix, (busy.get(prefix) ?? 0) + 1);
        }
      }
      for (const s of stats.allSeries()) {
        this.set(seriesLabels(s), busy.get(s.prefix) ?? 0);
      }
    },
  });
  new Gauge({
    name: 'hearth_environments',
    help: 'Live execution environments by state.',
    labelNames: ['state', 'initialization_type'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const env of src.pool.environments()) {
        const k = `${env.state}|${env.initializationType}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const state of ENV_STATES) {
        for (const type of INIT_TYPES) {
          this.set({ state, initialization_type: type }, counts.get(`${state}|${type}`) ?? 0);
        }
      }
    },
  });

  new Gauge({
    name: 'hearth_prestarted_runtimes',
    help: 'Runtime processes started and waiting for a function (pre-started runtimes).',
    registers: [registry],
    async collect() {
      this.set((await src.pool.prestartedRuntimes()).length);
    },
  });

  // ---- provisioned concurrency, per config -------------------------------------------------
  /** One read of the configs per scrape, shared by the family's collectors. */
  let configsRead: Promise<readonly ConfigRef[]> | undefined;
  const configs = (): Promise<readonly ConfigRef[]> => {
    configsRead ??= src.configs().finally(() => {
      setImmediate(() => {
        configsRead = undefined;
      });
    });
    return configsRead;
  };
  const configGauge = (name: string, help: string, value: (c: ConfigRef) => number) =>
    new Gauge({
      name,
      help,
      labelNames: pcLabels,
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of await configs()) {
          this.set(configLabels(c), value(c));
        }
      },
    });
  const busyOf = (c: ConfigRef): number =>
    Math.round(src.pool.provisionedUtilization(c.poolKey) * src.pool.provisionedStatus(c.poolKey).allocated);
  configGauge(
    'hearth_provisioned_concurrent_executions',
    'Provisioned environments running an invocation now (Lambda ProvisionedConcurrentExecutions).',
    busyOf,
  );
  configGauge(
    'hearth_provisioned_concurrency_utilization_ratio',
    'Busy ÷ allocated provisioned environments, 0–1 (Lambda ProvisionedConcurrencyUtilization).',
    (c) => src.pool.provisionedUtilization(c.poolKey),
  );
  configGauge(
    'hearth_provisioned_concurrency_requested',
    'Requested provisioned concurrency.',
    (c) => c.requested,
  );
  configGauge(
    'hearth_provisioned_concurrency_allocated',
    'Initialised provisioned environments.',
    (c) => src.pool.provisionedStatus(c.poolKey).allocated,
  );
  configGauge(
    'hearth_provisioned_concurrency_available',
    'Provisioned environments that may serve now.',
    (c) => src.pool.provisionedStatus(c.poolKey).available,
  );
  new Gauge({
    name: 'hearth_provisioned_concurrency_status',
    help: 'The config status: 1 for the current one of IN_PROGRESS, READY, FAILED.',
    labelNames: [...pcLabels, 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await configs()) {
        const now = src.pool.provisionedStatus(c.poolKey).status;
        for (const status of STATUSES) {
          this.set({ ...configLabels(c), status }, now === status ? 1 : 0);
        }
      }
    },
  });
  const configCounter = (name: string, help: string, spill: boolean) =>
    new Counter({
      name,
      help,
      labelNames: pcLabels,
      registers: [registry],
      async collect() {
        this.reset();
        const counted = new Map(stats.configs());
        for (const c of await configs()) {
          const s = counted.get(c.poolKey);
          this.inc(configLabels(c), s === undefined ? 0 : spill ? s.spillovers : s.invocations);
        }
      },
    });
  configCounter(
    'hearth_provisioned_concurrency_invocations_total',
    'Invocations that ran on a provisioned environment (Lambda ProvisionedConcurrencyInvocations).',
    false,
  );
  configCounter(
    'hearth_provisioned_concurrency_spillover_invocations_total',
    'Invocations of a provisioned version that ran on demand because no provisioned environment was free (Lambda ProvisionedConcurrencySpilloverInvocations).',
    true,
  );

  // ---- the async event queue ----------------------------------------------------------------
  new Gauge({
    name: 'hearth_async_events_queued',
    help: 'Accepted Event invocations not yet settled.',
    registers: [registry],
    collect() {
      this.set(src.queue().depth);
    },
  });
  new Gauge({
    name: 'hearth_async_events_running',
    help: 'Queued events being run now.',
    registers: [registry],
    collect() {
      this.set(src.queue().running);
    },
  });
  new Gauge({
    name: 'hearth_async_events_run_limit',
    help: 'Queued events that may run at once now (paced by hearth’s event-loop lag, at most asyncQueueWorkers).',
    registers: [registry],
    collect() {
      this.set(src.queue().runLimit);
    },
  });
  new Gauge({
    name: 'hearth_async_event_oldest_age_seconds',
    help: 'Age of the oldest queued event (0 when empty).',
    registers: [registry],
    collect() {
      this.set(src.queue().oldestAgeMs / 1000);
    },
  });
  return registry;
}
