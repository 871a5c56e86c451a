/**
 * Pre-started runtimes ("blanks"): processes of a bundled runtime client (Node.js,
 * Python) started before any function needs them, so that a cold start does not wait for
 * the interpreter to start (src/pool/README.md "Pre-started runtimes" has the figures).
 *
 * A blank is started with the command, arguments and MemorySize (memory cgroup) of the
 * launch that asked for it, with only the variables its interpreter reads at start
 * (`LaunchRequest.startVariables`: NODE_OPTIONS, TZ, LD_LIBRARY_PATH...) and PATH, and
 * `_HEARTH_BLANK=1`; its client loads its own modules and blocks on the private channel.
 * A later launch with the same command, arguments, MemorySize, scheduling and values of
 * those variables takes it: the launcher writes ASSIGN (the whole environment and working
 * directory a fresh process would have had) on its channel, and hands its output and its
 * end to the new environment. The client applies the assignment before anything of the
 * function runs (src/runtimes/node/blank.cjs, src/runtimes/python/hearth_runtime.py).
 *
 * Blanks are started when the pool is quiet (`quiet()`: no environment starting), for the
 * keys launched since: never in competition with a start someone waits for. At most `max`
 * wait at once, one per key; a key without one gets one if there is room, or replaces the
 * blank of the key launched least recently, if that was over `reassignAfterMs` ago
 * (default 10 s): keys in use keep theirs, a new key gets a slot from one that is idle,
 * and keys that alternate faster cost at most one start and kill per slot per period. A
 * burst (Put(100)) takes at most the one blank of its key and leaves one behind.
 *
 * Both launchers use it: the process launcher takes a blank as it is (`take`); the sandbox
 * launcher claims one, fills its /var/task with the function's code, then assigns it
 * (`claim`, sandbox-launcher.ts, task-links.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { encodeAssign } from '../runtime-channel/frames.js';
import type { LaunchHandlers, LaunchRequest, LaunchedProcess } from './launcher.js';

/** Set in a blank's environment at exec: its client waits for ASSIGN (blank.cjs). */
export const BLANK_VARIABLE = '_HEARTH_BLANK';

/** Output a blank wrote before it was taken, kept for its environment's log up to this much. */
const EARLY_OUTPUT_BYTES = 64 * 1024;

/** Starts a process as the launcher does, its memory cgroup named `cgroupName`. */
export type StartProcess = (
  req: LaunchRequest,
  handlers: LaunchHandlers,
  cgroupName: string,
) => LaunchedProcess | Promise<LaunchedProcess>;

export interface PrestartedOptions {
  /** At most this many blanks wait at once (over all keys); 0 turns them off. */
  readonly max: number;
  readonly start: StartProcess;
  /** The blank of a key launched longer ago than this may be replaced (default 10 s). */
  readonly reassignAfterMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
  /** A blank that could not start or died while waiting. */
  readonly onError?: (message: string) => void;
  /**
   * What else a blank for `req` must have been started with, as the launcher starts it
   * (a sandbox's /tmp size and host paths); undefined when `req` cannot take a blank here
   * (a sandbox with layers). Default: nothing else.
   */
  readonly keyOf?: (req: LaunchRequest) => readonly unknown[] | undefined;
  /** The id of a blank's launch request (the data plane's next environment id); default the launch's that asked for it. */
  readonly newId?: () => number;
  /** Whether a process runs (tests); default processAlive. */
  readonly alive?: (pid: number) => boolean;
}

interface Blank {
  readonly key: string;
  readonly name: string;
  readonly startedAt: number;
  /** Once the launcher has answered (a spawner answers asynchronously). */
  proc: LaunchedProcess | undefined;
  /** The taking environment's handlers. */
  target: LaunchHandlers | undefined;
  early: Buffer[];
  earlyBytes: number;
  /** It can no longer be taken: it ended, failed to start, or was killed by this class. */
  gone: boolean;
  /** Resolves true once `proc` is known, false if it never will be. */
  readonly arrived: Promise<boolean>;
  readonly closed: Promise<void>;
}

