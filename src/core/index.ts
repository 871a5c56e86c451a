/**
 * Core: the dialect-neutral platform, built once by the composition root from its ports.
 * Dialects call the services below with neutral inputs and render what they return; core
 * throws PlatformErrors from one catalog (errors.ts) and knows no wire format.
 *
 * Services share one ServiceContext (ports, a keyed mutex, the change feed). To add a
 * service, write `createXService(ctx)` under services/ (or a folder of its own when it
 * has several parts, as invoke/ and provisioned/ do) and add it to `Core` and
 * `createCore` below; dialects never build services themselves.
 */
import { LATEST, functionKeyString, type FunctionKey, type Scope } from './model.js';
import type {
  AsyncEventStore,
  Clock,
  InvocationOutcome,
  PackageStore,
  Pool,
  RuntimeCatalog,
  Store,
} from './ports.js';
import { SpecCache, specPrefixOfFunction, specPrefixOfVersion } from './invoke/environment-spec.js';
import { EventQueue, realTimers, type EventQueueOptions } from './invoke/event-queue.js';
import { MemoryAsyncEventStore } from './invoke/memory-event-store.js';
import { EventConfigService } from './invoke/event-config-service.js';
import { createDestinations } from './invoke/destinations.js';
import { InvokeService } from './invoke/invoke-service.js';
import { ClaimsIndex } from './claims/claims-index.js';
import { ProvisionedService } from './provisioned/provisioned-service.js';
import { createAliasService, type AliasService } from './services/alias-service.js';
import type { ChangeFeed } from './services/change-feed.js';
import { ProvisionedMetrics } from './metrics/provisioned-metrics.js';
import { createConcurrencyService, type ConcurrencyService } from './services/concurrency-service.js';
import { createFunctionService, type FunctionService } from './services/function-service.js';
import { functionLockKey, scopeLockKey, type KeyedMutex } from './services/keyed-mutex.js';
import { createLayerService, type LayerService } from './services/layer-service.js';
import { createServiceContext, type ServiceContext } from './services/service-context.js';
import { createNamespaceService, type NamespaceService } from './services/namespace-service.js';
import { createPolicyService, type PolicyService } from './services/policy-service.js';
import { createScopeSettingsService, type ScopeSettingsService } from './services/scope-settings.js';
import { createRuntimeService, type RuntimeService } from './services/runtime-service.js';
import { createTagService, type TagService } from './services/tag-service.js';
import { createVersionService, type VersionService } from './services/version-service.js';
import { accountLimits, type CoreLimits } from './account-limits.js';

export { accountLimits, type AccountLimits, type CoreLimits } from './account-limits.js';

export interface CoreDeps {
  readonly store: Store;
  readonly packages: PackageStore;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly limits: CoreLimits;
  /** Async invocation queue settings (defaults: AWS's retry delays, 10 000 events per account). */
  readonly events?: Partial<EventQueueOptions>;
  /** Where accepted Event invokes are kept until they settle; default: memory (tests). */
  readonly asyncEvents?: AsyncEventStore;
  /** Which runtime versions the pool runs (RuntimeVersionConfig); none: nothing is shown. */
  readonly runtimes?: RuntimeCatalog;
  /** Width of a metrics bucket, ms (default 1 s). */
  readonly metricsBucketMs?: number;
  /** Where core reports faults it cannot return to a caller (background reconciles, dropped events). */
  readonly onBackgroundError?: (what: string, error: unknown) => void;
}

