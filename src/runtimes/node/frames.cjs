'use strict';
/**
 * hearth's private runtime channel: length-prefixed binary frames over one socketpair
 * (fd 3 of the environment's process). It carries exactly what the HTTP Runtime API
 * carries (aws-lambda.md §5.2–5.3) with one write per message in each direction.
 *
 * The pool has its own TypeScript codec (src/pool/runtime-channel/frames.ts); a test
 * checks that the two agree byte for byte.
 *
 * Frame: u32le bodyLength | u8 type | body
 * Strings inside bodies are u16le byteLength + UTF-8 bytes; the payload is the rest.
 *
 *   INVOKE (platform → runtime)  f64le deadlineMs | str requestId | str invokedFunctionArn
 *                                | str traceId | str clientContext | str cognitoIdentity | payload
 *   NEXT (runtime → platform)     empty: "GET /invocation/next" (the first one ends init, §5.6)
 *   RESPONSE                      str requestId | str contentType | payload
 *   ERROR                         str requestId | str errorType | error document
 *   INIT_ERROR                    str errorType | error document
 *   RESPONSE_TOO_LARGE            str requestId | f64le sizeBytes (the runtime saw §5.2's 413)
 *   PEAK                          u32le peakKb: the process's peak resident memory so far,
 *                                 sent just before an answer (in the same write) by a runtime
 *                                 that can read it exactly and cheaply (channel-fd.cjs); the
 *                                 platform then reads no /proc file for that answer
 *   ASSIGN (platform → runtime)   JSON {"env": {...}, "cwd": "..."}: the function a pre-started
 *                                 runtime takes (its whole environment and working directory),
 *                                 the first frame such a runtime reads (blank.cjs)
 *   CACHE                         str name, then an entry of the code cache as code-cache.cjs
 *                                 writes one to a file: a sandboxed runtime's entries, which
 *                                 the platform checks and writes (src/pool/code-cache-writer.ts),
 *                                 sent before its first NEXT
 */

const FRAME_HEADER_BYTES = 5;
const FRAME = Object.freeze({
  INVOKE: 1,
  NEXT: 2,
  RESPONSE: 3,
  ERROR: 4,
  INIT_ERROR: 5,
  RESPONSE_TOO_LARGE: 6,
  PEAK: 7,
  ASSIGN: 8,
  CACHE: 9,
});

/** A PEAK frame's size: header and a u32. */
const PEAK_FRAME_BYTES = FRAME_HEADER_BYTES + 4;

/**
 * Writes a PEAK frame at `offset` of `out`; returns the offset after it.
 * @param {Buffer} out
 * @param {number} offset
 * @param {number} peakKb
 * @returns {number}
 */
function writePeak(out, offset, peakKb) {
  out.writeUInt32LE(4, offset);
  out[offset + 4] = FRAME.PEAK;
  out.writeUInt32LE(Math.min(peakKb, 0xffffffff), offset + FRAME_HEADER_BYTES);
  return offset + PEAK_FRAME_BYTES;
}

/** Largest response the platform accepts (aws-lambda.md §5.2, RIE MaxPayloadSize). */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;

/**
 * @typedef {object} Invocation
 * @property {string} requestId
 * @property {number} deadlineMs
 * @property {string} invokedFunctionArn
 * @property {string} traceId
 * @property {string} clientContext
 * @property {string} cognitoIdentity
 * @property {Buffer} payload
 */

/**
 * Decodes an INVOKE body.
 * @param {Buffer} body
 * @returns {Invocation}
 */
function decodeInvoke(body) {
  // Straight-line rather than a string-reading closure: this runs once per invocation in
  // every environment, and the smaller code is cheaper for each of them to optimise. The
  // trace id, client context and identity are usually empty: no string is decoded for them.
  let offset = 8;
  let n = body.readUInt16LE(offset);
  const requestId = body.toString('utf8', offset + 2, (offset += 2 + n));
  n = body.readUInt16LE(offset);
  const invokedFunctionArn = body.toString('utf8', offset + 2, (offset += 2 + n));
  n = body.readUInt16LE(offset);
  const traceId = n === 0 ? '' : body.toString('utf8', offset + 2, offset + 2 + n);
  offset += 2 + n;
  n = body.readUInt16LE(offset);
  const clientContext = n === 0 ? '' : body.toString('utf8', offset + 2, offset + 2 + n);
  offset += 2 + n;
  n = body.readUInt16LE(offset);
  const cognitoIdentity = n === 0 ? '' : body.toString('utf8', offset + 2, offset + 2 + n);
  offset += 2 + n;
  return {
    requestId,
    deadlineMs: body.readDoubleLE(0),
    invokedFunctionArn,
    traceId,
    clientContext,
    cognitoIdentity,
    payload: body.subarray(offset),
  };
}

