/**
 * The front door on a real socket: connections stay alive across requests whose body is
 * not read, an oversized body closes the connection instead of being drained, and paths
 * that cannot be decoded get an AWS-form error rather than a framework page.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { AWS_FALLBACK } from '../../src/dialects/aws-lambda/index.js';
import { createFrontDoor, isDataPlane } from '../../src/server/front-door.js';
import { startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

let p: TestPlatform;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  p = await startPlatform();
});

afterAll(async () => {
  agent.destroy();
  await p.dispose();
});

function request(method: string, path: string, body?: Buffer) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: unknown }>(
    (resolve, reject) => {
      // Node frames a DELETE body only when told its length.
      const headers = body === undefined ? {} : { 'content-length': String(body.length) };
      const req = http.request(`${p.url}${path}`, { method, agent, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socket: req.socket }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

it('keeps the connection alive for GETs and for bodies an operation ignores', async () => {
  const a = await request('GET', '/_hearth/health');
  const b = await request('GET', '/2015-03-31/functions');
  const c = await request('DELETE', '/2017-03-31/tags/x', Buffer.from('{"ignored":true}'));
  const d = await request('GET', '/_hearth/health');
  expect([a.status, b.status, d.status]).toEqual([200, 200, 200]);
  expect(c.status).toBe(400);
  for (const r of [a, b, c]) {
    expect(r.headers.connection).not.toBe('close');
  }
  expect(new Set([a.socket, b.socket, c.socket, d.socket]).size).toBe(1);
});

it('closes the connection after refusing an oversized body', async () => {
  const res = await request('POST', '/2015-03-31/functions/x/invocations', Buffer.alloc(6_291_457, 0x20));
  expect(res.status).toBe(413);
  expect(res.headers.connection).toBe('close');
});

it('reads and drops what a client still sends after its oversized body was refused, so it gets the 413, not a reset', async () => {
  // Declares 7 MB for an invoke (limit 6 MB), then keeps writing after the answer came.
  const total = 7 * 1024 * 1024;
  const url = new URL(`${p.url}/2015-03-31/functions/nope/invocations`);
  // A client that does not look at what comes back while it uploads (it keeps its end open).
  const socket = net.connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true });
  await once(socket, 'connect');
  socket.write(
    `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n`,
  );
  let reply = '';
  let reset: Error | undefined;
  socket.on('error', (e) => (reset = e));
  const answered = new Promise<void>((resolve) =>
    socket.on('data', (c: Buffer) => {
      reply += c.toString();
      if (reply.includes('\r\n\r\n')) {
        resolve();
      }
    }),
  );
  await answered;
  expect(reply).toMatch(/^HTTP\/1\.1 413 /);
  expect(reply.toLowerCase()).toContain('connection: close');
  // The client did not read the answer before writing: it sends the whole body now.
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  for (let sent = 0; sent < total && !socket.destroyed; sent += chunk.length) {
    if (!socket.write(chunk)) {
      await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    }
  }
  socket.end();
  await once(socket, 'close');
  expect(reset).toBeUndefined();
});

it('answers an undecodable path in the AWS error form, the same on both lanes', async () => {
  const get = await request('GET', '/2015-03-31/functions/%E0%A4%A/configuration');
  const invoke = await request('POST', '/2015-03-31/functions/%E0%A4%A/invocations', Buffer.from('{}'));
  for (const res of [get, invoke]) {
    expect(res.status).toBe(400);
    expect(res.headers['x-amzn-errortype']).toBe('ValidationException');
    expect(JSON.parse(res.body)).toMatchObject({ __type: 'ValidationException' });
  }
});

it('answers a path no dialect knows in the AWS form, with a request id', async () => {
  const res = await request('POST', '/nope/invocations', Buffer.from('{}'));
  expect(res.status).toBe(404);
  expect(res.headers['x-amzn-errortype']).toBe('UnknownOperationException');
  expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.parse(res.body)).toEqual({
    Type: 'User',
    message: 'No operation matches POST /nope/invocations',
    __type: 'UnknownOperationException',
  });
});

describe('the invoke data plane (answered on node:http, not through fastify)', () => {
  it('is told apart by method, path and SCF action', () => {
    const req = (method: string, url: string, headers: Record<string, string> = {}) =>
      ({ method, url, headers }) as unknown as http.IncomingMessage;
    expect(isDataPlane(req('POST', '/2015-03-31/functions/f/invocations'))).toBe(true);
    expect(isDataPlane(req('POST', '/2015-03-31/functions/f/invocations?Qualifier=live'))).toBe(true);
    expect(isDataPlane(req('POST', '/', { 'x-tc-action': 'Invoke' }))).toBe(true);
    expect(isDataPlane(req('GET', '/2015-03-31/functions/f/invocations'))).toBe(false);
    expect(isDataPlane(req('POST', '/', { 'x-tc-action': 'CreateFunction' }))).toBe(false);
    expect(isDataPlane(req('POST', '/2015-03-31/functions'))).toBe(false);
    expect(isDataPlane(req('POST', '/?x=/invocations'))).toBe(false);
  });

  it('answers errors in the same wire form as the rest, on a connection that stays open', async () => {
    const invoke = await request('POST', '/2015-03-31/functions/nope/invocations', Buffer.from('{}'));
    const get = await request('GET', '/2015-03-31/functions/nope');
    for (const r of [invoke, get]) {
      expect(r.status).toBe(404);
      expect(r.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
      expect(r.headers.connection).not.toBe('close');
      expect(JSON.parse(r.body)).toMatchObject({ Type: 'User', __type: 'ResourceNotFoundException' });
    }
    expect(invoke.socket).toBe(get.socket);
  });

  it('answers an undecodable function name in the AWS error form', async () => {
    const res = await request('POST', '/2015-03-31/functions/%E0%A4%A/invocations', Buffer.from('{}'));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['x-amzn-errortype']).toBeDefined();
    expect(JSON.parse(res.body)).toHaveProperty('message');
  });
});

describe('a response node cannot write', () => {
  it('is a 500 on either lane, and the server keeps serving', async () => {
    const logger = pino({ level: 'silent' });
    let bad = true;
    const app = createFrontDoor({
      logger,
      fallback: AWS_FALLBACK,
      dialects: [
        {
          name: 'test',
          matches: () => true,
          handle: () =>
            Promise.resolve(
              bad
                ? { status: 200, headers: { 'x-bad': 'caf\u0100' }, body: '{}' }
                : { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' },
            ),
        },
      ],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
      const fast = await fetch(`${base}/2015-03-31/functions/f/invocations`, { method: 'POST', body: '{}' });
      const slow = await fetch(`${base}/2015-03-31/functions/f`);
      expect([fast.status, slow.status]).toEqual([500, 500]);
      expect(fast.headers.get('x-amzn-errortype')).toBe('ServiceException');
      expect(fast.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await fast.json()).toEqual({
        Type: 'Service',
        Message: 'An internal error occurred. The error has been logged.',
        __type: 'ServiceException',
      });
      bad = false;
      const ok = await fetch(`${base}/2015-03-31/functions/f/invocations`, { method: 'POST', body: '{}' });
      expect(ok.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

it('answers HEAD on a code download with the length GET sends', async () => {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: 'head-probe',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/r',
      Code: { ZipFile: await makeZip({ 'index.mjs': 'export const handler = async () => 1;' }) },
    }),
  );
  const fn = await p.client.send(new GetFunctionCommand({ FunctionName: 'head-probe' }));
  const location = fn.Code?.Location ?? '';
  const get = await fetch(location);
  const bytes = Buffer.from(await get.arrayBuffer());
  const head = await fetch(location, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(Number(head.headers.get('content-length'))).toBe(bytes.length);
  expect(bytes.length).toBeGreaterThan(0);
});
