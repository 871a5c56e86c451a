'use strict';
/**
 * Error documents as the official Node.js client produces them (aws-lambda.md §5.4, §6):
 * `{"errorType","errorMessage","trace"}`, and the Runtime.* init errors it reports on
 * `/runtime/init/error` before exiting 1.
 */

class RuntimeError extends Error {
  /**
   * @param {string} type e.g. `Runtime.HandlerNotFound`
   * @param {string} message
   * @param {string | undefined} [stack] keep the original stack (syntax errors point at user code)
   */
  constructor(type, message, stack) {
    super(message);
    this.name = type;
    if (stack !== undefined) {
      Object.assign(this, { stack });
    }
  }
}

/**
 * @typedef {object} ErrorDocument
 * @property {string} errorType
 * @property {string} errorMessage
 * @property {string[]} trace
 */

/**
 * The document the runtime posts for an error value (thrown, rejected or passed to a
 * callback). Non-Error values keep their `typeof` as type, as the official client does.
 * @param {unknown} error
 * @returns {ErrorDocument}
 */
function formatError(error) {
  try {
    if (error instanceof Error) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

/**
 * What follows "Invoke Error" in the log line: a tab, then the error's own enumerable
 * fields plus type, message and the stack as an array (§5.7 log lines).
 * @param {unknown} error
 * @returns {string}
 */
function errorForLog(error) {
  return `\t${errorJson(error)}`;
}

/**
 * @param {unknown} error
 * @returns {string}
 */
function errorJson(error) {
  if (!(error instanceof Error)) {
    return JSON.stringify(formatError(error));
  }
  try {
    return JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      ...error,
      stack: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    });
  } catch {
    return JSON.stringify(formatError(error));
  }
}

module.exports = { RuntimeError, formatError, errorForLog };
