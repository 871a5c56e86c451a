/**
 * The operation table: every AWS Lambda operation hearth knows, keyed by AWS's own
 * operation name, with its method, path template, body and size limit (spec §1.1, §2.2).
 * Detection splits the raw path on `/` first and percent-decodes each segment after, so
 * an ARN label (`arn%3Aaws%3Alambda%3A...`) stays one segment.
 */
import { MODEL_OPERATIONS } from './model-operations.js';

export const OPERATION_NAMES = [
  'CreateFunction',
  'GetFunction',
  'GetFunctionConfiguration',
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration',
  'DeleteFunction',
  'ListFunctions',
  'PublishVersion',
  'ListVersionsByFunction',
  'CreateAlias',
  'GetAlias',
  'UpdateAlias',
  'DeleteAlias',
  'ListAliases',
  'Invoke',
  'PutFunctionConcurrency',
  'GetFunctionConcurrency',
  'DeleteFunctionConcurrency',
  'GetAccountSettings',
  'PutProvisionedConcurrencyConfig',
  'GetProvisionedConcurrencyConfig',
  'DeleteProvisionedConcurrencyConfig',
  'ListProvisionedConcurrencyConfigs',
  'TagResource',
  'UntagResource',
  'ListTags',
  'AddPermission',
  'RemovePermission',
  'GetPolicy',
  'PutRuntimeManagementConfig',
  'GetRuntimeManagementConfig',
  'PublishLayerVersion',
  'GetLayerVersion',
  'GetLayerVersionByArn',
  'ListLayers',
  'ListLayerVersions',
  'DeleteLayerVersion',
  'PutFunctionEventInvokeConfig',
  'UpdateFunctionEventInvokeConfig',
  'GetFunctionEventInvokeConfig',
  'DeleteFunctionEventInvokeConfig',
  'ListFunctionEventInvokeConfigs',
] as const;

export type OperationName = (typeof OPERATION_NAMES)[number];

/** `json`: a JSON object (empty means `{}`); `raw`: bytes (Invoke's payload); `none`: not read. */
export type BodyKind = 'json' | 'raw' | 'none';

