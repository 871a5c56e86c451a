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
import * as fs from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, copyFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** What a fill made (tests, diagnostics). */
export interface FilledTree {
  readonly files: number;
  readonly dirs: number;
  readonly copied: number;
}

/**
 * The longest a fill holds the event loop before it lets it turn (ms). A fill makes its
 * calls on the event loop itself rather than on the thread pool, a slice at a time: the
 * thread pool's four threads also carry memory cgroup work that waits on the kernel
 * (memory-cgroups.ts), and a fill of the AWS SDK's 191 files and folders took 33–48 ms
 * behind it during cold starts, against ~4 ms of calls (_one-off_). The slice is bounded by
 * time, not by calls: a `mkdir` here takes from 0.03 to ~0.7 ms (_one-off_), and 64 of the
 * slow ones held the loop (and the answer of the invocation that had just started) ~35 ms.
 */
const SLICE_MS = 1;

/** Resolves after a turn of the event loop once `SLICE_MS` have passed since the last one. */
function slicer(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  };
}

/**
 * Fills `to` (an existing, empty folder) with the tree under `from`, then gives `to` and its
 * folders their modes and times in `from`. Rejects on anything it cannot reproduce (a
 * device file, an unreadable folder): the caller then starts a sandbox of the function's own.
 */
export async function fillTaskFolder(from: string, to: string): Promise<FilledTree> {
  const counts = { files: 0, dirs: 0, copied: 0 };
  // Folders get their modes and times once their entries are made (each entry changes them).
  const folders: [string, Stats][] = [];
  const made = slicer();
  const walk = async (src: string, dst: string): Promise<void> => {
    const entries = fs.readdirSync(src, { withFileTypes: true });
    await made();
    for (const e of entries) {
      const s = path.join(src, e.name);
      const d = path.join(dst, e.name);
      if (e.isDirectory()) {
        counts.dirs++;
        fs.mkdirSync(d, { mode: 0o700 });
        folders.push([d, fs.lstatSync(s)]);
        await made();
        await walk(s, d);
      } else if (e.isSymbolicLink()) {
        fs.symlinkSync(fs.readlinkSync(s), d);
        const st = fs.lstatSync(s);
        fs.lutimesSync(d, st.atimeMs / 1000, st.mtimeMs / 1000);
        await made();
      } else if (e.isFile()) {
        counts.files++;
        try {
          fs.linkSync(s, d);
          await made();
        } catch (err) {
          if (!isCode(err, 'EXDEV', 'EPERM', 'EMLINK')) {
            throw err;
          }
          // (rare: another file system) a copy may be large: on the thread pool.
          counts.copied++;
          await copyFile(s, d);
          const st = fs.lstatSync(s);
          fs.chmodSync(d, st.mode & 0o7777);
          fs.utimesSync(d, st.atimeMs / 1000, st.mtimeMs / 1000);
          await made();
        }
      } else {
        throw new Error(`${s}: not a file, folder or symlink`);
      }
    }
  };
  await walk(from, to);
  folders.push([to, fs.lstatSync(from)]);
  for (const [d, st] of folders) {
    fs.chmodSync(d, st.mode & 0o7777);
    fs.utimesSync(d, st.atimeMs / 1000, st.mtimeMs / 1000);
    await made();
  }
  return counts;
}

/**
 * The files, folders and symlinks under `root`, counted up to `limit + 1` (it stops there):
 * whether a code root is small enough to link at a cold start.
 */
export async function countEntries(root: string, limit: number): Promise<number> {
  let n = 0;
  const made = slicer();
  const queue = [root];
  for (let dir = queue.shift(); dir !== undefined && n <= limit; dir = queue.shift()) {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    n += entries.length;
    for (const e of entries) {
      if (e.isDirectory()) {
        queue.push(path.join(dir, e.name));
      }
    }
    await made();
  }
  return Math.min(n, limit + 1);
}

/** Removes a task folder whatever its modes (folders of a code root are read-only). */
export async function removeTaskFolder(dir: string): Promise<void> {
  const open = async (d: string): Promise<void> => {
    try {
      await chmod(d, 0o700);
    } catch {
      return;
    }
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => open(path.join(d, e.name))));
  };
  await open(dir);
  await rm(dir, { recursive: true, force: true });
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes(String((e as { code?: unknown }).code));
}

/**
 * Filled copies of the code roots taken lately, made while no environment is starting, so
 * that the next take of the same code moves a copy's top-level entries into the blank's
 * folder (a few renames) instead of making its folders then: making a folder is what a fill
 * spends its time on (77 `mkdir` of the AWS SDK took ~50 ms of the fill's ~55 ms during cold
 * starts, its 115 links ~1.3 ms; _one-off_). A scale-out takes the same code again and again.
 */
export class TreeStock {
  readonly #dir: string;
  readonly #max: number;
  #made = 0;
  /** Code root → a filled copy of it, oldest first. */
  readonly #ready = new Map<string, string>();
  /** Code roots taken since the last `quiet()`. */
  readonly #wanted = new Set<string>();
  #filling: Promise<void> | undefined;
  #disposed = false;

  /** Copies go in `dir` (on the code's file system); at most `max` are kept. */
  constructor(dir: string, max: number) {
    this.#dir = dir;
    this.#max = max;
  }

  /** Fills the empty folder `to` with the tree of `from`: from a ready copy, else link by link. */
  async fill(from: string, to: string): Promise<FilledTree | 'moved'> {
    this.#wanted.add(from);
    const copy = this.#ready.get(from);
    if (copy === undefined) {
      return fillTaskFolder(from, to);
    }
    this.#ready.delete(from);
    for (const name of fs.readdirSync(copy)) {
      fs.renameSync(path.join(copy, name), path.join(to, name));
    }
    const st = fs.lstatSync(from);
    fs.chmodSync(to, st.mode & 0o7777);
    fs.utimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
    fs.rmdirSync(copy);
    return 'moved';
  }

  /** Code roots with a ready copy (tests, diagnostics). */
  ready(): string[] {
    return [...this.#ready.keys()];
  }

  /** No environment is starting: copies of the code roots taken since are made now. */
  quiet(): Promise<void> {
    if (this.#filling !== undefined || this.#disposed) {
      return this.#filling ?? Promise.resolve();
    }
    this.#filling = this.#prepare().finally(() => {
      this.#filling = undefined;
    });
    return this.#filling;
  }

  /** Resolves once the copies being made now are ready (tests, diagnostics). */
  async settled(): Promise<void> {
    await this.#filling;
  }

  async #prepare(): Promise<void> {
    for (const root of [...this.#wanted]) {
      this.#wanted.delete(root);
      if (this.#ready.has(root) || this.#disposed) {
        continue;
      }
      const copy = path.join(this.#dir, `copy-${++this.#made}`);
      try {
        fs.mkdirSync(copy, { mode: 0o700 });
        await fillTaskFolder(root, copy);
      } catch {
        await removeTaskFolder(copy);
        continue;
      }
      if (this.#disposed) {
        await removeTaskFolder(copy);
        return;
      }
      this.#ready.set(root, copy);
      while (this.#ready.size > this.#max) {
        const [oldRoot, oldCopy] = this.#ready.entries().next().value ?? ['', ''];
        this.#ready.delete(oldRoot);
        await removeTaskFolder(oldCopy);
      }
    }
  }

  /** Stops making copies (the folder they are in is removed by its owner). */
  dispose(): void {
    this.#disposed = true;
  }
}
