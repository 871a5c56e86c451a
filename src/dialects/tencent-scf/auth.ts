/**
 * Who is calling (spec §2.4). Two modes:
 *
 *   - open (no credentials configured, the default): every request acts as the platform's
 *     account, whatever its SecretId, so a function made through the SCF dialect is the
 *     same function the AWS dialect sees. A present Authorization header must still be
 *     well formed (AuthFailure.InvalidAuthorization); a missing one is accepted.
 *   - verified (config `scfCredentials`): the header is required and verified with
 *     tc3.ts; an unknown SecretId is AuthFailure.SecretIdNotFound; the account is the
 *     credential's own, else the platform's.
 *
 * X-TC-Token (STS) is not validated: hearth issues no temporary credentials.
 */
import type { WireRequest } from '../http.js';
import { parseTc3Authorization, verifyTc3 } from './tc3.js';
import type { ScfCredential } from './types.js';
import { scfError } from './wire-error.js';

export interface Caller {
  readonly accountId: string;
  /** The SecretId of the credential scope, when the request carried one. */
  readonly secretId?: string;
}

export interface AuthConfig {
  readonly accountId: string;
  readonly credentials: readonly ScfCredential[];
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
  if (config.credentials.length === 0) {
    if (header === undefined || header.trim() === '') {
      return { accountId: config.accountId };
    }
    const parsed = parseTc3Authorization(header);
    if (!parsed.ok) {
      throw scfError(parsed.code, `${MESSAGES[parsed.code] ?? parsed.code}: ${parsed.reason}.`);
    }
    return { accountId: config.accountId, secretId: parsed.authorization.secretId };
  }

  const parsed = parseTc3Authorization(header);
  if (!parsed.ok) {
    throw scfError(parsed.code, `${MESSAGES[parsed.code] ?? parsed.code}: ${parsed.reason}.`);
  }
  const secretId = parsed.authorization.secretId;
  const credential = config.credentials.find((c) => c.secretId === secretId);
  if (credential === undefined) {
    throw scfError(
      'AuthFailure.SecretIdNotFound',
      'The SecretId is not found, please ensure that your SecretId is correct.',
    );
  }
  const verified = verifyTc3(
    { method: req.method, path: req.rawPath, query: req.rawQuery, headers: req.headers, body },
    credential.secretKey,
    config.now(),
  );
  if (!verified.ok) {
    throw scfError(verified.code, `${MESSAGES[verified.code] ?? verified.code}: ${verified.reason}.`);
  }
  return { accountId: credential.accountId ?? config.accountId, secretId };
}
