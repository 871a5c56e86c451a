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
 * The answer is written together with the following NEXT in one write(2), as soon as it
 * is known, so the platform wakes once per invocation (benchmarks: src/pool/README.md);
 * the runtime then gets one more turn of its event loop before it blocks, as the official
 * client's loop runs while its /next is pending.
 *
 * Each answer carries the process's peak memory (a PEAK frame, frames.cjs) when the
 * runtime can read it exactly with getrusage(2) (`peakReader`): the platform's REPORT
 * line then needs no read of /proc/<pid>/status, which cost the platform's one thread
 * ~10 µs per invocation (src/pool/README.md).
 */
const { readFileSync, readSync, writeSync, writevSync } = require('node:fs');
const {
  FRAME,
  FRAME_HEADER_BYTES,
  MAX_RESPONSE_BYTES,
  NEXT_FRAME,
  decodeInvoke,
  encodeAnswerAndNext,
  encodeCacheEntry,
  encodeFrame,
  encodePeak,
  encodeResponseTooLarge,
} = require('./frames.cjs');

/** getrusage(2), taken when the runtime starts, before any function code can replace it. */
const resourceUsage = process.resourceUsage.bind(process);

/**
 * How this process's peak resident memory (VmHWM, KB) is read for a PEAK frame: a
 * function answering 0 (no frame: the platform reads /proc itself) where getrusage(2)
 * cannot be trusted.
 *
 * getrusage's ru_maxrss is the larger of the process's own peak and the peak of the image
 * it replaced at exec: a runtime forked from a process larger than itself would report
 * that process's size (one forked directly by a hearth holding more memory than the
 * runtime ever will, say; not one forked inside bubblewrap's sandbox, whose forking process
 * is small). So it is trusted only if,
 * when first asked (init is over by then), it is no larger than VmHWM from
 * /proc/self/status: the inherited figure is then below the process's own peak, and both
 * only grow, so ru_maxrss is VmHWM from then on. (Both come from the kernel's counters of
 * the process's resident pages; ru_maxrss may lag VmHWM by the counters' per-CPU batches,
 * a few hundred KB.)
 * @returns {() => number}
 */
function peakReader() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'latin1'));
    if (m !== null && resourceUsage().maxRSS <= Number(m[1])) {
      return () => resourceUsage().maxRSS;
    }
  } catch {
    // No /proc: the platform has none either, and reports no peak.
  }
  return () => 0;
}

/** @typedef {import('./frames.cjs').Invocation} Invocation */

/**
 * @typedef {object} Channel
 * @property {() => Invocation | Promise<Invocation>} next
 *   Reports readiness and waits for the next invocation (the first call ends init).
 * @property {() => void} [announce]
 *   Reports readiness now without waiting (the next `next()` then only waits): work done
 *   between the two is off the platform's path (the private channel).
 * @property {(work: () => void) => void} [whenNextSent]
 *   Runs `work` once the pending `next()`'s request is written (HTTP: node:http writes it
 *   only after the current turn, and a first one after connecting).
 * @property {(requestId: string, json: string) => void | Promise<void>} respond
 * @property {(requestId: string, errorType: string, json: string) => void | Promise<void>} fail
 * @property {(requestId: string, errorType: string, json: string) => void | Promise<void>} failAndExit
 *   Reports an error when the process exits right after (no NEXT follows).
 * @property {(errorType: string, json: string) => void | Promise<void>} initError
 * @property {() => string} [assignment]
 *   A pre-started runtime's wait for its function: the ASSIGN frame's JSON (blank.cjs).
 * @property {(name: string, bytes: Buffer) => void} [cacheEntry]
 *   Hands the platform an entry of the code cache to write (a sandboxed runtime's:
 *   code-cache.cjs), before the first NEXT.
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
 * One read(2), retried on EINTR and (should the fd ever be non-blocking) EAGAIN. Written
 * out rather than through `retrying`: it runs on every invocation, and a closure per call
 * is work the runtime would do 32 times over on a busy machine.
 * @param {number} fd
 * @param {Buffer} buf
 * @param {number} offset
 * @returns {number}
 */
