/**
 * The pool's options (createPool). Defaults are applied where each option is used.
 */
import type { Logger } from 'pino';
import type { Interpreters } from './interpreters.js';
import type { RuntimeCommand } from './launch.js';
import type { MemoryCgroups } from './memory-cgroups.js';
import type { FunctionLogEntry, PoolEvent } from './types.js';

export interface PoolOptions {
  readonly logger: Logger;
  /** Idle on-demand environments are stopped after this long; 0 stops them after each invoke. */
  readonly idleTimeoutMs: number;
  /** Environments starting at once, across all functions. */
  readonly maxConcurrentStarts: number;
  /** Init time limit of on-demand environments (aws-lambda.md §3.8: 10 s). */
  readonly onDemandInitTimeoutMs?: number;
  /** Lower bound of the provisioned init limit, max(this, function timeout) (§3.8: 130 s). */
  readonly provisionedInitTimeoutMs?: number;
  /** Init failures in a row before a provisioned config is FAILED (§3.4: 6). */
  readonly maxInitAttempts?: number;
  /**
   * How long an invocation counts on an environment that answered coming back for the
   * next one (an HTTP runtime between its response and its /next) before it spills over
   * or starts another (default FINISHING_GRACE_MS, 100 ms).
   */
  readonly finishingGraceMs?: number;
  /** Channel of the bundled Node.js client: the private channel (default) or HTTP. */
  readonly nodeChannel?: 'private' | 'http';
  /** Node flags for the bundled client (default: a one-thread V8 platform; README). */
  readonly nodeFlags?: readonly string[];
  /** The bundled client's entry file (default: src/runtimes/node/bootstrap.cjs). */
  readonly nodeRuntimeEntry?: string;
  /**
   * Where the bundled Node.js client keeps V8's code cache of the CommonJS modules loaded
   * during init, one folder per function (src/runtimes/node/code-cache.cjs); unset: none.
   * Used by unsandboxed environments only: a sandboxed function must not write what
   * another start of it would run without a check of its own.
   */
  readonly codeCacheDir?: string;
  /**
   * The code cache folder's cap, all functions together (default 256 MiB): pruned to it,
   * oldest entries first, at start and after environments of a changed or deleted
   * function are drained, as are entries whose module is gone (code-cache.ts).
   */
  readonly codeCacheMaxMb?: number;
  /** The bundled Python client's entry file (default: src/runtimes/python/bootstrap.py). */
  readonly pythonRuntimeEntry?: string;
  /**
   * Run the bundled client under SCHED_BATCH through `chrt` when it is on the PATH
   * (default true; README "Scheduling").
   */
  readonly batchScheduling?: boolean;
  /**
   * Fork environments from a small spawner process rather than from hearth's own, whose
   * fork() blocks its event loop longer the more memory it holds (launchers/spawner.ts,
   * Linux only; default true: src/pool/README.md "The spawner" has the figures).
   */
  readonly spawner?: boolean;
  /**
   * Keep up to this many runtimes started and waiting for a function (environments of the
   * bundled Node.js and Python clients: launchers/prestarted.ts; sandboxed ones only with
   * `sandboxTaskDir`); default 0.
   */
  readonly prestartedRuntimes?: number;
  /**
   * Where a pre-started sandbox's /var/task is made and filled with links to the
   * function's code when a function takes it (launchers/task-links.ts): a folder on the
   * file system of the functions' code (the package store), or every file is copied.
   * Unset: sandboxed environments are not pre-started.
   */
  readonly sandboxTaskDir?: string;
  /**
   * Sandbox each environment (launchers/sandbox-launcher.ts): `auto` uses bubblewrap where
   * it works, else warns once and runs unsandboxed; `bubblewrap` requires it; `off` never
   * sandboxes (one warning). Unset: unsandboxed, silently (the pool's own tests, which
   * look at environments from the host). The platform's config defaults to `auto`.
   */
  readonly sandbox?: 'auto' | 'bubblewrap' | 'off';
  /**
   * Limit each environment to its MemorySize with a memory cgroup where the machine allows
   * it (default true; memory-cgroups.ts). Elsewhere the V8 heap limit is the only bound.
   * Tests may give the cgroups to use.
   */
  readonly memoryCgroups?: boolean | MemoryCgroups;
  /**
   * Runtime id → the interpreter the bundled client runs on (e.g. `{ "nodejs22.x":
   * "/opt/node22/bin/node" }`); other runtimes are looked up (interpreters.ts).
   */
  readonly runtimeInterpreters?: Readonly<Record<string, string>>;
  /** One resolution shared with the control plane (RuntimeVersionConfig); else the pool's own. */
  readonly interpreters?: Interpreters;
  /** Runtime id → a command speaking the HTTP Runtime API (e.g. the official aws-lambda-ric). */
  readonly runtimeCommands?: Readonly<Record<string, RuntimeCommand>>;
  /** Credentials given to functions (§5.5 allows dummies). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
  };
  /** Receives function output and START/END/REPORT lines; without it they go to the logger at debug. */
  readonly onFunctionLog?: (entry: FunctionLogEntry) => void;
  /** Receives lifecycle events (also available through `subscribe`). */
  readonly onEvent?: (event: PoolEvent) => void;
  /**
   * Names the data dir in the mark of every environment (orphans.ts), so that a start
   * sweeps what an earlier hearth on the same data dir left behind (default `hearth`).
   */
  readonly owner?: string;
  /**
   * PATH given to environments and searched for interpreters and `chrt` (the composition
   * root passes hearth's own; config says nothing else reads the environment).
   */
  readonly path?: string;
}
