import { describe, expect, it } from 'vitest';
import { PlatformError, type ErrorCode, type ErrorDetails } from '../../core/errors.js';
import { AWS_ERROR_TABLE, UNEXPECTED_ERROR, renderPlatformError, type ErrorRenderContext } from './errors.js';
import { renderError } from './index.js';

const ctx: ErrorRenderContext = { region: 'us-east-1', accountId: '111111111111' };
const ARN = 'arn:aws:lambda:us-east-1:111111111111:function';

/** One example per code: a missing code here is a compile error, like in the table. */
const SAMPLES: { readonly [C in ErrorCode]: ErrorDetails[C] } = {
  FUNCTION_NOT_FOUND: { functionName: 'fn' },
  VERSION_NOT_FOUND: { functionName: 'fn', version: '10' },
  ALIAS_NOT_FOUND: { functionName: 'fn', alias: 'live' },
  NAMESPACE_NOT_FOUND: { namespace: 'ns' },
  FUNCTION_ALREADY_EXISTS: { functionName: 'fn' },
  ALIAS_ALREADY_EXISTS: { functionName: 'fn', alias: 'custom' },
  NAMESPACE_ALREADY_EXISTS: { namespace: 'ns' },
  NAMESPACE_NOT_EMPTY: { namespace: 'ns' },
  UPDATE_IN_PROGRESS: { functionName: 'fn' },
  REVISION_MISMATCH: {},
  POLICY_NOT_FOUND: { functionName: 'fn', functionMissing: true },
  POLICY_STATEMENT_NOT_FOUND: { statementId: 'non-existent' },
  POLICY_STATEMENT_EXISTS: { statementId: 's3' },
  POLICY_REVISION_MISMATCH: {},
  POLICY_ON_LATEST: {},
  RUNTIME_VERSION_UNAVAILABLE: { runtime: 'nodejs22.x', digest: 'ab'.repeat(32), current: 'cd'.repeat(32) },
  CODE_SHA256_MISMATCH: { given: 'somenonexistentsha256', actual: '00'.repeat(32) },
  LATEST_NOT_DELETABLE: { functionName: 'fn' },
  VERSION_REFERENCED_BY_ALIAS: { functionName: 'fn', version: '1', aliases: ['live', 'beta'] },
  CODE_INVALID_ZIP: { reason: 'x' },
  CODE_ZIPPED_TOO_LARGE: { limitBytes: 52428800 },
  CODE_UNZIPPED_TOO_LARGE: { limitBytes: 262144000 },
  CODE_UNSAFE_ENTRY: { entry: '../evil.txt' },
  RUNTIME_NOT_SUPPORTED: { runtime: 'python3.12', supported: ['nodejs20.x', 'provided.al2023'] },
  TOO_MANY_TAGS: { functionName: 'fn', limit: 50 },
  LAYER_NOT_FOUND: { layerName: 'libs' },
  LAYER_VERSION_NOT_FOUND: { layerName: 'libs', version: 2 },
  FUNCTION_LAYERS_TOO_MANY: { limit: 5 },
  FUNCTION_LAYER_DUPLICATE: {
    first: { accountId: '111111111111', region: 'us-east-1', layerName: 'libs', version: 1 },
    second: { accountId: '111111111111', region: 'us-east-1', layerName: 'libs', version: 2 },
  },
  FUNCTION_LAYER_WRONG_REGION: {
    region: 'us-east-1',
    layer: {
      ...{ accountId: '111111111111', region: 'us-east-1', layerName: 'libs', version: 1 },
      region: 'eu-west-1',
    },
  },
  FUNCTION_LAYER_ACCESS_DENIED: {
    accountId: '111111111111',
    layer: {
      ...{ accountId: '111111111111', region: 'us-east-1', layerName: 'libs', version: 1 },
      accountId: '222222222222',
    },
  },
  FUNCTION_LAYER_NOT_FOUND: {
    layer: {
      ...{ accountId: '111111111111', region: 'us-east-1', layerName: 'libs', version: 1 },
      version: 9,
    },
  },
  ROUTING_TOO_MANY_VERSIONS: {},
  ROUTING_SAME_AS_PRIMARY: { version: '1' },
  ROUTING_WITH_LATEST: {},
  RESERVED_BELOW_UNRESERVED_MINIMUM: { minimum: 100 },
  RESERVED_BELOW_PROVISIONED: { requested: 1, totalProvisioned: 2 },
  QUALIFIED_NOT_ALLOWED: { functionName: 'fn' },
  PROVISIONED_ON_UNPUBLISHED: { functionName: 'fn' },
  PROVISIONED_QUALIFIER_INVALID: { functionName: 'fn', qualifier: '$LATEST' },
  PROVISIONED_ON_WEIGHTED_ALIAS: { functionName: 'fn', alias: 'live' },
  PROVISIONED_EXCEEDS_RESERVED: { requested: 5, reserved: 4 },
  PROVISIONED_EXCEEDS_UNRESERVED: { unreserved: 1000 },
  PROVISIONED_BELOW_UNRESERVED_MINIMUM: { minimum: 100 },
  PROVISIONED_ALIAS_ON_PROVISIONED_VERSION: { functionName: 'fn', alias: 'live', version: '1' },
  PROVISIONED_VERSION_POINTED_BY_ALIAS: { functionName: 'fn', version: '1', alias: 'live' },
  PROVISIONED_CONFIG_NOT_FOUND: { functionName: 'fn', qualifier: '1' },
  PROVISIONED_IN_PROGRESS: { functionName: 'fn', qualifier: '1' },
  THROTTLED_RESERVED: { functionName: 'fn' },
  THROTTLED_ACCOUNT: {},
  FUNCTION_NOT_ACTIVE: { functionName: 'fn', state: 'Pending' },
  PAYLOAD_TOO_LARGE: { limitBytes: 6291456 },
  ASYNC_QUEUE_FULL: { functionName: 'fn' },
  INVALID_PARAMETER: { field: 'qualifier', reason: 'Bad qualifier.' },
  INTERNAL: { reason: 'boom' },
};

