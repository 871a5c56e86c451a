import net from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnvironmentSpec, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import { PlatformError } from '../core/errors.js';
import { Forwarder, type ForwardedInvoke } from '../cluster/forwarding.js';
import { FrameReader, FrameType, encodeFrame } from '../cluster/link-frames.js';
import { MAX_UNPROVED_PER_ADDRESS, listenClusterLinks, type ClusterLinks } from './cluster-links.js';

const SECRET = 'a'.repeat(64);

const request = (n: number): InvokeRequest & { provisionedKey: string } => ({
  spec: { key: 'spec-1', version: '3', timeoutSec: 3 } as EnvironmentSpec,
  requestId: `r-${n}`,
  payload: Buffer.from(JSON.stringify({ n })),
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f:BLUE',
  wantLog: false,
  provisionedKey: 'pk',
  admission: { scopeKey: 's', functionKey: 'f', provisionedTotal: 1, unreservedCapacity: 10 },
});

const outcomeOf = (req: ForwardedInvoke): InvocationOutcome => ({
  kind: 'success',
  payload: Buffer.concat([Buffer.from('ran '), req.payload]),
  contentType: 'application/json',
  requestId: req.requestId,
  executedVersion: '3',
  durationMs: 1.5,
  initializationType: 'provisioned-concurrency',
});

const warnings: string[] = [];
const log = pino(
  { level: 'warn' },
  { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) },
);

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) {
    await o.close();
  }
  warnings.length = 0;
});

/** A node's cluster port whose pool answers with `invoke`. */
async function node(
  invoke: (req: ForwardedInvoke) => Promise<InvocationOutcome | undefined>,
  secret = SECRET,
  terminate?: (requestId: string) => Promise<boolean>,
): Promise<{ address: string; links: ClusterLinks; seen: ForwardedInvoke[] }> {
  const seen: ForwardedInvoke[] = [];
  const links = await listenClusterLinks({
    pool: {
      invokeForwarded: (req) => {
        seen.push(req);
        return invoke(req);
      },
    },
    ...(terminate === undefined ? {} : { terminate }),
    secret,
    log,
    host: '127.0.0.1',
    port: 0,
  });
  open.push(links);
  return { address: `127.0.0.1:${links.port}`, links, seen };
}

function forwarder(secret = SECRET, lateMs?: number): Forwarder {
  const f = new Forwarder(secret, lateMs === undefined ? {} : { lateMs });
  open.push(f);
  return f;
}

