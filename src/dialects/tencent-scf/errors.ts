/**
 * Core's error catalog in Tencent's words: every ErrorCode → `Error.Code` and `Message`
 * (spec §2.5, Appendix B). A code missing here is a compile error.
 *
 * Codes are taken from each action's SDK error list (spec §4); where one core code stands for
 * several Tencent codes, the action decides (e.g. a missing version is
 * `ResourceNotFound.Version` for provisioned concurrency, `ResourceNotFound.FunctionVersion`
 * for aliases and `ResourceNotFound.Qualifier` for deletes and invokes, as their lists name
 * them). Messages start with Appendix B's English description of the code and add the
 * specifics; [REC] marks mappings where Tencent's choice is not recorded.
 */
import type { ErrorCode, ErrorDetails, PlatformError } from '../../core/errors.js';
import type { ScfActionName } from './action-names.js';

export interface ScfErrorBody {
  readonly code: string;
  readonly message: string;
}

export interface ScfErrorContext {
  readonly action?: ScfActionName;
}

type Renderer<C extends ErrorCode> = (details: ErrorDetails[C], ctx: ScfErrorContext) => ScfErrorBody;

const e = (code: string, message: string): ScfErrorBody => ({ code, message });

const INVOKES: ReadonlySet<string> = new Set(['Invoke', 'InvokeFunction']);
const DELETES: ReadonlySet<string> = new Set(['DeleteFunction', 'DeleteFunctionVersion']);
const ALIAS_WRITES: ReadonlySet<string> = new Set(['CreateAlias', 'UpdateAlias']);

function versionNotFound(
  functionName: string,
  version: string,
  action: ScfActionName | undefined,
): ScfErrorBody {
  if (action !== undefined && (INVOKES.has(action) || DELETES.has(action))) {
    return e('ResourceNotFound.Qualifier', `The version does not exist. (${functionName}:${version})`);
  }
  if (action !== undefined && ALIAS_WRITES.has(action)) {
    return e(
      'ResourceNotFound.FunctionVersion',
      `The function version does not exist. (${functionName}:${version})`,
    );
  }
  return e('ResourceNotFound.Version', `The version does not exist. (${functionName}:${version})`);
}

const quota = (detail: string): ScfErrorBody =>
  e('LimitExceeded.Quota', `Reached the upper limit of quota: ${detail}`);

