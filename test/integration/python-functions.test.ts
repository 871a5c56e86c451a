/**
 * Python functions through both dialects (issue 9): created with the official SDKs, run on
 * hearth's bundled Python client over the private channel, provisioned like Node ones
 * (module-level code has run before the first invoke), failing in AWS's shapes.
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../helpers/platform.js';
import { startScfPlatform, until, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';
import { makeZip } from '../helpers/zip.js';

let p: ScfTestPlatform;

const APP = `import os, time
INIT_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")
INIT_AT = time.time()

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("hello from", context.function_name)
    return {"initType": INIT_TYPE, "initAt": INIT_AT, "pid": os.getpid(),
            "env": os.environ.get("AWS_EXECUTION_ENV"), "version": context.function_version}
`;

const decode = (b: Uint8Array | undefined) =>
  JSON.parse(Buffer.from(b ?? []).toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  p = await startScfPlatform();
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: 'py',
      Runtime: 'python3.12',
      Handler: 'app.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: await makeZip({ 'app.py': APP }) },
    }),
  );
});
afterAll(() => p.dispose());

describe('Python on the AWS dialect', () => {
  it('runs on demand, with its print in the log tail', async () => {
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'py', Payload: Buffer.from('{}'), LogType: 'Tail' }),
    );
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload)).toMatchObject({
      initType: 'on-demand',
      env: 'AWS_Lambda_python3.12',
      version: '$LATEST',
    });
    expect(Buffer.from(out.LogResult ?? '', 'base64').toString()).toContain('hello from py\n');
  });

  it('fails in the Python runtime shape', async () => {
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'py', Payload: Buffer.from('{"fail":true}') }),
    );
    expect(out.FunctionError).toBe('Unhandled');
    const doc = decode(out.Payload);
    expect(doc).toMatchObject({ errorMessage: 'asked to fail', errorType: 'ValueError' });
    expect(doc.requestId).toBe(out.$metadata.requestId);
    expect((doc.stackTrace as string[])[0]).toMatch(/^ {2}File "\/.*\/app\.py", line 7, in handler\n/);
  });

  it('is provisioned: environments have run their init before the first invoke', async () => {
    const v = await p.client.send(new PublishVersionCommand({ FunctionName: 'py' }));
    await p.client.send(
      new CreateAliasCommand({ FunctionName: 'py', Name: 'live', FunctionVersion: v.Version }),
    );
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'py',
        Qualifier: 'live',
        ProvisionedConcurrentExecutions: 2,
      }),
    );
    const ready = await until('READY', async () => {
      const c = await p.client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'py', Qualifier: 'live' }),
      );
      return c.Status === 'READY' ? c : undefined;
    });
    expect(ready).toMatchObject({
      AllocatedProvisionedConcurrentExecutions: 2,
      AvailableProvisionedConcurrentExecutions: 2,
    });
    const before = Date.now() / 1000;
    const out = await p.client.send(new InvokeCommand({ FunctionName: 'py', Qualifier: 'live' }));
    const body = decode(out.Payload);
    expect(body).toMatchObject({ initType: 'provisioned-concurrency', version: v.Version });
    expect(body.initAt as number).toBeLessThan(before);
  });
});

describe('Python on the SCF dialect', () => {
  it('creates and invokes a Python3.9 function with a main_handler', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'scf-py',
      Runtime: 'Python3.9',
      Handler: 'index.main_handler',
      Code: {
        ZipFile: await zipBase64({
          'index.py': 'def main_handler(event, context):\n    return {"scf": event}\n',
        }),
      },
    });
    const got = await p.scf.GetFunction({ FunctionName: 'scf-py' });
    expect(got.Runtime).toBe('Python3.9');
    const out = await p.scf.Invoke({ FunctionName: 'scf-py', ClientContext: '{"k":1}' });
    expect(JSON.parse(out.Result?.RetMsg ?? '{}')).toEqual({ scf: { k: 1 } });
  });
});
