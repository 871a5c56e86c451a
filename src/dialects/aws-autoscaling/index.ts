/**
 * The Application Auto Scaling dialect (JSON 1.1): `POST /` with `X-Amz-Target:
 * AnyScaleFrontendService.<Operation>`, for Lambda provisioned concurrency only
 * (`ServiceNamespace` `lambda`, `lambda:function:ProvisionedConcurrency`, ResourceId
 * `function:<name>:<qualifier>`). Pipeline: detect operation → read the body (1 MB limit)
 * → authenticate (src/auth: SigV4 for service `application-autoscaling`, or open mode) →
 * validate → run on core's ScalableTargetService → render (README for the parity ledger).
 * The caller's account and the credential scope's region scope every operation.
 */
import { authenticateAws, isAuthFailure, openCredentials } from '../../auth/aws-caller.js';
import { JSON_PROTOCOL_AUTH_STATUS, jsonProtocolAuthMessage } from '../../auth/sigv4-errors.js';
import type { CredentialSource } from '../../auth/credentials.js';
import type { ScalableTargetService } from '../../core/scaling/scalable-target-service.js';
import { BodyTooLargeError, type Dialect, type WireRequest, type WireResponse } from '../http.js';
import { AutoScalingError, CONTENT_TYPE, renderError, serialization, validation } from './errors.js';
import { Input } from './input.js';
import type { Operation } from './operations/common.js';
import { RULE_OPERATIONS } from './operations/rules.js';
import { TARGET_OPERATIONS } from './operations/targets.js';

export const AUTOSCALING_TARGET_PREFIX = 'AnyScaleFrontendService.';

const BODY_LIMIT_BYTES = 1024 * 1024;

const OPERATIONS: Readonly<Record<string, Operation>> = { ...TARGET_OPERATIONS, ...RULE_OPERATIONS };

export interface AwsAutoScalingOptions {
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

export function isAutoScalingRequest(req: WireRequest): boolean {
  return req.rawPath === '/' && (req.headers['x-amz-target'] ?? '').startsWith(AUTOSCALING_TARGET_PREFIX);
}

export function createAwsAutoScalingDialect(
  targets: ScalableTargetService,
  opts: AwsAutoScalingOptions,
): Dialect {
  const credentials = opts.credentials ?? openCredentials(opts.accountId);
  const handle = async (req: WireRequest): Promise<WireResponse> => {
    const operation = (req.headers['x-amz-target'] ?? '').slice(AUTOSCALING_TARGET_PREFIX.length);
    const run = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
    if (req.method !== 'POST') {
      throw new AutoScalingError('UnknownOperationException', undefined);
    }
    if (run === undefined) {
      throw new AutoScalingError(
        'UnknownOperationException',
        `hearth does not implement the Application Auto Scaling operation '${operation}' (README "Auto Scaling")`,
      );
    }
    let raw: Buffer;
    try {
      raw = await req.readBody(BODY_LIMIT_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        throw validation(`Request body exceeds ${BODY_LIMIT_BYTES} bytes.`);
      }
      throw serialization();
    }
    const caller = await authenticateAws(
      { method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, body: raw },
      credentials,
      { service: 'application-autoscaling' },
      (opts.now ?? Date.now)(),
    );
    if (isAuthFailure(caller)) {
      opts.onRefused?.(req.requestId, caller.reason);
      // A JSON-protocol service answers 400 (src/auth/README.md "Errors").
      throw new AutoScalingError(caller.type, jsonProtocolAuthMessage(caller), JSON_PROTOCOL_AUTH_STATUS);
    }
    const input = Input.parse(raw);
    const scope = { accountId: caller.accountId, region: caller.region ?? opts.defaultRegion };
    const out = await run({ targets, scope }, input);
    return {
      status: 200,
      headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': req.requestId },
      body: JSON.stringify(out),
    };
  };
  return {
    name: 'aws-autoscaling',
    matches: isAutoScalingRequest,
    async handle(req) {
      try {
        return await handle(req);
      } catch (e) {
        if (e instanceof AutoScalingError) {
          return renderError(e, req.requestId);
        }
        opts.onInternalError?.(e);
        return renderError(
          new AutoScalingError('InternalServiceException', 'The service cannot complete the request.', 500),
          req.requestId,
        );
      }
    },
  };
}
