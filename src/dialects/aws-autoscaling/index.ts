/**
 * The Application Auto Scaling dialect (JSON 1.1): `POST /` with `X-Amz-Target:
 * AnyScaleFrontendService.<Operation>`, for Lambda provisioned concurrency only
 * (`ServiceNamespace` `lambda`, `lambda:function:ProvisionedConcurrency`, ResourceId
 * `function:<name>:<qualifier>`). Pipeline: detect operation → read the body (1 MB limit)
 * → validate → run on core's ScalableTargetService → render (README for the parity ledger).
 * Signatures are not checked here (src/auth/ will); the region comes from the SigV4
 * credential scope when there is one.
 */
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
  readonly accountId: string;
  readonly onInternalError?: (err: unknown) => void;
}

export function isAutoScalingRequest(req: WireRequest): boolean {
  return req.rawPath === '/' && (req.headers['x-amz-target'] ?? '').startsWith(AUTOSCALING_TARGET_PREFIX);
}

/** `Credential=AKID/20260101/eu-west-1/application-autoscaling/aws4_request` → `eu-west-1`. */
function regionOf(req: WireRequest, fallback: string): string {
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/application-autoscaling\//.exec(
    req.headers.authorization ?? '',
  );
  return m?.[1] ?? fallback;
}

export function createAwsAutoScalingDialect(
  targets: ScalableTargetService,
  opts: AwsAutoScalingOptions,
): Dialect {
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
    const input = Input.parse(raw);
    const scope = { accountId: opts.accountId, region: regionOf(req, opts.defaultRegion) };
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
