/**
 * The data plane's stateful shell (STYLE.md: one small shell that mutates; the decisions
 * are pure functions in placement.ts and provisioned-plan.ts).
 *
 * It owns every environment and three indexes over them:
 * - on-demand groups, one per spec key: an idle stack (most recently used on top, so the
 *   set of environments in use stays small and the rest age out), the starts in flight
 *   and the invocations waiting for an environment;
 * - provisioned configs, one per provisioned key: desired spec and count, their
 *   environments, and an idle stack of those that may serve the current spec;
 * - admission leases, counted per function key (reserved) or scope key (unreserved).
 *
 * Invariants: a lease is released on every path out of `invoke`; an environment is in at
 * most one idle stack and only while idle; every environment is killed by `dispose`.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { PlatformError } from '../core/errors.js';
import type { ProvisionedStatus } from '../core/model.js';
import type {
  EnvironmentSpec,
  InitializationType,
  InvocationOutcome,
  InvokeRequest,
  Pool,
} from '../core/ports.js';
import {
  Environment,
  type DeathCause,
  type EnvironmentListener,
  type InitFailure,
  type LogSink,
} from './environment.js';
import type { EnvironmentState } from './environment-state.js';
import { isInitialised } from './environment-state.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_RUNTIMES, Interpreters, hasInThreadModuleHooks, mismatchWarning } from './interpreters.js';
import { defaultNodeRuntimeEntry, findOnPath, type LaunchOptions, type RuntimeCommand } from './launch.js';
import type { Launcher } from './launchers/launcher.js';
import { ProcessLauncher } from './launchers/process-launcher.js';
import { openMemoryCgroups, type MemoryCgroups } from './memory-cgroups.js';
import { LogCapture, endLine, reportLine, startLine } from './log-capture.js';
import { exitError, invalidEntrypointError, timeoutError, type ErrorDocument } from './outcomes.js';
import { place } from './placement.js';
import {
  MAX_INIT_ATTEMPTS,
  planProvisioned,
  provisionedStatus,
  type ProvisionedCounts,
} from './provisioned-plan.js';
import { StartLimiter } from './start-limiter.js';

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
  /** Channel of the bundled Node.js client: the private channel (default) or HTTP. */
  readonly nodeChannel?: 'private' | 'http';
  /** Node flags for the bundled client (default: a one-thread V8 platform; README). */
  readonly nodeFlags?: readonly string[];
  /** The bundled client's entry file (default: src/runtimes/node/bootstrap.cjs). */
  readonly nodeRuntimeEntry?: string;
  /** The bundled Python client's entry file (default: src/runtimes/python/bootstrap.py). */
  readonly pythonRuntimeEntry?: string;
  /**
   * Run the bundled client under SCHED_BATCH through `chrt` when it is on the PATH
   * (default true; README "Scheduling").
   */
  readonly batchScheduling?: boolean;
  /**
   * Limit each environment to its MemorySize with a memory cgroup where the machine allows
   * it (default true; memory-cgroups.ts). Elsewhere the V8 heap limit is the only bound.
   */
  readonly memoryCgroups?: boolean;
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
}

export interface FunctionLogEntry {
  readonly environmentId: number;
  readonly specKey: string;
  readonly functionName: string;
  readonly version: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** Raw text: lines may be split across entries. */
  readonly text: string;
}

interface EnvironmentFacts {
  readonly environmentId: number;
  readonly specKey: string;
  readonly initializationType: InitializationType;
  readonly provisionedKey?: string;
}

export type PoolEvent =
  | (EnvironmentFacts & { readonly type: 'environment-starting' })
  | (EnvironmentFacts & { readonly type: 'environment-ready'; readonly initDurationMs: number })
  | (EnvironmentFacts & { readonly type: 'environment-dead'; readonly cause: string })
  /** The process is gone and reaped (after `environment-dead`). */
  | (EnvironmentFacts & { readonly type: 'environment-exited' })
  | {
      readonly type: 'provisioned-status';
      readonly provisionedKey: string;
      readonly status: ProvisionedStatus;
    };

export interface EnvironmentView extends EnvironmentFacts {
  readonly pid: number | undefined;
  readonly state: EnvironmentState;
}

/** The Pool port plus observation for tests, metrics and the dashboard. */
export interface HearthPool extends Pool {
  /** Every environment not yet dead. */
  environments(): EnvironmentView[];
  /** Calls `listener` with every event until the returned function is called. */
  subscribe(listener: (event: PoolEvent) => void): () => void;
}

interface Waiter {
  readonly req: InvokeRequest;
  readonly since: number;
  readonly resolve: (o: InvocationOutcome) => void;
  readonly reject: (e: unknown) => void;
}

