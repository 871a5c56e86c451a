/**
 * The Tencent Cloud SCF dialect: API 3.0 (version 2018-04-16) on hearth's core, so that
 * `tencentcloud-sdk-nodejs-scf` works with only its endpoint changed (spec §1–§4). Each
 * request runs one pipeline:
 *
 *   1. shape: `POST /` (or the GET variant, spec §2.3.4) with X-TC-Action; legacy v1 form
 *      posts are recognised and refused;
 *   2. action and version: MissingParameter, NoSuchVersion, InvalidAction (not an SCF
 *      action), UnsupportedOperation (an SCF action hearth does not implement) (spec §2.6);
 *   3. body under the action's limit (RequestSizeLimitExceeded);
 *   4. caller: TC3 parsed, verified when credentials are configured (auth.ts, spec §2.4);
 *   5. rate limit per (account, action) (spec §2.7);
 *   6. parameters (params.ts), handler (actions/*), core;
 *   7. render: HTTP 200 and `{"Response":{...,"RequestId"}}` for success *and* every API
 *      error, `{"Error":{Code,Message}}` inside (spec §1 finding 4, §2.5); X-TC-TraceId
 *      echoed. PlatformErrors go through errors.ts, anything unexpected is a logged
 *      InternalError.
 */
import { isPlatformError } from '../../core/errors.js';
import { KeyedMutex } from '../../core/services/keyed-mutex.js';
import { BodyTooLargeError, type Dialect, type WireRequest, type WireResponse } from '../http.js';
import { AccountQuotaCache } from './account-view.js';
import { SCF_API_ACTIONS, isImplementedAction, type ScfActionName } from './action-names.js';
import { ACTIONS, GET_QUERY_LIMIT_BYTES } from './actions/index.js';
import { openCredentials } from '../../auth/aws-caller.js';
import type { AccountSettings } from '../../auth/account-settings.js';
import { authenticate } from './auth.js';
import { DateTimeFormatter } from './codec.js';
import { SCF_CRON_DEFAULT_TIME_ZONE, isValidTimeZone } from './cron.js';
import { UNEXPECTED_ERROR, renderPlatformError, type ScfErrorBody } from './errors.js';
import { Params } from './params.js';
import { DEFAULT_TOTAL_CONCURRENCY_MEM } from './quotas.js';
import { RateLimiter } from './rate-limit.js';
import type { ResolvedScfOptions, ScfCore, ScfDialectOptions, ScfServices } from './types.js';
import { ScfWireError, missingParameter, scfError } from './wire-error.js';

export type { ScfCore, ScfDialectOptions, ScfScaling } from './types.js';
export { SCF_CRON_KIND } from './actions/provisioned.js';

/** The only API version of SCF 3.0 (spec §2.1). */
export const SCF_API_VERSION = '2018-04-16';

const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+)+$/;

export function resolveScfOptions(o: ScfDialectOptions): ResolvedScfOptions {
  const timeZone = o.timeZone ?? SCF_CRON_DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(timeZone)) {
    throw new RangeError(`scf time zone '${timeZone}' is not an IANA zone name`);
  }
  return {
    defaultRegion: o.defaultRegion,
    accountId: o.accountId,
    credentials: o.credentials ?? openCredentials(o.accountId),
    rateLimitPerSecond: o.rateLimitPerSecond ?? 20,
    timeZone,
    maxTriggerActions: o.maxTriggerActions ?? 20,
    minTriggerIntervalSec: o.minTriggerIntervalSec ?? 60,
    totalConcurrencyMem: o.totalConcurrencyMem ?? DEFAULT_TOTAL_CONCURRENCY_MEM,
    totalConcurrencyMemLimit: o.totalConcurrencyMemLimit ?? DEFAULT_TOTAL_CONCURRENCY_MEM,
    maxNamespaces: o.maxNamespaces ?? 5,
    maxFunctionsPerNamespace: o.maxFunctionsPerNamespace ?? 50,
    ...(o.scaling === undefined ? {} : { scaling: o.scaling }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
    ...(o.logs === undefined ? {} : { logs: o.logs }),
    now: o.now ?? Date.now,
    ...(o.publicUrl === undefined ? {} : { publicUrl: o.publicUrl }),
    ...(o.codeLocation === undefined ? {} : { codeLocation: o.codeLocation }),
  };
}

