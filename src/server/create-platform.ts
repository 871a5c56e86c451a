/**
 * The composition root: the only module that imports every layer. It builds the ports
 * (store, packages, pool, clock), core and the dialects, then listens.
 *
 * Start-up, in order:
 *   1. make the data dir and open the store and the package store (fails early, clearly);
 *   2. one resolution of interpreters (shared by the pool and RuntimeVersionConfig), the
 *      pool, core, the scaling service and its loop, the dialects on the front door;
 *   3. pool.start() (interpreters probed off the event loop), then listen, so that the
 *      public URL (Code.Location) is known;
 *   4. core.start() re-reads desired provisioned state and reconciles; scaling.start()
 *      resumes schedules and tracking.
 * Close runs the reverse: stop accepting, stop the scaling loop and core's background
 * work, dispose the pool (kills every environment), close the store. A failure at any
 * step of start-up closes whatever had started.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { concurrencyLimitsOf } from '../auth/account-settings.js';
import { CodeUrls } from '../auth/code-urls.js';
import { openCredentialSource, type FileCredentialSource } from '../auth/credentials-file.js';
import { decideListenMode } from '../auth/listen-policy.js';
import type { HearthConfig } from '../config/schema.js';
import { createCore, type Core } from '../core/index.js';
import { QueuePacer } from '../core/invoke/queue-pacer.js';
import {
  systemClock,
  type AsyncEventStore,
  type PackageStore,
  type Pool,
  type Store,
} from '../core/ports.js';
import { functionLockKey } from '../core/services/keyed-mutex.js';
import { openClusterDb, type ClusterDb } from '../cluster/cluster-db.js';
import { SharedPackages } from '../cluster/shared-packages.js';
import { ClusterParts, defaultNodeId } from './cluster-parts.js';
import { ScalingService, type ScheduleFactory } from '../core/scaling/scaling-service.js';
import { AWS_FALLBACK, createAwsLambdaDialect } from '../dialects/aws-lambda/index.js';
import { scfCronSchedule } from '../dialects/tencent-scf/cron.js';
import { SCF_CRON_KIND, createTencentScfDialect } from '../dialects/tencent-scf/index.js';
import { createPool, type FunctionLogEntry, type HearthPool } from '../pool/index.js';
import { parseJsonOffThread } from './json-worker.js';
import { Interpreters } from '../pool/interpreters.js';
import { ScalingLoop, systemTimers } from '../scheduler/loop.js';
import { createPackageStore } from '../store/packages/package-store.js';
import { openPostgresStore } from '../store/postgres/postgres-store.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import { openSqliteAsyncEventStore } from '../store/sqlite/async-event-store.js';
import { openPostgresAsyncEventStore } from '../store/postgres/async-event-store.js';
import { createFrontDoor } from './front-door.js';
import { eventLoopLag } from './loop-lag.js';
import { watchQueue } from './queue-log.js';
import { DataDirError, makeDataDir } from './data-dir.js';
import { createHearthEndpoints } from './hearth-endpoints.js';
import { createMetricsRegistry } from './metrics.js';
import { Dashboard, defaultAssetsDir } from './dashboard.js';
import { fileURLToPath } from 'node:url';
import { functionLogSink, openFunctionLogs } from './function-logs.js';
import { createAwsLogsDialect } from '../dialects/aws-logs/index.js';
import { createAwsAutoScalingDialect } from '../dialects/aws-autoscaling/index.js';
import { AWS_SCHEDULE_KIND, scheduleOf } from '../dialects/aws-autoscaling/schedule.js';
import { RangeDriver } from '../core/scaling/range-driver.js';
import { ScalableTargetService } from '../core/scaling/scalable-target-service.js';

export interface Platform {
  /** e.g. http://127.0.0.1:8910 */
  readonly url: string;
  readonly core: Core;
  readonly logger: Logger;
  close(): Promise<void>;
}

export { DataDirError } from './data-dir.js';

