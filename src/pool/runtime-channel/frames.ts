/**
 * Platform side of hearth's private runtime channel: the frame codec. The layout is
 * described (and implemented for the runtime) in src/runtimes/node/frames.cjs; the two are
 * tested against each other in frames.test.ts.
 */

import type { ChannelInvocation } from './types.js';
export const FRAME_HEADER_BYTES = 5;

export const FrameType = {
  INVOKE: 1,
  NEXT: 2,
  RESPONSE: 3,
  ERROR: 4,
  INIT_ERROR: 5,
  RESPONSE_TOO_LARGE: 6,
  PEAK: 7,
  ASSIGN: 8,
  CACHE: 9,
} as const;

/** A frame larger than this is a broken runtime, not a response (the limit is ~6 MiB). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** An INVOKE frame carries exactly one invocation as the runtime receives it. */
export type InvokeFrame = ChannelInvocation;

export type RuntimeFrame =
  | { readonly type: 'next' }
  | {
      readonly type: 'response';
      readonly requestId: string;
      readonly contentType: string;
      readonly payload: Buffer;
    }
  | { readonly type: 'error'; readonly requestId: string; readonly errorType: string; readonly body: Buffer }
  | { readonly type: 'init-error'; readonly errorType: string; readonly body: Buffer }
  | { readonly type: 'response-too-large'; readonly requestId: string; readonly sizeBytes: number }
  | { readonly type: 'peak'; readonly kb: number }
  /** An entry of a sandboxed runtime's code cache for the platform to write (code-cache-writer.ts). */
  | { readonly type: 'cache'; readonly name: string; readonly bytes: Buffer };

/** Only characters below U+0080: then a string's UTF-8 bytes are its latin1 bytes. */
const ASCII = /^[\x00-\x7f]*$/;

/** Two characters whose latin1 bytes are `n` as a little-endian uint16. */
function lengthChars(n: number): string {
  return String.fromCharCode(n & 0xff, n >>> 8);
}

/** Encodes an INVOKE frame in one buffer (one write on the socket). */
export function encodeInvoke(f: InvokeFrame): Buffer {
  const { requestId, invokedFunctionArn, traceId, clientContext, cognitoIdentity } = f;
  const chars =
    requestId.length +
    invokedFunctionArn.length +
    traceId.length +
    clientContext.length +
    cognitoIdentity.length;
  // Each string tested as it is (a test of their concatenation would first flatten it).
  if (
    chars > 0xffff ||
    !ASCII.test(requestId) ||
    !ASCII.test(invokedFunctionArn) ||
    !ASCII.test(traceId) ||
    !ASCII.test(clientContext) ||
    !ASCII.test(cognitoIdentity)
  ) {
    return encodeInvokeUtf8(f, [requestId, invokedFunctionArn, traceId, clientContext, cognitoIdentity]);
  }
  // The usual frame: every string ASCII (ids, ARNs, trace headers), so lengths and strings
  // go in as one latin1 string: one native write instead of ten.
  const bodyBytes = 18 + chars + f.payload.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  out.writeUInt32LE(bodyBytes, 0);
  out[4] = FrameType.INVOKE;
  out.writeDoubleLE(f.deadlineMs, 5);
  const written = out.write(
    lengthChars(requestId.length) +
      requestId +
      lengthChars(invokedFunctionArn.length) +
      invokedFunctionArn +
      lengthChars(traceId.length) +
      traceId +
      lengthChars(clientContext.length) +
      clientContext +
      lengthChars(cognitoIdentity.length) +
      cognitoIdentity,
    13,
    'latin1',
  );
  out.set(f.payload, 13 + written);
  return out;
}

