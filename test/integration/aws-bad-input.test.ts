/**
 * Hostile and malformed requests against a real hearth: every one gets an AWS-shaped
 * 4xx with a request id, never a 500, a hang or a crash (spec §1.4, Appendix A).
 */
import {
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  LambdaServiceException,
} from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

let p: TestPlatform;

beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p.dispose();
});

interface Answer {
  readonly status: number;
  readonly errorType: string | null;
  readonly requestId: string | null;
  readonly json: Record<string, unknown>;
}

async function raw(method: string, path: string, body?: string | Buffer): Promise<Answer> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return {
    status: res.status,
    errorType: res.headers.get('x-amzn-errortype'),
    requestId: res.headers.get('x-amzn-requestid'),
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const base = {
  Runtime: 'nodejs20.x' as const,
  Handler: 'index.handler',
  Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
};
const createWith = (name: string, zip: Buffer | string) =>
  raw(
    'POST',
    '/2015-03-31/functions',
    JSON.stringify({
      ...base,
      FunctionName: name,
      Code: { ZipFile: typeof zip === 'string' ? zip : zip.toString('base64') },
    }),
  );

async function createFailure(name: string, zip: Buffer): Promise<LambdaServiceException> {
  try {
    await p.client.send(new CreateFunctionCommand({ ...base, FunctionName: name, Code: { ZipFile: zip } }));
  } catch (e) {
    if (e instanceof LambdaServiceException) {
      return e;
    }
    throw e;
  }
  throw new Error('expected CreateFunction to fail');
}

describe('malformed requests', () => {
  it.each([
    ['not JSON', '{"FunctionName": "x",'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
    ['a number where a string goes', JSON.stringify({ ...base, FunctionName: 42 })],
    ['a string where an integer goes', JSON.stringify({ ...base, FunctionName: 'x', MemorySize: 'lots' })],
    ['an object where a list goes', JSON.stringify({ ...base, FunctionName: 'x', Architectures: { a: 1 } })],
    ['a non-string tag value', JSON.stringify({ ...base, FunctionName: 'x', Tags: { a: 1 } })],
    ['invalid base64 in ZipFile', JSON.stringify({ ...base, FunctionName: 'x', Code: { ZipFile: '***' } })],
  ])('%s → 400 InvalidRequestContentException', async (_what, body) => {
    const a = await raw('POST', '/2015-03-31/functions', body);
    expect(a.status).toBe(400);
    expect(a.errorType).toBe('InvalidRequestContentException');
    expect(a.json).toMatchObject({ Type: 'User', __type: 'InvalidRequestContentException' });
    expect(String(a.json.message)).toMatch(/^Could not parse request body into json: /);
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown operations and paths with 404', async () => {
    for (const [method, path] of [
      ['GET', '/2021-10-31/functions/x/url'],
      ['PATCH', '/2015-03-31/functions'],
      ['GET', '/2015-03-31/'],
      ['POST', '/2016-08-19/account-settings'],
    ] as const) {
      const a = await raw(method, path);
      expect(a.status).toBe(404);
      expect(a.errorType).toBe('UnknownOperationException');
      expect(a.requestId).not.toBeNull();
    }
    // An operation of AWS's model that hearth does not implement is named.
    const url = await fetch(`${p.url}/2021-10-31/functions/x/url`, { method: 'POST', body: '{}' });
    expect(((await url.json()) as { message: string }).message).toBe(
      'hearth does not implement the AWS Lambda operation CreateFunctionUrlConfig (POST /2021-10-31/functions/x/url) yet',
    );
    const outside = await raw('GET', '/nothing/here');
    expect(outside.status).toBe(404);
  });

  it('survives odd path encodings', async () => {
    for (const path of ['/2015-03-31/functions/a%2Fb', '/2015-03-31/functions/%00']) {
      const a = await raw('GET', path);
      expect(a.status).toBe(400);
      expect(a.errorType).toBe('ValidationException');
    }
    // A malformed escape is refused by fastify's router before any dialect sees it (ledger).
    const bad = await fetch(`${p.url}/2015-03-31/functions/%E0%A4%A`);
    expect(bad.status).toBe(400);
  });

  it('refuses a request larger than the operation allows with 413', async () => {
    const a = await raw('POST', '/2015-03-31/functions', Buffer.alloc(70_167_212, 0x20));
    expect(a.status).toBe(413);
    expect(a.errorType).toBe('RequestEntityTooLargeException');
    expect(a.json).toEqual({
      Message: 'Request must be smaller than 70167211 bytes for the CreateFunction operation',
      __type: 'RequestEntityTooLargeException',
    });
    const tags = await raw(
      'POST',
      `/2017-03-31/tags/${encodeURIComponent(`arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:x`)}`,
      Buffer.alloc(1_048_577, 0x20),
    );
    expect(tags.status).toBe(413);
    expect(tags.json.Message).toBe(
      'Request must be smaller than 1048576 bytes for the TagResource operation',
    );
  });
});

describe('hostile deployment packages', () => {
  it('refuses a corrupt zip', async () => {
    const e = await createFailure('corrupt', Buffer.from('PK\u0003\u0004 this is not really a zip'));
    expect(e.name).toBe('InvalidParameterValueException');
    expect(e.message).toBe(
      'Could not unzip uploaded file. Please check your file, then try to upload again.',
    );
    const empty = await createWith('empty', '');
    expect(empty.status).toBe(400);
  });

  it('refuses path traversal and escaping symlinks, naming the entry', async () => {
    const traversal = await createFailure('trav', await makeZip({ 'index.mjs': 'x', '../evil.txt': 'x' }));
    expect(traversal.name).toBe('InvalidParameterValueException');
    expect(traversal.message).toContain("'../evil.txt'");
    const absolute = await createFailure('abs', await makeZip({ '/etc/cron.d/x': 'x' }));
    expect(absolute.message).toContain("'/etc/cron.d/x'");
    const link = await createFailure(
      'link',
      await makeZip({ 'index.mjs': 'x', escape: { symlink: '../../etc/passwd' } }),
    );
    expect(link.message).toContain("'escape'");
  });

  it('refuses a zip over 50 MB zipped (413) and over 250 MB unzipped (400)', async () => {
    const zipped = await makeZip({ 'blob.bin': { data: randomBytes(52_430_000), compress: false } });
    expect(zipped.length).toBeGreaterThan(52_428_800);
    const big = await createFailure('zipped', zipped);
    expect(big.name).toBe('RequestEntityTooLargeException');
    expect(big.$metadata.httpStatusCode).toBe(413);
    expect(big.message).toBe('Zipped size must be smaller than 52428800 bytes');

    const bomb = await makeZip({ 'zeros.bin': Buffer.alloc(262_144_001) });
    const unzipped = await createFailure('bomb', bomb);
    expect(unzipped.name).toBe('InvalidParameterValueException');
    expect(unzipped.message).toBe('Unzipped size must be smaller than 262144000 bytes');
  }, 60_000);

  it('is still healthy afterwards', async () => {
    const settings = await p.client.send(new GetAccountSettingsCommand({}));
    expect(settings.AccountUsage?.FunctionCount).toBe(0);
  });
});
