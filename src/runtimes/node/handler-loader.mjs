/**
 * Loads `_HANDLER` from `LAMBDA_TASK_ROOT` the way the official Node.js client does
 * (aws-lambda.md §6): `dir/module.export.path`, the module tried as written and then with
 * `.js`, `.mjs`, `.cjs`, then as a package name resolved from the task root.
 *
 * Every file is loaded with `import()`, which lets Node itself decide CommonJS or ESM from
 * the extension and the nearest package.json "type"; a CommonJS module's exports arrive
 * as named exports or under `default`, and both are searched.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RuntimeError } from './errors.mjs';

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
 * @returns {boolean}
 */
function isModuleNotFound(e) {
  return (
    typeof e === 'object' &&
    e !== null &&
    'code' in e &&
    (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')
  );
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
        /** @type {unknown} */
        const loaded = await import(pathToFileURL(base + ext).href);
        return loaded;
      }
    }
    // A package name (node_modules) as the last resort, as the official client does.
    const require = createRequire(import.meta.url);
    const resolved = require.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] });
    /** @type {unknown} */
    const loaded = await import(pathToFileURL(resolved).href);
    return loaded;
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new RuntimeError('Runtime.UserCodeSyntaxError', String(e), e.stack);
    }
    if (isModuleNotFound(e)) {
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
export async function loadHandler(taskRoot, handlerString) {
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