export interface Core {
  readonly deps: CoreDeps;
  readonly functions: FunctionService;
  readonly versions: VersionService;
  readonly aliases: AliasService;
  /** Reserved concurrency and the account's concurrency figures. */
  readonly concurrency: ConcurrencyService;
  readonly tags: TagService;
  /** Layers and their versions (one store for both dialects). */
  readonly layers: LayerService;
  /** Resource-based policies (AddPermission, RemovePermission, GetPolicy). */
  readonly policies: PolicyService;
  /** Runtime versions and runtime management controls. */
  readonly runtimes: RuntimeService;
  /** Namespaces (SCF); `default` always exists. */
  readonly namespaces: NamespaceService;
  /** Per-scope settings (account concurrency limits, SCF quotas). */
  readonly scopeSettings: ScopeSettingsService;
  /** Provisioned concurrency configs (desired state) and their live status. */
  readonly provisioned: ProvisionedService;
  /** Invoke: RequestResponse, Event and DryRun. */
  readonly invoke: InvokeService;
  /** Provisioned-concurrency metrics (utilisation, invocations, spillovers) in time buckets. */
  readonly metrics: ProvisionedMetrics;
  /** The asynchronous invocation queue (shutdown, tests, depth and age for metrics). */
  readonly events: EventQueue;
  /** Asynchronous invocation configs (EventInvokeConfig, AsyncTriggerConfig). */
  readonly eventConfigs: EventConfigService;
  /** Accepted events and their status (SCF ListAsyncEvents). */
  readonly asyncEvents: AsyncEventStore;
  /** Committed changes, for services that keep derived state (e.g. the PC reconciler). */
  readonly changes: ChangeFeed;
  /** Per-function (and per-scope) serialisation of mutations; see keyed-mutex.ts for lock order. */
  readonly locks: KeyedMutex;
  /** Shared by every service; for services added next to these. */
  readonly context: ServiceContext;
  /** Re-reads desired state and reconciles (start-up). */
  start(): Promise<void>;
  /** Stops background work (the event queue); the pool is disposed by its owner. */
  stop(): void;
}

