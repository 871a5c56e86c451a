// tsc does not emit the bundled runtime (plain CommonJS that runs inside environments):
// copy it next to the compiled pool so dist/ is self-contained.
import { cpSync } from 'node:fs';
import { bundleNodeRuntime } from './bundle-node-runtime.mjs';

cpSync('src/runtimes', 'dist/runtimes', {
  recursive: true,
  filter: (src) => !src.endsWith('tsconfig.json') && !src.endsWith('.test.ts'),
});
// The Node.js client's entry as one file (bundle-node-runtime.mjs).
bundleNodeRuntime('src/runtimes/node/bootstrap.cjs', 'dist/runtimes/node/bootstrap.cjs');

// The spawner's program (src/pool/launchers/spawner.ts), plain CommonJS as well.
cpSync('src/pool/launchers/spawner-child', 'dist/pool/launchers/spawner-child', {
  recursive: true,
  filter: (src) => !src.endsWith('tsconfig.json'),
});
