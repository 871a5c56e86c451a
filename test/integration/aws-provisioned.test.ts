/**
 * Provisioned concurrency through @aws-sdk/client-lambda (spec §3.3–3.7): the seed's
 * scenario (my-function with aliases BLUE and GREEN, each provisioned, then listed), the
 * wire-exact errors, invocations landing on pre-initialised environments, alias moves,
 * deletes and a restart.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ProvisionedConcurrencyConfigNotFoundException,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  ResourceConflictException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  paginateListProvisionedConcurrencyConfigs,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
const ARN = `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:my-function`;
// AWS's examples for these operations: `2019-12-31T20:29:00+0000` (no milliseconds).
const LAST_MODIFIED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/;
// Reports how and when its environment was initialised.
const SOURCE = `const initAt = Date.now();
export const handler = async () => ({ type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, initAt, invokedAt: Date.now(), pid: process.pid });`;

let p: TestPlatform;

/** Polls GetProvisionedConcurrencyConfig (what a client does) until `status`, with a deadline. */
async function waitStatus(
  client: LambdaClient,
  fn: string,
  qualifier: string,
  status: string,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: fn, Qualifier: qualifier }),
    );
    if (c.Status === status) {
      return c;
    }
    if (Date.now() > deadline) {
      throw new Error(`${fn}:${qualifier} still ${c.Status} (${c.StatusReason ?? ''})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function invokeJson(fn: string, qualifier?: string) {
  const out = await p.client.send(
    new InvokeCommand({ FunctionName: fn, ...(qualifier ? { Qualifier: qualifier } : {}) }),
  );
  return {
    out,
    body: JSON.parse(Buffer.from(out.Payload ?? []).toString()) as {
      type: string;
      initAt: number;
      invokedAt: number;
      pid: number;
    },
  };
}

beforeAll(async () => {
  p = await startPlatform();
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: 'my-function',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: await makeZip({ 'index.mjs': SOURCE }) },
    }),
  );
  await p.client.send(new PublishVersionCommand({ FunctionName: 'my-function' }));
  await p.client.send(
    new UpdateFunctionCodeCommand({
      FunctionName: 'my-function',
      ZipFile: await makeZip({ 'index.mjs': `${SOURCE}\n// v2` }),
      Publish: true,
    }),
  );
  await p.client.send(
    new CreateAliasCommand({ FunctionName: 'my-function', Name: 'BLUE', FunctionVersion: '1' }),
  );
  await p.client.send(
    new CreateAliasCommand({ FunctionName: 'my-function', Name: 'GREEN', FunctionVersion: '2' }),
  );
});

afterAll(async () => {
  await p.dispose();
});

