/**
 * Who is calling an AWS API: the one entry point an AWS dialect uses (src/auth/README.md).
 *
 *   - verify mode: the request must carry a valid SigV4 signature (sigv4.ts) by a
 *     configured AWS key; the caller's account is the key's account.
 *   - open mode: nothing is verified; the caller is the platform's account, and the
 *     region is the credential scope's when the request has a well-formed one.
 */
import type { CredentialSource } from './credentials.js';
import {
  isSigV4Failure,
  parseSigV4,
  verifySigV4,
  type SigV4Failure,
  type SigV4Policy,
  type SigV4Request,
} from './sigv4.js';

export interface AwsCaller {
  readonly accountId: string;
  /** The region of the credential scope, when the request has one. */
  readonly region?: string;
  /** The access key id of the signature (verified in verify mode, claimed in open mode). */
  readonly accessKeyId?: string;
  readonly verified: boolean;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** A query that may carry a credential, as it is or percent-encoded (parseSigV4, looseScope). */
const MAY_NAME_CREDENTIAL = /X-Amz-|%/;

/** Open mode's unsigned caller, per account: one frozen value, nothing built per request. */
const unsignedCallers = new Map<string, AwsCaller>();

function unsignedCaller(accountId: string): AwsCaller {
  let caller = unsignedCallers.get(accountId);
  if (caller === undefined) {
    caller = Object.freeze({ accountId, verified: false });
    unsignedCallers.set(accountId, caller);
  }
  return caller;
}

/**
 * Who calls: in open mode answered at once (a value, not a promise: the invoke path
 * awaits nothing it does not have to), in verify mode once the signature is checked.
 */
export function authenticateAws(
  req: SigV4Request,
  source: CredentialSource,
  policy: SigV4Policy,
  nowMs: number,
): AwsCaller | SigV4Failure | Promise<AwsCaller | SigV4Failure> {
  if (source.mode === 'open') {
    if (req.headers.authorization === undefined && !MAY_NAME_CREDENTIAL.test(req.rawQuery)) {
      // Unsigned, with no credential in the query: the platform's account, no scope to read.
      return unsignedCaller(source.defaultAccountId);
    }
    const claim = parseSigV4(req);
    if (isSigV4Failure(claim)) {
      // Nothing is verified: a scope that reads as one still names the region.
      return { accountId: source.defaultAccountId, ...looseScope(req), verified: false };
    }
    return {
      accountId: source.defaultAccountId,
      accessKeyId: claim.accessKeyId,
      ...(REGION.test(claim.region) ? { region: claim.region } : {}),
      verified: false,
    };
  }
  return verifyAws(req, source, policy, nowMs);
}

async function verifyAws(
  req: SigV4Request,
  source: CredentialSource,
  policy: SigV4Policy,
  nowMs: number,
): Promise<AwsCaller | SigV4Failure> {
  const result = await verifySigV4(req, policy, (id) => source.find('aws', id), nowMs);
  if (!result.ok) {
    return result;
  }
  return {
    accountId: result.key.accountId,
    region: result.region,
    accessKeyId: result.key.id,
    verified: true,
  };
}

/** `Credential=<key>/<date>/<region>/<service>/aws4_request` of a request that does not parse as SigV4. */
const SCOPE = /^([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request$/;

function looseScope(req: SigV4Request): { accessKeyId?: string; region?: string } {
  const header = /Credential=([^,\s]+)/.exec(req.headers.authorization ?? '')?.[1];
  // (Parsed only when it may name X-Amz-Credential, as parseSigV4 does.)
  const raw = req.rawQuery;
  const query =
    raw.includes('X-Amz-Credential') || raw.includes('%')
      ? (new URLSearchParams(raw).get('X-Amz-Credential') ?? undefined)
      : undefined;
  const m = SCOPE.exec(header ?? query ?? '');
  if (m === null) {
    return {};
  }
  const [, accessKeyId, region] = m;
  return {
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(region !== undefined && REGION.test(region) ? { region } : {}),
  };
}

export function isAuthFailure(x: AwsCaller | SigV4Failure): x is SigV4Failure {
  return 'ok' in x;
}

/** A source with no keys that accepts everything as `accountId` (tests, embedding). */
export function openCredentials(accountId: string): CredentialSource {
  return { mode: 'open', defaultAccountId: accountId, find: () => undefined };
}
