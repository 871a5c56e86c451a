/**
 * What AWS answers when SigV4 authentication fails: the exception name and the message,
 * word for word where a public record exists. Each dialect renders these in its own wire
 * format (403; src/auth/README.md "Errors" lists the source of every string).
 */

export type SigV4FailureType =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException';

export interface SigV4Failure {
  readonly ok: false;
  readonly type: SigV4FailureType;
  /** AWS's message, safe to send: it never contains a secret. */
  readonly message: string;
  /** A short reason for hearth's log. */
  readonly reason: string;
  /** Set when a presigned URL is past X-Amz-Date + X-Amz-Expires (S3 words this its own way). */
  readonly expired?: true;
}

/** AWS's `yyyyMMddTHHmmssZ`. */
export function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min.`;

export const SIGV4_MESSAGES = {
  missing: 'Missing Authentication Token',
  unrecognized: 'The security token included in the request is invalid.',
  signatureMismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  expired: (signedAt: Date, nowMs: number, skewMs: number) =>
    `Signature expired: ${amzDate(signedAt.getTime())} is now earlier than ${amzDate(nowMs - skewMs)} (${amzDate(nowMs)} - ${minutes(skewMs)})`,
  notYetCurrent: (signedAt: Date, nowMs: number, skewMs: number) =>
    `Signature not yet current: ${amzDate(signedAt.getTime())} is still later than ${amzDate(nowMs + skewMs)} (${amzDate(nowMs)} + ${minutes(skewMs)})`,
  presignExpired: (signedAt: Date, nowMs: number, expiresSec: number) =>
    `Signature expired: ${amzDate(signedAt.getTime() + expiresSec * 1000)} is now earlier than ${amzDate(nowMs)} (X-Amz-Date ${amzDate(signedAt.getTime())} + X-Amz-Expires ${expiresSec} sec.)`,
  headerRequires: (name: string) => `Authorization header requires '${name}' parameter.`,
  headerRequiresDate: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  missingEqualSign: (part: string, header: string) =>
    `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`,
  queryRequires: (names: readonly string[]) =>
    names.map((n) => `AWS query-string parameters must include '${n}'.`).join(' ') +
    ' Re-examine the query-string parameters.',
  bothMechanisms:
    'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
  unsupportedAlgorithm: "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'",
  badExpires: 'X-Amz-Expires must be a number of seconds between 1 and 604800 (seven days).',
  badCredential: (credential: string) =>
    `Credential should be scoped to a valid region, not '${credential.split('/')[2] ?? ''}'. `,
  badTerminator: (terminator: string) =>
    `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `,
  badSignedHeaders: (list: string) =>
    `SignedHeaders '${list}' must be lower-case header names separated by ';'.`,
  duplicateSignedHeader: (list: string) => `SignedHeaders '${list}' names a header twice.`,
  hostNotSigned: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
  badDate: (given: string) =>
    `Date must be in ISO-8601 'basic format'. Got '${given}'. See http://en.wikipedia.org/wiki/ISO_8601`,
  scopeDate: (scopeDate: string, amz: string) =>
    `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amz.slice(0, 8)}', from '${amz}'.`,
  scopeService: (service: string) => `Credential should be scoped to correct service: '${service}'. `,
  scopeRegion: 'Credential should be scoped to a valid region. ',
} as const;

/**
 * The same failures as the JSON-protocol services answer them (CloudWatch Logs and
 * Application Auto Scaling, `awsJson1_1`): status 400, not Lambda's 403, and a missing
 * signature worded as DynamoDB words it. src/auth/README.md "Errors" gives each source.
 */
export const JSON_PROTOCOL_AUTH_STATUS = 400;

export function jsonProtocolAuthMessage(f: Pick<SigV4Failure, 'type' | 'message'>): string {
  return f.type === 'MissingAuthenticationTokenException'
    ? 'Request is missing Authentication Token'
    : f.message;
}
