/**
 * The AWS Lambda dialect: the REST API of Lambda (`rest-json`, spec §1) on hearth's core.
 * Each request runs one pipeline:
 *
 *   1. parse: split the raw path on `/`, percent-decode each segment (spec §1.1);
 *   2. detect the operation from method, segments and query (routes.ts);
 *   3. read the body under the operation's own limit (413 beyond it);
 *   4. authenticate (src/auth: SigV4 for service `lambda`, or open mode), then the request
 *      context: the caller's account, the credential scope's region, the access key id;
 *   5. validate, call core and render (operations/*): ValidationException for model
 *      constraints, InvalidParameterValueException for AWS's semantic rules;
 *   6. errors: AwsWireError as is, PlatformError through the table in errors.ts, anything
 *      else as a logged 500 ServiceException. Every response has `x-amzn-RequestId`.
 */
import { authenticateAws, isAuthFailure, openCredentials, type AwsCaller } from '../../auth/aws-caller.js';
import type { CredentialSource } from '../../auth/credentials.js';
import type { SigV4Failure } from '../../auth/sigv4.js';
import type { Core } from '../../core/index.js';
import { isPlatformError } from '../../core/errors.js';
import {
  BodyTooLargeError,
  type Dialect,
  type DialectLogger,
  type Fallback,
  type WireRequest,
  type WireResponse,
} from '../http.js';
import { UNEXPECTED_ERROR, renderPlatformError } from './errors.js';
import { OPERATION_HANDLERS } from './operations/index.js';
import type {
  AllOperationHandlers,
  OperationCall,
  OperationHandlers,
  OperationResult,
} from './operations/types.js';
import { requestContext, type RequestContext } from './request-context.js';
import { matchModelOperation, pathSegments, routeOf, type OperationName, type RouteDef } from './routes.js';
import { isLargeBody, largeBodySlots, type LargeJsonParser } from './large-body.js';
import { BodyReader } from './validation.js';
import {
  AwsWireError,
  invalidRequestContent,
  requestTooLarge,
  notImplemented,
  unknownOperation,
  type AwsErrorBody,
} from './wire-error.js';

export interface AwsLambdaDialectOptions {
  /** Default region when the request carries no SigV4 credential scope. */
  readonly defaultRegion: string;
  /** The platform's account: open mode's only account. */
  readonly accountId: string;
  /** Base URL of this hearth (for Code.Location), known once listening. */
  readonly publicUrl: () => string;
  /** Who may call (src/auth); default: open mode as `accountId`. */
  readonly credentials?: CredentialSource;
  /**
   * Code.Location of a package for an account: a presigned URL that expires (src/auth
   * code-urls.ts). Default: an unsigned path under publicUrl, which the server refuses
   * (for embedding the dialect without the server; createPlatform always signs).
   */
  readonly codeLocation?: (accountId: string, region: string, codeSha256Hex: string) => Promise<string>;
  /** The clock of signature checks (tests); default Date.now. */
  readonly now?: () => number;
  /** Where unexpected exceptions are reported. */
  readonly logger?: DialectLogger;
  /** Handlers added to (or replacing) the built-in ones, by AWS operation name. */
  readonly handlers?: OperationHandlers;
  /** Parses bodies of 1 MiB and more off the event loop (large-body.ts); else on it. */
  readonly parseLargeJson?: LargeJsonParser;
}

/** For operations without a JSON body (readers are immutable, so one serves every request). */
const NO_BYTES = Buffer.alloc(0);
const EMPTY_BODY = BodyReader.parse(NO_BYTES);

/** Without an operation body, verify mode still reads (and hashes) what was sent, up to this. */
const UNMODELLED_BODY_LIMIT_BYTES = 1 << 20;

/** Every Lambda API path starts with its API version date (`/2015-03-31/`, `/2021-10-31/`...). */
const DATED_PREFIX = /^\/20\d\d-\d\d-\d\d\//;

export function createAwsLambdaDialect(core: Core, options: AwsLambdaDialectOptions): Dialect {
  const opts: AwsLambdaDialectOptions = {
    ...options,
    credentials: options.credentials ?? openCredentials(options.accountId),
  };
  const handlers: AllOperationHandlers = { ...OPERATION_HANDLERS, ...(opts.handlers ?? {}) };
  return {
    name: 'aws-lambda',
    matches: (req) => DATED_PREFIX.test(req.rawPath),
    handle: (req) => handle(core, opts, handlers, req),
  };
}

