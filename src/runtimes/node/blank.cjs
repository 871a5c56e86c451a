'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (bootstrap.cjs). */
/**
 * A pre-started runtime (src/pool/launchers/prestarted.ts): a process of this client
 * started before its function exists, so that a cold start does not wait for `node` to
 * start (most of a small function's cold start). It was started with the same interpreter,
 * flags and MemorySize as its function will have, and with the same values of every
 * variable the interpreter reads when it starts (NODE_OPTIONS, TZ, LD_LIBRARY_PATH...:
 * the runtime table's `startVariables`); the platform gives a function to a pre-started
 * runtime only then. Here it loads this client's own modules while nobody waits, then
 * blocks on the private channel until the platform sends ASSIGN, and takes on what a
 * runtime started for that function would have had from the start:
 *
 *   - `process.env` becomes exactly the function's environment (setenv(3) and
 *     unsetenv(3), so native code and child processes see it too);
 *   - the working directory becomes the function's;
 *   - the module search paths are computed again from the new NODE_PATH and HOME (what
 *     Node does once at start).
 *
 * Then bootstrap.cjs goes on as in any runtime: everything it and the function read comes
 * after this. What differs, and is documented in src/pool/README.md "Pre-started
 * runtimes": /proc/self/environ (the kernel's copy of the variables at exec), and the
 * process's age (`process.uptime()`, `performance.timeOrigin`).
 */
const Module = require('node:module');
const { createFdChannel } = require('./channel-fd.cjs');

// This client's modules, loaded now rather than on the function's clock (bootstrap.cjs
// requires them again, from the module cache). The code cache module too: it is loaded
// whenever the platform gives a cache folder, the default.
require('./code-cache.cjs');
require('./errors.cjs');
require('./handler-loader.cjs');
require('./log-patch.cjs');
require('./trace-env.cjs');

/**
 * @param {unknown} v
 * @returns {v is Record<string, string>}
 */
function isStringRecord(v) {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

/**
 * @param {unknown} o
 * @param {string} name
 * @returns {unknown}
 */
function field(o, name) {
  return typeof o === 'object' && o !== null ? /** @type {unknown} */ (Reflect.get(o, name)) : undefined;
}

/**
 * Waits for the function (ASSIGN), takes on its environment and working directory, and
 * returns the channel it arrived on (the environment's channel from now on).
 * @returns {import('./channel-fd.cjs').Channel}
 */
function takeAssignment() {
  const channel = createFdChannel(Number(process.env._HEARTH_RUNTIME_FD));
  /** @type {unknown} */
  let assignment;
  try {
    assignment = JSON.parse(channel.assignment?.() ?? '');
  } catch {
    assignment = undefined;
  }
  /** @type {unknown} */
  const env = field(assignment, 'env');
  /** @type {unknown} */
  const cwd = field(assignment, 'cwd');
  if (!isStringRecord(env) || typeof cwd !== 'string') {
    process.stderr.write('hearth: a pre-started runtime received no valid assignment\n');
    process.exit(1);
  }
  for (const name of Object.keys(process.env)) {
    if (!Object.hasOwn(env, name)) {
      delete process.env[name];
    }
  }
  for (const [name, value] of Object.entries(env)) {
    process.env[name] = value;
  }
  process.chdir(cwd);
  // Node computes the global module paths once at start, from NODE_PATH and HOME.
  /** @type {{ _initPaths?: () => void }} */
  const internals = /** @type {never} */ (Module);
  internals._initPaths?.();
  return channel;
}

module.exports = { takeAssignment };
