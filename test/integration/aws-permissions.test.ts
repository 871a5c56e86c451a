/**
 * Resource-based policies through @aws-sdk/client-lambda (issue 16, item 5): what
 * deployment tools (SAM, Serverless, Terraform's aws_lambda_permission) call. Expected
 * values are AWS's as recorded in LocalStack's AWS-validated snapshots
 * (test_lambda_api.snapshot.json, TestLambdaPermissions, 2025-11).
 */
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  type AddPermissionCommandInput,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

let p: TestPlatform;
const ARN = `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function`;
const BUCKET = 'arn:aws:s3:::test-bucket';

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata.httpStatusCode };
  }
  throw new Error('expected a failure');
}

const add = (input: Partial<AddPermissionCommandInput> & { FunctionName: string }) =>
  p.client.send(
    new AddPermissionCommand({
      Action: 'lambda:InvokeFunction',
      StatementId: 's3',
      Principal: 's3.amazonaws.com',
      ...input,
    }),
  );
const policyOf = async (FunctionName: string, Qualifier?: string) => {
  const out = await p.client.send(
    new GetPolicyCommand({ FunctionName, ...(Qualifier ? { Qualifier } : {}) }),
  );
  return { policy: JSON.parse(out.Policy ?? '{}') as Record<string, unknown>, revisionId: out.RevisionId };
};

beforeAll(async () => {
  p = await startPlatform();
  for (const name of ['perm', 'perm-errors', 'perm-fields']) {
    await p.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) },
      }),
    );
  }
});

afterAll(() => p.dispose());