/** Builds core from its ports; `overrides` replace context parts in tests (ids, locks). */
export function createCore(deps: CoreDeps, overrides: Partial<ServiceContext> = {}): Core {
  const context = createServiceContext(deps, overrides);
  const { locks, changes } = context;
  const report = deps.onBackgroundError ?? (() => undefined);
  // First listener: a committed change marks its function in the claims index before
  // any other listener (the provisioned reconcile) can read the claims.
  const claimsIndex = new ClaimsIndex(deps.store);
  changes.subscribe((change) => claimsIndex.touch(change.key));
  const concurrency = createConcurrencyService(context, claimsIndex);
  const specs = new SpecCache(deps.packages);
  const unreserved = (scope: Scope) =>
    claimsIndex
      .view(scope)
      .then((v) => accountLimits(deps.limits, scope.accountId).accountConcurrency - v.claimed);
  const unreservedNow = (scope: Scope): number | undefined => {
    const view = claimsIndex.viewNow(scope);
    return view === undefined
      ? undefined
      : accountLimits(deps.limits, scope.accountId).accountConcurrency - view.claimed;
  };
  const aliases = createAliasService(context);
  const provisioned = new ProvisionedService({
    store: deps.store,
    pool: deps.pool,
    clock: deps.clock,
    specs,
    minUnreservedConcurrency: (key) => accountLimits(deps.limits, key.accountId).minUnreservedConcurrency,
    unreserved,
    // Function lock, then scope lock: the order putReserved uses (keyed-mutex.ts), so a
    // PC put and a reservation cannot both pass the account floor.
    withLock: (key, fn) => locks.run(functionLockKey(key), () => locks.run(scopeLockKey(key), fn)),
    onChanged: (key) => claimsIndex.touch(key),
    endShift: (key, alias, ref) => aliases.endShift(key, alias, ref),
    report,
  });
  // The durable async queue (event-queue.ts); `invoke` is built below and runs its events.
  const asyncEvents = deps.asyncEvents ?? new MemoryAsyncEventStore();
  const defaultPolicy = { maximumRetryAttempts: 2, maxEventAgeMs: 6 * 3600_000 };
  const eventConfigs = new EventConfigService({
    store: deps.store,
    events: asyncEvents,
    clock: deps.clock,
    defaults: defaultPolicy,
  });
  const events: EventQueue = new EventQueue({
    store: asyncEvents,
    capacityPerAccount: 10_000,
    workers: 64,
    retryDelaysMs: [60_000, 120_000],
    throttleBackoffMs: 1_000,
    defaultPolicy,
    timers: realTimers,
    run: (ev): Promise<InvocationOutcome> => invoke.runEvent(ev),
    policy: (ev) => eventConfigs.policyOf(ev),
    onSettled: createDestinations({ configs: eventConfigs, invoke: () => invoke, clock: deps.clock, report }),
    onError: report,
    ...deps.events,
  });
  const metrics = new ProvisionedMetrics({
    clock: deps.clock,
    pool: deps.pool,
    keys: () => provisioned.servedPoolKeys(),
    ...(deps.metricsBucketMs === undefined ? {} : { bucketMs: deps.metricsBucketMs }),
  });
  const invoke: InvokeService = new InvokeService({
    metrics,
    clock: deps.clock,
    store: deps.store,
    pool: deps.pool,
    specs,
    provisioned,
    events,
    unreservedCapacity: unreserved,
    unreservedNow,
  });

  // Derived state follows committed changes. Listeners run while the mutating service
  // still holds the function lock (and it waits for them), so they reconcile directly.
  const reconcile = (key: FunctionKey) =>
    provisioned.reconcileLocked(key).catch((e: unknown) => report(`reconcile ${key.name}`, e));
  const drain = (prefix: string) => {
    deps.pool.drain(prefix).catch((e: unknown) => report(`drain ${prefix}`, e));
  };
  changes.subscribe(async (change) => {
    const { key } = change;
    switch (change.kind) {
      case 'function-updated': {
        // $LATEST runs something else: environments of the old configuration are drained
        // (spec keys carry a digest of it, so new invokes already start fresh ones).
        const fn = await deps.store.getFunction(key);
        for (const old of specs.forgetVersion(key, LATEST, fn?.latest.config)) {
          drain(old);
        }
        break;
      }
      case 'version-deleted':
        await eventConfigs.forget(key, change.version);
        invoke.forget(key);
        specs.forgetVersion(key, change.version);
        drain(specPrefixOfVersion(key, change.version));
        await reconcile(key);
        break;
      case 'function-deleted':
        await eventConfigs.forget(key);
        invoke.forget(key);
        specs.forget(key);
        provisioned.forget(key);
        drain(specPrefixOfFunction(key));
        break;
      case 'alias-deleted':
        await eventConfigs.forget(key, change.alias);
        await reconcile(key);
        break;
      case 'alias-changed':
        // An alias move re-provisions on the new version and drains the old (§3.6);
        // a deleted alias's config was removed by the store's cascade.
        await reconcile(key);
        break;
      case 'provisioned-changed':
        // Another node put or deleted the config (the store's change feed): this node
        // declares the same desired state to its pool.
        await reconcile(key);
        break;
      case 'function-created':
      case 'version-published':
      case 'reserved-concurrency-changed':
      case 'target-changed':
        break;
    }
  });

  return {
    deps,
    functions: createFunctionService(context),
    versions: createVersionService(context),
    aliases,
    concurrency,
    tags: createTagService(context),
    layers: createLayerService(context),
    policies: createPolicyService(context),
    runtimes: createRuntimeService(context),
    namespaces: createNamespaceService(context),
    scopeSettings: createScopeSettingsService(context),
    provisioned,
    invoke,
    metrics,
    events,
    eventConfigs,
    asyncEvents,
    changes,
    locks,
    context,
    start: async () => {
      await provisioned.start((key, e) => report(`re-provisioning ${functionKeyString(key)}`, e));
      // Events acknowledged before a restart (or a crash) run again, at least once.
      await events.recover();
    },
    stop: () => events.close(),
  };
}
