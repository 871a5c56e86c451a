/**
 * AWS Signature Version 4 verification for every AWS API hearth serves (Lambda, CloudWatch
 * Logs, Application Auto Scaling): the `Authorization` header form and the presigned query
 * form. The expected signature is computed by @smithy/signature-v4 (the AWS SDK's own
 * signer) from the request as received, restricted to the headers the client listed in
 * SignedHeaders; this file only parses, checks the rules around the signature, and
 * compares in constant time. Usage: src/auth/README.md.
 *
 * Order of checks, each failure an AWS exception name and message (ledger: README.md):
 *   1. no Authorization header and no X-Amz-Algorithm → MissingAuthenticationTokenException;
 *   2. the header or query parameters are malformed → IncompleteSignatureException;
 *   3. the access key is not configured, or its session token is not the one sent →
 *      UnrecognizedClientException;
 *   4. the credential scope: date = X-Amz-Date's day, service = the API's, a region →
 *      InvalidSignatureException / IncompleteSignatureException;
 *   5. the clock: X-Amz-Date within ±5 min of now (header form), or a presigned URL not
 *      yet expired → InvalidSignatureException "Signature expired…/not yet current…";
 *   6. the body: x-amz-content-sha256, when sent, is the body's hash (or UNSIGNED-PAYLOAD
 *      where the service allows it) → InvalidSignatureException;
 *   7. the signature, compared in constant time → InvalidSignatureException.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AccessKey } from './credentials.js';
import { NodeSha256 } from './node-sha256.js';
import { SIGV4_MESSAGES as M, type SigV4Failure, type SigV4FailureType } from './sigv4-errors.js';

export type { SigV4Failure } from './sigv4-errors.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** Lambda (and every JSON/REST AWS API measured in public reports): ±5 minutes. */
export const SIGV4_MAX_SKEW_MS = 5 * 60 * 1000;
/** X-Amz-Expires may be at most 7 days (SigV4 query-string authentication). */
export const SIGV4_MAX_EXPIRES_SEC = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SigV4Request {
  readonly method: string;
  /** The path exactly as sent (still percent-encoded). */
  readonly rawPath: string;
  /** The query string exactly as sent, without `?`. */
  readonly rawQuery: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body bytes as received. */
  readonly body: Buffer;
}

export interface SigV4Policy {
  /** The signing name of the API (`lambda`, `logs`, `application-autoscaling`, `s3`). */
  readonly service: string;
  /** Allowed distance between X-Amz-Date and now; default 5 minutes. */
  readonly maxSkewMs?: number;
  /** Whether `x-amz-content-sha256: UNSIGNED-PAYLOAD` is accepted (S3 only at AWS). */
  readonly allowUnsignedPayload?: boolean;
}

export type SigV4Result =
  | {
      readonly ok: true;
      readonly key: AccessKey;
      /** The region of the credential scope. */
      readonly region: string;
      readonly presigned: boolean;
    }
  | SigV4Failure;

/** What a request claims before verification: enough to pick a region in open mode. */
export interface SigV4Claim {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** `yyyyMMddTHHmmssZ`. */
  readonly amzDate: string | undefined;
  /** Presigned only: X-Amz-Expires, seconds. */
  readonly expiresSec?: number;
  readonly sessionToken: string | undefined;
  readonly presigned: boolean;
}

const fail = (type: SigV4FailureType, message: string, reason: string): SigV4Failure => ({
  ok: false,
  type,
  message,
  reason,
});

/** True when the request carries SigV4 material (header or query form). */
export function hasSigV4(req: Pick<SigV4Request, 'headers' | 'rawQuery'>): boolean {
  return req.headers.authorization !== undefined || /(^|&)X-Amz-Algorithm=/.test(req.rawQuery);
}

/**
 * Parses the SigV4 material of a request (steps 1–2). Returns the claim, or the failure
 * AWS answers for a missing or malformed one.
 */
