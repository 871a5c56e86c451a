/**
 * The front door: one port, requests routed by their shape to a dialect
 * (ARCHITECTURE.md). fastify owns the server's lifecycle; every request is answered on
 * node:http by one dispatch. Bodies are not parsed here but handed to the dialect as a lazy,
 * size-limited reader so each operation applies its own limit.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import {
  BodyTooLargeError,
  type Dialect,
  type Fallback,
  type WireRequest,
  type WireResponse,
} from '../dialects/http.js';

/** Unread bodies up to this size are drained to keep the connection alive. */
const DRAIN_LIMIT_BYTES = 1 << 20;

/** Bodies declared at least this large are read into one buffer of their own. */
const OWN_BUFFER_BYTES = 1 << 20;

export function readBodyLimited(
  raw: IncomingMessage,
  limitBytes: number,
  refused?: () => void,
): Promise<Buffer> {
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    raw.resume(); // discard; the connection is closed after the error response
    refused?.();
    return Promise.reject(new BodyTooLargeError(limitBytes));
  }
  // A body of known, large size is copied chunk by chunk into one buffer as it arrives:
  // joining 60 MB at the end held the event loop for 200–400 ms (bench/large-bodies.mjs),
  // and a buffer of its own goes to the JSON worker without a copy (json-worker.ts). The
  // buffer grows with what has arrived (doubling, up to the declared size), so it holds at
  // most twice that: a Content-Length alone, with no data behind it, reserves nothing.
  const own = Number.isFinite(declared) && declared >= OWN_BUFFER_BYTES;
  if (own) {
    return streamBody(raw, limitBytes, true, declared, refused);
  }
  // A small request usually arrives whole in one read of its socket: node's parser has
  // then buffered the whole body by the time the current callback ends, and it is taken
  // in one read() rather than through the stream's flowing mode (a resume, a 'data' and an
  // 'end' event, each a turn of the tick queue: a warm invoke's INVOKE went out 36 µs after
  // its request with them, 29.7 µs without, _one-off_ timestamps). Otherwise it is streamed
  // as it comes.
  return new Promise<Buffer>((resolve, reject) => {
    const settle = (whole: Buffer): void => {
      if (whole.length > limitBytes) {
        refused?.();
        reject(new BodyTooLargeError(limitBytes));
      } else {
        resolve(whole);
      }
    };
    const now = bufferedWhole(raw, declared);
    if (now !== undefined) {
      settle(now);
      return;
    }
    process.nextTick(() => {
      const later = bufferedWhole(raw, declared);
      if (later !== undefined) {
        settle(later);
      } else {
        streamBody(raw, limitBytes, false, declared, refused).then(resolve, reject);
      }
    });
  });
}

const NO_BODY = Buffer.alloc(0);

/**
 * The whole body, if node's parser has already buffered all of it (every byte the
 * Content-Length declares, or the message is complete) and nobody has read any: taken with
 * one read(). Undefined otherwise.
 */
function bufferedWhole(raw: IncomingMessage, declared: number): Buffer | undefined {
  if (raw.readableFlowing !== null || raw.readableDidRead || raw.destroyed) {
    return undefined;
  }
  if (Number.isFinite(declared) && raw.headers['transfer-encoding'] === undefined) {
    if (declared === 0) {
      return NO_BODY;
    }
    return raw.readableLength >= declared ? (raw.read(declared) as Buffer) : undefined;
  }
  if (!raw.complete) {
    return undefined;
  }
  return (raw.read() as Buffer | null) ?? NO_BODY;
}

/**
 * The body as it arrives: chunks joined at the end, or copied into one buffer of its own.
 * `refused` is called when it proves larger than allowed, before the promise rejects.
 */
