/**
 * OS-only runtimes (`provided`, `provided.al2`, `provided.al2023`): the package's own
 * executable `bootstrap`, over the HTTP Runtime API (§5.6, the RIE), with the errors
 * Lambda gives when it cannot be executed.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { layerPaths, type RuntimeEntry } from './table.js';

export const providedRuntime: RuntimeEntry = {
  name: 'provided',
  managed: false,
  batchScheduling: false,
  matches: (runtime) => /^provided(\.al2|\.al2023)?$/.test(runtime),
  start(spec) {
    // The package's bootstrap, else the one of the last layer that has one (Lambda: the
    // function's /var/task/bootstrap, else /opt/bootstrap, where a later layer's wins).
    const own = path.join(spec.codeDir, 'bootstrap');
    const command = existsSync(own) ? own : (layerPaths(spec, ['bootstrap'])[0] ?? own);
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
