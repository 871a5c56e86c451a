import { describe, expect, it } from 'vitest';
import {
  FrameError,
  FrameReader,
  FrameType,
  MAX_FRAME_BYTES,
  encodeFrame,
  isNonce,
  newNonce,
  proof,
  proofHolds,
} from './link-frames.js';

const bytes = (buffers: Buffer[]): Buffer => Buffer.concat(buffers);

describe('cluster link frames', () => {
  it('come out as they went in, however the stream is cut', () => {
    const small = encodeFrame(FrameType.Invoke, 7, { requestId: 'r', n: 1 }, Buffer.from('{"x":1}'));
    const large = encodeFrame(FrameType.Outcome, 8, { kind: 'success' }, Buffer.alloc(70_000, 7));
    const empty = encodeFrame(FrameType.Declined, 9, { reason: 'no free provisioned environment' });
    expect(small).toHaveLength(1); // small payloads: one buffer, one write
    expect(large).toHaveLength(2);
    const stream = bytes([...small, ...large, ...empty]);
    for (const cut of [1, 3, 5, 13, 1000, 65536, stream.length]) {
      const reader = new FrameReader();
      reader.handshakeDone();
      const got = [];
      for (let i = 0; i < stream.length; i += cut) {
        got.push(...reader.push(stream.subarray(i, i + cut)));
      }
      expect(got.map((f) => [f.type, f.id, f.meta, f.payload.length])).toEqual([
        [FrameType.Invoke, 7, { requestId: 'r', n: 1 }, 7],
        [FrameType.Outcome, 8, { kind: 'success' }, 70_000],
        [FrameType.Declined, 9, { reason: 'no free provisioned environment' }, 0],
      ]);
      expect(got[0]?.payload.toString()).toBe('{"x":1}');
      expect(got[1]?.payload.every((b) => b === 7)).toBe(true);
    }
  });

  it('refuse an oversized frame (smaller before the handshake) and malformed meta', () => {
    const big = encodeFrame(FrameType.Invoke, 1, {}, Buffer.alloc(8192));
    expect(() => new FrameReader().push(bytes(big))).toThrow(FrameError);
    const after = new FrameReader();
    after.handshakeDone();
    expect(after.push(bytes(big))).toHaveLength(1);
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(MAX_FRAME_BYTES, 0);
    expect(() => after.push(huge)).toThrow(FrameError);
    const bad = bytes(encodeFrame(FrameType.Hello, 0, { nonce: 'x' }));
    bad.write('#', 13); // the meta's first byte
    expect(() => new FrameReader().push(bad)).toThrow(/not JSON/);
    const short = Buffer.alloc(8);
    short.writeUInt32BE(4, 0);
    expect(() => new FrameReader().push(short)).toThrow(FrameError);
  });

  it("prove the secret over both ends' nonces, so a recorded proof is worth nothing", () => {
    const a = newNonce();
    const b = newNonce();
    expect(isNonce(a) && isNonce(b)).toBe(true);
    expect(isNonce('zz')).toBe(false);
    const p = proof('s', 'caller', a, b);
    expect(proofHolds(proof('s', 'caller', a, b), p)).toBe(true);
    expect(proofHolds(proof('t', 'caller', a, b), p)).toBe(false);
    expect(proofHolds(proof('s', 'called', a, b), p)).toBe(false);
    expect(proofHolds(proof('s', 'caller', newNonce(), b), p)).toBe(false);
    expect(proofHolds(proof('s', 'caller', a, b), 42)).toBe(false);
  });
});
