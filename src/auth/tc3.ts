/**
 * TC3-HMAC-SHA256: the request signature of Tencent Cloud API 3.0 (spec §2.4), verified the
 * way the official SDKs sign, plus a signer for tests.
 *
 * Verification recipe (spec §2.4, "Server verification"):
 *   1. parse `Authorization` → credential scope (SecretId, date, service) + SignedHeaders;
 *   2. (caller) look the SecretId up → AuthFailure.SecretIdNotFound, validate X-TC-Token;
 *   3. check X-TC-Timestamp against the clock (±5 min) and the scope date against it;
 *   4. rebuild the canonical request from the *listed* signed headers, trying the Host with
 *      its port stripped (Node SDK) and verbatim (Go/Python SDKs);
 *   5. hash the body bytes exactly as received (or UNSIGNED-PAYLOAD);
 *   6. derive the key with the service *from the scope* (the Node SDK uses the endpoint's
 *      first label: `127` for 127.0.0.1:9000, spec §1.2), never a fixed `scf`;
 *   7. compare in constant time.
 *
 * Failures carry the Tencent common error code (spec §2.6) so the dialect renders them
 * without a second table. Everything here is pure apart from `Date.now()` as a default.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';

/** "Timestamp and server time cannot differ by more than five minutes" (spec §2.4 step 3, §2.6). */
export const TC3_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Value of `X-TC-Content-SHA256` by which the Go/Python SDKs opt out of hashing the body (spec §2.4 step 5). */
export const TC3_UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/**
 * Headers Tencent's signature-v3 rules make mandatory in SignedHeaders. Every SDK signs
 * exactly `content-type;host` (spec §2.2, §2.4 step 4); without `host` a signature would not
 * bind the request to this endpoint.
 */
const REQUIRED_SIGNED_HEADERS = ['content-type', 'host'] as const;

/** The parsed `Authorization` header. */
export interface Tc3Authorization {
  readonly algorithm: typeof TC3_ALGORITHM;
  readonly secretId: string;
  /** Credential-scope date, `YYYY-MM-DD` (UTC date of X-TC-Timestamp when honest). */
  readonly date: string;
  /** Credential-scope service; may be `127` or `localhost:9000` (spec §1.2), not only `scf`. */
  readonly service: string;
  /** Lower-cased header names in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  /** 64 lower-case hex digits. */
  readonly signature: string;
}

/** Tencent common error codes (spec §2.6) that signature checks can produce. */
export type Tc3ErrorCode =
  | 'AuthFailure.InvalidAuthorization'
  | 'AuthFailure.SignatureExpire'
  | 'AuthFailure.SignatureFailure'
  | 'MissingParameter'
  | 'InvalidParameter';

export interface Tc3Failure {
  readonly ok: false;
  readonly code: Tc3ErrorCode;
  /** Why, in words fit for a log line or the error Message; never contains the secret. */
  readonly reason: string;
}

export type Tc3ParseResult = { readonly ok: true; readonly authorization: Tc3Authorization } | Tc3Failure;

/** What the verifier needs from an HTTP request. */
export interface Tc3Request {
  /** HTTP method as sent (`POST`, `GET`). */
  readonly method: string;
  /** The path as sent, without the query string; the SDK always uses `/` (spec §2.4 step 1). */
  readonly path: string;
  /**
   * The raw query string exactly as on the wire, without the leading `?` (`''` for POST).
   * It must not be re-encoded: the GET variant signs the SDK's `%20` encoding (spec §2.3.4).
   */
  readonly query: string;
  /** Header names lower-cased (node's IncomingHttpHeaders shape). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body bytes as received, never re-serialized (spec §2.4 step 5). */
  readonly body: Buffer;
}

export type Tc3VerifyResult =
  | {
      readonly ok: true;
      readonly authorization: Tc3Authorization;
      readonly timestampSec: number;
      /** The `host` value that matched: port-stripped (Node SDK) or verbatim (Go/Python). */
      readonly signedHost: string;
    }
  | Tc3Failure;

const fail = (code: Tc3ErrorCode, reason: string): Tc3Failure => ({ ok: false, code, reason });

// Spec §2.4 step 1, relaxed in one way: optional spaces after the commas. The service may
// contain ':' (e.g. `localhost:9000`), so it is "anything but '/'".
const AUTHORIZATION_RE =
  /^(\S+) Credential=([^/\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s]+)\/tc3_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Parses an `Authorization` header. Any malformation, including a missing header, is
 * AuthFailure.InvalidAuthorization (spec §2.4 step 1; Appendix D item 8 for the missing case).
 */
