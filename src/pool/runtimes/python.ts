/**
 * Python runtimes (`python3.8` ... `python3.14`, SCF's Python3.x): hearth's bundled client
 * (src/runtimes/python/, standard library only) on the interpreter that matches the
 * runtime (interpreters.ts).
 */
import path from 'node:path';
import type { RuntimeEntry } from './table.js';

export const pythonRuntime: RuntimeEntry = {
  name: 'python',
  managed: true,
  batchScheduling: true,
  matches: (runtime) => /^python3\.\d+$/.test(runtime),
  start(spec, ctx) {
    const interpreter = ctx.interpreters.of(spec.runtime);
    if (interpreter === undefined) {
      return { ok: false, detail: `hearth has no runtime ${JSON.stringify(spec.runtime)}` };
    }
    // -S: no site-packages of the host's (nor its .pth start-up hooks: one machine's cost
    // 38 ms per start), as a function sees nothing above its code root but what its
    // layers bring. [DESIGN] Lambda's own runtime ships boto3; here a function packages
    // it or takes a layer.
    return {
      ok: true,
      command: interpreter.command,
      args: ['-S', ctx.pythonRuntimeEntry],
      channel: ctx.bundledChannel,
      runtimeDir: path.dirname(ctx.pythonRuntimeEntry),
      // Read and removed by the client (bootstrap.py limit_memory): without a memory
      // cgroup it bounds its own data segment by MemorySize.
      env: { _HEARTH_MEMORY_CGROUP: ctx.memoryLimited ? '1' : '0' },
      interpreter,
    };
  },
};
