/**
 * The CloudWatch Logs dialect (JSON 1.1): `POST /` with `X-Amz-Target:
 * Logs_20140328.<Operation>`, over the function log store. Pipeline: detect operation →
 * read the body (1 MB limit) → authenticate (src/auth: SigV4 for service `logs`, or open
 * mode) → validate → run → render (README for the parity ledger). The caller's account
 * and the credential scope's region scope every operation.
 */
import { authenticateAws, isAuthFailure, openCredentials } from '../../auth/aws-caller.js';
import { JSON_PROTOCOL_AUTH_STATUS, jsonProtocolAuthMessage } from '../../auth/sigv4-errors.js';
import type { CredentialSource } from '../../auth/credentials.js';
import { DEFAULT_NAMESPACE } from '../../core/model.js';
import type { LogStore } from '../../core/logs/log-port.js';
import { BodyTooLargeError, type Dialect, type WireRequest, type WireResponse } from '../http.js';
import { CONTENT_TYPE, LogsError, renderError, serialization } from './errors.js';
import { Input } from './input.js';
import { OPERATIONS } from './operations.js';

export const LOGS_TARGET_PREFIX = 'Logs_20140328.';

/** AWS's request limit for most CloudWatch Logs operations is 1 MB. */
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AwsLogsOptions {
  readonly defaultRegion: string;
  /** The platform's account: open mode's only account. */
  readonly accountId: string;
  /** Who may call (src/auth); default: open mode as `accountId`. */
  readonly credentials?: CredentialSource;
  /** The clock of signature checks (tests); default Date.now. */
  readonly now?: () => number;
  readonly onInternalError?: (err: unknown) => void;
  /** Refused requests (authentication failures). */
  readonly onRefused?: (requestId: string, reason: string) => void;
}

export function isLogsRequest(req: WireRequest): boolean {
  return req.rawPath === '/' && (req.headers['x-amz-target'] ?? '').startsWith(LOGS_TARGET_PREFIX);
}

export function createAwsLogsDialect(store: LogStore, opts: AwsLogsOptions): Dialect {
  const credentials = opts.credentials ?? openCredentials(opts.accountId);
  const handle = async (req: WireRequest): Promise<WireResponse> => {
    const operation = (req.headers['x-amz-target'] ?? '').slice(LOGS_TARGET_PREFIX.length);
    const run = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
    if (req.method !== 'POST') {
      throw new LogsError('UnknownOperationException', undefined);
    }
    if (run === undefined) {
      throw new LogsError(
        'UnknownOperationException',
        `hearth does not implement the CloudWatch Logs operation '${operation}' (README "Logs")`,
      );
    }
    let raw: Buffer;
    try {
      raw = await req.readBody(BODY_LIMIT_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        throw new LogsError('InvalidParameterException', `Request body exceeds ${BODY_LIMIT_BYTES} bytes.`);
      }
      throw serialization();
    }
    const caller = await authenticateAws(
      { method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, body: raw },
      credentials,
      { service: 'logs' },
      (opts.now ?? Date.now)(),
    );
    if (isAuthFailure(caller)) {
      opts.onRefused?.(req.requestId, caller.reason);
      // A JSON-protocol service answers 400 (src/auth/README.md "Errors").
      throw new LogsError(caller.type, jsonProtocolAuthMessage(caller), JSON_PROTOCOL_AUTH_STATUS);
    }
    const input = Input.parse(raw);
    const scope = {
      accountId: caller.accountId,
      region: caller.region ?? opts.defaultRegion,
      namespace: DEFAULT_NAMESPACE,
    };
    const out = await run({ store, scope }, input);
    return {
      status: 200,
      headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': req.requestId },
      body: JSON.stringify(out),
    };
  };
  return {
    name: 'aws-logs',
    matches: isLogsRequest,
    async handle(req) {
      try {
        return await handle(req);
      } catch (e) {
        if (e instanceof LogsError) {
          return renderError(e, req.requestId);
        }
        opts.onInternalError?.(e);
        return renderError(
          new LogsError('ServiceUnavailableException', 'The service cannot complete the request.', 500),
          req.requestId,
        );
      }
    },
  };
}