/** Whether `pid` runs (not a zombie), from /proc; where there is no /proc, kill(pid, 0). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    if (existsSync('/proc/self')) {
      return false;
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The variables `req` starts with that `startVariables` matches, in a stable order. */
function startValues(req: LaunchRequest, startVariables: RegExp): [string, string][] {
  return Object.entries(req.env)
    .filter(([name]) => startVariables.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * What a blank for `req` must have been started with, as one string; undefined when `req`
 * cannot be served by a blank.
 */
export function blankKey(req: LaunchRequest): string | undefined {
  if (req.startVariables === undefined || !req.privateChannel) {
    return undefined;
  }
  return JSON.stringify([
    req.command,
    req.args,
    req.memoryMb,
    req.batchScheduling,
    startValues(req, req.startVariables),
  ]);
}

/** A blank taken out of waiting (`PrestartedRuntimes.claim`). */
export interface ClaimedBlank {
  /** Its name, as its launcher was given it (`blank-<n>`: its memory cgroup). */
  readonly name: string;
  /** Whether it still runs (it may die while its launcher prepares). */
  alive(): boolean;
  /** Kills it (the launcher could not prepare it). */
  release(): void;
  /** Hands it the function: its whole environment and working directory (ASSIGN). */
  assign(env: Readonly<Record<string, string>>, cwd: string, h: LaunchHandlers): LaunchedProcess;
}

export class PrestartedRuntimes {
  readonly #o: PrestartedOptions;
  readonly #now: () => number;
  /** Blanks not taken yet, oldest first. */
  #waiting: Blank[] = [];
  /** Keys launched since the pool was last quiet, with their last launch: refilled then. */
  #wanted = new Map<string, LaunchRequest>();
  /** When each key was last launched (the clock of `now`). */
  #lastLaunch = new Map<string, number>();
  #started = 0;
  #disposed = false;

  constructor(o: PrestartedOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => performance.now());
  }

  /**
   * A blank for `req`, given `req`'s function: its environment `envOf()` (as the launcher
   * would start the process with; made only for a blank) and `req.cwd`; undefined when none
   * is ready (the caller starts a process itself). Either way `req`'s key gets a blank at
   * the next `quiet()` when the rules above allow.
   */
  take(
    req: LaunchRequest,
    envOf: () => Readonly<Record<string, string>>,
    h: LaunchHandlers,
  ): LaunchedProcess | undefined {
    return this.claim(req)?.assign(envOf(), req.cwd, h);
  }

  /**
   * `take` in two steps, for a launcher that prepares something between them (a sandbox's
   * /var/task, sandbox-launcher.ts): the blank for `req`, no longer waiting, or undefined
   * when none is ready. The caller then assigns it or releases it (kills it).
   */
  claim(req: LaunchRequest): ClaimedBlank | undefined {
    const key = this.#keyOf(req);
    if (key === undefined || this.#disposed || this.#o.max <= 0) {
      return undefined;
    }
    let blank: Blank | undefined;
    for (const b of [...this.#waiting]) {
      if (b.key === key && b.proc !== undefined && !b.gone && this.#alive(b)) {
        blank = b;
        this.#waiting.splice(this.#waiting.indexOf(b), 1);
        break;
      }
    }
    const proc = blank?.proc;
    this.#wanted.delete(key);
    this.#wanted.set(key, req);
    this.#lastLaunch.set(key, this.#now());
    if (blank === undefined || proc === undefined) {
      return undefined;
    }
    if (proc.privateSocket === undefined) {
      // (cannot be: blanks are started with the private channel)
      this.#kill(blank);
      return undefined;
    }
    const socket = proc.privateSocket;
    const b = blank;
    return {
      name: b.name,
      alive: () => !b.gone && (this.#o.alive ?? processAlive)(proc.pid ?? -1),
      release: () => this.#kill(b),
      assign: (env, cwd, h) => {
        b.target = h;
        socket.write(encodeAssign({ env, cwd }));
        const early = b.early;
        b.early = [];
        if (early.length > 0) {
          // After the launcher's answer has been wired up by the environment.
          queueMicrotask(() => {
            for (const c of early) {
              h.onOutput(c);
            }
          });
        }
        return proc;
      },
    };
  }

  /** A launch like `req` is likely: its key gets a blank at the next `quiet()` (rules above). */
  expect(req: LaunchRequest): void {
    const key = this.#keyOf(req);
    if (key !== undefined && !this.#disposed && this.#o.max > 0 && !this.#wanted.has(key)) {
      this.#wanted.set(key, req);
    }
  }

  /**
   * No environment is starting (the pool's start limiter is idle): blanks for the keys
   * launched since are started now, when they slow no one's start (a blank started at
   * once competed for the CPU with the init of the environment that had just taken the
   * previous one).
   */
  quiet(): void {
    if (this.#disposed) {
      return;
    }
    const wanted = [...this.#wanted];
    this.#wanted.clear();
    // Keys not launched for a while and without a blank are forgotten.
    const now = this.#now();
    const after = this.#o.reassignAfterMs ?? 10_000;
    for (const [key, at] of this.#lastLaunch) {
      if (now - at >= after && !this.#waiting.some((b) => b.key === key)) {
        this.#lastLaunch.delete(key);
      }
    }
    for (const [key, req] of wanted) {
      this.#refill(key, req);
    }
  }

  /**
   * Whether a blank's process still runs: one that has died but whose end has not been
   * reported yet (a zombie) is dropped rather than given a function that would then fail
   * its init for a reason of the platform's. One read of /proc/<pid>/stat per cold start.
   */
  #alive(b: Blank): boolean {
    const pid = b.proc?.pid;
    const alive = pid !== undefined && (this.#o.alive ?? processAlive)(pid);
    if (!alive) {
      this.#waiting.splice(this.#waiting.indexOf(b), 1);
      this.#kill(b);
    }
    return alive;
  }

  /** The pids of the blanks waiting now (tests, diagnostics). */
  pids(): number[] {
    return this.#waiting.flatMap((b) => (b.proc?.pid === undefined || b.gone ? [] : [b.proc.pid]));
  }

  /**
   * The pids of the blanks waiting, once those being started now have been (their
   * launcher has answered): tests and diagnostics.
   */
  async settled(): Promise<number[]> {
    await Promise.all(this.#waiting.map((b) => b.arrived));
    return this.pids();
  }

  /** Kills every waiting blank and resolves when they have ended. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const all = this.#waiting;
    this.#waiting = [];
    for (const b of all) {
      this.#kill(b);
    }
    await Promise.all(all.map((b) => b.closed));
  }

  #refill(key: string, req: LaunchRequest): void {
    if (this.#waiting.some((b) => b.key === key && !b.gone)) {
      return;
    }
    if (this.#waiting.length >= this.#o.max) {
      const now = this.#now();
      const after = this.#o.reassignAfterMs ?? 10_000;
      const lastUse = (b: Blank): number => Math.max(b.startedAt, this.#lastLaunch.get(b.key) ?? 0);
      let old: Blank | undefined;
      for (const b of this.#waiting) {
        if (now - lastUse(b) >= after && (old === undefined || lastUse(b) < lastUse(old))) {
          old = b;
        }
      }
      if (old === undefined) {
        return;
      }
      this.#waiting.splice(this.#waiting.indexOf(old), 1);
      this.#lastLaunch.delete(old.key);
      this.#kill(old);
    }
    this.#startBlank(key, req);
  }

  #keyOf(req: LaunchRequest): string | undefined {
    const extra = this.#o.keyOf === undefined ? [] : this.#o.keyOf(req);
    if (extra === undefined) {
      return undefined;
    }
    const key = blankKey(req);
    return key === undefined || extra.length === 0 ? key : `${key}${JSON.stringify(extra)}`;
  }

  #kill(b: Blank): void {
    b.gone = true;
    b.proc?.kill();
  }

  #startBlank(key: string, req: LaunchRequest): void {
    const vars = req.startVariables;
    if (vars === undefined) {
      return;
    }
    const env: Record<string, string> = Object.fromEntries(startValues(req, vars));
    if (req.env.PATH !== undefined) {
      env.PATH = req.env.PATH;
    }
    for (const [name, value] of Object.entries(req.env)) {
      // The channel's fd variable and the like: hearth's, not the function's.
      if (name.startsWith('_HEARTH_RUNTIME_')) {
        env[name] = value;
      }
    }
    env[BLANK_VARIABLE] = '1';
    let closed: () => void = () => undefined;
    let arrivedAs: (ok: boolean) => void = () => undefined;
    const blank: Blank = {
      key,
      name: `blank-${++this.#started}`,
      startedAt: this.#now(),
      proc: undefined,
      target: undefined,
      early: [],
      earlyBytes: 0,
      gone: false,
      arrived: new Promise((r) => (arrivedAs = r)),
      closed: new Promise((r) => (closed = r)),
    };
    const drop = (why: string): void => {
      const waiting = this.#waiting.indexOf(blank);
      if (waiting >= 0) {
        this.#waiting.splice(waiting, 1);
      }
      if (!blank.gone && !this.#disposed) {
        this.#o.onError?.(why);
      }
      blank.gone = true;
      arrivedAs(false);
    };
    const relay: LaunchHandlers = {
      onOutput: (c) => {
        if (blank.target !== undefined) {
          blank.target.onOutput(c);
        } else if (blank.earlyBytes < EARLY_OUTPUT_BYTES) {
          blank.early.push(c);
          blank.earlyBytes += c.length;
        }
      },
      onSpawnError: (message) => {
        if (blank.target !== undefined) {
          blank.target.onSpawnError(message);
        } else {
          drop(`a pre-started runtime could not start: ${message}`);
          closed();
        }
      },
      onClose: (code, signal) => {
        closed();
        if (blank.target !== undefined) {
          blank.target.onClose(code, signal);
        } else {
          drop(`a pre-started runtime ended while waiting (${signal ?? `exit ${String(code)}`})`);
        }
      },
    };
    this.#waiting.push(blank);
    const blankReq: LaunchRequest = {
      id: this.#o.newId?.() ?? req.id,
      command: req.command,
      args: req.args,
      env,
      cwd: '/',
      hostPaths: req.hostPaths,
      layerDirs: [],
      privateChannel: true,
      memoryMb: req.memoryMb,
      ...(req.tmpSizeMb === undefined ? {} : { tmpSizeMb: req.tmpSizeMb }),
      // (a launcher that shows it gives the blank a folder of its own: sandbox-launcher.ts)
      ...(req.codeCacheDir === undefined ? {} : { codeCacheDir: req.codeCacheDir }),
      batchScheduling: req.batchScheduling,
    };
    let launched: LaunchedProcess | Promise<LaunchedProcess>;
    try {
      launched = this.#o.start(blankReq, relay, blank.name);
    } catch (e) {
      drop(`a pre-started runtime could not start: ${e instanceof Error ? e.message : String(e)}`);
      closed();
      return;
    }
    const arrived = (proc: LaunchedProcess): void => {
      if (proc.pid === undefined) {
        // Its spawn failed (onSpawnError has dropped it).
        return;
      }
      blank.proc = proc;
      if (blank.gone) {
        proc.kill();
      }
      arrivedAs(!blank.gone);
    };
    if (launched instanceof Promise) {
      launched.then(arrived, (e: unknown) => {
        drop(`a pre-started runtime could not start: ${e instanceof Error ? e.message : String(e)}`);
        closed();
      });
    } else {
      arrived(launched);
    }
  }
}
