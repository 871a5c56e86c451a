/**
 * The data plane: execution environments as real child processes, the Runtime API, the
 * provisioned-concurrency reconciler and admission (ARCHITECTURE.md; design and measured
 * figures in ./README.md).
 */
import { DataPlane, type HearthPool, type PoolOptions } from './pool.js';

export type { EnvironmentView, FunctionLogEntry, HearthPool, PoolEvent, PoolOptions } from './pool.js';
export type { RuntimeCommand } from './launch.js';

export function createPool(opts: PoolOptions): HearthPool {
  return new DataPlane(opts);
}