function streamBody(
  raw: IncomingMessage,
  limitBytes: number,
  own: boolean,
  declared: number,
  refused: (() => void) | undefined,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (raw.destroyed && !raw.complete) {
      // Gone before its body arrived: no event would settle this.
      reject(new Error('the request was closed before its body arrived'));
      return;
    }
    const chunks: Buffer[] = [];
    let whole: Buffer | undefined;
    let size = 0;
    let failed = false;
    raw.on('data', (chunk: Buffer) => {
      if (failed) {
        return;
      }
      if (size + chunk.length > limitBytes || (own && size + chunk.length > declared)) {
        failed = true;
        chunks.length = 0;
        whole = undefined;
        refused?.();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      if (!own) {
        chunks.push(chunk);
      } else {
        if (whole === undefined || size + chunk.length > whole.length) {
          const grown = Buffer.allocUnsafeSlow(
            Math.min(declared, Math.max(size + chunk.length, 2 * (whole?.length ?? 0))),
          );
          whole?.copy(grown, 0, 0, size);
          whole = grown;
        }
        chunk.copy(whole, size);
      }
      size += chunk.length;
    });
    raw.on('end', () => {
      if (failed) {
        return;
      }
      if (own) {
        const got = whole ?? Buffer.alloc(0);
        resolve(size === got.length ? got : got.subarray(0, size));
      } else {
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      }
    });
    raw.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

/**
 * The request's headers by lower-case name, each one string. node:http has lower-cased the
 * names and joined repeated headers already, all but `set-cookie` (an array): its object
 * serves as it is unless a request carries one (no dialect reads it, nor writes headers).
 */
function lowerHeaders(raw: IncomingMessage): Record<string, string | undefined> {
  const headers = raw.headers;
  if (headers['set-cookie'] === undefined) {
    return headers as Record<string, string | undefined>;
  }
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export interface FrontDoorOptions {
  readonly logger: Logger;
  readonly dialects: readonly Dialect[];
  /** Answers when no dialect can (composition picks the AWS form). */
  readonly fallback: Fallback;
  /** Answers a request on the raw socket first (the dashboard's event streams); true if it did. */
  readonly raw?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** What the front door sends: the dialect's response and whether to close the connection. */
interface Dispatched {
  readonly res: WireResponse;
  readonly close: boolean;
}

/**
 * The invoke data plane: AWS `POST …/functions/{name}/invocations` and SCF's `Invoke`
 * action, dispatched without asking the dashboard's raw handler first. (Since issue 15
 * no request goes through fastify's per-request machinery; the invoke lane skipped it
 * first. What that saved was measured once, by hand, with callgrind — no script under
 * bench/ reproduces it; `bench/paired.mjs --a-bin <older build>` compares two builds'
 * server CPU per invoke.)
 */
export function isDataPlane(raw: IncomingMessage): boolean {
  if (raw.method !== 'POST') {
    return false;
  }
  const url = raw.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.endsWith('/invocations')) {
    return true;
  }
  return path === '/' && raw.headers['x-tc-action'] === 'Invoke';
}

/**
 * Writes a dialect's response as it is: lower-case header names, an exact Content-Length,
 * no Content-Type the dialect did not set (fastify's reply would add `; charset=utf-8` to
 * `application/json`, which AWS does not send). Every response of the front door goes
 * out through here, whichever lane it came from.
 */
function writeResponse(out: ServerResponse, d: Dispatched, opts: FrontDoorOptions): void {
  const body = d.res.body ?? '';
  const headers: Record<string, string | number> = {};
  const given = d.res.headers;
  if (given !== undefined) {
    for (const k in given) {
      headers[lowerName(k)] = given[k] as string;
    }
  }
  // The body's length, unless a dialect answering HEAD gave the length of what GET sends.
  if (!(headers['content-length'] !== undefined && body.length === 0)) {
    headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  }
  if (d.close) {
    headers.connection = 'close';
    lingerOnClose(out);
  }
  try {
    out.writeHead(d.res.status, headers);
  } catch (e) {
    // A header value node refuses (a character outside latin-1, say, from a custom
    // runtime's content type): the caller still gets an answer, hearth keeps running.
    opts.logger.error({ err: e, status: d.res.status }, 'response headers could not be written');
    const failed = opts.fallback.internalError(randomUUID());
    const text = String(failed.body ?? '');
    out.writeHead(failed.status, { ...failed.headers, 'content-length': Buffer.byteLength(text) });
    out.end(text);
    return;
  }
  out.end(body);
}

/** Header names lower-cased: the dialects use a few dozen names, each response all of them. */
const LOWER_NAMES = new Map<string, string>();
const LOWER_NAMES_MAX = 256;

function lowerName(name: string): string {
  let lower = LOWER_NAMES.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (LOWER_NAMES.size < LOWER_NAMES_MAX) {
      LOWER_NAMES.set(name, lower);
    }
  }
  return lower;
}

/**
 * After a response that closes the connection, the client's unread data is read for this
 * long at most, and while it keeps arriving: each pause longer than LINGER_IDLE_MS ends it.
 */
const LINGER_MS = 30_000;
const LINGER_IDLE_MS = 5_000;

/**
 * A lingering close (as web servers do): a connection closed while the client still sends
 * a body (one refused as too large, or not worth draining) is not torn down at once: its
 * end is closed after the response, and what the client still sends is read and dropped
 * until it closes its end, or LINGER_MS. Torn down at once, the kernel answers the data
 * still arriving with a reset, and a client busy writing its body may see ECONNRESET
 * instead of the response (seen on a loaded machine with a 52 MB upload and its 413).
 */
function lingerOnClose(out: ServerResponse): void {
  const socket = out.socket;
  if (socket === null) {
    return;
  }
  // node:http ends a `connection: close` response's socket with destroySoon().
  socket.destroySoon = () => {
    socket.end();
    socket.resume();
    const cap = setTimeout(() => socket.destroy(), LINGER_MS);
    cap.unref();
    let idle = setTimeout(() => socket.destroy(), LINGER_IDLE_MS);
    idle.unref();
    socket.on('data', () => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.destroy(), LINGER_IDLE_MS);
      idle.unref();
    });
    socket.once('end', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(cap);
      clearTimeout(idle);
    });
  };
}

