/**
 * The receiving end of forwarded invokes (src/cluster/forwarding.ts): POST
 * /_hearth/cluster/invoke, signed with the cluster's secret, runs on a free provisioned
 * environment of this node or answers 409 (the sender then runs it itself).
 */
import type { Logger } from 'pino';
import { isPlatformError } from '../core/errors.js';
import type { ClusterPool } from '../cluster/cluster-pool.js';
import { FORWARD_PATH, decodeInvoke, encodeOutcome } from '../cluster/forwarding.js';
import type { Dialect, WireResponse } from '../dialects/http.js';

/** A forwarded invoke carries at most Lambda's 6 MB payload, base64-encoded, and its fields. */
const MAX_BODY = 9 * 1024 * 1024;

const plain = (status: number, text: string): WireResponse => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body: text,
});

export function createClusterEndpoint(pool: ClusterPool, secret: string, log: Logger): Dialect {
  return {
    name: 'cluster',
    matches: (req) => req.rawPath === FORWARD_PATH,
    async handle(req) {
      if (req.method !== 'POST') {
        return plain(405, 'POST only');
      }
      let forwarded;
      try {
        forwarded = decodeInvoke(secret, req.headers, await req.readBody(MAX_BODY));
      } catch {
        return plain(400, 'malformed forwarded invoke');
      }
      if (forwarded === undefined) {
        log.warn({ requestId: req.requestId }, 'forwarded invoke refused: bad or stale cluster signature');
        return plain(403, 'bad cluster signature');
      }
      try {
        const outcome = await pool.invokeForwarded(forwarded);
        if (outcome === undefined) {
          return plain(409, 'no free provisioned environment');
        }
        return { status: 200, headers: { 'content-type': 'application/json' }, body: encodeOutcome(outcome) };
      } catch (e) {
        if (isPlatformError(e)) {
          return plain(409, e.code);
        }
        log.error({ err: e }, 'forwarded invoke failed');
        return plain(500, 'forwarded invoke failed');
      }
    },
  };
}