async function handle(
  core: Core,
  opts: AwsLambdaDialectOptions,
  handlers: AllOperationHandlers,
  req: WireRequest,
): Promise<WireResponse> {
  let operation: OperationName | undefined;
  let region = opts.defaultRegion;
  let accountId = opts.accountId;
  try {
    const match = routeOf(req.method, req.rawPath, req.rawQuery, () => req.query);
    if (match === undefined) {
      const known = matchModelOperation(req.method, pathSegments(req.rawPath), req.query);
      throw known === undefined
        ? unknownOperation(req.method, req.rawPath)
        : notImplemented(known.name, req.method, req.rawPath);
    }
    operation = match.route.operation;
    const credentials = opts.credentials ?? openCredentials(opts.accountId);
    const route = match.route;
    const verifying = credentials.mode === 'verify';
    const authenticate = (bytes: Buffer): AwsCaller | Promise<AwsCaller> => {
      const checked = authenticateAws(
        {
          method: req.method,
          rawPath: req.rawPath,
          rawQuery: req.rawQuery,
          headers: req.headers,
          body: bytes,
        },
        credentials,
        { service: 'lambda' },
        (opts.now ?? Date.now)(),
      );
      return checked instanceof Promise ? checked.then(admitted) : admitted(checked);
    };
    const admitted = (caller: AwsCaller | SigV4Failure): AwsCaller => {
      if (isAuthFailure(caller)) {
        opts.logger?.warn?.(
          { requestId: req.requestId, operation, reason: caller.reason },
          'request not authenticated',
        );
        throw authFailure(caller);
      }
      return caller;
    };
    let caller: AwsCaller;
    let body: BodyReader;
    let rawBody: Buffer;
    if (route.body === 'json' && isLargeBody(req.headers, route.bodyLimitBytes)) {
      // Large JSON bodies (CreateFunction with a zip) are read and parsed two at a time, the
      // parse off the event loop (large-body.ts); the signature is checked on the bytes first.
      ({ caller, body, rawBody } = await largeBodySlots.run(async () => {
        const bytes = await bytesOf(readBytes(req, route, verifying), route);
        const who = await authenticate(bytes);
        return { caller: who, body: await parseLarge(bytes, opts.parseLargeJson), rawBody: NO_BYTES };
      }));
    } else {
      // Awaited only where something is pending (the body, a signature to check): each
      // await is a turn of the microtask queue on the invoke path.
      const reading = readBytes(req, route, verifying);
      let bytes: Buffer;
      try {
        bytes = reading instanceof Promise ? await reading : reading;
      } catch (e) {
        throw readFailure(e, route);
      }
      const who = authenticate(bytes);
      caller = who instanceof Promise ? await who : who;
      ({ body, rawBody } = bodyOf(route, bytes));
    }
    const ctx = requestContext(req, operation, caller, opts.defaultRegion);
    region = ctx.region;
    accountId = ctx.accountId;
    const handler = handlers[operation];
    const result = await handler(new Call(core, ctx, opts, match.labels, req, body, rawBody));
    return success(result, req.requestId);
  } catch (e) {
    return failure(e, req, { region, accountId, ...(operation === undefined ? {} : { operation }) }, opts);
  }
}

/**
 * What an operation handler receives. The query is the request's, parsed when an operation
 * reads it (a class: an object literal with a getter is built by the runtime each time).
 */
class Call implements OperationCall {
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly #req: WireRequest;

  constructor(
    readonly core: Core,
    readonly ctx: RequestContext,
    readonly opts: AwsLambdaDialectOptions,
    readonly labels: Readonly<Record<string, string>>,
    req: WireRequest,
    readonly body: BodyReader,
    readonly rawBody: Buffer,
  ) {
    this.#req = req;
    this.rawQuery = req.rawQuery;
    this.headers = req.headers;
  }

  get query(): URLSearchParams {
    return this.#req.query;
  }
}

/** A large JSON body, parsed off the event loop (large-body.ts). */
async function parseLarge(bytes: Buffer, parseLargeJson: LargeJsonParser | undefined): Promise<BodyReader> {
  if (parseLargeJson === undefined) {
    return BodyReader.parse(bytes);
  }
  const parsed = await parseLargeJson(bytes);
  if (parsed.ok) {
    return BodyReader.fromLarge(parsed.body);
  }
  if (parsed.reason === 'utf8') {
    return BodyReader.parse(parsed.bytes); // throws the UTF-8 error with its details
  }
  throw invalidRequestContent(parsed.message);
}