/**
 * A request as the dialects see it. The query is parsed when first read: a warm invoke's
 * remembered route and target never read it. (A class: an object literal with a getter is
 * built by the runtime on each request, several times slower than the parse it saves.)
 */
class DirectRequest implements WireRequest {
  #query: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    readonly rawPath: string,
    readonly rawQuery: string,
    readonly headers: Readonly<Record<string, string | undefined>>,
    readonly requestId: string,
    readonly readBody: (limitBytes: number) => Promise<Buffer>,
  ) {}

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.rawQuery));
  }
}

export function createFrontDoor(opts: FrontDoorOptions) {
  /**
   * Builds the WireRequest, runs the dialect, decides what happens to an unread body, and
   * answers (here rather than in its caller: each async layer the answer passes back
   * through is one more turn of the microtask queue before it goes out).
   */
  const dispatch = async (raw: IncomingMessage, out: ServerResponse): Promise<void> => {
    try {
      const url = raw.url ?? '/';
      const q = url.indexOf('?');
      let bodyStarted = false;
      let bodyRefused = false;
      const rawQuery = q === -1 ? '' : url.slice(q + 1);
      const wire = new DirectRequest(
        raw.method ?? 'GET',
        q === -1 ? url : url.slice(0, q),
        rawQuery,
        lowerHeaders(raw),
        randomUUID(),
        (limit) => {
          bodyStarted = true;
          // The reader's own promise goes to the dialect (a derived one would settle a turn
          // later, and a reaction of ours would run before the dialect's); a refusal is noted
          // by the reader itself.
          return readBodyLimited(raw, limit, () => {
            bodyRefused = true;
          });
        },
      );
      const dialect = opts.dialects.find((d) => d.matches(wire));
      const res =
        dialect === undefined
          ? opts.fallback.notFound(wire.method, wire.rawPath, wire.requestId)
          : await dialect.handle(wire);
      let close = false;
      if (bodyRefused) {
        // An oversized body is not read: close the connection instead of draining it.
        close = true;
      } else if (!bodyStarted) {
        // A body the operation did not need is drained, so the connection stays usable,
        // unless it is large or of unknown length: then closing is cheaper than reading it.
        const declared = Number(raw.headers['content-length'] ?? 0);
        if (raw.headers['transfer-encoding'] !== undefined || declared > DRAIN_LIMIT_BYTES) {
          close = true;
        }
        raw.resume();
      }
      writeResponse(out, { res, close }, opts);
    } catch (e) {
      // Dialects never throw (http.ts); should one, the answer is still a response.
      opts.logger.error({ err: e, url: raw.url }, 'unexpected error in the front door');
      if (!out.headersSent) {
        writeResponse(out, { res: opts.fallback.internalError(randomUUID()), close: false }, opts);
      }
    }
  };

  let closing = false;
  /**
   * Answers one request: the dialect's response, or 503 once the server is closing.
   * (dispatch catches what it throws itself: a wrapper awaiting it would be one more
   * promise and one more turn of the microtask queue per request.)
   */
  const serveDirect = (raw: IncomingMessage, out: ServerResponse): void => {
    if (closing) {
      // What fastify's return503OnClosing answers.
      out.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      out.end(JSON.stringify({ message: 'Service Unavailable' }));
      return;
    }
    void dispatch(raw, out);
  };

  const app = Fastify({
    // Fastify's one info line is its own "Server listening at", beside the CLI's ready
    // line: below debug, fastify logs warnings and errors only.
    loggerInstance:
      opts.logger.isLevelEnabled('debug') || !opts.logger.isLevelEnabled('info')
        ? opts.logger
        : opts.logger.child({}, { level: 'warn' }),
    forceCloseConnections: true,
    // fastify owns the server's lifecycle (listen, close, connections, malformed HTTP);
    // every request is answered here, on node:http, by the same dispatch: the dashboard's
    // streams on the raw socket, everything else through serveDirect, without fastify's
    // request/reply objects, hooks and router (`node bench/control-plane.mjs` prints
    // GetFunction and ListFunctions beside a bare echo).
    serverFactory: () =>
      createServer((raw, out) => {
        if (isDataPlane(raw) || opts.raw?.(raw, out) !== true) {
          serveDirect(raw, out);
        }
      }),
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  return app;
}
