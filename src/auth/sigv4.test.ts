import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { AccessKey } from './credentials.js';
import { NodeSha256 as Sha256 } from './node-sha256.js';
import { verifySigV4, type SigV4Request } from './sigv4.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const KEY: AccessKey = {
  vendor: 'aws',
  id: 'AKIAEXAMPLE',
  secret: 'wJalrXUtnFEMI',
  accountId: '111111111111',
};
const TOKEN_KEY: AccessKey = { ...KEY, id: 'ASIATEMP', sessionToken: 'tok-123' };
const lookup = (id: string) => [KEY, TOKEN_KEY].find((k) => k.id === id);
const LAMBDA = { service: 'lambda' };

interface Opts {
  key?: { id: string; secret: string; token?: string };
  service?: string;
  region?: string;
  at?: number;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
}

function signer(o: Opts) {
  const k = o.key ?? { id: KEY.id, secret: KEY.secret };
  return new SignatureV4({
    service: o.service ?? 'lambda',
    region: o.region ?? 'us-east-1',
    credentials: {
      accessKeyId: k.id,
      secretAccessKey: k.secret,
      ...(k.token === undefined ? {} : { sessionToken: k.token }),
    },
    sha256: Sha256,
  });
}

function baseRequest(o: Opts) {
  return {
    method: o.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 8910,
    path: o.path ?? '/2015-03-31/functions/f%3A1/invocations',
    query: o.query ?? {},
    headers: { host: '127.0.0.1:8910', 'content-type': 'application/json', ...(o.headers ?? {}) },
    body: o.body ?? '{"a":1}',
  };
}

function toWire(
  r: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string> },
  body: string,
): SigV4Request {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    headers[k.toLowerCase()] = v;
  }
  const rawQuery = Object.entries(r.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return { method: r.method, rawPath: r.path, rawQuery, headers, body: Buffer.from(body) };
}

async function signed(o: Opts = {}): Promise<SigV4Request> {
  const req = baseRequest(o);
  const out = await signer(o).sign(req, { signingDate: new Date(o.at ?? T0) });
  return toWire(out, req.body);
}

async function presigned(o: Opts & { expiresIn?: number } = {}): Promise<SigV4Request> {
  const req = { ...baseRequest({ method: 'GET', body: '', ...o }), body: undefined };
  const out = await signer(o).presign(req, {
    signingDate: new Date(o.at ?? T0),
    expiresIn: o.expiresIn ?? 600,
  });
  return toWire(out, '');
}

const verify = (req: SigV4Request, now = T0, policy = LAMBDA) => verifySigV4(req, policy, lookup, now);