export const SCF_ERROR_TABLE: { readonly [C in ErrorCode]: Renderer<C> } = {
  FUNCTION_NOT_FOUND: (d, ctx) =>
    d.qualifier !== undefined && ctx.action !== undefined && INVOKES.has(ctx.action)
      ? versionNotFound(d.functionName, d.qualifier, ctx.action)
      : e('ResourceNotFound.Function', `The function does not exist. (FunctionName: ${d.functionName})`),
  VERSION_NOT_FOUND: (d, ctx) => versionNotFound(d.functionName, d.version, ctx.action),
  ALIAS_NOT_FOUND: (d, ctx) =>
    ctx.action !== undefined && INVOKES.has(ctx.action)
      ? versionNotFound(d.functionName, d.alias, ctx.action)
      : e('ResourceNotFound.Alias', `The alias does not exist. (${d.functionName}:${d.alias})`),
  NAMESPACE_NOT_FOUND: (d) =>
    e('ResourceNotFound.Namespace', `Namespace does not exist. (Namespace: ${d.namespace})`),
  FUNCTION_ALREADY_EXISTS: (d) =>
    e('ResourceInUse.Function', `The function already exists. (FunctionName: ${d.functionName})`),
  ALIAS_ALREADY_EXISTS: (d) =>
    e('ResourceInUse.Alias', `The alias is in use. (${d.functionName}:${d.alias})`),
  NAMESPACE_ALREADY_EXISTS: (d) =>
    e('ResourceInUse.Namespace', `This Namespace already exists. (Namespace: ${d.namespace})`),
  // [REC] Tencent's answer for a namespace that still holds functions is not recorded.
  NAMESPACE_NOT_EMPTY: (d) =>
    e(
      'ResourceInUse.Namespace',
      `The namespace still contains functions; delete them first. (Namespace: ${d.namespace})`,
    ),
  UPDATE_IN_PROGRESS: () =>
    e('FailedOperation.FunctionStatusError', 'Operation failed. The function is deploying.'),
  // AWS preconditions the SCF dialect never sends.
  REVISION_MISMATCH: () =>
    e('FailedOperation', 'Operation failed. The resource was changed by another request.'),
  CODE_SHA256_MISMATCH: () => e('FailedOperation', 'Operation failed. The code changed since it was read.'),
  // [DESIGN] Resource-based policies are the AWS dialect's (AddPermission); SCF has no
  // action that reaches them, so these only keep the table complete.
  RUNTIME_VERSION_UNAVAILABLE: (d) =>
    e(
      'InvalidParameterValue.Runtime',
      `Incorrect parameter value. Runtime version unavailable: ${d.runtime}`,
    ),
  POLICY_NOT_FOUND: () => e('ResourceNotFound', 'The resource does not exist.'),
  POLICY_STATEMENT_NOT_FOUND: (d) => e('ResourceNotFound', `The resource does not exist. ${d.statementId}`),
  POLICY_STATEMENT_EXISTS: (d) => e('ResourceInUse', `The resource is in use. ${d.statementId}`),
  POLICY_REVISION_MISMATCH: () =>
    e('FailedOperation', 'Operation failed. The resource was changed by another request.'),
  POLICY_ON_LATEST: () => e('InvalidParameterValue.Qualifier', 'Unsupported function version. $LATEST.'),
  LATEST_NOT_DELETABLE: () =>
    e(
      'InvalidParameterValue.Qualifier',
      'Unsupported function version. $LATEST cannot be deleted without deleting the function.',
    ),
  VERSION_REFERENCED_BY_ALIAS: (d) =>
    e(
      'UnsupportedOperation.AliasBind',
      `The resource is bound to an alias, and the current operation cannot be performed. Please unbind the alias and try again. (aliases: ${d.aliases.join(', ')})`,
    ),
  CODE_INVALID_ZIP: (d) =>
    e('InvalidParameterValue.ZipFile', `ZipFile is not a valid zip archive: ${d.reason}`),
  CODE_ZIPPED_TOO_LARGE: (d) =>
    e('InvalidParameterValue.ZipFile', `ZipFile exceeds the size limit of ${d.limitBytes} bytes.`),
  CODE_UNZIPPED_TOO_LARGE: (d) =>
    e('InvalidParameterValue.ZipFile', `The unzipped code exceeds the size limit of ${d.limitBytes} bytes.`),
  CODE_UNSAFE_ENTRY: (d) =>
    e(
      'InvalidParameterValue.ZipFile',
      `ZipFile entry '${d.entry}' would be written outside the code directory.`,
    ),
  // Layers: codes from the SDK's lists (GetLayerVersion/DeleteLayerVersion:
  // ResourceNotFound.LayerVersion; ListLayerVersions and CreateFunction/UpdateFunctionConfiguration:
  // ResourceNotFound.Layer, InvalidParameterValue.Layers); messages [REC].
  LAYER_NOT_FOUND: (d) =>
    e('ResourceNotFound.Layer', `The layer does not exist. (LayerName: ${d.layerName})`),
  LAYER_VERSION_NOT_FOUND: (d) =>
    e('ResourceNotFound.LayerVersion', `The layer version does not exist. (${d.layerName}:${d.version})`),
  FUNCTION_LAYERS_TOO_MANY: (d) =>
    e(
      'InvalidParameterValue.Layers',
      `Incorrect Layers parameter. A function binds at most ${d.limit} layers.`,
    ),
  FUNCTION_LAYER_DUPLICATE: (d) =>
    e(
      'InvalidParameterValue.Layers',
      `Incorrect Layers parameter. Layer ${d.second.layerName} is bound more than once (versions ${d.first.version} and ${d.second.version}).`,
    ),
  FUNCTION_LAYER_WRONG_REGION: (d) =>
    e('InvalidParameterValue.Layers', `Incorrect Layers parameter. Layers must be in region ${d.region}.`),
  FUNCTION_LAYER_ACCESS_DENIED: (d) =>
    e('InvalidParameterValue.Layers', `Incorrect Layers parameter. Layer ${d.layer.layerName} is not yours.`),
  FUNCTION_LAYER_NOT_FOUND: (d) =>
    e('ResourceNotFound.Layer', `The layer does not exist. (${d.layer.layerName}:${d.layer.version})`),
  RUNTIME_NOT_SUPPORTED: (d) => e('InvalidParameterValue.Runtime', `Runtime ${d.runtime} is not supported.`),
  TOO_MANY_TAGS: (d) =>
    e('InvalidParameterValue', `Incorrect parameter value. A function carries at most ${d.limit} tags.`),
  ROUTING_TOO_MANY_VERSIONS: () =>
    e(
      'InvalidParameterValue.AdditionalVersionWeights',
      'Incorrect `AdditionalVersionWeights` parameter. At most one additional version is allowed.',
    ),
  ROUTING_SAME_AS_PRIMARY: (d) =>
    e(
      'InvalidParameterValue.AdditionalVersionWeights',
      `Incorrect \`AdditionalVersionWeights\` parameter. Version ${d.version} is already the alias's FunctionVersion.`,
    ),
  ROUTING_WITH_LATEST: () =>
    e(
      'InvalidParameterValue.RoutingConfig',
      'The value of `RoutingConfig` does not conform to the specification: $LATEST cannot split traffic.',
    ),
  // The MB checks of the dialect run first (spec §3.5); these are core's count rules behind them.
  RESERVED_BELOW_UNRESERVED_MINIMUM: (d) =>
    e(
      'LimitExceeded.FunctionReservedConcurrencyMemory',
      `The function's reserved concurrency memory has exceeded the limit. (the account keeps at least ${d.minimum} unreserved instances)`,
    ),
  RESERVED_BELOW_PROVISIONED: (d) =>
    e(
      'FailedOperation.ProvisionedExceedReserved',
      `The provisioned concurrency exceeds the limit. (provisioned ${d.totalProvisioned} instances > reserved ${d.requested})`,
    ),
  QUALIFIED_NOT_ALLOWED: () => e('InvalidParameterValue.Qualifier', 'Unsupported function version.'),
  PROVISIONED_ON_UNPUBLISHED: () =>
    e(
      'InvalidParameterValue.Qualifier',
      'Unsupported function version. The $LATEST version does not support provisioned concurrency.',
    ),
  PROVISIONED_QUALIFIER_INVALID: (d) =>
    e('InvalidParameterValue.Qualifier', `Unsupported function version. (Qualifier: ${d.qualifier})`),
  PROVISIONED_ON_WEIGHTED_ALIAS: (d) =>
    e('InvalidParameterValue.Qualifier', `Unsupported function version. (Qualifier: ${d.alias})`),
  PROVISIONED_EXCEEDS_RESERVED: (d) =>
    e(
      'FailedOperation.ProvisionedExceedReserved',
      `The provisioned concurrency exceeds the limit. (reserved ${d.reserved} instances)`,
    ),
  PROVISIONED_EXCEEDS_UNRESERVED: (d) =>
    e(
      'FailedOperation.ProvisionedExceedAvailable',
      `Running out of available provisioned concurrency quota. (${d.unreserved} instances left)`,
    ),
  PROVISIONED_BELOW_UNRESERVED_MINIMUM: (d) =>
    e(
      'FailedOperation.ProvisionedExceedAvailable',
      `Running out of available provisioned concurrency quota. (the account keeps at least ${d.minimum} unreserved instances)`,
    ),
  // [REC] AWS-made alias configs colliding with an SCF version config.
  PROVISIONED_ALIAS_ON_PROVISIONED_VERSION: (d) =>
    e(
      'InvalidParameterValue.Qualifier',
      `Unsupported function version. Version ${d.version} already has provisioned concurrency.`,
    ),
  PROVISIONED_VERSION_POINTED_BY_ALIAS: (d) =>
    e(
      'FailedOperation',
      `Operation failed. Version ${d.version} already has provisioned concurrency through alias ${d.alias}.`,
    ),
  PROVISIONED_CONFIG_NOT_FOUND: (d) =>
    e(
      'ResourceNotFound',
      `The resource does not exist. (no provisioned concurrency on ${d.functionName}:${d.qualifier})`,
    ),
  PROVISIONED_IN_PROGRESS: () =>
    e(
      'FailedOperation.ProvisionedInProgress',
      'The function version already has a provisioned concurrency setting task in progress. Please try again later.',
    ),
  // [REC] Tencent's invoke-time concurrency overrun (status 432) has no recorded API error;
  // InvokeFunction lists LimitExceeded.Quota.
  THROTTLED_RESERVED: (d) => quota(`the reserved concurrency of function ${d.functionName} is in use`),
  THROTTLED_ACCOUNT: () => quota('the account concurrency is in use'),
  FUNCTION_NOT_ACTIVE: () =>
    e('FailedOperation.FunctionStatusError', 'Operation failed. The function is deploying.'),
  PAYLOAD_TOO_LARGE: (d) =>
    e('InvalidParameter.RequestTooLarge', `Request size exceeds the limit of ${d.limitBytes} bytes.`),
  ASYNC_QUEUE_FULL: (d) => quota(`the asynchronous queue of function ${d.functionName} is full`),
  INVALID_PARAMETER: (d) => e('InvalidParameterValue', `Incorrect parameter value. ${d.reason}`),
  INTERNAL: () => e('InternalError', 'Internal error.'),
};

export function renderPlatformError(err: PlatformError, ctx: ScfErrorContext): ScfErrorBody {
  return renderCode(err.code, err.details, ctx);
}

function renderCode<C extends ErrorCode>(
  code: C,
  details: ErrorDetails[C],
  ctx: ScfErrorContext,
): ScfErrorBody {
  const render: Renderer<C> = SCF_ERROR_TABLE[code];
  return render(details, ctx);
}

/** An unexpected exception: nothing internal leaks. */
export const UNEXPECTED_ERROR: ScfErrorBody = e('InternalError', 'Internal error.');
