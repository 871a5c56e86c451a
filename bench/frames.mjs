// The pool-channel benches' framing (pool-channels.mjs and its child), kept apart from
// lib.mjs so that a measured child loads nothing else: a 4-byte little-endian length, then
// that many bytes; a channel frame's bytes are [type][id length][id (latin1)][payload].

/** A `data` listener that cuts a byte stream into frames; `onFrame` gets each frame's bytes. */
export function lengthPrefixedFrames(onFrame) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const len = buf.readUInt32LE(0);
      if (buf.length < 4 + len) {
        return;
      }
      const frame = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      onFrame(frame);
    }
  };
}

/** One channel frame, length prefix included: `type`, the request `id`, the `payload`. */
export function channelFrame(type, id, payload) {
  const idLen = Buffer.byteLength(id, 'latin1');
  const out = Buffer.allocUnsafe(4 + 2 + idLen + payload.length);
  out.writeUInt32LE(2 + idLen + payload.length, 0);
  out[4] = type;
  out[5] = idLen;
  out.write(id, 6, 'latin1');
  payload.copy(out, 6 + idLen);
  return out;
}

/** The request id and payload of a channel frame (the bytes after the length). */
export function parseChannelFrame(frame) {
  const idLen = frame[1];
  return {
    type: frame[0],
    id: frame.subarray(2, 2 + idLen).toString('latin1'),
    payload: frame.subarray(2 + idLen),
  };
}
