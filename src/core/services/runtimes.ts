/**
 * The runtimes hearth can start environments for (canonical ids; a dialect maps its own
 * names onto these). Node.js runtimes run the bundled runtime interface client; `provided*`
 * run the package's `bootstrap` executable.
 */
import { PlatformError } from '../errors.js';

export const SUPPORTED_RUNTIMES: readonly string[] = Object.freeze([
  'nodejs18.x',
  'nodejs20.x',
  'nodejs22.x',
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
