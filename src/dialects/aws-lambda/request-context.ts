/**
 * The request context: who is calling and where (spec §1). Signatures are not verified
 * yet; the region comes from the SigV4 credential scope
 * (`Credential=<AKID>/<date>/<region>/lambda/aws4_request`), else the default region.
 */
import type { WireRequest } from '../http.js';
import type { OperationName } from './routes.js';

export interface RequestContext {
  readonly requestId: string;
  readonly accountId: string;
  readonly region: string;
  /** The access key id of the SigV4 credential, when the request was signed. */
  readonly accessKeyId?: string;
  readonly operation: OperationName;
}

/** `<AKID>/<yyyymmdd>/<region>/<service>/aws4_request`, as in `Credential=` or `X-Amz-Credential`. */
const SCOPE = /^([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** Access key id and region of a SigV4 credential scope (header or presigned query). */
export function credentialScope(req: Pick<WireRequest, 'headers' | 'query'>): {
  accessKeyId?: string;
  region?: string;
} {
  const header = /Credential=([^,\s]+)/.exec(req.headers.authorization ?? '')?.[1];
  const m = SCOPE.exec(header ?? req.query.get('X-Amz-Credential') ?? '');
  if (m === null) {
    return {};
  }
  const [, accessKeyId, region] = m;
  return {
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(region !== undefined && REGION.test(region) ? { region } : {}),
  };
}

export function requestContext(
  req: WireRequest,
  operation: OperationName,
  opts: { readonly accountId: string; readonly defaultRegion: string },
): RequestContext {
  const scope = credentialScope(req);
  return {
    requestId: req.requestId,
    accountId: opts.accountId,
    region: scope.region ?? opts.defaultRegion,
    ...(scope.accessKeyId === undefined ? {} : { accessKeyId: scope.accessKeyId }),
    operation,
  };
}
