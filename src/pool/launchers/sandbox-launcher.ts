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
 * The network is shared (Lambda functions reach the network; the Runtime API is on
 * loopback). Memory: the sandboxed process (not bwrap) goes into its memory cgroup before
 * it runs anything: bwrap waits on `--block-fd` until hearth has placed the PID it
 * reported on `--info-fd`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { Socket } from 'node:net';
import type { EnvironmentCgroup, MemoryCgroups } from '../memory-cgroups.js';
import {
  PRIVATE_FD,
  type LaunchHandlers,
  type LaunchRequest,
  type LaunchedProcess,
  type Launcher,
} from './launcher.js';
import { PeakReader } from './proc-status.js';
import { prepareSandboxEtc, type SandboxEtc } from './sandbox-etc.js';
import { optArgs, optMounts, readHostTree, type OptMount } from './sandbox-opt.js';
import { SandboxSocketOwner } from './socket-owner.js';

/** After the process exits, its output pipes get this long to close before they are cut. */
const CLOSE_GRACE_MS = 2000;
/** bwrap's `--info-fd` and `--block-fd` in bwrap (after the private channel's fd 3). */
const INFO_FD = 4;
const BLOCK_FD = 5;
/** EphemeralStorage default (AWS: 512 MB). */
const DEFAULT_TMP_MB = 512;
/** Layer sets whose /opt mounts are kept (a few hundred bytes each). */
const OPT_CACHE_SIZE = 256;
/** Where the function's code is in the sandbox (Lambda: /var/task; aws-lambda.md §5.5). */
export const TASK_ROOT = '/var/task';

/** Top-level entries of a merged-/usr system (symlinks there, directories elsewhere). */
const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

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
}