export async function createPlatform(
  config: HearthConfig,
  opts: { logger?: Logger; onCredentialsReload?: (ok: boolean) => void } = {},
): Promise<Platform> {
  // Logs go to stderr: stdout carries only the CLI's one ready line.
  const logger = opts.logger ?? pino({ level: config.logLevel }, pino.destination(2));
  // Who may call, decided before anything starts: a bad credentials file or an open
  // non-loopback listener stops hearth here (src/auth/README.md).
  const credentials = openPlatformCredentials(config, logger, opts.onCredentialsReload);
  const dataDir = path.resolve(config.dataDir);
  makeDataDir(dataDir);
  let store: Store;
  // A PostgreSQL store makes this hearth a node of a cluster (src/cluster/README.md): the
  // database holds the nodes, their leases and shares, and every package.
  let clusterDb: ClusterDb | undefined;
  const nodeId = config.nodeId ?? defaultNodeId(dataDir);
  const incarnation = randomBytes(8).toString('hex');
  if (config.store === undefined) {
    try {
      store = await openSqliteStore(path.join(dataDir, 'hearth.db'));
    } catch (e) {
      throw new DataDirError(dataDir, e);
    }
  } else {
    // Its own wording: "cannot reach PostgreSQL at …".
    clusterDb = await openClusterDb(config.store);
    try {
      store = await openPostgresStore(config.store, { writer: `${nodeId}/${incarnation}` });
    } catch (e) {
      await clusterDb.close();
      throw e;
    }
  }
  const closeStores = async (): Promise<void> => {
    await store.close();
    await clusterDb?.close();
  };
  let asyncEvents: AsyncEventStore;
  // Where nodes share the queue (PostgreSQL), each renews its claims and takes over a dead
  // node's events every third of a lease (src/store/postgres/async-event-store.ts).
  let claimIntervalMs: number | undefined;
  if (config.store === undefined) {
    try {
      // Its own file: the queue's write rate never waits behind control-plane writes.
      asyncEvents = await openSqliteAsyncEventStore(path.join(dataDir, 'events.db'));
    } catch (e) {
      await closeStores();
      throw new DataDirError(dataDir, e);
    }
  } else {
    try {
      // Held in the node's name: stable across its restarts (it takes its own events back at
      // once). A node's claims lapse when the cluster counts it dead (clusterExpiryMs).
      const shared = await openPostgresAsyncEventStore(config.store, {
        owner: nodeId,
        leaseMs: config.clusterExpiryMs,
      });
      claimIntervalMs = shared.leaseMs / 3;
      asyncEvents = shared;
    } catch (e) {
      await closeStores();
      throw e;
    }
  }
  let packages: PackageStore;
  try {
    const local = await createPackageStore(path.join(dataDir, 'packages'));
    packages = clusterDb === undefined ? local : new SharedPackages(local, clusterDb);
  } catch (e) {
    await asyncEvents.close();
    await closeStores();
    throw new DataDirError(dataDir, e);
  }
  let logs;
  try {
    // On the platform's PostgreSQL when it has one: every node's logs in one place.
    logs = await openFunctionLogs(
      dataDir,
      config.logsMaxBytes,
      logger.child({ layer: 'logs' }),
      config.store,
    );
  } catch (e) {
    await asyncEvents.close();
    await closeStores();
    throw e;
  }
  // One resolution of which interpreter runs each runtime, for the pool's launches and the
  // control plane's RuntimeVersionConfig alike.
  // PATH is read here, in the composition root, and handed to the pool.
  const pathList = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const interpreters = new Interpreters({
    configured: config.runtimeInterpreters,
    path: pathList,
    hostNode: { command: process.execPath, version: process.version },
  });
  let localPool: HearthPool;
  // The dashboard's live log tails (built after core), fed by the pool's log sink.
  const tails = { publish: (_entry: FunctionLogEntry): void => undefined };
  const logSink = functionLogSink(logs);
  try {
    localPool = createPool({
      interpreters,
      path: pathList,
      logger: logger.child({ layer: 'pool' }),
      idleTimeoutMs: config.idleTimeoutMs,
      maxConcurrentStarts: config.maxConcurrentStarts,
      onDemandInitTimeoutMs: config.onDemandInitTimeoutMs,
      provisionedInitTimeoutMs: config.provisionedInitTimeoutMs,
      memoryCgroups: config.memoryCgroups,
      sandbox: config.sandbox,
      batchScheduling: config.batchScheduling,
      spawner: config.spawner,
      prestartedRuntimes: config.prestartedRuntimes,
      // Beside the package store (hard links need one file system): pre-started sandboxes.
      sandboxTaskDir: path.join(dataDir, 'sandbox-tasks'),
      ...(config.codeCache ? { codeCacheDir: path.join(dataDir, 'code-cache') } : {}),
      owner: createHash('sha256').update(dataDir).digest('hex').slice(0, 16),
      ...(config.functionLogs
        ? {
            onFunctionLog: (entry) => {
              logSink(entry);
              tails.publish(entry);
            },
          }
        : {}),
    });
  } catch (e) {
    // A configured interpreter that cannot run (interpreters.ts): nothing else started yet.
    await logs.close();
    await asyncEvents.close();
    await closeStores();
    throw e;
  }
  // Queued events run with as many workers as leave hearth's own loop responsive (queue-pacer.ts).
  const loopLag = eventLoopLag();
  const pacer = new QueuePacer({
    min: Math.min(4, config.asyncQueueWorkers),
    max: config.asyncQueueWorkers,
    lagMs: loopLag.lagMs,
  });
  // In a cluster (src/cluster/README.md), core sees the cluster's pool and locks.
  const cluster =
    clusterDb === undefined || config.store === undefined
      ? undefined
      : new ClusterParts({
          db: clusterDb,
          config: { ...config, store: config.store },
          nodeId,
          local: localPool,
          store,
          log: logger.child({ layer: 'cluster' }),
        });
  const pool: Pool = cluster?.pool ?? localPool;
  const clusterLocks = cluster?.locks;
  /** One node actuates scaling decisions and records their activities: the leader. */
  const leads = (): boolean => cluster === undefined || cluster.leads();
  const core = createCore(
    {
      store,
      packages,
      pool,
      runtimes: {
        versionOf: (runtime) => {
          const i = interpreters.of(runtime);
          return i === undefined ? undefined : { name: i.versionName, digest: i.versionDigest };
        },
      },
      clock: systemClock,
      asyncEvents,
      events: {
        capacityPerAccount: config.asyncQueueCapacity,
        workers: config.asyncQueueWorkers,
        pacer,
        ...(claimIntervalMs === undefined ? {} : { claimIntervalMs }),
        ...(cluster === undefined ? {} : { terminateElsewhere: cluster.terminateElsewhere(asyncEvents) }),
      },
      limits: {
        accountConcurrency: config.accountConcurrency,
        minUnreservedConcurrency: config.minUnreservedConcurrency,
        forAccount: concurrencyLimitsOf(credentials),
      },
      onBackgroundError: (what, err) => logger.warn({ err }, what),
    },
    clusterLocks === undefined ? {} : { locks: clusterLocks },
  );
  let url = '';
  const codeUrls = new CodeUrls();
  const aws = createAwsLambdaDialect(core, {
    defaultRegion: config.region,
    accountId: config.accountId,
    credentials,
    publicUrl: () => config.publicUrl ?? url,
    codeLocation: (accountId, region, sha) => codeUrls.sign(config.publicUrl ?? url, accountId, region, sha),
    logger: logger.child({ dialect: 'aws-lambda' }),
    parseLargeJson: parseJsonOffThread,
  });
  // Scheduled and tracking provisioned concurrency: core glue + the scheduler's loop, which
  // calls back into the glue to change counts through core.
  const scalingLog = logger.child({ layer: 'scaling' });
  // AWS scalable targets (range-driver.ts) and SCF policies (scaling-service.ts) share the
  // loop; a config with an active scalable target is driven by it (README "Auto Scaling").
  const range: RangeDriver = new RangeDriver({
    store,
    clock: systemClock,
    locks: core.locks,
    provisioned: core.provisioned,
    metrics: core.metrics,
    schedules: scheduleFactory,
    datapointMs: config.awsScalingDatapointMs,
    onReleased: (key, qualifier): Promise<void> => scaling.refresh(key, qualifier),
    onError: (id, err) => scalingLog.warn({ err, target: id }, 'scalable target not driven'),
  });
  const targets = new ScalableTargetService({
    store,
    clock: systemClock,
    locks: core.locks,
    onChanged: (key, qualifier) => range.refresh(key, qualifier),
  });
  const scaling: ScalingService = new ScalingService({
    store,
    pool,
    provisioned: core.provisioned,
    changes: core.changes,
    locks: core.locks,
    schedules: scheduleFactory,
    governed: (id): boolean => range.governs(id),
    sample: (id) => core.metrics.peakConcurrency(id, Date.now() - config.scalingScaleOutPeriodMs),
    onError: (id, err) => scalingLog.warn({ err, target: id }, 'scaling target not registered'),
  });
  const loop = new ScalingLoop({
    clock: systemClock,
    timers: systemTimers,
    apply: (id, desired, decision) =>
      !leads()
        ? undefined
        : range.governs(id)
          ? range.apply(id, desired, decision)
          : scaling.apply(id, desired),
    observe: (id, decision) => (leads() ? range.observe(id, decision) : undefined),
    onError: (id, err) => scalingLog.warn({ err, target: id }, 'scaling decision not applied'),
    timing: {
      scaleOutPeriodMs: config.scalingScaleOutPeriodMs,
      scaleInWindowMs: config.scalingScaleInWindowMs,
    },
  });
  scaling.attach(loop);
  range.attach(loop);
  const scf = createTencentScfDialect(core, {
    defaultRegion: config.region,
    accountId: config.accountId,
    credentials,
    rateLimitPerSecond: config.scfRateLimitPerSecond,
    timeZone: config.scfTimeZone,
    maxTriggerActions: config.scfMaxTriggerActions,
    minTriggerIntervalSec: config.scfMinTriggerIntervalSec,
    totalConcurrencyMem: config.scfTotalConcurrencyMem,
    totalConcurrencyMemLimit: config.scfTotalConcurrencyMemLimit,
    scaling,
    logs,
    logger: logger.child({ dialect: 'tencent-scf' }),
    publicUrl: () => config.publicUrl ?? url,
    codeLocation: (accountId, region, sha) => codeUrls.sign(config.publicUrl ?? url, accountId, region, sha),
  });
  const metrics = createMetricsRegistry({
    pool: localPool,
    configs: async () =>
      (await store.listAllProvisionedConfigs()).map(({ key, config }) => ({
        poolKey: core.provisioned.poolKey(key, config.qualifier),
        region: key.region,
        namespace: key.namespace,
        functionName: key.name,
        qualifier: config.qualifier,
        requested: config.requested,
      })),
    queue: () => core.events.stats(),
  });
  const dashboard = new Dashboard({
    core,
    store,
    pool: localPool,
    assetsDir: defaultAssetsDir(path.dirname(fileURLToPath(import.meta.url))),
  });
  tails.publish = (entry) => dashboard.publishLog(entry);
  // What other nodes changed in the store reaches this node's derived state: provisioned
  // reconciles and caches (core's change feed, under the local function lock), scaling
  // targets and SCF policies (the scaling services re-read them).
  const stopRemote = store.watchRemote?.((changes) => {
    for (const change of changes) {
      if (change.kind === 'settings-changed') {
        core.scopeSettings.changed(change.scope);
        continue;
      }
      const { key } = change;
      if (change.kind === 'target-changed') {
        void range
          .refresh(key, change.qualifier)
          .catch((e: unknown) => scalingLog.warn({ err: e }, 'target refresh'));
        continue;
      }
      const emit = (): Promise<void> => core.changes.emit(change);
      void (
        clusterLocks === undefined
          ? core.locks.run(functionLockKey(key), emit)
          : clusterLocks.runLocal(functionLockKey(key), emit)
      ).catch((e: unknown) => logger.warn({ err: e }, 'applying a change from another node'));
      if (change.kind === 'provisioned-changed') {
        void scaling
          .refresh(key, change.qualifier)
          .catch((e: unknown) => scalingLog.warn({ err: e }, 'policy refresh'));
      }
    }
  });
  const app = createFrontDoor({
    logger,
    raw: (req, res) => dashboard.serveRaw(req, res),
    dialects: [
      createHearthEndpoints(packages, codeUrls, { metrics, dashboard }),
      aws,
      scf,
      createAwsAutoScalingDialect(targets, {
        defaultRegion: config.region,
        accountId: config.accountId,
        credentials,
        onRefused: (requestId, reason) =>
          logger.warn({ dialect: 'aws-autoscaling', requestId, reason }, 'request not authenticated'),
        onInternalError: (err) => logger.error({ err }, 'Application Auto Scaling operation failed'),
      }),
      createAwsLogsDialect(logs, {
        defaultRegion: config.region,
        accountId: config.accountId,
        credentials,
        onRefused: (requestId, reason) =>
          logger.warn({ dialect: 'aws-logs', requestId, reason }, 'request not authenticated'),
        onInternalError: (err) => logger.error({ err }, 'CloudWatch Logs operation failed'),
      }),
    ],
    fallback: AWS_FALLBACK,
  });
  // The metrics module reads provisioned utilisation on this cadence (core/metrics).
  const sampler = setInterval(() => core.metrics.sample(), config.metricsSampleMs);
  sampler.unref();
  // The async queue in the log when its depth crosses a threshold (metrics read
  // core.events.stats() directly).
  const stopQueueLog = watchQueue(() => core.events.stats(), {
    logger,
    intervalMs: config.asyncQueueLogIntervalMs,
    capacityPerAccount: config.asyncQueueCapacity,
  });
  // Settled async events stay queryable for 3 × 24 h after they end (SCF
  // GetAsyncEventStatus), then go; checked hourly.
  const prune = setInterval(() => {
    void asyncEvents
      .pruneSettled(Date.now() - 3 * 24 * 3600_000)
      .catch((e: unknown) => logger.warn({ err: e }, 'pruning settled async events failed'));
  }, 3600_000);
  prune.unref();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      credentials.close();
      dashboard.close();
      stopRemote?.();
      // Leave first: the other nodes place this node's share again at once.
      await cluster?.leave();
      await app.close();
      await cluster?.closeLinks();
      clearInterval(sampler);
      loop.stop();
      range.stop();
      scaling.stop();
      core.stop();
      await pool.dispose();
      // After the pool: the last REPORT lines of killed environments are written too.
      stopQueueLog();
      pacer.stop();
      loopLag.stop();
      clearInterval(prune);
      await logs.close();
      await asyncEvents.close();
      await clusterLocks?.close();
      await closeStores();
    })();
    return closing;
  };
  try {
    await pool.start();
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    url = `http://${host}:${port}`;
    credentials.watch();
    await cluster?.join(config, url, (requestId) => core.events.terminateHere(requestId));
    await core.start();
    await range.start();
    await scaling.start();
  } catch (e) {
    // Whatever started goes down again (socket, environments, timers, the store's lock),
    // so a failed start leaves nothing running and the process can exit.
    await close().catch((err: unknown) => logger.error({ err }, 'shutdown after a failed start'));
    throw e;
  }
  return { url, core, logger, close };
}

