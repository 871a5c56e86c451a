// Placeholder: replaced by the execution-environment pool.
import type { Pool } from '../core/ports.js';
import type { Logger } from 'pino';

export interface PoolOptions {
  readonly logger: Logger;
  readonly idleTimeoutMs: number;
  readonly maxConcurrentStarts: number;
}

export function createPool(_opts: PoolOptions): Pool {
  const fail = () => Promise.reject(new Error('pool not implemented yet'));
  return {
    invoke: fail,
    setProvisioned: () => undefined,
    provisionedStatus: () => ({ allocated: 0, available: 0, status: 'IN_PROGRESS' }),
    provisionedUtilization: () => 0,
    drain: () => Promise.resolve(),
    start: () => Promise.resolve(),
    dispose: () => Promise.resolve(),
  };
}