function render<C extends ErrorCode>(code: C, operation?: ErrorRenderContext['operation']) {
  return renderPlatformError(
    new PlatformError(code, SAMPLES[code]),
    operation === undefined ? ctx : { ...ctx, operation },
  );
}

/** Member casing of the model's error shapes (service-2.json). */
const MESSAGE_KEY: Record<string, 'message' | 'Message'> = {
  InvalidParameterValueException: 'message',
  ResourceConflictException: 'message',
  ResourceNotFoundException: 'Message',
  PreconditionFailedException: 'message',
  ProvisionedConcurrencyConfigNotFoundException: 'message',
  TooManyRequestsException: 'message',
  ServiceException: 'Message',
  RequestEntityTooLargeException: 'Message',
  AccessDeniedException: 'Message',
};

describe('AWS error table', () => {
  const codes = Object.keys(SAMPLES) as ErrorCode[];

  it('covers every code of the catalog, and nothing else', () => {
    expect(Object.keys(AWS_ERROR_TABLE).sort()).toEqual([...codes].sort());
  });

  it.each(codes)('%s renders a well-formed AWS error', (code) => {
    const body = render(code);
    expect(body.message?.length ?? 0).toBeGreaterThan(0);
    expect(MESSAGE_KEY[body.type]).toBe(body.messageKey);
    expect([400, 403, 404, 409, 412, 413, 429, 500]).toContain(body.status);
    if (body.status >= 500) {
      expect(body.userType).toBe('Service');
    } else if (body.userType !== undefined) {
      expect(body.userType).toBe('User');
    }
  });

  it.each<[ErrorCode, number, string, string, boolean]>([
    // Layers, as recorded (TestLambdaLayer snapshots, 2025-11 / 2026-01).
    [
      'LAYER_VERSION_NOT_FOUND',
      404,
      'ResourceNotFoundException',
      'The resource you requested does not exist.',
      true,
    ],
    [
      'FUNCTION_LAYERS_TOO_MANY',
      400,
      'InvalidParameterValueException',
      'Cannot reference more than 5 layers.',
      true,
    ],
    [
      'FUNCTION_LAYER_DUPLICATE',
      400,
      'InvalidParameterValueException',
      'Two different versions of the same layer are not allowed to be referenced in the same function. arn:aws:lambda:us-east-1:111111111111:layer:libs:1 and arn:aws:lambda:us-east-1:111111111111:layer:libs:2 are versions of the same layer.',
      true,
    ],
    [
      'FUNCTION_LAYER_WRONG_REGION',
      400,
      'InvalidParameterValueException',
      'Layers are not in the same region as the function. Layers are expected to be in region us-east-1.',
      true,
    ],
    [
      'FUNCTION_LAYER_NOT_FOUND',
      400,
      'InvalidParameterValueException',
      'Layer version arn:aws:lambda:us-east-1:111111111111:layer:libs:9 does not exist.',
      true,
    ],
    ['FUNCTION_NOT_FOUND', 404, 'ResourceNotFoundException', `Function not found: ${ARN}:fn`, true],
    ['VERSION_NOT_FOUND', 404, 'ResourceNotFoundException', `Function not found: ${ARN}:fn:10`, true],
    ['FUNCTION_ALREADY_EXISTS', 409, 'ResourceConflictException', 'Function already exist: fn', true],
    [
      'ALIAS_ALREADY_EXISTS',
      409,
      'ResourceConflictException',
      `Alias already exists: ${ARN}:fn:custom`,
      true,
    ],
    [
      'UPDATE_IN_PROGRESS',
      409,
      'ResourceConflictException',
      `The operation cannot be performed at this time. An update is in progress for resource: ${ARN}:fn`,
      true,
    ],
    [
      'REVISION_MISMATCH',
      412,
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      true,
    ],
    [
      'CODE_SHA256_MISMATCH',
      400,
      'InvalidParameterValueException',
      `CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST (${Buffer.alloc(32).toString('base64')}). Please try again with the CodeSHA256 in $LATEST.`,
      true,
    ],
    [
      'LATEST_NOT_DELETABLE',
      400,
      'InvalidParameterValueException',
      '$LATEST version cannot be deleted without deleting the function.',
      true,
    ],
    [
      'VERSION_REFERENCED_BY_ALIAS',
      409,
      'ResourceConflictException',
      'Unable to delete version because the following aliases reference it: [live, beta]',
      true,
    ],
    [
      'CODE_INVALID_ZIP',
      400,
      'InvalidParameterValueException',
      'Could not unzip uploaded file. Please check your file, then try to upload again.',
      true,
    ],
    [
      'CODE_ZIPPED_TOO_LARGE',
      413,
      'RequestEntityTooLargeException',
      'Zipped size must be smaller than 52428800 bytes',
      false,
    ],
    [
      'CODE_UNZIPPED_TOO_LARGE',
      400,
      'InvalidParameterValueException',
      'Unzipped size must be smaller than 262144000 bytes',
      true,
    ],
    [
      'TOO_MANY_TAGS',
      400,
      'InvalidParameterValueException',
      'Number of tags exceeds resource tag limit.',
      true,
    ],
    [
      'ROUTING_TOO_MANY_VERSIONS',
      400,
      'InvalidParameterValueException',
      'Number of items in AdditionalVersionWeights cannot be greater than 1',
      true,
    ],
    [
      'ROUTING_SAME_AS_PRIMARY',
      400,
      'InvalidParameterValueException',
      'Invalid function version 1. Function version 1 is already included in routing configuration.',
      true,
    ],
    [
      'ROUTING_WITH_LATEST',
      400,
      'InvalidParameterValueException',
      '$LATEST is not supported for an alias pointing to more than 1 version',
      false,
    ],
    [
      'RESERVED_BELOW_UNRESERVED_MINIMUM',
      400,
      'InvalidParameterValueException',
      "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
      false,
    ],
    [
      'RESERVED_BELOW_PROVISIONED',
      400,
      'InvalidParameterValueException',
      " ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2].",
      false,
    ],
    [
      'QUALIFIED_NOT_ALLOWED',
      400,
      'InvalidParameterValueException',
      'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.',
      true,
    ],
    [
      'PROVISIONED_ON_UNPUBLISHED',
      400,
      'InvalidParameterValueException',
      'Provisioned Concurrency Configs cannot be applied to unpublished function versions.',
      true,
    ],
    [
      'PROVISIONED_QUALIFIER_INVALID',
      400,
      'InvalidParameterValueException',
      'The function resource provided must be an alias or a published version.',
      true,
    ],
    [
      'PROVISIONED_EXCEEDS_RESERVED',
      400,
      'InvalidParameterValueException',
      'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function',
      true,
    ],
    [
      'PROVISIONED_EXCEEDS_UNRESERVED',
      400,
      'InvalidParameterValueException',
      "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [1000].",
      false,
    ],
    [
      'PROVISIONED_BELOW_UNRESERVED_MINIMUM',
      400,
      'InvalidParameterValueException',
      "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
      false,
    ],
    [
      'PROVISIONED_ALIAS_ON_PROVISIONED_VERSION',
      409,
      'ResourceConflictException',
      "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
      true,
    ],
    [
      'PROVISIONED_VERSION_POINTED_BY_ALIAS',
      409,
      'ResourceConflictException',
      'Version is pointed by a Provisioned Concurrency alias',
      true,
    ],
    [
      'PROVISIONED_CONFIG_NOT_FOUND',
      404,
      'ProvisionedConcurrencyConfigNotFoundException',
      'No Provisioned Concurrency Config found for this function',
      true,
    ],
    ['THROTTLED_RESERVED', 429, 'TooManyRequestsException', 'Rate Exceeded.', true],
    ['THROTTLED_ACCOUNT', 429, 'TooManyRequestsException', 'Rate Exceeded.', true],
    [
      'FUNCTION_NOT_ACTIVE',
      409,
      'ResourceConflictException',
      'The operation cannot be performed at this time. The function is currently in the following state: Pending',
      true,
    ],
    [
      'PAYLOAD_TOO_LARGE',
      413,
      'RequestEntityTooLargeException',
      'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      false,
    ],
  ])('%s → %i %s with the recorded message', (code, status, type, message, typed) => {
    const body = render(code);
    expect(body).toMatchObject({ status, type, message });
    expect(body.userType !== undefined).toBe(typed);
  });

  it('words a missing alias per operation (spec §2.3)', () => {
    expect(render('ALIAS_NOT_FOUND', 'GetAlias').message).toBe(`Cannot find alias arn: ${ARN}:fn:live`);
    expect(render('ALIAS_NOT_FOUND', 'GetProvisionedConcurrencyConfig').message).toBe(
      `Cannot find alias arn: ${ARN}:fn:live`,
    );
    expect(render('ALIAS_NOT_FOUND', 'UpdateAlias').message).toBe(`Alias not found: ${ARN}:fn:live`);
    expect(render('ALIAS_NOT_FOUND', 'GetFunction').message).toBe(`Function not found: ${ARN}:fn:live`);
  });

  it('names the qualifier of a missing function when one was asked for', () => {
    const e = new PlatformError('FUNCTION_NOT_FOUND', {
      functionName: 'some-function',
      qualifier: '$LATEST',
    });
    expect(renderPlatformError(e, ctx).message).toBe(`Function not found: ${ARN}:some-function:$LATEST`);
  });

  it('uses AWS’s two runtime messages', () => {
    expect(render('RUNTIME_NOT_SUPPORTED').message).toBe(
      "Value python3.12 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs20.x, provided.al2023] or be a valid ARN",
    );
    const old = new PlatformError('RUNTIME_NOT_SUPPORTED', { runtime: 'nodejs12.x', supported: [] });
    expect(renderPlatformError(old, ctx).message).toBe(
      'The runtime parameter of nodejs12.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
    );
  });

  it('names the unsafe entry', () => {
    expect(render('CODE_UNSAFE_ENTRY').message).toContain("'../evil.txt'");
  });
});

