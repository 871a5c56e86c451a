import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveTc3SigningKey,
  parseTc3Authorization,
  signTc3,
  verifyTc3,
  type Tc3Request,
  type Tc3VerifyResult,
} from './tc3.js';

// ---- spec §2.3.1: a request captured from tencentcloud-sdk-nodejs 4.1.220 --------------------

const DUMMY_ID = 'AKIDdummySecretId0000000000000000000';
const DUMMY_KEY = 'dummySecretKey0000000000000000000';

/** The §2.3.1 request, header names lower-cased as node delivers them. */
const captured: Tc3Request = {
  method: 'POST',
  path: '/',
  query: '',
  headers: {
    'x-tc-traceid': 'd8ef8bf5-f53a-467e-acd9-b71eae39a8bd',
    host: '127.0.0.1:19120',
    'x-tc-action': 'GetProvisionedConcurrencyConfig',
    'x-tc-region': 'ap-guangzhou',
    'x-tc-timestamp': '1795359617',
    'x-tc-version': '2018-04-16',
    'x-tc-requestclient': 'SDK_NODEJS_4.1.220',
    'content-type': 'application/json',
    authorization: `TC3-HMAC-SHA256 Credential=${DUMMY_ID}/2026-11-22/127/tc3_request, SignedHeaders=content-type;host, Signature=9943652a91fb2ba0042ee90b3ea8b7222ba6845c1c7649f2a9eca725f371f4c0`,
    accept: '*/*',
    'content-length': '62',
    'user-agent': 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
    'accept-encoding': 'gzip,deflate',
    connection: 'keep-alive',
  },
  body: Buffer.from('{"FunctionName":"hello","Namespace":"default","Qualifier":"1"}'),
};
const capturedAtMs = 1795359617 * 1000;

/** The §2.3.2 request: token, language, endpoint `scf.local.test:19103`, so service `scf`. */
const capturedScf: Tc3Request = {
  method: 'POST',
  path: '/',
  query: '',
  headers: {
    host: 'scf.local.test:19103',
    'x-tc-action': 'GetProvisionedConcurrencyConfig',
    'x-tc-region': 'ap-guangzhou',
    'x-tc-timestamp': '1795359358',
    'x-tc-version': '2018-04-16',
    'x-tc-token': 'dummySessionToken123',
    'x-tc-language': 'en-US',
    'content-type': 'application/json',
    authorization: `TC3-HMAC-SHA256 Credential=${DUMMY_ID}/2026-11-22/scf/tc3_request, SignedHeaders=content-type;host, Signature=4e3417a7a71dd76e95a6c72f6020a90c4b89eeffee0422de12bcb0ddec33a875`,
  },
  body: Buffer.from('{"FunctionName":"hello","Qualifier":"1"}'),
};

function withHeaders(req: Tc3Request, patch: Record<string, string | undefined>): Tc3Request {
  return { ...req, headers: { ...req.headers, ...patch } };
}

function expectFailure(result: Tc3VerifyResult, code: string): void {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.code).toBe(code);
    expect(result.reason).not.toContain(DUMMY_KEY);
  }
}

