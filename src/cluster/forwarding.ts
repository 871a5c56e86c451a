/**
 * Invokes sent from one node to another's free provisioned environment: one HTTP POST to
 * `/_hearth/cluster/invoke` on the receiving node's own port, signed with the cluster's
 * secret (HMAC-SHA256 over a timestamp, the metadata and the body; cluster-db.ts keeps the
 * secret), so only nodes of the cluster can run code this way. The body is the payload as
 * it came; the rest of the invoke rides in a header, without its environment spec (paths
 * are the receiver's own: it runs the config with its own spec, named by its key). The
 * outcome comes back the same way: its payload as the body, the rest in a header.
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

/** An invoke without its spec (the receiver's paths differ): the spec's key says which one. */
export type ForwardedInvoke = Omit<InvokeRequest, 'spec'> & {
  readonly provisionedKey: string;
  readonly specKey: string;
};

const META = 'x-hearth-invoke';
const OUTCOME = 'x-hearth-outcome';

/** An encoded invoke or outcome: the payload travels as the body, untouched; the rest in a header. */
export interface WireMessage {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

function sign(secret: string, at: string, meta: string, body: Buffer): string {
  return createHmac('sha256', secret)
    .update(at)
    .update('\n')
    .update(meta)
    .update('\n')
    .update(body)
    .digest('hex');
}

const pack = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
const unpack = <T>(header: string): T => JSON.parse(Buffer.from(header, 'base64').toString()) as T;

/** The invoke, signed with the cluster's secret at `nowMs`. */
export function encodeInvoke(
  secret: string,
  req: InvokeRequest & { provisionedKey: string },
  nowMs = Date.now(),
): WireMessage {
  const { spec, payload, ...rest } = req;
  const meta = pack({ ...rest, specKey: spec.key });
  const at = String(nowMs);
  return {
    headers: { [META]: meta, [SIGNATURE]: `${at},${sign(secret, at, meta, payload)}` },
    body: payload,
  };
}

/** The forwarded invoke, or undefined when the signature does not hold. */
export function decodeInvoke(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
  nowMs = Date.now(),
): ForwardedInvoke | undefined {
  const meta = headers[META];
  const signature = headers[SIGNATURE];
  if (typeof meta !== 'string' || typeof signature !== 'string') {
    return undefined;
  }
  const [at, sig] = signature.split(',', 2);
  if (
    at === undefined ||
    sig === undefined ||
    !/^\d+$/.test(at) ||
    Math.abs(nowMs - Number(at)) > MAX_SKEW_MS
  ) {
    return undefined;
  }
  const want = Buffer.from(sign(secret, at, meta, body), 'hex');
  const got = Buffer.from(sig, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    return undefined;
  }
  return { ...unpack<Omit<ForwardedInvoke, 'payload'>>(meta), payload: body };
}

export function encodeOutcome(outcome: InvocationOutcome): WireMessage {
  const { payload, ...rest } = outcome;
  return { headers: { [OUTCOME]: pack(rest), 'content-type': 'application/octet-stream' }, body: payload };
}

function decodeOutcome(header: string | string[] | undefined, body: Buffer): InvocationOutcome {
  if (typeof header !== 'string') {
    throw new Error('no outcome');
  }
  return { ...unpack<Omit<InvocationOutcome, 'payload'>>(header), payload: body } as InvocationOutcome;
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
    const wire = encodeInvoke(this.#secret, req);
    const target = new URL(FORWARD_PATH, url);
    return new Promise((resolve) => {
      let sent = false;
      const r = http.request(
        target,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { ...wire.headers, 'content-length': wire.body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => resolve(nodeLostOutcome(req)));
          res.on('end', () => {
            if (res.statusCode === 200) {
              try {
                resolve(decodeOutcome(res.headers[OUTCOME], Buffer.concat(chunks)));
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
      r.end(wire.body, () => {
        sent = true;
      });
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
