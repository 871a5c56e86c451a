/**
 * The platform's side of the bundled Node.js runtime's code cache
 * (src/runtimes/node/code-cache.cjs): where each function's entries live. One folder per
 * function, under PoolOptions.codeCacheDir: its versions share entries (their code roots
 * may be the same package), and no other function's environment ever reads them. A
 * sandboxed function's entries are in one folder per code root inside it, written by the
 * platform (code-cache-writer.ts).
 */
import { createHash } from 'node:crypto';
import { open, readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EnvironmentSpec } from '../core/ports.js';

/** The variable naming the folder (read and removed by bootstrap.cjs before user code). */
export const CODE_CACHE_VARIABLE = '_HEARTH_CODE_CACHE';

/** A function's folder name: a digest of its identity (no path characters). */
export function codeCacheFolder(
  spec: Pick<EnvironmentSpec, 'accountId' | 'region' | 'namespace' | 'functionName'>,
): string {
  return createHash('sha256')
    .update(`${spec.accountId}\0${spec.region}\0${spec.namespace}\0${spec.functionName}`)
    .digest('hex')
    .slice(0, 32);
}

/** PoolOptions.codeCacheMaxMb's default: the whole code cache folder, all functions. */
export const DEFAULT_CODE_CACHE_MAX_MB = 256;

/** A temp file older than this is a dead writer's (code-cache.cjs writes temp + rename). */
const TEMP_GRACE_MS = 60_000;

export interface CodeCachePruneResult {
  /** Entries removed: their module is gone or changed (they could never be used again). */
  readonly stale: number;
  /** Entries removed, oldest written first, to bring the folder under its size cap. */
  readonly evicted: number;
  /** Bytes kept. */
  readonly keptBytes: number;
}

interface Entry {
  readonly file: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/**
 * Keeps the code cache folder bounded (issue 15; code-cache.cjs writes, never removes):
 *
 *   1. an entry whose module file no longer exists, or is not the file it was made from
 *      (size, mtime, inode: the header code-cache.cjs wrote), is removed, and so is a
 *      temp file of a writer that died (older than a minute);
 *   2. if what is left is over `maxBytes`, entries are removed oldest written first
 *      (an entry still in use is written again by the next cold start that misses it);
 *   3. a function folder left empty is removed.
 *
 * Code roots are content-addressed and never deleted, so a function's earlier code keeps
 * its files: step 2 is what bounds a function updated many times. Runs off the critical
 * path (pool start, after a drain), reading with fs/promises only.
 */
export async function pruneCodeCache(
  dir: string,
  maxBytes: number,
  nowMs = Date.now(),
): Promise<CodeCachePruneResult> {
  let stale = 0;
  let evicted = 0;
  const kept: Entry[] = [];
  const folders = await readdir(dir, { withFileTypes: true }).catch(() => []);
  // A function's folder holds its unsandboxed entries, and one folder per code root of
  // its sandboxed ones (code-cache-writer.ts).
  const visit = async (fdir: string, depth: number): Promise<void> => {
    const names = await readdir(fdir).catch(() => [] as string[]);
    for (const name of names) {
      const file = path.join(fdir, name);
      const st = await stat(file).catch(() => undefined);
      if (st?.isDirectory() === true && depth === 0) {
        await visit(file, 1);
        // Fails (ENOTEMPTY) unless it is empty now.
        await rmdir(file).catch(() => undefined);
        continue;
      }
      if (st === undefined || !st.isFile()) {
        continue;
      }
      if (name.endsWith('.tmp')) {
        if (nowMs - st.mtimeMs > TEMP_GRACE_MS) {
          await rm(file, { force: true });
        }
        continue;
      }
      if (!name.endsWith('.v8')) {
        continue;
      }
      if (!(await entryIsCurrent(file))) {
        await rm(file, { force: true });
        stale++;
        continue;
      }
      kept.push({ file, bytes: st.size, mtimeMs: st.mtimeMs });
    }
  };
  for (const folder of folders) {
    if (folder.isDirectory()) {
      await visit(path.join(dir, folder.name), 0);
    }
  }
  let keptBytes = kept.reduce((n, e) => n + e.bytes, 0);
  if (keptBytes > maxBytes) {
    kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of kept) {
      if (keptBytes <= maxBytes) {
        break;
      }
      await rm(e.file, { force: true });
      keptBytes -= e.bytes;
      evicted++;
    }
  }
  for (const folder of folders) {
    if (folder.isDirectory()) {
      // Fails (ENOTEMPTY) unless the folder is empty: what a function still uses stays.
      await rmdir(path.join(dir, folder.name)).catch(() => undefined);
    }
  }
  return { stale, evicted, keptBytes };
}

/** Whether an entry's header still describes its module file (code-cache.cjs headerOf). */
async function entryIsCurrent(entry: string): Promise<boolean> {
  let header: { file?: unknown; hostFile?: unknown; size?: unknown; mtimeMs?: unknown; ino?: unknown };
  try {
    const handle = await open(entry, 'r');
    try {
      const head = Buffer.alloc(4);
      await handle.read(head, 0, 4, 0);
      const length = head.readUInt32LE(0);
      if (length === 0 || length > 64 * 1024) {
        return false;
      }
      const json = Buffer.alloc(length);
      const { bytesRead } = await handle.read(json, 0, length, 4);
      header = JSON.parse(json.toString('utf8', 0, bytesRead)) as typeof header;
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  // A sandboxed runtime's entry names its module as the sandbox sees it, and the host file
  // too (code-cache-writer.ts).
  const file = header.hostFile ?? header.file;
  if (typeof file !== 'string') {
    return false;
  }
  const st = await stat(file).catch(() => undefined);
  return (
    st !== undefined && st.size === header.size && st.mtimeMs === header.mtimeMs && st.ino === header.ino
  );
}
