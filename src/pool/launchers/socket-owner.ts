/**
 * Whose is this loopback TCP connection? The Runtime API of a sandboxed environment asks
 * for every connection it accepts (issue 12 item 7; runtime-api-server.ts "Guarded"):
 * served only when the client's socket is held by a process of that environment's
 * sandbox, closed unanswered otherwise.
 *
 * How it tells, without root and without a uid per environment:
 *
 *   1. `/proc/net/tcp` names the socket inode of the client's end (local port = the
 *      client's port, remote port = the Runtime API's);
 *   2. the environment's processes are its sandbox's init (`rootPid`, a host PID that
 *      hearth learned from bwrap's `--info-fd`) and every descendant: a process inside a
 *      PID namespace cannot leave it, and one whose parent dies is re-parented to that init;
 *   3. the connection is the environment's when one of those processes has the inode open
 *      (`/proc/<pid>/fd/*` → `socket:[inode]`).
 *
 * Steps 2 and 3 read no more than they must: an environment's `SandboxSocketOwner` keeps
 * the tree it found (pid and start time of each process) and asks those processes first,
 * the last one that held a connection (the runtime) before the others; only a connection
 * none of them holds walks the tree again (a process the runtime started since). Every
 * read is asynchronous: hearth's event loop never waits on /proc.
 *
 * Another environment cannot hold that inode: it has no way to pass a descriptor into a
 * sandbox it shares no socket with. hearth may read those `/proc` entries: they belong to
 * its own uid (or hearth is root). Measured cost per connection (keep-alive: once per
 * runtime connection, not per invocation): src/pool/README.md "Runtime API isolation".
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** The inode of the socket whose local port is `clientPort` and remote port `serverPort`. */
export function connectionInode(
  procNetTcp: string,
  serverPort: number,
  clientPort: number,
): number | undefined {
  const local = `:${clientPort.toString(16).toUpperCase().padStart(4, '0')}`;
  const remote = `:${serverPort.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
    if (f[1]?.endsWith(local) === true && f[2]?.endsWith(remote) === true) {
      const n = Number(f[9]);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    }
  }
  return undefined;
}

/** What `/proc/<pid>/stat` says of a process: its parent and when it started. */
export interface ProcStat {
  readonly ppid: number;
  /** Field 22, clock ticks since boot: a pid reused by another process has a later one. */
  readonly start: string;
}

export async function statOf(pid: number, proc = '/proc'): Promise<ProcStat | undefined> {
  const stat = await readFile(`${proc}/${pid}/stat`, 'latin1').catch(() => undefined);
  if (stat === undefined) {
    return undefined; // gone
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, the last ')' ends it.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(f[1]);
  const start = f[19];
  return Number.isInteger(ppid) && start !== undefined ? { ppid, start } : undefined;
}

/**
 * `rootPid` and its descendants (every thread's children), read from /proc, each with its
 * start time. A child is taken only when its stat names the parent it was listed under: a
 * pid that ended and was reused between the two reads is someone else's.
 */
export async function processTree(rootPid: number, proc = '/proc'): Promise<Map<number, string>> {
  const tree = new Map<number, string>();
  let level: { pid: number; parent: number | undefined }[] = [{ pid: rootPid, parent: undefined }];
  while (level.length > 0) {
    const next = await Promise.all(
      level.map(async ({ pid, parent }) => {
        const stat = await statOf(pid, proc);
        if (stat === undefined || tree.has(pid) || (parent !== undefined && stat.ppid !== parent)) {
          return [];
        }
        tree.set(pid, stat.start);
        return (await childrenOf(pid, proc)).map((c) => ({ pid: c, parent: pid }));
      }),
    );
    level = next.flat();
  }
  return tree;
}

async function childrenOf(pid: number, proc: string): Promise<number[]> {
  const tasks = await readdir(`${proc}/${pid}/task`).catch(() => [] as string[]); // gone
  const lists = await Promise.all(
    tasks.map(
      (tid) => readFile(`${proc}/${pid}/task/${tid}/children`, 'latin1').catch(() => ''), // the thread ended
    ),
  );
  return lists.flatMap((l) =>
    l
      .split(' ')
      .filter((c) => c.trim() !== '')
      .map(Number),
  );
}

/** Whether process `pid` has socket `inode` open. */
export async function holdsSocket(pid: number, inode: number, proc = '/proc'): Promise<boolean> {
  const want = `socket:[${inode}]`;
  const fds = await readdir(`${proc}/${pid}/fd`).catch(() => [] as string[]);
  const links = await Promise.all(
    fds.map((fd) => readlink(`${proc}/${pid}/fd/${fd}`).catch(() => '')), // closed meanwhile
  );
  return links.includes(want);
}

/**
 * Steps 1–3 above for one environment, its process tree kept between connections. A
 * connection held by a known process of the tree is admitted without walking the tree
 * again, once that process is seen to be the one that was found (same pid, same start
 * time: not a pid the kernel has since handed to a process elsewhere). Any other
 * connection walks the tree afresh, and is admitted only when a process of the new
 * tree holds it.
 */
export class SandboxSocketOwner {
  readonly #rootPid: number;
  readonly #proc: string;
  /** Processes of the tree at its last walk, pid → start time (undefined: not walked yet). */
  #tree: Map<number, string> | undefined;
  /** The process that held the last admitted connection: the runtime, usually. */
  #lastHolder: number | undefined;
  /** Tree walks so far (tests, and the README's cost). */
  walks = 0;

  constructor(rootPid: number, proc = '/proc') {
    this.#rootPid = rootPid;
    this.#proc = proc;
  }

  async owns(serverPort: number, clientPort: number): Promise<boolean> {
    const inode = connectionInode(
      await readFile(`${this.#proc}/net/tcp`, 'latin1').catch(() => ''),
      serverPort,
      clientPort,
    );
    if (inode === undefined) {
      return false;
    }
    if (this.#tree !== undefined && (await this.#heldByKnown(this.#tree, inode))) {
      return true;
    }
    const known = this.#tree;
    this.#tree = await this.#walk();
    // A process of the old tree already said no: ask only the ones that are new or reused.
    const fresh = [...this.#tree].filter(([pid, start]) => known?.get(pid) !== start);
    return this.#heldByAny(fresh, inode);
  }

  async #heldByKnown(tree: Map<number, string>, inode: number): Promise<boolean> {
    const order = [...tree];
    const last = order.findIndex(([pid]) => pid === this.#lastHolder);
    if (last > 0) {
      order.unshift(...order.splice(last, 1));
    }
    return this.#heldByAny(order, inode);
  }

  async #heldByAny(procs: readonly (readonly [number, string])[], inode: number): Promise<boolean> {
    for (const [pid, start] of procs) {
      // Holding first, start time after: a process that exits between the two reads, its
      // pid reused by another that holds the socket, fails the second.
      if ((await holdsSocket(pid, inode, this.#proc)) && (await statOf(pid, this.#proc))?.start === start) {
        this.#lastHolder = pid;
        return true;
      }
    }
    return false;
  }

  async #walk(): Promise<Map<number, string>> {
    this.walks++;
    return processTree(this.#rootPid, this.#proc);
  }
}

/** Steps 1–3 once, nothing kept (a one-off check; an environment keeps a SandboxSocketOwner). */
export async function sandboxOwnsConnection(
  rootPid: number,
  serverPort: number,
  clientPort: number,
  proc = '/proc',
): Promise<boolean> {
  return new SandboxSocketOwner(rootPid, proc).owns(serverPort, clientPort);
}
