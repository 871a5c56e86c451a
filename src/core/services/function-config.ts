/**
 * Building and changing a FunctionConfig: defaults, patches and the "did anything change
 * since the last version" comparison used by PublishVersion. Pure.
 */
import { createHash } from 'node:crypto';
import type { FunctionConfig, FunctionLayer } from '../model.js';
import type { PackageInfo } from '../ports.js';

/**
 * Variables the platform sets in every environment, which a function may not set itself
 * (aws-lambda.md §5.5, the documented reserved list); both dialects refuse them.
 */
export const RESERVED_ENVIRONMENT_KEYS: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** Defaults applied when a function is created (AWS defaults, spec §2.1). */
export const FUNCTION_DEFAULTS = Object.freeze({
  description: '',
  timeoutSec: 3,
  memoryMb: 128,
  architectures: Object.freeze<string[]>(['x86_64']),
  ephemeralStorageMb: 512,
  tracingMode: 'PassThrough',
  logFormat: 'Text',
});

/** The caller-settable part of a FunctionConfig (code is given separately, as a zip). */
export interface FunctionConfigInput {
  readonly runtime: string;
  readonly handler: string;
  readonly role: string;
  readonly description?: string;
  readonly timeoutSec?: number;
  readonly memoryMb?: number;
  readonly environment?: Readonly<Record<string, string>>;
  readonly architectures?: readonly string[];
  readonly ephemeralStorageMb?: number;
  readonly tracingMode?: string;
  readonly logFormat?: string;
  readonly logGroup?: string;
  /** Dialect-owned settings echoed back but not acted on (see FunctionConfig.extra). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * A partial update. Absent members keep their value; `environment` replaces the whole map
 * (AWS: "Passing Environment.Variables replaces the whole map", spec §2.3); `extra` is
 * merged key by key, a key set to `undefined` removing that setting.
 */
export type FunctionConfigPatch = {
  readonly [K in Exclude<keyof FunctionConfigInput, 'extra'>]?: NonNullable<FunctionConfigInput[K]>;
} & { readonly extra?: Readonly<Record<string, unknown>> };

/** A complete configuration from caller input (defaults applied) and a stored package. */
export function buildConfig(input: FunctionConfigInput, pkg: PackageInfo): FunctionConfig {
  return freezeConfig({
    runtime: input.runtime,
    handler: input.handler,
    role: input.role,
    description: input.description ?? FUNCTION_DEFAULTS.description,
    timeoutSec: input.timeoutSec ?? FUNCTION_DEFAULTS.timeoutSec,
    memoryMb: input.memoryMb ?? FUNCTION_DEFAULTS.memoryMb,
    ...(input.environment === undefined ? {} : { environment: { ...input.environment } }),
    architectures: [...(input.architectures ?? FUNCTION_DEFAULTS.architectures)],
    ephemeralStorageMb: input.ephemeralStorageMb ?? FUNCTION_DEFAULTS.ephemeralStorageMb,
    tracingMode: input.tracingMode ?? FUNCTION_DEFAULTS.tracingMode,
    logFormat: input.logFormat ?? FUNCTION_DEFAULTS.logFormat,
    ...(input.logGroup === undefined ? {} : { logGroup: input.logGroup }),
    codeSha256Hex: pkg.sha256Hex,
    codeSizeBytes: pkg.sizeBytes,
    ...(input.extra === undefined || Object.keys(input.extra).length === 0
      ? {}
      : { extra: { ...input.extra } }),
  });
}

/** `config` with `patch` applied (see FunctionConfigPatch for the semantics). */
export function applyPatch(config: FunctionConfig, patch: FunctionConfigPatch): FunctionConfig {
  const { extra: extraPatch, ...fields } = patch;
  let extra = config.extra;
  if (extraPatch !== undefined) {
    const merged: Record<string, unknown> = { ...(config.extra ?? {}) };
    for (const [k, v] of Object.entries(extraPatch)) {
      if (v === undefined) {
        delete merged[k];
      } else {
        merged[k] = v;
      }
    }
    extra = Object.keys(merged).length === 0 ? undefined : merged;
  }
  const { extra: _old, ...rest } = config;
  return freezeConfig({ ...rest, ...fields, ...(extra === undefined ? {} : { extra }) });
}

/** `config` running another package (and optionally another architecture). */
export function withCode(
  config: FunctionConfig,
  pkg: PackageInfo,
  architectures?: readonly string[],
): FunctionConfig {
  return freezeConfig({
    ...config,
    codeSha256Hex: pkg.sha256Hex,
    codeSizeBytes: pkg.sizeBytes,
    ...(architectures === undefined ? {} : { architectures: [...architectures] }),
  });
}

/**
 * `config` running with `layers` (resolved by the layer service) instead of its own;
 * `undefined` keeps them, `[]` removes them (the member is absent when there are none).
 */
export function withLayers(
  config: FunctionConfig,
  layers: readonly FunctionLayer[] | undefined,
): FunctionConfig {
  if (layers === undefined) {
    return config;
  }
  const { layers: _old, ...rest } = config;
  return freezeConfig(layers.length === 0 ? rest : { ...rest, layers: layers.map((l) => ({ ...l })) });
}

/**
 * True when two configurations run the same thing. The description is ignored: a version's
 * description is its own (PublishVersion's `Description`), not a change to the function.
 */
export function sameDeployment(a: FunctionConfig, b: FunctionConfig): boolean {
  return canonicalJson({ ...a, description: '' }) === canonicalJson({ ...b, description: '' });
}

/** A digest of the whole configuration, description included (FunctionRecord.publishedFrom). */
export function configDigest(config: FunctionConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

const digests = new WeakMap<FunctionConfig, string>();

/**
 * A short digest of what a configuration runs (as sameDeployment sees it), remembered per
 * (frozen) config object so the invoke path pays for it once per configuration.
 */
export function deploymentDigest(config: FunctionConfig): string {
  let d = digests.get(config);
  if (d === undefined) {
    d = createHash('sha256')
      .update(canonicalJson({ ...config, description: '' }))
      .digest('hex')
      .slice(0, 16);
    digests.set(config, d);
  }
  return d;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        sorted[k] = (v as Record<string, unknown>)[k];
      }
      return sorted;
    }
    return v;
  });
}

function freezeConfig(config: FunctionConfig): FunctionConfig {
  return Object.freeze(config);
}