describe('renderError (spec §1.4 server rule)', () => {
  it('keeps an internal failure’s reason out of the answer', () => {
    const body = renderPlatformError(
      new PlatformError('INTERNAL', { reason: 'store: SQLITE_FULL /var/x.db' }),
      ctx,
    );
    expect(body).toEqual(UNEXPECTED_ERROR);
    expect(JSON.stringify(body)).not.toContain('SQLITE_FULL');
  });

  it('writes header, Type, message key and __type', () => {
    const res = renderError(render('FUNCTION_NOT_FOUND'), 'req-1');
    expect(res.status).toBe(404);
    expect(res.headers).toMatchObject({
      'content-type': 'application/json',
      'x-amzn-RequestId': 'req-1',
      'x-amzn-ErrorType': 'ResourceNotFoundException',
    });
    expect(JSON.parse(String(res.body))).toEqual({
      Type: 'User',
      Message: `Function not found: ${ARN}:fn`,
      __type: 'ResourceNotFoundException',
    });
  });

  it('adds Reason and Retry-After for throttles, omits Type where AWS does', () => {
    const res = renderError({ ...render('THROTTLED_RESERVED'), retryAfterSeconds: 1 }, 'r');
    expect(res.status).toBe(429);
    expect(res.headers?.['Retry-After']).toBe('1');
    expect(JSON.parse(String(res.body))).toEqual({
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      Type: 'User',
      message: 'Rate Exceeded.',
      __type: 'TooManyRequestsException',
    });
    expect(JSON.parse(String(renderError(render('RESERVED_BELOW_UNRESERVED_MINIMUM'), 'r').body))).toEqual({
      message:
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
      __type: 'InvalidParameterValueException',
    });
  });
});
