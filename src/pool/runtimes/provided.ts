/**
 * OS-only runtimes (`provided`, `provided.al2`, `provided.al2023`): the package's own
 * executable `bootstrap`, over the HTTP Runtime API (§5.6, the RIE), with the errors
 * Lambda gives when it cannot be executed.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeEntry } from './table.js';

export const providedRuntime: RuntimeEntry = {
  name: 'provided',
  managed: false,
  batchScheduling: false,
  matches: (runtime) => /^provided(\.al2|\.al2023)?$/.test(runtime),
  start(spec) {
    const command = path.join(spec.codeDir, 'bootstrap');
    try {
      if (!statSync(command).isFile()) {
        return { ok: false, detail: `fork/exec ${command}: permission denied` };
      }
      accessSync(command, constants.X_OK);
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
      return {
        ok: false,
        detail: `fork/exec ${command}: ${code === 'ENOENT' ? 'no such file or directory' : 'permission denied'}`,
      };
    }
    return { ok: true, command, args: [], channel: 'http', runtimeDir: path.dirname(command) };
  },
};
