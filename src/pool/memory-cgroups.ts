/**
 * MemorySize as a hard limit on the whole environment (aws-lambda.md §5.5: the function's
 * memory is what its sandbox may use), through a memory cgroup per environment where the
 * machine lets hearth create one: cgroup v1's memory hierarchy, or a cgroup v2 tree whose
 * memory controller hearth may enable for its own children. Elsewhere the V8 heap limit
 * (launch.ts) is the only bound, as before.
 *
 *   <hearth's own cgroup>/hearth-<pid>-<n>/env-<id>   memory limit = MemorySize, no swap
 *
 * (`n` numbers the pools of one process.)
 *
 * The process is moved in right after spawn (before its runtime has loaded, ~20 ms
 * later); everything it starts inherits the cgroup. Exceeding the limit wakes the
 * kernel's OOM killer, which SIGKILLs the runtime: the invocation ends with
 * `Runtime exited with error: signal: killed`, as on Lambda, and the REPORT line says
 * `Runtime.OutOfMemory`. On the way out every process still in the cgroup is killed
 * (a `bootstrap`'s grandchildren in their own session included), then the cgroup is
 * removed; cgroups left by a hearth that was killed are swept at the next start.
 *
 * Everything goes through `root` (default `/`), so tests run it on a directory tree.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One environment's cgroup. */
export interface EnvironmentCgroup {
  /**
   * Resolves once the process is in its cgroup (true) or could not be put there (false,
   * told to onError; the environment runs on without one).
   */
  readonly placed: Promise<boolean>;
  /** True when the kernel's OOM killer acted in this cgroup. */
  oomKilled(): boolean;
  /** SIGKILLs every process left in the cgroup. */
  killAll(): void;
  /** Kills what is left and removes the cgroup (retried while the kernel still reaps). */
  remove(): Promise<void>;
}

export interface MemoryCgroups {
  readonly version: 1 | 2;
  /** hearth's directory for its environments' cgroups. */
  readonly base: string;
  /**
   * Creates `env-<id>` limited to `limitMb` and moves `pid` into it, from the thread pool
   * (see `placed`): the move waits in the kernel for an RCU grace period whenever the last
   * move is more than ~50 ms old (5–18 ms on this machine's cgroup v1, _one-off_), holding
   * the cgroup mutex that making a cgroup needs too, and hearth's one thread waited with
   * them at every start.
   */
  place(id: number | string, pid: number, limitMb: number): EnvironmentCgroup;
  /** Waits for pending removals, then removes hearth's directory. */
  dispose(): Promise<void>;
}

export interface CgroupOptions {
  /** Filesystem root (tests); default `/`. */
  readonly root?: string;
  /** This process's pid (tests); default process.pid. */
  readonly pid?: number;
  /** Whether a pid is alive (tests); default `process.kill(pid, 0)`. */
  readonly alive?: (pid: number) => boolean;
  /** Kills a pid (tests); default SIGKILL. */
  readonly kill?: (pid: number) => void;
  /** Why cgroups are not used, for the log. */
  readonly onUnavailable?: (reason: string) => void;
  /** A cgroup that could not be made or removed (the environment runs on regardless). */
  readonly onError?: (message: string) => void;
}

const REMOVE_ATTEMPTS = 20;
/** Pools opened by this process, for unique directory names. */
let opened = 0;
const REMOVE_RETRY_MS = 50;

function errorCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function defaultAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return typeof e === 'object' && e !== null && 'code' in e && e.code === 'EPERM';
  }
}

function defaultKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Where this process's memory cgroup is: the mount point of the memory hierarchy (v1) or
 * of the unified hierarchy with a memory controller (v2), plus our own path in it.
 */
function locate(root: string): { version: 1 | 2; dir: string } | string {
  const mountinfo = read(path.join(root, 'proc/self/mountinfo'));
  const self = read(path.join(root, 'proc/self/cgroup'));
  if (mountinfo === undefined || self === undefined) {
    return 'no /proc/self/mountinfo or /proc/self/cgroup';
  }
  let v1Mount: string | undefined;
  let v2Mount: string | undefined;
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superopts
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) {
      continue;
    }
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions] = right.split(' ');
    if (mountPoint === undefined) {
      continue;
    }
    if (fstype === 'cgroup' && (superOptions ?? '').split(',').includes('memory')) {
      v1Mount = mountPoint;
    } else if (fstype === 'cgroup2' && v2Mount === undefined) {
      v2Mount = mountPoint;
    }
  }
  const lines = self.split('\n');
  if (v1Mount !== undefined) {
    const own = lines.map((l) => l.split(':')).find((f) => (f[1] ?? '').split(',').includes('memory'));
    if (own?.[2] !== undefined) {
      return { version: 1, dir: path.join(root, v1Mount, own[2]) };
    }
  }
  if (v2Mount !== undefined) {
    const own = lines.find((l) => l.startsWith('0::'));
    const controllers = read(path.join(root, v2Mount, 'cgroup.controllers')) ?? '';
    if (own !== undefined && controllers.split(/\s+/).includes('memory')) {
      return { version: 2, dir: path.join(root, v2Mount, own.slice(3)) };
    }
  }
  return 'no memory cgroup controller is mounted';
}

