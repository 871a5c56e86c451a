/**
 * Environments in a bubblewrap sandbox (the launcher port, launcher.ts; issue 12 item 6).
 *
 * Each environment is a `bwrap` process (Debian's `bubblewrap`) that builds a new mount,
 * PID, IPC and UTS namespace and runs the environment's command in it:
 *
 *   - a root of its own: `/usr` (and the merged-usr links), a short list of `/etc` files
 *     (no shadow, no hearth configuration), its own `/proc` and `/dev`;
 *   - its code directory read-only at the same path (LAMBDA_TASK_ROOT, cwd), and the
 *     runtime's own files (the bundled client, the interpreter's prefix) read-only;
 *   - a private `/tmp`: a tmpfs of EphemeralStorage's size, gone with the environment;
 *   - nothing else: not the data dir, not other functions' code, not hearth's files;
 *   - its own PID namespace (bwrap's init as PID 1, the command as PID 2, so a runtime
 *     can still kill itself): hearth and other environments have no PID it could signal,
 *     and `/proc` shows only its own processes;
 *   - when hearth runs as root, a uid of its own (`uidBase + id`, no capabilities,
 *     `setpriv` inside the sandbox): files of the host it can still see are as readable as
 *     to any unprivileged user;
 *   - its Runtime API admits only connections whose client socket a process of this
 *     sandbox holds (`ownsConnection`, socket-owner.ts: socket inodes and the process
 *     tree, with or without a uid of its own).
 *
 * `bwrap` is forked by the spawner where there is one (spawner.ts: hearth's own thread never
 * forks), else here; its `--info-fd` and `--block-fd` pipes come back with the others.
 *
 * With `prestarted`, whole sandboxes are started before their function exists and taken by
 * a cold start (prestarted.ts): their /var/task is an empty folder of hearth's, filled with
 * links to the function's code when taken (sandbox-blanks.ts, task-links.ts;
 * src/pool/README.md "Pre-started runtimes").
 *
 * The network is shared (Lambda functions reach the network; the Runtime API is on
 * loopback). Memory: the sandboxed process (not bwrap) goes into its memory cgroup before
 * it runs anything: bwrap waits on `--block-fd` until hearth has placed the PID it
 * reported on `--info-fd`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { Socket } from 'node:net';
import type { EnvironmentCgroup, MemoryCgroups } from '../memory-cgroups.js';
import {
  NO_PROCESS,
  PRIVATE_FD,
  type LaunchHandlers,
  type LaunchRequest,
  type LaunchedProcess,
  type Launcher,
} from './launcher.js';
import type { PrestartedRuntimes } from './prestarted.js';
import { SandboxBlanks } from './sandbox-blanks.js';
import { PeakReader } from './proc-status.js';
import { BLOCK_FD, hostProbe, INFO_FD, probeBubblewrap, sandboxCommandLine } from './sandbox-command-line.js';
import { prepareSandboxEtc, type SandboxEtc } from './sandbox-etc.js';
import { optMounts, readHostTree, type OptMount } from './sandbox-opt.js';
import { SandboxSocketOwner } from './socket-owner.js';
import { SpawnError, SpawnedEnd, type SpawnRequest, type Spawned, type Spawner } from './spawner.js';

/** After the process exits, its output pipes get this long to close before they are cut. */
const CLOSE_GRACE_MS = 2000;
/** Layer sets whose /opt mounts are kept (a few hundred bytes each). */
const OPT_CACHE_SIZE = 256;
export interface SandboxLauncherOptions {
  readonly bwrap: string;
  /** `setpriv` (util-linux), to drop to the environment's uid; undefined: keep hearth's uid. */
  readonly setpriv: string | undefined;
  /** `chrt`, for SCHED_BATCH inside the sandbox. */
  readonly chrt: string | undefined;
  readonly cgroups: MemoryCgroups | undefined;
  /** The prepared /etc (sandbox-etc.ts); the launcher removes it when disposed. */
  readonly etc: SandboxEtc;
  /** First uid of environments (`uidBase + id % uidCount`) when hearth is root. */
  readonly uidBase?: number;
  readonly uidCount?: number;
  /** The host's root (tests); default `/`. */
  readonly root?: string;
  /**
   * At most this many sandboxes wait, started, for a function (pre-started runtimes,
   * prestarted.ts); 0 or unset: none. Needs `taskDir`.
   */
  readonly prestarted?: number;
  /**
   * Where a pre-started sandbox's /var/task folder is made (task-links.ts): on the package
   * store's file system, so that the code is linked rather than copied.
   */
  readonly taskDir?: string;
  /** A pre-started runtime could not start or died while waiting. */
  readonly onPrestartError?: (message: string) => void;
  /** A new environment id (the data plane's): a blank's own, hence its own uid. */
  readonly newId?: () => number;
  /** Where bwrap is forked (spawner.ts); undefined: in hearth's own process. */
  readonly spawner?: Spawner;
}

