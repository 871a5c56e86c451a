/**
 * Environments as local child processes (the launcher port, launcher.ts):
 *
 *   0. a process that may run under SCHED_BATCH is started through `chrt --batch 0` when
 *      util-linux's chrt is at hand (README "Scheduling"): chrt sets the policy and execs
 *      the command, so it keeps chrt's pid, for one extra exec (~1 ms); and through
 *      `setpriv --pdeathsig KILL` when util-linux's setpriv is at hand, so that it dies
 *      with hearth; its environment carries `_HEARTH_OWNER` (orphans.ts);
 *   1. spawn detached (its own process group, so that a kill reaches whatever a
 *      `bootstrap` started), stdin /dev/null, stdout and stderr piped, fd 3 a socketpair
 *      when the private channel is asked for;
 *   2. move it into its memory cgroup at once, before its runtime has loaded, where the
 *      machine allows one (memory-cgroups.ts);
 *   3. when it exits, kill what it left in its group and its cgroup, so the pipes close;
 *      cut the pipes after a grace period if something still holds them;
 *   4. on close, remove the cgroup and report.
 *
 * With a spawner (spawner.ts; the default, PoolOptions.spawner: src/pool/README.md "The
 * spawner" has the figures), step 0 needs neither wrapper (spawnedCommandLine: the spawner
 * runs under SCHED_BATCH, which its children inherit, and kills them when hearth dies),
 * and step 1 happens in that small process instead of hearth's own,
 * whose fork() blocks its event loop longer the more memory hearth holds: hearth receives
 * the pid and its ends of the pipes over the spawner's channel, then does steps 2–4 itself
 * ("close" = the exit is known and every pipe has ended or been cut). When the spawner
 * keeps dying (`Spawner.broken`), processes are spawned directly again.
 *
 * With `prestarted` above 0, a launch of a bundled runtime may take a process started
 * before it (prestarted.ts), started by the same two paths when the pool is quiet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import type { EnvironmentCgroup, MemoryCgroups } from '../memory-cgroups.js';
import { OWNER_VARIABLE } from '../orphans.js';
import {
  NO_PROCESS,
  PRIVATE_FD,
  type LaunchHandlers,
  type LaunchRequest,
  type LaunchedProcess,
  type Launcher,
} from './launcher.js';
import { PrestartedRuntimes } from './prestarted.js';
import { PeakReader } from './proc-status.js';
import { SpawnError, SpawnedEnd, type Spawned, type Spawner } from './spawner.js';

/** After the process exits, its output pipes get this long to close before they are cut. */
const CLOSE_GRACE_MS = 2000;

export interface ProcessLauncherOptions {
  /** Memory cgroups, where the machine allows them (memory-cgroups.ts). */
  readonly cgroups: MemoryCgroups | undefined;
  /** `chrt`, to start processes under SCHED_BATCH; undefined: they are started directly. */
  readonly chrt: string | undefined;
  /** `setpriv`, to give processes a parent-death signal; undefined: none (orphans.ts). */
  readonly setpriv?: string | undefined;
  /** OWNER_VARIABLE's value in every process started (orphans.ts ownerMark). */
  readonly owner?: string | undefined;
  /** Where processes are forked (spawner.ts); undefined: in hearth's own process. */
  readonly spawner?: Spawner | undefined;
  /** At most this many pre-started runtimes wait for a function (prestarted.ts); 0 or unset: none. */
  readonly prestarted?: number;
  /** A pre-started runtime could not start or died while waiting. */
  readonly onPrestartError?: (message: string) => void;
}

/**
 * The command line that starts `req`: under `chrt --batch 0` when asked for and at hand,
 * under `setpriv --pdeathsig KILL` when setpriv is at hand.
 */
export function commandLine(
  req: Pick<LaunchRequest, 'command' | 'args' | 'batchScheduling'>,
  chrt: string | undefined,
  setpriv?: string,
): { readonly command: string; readonly args: readonly string[] } {
  const inner =
    req.batchScheduling && chrt !== undefined
      ? { command: chrt, args: ['--batch', '0', req.command, ...req.args] }
      : { command: req.command, args: req.args };
  return setpriv === undefined
    ? inner
    : { command: setpriv, args: ['--pdeathsig', 'KILL', inner.command, ...inner.args] };
}

/**
 * The command line that starts `req` from a spawner: what the spawner forks inherits its
 * scheduling policy (SCHED_BATCH when `spawnerBatch`), so chrt is needed only to leave or
 * enter it; and no setpriv: the spawner kills what it started when hearth dies (its own
 * parent-death signal), or hearth does when the spawner dies.
 */
export function spawnedCommandLine(
  req: Pick<LaunchRequest, 'command' | 'args' | 'batchScheduling'>,
  chrt: string | undefined,
  spawnerBatch: boolean,
): { readonly command: string; readonly args: readonly string[] } {
  if (chrt === undefined || req.batchScheduling === spawnerBatch) {
    return { command: req.command, args: req.args };
  }
  return {
    command: chrt,
    args: [req.batchScheduling ? '--batch' : '--other', '0', req.command, ...req.args],
  };
}

export class ProcessLauncher implements Launcher {
  readonly #cgroups: MemoryCgroups | undefined;
  readonly #chrt: string | undefined;
  readonly #setpriv: string | undefined;
  readonly #owner: string | undefined;
  readonly #spawner: Spawner | undefined;
  readonly #prestarted: PrestartedRuntimes | undefined;

  constructor(o: ProcessLauncherOptions) {
    this.#cgroups = o.cgroups;
    this.#chrt = o.chrt;
    this.#setpriv = o.setpriv;
    this.#owner = o.owner;
    this.#spawner = o.spawner;
    this.#prestarted =
      (o.prestarted ?? 0) > 0
        ? new PrestartedRuntimes({
            max: o.prestarted ?? 0,
            start: (req, h, cgroupName) => this.#start(req, h, cgroupName),
            ...(o.onPrestartError === undefined ? {} : { onError: o.onPrestartError }),
          })
        : undefined;
  }