/** Detects and prepares hearth's cgroup directory; undefined when the machine does not allow it. */
export function openMemoryCgroups(opts: CgroupOptions = {}): MemoryCgroups | undefined {
  const root = opts.root ?? '/';
  const pid = opts.pid ?? process.pid;
  const alive = opts.alive ?? defaultAlive;
  const kill = opts.kill ?? defaultKill;
  const found = locate(root);
  if (typeof found === 'string') {
    opts.onUnavailable?.(found);
    return undefined;
  }
  const { version, dir } = found;
  if (
    version === 2 &&
    !(read(path.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/).includes('memory')
  ) {
    // v2 gives a child cgroup the memory controller only if its parent delegates it, and a
    // cgroup with processes of its own (hearth's, unless it is the root) cannot.
    opts.onUnavailable?.(`${dir} does not delegate the memory controller to its children (cgroup v2)`);
    return undefined;
  }
  const limitFile = version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  const swapFile = version === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max';

  const killAllIn = (cg: string): void => {
    for (const p of (read(path.join(cg, 'cgroup.procs')) ?? '').split('\n')) {
      if (p !== '') {
        kill(Number(p));
      }
    }
  };
  /** Resolves once `cg` is gone, or after the last attempt (then the next start sweeps it). */
  const removeDir = (cg: string): Promise<void> =>
    new Promise((resolve) => {
      const attempt = (n: number): void => {
        killAllIn(cg);
        try {
          rmdirSync(cg);
        } catch (e) {
          const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
          // EBUSY: the kernel has not reaped every member yet.
          if (code === 'EBUSY' && n < REMOVE_ATTEMPTS) {
            setTimeout(() => attempt(n + 1), REMOVE_RETRY_MS).unref();
            return;
          }
          if (code !== 'ENOENT') {
            opts.onError?.(`cannot remove ${cg}: ${String(code)}`);
          }
        }
        resolve();
      };
      attempt(0);
    });
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>): Promise<void> => {
    pending.add(p);
    void p.then(() => pending.delete(p));
    return p;
  };

  // Cgroups of hearths that were killed before they could clean up.
  try {
    for (const name of readdirSync(dir)) {
      const m = /^hearth-(\d+)-\d+$/.exec(name);
      if (m !== null && Number(m[1]) !== pid && !alive(Number(m[1]))) {
        const stale = path.join(dir, name);
        for (const env of readdirSync(stale)) {
          if (env.startsWith('env-')) {
            void removeDir(path.join(stale, env));
          }
        }
        void removeDir(stale);
      }
    }
  } catch {
    // not readable: nothing to sweep
  }

  const base = path.join(dir, `hearth-${pid}-${++opened}`);
  try {
    if (version === 2) {
      // v2: children may only get a memory limit if their parent delegates the controller.
      mkdirSync(base, { recursive: false });
      writeFileSync(path.join(base, 'cgroup.subtree_control'), '+memory');
    } else {
      mkdirSync(base, { recursive: false });
    }
  } catch (e) {
    try {
      rmdirSync(base);
    } catch {
      // never created
    }
    opts.onUnavailable?.(`cannot create ${base}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }

  return {
    version,
    base,
    place(id, child, limitMb) {
      const cg = path.join(base, `env-${id}`);
      const bytes = String(limitMb * 1024 * 1024);
      const placed = (async () => {
        // All of it on the thread pool. Making a cgroup takes ~0.05 ms alone, but it needs
        // the kernel's cgroup mutex, which a move in progress holds while it waits for an
        // RCU grace period: during a Put(100), hearth's one thread sat ~1 ms per start in
        // mkdir (_one-off_, --cpu-prof of three Put(100); src/pool/README.md).
        await mkdir(cg);
        await writeFile(path.join(cg, limitFile), bytes);
        const swap = path.join(cg, swapFile);
        if (existsSync(swap)) {
          // No swap beyond the limit: v1 counts memory+swap together, v2 swap alone.
          await writeFile(swap, version === 1 ? bytes : '0');
        }
        await writeFile(path.join(cg, 'cgroup.procs'), String(child));
        return true;
      })().catch((e: unknown) => {
        // ESRCH: the process ended before it was placed; nothing is left to limit.
        if (errorCode(e) !== 'ESRCH') {
          opts.onError?.(
            `environment ${id} runs without a memory cgroup: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        void track(removeDir(cg));
        return false;
      });
      void track(placed.then(() => undefined));
      const events = version === 1 ? 'memory.oom_control' : 'memory.events';
      return {
        placed,
        oomKilled() {
          const m = /^oom_kill (\d+)$/m.exec(read(path.join(cg, events)) ?? '');
          return m !== null && Number(m[1]) > 0;
        },
        killAll() {
          killAllIn(cg);
        },
        remove() {
          // After the placing: a directory removed before it was made would be made after.
          return track(placed.then(() => removeDir(cg)));
        },
      };
    },
    async dispose() {
      await Promise.all(pending);
      await removeDir(base);
    },
  };
}