export function parseSigV4(req: Pick<SigV4Request, 'headers' | 'rawQuery'>): SigV4Claim | SigV4Failure {
  const header = req.headers.authorization;
  // Parsed only when it may name X-Amz-Algorithm (the name as it is, or percent-encoded):
  // an invoke's `Qualifier=live` is decoded on every request otherwise.
  const raw = req.rawQuery;
  const query = raw.includes('X-Amz-Algorithm') || raw.includes('%') ? parseQuery(raw) : NO_QUERY;
  const presigned = query.has('X-Amz-Algorithm');
  if (header !== undefined && presigned) {
    return fail(
      'IncompleteSignatureException',
      M.bothMechanisms,
      'both an Authorization header and X-Amz-Algorithm',
    );
  }
  if (header === undefined && !presigned) {
    return fail('MissingAuthenticationTokenException', M.missing, 'no Authorization header');
  }
  return header !== undefined ? parseHeader(header, req.headers) : parsePresigned(query);
}

function parseHeader(header: string, headers: SigV4Request['headers']): SigV4Claim | SigV4Failure {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  const parts = new Map<string, string>();
  if (algorithm === SIGV4_ALGORITHM) {
    for (const part of trimmed.slice(space + 1).split(',')) {
      const p = part.trim();
      const eq = p.indexOf('=');
      if (eq === -1) {
        return fail('IncompleteSignatureException', M.missingEqualSign(p, header), `'${p}' has no '='`);
      }
      parts.set(p.slice(0, eq), p.slice(eq + 1));
    }
  }
  const amzDate = headers['x-amz-date'];
  const missing: string[] = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!parts.has(name)) {
      missing.push(M.headerRequires(name));
    }
  }
  if (amzDate === undefined && headers.date === undefined) {
    missing.push(M.headerRequiresDate);
  }
  if (missing.length > 0) {
    return fail('IncompleteSignatureException', `${missing.join(' ')} Authorization=${header}`, 'incomplete');
  }
  return claimFrom({
    credential: parts.get('Credential') ?? '',
    signedHeaders: parts.get('SignedHeaders') ?? '',
    signature: parts.get('Signature') ?? '',
    amzDate,
    sessionToken: headers['x-amz-security-token'],
    presigned: false,
  });
}

function parsePresigned(query: ReadonlyMap<string, string[]>): SigV4Claim | SigV4Failure {
  const one = (name: string) => query.get(name)?.[0];
  const missing = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-SignedHeaders',
    'X-Amz-Date',
    'X-Amz-Expires',
  ].filter((n) => one(n) === undefined);
  if (missing.length > 0) {
    return fail('IncompleteSignatureException', M.queryRequires(missing), `missing ${missing.join(', ')}`);
  }
  if (one('X-Amz-Algorithm') !== SIGV4_ALGORITHM) {
    return fail(
      'IncompleteSignatureException',
      M.unsupportedAlgorithm,
      `algorithm ${one('X-Amz-Algorithm') ?? ''}`,
    );
  }
  const expires = one('X-Amz-Expires') ?? '';
  if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > SIGV4_MAX_EXPIRES_SEC) {
    return fail('IncompleteSignatureException', M.badExpires, `X-Amz-Expires '${expires}'`);
  }
  const claim = claimFrom({
    credential: one('X-Amz-Credential') ?? '',
    signedHeaders: one('X-Amz-SignedHeaders') ?? '',
    signature: one('X-Amz-Signature') ?? '',
    amzDate: one('X-Amz-Date'),
    sessionToken: one('X-Amz-Security-Token'),
    presigned: true,
  });
  return isSigV4Failure(claim) ? claim : { ...claim, expiresSec: Number(expires) };
}

