'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (bootstrap.cjs). */
/**
 * Whether a function's init is too small for the code cache (code-cache.cjs) to pay.
 *
 * The cache has a cost of its own at every start, whatever it serves: node:vm, the first
 * vm.Script, the first cached-data read, and a stat and a read per module (~1.5–2 ms of an
 * environment's start here, _one-off_). It saves the compilation of each module it
 * serves, which is worth it for an init that loads an SDK (hundreds of KB of source) and
 * not for one that loads a few small files. So once an init has run with the cache and
 * compiled less than SMALL_INIT_CHARS of CommonJS source, code-cache.cjs leaves a
 * marker in the function's folder, and later starts with the same code, handler and
 * variables find it (one stat) and load modules as Node does, without the cache.
 *
 * The marker's name is a digest of what decides what init loads: the Node.js version and
 * architecture, and every variable except those that differ between two environments of
 * the same function (PER_ENVIRONMENT), which include LAMBDA_TASK_ROOT (the code's
 * content-addressed folder), _HANDLER and NODE_PATH. A function whose code or variables
 * change gets another name, and so tries the cache again. A variable this list does not
 * know to differ per environment only makes the name miss: the cache is then used, as it
 * was before markers. The marker is an entry like the others (its header names the code
 * folder), so the pool prunes it with the folder's entries (src/pool/code-cache.ts).
 */
const { existsSync } = require('node:fs');
const path = require('node:path');

/** Less CommonJS source than this compiled during init: the cache costs more than it saves. */
const SMALL_INIT_CHARS = 64 * 1024;

/** Variables that differ between environments of one function, or are the platform's own. */
const PER_ENVIRONMENT =
  /^(?:_HEARTH_.*|_X_AMZN_TRACE_ID|AWS_LAMBDA_LOG_STREAM_NAME|AWS_LAMBDA_INITIALIZATION_TYPE|AWS_LAMBDA_RUNTIME_API)$/;

/**
 * Two 32-bit FNV-1a style hashes of `text`, as 16 hex digits (a collision costs only a
 * miss: the cache used, or not, where the other choice would be faster).
 * @param {string} text
 * @returns {string}
 */
function digest(text) {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x811c9dc5) + i;
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The marker's file name for an init under `env`.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 */
function markerName(env) {
  let text = `${process.version} ${process.arch}`;
  for (const name of Object.keys(env).sort()) {
    if (!PER_ENVIRONMENT.test(name)) {
      text += `\0${name}=${env[name] ?? ''}`;
    }
  }
  return `small-${digest(text)}.v8`;
}

/**
 * Whether an earlier init under `env` left its marker in `dir`.
 * @param {string} dir
 * @param {string} marker
 * @returns {boolean}
 */
function hasMarker(dir, marker) {
  return existsSync(path.join(dir, marker));
}

module.exports = { SMALL_INIT_CHARS, digest, hasMarker, markerName };
