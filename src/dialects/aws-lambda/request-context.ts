/**
 * The request context: who is calling and where (spec §1). The caller comes from
 * src/auth (SigV4 verified against the credentials source, or open mode's platform
 * account); the region is the credential scope's, else the default region.
 */
import type { AwsCaller } from '../../auth/aws-caller.js';
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

export function requestContext(
  req: WireRequest,
  operation: OperationName,
  caller: AwsCaller,
  defaultRegion: string,
): RequestContext {
  return {
    requestId: req.requestId,
    accountId: caller.accountId,
    region: caller.region ?? defaultRegion,
    ...(caller.accessKeyId === undefined ? {} : { accessKeyId: caller.accessKeyId }),
    operation,
  };
}
