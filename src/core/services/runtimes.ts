/**
 * The runtimes hearth can start environments for (canonical ids; a dialect maps its own
 * names onto these). Node.js and Python runtimes run hearth's bundled runtime clients
 * (src/runtimes/node, src/runtimes/python); `provided*` run the package's `bootstrap`.
 */
import { PlatformError } from '../errors.js';

export const SUPPORTED_RUNTIMES: readonly string[] = Object.freeze([
  'nodejs18.x',
  'nodejs20.x',
  'nodejs22.x',
  // python3.6 and 3.7 for SCF's Python3.6/3.7 (AWS refuses them as deprecated).
  'python3.6',
  'python3.7',
  'python3.8',
  'python3.9',
  'python3.10',
  'python3.11',
  'python3.12',
  'python3.13',
  'python3.14',
  'provided',
  'provided.al2',
  'provided.al2023',
]);

/** Throws RUNTIME_NOT_SUPPORTED unless hearth can run `runtime`. */
export function assertRuntimeSupported(runtime: string): void {
  if (!SUPPORTED_RUNTIMES.includes(runtime)) {
    throw new PlatformError('RUNTIME_NOT_SUPPORTED', { runtime, supported: SUPPORTED_RUNTIMES });
  }
}
