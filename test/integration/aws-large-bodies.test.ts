/**
 * Large request bodies (issue 13): CreateFunction bodies over 1 MiB are parsed off the event
 * loop (large-body.ts) and behave as small ones do; an over-long value is not echoed back in
 * the ValidationException; bad base64 in a large ZipFile is refused.
 */
import { randomBytes } from 'node:crypto';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
let p: TestPlatform;
let bigZip: Uint8Array;

beforeAll(async () => {
  p = await startPlatform();
  // Incompressible padding: a ~3 MB zip, ~4 MB of base64 in the JSON body.
  bigZip = await makeZip({
    'index.mjs': 'export const handler = async (e) => ({ got: e.n });',
    'pad.txt': randomBytes(3 * 1024 * 1024).toString('base64'),
  });
});

afterAll(async () => {
  await p.dispose();
});

async function errorOf(promise: Promise<unknown>) {
  const e = (await promise.then(
    () => undefined,
    (err: unknown) => err,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  expect(e).toBeDefined();
  return { name: e?.name, message: e?.message ?? '', status: e?.$metadata?.httpStatusCode };
}

it('creates a function from a large body, concurrently, and runs it', async () => {
  const created = await Promise.all(
    ['big-a', 'big-b', 'big-c'].map((name) =>
      p.client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: bigZip },
        }),
      ),
    ),
  );
  expect(created.map((c) => c.CodeSize)).toEqual([bigZip.length, bigZip.length, bigZip.length]);
  const fn = await p.client.send(new GetFunctionCommand({ FunctionName: 'big-b' }));
  expect(fn.Configuration?.CodeSha256).toBe(created[1]?.CodeSha256);
  const out = await p.client.send(new InvokeCommand({ FunctionName: 'big-c', Payload: '{"n":5}' }));
  expect(JSON.parse(Buffer.from(out.Payload ?? []).toString())).toEqual({ got: 5 });
});

it('does not echo an over-long value in the ValidationException', async () => {
  const description = 'd'.repeat(2 * 1024 * 1024);
  const err = await errorOf(
    p.client.send(
      new CreateFunctionCommand({
        FunctionName: 'long-description',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Description: description,
        Code: { ZipFile: await makeZip({ 'index.mjs': 'export const handler = async () => 1;' }) },
      }),
    ),
  );
  expect(err).toEqual({
    name: 'ValidationException',
    message:
      "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
    status: 400,
  });
});

it('refuses a large ZipFile that is not base64', async () => {
  const url = `${p.url}/2015-03-31/functions`;
  const body = JSON.stringify({
    FunctionName: 'bad-base64',
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Role: ROLE,
    Code: { ZipFile: `${'A'.repeat(2 * 1024 * 1024)}!` },
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  expect(res.status).toBe(400);
  expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
  expect(((await res.json()) as { message: string }).message).toContain(
    "member 'Code.ZipFile' is not valid base64",
  );
});
