'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: a CommonJS function then never starts the ESM loader (src/pool/README.md). */
/**
 * Loads `_HANDLER` from `LAMBDA_TASK_ROOT` the way the official Node.js client does
 * (aws-lambda.md §6): `dir/module.export.path`, the module tried as written and then with
 * `.js`, `.mjs`, `.cjs`, then as a package name resolved from the task root.
 *
 * The module is loaded with require(), which lets Node decide from the extension, the
 * nearest package.json "type" and the syntax whether it is CommonJS or an ES module: where
 * Node can require() an ES module (Node.js >= 20.19, 22.12) it evaluates it synchronously,
 * the same module a later import() returns, without the asynchronous loader's module jobs
 * (~2 ms against ~6 ms for a small .mjs, _one-off_). Where it cannot (ERR_REQUIRE_ESM:
 * older Node.js; ERR_REQUIRE_ASYNC_MODULE: a graph with top-level await, refused before any
 * of it runs), the module is imported instead. Keeping CommonJS functions off the ESM
 * loader is worth ~12 ms per cold start (src/pool/README.md). One exception, for the code
 * root's confinement (code-root.cjs): where its hook sees import() alone (a Node.js without
 * `module.registerHooks`, with a node_modules above the code root), what would load as an
 * ES module is imported.
 */
const { readFileSync, statSync } = require('node:fs');
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

/** Set by loadHandler (code-root.cjs). */
/** @type {import('./code-root.cjs').Confinement} */
let confinement = { beforeImport: () => undefined, inThread: true };

/**
 * The "type" of the package scope of `file`: its nearest package.json's (the package
 * store puts a neutral one above every code root, so the walk stops there).
 * @param {string} file
 * @returns {boolean}
 */
function inModuleScope(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    let text;
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      if (path.dirname(dir) === dir) {
        return false;
      }
      continue;
    }
    try {
      /** @type {unknown} */
      const pkg = JSON.parse(text);
      return typeof pkg === 'object' && pkg !== null && Reflect.get(pkg, 'type') === 'module';
    } catch {
      return false;
    }
  }
}

/** What Node's syntax detection retries as an ES module (a CommonJS compile's errors). */
const ESM_SYNTAX =
  /Cannot use import statement outside a module|Unexpected token 'export'|Cannot use 'import\.meta' outside a module|await is only valid in async functions/;

/**
 * Whether Node would load `file` as an ES module: by extension, package scope, or syntax.
 * Only asked where require() would escape the confinement (see the header).
 * @param {string} file
 * @returns {boolean}
 */
function loadsAsModule(file) {
  if (file.endsWith('.mjs')) {
    return true;
  }
  if (file.endsWith('.cjs')) {
    return false;
  }
  if (inModuleScope(file)) {
    return true;
  }
  try {
    /** @type {typeof import('node:vm')} */
    const vm = require('node:vm');
    vm.compileFunction(readFileSync(file, 'utf8'), [
      'exports',
      'require',
      'module',
      '__filename',
      '__dirname',
    ]);
    return false;
  } catch (e) {
    return e instanceof SyntaxError && ESM_SYNTAX.test(e.message);
  }
}

/**
 * require() without the experimental warning some Node.js versions print the first time
 * an ES module is required: the function did not ask for it (on Lambda, import() loads it).
 * @param {string} file
 * @returns {unknown}
 */
function requireQuietly(file) {
  /** @type {unknown} */
  const emit = Reflect.get(process, 'emitWarning');
  /** @type {typeof process.emitWarning} */
  const quiet = function (warning, ...rest) {
    const text = String(warning);
    if (text.includes('ES Module') && text.includes('require()')) {
      return;
    }
    Reflect.apply(/** @type {Function} */ (emit), process, [warning, ...rest]);
  };
  process.emitWarning = quiet;
  try {
    return /** @type {unknown} */ (require(file));
  } finally {
    // Unless the module replaced it meanwhile.
    if (process.emitWarning === quiet) {
      Reflect.set(process, 'emitWarning', emit);
    }
  }
}

/**
 * @param {string} file an absolute path
 * @returns {Promise<unknown>}
 */
async function loadFile(file) {
  if (confinement.inThread || !loadsAsModule(file)) {
    if (confinement.inThread) {
      // In-thread hooks see require(esm) too (none is registered where none is needed).
      confinement.beforeImport();
    }
    try {
      return requireQuietly(file);
    } catch (e) {
      const code = codeOf(e);
      // An ES module this Node.js cannot require: older, or with top-level await.
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') {
        throw e;
      }
    }
  }
  confinement.beforeImport();
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
  confinement = confineToCodeRoot(taskRoot);
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
