/**
 * The data plane: execution environments as real child processes, the Runtime API, the
 * provisioned-concurrency reconciler and admission (ARCHITECTURE.md; the parts and their
 * measured figures in ./README.md; how to add a runtime or a launcher in ./CONTRIBUTING.md).
 */
import { DataPlane } from './data-plane.js';
import type { PoolOptions } from './pool-options.js';
import type { HearthPool } from './types.js';

export type { PoolOptions } from './pool-options.js';
export type { EnvironmentView, FunctionLogEntry, HearthPool, PoolEvent } from './types.js';
export type { RuntimeCommand } from './launch.js';

export function createPool(opts: PoolOptions): HearthPool {
  return new DataPlane(opts);
}
