import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
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

describe('readBodyLimited on a real request', () => {
  /**
   * One request sent over a raw socket in the given pieces (the next piece once the server
   * has the request), read with readBodyLimited; resolves with what it read (or its error)
   * and whether the request was left out of flowing mode (read in one piece).
   */
  async function serve(
    pieces: readonly string[],
    limit: number,
  ): Promise<{ body?: Buffer; error?: unknown; paused: boolean }> {
    let done!: (v: { body?: Buffer; error?: unknown; paused: boolean }) => void;
    const result = new Promise<{ body?: Buffer; error?: unknown; paused: boolean }>((r) => (done = r));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    const server = createServer((req, res) => {
      arrived();
      readBodyLimited(req, limit).then(
        (body) => done({ body, paused: req.readableFlowing === null }),
        (error: unknown) => done({ error, paused: req.readableFlowing === null }),
      );
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('data', () => undefined);
    try {
      for (const [i, piece] of pieces.entries()) {
        socket.write(piece);
        if (i === 0 && pieces.length > 1) {
          await requestArrived;
        }
      }
      return await result;
    } finally {
      socket.destroy();
      server.close();
    }
  }

  const head = (headers: string) => `POST / HTTP/1.1\r\nhost: x\r\n${headers}\r\n`;

  it('a body that arrived with its headers is taken whole, without streaming it', async () => {
    const got = await serve([`${head('content-length: 17\r\n')}{"hello":"world"}`], 1024);
    expect(got.body?.toString()).toBe('{"hello":"world"}');
    expect(got.paused).toBe(true);
  });

  it('a body that arrives after its headers is streamed', async () => {
    const got = await serve([head('content-length: 17\r\n'), '{"hello":', '"world"}'], 1024);
    expect(got.body?.toString()).toBe('{"hello":"world"}');
  });

  it('an empty body, declared or chunked', async () => {
    expect((await serve([head('content-length: 0\r\n')], 1024)).body?.length).toBe(0);
    expect((await serve([`${head('transfer-encoding: chunked\r\n')}0\r\n\r\n`], 1024)).body?.length).toBe(0);
  });

  it('a chunked body over the limit that arrived whole is refused', async () => {
    const got = await serve(
      [`${head('transfer-encoding: chunked\r\n')}40\r\n${'x'.repeat(64)}\r\n0\r\n\r\n`],
      32,
    );
    expect(got.error).toBeInstanceOf(BodyTooLargeError);
  });
});

describe('readBodyLimited on a request that is gone', () => {
  it('refuses at once rather than waiting for events that will not come', async () => {
    let failed!: (e: unknown) => void;
    const outcome = new Promise<unknown>((r) => (failed = r));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    const server = createServer((req) => {
      req.once('close', () => {
        readBodyLimited(req, 1024).then(() => failed(new Error('read a body that never came')), failed);
      });
      arrived();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 17\r\n\r\n{"hel');
    // Once the server has the request, the client goes away without the rest of the body.
    await requestArrived;
    socket.destroy();
    try {
      const e = await outcome;
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(/closed before its body arrived/);
    } finally {
      server.close();
    }
  });
});