function readSome(fd, buf, offset) {
  for (;;) {
    try {
      return readSync(fd, buf, offset, buf.length - offset, null);
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
 * A PEAK frame, or nothing (writeAll skips empty buffers) when there is no peak to send.
 * @param {number} kb
 * @returns {Buffer}
 */
function peakFrame(kb) {
  return kb > 0 ? encodePeak(kb) : Buffer.alloc(0);
}

/**
 * @param {number} fd
 * @returns {Channel}
 */
function createFdChannel(fd) {
  /**
   * Frames from the platform land here. A read takes whatever is there, so the header and
   * the body of an INVOKE (written in one write by the platform) usually arrive in one
   * read(2) rather than two.
   */
  let buf = Buffer.allocUnsafe(64 * 1024);
  /** Bytes of `buf` holding data: [start, end). */
  let start = 0;
  let end = 0;
  /** NEXT already went out with the last answer. */
  let nextSent = false;
  /** @type {(() => number) | undefined} decided at the first answer (peakReader). */
  let peakKb;
  const peak = () => (peakKb ??= peakReader())();

  /**
   * Reads until `buf` holds at least `bytes` bytes from `start`, making room if needed.
   * @param {number} bytes
   */
  const fill = (bytes) => {
    if (buf.length - start < bytes) {
      if (bytes <= buf.length) {
        buf.copyWithin(0, start, end);
      } else {
        const bigger = Buffer.allocUnsafe(bytes);
        buf.copy(bigger, 0, start, end);
        buf = bigger;
      }
      end -= start;
      start = 0;
    }
    while (end - start < bytes) {
      const n = readSome(fd, buf, end);
      if (n === 0) {
        // The platform closed its end: hearth is gone, so is this environment.
        process.exit(0);
      }
      end += n;
    }
  };

  /**
   * Blocks until a frame of type `wanted` has arrived (skipping any other); returns where
   * its body starts in `buf` (it ends at `start`).
   * @param {number} wanted
   * @returns {number}
   */
  const frame = (wanted) => {
    for (;;) {
      if (start === end) {
        // Nothing left over (the usual case): reuse the buffer from its beginning.
        start = 0;
        end = 0;
      }
      fill(FRAME_HEADER_BYTES);
      const length = buf.readUInt32LE(start);
      fill(FRAME_HEADER_BYTES + length);
      const type = buf[start + 4];
      const bodyStart = start + FRAME_HEADER_BYTES;
      start = bodyStart + length;
      if (type === wanted) {
        return bodyStart;
      }
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

  /**
   * The answer and the NEXT after it, encoded in one buffer (frames.cjs): one write(2).
   * @param {Buffer} frameAndNext
   */
  const answer = (frameAndNext) => {
    const n = retrying(() => writeSync(fd, frameAndNext));
    if (n < frameAndNext.length) {
      writeAll([frameAndNext.subarray(n)]);
    }
    nextSent = true;
  };

  return {
    announce() {
      if (!nextSent) {
        writeAll([NEXT_FRAME]);
        nextSent = true;
      }
    },
    next() {
      if (!nextSent) {
        writeAll([NEXT_FRAME]);
      }
      nextSent = false;
      const bodyStart = frame(FRAME.INVOKE);
      // The payload is a view of `buf`, which the next read reuses: bootstrap.cjs
      // parses it before calling next() again.
      return decodeInvoke(buf.subarray(bodyStart, start));
    },
    assignment() {
      const bodyStart = frame(FRAME.ASSIGN);
      return buf.toString('utf8', bodyStart, start);
    },
    respond(requestId, json) {
      const bytes = Buffer.byteLength(json);
      // Measured here so that an oversized body never crosses the channel; the platform
      // answers it as the Runtime API's 413 (aws-lambda.md §5.2, §5.7).
      if (bytes > MAX_RESPONSE_BYTES) {
        writeAll([peakFrame(peak()), encodeResponseTooLarge(requestId, bytes), NEXT_FRAME]);
        nextSent = true;
      } else {
        answer(encodeAnswerAndNext(FRAME.RESPONSE, requestId, 'application/json', json, peak(), bytes));
      }
    },
    fail(requestId, errorType, json) {
      answer(encodeAnswerAndNext(FRAME.ERROR, requestId, errorType, json, peak()));
    },
    failAndExit(requestId, errorType, json) {
      // No NEXT: the process is about to exit (uncaught exception).
      writeAll([peakFrame(peak()), encodeFrame(FRAME.ERROR, [requestId, errorType], json)]);
    },
    initError(errorType, json) {
      writeAll([encodeFrame(FRAME.INIT_ERROR, [errorType], json)]);
    },
    cacheEntry(name, bytes) {
      writeAll([encodeCacheEntry(name, bytes)]);
    },
  };
}

module.exports = { createFdChannel };
