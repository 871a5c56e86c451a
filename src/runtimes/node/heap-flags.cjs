'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (bootstrap.cjs). */
/**
 * The heap's size flags, set aside while the function initialises.
 *
 * The platform starts `node` with `--max-old-space-size` and `--max-semi-space-size` from
 * MemorySize (src/pool/runtimes/node.ts). V8 reads them once, when it sets up the heap. But
 * V8 also checks a hash of all its flags before it uses code-cache data, and Node's own
 * built-in modules (http, https, crypto, zlib, stream...) ship with code-cache data made
 * under the default flags: with the heap flags set, V8 refuses it, and every built-in a
 * function loads is compiled from source in every environment (loading those of an AWS SDK
 * client took 21–24 ms against 7–8 ms here, _one-off_; src/pool/README.md "The heap flags
 * and Node's own code cache").
 *
 * So the runtime puts both flags back to their defaults before anything else loads (the
 * heap keeps the limits it was set up with: V8 never reads them again for it), and
 * restores them once init is over (`restore`), for what reads them later: a worker thread's
 * heap is set up from them. A function with NODE_OPTIONS is left alone (its flags are not
 * known here).
 */

const HEAP_FLAG = /^--max-(?:old|semi)-space-size=/;

/**
 * Sets the heap flags aside; returns the function that restores them.
 * @returns {() => void}
 */
function setHeapFlagsAside() {
  const flags = process.execArgv.filter((a) => HEAP_FLAG.test(a));
  const options = process.env.NODE_OPTIONS;
  if (flags.length === 0 || (options !== undefined && options !== '')) {
    return () => undefined;
  }
  /** @type {typeof import('node:v8')} */
  const v8 = require('node:v8');
  try {
    for (const flag of flags) {
      v8.setFlagsFromString(`${flag.slice(0, flag.indexOf('='))}=0`);
    }
  } catch {
    // A tuning: without it, built-ins compile from source as before.
  }
  let restored = false;
  return () => {
    if (restored) {
      return;
    }
    restored = true;
    try {
      for (const flag of flags) {
        v8.setFlagsFromString(flag);
      }
    } catch {
      // (as above)
    }
  };
}

module.exports = { setHeapFlagsAside };
