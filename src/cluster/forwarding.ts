/**
 * Invokes sent from one node to another's free provisioned environment: one HTTP POST to
 * `/_hearth/cluster/invoke` on the receiving node's own port, signed with the cluster's
 * secret (HMAC-SHA256 over a timestamp and the body; cluster-db.ts keeps the secret), so
 * only nodes of the cluster can run code this way. The body carries the invoke without its
 * environment spec (paths are the receiver's own: it runs the config with its own spec).
 *
 * Answers: 200 with the outcome; 409 when the receiver has no free environment of the
 * config after all (the sender then runs the invoke itself, on demand); 403 for a bad
 * signature. When the receiver dies mid-invoke, the caller gets what a single node answers
 * for an environment that was killed: Lambda's Runtime.ExitError, "signal: killed".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { InvocationOutcome, InvokeRequest } from '../core/ports.js';

export const FORWARD_PATH = '/_hearth/cluster/invoke';
const SIGNATURE = 'x-hearth-cluster-signature';
/** A signed request older (or newer) than this is refused: nodes' clocks agree to within it. */
const MAX_SKEW_MS = 5 * 60_000;

export type ForwardedInvoke = Omit<InvokeRequest, 'spec'> & { readonly provisionedKey: string };

interface WireInvoke extends Omit<ForwardedInvoke, 'payload'> {
  readonly payload: string;
}

type WireOutcome = Omit<InvocationOutcome, 'payload'> & { readonly payload: string };

function sign(secret: string, at: string, body: Buffer): string {
  return createHmac('sha256', secret).update(at).update('\n').update(body).digest('hex');
}

export function encodeInvoke(req: InvokeRequest & { provisionedKey: string }): Buffer {
  const { spec: _spec, payload, ...rest } = req;
  const wire: WireInvoke = { ...rest, payload: payload.toString('base64') };
  return Buffer.from(JSON.stringify(wire));
}

/** The forwarded invoke, or undefined when the signature does not hold. */
export function decodeInvoke(
  secret: string,
  headers: Readonly<Record<string, string | undefined>>,
  body: Buffer,
  nowMs = Date.now(),
): ForwardedInvoke | undefined {
  const [at, sig] = (headers[SIGNATURE] ?? '').split(',', 2);
  if (
    at === undefined ||
    sig === undefined ||
    !/^\d+$/.test(at) ||
    Math.abs(nowMs - Number(at)) > MAX_SKEW_MS
  ) {
    return undefined;
  }
  const want = Buffer.from(sign(secret, at, body), 'hex');
  const got = Buffer.from(sig, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    return undefined;
  }
  const wire = JSON.parse(body.toString()) as WireInvoke;
  return { ...wire, payload: Buffer.from(wire.payload, 'base64') };
}

export function encodeOutcome(outcome: InvocationOutcome): Buffer {
  const wire: WireOutcome = { ...outcome, payload: outcome.payload.toString('base64') };
  return Buffer.from(JSON.stringify(wire));
}

function decodeOutcome(body: Buffer): InvocationOutcome {
  const wire = JSON.parse(body.toString()) as WireOutcome;
  return { ...wire, payload: Buffer.from(wire.payload, 'base64') } as InvocationOutcome;
}

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

/** Sends forwarded invokes over kept-alive connections. */
export class Forwarder {
  readonly #secret: string;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(secret: string) {
    this.#secret = secret;
  }

  /**
   * The outcome from `url`'s node; undefined when it had no free environment or could not
   * be reached before the request was sent (the caller runs it itself). A node lost after
   * the request went out answers nodeLostOutcome: the invocation may have run.
   */
  send(url: string, req: InvokeRequest & { provisionedKey: string }): Promise<InvocationOutcome | undefined> {
    const body = encodeInvoke(req);
    const at = String(Date.now());
    const target = new URL(FORWARD_PATH, url);
    return new Promise((resolve) => {
      let sent = false;
      const r = http.request(
        target,
        {
          method: 'POST',
          agent: this.#agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            [SIGNATURE]: `${at},${sign(this.#secret, at, body)}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => resolve(nodeLostOutcome(req)));
          res.on('end', () => {
            if (res.statusCode === 200) {
              try {
                resolve(decodeOutcome(Buffer.concat(chunks)));
              } catch {
                resolve(nodeLostOutcome(req));
              }
            } else {
              resolve(undefined);
            }
          });
        },
      );
      r.on('error', () => resolve(sent ? nodeLostOutcome(req) : undefined));
      r.end(body, () => {
        sent = true;
      });
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
