/**
 * SCF runtime names ↔ hearth's canonical runtimes. SCF Node.js functions use
 * `file.function` handlers (`index.main_handler`) and `(event, context)` signatures, the same
 * shape as Lambda's, so they run on the bundled Node.js runtime client unchanged.
 *
 * Runtime names come from the SDK's CreateFunction model (`Nodejs12.16` … `Nodejs18.15`,
 * `Python3.6` … `Python3.10`); `Nodejs20.15` [REC] follows Tencent's `<major>.<minor>`
 * naming for its Node 20 runtime. Every other SCF runtime (Python2.7, PHP, Go, Java,
 * CustomRuntime) is InvalidParameterValue.Runtime until hearth can run it.
 */
import type { FunctionConfig } from '../../core/model.js';

/** CreateFunction's documented default when Runtime is omitted (SDK model). */
export const SCF_DEFAULT_RUNTIME = 'Python2.7';

const NODE_RUNTIMES: Readonly<Record<string, string>> = Object.freeze({
  'Nodejs12.16': 'nodejs18.x',
  'Nodejs14.18': 'nodejs18.x',
  'Nodejs16.13': 'nodejs18.x',
  'Nodejs18.15': 'nodejs18.x',
  'Nodejs20.15': 'nodejs20.x',
  // Python runs on hearth's bundled Python client, on the matching interpreter when the
  // machine has one (src/pool/interpreters.ts). Python2.7 stays refused: the client is 3.x.
  'Python3.6': 'python3.6',
  'Python3.7': 'python3.7',
  'Python3.9': 'python3.9',
  'Python3.10': 'python3.10',
});

/** The name shown for a function created through another dialect. */
const SCF_NAME_OF_CORE: Readonly<Record<string, string>> = Object.freeze({
  'nodejs18.x': 'Nodejs18.15',
  'nodejs20.x': 'Nodejs20.15',
  'nodejs22.x': 'Nodejs20.15',
  'python3.6': 'Python3.6',
  'python3.7': 'Python3.7',
  'python3.9': 'Python3.9',
  'python3.10': 'Python3.10',
  provided: 'CustomRuntime',
  'provided.al2': 'CustomRuntime',
  'provided.al2023': 'CustomRuntime',
});

/** Key in `FunctionConfig.extra` keeping the SCF name the caller chose. */
export const SCF_RUNTIME_EXTRA = 'scfRuntime';

export const SUPPORTED_SCF_RUNTIMES: readonly string[] = Object.freeze(Object.keys(NODE_RUNTIMES));

/** The canonical runtime an SCF runtime runs on, or undefined when hearth cannot run it. */
export function coreRuntimeOf(scfRuntime: string): string | undefined {
  return NODE_RUNTIMES[scfRuntime];
}

/** The SCF runtime name of a configuration: the caller's own, else derived from core's. */
export function scfRuntimeOf(config: FunctionConfig): string {
  const own = config.extra?.[SCF_RUNTIME_EXTRA];
  if (typeof own === 'string' && coreRuntimeOf(own) === config.runtime) {
    return own;
  }
  return SCF_NAME_OF_CORE[config.runtime] ?? config.runtime;
}
