/**
 * The frames of a cluster link (forwarding.ts sends, server/cluster-links.ts answers): one
 * TCP connection between two nodes carries many invokes at once, each a frame
 *
 *   u32 length of the rest | u8 type | u32 id | u32 meta length | meta (JSON) | payload
 *
 * so an invoke costs two small writes and no HTTP parsing on either side. A link is
 * authenticated once, when it opens, by a challenge in each direction (both nodes prove
 * they hold the cluster's secret over a fresh nonce of the other, so nothing recorded can
 * be replayed); frames after that carry no signature of their own. The link is not
 * encrypted: nodes talk over the network they share with their database.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const FrameType = {
  /** Either side's opening: `{ nonce }` from the caller, `{ nonce, proof }` from the node called. */
  Hello: 1,
  /** The caller's proof over the called node's nonce: `{ proof }`. */
  Auth: 2,
  /** An invoke: its fields as meta, its payload as the payload. */
  Invoke: 3,
  /** The outcome of invoke `id`: its fields as meta, its payload as the payload. */
  Outcome: 4,
  /** Invoke `id` did not run here (no free environment): `{ reason }`. */
  Declined: 5,
  /** Stop an async event this node holds (SCF TerminateAsyncEvent): `{ requestId }`. */
  Terminate: 6,
  /** The answer to Terminate `id`: `{ ok }` (false: not pending here). */
  Terminated: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  readonly type: FrameType;
  readonly id: number;
  readonly meta: unknown;
  readonly payload: Buffer;
}

const HEADER = 13;
/** Lambda's 6 MB payloads and their fields fit; a larger frame ends the link. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Before a link is authenticated, only a hello's or proof's few bytes are accepted. */
export const MAX_HANDSHAKE_FRAME_BYTES = 4096;
/** Payloads at most this large are copied into the frame's one buffer (one write). */
const COPY_LIMIT = 64 * 1024;

/** The frame as buffers to write at once (one, or the head and a large payload). */
export function encodeFrame(type: FrameType, id: number, meta: unknown, payload?: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(meta ?? null));
  const body = payload?.length ?? 0;
  const length = HEADER - 4 + json.length + body;
  const copy = payload !== undefined && body <= COPY_LIMIT;
  const head = Buffer.allocUnsafe(HEADER + json.length + (copy ? body : 0));
  head.writeUInt32BE(length, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(id, 5);
  head.writeUInt32BE(json.length, 9);
  json.copy(head, HEADER);
  if (copy) {
    payload.copy(head, HEADER + json.length);
    return [head];
  }
  return payload === undefined || body === 0 ? [head] : [head, payload];
}

export class FrameError extends Error {}

/**
 * Cuts a byte stream into frames. A frame's bytes are joined once, when all of it has
 * arrived (never once per chunk). `limit` bounds a frame's size; `handshakeDone` lifts
 * the smaller bound of an unauthenticated link.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #need = -1;
  #limit: number;

  constructor(limit = MAX_HANDSHAKE_FRAME_BYTES) {
    this.#limit = limit;
  }

  handshakeDone(): void {
    this.#limit = MAX_FRAME_BYTES;
  }

  /** The frames completed by `chunk`; throws FrameError on a malformed or oversized one. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) {
          return out;
        }
        const first = this.#joined();
        const length = first.readUInt32BE(0);
        if (length < HEADER - 4 || length + 4 > this.#limit) {
          throw new FrameError(`a frame of ${length} bytes`);
        }
        this.#need = length + 4;
      }
      if (this.#buffered < this.#need) {
        return out;
      }
      const all = this.#joined();
      const frame = all.subarray(0, this.#need);
      const rest = all.subarray(this.#need);
      this.#chunks = rest.length === 0 ? [] : [rest];
      this.#buffered = rest.length;
      this.#need = -1;
      out.push(decode(frame));
    }
  }

  #joined(): Buffer {
    if (this.#chunks.length > 1) {
      this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    }
    return this.#chunks[0] as Buffer;
  }
}

function decode(frame: Buffer): Frame {
  const type = frame.readUInt8(4) as FrameType;
  const id = frame.readUInt32BE(5);
  const metaLength = frame.readUInt32BE(9);
  if (HEADER + metaLength > frame.length) {
    throw new FrameError('meta longer than its frame');
  }
  let meta: unknown;
  try {
    meta = JSON.parse(frame.toString('utf8', HEADER, HEADER + metaLength));
  } catch {
    throw new FrameError('meta is not JSON');
  }
  return { type, id, meta, payload: frame.subarray(HEADER + metaLength) };
}

export const newNonce = (): string => randomBytes(24).toString('hex');

/** A side's proof that it holds the secret, over the nonces of both ends. */
export function proof(secret: string, role: 'caller' | 'called', theirs: string, mine: string): string {
  return createHmac('sha256', secret).update(`${role}\n${theirs}\n${mine}`).digest('hex');
}

export function proofHolds(expected: string, got: unknown): boolean {
  if (typeof got !== 'string' || got.length !== expected.length) {
    return false;
  }
  return timingSafeEqual(Buffer.from(got), Buffer.from(expected));
}

/** A nonce as sent: 48 hex digits. */
export const isNonce = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{48}$/.test(v);
