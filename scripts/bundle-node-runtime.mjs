// The bundled Node.js runtime client as one file (issue 15): src/runtimes/node/bootstrap.cjs
// and the modules it requires, joined by esbuild into a single CommonJS script, comments
// and indentation left out. An environment then reads and compiles one file at start
// instead of resolving, reading and compiling a dozen (the files are mostly comments),
// with the order of their side effects unchanged (each module still runs at its first
// require). Lambda's own Node.js client is one bundled file as well (/var/runtime/index.mjs).
// Identifiers are kept, so the runtime's frames in a stack trace keep their names.
// esm-confine.mjs (the loader-thread hook, loaded by path) and the .cjs it imports stay
// separate files beside it.
import { buildSync } from 'esbuild';

/** Writes the bundle of `entry` (bootstrap.cjs) to `outfile`. */
export function bundleNodeRuntime(entry, outfile) {
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The oldest interpreter a nodejs*.x runtime may run on (src/pool/interpreters.ts):
    // esbuild then keeps `import()` and the syntax as written.
    target: 'node18',
    legalComments: 'none',
    minifyWhitespace: true,
    logLevel: 'warning',
  });
}
