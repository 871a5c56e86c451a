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
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import type { EnvironmentCgroup, MemoryCgroups } from '../memory-cgroups.js';
import { OWNER_VARIABLE } from '../orphans.js';
import type { LaunchHandlers, LaunchRequest, LaunchedProcess, Launcher } from './launcher.js';
import { PeakReader } from './proc-status.js';

/** After the process exits, its output pipes get this long to close before they are cut. */
const CLOSE_GRACE_MS = 2000;
/** The private channel's fd in the child. */
export const PRIVATE_FD = 3;

export interface ProcessLauncherOptions {
  /** Memory cgroups, where the machine allows them (memory-cgroups.ts). */
  readonly cgroups: MemoryCgroups | undefined;
  /** `chrt`, to start processes under SCHED_BATCH; undefined: they are started directly. */
  readonly chrt: string | undefined;
  /** `setpriv`, to give processes a parent-death signal; undefined: none (orphans.ts). */
  readonly setpriv?: string | undefined;
  /** OWNER_VARIABLE's value in every process started (orphans.ts ownerMark). */
  readonly owner?: string | undefined;
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

export class ProcessLauncher implements Launcher {
  readonly #cgroups: MemoryCgroups | undefined;
  readonly #chrt: string | undefined;
  readonly #setpriv: string | undefined;
  readonly #owner: string | undefined;

  constructor(o: ProcessLauncherOptions) {
    this.#cgroups = o.cgroups;
    this.#chrt = o.chrt;
    this.#setpriv = o.setpriv;
    this.#owner = o.owner;
  }

  get limitsMemory(): boolean {
    return this.#cgroups !== undefined;
  }

  launch(req: LaunchRequest, h: LaunchHandlers): LaunchedProcess {
    const { command, args } = commandLine(req, this.#chrt, this.#setpriv);
    const proc: ChildProcess = spawn(command, [...args], {
      cwd: req.cwd,
      env: this.#owner === undefined ? req.env : { ...req.env, [OWNER_VARIABLE]: this.#owner },
      stdio: req.privateChannel ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let cgroup: EnvironmentCgroup | undefined;
    let peak: PeakReader | undefined;
    if (proc.pid !== undefined) {
      cgroup = this.#cgroups?.place(req.id, proc.pid, req.memoryMb);
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
      kill: killGroup,
      oomKilled: () => cgroup?.oomKilled() === true,
      peakMemoryMb: () => peak?.read(),
      // One pread of a kept fd (proc-status.ts): cheaper than the promise around it.
      readPeakMemoryMb: () => Promise.resolve(peak?.read()),
    };
  }

  async dispose(): Promise<void> {
    await this.#cgroups?.dispose();
  }
}