export function parseTc3Authorization(header: string | undefined): Tc3ParseResult {
  if (header === undefined || header.trim() === '') {
    return fail('AuthFailure.InvalidAuthorization', 'the Authorization header is missing');
  }
  const m = AUTHORIZATION_RE.exec(header.trim());
  if (m === null) {
    return fail(
      'AuthFailure.InvalidAuthorization',
      'the Authorization header is not `TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<64 hex>`',
    );
  }
  const [, algorithm = '', secretId = '', date = '', service = '', signedHeaderList = '', signature = ''] = m;
  if (algorithm !== TC3_ALGORITHM) {
    return fail('AuthFailure.InvalidAuthorization', `unsupported signature algorithm '${algorithm}'`);
  }
  if (!isCalendarDate(date)) {
    return fail('AuthFailure.InvalidAuthorization', `credential date '${date}' is not a calendar date`);
  }
  const signedHeaders = signedHeaderList.split(';');
  if (signedHeaders.some((h) => h === '')) {
    return fail('AuthFailure.InvalidAuthorization', `SignedHeaders '${signedHeaderList}' has an empty name`);
  }
  if (new Set(signedHeaders).size !== signedHeaders.length) {
    return fail('AuthFailure.InvalidAuthorization', `SignedHeaders '${signedHeaderList}' repeats a name`);
  }
  for (const required of REQUIRED_SIGNED_HEADERS) {
    if (!signedHeaders.includes(required)) {
      return fail('AuthFailure.InvalidAuthorization', `SignedHeaders must include '${required}'`);
    }
  }
  return {
    ok: true,
    authorization: { algorithm: TC3_ALGORITHM, secretId, date, service, signedHeaders, signature },
  };
}

/**
 * Verifies a TC3-signed request against the caller's secret key. The caller parses first
 * (to find the SecretId and its key: an unknown one is AuthFailure.SecretIdNotFound, spec
 * §2.4 step 2), then calls this; the header is parsed again here so that nothing unverified
 * can be passed in.
 *
 * Order of checks (spec §2.4): header shape → timestamp present → clock skew → scope date →
 * signature.
 */
export function verifyTc3(
  request: Tc3Request,
  secretKey: string,
  nowMs: number = Date.now(),
): Tc3VerifyResult {
  const parsed = parseTc3Authorization(headerValue(request.headers, 'authorization'));
  if (!parsed.ok) {
    return parsed;
  }
  const auth = parsed.authorization;

  // [REC] Tencent answers a missing/garbled public parameter with MissingParameter /
  // InvalidParameter (spec §2.6); X-TC-Timestamp is one (spec §2.2).
  const rawTimestamp = headerValue(request.headers, 'x-tc-timestamp')?.trim();
  if (rawTimestamp === undefined || rawTimestamp === '') {
    return fail('MissingParameter', 'the X-TC-Timestamp header is missing');
  }
  if (!/^\d{1,12}$/.test(rawTimestamp)) {
    return fail('InvalidParameter', `X-TC-Timestamp '${rawTimestamp}' is not a Unix time in whole seconds`);
  }
  const timestampSec = Number(rawTimestamp);
  const skewMs = Math.abs(nowMs - timestampSec * 1000);
  if (skewMs > TC3_MAX_CLOCK_SKEW_MS) {
    return fail(
      'AuthFailure.SignatureExpire',
      `X-TC-Timestamp ${timestampSec} differs from server time by ${Math.round(skewMs / 1000)} s (limit 300 s)`,
    );
  }
  // Spec §2.4 step 3: the scope date must be the UTC date of the signed timestamp.
  const expectedDate = utcDate(timestampSec);
  if (auth.date !== expectedDate) {
    return fail(
      'AuthFailure.SignatureFailure',
      `credential date ${auth.date} is not the UTC date of X-TC-Timestamp (${expectedDate})`,
    );
  }

  const hashedPayload = isUnsignedPayload(request.headers)
    ? sha256Hex(TC3_UNSIGNED_PAYLOAD)
    : sha256Hex(request.body);
  const hostCandidates = canonicalHostCandidates(headerValue(request.headers, 'host'));
  const given = Buffer.from(auth.signature, 'hex');
  const signingKey = deriveTc3SigningKey(secretKey, auth.date, auth.service);

  for (const host of hostCandidates) {
    const headers: [string, string][] = [];
    for (const name of auth.signedHeaders) {
      const value = name === 'host' ? host : canonicalHeaderValue(headerValue(request.headers, name));
      if (value === undefined) {
        return fail('AuthFailure.SignatureFailure', `signed header '${name}' is absent from the request`);
      }
      headers.push([name, value]);
    }
    const canonicalRequest = buildCanonicalRequest({
      method: request.method,
      path: request.path,
      query: stripQuestionMark(request.query),
      headers,
      hashedPayload,
    });
    const stringToSign = buildStringToSign(timestampSec, auth.date, auth.service, canonicalRequest);
    const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      return { ok: true, authorization: auth, timestampSec, signedHost: host };
    }
  }
  return fail('AuthFailure.SignatureFailure', 'the signature does not match the request');
}