describe("the seed's scenario", () => {
  it('Put answers 202 IN_PROGRESS with nothing allocated yet, then READY with live environments', async () => {
    const put = await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'my-function',
        Qualifier: 'BLUE',
        ProvisionedConcurrentExecutions: 2,
      }),
    );
    expect(put.$metadata.httpStatusCode).toBe(202);
    expect(put).toMatchObject({
      RequestedProvisionedConcurrentExecutions: 2,
      AllocatedProvisionedConcurrentExecutions: 0,
      AvailableProvisionedConcurrentExecutions: 0,
      Status: 'IN_PROGRESS',
    });
    expect(put.StatusReason).toBeUndefined();
    expect(put.LastModified).toMatch(LAST_MODIFIED);
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'my-function',
        Qualifier: 'GREEN',
        ProvisionedConcurrentExecutions: 1,
      }),
    );
    const blue = await waitStatus(p.client, 'my-function', 'BLUE', 'READY');
    expect(blue).toMatchObject({
      RequestedProvisionedConcurrentExecutions: 2,
      AllocatedProvisionedConcurrentExecutions: 2,
      AvailableProvisionedConcurrentExecutions: 2,
    });
    await waitStatus(p.client, 'my-function', 'GREEN', 'READY');
  });

  it('lists both configs field by field', async () => {
    const list = await p.client.send(
      new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'my-function' }),
    );
    const configs = list.ProvisionedConcurrencyConfigs ?? [];
    expect(configs.map((c) => c.FunctionArn)).toEqual([`${ARN}:BLUE`, `${ARN}:GREEN`]);
    for (const [c, n] of [
      [configs[0], 2],
      [configs[1], 1],
    ] as const) {
      expect(Object.keys(c ?? {}).sort()).toEqual([
        'AllocatedProvisionedConcurrentExecutions',
        'AvailableProvisionedConcurrentExecutions',
        'FunctionArn',
        'LastModified',
        'RequestedProvisionedConcurrentExecutions',
        'Status',
      ]);
      expect(c).toMatchObject({
        RequestedProvisionedConcurrentExecutions: n,
        AllocatedProvisionedConcurrentExecutions: n,
        AvailableProvisionedConcurrentExecutions: n,
        Status: 'READY',
      });
    }
    expect(list.NextMarker).toBeUndefined();
    const pages = [];
    for await (const page of paginateListProvisionedConcurrencyConfigs(
      { client: p.client, pageSize: 1 },
      { FunctionName: 'my-function' },
    )) {
      pages.push(page.ProvisionedConcurrencyConfigs?.map((c) => c.FunctionArn));
    }
    expect(pages).toEqual([[`${ARN}:BLUE`], [`${ARN}:GREEN`]]);
  });

  it('serves the alias and its version from environments initialised before the invoke', async () => {
    const before = Date.now();
    const viaAlias = await invokeJson('my-function', 'BLUE');
    expect(viaAlias.out.ExecutedVersion).toBe('1');
    expect(viaAlias.body.type).toBe('provisioned-concurrency');
    expect(viaAlias.body.initAt).toBeLessThan(before);
    // PC on an alias also serves direct invokes of its version (spec §3.6).
    expect((await invokeJson('my-function', '1')).body.type).toBe('provisioned-concurrency');
    // $LATEST never uses provisioned environments (spec §3.7).
    expect((await invokeJson('my-function')).body.type).toBe('on-demand');
  });
});

