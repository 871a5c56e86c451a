'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (bootstrap.cjs). */
/**
 * Keeps a function's module resolution inside its own code, as on Lambda, where nothing
 * lies above /var/task (aws-lambda.md §5.5). Here the code root is a directory under
 * hearth's data dir, which may sit inside a checkout with a `node_modules` of its own
 * (hearth's dependencies) or any other project's: a `require('fastify')` that would fail on
 * Lambda must fail here too.
 *
 * - The package scope (CommonJS or ES module for a `.js`) already stops at the code root:
 *   the package store puts a neutral package.json above every unpacked root
 *   (src/store/packages/package-store.ts).
 * - CommonJS: the `node_modules` folders above the code root are dropped from every lookup
 *   list (`Module._nodeModulePaths`, the list `require` and `require.resolve` walk). NODE_PATH
 *   and the code's own `node_modules` are untouched.
 * - ES modules walk the same folders inside Node's resolver, which only a resolve hook can
 *   change: one is registered before the first `import()` of function code, and only when
 *   such a folder exists (`module.registerHooks` where Node has it, in-thread; otherwise
 *   `module.register`, whose loader thread costs ~50 ms of init: src/pool/README.md).
 */
const { statSync, realpathSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

/**
 * @param {string} dir
 * @returns {boolean}
 */
function isDirectory(dir) {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The `node_modules` folders that Node would search above `root` (strict ancestors only).
 *
 * @param {string} root an absolute, real path
 * @returns {string[]}
 */
function foldersAbove(root) {
  /** @type {string[]} */
  const out = [];
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    out.push(path.join(dir, 'node_modules'));
    if (path.dirname(dir) === dir) {
      return out;
    }
  }
}

/**
 * @typedef {object} Confinement
 * @property {() => void} beforeImport call before loading function code that may be an ES
 *   module (by import(), or by require() where `inThread`)
 * @property {boolean} inThread whether the ES modules' confinement also holds for an ES
 *   module loaded by require() (Node's require(esm)): true where no hook is needed, or where
 *   the hook runs in-thread (`module.registerHooks`). False on a Node.js with only
 *   `module.register`, whose loader-thread hooks see import() alone.
 */

/**
 * @param {string} taskRoot LAMBDA_TASK_ROOT
 * @returns {Confinement}
 */
function confineToCodeRoot(taskRoot) {
  let root;
  try {
    root = realpathSync(taskRoot);
  } catch {
    return { beforeImport: () => undefined, inThread: true };
  }
  const banned = new Set(foldersAbove(root));
  /** @type {{ _nodeModulePaths: (from: string) => string[] }} */
  const internals = /** @type {never} */ (Module);
  const original = internals._nodeModulePaths;
  internals._nodeModulePaths = (from) => original(from).filter((p) => !banned.has(p));

  const present = [...banned].filter(isDirectory);
  let registered = present.length === 0;
  const hooks = /** @type {{ registerHooks?: (h: object) => void }} */ (Module);
  return {
    inThread: registered || typeof hooks.registerHooks === 'function',
    beforeImport() {
      if (registered) {
        return;
      }
      registered = true;
      // Node's ES module resolver answers real paths: a node_modules that is a symlink
      // (a worktree sharing another checkout's) is banned under its target's name too.
      const prefixes = [
        ...new Set(
          present.flatMap((p) => {
            let real = p;
            try {
              real = realpathSync(p);
            } catch {
              // gone since: its own name is enough
            }
            return [p, real].map((q) => pathToFileURL(q).href + '/');
          }),
        ),
      ];
      if (typeof hooks.registerHooks === 'function') {
        /** @type {typeof import('./esm-confine.cjs')} */
        const { resolveSync } = require('./esm-confine.cjs');
        hooks.registerHooks({
          resolve: (
            /** @type {string} */ specifier,
            /** @type {{ parentURL?: string }} */ context,
            /** @type {(s: string, c: object) => { url: string }} */ next,
          ) => resolveSync(prefixes, specifier, context, next),
        });
        return;
      }
      Module.register(pathToFileURL(path.join(__dirname, 'esm-confine.mjs')), {
        parentURL: pathToFileURL(__filename),
        data: { prefixes },
      });
    },
  };
}

module.exports = { confineToCodeRoot };
