import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError } from '../dialects/http.js';
import { readBodyLimited } from './front-door.js';

/** A request body arriving in `chunkBytes` pieces, with the declared content-length. */
function request(body: Buffer, chunkBytes: number, declared = body.length): IncomingMessage {
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkBytes) {
    pieces.push(body.subarray(i, i + chunkBytes));
  }
  const r = Readable.from(pieces, { objectMode: false }) as unknown as IncomingMessage;
  r.headers = { 'content-length': String(declared) };
  return r;
}

describe('readBodyLimited', () => {
  it.each([
    ['small, joined at the end', 1000, 100],
    ['large, copied into one buffer as it arrives', 3 * 1024 * 1024 + 7, 65_536],
  ])('%s: the bytes, exactly', async (_name, size, chunk) => {
    const body = randomBytes(size);
    const got = await readBodyLimited(request(body, chunk), 10 * 1024 * 1024);
    expect(got.equals(body)).toBe(true);
  });

  it('a large body owns its memory (handed to the JSON worker without a copy)', async () => {
    const got = await readBodyLimited(request(randomBytes(2 << 20), 65_536), 10 << 20);
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(got.length);
  });

  it('reserves memory for what has arrived, not for what was declared', async () => {
    // A Content-Length of 64 MiB with 100 bytes behind it (a client that never sends the
    // rest would otherwise hold 64 MiB per connection).
    const got = await readBodyLimited(request(randomBytes(100), 100, 64 << 20), 128 << 20);
    expect(got.length).toBe(100);
    expect(got.buffer.byteLength).toBeLessThan(1 << 20);
  });

  it('refuses a body over the limit, declared or not', async () => {
    await expect(readBodyLimited(request(randomBytes(2 << 20), 65_536), 1 << 20)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
    // Declared smaller than it is: still stopped at the limit.
    await expect(
      readBodyLimited(request(randomBytes(3 << 20), 65_536, 1 << 20), 2 << 20),
    ).rejects.toBeInstanceOf(BodyTooLargeError);
  });
});
