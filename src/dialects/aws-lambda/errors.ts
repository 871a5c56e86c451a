/**
 * Core's error catalog in AWS's words: one table mapping every ErrorCode to status,
 * `x-amzn-ErrorType`, body key casing and message (spec §0 rule 1, §1.4, Appendix A).
 * A code missing here is a compile error.
 *
 * Messages quote real AWS where it was recorded; [DESIGN] marks our own wording for
 * situations AWS never reaches or was never recorded in.
 */
import type { ErrorCode, ErrorDetails, PlatformError } from '../../core/errors.js';
import { functionArn, codeSha256Base64, layerArn, type ArnScope } from './arns.js';
import type { OperationName } from './routes.js';
import type { AwsErrorBody } from './wire-error.js';

export interface ErrorRenderContext extends ArnScope {
  /** Some messages depend on the operation (ALIAS_NOT_FOUND, spec §2.3). */
  readonly operation?: OperationName;
}

type Renderer<C extends ErrorCode> = (details: ErrorDetails[C], ctx: ErrorRenderContext) => AwsErrorBody;

const ipve = (message: string, typed = true): AwsErrorBody => ({
  status: 400,
  type: 'InvalidParameterValueException',
  message,
  messageKey: 'message',
  ...(typed ? { userType: 'User' as const } : {}),
});
const notFound = (message: string): AwsErrorBody => ({
  status: 404,
  type: 'ResourceNotFoundException',
  message,
  messageKey: 'Message',
  userType: 'User',
});
const conflict = (message: string): AwsErrorBody => ({
  status: 409,
  type: 'ResourceConflictException',
  message,
  messageKey: 'message',
  userType: 'User',
});
const throttled = (reason: string): AwsErrorBody => ({
  status: 429,
  type: 'TooManyRequestsException',
  message: 'Rate Exceeded.',
  messageKey: 'message',
  userType: 'User',
  reason,
});

/** Runtimes AWS itself no longer accepts for create/update (its "no longer supported" message). */
export const DEPRECATED_RUNTIMES: ReadonlySet<string> = new Set([
  'nodejs',
  'nodejs4.3',
  'nodejs4.3-edge',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'python2.7',
  'python3.6',
  'python3.7',
  'dotnetcore1.0',
  'dotnetcore2.0',
  'dotnetcore2.1',
  'dotnetcore3.1',
  'dotnet6',
  'ruby2.5',
  'ruby2.7',
  'go1.x',
  'java8',
]);

/** AWS's refusal of a runtime it no longer accepts for create/update. */
export function deprecatedRuntimeMessage(runtime: string): string {
  return `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`;
}

/** Operations whose missing-alias message is `Cannot find alias arn:` (spec §2.3, §3.3). */
const CANNOT_FIND_ALIAS: ReadonlySet<OperationName | undefined> = new Set<OperationName>([
  'GetAlias',
  'PutProvisionedConcurrencyConfig',
  'GetProvisionedConcurrencyConfig',
  'DeleteProvisionedConcurrencyConfig',
  'AddPermission',
  'RemovePermission',
]);