/**
 * The body bytes under the operation's limit. An operation without a body skips reading,
 * unless signatures are verified: then what was sent is read so that its hash is checked.
 * A read that fails is worded by `readFailure`.
 */
function readBytes(req: WireRequest, route: RouteDef, verifying: boolean): Buffer | Promise<Buffer> {
  if (route.body === 'none' && !verifying) {
    return NO_BYTES;
  }
  return req.readBody(route.body === 'none' ? UNMODELLED_BODY_LIMIT_BYTES : route.bodyLimitBytes);
}

/** The answer to a body that could not be read (too large, or the request broke off). */
function readFailure(e: unknown, route: RouteDef): AwsWireError {
  if (e instanceof BodyTooLargeError) {
    return requestTooLarge(
      `Request must be smaller than ${e.limitBytes} bytes for the ${route.limitName ?? route.operation} operation`,
    );
  }
  return invalidRequestContent('the request body could not be read');
}

/** The body, awaited only if it is still arriving. */
async function bytesOf(reading: Buffer | Promise<Buffer>, route: RouteDef): Promise<Buffer> {
  try {
    return await reading;
  } catch (e) {
    throw readFailure(e, route);
  }
}

function bodyOf(route: RouteDef, bytes: Buffer): { body: BodyReader; rawBody: Buffer } {
  if (route.body === 'none') {
    return { body: EMPTY_BODY, rawBody: NO_BYTES };
  }
  return route.body === 'raw'
    ? { body: EMPTY_BODY, rawBody: bytes }
    : { body: BodyReader.parse(bytes), rawBody: NO_BYTES };
}

/** SigV4 failures as AWS's front end sends them for Lambda: 403, `message` (README ledger). */
function authFailure(f: SigV4Failure): AwsWireError {
  return new AwsWireError({ status: 403, type: f.type, message: f.message, messageKey: 'message' });
}

function success(result: OperationResult, requestId: string): WireResponse {
  // An operation that names the request id itself (Invoke) has its headers sent as they
  // are: copying them behind a literal with the same key costs a slow define on each call.
  const given = result.headers;
  const headers: Readonly<Record<string, string>> =
    given !== undefined && given['x-amzn-RequestId'] !== undefined
      ? given
      : { 'x-amzn-RequestId': requestId, ...(given ?? {}) };
  if (result.raw !== undefined) {
    return { status: result.status, headers, body: result.raw };
  }
  if (result.json === undefined) {
    return { status: result.status, headers };
  }
  return {
    status: result.status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(result.json),
  };
}

function failure(
  e: unknown,
  req: WireRequest,
  ctx: { region: string; accountId: string; operation?: OperationName },
  opts: AwsLambdaDialectOptions,
): WireResponse {
  let body: AwsErrorBody;
  if (e instanceof AwsWireError) {
    body = e.body;
  } else if (isPlatformError(e)) {
    body = renderPlatformError(e, ctx);
    if (e.isSystemError) {
      opts.logger?.error({ err: e, requestId: req.requestId, operation: ctx.operation }, 'platform error');
    }
  } else {
    opts.logger?.error(
      { err: e, requestId: req.requestId, operation: ctx.operation, method: req.method, path: req.rawPath },
      'unexpected error in the aws-lambda dialect',
    );
    body = UNEXPECTED_ERROR;
  }
  return renderError(body, req.requestId);
}

/** The wire form of an error (spec §1.4): header + body type, `Type`, message key by model casing. */
export function renderError(body: AwsErrorBody, requestId: string): WireResponse {
  const json: Record<string, unknown> = {};
  if (body.reason !== undefined) {
    json.Reason = body.reason;
  }
  if (body.userType !== undefined) {
    json.Type = body.userType;
  }
  if (body.message !== undefined) {
    json[body.messageKey] = body.message;
  }
  json.__type = body.type;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': body.type,
  };
  if (body.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(body.retryAfterSeconds);
  }
  return { status: body.status, headers, body: JSON.stringify(json) };
}

/** The front door's answers in AWS's form: the REST dialect is the one whose paths vary. */
export const AWS_FALLBACK: Fallback = {
  notFound: (method, rawPath, requestId) => renderError(unknownOperation(method, rawPath).body, requestId),
  internalError: (requestId) => renderError(UNEXPECTED_ERROR, requestId),
};
