/**
 * Node.js runtimes (`nodejs18.x` ...): hearth's bundled client (src/runtimes/node/) on the
 * interpreter that matches the runtime (interpreters.ts), with the V8 heap bounded by
 * MemorySize.
 */
import path from 'node:path';
import { CODE_CACHE_VARIABLE, codeCacheFolder } from '../code-cache.js';
import { layerPaths, type RuntimeEntry } from './table.js';

/**
 * Heap limit for a node runtime from the function's MemorySize: 90 % of it, leaving the
 * rest to code, stacks and buffers, as Lambda's Node.js bootstrap does in spirit. [DESIGN]
 */
export function maxOldSpaceMb(memoryMb: number): number {
  return Math.max(16, Math.floor(memoryMb * 0.9));
}

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
    if (ctx.codeCacheDir !== undefined) {
      env[CODE_CACHE_VARIABLE] = path.join(ctx.codeCacheDir, codeCacheFolder(spec));
    }
    return {
      ok: true,
      command: interpreter.command,
      ...(Object.keys(env).length === 0 ? {} : { env }),
      args: [`--max-old-space-size=${maxOldSpaceMb(spec.memoryMb)}`, ...ctx.nodeFlags, ctx.nodeRuntimeEntry],
      channel: ctx.bundledChannel,
      runtimeDir: path.dirname(ctx.nodeRuntimeEntry),
      hostPaths: [interpreter.command, ctx.nodeRuntimeEntry],
      interpreter,
    };
  },
};