export const AWS_ERROR_TABLE: { readonly [C in ErrorCode]: Renderer<C> } = {
  FUNCTION_NOT_FOUND: (d, ctx) =>
    notFound(`Function not found: ${functionArn(ctx, d.functionName, d.qualifier)}`),
  VERSION_NOT_FOUND: (d, ctx) =>
    notFound(`Function not found: ${functionArn(ctx, d.functionName, d.version)}`),
  ALIAS_NOT_FOUND: (d, ctx) => {
    const aliasArn = functionArn(ctx, d.functionName, d.alias);
    if (CANNOT_FIND_ALIAS.has(ctx.operation)) {
      return notFound(`Cannot find alias arn: ${aliasArn}`);
    }
    if (ctx.operation === 'UpdateAlias') {
      return notFound(`Alias not found: ${aliasArn}`);
    }
    return notFound(`Function not found: ${aliasArn}`);
  },
  // [DESIGN] namespaces are SCF's; the AWS dialect only ever uses `default`.
  NAMESPACE_NOT_FOUND: (d) => notFound(`Namespace not found: ${d.namespace}`),
  FUNCTION_ALREADY_EXISTS: (d) => conflict(`Function already exist: ${d.functionName}`),
  ALIAS_ALREADY_EXISTS: (d, ctx) =>
    conflict(`Alias already exists: ${functionArn(ctx, d.functionName, d.alias)}`),
  NAMESPACE_ALREADY_EXISTS: (d) => conflict(`Namespace already exists: ${d.namespace}`),
  NAMESPACE_NOT_EMPTY: (d) => conflict(`Namespace is not empty: ${d.namespace}`),
  UPDATE_IN_PROGRESS: (d, ctx) =>
    conflict(
      `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(ctx, d.functionName)}`,
    ),
  REVISION_MISMATCH: () => ({
    status: 412,
    type: 'PreconditionFailedException',
    message:
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    messageKey: 'message',
    userType: 'User',
  }),
  // Resource-based policies: AWS's answers as recorded in LocalStack's AWS-validated
  // snapshots (test_lambda_api.snapshot.json, TestLambdaPermissions, 2025-11).
  POLICY_NOT_FOUND: (d, ctx) =>
    ctx.operation === 'RemovePermission'
      ? notFound(
          d.functionMissing
            ? `No policy found for: ${functionArn(ctx, d.functionName, d.qualifier)}`
            : 'No policy is associated with the given resource.',
        )
      : notFound('The resource you requested does not exist.'),
  POLICY_STATEMENT_NOT_FOUND: (d) => notFound(`Statement ${d.statementId} is not found in resource policy.`),
  POLICY_STATEMENT_EXISTS: (d) =>
    conflict(
      `The statement id (${d.statementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
    ),
  POLICY_REVISION_MISMATCH: () => ({
    status: 412,
    type: 'PreconditionFailedException',
    message:
      'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id',
    messageKey: 'message',
    userType: 'User',
  }),
  POLICY_ON_LATEST: () => ipve('We currently do not support adding policies for $LATEST.'),
  CODE_SHA256_MISMATCH: (d) =>
    ipve(
      `CodeSHA256 (${d.given}) is different from current CodeSHA256 in $LATEST (${codeSha256Base64(d.actual)}). Please try again with the CodeSHA256 in $LATEST.`,
    ),
  LATEST_NOT_DELETABLE: () => ipve('$LATEST version cannot be deleted without deleting the function.'),
  // [3P] many identical quotes of AWS's message.
  VERSION_REFERENCED_BY_ALIAS: (d) =>
    conflict(
      `Unable to delete version because the following aliases reference it: [${d.aliases.join(', ')}]`,
    ),
  CODE_INVALID_ZIP: () =>
    ipve('Could not unzip uploaded file. Please check your file, then try to upload again.'),
  CODE_ZIPPED_TOO_LARGE: (d) => ({
    status: 413,
    type: 'RequestEntityTooLargeException',
    message: `Zipped size must be smaller than ${d.limitBytes} bytes`,
    messageKey: 'Message',
  }),
  CODE_UNZIPPED_TOO_LARGE: (d) => ipve(`Unzipped size must be smaller than ${d.limitBytes} bytes`),
  // [DESIGN] AWS unpacks into its own sandbox; hearth refuses entries that would escape.
  CODE_UNSAFE_ENTRY: (d) =>
    ipve(
      `Could not unzip uploaded file: entry '${d.entry}' would be written outside the function directory (absolute path, '..' or a symbolic link pointing outside). Please check your file, then try to upload again.`,
    ),
  RUNTIME_NOT_SUPPORTED: (d) =>
    DEPRECATED_RUNTIMES.has(d.runtime)
      ? ipve(deprecatedRuntimeMessage(d.runtime))
      : ipve(
          `Value ${d.runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${d.supported.join(', ')}] or be a valid ARN`,
        ),
  TOO_MANY_TAGS: () => ipve('Number of tags exceeds resource tag limit.'),
  // Layers: AWS's answers as recorded in LocalStack's AWS-validated snapshots
  // (test_lambda_api.snapshot.json, TestLambdaLayer, 2025-11 / 2026-01).
  LAYER_NOT_FOUND: () => notFound('The resource you requested does not exist.'),
  LAYER_VERSION_NOT_FOUND: () => notFound('The resource you requested does not exist.'),
  FUNCTION_LAYERS_TOO_MANY: (d) => ipve(`Cannot reference more than ${d.limit} layers.`),
  FUNCTION_LAYER_DUPLICATE: (d) =>
    ipve(
      `Two different versions of the same layer are not allowed to be referenced in the same function. ${layerArn(d.first, d.first.layerName, d.first.version)} and ${layerArn(d.second, d.second.layerName, d.second.version)} are versions of the same layer.`,
    ),
  FUNCTION_LAYER_WRONG_REGION: (d) =>
    ipve(
      `Layers are not in the same region as the function. Layers are expected to be in region ${d.region}.`,
    ),
  FUNCTION_LAYER_NOT_FOUND: (d) =>
    ipve(`Layer version ${layerArn(d.layer, d.layer.layerName, d.layer.version)} does not exist.`),
  // [3P] AWS's answer for another account's layer without a layer-version permission, as
  // many users quote it (403 AccessDeniedException); the caller shows as the account root.
  FUNCTION_LAYER_ACCESS_DENIED: (d) => ({
    status: 403,
    type: 'AccessDeniedException',
    message: `User: arn:aws:iam::${d.accountId}:root is not authorized to perform: lambda:GetLayerVersion on resource: ${layerArn(d.layer, d.layer.layerName, d.layer.version)} because no resource-based policy allows the lambda:GetLayerVersion action`,
    messageKey: 'Message',
  }),
  ROUTING_TOO_MANY_VERSIONS: () =>
    ipve('Number of items in AdditionalVersionWeights cannot be greater than 1'),
  ROUTING_SAME_AS_PRIMARY: (d) =>
    ipve(
      `Invalid function version ${d.version}. Function version ${d.version} is already included in routing configuration.`,
    ),
  ROUTING_WITH_LATEST: () =>
    ipve('$LATEST is not supported for an alias pointing to more than 1 version', false),
  RESERVED_BELOW_UNRESERVED_MINIMUM: (d) =>
    ipve(
      `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${d.minimum}].`,
      false,
    ),
  // The leading space and the double space are AWS's (spec §0 rule 4).
  RESERVED_BELOW_PROVISIONED: (d) =>
    ipve(
      ` ReservedConcurrentExecutions  ${d.requested} should not be lower than function's total provisioned concurrency [${d.totalProvisioned}].`,
      false,
    ),
  QUALIFIED_NOT_ALLOWED: () =>
    ipve(
      'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.',
    ),
  PROVISIONED_ON_UNPUBLISHED: () =>
    ipve('Provisioned Concurrency Configs cannot be applied to unpublished function versions.'),
  PROVISIONED_QUALIFIER_INVALID: () =>
    ipve('The function resource provided must be an alias or a published version.'),
  PROVISIONED_ON_WEIGHTED_ALIAS: () =>
    ipve('Alias with weights can not be used with Provisioned Concurrency'),
  PROVISIONED_EXCEEDS_RESERVED: () =>
    ipve(
      'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function',
    ),
  PROVISIONED_EXCEEDS_UNRESERVED: (d) =>
    ipve(
      `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${d.unreserved}].`,
      false,
    ),
  PROVISIONED_BELOW_UNRESERVED_MINIMUM: (d) =>
    ipve(
      `Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${d.minimum}].`,
      false,
    ),
  PROVISIONED_ALIAS_ON_PROVISIONED_VERSION: () =>
    conflict(
      "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
    ),
  PROVISIONED_VERSION_POINTED_BY_ALIAS: () =>
    conflict('Version is pointed by a Provisioned Concurrency alias'),
  PROVISIONED_CONFIG_NOT_FOUND: () => ({
    status: 404,
    type: 'ProvisionedConcurrencyConfigNotFoundException',
    message: 'No Provisioned Concurrency Config found for this function',
    messageKey: 'message',
    userType: 'User',
  }),
  PROVISIONED_IN_PROGRESS: (d, ctx) =>
    conflict(
      `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(ctx, d.functionName, d.qualifier)}`,
    ),
  THROTTLED_RESERVED: () => throttled('ReservedFunctionConcurrentInvocationLimitExceeded'),
  THROTTLED_ACCOUNT: () => throttled('ConcurrentInvocationLimitExceeded'),
  FUNCTION_NOT_ACTIVE: (d) =>
    conflict(
      `The operation cannot be performed at this time. The function is currently in the following state: ${d.state}`,
    ),
  PAYLOAD_TOO_LARGE: (d) => ({
    status: 413,
    type: 'RequestEntityTooLargeException',
    message: `Request must be smaller than ${d.limitBytes} bytes for the InvokeFunction operation`,
    messageKey: 'Message',
  }),
  // [DESIGN] spec §7.9: our async queue is bounded; a full queue throttles like the account.
  ASYNC_QUEUE_FULL: () => throttled('ConcurrentInvocationLimitExceeded'),
  // [DESIGN] hearth has one version of each runtime (src/pool/interpreters.ts).
  RUNTIME_VERSION_UNAVAILABLE: (d, ctx) =>
    ipve(
      `The runtime version arn:aws:lambda:${ctx.region}::runtime:${d.digest} is not available for ${d.runtime}: ` +
        (d.current === undefined
          ? 'this runtime has no runtime versions.'
          : `hearth runs it on arn:aws:lambda:${ctx.region}::runtime:${d.current} only.`),
    ),
  INVALID_PARAMETER: (d) => ipve(d.reason),
  // The reason (a driver message, a path) is for hearth's log, where the pipeline writes it
  // (isSystemError), not for the caller.
  INTERNAL: () => UNEXPECTED_ERROR,
};

/** The wire error for a core error. */
export function renderPlatformError(e: PlatformError, ctx: ErrorRenderContext): AwsErrorBody {
  return renderCode(e.code, e.details, ctx);
}

function renderCode<C extends ErrorCode>(
  code: C,
  details: ErrorDetails[C],
  ctx: ErrorRenderContext,
): AwsErrorBody {
  const render: Renderer<C> = AWS_ERROR_TABLE[code];
  return render(details, ctx);
}

/** An unexpected exception: 500 ServiceException, no internals leaked. */
export const UNEXPECTED_ERROR: AwsErrorBody = {
  status: 500,
  type: 'ServiceException',
  message: 'An internal error occurred. The error has been logged.',
  messageKey: 'Message',
  userType: 'Service',
};