describe('signTc3 reproduces the SDK (spec §2.3.1, §2.4)', () => {
  it('gives the captured canonical request, string to sign and signature for 127.0.0.1:19120', () => {
    const s = signTc3({
      secretId: DUMMY_ID,
      secretKey: DUMMY_KEY,
      service: '127',
      timestampSec: 1795359617,
      host: '127.0.0.1',
      contentType: 'application/json',
      body: captured.body,
    });
    expect(s.hashedPayload).toBe('022b24a9193c95f608bd24ae46b933d57a572ae12cc1f24a43918bd595626117');
    expect(s.canonicalRequest).toBe(
      'POST\n/\n\ncontent-type:application/json\nhost:127.0.0.1\n\ncontent-type;host\n' +
        '022b24a9193c95f608bd24ae46b933d57a572ae12cc1f24a43918bd595626117',
    );
    expect(s.stringToSign).toBe(
      'TC3-HMAC-SHA256\n1795359617\n2026-11-22/127/tc3_request\n' +
        'e9f74815321afab8630778eef991397ae32af324ff32d66949f67ce6a10aff0f',
    );
    expect(s.signature).toBe('9943652a91fb2ba0042ee90b3ea8b7222ba6845c1c7649f2a9eca725f371f4c0');
    expect(s.authorization).toBe(captured.headers.authorization);
  });

  it('does not match when the port is signed (spec §2.3.1: "does not match")', () => {
    const s = signTc3({
      secretId: DUMMY_ID,
      secretKey: DUMMY_KEY,
      service: '127',
      timestampSec: 1795359617,
      host: '127.0.0.1:19120',
      contentType: 'application/json',
      body: captured.body,
    });
    expect(s.signature).not.toBe('9943652a91fb2ba0042ee90b3ea8b7222ba6845c1c7649f2a9eca725f371f4c0');
  });

  it('matches the §2.4 key-derivation and signature vectors', () => {
    const body = '{"FunctionName":"hello","Qualifier":"1","Namespace":"default"}';
    const key = (msg: string, k: Buffer | string): Buffer => createHmac('sha256', k).update(msg).digest();
    const kDate = key('2023-11-14', 'TC3SECRETEXAMPLE');
    const kService = key('scf', kDate);
    expect(kDate.toString('hex')).toBe('627f442b7b172f3e6919fc3a3d962a33c3586a855323015e7a8b795092a41af8');
    expect(kService.toString('hex')).toBe('14c97e1384b002a9b81a6e4f8efb5525d5385b59e8f8a998623e0a5af69552e9');
    expect(deriveTc3SigningKey('SECRETEXAMPLE', '2023-11-14', 'scf').toString('hex')).toBe(
      '72c3159a4ad39e8582863a8955709bcdb8e5e23e8a3f7757f86449674429e00a',
    );

    const vectors = [
      {
        host: 'scf.tencentcloudapi.com',
        signature: '749b8b9c49f3e89cc7d6585dea9abfc524fb876706a8a434772f82e18c4ba0f2',
        hashedCanonical: '5d6e452ae5e7214555c3e1a2cb7d8dce04182e1fe59a94df748abc0278b984b0',
      },
      {
        host: 'scf.local.test',
        signature: '1c75778440a853421dcb6388f70d0d542c0169cf3510f7a0f5ae0c922ed33772',
        hashedCanonical: '05a877f0cc04063c3b57548373845022c92d9efccc8729c4310a786391f9b032',
      },
    ];
    for (const v of vectors) {
      const s = signTc3({
        secretId: 'AKIDEXAMPLE',
        secretKey: 'SECRETEXAMPLE',
        service: 'scf',
        timestampSec: 1700000000,
        host: v.host,
        contentType: 'application/json',
        body,
      });
      expect(s.hashedPayload).toBe('3d6ba6fdfa5628828a1b7fd9a04da52de835aa00027f09c7e1280058522cb121');
      expect(s.stringToSign.split('\n')[3]).toBe(v.hashedCanonical);
      expect(s.signature).toBe(v.signature);
    }
  });
});