/** What the sandbox shows of the host, and what it runs: a pure function, table-tested. */
export function sandboxCommandLine(
  req: Pick<LaunchRequest, 'command' | 'args' | 'cwd' | 'batchScheduling' | 'hostPaths' | 'layerDirs'> & {
    readonly tmpSizeMb?: number;
  },
  o: {
    readonly bwrap: string;
    readonly setpriv: string | undefined;
    readonly chrt: string | undefined;
    readonly uid: number | undefined;
    readonly blockFds: boolean;
    /** The prepared /etc and the host files bound over it (sandbox-etc.ts). */
    readonly etc: Pick<SandboxEtc, 'dir' | 'live'>;
    /** Whether a host path exists (and what it is), for the root links and host paths. */
    readonly probe: (p: string) => 'dir' | 'file' | { link: string } | undefined;
    /** The real path of a host path (an interpreter behind a symlink). */
    readonly realpath: (p: string) => string;
    /** /opt's mounts for these layers (sandbox-opt.ts optMounts, cached by the launcher). */
    readonly opt: (layerDirs: readonly string[], extraBinds: readonly string[]) => readonly OptMount[];
  },
): { readonly command: string; readonly args: readonly string[] } {
  const a: string[] = [
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'localhost',
  ];
  if (o.blockFds) {
    a.push('--info-fd', String(INFO_FD), '--block-fd', String(BLOCK_FD));
  }
  a.push('--ro-bind', '/usr', '/usr');
  for (const name of ROOT_LINKS) {
    const what = o.probe(`/${name}`);
    if (what === undefined) {
      continue;
    }
    if (typeof what === 'object') {
      a.push('--symlink', what.link, `/${name}`);
    } else {
      a.push('--ro-bind', `/${name}`, `/${name}`);
    }
  }
  a.push('--ro-bind', o.etc.dir, '/etc');
  for (const [host, inside] of o.etc.live) {
    a.push('--ro-bind', host, inside);
  }
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push(
    '--perms',
    '1777',
    '--size',
    String((req.tmpSizeMb ?? DEFAULT_TMP_MB) * 1024 * 1024),
    '--tmpfs',
    '/tmp',
  );
  // The code, read-only at /var/task (LAMBDA_TASK_ROOT and cwd, as on Lambda).
  a.push('--perms', '0755', '--dir', '/var', '--ro-bind', req.cwd, TASK_ROOT);
  // Read-only host paths at their own path: the interpreter's installation, the runtime's
  // files. One under the host's /opt joins the layers' /opt (sandbox-opt.ts).
  const visible: string[] = [];
  const show = (p: string): void => {
    const dir = path.resolve(p);
    if (dir === '/' || dir === '/usr' || dir.startsWith('/usr/') || dir === '/tmp') {
      return;
    }
    if (visible.some((v) => dir === v || dir.startsWith(`${v}/`))) {
      return;
    }
    for (let i = visible.length - 1; i >= 0; i--) {
      const v = visible[i] ?? '';
      if (v.startsWith(`${dir}/`)) {
        visible.splice(i, 1);
      }
    }
    visible.push(dir);
  };
  for (const p of req.hostPaths) {
    if (!path.isAbsolute(p)) {
      continue;
    }
    for (const q of new Set([p, o.realpath(p)])) {
      if (o.probe(q) === 'dir') {
        show(q);
        continue;
      }
      const bin = path.dirname(q);
      // An interpreter's prefix (`…/bin/node` → `…`): its lib/ comes with it.
      show(path.basename(bin) === 'bin' ? path.dirname(bin) : bin);
    }
  }
  visible.sort();
  const underOpt = visible.filter((v) => v === '/opt' || v.startsWith('/opt/'));
  for (const dir of visible) {
    if (underOpt.includes(dir)) {
      continue;
    }
    // Parents the sandbox creates are traversable (bwrap's default would be 0700).
    const parents: string[] = [];
    for (let d = path.dirname(dir); d !== '/' && d !== '/tmp'; d = path.dirname(d)) {
      parents.unshift(d);
    }
    for (const d of parents) {
      a.push('--perms', '0755', '--dir', d);
    }
    a.push('--ro-bind', dir, dir);
  }
  a.push(...optArgs(o.opt(req.layerDirs, underOpt)));
  // Nothing outside /tmp is writable, as on Lambda.
  a.push('--remount-ro', '/', '--chdir', TASK_ROOT);
  const inner: string[] = [];
  if (o.setpriv !== undefined && o.uid !== undefined) {
    a.push('--cap-add', 'CAP_SETUID,CAP_SETGID');
    inner.push(
      o.setpriv,
      `--reuid=${o.uid}`,
      `--regid=${o.uid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    );
  }
  if (req.batchScheduling && o.chrt !== undefined) {
    inner.push(o.chrt, '--batch', '0');
  }
  a.push(...inner, req.command, ...req.args);
  return { command: o.bwrap, args: a };
}

function hostProbe(root: string): (p: string) => 'dir' | 'file' | { link: string } | undefined {
  return (p) => {
    const full = path.join(root, p);
    try {
      if (lstatSync(full).isSymbolicLink()) {
        return { link: readlinkSync(full) };
      }
      return statSync(full).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  };
}

/**
 * Whether bubblewrap works here (a kernel or container may refuse its namespaces): runs
 * `bwrap … true` once. Returns the reason when it does not.
 */
export function probeBubblewrap(
  bwrap: string,
  etc: Pick<SandboxEtc, 'dir' | 'live'>,
): { ok: true } | { ok: false; reason: string } {
  const { command, args } = sandboxCommandLine(
    {
      command: '/bin/sh',
      args: ['-c', 'exit 0'],
      cwd: '/usr',
      batchScheduling: false,
      hostPaths: [],
      layerDirs: [],
    },
    {
      bwrap,
      setpriv: undefined,
      chrt: undefined,
      uid: undefined,
      blockFds: false,
      etc,
      probe: hostProbe('/'),
      realpath: (p) => p,
      opt: (layers, extra) => optMounts(layers, readHostTree, extra),
    },
  );
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) {
    return { ok: false, reason: r.error.message };
  }
  if (r.status !== 0) {
    return { ok: false, reason: (r.stderr || `exit ${String(r.status)}`).trim() };
  }
  return { ok: true };
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

  constructor(o: SandboxLauncherOptions) {
    this.#o = o;
    this.#probe = hostProbe(o.root ?? '/');
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

  launch(req: LaunchRequest, h: LaunchHandlers): LaunchedProcess {
    const uid = this.uidOf(req.id);
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
    const proc: ChildProcess = spawn(command, [...args], {
      env: req.env,
      stdio: ['ignore', 'pipe', 'pipe', req.privateChannel ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
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
    const fds = proc.stdio as readonly unknown[];
    const info = fds[INFO_FD];
    const block = fds[BLOCK_FD];
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
        cgroup = this.#o.cgroups?.place(req.id, childPid, req.memoryMb);
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
    proc.on('error', (e) => {
      if (proc.pid === undefined) {
        h.onSpawnError(e.message);
      }
    });
    proc.stdout?.on('data', (c: Buffer) => h.onOutput(c));
    proc.stderr?.on('data', (c: Buffer) => h.onOutput(c));
    proc.on('exit', () => {
      killAll();
      cgroup?.killAll();
      setTimeout(() => {
        proc.stdout?.destroy();
        proc.stderr?.destroy();
        if (info instanceof Socket) {
          info.destroy();
        }
      }, CLOSE_GRACE_MS).unref();
    });
    // Opened on the runtime once it is found, closed with the sandbox (proc-status.ts).
    let peak: PeakReader | undefined;
    let closed = false;
    proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
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
      privateSocket: req.privateChannel && fd3 instanceof Socket ? fd3 : undefined,
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
    this.#o.etc.dispose();
    await this.#o.cgroups?.dispose();
  }
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
export function openSandboxLauncher(o: {
  readonly setting: SandboxSetting;
  readonly bwrap: string | undefined;
  readonly setpriv: string | undefined;
  readonly chrt: string | undefined;
  readonly cgroups: MemoryCgroups | undefined;
  readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}): SandboxLauncher | undefined {
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
  return new SandboxLauncher({ bwrap: o.bwrap, setpriv, chrt: o.chrt, cgroups: o.cgroups, etc });
}
