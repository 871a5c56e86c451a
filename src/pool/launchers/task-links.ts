/**
 * A pre-started sandbox's /var/task (sandbox-launcher.ts, prestarted.ts). bubblewrap binds a
 * folder at /var/task when it starts the sandbox, and nothing unprivileged can mount there
 * afterwards; so a sandbox started before its function exists gets an empty folder of
 * hearth's, and when a function takes it that folder is filled with the function's code:
 * a hard link to every file of the code root (same file system: the package store and this
 * folder are both in the data dir), a copy where a link cannot be made (another file
 * system), the same symlinks, folders of the same modes and times. The sandbox sees the
 * folder through its read-only bind, so the files are the package store's own (same inodes,
 * modes, sizes and times) and nothing in the sandbox can change them. What differs from a
 * bind of the code root itself: the files' link count and change time (a link is one more
 * name of the inode), the folders' and symlinks' inode numbers, and their times below a
 * microsecond (Node sets times as seconds in a double) [DESIGN].
 */
import * as fsSync from 'node:fs';
import type { Stats } from 'node:fs';
import * as fsAsync from 'node:fs/promises';
import path from 'node:path';

/** What a fill made (tests, diagnostics). */
export interface FilledTree {
  readonly files: number;
  readonly dirs: number;
  readonly copied: number;
}

/** The file system calls a fill makes: on the thread pool, or the same calls made at once. */
interface Ops {
  readdir(p: string): Promise<fsSync.Dirent[]>;
  mkdir(p: string, mode: number): Promise<unknown>;
  lstat(p: string): Promise<Stats>;
  readlink(p: string): Promise<string>;
  symlink(target: string, p: string): Promise<void>;
  link(from: string, to: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  chmod(p: string, mode: number): Promise<void>;
  utimes(p: string, atime: number, mtime: number): Promise<void>;
  lutimes(p: string, atime: number, mtime: number): Promise<void>;
}

const ASYNC_OPS: Ops = {
  readdir: (p) => fsAsync.readdir(p, { withFileTypes: true }),
  mkdir: (p, mode) => fsAsync.mkdir(p, { mode }),
  lstat: (p) => fsAsync.lstat(p),
  readlink: (p) => fsAsync.readlink(p),
  symlink: (t, p) => fsAsync.symlink(t, p),
  link: (a, b) => fsAsync.link(a, b),
  copyFile: (a, b) => fsAsync.copyFile(a, b),
  chmod: (p, m) => fsAsync.chmod(p, m),
  utimes: (p, a, m) => fsAsync.utimes(p, a, m),
  lutimes: (p, a, m) => fsAsync.lutimes(p, a, m),
};

/** The same calls made at once (a throw inside a caller's `await` rejects as the other's would). */
const SYNC_OPS: Ops = {
  readdir: (p) => Promise.resolve(fsSync.readdirSync(p, { withFileTypes: true })),
  mkdir: (p, mode) => Promise.resolve(fsSync.mkdirSync(p, { mode })),
  lstat: (p) => Promise.resolve(fsSync.lstatSync(p)),
  readlink: (p) => Promise.resolve(fsSync.readlinkSync(p)),
  symlink: (t, p) => Promise.resolve(fsSync.symlinkSync(t, p)),
  link: (a, b) => Promise.resolve(fsSync.linkSync(a, b)),
  copyFile: (a, b) => Promise.resolve(fsSync.copyFileSync(a, b)),
  chmod: (p, m) => Promise.resolve(fsSync.chmodSync(p, m)),
  utimes: (p, a, m) => Promise.resolve(fsSync.utimesSync(p, a, m)),
  lutimes: (p, a, m) => Promise.resolve(fsSync.lutimesSync(p, a, m)),
};

/**
 * Fills `to` (an existing, empty folder) with the tree under `from`, then gives `to` and its
 * folders their modes in `from`. Rejects on anything it cannot reproduce (a device file, an
 * unreadable folder): the caller then starts a sandbox of the function's own.
 *
 * `sync`: the calls are made at once rather than on the thread pool, for a tree of a few
 * entries: each turn through the thread pool costs more than the call itself (one file's
 * fill took 0.4–5 ms, median ~1.5 ms, through it during cold starts; _one-off_), and the
 * event loop is held only a few microseconds per entry.
 */
export async function fillTaskFolder(from: string, to: string, sync = false): Promise<FilledTree> {
  const fs = sync ? SYNC_OPS : ASYNC_OPS;
  const counts = { files: 0, dirs: 0, copied: 0 };
  // Folders get their modes and times once their entries are made (each entry changes them).
  const folders: [string, Stats][] = [];
  const walk = async (src: string, dst: string): Promise<void> => {
    const entries = await fs.readdir(src);
    await Promise.all(
      entries.map(async (e) => {
        const s = path.join(src, e.name);
        const d = path.join(dst, e.name);
        if (e.isDirectory()) {
          counts.dirs++;
          await fs.mkdir(d, 0o700);
          folders.push([d, await fs.lstat(s)]);
          await walk(s, d);
        } else if (e.isSymbolicLink()) {
          await fs.symlink(await fs.readlink(s), d);
          const st = await fs.lstat(s);
          await fs.lutimes(d, st.atimeMs / 1000, st.mtimeMs / 1000);
        } else if (e.isFile()) {
          counts.files++;
          try {
            await fs.link(s, d);
          } catch (err) {
            if (!isCode(err, 'EXDEV', 'EPERM', 'EMLINK')) {
              throw err;
            }
            counts.copied++;
            await fs.copyFile(s, d);
            const st = await fs.lstat(s);
            await fs.chmod(d, st.mode & 0o7777);
            await fs.utimes(d, st.atimeMs / 1000, st.mtimeMs / 1000);
          }
        } else {
          throw new Error(`${s}: not a file, folder or symlink`);
        }
      }),
    );
  };
  await walk(from, to);
  folders.push([to, await fs.lstat(from)]);
  await Promise.all(
    folders.map(async ([d, st]) => {
      await fs.chmod(d, st.mode & 0o7777);
      await fs.utimes(d, st.atimeMs / 1000, st.mtimeMs / 1000);
    }),
  );
  return counts;
}

/**
 * The files, folders and symlinks under `root`, counted up to `limit + 1` (it stops there):
 * whether a code root is small enough to link at a cold start.
 */
export async function countEntries(root: string, limit: number): Promise<number> {
  let n = 0;
  const queue = [root];
  for (let dir = queue.shift(); dir !== undefined && n <= limit; dir = queue.shift()) {
    const entries = await fsAsync.readdir(dir, { withFileTypes: true });
    n += entries.length;
    for (const e of entries) {
      if (e.isDirectory()) {
        queue.push(path.join(dir, e.name));
      }
    }
  }
  return Math.min(n, limit + 1);
}

/** Removes a task folder whatever its modes (folders of a code root are read-only). */
export async function removeTaskFolder(dir: string): Promise<void> {
  const open = async (d: string): Promise<void> => {
    try {
      await fsAsync.chmod(d, 0o700);
    } catch {
      return;
    }
    const entries = await fsAsync.readdir(d, { withFileTypes: true }).catch(() => []);
    await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => open(path.join(d, e.name))));
  };
  await open(dir);
  await fsAsync.rm(dir, { recursive: true, force: true });
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes(String((e as { code?: unknown }).code));
}