function claimFrom(raw: {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string | undefined;
  sessionToken: string | undefined;
  presigned: boolean;
}): SigV4Claim | SigV4Failure {
  const scope = raw.credential.split('/');
  const [accessKeyId = '', scopeDate = '', region = '', service = '', terminator = ''] = scope;
  if (scope.length !== 5 || accessKeyId === '') {
    return fail('IncompleteSignatureException', M.badCredential(raw.credential), 'credential scope shape');
  }
  if (terminator !== 'aws4_request') {
    return fail('IncompleteSignatureException', M.badTerminator(terminator), `terminator ${terminator}`);
  }
  const signedHeaders = raw.signedHeaders.split(';');
  if (signedHeaders.some((h) => h === '' || h !== h.toLowerCase())) {
    return fail('IncompleteSignatureException', M.badSignedHeaders(raw.signedHeaders), 'SignedHeaders shape');
  }
  if (new Set(signedHeaders).size !== signedHeaders.length) {
    return fail(
      'IncompleteSignatureException',
      M.duplicateSignedHeader(raw.signedHeaders),
      'SignedHeaders repeats',
    );
  }
  if (!signedHeaders.includes('host')) {
    return fail('InvalidSignatureException', M.hostNotSigned, 'host is not signed');
  }
  if (!/^[0-9a-f]{64}$/.test(raw.signature)) {
    return fail('InvalidSignatureException', M.signatureMismatch, 'signature is not 64 hex digits');
  }
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders,
    signature: raw.signature,
    amzDate: raw.amzDate,
    sessionToken: raw.sessionToken,
    presigned: raw.presigned,
  };
}

export function isSigV4Failure(x: SigV4Claim | SigV4Failure): x is SigV4Failure {
  return 'ok' in x;
}

/**
 * Verifies a request (all steps). `lookup` finds the AWS key of an access key id;
 * `nowMs` is the clock (tests pass their own).
 */
export async function verifySigV4(
  req: SigV4Request,
  policy: SigV4Policy,
  lookup: (accessKeyId: string) => AccessKey | undefined,
  nowMs: number,
): Promise<SigV4Result> {
  const claim = parseSigV4(req);
  if (isSigV4Failure(claim)) {
    return claim;
  }
  // 3. the key and its session token.
  const key = lookup(claim.accessKeyId);
  if (key === undefined) {
    return fail('UnrecognizedClientException', M.unrecognized, `unknown access key ${claim.accessKeyId}`);
  }
  if (!sameSecret(claim.sessionToken, key.sessionToken)) {
    return fail('UnrecognizedClientException', M.unrecognized, `session token does not match key ${key.id}`);
  }
  // 4. the date and the credential scope.
  const signedAt = parseAmzDate(claim.amzDate);
  if (signedAt === undefined) {
    return fail('IncompleteSignatureException', M.badDate(claim.amzDate ?? ''), 'X-Amz-Date shape');
  }
  const amzDate = claim.amzDate ?? '';
  if (claim.scopeDate !== amzDate.slice(0, 8)) {
    return fail('InvalidSignatureException', M.scopeDate(claim.scopeDate, amzDate), 'scope date');
  }
  if (claim.service !== policy.service) {
    return fail('InvalidSignatureException', M.scopeService(policy.service), `service ${claim.service}`);
  }
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(claim.region)) {
    return fail('InvalidSignatureException', M.scopeRegion, `region ${claim.region}`);
  }
  // 5. the clock.
  const skewMs = policy.maxSkewMs ?? SIGV4_MAX_SKEW_MS;
  if (signedAt.getTime() > nowMs + skewMs) {
    return fail(
      'InvalidSignatureException',
      M.notYetCurrent(signedAt, nowMs, skewMs),
      'signed in the future',
    );
  }
  if (claim.presigned) {
    const expiresAtMs = signedAt.getTime() + (claim.expiresSec ?? 0) * 1000;
    if (nowMs > expiresAtMs) {
      return {
        ...fail(
          'InvalidSignatureException',
          M.presignExpired(signedAt, nowMs, claim.expiresSec ?? 0),
          'URL expired',
        ),
        expired: true,
      };
    }
  } else if (signedAt.getTime() < nowMs - skewMs) {
    return fail('InvalidSignatureException', M.expired(signedAt, nowMs, skewMs), 'signed too long ago');
  }
  // 6. the body. Hashed here only when the client sent its hash: the signer below takes a
  // signed x-amz-content-sha256 as the payload hash rather than hashing the body again,
  // and hashes it itself when none was sent (one hash per request either way).
  const sentHash = req.headers['x-amz-content-sha256'];
  if (
    sentHash !== undefined &&
    !(sentHash === UNSIGNED_PAYLOAD && policy.allowUnsignedPayload === true) &&
    sentHash !== createHash('sha256').update(req.body).digest('hex')
  ) {
    return fail(
      'InvalidSignatureException',
      M.signatureMismatch,
      'x-amz-content-sha256 is not the body hash',
    );
  }
  // 7. the signature, as the SDK's signer computes it for this request.
  const expected = await expectedSignature(req, claim, key, signedAt);
  const given = Buffer.from(claim.signature, 'hex');
  const wanted = Buffer.from(expected, 'hex');
  if (wanted.length !== given.length || !timingSafeEqual(wanted, given)) {
    return fail('InvalidSignatureException', M.signatureMismatch, 'signature does not match');
  }
  return { ok: true, key, region: claim.region, presigned: claim.presigned };
}

