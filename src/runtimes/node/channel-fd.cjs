'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: a CommonJS function then never starts the ESM loader (src/pool/README.md). */
/**
 * The private channel's runtime side: blocking reads and writes on a socketpair fd.
 *
 * Why blocking: between invocations the process sits in read(2) and runs nothing, which
 * is what Lambda's freeze does to an idle environment (aws-lambda.md §5.6 "Freeze/thaw"),
 * and it wakes with one syscall and no event-loop machinery. While a handler runs, the
 * event loop runs normally; the loop in bootstrap.cjs only re-enters `next()` from a
 * setImmediate or 'beforeExit', never while user work is pending in the same turn.
 * The answer is written together with the following NEXT in one writev(2), as soon as it
 * is known, so the platform wakes once per invocation (benchmarks: src/pool/README.md);
 * the runtime then gets one more turn of its event loop before it blocks, as the official
 * client's loop runs while its /next is pending.
 */
const { readSync, writeSync, writevSync } = require('node:fs');
const {
  FRAME,
  FRAME_HEADER_BYTES,
  MAX_RESPONSE_BYTES,
  NEXT_FRAME,
  decodeInvoke,
  encodeFrame,
  encodeResponseTooLarge,
} = require('./frames.cjs');

/** @typedef {import('./frames.cjs').Invocation} Invocation */

/**
 * @typedef {object} Channel
 * @property {() => Invocation | Promise<Invocation>} next
 *   Reports readiness and waits for the next invocation (the first call ends init).
 * @property {(requestId: string, json: string) => void | Promise<void>} respond
 * @property {(requestId: string, errorType: string, json: string) => void | Promise<void>} fail
 * @property {(requestId: string, errorType: string, json: string) => void | Promise<void>} failAndExit
 *   Reports an error when the process exits right after (no NEXT follows).
 * @property {(errorType: string, json: string) => void | Promise<void>} initError
 */

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * @param {unknown} e
 * @returns {string | undefined}
 */
function errnoCode(e) {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/**
 * The fd is a blocking socket when libuv hands it over. Should anything have made it
 * non-blocking, EAGAIN is answered with a 1 ms pause rather than a busy loop.
 * @param {() => number} op
 * @returns {number}
 */
function retrying(op) {
  for (;;) {
    try {
      return op();
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
      } else if (code !== 'EINTR') {
        throw e;
      }
    }
  }
}

/**
 * @param {number} fd
 * @returns {Channel}
 */
function createFdChannel(fd) {
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  let body = Buffer.allocUnsafe(64 * 1024);
  /** NEXT already went out with the last answer. */
  let nextSent = false;

  /** @param {Buffer} buf @param {number} length */
  const readFull = (buf, length) => {
    let offset = 0;
    while (offset < length) {
      const n = retrying(() => readSync(fd, buf, offset, length - offset, null));
      if (n === 0) {
        // The platform closed its end: hearth is gone, so is this environment.
        process.exit(0);
      }
      offset += n;
    }
  };

  /** @param {Buffer[]} buffers */
  const writeAll = (buffers) => {
    let pending = buffers.filter((b) => b.length > 0);
    while (pending.length > 0) {
      const parts = pending;
      let n = retrying(() =>
        parts.length === 1 && parts[0] ? writeSync(fd, parts[0]) : writevSync(fd, parts),
      );
      /** @type {Buffer[]} */
      const rest = [];
      for (const b of pending) {
        if (n >= b.length) {
          n -= b.length;
        } else {
          rest.push(n > 0 ? b.subarray(n) : b);
          n = 0;
        }
      }
      pending = rest;
    }
  };

  /** @param {Buffer} frame */
  const answer = (frame) => {
    writeAll([frame, NEXT_FRAME]);
    nextSent = true;
  };

  return {
    next() {
      if (!nextSent) {
        writeAll([NEXT_FRAME]);
      }
      nextSent = false;
      for (;;) {
        readFull(head, FRAME_HEADER_BYTES);
        const length = head.readUInt32LE(0);
        if (body.length < length) {
          body = Buffer.allocUnsafe(length);
        }
        readFull(body, length);
        if (head[4] === FRAME.INVOKE) {
          // The payload is a view of `body`, which the next read reuses: bootstrap.cjs
          // parses it before calling next() again.
          return decodeInvoke(body.subarray(0, length));
        }
      }
    },
    respond(requestId, json) {
      const bytes = Buffer.byteLength(json);
      // Measured here so that an oversized body never crosses the channel; the platform
      // answers it as the Runtime API's 413 (aws-lambda.md §5.2, §5.7).
      answer(
        bytes > MAX_RESPONSE_BYTES
          ? encodeResponseTooLarge(requestId, bytes)
          : encodeFrame(FRAME.RESPONSE, [requestId, 'application/json'], json),
      );
    },
    fail(requestId, errorType, json) {
      answer(encodeFrame(FRAME.ERROR, [requestId, errorType], json));
    },
    failAndExit(requestId, errorType, json) {
      // No NEXT: the process is about to exit (uncaught exception).
      writeAll([encodeFrame(FRAME.ERROR, [requestId, errorType], json)]);
    },
    initError(errorType, json) {
      writeAll([encodeFrame(FRAME.INIT_ERROR, [errorType], json)]);
    },
  };
}

module.exports = { createFdChannel };