export function createTencentScfDialect(core: ScfCore, options: ScfDialectOptions): Dialect {
  const opts = resolveScfOptions(options);
  const settings = core.scopeSettings;
  const services: ScfServices = {
    namespaces: core.namespaces,
    settings,
    quotaLock: new KeyedMutex(),
    accounts: new AccountQuotaCache(core, settings, opts.totalConcurrencyMem),
    dates: new DateTimeFormatter(opts.timeZone),
    startedAtMs: opts.now(),
  };
  const limiter = new RateLimiter(opts.rateLimitPerSecond, opts.now);
  return {
    name: 'tencent-scf',
    matches: isScfRequest,
    handle: (req) => handle(core, opts, services, limiter, req),
  };
}

/** `/` with X-TC-Action, or a legacy v1 form request (refused in handle). */
export function isScfRequest(req: WireRequest): boolean {
  if (req.rawPath !== '/') {
    return false;
  }
  return req.headers['x-tc-action'] !== undefined || isLegacyV1(req);
}

/** Spec §2.3.4: HmacSHA1/HmacSHA256 requests carry Action, SecretId and Signature as parameters. */
function isLegacyV1(req: WireRequest): boolean {
  if (req.headers['x-amz-target'] !== undefined) {
    return false;
  }
  if (req.method === 'GET') {
    return req.query.has('Action') && req.query.has('Signature');
  }
  return (
    req.method === 'POST' &&
    (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  );
}

async function handle(
  core: ScfCore,
  opts: ResolvedScfOptions,
  services: ScfServices,
  limiter: RateLimiter,
  req: WireRequest,
): Promise<WireResponse> {
  let action: ScfActionName | undefined;
  try {
    action = detectAction(req);
    const def = ACTIONS[action];
    const region = readRegion(req, opts);
    const body = await readBody(req, def.bodyLimitBytes);
    const caller = authenticate(req, body, { source: opts.credentials, now: opts.now });
    if (!limiter.take(`${caller.accountId}/${action}`)) {
      throw scfError(
        'RequestLimitExceeded',
        `Your current request times exceed the frequency limit of ${opts.rateLimitPerSecond} per second for ${action}. Please reduce the frequency of calls.`,
      );
    }
    const params = req.method === 'GET' ? Params.fromQuery(req.rawQuery) : Params.fromJsonBody(body);
    const result = await def.handler({
      core,
      opts: withAccountSettings(opts, opts.credentials.accountSettings?.(caller.accountId)),
      services,
      scope: { accountId: caller.accountId, region },
      action,
      params,
      requestId: req.requestId,
    });
    return envelope(req, { ...result, RequestId: req.requestId });
  } catch (e) {
    return envelope(req, { Error: errorBody(e, req, opts, action), RequestId: req.requestId });
  }
}

/**
 * The caller's account's own quotas over the platform's (the credentials file's
 * `accounts`, src/auth/account-settings.ts). [DESIGN]
 */
function withAccountSettings(opts: ResolvedScfOptions, own: AccountSettings | undefined): ResolvedScfOptions {
  if (own === undefined) {
    return opts;
  }
  return {
    ...opts,
    totalConcurrencyMemLimit: own.userConcurrencyMemLimit ?? opts.totalConcurrencyMemLimit,
    maxNamespaces: own.namespacesCount ?? opts.maxNamespaces,
    maxFunctionsPerNamespace: own.functionsCount ?? opts.maxFunctionsPerNamespace,
  };
}

/** Step 2 (spec §2.6). */
function detectAction(req: WireRequest): ScfActionName {
  if (isLegacyV1(req) && req.headers['x-tc-action'] === undefined) {
    throw scfError(
      'AuthFailure.SignatureFailure',
      'The legacy HmacSHA1/HmacSHA256 signature is not supported by this endpoint; sign requests with TC3-HMAC-SHA256.',
    );
  }
  if (req.method !== 'POST' && req.method !== 'GET') {
    throw scfError(
      'UnsupportedProtocol',
      `HTTP(S) request protocol error; only GET and POST requests are supported (got ${req.method}).`,
    );
  }
  const name = (req.headers['x-tc-action'] ?? '').trim();
  if (name === '') {
    throw missingParameter('Action');
  }
  const version = (req.headers['x-tc-version'] ?? '').trim();
  if (version === '') {
    throw missingParameter('Version');
  }
  if (version !== SCF_API_VERSION) {
    throw scfError(
      'NoSuchVersion',
      `The API version \`${version}\` does not exist; scf supports ${SCF_API_VERSION}.`,
    );
  }
  if (!SCF_API_ACTIONS.has(name)) {
    throw scfError('InvalidAction', `The API \`${name}\` does not exist.`);
  }
  if (!isImplementedAction(name)) {
    throw scfError(
      'UnsupportedOperation',
      `Unsupported operation. ${name} is not available in this version of hearth.`,
    );
  }
  return name;
}

/** X-TC-Region, or the configured region when the SDK omits it (spec §2.2). */
function readRegion(req: WireRequest, opts: ResolvedScfOptions): string {
  const region = req.headers['x-tc-region']?.trim();
  if (region === undefined || region === '') {
    return opts.defaultRegion;
  }
  if (!REGION_PATTERN.test(region)) {
    throw scfError('UnsupportedRegion', `The API does not support the requested region \`${region}\`.`);
  }
  return region;
}

/** Step 3: POST bodies under the action's limit, GET queries under 32 KB (spec §2.6). */
async function readBody(req: WireRequest, limitBytes: number): Promise<Buffer> {
  if (req.method === 'GET') {
    if (Buffer.byteLength(req.rawQuery) > GET_QUERY_LIMIT_BYTES) {
      throw scfError(
        'RequestSizeLimitExceeded',
        `The request size exceeds the limit of ${GET_QUERY_LIMIT_BYTES} bytes for GET requests.`,
      );
    }
    return Buffer.alloc(0);
  }
  try {
    return await req.readBody(limitBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) {
      throw scfError(
        'RequestSizeLimitExceeded',
        `The request size exceeds the limit of ${e.limitBytes} bytes.`,
      );
    }
    throw scfError('InvalidRequest', 'The request body could not be read.');
  }
}

function errorBody(
  e: unknown,
  req: WireRequest,
  opts: ResolvedScfOptions,
  action: ScfActionName | undefined,
): { Code: string; Message: string } {
  let body: ScfErrorBody;
  if (e instanceof ScfWireError) {
    body = { code: e.code, message: e.message };
  } else if (isPlatformError(e)) {
    body = renderPlatformError(e, action === undefined ? {} : { action });
    if (e.isSystemError) {
      opts.logger?.error({ err: e, requestId: req.requestId, action }, 'platform error');
    }
  } else {
    opts.logger?.error(
      { err: e, requestId: req.requestId, action },
      'unexpected error in the tencent-scf dialect',
    );
    body = UNEXPECTED_ERROR;
  }
  return { Code: body.code, Message: body.message };
}

/** Spec §2.5: always 200 + JSON; the trace id is echoed (the SDK reads it into err.traceId). */
function envelope(req: WireRequest, response: Record<string, unknown>): WireResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const traceId = req.headers['x-tc-traceid'];
  if (traceId !== undefined) {
    headers['X-TC-TraceId'] = traceId;
  }
  return { status: 200, headers, body: JSON.stringify({ Response: response }) };
}
