/**
 * RuntimeVersionConfig and runtime management controls (issue 16, item 7): the version
 * hearth really runs a runtime on, and Manual pins that hearth can honour.
 */
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  GetRuntimeManagementConfigCommand,
  ListFunctionsCommand,
  PublishVersionCommand,
  PutRuntimeManagementConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

let p: TestPlatform;
const RUNTIME_ARN = /^arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$/;

async function create(FunctionName: string, Runtime: 'nodejs20.x' | 'nodejs18.x' | 'provided.al2023') {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName,
      Runtime,
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) },
    }),
  );
}
const configOf = (FunctionName: string, Qualifier?: string) =>
  p.client.send(new GetFunctionConfigurationCommand({ FunctionName, ...(Qualifier ? { Qualifier } : {}) }));

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    const err = e as { name: string; message: string };
    return { name: err.name, message: err.message };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  p = await startPlatform();
  await create('on20', 'nodejs20.x');
  await create('on18', 'nodejs18.x');
  await create('custom', 'provided.al2023');
});
afterAll(() => p.dispose());

describe('RuntimeVersionConfig', () => {
  it('names the runtime version of managed runtimes, stable per runtime, in every view', async () => {
    const a = (await configOf('on20')).RuntimeVersionConfig?.RuntimeVersionArn;
    expect(a).toMatch(RUNTIME_ARN);
    expect((await configOf('on20')).RuntimeVersionConfig?.RuntimeVersionArn).toBe(a);
    const v = await p.client.send(new PublishVersionCommand({ FunctionName: 'on20' }));
    expect(v.RuntimeVersionConfig?.RuntimeVersionArn).toBe(a);
    const listed = await p.client.send(new ListFunctionsCommand({}));
    expect(
      listed.Functions?.find((f) => f.FunctionName === 'on20')?.RuntimeVersionConfig?.RuntimeVersionArn,
    ).toBe(a);
    const b = (await configOf('on18')).RuntimeVersionConfig?.RuntimeVersionArn;
    expect(b).toMatch(RUNTIME_ARN);
    expect(b).not.toBe(a);
  });

  it('is absent for OS-only runtimes', async () => {
    expect((await configOf('custom')).RuntimeVersionConfig).toBeUndefined();
  });
});

describe('runtime management controls', () => {
  it('is Auto until set; Manual pins the version hearth runs', async () => {
    const arn = (await configOf('on20')).RuntimeVersionConfig?.RuntimeVersionArn ?? '';
    const fnArn = `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:on20`;
    const initial = await p.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'on20' }));
    expect(initial).toMatchObject({ UpdateRuntimeOn: 'Auto', FunctionArn: fnArn });
    expect(initial.RuntimeVersionArn).toBeUndefined();
    const put = await p.client.send(
      new PutRuntimeManagementConfigCommand({
        FunctionName: 'on20',
        UpdateRuntimeOn: 'Manual',
        RuntimeVersionArn: arn,
      }),
    );
    expect(put).toMatchObject({ UpdateRuntimeOn: 'Manual', RuntimeVersionArn: arn, FunctionArn: fnArn });
    expect(
      await p.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'on20' })),
    ).toMatchObject({
      UpdateRuntimeOn: 'Manual',
      RuntimeVersionArn: arn,
    });
    await p.client.send(
      new PutRuntimeManagementConfigCommand({
        FunctionName: 'on20',
        Qualifier: '1',
        UpdateRuntimeOn: 'FunctionUpdate',
      }),
    );
    expect(
      await p.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'on20', Qualifier: '1' })),
    ).toMatchObject({ UpdateRuntimeOn: 'FunctionUpdate', FunctionArn: `${fnArn}:1` });
  });

  it('refuses a version hearth does not have, and Manual without one', async () => {
    const other = `arn:aws:lambda:us-east-1::runtime:${'0'.repeat(64)}`;
    const refused = await failure(
      p.client.send(
        new PutRuntimeManagementConfigCommand({
          FunctionName: 'on18',
          UpdateRuntimeOn: 'Manual',
          RuntimeVersionArn: other,
        }),
      ),
    );
    expect(refused.name).toBe('InvalidParameterValueException');
    expect(refused.message).toMatch(
      /^The runtime version arn:aws:lambda:us-east-1::runtime:0{64} is not available for nodejs18\.x/,
    );
    expect(
      await failure(
        p.client.send(
          new PutRuntimeManagementConfigCommand({ FunctionName: 'on18', UpdateRuntimeOn: 'Manual' }),
        ),
      ),
    ).toEqual({
      name: 'InvalidParameterValueException',
      message: 'RuntimeVersionArn is required when UpdateRuntimeOn is Manual.',
    });
    expect(
      (
        await failure(
          p.client.send(
            new PutRuntimeManagementConfigCommand({
              FunctionName: 'on18',
              UpdateRuntimeOn: 'Sometimes' as 'Auto',
            }),
          ),
        )
      ).name,
    ).toBe('ValidationException');
    expect(
      (await failure(p.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'nope' })))).name,
    ).toBe('ResourceNotFoundException');
  });
});
