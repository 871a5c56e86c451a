/**
 * Reading a function's configuration members (CreateFunction, UpdateFunctionConfiguration)
 * into core's neutral patch: model constraints first (ValidationException, collected),
 * then AWS's semantic checks on environment variables, then what hearth does not support
 * (InvalidParameterValueException naming the member).
 */
import { RESERVED_ENVIRONMENT_KEYS, type FunctionConfigPatch } from '../../core/services/function-config.js';
import type { Violations } from './validation.js';
import { type BodyReader, constraint, renderValue, wholePattern } from './validation.js';
import { DEPRECATED_RUNTIMES, deprecatedRuntimeMessage } from './errors.js';
import { type AwsWireError, invalidParameter } from './wire-error.js';

/**
 * A layer version ARN as AWS checks it today (recorded for GetLayerVersionByArn's `arn` and
 * the functions' `layers`; stricter than botocore's LayerVersionArn pattern).
 */
export const LAYER_VERSION_ARN_PATTERN = wholePattern(
  String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`,
);

export const ROLE_PATTERN = wholePattern(
  String.raw`arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`,
);
const HANDLER_PATTERN = wholePattern(String.raw`[^\s]+`);
const KMS_KEY_PATTERN = wholePattern(String.raw`(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`);
const LOG_GROUP_PATTERN = wholePattern(String.raw`[\.\-_/#A-Za-z0-9]+`);
const ENV_KEY_PATTERN = String.raw`[a-zA-Z]([a-zA-Z0-9_])+`;
const ENV_KEY = new RegExp(`^(?:${ENV_KEY_PATTERN})$`);

/** AWS's effective limits (the model's MemorySize max is larger for capacity providers). */
export const TIMEOUT_MAX_SEC = 900;
export const MEMORY_MIN_MB = 128;
export const MEMORY_MAX_MB = 10_240;
/** Environment variables, measured as their JSON text (spec §2.3). */
export const ENVIRONMENT_MAX_BYTES = 4096;

/** Keys a function may not set (core's list, spec §5.5). */
export { RESERVED_ENVIRONMENT_KEYS };

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;

/** Members hearth refuses, with why (spec §7.10 for the newest features). */
const UNSUPPORTED_MEMBERS: Readonly<Record<string, string>> = {
  ImageConfig: 'hearth runs .zip deployment packages only: ImageConfig (container images) is not supported.',
  CodeSigningConfigArn: 'hearth does not verify code signatures: remove CodeSigningConfigArn.',
  CapacityProviderConfig: 'hearth does not support capacity providers: remove CapacityProviderConfig.',
  DurableConfig: 'hearth does not support durable functions: remove DurableConfig.',
  TenancyConfig: 'hearth does not support tenant isolation: remove TenancyConfig.',
  PublishTo: 'hearth does not support $LATEST.PUBLISHED: remove PublishTo.',
};

export interface ConfigMembers {
  readonly patch: FunctionConfigPatch;
  /** The `Layers` ARNs as given (checked against the model); absent when not given. */
  readonly layers?: readonly string[];
  /** Members hearth refuses, reported after the model violations (first one wins). */
  readonly refusals: readonly AwsWireError[];
}

/**
 * [DESIGN] AWS's model only asks a Handler to be non-blank (`[^\s]+`), and a handler AWS
 * cannot load fails at invoke (Runtime.HandlerNotFound / MalformedHandlerName, as hearth's
 * runtimes answer for `..`). An absolute handler or a NUL byte would reach beyond the code
 * package or break the process's environment on a host that is not a Lambda sandbox:
 * hearth refuses both at create/update (issue 12 item 8). The value is not echoed.
 */
function handlerOutsideCode(handler: string): AwsWireError | undefined {
  if (handler.includes('\0')) {
    return invalidParameter('The handler must not contain a NUL character.');
  }
  if (handler.startsWith('/')) {
    return invalidParameter(
      'The handler must name a file inside the deployment package: an absolute path is not allowed.',
    );
  }
  return undefined;
}

/**
 * Reads the configuration members shared by CreateFunction and UpdateFunctionConfiguration.
 * Model violations go to `v`; call `checkConfigSemantics` after `v.throwIfAny()`.
 */
export function readConfigMembers(body: BodyReader, v: Violations): ConfigMembers {
  const refusals: AwsWireError[] = [];
  const role = body.string('Role');
  v.string('role', role, { pattern: ROLE_PATTERN });
  const handler = body.string('Handler');
  v.string('handler', handler, { max: 128, pattern: HANDLER_PATTERN });
  const handlerRefusal = handler === undefined ? undefined : handlerOutsideCode(handler);
  if (handlerRefusal !== undefined) {
    refusals.push(handlerRefusal);
  }
  const description = body.string('Description');
  v.string('description', description, { max: 256 });
  const timeoutSec = body.integer('Timeout');
  v.integer('timeout', timeoutSec, { min: 1, max: TIMEOUT_MAX_SEC });
  const memoryMb = body.integer('MemorySize');
  v.integer('memorySize', memoryMb, { min: MEMORY_MIN_MB, max: MEMORY_MAX_MB });
  const runtime = body.string('Runtime');

  const envObj = body.object('Environment');
  let environment: Record<string, string> | undefined;
  if (envObj !== undefined) {
    environment = envObj.stringMap('Variables') ?? {};
    const nul = Object.entries(environment).find(([, value]) => value.includes('\0'));
    if (nul !== undefined) {
      // A process environment cannot hold NUL: refused at create rather than at every invoke.
      refusals.push(
        invalidParameter(
          `Environment variable ${nul[0]} has a value with a NUL character, which hearth cannot pass to a process.`,
        ),
      );
    }
    if (Object.keys(environment).some((k) => !ENV_KEY.test(k))) {
      // EnvironmentVariableName is sensitive in the model, so the value is not echoed.
      v.addRaw(
        `Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [${constraint.pattern(ENV_KEY_PATTERN)}]`,
      );
    }
  }

  const tracingMode = body.object('TracingConfig')?.string('Mode');
  v.enumValue('tracingConfig.mode', tracingMode, ['Active', 'PassThrough']);

  const ephemeralStorageMb = body.object('EphemeralStorage')?.integer('Size');
  v.integer('ephemeralStorage.size', ephemeralStorageMb, { min: 512, max: 10_240 });

  const logging = body.object('LoggingConfig');
  const logFormat = logging?.string('LogFormat');
  v.enumValue('loggingConfig.logFormat', logFormat, ['JSON', 'Text']);
  const logGroup = logging?.string('LogGroup');
  v.string('loggingConfig.logGroup', logGroup, { min: 1, max: 512, pattern: LOG_GROUP_PATTERN });
  const applicationLogLevel = logging?.string('ApplicationLogLevel');
  v.enumValue('loggingConfig.applicationLogLevel', applicationLogLevel, [
    'TRACE',
    'DEBUG',
    'INFO',
    'WARN',
    'ERROR',
    'FATAL',
  ]);
  const systemLogLevel = logging?.string('SystemLogLevel');
  v.enumValue('loggingConfig.systemLogLevel', systemLogLevel, ['DEBUG', 'INFO', 'WARN']);

  const kmsKeyArn = body.string('KMSKeyArn');
  v.string('kMSKeyArn', kmsKeyArn, { pattern: KMS_KEY_PATTERN });

  const extra: Record<string, unknown> = {};
  const vpc = body.object('VpcConfig');
  if (vpc !== undefined) {
    const ipv6 = vpc.boolean('Ipv6AllowedForDualStack');
    extra.VpcConfig = {
      SubnetIds: vpc.stringList('SubnetIds') ?? [],
      SecurityGroupIds: vpc.stringList('SecurityGroupIds') ?? [],
      ...(ipv6 === undefined ? {} : { Ipv6AllowedForDualStack: ipv6 }),
    };
  }
  const dlq = body.object('DeadLetterConfig');
  if (dlq !== undefined) {
    const targetArn = dlq.string('TargetArn');
    extra.DeadLetterConfig =
      targetArn === undefined || targetArn === '' ? undefined : { TargetArn: targetArn };
  }
  if (kmsKeyArn !== undefined) {
    extra.KMSKeyArn = kmsKeyArn === '' ? undefined : kmsKeyArn;
  }
  const fileSystems = body.objectList('FileSystemConfigs');
  if (fileSystems !== undefined) {
    if (fileSystems.length > 0) {
      refusals.push(invalidParameter('hearth does not mount file systems: FileSystemConfigs must be empty.'));
    }
    extra.FileSystemConfigs = undefined;
  }
  if (logging !== undefined) {
    extra.ApplicationLogLevel = applicationLogLevel;
    extra.SystemLogLevel = systemLogLevel;
  }

  const layers = body.stringList('Layers');
  if (
    layers !== undefined &&
    !layers.every((l) => l.length <= 2048 && LAYER_VERSION_ARN_PATTERN.regex.test(l))
  ) {
    // The whole list is printed once, with every constraint of its members (recorded).
    v.addRaw(
      `Value ${renderValue(layers)} at 'layers' failed to satisfy constraint: Member must satisfy constraint: [${constraint.maxLength(2048)}, ${constraint.minLength(1)}, ${constraint.pattern(LAYER_VERSION_ARN_PATTERN.source)}, ${constraint.notNull}]`,
    );
  }
  const applyOn = body.object('SnapStart')?.string('ApplyOn');
  v.enumValue('snapStart.applyOn', applyOn, ['PublishedVersions', 'None']);
  if (applyOn === 'PublishedVersions') {
    refusals.push(invalidParameter('hearth does not support SnapStart: SnapStart.ApplyOn must be None.'));
  }
  for (const [member, message] of Object.entries(UNSUPPORTED_MEMBERS)) {
    if (body.has(member)) {
      refusals.push(invalidParameter(message));
    }
  }
  if (runtime !== undefined && DEPRECATED_RUNTIMES.has(runtime)) {
    // AWS refuses these for create and update even where hearth can run them (SCF's
    // Python3.6 runs as python3.6): the same answer as for one hearth cannot run.
    refusals.push(invalidParameter(deprecatedRuntimeMessage(runtime)));
  }

  const patch: FunctionConfigPatch = {
    ...(runtime === undefined ? {} : { runtime }),
    ...(handler === undefined ? {} : { handler }),
    ...(role === undefined ? {} : { role }),
    ...(description === undefined ? {} : { description }),
    ...(timeoutSec === undefined ? {} : { timeoutSec }),
    ...(memoryMb === undefined ? {} : { memoryMb }),
    ...(environment === undefined ? {} : { environment }),
    ...(ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb }),
    ...(tracingMode === undefined ? {} : { tracingMode }),
    ...(logFormat === undefined ? {} : { logFormat }),
    ...(logGroup === undefined ? {} : { logGroup }),
    ...(Object.keys(extra).length === 0 ? {} : { extra }),
  };
  return { patch, refusals, ...(layers === undefined ? {} : { layers }) };
}

/** After the model violations: what hearth refuses, then AWS's environment rules. */
export function checkConfigSemantics(members: ConfigMembers): void {
  const [refusal] = members.refusals;
  if (refusal !== undefined) {
    throw refusal;
  }
  checkEnvironment(members.patch.environment);
}

/** Architectures: a list of exactly one of x86_64 | arm64 (recorded messages, Appendix A). */
export function readArchitectures(body: BodyReader, v: Violations): string[] | undefined {
  const architectures = body.stringList('Architectures');
  if (architectures === undefined) {
    return undefined;
  }
  if (architectures.length > 1) {
    v.add('architectures', architectures, constraint.maxLength(1));
  } else if (architectures.length < 1) {
    v.add('architectures', architectures, constraint.minLength(1));
  } else if (!architectures.every((a) => (ARCHITECTURES as readonly string[]).includes(a))) {
    v.addRaw(
      `Value ${renderValue(architectures)} at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [${constraint.enumSet(ARCHITECTURES)}, ${constraint.notNull}]`,
    );
  }
  return architectures;
}

/** AWS's environment-variable rules (spec §2.3, §5.5), after the model constraints. */
export function checkEnvironment(environment: Readonly<Record<string, string>> | undefined): void {
  if (environment === undefined) {
    return;
  }
  const reserved = Object.keys(environment).filter((k) => RESERVED_ENVIRONMENT_KEYS.has(k));
  if (reserved.length > 0) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(environment);
  if (Buffer.byteLength(measured, 'utf8') > ENVIRONMENT_MAX_BYTES) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
}
