/**
 * The receiving end of cluster links (src/cluster/forwarding.ts, link-frames.ts): a TCP
 * listener on the cluster port. A link must prove it holds the cluster's secret (after
 * this node proved it first) before any of its invokes runs; each invoke then runs on a
 * free provisioned environment of this node, or is declined (the sender runs it itself);
 * a terminate stops an async event this node holds.
 * A link that sends anything else before its proof, a malformed frame or an oversized
 * one is closed, with a warning in the log.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ClusterPool } from '../cluster/cluster-pool.js';
import { forwardedOf, outcomeFrame } from '../cluster/forwarding.js';
import {
  FrameReader,
  FrameType,
  encodeFrame,
  isNonce,
  newNonce,
  proof,
  proofHolds,
  type Frame,
} from '../cluster/link-frames.js';
import { isPlatformError } from '../core/errors.js';

/** A connection that has not proved itself within this long is closed. */
const HANDSHAKE_MS = 10_000;
/**
 * Connections not yet proved, at most, from one address and in all: a further one is
 * closed at once, so connections that never prove anything cannot take every file
 * descriptor (a node has one link per other node, proved within a round trip).
 */
export const MAX_UNPROVED_PER_ADDRESS = 16;
export const MAX_UNPROVED = 256;
/** A refused connection is logged at most this often. */
const REFUSAL_LOG_MS = 10_000;

export interface ClusterLinks {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenClusterLinks(o: {
  readonly pool: Pick<ClusterPool, 'invokeForwarded'>;
  /** Stops an async event this node holds (SCF TerminateAsyncEvent asked on another node). */
  readonly terminate?: (requestId: string) => Promise<boolean>;
  readonly secret: string;
  readonly log: Logger;
  readonly host: string;
  readonly port: number;
}): Promise<ClusterLinks> {
  const sockets = new Set<net.Socket>();
  const unproved = new Map<string, number>();
  let unprovedAll = 0;
  let loggedAt = -Infinity;
  const server = net.createServer({ noDelay: true }, (socket) => {
    const peer = socket.remoteAddress ?? '';
    if (unprovedAll >= MAX_UNPROVED || (unproved.get(peer) ?? 0) >= MAX_UNPROVED_PER_ADDRESS) {
      if (performance.now() - loggedAt > REFUSAL_LOG_MS) {
        loggedAt = performance.now();
        o.log.warn(
          { peer },
          'cluster link refused: too many connections that have not proved the cluster secret',
        );
      }
      socket.destroy();
      return;
    }
    unprovedAll++;
    unproved.set(peer, (unproved.get(peer) ?? 0) + 1);
    let counted = true;
    const proved = (): void => {
      if (counted) {
        counted = false;
        unprovedAll--;
        const left = (unproved.get(peer) ?? 1) - 1;
        if (left === 0) {
          unproved.delete(peer);
        } else {
          unproved.set(peer, left);
        }
      }
    };
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      proved();
    });
    serveLink(socket, { ...o, proved });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          s.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

function serveLink(
  socket: net.Socket,
  o: {
    readonly pool: Pick<ClusterPool, 'invokeForwarded'>;
    readonly terminate?: (requestId: string) => Promise<boolean>;
    readonly secret: string;
    readonly log: Logger;
    /** Called once the link has proved itself (it no longer counts as unproved). */
    readonly proved: () => void;
  },
): void {
  const reader = new FrameReader();
  const nonce = newNonce();
  let theirs: string | undefined;
  let trusted = false;
  const refuse = (why: string): void => {
    o.log.warn({ peer: socket.remoteAddress }, `cluster link refused: ${why}`);
    socket.destroy();
  };
  const timer = setTimeout(() => refuse('no proof of the cluster secret in time'), HANDSHAKE_MS);
  timer.unref();
  socket.on('error', () => undefined);
  socket.on('close', () => clearTimeout(timer));
  const write = (buffers: Buffer[]): void => {
    if (!socket.destroyed) {
      for (const b of buffers) {
        socket.write(b);
      }
    }
  };
  const handshake = (f: Frame): boolean => {
    const meta = f.meta as { nonce?: unknown; proof?: unknown } | null;
    if (theirs === undefined) {
      if (f.type !== FrameType.Hello || meta === null || !isNonce(meta.nonce)) {
        return false;
      }
      theirs = meta.nonce;
      write(encodeFrame(FrameType.Hello, 0, { nonce, proof: proof(o.secret, 'called', theirs, nonce) }));
      return true;
    }
    if (
      f.type !== FrameType.Auth ||
      meta === null ||
      !proofHolds(proof(o.secret, 'caller', nonce, theirs), meta.proof)
    ) {
      return false;
    }
    trusted = true;
    o.proved();
    reader.handshakeDone();
    clearTimeout(timer);
    return true;
  };
  const run = (f: Frame): void => {
    const forwarded = forwardedOf(f);
    o.pool.invokeForwarded(forwarded).then(
      (outcome) =>
        write(
          outcome === undefined
            ? encodeFrame(FrameType.Declined, f.id, { reason: 'no free provisioned environment' })
            : outcomeFrame(f.id, outcome),
        ),
      (e: unknown) => {
        if (!isPlatformError(e)) {
          o.log.error({ err: e, requestId: forwarded.requestId }, 'forwarded invoke failed');
        }
        write(encodeFrame(FrameType.Declined, f.id, { reason: isPlatformError(e) ? e.code : 'failed' }));
      },
    );
  };
  const stop = (f: Frame): void => {
    const requestId = (f.meta as { requestId?: unknown } | null)?.requestId;
    const answer = (ok: boolean): void => write(encodeFrame(FrameType.Terminated, f.id, { ok }));
    if (typeof requestId !== 'string' || o.terminate === undefined) {
      answer(false);
      return;
    }
    o.terminate(requestId).then(answer, (e: unknown) => {
      o.log.error({ err: e, requestId }, 'terminating an async event for another node failed');
      answer(false);
    });
  };
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const f of reader.push(chunk)) {
        if (!trusted) {
          if (!handshake(f)) {
            refuse('bad or missing proof of the cluster secret');
            return;
          }
        } else if (f.type === FrameType.Invoke) {
          run(f);
        } else if (f.type === FrameType.Terminate) {
          stop(f);
        } else {
          refuse(`unexpected frame type ${f.type}`);
          return;
        }
      }
    } catch (e) {
      refuse(`malformed frame (${(e as Error).message})`);
    }
  });
}