class OnDemandGroup {
  /** Idle environments, least recently used first. */
  readonly idle: Environment[] = [];
  /** Invocations waiting for an environment, oldest first. */
  readonly waiters: Waiter[] = [];
  /** Processes starting for this spec. */
  starting = 0;
  /** Starts queued for a start slot. */
  queued = 0;
  /** Environments that answered and have not asked for the next yet. */
  finishing = 0;
  /** Bounds how long waiters count on `finishing` environments. */
  grace: NodeJS.Timeout | undefined;
  /** Environments not dead. */
  live = 0;
  constructor(readonly spec: EnvironmentSpec) {}
}

class ProvisionedConfig {
  readonly envs = new Set<Environment>();
  /** Idle environments of the current spec, least recently used first. */
  readonly idle: Environment[] = [];
  /** Invocations waiting for a current-spec environment that is finishing (placement.ts). */
  readonly waiters: Waiter[] = [];
  /** Current-spec environments that answered and have not asked for the next yet. */
  finishing = 0;
  /** Bounds how long waiters count on `finishing` environments. */
  grace: NodeJS.Timeout | undefined;
  queued = 0;
  failures = 0;
  failed = false;
  removed = false;
  /**
   * The config reached READY for its current spec and count: invokes keep using its
   * environments while a recycled one is replaced (§3.8 "Lambda always ensures…"), though
   * Available dips. Cleared by a new spec or a larger count (§3.4 no partial availability).
   */
  latch = false;
  /** Cached from the last reconcile: Available == Requested. */
  complete = false;
  lastStatus = '';
  constructor(
    readonly key: string,
    public spec: EnvironmentSpec,
    public requested: number,
  ) {}
}

/** How long a waiter counts on an environment that answered coming back for more. */
const FINISHING_GRACE_MS = 100;

const DEFAULT_CREDENTIALS = {
  accessKeyId: 'HEARTHLOCALACCESSKEY',
  secretAccessKey: 'hearth-local-secret-access-key',
  sessionToken: 'hearth-local-session-token',
};

function removeFrom(stack: Environment[], env: Environment): void {
  const i = stack.lastIndexOf(env);
  if (i >= 0) {
    stack.splice(i, 1);
  }
}

function describeDeath(cause: DeathCause): string {
  if (cause.phase === 'run') {
    return cause.reason;
  }
  const f = cause.failure;
  switch (f.kind) {
    case 'init-error':
      return `init error ${f.errorType}`;
    case 'exit':
      return `exited during init (code ${f.code}, signal ${f.signal})`;
    case 'timeout':
      return `init timed out after ${f.afterMs} ms`;
    case 'entrypoint':
      return `cannot start: ${f.detail}`;
    case 'killed':
      return 'killed during init';
  }
}

/** The outcome an invocation gets when the environment started for it failed init (§5.6). */
function initFailureDocument(f: InitFailure, requestId: string): ErrorDocument {
  switch (f.kind) {
    case 'init-error':
      // §5.7: the body posted to /init/error, verbatim.
      return { errorType: f.errorType, payload: f.body };
    case 'exit':
      return exitError(requestId, f.code, f.signal);
    case 'timeout':
      return timeoutError(requestId, f.afterMs);
    case 'entrypoint':
      return invalidEntrypointError(requestId, f.detail);
    case 'killed':
      return exitError(requestId, null, 'SIGKILL');
  }
}

