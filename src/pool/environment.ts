/**
 * One execution environment: a child process, the channel to its runtime, its state
 * (environment-state.ts) and the invocation it is serving. It decides nothing about
 * placement; it reports readiness, idleness and death to its listener (the pool).
 *
 * Lifecycle (aws-lambda.md §5.6):
 *   1. start: plan the launch, open the Runtime API (HTTP) or the private channel, spawn
 *      in its own process group with a clean environment, cwd = the code directory;
 *   2. init ends with the runtime's first "next", raced against an init/error post, the
 *      process's exit and the init timeout, whichever comes first (never a sleep);
 *   3. invoke: deliver, arm the function timeout, wait for response/error; then "next"
 *      makes the environment idle again;
 *   4. a timeout SIGKILLs the process group (§5.6 "Reset"); a crash is answered with
 *      Runtime.ExitError (§5.7); either way the environment is dead and never reused.
 */
import { performance } from 'node:perf_hooks';
import type { EnvironmentSpec, InitializationType, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import { transition, type EnvironmentState } from './environment-state.js';
import { mismatchWarning } from './interpreters.js';
import { SandboxCacheIntake } from './code-cache-writer.js';
import { PRIVATE_FD, PRIVATE_FD_VARIABLE, launchRequest, planLaunch } from './launch.js';
import type { LaunchedProcess } from './launchers/launcher.js';
import { LogCapture, initReportLine, initStartLine, startLine, timeoutLine } from './log-capture.js';
import { closingLines, outcomeOf, type Answered, type Result } from './invocation-result.js';
import { errorTypeOf, exitError, responseTooLargeError, timeoutError } from './outcomes.js';
import { PeakMemory } from './peak-memory.js';
import { RunTimer } from './run-timer.js';
import { openPrivateChannel } from './runtime-channel/private-channel.js';
import { listenRuntimeApi, type RuntimeApiServer } from './runtime-channel/runtime-api-server.js';
import type { RuntimeChannel, RuntimeEvents } from './runtime-channel/types.js';
import type { FunctionSeries } from './stats.js';
import type { DeathCause } from './types.js';
import type { EnvironmentOptions } from './environment-options.js';

export type { DeathCause, InitFailure } from './types.js';

export type { EnvironmentListener, EnvironmentOptions, LogSink } from './environment-options.js';

interface Active {
  readonly req: InvokeRequest;
  readonly startedAt: number;
  readonly timeoutMs: number;
  readonly capture: LogCapture | undefined;
  readonly initDurationMs: number | undefined;
  readonly resolve: (o: InvocationOutcome) => void;
  done: boolean;
}

/** Init output kept for an init failure's log. */
const INIT_LOG_BYTES = 4096;

export class Environment implements RuntimeEvents {
  readonly id: number;
  readonly spec: EnvironmentSpec;
  readonly initType: InitializationType;
  readonly provisionedKey: string | undefined;
  /** Where its invocations and its init are counted (stats.ts). */
  readonly series: FunctionSeries;
  /** Set once init completed. */
  initDurationMs: number | undefined;
  /** performance.now() when the environment last became idle (MRU placement, reaping). */
  lastUsedMs = 0;
  /** Resolves when the process is gone and its pipes are closed (or it never started). */
  readonly exited: Promise<void>;

  #state: EnvironmentState = 'starting';
  #proc: LaunchedProcess | undefined;
  /** The process is within its limits (LaunchedProcess.placed), or has nothing to wait for. */
  #placed = true;
  /** Init ended (NEXT) before the process was placed: ready once it is. */
  #readyWhenPlaced = false;
  #peak: PeakMemory | undefined;
  #channel: RuntimeChannel | undefined;
  #api: RuntimeApiServer | undefined;
  #active: Active | undefined;
  #invocations = 0;
  /** Where a sandboxed runtime's code cache entries go, and what they took (code-cache-writer.ts). */
  #cacheIntake: SandboxCacheIntake | undefined;
  #startedAt = performance.now();
  #initTimer: NodeJS.Timeout | undefined;
  readonly #runTimer = new RunTimer(() => this.#onTimeout());
  #initLog: LogCapture | undefined = new LogCapture(INIT_LOG_BYTES);
  /** The capture of an invocation that has answered, until its log is closed. */
  #lingering: LogCapture | undefined;
  /** An answered invocation's END and REPORT lines are still to be written. */
  #reporting = false;
  /** The runtime asked for work while they were: the listener hears of it after them. */
  #idleAfterReport = false;
  #logStream = '';
  #resolveExited: () => void = () => undefined;
  readonly #o: EnvironmentOptions;

  constructor(o: EnvironmentOptions) {
    this.#o = o;
    this.id = o.id;
    this.spec = o.spec;
    this.initType = o.initType;
    this.provisionedKey = o.provisionedKey;
    this.series = o.series;
    this.exited = new Promise((resolve) => {
      this.#resolveExited = resolve;
    });
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  get logStreamName(): string {
    return this.#logStream;
  }

  /** True while busy with an invocation whose outcome is not known yet. */
  get invoking(): boolean {
    return this.#active !== undefined && !this.#active.done;
  }

  /**
   * Spawns the process; readiness and failure arrive through the listener. A failure of
   * hearth's own (no port, no fd) is this environment's init failure, never a rejection.
   */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (e) {
      if (this.#proc === undefined) {
        this.#resolveExited();
      }
      this.#die({
        phase: 'init',
        failure: { kind: 'entrypoint', detail: `hearth could not start the environment: ${String(e)}` },
        initLog: '',
      });
    }
  }

  async #start(): Promise<void> {
    if (this.#state === 'dead') {
      // Retired before it was spawned.
      this.#resolveExited();
      return;
    }
    const plan = planLaunch(this.spec, this.initType, this.#o.launch);
    if (!plan.ok) {
      this.#resolveExited();
      this.#die({ phase: 'init', failure: { kind: 'entrypoint', detail: plan.detail }, initLog: '' });
      return;
    }
    this.#logStream = plan.logStreamName;
    if (plan.codeCacheHost !== undefined) {
      this.#cacheIntake = new SandboxCacheIntake({
        folder: plan.codeCacheHost,
        root: this.spec.codeDir,
        taskRoot: plan.env.LAMBDA_TASK_ROOT ?? this.spec.codeDir,
      });
    }
    const env: Record<string, string> = { ...plan.env };
    if (plan.channel === 'http') {
      // Where the launcher can tell connections apart, the API admits only this
      // environment's process, and no one before it exists (issue 12 item 7).
      const api = await listenRuntimeApi(this, { guarded: this.#o.launcher.isolatesRuntimeApi === true });
      this.#api = api;
      this.#channel = api;
      env.AWS_LAMBDA_RUNTIME_API = api.address;
      // (read through the getter: the state may have changed during a spawner's await)
      if (this.state === 'dead') {
        // Retired while the port was being opened.
        api.close();
        this.#resolveExited();
        return;
      }
    } else {
      env[PRIVATE_FD_VARIABLE] = String(PRIVATE_FD);
    }
    this.#startedAt = performance.now();
    const i = plan.interpreter;
    this.#platformLog(initStartLine(this.spec.runtime, this.spec.region, i));
    if (i !== undefined && !i.matches) {
      this.#platformLog(`hearth: ${mismatchWarning(this.spec.runtime, i)}\n`);
    }
    let proc: LaunchedProcess;
    try {
      const launched = this.#o.launcher.launch(launchRequest(this.id, this.spec, plan, env), {
        onOutput: (c) => this.#output(c),
        onSpawnError: (message) => {
          // Spawning failed (ENOENT, EACCES...): there is no process to wait for.
          this.#resolveExited();
          this.#die({
            phase: 'init',
            failure: { kind: 'entrypoint', detail: `fork/exec ${plan.command}: ${message}` },
            initLog: '',
          });
        },
        onClose: (code, signal) => {
          this.#onClose(code, signal);
          this.#resolveExited();
        },
      });
      // A local fork answers at once (no await: nothing runs between the spawn and the
      // wiring below); a spawner answers once the pid and the pipes are here.
      proc = launched instanceof Promise ? await launched : launched;
    } catch (e) {
      this.#resolveExited();
      this.#die({
        phase: 'init',
        failure: { kind: 'entrypoint', detail: `fork/exec ${plan.command}: ${String(e)}` },
        initLog: '',
      });
      return;
    }
    this.#proc = proc;
    // (read through the getter: the state may have changed during a spawner's await)
    if (this.state === 'dead') {
      // Killed (or its spawn failed) while a spawner was starting it (launcher.ts).
      proc.kill();
      return;
    }
    if (proc.ownsConnection !== undefined) {
      this.#api?.admit(proc.ownsConnection.bind(proc));
    }
    this.#peak = new PeakMemory(proc);
    if (proc.placed !== undefined) {
      this.#placed = false;
      void proc.placed.then(() => {
        this.#placed = true;
        if (this.#readyWhenPlaced) {
          this.#readyWhenPlaced = false;
          this.#ready();
        }
      });
    }
    if (plan.channel === 'private') {
      if (proc.privateSocket === undefined) {
        throw new Error('the private channel did not open');
      }
      this.#channel = openPrivateChannel(proc.privateSocket, this);
    }
    if (this.#state === 'starting') {
      this.#initTimer = setTimeout(() => {
        this.#die({
          phase: 'init',
          failure: { kind: 'timeout', afterMs: this.#o.initTimeoutMs },
          initLog: this.#initLog?.text() ?? '',
        });
      }, this.#o.initTimeoutMs);
    }
  }

  /**
   * Runs one invocation; the environment must be idle. Resolves with its outcome.
   * `budgetMs`: what is left of the function's timeout (a suppressed init used the rest).
   */
  invoke(req: InvokeRequest, budgetMs?: number): Promise<InvocationOutcome> {
    this.#state = transition(this.#state, 'busy');
    const first = this.#invocations === 0;
    this.#invocations++;
    const timeoutMs = this.spec.timeoutSec * 1000;
    const leftMs = Math.max(1, Math.min(timeoutMs, budgetMs ?? timeoutMs));
    const startedAt = performance.now();
    // The runtime gets its invocation first; the bookkeeping below runs while it starts on
    // it (nothing of the runtime's can be read before this call returns: its output and
    // answer are read on later turns of the event loop, so the START line still comes
    // first in the log).
    this.#channel?.deliver({
      requestId: req.requestId,
      deadlineMs: Date.now() + leftMs,
      invokedFunctionArn: req.invokedFunctionArn,
      traceId: req.traceId ?? '',
      clientContext: req.clientContext ?? '',
      cognitoIdentity: '',
      payload: req.payload,
    });
    const capture = req.wantLog ? new LogCapture() : undefined;
    if (capture !== undefined || this.#o.logSink !== undefined) {
      const line = startLine(req.requestId, this.spec.version);
      capture?.append(line);
      this.#o.logSink?.(this, line);
    }
    this.#runTimer.arm(leftMs);
    this.#peak?.begin();
    return new Promise((resolve) => {
      this.#active = {
        req,
        startedAt,
        timeoutMs,
        capture,
        // §5.7: Init Duration is reported by the invocation that waited for the init;
        // provisioned environments initialised ahead of any invocation.
        initDurationMs: first && this.initType === 'on-demand' ? this.initDurationMs : undefined,
        resolve,
        done: false,
      };
    });
  }

  /**
   * Takes the environment out of service: at once when starting or idle; after its
   * invocation's outcome when busy (draining). Idempotent.
   */
  retire(): void {
    if (this.#state === 'busy' && this.invoking) {
      this.#state = transition(this.#state, 'draining');
    } else if (this.#state !== 'dead' && this.#state !== 'draining') {
      this.kill();
    }
  }

  /** Kills the process group now; an invocation in flight ends as `signal: killed`. */
  kill(): void {
    if (this.#state === 'starting') {
      this.#die({ phase: 'init', failure: { kind: 'killed' }, initLog: this.#initLog?.text() ?? '' });
    } else {
      this.#die({ phase: 'run', reason: 'killed' }, { code: null, signal: 'SIGKILL' });
    }
  }

  // ---- RuntimeEvents (from the channel) ------------------------------------------------

  onNext(): void {
    if (this.#state === 'starting') {
      clearTimeout(this.#initTimer);
      this.initDurationMs = performance.now() - this.#startedAt;
      this.#initLog = undefined;
      if (this.#placed) {
        this.#ready();
      } else {
        // No invocation before the process is within its memory limit (memory-cgroups.ts):
        // the move into its cgroup is still under way.
        this.#readyWhenPlaced = true;
      }
    } else if (this.#state === 'busy' && this.#active?.done === true) {
      this.#peak?.refresh();
      // The run timer stays armed for the next invocation; idle, it holds nothing open.
      this.#runTimer.idle();
      this.#active = undefined;
      this.#state = transition(this.#state, 'idle');
      this.lastUsedMs = performance.now();
      if (this.#reporting) {
        this.#idleAfterReport = true;
      } else {
        this.#o.listener.onIdle(this);
      }
    }
    // Otherwise a runtime asked for work without answering; its invocation times out.
  }

  onResponse(requestId: string, payload: Buffer, contentType: string): void {
    if (this.#isCurrent(requestId)) {
      this.#complete({ kind: 'success', payload, contentType });
    }
  }

  onError(requestId: string, errorType: string, body: Buffer): void {
    if (this.#isCurrent(requestId)) {
      // §5.4: the runtime's error document is forwarded verbatim.
      const type = errorTypeOf(errorType, body);
      this.#complete({
        kind: 'error',
        doc: { errorType: type, payload: body },
        status: { kind: 'error', errorType: type },
      });
    }
  }

  onResponseTooLarge(requestId: string): void {
    if (this.#isCurrent(requestId)) {
      const doc = responseTooLargeError();
      this.#complete({ kind: 'error', doc, status: { kind: 'error', errorType: doc.errorType } });
    }
  }

  onPeak(kb: number): void {
    this.#peak?.reported(kb);
  }

  onCacheEntry(name: string, bytes: Buffer): void {
    // Only from a runtime given no invocation yet, and within a budget (code-cache-writer.ts).
    this.#cacheIntake?.offer(name, bytes, this.#invocations);
  }

  onInitError(errorType: string, body: Buffer): void {
    if (this.#state === 'starting') {
      // §5.6 (a): the platform shuts the runtime down; the body is the init error.
      this.#die({
        phase: 'init',
        failure: { kind: 'init-error', errorType: errorTypeOf(errorType, body), body },
        initLog: this.#initLog?.text() ?? '',
      });
    }
  }

  onProtocolError(): void {
    this.#die({ phase: 'run', reason: 'protocol' }, { code: null, signal: 'SIGKILL' });
  }

  // ---- internals --------------------------------------------------------------------------

  #isCurrent(requestId: string): boolean {
    const a = this.#active;
    return a !== undefined && !a.done && a.req.requestId === requestId;
  }

  #output(chunk: Buffer): void {
    const a = this.#active;
    if (this.#lingering !== undefined) {
      // Written before the answer that has just been read: it belongs to that invocation.
      this.#lingering.append(chunk);
    } else if (a !== undefined && !a.done) {
      a.capture?.append(chunk);
    } else if (this.#initLog !== undefined) {
      this.#initLog.append(chunk);
    }
    this.#o.logSink?.(this, chunk);
  }

  #platformLog(line: string): void {
    this.#initLog?.append(line);
    this.#o.logSink?.(this, line);
  }

  #onTimeout(): void {
    const a = this.#active;
    if (a === undefined) {
      return;
    }
    if (a.done) {
      // Answered but never asked for the next: the invoke phase lasts until /next, and
      // the timeout bounds it (§5.6); the caller has its answer, the environment is reset.
      this.#die({ phase: 'run', reason: 'timeout' });
      return;
    }
    const doc = timeoutError(a.req.requestId, a.timeoutMs);
    const line = timeoutLine(a.req.requestId, a.timeoutMs, new Date());
    a.capture?.append(line);
    this.#o.logSink?.(this, line);
    this.#complete({ kind: 'error', doc, status: { kind: 'timeout' } });
    // §5.6 Timeout: reset the environment.
    this.#die({ phase: 'run', reason: 'timeout' });
  }

  /** Init is over and the process is within its limits: idle, and the pool is told. */
  #ready(): void {
    if (this.#state !== 'starting') {
      return;
    }
    this.#state = transition(this.#state, 'idle');
    this.lastUsedMs = performance.now();
    if (this.initType === 'provisioned-concurrency') {
      this.#platformLog(initReportLine(this.initDurationMs ?? 0, 'success'));
    }
    this.#peak?.refresh();
    this.#o.listener.onReady(this);
  }

  #onClose(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#state === 'starting') {
      this.#die({
        phase: 'init',
        failure: { kind: 'exit', code, signal },
        initLog: this.#initLog?.text() ?? '',
      });
    } else {
      this.#die({ phase: 'run', reason: 'exit' }, { code, signal });
    }
  }

  /**
   * The one way to dead: stop timers, kill the group, close the channel, answer an open
   * invocation with Runtime.ExitError, tell the listener. Runs once.
   */
  #die(cause: DeathCause, exit?: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.#state === 'dead') {
      return;
    }
    this.#state = transition(this.#state, 'dead');
    clearTimeout(this.#initTimer);
    this.#runTimer.stop();
    this.#proc?.kill();
    this.#channel?.close();
    const a = this.#active;
    if (a !== undefined && !a.done) {
      const doc =
        exit === undefined
          ? exitError(a.req.requestId, null, 'SIGKILL')
          : exitError(a.req.requestId, exit.code, exit.signal);
      // The answer is Lambda's Runtime.ExitError ("signal: killed"); the REPORT line names
      // the out-of-memory kill, as Lambda's does.
      const oom = exit?.signal === 'SIGKILL' && this.#proc?.oomKilled() === true;
      this.#complete({
        kind: 'error',
        doc,
        status: { kind: 'error', errorType: oom ? 'Runtime.OutOfMemory' : doc.errorType },
      });
    }
    if (cause.phase === 'init' && cause.failure.kind !== 'killed') {
      this.#platformLog(
        initReportLine(
          performance.now() - this.#startedAt,
          cause.failure.kind === 'timeout' ? 'timeout' : 'error',
          this.#o.initPhase,
        ),
      );
      // The INIT_REPORT line belongs to the init's log that the waiting invocation gets.
      this.#o.listener.onDead(this, { ...cause, initLog: this.#initLog?.text() ?? cause.initLog });
      return;
    }
    this.#o.listener.onDead(this, cause);
  }

  #complete(result: Result): void {
    const a = this.#active;
    if (a === undefined || a.done) {
      return;
    }
    a.done = true;
    if (this.#state !== 'busy') {
      // Otherwise the timer runs on until the runtime asks for the next invocation.
      this.#runTimer.stop();
    }
    const durationMs = performance.now() - a.startedAt;
    if (this.#state === 'busy') {
      this.#o.listener.onAnswered(this);
    }
    const logging = a.capture !== undefined || this.#o.logSink !== undefined;
    const answered: Answered = {
      requestId: a.req.requestId,
      executedVersion: this.spec.version,
      durationMs,
      initializationType: this.initType,
      initDurationMs: a.initDurationMs,
    };
    const answer = (maxMemoryUsedMb: number | undefined, log: string | undefined): void => {
      const outcome = outcomeOf(answered, result, maxMemoryUsedMb, log);
      this.#o.listener.onOutcome(this, a.req, outcome);
      a.resolve(outcome);
    };
    if (!logging) {
      // The peak at most a second old, at no cost (peak-memory.ts).
      answer(this.#peak?.forAnswer(false), undefined);
    } else {
      // A caller that does not wait for the log's tail has its answer now, with the peak
      // as without a log; the END and REPORT lines follow with the peak read exactly.
      const early = a.capture === undefined;
      if (early) {
        answer(this.#peak?.forAnswer(false), undefined);
      }
      const report = (): void => {
        if (this.#lingering === a.capture) {
          this.#lingering = undefined;
        }
        const maxMemoryUsedMb = this.#peak?.forAnswer(true);
        const lines = closingLines(answered, result, this.spec.memoryMb, maxMemoryUsedMb);
        a.capture?.append(lines);
        this.#o.logSink?.(this, lines);
        if (!early) {
          answer(maxMemoryUsedMb, a.capture?.text());
        }
      };
      if (this.#state === 'dead') {
        report();
      } else {
        // The runtime wrote its log lines before its answer, but on another pipe: one turn
        // of the event loop lets everything already written be read first (README). Until
        // then the environment takes no other invocation, whose START line would come first.
        this.#lingering = a.capture;
        this.#reporting = true;
        setImmediate(() => {
          report();
          this.#reporting = false;
          if (this.#idleAfterReport) {
            this.#idleAfterReport = false;
            if (this.#state === 'idle') {
              this.#o.listener.onIdle(this);
            }
          }
        });
      }
    }
    if (this.#state === 'draining') {
      this.kill();
    }
  }
}
