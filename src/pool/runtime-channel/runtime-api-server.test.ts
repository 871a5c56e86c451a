import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenRuntimeApi, type RuntimeApiServer } from './runtime-api-server.js';
import type { ChannelInvocation, RuntimeEvents } from './types.js';

type Recorded = [string, ...unknown[]];

function recorder(): { events: RuntimeEvents; log: Recorded[]; next: () => Promise<void> } {
  const log: Recorded[] = [];
  let wake: (() => void) | undefined;
  const push = (r: Recorded) => {
    log.push(r);
    wake?.();
  };
  return {
    log,
    next: () => new Promise<void>((resolve) => (wake = resolve)),
    events: {
      onNext: () => push(['next']),
      onResponse: (id, payload, ct) => push(['response', id, payload.toString(), ct]),
      onError: (id, type, body) => push(['error', id, type, body.toString()]),
      onInitError: (type, body) => push(['init-error', type, body.toString()]),
      onResponseTooLarge: (id, size) => push(['too-large', id, size]),
      onProtocolError: (reason) => push(['protocol', reason]),
      onPeak: (kb) => push(['peak', kb]),
      onCacheEntry: (name) => push(['cache', name]),
    },
  };
}

const inv = (requestId: string, extra: Partial<ChannelInvocation> = {}): ChannelInvocation => ({
  requestId,
  deadlineMs: 1_790_000_000_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
  traceId: '',
  clientContext: '',
  cognitoIdentity: '',
  payload: Buffer.from('{"n":1}'),
  ...extra,
});

let server: RuntimeApiServer | undefined;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
afterEach(() => {
  server?.close();
  server = undefined;
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const [host, port] = (server?.address ?? '').split(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        method,
        path: `/2018-06-01${path}`,
        agent,
        headers:
          body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Runtime API server (aws-lambda.md §5.2–5.3)', () => {
  it('first /next ends init; the long poll gets the invocation with its headers', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    const waiting = r.next();
    const next = call('GET', '/runtime/invocation/next');
    await waiting;
    void next.catch(() => undefined);
    expect(r.log).toEqual([['next']]);
    server.deliver(inv('req-1', { traceId: 'Root=1-a-b;Sampled=1', clientContext: '{"c":1}' }));
    const a = await next;
    expect(a.status).toBe(200);
    expect(a.body).toBe('{"n":1}');
    expect(a.headers['content-length']).toBe('7');
    expect(a.headers['lambda-runtime-aws-request-id']).toBe('req-1');
    expect(a.headers['lambda-runtime-deadline-ms']).toBe('1790000000000');
    expect(a.headers['lambda-runtime-invoked-function-arn']).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:fn',
    );
    expect(a.headers['lambda-runtime-trace-id']).toBe('Root=1-a-b;Sampled=1');
    expect(a.headers['lambda-runtime-client-context']).toBe('{"c":1}');
    expect(a.headers['lambda-runtime-cognito-identity']).toBeUndefined();
  });

  it('an invocation delivered before /next waits for it', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    server.deliver(inv('early'));
    const a = await call('GET', '/runtime/invocation/next');
    expect(a.headers['lambda-runtime-aws-request-id']).toBe('early');
  });

  it('response: 202 {"status":"OK"}, then the next /next makes the environment idle', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    server.deliver(inv('req-1'));
    await call('GET', '/runtime/invocation/next');
    const ok = await call('POST', '/runtime/invocation/req-1/response', '{"done":true}', {
      'content-type': 'text/plain',
    });
    expect([ok.status, ok.body, ok.headers['content-length']]).toEqual([202, '{"status":"OK"}', '15']);
    expect(r.log).toEqual([['next'], ['response', 'req-1', '{"done":true}', 'text/plain']]);
    const again = r.next();
    call('GET', '/runtime/invocation/next').catch(() => undefined);
    await again;
    expect(r.log.at(-1)).toEqual(['next']);
  });

  it('wrong or already answered request id: 400 InvalidRequestID', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    server.deliver(inv('req-1'));
    await call('GET', '/runtime/invocation/next');
    const wrong = await call('POST', '/runtime/invocation/other/response', '1');
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([
      400,
      { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' },
    ]);
    await call('POST', '/runtime/invocation/req-1/response', '1');
    const twice = await call('POST', '/runtime/invocation/req-1/error', '{}');
    expect(twice.status).toBe(400);
  });

  it('error: forwarded verbatim with the header type, or none (the official client sends none)', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    server.deliver(inv('req-1'));
    await call('GET', '/runtime/invocation/next');
    const body = '{"errorType":"TypeError","errorMessage":"boom","trace":[]}';
    expect((await call('POST', '/runtime/invocation/req-1/error', body)).status).toBe(202);
    expect(r.log.at(-1)).toEqual(['error', 'req-1', '', body]);
  });

  it('response over 6291556 bytes: 413, and the invocation is told', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    server.deliver(inv('req-1'));
    await call('GET', '/runtime/invocation/next');
    const big = Buffer.alloc(6291557, 0x61);
    const a = await call('POST', '/runtime/invocation/req-1/response', big);
    expect([a.status, JSON.parse(a.body)]).toEqual([
      413,
      {
        errorMessage: 'Exceeded maximum allowed payload size (6291556 bytes).',
        errorType: 'RequestEntityTooLarge',
      },
    ]);
    expect(r.log.at(-1)).toEqual(['too-large', 'req-1', 6291557]);
    // Exactly at the limit is fine.
    server.deliver(inv('req-2'));
    await call('GET', '/runtime/invocation/next');
    expect(
      (await call('POST', '/runtime/invocation/req-2/response', Buffer.alloc(6291556, 0x61))).status,
    ).toBe(202);
  });

  it('init/error: 202 during init, 403 after', async () => {
    const r = recorder();
    server = await listenRuntimeApi(r.events);
    const a = await call('POST', '/runtime/init/error', '{"errorType":"Runtime.ImportModuleError"}', {
      'lambda-runtime-function-error-type': 'Runtime.ImportModuleError',
    });
    expect([a.status, a.body]).toEqual([202, '{"status":"OK"}']);
    expect(r.log).toEqual([
      ['init-error', 'Runtime.ImportModuleError', '{"errorType":"Runtime.ImportModuleError"}'],
    ]);
    server.deliver(inv('x'));
    await call('GET', '/runtime/invocation/next');
    expect((await call('POST', '/runtime/init/error', '{}')).status).toBe(403);
  });

  it('unknown paths and the Extensions API: 404', async () => {
    server = await listenRuntimeApi(recorder().events);
    expect((await call('POST', '/../2020-01-01/extension/register', '{}')).status).toBe(404);
    expect((await call('GET', '/runtime/nothing')).status).toBe(404);
  });

  it('answers carry Content-Length and keep the connection (aws-lambda-cpp needs both)', async () => {
    server = await listenRuntimeApi(recorder().events);
    server.deliver(inv('req-1'));
    const [, port] = server.address.split(':');
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1');
      let text = '';
      s.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('{"status":"OK"}')) {
          resolve(text);
          s.destroy();
        }
      });
      s.write('GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n');
      // Pipelined, with an Expect header that is not 100-continue.
      s.write(
        'POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nHost: x\r\nExpect: x\r\ncontent-length: 2\r\n\r\n{}',
      );
    });
    const answers = raw.split('HTTP/1.1 ').filter(Boolean);
    expect(answers).toHaveLength(2);
    for (const a of answers) {
      expect(a).toMatch(/content-length: \d+/i);
      expect(a).not.toMatch(/transfer-encoding/i);
      expect(a).toMatch(/connection: keep-alive/i);
    }
  });
});
