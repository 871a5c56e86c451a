/**
 * The error table against the spec: every core code renders a Tencent code that the spec
 * documents (§2.6 common codes, Appendix B, or the action lists of §4), and the per-action
 * choices are the ones those lists name.
 */
import { describe, expect, it } from 'vitest';
import { PlatformError, type ErrorCode, type ErrorDetails } from '../../core/errors.js';
import type { ScfActionName } from './action-names.js';
import { SCF_ERROR_TABLE, renderPlatformError } from './errors.js';

/** Codes the spec documents that the table may use (spec §2.6, Appendix B, §4 lists). */
const DOCUMENTED: ReadonlySet<string> = new Set([
  // §2.6
  'FailedOperation',
  'InternalError',
  'InvalidParameter',
  'InvalidParameterValue',
  'LimitExceeded',
  'MissingParameter',
  'ResourceInUse',
  'ResourceNotFound',
  'UnsupportedOperation',
  // Appendix B and §4 action lists
  'FailedOperation.FunctionStatusError',
  'FailedOperation.ProvisionedExceedAvailable',
  'FailedOperation.ProvisionedExceedReserved',
  'FailedOperation.ProvisionedInProgress',
  'InvalidParameter.RequestTooLarge',
  'InvalidParameterValue.AdditionalVersionWeights',
  'InvalidParameterValue.Qualifier',
  'InvalidParameterValue.RoutingConfig',
  'InvalidParameterValue.Runtime',
  'InvalidParameterValue.ZipFile',
  'LimitExceeded.FunctionReservedConcurrencyMemory',
  'LimitExceeded.Quota',
  'ResourceInUse.Alias',
  'ResourceInUse.Function',
  'ResourceInUse.Namespace',
  'ResourceNotFound.Alias',
  'ResourceNotFound.Function',
  'ResourceNotFound.FunctionVersion',
  'ResourceNotFound.Namespace',
  'ResourceNotFound.Qualifier',
  'ResourceNotFound.Version',
  'UnsupportedOperation.AliasBind',
  // Layer actions' and the function actions' lists (ResourceNotFound.LayerVersion: the
  // SDK's GetLayerVersion/DeleteLayerVersion lists)
  'InvalidParameterValue.Layers',
  'ResourceNotFound.Layer',
  'ResourceNotFound.LayerVersion',
]);

/** One sample of details per code (a missing key is a compile error). */
const SAMPLES: { readonly [C in ErrorCode]: ErrorDetails[C] } = {
  FUNCTION_NOT_FOUND: { functionName: 'f' },
  VERSION_NOT_FOUND: { functionName: 'f', version: '3' },
  ALIAS_NOT_FOUND: { functionName: 'f', alias: 'a' },
  NAMESPACE_NOT_FOUND: { namespace: 'ns' },
  FUNCTION_ALREADY_EXISTS: { functionName: 'f' },
  ALIAS_ALREADY_EXISTS: { functionName: 'f', alias: 'a' },
  NAMESPACE_ALREADY_EXISTS: { namespace: 'ns' },
  NAMESPACE_NOT_EMPTY: { namespace: 'ns' },
  UPDATE_IN_PROGRESS: { functionName: 'f' },
  REVISION_MISMATCH: {},
  POLICY_NOT_FOUND: { functionName: 'fn', functionMissing: true },
  POLICY_STATEMENT_NOT_FOUND: { statementId: 'non-existent' },
  POLICY_STATEMENT_EXISTS: { statementId: 's3' },
  POLICY_REVISION_MISMATCH: {},
  POLICY_ON_LATEST: {},
  RUNTIME_VERSION_UNAVAILABLE: { runtime: 'nodejs22.x', digest: 'ab'.repeat(32), current: 'cd'.repeat(32) },
  CODE_SHA256_MISMATCH: { given: 'x', actual: 'y' },
  LATEST_NOT_DELETABLE: { functionName: 'f' },
  VERSION_REFERENCED_BY_ALIAS: { functionName: 'f', version: '1', aliases: ['a', 'b'] },
  CODE_INVALID_ZIP: { reason: 'bad' },
  CODE_ZIPPED_TOO_LARGE: { limitBytes: 1 },
  CODE_UNZIPPED_TOO_LARGE: { limitBytes: 1 },
  CODE_UNSAFE_ENTRY: { entry: '../x' },
  RUNTIME_NOT_SUPPORTED: { runtime: 'python3.12', supported: ['nodejs20.x'] },
  TOO_MANY_TAGS: { functionName: 'f', limit: 50 },
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
  QUALIFIED_NOT_ALLOWED: { functionName: 'f' },
  PROVISIONED_ON_UNPUBLISHED: { functionName: 'f' },
  PROVISIONED_QUALIFIER_INVALID: { functionName: 'f', qualifier: '$LATEST' },
  PROVISIONED_ON_WEIGHTED_ALIAS: { functionName: 'f', alias: 'a' },
  PROVISIONED_EXCEEDS_RESERVED: { requested: 2, reserved: 1 },
  PROVISIONED_EXCEEDS_UNRESERVED: { unreserved: 1 },
  PROVISIONED_BELOW_UNRESERVED_MINIMUM: { minimum: 100 },
  PROVISIONED_ALIAS_ON_PROVISIONED_VERSION: { functionName: 'f', alias: 'a', version: '1' },
  PROVISIONED_VERSION_POINTED_BY_ALIAS: { functionName: 'f', version: '1', alias: 'a' },
  PROVISIONED_CONFIG_NOT_FOUND: { functionName: 'f', qualifier: '1' },
  PROVISIONED_IN_PROGRESS: { functionName: 'f', qualifier: '1' },
  THROTTLED_RESERVED: { functionName: 'f' },
  THROTTLED_ACCOUNT: {},
  FUNCTION_NOT_ACTIVE: { functionName: 'f', state: 'Pending' },
  PAYLOAD_TOO_LARGE: { limitBytes: 6 },
  ASYNC_QUEUE_FULL: { functionName: 'f' },
  INVALID_PARAMETER: { field: 'x', reason: 'Because.' },
  INTERNAL: { reason: 'secret detail' },
};

