'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: a CommonJS function then never starts the ESM loader (src/pool/README.md). */
/**
 * Loads `_HANDLER` from `LAMBDA_TASK_ROOT` the way the official Node.js client does
 * (aws-lambda.md §6): `dir/module.export.path`, the module tried as written and then with
 * `.js`, `.mjs`, `.cjs`, then as a package name resolved from the task root.
 *
 * CommonJS is loaded with require() and ES modules with import(), which lets Node decide
 * from the extension and the nearest package.json "type": a .js that Node says is an ES
 * module (ERR_REQUIRE_ESM) is imported instead. Keeping CommonJS functions off the ESM
 * loader is worth ~12 ms per cold start (src/pool/README.md).
 */
const { statSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { confineToCodeRoot } = require('./code-root.cjs');
const { RuntimeError } = require('./errors.cjs');

/** @typedef {(event: unknown, context: object, callback: (error?: unknown, result?: unknown) => void) => unknown} Handler */

const EXTENSIONS = ['', '.js', '.mjs', '.cjs'];

/**
 * @param {string} file
 * @returns {boolean}
 */
function isFile(file) {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * @param {unknown} e
 * @returns {string | undefined}
 */
function codeOf(e) {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/** Set by loadHandler: called before function code is first imported as an ES module. */
/** @type {() => void} */
let beforeImport = () => undefined;

/**
 * @param {string} file an absolute path
 * @returns {Promise<unknown>}
 */
async function loadFile(file) {
  if (!file.endsWith('.mjs')) {
    try {
      /** @type {unknown} */
      const loaded = require(file);
      return loaded;
    } catch (e) {
      const code = codeOf(e);
      // An ES module (by extension or package "type"), or one with top-level await.
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') {
        throw e;
      }
    }
  }
  beforeImport();
  /** @type {unknown} */
  const loaded = await import(pathToFileURL(file).href);
  return loaded;
}

/**
 * @param {string} taskRoot
 * @param {string} moduleRoot
 * @param {string} moduleName
 * @returns {Promise<unknown>}
 */
async function loadModule(taskRoot, moduleRoot, moduleName) {
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  try {
    for (const ext of EXTENSIONS) {
      if (isFile(base + ext)) {
        return await loadFile(base + ext);
      }
    }
    // A package name (node_modules) as the last resort, as the official client does.
    return await loadFile(
      require.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] }),
    );
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new RuntimeError('Runtime.UserCodeSyntaxError', String(e), e.stack);
    }
    const code = codeOf(e);
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new RuntimeError('Runtime.ImportModuleError', String(e));
    }
    // Anything the module itself threw while initialising is reported as it is.
    throw e;
  }
}

/**
 * @param {string} exportPath e.g. `handler` or `nested.handler`
 * @param {unknown} from
 * @returns {unknown}
 */
function findIn(exportPath, from) {
  /** @type {unknown} */
  let node = from;
  for (const key of exportPath.split('.')) {
    if ((typeof node !== 'object' && typeof node !== 'function') || node === null) {
      return undefined;
    }
    node = /** @type {Record<string, unknown>} */ (node)[key];
  }
  return node;
}

/**
 * @param {string} taskRoot LAMBDA_TASK_ROOT
 * @param {string} handlerString _HANDLER, e.g. `index.handler` or `src/app.handler`
 * @returns {Promise<Handler>}
 */
async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw new RuntimeError(
      'Runtime.MalformedHandlerName',
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const base = path.basename(handlerString);
  const moduleRoot = handlerString.slice(0, handlerString.length - base.length).replace(/\/$/, '');
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  }
  const [, moduleName, exportPath] = match;
  ({ beforeImport } = confineToCodeRoot(taskRoot));
  const loaded = await loadModule(taskRoot, moduleRoot, moduleName);
  let handler = findIn(exportPath, loaded);
  if (handler === undefined && typeof loaded === 'object' && loaded !== null && 'default' in loaded) {
    handler = findIn(exportPath, loaded.default);
  }
  if (handler === undefined || handler === null) {
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`);
  }
  return /** @type {Handler} */ (handler);
}

module.exports = { loadHandler };
