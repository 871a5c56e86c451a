/**
 * The runtime table: WHAT runs in an environment, per runtime family. Each entry says
 * which runtime ids it serves and how to start one: command and arguments, the channel
 * it speaks (hearth's private fd channel or the HTTP Runtime API), the variables it adds
 * to the Lambda environment (aws-lambda.md §5.5), and why it cannot start.
 *
 * To add a runtime: a bundled client under src/runtimes/<language>/, a file here with
 * its entry, one line in RUNTIMES, and its ids in core's SUPPORTED_RUNTIMES and the
 * interpreters' families (interpreters.ts). See src/pool/CONTRIBUTING.md.
 */
import path from 'node:path';
import type { EnvironmentSpec } from '../../core/ports.js';
import type { Interpreter, Interpreters } from '../interpreters.js';
import { pathExistence } from '../path-existence.js';
import { nodeRuntime } from './node.js';
import { providedRuntime } from './provided.js';
import { pythonRuntime } from './python.js';

/** What every entry may use: settings of the pool and the machine. */
export interface RuntimeContext {
  readonly interpreters: Interpreters;
  /** The bundled Node.js client's entry (bootstrap.cjs). */
  readonly nodeRuntimeEntry: string;
  /** The bundled Python client's entry (bootstrap.py). */
  readonly pythonRuntimeEntry: string;
  /** The channel of the bundled clients (private by default; HTTP for benchmarks). */
  readonly bundledChannel: 'private' | 'http';
  /** Extra node flags (V8 tuning). */
  readonly nodeFlags: readonly string[];
  /** The bundled Node.js client's code cache folder, if any (PoolOptions.codeCacheDir). */
  readonly codeCacheDir?: string;
  /** The launcher enforces MemorySize (a memory cgroup). */
  readonly memoryLimited: boolean;
  /** Where the process finds its code and layers (FileView). */
  readonly fileView: FileView;
}

/**
 * How the process sees the function's files: `host`, at their directories in the package
 * store (an unsandboxed process); `lambda`, its code at /var/task and its layers merged
 * at /opt, as on Lambda (a sandbox: launchers/sandbox-launcher.ts).
 */
export type FileView = 'host' | 'lambda';

/** Lambda's paths (aws-lambda.md §5.5). */
export const LAMBDA_TASK_ROOT = '/var/task';
export const LAMBDA_OPT = '/opt';

/** LAMBDA_TASK_ROOT as the process sees it. */
export function taskRoot(spec: EnvironmentSpec, view: FileView): string {
  return view === 'lambda' ? LAMBDA_TASK_ROOT : spec.codeDir;
}

export type RuntimeStart =
  | {
      readonly ok: true;
      readonly command: string;
      readonly args: readonly string[];
      readonly channel: 'private' | 'http';
      /** LAMBDA_RUNTIME_DIR. */
      readonly runtimeDir: string;
      /** Host files the command needs besides the code (LaunchRequest.hostPaths). */
      readonly hostPaths: readonly string[];
      /** Variables the runtime itself needs, beyond the Lambda ones. */
      readonly env?: Readonly<Record<string, string>>;
      /** The interpreter of a bundled client (INIT_START, warnings). */
      readonly interpreter?: Interpreter;
      /**
       * Set when the client can be started before its function (a pre-started runtime:
       * launchers/prestarted.ts) and take it on over the private channel (ASSIGN): the
       * variables its interpreter reads when it starts, which must then be the same.
       */
      readonly startVariables?: RegExp;
      /**
       * The host folder of a sandboxed runtime's code cache entries, which it sends rather
       * than writes (code-cache-writer.ts): bound read-only at SANDBOX_CODE_CACHE.
       */
      readonly codeCacheHost?: string;
    }
  | { readonly ok: false; readonly detail: string };

export interface RuntimeEntry {
  readonly name: string;
  /** Whether this entry runs `runtime`. */
  matches(runtime: string): boolean;
  /** §5.5: AWS_EXECUTION_ENV is set for managed runtimes, not for OS-only ones. */
  readonly managed: boolean;
  /**
   * Its process may run under SCHED_BATCH where the launcher offers it (README
   * "Scheduling"): hearth's bundled clients, whose wake-ups then never preempt the
   * platform. Not a package's own executable: run through `chrt`, one that cannot be
   * executed would exit with chrt's error instead of failing to spawn
   * (Runtime.InvalidEntrypoint).
   */
  readonly batchScheduling: boolean;
  start(spec: EnvironmentSpec, ctx: RuntimeContext): RuntimeStart;
}

/**
 * Where a runtime looks into the function's layers (what Lambda extracts to `/opt`): for
 * each of `subdirs` (relative to a layer's root, `python`, `nodejs/node_modules`...), the
 * directories that exist. In the `host` view, each layer's own, the last layer's first,
 * so that a later layer overrides an earlier one as its files would in `/opt`; in the
 * `lambda` view, `/opt/<subdir>` where any layer has it (the sandbox merges them there).
 * Empty without layers. Computed per launch from what path-existence.ts keeps (layers are
 * content-addressed: their folders do not change), and a runtime then searches only
 * folders that exist (src/pool/README.md "Layers").
 */
export function layerPaths(
  spec: EnvironmentSpec,
  subdirs: readonly string[],
  view: FileView = 'host',
): string[] {
  const roots = spec.layerDirs ?? [];
  if (view === 'lambda') {
    return subdirs
      .filter((sub) => roots.some((root) => pathExistence.exists(path.join(root, sub))))
      .map((sub) => path.posix.join(LAMBDA_OPT, sub));
  }
  const out: string[] = [];
  for (const root of [...roots].reverse()) {
    for (const sub of subdirs) {
      const dir = path.join(root, sub);
      if (pathExistence.exists(dir)) {
        out.push(dir);
      }
    }
  }
  return out;
}

export const RUNTIMES: readonly RuntimeEntry[] = [nodeRuntime, pythonRuntime, providedRuntime];

export function runtimeEntry(runtime: string): RuntimeEntry | undefined {
  return RUNTIMES.find((r) => r.matches(runtime));
}
