/**
 * Nothing left behind when hearth dies (issue 13):
 *
 *   1. each environment ends by itself when hearth dies: where util-linux's setpriv is at
 *      hand, one hearth forks itself is started under `setpriv --pdeathsig KILL` (Linux's
 *      parent-death signal, kept across the exec into the runtime), and the spawner
 *      (launchers/spawner.ts) under `setpriv --pdeathsig TERM`, on which it kills every
 *      process group it started; the bundled clients exit when their channel closes;
 *   2. what an earlier run left behind anyway (no setpriv, a kill between the fork and the
 *      prctl, processes a `bootstrap` started) is swept at the next start: every process
 *      of this user whose environment carries `_HEARTH_OWNER=<token>:<pid>` (the token
 *      names the data dir, the pid the hearth that started it) and whose environment's
 *      process is no longer that hearth's child (or its spawner's, launchers/spawner.ts,
 *      itself a marked child of that hearth) is killed, with its process group. With
 *      or without memory cgroups (memory-cgroups.ts sweeps its own directories as well).
 *
 * The live environments of another hearth on the same data dir, or of another platform in
 * the same process (tests), are their hearth's children: never swept.
 */
import { readdir, readFile } from 'node:fs/promises';

/** The variable that marks an environment's processes (inherited by what they start). */
export const OWNER_VARIABLE = '_HEARTH_OWNER';

/** The token of a pool given no `owner` (PoolOptions). */
export const DEFAULT_OWNER = 'hearth';

/** `<token>:<pid>`: the value of OWNER_VARIABLE for environments started by this process. */
export function ownerMark(token: string): string {
  return `${token}:${process.pid}`;
}

interface ProcStat {
  readonly ppid: number;
  readonly pgid: number;
}

/** ppid and pgid of a /proc/<pid>/stat text (fields 4 and 5, after the command's `)`). */
export function parseStat(text: string): ProcStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  return Number.isInteger(ppid) && Number.isInteger(pgid) ? { ppid, pgid } : undefined;
}

/** The hearth pid of an environ text (NUL-separated) marked with `token`, if marked. */
export function ownerPidOf(environ: string, token: string): number | undefined {
  const prefix = `${OWNER_VARIABLE}=${token}:`;
  for (const entry of environ.split('\0')) {
    if (entry.startsWith(prefix)) {
      const pid = Number(entry.slice(prefix.length));
      return Number.isInteger(pid) ? pid : undefined;
    }
  }
  return undefined;
}

async function statOf(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => undefined);
  return text === undefined ? undefined : parseStat(text);
}

function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // gone already, or not ours
  }
}

/**
 * Whether `parent` is the live hearth `hearth`, or its spawner (launchers/spawner.ts: a
 * marked child of that hearth that forks its environments).
 */
async function startedBy(
  parent: number,
  hearth: number,
  marked: ReadonlyMap<number, number>,
): Promise<boolean> {
  if (parent === hearth) {
    return true;
  }
  if (marked.get(parent) !== hearth) {
    return false;
  }
  return (await statOf(parent))?.ppid === hearth;
}

/**
 * Kills the processes an earlier hearth on `token`'s data dir left behind; returns their
 * pids. Linux only (elsewhere there is no /proc and nothing is swept).
 */
export async function sweepOrphans(token: string): Promise<number[]> {
  if (process.platform !== 'linux') {
    return [];
  }
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const marked = new Map<number, number>(); // pid → its hearth's pid
  await Promise.all(
    entries.map(async (name) => {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) {
        return;
      }
      // Readable for this user's processes only: others' are no business of ours.
      const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => undefined);
      const owner = environ === undefined ? undefined : ownerPidOf(environ, token);
      if (owner !== undefined) {
        marked.set(pid, owner);
      }
    }),
  );
  const swept: number[] = [];
  for (const [pid, owner] of marked) {
    const stat = await statOf(pid);
    if (stat === undefined) {
      continue;
    }
    // The environment's process leads its group (launched detached); it is live while it
    // is still the child of the hearth that started it. A process whose group has no
    // marked leader any more stands for itself.
    const leader = marked.has(stat.pgid) ? stat.pgid : pid;
    const leaderStat = leader === pid ? stat : await statOf(leader);
    const hearth = marked.get(leader) ?? owner;
    if (leaderStat !== undefined && (await startedBy(leaderStat.ppid, hearth, marked))) {
      continue;
    }
    if (stat.pgid === pid) {
      kill(-pid);
    }
    kill(pid);
    swept.push(pid);
  }
  return swept;
}