export class DataPlane implements HearthPool, EnvironmentListener {
  readonly #o: PoolOptions;
  readonly #log: Logger;
  readonly #launch: LaunchOptions;
  readonly #cgroups: MemoryCgroups | undefined;
  readonly #launcher: Launcher;
  readonly #limiter: StartLimiter;
  readonly #envs = new Set<Environment>();
  readonly #groups = new Map<string, OnDemandGroup>();
  readonly #configs = new Map<string, ProvisionedConfig>();
  readonly #groupOf = new Map<Environment, OnDemandGroup>();
  readonly #configOf = new Map<Environment, ProvisionedConfig>();
  readonly #leases = new Map<string, number>();
  /** Environments counted in a group's or config's `finishing`, and where. */
  readonly #finishing = new Map<Environment, OnDemandGroup | ProvisionedConfig>();
  readonly #listeners = new Set<(e: PoolEvent) => void>();
  readonly #logSink: LogSink | undefined;
  /** Functions (and code-root parents) already warned about (#warnOnce). */
  readonly #warned = new Set<string>();
  #nextId = 1;
  #reaper: NodeJS.Timeout | undefined;
  #disposed = false;
  #disposing: Promise<void> | undefined;
  readonly #onProcessExit = (): void => {
    // Last resort when hearth exits without dispose(): no environment outlives it.
    for (const env of this.#envs) {
      env.kill();
    }
  };

  constructor(o: PoolOptions) {
    this.#o = o;
    this.#log = o.logger;
    this.#limiter = new StartLimiter(o.maxConcurrentStarts);
    const pathList = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    const interpreters =
      o.interpreters ??
      new Interpreters({
        configured: o.runtimeInterpreters ?? {},
        path: pathList,
        hostNode: { command: process.execPath, version: process.version },
      });
    interpreters.verifyConfigured();
    this.#cgroups =
      (o.memoryCgroups ?? true) && process.platform === 'linux'
        ? openMemoryCgroups({
            onUnavailable: (reason) =>
              this.#log.info(
                { reason },
                'environments are limited by their V8 heap (Node.js) or data segment (Python) only (no memory cgroup)',
              ),
            onError: (message) => this.#log.warn(message),
          })
        : undefined;
    this.#launcher = new ProcessLauncher(this.#cgroups);
    this.#launch = {
      interpreters,
      memoryCgroups: this.#cgroups !== undefined,
      ...(o.pythonRuntimeEntry === undefined ? {} : { pythonRuntimeEntry: o.pythonRuntimeEntry }),
      nodeRuntimeEntry: o.nodeRuntimeEntry ?? defaultNodeRuntimeEntry(),
      nodeChannel: o.nodeChannel ?? 'private',
      nodeFlags: o.nodeFlags ?? ['--v8-pool-size=1'],
      runtimeCommands: o.runtimeCommands ?? {},
      credentials: o.credentials ?? DEFAULT_CREDENTIALS,
      path: pathList,
      batchScheduler:
        (o.batchScheduling ?? true) && process.platform === 'linux'
          ? findOnPath('chrt', pathList)
          : undefined,
    };
    const sink = o.onFunctionLog;
    if (sink !== undefined) {
      this.#logSink = (env, text) => {
        try {
          sink({
            environmentId: env.id,
            specKey: env.spec.key,
            functionName: env.spec.functionName,
            version: env.spec.version,
            logGroup: env.spec.logGroup,
            logStream: env.logStreamName,
            text: typeof text === 'string' ? text : text.toString('utf8'),
          });
        } catch (e) {
          // A sink is called from stream and timer callbacks: its failure must not be ours.
          this.#log.warn({ err: e }, 'the function log sink failed');
        }
      };
    } else if (this.#log.isLevelEnabled('debug')) {
      this.#logSink = (env, text) =>
        this.#log.debug({ environmentId: env.id, fn: env.spec.functionName }, String(text));
    }
    process.on('exit', this.#onProcessExit);
  }

  // ---- Pool port --------------------------------------------------------------------------

  /** Resolves every bundled runtime's interpreter before the first start (interpreters.ts). */
  start(): Promise<void> {
    return this.#launch.interpreters.warm(BUNDLED_RUNTIMES);
  }

  invoke(req: InvokeRequest): Promise<InvocationOutcome> {
    return this.#invoke(req, false);
  }

  /**
   * `impatient`: environments between their answer and their next /next are not
   * waited for (used once FINISHING_GRACE_MS has passed without them coming back).
   */
  async #invoke(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    if (this.#disposed) {
      throw new PlatformError('INTERNAL', { reason: 'the pool is shut down' });
    }
    const a = req.admission;
    const cfg = req.provisionedKey === undefined ? undefined : this.#configs.get(req.provisionedKey);
    const group = this.#groups.get(req.spec.key);
    const decision = place({
      ...(a.reserved === undefined ? {} : { reserved: a.reserved }),
      provisionedTotal: a.provisionedTotal,
      unreservedCapacity: a.unreservedCapacity,
      busyFunction: this.#leases.get(`function:${a.functionKey}`) ?? 0,
      busyScope: this.#leases.get(`scope:${a.scopeKey}`) ?? 0,
      ...(cfg === undefined
        ? {}
        : {
            provisioned: {
              // §3.4: only a READY config serves, and only the spec it was built from.
              usable: !cfg.failed && (cfg.complete || cfg.latch) && cfg.spec.key === req.spec.key,
              idle: cfg.idle.length,
              finishing: impatient ? 0 : cfg.finishing,
              waiters: cfg.waiters.length,
            },
          }),
      onDemand: {
        idle: group?.idle.length ?? 0,
        starting: (group?.starting ?? 0) + (group?.queued ?? 0) + (impatient ? 0 : (group?.finishing ?? 0)),
        waiters: group?.waiters.length ?? 0,
      },
    });
    switch (decision.kind) {
      case 'throttle':
        throw decision.code === 'THROTTLED_RESERVED'
          ? new PlatformError('THROTTLED_RESERVED', { functionName: req.spec.functionName })
          : new PlatformError('THROTTLED_ACCOUNT', {});
      case 'provisioned': {
        const env = cfg?.idle.pop();
        if (env === undefined) {
          throw new PlatformError('INTERNAL', { reason: 'provisioned environment vanished' });
        }
        return env.invoke(req);
      }
      case 'provisioned-wait': {
        const c = cfg;
        if (c === undefined) {
          throw new PlatformError('INTERNAL', { reason: 'provisioned config vanished' });
        }
        return new Promise((resolve, reject) => {
          c.waiters.push({ req, since: performance.now(), resolve, reject });
          this.#armGrace(c);
        });
      }
      case 'warm':
      case 'wait':
      case 'start': {
        const leaseKey = decision.lease === 'function' ? `function:${a.functionKey}` : `scope:${a.scopeKey}`;
        this.#leases.set(leaseKey, (this.#leases.get(leaseKey) ?? 0) + 1);
        try {
          if (decision.kind === 'warm' && group !== undefined) {
            const env = group.idle.pop();
            if (env !== undefined) {
              return await env.invoke(req);
            }
          }
          return await this.#waitForEnvironment(req, impatient);
        } finally {
          const n = (this.#leases.get(leaseKey) ?? 1) - 1;
          if (n === 0) {
            this.#leases.delete(leaseKey);
          } else {
            this.#leases.set(leaseKey, n);
          }
        }
      }
    }
  }

  setProvisioned(provisionedKey: string, spec: EnvironmentSpec | undefined, count: number): void {
    if (this.#disposed) {
      return;
    }
    let cfg = this.#configs.get(provisionedKey);
    if (spec === undefined || count <= 0) {
      if (cfg !== undefined) {
        // Drain and forget (§3.3 Delete).
        this.#configs.delete(provisionedKey);
        cfg.removed = true;
        cfg.idle.length = 0;
        clearTimeout(cfg.grace);
        this.#redispatch(cfg, 0);
        for (const env of cfg.envs) {
          env.retire();
        }
        this.#emitStatus(cfg);
      }
      return;
    }
    if (cfg === undefined) {
      cfg = new ProvisionedConfig(provisionedKey, spec, count);
      this.#configs.set(provisionedKey, cfg);
      this.#reconcile(cfg);
      return;
    }
    const specChanged = cfg.spec.key !== spec.key;
    if (!specChanged && cfg.requested === count) {
      // Core re-declares every config of a function on each reconcile: nothing changed.
      return;
    }
    if (specChanged) {
      // Make-before-break (§3.6 alias move): the old spec's initialised environments stay
      // (counted as Allocated) until the new ones are all ready; its starts are abandoned.
      cfg.spec = spec;
      cfg.idle.length = 0;
      this.#uncountFinishing(cfg);
      this.#redispatch(cfg, 0);
      for (const env of cfg.envs) {
        if (env.state === 'starting') {
          env.retire();
        }
      }
      // Back to a spec whose environments are still here (an alias moved A → B → A before
      // B was ready): they serve again, least recently used first, as onIdle would stack them.
      cfg.idle.push(
        ...[...cfg.envs]
          .filter((env) => env.state === 'idle' && env.spec.key === spec.key)
          .sort((x, y) => x.lastUsedMs - y.lastUsedMs),
      );
    }
    if (specChanged || count > cfg.requested) {
      cfg.latch = false;
    }
    cfg.requested = count;
    cfg.failures = 0;
    cfg.failed = false;
    this.#reconcile(cfg);
  }

  provisionedStatus(provisionedKey: string): ProvisionedStatus {
    const cfg = this.#configs.get(provisionedKey);
    return cfg === undefined
      ? { allocated: 0, available: 0, status: 'IN_PROGRESS' }
      : provisionedStatus(this.#count(cfg));
  }

  provisionedUtilization(provisionedKey: string): number {
    const cfg = this.#configs.get(provisionedKey);
    if (cfg === undefined || cfg.failed) {
      return 0;
    }
    let busy = 0;
    let allocated = 0;
    for (const env of cfg.envs) {
      if (isInitialised(env.state)) {
        allocated++;
        if (env.state === 'busy') {
          busy++;
        }
      }
    }
    return allocated === 0 ? 0 : busy / allocated;
  }

  async drain(prefix: string): Promise<void> {
    const victims = [...this.#envs].filter((env) => env.spec.key.startsWith(prefix));
    // A provisioned config still running a drained spec would start replacements at once:
    // its function or version is gone, so the config goes too.
    for (const cfg of [...this.#configs.values()]) {
      if (cfg.spec.key.startsWith(prefix)) {
        this.setProvisioned(cfg.key, undefined, 0);
      }
    }
    for (const env of victims) {
      this.#unlistIdle(env);
      env.retire();
    }
    await Promise.all(victims.map((env) => env.exited));
  }

  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      this.#disposed = true;
      clearTimeout(this.#reaper);
      this.#limiter.clear();
      const stopped = new PlatformError('INTERNAL', { reason: 'the pool is shut down' });
      for (const group of this.#groups.values()) {
        clearTimeout(group.grace);
        for (const w of group.waiters.splice(0)) {
          w.reject(stopped);
        }
      }
      for (const cfg of this.#configs.values()) {
        cfg.removed = true;
        clearTimeout(cfg.grace);
        for (const w of cfg.waiters.splice(0)) {
          w.reject(stopped);
        }
      }
      this.#configs.clear();
      const all = [...this.#envs];
      for (const env of all) {
        env.kill();
      }
      await Promise.all(all.map((env) => env.exited));
      await this.#launcher.dispose();
      process.off('exit', this.#onProcessExit);
    })();
    return this.#disposing;
  }

  // ---- observation ------------------------------------------------------------------------

  environments(): EnvironmentView[] {
    return [...this.#envs].map((env) => ({
      ...this.#facts(env),
      pid: env.pid,
      state: env.state,
    }));
  }

  subscribe(listener: (event: PoolEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- EnvironmentListener ------------------------------------------------------------------

  onReady(env: Environment): void {
    this.#emit({ ...this.#facts(env), type: 'environment-ready', initDurationMs: env.initDurationMs ?? 0 });
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      group.starting--;
      this.#offer(group, env);
    }
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined) {
      cfg.failures = 0;
      if (cfg.removed || cfg.failed || env.spec.key !== cfg.spec.key) {
        env.retire();
      } else {
        this.#offerProvisioned(cfg, env);
      }
      this.#reconcile(cfg);
    }
    // Last: the freed start slot may go to a start that the bookkeeping above still needs.
    this.#limiter.release();
  }

  onAnswered(env: Environment): void {
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      group.finishing++;
      this.#finishing.set(env, group);
      return;
    }
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined && !cfg.removed && env.spec.key === cfg.spec.key) {
      cfg.finishing++;
      this.#finishing.set(env, cfg);
    }
  }

  onIdle(env: Environment): void {
    this.#unfinish(env);
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      this.#offer(group, env);
      return;
    }
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined) {
      if (cfg.removed || cfg.failed) {
        env.retire();
      } else if (env.spec.key === cfg.spec.key) {
        this.#offerProvisioned(cfg, env);
      } else {
        this.#reconcile(cfg);
      }
    }
  }

  onDead(env: Environment, cause: DeathCause): void {
    this.#envs.delete(env);
    this.#emit({ ...this.#facts(env), type: 'environment-dead', cause: describeDeath(cause) });
    try {
      this.#forget(env, cause);
    } finally {
      if (cause.phase === 'init') {
        this.#limiter.release();
      }
    }
  }

  #forget(env: Environment, cause: DeathCause): void {
    this.#unfinish(env);
    if (cause.phase === 'init' && cause.failure.kind !== 'killed') {
      this.#log.warn(
        {
          environmentId: env.id,
          fn: env.spec.functionName,
          version: env.spec.version,
          initLog: cause.initLog,
        },
        `environment failed init: ${describeDeath(cause)}`,
      );
    }
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      this.#groupOf.delete(env);
      group.live--;
      removeFrom(group.idle, env);
      if (cause.phase === 'init') {
        group.starting--;
        if (cause.failure.kind !== 'killed') {
          // §5.6: the invocation that waited for this init gets its error.
          const w = group.waiters.shift();
          if (w !== undefined) {
            w.resolve(this.#initFailureOutcome(w, env, cause.failure, cause.initLog));
          }
        }
      }
      this.#pumpGroup(group);
      this.#forgetGroupIfEmpty(group);
      return;
    }
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined) {
      this.#configOf.delete(env);
      cfg.envs.delete(env);
      removeFrom(cfg.idle, env);
      // Waiters beyond what is still finishing go back through placement.
      this.#redispatch(cfg, cfg.finishing);
      if (
        cause.phase === 'init' &&
        cause.failure.kind !== 'killed' &&
        !cfg.removed &&
        env.spec.key === cfg.spec.key
      ) {
        cfg.failures++;
        if (cfg.failures >= (this.#o.maxInitAttempts ?? MAX_INIT_ATTEMPTS)) {
          this.#fail(cfg);
        }
      }
      this.#reconcile(cfg);
    }
  }

  // ---- on-demand ----------------------------------------------------------------------------

  #waitForEnvironment(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    let group = this.#groups.get(req.spec.key);
    if (group === undefined) {
      group = new OnDemandGroup(req.spec);
      this.#groups.set(req.spec.key, group);
    }
    const g = group;
    return new Promise((resolve, reject) => {
      g.waiters.push({ req, since: performance.now(), resolve, reject });
      this.#pumpGroup(g, impatient);
      if (g.waiters.length > g.starting + g.queued) {
        // Counting on an environment that answered to come back for more.
        this.#armGrace(g);
      }
    });
  }

  /**
   * Requests the starts the group's waiters still need (placement.ts: no stampede).
   * `impatient`: environments that answered but have not come back are not counted.
   */
  #pumpGroup(group: OnDemandGroup, impatient = false): void {
    if (this.#disposed) {
      return;
    }
    const finishing = (): number => (impatient ? 0 : group.finishing);
    while (group.waiters.length > group.starting + group.queued + finishing()) {
      group.queued++;
      this.#limiter.request('on-demand', () => {
        group.queued--;
        // Re-checked when the slot comes: a warm environment may have served the waiter.
        if (!this.#disposed && group.waiters.length > group.starting + finishing()) {
          this.#startEnvironment(group.spec, 'on-demand', group, undefined);
        } else {
          this.#forgetGroupIfEmpty(group);
        }
      });
    }
  }

  /** An on-demand environment became free: the oldest waiter gets it, else the idle stack. */
  #offer(group: OnDemandGroup, env: Environment): void {
    if (this.#disposed) {
      env.kill();
      return;
    }
    const w = group.waiters.shift();
    if (w !== undefined) {
      env.invoke(w.req).then(w.resolve, w.reject);
      return;
    }
    if (this.#o.idleTimeoutMs === 0) {
      env.retire();
      return;
    }
    group.idle.push(env);
    this.#armReaper();
  }

  #forgetGroupIfEmpty(group: OnDemandGroup): void {
    if (
      group.live === 0 &&
      group.waiters.length === 0 &&
      group.queued === 0 &&
      this.#groups.get(group.spec.key) === group
    ) {
      this.#groups.delete(group.spec.key);
    }
  }

  #armReaper(): void {
    if (this.#reaper === undefined && !this.#disposed) {
      this.#reaper = setTimeout(() => this.#reap(), this.#o.idleTimeoutMs);
      this.#reaper.unref();
    }
  }

  /** Stops on-demand environments idle for idleTimeoutMs, least recently used first. */
  #reap(): void {
    this.#reaper = undefined;
    const now = performance.now();
    let nextDue = Infinity;
    for (const group of this.#groups.values()) {
      for (let oldest = group.idle[0]; oldest !== undefined; oldest = group.idle[0]) {
        const due = oldest.lastUsedMs + this.#o.idleTimeoutMs;
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          break;
        }
        group.idle.shift();
        oldest.retire();
      }
    }
    if (nextDue !== Infinity && !this.#disposed) {
      this.#reaper = setTimeout(() => this.#reap(), Math.max(1, Math.ceil(nextDue - now)));
      this.#reaper.unref();
    }
  }

  #initFailureOutcome(w: Waiter, env: Environment, f: InitFailure, initLog: string): InvocationOutcome {
    const id = w.req.requestId;
    const doc = initFailureDocument(f, id);
    const durationMs = performance.now() - w.since;
    let log: string | undefined;
    if (w.req.wantLog) {
      const capture = new LogCapture();
      capture.append(initLog);
      capture.append(startLine(id, env.spec.version));
      capture.append(endLine(id));
      capture.append(
        reportLine({
          requestId: id,
          durationMs,
          memoryMb: env.spec.memoryMb,
          maxMemoryUsedMb: undefined,
          initDurationMs: undefined,
          status: f.kind === 'timeout' ? { kind: 'timeout' } : { kind: 'error', errorType: doc.errorType },
        }),
      );
      log = capture.text();
    }
    return {
      kind: 'function-error',
      requestId: id,
      executedVersion: env.spec.version,
      durationMs,
      initializationType: 'on-demand',
      payload: doc.payload,
      errorType: doc.errorType,
      ...(log === undefined ? {} : { log }),
    };
  }

  // ---- provisioned ----------------------------------------------------------------------------

  #count(cfg: ProvisionedConfig): ProvisionedCounts {
    let currentStarting = cfg.queued;
    let currentInitialised = 0;
    let oldInitialised = 0;
    for (const env of cfg.envs) {
      const s = env.state;
      if (env.spec.key === cfg.spec.key) {
        if (s === 'starting') {
          currentStarting++;
        } else if (isInitialised(s)) {
          currentInitialised++;
        }
      } else if (isInitialised(s)) {
        oldInitialised++;
      }
    }
    return {
      requested: cfg.requested,
      failed: cfg.failed,
      currentStarting,
      currentInitialised,
      oldInitialised,
    };
  }

  /** Brings a config's live environments towards its desired state (provisioned-plan.ts). */
  #reconcile(cfg: ProvisionedConfig): void {
    if (cfg.removed || this.#disposed) {
      this.#emitStatus(cfg);
      return;
    }
    const counts = this.#count(cfg);
    const plan = planProvisioned(counts);
    for (let i = 0; i < plan.start; i++) {
      cfg.queued++;
      this.#limiter.request('provisioned', () => {
        cfg.queued--;
        if (!cfg.removed && !this.#disposed && planProvisioned(this.#count(cfg)).start > 0) {
          this.#startEnvironment(cfg.spec, 'provisioned-concurrency', undefined, cfg);
        }
      });
    }
    if (plan.retire > 0) {
      // Queued starts lapse by themselves when granted; retire processes for the rest,
      // the least useful first: starting, then idle (least recently used), then busy.
      let n = plan.retire - Math.min(plan.retire, cfg.queued);
      const current = [...cfg.envs].filter(
        (e) => e.spec.key === cfg.spec.key && e.state !== 'draining' && e.state !== 'dead',
      );
      const rank = (e: Environment): number => (e.state === 'starting' ? 0 : e.state === 'idle' ? 1 : 2);
      current.sort((x, y) => rank(x) - rank(y) || x.lastUsedMs - y.lastUsedMs);
      for (const env of current) {
        if (n-- <= 0) {
          break;
        }
        removeFrom(cfg.idle, env);
        env.retire();
      }
    }
    if (plan.retireOld) {
      for (const env of cfg.envs) {
        if (env.spec.key !== cfg.spec.key) {
          env.retire();
        }
      }
    }
    const status = provisionedStatus(this.#count(cfg));
    cfg.complete = status.status === 'READY';
    if (cfg.complete) {
      cfg.latch = true;
    }
    this.#emitStatus(cfg, status);
  }

  /** §3.4: FAILED / FUNCTION_ERROR_INIT_FAILURE after the last init attempt; nothing stays. */
  #fail(cfg: ProvisionedConfig): void {
    cfg.failed = true;
    cfg.latch = false;
    cfg.idle.length = 0;
    this.#uncountFinishing(cfg);
    this.#redispatch(cfg, 0);
    for (const env of cfg.envs) {
      env.retire();
    }
  }

  /**
   * An environment that answered usually asks for the next within microseconds (an HTTP
   * runtime's POST then GET). Waiters counting on one get FINISHING_GRACE_MS; after that
   * they stop counting on it: starts for on-demand waiters, spillover for provisioned ones.
   */
  #armGrace(owner: OnDemandGroup | ProvisionedConfig): void {
    if (owner.grace !== undefined || this.#disposed) {
      return;
    }
    owner.grace = setTimeout(() => {
      owner.grace = undefined;
      if (owner instanceof OnDemandGroup) {
        this.#pumpGroup(owner, true);
      } else {
        for (const w of owner.waiters.splice(0)) {
          this.#invoke(w.req, true).then(w.resolve, w.reject);
        }
      }
    }, FINISHING_GRACE_MS);
    owner.grace.unref();
  }

  /** A provisioned environment is free: a waiter gets it, else the config's idle stack. */
  #offerProvisioned(cfg: ProvisionedConfig, env: Environment): void {
    const w = cfg.waiters.shift();
    if (w !== undefined) {
      env.invoke(w.req).then(w.resolve, w.reject);
    } else {
      cfg.idle.push(env);
    }
  }

  /** Sends a config's waiters beyond `keep` back through placement (on-demand, usually). */
  #redispatch(cfg: ProvisionedConfig, keep: number): void {
    while (cfg.waiters.length > keep) {
      const w = cfg.waiters.pop();
      if (w !== undefined) {
        this.invoke(w.req).then(w.resolve, w.reject);
      }
    }
  }

  #unfinish(env: Environment): void {
    const owner = this.#finishing.get(env);
    if (owner !== undefined) {
      this.#finishing.delete(env);
      owner.finishing--;
    }
  }

  /** The config's finishing environments no longer serve it (new spec, failed). */
  #uncountFinishing(cfg: ProvisionedConfig): void {
    for (const [env, owner] of this.#finishing) {
      if (owner === cfg) {
        this.#finishing.delete(env);
      }
    }
    cfg.finishing = 0;
  }

  // ---- shared ---------------------------------------------------------------------------------

  #startEnvironment(
    spec: EnvironmentSpec,
    initType: InitializationType,
    group: OnDemandGroup | undefined,
    cfg: ProvisionedConfig | undefined,
  ): void {
    const timeoutMs = spec.timeoutSec * 1000;
    const env = new Environment({
      id: this.#nextId++,
      spec,
      initType,
      // §3.8: 10 s on-demand; max(130 s, function timeout) for provisioned concurrency.
      initTimeoutMs:
        initType === 'on-demand'
          ? (this.#o.onDemandInitTimeoutMs ?? 10_000)
          : Math.max(this.#o.provisionedInitTimeoutMs ?? 130_000, timeoutMs),
      launch: this.#launch,
      launcher: this.#launcher,
      listener: this,
      logSink: this.#logSink,
      ...(cfg === undefined ? {} : { provisionedKey: cfg.key }),
    });
    this.#warnOnce(spec);
    this.#limiter.take();
    this.#envs.add(env);
    if (group !== undefined) {
      group.starting++;
      group.live++;
      this.#groupOf.set(env, group);
    }
    if (cfg !== undefined) {
      cfg.envs.add(env);
      this.#configOf.set(env, cfg);
    }
    this.#emit({ ...this.#facts(env), type: 'environment-starting' });
    void env.exited.then(() => this.#emit({ ...this.#facts(env), type: 'environment-exited' }));
    // In a microtask: a start that fails at once (no bootstrap) must not recurse into the
    // caller's loop through onDead.
    queueMicrotask(() => void env.start());
  }

  /**
   * Once per function: its runtime runs on another major version than it names. Once per
   * code-root parent: node_modules folders above it cost ES-module functions a loader
   * thread at init on this Node.js (src/runtimes/node/code-root.cjs).
   */
  #warnOnce(spec: EnvironmentSpec): void {
    if (this.#launch.runtimeCommands[spec.runtime] !== undefined) {
      return;
    }
    const interpreter = this.#launch.interpreters.of(spec.runtime);
    if (interpreter === undefined) {
      return;
    }
    const who = `${spec.accountId}/${spec.region}/${spec.namespace}/${spec.functionName}/${spec.runtime}`;
    if (!interpreter.matches && !this.#warned.has(who)) {
      this.#warned.add(who);
      this.#log.warn(
        { fn: spec.functionName, runtime: spec.runtime },
        mismatchWarning(spec.runtime, interpreter),
      );
    }
    const parent = path.dirname(spec.codeDir);
    if (
      spec.runtime.startsWith('nodejs') &&
      !hasInThreadModuleHooks(interpreter.version) &&
      !this.#warned.has(parent)
    ) {
      this.#warned.add(parent);
      const above: string[] = [];
      for (let dir = parent; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, 'node_modules'))) {
          above.push(path.join(dir, 'node_modules'));
        }
        if (path.dirname(dir) === dir) {
          break;
        }
      }
      if (above.length > 0) {
        this.#log.info(
          { above },
          'function code lies below node_modules folders that functions must not see: on this Node.js, ' +
            'ES-module functions pay ~50 ms of init to keep them out (a --data-dir outside any project avoids it)',
        );
      }
    }
  }

  #unlistIdle(env: Environment): void {
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      removeFrom(group.idle, env);
    }
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined) {
      removeFrom(cfg.idle, env);
    }
  }

  #facts(env: Environment): EnvironmentFacts {
    return {
      environmentId: env.id,
      specKey: env.spec.key,
      initializationType: env.initType,
      ...(env.provisionedKey === undefined ? {} : { provisionedKey: env.provisionedKey }),
    };
  }

  #emitStatus(cfg: ProvisionedConfig, status?: ProvisionedStatus): void {
    const s =
      status ??
      (cfg.removed
        ? { allocated: 0, available: 0, status: 'IN_PROGRESS' as const }
        : provisionedStatus(this.#count(cfg)));
    const sig = `${s.status}/${s.allocated}/${s.available}`;
    if (sig !== cfg.lastStatus) {
      cfg.lastStatus = sig;
      this.#emit({ type: 'provisioned-status', provisionedKey: cfg.key, status: s });
    }
  }

  #emit(e: PoolEvent): void {
    try {
      this.#o.onEvent?.(e);
      for (const l of this.#listeners) {
        l(e);
      }
    } catch (err) {
      this.#log.error({ err }, 'pool event listener failed');
    }
  }
}
