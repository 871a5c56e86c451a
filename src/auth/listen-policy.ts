/**
 * Closed by default (issue 12 item 4): without credentials hearth verifies no signature,
 * which is safe only where nobody else can connect. So:
 *
 *   credentials configured                 → verify every request;
 *   none, host is loopback                 → open, said once in the log;
 *   none, another host, `insecure` set     → open, said once in the log (louder);
 *   none, another host                     → refuse to start.
 */
import type { CredentialSource } from './credentials.js';

export class InsecureListenError extends Error {
  constructor(host: string) {
    super(
      `refusing to listen on ${host} without credentials: anyone who can reach it could act as the account. ` +
        'Give --credentials-file (HEARTH_CREDENTIALS_FILE), listen on 127.0.0.1, or pass --insecure.',
    );
    this.name = 'InsecureListenError';
  }
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') {
    return true;
  }
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export interface ListenDecision {
  readonly mode: CredentialSource['mode'];
  /** The one log line that says how hearth authenticates, and its level. */
  readonly notice?: { readonly level: 'info' | 'warn'; readonly message: string };
}

/** Throws InsecureListenError where hearth must not start. */
export function decideListenMode(o: {
  readonly credentialsConfigured: boolean;
  readonly host: string;
  readonly insecure: boolean;
  readonly accountId: string;
}): ListenDecision {
  if (o.credentialsConfigured) {
    return { mode: 'verify' };
  }
  if (isLoopbackHost(o.host)) {
    return {
      mode: 'open',
      notice: {
        level: 'info',
        message: `no credentials configured: accepting any signature as account ${o.accountId} (loopback only)`,
      },
    };
  }
  if (o.insecure) {
    return {
      mode: 'open',
      notice: {
        level: 'warn',
        message: `--insecure: accepting any signature as account ${o.accountId} on ${o.host}, reachable beyond this machine`,
      },
    };
  }
  throw new InsecureListenError(o.host);
}
