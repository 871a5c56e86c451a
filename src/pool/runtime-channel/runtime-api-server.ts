/**
 * The Lambda Runtime API for one environment (aws-lambda.md §5.1–5.3): a node:http server
 * on 127.0.0.1, port 0, handed to the runtime as AWS_LAMBDA_RUNTIME_API. It is what
 * `provided*` bootstraps and the official aws-lambda-ric speak.
 *
 * Wire rules kept here:
 * - `/next` is a long poll: parked until an invocation is delivered, no timeout (§5.2);
 * - every answer has a Content-Length body and connections are kept alive (aws-lambda-cpp
 *   needs both, §6);
 * - runtime posts are answered 202 `{"status":"OK"}`; a request id that is not the one
 *   outstanding gets 400 InvalidRequestID; a response over 6291556 bytes gets 413 and the
 *   invocation Function.ResponseSizeTooLarge (§5.2, §5.7);
 * - `/init/error` after init has completed is 403 InvalidStateTransition.
 * Extensions, Logs and Telemetry APIs are not offered: 404 (§5.1 allows it).
 *
 * Guarded (a sandboxed environment, issue 12 item 7): a connection is served only once
 * the launcher's `ownsConnection` says a process of the environment's sandbox holds its
 * client socket (socket inodes, with or without a uid of its own); any other is closed without an answer, so another function can neither take
 * `/next` nor answer in its place. Requests wait until the process exists.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChannelInvocation, RuntimeChannel, RuntimeEvents } from './types.js';

/** aws-lambda.md §5.2: the RIE's MaxPayloadSize, 6 MiB + 100 bytes. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;

const PREFIX = '/2018-06-01/runtime/';
const OK_BODY = '{"status":"OK"}';

export interface RuntimeApiServer extends RuntimeChannel {
  /** `127.0.0.1:<port>`, the value of AWS_LAMBDA_RUNTIME_API. */
  readonly address: string;
  /** Guarded server: from now on, admit the connections `owns` says are the environment's. */
  admit(owns: (serverPort: number, clientPort: number) => Promise<boolean>): void;
}

export interface RuntimeApiOptions {
  /** Serve only connections that `admit`'s check accepts (none before it is given). */
  readonly guarded?: boolean;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res: http.ServerResponse, status: number, errorType: string, errorMessage: string): void {
  send(res, status, JSON.stringify({ errorMessage, errorType }));
}

