/**
 * Function settings from CreateFunction / UpdateFunctionConfiguration / UpdateFunctionCode
 * (spec §4, §3.5 "Other defaults"), validated into core's neutral config.
 */
import {
  RESERVED_ENVIRONMENT_KEYS,
  type FunctionConfigPatch,
} from '../../../core/services/function-config.js';
import { SCF_INIT_TIMEOUT_EXTRA } from '../codec.js';
import type { Params } from '../params.js';
import {
  SCF_DEFAULT_RUNTIME,
  SCF_RUNTIME_EXTRA,
  SUPPORTED_SCF_RUNTIMES,
  coreRuntimeOf,
} from '../runtimes.js';
import { scfError } from '../wire-error.js';

/** Zip limit after base64 decoding: the documented "up to 50 MB" (Appendix A Code.ZipFile). */
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;

/** Handler `file.function` (spec §4 CreateFunction), up to 60 characters; the file part may hold a path. */
const HANDLER_PATTERN = /^[A-Za-z0-9_\-/]+(\.[A-Za-z0-9_-]+)*\.[A-Za-z_$][A-Za-z0-9_$]*$/;
const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the environment itself defines (InvalidParameterValue.EnvironmentSystemProtect). */
const PROTECTED_ENV_KEYS = RESERVED_ENVIRONMENT_KEYS;

export const DEFAULT_HANDLER = 'index.main_handler';

/** The settings members present in `p`, as a core patch (extra carries SCF-only echoes). */
export function readConfigPatch(p: Params): FunctionConfigPatch {
  const patch: {
    -readonly [K in keyof FunctionConfigPatch]?: FunctionConfigPatch[K];
  } = {};
  const extra: Record<string, unknown> = {};

  const runtime = p.string('Runtime');
  if (runtime !== undefined) {
    patch.runtime = mapRuntime(runtime);
    extra[SCF_RUNTIME_EXTRA] = runtime;
  }
  const handler = p.string('Handler');
  if (handler !== undefined) {
    patch.handler = checkHandler(handler);
  }
  const description = p.string('Description');
  if (description !== undefined) {
    if (description.length > 1000) {
      throw scfError(
        'InvalidParameterValue.Description',
        'Description error. It can contain up to 1,000 characters.',
      );
    }
    patch.description = description;
  }
  const memory = p.integer('MemorySize');
  if (memory !== undefined) {
    // "64 or 128-3,072 MB in increments of 128 MB" (spec §4 CreateFunction).
    if (!(memory === 64 || (memory >= 128 && memory <= 3072 && memory % 128 === 0))) {
      throw scfError(
        'InvalidParameterValue.MemorySize',
        `MemorySize ${memory} must be 64 or 128-3072 MB in steps of 128 MB.`,
      );
    }
    patch.memoryMb = memory;
  }
  const timeout = p.integer('Timeout');
  if (timeout !== undefined) {
    if (timeout < 1 || timeout > 900) {
      throw scfError('LimitExceeded.Timeout', `Timeout ${timeout} must be 1-900 seconds.`);
    }
    patch.timeoutSec = timeout;
  }
  const initTimeout = p.integer('InitTimeout');
  if (initTimeout !== undefined) {
    if (initTimeout < 1 || initTimeout > 300) {
      throw scfError('LimitExceeded.InitTimeout', `InitTimeout ${initTimeout} must be 1-300 seconds.`);
    }
    extra[SCF_INIT_TIMEOUT_EXTRA] = initTimeout;
  }
  const role = p.string('Role');
  if (role !== undefined) {
    patch.role = role;
  }
  const environment = p.object('Environment');
  if (environment !== undefined) {
    patch.environment = readVariables(environment);
  }
  const type = p.string('Type');
  if (type !== undefined && type !== 'Event') {
    throw scfError(
      'InvalidParameterValue.Type',
      `Type ${type} is not supported: hearth runs Event functions.`,
    );
  }
  if (Object.keys(extra).length > 0) {
    patch.extra = extra;
  }
  return patch;
}