/** bwrap reports a command killed by signal N as exit 128+N: give the signal back. */
export function exitOfBwrap(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number | null; signal: NodeJS.Signals | null } {
  if (signal !== null || code === null || code <= 128) {
    return { code, signal };
  }
  const n = code - 128;
  const name = Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
  return name === undefined ? { code, signal } : { code: null, signal: name as NodeJS.Signals };
}

export class SandboxLauncher implements Launcher {
  readonly #o: SandboxLauncherOptions;
  readonly #probe: (p: string) => 'dir' | 'file' | { link: string } | undefined;
  /** /opt's mounts per layer set: unpacked layers are content-addressed and never change. */
  readonly #optCache = new Map<string, readonly OptMount[] | Error>();
  /** Pre-started sandboxes (sandbox-blanks.ts), when asked for. */
  readonly #blanks: SandboxBlanks | undefined;

  constructor(o: SandboxLauncherOptions) {
    this.#o = o;
    this.#probe = hostProbe(o.root ?? '/');
    this.#blanks =
      (o.prestarted ?? 0) > 0 && o.taskDir !== undefined
        ? new SandboxBlanks({
            max: o.prestarted ?? 0,
            taskDir: o.taskDir,
            start: (req, h, cgroupName) => this.#start(req, h, cgroupName),
            ...(o.newId === undefined ? {} : { newId: o.newId }),
            ...(o.onPrestartError === undefined ? {} : { onError: o.onPrestartError }),
          })
        : undefined;
  }

  /** The pre-started runtimes (tests, diagnostics); undefined when there are none. */
  get prestarted(): PrestartedRuntimes | undefined {
    return this.#blanks?.prestarted;
  }

  quiet(): void {
    this.#blanks?.quiet();
  }

  /** Code roots with a filled copy ready for the next take (tests, diagnostics). */
  stockedCodeRoots(): string[] {
    return this.#blanks?.stockedCodeRoots() ?? [];
  }

  /** The pids of the blanks waiting, once everything under way is (tests, diagnostics). */
  async settled(): Promise<number[]> {
    return (await this.#blanks?.settled()) ?? [];
  }

  expect(req: LaunchRequest): void {
    this.#blanks?.expect(req);
  }

  /** Code at /var/task, layers merged at /opt (launch.ts plans the paths for it). */
  get lambdaFilesystem(): boolean {
    return true;
  }

  #opt(layerDirs: readonly string[], extraBinds: readonly string[]): readonly OptMount[] {
    const key = [...layerDirs, '', ...extraBinds].join('\0');
    let mounts = this.#optCache.get(key);
    if (mounts === undefined) {
      try {
        mounts = optMounts(layerDirs, readHostTree, extraBinds);
      } catch (e) {
        // Refused (over MAX_OPT_MOUNTS): kept too, so that each start does not walk again.
        mounts = e instanceof Error ? e : new Error(String(e));
      }
      if (this.#optCache.size >= OPT_CACHE_SIZE) {
        this.#optCache.delete(this.#optCache.keys().next().value ?? '');
      }
      this.#optCache.set(key, mounts);
    }
    if (mounts instanceof Error) {
      throw mounts;
    }
    return mounts;
  }

