/**
 * hearth's end of the spawner (spawner-child.cjs): one small Node.js process per launcher
 * that forks environments on hearth's behalf (issue 15).
 *
 * Why: libuv's spawn is a fork() of the calling process, on its event loop, and its price
 * grows with the caller's resident memory (page tables to copy): `spawn('/bin/true')` took
 * a p50 of 16 ms from a 51 MB process and 50 ms from a 308 MB one (one-off, loaded
 * machine), and hearth idles at ~120 MB. The spawner forks from ~40 MB; hearth's loop only
 * exchanges messages and receives sockets (~1.5–2 ms of its CPU per spawn against a
 * 28–34 ms block, one-off). On by default (PoolOptions.spawner): the API stays responsive
 * during a start storm (bench/start-storm.mjs); on 2 cores Put(100) -> READY is no faster,
 * being bound by the environments' own CPU (src/pool/README.md).
 *
 *   1. started on the first spawn (detached: terminal signals to hearth's group do not
 *      reach it; it exits when its channel closes, i.e. when hearth goes), under
 *      `setpriv --pdeathsig TERM` where setpriv is at hand (the kernel tells it the moment
 *      hearth dies; it kills every group it started, then exits) and under
 *      `chrt --batch 0` where chrt is at hand and batch scheduling is on: what it forks
 *      inherits SCHED_BATCH, so an environment's command line needs neither wrapper, two
 *      execs (~6 ms of CPU) fewer per start (process-launcher.ts spawnedCommandLine);
 *   2. each spawn is a message; the spawner answers with the pid, then passes each piped
 *      fd's socket (stdout, stderr, the private channel...) as a handle over the channel
 *      (a Unix socket, SCM_RIGHTS): hearth then owns the only parent-side copy;
 *   3. later, the exit code or signal, sent after the fds;
 *   4. if the spawner dies, every process it started is killed (SIGKILL to its group)
 *      and reported as killed, spawns in flight fail, and the next spawn starts a new
 *      spawner. After `MAX_CRASHES` deaths in a row with no spawn between, `broken` turns
 *      true and the launcher forks directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Consecutive deaths of the spawner without one successful spawn before it is given up. */
const MAX_CRASHES = 3;

export interface SpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
  /** Per fd from 0: ignored or a socket to hearth. */
  readonly stdio: readonly ('ignore' | 'pipe')[];
}

export interface Spawned {
  readonly pid: number;
  /** Per fd from 0: hearth's end of each piped fd; undefined for ignored ones. */
  readonly stdio: readonly (Socket | undefined)[];
}

/** The process could not be spawned (ENOENT, EACCES...): there is no process. */
export class SpawnError extends Error {}

type Exit = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

/**
 * A spawned process's end as node's ChildProcess reports one: `onExit` once the spawner
 * has reported its exit, `onClose` once every piped fd has closed as well. `exited` is
 * what `Spawner.spawn` is given as its `onExit`; `watch` takes the pipes once they are here.
 */
export class SpawnedEnd {
  #exit: Exit | undefined;
  #open = 0;
  #closed = false;
  readonly #onExit: (() => void)[] = [];
  readonly #onClose: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];

  readonly exited = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.#exit = { code, signal };
    for (const f of this.#onExit) {
      f();
    }
    this.#maybeClose();
  };

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  watch(spawned: Spawned): void {
    for (const s of spawned.stdio) {
      if (s === undefined) {
        continue;
      }
      this.#open++;
      s.on('error', () => undefined);
      s.once('close', () => {
        this.#open--;
        this.#maybeClose();
      });
    }
  }

  onExit(f: () => void): void {
    this.#onExit.push(f);
  }

  onClose(f: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.#onClose.push(f);
  }

  #maybeClose(): void {
    const exit = this.#exit;
    if (this.#closed || exit === undefined || this.#open > 0) {
      return;
    }
    this.#closed = true;
    for (const f of this.#onClose) {
      f(exit.code, exit.signal);
    }
  }
}

interface Pending {
  readonly req: SpawnRequest;
  readonly onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
  readonly resolve: (s: Spawned) => void;
  readonly reject: (e: Error) => void;
  pid?: number;
  readonly stdio: (Socket | undefined)[];
  /** Piped fds not yet received. */
  missing: number;
  settled: boolean;
}

type FromSpawner =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'error'; id: number; message: string }
  | { t: 'fd'; id: number; fd: number }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** The spawner's program: beside this module (src/, or dist/ after the build's copy). */
export function spawnerScript(): string {
  return fileURLToPath(new URL('./spawner-child/spawner-child.cjs', import.meta.url));
}

export class Spawner {
  readonly #env: Readonly<Record<string, string>>;
  readonly #setpriv: string | undefined;
  readonly #chrt: string | undefined;
  readonly #script: string;
  readonly #scriptExists: boolean;
  #child: ChildProcess | undefined;
  #nextId = 1;
  /** Spawns asked for and processes not yet reported gone, by id. */
  readonly #pending = new Map<number, Pending>();
  #crashes = 0;
  #disposed = false;