  /** The pre-started runtimes (tests, diagnostics); undefined when there are none. */
  get prestarted(): PrestartedRuntimes | undefined {
    return this.#prestarted;
  }

  get limitsMemory(): boolean {
    return this.#cgroups !== undefined;
  }

  launch(req: LaunchRequest, h: LaunchHandlers): LaunchedProcess | Promise<LaunchedProcess> {
    return this.#prestarted?.take(req, () => this.#env(req), h) ?? this.#start(req, h, req.id);
  }

  #start(
    req: LaunchRequest,
    h: LaunchHandlers,
    cgroupName: number | string,
  ): LaunchedProcess | Promise<LaunchedProcess> {
    const spawner = this.#spawner;
    return spawner === undefined || spawner.broken
      ? this.#launchDirect(req, h, cgroupName)
      : this.#launchSpawned(req, h, spawner, cgroupName);
  }

  #env(req: LaunchRequest): Record<string, string> {
    return this.#owner === undefined ? { ...req.env } : { ...req.env, [OWNER_VARIABLE]: this.#owner };
  }

  #launchDirect(req: LaunchRequest, h: LaunchHandlers, cgroupName: number | string): LaunchedProcess {
    const { command, args } = commandLine(req, this.#chrt, this.#setpriv);
    const proc: ChildProcess = spawn(command, [...args], {
      cwd: req.cwd,
      env: this.#env(req),
      stdio: req.privateChannel ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let cgroup: EnvironmentCgroup | undefined;
    let peak: PeakReader | undefined;
    if (proc.pid !== undefined) {
      cgroup = this.#cgroups?.place(cgroupName, proc.pid, req.memoryMb);
      peak = new PeakReader(proc.pid);
    }
    const killGroup = (): void => {
      if (proc.pid !== undefined) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    proc.on('error', (e) => {
      if (proc.pid === undefined) {
        h.onSpawnError(e.message);
      }
    });
    proc.stdout?.on('data', (c: Buffer) => h.onOutput(c));
    proc.stderr?.on('data', (c: Buffer) => h.onOutput(c));
    proc.on('exit', () => {
      killGroup();
      cgroup?.killAll();
      setTimeout(() => {
        proc.stdout?.destroy();
        proc.stderr?.destroy();
      }, CLOSE_GRACE_MS).unref();
    });
    proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      // Reported first: the environment asks oomKilled() while it dies.
      h.onClose(code, signal);
      peak?.close();
      void cgroup?.remove();
    });
    const fd3 = proc.stdio[PRIVATE_FD];
    return {
      pid: proc.pid,
      privateSocket: req.privateChannel && fd3 instanceof Socket ? fd3 : undefined,
      ...(cgroup === undefined ? {} : { placed: cgroup.placed }),
      kill: killGroup,
      oomKilled: () => cgroup?.oomKilled() === true,
      peakMemoryMb: () => peak?.read(),
      // One pread of a kept fd (proc-status.ts): cheaper than the promise around it.
      readPeakMemoryMb: () => Promise.resolve(peak?.read()),
    };
  }

  async #launchSpawned(
    req: LaunchRequest,
    h: LaunchHandlers,
    spawner: Spawner,
    cgroupName: number | string,
  ): Promise<LaunchedProcess> {
    const { command, args } = spawnedCommandLine(req, this.#chrt, spawner.batchScheduling);
    const end = new SpawnedEnd();
    let spawned: Spawned;
    try {
      spawned = await spawner.spawn(
        {
          command,
          args,
          cwd: req.cwd,
          env: this.#env(req),
          stdio: req.privateChannel ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
        },
        end.exited,
      );
    } catch (e) {
      if (e instanceof SpawnError) {
        h.onSpawnError(e.message);
        return NO_PROCESS;
      }
      // The spawner died before it answered (it is restarted for the next start): this
      // one is spawned here.
      return this.#launchDirect(req, h, cgroupName);
    }
    const pid = spawned.pid;
    const cgroup = this.#cgroups?.place(cgroupName, pid, req.memoryMb);
    const peak = new PeakReader(pid);
    end.onClose((code, signal) => {
      // Reported first: the environment asks oomKilled() while it dies.
      h.onClose(code, signal);
      peak.close();
      void cgroup?.remove();
    });
    end.watch(spawned);
    for (const fd of [1, 2]) {
      spawned.stdio[fd]?.on('data', (c: Buffer) => h.onOutput(c));
    }
    end.onExit(() => {
      // (the spawner killed what it left in its group)
      cgroup?.killAll();
      setTimeout(() => {
        for (const s of spawned.stdio) {
          s?.destroy();
        }
      }, CLOSE_GRACE_MS).unref();
    });
    const fd3 = spawned.stdio[PRIVATE_FD];
    return {
      pid,
      privateSocket: req.privateChannel ? fd3 : undefined,
      ...(cgroup === undefined ? {} : { placed: cgroup.placed }),
      kill: () => {
        if (!end.hasExited) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      },
      oomKilled: () => cgroup?.oomKilled() === true,
      peakMemoryMb: () => peak.read(),
      readPeakMemoryMb: () => Promise.resolve(peak.read()),
    };
  }

  quiet(): void {
    this.#prestarted?.quiet();
  }

  expect(req: LaunchRequest): void {
    this.#prestarted?.expect(req);
  }

  async dispose(): Promise<void> {
    await this.#prestarted?.dispose();
    await this.#spawner?.dispose();
    await this.#cgroups?.dispose();
  }
}