async function expectedSignature(
  req: SigV4Request,
  claim: SigV4Claim,
  key: AccessKey,
  signedAt: Date,
): Promise<string> {
  const signer = signerFor(key, claim.region, claim.service);
  const signed = new Set(claim.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const value = req.headers[name];
    if (value !== undefined) {
      headers[name] = value;
    }
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, values] of parseQuery(req.rawQuery)) {
    if (!(claim.presigned && PRESIGN_PARAMS.has(name))) {
      query[name] = values.length === 1 ? (values[0] ?? '') : values;
    }
  }
  const request = {
    method: req.method,
    protocol: 'http:',
    hostname: req.headers.host ?? '',
    path: req.rawPath,
    query,
    headers,
    body: req.body.length === 0 ? undefined : req.body,
  };
  const options = { signingDate: signedAt, signableHeaders: signed, signingRegion: claim.region };
  if (claim.presigned) {
    const out = await signer.presign(request, {
      ...options,
      expiresIn: claim.expiresSec ?? 0,
      unhoistableHeaders: signed,
    });
    const sig = out.query?.['X-Amz-Signature'];
    return typeof sig === 'string' ? sig : '';
  }
  const out = await signer.sign(request, options);
  return /Signature=([0-9a-f]{64})/.exec(out.headers.authorization ?? '')?.[1] ?? '';
}

/** Signers kept per key, region and service (at most SIGNER_CACHE_SIZE, then all dropped). */
const signers = new Map<string, SignatureV4>();
const SIGNER_CACHE_SIZE = 256;

/**
 * The signer of a key, region and service, built once rather than per request (the
 * derived signing key is cached by @smithy/signature-v4 itself, across signers). The key's
 * secret and session token are part of the cache key, so a changed key gets a new signer.
 */
function signerFor(key: AccessKey, region: string, service: string): SignatureV4 {
  const id = `${key.id}\0${key.secret}\0${key.sessionToken ?? ''}\0${region}\0${service}`;
  let signer = signers.get(id);
  if (signer === undefined) {
    if (signers.size >= SIGNER_CACHE_SIZE) {
      signers.clear();
    }
    signer = new SignatureV4({
      service,
      region,
      credentials: {
        accessKeyId: key.id,
        secretAccessKey: key.secret,
        ...(key.sessionToken === undefined ? {} : { sessionToken: key.sessionToken }),
      },
      sha256: NodeSha256,
      applyChecksum: false,
    });
    signers.set(id, signer);
  }
  return signer;
}

/** The presigned URL's own parameters: the signer adds them back. */
const PRESIGN_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);

/** Query parameters, decoded, in order; a malformed escape is kept as sent. */
/** The query of a request that names no X-Amz-Algorithm, as parseSigV4 sees it. */
const NO_QUERY: ReadonlyMap<string, string[]> = new Map();

function parseQuery(rawQuery: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (rawQuery === '') {
    return out;
  }
  for (const pair of rawQuery.split('&')) {
    if (pair === '') {
      continue;
    }
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `yyyyMMddTHHmmssZ` → Date, or undefined. */
export function parseAmzDate(s: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  if (m === null) {
    return undefined;
  }
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19) !== iso.slice(0, 19) ? undefined : d;
}

/** Two secrets (session tokens) equal, compared in constant time; both absent is equal. */
export function sameSecret(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) {
    return given === expected;
  }
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
