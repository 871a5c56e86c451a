// tsc does not emit the bundled runtime (plain CommonJS that runs inside environments):
// copy it next to the compiled pool so dist/ is self-contained.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { bundleNodeRuntime } from './bundle-node-runtime.mjs';

cpSync('src/runtimes', 'dist/runtimes', {
  recursive: true,
  filter: (src) =>
    !src.endsWith('tsconfig.json') &&
    !src.endsWith('.test.ts') &&
    !src.endsWith('_check.py') &&
    !src.endsWith('__pycache__'),
});
// The Node.js client's entry as one file (bundle-node-runtime.mjs).
bundleNodeRuntime('src/runtimes/node/bootstrap.cjs', 'dist/runtimes/node/bootstrap.cjs');

// The Python client's bytecode, for the machine's python3 (other interpreters compile it
// when they first load it): a sandbox binds this folder read-only, where Python could not
// keep what it compiles and would compile the client again at every start (~5 ms). Skipped
// where there is no python3.
spawnSync('python3', ['-m', 'compileall', '-q', 'dist/runtimes/python'], { stdio: 'ignore' });

// The spawner's program (src/pool/launchers/spawner.ts), plain CommonJS as well.
cpSync('src/pool/launchers/spawner-child', 'dist/pool/launchers/spawner-child', {
  recursive: true,
  filter: (src) => !src.endsWith('tsconfig.json'),
});