describe('AddPermission, GetPolicy, RemovePermission', () => {
  it('adds, reads and removes statements, as AWS records them', async () => {
    const added = await add({ FunctionName: 'perm', SourceArn: BUCKET });
    expect(added.$metadata.httpStatusCode).toBe(201);
    expect(JSON.parse(added.Statement ?? '')).toEqual({
      Sid: 's3',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: `${ARN}:perm`,
      Condition: { ArnLike: { 'AWS:SourceArn': BUCKET } },
    });
    // Right after AddPermission the function's RevisionId is the policy's.
    const first = await policyOf('perm');
    const fn = await p.client.send(new GetFunctionCommand({ FunctionName: 'perm' }));
    expect(fn.Configuration?.RevisionId).toBe(first.revisionId);
    await add({ FunctionName: 'perm', StatementId: 'sqs', Principal: 'sqs.amazonaws.com' });
    const both = await policyOf('perm');
    expect(both.policy).toMatchObject({ Version: '2012-10-17', Id: 'default' });
    expect((both.policy.Statement as { Sid: string }[]).map((s) => s.Sid)).toEqual(['s3', 'sqs']);
    expect(both.revisionId).not.toBe(first.revisionId);

    expect(
      await failure(
        p.client.send(new RemovePermissionCommand({ FunctionName: 'perm', StatementId: 'non-existent' })),
      ),
    ).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Statement non-existent is not found in resource policy.',
      status: 404,
    });
    const removed = await p.client.send(
      new RemovePermissionCommand({ FunctionName: 'perm', StatementId: 'sqs' }),
    );
    expect(removed.$metadata.httpStatusCode).toBe(204);
    const rest = await policyOf('perm');
    await p.client.send(
      new RemovePermissionCommand({ FunctionName: 'perm', StatementId: 's3', RevisionId: rest.revisionId }),
    );
    expect(await failure(p.client.send(new GetPolicyCommand({ FunctionName: 'perm' })))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'The resource you requested does not exist.',
      status: 404,
    });
  });

  it('keeps one policy per function, version and alias', async () => {
    await add({ FunctionName: 'perm', StatementId: 'base' });
    const v = await p.client.send(new PublishVersionCommand({ FunctionName: 'perm' }));
    // Permissions apply to what they were added to: version 1 has none yet.
    expect(
      (await failure(p.client.send(new GetPolicyCommand({ FunctionName: 'perm', Qualifier: v.Version }))))
        .name,
    ).toBe('ResourceNotFoundException');
    await add({ FunctionName: `perm:${v.Version}`, Qualifier: v.Version, StatementId: 'base' });
    const onVersion = await policyOf('perm', v.Version);
    expect((onVersion.policy.Statement as { Resource: string }[])[0]?.Resource).toBe(
      `${ARN}:perm:${v.Version}`,
    );

    const alias = await p.client.send(
      new CreateAliasCommand({ FunctionName: 'perm', Name: 'live', FunctionVersion: v.Version }),
    );
    expect(await failure(add({ FunctionName: 'perm', Qualifier: 'live', RevisionId: 'wrong' }))).toEqual({
      name: 'PreconditionFailedException',
      message:
        'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id',
      status: 412,
    });
    await add({ FunctionName: 'perm:live', Qualifier: 'live', RevisionId: alias.RevisionId });
    const onAlias = await policyOf('perm', 'live');
    expect(
      (await p.client.send(new GetAliasCommand({ FunctionName: 'perm', Name: 'live' }))).RevisionId,
    ).toBe(onAlias.revisionId);
    // A deleted alias takes its policy along: a new alias of that name starts without one.
    await p.client.send(new DeleteAliasCommand({ FunctionName: 'perm', Name: 'live' }));
    await p.client.send(
      new CreateAliasCommand({ FunctionName: 'perm', Name: 'live', FunctionVersion: v.Version }),
    );
    expect(
      (await failure(p.client.send(new GetPolicyCommand({ FunctionName: 'perm', Qualifier: 'live' })))).name,
    ).toBe('ResourceNotFoundException');
    // The unqualified policy kept its own revision across the publish.
    expect((await policyOf('perm')).policy.Statement).toHaveLength(1);
  });

  it('renders principals and conditions as AWS does', async () => {
    const statement = async (input: Partial<AddPermissionCommandInput>) =>
      JSON.parse((await add({ ...input, FunctionName: 'perm-fields' })).Statement ?? '') as Record<
        string,
        unknown
      >;
    expect(
      await statement({ StatementId: 'wildcard', Principal: '*', SourceAccount: TEST_ACCOUNT }),
    ).toMatchObject({
      Principal: '*',
      Condition: { StringEquals: { 'AWS:SourceAccount': TEST_ACCOUNT } },
    });
    expect(await statement({ StatementId: 'account-id', Principal: TEST_ACCOUNT })).toMatchObject({
      Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` },
    });
    expect(
      await statement({
        StatementId: 'urlPermission',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        SourceArn: BUCKET,
        SourceAccount: TEST_ACCOUNT,
        PrincipalOrgID: 'o-1234567890',
        FunctionUrlAuthType: 'NONE',
      }),
    ).toEqual({
      Sid: 'urlPermission',
      Effect: 'Allow',
      Principal: '*',
      Action: 'lambda:InvokeFunctionUrl',
      Resource: `${ARN}:perm-fields`,
      Condition: {
        StringEquals: {
          'AWS:SourceAccount': TEST_ACCOUNT,
          'lambda:FunctionUrlAuthType': 'NONE',
          'aws:PrincipalOrgID': 'o-1234567890',
        },
        ArnLike: { 'AWS:SourceArn': BUCKET },
      },
    });
    expect(
      await statement({
        StatementId: 'alexaSkill',
        Principal: '*',
        EventSourceToken: 'amzn1.ask.skill.xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
      }),
    ).toMatchObject({
      Condition: {
        StringEquals: { 'lambda:EventSourceToken': 'amzn1.ask.skill.xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' },
      },
    });
  });

  it.each<[string, () => Promise<unknown>, string, string, number]>([
    [
      'an invalid statement id',
      () => add({ FunctionName: 'perm-errors', StatementId: 'example.com' }),
      'ValidationException',
      "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
      400,
    ],
    [
      'a qualifier that the name contradicts',
      () => add({ FunctionName: 'perm-errors:alias-not-42', Qualifier: '42' }),
      'InvalidParameterValueException',
      'The derived qualifier from the function name does not match the specified qualifier.',
      400,
    ],
    [
      '$LATEST',
      () => add({ FunctionName: 'perm-errors:$LATEST', Qualifier: '$LATEST' }),
      'InvalidParameterValueException',
      'We currently do not support adding policies for $LATEST.',
      400,
    ],
    [
      'an invalid principal',
      () =>
        add({ FunctionName: 'perm-errors', Principal: 'invalid.nonaws.com', SourceAccount: TEST_ACCOUNT }),
      'InvalidParameterValueException',
      'The provided principal was invalid. Please check the principal and try again.',
      400,
    ],
    [
      'a missing function (GetPolicy)',
      () => p.client.send(new GetPolicyCommand({ FunctionName: 'doesnotexist' })),
      'ResourceNotFoundException',
      'The resource you requested does not exist.',
      404,
    ],
    [
      'a missing version (GetPolicy)',
      () => p.client.send(new GetPolicyCommand({ FunctionName: 'perm-errors', Qualifier: '77' })),
      'ResourceNotFoundException',
      'The resource you requested does not exist.',
      404,
    ],
    [
      'a missing function (AddPermission)',
      () => add({ FunctionName: 'doesnotexist' }),
      'ResourceNotFoundException',
      `Function not found: ${ARN}:doesnotexist`,
      404,
    ],
    [
      'no policy (RemovePermission)',
      () => p.client.send(new RemovePermissionCommand({ FunctionName: 'perm-errors', StatementId: 's3' })),
      'ResourceNotFoundException',
      'No policy is associated with the given resource.',
      404,
    ],
    [
      'a missing alias (AddPermission)',
      () => add({ FunctionName: 'perm-errors:alias-doesnotexist' }),
      'ResourceNotFoundException',
      `Cannot find alias arn: ${ARN}:perm-errors:alias-doesnotexist`,
      404,
    ],
    [
      'a missing version (AddPermission)',
      () => add({ FunctionName: 'perm-errors', Qualifier: '42' }),
      'ResourceNotFoundException',
      `Function not found: ${ARN}:perm-errors:42`,
      404,
    ],
    [
      'a malformed qualifier',
      () => add({ FunctionName: 'perm-errors', Qualifier: 'invalid-qualifier-with-?-char' }),
      'ValidationException',
      "1 validation error detected: Value 'invalid-qualifier-with-?-char' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+",
      400,
    ],
    [
      'a qualifier that is neither a version nor an alias name',
      () => add({ FunctionName: 'perm-errors', Qualifier: 'valid-with-$-but-doesnotexist' }),
      'ResourceNotFoundException',
      `Function not found: ${ARN}:perm-errors:valid-with-$-but-doesnotexist`,
      404,
    ],
    [
      'a missing function (RemovePermission)',
      () => p.client.send(new RemovePermissionCommand({ FunctionName: 'doesnotexist', StatementId: 's3' })),
      'ResourceNotFoundException',
      `No policy found for: ${ARN}:doesnotexist`,
      404,
    ],
    [
      'a missing alias (RemovePermission)',
      () =>
        p.client.send(
          new RemovePermissionCommand({
            FunctionName: 'perm-errors',
            StatementId: 's3',
            Qualifier: 'alias-doesnotexist',
          }),
        ),
      'ResourceNotFoundException',
      `Cannot find alias arn: ${ARN}:perm-errors:alias-doesnotexist`,
      404,
    ],
  ])('refuses %s', async (_what, call, name, message, status) => {
    expect(await failure(call())).toEqual({ name, message, status });
  });

  it('refuses a statement id that is already there', async () => {
    await add({ FunctionName: 'perm-errors', StatementId: 'dup' });
    expect(await failure(add({ FunctionName: 'perm-errors', StatementId: 'dup' }))).toEqual({
      name: 'ResourceConflictException',
      message:
        'The statement id (dup) provided already exists. Please provide a new statement id, or remove the existing statement.',
      status: 409,
    });
  });
});
