/**
 * Who is calling (spec §2.4), from the one credentials source (src/auth). Two modes:
 *
 *   - open (no credentials configured, loopback or --insecure): every request acts as the
 *     platform's account, whatever its SecretId, so a function made through the SCF
 *     dialect is the same function the AWS dialect sees. A present Authorization header
 *     must still be well formed (AuthFailure.InvalidAuthorization); a missing one is
 *     accepted.
 *   - verify: the header is required and verified with src/auth/tc3.ts; an unknown
 *     SecretId is AuthFailure.SecretIdNotFound; X-TC-Token must be the key's token
 *     (AuthFailure.TokenFailure); the account is the key's own (a key always has one).
 */
import type { CredentialSource } from '../../auth/credentials.js';
import { parseTc3Authorization, verifyTc3 } from '../../auth/tc3.js';
import { sameSecret } from '../../auth/sigv4.js';
import type { WireRequest } from '../http.js';
import { scfError } from './wire-error.js';

export interface Caller {
  readonly accountId: string;
  /** The SecretId of the credential scope, when the request carried one. */
  readonly secretId?: string;
}

export interface AuthConfig {
  readonly source: CredentialSource;
  readonly now: () => number;
}

const MESSAGES: Readonly<Record<string, string>> = {
  'AuthFailure.InvalidAuthorization': 'Authorization in the request header is invalid',
  'AuthFailure.SignatureExpire':
    'Signature expired. Timestamp and server time cannot differ by more than five minutes',
  'AuthFailure.SignatureFailure':
    'The provided credentials could not be validated. Please check your signature is correct',
  MissingParameter: 'The request is missing a required parameter',
  InvalidParameter: 'A request parameter is invalid',
};

/** Throws ScfWireError with the common AuthFailure.* code of the failure (spec §2.6). */
export function authenticate(req: WireRequest, body: Buffer, config: AuthConfig): Caller {
  const header = req.headers.authorization;
  const accountId = config.source.defaultAccountId;
  if (config.source.mode === 'open') {
    if (header === undefined || header.trim() === '') {
      return { accountId };
    }
    const parsed = parseTc3Authorization(header);
    if (!parsed.ok) {
      throw scfError(parsed.code, `${MESSAGES[parsed.code] ?? parsed.code}: ${parsed.reason}.`);
    }
    return { accountId, secretId: parsed.authorization.secretId };
  }

  const parsed = parseTc3Authorization(header);
  if (!parsed.ok) {
    throw scfError(parsed.code, `${MESSAGES[parsed.code] ?? parsed.code}: ${parsed.reason}.`);
  }
  const secretId = parsed.authorization.secretId;
  const key = config.source.find('tencent', secretId);
  if (key === undefined) {
    throw scfError(
      'AuthFailure.SecretIdNotFound',
      'The SecretId is not found, please ensure that your SecretId is correct.',
    );
  }
  if (!sameToken(req.headers['x-tc-token'], key.sessionToken)) {
    throw scfError('AuthFailure.TokenFailure', 'Token error.');
  }
  const verified = verifyTc3(
    { method: req.method, path: req.rawPath, query: req.rawQuery, headers: req.headers, body },
    key.secret,
    config.now(),
  );
  if (!verified.ok) {
    throw scfError(verified.code, `${MESSAGES[verified.code] ?? verified.code}: ${verified.reason}.`);
  }
  return { accountId: key.accountId, secretId };
}

/**
 * An absent (or empty) token matches only a key without one; present ones compare in
 * constant time (auth/sigv4.ts `sameSecret`).
 */
function sameToken(given: string | undefined, expected: string | undefined): boolean {
  return sameSecret(given === '' ? undefined : given, expected);
}
