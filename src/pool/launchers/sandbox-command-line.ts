/**
 * The bubblewrap command line of a sandboxed environment (sandbox-launcher.ts): what the
 * sandbox shows of the host and what it runs, a pure function (table-tested in
 * sandbox-launcher.test.ts); and the probe of whether bubblewrap works here.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { SANDBOX_CODE_CACHE } from '../code-cache-writer.js';
import type { LaunchRequest } from './launcher.js';
import type { SandboxEtc } from './sandbox-etc.js';
import { optArgs, optMounts, readHostTree, type OptMount } from './sandbox-opt.js';

/** bwrap's `--info-fd` and `--block-fd` in bwrap (after the private channel's fd 3). */
export const INFO_FD = 4;
export const BLOCK_FD = 5;
/** EphemeralStorage default (AWS: 512 MB). */
export const DEFAULT_TMP_MB = 512;
/** Where the function's code is in the sandbox (Lambda: /var/task; aws-lambda.md §5.5). */
export const TASK_ROOT = '/var/task';

/** Top-level entries of a merged-/usr system (symlinks there, directories elsewhere). */
const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** What the sandbox shows of the host, and what it runs: a pure function, table-tested. */
export function sandboxCommandLine(
  req: Pick<
    LaunchRequest,
    'command' | 'args' | 'cwd' | 'batchScheduling' | 'hostPaths' | 'layerDirs' | 'codeCacheDir'
  > & {
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
  // The function's code cache entries, read-only (code-cache-writer.ts).
  if (req.codeCacheDir !== undefined) {
    a.push(
      '--perms',
      '0755',
      '--dir',
      path.dirname(SANDBOX_CODE_CACHE),
      '--ro-bind',
      req.codeCacheDir,
      SANDBOX_CODE_CACHE,
    );
  }
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

export function hostProbe(root: string): (p: string) => 'dir' | 'file' | { link: string } | undefined {
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