/**
 * A CACHE frame: the entry's name, then its bytes.
 * @param {string} name
 * @param {Buffer} bytes
 * @returns {Buffer}
 */
function encodeCacheEntry(name, bytes) {
  const nameBytes = Buffer.byteLength(name);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 2 + nameBytes + bytes.length);
  out.writeUInt32LE(2 + nameBytes + bytes.length, 0);
  out[4] = FRAME.CACHE;
  out.writeUInt16LE(nameBytes, FRAME_HEADER_BYTES);
  out.write(name, FRAME_HEADER_BYTES + 2, 'utf8');
  bytes.copy(out, FRAME_HEADER_BYTES + 2 + nameBytes);
  return out;
}

/**
 * Encodes a frame whose body is some strings followed by a payload string, in one buffer.
 * @param {number} type
 * @param {readonly string[]} strings
 * @param {string} payload
 * @returns {Buffer}
 */
function encodeFrame(type, strings, payload) {
  let bodyBytes = Buffer.byteLength(payload);
  for (const s of strings) {
    bodyBytes += 2 + Buffer.byteLength(s);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  out.writeUInt32LE(bodyBytes, 0);
  out[4] = type;
  let offset = FRAME_HEADER_BYTES;
  for (const s of strings) {
    const n = out.write(s, offset + 2, 'utf8');
    out.writeUInt16LE(n, offset);
    offset += 2 + n;
  }
  out.write(payload, offset, 'utf8');
  return out;
}

/**
 * An answer (RESPONSE or ERROR: two strings and a payload) with the NEXT frame appended, in
 * one buffer: the runtime hands both to the platform in one write(2) (channel-fd.cjs).
 * With a `peakKb` above 0, a PEAK frame goes first. Specialised rather than built on
 * encodeFrame because it runs once per invocation, in every environment: no array per
 * call, and a small function that V8 optimises cheaply.
 * @param {number} type
 * @param {string} first
 * @param {string} second
 * @param {string} payload
 * @param {number} [peakKb]
 * @param {number} [payloadBytes] the payload's length in UTF-8, when the caller has it
 * @returns {Buffer}
 */
function encodeAnswerAndNext(
  type,
  first,
  second,
  payload,
  peakKb = 0,
  payloadBytes = Buffer.byteLength(payload),
) {
  const firstBytes = Buffer.byteLength(first);
  const secondBytes = Buffer.byteLength(second);
  const bodyBytes = 4 + firstBytes + secondBytes + payloadBytes;
  const peakBytes = peakKb > 0 ? PEAK_FRAME_BYTES : 0;
  const out = Buffer.allocUnsafe(peakBytes + 2 * FRAME_HEADER_BYTES + bodyBytes);
  let offset = peakBytes === 0 ? 0 : writePeak(out, 0, peakKb);
  out.writeUInt32LE(bodyBytes, offset);
  out[offset + 4] = type;
  offset += FRAME_HEADER_BYTES;
  out.writeUInt16LE(firstBytes, offset);
  offset += 2 + out.write(first, offset + 2, 'utf8');
  out.writeUInt16LE(secondBytes, offset);
  offset += 2 + out.write(second, offset + 2, 'utf8');
  offset += out.write(payload, offset, 'utf8');
  NEXT_FRAME.copy(out, offset);
  return out;
}

/**
 * A PEAK frame alone (before an answer written without encodeAnswerAndNext).
 * @param {number} peakKb
 * @returns {Buffer}
 */
function encodePeak(peakKb) {
  const out = Buffer.allocUnsafe(PEAK_FRAME_BYTES);
  writePeak(out, 0, peakKb);
  return out;
}

/**
 * RESPONSE_TOO_LARGE carries a number rather than a payload.
 * @param {string} requestId
 * @param {number} sizeBytes
 * @returns {Buffer}
 */
function encodeResponseTooLarge(requestId, sizeBytes) {
  const idBytes = Buffer.byteLength(requestId);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 2 + idBytes + 8);
  out.writeUInt32LE(2 + idBytes + 8, 0);
  out[4] = FRAME.RESPONSE_TOO_LARGE;
  out.writeUInt16LE(idBytes, 5);
  out.write(requestId, 7, 'utf8');
  out.writeDoubleLE(sizeBytes, 7 + idBytes);
  return out;
}

const NEXT_FRAME = Buffer.from([0, 0, 0, 0, FRAME.NEXT]);

module.exports = {
  FRAME_HEADER_BYTES,
  FRAME,
  MAX_RESPONSE_BYTES,
  NEXT_FRAME,
  decodeInvoke,
  encodeAnswerAndNext,
  encodeCacheEntry,
  encodeFrame,
  encodePeak,
  encodeResponseTooLarge,
};