function header(req: http.IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** errorType header of a runtime post (§5.3); the environment falls back to the body. */
function errorTypeOf(req: http.IncomingMessage): string {
  return header(req, 'lambda-runtime-function-error-type');
}

interface Body {
  readonly bytes: Buffer;
  readonly sizeBytes: number;
  readonly truncated: boolean;
}

/** Reads a request body, keeping at most `limit` bytes but counting all of them. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) {
        chunks.push(c);
      }
    });
    req.on('end', () => {
      done = true;
      resolve({
        bytes: size <= limit ? Buffer.concat(chunks, size) : Buffer.alloc(0),
        sizeBytes: size,
        truncated: false,
      });
    });
    req.on('close', () => {
      if (!done) {
        resolve({ bytes: Buffer.alloc(0), sizeBytes: size, truncated: true });
      }
    });
  });
}

export async function listenRuntimeApi(
  events: RuntimeEvents,
  opts: RuntimeApiOptions = {},
): Promise<RuntimeApiServer> {
  let admitCheck: ((serverPort: number, clientPort: number) => Promise<boolean>) | undefined;
  let admitted: () => void = () => undefined;
  const checkReady = new Promise<void>((resolve) => {
    admitted = resolve;
  });
  let port = 0;
  const verdicts = new WeakMap<Socket, Promise<boolean>>();
  const owned = (socket: Socket): Promise<boolean> => {
    let v = verdicts.get(socket);
    if (v === undefined) {
      v = checkReady.then(() =>
        admitCheck === undefined || socket.remotePort === undefined
          ? false
          : admitCheck(port, socket.remotePort).catch(() => false),
      );
      verdicts.set(socket, v);
    }
    return v;
  };
  let initDone = false;
  let parked: http.ServerResponse | undefined;
  let queued: ChannelInvocation | undefined;
  let outstanding: string | undefined;
  let closed = false;

  const hand = (res: http.ServerResponse, inv: ChannelInvocation): void => {
    outstanding = inv.requestId;
    const headers: http.OutgoingHttpHeaders = {
      'lambda-runtime-aws-request-id': inv.requestId,
      'lambda-runtime-deadline-ms': String(inv.deadlineMs),
      'lambda-runtime-invoked-function-arn': inv.invokedFunctionArn,
      'content-type': 'application/json',
      'content-length': inv.payload.length,
    };
    // §5.3: optional headers only when they have a value.
    if (inv.traceId !== '') {
      headers['lambda-runtime-trace-id'] = inv.traceId;
    }
    if (inv.clientContext !== '') {
      headers['lambda-runtime-client-context'] = inv.clientContext;
    }
    if (inv.cognitoIdentity !== '') {
      headers['lambda-runtime-cognito-identity'] = inv.cognitoIdentity;
    }
    res.writeHead(200, headers);
    res.end(inv.payload);
  };

  const onNext = (res: http.ServerResponse): void => {
    if (parked !== undefined && !parked.writableEnded) {
      // A second long poll replaces the first (the runtime reconnected).
      sendError(
        parked,
        403,
        'InvalidStateTransition',
        'State transition from Ready to Ready failed for runtime. Error: superseded by a newer /next',
      );
    }
    parked = res;
    res.on('close', () => {
      if (parked === res) {
        parked = undefined;
      }
    });
    const first = !initDone;
    initDone = true;
    if (first || outstanding === undefined) {
      events.onNext();
    }
    if (queued !== undefined && parked === res) {
      const inv = queued;
      queued = undefined;
      parked = undefined;
      hand(res, inv);
    }
  };

  const onPost = async (req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> => {
    if (path === 'init/error') {
      const body = await readBody(req, MAX_RESPONSE_BYTES);
      if (initDone) {
        sendError(
          res,
          403,
          'InvalidStateTransition',
          'State transition from Ready to InitError failed for runtime. Error: init already completed',
        );
        return;
      }
      send(res, 202, OK_BODY);
      events.onInitError(errorTypeOf(req), body.bytes);
      return;
    }
    const m = /^invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (m === null || m[1] === undefined) {
      req.resume();
      sendError(res, 404, 'InvalidRequest', 'Not Found');
      return;
    }
    const requestId = decodeURIComponent(m[1]);
    const kind = m[2];
    const mode = header(req, 'lambda-runtime-function-response-mode');
    if (mode !== '' && mode !== 'streaming') {
      req.resume();
      sendError(res, 400, 'InvalidFunctionResponseMode', 'Invalid function response mode');
      return;
    }
    const body = await readBody(req, MAX_RESPONSE_BYTES);
    if (body.truncated) {
      return;
    }
    if (requestId !== outstanding) {
      sendError(res, 400, 'InvalidRequestID', 'Invalid request ID');
      return;
    }
    if (kind === 'response' && body.sizeBytes > MAX_RESPONSE_BYTES) {
      outstanding = undefined;
      sendError(
        res,
        413,
        'RequestEntityTooLarge',
        `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      );
      events.onResponseTooLarge(requestId, body.sizeBytes);
      return;
    }
    outstanding = undefined;
    send(res, 202, OK_BODY);
    // A streamed response that failed carries its error in trailers (§5.3).
    const trailerType = req.trailers['lambda-runtime-function-error-type'];
    if (kind === 'error' || (typeof trailerType === 'string' && trailerType !== '')) {
      const errorType = kind === 'error' ? errorTypeOf(req) : String(trailerType);
      events.onError(requestId, errorType, body.bytes);
    } else {
      events.onResponse(requestId, body.bytes, header(req, 'content-type') || 'application/json');
    }
  };

  const guardedHandle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (opts.guarded !== true) {
      handle(req, res);
      return;
    }
    void owned(req.socket).then((ok) => {
      if (ok) {
        handle(req, res);
      } else {
        // Not this environment's process: no answer at all.
        req.socket.destroy();
      }
    });
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) {
      req.resume();
      sendError(res, 404, 'InvalidRequest', 'Not Found');
      return;
    }
    const path = url.slice(PREFIX.length);
    if (req.method === 'GET' && path === 'invocation/next') {
      onNext(res);
    } else if (req.method === 'POST') {
      onPost(req, res, path).catch((e: unknown) => {
        if (!res.headersSent) {
          sendError(res, 500, 'InternalServerError', 'Internal Server Error');
        }
        events.onProtocolError(String(e));
      });
    } else {
      req.resume();
      sendError(res, 404, 'InvalidRequest', 'Not Found');
    }
  };
  const server = http.createServer(guardedHandle);
  // aws-lambda-cpp's libcurl may send an `Expect:` header other than 100-continue; node
  // would answer 417 unless someone handles it (§5.3).
  server.on('checkExpectation', guardedHandle);
  // A long poll waits as long as it must, and the runtime's connection is kept (§5.2, §6).
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.timeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('the Runtime API did not get a TCP port');
  }
  port = address.port;

  return {
    address: `127.0.0.1:${port}`,
    admit(owns) {
      admitCheck = owns;
      admitted();
    },
    deliver(inv: ChannelInvocation) {
      const res = parked;
      if (res !== undefined && !res.writableEnded) {
        parked = undefined;
        hand(res, inv);
      } else {
        queued = inv;
      }
    },
    close() {
      if (!closed) {
        closed = true;
        server.close();
        server.closeAllConnections();
      }
    },
  };
}
