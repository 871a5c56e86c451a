/**
 * How an environment's process is started: which program, which arguments, which
 * environment variables (aws-lambda.md §5.5), which channel.
 *
 * The environment is clean and explicit: nothing of hearth's own process.env is inherited
 * but PATH (performance-notes.md: an inherited NODE_EXTRA_CA_CERTS alone costs 40 ms per
 * start; §5.5: Lambda sets every variable itself).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentSpec, InitializationType } from '../core/ports.js';
import type { Interpreter, Interpreters } from './interpreters.js';
import type { LaunchRequest } from './launchers/launcher.js';
import { pathExistence } from './path-existence.js';
import { layerPaths, runtimeEntry, taskRoot, type FileView, type RuntimeStart } from './runtimes/table.js';

export { maxOldSpaceMb } from './runtimes/node.js';

/** A program that speaks the HTTP Runtime API (e.g. the official aws-lambda-ric). */
export interface RuntimeCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface LaunchOptions {
  /** The bundled Node.js runtime client's entry (bootstrap.cjs). */
  readonly nodeRuntimeEntry: string;
  /** How the bundled Node.js client talks to the pool. */
  readonly nodeChannel: 'private' | 'http';
  /** Extra node flags for the bundled client (V8 tuning). */
  readonly nodeFlags: readonly string[];
  /** Which interpreter runs each runtime (interpreters.ts). */
  readonly interpreters: Interpreters;
  /** The bundled Node.js client's code cache folder (PoolOptions.codeCacheDir). */
  readonly codeCacheDir?: string;
  /** The bundled Python runtime client's entry (bootstrap.py). */
  readonly pythonRuntimeEntry?: string;
  /**
   * Every environment gets a memory cgroup (memory-cgroups.ts): the Python client then
   * leaves MemorySize to it rather than bounding its data segment itself.
   */
  readonly memoryCgroups?: boolean;
  /** Runtime id → command, replacing the built-in choice (always the HTTP Runtime API). */
  readonly runtimeCommands: Readonly<Record<string, RuntimeCommand>>;
  /** Credentials given to functions (§5.5 allows dummies). */
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
  };
  /** PATH for environments. */
  readonly path: string;
  /** How processes see the function's files (the launcher's: runtimes/table.ts FileView). */
  readonly fileView?: FileView;
}

export type LaunchPlan =
  | {
      readonly ok: true;
      readonly command: string;
      readonly args: readonly string[];
      /** Variables without AWS_LAMBDA_RUNTIME_API / the private fd, which the environment adds. */
      readonly env: Readonly<Record<string, string>>;
      readonly channel: 'private' | 'http';
      /** Host files the command needs besides the code (LaunchRequest.hostPaths). */
      readonly hostPaths: readonly string[];
      /** The process may run under SCHED_BATCH (RuntimeEntry.batchScheduling; never an override). */
      readonly batchScheduling: boolean;
      readonly logStreamName: string;
      /** The interpreter of a bundled runtime (absent for overrides and `provided*`). */
      readonly interpreter?: Interpreter;
      /** The process may be a pre-started one (RuntimeStart.startVariables). */
      readonly startVariables?: RegExp;
      /** A sandboxed runtime's code cache folder on the host (RuntimeStart.codeCacheHost). */
      readonly codeCacheHost?: string;
    }
  | { readonly ok: false; readonly detail: string };

export { PRIVATE_FD, PRIVATE_FD_VARIABLE } from './launchers/launcher.js';

/**
 * The bundled clients ship as source (.cjs, .py) beside this module's source; a build
 * copies them to dist/runtimes/ (scripts/copy-runtimes.mjs), else the source tree's are used.
 */
export function defaultPythonRuntimeEntry(): string {
  const candidates = [
    fileURLToPath(new URL('../runtimes/python/bootstrap.py', import.meta.url)),
    fileURLToPath(new URL('../../src/runtimes/python/bootstrap.py', import.meta.url)),
  ];
  return candidates.find((c) => pathExistence.exists(c)) ?? candidates[0] ?? '';
}

export function defaultNodeRuntimeEntry(): string {
  const candidates = [
    fileURLToPath(new URL('../runtimes/node/bootstrap.cjs', import.meta.url)),
    fileURLToPath(new URL('../../src/runtimes/node/bootstrap.cjs', import.meta.url)),
  ];
  return candidates.find((c) => pathExistence.exists(c)) ?? candidates[0] ?? '';
}

