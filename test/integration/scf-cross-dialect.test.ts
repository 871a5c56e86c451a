/**
 * One platform, two dialects (ARCHITECTURE.md principle 1): a function made through SCF
 * (namespace `default`) is the function @aws-sdk/client-lambda sees in the same account and
 * region, and the other way round, provisioned-concurrency configs and reservations included.
 */
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../helpers/platform.js';
import { scfFailure, startScfPlatform, until, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';
import { makeZip } from '../helpers/zip.js';

const CJS = `exports.main_handler = async (event) => ({ from: 'scf', event, type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE });`;
const ESM = `export const handler = async (event) => ({ from: 'aws', event, type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE });`;

let p: ScfTestPlatform;

beforeAll(async () => {
  p = await startScfPlatform();
});

afterAll(async () => {
  await p.dispose();
});

describe('SCF → AWS', () => {
  it('shows an SCF function, its versions and its configuration to the AWS SDK', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'made-in-scf',
      Runtime: 'Nodejs18.15',
      MemorySize: 256,
      Timeout: 7,
      Description: 'from tencent',
      Environment: { Variables: [{ Key: 'GREETING', Value: 'hi' }] },
      Code: { ZipFile: await zipBase64({ 'index.js': CJS }) },
    });
    const got = await p.client.send(new GetFunctionCommand({ FunctionName: 'made-in-scf' }));
    expect(got.Configuration).toMatchObject({
      FunctionName: 'made-in-scf',
      Runtime: 'nodejs18.x',
      Handler: 'index.main_handler',
      MemorySize: 256,
      Timeout: 7,
      Description: 'from tencent',
      Environment: { Variables: { GREETING: 'hi' } },
    });
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'made-in-scf', Payload: Buffer.from('{"n":1}') }),
    );
    expect(JSON.parse(Buffer.from(out.Payload ?? []).toString())).toMatchObject({
      from: 'scf',
      event: { n: 1 },
    });
  });

  it('shares provisioned concurrency and reservations (MB → instances)', async () => {
    await p.scf.PublishVersion({ FunctionName: 'made-in-scf' });
    await p.scf.PutProvisionedConcurrencyConfig({
      FunctionName: 'made-in-scf',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 1,
    });
    const aws = await until('AWS sees READY', async () => {
      const c = await p.client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'made-in-scf', Qualifier: '1' }),
      );
      return c.Status === 'READY' ? c : undefined;
    });
    expect(aws).toMatchObject({
      RequestedProvisionedConcurrentExecutions: 1,
      AllocatedProvisionedConcurrentExecutions: 1,
    });
    const out = await p.client.send(new InvokeCommand({ FunctionName: 'made-in-scf', Qualifier: '1' }));
    expect(JSON.parse(Buffer.from(out.Payload ?? []).toString())).toMatchObject({
      type: 'provisioned-concurrency',
    });

    // 1000 MB at 256 MB per instance reserve floor(1000 / 256) = 3 instances.
    await p.scf.PutReservedConcurrencyConfig({ FunctionName: 'made-in-scf', ReservedConcurrencyMem: 1000 });
    const reserved = await p.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'made-in-scf' }));
    expect(reserved.ReservedConcurrentExecutions).toBe(3);
  });

  it('keeps other namespaces out of the AWS view', async () => {
    await p.scf.CreateNamespace({ Namespace: 'team-b' });
    await p.scf.CreateFunction({
      FunctionName: 'hidden',
      Namespace: 'team-b',
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: await zipBase64({ 'index.js': CJS }) },
    });
    await expect(p.client.send(new GetFunctionCommand({ FunctionName: 'hidden' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect((await p.scf.GetFunction({ FunctionName: 'hidden', Namespace: 'team-b' })).Namespace).toBe(
      'team-b',
    );
    expect((await scfFailure(p.scf.GetFunction({ FunctionName: 'hidden' }))).code).toBe(
      'ResourceNotFound.Function',
    );
  });
});

describe('AWS → SCF', () => {
  it('shows an AWS function, its provisioned config and its invocations to the SCF SDK', async () => {
    await p.client.send(
      new CreateFunctionCommand({
        FunctionName: 'made-in-aws',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        MemorySize: 512,
        Code: { ZipFile: await makeZip({ 'index.mjs': ESM }) },
      }),
    );
    const got = await p.scf.GetFunction({ FunctionName: 'made-in-aws' });
    expect(got).toMatchObject({
      FunctionName: 'made-in-aws',
      Runtime: 'Nodejs20.15',
      Handler: 'index.handler',
      MemorySize: 512,
      Namespace: 'default',
    });
    const listed = await p.scf.ListFunctions({ SearchKey: 'made-in' });
    expect(listed.Functions?.map((f) => f.FunctionName).sort()).toEqual(['made-in-aws', 'made-in-scf']);

    await p.client.send(new PublishVersionCommand({ FunctionName: 'made-in-aws' }));
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'made-in-aws',
        Qualifier: '1',
        ProvisionedConcurrentExecutions: 1,
      }),
    );
    const scf = await until('SCF sees Done', async () => {
      const c = await p.scf.GetProvisionedConcurrencyConfig({ FunctionName: 'made-in-aws' });
      return c.Allocated?.[0]?.Status === 'Done' ? c : undefined;
    });
    expect(scf.Allocated).toEqual([
      {
        Qualifier: '1',
        AvailableProvisionedConcurrencyNum: 1,
        AllocatedProvisionedConcurrencyNum: 1,
        Status: 'Done',
        StatusReason: '',
        TriggerActions: [],
      },
    ]);
    const out = await p.scf.InvokeFunction({
      FunctionName: 'made-in-aws',
      Qualifier: '1',
      Event: '{"k":"v"}',
    });
    expect(JSON.parse(out.Result?.RetMsg ?? '{}')).toEqual({
      from: 'aws',
      event: { k: 'v' },
      type: 'provisioned-concurrency',
    });
    const account = await p.scf.GetAccount();
    expect(
      account.AccountUsage?.Namespace?.find((n) => n.Namespace === 'default')?.TotalAllocatedProvisionedMem,
    ).toBe(256 + 512);
  });
});
