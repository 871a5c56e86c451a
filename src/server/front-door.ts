/**
 * The front door: one port, requests routed by their shape to a dialect
 * (ARCHITECTURE.md). fastify owns the socket; bodies are not parsed here but handed to the
 * dialect as a lazy, size-limited reader so each operation applies its own limit.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { BodyTooLargeError, type Dialect, type WireRequest } from '../dialects/http.js';

/** Unread bodies up to this size are drained to keep the connection alive. */
const DRAIN_LIMIT_BYTES = 1 << 20;

export function readBodyLimited(raw: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    raw.resume(); // discard; the connection is closed after the error response
    return Promise.reject(new BodyTooLargeError(limitBytes));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    raw.on('data', (chunk: Buffer) => {
      if (failed) {
        return;
      }
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    raw.on('end', () => {
      if (!failed) {
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

function lowerHeaders(raw: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw.headers)) {
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export interface FrontDoorOptions {
  readonly logger: Logger;
  readonly dialects: readonly Dialect[];
}

export function createFrontDoor(opts: FrontDoorOptions) {
  const app = Fastify({
    loggerInstance: opts.logger,
    // One log line per request would cost more than the invoke path itself.
    logController: new LogController({ disableRequestLogging: true }),
    // Percent-encoded ARNs are long; the dialects route on the raw path themselves.
    routerOptions: { maxParamLength: 4096 },
    // A path fastify cannot even decode (a bad percent-escape) never reaches a dialect:
    // answer it in the AWS REST form, the only dialect that puts data in the path.
    frameworkErrors: (error, request, frameworkReply) => {
      // The framework types this reply by route schema; there is no route here.
      const reply = frameworkReply as unknown as FastifyReply;
      void reply
        .code(400)
        .header('content-type', 'application/json')
        .header('x-amzn-RequestId', randomUUID())
        .header('x-amzn-ErrorType', 'InvalidParameterValueException')
        .send(
          JSON.stringify({
            Type: 'User',
            message: `The request path could not be decoded: ${error.message}`,
            __type: 'InvalidParameterValueException',
          }),
        );
      request.log.debug({ err: error }, 'undecodable request');
    },
    // Bodies are read by the dialects under per-operation limits, see readBodyLimited.
    bodyLimit: Number.MAX_SAFE_INTEGER,
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  // Leave every body unread: the dialect decides the limit once it knows the operation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => {
    done(null, undefined);
  });

  app.all('/*', async (request, reply) => {
    const raw = request.raw;
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    let bodyStarted = false;
    let bodyRefused = false;
    const wire: WireRequest = {
      method: raw.method ?? 'GET',
      rawPath: q === -1 ? url : url.slice(0, q),
      query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
      rawQuery: q === -1 ? '' : url.slice(q + 1),
      headers: lowerHeaders(raw),
      requestId: randomUUID(),
      readBody: (limit) => {
        bodyStarted = true;
        return readBodyLimited(raw, limit).catch((e: unknown) => {
          bodyRefused = e instanceof BodyTooLargeError;
          throw e;
        });
      },
    };
    const dialect = opts.dialects.find((d) => d.matches(wire));
    let res;
    if (dialect === undefined) {
      res = {
        status: 404,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' },
        body: JSON.stringify({
          Type: 'User',
          message: `No operation matches ${wire.method} ${wire.rawPath}`,
        }),
      };
    } else {
      res = await dialect.handle(wire);
    }
    if (bodyRefused) {
      // An oversized body is not read: close the connection instead of draining it.
      void reply.header('connection', 'close');
    } else if (!bodyStarted) {
      // A body the operation did not need is drained, so the connection stays usable,
      // unless it is large or of unknown length: then closing is cheaper than reading it.
      const declared = Number(raw.headers['content-length'] ?? 0);
      if (raw.headers['transfer-encoding'] !== undefined || declared > DRAIN_LIMIT_BYTES) {
        void reply.header('connection', 'close');
      }
      raw.resume();
    }
    void reply.code(res.status);
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      void reply.header(k, v);
    }
    return reply.send(res.body ?? '');
  });
  return app;
}