const render = <C extends ErrorCode>(code: C, action?: ScfActionName) =>
  renderPlatformError(new PlatformError(code, SAMPLES[code]), action === undefined ? {} : { action });

describe('SCF_ERROR_TABLE', () => {
  it.each(Object.keys(SCF_ERROR_TABLE) as ErrorCode[])(
    '%s renders a documented code with a message',
    (code) => {
      const body = render(code);
      expect(DOCUMENTED.has(body.code), `${code} → ${body.code}`).toBe(true);
      expect(body.message.length).toBeGreaterThan(0);
    },
  );

  it('never leaks internal reasons', () => {
    expect(render('INTERNAL')).toEqual({ code: 'InternalError', message: 'Internal error.' });
  });

  it.each<[ScfActionName, string]>([
    ['GetProvisionedConcurrencyConfig', 'ResourceNotFound.Version'],
    ['PutProvisionedConcurrencyConfig', 'ResourceNotFound.Version'],
    ['GetFunction', 'ResourceNotFound.Version'],
    ['CreateAlias', 'ResourceNotFound.FunctionVersion'],
    ['UpdateAlias', 'ResourceNotFound.FunctionVersion'],
    ['DeleteFunction', 'ResourceNotFound.Qualifier'],
    ['DeleteFunctionVersion', 'ResourceNotFound.Qualifier'],
    ['Invoke', 'ResourceNotFound.Qualifier'],
    ['InvokeFunction', 'ResourceNotFound.Qualifier'],
  ])('a missing version in %s is %s (spec §4 lists)', (action, code) => {
    expect(render('VERSION_NOT_FOUND', action).code).toBe(code);
  });

  it('names a missing qualifier, not the function, when an invoke names one', () => {
    expect(
      renderPlatformError(new PlatformError('FUNCTION_NOT_FOUND', { functionName: 'f', qualifier: 'x' }), {
        action: 'Invoke',
      }).code,
    ).toBe('ResourceNotFound.Qualifier');
    expect(
      renderPlatformError(new PlatformError('FUNCTION_NOT_FOUND', { functionName: 'f' }), {
        action: 'Invoke',
      }).code,
    ).toBe('ResourceNotFound.Function');
  });

  it('uses Appendix B wording for the provisioned-concurrency codes', () => {
    expect(render('PROVISIONED_IN_PROGRESS').message).toBe(
      'The function version already has a provisioned concurrency setting task in progress. Please try again later.',
    );
    expect(render('PROVISIONED_EXCEEDS_RESERVED').message).toMatch(
      /^The provisioned concurrency exceeds the limit\./,
    );
    expect(render('PROVISIONED_EXCEEDS_UNRESERVED').message).toMatch(
      /^Running out of available provisioned concurrency quota\./,
    );
  });
});
