/**
 * Issue 12: one credentials file for both dialects, SigV4 and TC3 verified, accounts that
 * scope everything, expiring code URLs, and closed by default — driven by the official SDKs
 * with right, wrong, expired and foreign credentials, two accounts side by side.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.js';
import { loadConfig } from '../../src/config/load.js';
import { createPlatform } from '../../src/server/create-platform.js';
import { startPlatform, type TestPlatform } from '../helpers/platform.js';
import { scfClient, scfFailure } from '../helpers/scf.js';
import { makeZip } from '../helpers/zip.js';

const A = { accessKeyId: 'AKIAACCOUNTA', secretAccessKey: 'secret-a', accountId: '111111111111' };
const B = { accessKeyId: 'AKIAACCOUNTB', secretAccessKey: 'secret-b', accountId: '222222222222' };
const TA = { secretId: 'AKIDACCOUNTA', secretKey: 'tsecret-a', appId: '1250000000', accountId: A.accountId };

const credentialsDir = tempDirs('hearth-auth-');

function writeCredentials(doc: unknown, name = 'credentials.json'): string {
  const file = path.join(credentialsDir(), name);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

let p: TestPlatform;
const clients: LambdaClient[] = [];

function client(key: { accessKeyId: string; secretAccessKey: string }, extra: object = {}): LambdaClient {
  const c = new LambdaClient({
    endpoint: p.url,
    region: 'us-east-1',
    credentials: key,
    maxAttempts: 1,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function failure(call: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (e) {
    return e as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

/** A function in `account` whose handler answers `answer` (a JavaScript expression). */
const create = async (c: LambdaClient, name: string, account: string, answer = '1') =>
  c.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${account}:role/r`,
      Code: { ZipFile: await makeZip({ 'index.js': `exports.handler = async () => ${answer};` }) },
    }),
  );

beforeAll(async () => {
  p = await startPlatform({ credentialsFile: writeCredentials({ credentials: [A, B, TA] }) });
});

afterAll(async () => {
  for (const c of clients) {
    c.destroy();
  }
  await p.dispose();
});

describe('SigV4 with the AWS SDK', () => {
  it('right keys work; each account sees only its own functions', async () => {
    const a = client(A);
    const b = client(B);
    const made = await create(a, 'only-in-a', A.accountId);
    expect(made.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${A.accountId}:function:only-in-a`);
    expect((await a.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName)).toContain(
      'only-in-a',
    );
    expect((await b.send(new ListFunctionsCommand({}))).Functions).toEqual([]);
    // By name, B has no such function: its own account is searched (no leak of A's).
    const byName = await failure(b.send(new GetFunctionCommand({ FunctionName: 'only-in-a' })));
    expect(byName.name).toBe('ResourceNotFoundException');
  });

  it('the same invoke request line runs each account its own function, taken turn about', async () => {
    // The dialect remembers a checked target per request line; the caller's account is part
    // of what it remembers.
    const a = client(A);
    const b = client(B);
    await create(a, 'same-line', A.accountId, JSON.stringify('from-a'));
    await create(b, 'same-line', B.accountId, JSON.stringify('from-b'));
    const answers: string[] = [];
    for (const c of [a, b, a, b]) {
      const out = await c.send(new InvokeCommand({ FunctionName: 'same-line' }));
      answers.push(JSON.parse(Buffer.from(out.Payload ?? []).toString()) as string);
    }
    expect(answers).toEqual(['from-a', 'from-b', 'from-a', 'from-b']);
  });

  it("another account's ARN is AccessDeniedException with AWS's message, for reads and writes", async () => {
    const b = client(B);
    const arn = `arn:aws:lambda:us-east-1:${A.accountId}:function:only-in-a`;
    const get = await failure(b.send(new GetFunctionCommand({ FunctionName: arn })));
    expect(get.name).toBe('AccessDeniedException');
    expect(get.$metadata.httpStatusCode).toBe(403);
    expect(get.message).toBe(
      `User: arn:aws:iam::${B.accountId}:root is not authorized to perform: lambda:GetFunction on resource: ${arn} because no resource-based policy allows the lambda:GetFunction action`,
    );
    const update = await failure(
      b.send(new UpdateFunctionConfigurationCommand({ FunctionName: arn, Description: 'mine now' })),
    );
    expect(update.name).toBe('AccessDeniedException');
    expect((await failure(b.send(new DeleteFunctionCommand({ FunctionName: arn })))).name).toBe(
      'AccessDeniedException',
    );
    // A's function is untouched.
    const still = await client(A).send(new GetFunctionCommand({ FunctionName: 'only-in-a' }));
    expect(still.Configuration?.Description).toBe('');
  });

  it('wrong secret, unknown key and a skewed clock are refused with AWS’s errors', async () => {
    const wrong = await failure(client({ ...A, secretAccessKey: 'nope' }).send(new ListFunctionsCommand({})));
    expect(wrong.name).toBe('InvalidSignatureException');
    expect(wrong.$metadata.httpStatusCode).toBe(403);
    expect(wrong.message).toMatch(
      /^The request signature we calculated does not match the signature you provided\./,
    );

    const unknown = await failure(
      client({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' }).send(new ListFunctionsCommand({})),
    );
    expect(unknown.name).toBe('UnrecognizedClientException');
    expect(unknown.message).toBe('The security token included in the request is invalid.');

    const late = await failure(
      client(A, { systemClockOffset: -10 * 60_000 }).send(new ListFunctionsCommand({})),
    );
    expect(late.name).toBe('InvalidSignatureException');
    expect(late.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
  });

  it('an unsigned request cannot read, update or delete anything', async () => {
    const url = `${p.url}/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A${A.accountId}%3Afunction%3Aonly-in-a`;
    for (const [method, suffix] of [
      ['GET', ''],
      ['DELETE', ''],
      ['PUT', '/configuration'],
    ] as const) {
      const res = await fetch(url + suffix, {
        method,
        body: method === 'PUT' ? '{"Description":"x"}' : null,
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      expect(await res.json()).toMatchObject({ message: 'Missing Authentication Token' });
    }
    expect(
      (await client(A).send(new GetFunctionCommand({ FunctionName: 'only-in-a' }))).Configuration,
    ).toBeDefined();
  });
});

describe('the other AWS APIs on the port', () => {
  it('CloudWatch Logs verifies SigV4 (service logs) with the same keys', async () => {
    const logs = (key: { accessKeyId: string; secretAccessKey: string }) =>
      new CloudWatchLogsClient({ endpoint: p.url, region: 'us-east-1', credentials: key, maxAttempts: 1 });
    const a = logs(A);
    expect((await a.send(new DescribeLogGroupsCommand({}))).$metadata.httpStatusCode).toBe(200);
    const b = logs({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' });
    const unknown = await failure(b.send(new DescribeLogGroupsCommand({})));
    expect(unknown.name).toBe('UnrecognizedClientException');
    const wrong = logs({ ...A, secretAccessKey: 'nope' });
    const err = await failure(wrong.send(new DescribeLogGroupsCommand({})));
    expect(err.name).toBe('InvalidSignatureException');
    // A JSON-protocol service answers 400 (test/integration/aws-json-auth.test.ts).
    expect(err.$metadata.httpStatusCode).toBe(400);
    for (const c of [a, b, wrong]) {
      c.destroy();
    }
  });

  it('Application Auto Scaling refuses an unsigned request', async () => {
    const res = await fetch(p.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AnyScaleFrontendService.DescribeScalableTargets',
      },
      body: '{"ServiceNamespace":"lambda"}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});

describe('Code.Location', () => {
  it('is a presigned URL of the caller’s account that downloads the package; tampering is refused', async () => {
    const a = client(A);
    const { Code } = await a.send(new GetFunctionCommand({ FunctionName: 'only-in-a' }));
    const location = Code?.Location ?? '';
    expect(location).toContain(`/_hearth/code/${A.accountId}/`);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('600');
    const ok = await fetch(location);
    expect(ok.status).toBe(200);
    expect(
      Buffer.from(await ok.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');

    const foreign = await fetch(location.replace(`/${A.accountId}/`, `/${B.accountId}/`));
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const unsigned = await fetch(location.slice(0, location.indexOf('?')));
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>AccessDenied</Code>');
  });
});

describe('TC3 from the same credentials file', () => {
  it('a Tencent key sharing account A sees A’s functions; a wrong key is refused', async () => {
    const scf = scfClient(p.url, { secretId: TA.secretId, secretKey: TA.secretKey });
    const names = (await scf.ListFunctions({})).Functions?.map((f) => f.FunctionName);
    expect(names).toContain('only-in-a');
    const wrong = scfClient(p.url, { secretId: TA.secretId, secretKey: 'nope' });
    expect((await scfFailure(wrong.ListFunctions({}))).code).toBe('AuthFailure.SignatureFailure');
    // An AWS access key is not a Tencent SecretId.
    const awsKey = scfClient(p.url, { secretId: A.accessKeyId, secretKey: A.secretAccessKey });
    expect((await scfFailure(awsKey.ListFunctions({}))).code).toBe('AuthFailure.SecretIdNotFound');
  });
});

describe('start-up', () => {
  const dataDir = tempDirs('hearth-auth-start-');

  it('refuses a credentials file that does not parse, naming the line and column', async () => {
    const file = writeCredentials('{\n  "credentials": [\n    { "accessKeyId": "A", }\n  ]\n}\n');
    const config = loadConfig({ port: 0, dataDir: dataDir(), logLevel: 'silent', credentialsFile: file });
    await expect(createPlatform(config)).rejects.toThrow(/credentials\.json:3:\d+: not valid JSON/);
    const yaml = writeCredentials('credentials:\n  - secretId: AKIDX\n    secretKey: k\n', 'c.yaml');
    await expect(
      createPlatform(loadConfig({ port: 0, dataDir: dataDir(), logLevel: 'silent', credentialsFile: yaml })),
    ).rejects.toThrow(/credentials\[0\].*exactly one account/s);
  });

  it('refuses to listen beyond loopback without credentials unless --insecure', async () => {
    const config = loadConfig({ port: 0, host: '0.0.0.0', dataDir: dataDir(), logLevel: 'silent' });
    await expect(createPlatform(config)).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without credentials/,
    );
    const insecure = await createPlatform({ ...config, insecure: true });
    await insecure.close();
  });

  it('the deprecated HEARTH_SCF_CREDENTIALS refuses a key without an account', () => {
    expect(() => loadConfig({ scfCredentials: '[{"secretId":"AKIDX","secretKey":"k"}]' })).toThrow(
      /scfCredentials\.0\.accountId.*exactly one account/s,
    );
  });
});
