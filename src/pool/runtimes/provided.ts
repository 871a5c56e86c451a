/**
 * OS-only runtimes (`provided`, `provided.al2`, `provided.al2023`): the package's own
 * executable `bootstrap`, over the HTTP Runtime API (§5.6, the RIE), with the errors
 * Lambda gives when it cannot be executed.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { pathExistence } from '../path-existence.js';
import { LAMBDA_OPT, LAMBDA_TASK_ROOT, layerPaths, type RuntimeEntry } from './table.js';

export const providedRuntime: RuntimeEntry = {
  name: 'provided',
  managed: false,
  batchScheduling: false,
  matches: (runtime) => /^provided(\.al2|\.al2023)?$/.test(runtime),
  start(spec, ctx) {
    // The package's bootstrap, else the one of the last layer that has one (Lambda: the
    // function's /var/task/bootstrap, else /opt/bootstrap, where a later layer's wins).
    // Checked on the host; named as the process sees it (in a sandbox, as on Lambda:
    // `fork/exec /var/task/bootstrap: ...`). Whether the package has one is answered from
    // memory after the first launch (path-existence.ts), like the layers' paths.
    const own = path.join(spec.codeDir, 'bootstrap');
    const host = pathExistence.exists(own) ? own : (layerPaths(spec, ['bootstrap'])[0] ?? own);
    const command =
      ctx.fileView === 'host'
        ? host
        : host === own
          ? path.posix.join(LAMBDA_TASK_ROOT, 'bootstrap')
          : path.posix.join(LAMBDA_OPT, 'bootstrap');
    try {
      if (!statSync(host).isFile()) {
        return { ok: false, detail: `fork/exec ${command}: permission denied` };
      }
      accessSync(host, constants.X_OK);
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
      return {
        ok: false,
        detail: `fork/exec ${command}: ${code === 'ENOENT' ? 'no such file or directory' : 'permission denied'}`,
      };
    }
    return {
      ok: true,
      command,
      args: [],
      channel: 'http',
      runtimeDir: path.dirname(command),
      // In the host view the bootstrap is a host file; in a sandbox it is under /var/task or /opt.
      hostPaths: ctx.fileView === 'host' ? [command] : [],
    };
  },
};
