/**
 * Core: the dialect-neutral platform, built once by the composition root from its ports.
 * Dialects call the services below with neutral inputs and render what they return; core
 * throws PlatformErrors from one catalog (errors.ts) and knows no wire format.
 *
 * Services share one ServiceContext (ports, a keyed mutex, the change feed). To add a
 * service (invoke, provisioned concurrency...), write `createXService(ctx)` under
 * services/ and add it to `Core` and `createCore` below.
 */
import type { Clock, PackageStore, Pool, Store } from './ports.js';
import { createAliasService, type AliasService } from './services/alias-service.js';
import type { ChangeFeed } from './services/change-feed.js';
import { createConcurrencyService, type ConcurrencyService } from './services/concurrency-service.js';
import { createFunctionService, type FunctionService } from './services/function-service.js';
import type { KeyedMutex } from './services/keyed-mutex.js';
import { createServiceContext, type ServiceContext } from './services/service-context.js';
import { createTagService, type TagService } from './services/tag-service.js';
import { createVersionService, type VersionService } from './services/version-service.js';

export interface CoreLimits {
  /** Account-wide ConcurrentExecutions. */
  readonly accountConcurrency: number;
  /** Floor for UnreservedConcurrentExecutions. */
  readonly minUnreservedConcurrency: number;
}

export interface CoreDeps {
  readonly store: Store;
  readonly packages: PackageStore;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly limits: CoreLimits;
}

export interface Core {
  readonly deps: CoreDeps;
  readonly functions: FunctionService;
  readonly versions: VersionService;
  readonly aliases: AliasService;
  /** Reserved concurrency and the account's concurrency figures. */
  readonly concurrency: ConcurrencyService;
  readonly tags: TagService;
  /** Committed changes, for services that keep derived state (e.g. the PC reconciler). */
  readonly changes: ChangeFeed;
  /** Per-function (and per-scope) serialisation of mutations; see keyed-mutex.ts for lock order. */
  readonly locks: KeyedMutex;
  /** Shared by every service; for services added next to these. */
  readonly context: ServiceContext;
  /** Re-reads desired state and reconciles (start-up). */
  start(): Promise<void>;
}

/** Builds core from its ports; `overrides` replace context parts in tests (ids, locks). */
export function createCore(deps: CoreDeps, overrides: Partial<ServiceContext> = {}): Core {
  const context = createServiceContext(deps, overrides);
  return {
    deps,
    functions: createFunctionService(context),
    versions: createVersionService(context),
    aliases: createAliasService(context),
    concurrency: createConcurrencyService(context),
    tags: createTagService(context),
    changes: context.changes,
    locks: context.locks,
    context,
    start: () => Promise.resolve(),
  };
}
