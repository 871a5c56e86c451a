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
 * Another environment cannot hold that inode: it has no way to pass a descriptor into a
 * sandbox it shares no socket with. hearth may read those `/proc` entries: they belong to
 * its own uid (or hearth is root). Measured cost per connection (keep-alive: once per
 * runtime connection, not per invocation): src/pool/README.md "Runtime API isolation".
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

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

/** `rootPid` and its descendants (every thread's children), read from /proc. */
export function processTree(rootPid: number, proc = '/proc'): number[] {
  const out: number[] = [];
  const todo = [rootPid];
  while (todo.length > 0) {
    const pid = todo.pop();
    if (pid === undefined || out.includes(pid)) {
      continue;
    }
    out.push(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`${proc}/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`${proc}/${pid}/task/${tid}/children`, 'latin1').split(' ')) {
          if (c.trim() !== '') {
            todo.push(Number(c));
          }
        }
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

/** Whether one of `pids` has socket `inode` open. */
export function holdsSocket(pids: readonly number[], inode: number, proc = '/proc'): boolean {
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`${proc}/${pid}/fd/${fd}`) === want) {
          return true;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/** Steps 1–3 above. */
export async function sandboxOwnsConnection(
  rootPid: number,
  serverPort: number,
  clientPort: number,
): Promise<boolean> {
  const inode = connectionInode(
    await readFile('/proc/net/tcp', 'latin1').catch(() => ''),
    serverPort,
    clientPort,
  );
  return inode !== undefined && holdsSocket(processTree(rootPid), inode);
}