/** Inputs of a TC3 signature, as the Node SDK's `Sign.sign3` takes them. */
export interface Tc3SignInput {
  readonly secretId: string;
  readonly secretKey: string;
  /** Credential-scope service (the endpoint's first label for the Node SDK, spec §1.2). */
  readonly service: string;
  readonly timestampSec: number;
  /** Defaults to `POST`. */
  readonly method?: string;
  /** Defaults to `/`. */
  readonly path?: string;
  /** Raw query without `?`; defaults to `''`. */
  readonly query?: string;
  /** The host value to sign: the Node SDK signs the hostname without the port (spec §1.3). */
  readonly host: string;
  readonly contentType: string;
  /** Defaults to the empty body (GET). */
  readonly body?: Buffer | string;
  /** Sign `UNSIGNED-PAYLOAD` instead of the body hash (Go/Python SDK option). */
  readonly unsignedPayload?: boolean;
}

export interface Tc3Signature {
  /** The `Authorization` header value. */
  readonly authorization: string;
  readonly signature: string;
  readonly date: string;
  readonly hashedPayload: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

/** Signs like the SDKs do (spec §2.4 steps 1–5). For tests and for hearth's own clients. */
export function signTc3(input: Tc3SignInput): Tc3Signature {
  const date = utcDate(input.timestampSec);
  const hashedPayload =
    input.unsignedPayload === true ? sha256Hex(TC3_UNSIGNED_PAYLOAD) : sha256Hex(input.body ?? '');
  const canonicalRequest = buildCanonicalRequest({
    method: input.method ?? 'POST',
    path: input.path ?? '/',
    query: input.query ?? '',
    headers: [
      ['content-type', input.contentType],
      ['host', input.host],
    ],
    hashedPayload,
  });
  const stringToSign = buildStringToSign(input.timestampSec, date, input.service, canonicalRequest);
  const signature = createHmac('sha256', deriveTc3SigningKey(input.secretKey, date, input.service))
    .update(stringToSign)
    .digest('hex');
  const authorization =
    `${TC3_ALGORITHM} Credential=${input.secretId}/${date}/${input.service}/tc3_request, ` +
    `SignedHeaders=content-type;host, Signature=${signature}`;
  return { authorization, signature, date, hashedPayload, canonicalRequest, stringToSign };
}

/** Spec §2.4 step 3: kDate → kService → kSigning, each a raw HMAC-SHA256 digest. */
export function deriveTc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  const kDate = createHmac('sha256', `TC3${secretKey}`).update(date).digest();
  const kService = createHmac('sha256', kDate).update(service).digest();
  return createHmac('sha256', kService).update('tc3_request').digest();
}

// ---- the canonical forms (spec §2.4 steps 1–2) ----------------------------------------------

interface CanonicalParts {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** [name, value] in SignedHeaders order, values already canonical. */
  readonly headers: readonly (readonly [string, string])[];
  readonly hashedPayload: string;
}

function buildCanonicalRequest(p: CanonicalParts): string {
  const canonicalHeaders = p.headers.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = p.headers.map(([name]) => name).join(';');
  // CanonicalHeaders ends in "\n" and is followed by another "\n": an empty line (step 1).
  return [p.method.toUpperCase(), p.path, p.query, canonicalHeaders, signedHeaders, p.hashedPayload].join(
    '\n',
  );
}

function buildStringToSign(
  timestampSec: number,
  date: string,
  service: string,
  canonicalRequest: string,
): string {
  return `${TC3_ALGORITHM}\n${timestampSec}\n${date}/${service}/tc3_request\n${sha256Hex(canonicalRequest)}`;
}

/**
 * Host values to try, in order (spec §1.3, §2.4 step 4): (a) without the port, as the Node
 * SDK signs `new URL(url).hostname`; (b) verbatim, as the Go and Python SDKs sign the Host
 * header. An IPv6 literal keeps its brackets, as URL.hostname does.
 */
function canonicalHostCandidates(rawHost: string | undefined): string[] {
  const host = canonicalHeaderValue(rawHost);
  if (host === undefined) {
    // No Host header (HTTP/1.0): let the signature check fail on "absent header".
    return [''];
  }
  let stripped = host;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end !== -1) {
      stripped = host.slice(0, end + 1);
    }
  } else {
    const m = /^([^:]*):\d*$/.exec(host);
    if (m?.[1] !== undefined) {
      stripped = m[1];
    }
  }
  return stripped === host ? [host] : [stripped, host];
}

/** Spec §2.4 step 4: values are trimmed and lower-cased (Tencent's canonical-header rule). */
function canonicalHeaderValue(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : raw.trim().toLowerCase();
}

function headerValue(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | undefined {
  const v = headers[name];
  if (v === undefined) {
    return undefined;
  }
  return typeof v === 'string' ? v : v.join(',');
}

function isUnsignedPayload(headers: Tc3Request['headers']): boolean {
  return headerValue(headers, 'x-tc-content-sha256')?.trim() === TC3_UNSIGNED_PAYLOAD;
}

function stripQuestionMark(query: string): string {
  return query.startsWith('?') ? query.slice(1) : query;
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function utcDate(timestampSec: number): string {
  return new Date(timestampSec * 1000).toISOString().slice(0, 10);
}

function isCalendarDate(ymd: string): boolean {
  const ms = Date.parse(`${ymd}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === ymd;
}