describe('SigV4, header form', () => {
  it('accepts the SDK signer’s signature (encoded path, body, query) and names the key and region', async () => {
    const r = await verify(await signed({ query: { Qualifier: 'v 1' }, region: 'eu-west-1' }));
    expect(r).toMatchObject({ ok: true, key: { id: 'AKIAEXAMPLE' }, region: 'eu-west-1', presigned: false });
  });

  it('missing Authorization → MissingAuthenticationTokenException', async () => {
    const req = await signed();
    const { authorization: _a, ...headers } = req.headers;
    expect(await verify({ ...req, headers })).toMatchObject({
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('unknown key → UnrecognizedClientException', async () => {
    expect(await verify(await signed({ key: { id: 'AKIANOBODY', secret: 'x' } }))).toMatchObject({
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('wrong secret → InvalidSignatureException with AWS’s long message', async () => {
    const r = await verify(await signed({ key: { id: KEY.id, secret: 'wrong' } }));
    expect(r).toMatchObject({ type: 'InvalidSignatureException' });
    expect(r.ok ? '' : r.message).toMatch(
      /^The request signature we calculated does not match .* for details\.$/,
    );
  });

  it('a body changed after signing → InvalidSignatureException', async () => {
    const req = await signed();
    expect(await verify({ ...req, body: Buffer.from('{"a":2}') })).toMatchObject({
      type: 'InvalidSignatureException',
    });
    // And when the client sent no x-amz-content-sha256, the signature itself covers the body.
    const { 'x-amz-content-sha256': _h, ...headers } = req.headers;
    expect((await verify({ ...req, headers })).ok).toBe(false);
  });

  it('a changed query or path → InvalidSignatureException', async () => {
    const req = await signed({ query: { Qualifier: '1' } });
    expect((await verify({ ...req, rawQuery: 'Qualifier=2' })).ok).toBe(false);
    expect((await verify({ ...req, rawPath: req.rawPath.replace('f%3A1', 'g') })).ok).toBe(false);
  });

  it('clock skew beyond 5 minutes, either way, with AWS’s messages', async () => {
    const past = await verify(await signed({ at: T0 - 5 * 60_000 - 1000 }));
    expect(past).toMatchObject({
      type: 'InvalidSignatureException',
      message:
        'Signature expired: 20260301T115459Z is now earlier than 20260301T115500Z (20260301T120000Z - 5 min.)',
    });
    const future = await verify(await signed({ at: T0 + 6 * 60_000 }));
    expect(future).toMatchObject({
      type: 'InvalidSignatureException',
      message:
        'Signature not yet current: 20260301T120600Z is still later than 20260301T120500Z (20260301T120000Z + 5 min.)',
    });
    expect((await verify(await signed({ at: T0 - 4 * 60_000 }))).ok).toBe(true);
  });

  it('the scope names this service and a region', async () => {
    expect(await verify(await signed({ service: 'logs' }))).toMatchObject({
      type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'lambda'. ",
    });
    expect((await verify(await signed({ region: 'moon' }))).ok).toBe(false);
  });

  it('malformed headers → IncompleteSignatureException, never a crash', async () => {
    const req = await signed();
    const auth = req.headers.authorization ?? '';
    const cases = [
      'Bearer abc',
      'AWS4-HMAC-SHA256',
      auth.replace('Credential=', 'Credential '),
      auth.replace('SignedHeaders=', 'SignedHeaders=host;host;'),
      auth.replace('/aws4_request', '/aws5_request'),
      auth.replace(/Credential=[^/]+\//, 'Credential='),
    ];
    for (const authorization of cases) {
      const r = await verify({ ...req, headers: { ...req.headers, authorization } });
      expect(r.ok ? authorization : r.type).toBe('IncompleteSignatureException');
    }
  });

  it('host must be signed; a listed header that is absent fails the signature', async () => {
    const req = await signed();
    const noHost = (req.headers.authorization ?? '').replace(/(SignedHeaders=[^,]*?)host;/, '$1');
    expect(await verify({ ...req, headers: { ...req.headers, authorization: noHost } })).toMatchObject({
      type: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
    const { 'content-type': _c, ...headers } = req.headers;
    expect((await verify({ ...req, headers })).ok).toBe(false);
  });

  it('session tokens: required for a key that has one, refused for a key that has none', async () => {
    const withToken = { id: TOKEN_KEY.id, secret: TOKEN_KEY.secret, token: 'tok-123' };
    expect((await verify(await signed({ key: withToken }))).ok).toBe(true);
    expect((await verify(await signed({ key: { ...withToken, token: 'other' } }))).ok).toBe(false);
    expect(await verify(await signed({ key: { id: TOKEN_KEY.id, secret: TOKEN_KEY.secret } }))).toMatchObject(
      {
        type: 'UnrecognizedClientException',
      },
    );
    expect(await verify(await signed({ key: { id: KEY.id, secret: KEY.secret, token: 'x' } }))).toMatchObject(
      {
        type: 'UnrecognizedClientException',
      },
    );
  });

  it('UNSIGNED-PAYLOAD only where the policy allows it', async () => {
    const req = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(await verify(req)).toMatchObject({ type: 'InvalidSignatureException' });
    expect((await verify(req, T0, { service: 'lambda', allowUnsignedPayload: true } as never)).ok).toBe(true);
  });
});

describe('SigV4, presigned query form', () => {
  it('accepts a presigned URL until X-Amz-Expires, then refuses it', async () => {
    const req = await presigned({ expiresIn: 600 });
    expect(await verify(req, T0 + 599_000)).toMatchObject({ ok: true, presigned: true });
    expect(await verify(req, T0 + 601_000)).toMatchObject({ type: 'InvalidSignatureException' });
  });

  it('a tampered URL is refused', async () => {
    const req = await presigned();
    expect((await verify({ ...req, rawPath: '/2015-03-31/functions/other' })).ok).toBe(false);
    expect(
      (await verify({ ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000') }))
        .ok,
    ).toBe(false);
    expect(
      await verify({ ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=600', 'X-Amz-Expires=9999999') }),
    ).toMatchObject({
      type: 'IncompleteSignatureException',
    });
  });
});
