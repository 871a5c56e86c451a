/**
 * Core: the dialect-neutral platform. Built once by the composition root from its ports.
 * (Placeholder until the services land; see core/services/.)
 */
import type { Clock, PackageStore, Pool, Store } from './ports.js';

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
  /** Re-reads desired state and reconciles (start-up). */
  start(): Promise<void>;
}

export function createCore(deps: CoreDeps): Core {
  return {
    deps,
    start: () => Promise.resolve(),
  };
}
