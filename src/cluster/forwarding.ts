/**
 * Invokes sent from one node to another's free provisioned environment, over a cluster
 * link: one TCP connection to the other node's cluster port (`--cluster-port`, advertised
 * in the database), authenticated once when it opens (link-frames.ts), carrying any number
 * of invokes at once as frames. An invoke travels without its environment spec (paths are
 * the receiver's own: it runs the config with its own spec, named by its key); its payload
 * is the frame's payload, untouched. The receiving end is server/cluster-links.ts.
 *
 * Answers: the outcome; "declined" when the receiver has no free environment of the config
 * after all (the sender then runs the invoke itself, on demand). A node that cannot be
 * reached, or does not prove it holds the cluster's secret, runs nothing: the sender runs
 * the invoke itself. When the receiver dies (or leaves the live set) mid-invoke, the caller
 * gets what a single node answers for an environment that was killed: Lambda's
 * Runtime.ExitError, "signal: killed".
 *
 * An HTTP request per forwarded invoke (the design before) made a forwarded invoke
 * 1.69–1.79× a local one; these frames make it 1.18–1.23× (`node bench/cluster.mjs`). Where
 * the HTTP hop's time went (client request object, the receiver's front door, a signature
 * per message) was timed once, by hand, in the built server.
 */
import net from 'node:net';
import type { InvocationOutcome, InvokeRequest } from '../core/ports.js';
import {
  FrameError,
  FrameReader,
  FrameType,
  encodeFrame,
  isNonce,
  newNonce,
  proof,
  proofHolds,
  type Frame,
} from './link-frames.js';

/** An invoke without its spec (the receiver's paths differ): the spec's key says which one. */
export type ForwardedInvoke = Omit<InvokeRequest, 'spec'> & {
  readonly provisionedKey: string;
  readonly specKey: string;
};

/** How long a link may take to connect and prove the other end before its invokes run here. */
const HANDSHAKE_MS = 3000;
/** How long past the function's timeout a forwarded invoke's answer is waited for. */
const LATE_MS = 10_000;

/** What a caller hears when the node running its invocation died mid-invoke. */
export function nodeLostOutcome(req: InvokeRequest): InvocationOutcome {
  const errorType = 'Runtime.ExitError';
  const errorMessage = `RequestId: ${req.requestId} Error: Runtime exited with error: signal: killed`;
  return {
    kind: 'function-error',
    errorType,
    payload: Buffer.from(JSON.stringify({ errorType, errorMessage })),
    requestId: req.requestId,
    executedVersion: req.spec.version,
    durationMs: 0,
    initializationType: 'provisioned-concurrency',
  };
}

/** The frame of an invoke: its fields but the spec (its key instead) and the payload. */
export function invokeFrame(id: number, req: InvokeRequest & { provisionedKey: string }): Buffer[] {
  const { spec, payload, ...rest } = req;
  return encodeFrame(FrameType.Invoke, id, { ...rest, specKey: spec.key }, payload);
}

export function forwardedOf(frame: Frame): ForwardedInvoke {
  const meta = frame.meta as Omit<ForwardedInvoke, 'payload'> | null;
  if (
    meta === null ||
    typeof meta !== 'object' ||
    typeof meta.provisionedKey !== 'string' ||
    typeof meta.specKey !== 'string' ||
    typeof meta.requestId !== 'string'
  ) {
    throw new FrameError('an invoke without its keys');
  }
  return { ...meta, payload: frame.payload };
}

export function outcomeFrame(id: number, outcome: InvocationOutcome): Buffer[] {
  const { payload, ...rest } = outcome;
  return encodeFrame(FrameType.Outcome, id, rest, payload);
}

interface Pending {
  readonly frame: Buffer[];
  /** Handed to the socket: from then on the request may have been carried out over there. */
  written: boolean;
  /** The answer arrived. */
  readonly answer: (f: Frame) => void;
  /** The link closed first. */
  readonly lost: (written: boolean) => void;
}

/** One authenticated connection to another node, many invokes at once. */
class Link {
  readonly #socket: net.Socket;
  readonly #reader = new FrameReader();
  readonly #pending = new Map<number, Pending>();
  readonly #nonce = newNonce();
  #nextId = 1;
  #open = false;
  #closed = false;