/** The first executable `name` on a PATH-style list, or undefined. */
export function findOnPath(name: string, pathList: string): string | undefined {
  for (const dir of pathList.split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `YYYY/MM/DD/[<version>]<32 hex>` (§5.5). */
export function logStreamName(version: string, now: Date): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${d}/[${version}]${randomBytes(16).toString('hex')}`;
}

/**
 * How an environment starts: the runtime table's entry for its runtime (runtimes/), or
 * the command configured to replace it, plus the Lambda environment every runtime gets.
 */
export function planLaunch(
  spec: EnvironmentSpec,
  initType: InitializationType,
  opts: LaunchOptions,
  now = new Date(),
): LaunchPlan {
  const stream = logStreamName(spec.version, now);
  const view = opts.fileView ?? 'host';
  const entry = runtimeEntry(spec.runtime);
  const override = opts.runtimeCommands[spec.runtime];
  let start: RuntimeStart;
  if (override !== undefined) {
    start = {
      ok: true,
      command: override.command,
      args: override.args,
      channel: 'http',
      runtimeDir: path.dirname(override.command),
      hostPaths: [
        override.command,
        ...override.args.filter((a) => path.isAbsolute(a) && pathExistence.exists(a)),
      ],
    };
  } else if (entry !== undefined) {
    start = entry.start(spec, {
      interpreters: opts.interpreters,
      nodeRuntimeEntry: opts.nodeRuntimeEntry,
      pythonRuntimeEntry: opts.pythonRuntimeEntry ?? defaultPythonRuntimeEntry(),
      bundledChannel: opts.nodeChannel,
      nodeFlags: opts.nodeFlags,
      ...(opts.codeCacheDir === undefined ? {} : { codeCacheDir: opts.codeCacheDir }),
      memoryLimited: opts.memoryCgroups === true,
      fileView: view,
    });
  } else {
    start = { ok: false, detail: `hearth has no runtime ${JSON.stringify(spec.runtime)}` };
  }
  if (!start.ok) {
    return start;
  }
  // Every runtime's view of its layers' `bin` and `lib` (Lambda: /opt/bin last on PATH,
  // /opt/lib on LD_LIBRARY_PATH); the runtime entries add their own search paths.
  const layerBins = layerPaths(spec, ['bin'], view);
  const layerLibs = layerPaths(spec, ['lib'], view);
  const env: Record<string, string> = {
    // Unreserved defaults first: the function's own variables may replace them (§5.5).
    PATH: [opts.path, ...layerBins].join(path.delimiter),
    ...(layerLibs.length === 0 ? {} : { LD_LIBRARY_PATH: layerLibs.join(path.delimiter) }),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    ...spec.environment,
    ...(start.env ?? {}),
    // Reserved: always the platform's (§5.5).
    _HANDLER: spec.handler,
    LAMBDA_TASK_ROOT: taskRoot(spec, view),
    LAMBDA_RUNTIME_DIR: start.runtimeDir,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: spec.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: stream,
    AWS_LAMBDA_INITIALIZATION_TYPE: initType,
    AWS_REGION: spec.region,
    AWS_DEFAULT_REGION: spec.region,
    AWS_ACCESS_KEY_ID: opts.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: opts.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: opts.credentials.sessionToken,
  };
  // §5.5: AWS_EXECUTION_ENV is set for managed runtimes only (not for provided*).
  if (entry?.managed === true) {
    env.AWS_EXECUTION_ENV = `AWS_Lambda_${spec.runtime}`;
  } else {
    delete env.AWS_EXECUTION_ENV;
  }
  if (override !== undefined) {
    delete env._HEARTH_MEMORY_CGROUP;
  }
  return {
    ok: true,
    command: start.command,
    args: start.args,
    env,
    channel: start.channel,
    hostPaths: start.hostPaths,
    batchScheduling: override === undefined && entry?.batchScheduling === true,
    logStreamName: stream,
    ...(override === undefined && start.interpreter !== undefined ? { interpreter: start.interpreter } : {}),
    ...(override === undefined && start.startVariables !== undefined
      ? { startVariables: start.startVariables }
      : {}),
    ...(override === undefined && start.codeCacheHost !== undefined
      ? { codeCacheHost: start.codeCacheHost }
      : {}),
  };
}

/**
 * What the launcher is asked to start for `spec` by `plan` (ok), with the process's whole
 * environment `env` (the plan's plus the channel's variable).
 */
export function launchRequest(
  id: number,
  spec: EnvironmentSpec,
  plan: Extract<LaunchPlan, { ok: true }>,
  env: Readonly<Record<string, string>>,
): LaunchRequest {
  return {
    id,
    command: plan.command,
    args: plan.args,
    env,
    cwd: spec.codeDir,
    hostPaths: plan.hostPaths,
    layerDirs: spec.layerDirs ?? [],
    privateChannel: plan.channel === 'private',
    memoryMb: spec.memoryMb,
    ...(spec.ephemeralStorageMb === undefined ? {} : { tmpSizeMb: spec.ephemeralStorageMb }),
    batchScheduling: plan.batchScheduling,
    ...(plan.startVariables === undefined ? {} : { startVariables: plan.startVariables }),
    ...(plan.codeCacheHost === undefined ? {} : { codeCacheDir: plan.codeCacheHost }),
  };
}
