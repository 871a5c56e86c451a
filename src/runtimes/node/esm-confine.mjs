// The loader-thread variant of the resolve hook (code-root.cjs, esm-confine.cjs), for
// Node versions without module.registerHooks.
import confine from './esm-confine.cjs';

/** @type {readonly string[]} */
let prefixes = [];

/** @param {{ prefixes: string[] }} data */
export function initialize(data) {
  prefixes = data.prefixes;
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(s: string, c: object) => Promise<{ url: string }>} next
 */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  confine.check(prefixes, specifier, context.parentURL, result.url);
  return result;
}
