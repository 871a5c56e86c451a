/**
 * The data plane: the thin composition of the pool's parts (ARCHITECTURE.md, next shape).
 *
 *   dispatch.ts            where an invocation runs (placement.ts decides, pure)
 *   admission/leases.ts    on-demand leases per reserved function and per scope
 *   on-demand/             groups of on-demand environments per spec, the reaper
 *   provisioned/           provisioned configs (a closed state union), reconcile
 *   launchers/             where an environment's process runs (a local process today)
 *   runtimes/ + launch.ts  what runs in it (node, python, provided)
 *   environment.ts         one environment: channel, init race, invocation, death
 *
 * It owns every environment, routes each environment's events to the shell that owns it,
 * and implements the Pool port and the observation of tests, metrics and dashboards.
 * Invariants: a lease is released on every path out of an invoke; an environment is in at
 * most one idle stack and only while idle; every environment is killed by `dispose`.
 */
import type { Logger } from 'pino';
import { PlatformError } from '../core/errors.js';
import type { ProvisionedStatus } from '../core/model.js';
import type { EnvironmentSpec, InitializationType, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import { Leases } from './admission/leases.js';
import { DEFAULT_CODE_CACHE_MAX_MB, pruneCodeCache } from './code-cache.js';
import { Dispatcher } from './dispatch.js';
import { Environment, type EnvironmentListener, type LogSink } from './environment.js';
import { initLimitMs, type InitPhase } from './init-limits.js';
import { BUNDLED_RUNTIMES, Interpreters } from './interpreters.js';
import {
  PRIVATE_FD,
  PRIVATE_FD_VARIABLE,
  defaultNodeRuntimeEntry,
  defaultPythonRuntimeEntry,
  findOnPath,
  launchRequest,
  planLaunch,
  type LaunchOptions,
} from './launch.js';
import type { Launcher } from './launchers/launcher.js';
import { DEFAULT_OWNER, OWNER_VARIABLE, ownerMark, sweepOrphans } from './orphans.js';
import { ProcessLauncher } from './launchers/process-launcher.js';
import { openSandboxLauncher, SandboxLauncher } from './launchers/sandbox-launcher.js';
import { Spawner } from './launchers/spawner.js';
import { createLogSink } from './log-sink.js';
import { openMemoryCgroups } from './memory-cgroups.js';
import { OnDemandShell } from './on-demand/on-demand-shell.js';
import type { PoolOptions } from './pool-options.js';
import { ProvisionedShell } from './provisioned/provisioned-shell.js';
import { RuntimeWarnings } from './runtime-warnings.js';
import type { ShellContext } from './shell-context.js';
import { StartLimiter } from './start-limiter.js';
import { PoolStats } from './stats.js';
import {
  describeDeath,
  type DeathCause,
  type EnvironmentFacts,
  type EnvironmentView,
  type HearthPool,
  type PoolEvent,
} from './types.js';

const DEFAULT_CREDENTIALS = {
  accessKeyId: 'HEARTHLOCALACCESSKEY',
  secretAccessKey: 'hearth-local-secret-access-key',
  sessionToken: 'hearth-local-session-token',
};

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export class DataPlane implements HearthPool, EnvironmentListener {
  readonly #o: PoolOptions;
  readonly #log: Logger;
  readonly #launch: LaunchOptions;
  readonly #launcher: Launcher;
  readonly #limiter: StartLimiter;
  readonly #logSink: LogSink | undefined;
  readonly #warnings: RuntimeWarnings;
  readonly #onDemand: OnDemandShell;
  readonly #provisioned: ProvisionedShell;
  readonly #dispatch: Dispatcher;
  readonly #envs = new Set<Environment>();
  readonly #listeners = new Set<(e: PoolEvent) => void>();
  /** The pool's counters (stats.ts), read by /metrics and the dashboard. */
  readonly stats = new PoolStats();
  #nextId = 1;
  #disposed = false;
  #codeCachePrune: Promise<void> | undefined;
  #codeCachePruneAgain = false;
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
    // Once no environment is starting, the launcher may start its own in the background.
    this.#limiter = new StartLimiter(o.maxConcurrentStarts, () => this.#launcher.quiet?.());
    const pathList = o.path ?? DEFAULT_PATH;
    const interpreters =
      o.interpreters ??
      new Interpreters({
        configured: o.runtimeInterpreters ?? {},
        path: pathList,
        hostNode: { command: process.execPath, version: process.version },
      });
    interpreters.verifyConfigured();
    const cgroups =
      typeof o.memoryCgroups === 'object'
        ? o.memoryCgroups
        : (o.memoryCgroups ?? true) && process.platform === 'linux'
          ? openMemoryCgroups({
              onUnavailable: (reason) =>
                this.#log.info(
                  { reason },
                  'environments are limited by their V8 heap (Node.js) or data segment (Python) only (no memory cgroup)',
                ),
              onError: (message) => this.#log.warn(message),
            })
          : undefined;
    const chrt =
      (o.batchScheduling ?? true) && process.platform === 'linux' ? findOnPath('chrt', pathList) : undefined;
    // Environments die with hearth (setpriv --pdeathsig); what an earlier run left is swept by start().
    const setpriv = process.platform === 'linux' ? findOnPath('setpriv', pathList) : undefined;
    const owner = ownerMark(o.owner ?? DEFAULT_OWNER);
    // Environments (sandboxed or not) are forked by a small process, not by hearth's own thread.
    const spawner =
      o.spawner !== false && process.platform === 'linux'
        ? new Spawner({ env: { PATH: pathList, [OWNER_VARIABLE]: owner }, setpriv, chrt })
        : undefined;
    this.#launcher =
      (process.platform === 'linux' && o.sandbox !== undefined
        ? openSandboxLauncher({
            setting: o.sandbox,
            bwrap: findOnPath('bwrap', pathList),
            setpriv,
            chrt,
            cgroups,
            log: this.#log,
            prestarted: o.sandboxTaskDir === undefined ? 0 : (o.prestartedRuntimes ?? 0),
            ...(o.sandboxTaskDir === undefined ? {} : { taskDir: o.sandboxTaskDir }),
            onPrestartError: (message) => this.#log.warn(message),
            newId: () => this.#nextId++,
            ...(spawner === undefined ? {} : { spawner }),
          })
        : undefined) ??
      new ProcessLauncher({
        cgroups,
        setpriv,
        owner,
        chrt,
        prestarted: o.prestartedRuntimes ?? 0,
        onPrestartError: (message) => this.#log.warn(message),
        ...(spawner === undefined ? {} : { spawner }),
      });
    this.#launch = {
      interpreters,
      memoryCgroups: this.#launcher.limitsMemory,
      // Resolved once here, not at every launch (launch.ts would stat the candidates each time).
      pythonRuntimeEntry: o.pythonRuntimeEntry ?? defaultPythonRuntimeEntry(),
      nodeRuntimeEntry: o.nodeRuntimeEntry ?? defaultNodeRuntimeEntry(),
      nodeChannel: o.nodeChannel ?? 'private',
      nodeFlags: o.nodeFlags ?? ['--v8-pool-size=1'],
      // A sandbox sees its function's entries read-only, and sends new ones
      // (code-cache-writer.ts).
      ...(o.codeCacheDir !== undefined ? { codeCacheDir: o.codeCacheDir } : {}),
      runtimeCommands: o.runtimeCommands ?? {},
      credentials: o.credentials ?? DEFAULT_CREDENTIALS,
      path: pathList,
      fileView: this.#launcher.lambdaFilesystem === true ? 'lambda' : 'host',
    };
    this.#logSink = createLogSink(o.onFunctionLog, this.#log);
    this.#warnings = new RuntimeWarnings(interpreters, this.#log);
    const ctx: ShellContext = {
      options: o,
      log: this.#log,
      limiter: this.#limiter,
      disposed: () => this.#disposed,
      emit: (e) => this.#emit(e),
      stats: this.stats,
      startEnvironment: (spec, initType, provisionedKey, adopt, phase) =>
        this.#startEnvironment(spec, initType, provisionedKey, adopt, phase),
      invoke: (req, impatient) => this.#route(req, impatient),
    };
    this.#onDemand = new OnDemandShell(ctx);
    this.#provisioned = new ProvisionedShell(ctx);
    this.#dispatch = new Dispatcher(this.#provisioned, this.#onDemand, new Leases(), this.stats);
    process.on('exit', this.#onProcessExit);
  }

  // ---- Pool port --------------------------------------------------------------------------

  /** Resolves every bundled runtime's interpreter before the first start (interpreters.ts). */
  async start(): Promise<void> {
    const swept = await sweepOrphans(this.#o.owner ?? DEFAULT_OWNER);
    if (swept.length > 0) {
      this.#log.warn(
        { pids: swept },
        `killed ${swept.length} environment processes an earlier run left behind`,
      );
    }
    await this.#launch.interpreters.warm(BUNDLED_RUNTIMES);
    this.#expectUsualLaunches();
    // Off the critical path: no environment waits for it.
    this.#pruneCodeCache();
  }

  /**
   * The launches most likely to come first, a 128 MB function of each bundled language with
   * no variables of its own (AWS's default MemorySize): the launcher may have a process
   * ready for each before any function exists (pre-started runtimes, launchers/prestarted.ts),
   * so that even the first cold start does not wait for an interpreter to start.
   */
  #expectUsualLaunches(): void {
    const launcher = this.#launcher;
    if (launcher.expect === undefined || this.#disposed) {
      return;
    }
    const node = `nodejs${process.versions.node.split('.')[0] ?? '20'}.x`;
    for (const runtime of [BUNDLED_RUNTIMES.includes(node) ? node : 'nodejs20.x', 'python3.12']) {
      const spec: EnvironmentSpec = {
        key: `hearth/expected/${runtime}`,
        accountId: '000000000000',
        region: 'us-east-1',
        namespace: 'default',
        functionName: 'expected',
        version: '$LATEST',
        runtime,
        handler: 'index.handler',
        memoryMb: 128,
        timeoutSec: 3,
        environment: {},
        codeDir: '/',
        logGroup: '/aws/lambda/expected',
      };
      const plan = planLaunch(spec, 'on-demand', this.#launch);
      if (!plan.ok || plan.startVariables === undefined) {
        continue;
      }
      const env =
        plan.channel === 'private' ? { ...plan.env, [PRIVATE_FD_VARIABLE]: String(PRIVATE_FD) } : plan.env;
      launcher.expect(launchRequest(0, spec, plan, env));
    }
    if (this.#limiter.active === 0) {
      launcher.quiet?.();
    }
  }

  /**
   * Prunes the code cache folder in the background (code-cache.ts pruneCodeCache); a
   * request while one runs makes it run once more after, never two at once.
   */
  #pruneCodeCache(): void {
    const dir = this.#launch.codeCacheDir;
    if (dir === undefined || this.#disposed) {
      return;
    }
    if (this.#codeCachePrune !== undefined) {
      this.#codeCachePruneAgain = true;
      return;
    }
    const maxBytes = (this.#o.codeCacheMaxMb ?? DEFAULT_CODE_CACHE_MAX_MB) * 1024 * 1024;
    this.#codeCachePrune = pruneCodeCache(dir, maxBytes)
      .then((r) => {
        if (r.stale + r.evicted > 0) {
          this.#log.info({ ...r }, 'code cache pruned');
        }
      })
      .catch((e: unknown) => this.#log.warn({ err: String(e) }, 'code cache prune failed'))
      .finally(() => {
        this.#codeCachePrune = undefined;
        if (this.#codeCachePruneAgain) {
          this.#codeCachePruneAgain = false;
          this.#pruneCodeCache();
        }
      });
  }

  async codeCachePruned(): Promise<void> {
    while (this.#codeCachePrune !== undefined) {
      await this.#codeCachePrune;
    }
  }

  invoke(req: InvokeRequest): Promise<InvocationOutcome> {
    return this.#invoke(req, false);
  }

  setProvisioned(
    provisionedKey: string,
    spec: EnvironmentSpec | undefined,
    count: number,
    growing?: { readonly keepServing: boolean },
  ): void {
    this.#provisioned.set(provisionedKey, spec, count, growing?.keepServing === true);
  }

  provisionedStatus(provisionedKey: string): ProvisionedStatus {
    return this.#provisioned.status(provisionedKey);
  }

  provisionedUtilization(provisionedKey: string): number {
    return this.#provisioned.utilization(provisionedKey);
  }

  provisionedIdle(provisionedKey: string, specKey: string): number {
    const p = this.#provisioned.placement(provisionedKey, specKey, true);
    return p?.usable === true ? p.idle : 0;
  }

  async drain(prefix: string): Promise<void> {
    const victims = [...this.#envs].filter((env) => env.spec.key.startsWith(prefix));
    // A provisioned config still running a drained spec would start replacements at once:
    // its function or version is gone, so the config goes too.
    this.#provisioned.drain(prefix);
    this.stats.forget(prefix);
    for (const env of victims) {
      this.#onDemand.unlistIdle(env);
      this.#provisioned.unlistIdle(env);
      env.retire();
    }
    await Promise.all(victims.map((env) => env.exited));
    // The drained spec's code may be gone or replaced: its entries are what a cap evicts.
    this.#pruneCodeCache();
  }

  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      this.#disposed = true;
      this.#limiter.clear();
      const stopped = new PlatformError('INTERNAL', { reason: 'the pool is shut down' });
      this.#onDemand.dispose(stopped);
      this.#provisioned.dispose(stopped);
      const all = [...this.#envs];
      for (const env of all) {
        env.kill();
      }
      await Promise.all(all.map((env) => env.exited));
      await this.#launcher.dispose();
      await this.#codeCachePrune;
      process.off('exit', this.#onProcessExit);
    })();
    return this.#disposing;
  }

  // ---- observation ------------------------------------------------------------------------

  prestartedRuntimes(): Promise<number[]> {
    const launcher = this.#launcher;
    if (launcher instanceof SandboxLauncher) {
      return launcher.settled();
    }
    return launcher instanceof ProcessLauncher && launcher.prestarted !== undefined
      ? launcher.prestarted.settled()
      : Promise.resolve([]);
  }

  environments(): EnvironmentView[] {
    return [...this.#envs].map((env) => ({ ...this.#facts(env), pid: env.pid, state: env.state }));
  }

  watchProvisioned(listener: (provisionedKey: string, status: ProvisionedStatus) => void): () => void {
    return this.subscribe((e) => {
      if (e.type === 'provisioned-status') {
        listener(e.provisionedKey, e.status);
      }
    });
  }

  subscribe(listener: (event: PoolEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- EnvironmentListener: routed to the shell that owns the environment -----------------

  onReady(env: Environment): void {
    this.stats.initialised(env.series, env.initType, env.initDurationMs ?? 0);
    this.#emit({ ...this.#facts(env), type: 'environment-ready', initDurationMs: env.initDurationMs ?? 0 });
    this.#onDemand.onReady(env);
    this.#provisioned.onReady(env);
    // Last: the freed start slot may go to a start that the bookkeeping above still needs.
    this.#limiter.release();
  }

  onOutcome(env: Environment, req: InvokeRequest, outcome: InvocationOutcome): void {
    this.stats.outcome(env.series, req, outcome, env.initType);
  }

  onAnswered(env: Environment): void {
    this.#onDemand.onAnswered(env);
    this.#provisioned.onAnswered(env);
  }

  onIdle(env: Environment): void {
    this.#onDemand.onIdle(env);
    this.#provisioned.onIdle(env);
  }

  onDead(env: Environment, cause: DeathCause): void {
    this.#envs.delete(env);
    this.#emit({ ...this.#facts(env), type: 'environment-dead', cause: describeDeath(cause) });
    try {
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
      this.#onDemand.onDead(env, cause);
      this.#provisioned.onDead(env, cause);
    } finally {
      if (cause.phase === 'init') {
        this.#limiter.release();
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------

  #invoke(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    if (this.#disposed) {
      return Promise.reject(new PlatformError('INTERNAL', { reason: 'the pool is shut down' }));
    }
    return this.#dispatch.invoke(req, impatient);
  }

  /** A waiting invocation back through placement (its admission already taken). */
  #route(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    if (this.#disposed) {
      return Promise.reject(new PlatformError('INTERNAL', { reason: 'the pool is shut down' }));
    }
    return this.#dispatch.route(req, impatient);
  }

  #startEnvironment(
    spec: EnvironmentSpec,
    initType: InitializationType,
    provisionedKey: string | undefined,
    adopt: (env: Environment) => void,
    phase: InitPhase = 'init',
  ): void {
    const env = new Environment({
      id: this.#nextId++,
      spec,
      initType,
      // §3.8: 10 s on-demand (then once more inside the invoke); max(130 s, timeout) provisioned.
      initTimeoutMs: initLimitMs(spec, initType, phase, this.#o),
      initPhase: phase,
      launch: this.#launch,
      launcher: this.#launcher,
      listener: this,
      logSink: this.#logSink,
      series: this.stats.series(spec),
      ...(provisionedKey === undefined ? {} : { provisionedKey }),
    });
    this.#warnings.check(
      spec,
      this.#launch.runtimeCommands[spec.runtime] !== undefined,
      this.#launch.fileView === 'lambda',
    );
    this.#limiter.take();
    this.#envs.add(env);
    adopt(env);
    this.#emit({ ...this.#facts(env), type: 'environment-starting' });
    void env.exited.then(() => this.#emit({ ...this.#facts(env), type: 'environment-exited' }));
    // In a microtask: a start that fails at once (no bootstrap) must not recurse into the
    // caller's loop through onDead.
    queueMicrotask(() => void env.start());
  }

  #facts(env: Environment): EnvironmentFacts {
    return {
      environmentId: env.id,
      specKey: env.spec.key,
      initializationType: env.initType,
      ...(env.provisionedKey === undefined ? {} : { provisionedKey: env.provisionedKey }),
    };
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