describe('verifyTc3 on the captured requests', () => {
  it('accepts §2.3.1 (service 127, Host with port, signed without it)', () => {
    const r = verifyTc3(captured, DUMMY_KEY, capturedAtMs);
    expect(r).toMatchObject({ ok: true, timestampSec: 1795359617, signedHost: '127.0.0.1' });
    if (r.ok) {
      expect(r.authorization).toEqual({
        algorithm: 'TC3-HMAC-SHA256',
        secretId: DUMMY_ID,
        date: '2026-11-22',
        service: '127',
        signedHeaders: ['content-type', 'host'],
        signature: '9943652a91fb2ba0042ee90b3ea8b7222ba6845c1c7649f2a9eca725f371f4c0',
      });
    }
  });

  it('accepts §2.3.2 (service scf from the endpoint label, token and language unsigned)', () => {
    expect(verifyTc3(capturedScf, DUMMY_KEY, 1795359358 * 1000)).toMatchObject({
      ok: true,
      signedHost: 'scf.local.test',
    });
  });

  it('accepts the Go/Python form, where the Host signed is the one sent, port included', () => {
    const s = signTc3({
      secretId: DUMMY_ID,
      secretKey: DUMMY_KEY,
      service: 'scf',
      timestampSec: 1795359617,
      host: 'scf.local.test:8080',
      contentType: 'application/json',
      body: captured.body,
    });
    const req = withHeaders(captured, { host: 'scf.local.test:8080', authorization: s.authorization });
    expect(verifyTc3(req, DUMMY_KEY, capturedAtMs)).toMatchObject({
      ok: true,
      signedHost: 'scf.local.test:8080',
    });
  });

  it('accepts a Host without a port, and an IPv6 literal with one', () => {
    for (const [sent, signed] of [
      ['scf.local.test', 'scf.local.test'],
      ['[::1]:9000', '[::1]'],
    ] as const) {
      const s = signTc3({
        secretId: DUMMY_ID,
        secretKey: DUMMY_KEY,
        service: 'scf',
        timestampSec: 1795359617,
        host: signed,
        contentType: 'application/json',
        body: captured.body,
      });
      const req = withHeaders(captured, { host: sent, authorization: s.authorization });
      expect(verifyTc3(req, DUMMY_KEY, capturedAtMs)).toMatchObject({ ok: true, signedHost: signed });
    }
  });

  it('accepts the GET variant, signing the raw query as sent (spec §2.3.4)', () => {
    const query =
      'FunctionName=hello&Qualifier=1&TriggerActions.0.TriggerName=a%20b&TriggerActions.0.TriggerCronConfig=0%200%208%20*%20*%20*%20*';
    const s = signTc3({
      secretId: DUMMY_ID,
      secretKey: DUMMY_KEY,
      service: '127',
      timestampSec: 1795359617,
      method: 'GET',
      query,
      host: '127.0.0.1',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(s.hashedPayload).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const req: Tc3Request = {
      method: 'GET',
      path: '/',
      query,
      headers: {
        host: '127.0.0.1:19120',
        'content-type': 'application/x-www-form-urlencoded',
        'x-tc-timestamp': '1795359617',
        authorization: s.authorization,
      },
      body: Buffer.alloc(0),
    };
    expect(verifyTc3(req, DUMMY_KEY, capturedAtMs).ok).toBe(true);
    // A re-encoded query (URLSearchParams writes '+' for spaces) no longer matches.
    const reencoded = new URLSearchParams(query).toString();
    expectFailure(
      verifyTc3({ ...req, query: reencoded }, DUMMY_KEY, capturedAtMs),
      'AuthFailure.SignatureFailure',
    );
  });

  it('accepts UNSIGNED-PAYLOAD, which then does not cover the body (spec §2.4 step 5)', () => {
    const s = signTc3({
      secretId: DUMMY_ID,
      secretKey: DUMMY_KEY,
      service: '127',
      timestampSec: 1795359617,
      host: '127.0.0.1',
      contentType: 'application/json',
      unsignedPayload: true,
    });
    const req = withHeaders(
      { ...captured, body: Buffer.from('{"anything":1}') },
      { authorization: s.authorization, 'x-tc-content-sha256': 'UNSIGNED-PAYLOAD' },
    );
    expect(verifyTc3(req, DUMMY_KEY, capturedAtMs).ok).toBe(true);
  });
});

describe('verifyTc3 rejects tampering', () => {
  const cases: { name: string; req: Tc3Request; code: string }[] = [
    {
      name: 'one byte of the body changed',
      req: {
        ...captured,
        body: Buffer.from('{"FunctionName":"hellp","Namespace":"default","Qualifier":"1"}'),
      },
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'the body re-serialized with a space',
      req: {
        ...captured,
        body: Buffer.from('{"FunctionName": "hello","Namespace":"default","Qualifier":"1"}'),
      },
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'another Host',
      req: withHeaders(captured, { host: '127.0.0.2:19120' }),
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'another Content-Type',
      req: withHeaders(captured, { 'content-type': 'text/plain' }),
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'the timestamp moved by one second',
      req: withHeaders(captured, { 'x-tc-timestamp': '1795359618' }),
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'another service in the scope',
      req: withHeaders(captured, {
        authorization: (captured.headers.authorization as string).replace('/127/', '/scf/'),
      }),
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'a scope date that is not the timestamp’s UTC date',
      req: withHeaders(captured, {
        authorization: (captured.headers.authorization as string).replace('2026-11-22', '2026-11-21'),
      }),
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'a content-type signed but not sent',
      req: withHeaders(captured, { 'content-type': undefined }),
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'no Authorization',
      req: withHeaders(captured, { authorization: undefined }),
      code: 'AuthFailure.InvalidAuthorization',
    },
    {
      name: 'no X-TC-Timestamp',
      req: withHeaders(captured, { 'x-tc-timestamp': undefined }),
      code: 'MissingParameter',
    },
    {
      name: 'a fractional X-TC-Timestamp',
      req: withHeaders(captured, { 'x-tc-timestamp': '1795359617.5' }),
      code: 'InvalidParameter',
    },
  ];
  it.each(cases)('$name → $code', ({ req, code }) => {
    expectFailure(verifyTc3(req, DUMMY_KEY, capturedAtMs), code);
  });

  it('rejects the wrong secret key', () => {
    expectFailure(verifyTc3(captured, `${DUMMY_KEY}x`, capturedAtMs), 'AuthFailure.SignatureFailure');
  });
});

describe('verifyTc3 clock skew (spec §2.4 step 3: more than 300 s is SignatureExpire)', () => {
  const SEC = 1000;
  it.each([
    { skew: 0, ok: true },
    { skew: 300 * SEC, ok: true },
    { skew: -300 * SEC, ok: true },
    { skew: 300 * SEC + 1, ok: false },
    { skew: -301 * SEC, ok: false },
    { skew: 86_400 * SEC, ok: false },
  ])('server clock at timestamp $skew ms → ok=$ok', ({ skew, ok }) => {
    const r = verifyTc3(captured, DUMMY_KEY, capturedAtMs + skew);
    if (ok) {
      expect(r.ok).toBe(true);
    } else {
      expectFailure(r, 'AuthFailure.SignatureExpire');
    }
  });

  it('checks expiry before the signature, so an old replay says SignatureExpire', () => {
    const tampered = { ...captured, body: Buffer.from('{}') };
    expectFailure(verifyTc3(tampered, DUMMY_KEY, capturedAtMs + 3_600_000), 'AuthFailure.SignatureExpire');
  });
});

describe('parseTc3Authorization', () => {
  const good = captured.headers.authorization as string;

  it('parses a service with a port, as the Node SDK produces for localhost:9000 (spec §1.2)', () => {
    const r = parseTc3Authorization(good.replace('/127/', '/localhost:9000/'));
    expect(r).toMatchObject({ ok: true, authorization: { service: 'localhost:9000' } });
  });

  it.each([
    ['empty', ''],
    ['another algorithm', good.replace('TC3-HMAC-SHA256', 'TC3-HMAC-SHA1')],
    [
      'AWS SigV4',
      'AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=ab',
    ],
    ['a short signature', good.slice(0, -1)],
    ['an upper-case signature', good.replace('9943652a', '9943652A')],
    ['no tc3_request terminator', good.replace('/tc3_request', '/aws4_request')],
    ['a date that does not exist', good.replace('2026-11-22', '2026-02-30')],
    ['host not signed', good.replace('content-type;host', 'content-type')],
    ['content-type not signed', good.replace('content-type;host', 'host;x-tc-action')],
    ['a repeated signed header', good.replace('content-type;host', 'content-type;host;host')],
    ['an empty signed header name', good.replace('content-type;host', 'content-type;;host')],
  ])('rejects %s as InvalidAuthorization', (_name, header) => {
    const r = parseTc3Authorization(header);
    expect(r).toMatchObject({ ok: false, code: 'AuthFailure.InvalidAuthorization' });
  });

  it('honours extra signed headers in the order listed', () => {
    const timestampSec = 1795359617;
    // Hand-build a signature over content-type;host;x-tc-action to show the verifier uses
    // SignedHeaders, not a fixed pair.
    const canonical =
      'POST\n/\n\ncontent-type:application/json\nhost:127.0.0.1\nx-tc-action:getprovisionedconcurrencyconfig\n\n' +
      'content-type;host;x-tc-action\n022b24a9193c95f608bd24ae46b933d57a572ae12cc1f24a43918bd595626117';
    const sts = `TC3-HMAC-SHA256\n${timestampSec}\n2026-11-22/127/tc3_request\n${createHash('sha256').update(canonical).digest('hex')}`;
    const sig = createHmac('sha256', deriveTc3SigningKey(DUMMY_KEY, '2026-11-22', '127'))
      .update(sts)
      .digest('hex');
    const req = withHeaders(captured, {
      authorization: `TC3-HMAC-SHA256 Credential=${DUMMY_ID}/2026-11-22/127/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=${sig}`,
    });
    expect(verifyTc3(req, DUMMY_KEY, capturedAtMs).ok).toBe(true);
    expectFailure(
      verifyTc3(
        withHeaders(req, { 'x-tc-action': 'DeleteProvisionedConcurrencyConfig' }),
        DUMMY_KEY,
        capturedAtMs,
      ),
      'AuthFailure.SignatureFailure',
    );
  });
});
