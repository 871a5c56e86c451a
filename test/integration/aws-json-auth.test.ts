/**
 * Issue 12 item 2: how the JSON-protocol AWS APIs on hearth's port (CloudWatch Logs,
 * Application Auto Scaling) refuse a request, as AWS's do: status 400 (Lambda, rest-json,
 * answers 403), the exception name in `__type` and AWS's message, for an unknown key, a
 * wrong secret, an expired or future X-Amz-Date and a missing Authorization header
 * (sources: src/auth/README.md "Errors"). Driven by the official clients (the JS SDK for
 * Logs, boto3 for Application Auto Scaling, AWS's SigV4 signer for the skewed dates).
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SignatureV4 } from '@smithy/signature-v4';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.js';
import { NodeSha256 } from '../../src/auth/node-sha256.js';
import { boto3, hasBoto3 } from '../helpers/boto3.js';
import { startPlatform, type TestPlatform } from '../helpers/platform.js';

const A = { accessKeyId: 'AKIAJSONAUTHA', secretAccessKey: 'secret-a', accountId: '111111111111' };
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const UNRECOGNIZED = 'The security token included in the request is invalid.';

let p: TestPlatform;
const tempDir = tempDirs('hearth-json-auth-');

beforeAll(async () => {
  const file = path.join(tempDir(), 'credentials.json');
  writeFileSync(file, JSON.stringify({ credentials: [A] }));
  p = await startPlatform({ credentialsFile: file });
});

afterAll(async () => {
  await p.dispose();
});

/** The two services, each with the target and body of a harmless read. */
const SERVICES = [
  {
    name: 'CloudWatch Logs',
    service: 'logs',
    target: 'Logs_20140328.DescribeLogGroups',
    body: '{}',
  },
  {
    name: 'Application Auto Scaling',
    service: 'application-autoscaling',
    target: 'AnyScaleFrontendService.DescribeScalableTargets',
    body: '{"ServiceNamespace":"lambda"}',
  },
] as const;

/** A request signed by AWS's signer at `signedAtMs`, sent with fetch. */
async function signedAt(s: (typeof SERVICES)[number], signedAtMs: number) {
  const url = new URL(p.url);
  const signer = new SignatureV4({
    service: s.service,
    region: 'us-east-1',
    credentials: { accessKeyId: A.accessKeyId, secretAccessKey: A.secretAccessKey },
    sha256: NodeSha256,
  });
  const req = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': s.target,
      },
      body: s.body,
    },
    { signingDate: new Date(signedAtMs) },
  );
  const res = await fetch(p.url, { method: 'POST', headers: req.headers, body: s.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const message = (body: Record<string, unknown>) => body.message ?? body.Message;

describe.each(SERVICES)('$name', (s) => {
  it('a signature 6 minutes old is expired (5 minutes of skew); 6 minutes ahead is not yet current: 400', async () => {
    const old = await signedAt(s, Date.now() - 6 * 60_000);
    expect(old.status).toBe(400);
    expect(old.body.__type).toBe('InvalidSignatureException');
    expect(message(old.body)).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    const ahead = await signedAt(s, Date.now() + 6 * 60_000);
    expect(ahead.status).toBe(400);
    expect(message(ahead.body)).toMatch(
      /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/,
    );
    // Within the skew: served.
    expect((await signedAt(s, Date.now() - 60_000)).status).toBe(200);
  });

  it('no Authorization header: 400 MissingAuthenticationTokenException', async () => {
    const res = await fetch(p.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': s.target },
      body: s.body,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.__type).toBe('MissingAuthenticationTokenException');
    expect(message(body)).toBe('Request is missing Authentication Token');
  });
});

describe('CloudWatch Logs through the JS SDK', () => {
  const logs = (key: { accessKeyId: string; secretAccessKey: string }) =>
    new CloudWatchLogsClient({ endpoint: p.url, region: 'us-east-1', credentials: key, maxAttempts: 1 });
  const failure = (c: CloudWatchLogsClient) =>
    c.send(new DescribeLogGroupsCommand({})).then(
      () => {
        throw new Error('expected the call to fail');
      },
      (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } },
    );

  it('unknown key: 400 UnrecognizedClientException; wrong secret: 400 InvalidSignatureException', async () => {
    const unknown = logs({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' });
    const wrong = logs({ ...A, secretAccessKey: 'nope' });
    try {
      const u = await failure(unknown);
      expect([u.name, u.message, u.$metadata.httpStatusCode]).toEqual([
        'UnrecognizedClientException',
        UNRECOGNIZED,
        400,
      ]);
      const w = await failure(wrong);
      expect([w.name, w.message, w.$metadata.httpStatusCode]).toEqual([
        'InvalidSignatureException',
        MISMATCH,
        400,
      ]);
    } finally {
      unknown.destroy();
      wrong.destroy();
    }
  });
});

describe.skipIf(!hasBoto3)('Application Auto Scaling through boto3', () => {
  it('unknown key: 400 UnrecognizedClientException; wrong secret: 400 InvalidSignatureException', async () => {
    const unknown = boto3(p.url, { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' });
    const wrong = boto3(p.url, { accessKeyId: A.accessKeyId, secretAccessKey: 'nope' });
    const right = boto3(p.url, A);
    try {
      const params = { ServiceNamespace: 'lambda' };
      expect(await unknown.call('application-autoscaling', 'DescribeScalableTargets', params)).toEqual({
        error: { Code: 'UnrecognizedClientException', Message: UNRECOGNIZED, Status: 400 },
      });
      expect(await wrong.call('application-autoscaling', 'DescribeScalableTargets', params)).toEqual({
        error: { Code: 'InvalidSignatureException', Message: MISMATCH, Status: 400 },
      });
      expect(await right.ok('application-autoscaling', 'DescribeScalableTargets', params)).toEqual({
        ScalableTargets: [],
      });
    } finally {
      unknown.close();
      wrong.close();
      right.close();
    }
  });
});
