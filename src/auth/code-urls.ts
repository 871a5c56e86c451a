/**
 * Code.Location URLs (issue 12 item 5): as AWS hands out S3 presigned URLs valid for 10
 * minutes, hearth hands out SigV4-presigned URLs of its own code endpoint,
 * `/_hearth/code/<account>/<sha256>.zip`, signed with a secret that exists only in this
 * process. The account is part of the signed path, so a URL opens one account's package
 * and nothing else, and only until it expires. A restart invalidates earlier URLs
 * ([DESIGN]: they last minutes anyway; nothing is stored).
 *
 * Verification reuses sigv4.ts (service `s3`); failures are worded as S3 words them.
 */
import { randomBytes } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AccessKey } from './credentials.js';
import { NodeSha256 } from './node-sha256.js';
import { verifySigV4, type SigV4Request } from './sigv4.js';

/** AWS's Code.Location is valid for 10 minutes (GetFunction: "a presigned URL … valid for 10 minutes"). */
export const CODE_URL_TTL_SEC = 600;
const KEY_ID = 'HEARTHCODEURL';
const PATH = /^\/_hearth\/code\/(\d{1,20})\/([0-9a-f]{64})\.zip$/;

export type CodeUrlCheck =
  | { readonly ok: true; readonly accountId: string; readonly codeSha256Hex: string }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

export class CodeUrls {
  readonly #key: AccessKey;

  constructor(
    private readonly now: () => number = Date.now,
    secret: string = randomBytes(32).toString('hex'),
  ) {
    this.#key = { vendor: 'aws', id: KEY_ID, secret, accountId: '000000000000' };
  }

  /** The second the memo below belongs to (X-Amz-Date's resolution), and its URLs. */
  #second = Number.NaN;
  readonly #signed = new Map<string, Promise<string>>();

  /**
   * A presigned GET URL of one account's package at `baseUrl`'s host (e.g.
   * http://127.0.0.1:8910). Signing is deterministic within a second (X-Amz-Date has
   * second resolution), so the URL of the same package in the same second is signed once
   * and reused: the very bytes a new signature would give, at a fraction of the cost of
   * GetFunction (issue 15).
   */
  sign(baseUrl: string, accountId: string, region: string, codeSha256Hex: string): Promise<string> {
    const now = this.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#signed.clear();
    }
    const key = `${baseUrl}\0${accountId}\0${region}\0${codeSha256Hex}`;
    let url = this.#signed.get(key);
    if (url === undefined) {
      url = this.#sign(baseUrl, accountId, region, codeSha256Hex, now);
      this.#signed.set(key, url);
      // A failure is not kept: the next caller signs again.
      url.catch(() => this.#signed.delete(key));
    }
    return url;
  }

  async #sign(
    baseUrl: string,
    accountId: string,
    region: string,
    codeSha256Hex: string,
    now: number,
  ): Promise<string> {
    const base = new URL(baseUrl);
    const signer = new SignatureV4({
      service: 's3',
      region,
      credentials: { accessKeyId: this.#key.id, secretAccessKey: this.#key.secret },
      sha256: NodeSha256,
    });
    const path = `/_hearth/code/${accountId}/${codeSha256Hex}.zip`;
    const out = await signer.presign(
      {
        method: 'GET',
        protocol: base.protocol,
        hostname: base.hostname,
        ...(base.port === '' ? {} : { port: Number(base.port) }),
        path,
        query: {},
        headers: { host: base.host },
      },
      { signingDate: new Date(now), expiresIn: CODE_URL_TTL_SEC },
    );
    const query = Object.entries(out.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return `${base.protocol}//${base.host}${path}?${query}`;
  }

  /** Checks a request for a package: the path's shape, then the presigned signature. */
  async check(req: SigV4Request): Promise<CodeUrlCheck> {
    const m = PATH.exec(req.rawPath);
    if (m === null) {
      return { ok: false, status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
    }
    if (!/(^|&)X-Amz-Signature=/.test(req.rawQuery)) {
      return { ok: false, status: 403, code: 'AccessDenied', message: 'Access Denied' };
    }
    // HEAD checks the URL signed for GET, as S3 does for a presigned GET URL.
    const result = await verifySigV4(
      { ...req, method: 'GET' },
      { service: 's3' },
      (id) => (id === KEY_ID ? this.#key : undefined),
      this.now(),
    );
    if (!result.ok) {
      if (result.expired === true) {
        return { ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' };
      }
      return {
        ok: false,
        status: 403,
        code: 'SignatureDoesNotMatch',
        message:
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      };
    }
    return { ok: true, accountId: m[1] ?? '', codeSha256Hex: m[2] ?? '' };
  }
}

/** S3's error document. */
export function s3ErrorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`
  );
}
