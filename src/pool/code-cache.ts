/**
 * The platform's side of the bundled Node.js runtime's code cache
 * (src/runtimes/node/code-cache.cjs): where each function's entries live. One folder per
 * function, under PoolOptions.codeCacheDir: its versions share entries (their code roots
 * may be the same package), and no other function's environment ever reads them.
 */
import { createHash } from 'node:crypto';
import type { EnvironmentSpec } from '../core/ports.js';

/** The variable naming the folder (read and removed by bootstrap.cjs before user code). */
export const CODE_CACHE_VARIABLE = '_HEARTH_CODE_CACHE';

/** A function's folder name: a digest of its identity (no path characters). */
export function codeCacheFolder(
  spec: Pick<EnvironmentSpec, 'accountId' | 'region' | 'namespace' | 'functionName'>,
): string {
  return createHash('sha256')
    .update(`${spec.accountId}\0${spec.region}\0${spec.namespace}\0${spec.functionName}`)
    .digest('hex')
    .slice(0, 32);
}