function mapRuntime(runtime: string): string {
  const core = coreRuntimeOf(runtime);
  if (core === undefined) {
    throw scfError(
      'InvalidParameterValue.Runtime',
      `Runtime ${runtime} is not supported. Supported: ${SUPPORTED_SCF_RUNTIMES.join(', ')}.`,
    );
  }
  return core;
}

/** The core runtime for CreateFunction's Runtime, which defaults to Python2.7 (SDK model). */
export function createRuntime(runtime: string | undefined): string {
  return mapRuntime(runtime ?? SCF_DEFAULT_RUNTIME);
}

export function checkHandler(handler: string): string {
  // A leading '/' would name a file of the host, not of the code package (issue 12 item 8).
  if (
    handler.length < 2 ||
    handler.length > 60 ||
    !HANDLER_PATTERN.test(handler) ||
    handler.startsWith('/')
  ) {
    throw scfError(
      'InvalidParameterValue.Handler',
      `Handler '${handler}' must be 'file name.function name'.`,
    );
  }
  return handler;
}

function readVariables(env: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of env.objects('Variables') ?? []) {
    const key = v.string('Key') ?? '';
    const value = v.string('Value') ?? '';
    if (!ENV_KEY_PATTERN.test(key)) {
      throw scfError('InvalidParameterValue.Environment', `Environment variable name '${key}' is not valid.`);
    }
    if (value.includes('\0')) {
      // A process environment cannot hold NUL: refused here rather than at every invoke.
      throw scfError(
        'InvalidParameterValue.Environment',
        `Environment variable '${key}' has a value with a NUL character.`,
      );
    }
    if (PROTECTED_ENV_KEYS.has(key)) {
      throw scfError(
        'InvalidParameterValue.EnvironmentSystemProtect',
        `Environment variable '${key}' is reserved by the system.`,
      );
    }
    out[key] = value;
  }
  if (JSON.stringify(out).length > 4096) {
    throw scfError('InvalidParameterValue.EnvironmentExceededLimit', 'Environment variables exceed 4 KB.');
  }
  return out;
}

const COS_MEMBERS = [
  'CosBucketName',
  'CosObjectName',
  'CosBucketRegion',
  'DemoId',
  'TempCosObjectName',
  'GitUrl',
  'ImageConfig',
];

/**
 * The zip of `Code.ZipFile` (or UpdateFunctionCode's top-level ZipFile), base64-decoded.
 * Only ZipFile code is accepted; COS, demo, git and image sources are
 * InvalidParameterValue.CodeSource. Undefined when no ZipFile was given.
 */
export function readZip(p: Params, codeSource: string | undefined): Buffer | undefined {
  if (codeSource !== undefined && codeSource !== 'ZipFile') {
    throw scfError(
      'InvalidParameterValue.CodeSource',
      `CodeSource ${codeSource} is not supported: hearth accepts ZipFile code only.`,
    );
  }
  const other = COS_MEMBERS.find((m) => p.has(m));
  if (other !== undefined) {
    throw scfError(
      'InvalidParameterValue.CodeSource',
      `${other} is not supported: hearth accepts ZipFile code only.`,
    );
  }
  const b64 = p.string('ZipFile');
  if (b64 === undefined) {
    return undefined;
  }
  const compact = b64.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw scfError('InvalidParameterValue.ZipFileBase64BinasciiError', 'ZipFile is not valid base64.');
  }
  const zip = Buffer.from(compact, 'base64');
  if (zip.length > MAX_ZIP_BYTES) {
    throw scfError(
      'InvalidParameterValue.ZipFile',
      `ZipFile exceeds the size limit of ${MAX_ZIP_BYTES} bytes.`,
    );
  }
  return zip;
}

/** Tags (Appendix A Tag) as a map. */
export function readTags(p: Params): Record<string, string> | undefined {
  const tags = p.objects('Tags');
  if (tags === undefined) {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const t of tags) {
    out[t.string('Key', { required: true }) ?? ''] = t.string('Value', { required: true }) ?? '';
  }
  return out;
}