/**
 * The one credentials source of every dialect: the credentials file plus the deprecated
 * scfCredentials, then the listen policy (closed by default, src/auth/listen-policy.ts).
 */
function openPlatformCredentials(
  config: HearthConfig,
  logger: Logger,
  onReload: ((ok: boolean) => void) | undefined,
): FileCredentialSource {
  const log = logger.child({ layer: 'auth' });
  if (config.scfCredentials.length > 0) {
    log.warn(
      'HEARTH_SCF_CREDENTIALS is deprecated: list the keys in the credentials file (--credentials-file)',
    );
  }
  const decision = decideListenMode({
    credentialsConfigured: config.credentialsFile !== undefined || config.scfCredentials.length > 0,
    host: config.host,
    insecure: config.insecure,
    accountId: config.accountId,
  });
  const source = openCredentialSource({
    ...(config.credentialsFile === undefined ? {} : { file: config.credentialsFile }),
    extraEntries: config.scfCredentials.map((c) => ({ ...c })),
    mode: decision.mode,
    defaultAccountId: config.accountId,
    log,
    ...(onReload === undefined ? {} : { onReload: (o: { ok: boolean }) => onReload(o.ok) }),
  });
  if (decision.notice !== undefined) {
    log[decision.notice.level](decision.notice.message);
  }
  return source;
}

/** Stored schedule references → fire instants (core/scaling knows no cron dialect). */
const scheduleFactory: ScheduleFactory = (ref) => {
  if (ref.kind === SCF_CRON_KIND) {
    return scfCronSchedule(ref.expression, ref.timeZone);
  }
  if (ref.kind === AWS_SCHEDULE_KIND) {
    return scheduleOf(ref.expression, ref.timeZone, ref.anchorMs ?? 0);
  }
  throw new Error(`unknown schedule kind '${ref.kind}'`);
};
