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

/** @type {((flags: string) => void) | undefined} */
let setFlags;

/**
 * V8's setFlagsFromString. Through the `v8` binding rather than node:v8: under the heap
 * flags node:v8 itself (which loads Node's heap-snapshot streams) is compiled from source,
 * ~5 ms of a start that is ~22 ms (_one-off_). Node warns once about that binding
 * (DEP0111, which is only a runtime deprecation): silenced for this one access, and a
 * function that reaches for it later is not warned again. node:v8 where the binding is gone.
 * @returns {(flags: string) => void}
 */
function v8SetFlags() {
  if (setFlags !== undefined) {
    return setFlags;
  }
  const had = Object.hasOwn(process, 'noDeprecation');
  const saved = process.noDeprecation;
  try {
    process.noDeprecation = true;
    /** @type {unknown} */
    const raw = Reflect.get(process, 'binding');
    const bindingOf = /** @type {(name: string) => { setFlagsFromString?: unknown }} */ (raw);
    const binding = bindingOf.call(process, 'v8');
    const f = binding.setFlagsFromString;
    if (typeof f === 'function') {
      setFlags = (flags) => void Reflect.apply(f, binding, [flags]);
      return setFlags;
    }
  } catch {
    // no such binding here
  } finally {
    if (had) {
      Reflect.set(process, 'noDeprecation', saved);
    } else {
      delete process.noDeprecation;
    }
  }
  /** @type {typeof import('node:v8')} */
  const v8 = require('node:v8');
  setFlags = (flags) => v8.setFlagsFromString(flags);
  return setFlags;
}

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
  const set = v8SetFlags();
  try {
    for (const flag of flags) {
      set(`${flag.slice(0, flag.indexOf('='))}=0`);
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
        set(flag);
      }
    } catch {
      // (as above)
    }
  };
}

module.exports = { setHeapFlagsAside, v8SetFlags };
