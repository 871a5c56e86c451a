/**
 * The AWS dialect driven by @aws-sdk/client-lambda against a real hearth on port 0:
 * functions, versions, aliases, concurrency and tags, with the SDK's own waiters,
 * paginators and error classes (spec §1–3.2).
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaServiceException,
  ListFunctionsCommand,
  ListTagsCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  paginateListAliases,
  paginateListFunctions,
  paginateListVersionsByFunction,
  waitUntilFunctionActiveV2,
  waitUntilFunctionExists,
  waitUntilFunctionUpdatedV2,
  waitUntilPublishedVersionActive,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, TEST_REGION, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

let p: TestPlatform;
let zipA: Buffer;
let zipB: Buffer;

beforeAll(async () => {
  p = await startPlatform();
  zipA = await makeZip({ 'index.mjs': 'export const handler = async () => "a";' });
  zipB = await makeZip({ 'index.mjs': 'export const handler = async () => "b";' });
});
afterAll(async () => {
  await p.dispose();
});

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/lambda-role`;
const arn = (name: string, q?: string) =>
  `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${name}${q === undefined ? '' : `:${q}`}`;
const sha = (zip: Buffer) => createHash('sha256').update(zip).digest('base64');
const waiter = () => ({ client: p.client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 });

function create(name: string, extra: Partial<CreateFunctionCommandInput> = {}) {
  return p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: zipA },
      ...extra,
    }),
  );
}

/** The thrown error, for asserting its class, name and message. */
async function failure(p: Promise<unknown>): Promise<LambdaServiceException> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LambdaServiceException) {
      return e;
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('functions', () => {
  it('creates, waits, reads, updates and deletes', async () => {
    const created = await create('life', { Description: 'first', Environment: { Variables: { AA: '1' } } });
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created).toMatchObject({
      FunctionName: 'life',
      FunctionArn: arn('life'),
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      CodeSize: zipA.length,
      CodeSha256: sha(zipA),
      Description: 'first',
      Timeout: 3,
      MemorySize: 128,
      Version: '$LATEST',
      Environment: { Variables: { AA: '1' } },
      TracingConfig: { Mode: 'PassThrough' },
      PackageType: 'Zip',
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: 512 },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/life' },
      State: 'Pending',
      StateReason: 'The function is being created.',
      StateReasonCode: 'Creating',
    });
    expect(created.LastUpdateStatus).toBeUndefined();
    expect(created.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(created.RevisionId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await waitUntilFunctionExists(waiter(), { FunctionName: 'life' })).state).toBe('SUCCESS');
    expect((await waitUntilFunctionActiveV2(waiter(), { FunctionName: 'life' })).state).toBe('SUCCESS');
    const got = await p.client.send(new GetFunctionCommand({ FunctionName: 'life' }));
    expect(got.Configuration).toMatchObject({
      State: 'Active',
      LastUpdateStatus: 'Successful',
      FunctionArn: arn('life'),
    });
    expect(got.Code?.RepositoryType).toBe('S3');
    const download = await fetch(got.Code?.Location ?? '');
    expect(Buffer.from(await download.arrayBuffer()).equals(zipA)).toBe(true);
    expect(got.Tags).toBeUndefined();
    expect(got.Concurrency).toBeUndefined();

    const updated = await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'life',
        MemorySize: 256,
        Timeout: 30,
        Environment: { Variables: { BB: '2' } },
        RevisionId: created.RevisionId,
      }),
    );
    expect(updated).toMatchObject({
      MemorySize: 256,
      Timeout: 30,
      Description: 'first',
      Environment: { Variables: { BB: '2' } },
      LastUpdateStatus: 'InProgress',
      LastUpdateStatusReason: 'The function is being created.',
      LastUpdateStatusReasonCode: 'Creating',
    });
    expect(updated.RevisionId).not.toBe(created.RevisionId);
    expect((await waitUntilFunctionUpdatedV2(waiter(), { FunctionName: 'life' })).state).toBe('SUCCESS');

    const stale = await failure(
      p.client.send(
        new UpdateFunctionCodeCommand({
          FunctionName: 'life',
          ZipFile: zipB,
          RevisionId: created.RevisionId,
        }),
      ),
    );
    expect(stale).toBeInstanceOf(PreconditionFailedException);
    expect(stale.message).toBe(
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    );
    const code = await p.client.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'life', ZipFile: zipB, RevisionId: updated.RevisionId }),
    );
    expect(code).toMatchObject({ CodeSha256: sha(zipB), CodeSize: zipB.length, MemorySize: 256 });
    const config = await p.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'life' }));
    expect(config).toMatchObject({ CodeSha256: sha(zipB), State: 'Active', LastUpdateStatus: 'Successful' });
    const location =
      (await p.client.send(new GetFunctionCommand({ FunctionName: 'life' }))).Code?.Location ?? '';
    expect(Buffer.from(await (await fetch(location)).arrayBuffer()).equals(zipB)).toBe(true);

    const dup = await failure(create('life'));
    expect(dup).toBeInstanceOf(ResourceConflictException);
    expect(dup.message).toBe('Function already exist: life');

    const deleted = await p.client.send(new DeleteFunctionCommand({ FunctionName: 'life' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    const gone = await failure(p.client.send(new GetFunctionCommand({ FunctionName: 'life' })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect(gone.message).toBe(`Function not found: ${arn('life')}`);
    expect((gone as ResourceNotFoundException).Type).toBe('User');
  });

  it('names functions in every form (spec §1.2)', async () => {
    await create('named');
    for (const name of ['named', arn('named'), `${TEST_ACCOUNT}:function:named`, 'named:$LATEST']) {
      const got = await p.client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      expect(got.FunctionName).toBe('named');
    }
    const latest = await p.client.send(
      new GetFunctionCommand({ FunctionName: 'named', Qualifier: '$LATEST' }),
    );
    expect(latest.Configuration?.FunctionArn).toBe(arn('named', '$LATEST'));

    const mismatch = await failure(
      p.client.send(new GetFunctionCommand({ FunctionName: 'named:1', Qualifier: '2' })),
    );
    expect(mismatch).toBeInstanceOf(InvalidParameterValueException);
    expect(mismatch.message).toBe(
      'The derived qualifier from the function name does not match the specified qualifier.',
    );

    const region = await failure(
      p.client.send(
        new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:ap-southeast-1:123456789012:function:named' }),
      ),
    );
    expect(region).toBeInstanceOf(ResourceNotFoundException);
    expect(region.message).toBe(
      "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')",
    );

    const account = await failure(
      p.client.send(
        new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:999999999999:function:named' }),
      ),
    );
    expect(account.name).toBe('AccessDeniedException');
    expect(account.$metadata.httpStatusCode).toBe(403);

    const long = 'a'.repeat(65);
    const tooLong = await failure(p.client.send(new GetFunctionCommand({ FunctionName: long })));
    expect(tooLong).toBeInstanceOf(InvalidParameterValueException);
    expect(tooLong.message).toBe(
      `1 validation error detected: Value '${long}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
    const invalid = await failure(
      p.client.send(new GetFunctionCommand({ FunctionName: 'invalid:function:name' })),
    );
    expect(invalid.name).toBe('ValidationException');
    expect(invalid.message).toContain(
      "Value 'invalid:function:name' at 'functionName' failed to satisfy constraint",
    );

    const missingQualified = await failure(
      p.client.send(new GetFunctionCommand({ FunctionName: 'some-function', Qualifier: '$LATEST' })),
    );
    expect(missingQualified.message).toBe(`Function not found: ${arn('some-function', '$LATEST')}`);

    const other = p.clientFor('eu-west-1');
    const elsewhere = await failure(other.send(new GetFunctionCommand({ FunctionName: 'named' })));
    expect(elsewhere.message).toBe(
      `Function not found: arn:aws:lambda:eu-west-1:${TEST_ACCOUNT}:function:named`,
    );
  });

  it('refuses runtimes, code sources and features hearth does not have', async () => {
    const rb = await failure(create('rb', { Runtime: 'ruby3.3' }));
    expect(rb).toBeInstanceOf(InvalidParameterValueException);
    expect(rb.message).toBe(
      "Value ruby3.3 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs18.x, nodejs20.x, nodejs22.x, python3.6, python3.7, python3.8, python3.9, python3.10, python3.11, python3.12, python3.13, python3.14, provided, provided.al2, provided.al2023] or be a valid ARN",
    );
    const py36 = await failure(create('py36', { Runtime: 'python3.6' }));
    expect(py36.message).toBe(
      'The runtime parameter of python3.6 is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
    );
    const old = await failure(create('old', { Runtime: 'nodejs12.x' }));
    expect(old.message).toBe(
      'The runtime parameter of nodejs12.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
    );
    for (const runtime of ['nodejs18.x', 'nodejs22.x', 'provided', 'provided.al2', 'provided.al2023']) {
      const ok = await create(`rt-${runtime.replace(/\./g, '-')}`, { Runtime: runtime as 'nodejs22.x' });
      expect(ok.Runtime).toBe(runtime);
    }
    const s3 = await failure(create('s3', { Code: { S3Bucket: 'bucket', S3Key: 'key.zip' } }));
    expect(s3).toBeInstanceOf(InvalidParameterValueException);
    expect(s3.message).toContain('S3Bucket/S3Key code locations are not supported');
    const image = await failure(create('img', { Code: { ImageUri: '1.dkr.ecr/x:latest' } }));
    expect(image.message).toContain('container images');
    const layers = await failure(
      create('lay', { Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:l:1'] }),
    );
    expect(layers.message).toBe(
      'Layer version arn:aws:lambda:us-east-1:123456789012:layer:l:1 does not exist.',
    );
    const role = await failure(create('role', { Role: 'r1' }));
    expect(role.name).toBe('ValidationException');
    expect(role.message).toBe(
      "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    );
    const arch = await failure(create('arch', { Architectures: ['x86_64', 'arm64'] }));
    expect(arch.message).toBe(
      "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1",
    );
    const reserved = await failure(
      create('envres', { Environment: { Variables: { AWS_REGION: 'x', AA: '1' } } }),
    );
    expect(reserved.message).toBe(
      'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION',
    );
    const key = await failure(create('envkey', { Environment: { Variables: { A: '1' } } }));
    expect(key.name).toBe('ValidationException');
    expect(key.message).toBe(
      "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
    );
    const large = await failure(
      create('envbig', { Environment: { Variables: { LARGE_VAR: 'x'.repeat(4100) } } }),
    );
    expect(large.message).toMatch(
      /^Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit\. String measured: \{"LARGE_VAR":"x+"\}$/,
    );
  });

  it('paginates ListFunctions and lists every version with FunctionVersion=ALL', async () => {
    for (let i = 0; i < 7; i++) {
      await create(`page-${i}`, { Publish: i === 0 });
    }
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListFunctions({ client: p.client, pageSize: 3 }, {})) {
      pages++;
      expect(page.Functions?.length ?? 0).toBeLessThanOrEqual(3);
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ''));
      for (const f of page.Functions ?? []) {
        expect(f.State).toBeUndefined();
        expect(f.LastUpdateStatus).toBeUndefined();
        expect(f.FunctionArn).toBe(arn(f.FunctionName ?? ''));
      }
    }
    expect(pages).toBeGreaterThan(2);
    expect(names.filter((n) => n.startsWith('page-'))).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    expect(new Set(names).size).toBe(names.length);

    const all = await p.client.send(new ListFunctionsCommand({ FunctionVersion: 'ALL', MaxItems: 1000 }));
    const page0 = (all.Functions ?? []).filter((f) => f.FunctionName === 'page-0').map((f) => f.FunctionArn);
    expect(page0).toEqual([arn('page-0', '$LATEST'), arn('page-0', '1')]);

    const bad = await failure(
      p.client.send(new ListFunctionsCommand({ FunctionVersion: 'invalid' as 'ALL' })),
    );
    expect(bad.name).toBe('ValidationException');
    expect(bad.message).toBe(
      "1 validation error detected: Value 'invalid' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]",
    );
    const zero = await failure(p.client.send(new ListFunctionsCommand({ MaxItems: 0 })));
    expect(zero.message).toBe(
      "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });
});

describe('versions', () => {
  it('publishes a new version after a Description-only update, as AWS does (recorded 2025-11)', async () => {
    await create('desc-only');
    const update = (Description: string) =>
      p.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'desc-only', Description }));
    const publish = () => p.client.send(new PublishVersionCommand({ FunctionName: 'desc-only' }));
    await update('first');
    expect(await publish()).toMatchObject({ Version: '1', Description: 'first' });
    await update('second');
    expect(await publish()).toMatchObject({ Version: '2', Description: 'second' });
    // Nothing changed since: the same version again.
    expect(await publish()).toMatchObject({ Version: '2', Description: 'second' });
    // A version's own Description is not a change of $LATEST.
    const own = await p.client.send(
      new PublishVersionCommand({ FunctionName: 'desc-only', Description: 'my own words' }),
    );
    expect(own).toMatchObject({ Version: '2', Description: 'second' });
  });

  it('publishes, reuses the newest version when nothing changed, and deletes', async () => {
    const created = await create('ver', { Publish: true });
    expect(created).toMatchObject({ Version: '1', FunctionArn: arn('ver') });
    const again = await p.client.send(new PublishVersionCommand({ FunctionName: 'ver' }));
    expect(again.$metadata.httpStatusCode).toBe(201);
    expect(again).toMatchObject({ Version: '1', FunctionArn: arn('ver', '1'), State: 'Active' });
    expect(
      (await waitUntilPublishedVersionActive(waiter(), { FunctionName: 'ver', Qualifier: '1' })).state,
    ).toBe('SUCCESS');

    const wrongSha = await failure(
      p.client.send(new PublishVersionCommand({ FunctionName: 'ver', CodeSha256: 'somenonexistentsha256' })),
    );
    expect(wrongSha).toBeInstanceOf(InvalidParameterValueException);
    expect(wrongSha.message).toBe(
      `CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST (${sha(zipA)}). Please try again with the CodeSHA256 in $LATEST.`,
    );
    const wrongRevision = await failure(
      p.client.send(new PublishVersionCommand({ FunctionName: 'ver', RevisionId: 'x' })),
    );
    expect(wrongRevision).toBeInstanceOf(PreconditionFailedException);

    const v2 = await p.client.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'ver', ZipFile: zipB, Publish: true }),
    );
    expect(v2.Version).toBe('2');
    const v3 = await p.client.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', MemorySize: 512 }),
    );
    const published = await p.client.send(
      new PublishVersionCommand({ FunctionName: 'ver', CodeSha256: v3.CodeSha256, Description: 'three' }),
    );
    expect(published).toMatchObject({ Version: '3', Description: 'three', MemorySize: 512 });

    const one = await p.client.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: '1' }));
    expect(one.Configuration).toMatchObject({
      Version: '1',
      FunctionArn: arn('ver', '1'),
      CodeSha256: sha(zipA),
    });
    const oneZip = await fetch(one.Code?.Location ?? '');
    expect(Buffer.from(await oneZip.arrayBuffer()).equals(zipA)).toBe(true);

    const versions: string[] = [];
    for await (const page of paginateListVersionsByFunction(
      { client: p.client, pageSize: 2 },
      { FunctionName: 'ver' },
    )) {
      for (const v of page.Versions ?? []) {
        versions.push(v.Version ?? '');
        expect(v.FunctionArn).toBe(arn('ver', v.Version));
      }
    }
    expect(versions).toEqual(['$LATEST', '1', '2', '3']);

    const latest = await failure(
      p.client.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '$LATEST' })),
    );
    expect(latest.message).toBe('$LATEST version cannot be deleted without deleting the function.');
    await p.client.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '2' }));
    await p.client.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '99' }));
    const missing = await failure(
      p.client.send(new GetFunctionCommand({ FunctionName: 'ver', Qualifier: '2' })),
    );
    expect(missing.message).toBe(`Function not found: ${arn('ver', '2')}`);
    const four = await p.client.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', MemorySize: 1024 }),
    );
    expect(four.Version).toBe('$LATEST');
    expect((await p.client.send(new PublishVersionCommand({ FunctionName: 'ver' }))).Version).toBe('4');
  });
});

describe('aliases', () => {
  it('creates, reads, routes, updates, lists and deletes', async () => {
    await create('al', { Publish: true });
    await p.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'al', ZipFile: zipB, Publish: true }));
    const live = await p.client.send(
      new CreateAliasCommand({ FunctionName: 'al', Name: 'live', FunctionVersion: '1', Description: 'prod' }),
    );
    expect(live.$metadata.httpStatusCode).toBe(201);
    expect(live).toMatchObject({
      AliasArn: arn('al', 'live'),
      Name: 'live',
      FunctionVersion: '1',
      Description: 'prod',
    });
    expect(live.RoutingConfig).toBeUndefined();

    const viaAlias = await p.client.send(new GetFunctionCommand({ FunctionName: 'al', Qualifier: 'live' }));
    expect(viaAlias.Configuration).toMatchObject({ FunctionArn: arn('al', 'live'), Version: '1' });

    const routed = await p.client.send(
      new UpdateAliasCommand({
        FunctionName: 'al',
        Name: 'live',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
        RevisionId: live.RevisionId,
      }),
    );
    expect(routed.RoutingConfig).toEqual({ AdditionalVersionWeights: { '2': 0.25 } });
    const stale = await failure(
      p.client.send(
        new UpdateAliasCommand({ FunctionName: 'al', Name: 'live', RevisionId: live.RevisionId }),
      ),
    );
    expect(stale).toBeInstanceOf(PreconditionFailedException);
    const cleared = await p.client.send(
      new UpdateAliasCommand({
        FunctionName: 'al',
        Name: 'live',
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    expect(cleared.RoutingConfig).toBeUndefined();

    for (let i = 0; i < 4; i++) {
      await p.client.send(
        new CreateAliasCommand({ FunctionName: 'al', Name: `a${i}`, FunctionVersion: '$LATEST' }),
      );
    }
    const names: string[] = [];
    for await (const page of paginateListAliases({ client: p.client, pageSize: 2 }, { FunctionName: 'al' })) {
      names.push(...(page.Aliases ?? []).map((a) => a.Name ?? ''));
    }
    expect(names).toEqual(['a0', 'a1', 'a2', 'a3', 'live']);

    const inUse = await failure(
      p.client.send(new DeleteFunctionCommand({ FunctionName: 'al', Qualifier: '1' })),
    );
    expect(inUse).toBeInstanceOf(ResourceConflictException);
    expect(inUse.message).toBe('Unable to delete version because the following aliases reference it: [live]');

    const deleted = await p.client.send(new DeleteAliasCommand({ FunctionName: 'al', Name: 'live' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await p.client.send(new DeleteAliasCommand({ FunctionName: 'al', Name: 'live' }));
    const missing = await failure(p.client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'live' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe(`Cannot find alias arn: ${arn('al', 'live')}`);
    const updateMissing = await failure(
      p.client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'live', FunctionVersion: '1' })),
    );
    expect(updateMissing.message).toBe(`Alias not found: ${arn('al', 'live')}`);
    const viaMissing = await failure(p.client.send(new GetFunctionCommand({ FunctionName: 'al:live' })));
    expect(viaMissing.message).toBe(`Function not found: ${arn('al', 'live')}`);
  });

  it('answers alias errors with AWS’s messages (spec §2.3)', async () => {
    await create('alx', { Publish: true });
    await p.client.send(
      new CreateAliasCommand({ FunctionName: 'alx', Name: 'custom', FunctionVersion: '1' }),
    );
    const make = (Name: string, FunctionVersion: string, weights?: Record<string, number>) =>
      failure(
        p.client.send(
          new CreateAliasCommand({
            FunctionName: 'alx',
            Name,
            FunctionVersion,
            ...(weights === undefined ? {} : { RoutingConfig: { AdditionalVersionWeights: weights } }),
          }),
        ),
      );
    expect((await make('custom', '1')).message).toBe(`Alias already exists: ${arn('alx', 'custom')}`);
    const numeric = await make('2024', '1');
    expect(numeric.name).toBe('ValidationException');
    expect(numeric.message).toBe(
      "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
    );
    expect((await make('x', '10')).message).toBe(`Function not found: ${arn('alx', '10')}`);
    expect((await make('x', '1', { '2': 2 })).message).toBe(
      "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
    );
    expect((await make('x', '1', { $LATEST: 0.5 })).message).toBe(
      "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
    );
    expect((await make('x', '1', { '1': 0.5 })).message).toBe(
      'Invalid function version 1. Function version 1 is already included in routing configuration.',
    );
    expect((await make('x', '1', { '2': 0.1, '3': 0.1 })).message).toBe(
      'Number of items in AdditionalVersionWeights cannot be greater than 1',
    );
    const latest = await make('x', '$LATEST', { '1': 0.5 });
    expect(latest.message).toBe('$LATEST is not supported for an alias pointing to more than 1 version');
    expect((latest as InvalidParameterValueException).Type).toBeUndefined();
    const noFn = await failure(
      p.client.send(new CreateAliasCommand({ FunctionName: 'alx-unknown', Name: 'a', FunctionVersion: '1' })),
    );
    expect(noFn.message).toBe(`Function not found: ${arn('alx-unknown', '1')}`);
  });
});

describe('concurrency and account settings (spec §3.1–3.2)', () => {
  it('reserves, reports and releases', async () => {
    await create('conc');
    const before = await p.client.send(new GetAccountSettingsCommand({}));
    expect(before.AccountLimit).toMatchObject({
      TotalCodeSize: 80530636800,
      CodeSizeUnzipped: 262144000,
      CodeSizeZipped: 52428800,
      ConcurrentExecutions: 1000,
    });
    expect(before.AccountUsage?.FunctionCount).toBeGreaterThan(0);
    const unreserved = before.AccountLimit?.UnreservedConcurrentExecutions ?? 0;

    expect(
      (await p.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'conc' })))
        .ReservedConcurrentExecutions,
    ).toBeUndefined();
    const put = await p.client.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'conc', ReservedConcurrentExecutions: 50 }),
    );
    expect(put.ReservedConcurrentExecutions).toBe(50);
    expect(
      (await p.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'conc' })))
        .ReservedConcurrentExecutions,
    ).toBe(50);
    expect((await p.client.send(new GetFunctionCommand({ FunctionName: 'conc' }))).Concurrency).toEqual({
      ReservedConcurrentExecutions: 50,
    });
    const after = await p.client.send(new GetAccountSettingsCommand({}));
    expect(after.AccountLimit?.UnreservedConcurrentExecutions).toBe(unreserved - 50);

    const floor = await failure(
      p.client.send(
        new PutFunctionConcurrencyCommand({ FunctionName: 'conc', ReservedConcurrentExecutions: 901 }),
      ),
    );
    expect(floor).toBeInstanceOf(InvalidParameterValueException);
    expect(floor.message).toBe(
      "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    );
    expect((floor as InvalidParameterValueException).Type).toBeUndefined();

    const qualified = await failure(
      p.client.send(
        new PutFunctionConcurrencyCommand({ FunctionName: 'conc:1', ReservedConcurrentExecutions: 1 }),
      ),
    );
    expect(qualified.message).toBe(
      'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.',
    );
    const missing = await failure(
      p.client.send(
        new PutFunctionConcurrencyCommand({ FunctionName: 'doesnotexist', ReservedConcurrentExecutions: 0 }),
      ),
    );
    expect(missing.message).toBe(`Function not found: ${arn('doesnotexist', '$LATEST')}`);

    const del = await p.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'conc' }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await p.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'conc' }));
    expect(
      (await p.client.send(new GetAccountSettingsCommand({}))).AccountLimit?.UnreservedConcurrentExecutions,
    ).toBe(unreserved);
  });
});

describe('tags', () => {
  it('tags, lists and untags functions by ARN', async () => {
    await create('tg', { Tags: { team: 'a' } });
    const resource = arn('tg');
    expect((await p.client.send(new ListTagsCommand({ Resource: resource }))).Tags).toEqual({ team: 'a' });
    const tagged = await p.client.send(
      new TagResourceCommand({ Resource: resource, Tags: { env: 'dev', team: 'b' } }),
    );
    expect(tagged.$metadata.httpStatusCode).toBe(204);
    expect((await p.client.send(new GetFunctionCommand({ FunctionName: 'tg' }))).Tags).toEqual({
      env: 'dev',
      team: 'b',
    });
    await p.client.send(new UntagResourceCommand({ Resource: resource, TagKeys: ['team', 'nope'] }));
    expect((await p.client.send(new ListTagsCommand({ Resource: resource }))).Tags).toEqual({ env: 'dev' });

    const qualified = await failure(p.client.send(new ListTagsCommand({ Resource: arn('tg', '1') })));
    expect(qualified.message).toBe(
      'Tags on function aliases and versions are not supported. Please specify a function ARN.',
    );
    const empty = await failure(p.client.send(new TagResourceCommand({ Resource: resource, Tags: {} })));
    expect(empty.message).toBe('An error occurred and the request cannot be processed.');
    const missing = await failure(p.client.send(new ListTagsCommand({ Resource: arn('doesnotexist') })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe(`Function not found: ${arn('doesnotexist')}`);
    const invalid = await failure(p.client.send(new ListTagsCommand({ Resource: 'arn:aws:something' })));
    expect(invalid.name).toBe('ValidationException');
    expect(invalid.message).toMatch(
      /^1 validation error detected: Value 'arn:aws:something' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:\(aws/,
    );
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    const tooMany = await failure(p.client.send(new TagResourceCommand({ Resource: resource, Tags: many })));
    expect(tooMany.message).toBe('Number of tags exceeds resource tag limit.');
  });
});
