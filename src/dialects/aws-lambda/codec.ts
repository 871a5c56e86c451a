/**
 * Neutral records → AWS wire shapes (spec §2.1). Field names and defaults are AWS's; the
 * order follows the model so responses read like AWS's.
 */
import type { AliasRecord, FunctionConfig, FunctionRecord, VersionRecord } from '../../core/model.js';
import { functionArn, codeSha256Base64, formatLastModified, layerArn, type ArnScope } from './arns.js';

/**
 * Which state fields a FunctionConfiguration carries (spec §2.1):
 * - `create`: State Pending + StateReason/Code "Creating", no LastUpdateStatus (as AWS);
 * - `update`: LastUpdateStatus InProgress + the odd "The function is being created." reason;
 * - `current`: State Active, LastUpdateStatus Successful (Get*, PublishVersion);
 * - `list`: none of them (list entries omit State and LastUpdateStatus).
 * hearth applies every change synchronously, so GetFunction right after any of these
 * already reports Active/Successful and the SDK waiters finish on their first poll.
 */
export type StateView = 'create' | 'update' | 'current' | 'list';

/** Settings AWS echoes that hearth stores in `FunctionConfig.extra` under these names. */
export const ECHOED_SETTINGS = ['VpcConfig', 'DeadLetterConfig', 'KMSKeyArn', 'FileSystemConfigs'] as const;
/** LoggingConfig members other than LogFormat/LogGroup, kept in `extra`. */
export const LOG_LEVEL_SETTINGS = ['ApplicationLogLevel', 'SystemLogLevel'] as const;

export interface RenderFunctionOptions {
  /** The qualifier in FunctionArn; undefined for the unqualified ARN. */
  readonly arnQualifier?: string;
  readonly state: StateView;
  /** The runtime versions hearth runs (RuntimeVersionConfig); absent: none shown. */
  readonly runtimes?: { versionOf(runtime: string): { readonly digest: string } | undefined };
}

export function renderFunctionConfiguration(
  scope: ArnScope,
  fn: FunctionRecord,
  version: VersionRecord,
  options: RenderFunctionOptions,
): Record<string, unknown> {
  const c = version.config;
  const name = fn.key.name;
  const extra = c.extra ?? {};
  const out: Record<string, unknown> = {
    FunctionName: name,
    FunctionArn: functionArn(scope, name, options.arnQualifier),
    Runtime: c.runtime,
    Role: c.role,
    Handler: c.handler,
    CodeSize: c.codeSizeBytes,
    Description: c.description,
    Timeout: c.timeoutSec,
    MemorySize: c.memoryMb,
    LastModified: formatLastModified(version.lastModifiedMs),
    CodeSha256: codeSha256Base64(c.codeSha256Hex),
    Version: version.version,
  };
  for (const k of ['VpcConfig', 'DeadLetterConfig'] as const) {
    if (extra[k] !== undefined) {
      out[k] = extra[k];
    }
  }
  if (c.environment !== undefined) {
    out.Environment = { Variables: { ...c.environment } };
  }
  if (extra.KMSKeyArn !== undefined) {
    out.KMSKeyArn = extra.KMSKeyArn;
  }
  out.TracingConfig = { Mode: c.tracingMode };
  out.RevisionId = version.revisionId;
  if (c.layers !== undefined && c.layers.length > 0) {
    // The versions it runs with, kept even after a version's deletion (recorded).
    out.Layers = c.layers.map((l) => ({
      Arn: layerArn(l, l.layerName, l.version),
      CodeSize: l.codeSizeBytes,
    }));
  }
  Object.assign(out, stateFields(options.state));
  if (extra.FileSystemConfigs !== undefined) {
    out.FileSystemConfigs = extra.FileSystemConfigs;
  }
  out.PackageType = 'Zip';
  out.Architectures = [...c.architectures];
  out.EphemeralStorage = { Size: c.ephemeralStorageMb };
  out.SnapStart = { ApplyOn: 'None', OptimizationStatus: 'Off' };
  // Managed runtimes only (OS-only `provided*` have none): the version hearth runs them on,
  // stable until the runtime or its interpreter changes (src/pool/interpreters.ts).
  const runtimeVersion = options.runtimes?.versionOf(c.runtime);
  if (runtimeVersion !== undefined) {
    out.RuntimeVersionConfig = {
      RuntimeVersionArn: `arn:aws:lambda:${scope.region}::runtime:${runtimeVersion.digest}`,
    };
  }
  out.LoggingConfig = renderLoggingConfig(name, c);
  return out;
}

/** The JSON text of a version's configuration, per record (see functionConfigurationJson). */
const renderedJson = new WeakMap<VersionRecord, { readonly key: string; readonly json: string }>();

/**
 * renderFunctionConfiguration as JSON text, kept beside the version record it renders:
 * records are immutable (any change is a new record with a new RevisionId), so the text is
 * rebuilt only when the record, the caller's scope, the options or the runtime version it
 * shows differ. ListFunctions answers 50 of these per page (issue 15).
 */
export function functionConfigurationJson(
  scope: ArnScope,
  fn: FunctionRecord,
  version: VersionRecord,
  options: RenderFunctionOptions,
): string {
  const digest = options.runtimes?.versionOf(version.config.runtime)?.digest ?? '';
  const key = `${scope.region}\0${scope.accountId}\0${fn.key.name}\0${options.arnQualifier ?? ''}\0${options.state}\0${version.revisionId}\0${digest}`;
  const hit = renderedJson.get(version);
  if (hit !== undefined && hit.key === key) {
    return hit.json;
  }
  const json = JSON.stringify(renderFunctionConfiguration(scope, fn, version, options));
  renderedJson.set(version, { key, json });
  return json;
}

function stateFields(state: StateView): Record<string, string> {
  switch (state) {
    case 'create':
      return { State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' };
    case 'update':
      return {
        State: 'Active',
        LastUpdateStatus: 'InProgress',
        LastUpdateStatusReason: 'The function is being created.',
        LastUpdateStatusReasonCode: 'Creating',
      };
    case 'current':
      return { State: 'Active', LastUpdateStatus: 'Successful' };
    case 'list':
      return {};
  }
}

function renderLoggingConfig(name: string, c: FunctionConfig): Record<string, unknown> {
  const extra = c.extra ?? {};
  const out: Record<string, unknown> = { LogFormat: c.logFormat };
  for (const k of LOG_LEVEL_SETTINGS) {
    if (extra[k] !== undefined) {
      out[k] = extra[k];
    }
  }
  out.LogGroup = c.logGroup ?? `/aws/lambda/${name}`;
  return out;
}

/** AliasConfiguration; RoutingConfig is omitted when there are no weights (spec §2.1). */
export function renderAlias(
  scope: ArnScope,
  functionName: string,
  alias: AliasRecord,
): Record<string, unknown> {
  const weights = alias.additionalVersionWeights;
  return {
    AliasArn: functionArn(scope, functionName, alias.name),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(Object.keys(weights).length === 0
      ? {}
      : { RoutingConfig: { AdditionalVersionWeights: { ...weights } } }),
    RevisionId: alias.revisionId,
  };
}
