'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: a CommonJS function then never starts the ESM loader (src/pool/README.md). */
/**
 * console.* in Lambda's text log format (aws-lambda.md §5.7):
 * `<ISO timestamp>\t<request id>\t<LEVEL>\t<message>`, one line per call, newlines inside
 * the message turned into carriage returns so that a multi-line message stays one entry,
 * as the official client prints it. Outside an invocation the request id reads
 * `undefined`, as on the Node.js 18–22 runtimes.
 *
 * Lines are written synchronously to fd 1: they reach the pipe before the response that
 * follows them, which is what lets the platform attribute them to their invocation.
 */
const { writeSync } = require('node:fs');
const { format } = require('node:util');

/** @type {{ requestId: string }} */
const logContext = { requestId: 'undefined' };

/**
 * @param {string} line
 */
function writeLine(line) {
  try {
    writeSync(1, line);
  } catch {
    // stdout is a blocking pipe to the platform; if it ever is not, fall back to the
    // stream (still ordered with respect to itself).
    process.stdout.write(line);
  }
}

/**
 * @param {string} level
 * @returns {(...args: unknown[]) => void}
 */
function logAt(level) {
  return (...args) => {
    const message = format(...args).replace(/\n/g, '\r');
    writeLine(`${new Date().toISOString()}\t${logContext.requestId}\t${level}\t${message}\n`);
  };
}

function patchConsole() {
  console.trace = logAt('TRACE');
  console.debug = logAt('DEBUG');
  console.info = logAt('INFO');
  console.log = console.info;
  console.warn = logAt('WARN');
  console.error = logAt('ERROR');
  /** @type {Console & { fatal?: (...args: unknown[]) => void }} */ (console).fatal = logAt('FATAL');
}

module.exports = { logContext, patchConsole };
