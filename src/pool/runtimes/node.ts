/**
 * Node.js runtimes (`nodejs18.x` ...): hearth's bundled client (src/runtimes/node/) on the
 * interpreter that matches the runtime (interpreters.ts), with the V8 heap bounded by
 * MemorySize.
 */
import path from 'node:path';
import { CODE_CACHE_VARIABLE, codeCacheFolder } from '../code-cache.js';
import { CODE_CACHE_SEND_VARIABLE, SANDBOX_CODE_CACHE, sandboxCacheFolder } from '../code-cache-writer.js';
import { layerPaths, type RuntimeEntry } from './table.js';

/**
 * Heap limit for a node runtime from the function's MemorySize: 90 % of it, leaving the
 * rest to code, stacks and buffers, as Lambda's Node.js bootstrap does in spirit. [DESIGN]
 */
export function maxOldSpaceMb(memoryMb: number): number {
  return Math.max(16, Math.floor(memoryMb * 0.9));
}

/**
 * The young generation's semi-space for a node runtime, in MB: what Node.js 20 chooses by
 * itself on a machine (or in a memory cgroup) of MemorySize, which it reads once at start
 * (measured in a cgroup of each size: up to 512 MB → 1, 1024 → 4, 1536 and 2048 → 8, from
 * 3008 → 16; V8 sizes it from a quarter of the memory, rounded up to a power of two).
 * Given explicitly because an environment enters its memory cgroup just after it starts
 * (launchers/process-launcher.ts): whether node had read the cgroup's limit by then was a
 * race, and the young generation was 3 MB or 48 MB from one start to the next. [DESIGN]
 */
export function semiSpaceMb(memoryMb: number): number {
  if (memoryMb <= 512) {
    return 1;
  }
  const wanted = memoryMb / 4 / 64;
  return Math.min(16, 2 ** Math.ceil(Math.log2(wanted)));
}

/**
 * The variables `node` (or what it loads at start: the dynamic linker, glibc's allocator,
 * OpenSSL, ICU) reads when it starts rather than when they are used: a pre-started runtime
 * (launchers/prestarted.ts) takes a function only if these are the same in both. NODE_PATH
 * is not one of them: the bundled client computes the module paths again when it takes
 * its function (runtimes/node/blank.cjs). Every other variable is read by the client or
 * the function after that.
 */
export const NODE_START_VARIABLES =
  /^(?:NODE_(?!PATH$)|UV_|LD_|MALLOC_|GLIBC_|OPENSSL_|SSL_CERT_|LC_|ICU_)|^(?:LANG|LANGUAGE|TZ)$/;

export const nodeRuntime: RuntimeEntry = {
  name: 'nodejs',
  managed: true,
  batchScheduling: true,
  matches: (runtime) => /^nodejs\d+\.x$/.test(runtime),
  start(spec, ctx) {
    const interpreter = ctx.interpreters.of(spec.runtime);
    if (interpreter === undefined) {
      return { ok: false, detail: `hearth has no runtime ${JSON.stringify(spec.runtime)}` };
    }
    // Layers as Lambda's NODE_PATH has /opt: `nodejs/node<major>/node_modules`, then
    // `nodejs/node_modules`; the function's own NODE_PATH, if any, after them. CommonJS
    // only, as on Lambda (ES modules ignore NODE_PATH).
    const major = /^nodejs(\d+)\.x$/.exec(spec.runtime)?.[1] ?? '';
    const paths = layerPaths(spec, [`nodejs/node${major}/node_modules`, 'nodejs/node_modules'], ctx.fileView);
    const own = spec.environment.NODE_PATH;
    if (paths.length > 0 && own !== undefined && own !== '') {
      paths.push(own);
    }
    const env: Record<string, string> = {};
    if (paths.length > 0) {
      env.NODE_PATH = paths.join(path.delimiter);
    }
    let codeCacheHost: string | undefined;
    if (ctx.codeCacheDir !== undefined && ctx.fileView !== 'lambda') {
      env[CODE_CACHE_VARIABLE] = path.join(ctx.codeCacheDir, codeCacheFolder(spec));
    } else if (ctx.codeCacheDir !== undefined && ctx.bundledChannel === 'private') {
      // A sandbox: its entries read-only, written by the platform (code-cache-writer.ts).
      env[CODE_CACHE_VARIABLE] = SANDBOX_CODE_CACHE;
      env[CODE_CACHE_SEND_VARIABLE] = '1';
      codeCacheHost = sandboxCacheFolder(ctx.codeCacheDir, spec);
    }
    return {
      ok: true,
      command: interpreter.command,
      ...(Object.keys(env).length === 0 ? {} : { env }),
      args: [
        `--max-old-space-size=${maxOldSpaceMb(spec.memoryMb)}`,
        `--max-semi-space-size=${semiSpaceMb(spec.memoryMb)}`,
        ...ctx.nodeFlags,
        ctx.nodeRuntimeEntry,
      ],
      channel: ctx.bundledChannel,
      runtimeDir: path.dirname(ctx.nodeRuntimeEntry),
      hostPaths: [interpreter.command, ctx.nodeRuntimeEntry],
      interpreter,
      ...(ctx.bundledChannel === 'private' ? { startVariables: NODE_START_VARIABLES } : {}),
      ...(codeCacheHost === undefined ? {} : { codeCacheHost }),
    };
  },
};