function encodeInvokeUtf8(f: InvokeFrame, strings: readonly string[]): Buffer {
  let bodyBytes = 8 + f.payload.length;
  const lengths: number[] = [];
  for (const s of strings) {
    const n = Buffer.byteLength(s);
    if (n > 0xffff) {
      throw new RangeError(`runtime channel field of ${n} bytes exceeds 65535`);
    }
    lengths.push(n);
    bodyBytes += 2 + n;
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  out.writeUInt32LE(bodyBytes, 0);
  out[4] = FrameType.INVOKE;
  out.writeDoubleLE(f.deadlineMs, 5);
  let offset = 13;
  strings.forEach((s, i) => {
    const n = lengths[i] ?? 0;
    out.writeUInt16LE(n, offset);
    out.write(s, offset + 2, n, 'utf8');
    offset += 2 + n;
  });
  f.payload.copy(out, offset);
  return out;
}

/** What a pre-started runtime takes on (launchers/prestarted.ts): its function's process environment. */
export interface Assignment {
  /** The whole environment of the process, as a fresh launch would have it. */
  readonly env: Readonly<Record<string, string>>;
  /** Its working directory. */
  readonly cwd: string;
}

/** Encodes an ASSIGN frame (platform → runtime): JSON of the assignment. */
export function encodeAssign(a: Assignment): Buffer {
  const body = Buffer.from(JSON.stringify({ env: a.env, cwd: a.cwd }), 'utf8');
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out[4] = FrameType.ASSIGN;
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** Thrown for bytes that are not frames: the environment is then unusable. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/**
 * The frame of `type` whose body is buf[start, end). Strings are read in place; a payload
 * is the one view made of `buf` (a frame costs no copy and no other Buffer object).
 */
function decodeBody(type: number, buf: Buffer, start: number, end: number): RuntimeFrame {
  let offset = start;
  const str = (): string => {
    if (offset + 2 > end) {
      throw new FrameError('truncated string length');
    }
    const n = buf.readUInt16LE(offset);
    if (offset + 2 + n > end) {
      throw new FrameError('truncated string');
    }
    const s = buf.toString('utf8', offset + 2, offset + 2 + n);
    offset += 2 + n;
    return s;
  };
  switch (type) {
    case FrameType.NEXT:
      return NEXT;
    case FrameType.RESPONSE: {
      const requestId = str();
      const contentType = str();
      return { type: 'response', requestId, contentType, payload: buf.subarray(offset, end) };
    }
    case FrameType.ERROR: {
      const requestId = str();
      const errorType = str();
      return { type: 'error', requestId, errorType, body: buf.subarray(offset, end) };
    }
    case FrameType.INIT_ERROR: {
      const errorType = str();
      return { type: 'init-error', errorType, body: buf.subarray(offset, end) };
    }
    case FrameType.RESPONSE_TOO_LARGE: {
      const requestId = str();
      if (offset + 8 > end) {
        throw new FrameError('truncated size');
      }
      return { type: 'response-too-large', requestId, sizeBytes: buf.readDoubleLE(offset) };
    }
    case FrameType.CACHE: {
      const name = str();
      return { type: 'cache', name, bytes: buf.subarray(offset, end) };
    }
    case FrameType.PEAK:
      if (end - start < 4) {
        throw new FrameError('truncated peak');
      }
      return { type: 'peak', kb: buf.readUInt32LE(start) };
    default:
      throw new FrameError(`unknown frame type ${type}`);
  }
}

const NEXT: RuntimeFrame = Object.freeze({ type: 'next' });

/**
 * Incremental decoder for the runtime → platform direction. The common case, one whole
 * frame per chunk, costs no copy; a large frame arriving in many chunks is joined once,
 * when it is complete.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #bytes = 0;
  /** Body length of the frame being collected, once its header has arrived. */
  #need = -1;

  /** Feeds a chunk; returns the frames it completed. Throws FrameError on garbage. */
  push(chunk: Buffer): RuntimeFrame[] {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    const frames: RuntimeFrame[] = [];
    // Frames are decoded where they lie in `buf` (from `at`); what is left over is kept.
    let buf = this.#chunks.length === 1 ? chunk : undefined;
    let at = 0;
    for (;;) {
      const left = this.#bytes - at;
      if (this.#need < 0) {
        if (left < FRAME_HEADER_BYTES) {
          break;
        }
        buf ??= this.#join();
        const head = buf.readUInt32LE(at);
        if (head > MAX_FRAME_BYTES) {
          throw new FrameError(`frame of ${head} bytes`);
        }
        this.#need = head;
      }
      if (left < FRAME_HEADER_BYTES + this.#need) {
        break;
      }
      buf ??= this.#join();
      const end = at + FRAME_HEADER_BYTES + this.#need;
      frames.push(decodeBody(buf[at + 4] ?? 0, buf, at + FRAME_HEADER_BYTES, end));
      at = end;
      this.#need = -1;
    }
    if (at > 0) {
      const rest = (buf ?? this.#join()).subarray(at);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#bytes = rest.length;
    }
    return frames;
  }

  /** The chunks so far as one buffer (a frame that arrived in pieces). */
  #join(): Buffer {
    const joined =
      this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks = [joined];
    return joined;
  }
}
