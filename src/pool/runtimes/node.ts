/**
 * Node.js runtimes (`nodejs18.x` ...): hearth's bundled client (src/runtimes/node/) on the
 * interpreter that matches the runtime (interpreters.ts), with the V8 heap bounded by
 * MemorySize.
 */
import path from 'node:path';
import type { RuntimeEntry } from './table.js';

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
    return {
      ok: true,
      command: interpreter.command,
      args: [`--max-old-space-size=${maxOldSpaceMb(spec.memoryMb)}`, ...ctx.nodeFlags, ctx.nodeRuntimeEntry],
      channel: ctx.bundledChannel,
      runtimeDir: path.dirname(ctx.nodeRuntimeEntry),
      interpreter,
    };
  },
};
