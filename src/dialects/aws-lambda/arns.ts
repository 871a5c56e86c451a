/**
 * ARNs and value formats of the AWS dialect (spec §1.6).
 */

export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`. */
export function functionArn(scope: ArnScope, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}

/** `arn:aws:lambda:<region>:<account>:layer:<name>[:<version>]`. */
export function layerArn(scope: ArnScope, layerName: string, version?: number): string {
  const base = `arn:aws:lambda:${scope.region}:${scope.accountId}:layer:${layerName}`;
  return version === undefined ? base : `${base}:${version}`;
}

/** `yyyy-MM-ddTHH:mm:ss.SSS+0000`, e.g. `2019-11-21T19:32:12.000+0000`. */
export function formatLastModified(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/**
 * Provisioned-concurrency configs' LastModified: second precision, `+0000`, as AWS's own
 * examples of Put/Get/ListProvisionedConcurrencyConfig(s) show (`2019-12-31T20:29:00+0000`),
 * unlike functions' `.SSS` form.
 */
export function formatProvisionedLastModified(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** AWS's CodeSha256: the package's sha256 in base64. */
export function codeSha256Base64(sha256Hex: string): string {
  return Buffer.from(sha256Hex, 'hex').toString('base64');
}

/** The sha256 a base64 CodeSha256 names, in hex (garbage in, non-matching hex out). */
export function codeSha256Hex(base64: string): string {
  return Buffer.from(base64, 'base64').toString('hex');
}