  get limitsMemory(): boolean {
    return this.#o.cgroups !== undefined;
  }

  /** Every sandbox's Runtime API admits its own processes only (socket-owner.ts). */
  get isolatesRuntimeApi(): boolean {
    return true;
  }

  /** The uid environment `id` runs as, or undefined when it keeps hearth's. */
  uidOf(id: number): number | undefined {
    if (this.#o.setpriv === undefined) {
      return undefined;
    }
    const base = this.#o.uidBase ?? 200_000;
    return base + (id % (this.#o.uidCount ?? 100_000));
  }

  launch(req: LaunchRequest, h: LaunchHandlers): LaunchedProcess | Promise<LaunchedProcess> {
    return this.#blanks === undefined ? this.#start(req, h, req.id) : this.#blanks.launch(req, h);
  }

  #start(
    req: LaunchRequest,
    h: LaunchHandlers,
    cgroupName: number | string,
  ): LaunchedProcess | Promise<LaunchedProcess> {
    const uid = this.uidOf(req.id);
    if (req.codeCacheDir !== undefined) {
      try {
        // bwrap binds only what exists; entries come later (code-cache-writer.ts).
        mkdirSync(req.codeCacheDir, { recursive: true });
      } catch {
        const { codeCacheDir: _none, ...rest } = req;
        req = rest;
      }
    }
    const { command, args } = sandboxCommandLine(req, {
      bwrap: this.#o.bwrap,
      setpriv: this.#o.setpriv,
      chrt: this.#o.chrt,
      uid,
      blockFds: true,
      etc: this.#o.etc,
      probe: this.#probe,
      realpath: (p) => {
        try {
          return realpathSync(p);
        } catch {
          return p;
        }
      },
      opt: (layers, extra) => this.#opt(layers, extra),
    });
    const stdio: ('ignore' | 'pipe')[] = [
      'ignore',
      'pipe',
      'pipe',
      req.privateChannel ? 'pipe' : 'ignore',
      'pipe',
      'pipe',
    ];
    const spawner = this.#o.spawner;
    if (spawner === undefined || spawner.broken) {
      return this.#wire(forkHere(command, args, req.env, stdio), req, h, cgroupName);
    }
    return this.#startSpawned(spawner, { command, args, env: req.env, stdio }, req, h, cgroupName);
  }

  /** bwrap forked by the spawner (spawner.ts): hearth's own thread never forks. */
  async #startSpawned(
    spawner: Spawner,
    sreq: SpawnRequest,
    req: LaunchRequest,
    h: LaunchHandlers,
    cgroupName: number | string,
  ): Promise<LaunchedProcess> {
    const end = new SpawnedEnd();
    let spawned: Spawned;
    try {
      spawned = await spawner.spawn(sreq, end.exited);
    } catch (e) {
      if (e instanceof SpawnError) {
        h.onSpawnError(e.message);
        return NO_PROCESS;
      }
      // The spawner died before it answered (the next start gets a new one): forked here.
      return this.#wire(forkHere(sreq.command, sreq.args, sreq.env, sreq.stdio), req, h, cgroupName);
    }
    end.watch(spawned);
    return this.#wire(
      {
        pid: spawned.pid,
        stdio: spawned.stdio,
        onSpawnError: () => undefined,
        onExit: (f) => end.onExit(f),
        onClose: (f) => end.onClose(f),
      },
      req,
      h,
      cgroupName,
    );
  }

  /** The environment's side of a started bwrap, however it was forked. */
  #wire(proc: Started, req: LaunchRequest, h: LaunchHandlers, cgroupName: number | string): LaunchedProcess {
    let cgroup: EnvironmentCgroup | undefined;
    let childPid: number | undefined;
    let killed = false;
    const killAll = (): void => {
      killed = true;
      for (const pid of [childPid, proc.pid === undefined ? undefined : -proc.pid]) {
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    };
    // bwrap reports the sandboxed PID, then waits for a byte on --block-fd: place it first.
    const info = proc.stdio[INFO_FD];
    const block = proc.stdio[BLOCK_FD];
    if (info instanceof Socket && block instanceof Socket) {
      let text = '';
      info.setEncoding('utf8');
      info.on('data', (chunk: string) => {
        if (childPid !== undefined) {
          return;
        }
        text += chunk;
        const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
        if (m?.[1] === undefined) {
          return;
        }
        childPid = Number(m[1]);
        if (killed) {
          killAll();
          return;
        }
        cgroup = this.#o.cgroups?.place(cgroupName, childPid, req.memoryMb);
        // The sandboxed process runs nothing of its own before it is in its cgroup.
        if (cgroup === undefined) {
          block.end('1');
        } else {
          void cgroup.placed.then(() => block.end('1'));
        }
      });
      info.on('error', () => undefined);
      block.on('error', () => undefined);
    }
    proc.onSpawnError((message) => h.onSpawnError(message));
    const [, stdout, stderr] = proc.stdio;
    stdout?.on('data', (c: Buffer) => h.onOutput(c));
    stderr?.on('data', (c: Buffer) => h.onOutput(c));
    proc.onExit(() => {
      killAll();
      cgroup?.killAll();
      setTimeout(() => {
        for (const x of proc.stdio) {
          x?.destroy();
        }
      }, CLOSE_GRACE_MS).unref();
    });
    // Opened on the runtime once it is found, closed with the sandbox (proc-status.ts).
    let peak: PeakReader | undefined;
    let closed = false;
    proc.onClose((code, signal) => {
      const exit = exitOfBwrap(code, signal);
      h.onClose(exit.code, exit.signal);
      closed = true;
      peak?.close();
      void cgroup?.remove();
    });
    const fd3 = proc.stdio[PRIVATE_FD];
    // The runtime is the child of the sandbox's init (childPid): its memory is the one
    // reported. It is found once and kept (the environment ends with that process).
    let runtime: number | undefined;
    // The sandbox's process tree, found at its first Runtime API connection and kept.
    let owner: SandboxSocketOwner | undefined;
    const runtimePid = (): number | undefined => {
      if (runtime !== undefined || childPid === undefined) {
        return runtime;
      }
      try {
        const first = readFileSync(`/proc/${childPid}/task/${childPid}/children`, 'latin1')
          .trim()
          .split(' ')[0];
        runtime = first === undefined || first === '' ? undefined : Number(first);
      } catch {
        return undefined;
      }
      return runtime;
    };
    const readPeak = (): number | undefined => {
      if (peak === undefined && !closed) {
        const pid = runtimePid();
        peak = pid === undefined ? undefined : new PeakReader(pid);
      }
      return peak?.read();
    };
    return {
      pid: proc.pid,
      privateSocket: req.privateChannel ? fd3 : undefined,
      kill: killAll,
      oomKilled: () => cgroup?.oomKilled() === true,
      peakMemoryMb: readPeak,
      readPeakMemoryMb: () => Promise.resolve(readPeak()),
      ownsConnection: async (serverPort: number, clientPort: number) => {
        if (childPid === undefined) {
          return false;
        }
        owner ??= new SandboxSocketOwner(childPid);
        return owner.owns(serverPort, clientPort);
      },
    };
  }

  async dispose(): Promise<void> {
    await this.#blanks?.dispose();
    await this.#o.spawner?.dispose();
    this.#o.etc.dispose();
    await this.#o.cgroups?.dispose();
  }
}

