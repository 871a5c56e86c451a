/**
 * Everything acknowledged through the AWS dialect survives a restart on the same data
 * dir: functions, versions, aliases, reserved concurrency, tags and code packages.
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

let p: TestPlatform | undefined;

afterAll(async () => {
  await p?.dispose();
});

it('keeps everything across a restart', async () => {
  p = await startPlatform();
  const zipA = await makeZip({ 'index.mjs': 'export const handler = async () => 1;' });
  const zipB = await makeZip({ 'index.mjs': 'export const handler = async () => 2;' });
  const arn = `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:keep`;
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: 'keep',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: zipA },
      Environment: { Variables: { KEY: 'value' } },
      Tags: { team: 'core' },
      Publish: true,
    }),
  );
  await p.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'keep', ZipFile: zipB }));
  await p.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'keep', MemorySize: 512 }));
  await p.client.send(new PublishVersionCommand({ FunctionName: 'keep', Description: 'second' }));
  await p.client.send(
    new CreateAliasCommand({
      FunctionName: 'keep',
      Name: 'live',
      FunctionVersion: '2',
      RoutingConfig: { AdditionalVersionWeights: { '1': 0.1 } },
    }),
  );
  await p.client.send(
    new PutFunctionConcurrencyCommand({ FunctionName: 'keep', ReservedConcurrentExecutions: 7 }),
  );
  const before = await p.client.send(new GetFunctionCommand({ FunctionName: 'keep' }));
  const aliasBefore = await p.client.send(new GetAliasCommand({ FunctionName: 'keep', Name: 'live' }));

  p = await p.restart();

  const after = await p.client.send(new GetFunctionCommand({ FunctionName: 'keep' }));
  expect(after.Configuration).toEqual(before.Configuration);
  expect(after.Tags).toEqual({ team: 'core' });
  expect(after.Concurrency).toEqual({ ReservedConcurrentExecutions: 7 });
  const code = await fetch(after.Code?.Location ?? '');
  expect(Buffer.from(await code.arrayBuffer()).equals(zipB)).toBe(true);
  const { $metadata: _m1, ...aliasAfter } = await p.client.send(
    new GetAliasCommand({ FunctionName: 'keep', Name: 'live' }),
  );
  const { $metadata: _m2, ...aliasExpected } = aliasBefore;
  expect(aliasAfter).toEqual(aliasExpected);
  const versions = await p.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'keep' }));
  expect(versions.Versions?.map((v) => [v.Version, v.Description, v.MemorySize])).toEqual([
    ['$LATEST', '', 512],
    ['1', '', 128],
    ['2', 'second', 512],
  ]);
  const v1 = await p.client.send(new GetFunctionCommand({ FunctionName: `${arn}:1` }));
  expect(Buffer.from(await (await fetch(v1.Code?.Location ?? '')).arrayBuffer()).equals(zipA)).toBe(true);
  expect((await p.client.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ team: 'core' });
  const settings = await p.client.send(new GetAccountSettingsCommand({}));
  expect(settings.AccountLimit?.UnreservedConcurrentExecutions).toBe(993);
  // Version numbers are never reused after a restart either.
  await p.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'keep', MemorySize: 1024 }));
  expect((await p.client.send(new PublishVersionCommand({ FunctionName: 'keep' }))).Version).toBe('3');
});
