'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (bootstrap.cjs). */
/**
 * The resolve hook of code-root.cjs, shared by the in-thread (`module.registerHooks`) and
 * the loader-thread (`module.register`, esm-confine.mjs) variants: a bare specifier that
 * Node resolved into a `node_modules` folder above the function's code root is reported
 * as not found, with the error Node gives when nothing is found.
 */
const { fileURLToPath } = require('node:url');

/**
 * @param {string} specifier
 * @returns {boolean}
 */
function isBare(specifier) {
  return !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

/**
 * @param {readonly string[]} prefixes file: URLs of the banned folders, each ending in '/'
 * @param {string} specifier
 * @param {string | undefined} parentURL
 * @param {string} url what Node resolved
 */
function check(prefixes, specifier, parentURL, url) {
  if (!isBare(specifier) || !prefixes.some((p) => url.startsWith(p))) {
    return;
  }
  if (parentURL !== undefined && prefixes.some((p) => parentURL.startsWith(p))) {
    return;
  }
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] ?? specifier);
  let from = parentURL ?? '';
  try {
    from = fileURLToPath(from);
  } catch {
    // not a file: URL; Node names it as it is
  }
  const error = new Error(`Cannot find package '${name}' imported from ${from}`);
  Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
  throw error;
}

/**
 * @param {readonly string[]} prefixes
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(s: string, c: object) => { url: string }} next
 * @returns {{ url: string }}
 */
function resolveSync(prefixes, specifier, context, next) {
  const result = next(specifier, context);
  check(prefixes, specifier, context.parentURL, result.url);
  return result;
}

module.exports = { check, resolveSync };
