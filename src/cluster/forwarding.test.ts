import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnvironmentSpec, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import { FORWARD_PATH, Forwarder, decodeInvoke, encodeInvoke, encodeOutcome } from './forwarding.js';

const SECRET = 'a'.repeat(64);

const req: InvokeRequest & { provisionedKey: string } = {
  spec: { key: 'spec-1', version: '3' } as EnvironmentSpec,
  requestId: 'r-1',
  payload: Buffer.from('{"x":1}'),
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f:BLUE',
  wantLog: false,
  provisionedKey: 'pk',
  admission: { scopeKey: 's', functionKey: 'f', provisionedTotal: 1, unreservedCapacity: 10 },
};

const outcome: InvocationOutcome = {
  kind: 'success',
  payload: Buffer.from('"ok"'),
  contentType: 'application/json',
  requestId: 'r-1',
  executedVersion: '3',
  durationMs: 1.5,
  initializationType: 'provisioned-concurrency',
};

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A node's endpoint that answers each forwarded invoke with `answer`. */
async function node(
  answer: (r: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
): Promise<string> {
  const server = http.createServer((r, res) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => answer(r, res, Buffer.concat(chunks)));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('forwarded invokes', () => {
  it('carry the invoke signed, without its spec but with its key, and bring the outcome back', async () => {
    let seen: ReturnType<typeof decodeInvoke>;
    const url = await node((r, res, body) => {
      expect(r.url).toBe(FORWARD_PATH);
      seen = decodeInvoke(SECRET, r.headers, body);
      const wire = encodeOutcome(outcome);
      res.writeHead(200, wire.headers).end(wire.body);
    });
    const f = new Forwarder(SECRET);
    expect(await f.send(url, req)).toEqual(outcome);
    expect(seen).toEqual({
      requestId: 'r-1',
      payload: Buffer.from('{"x":1}'),
      invokedFunctionArn: req.invokedFunctionArn,
      wantLog: false,
      provisionedKey: 'pk',
      specKey: 'spec-1',
      admission: req.admission,
    });
    f.close();
  });

  it('refuse a wrong secret, a payload or metadata changed after signing, and a stale signature', () => {
    const now = Date.now();
    const wire = encodeInvoke(SECRET, req, now);
    expect(decodeInvoke(SECRET, wire.headers, wire.body, now)).toBeDefined();
    expect(decodeInvoke('b'.repeat(64), wire.headers, wire.body, now)).toBeUndefined();
    expect(decodeInvoke(SECRET, wire.headers, Buffer.from('{"x":2}'), now)).toBeUndefined();
    const other = encodeInvoke(SECRET, { ...req, provisionedKey: 'elsewhere' }, now);
    expect(
      decodeInvoke(
        SECRET,
        { ...wire.headers, 'x-hearth-invoke': other.headers['x-hearth-invoke'] },
        wire.body,
        now,
      ),
    ).toBeUndefined();
    expect(decodeInvoke(SECRET, wire.headers, wire.body, now + 6 * 60_000)).toBeUndefined();
    expect(decodeInvoke(SECRET, {}, wire.body, now)).toBeUndefined();
  });

  it('come back undefined when the node has no free environment (409) or cannot be reached', async () => {
    const busy = await node((_r, res) => res.writeHead(409).end('no free provisioned environment'));
    const f = new Forwarder(SECRET);
    expect(await f.send(busy, req)).toBeUndefined();
    const closed = await node(() => undefined);
    const server = servers.pop() as http.Server;
    server.close();
    await once(server, 'close');
    expect(await f.send(closed, req)).toBeUndefined();
    f.close();
  });

  it("answer a killed environment's Runtime.ExitError when the node dies mid-invoke", async () => {
    const dying = await node((r) => r.socket.destroy());
    const f = new Forwarder(SECRET);
    const got = await f.send(dying, req);
    expect(got).toMatchObject({
      kind: 'function-error',
      errorType: 'Runtime.ExitError',
      executedVersion: '3',
    });
    expect(JSON.parse(got?.payload.toString() ?? '{}')).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: r-1 Error: Runtime exited with error: signal: killed',
    });
    f.close();
  });
});