describe('cluster links', () => {
  it('carry invokes without their spec but with its key, many at once, and bring each outcome back', async () => {
    // Answers come back out of order: the last invoke is answered first.
    const n = await node(async (req) => {
      const i = (JSON.parse(req.payload.toString()) as { n: number }).n;
      await new Promise((r) => setTimeout(r, (20 - i) * 2));
      return outcomeOf(req);
    });
    const f = forwarder();
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => f.send(n.address, request(i))));
    expect(outs.map((o) => o?.payload.toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `ran {"n":${i}}`),
    );
    expect(outs[3]).toEqual(outcomeOf({ ...request(3), specKey: 'spec-1' }));
    const { spec: _spec, ...rest } = request(0);
    expect(n.seen.find((s) => s.requestId === 'r-0')).toEqual({ ...rest, specKey: 'spec-1' });
    // One link carried them all; a later invoke reuses it.
    expect(await f.send(n.address, request(99))).toMatchObject({ requestId: 'r-99' });
  });

  it('come back undefined when the node declines, refuses with a platform error, or cannot be reached', async () => {
    const busy = await node(() => Promise.resolve(undefined));
    const f = forwarder();
    expect(await f.send(busy.address, request(1))).toBeUndefined();
    const refusing = await node(() => Promise.reject(new PlatformError('THROTTLED_ACCOUNT', {})));
    expect(await f.send(refusing.address, request(2))).toBeUndefined();
    const gone = await node(() => Promise.resolve(undefined));
    await gone.links.close();
    expect(await f.send(gone.address, request(3))).toBeUndefined();
  });

  it('run nothing unless both ends hold the secret', async () => {
    const n = await node((req) => Promise.resolve(outcomeOf(req)));
    // A caller with another secret cannot check the node's proof: it sends nothing, and the
    // invoke runs at the caller.
    expect(await forwarder('b'.repeat(64)).send(n.address, request(1))).toBeUndefined();
    expect(n.seen).toHaveLength(0);
    // A node with another secret: the caller does not trust it, and sends it nothing.
    const impostor = await node((req) => Promise.resolve(outcomeOf(req)), 'c'.repeat(64));
    expect(await forwarder().send(impostor.address, request(2))).toBeUndefined();
    expect(impostor.seen).toHaveLength(0);
  });

  it('close a connection that sends an invoke before its proof, a wrong proof or garbage, and keep serving', async () => {
    const n = await node((req) => Promise.resolve(outcomeOf(req)));
    const port = Number(n.address.split(':')[1]);
    const raw = net.connect({ host: '127.0.0.1', port });
    await once(raw, 'connect');
    raw.write(Buffer.concat(encodeFrame(FrameType.Hello, 0, { nonce: '0'.repeat(48) })));
    // The node's hello comes back; an invoke instead of the proof closes the link.
    const reader = new FrameReader();
    const [hello] = reader.push((await once(raw, 'data'))[0] as Buffer);
    expect(hello?.type).toBe(FrameType.Hello);
    raw.write(
      Buffer.concat(encodeFrame(FrameType.Invoke, 1, { requestId: 'x', provisionedKey: 'pk', specKey: 's' })),
    );
    await once(raw, 'close');
    expect(warnings).toContain('cluster link refused: bad or missing proof of the cluster secret');
    // A proof made with another secret: the same.
    const wrong = net.connect({ host: '127.0.0.1', port });
    await once(wrong, 'connect');
    wrong.write(Buffer.concat(encodeFrame(FrameType.Hello, 0, { nonce: '1'.repeat(48) })));
    await once(wrong, 'data');
    wrong.write(Buffer.concat(encodeFrame(FrameType.Auth, 0, { proof: 'f'.repeat(64) })));
    await once(wrong, 'close');
    const junk = net.connect({ host: '127.0.0.1', port });
    junk.on('error', () => undefined);
    junk.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await once(junk, 'close');
    expect(n.seen).toHaveLength(0);
    expect(await forwarder().send(n.address, request(1))).toMatchObject({ kind: 'success' });
  });

  it('close at once a connection beyond the unproved ones an address may hold, and serve again once they go', async () => {
    const n = await node((req) => Promise.resolve(outcomeOf(req)));
    const port = Number(n.address.split(':')[1]);
    const silent: net.Socket[] = [];
    for (let i = 0; i < MAX_UNPROVED_PER_ADDRESS; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      await once(s, 'connect');
      silent.push(s);
    }
    // The node's side accepts them in order: one more is closed by the node, unanswered.
    const extra = net.connect({ host: '127.0.0.1', port });
    extra.on('error', () => undefined);
    await once(extra, 'close');
    expect(warnings).toContain(
      'cluster link refused: too many connections that have not proved the cluster secret',
    );
    expect(await forwarder().send(n.address, request(1))).toBeUndefined();
    for (const s of silent) {
      s.destroy();
    }
    // Once they are gone a node with the secret links again (a new forwarder: the first
    // one's link was refused).
    await expect
      .poll(() => forwarder().send(n.address, request(2)), { timeout: 5_000 })
      .toMatchObject({ kind: 'success' });
  });

  it("answer a killed environment's Runtime.ExitError when the node dies or leaves mid-invoke", async () => {
    let started = (): void => undefined;
    const running = new Promise<void>((r) => (started = r));
    const dying = await node(async () => {
      started();
      return new Promise<undefined>(() => undefined);
    });
    const f = forwarder();
    const pending = f.send(dying.address, request(1));
    await running;
    await dying.links.close();
    const got = await pending;
    expect(got).toMatchObject({
      kind: 'function-error',
      errorType: 'Runtime.ExitError',
      executedVersion: '3',
    });
    expect(JSON.parse(got?.payload.toString() ?? '{}')).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: r-1 Error: Runtime exited with error: signal: killed',
    });
    // A node that stops beating (alive, silent) leaves the live set: its link is closed.
    let stalled = (): void => undefined;
    const stalling = new Promise<void>((r) => (stalled = r));
    const silent = await node(async () => {
      stalled();
      return new Promise<undefined>(() => undefined);
    });
    const inFlight = f.send(silent.address, request(2));
    await stalling;
    f.retain(new Set([dying.address]));
    expect(await inFlight).toMatchObject({ errorType: 'Runtime.ExitError', requestId: 'r-2' });
  });

  it("stop waiting for a node's answer past the function's timeout (a link cut without a reset)", async () => {
    const mute = await node(() => new Promise<undefined>(() => undefined));
    // The function's 3 s are over at once; 50 ms later the invoke is given up as lost.
    const f = forwarder(SECRET, -2950);
    const t0 = performance.now();
    expect(await f.send(mute.address, request(1))).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(performance.now() - t0).toBeLessThan(2900);
  });

  it('carry a terminate of an async event to the node holding it, and its answer back', async () => {
    const held = new Set(['e-1']);
    const n = await node(
      () => Promise.resolve(undefined),
      SECRET,
      (requestId) => Promise.resolve(held.delete(requestId)),
    );
    const f = forwarder();
    expect(await f.terminate(n.address, 'e-1')).toBe(true);
    expect(held.size).toBe(0);
    expect(await f.terminate(n.address, 'e-1')).toBe(false);
    // A node that cannot terminate anything, and one that is gone, answer false.
    const plain = await node(() => Promise.resolve(undefined));
    expect(await f.terminate(plain.address, 'e-2')).toBe(false);
    await plain.links.close();
    expect(await f.terminate(plain.address, 'e-2')).toBe(false);
  });
});
