'use strict';
/**
 * `process.env._X_AMZN_TRACE_ID`, the invocation's trace header (aws-lambda.md §5.5), kept
 * in JavaScript rather than in the process's C environment.
 *
 * Why: Node's process.env setter calls setenv(3), and glibc keeps every distinct
 * `NAME=value` string it was ever given (so that pointers handed out by getenv stay
 * valid): a new trace id per invocation grew a long-lived environment by ~110 bytes per
 * invocation without bound (2.2 MB per 20,000 invocations, measured; a provisioned
 * environment of 128 MB would be killed for memory after some hundreds of thousands), and
 * the search through those strings cost ~10 % of the runtime's CPU per invocation.
 *
 * `process.env` becomes a proxy of the real one that holds this one variable itself: the
 * function reads, enumerates, copies and deletes it as before, and child processes started
 * with the default environment (which node:child_process builds from `process.env`) get it;
 * every other variable is the real environment's, with its own rules (string values, TZ).
 * Native code calling getenv(3) for it, and worker threads (given the C environment), no
 * longer see it.
 */

const NAME = '_X_AMZN_TRACE_ID';

/**
 * Installs the proxy; returns the setter the runtime calls per invocation ('' unsets).
 * @returns {(traceId: string) => void}
 */
function installTraceEnv() {
  const real = process.env;
  /** @type {string | undefined} */
  let value = real[NAME];
  delete real[NAME];
  /** @type {ProxyHandler<NodeJS.ProcessEnv>} */
  const handler = {
    get: (t, k) => (k === NAME ? value : /** @type {string | undefined} */ (Reflect.get(t, k))),
    set: (t, k, v) => {
      if (k !== NAME) {
        return Reflect.set(t, k, v);
      }
      value = String(v);
      return true;
    },
    has: (t, k) => (k === NAME ? value !== undefined : Reflect.has(t, k)),
    deleteProperty: (t, k) => {
      if (k !== NAME) {
        return Reflect.deleteProperty(t, k);
      }
      value = undefined;
      return true;
    },
    ownKeys: (t) => {
      // (without a copy the real environment may hold, set by native code: a proxy's keys
      // must not repeat)
      const keys = Reflect.ownKeys(t).filter((k) => k !== NAME);
      if (value !== undefined) {
        keys.push(NAME);
      }
      return keys;
    },
    getOwnPropertyDescriptor: (t, k) => {
      if (k !== NAME) {
        return Reflect.getOwnPropertyDescriptor(t, k);
      }
      return value === undefined
        ? undefined
        : { value, writable: true, enumerable: true, configurable: true };
    },
    defineProperty: (t, k, d) => {
      if (k !== NAME) {
        return Reflect.defineProperty(t, k, d);
      }
      if (!('value' in d)) {
        // What the real process.env says to an accessor.
        throw new TypeError("'process.env' does not accept an accessor(getter/setter) descriptor");
      }
      value = String(d.value);
      return true;
    },
  };
  process.env = new Proxy(real, handler);
  return (traceId) => {
    value = traceId === '' ? undefined : traceId;
  };
}

module.exports = { installTraceEnv };