  /**
   * `env`: the spawner's own environment (PATH, the owner mark of orphans.ts); `setpriv`:
   * util-linux's setpriv, to start the spawner with a parent-death signal (SIGTERM), so
   * the kernel tells it the moment hearth dies, not only once it notices its channel
   * closed, and it kills what it started; `chrt`: util-linux's chrt, to run the spawner,
   * and so by inheritance what it forks, under SCHED_BATCH.
   */
  constructor(o: {
    readonly env: Readonly<Record<string, string>>;
    readonly script?: string;
    readonly setpriv?: string | undefined;
    readonly chrt?: string | undefined;
  }) {
    this.#env = o.env;
    this.#setpriv = o.setpriv;
    this.#chrt = o.chrt;
    this.#script = o.script ?? spawnerScript();
    this.#scriptExists = existsSync(this.#script);
  }

  /** What the spawner forks runs under SCHED_BATCH (inherited from the spawner itself). */
  get batchScheduling(): boolean {
    return this.#chrt !== undefined;
  }

  /** True when the spawner keeps dying (or cannot run): fork directly instead. */
  get broken(): boolean {
    return this.#crashes >= MAX_CRASHES || !this.#scriptExists;
  }

  /** The spawner's pid while it runs (tests, the sweep of orphans.ts). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Spawns a process detached (its own process group). Resolves once its pid and its
   * piped fds are here; rejects with a SpawnError when it could not be spawned, or an
   * Error when the spawner died first. `onExit` comes once, after the resolve.
   */
  spawn(
    req: SpawnRequest,
    onExit: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): Promise<Spawned> {
    if (this.#disposed) {
      return Promise.reject(new Error('the spawner is disposed'));
    }
    const child = this.#start();
    const id = this.#nextId++;
    return new Promise<Spawned>((resolve, reject) => {
      this.#pending.set(id, {
        req,
        onExit,
        resolve,
        reject,
        stdio: req.stdio.map(() => undefined),
        missing: req.stdio.filter((s) => s === 'pipe').length,
        settled: false,
      });
      this.#ref();
      child.send({
        t: 'spawn',
        id,
        command: req.command,
        args: req.args,
        cwd: req.cwd,
        env: req.env,
        stdio: req.stdio,
      });
    });
  }

  /** Stops the spawner; processes it started are killed with it. Idempotent. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const child = this.#child;
    if (child === undefined) {
      return;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Held until it has exited: the process is unref'd while it runs (it must not keep
    // hearth alive), and a caller with nothing else on its loop would otherwise end before
    // 'exit' arrives (a script that awaits dispose() exited with code 13).
    child.ref();
    // Closing the channel is its signal to kill what it started and exit.
    if (child.connected) {
      child.disconnect();
    }
    await gone;
  }

  #start(): ChildProcess {
    if (this.#child !== undefined) {
      return this.#child;
    }
    const [command, ...args] = [
      ...(this.#setpriv === undefined ? [] : [this.#setpriv, '--pdeathsig', 'TERM']),
      ...(this.#chrt === undefined ? [] : [this.#chrt, '--batch', '0']),
      process.execPath,
      '--max-old-space-size=16',
      '--v8-pool-size=1',
      this.#script,
    ];
    const child = spawn(command, args, {
      env: this.#env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      detached: true,
      serialization: 'json',
    });
    this.#child = child;
    child.on('message', (m: FromSpawner, handle: unknown) => this.#onMessage(m, handle));
    // A spawner that could not even be spawned may never emit 'exit'.
    child.on('error', () => {
      if (child.pid === undefined) {
        this.#onSpawnerExit(child);
      }
    });
    child.once('exit', () => this.#onSpawnerExit(child));
    child.unref();
    this.#unref();
    return child;
  }

  #onMessage(m: FromSpawner, handle: unknown): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) {
      if (handle instanceof Socket) {
        handle.destroy();
      }
      return;
    }
    switch (m.t) {
      case 'error':
        this.#pending.delete(m.id);
        this.#unref();
        p.settled = true;
        p.reject(new SpawnError(m.message));
        return;
      case 'spawned':
        p.pid = m.pid;
        this.#crashes = 0;
        break;
      case 'fd':
        if (handle instanceof Socket) {
          p.stdio[m.fd] = handle;
          p.missing--;
        }
        break;
      case 'exit':
        this.#pending.delete(m.id);
        this.#unref();
        if (!p.settled && p.pid !== undefined) {
          // (the spawner sends its fds first: a missing one could not be sent)
          p.missing = 0;
          this.#settle(p);
        }
        p.onExit(m.code, m.signal);
        return;
    }
    this.#settle(p);
  }

  /** Resolves a spawn once its pid and every piped fd are here. */
  #settle(p: Pending): void {
    if (!p.settled && p.pid !== undefined && p.missing <= 0) {
      p.settled = true;
      p.resolve({ pid: p.pid, stdio: p.stdio });
    }
  }

  #onSpawnerExit(child: ChildProcess): void {
    if (this.#child !== child) {
      return; // (reported already)
    }
    this.#child = undefined;
    if (!this.#disposed) {
      this.#crashes++;
    }
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) {
      if (p.pid !== undefined) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      if (p.settled) {
        p.onExit(null, 'SIGKILL');
      } else {
        // Not all of it arrived: what did is closed, the process (if any) killed above.
        p.settled = true;
        for (const s of p.stdio) {
          s?.destroy();
        }
        p.reject(new Error('the spawner exited before the process was started'));
      }
    }
  }

  /** The channel keeps hearth alive only while a spawn or a process is outstanding. */
  #ref(): void {
    this.#child?.channel?.ref();
  }

  #unref(): void {
    if (this.#pending.size === 0) {
      this.#child?.channel?.unref();
    }
  }
}