  constructor(
    address: string,
    private readonly secret: string,
    private readonly lateMs: number,
    private readonly onClosed: (link: Link) => void,
  ) {
    const { host, port } = parseAddress(address);
    this.#socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => this.close(), HANDSHAKE_MS);
    timer.unref();
    this.#socket.on('connect', () => this.#write(encodeFrame(FrameType.Hello, 0, { nonce: this.#nonce })));
    this.#socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.#reader.push(chunk);
      } catch {
        this.close();
        return;
      }
      for (const f of frames) {
        if (!this.#open) {
          if (!this.#handshake(f)) {
            this.close();
            return;
          }
          clearTimeout(timer);
        } else {
          this.#answer(f);
        }
      }
    });
    this.#socket.on('error', () => undefined);
    this.#socket.on('close', () => {
      clearTimeout(timer);
      this.close();
    });
  }

  send(req: InvokeRequest & { provisionedKey: string }): Promise<InvocationOutcome | undefined> {
    return new Promise((resolve) => {
      const id = this.#id();
      // A link silently cut (no reset, the node still beating) is not waited on past the
      // function's own timeout: the invocation is then as good as lost.
      const deadline = setTimeout(
        () => {
          if (this.#pending.delete(id)) {
            resolve(nodeLostOutcome(req));
          }
        },
        req.spec.timeoutSec * 1000 + this.lateMs,
      );
      deadline.unref();
      const settle = (o: InvocationOutcome | undefined): void => {
        clearTimeout(deadline);
        resolve(o);
      };
      this.#request(id, {
        frame: invokeFrame(id, req),
        written: false,
        answer: (f) => {
          if (f.type === FrameType.Outcome && f.meta !== null && typeof f.meta === 'object') {
            settle({
              ...(f.meta as Omit<InvocationOutcome, 'payload'>),
              payload: f.payload,
            } as InvocationOutcome);
          } else {
            settle(f.type === FrameType.Declined ? undefined : nodeLostOutcome(req));
          }
        },
        lost: (written) => settle(written ? nodeLostOutcome(req) : undefined),
      });
    });
  }

  /** Asks the node to stop an async event it holds; false: not pending there, or unreachable. */
  terminate(requestId: string): Promise<boolean> {
    return new Promise((resolve) => {
      const id = this.#id();
      this.#request(id, {
        frame: encodeFrame(FrameType.Terminate, id, { requestId }),
        written: false,
        answer: (f) =>
          resolve(f.type === FrameType.Terminated && (f.meta as { ok?: unknown } | null)?.ok === true),
        lost: () => resolve(false),
      });
    });
  }

  #id(): number {
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  #request(id: number, p: Pending): void {
    if (this.#closed) {
      p.lost(false);
      return;
    }
    this.#pending.set(id, p);
    if (this.#open) {
      this.#write(p.frame);
      p.written = true;
    }
  }

  /** Ends the link: invokes not sent run at the caller; invokes sent are lost with the node. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#socket.destroy();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.lost(p.written);
    }
    this.onClosed(this);
  }

  /** The called node's hello: its proof over this link's nonce, then this side's. */
  #handshake(f: Frame): boolean {
    const meta = f.meta as { nonce?: unknown; proof?: unknown } | null;
    if (f.type !== FrameType.Hello || meta === null || !isNonce(meta.nonce)) {
      return false;
    }
    if (!proofHolds(proof(this.secret, 'called', this.#nonce, meta.nonce), meta.proof)) {
      return false;
    }
    this.#open = true;
    this.#reader.handshakeDone();
    this.#socket.cork();
    this.#write(
      encodeFrame(FrameType.Auth, 0, { proof: proof(this.secret, 'caller', meta.nonce, this.#nonce) }),
    );
    for (const p of this.#pending.values()) {
      this.#write(p.frame);
      p.written = true;
    }
    this.#socket.uncork();
    return true;
  }

  #answer(f: Frame): void {
    const p = this.#pending.get(f.id);
    if (p !== undefined) {
      this.#pending.delete(f.id);
      p.answer(f);
    }
  }

  #write(buffers: Buffer[]): void {
    for (const b of buffers) {
      this.#socket.write(b);
    }
  }
}

/** `host:port`, `[v6]:port`. */
export function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
}

/** Sends forwarded invokes over one link per node, opened when first needed. */
export class Forwarder {
  readonly #secret: string;
  readonly #lateMs: number;
  readonly #links = new Map<string, Link>();

  /** `lateMs`: how long past the function's timeout an answer is waited for (default 10 s). */
  constructor(secret: string, o: { readonly lateMs?: number } = {}) {
    this.#secret = secret;
    this.#lateMs = o.lateMs ?? LATE_MS;
  }

  /**
   * The outcome from the node at `address` (its cluster port); undefined when it had no
   * free environment or could not be reached before the invoke was sent (the caller runs it
   * itself). A node lost after the invoke went out answers nodeLostOutcome: the invocation
   * may have run.
   */
  send(
    address: string,
    req: InvokeRequest & { provisionedKey: string },
  ): Promise<InvocationOutcome | undefined> {
    return this.#link(address).send(req);
  }

  #link(address: string): Link {
    let link = this.#links.get(address);
    if (link === undefined) {
      const made = new Link(address, this.#secret, this.#lateMs, (closed) => {
        if (this.#links.get(address) === closed) {
          this.#links.delete(address);
        }
      });
      this.#links.set(address, made);
      link = made;
    }
    return link;
  }

  /** Asks the node at `address` to stop an async event it holds (SCF TerminateAsyncEvent). */
  terminate(address: string, requestId: string): Promise<boolean> {
    return this.#link(address).terminate(requestId);
  }

  /** Closes the links to nodes not in `live` (their invokes in flight are lost with them). */
  retain(live: ReadonlySet<string>): void {
    for (const [address, link] of this.#links) {
      if (!live.has(address)) {
        link.close();
      }
    }
  }

  close(): void {
    for (const link of [...this.#links.values()]) {
      link.close();
    }
  }
}