describe('errors, wire-exact (spec §3.3, Appendix A)', () => {
  const put = (Qualifier: string, n = 1, FunctionName = 'my-function') =>
    p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName,
        Qualifier,
        ProvisionedConcurrentExecutions: n,
      }),
    );
  const failure = async (promise: Promise<unknown>) => {
    const e = (await promise.then(
      () => undefined,
      (x: unknown) => x,
    )) as { name: string; message: string; $metadata: { httpStatusCode: number } } | undefined;
    expect(e).toBeDefined();
    return { name: e?.name, message: e?.message, status: e?.$metadata.httpStatusCode };
  };

  it('rejects $LATEST on Put, Get and Delete', async () => {
    expect(await failure(put('$LATEST'))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.',
      status: 400,
    });
    const get = p.client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'my-function', Qualifier: '$LATEST' }),
    );
    expect(await failure(get)).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The function resource provided must be an alias or a published version.',
      status: 400,
    });
  });

  it('names missing aliases and versions as AWS does, even for a missing function', async () => {
    expect(await failure(put('nope'))).toEqual({
      name: 'ResourceNotFoundException',
      message: `Cannot find alias arn: ${ARN}:nope`,
      status: 404,
    });
    expect(await failure(put('noalias', 1, 'doesnotexist'))).toMatchObject({
      message: `Cannot find alias arn: arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:doesnotexist:noalias`,
    });
    expect(await failure(put('10'))).toMatchObject({ message: `Function not found: ${ARN}:10`, status: 404 });
  });

  it('answers ProvisionedConcurrencyConfigNotFoundException, and Delete is idempotent', async () => {
    const get = p.client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'my-function', Qualifier: '2' }),
    );
    const e = await get.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProvisionedConcurrencyConfigNotFoundException);
    expect((e as Error).message).toBe('No Provisioned Concurrency Config found for this function');
    const del = await p.client.send(
      new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'my-function', Qualifier: '2' }),
    );
    expect(del.$metadata.httpStatusCode).toBe(204);
  });

  it('allows one config per version (409s)', async () => {
    const e1 = await put('1').catch((x: unknown) => x);
    expect(e1).toBeInstanceOf(ResourceConflictException);
    expect((e1 as Error).message).toBe('Version is pointed by a Provisioned Concurrency alias');
  });

  it('rejects a weighted alias and a value below 1', async () => {
    await p.client.send(
      new CreateAliasCommand({
        FunctionName: 'my-function',
        Name: 'W',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
      }),
    );
    expect(await failure(put('W'))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Alias with weights can not be used with Provisioned Concurrency',
      status: 400,
    });
    const res = await fetch(`${p.url}/2019-09-30/functions/my-function/provisioned-concurrency?Qualifier=2`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"ProvisionedConcurrentExecutions":0}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await res.json()).toMatchObject({
      message:
        "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
  });

  it('enforces reserved concurrency both ways', async () => {
    const e = await p.client
      .send(
        new PutFunctionConcurrencyCommand({ FunctionName: 'my-function', ReservedConcurrentExecutions: 2 }),
      )
      .catch((x: unknown) => x as Error);
    expect((e as Error).message).toBe(
      " ReservedConcurrentExecutions  2 should not be lower than function's total provisioned concurrency [3].",
    );
    await p.client.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'my-function', ReservedConcurrentExecutions: 3 }),
    );
    expect(await failure(put('GREEN', 2))).toMatchObject({
      message:
        'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function',
    });
    // reserved == Σ PC leaves no on-demand capacity: $LATEST is throttled (spec §3.7).
    const throttled = await failure(p.client.send(new InvokeCommand({ FunctionName: 'my-function' })));
    expect(throttled).toMatchObject({ name: 'TooManyRequestsException', status: 429 });
    expect((await invokeJson('my-function', 'BLUE')).body.type).toBe('provisioned-concurrency');
    await p.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'my-function' }));
  });
});

describe('lifecycle', () => {
  it('moves provisioned environments with the alias, and drains them on alias delete', async () => {
    // GREEN (1 env) moves from version 2 to version 1's sibling: publish 3 and point GREEN there.
    await p.client.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'my-function',
        ZipFile: await makeZip({ 'index.mjs': `${SOURCE}\n// v3` }),
        Publish: true,
      }),
    );
    await p.client.send(
      new UpdateAliasCommand({ FunctionName: 'my-function', Name: 'GREEN', FunctionVersion: '3' }),
    );
    await waitStatus(p.client, 'my-function', 'GREEN', 'READY');
    const green = await invokeJson('my-function', 'GREEN');
    expect(green.out.ExecutedVersion).toBe('3');
    expect(green.body.type).toBe('provisioned-concurrency');
    // Version 2 runs on demand again.
    expect((await invokeJson('my-function', '2')).body.type).toBe('on-demand');

    await p.client.send(new DeleteAliasCommand({ FunctionName: 'my-function', Name: 'GREEN' }));
    const list = await p.client.send(
      new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'my-function' }),
    );
    expect(list.ProvisionedConcurrencyConfigs?.map((c) => c.FunctionArn)).toEqual([`${ARN}:BLUE`]);
  });

  it('re-provisions after a restart', async () => {
    p = await p.restart();
    const get = await p.client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'my-function', Qualifier: 'BLUE' }),
    );
    expect(get.RequestedProvisionedConcurrentExecutions).toBe(2);
    await waitStatus(p.client, 'my-function', 'BLUE', 'READY');
    expect((await invokeJson('my-function', 'BLUE')).body.type).toBe('provisioned-concurrency');
  });
});