/** A forked bwrap: its piped fds (by number) and its ends. */
interface Started {
  readonly pid: number | undefined;
  readonly stdio: readonly (Socket | undefined)[];
  onSpawnError(f: (message: string) => void): void;
  /** The process exited (its pipes may still be open). */
  onExit(f: () => void): void;
  /** It exited and every pipe has ended or been cut. */
  onClose(f: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

/** bwrap forked from hearth's own process (no spawner, or it keeps dying). */
function forkHere(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  stdio: readonly ('ignore' | 'pipe')[],
): Started {
  const proc: ChildProcess = spawn(command, [...args], { env, stdio: [...stdio], detached: true });
  const fds = proc.stdio as readonly unknown[];
  return {
    pid: proc.pid,
    stdio: fds.map((x) => (x instanceof Socket ? x : undefined)),
    onSpawnError: (f) =>
      proc.on('error', (e) => {
        if (proc.pid === undefined) {
          f(e.message);
        }
      }),
    onExit: (f) => proc.on('exit', () => f()),
    onClose: (f) => proc.on('close', f),
  };
}

/** `bwrap` and `setpriv` on the PATH, when they exist. */
export function existing(p: string | undefined): string | undefined {
  return p !== undefined && existsSync(p) ? p : undefined;
}

export type SandboxSetting = 'auto' | 'bubblewrap' | 'off';

/**
 * The sandbox the pool uses (pool option `sandbox`, config `HEARTH_SANDBOX`): `auto` takes
 * bubblewrap where it is on the PATH and works, else runs environments unsandboxed after
 * one warning; `bubblewrap` requires it (hearth refuses to start without it); `off` never
 * sandboxes. Returns undefined for "unsandboxed".
 */
export function openSandboxLauncher(
  o: {
    readonly setting: SandboxSetting;
    readonly bwrap: string | undefined;
    readonly setpriv: string | undefined;
    readonly chrt: string | undefined;
    readonly cgroups: MemoryCgroups | undefined;
    readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  } & Pick<SandboxLauncherOptions, 'prestarted' | 'taskDir' | 'onPrestartError' | 'newId' | 'spawner'>,
): SandboxLauncher | undefined {
  if (o.setting === 'off') {
    o.log.warn(
      {},
      'environments are not sandboxed (sandbox off): a function can read and signal what hearth can',
    );
    return undefined;
  }
  let etc: SandboxEtc | undefined;
  let probe: { ok: true } | { ok: false; reason: string };
  if (o.bwrap === undefined) {
    probe = { ok: false, reason: 'bwrap is not on the PATH' };
  } else {
    try {
      etc = prepareSandboxEtc();
      probe = probeBubblewrap(o.bwrap, etc);
    } catch (e) {
      probe = { ok: false, reason: `the sandbox's /etc could not be prepared: ${String(e)}` };
    }
  }
  if (!probe.ok || o.bwrap === undefined || etc === undefined) {
    etc?.dispose();
    const reason = probe.ok ? 'bwrap is not on the PATH' : probe.reason;
    if (o.setting === 'bubblewrap') {
      throw new Error(`sandbox bubblewrap: ${reason}`);
    }
    o.log.warn(
      { reason },
      'environments are not sandboxed (install bubblewrap): a function can read and signal what hearth can',
    );
    return undefined;
  }
  const root = process.getuid?.() === 0;
  const setpriv = root ? o.setpriv : undefined;
  o.log.info(
    { bwrap: o.bwrap, ownUid: setpriv !== undefined },
    setpriv !== undefined
      ? 'environments are sandboxed (bubblewrap, a uid of their own)'
      : "environments are sandboxed (bubblewrap, hearth's uid: run hearth as root, with setpriv, for a uid of their own)",
  );
  return new SandboxLauncher({
    bwrap: o.bwrap,
    setpriv,
    chrt: o.chrt,
    cgroups: o.cgroups,
    etc,
    ...(o.prestarted === undefined ? {} : { prestarted: o.prestarted }),
    ...(o.taskDir === undefined ? {} : { taskDir: o.taskDir }),
    ...(o.onPrestartError === undefined ? {} : { onPrestartError: o.onPrestartError }),
    ...(o.newId === undefined ? {} : { newId: o.newId }),
    ...(o.spawner === undefined ? {} : { spawner: o.spawner }),
  });
}