export interface RouteDef {
  readonly operation: OperationName;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/`-separated segments; `{Label}` captures one percent-decoded segment. */
  readonly path: string;
  /** A query member that must be present with this value (the modelled `?List=ALL`). */
  readonly requiredQuery?: readonly [name: string, value: string];
  readonly body: BodyKind;
  /** Largest body accepted; beyond it 413 RequestEntityTooLargeException. */
  readonly bodyLimitBytes: number;
  /** The operation name AWS uses in its 413 message, when it differs (`InvokeFunction`). */
  readonly limitName?: string;
}

/** CreateFunction and UpdateFunctionCode carry the zip base64 in JSON (spec §1.4, REC). */
export const CODE_REQUEST_LIMIT_BYTES = 70_167_211;
/** Invoke's synchronous payload limit (spec §1.4). */
export const INVOKE_REQUEST_LIMIT_BYTES = 6_291_456;
/** [DESIGN] Every other JSON body; AWS's own limit for them is unrecorded. */
export const SMALL_REQUEST_LIMIT_BYTES = 1_048_576;

const json = (limit = SMALL_REQUEST_LIMIT_BYTES) => ({ body: 'json' as const, bodyLimitBytes: limit });
const none = { body: 'none' as const, bodyLimitBytes: 0 };

/** Order matters only where a query member discriminates (List before Get). */
export const ROUTES: readonly RouteDef[] = [
  {
    operation: 'CreateFunction',
    method: 'POST',
    path: '/2015-03-31/functions',
    ...json(CODE_REQUEST_LIMIT_BYTES),
  },
  { operation: 'ListFunctions', method: 'GET', path: '/2015-03-31/functions', ...none },
  { operation: 'GetFunction', method: 'GET', path: '/2015-03-31/functions/{FunctionName}', ...none },
  { operation: 'DeleteFunction', method: 'DELETE', path: '/2015-03-31/functions/{FunctionName}', ...none },
  {
    operation: 'GetFunctionConfiguration',
    method: 'GET',
    path: '/2015-03-31/functions/{FunctionName}/configuration',
    ...none,
  },
  {
    operation: 'UpdateFunctionConfiguration',
    method: 'PUT',
    path: '/2015-03-31/functions/{FunctionName}/configuration',
    ...json(),
  },
  {
    operation: 'UpdateFunctionCode',
    method: 'PUT',
    path: '/2015-03-31/functions/{FunctionName}/code',
    ...json(CODE_REQUEST_LIMIT_BYTES),
  },
  {
    operation: 'PublishVersion',
    method: 'POST',
    path: '/2015-03-31/functions/{FunctionName}/versions',
    ...json(),
  },
  {
    operation: 'ListVersionsByFunction',
    method: 'GET',
    path: '/2015-03-31/functions/{FunctionName}/versions',
    ...none,
  },
  {
    operation: 'CreateAlias',
    method: 'POST',
    path: '/2015-03-31/functions/{FunctionName}/aliases',
    ...json(),
  },
  { operation: 'ListAliases', method: 'GET', path: '/2015-03-31/functions/{FunctionName}/aliases', ...none },
  {
    operation: 'GetAlias',
    method: 'GET',
    path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}',
    ...none,
  },
  {
    operation: 'UpdateAlias',
    method: 'PUT',
    path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}',
    ...json(),
  },
  {
    operation: 'DeleteAlias',
    method: 'DELETE',
    path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}',
    ...none,
  },
  {
    operation: 'Invoke',
    method: 'POST',
    path: '/2015-03-31/functions/{FunctionName}/invocations',
    body: 'raw',
    bodyLimitBytes: INVOKE_REQUEST_LIMIT_BYTES,
    limitName: 'InvokeFunction',
  },
  {
    operation: 'PutFunctionConcurrency',
    method: 'PUT',
    path: '/2017-10-31/functions/{FunctionName}/concurrency',
    ...json(),
  },
  {
    operation: 'GetFunctionConcurrency',
    method: 'GET',
    path: '/2019-09-30/functions/{FunctionName}/concurrency',
    ...none,
  },
  {
    operation: 'DeleteFunctionConcurrency',
    method: 'DELETE',
    path: '/2017-10-31/functions/{FunctionName}/concurrency',
    ...none,
  },
  { operation: 'GetAccountSettings', method: 'GET', path: '/2016-08-19/account-settings', ...none },
  {
    operation: 'ListProvisionedConcurrencyConfigs',
    method: 'GET',
    path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
    requiredQuery: ['List', 'ALL'],
    ...none,
  },
  {
    operation: 'GetProvisionedConcurrencyConfig',
    method: 'GET',
    path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
    ...none,
  },
  {
    operation: 'PutProvisionedConcurrencyConfig',
    method: 'PUT',
    path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
    ...json(),
  },
  {
    operation: 'DeleteProvisionedConcurrencyConfig',
    method: 'DELETE',
    path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
    ...none,
  },
  {
    operation: 'ListFunctionEventInvokeConfigs',
    method: 'GET',
    path: '/2019-09-25/functions/{FunctionName}/event-invoke-config/list',
    ...none,
  },
  ...(['GET', 'PUT', 'POST', 'DELETE'] as const).map((method) => ({
    operation: (
      {
        GET: 'GetFunctionEventInvokeConfig',
        PUT: 'PutFunctionEventInvokeConfig',
        POST: 'UpdateFunctionEventInvokeConfig',
        DELETE: 'DeleteFunctionEventInvokeConfig',
      } as const
    )[method],
    method,
    path: '/2019-09-25/functions/{FunctionName}/event-invoke-config',
    ...(method === 'PUT' || method === 'POST' ? json() : none),
  })),
  { operation: 'TagResource', method: 'POST', path: '/2017-03-31/tags/{Resource}', ...json() },
  { operation: 'UntagResource', method: 'DELETE', path: '/2017-03-31/tags/{Resource}', ...none },
  { operation: 'ListTags', method: 'GET', path: '/2017-03-31/tags/{Resource}', ...none },
  {
    operation: 'AddPermission',
    method: 'POST',
    path: '/2015-03-31/functions/{FunctionName}/policy',
    ...json(),
  },
  {
    operation: 'RemovePermission',
    method: 'DELETE',
    path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
    ...none,
  },
  { operation: 'GetPolicy', method: 'GET', path: '/2015-03-31/functions/{FunctionName}/policy', ...none },
  {
    operation: 'PutRuntimeManagementConfig',
    method: 'PUT',
    path: '/2021-07-20/functions/{FunctionName}/runtime-management-config',
    ...json(),
  },
  {
    operation: 'GetRuntimeManagementConfig',
    method: 'GET',
    path: '/2021-07-20/functions/{FunctionName}/runtime-management-config',
    ...none,
  },
  {
    operation: 'PublishLayerVersion',
    method: 'POST',
    path: '/2018-10-31/layers/{LayerName}/versions',
    // The archive comes base64 in JSON as for CreateFunction. [DESIGN] same limit.
    ...json(CODE_REQUEST_LIMIT_BYTES),
  },
  {
    operation: 'ListLayerVersions',
    method: 'GET',
    path: '/2018-10-31/layers/{LayerName}/versions',
    ...none,
  },
  {
    operation: 'GetLayerVersion',
    method: 'GET',
    path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}',
    ...none,
  },
  {
    operation: 'DeleteLayerVersion',
    method: 'DELETE',
    path: '/2018-10-31/layers/{LayerName}/versions/{VersionNumber}',
    ...none,
  },
  {
    operation: 'GetLayerVersionByArn',
    method: 'GET',
    path: '/2018-10-31/layers',
    requiredQuery: ['find', 'LayerVersion'],
    ...none,
  },
  { operation: 'ListLayers', method: 'GET', path: '/2018-10-31/layers', ...none },
];

/** Splits a raw path on `/`, then percent-decodes each segment (spec §1.1). */
export function pathSegments(rawPath: string): string[] {
  const parts = rawPath.split('/');
  if (parts[0] === '') {
    parts.shift();
  }
  if (parts.length > 0 && parts[parts.length - 1] === '') {
    parts.pop(); // a trailing slash, as older SDKs send for ListFunctions
  }
  return parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p; // malformed escapes stay as they are and fail the label's pattern
    }
  });
}

export interface RouteMatch {
  readonly route: RouteDef;
  readonly labels: Readonly<Record<string, string>>;
}

const TEMPLATES = ROUTES.map((route) => ({ route, segments: pathSegments(route.path) }));

/** Labels captured when `segments` fit `template` (`{Label}` takes one segment), else undefined. */
function fit(template: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) {
    return undefined;
  }
  const labels: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i] as string;
    const s = segments[i] as string;
    if (t.startsWith('{') && t.endsWith('}')) {
      labels[t.slice(1, -1)] = s;
    } else if (t !== s) {
      return undefined;
    }
  }
  return labels;
}

/** The operation for a request, or undefined when no operation has this method and path. */
export function matchRoute(
  method: string,
  segments: readonly string[],
  query: URLSearchParams,
): RouteMatch | undefined {
  for (const { route, segments: template } of TEMPLATES) {
    if (route.method !== method) {
      continue;
    }
    if (route.requiredQuery !== undefined && query.get(route.requiredQuery[0]) !== route.requiredQuery[1]) {
      continue;
    }
    const labels = fit(template, segments);
    if (labels !== undefined) {
      return { route, labels };
    }
  }
  return undefined;
}

/** Request lines longer than this are matched each time rather than remembered. */
const RECENT_KEY_MAX_CHARS = 512;
/** Request lines remembered by routeOf; the map is emptied when it holds this many. */
const RECENT_MATCHES_MAX = 1024;
const recentMatches = new Map<string, RouteMatch>();

/**
 * matchRoute for a raw path and query, remembered by request line: a client asks for the
 * same few (an invoke of one function and alias, over and over), and splitting, decoding
 * and fitting the path against every route each time was a tenth of the AWS dialect's
 * work on the invoke path (V8 CPU profile, _one-off_). A match's labels are frozen: every
 * request with that line shares them. `query` is called on a miss only: a line seen before
 * parses no query (until 2026-12-05 the invoke path built one for every request anyway).
 */
export function routeOf(
  method: string,
  rawPath: string,
  rawQuery: string,
  query: () => URLSearchParams,
): RouteMatch | undefined {
  const key = `${method} ${rawPath}?${rawQuery}`;
  const known = recentMatches.get(key);
  if (known !== undefined) {
    return known;
  }
  const match = matchRoute(method, pathSegments(rawPath), query());
  if (match !== undefined && key.length <= RECENT_KEY_MAX_CHARS) {
    if (recentMatches.size >= RECENT_MATCHES_MAX) {
      recentMatches.clear();
    }
    Object.freeze(match.labels);
    recentMatches.set(key, match);
  }
  return match;
}

/** Every operation of AWS's model, those with a discriminating query first. */
const MODEL_TEMPLATES = MODEL_OPERATIONS.map(([name, method, requestUri]) => {
  const [pathPart = '', queryPart] = requestUri.split('?');
  const required = queryPart === undefined ? undefined : new URLSearchParams(queryPart);
  return { name, method, requestUri, segments: pathSegments(pathPart), required };
}).sort((a, b) => Number(b.required !== undefined) - Number(a.required !== undefined));

/**
 * The AWS Lambda operation a request is, by AWS's model, when hearth has no route for it
 * (so that the answer can name it), or undefined when it is no Lambda operation at all.
 */
export function matchModelOperation(
  method: string,
  segments: readonly string[],
  query: URLSearchParams,
): { readonly name: string; readonly requestUri: string } | undefined {
  for (const t of MODEL_TEMPLATES) {
    if (t.method !== method || fit(t.segments, segments) === undefined) {
      continue;
    }
    if (t.required !== undefined && [...t.required].some(([k, v]) => query.get(k) !== v)) {
      continue;
    }
    return { name: t.name, requestUri: t.requestUri };
  }
  return undefined;
}
