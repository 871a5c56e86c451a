/**
 * Python runtimes (`python3.8` ... `python3.14`, SCF's Python3.x): hearth's bundled client
 * (src/runtimes/python/, standard library only) on the interpreter that matches the
 * runtime (interpreters.ts).
 */
import path from 'node:path';
import { layerPaths, type RuntimeEntry } from './table.js';

/**
 * The variables the interpreter (or what it loads at start: the dynamic linker, glibc's
 * allocator, OpenSSL) reads when it starts rather than when they are used: a pre-started
 * runtime (launchers/prestarted.ts) takes a function only if these are the same in both.
 * The bundled client reads the rest after it has its function (hearth_runtime.py take_assignment).
 */
export const PYTHON_START_VARIABLES =
  /^(?:PYTHON|LD_|MALLOC_|GLIBC_|OPENSSL_|SSL_CERT_|LC_)|^(?:LANG|LANGUAGE|TZ)$/;

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
    // Layers as Lambda's Python runtimes see /opt: `python/lib/python3.x/site-packages`,
    // then `python` (3.x: the runtime's, the one the layer was built for), after the code.
    const paths = layerPaths(spec, [`python/lib/${spec.runtime}/site-packages`, 'python'], ctx.fileView);
    return {
      ok: true,
      command: interpreter.command,
      args: ['-S', ctx.pythonRuntimeEntry],
      channel: ctx.bundledChannel,
      runtimeDir: path.dirname(ctx.pythonRuntimeEntry),
      hostPaths: [interpreter.command, ctx.pythonRuntimeEntry],
      // Read and removed by the client (hearth_runtime.py limit_memory): without a memory
      // cgroup it bounds its own data segment by MemorySize.
      env: {
        _HEARTH_MEMORY_CGROUP: ctx.memoryLimited ? '1' : '0',
        // Read and removed by the client, which puts them on sys.path after the code root.
        ...(paths.length === 0 ? {} : { HEARTH_PYTHON_PATHS: paths.join(path.delimiter) }),
      },
      interpreter,
      ...(ctx.bundledChannel === 'private' ? { startVariables: PYTHON_START_VARIABLES } : {}),
    };
  },
};
