/**
 * Pre-started sandboxes (prestarted.ts in a sandbox, src/pool/README.md "Pre-started
 * runtimes"): bubblewrap binds the code at /var/task when it starts the sandbox, and nothing
 * unprivileged can mount there afterwards, so a blank is a whole sandbox whose /var/task is
 * an empty folder of hearth's (`<taskDir>/<run>/blank-<n>`). A cold start that takes one
 * fills that folder with links to the function's code (task-links.ts) and, where the
 * function has a code cache, a second folder with links to its entries
 * (code-cache-writer.ts), then hands the blank the function (ASSIGN).
 *
 * The sandbox launcher (sandbox-launcher.ts) starts the processes (`start`); this class
 * decides which launch takes a blank, prepares it, and starts blanks when the pool is quiet.
 */
import { mkdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LaunchHandlers, LaunchRequest, LaunchedProcess } from './launcher.js';
import { PrestartedRuntimes, processAlive, type ClaimedBlank } from './prestarted.js';
import { DEFAULT_TMP_MB, TASK_ROOT } from './sandbox-command-line.js';
import { countEntries, fillTaskFolder, removeTaskFolder, TreeStock } from './task-links.js';

/**
 * A code root of more files and folders than this starts a sandbox of its own rather than
 * take a pre-started one: filling /var/task costs ~24 µs per entry here (3,517 files and
 * 674 folders of the AWS SDK: 84–93 ms, against ~60 ms for a whole start; _one-off_).
 */
export const MAX_LINKED_ENTRIES = 1000;
/** How long a quiet moment lasts before blanks are started in it (`quiet`). */
const QUIET_DELAY_MS = 25;
/** A blank's code cache folder: its /var/task folder's name and this. */
const CACHE_SUFFIX = '.cache';
/** Code roots whose size is remembered (content-addressed: a root never changes). */
const TREE_SIZES = 1024;

export interface SandboxBlanksOptions {
  /** At most this many blanks wait at once. */
  readonly max: number;
  /** Where the blanks' folders are made: on the package store's file system (hard links). */
  readonly taskDir: string;
  /** Starts a sandbox for `req` (the launcher's own start), its memory cgroup `cgroupName`. */
  readonly start: (
    req: LaunchRequest,
    h: LaunchHandlers,
    cgroupName: number | string,
  ) => LaunchedProcess | Promise<LaunchedProcess>;
  /** A new environment id (the data plane's): a blank's own, hence its own uid. */
  readonly newId?: () => number;
  /** A blank could not start or died while waiting. */
  readonly onError?: (message: string) => void;
}

export class SandboxBlanks {
  readonly #start: SandboxBlanksOptions['start'];
  readonly #prestarted: PrestartedRuntimes;
  /** This run's folder of blanks' folders and code copies (under `taskDir`). */
  readonly #tasks: string;
  /** Files and folders per code root, up to MAX_LINKED_ENTRIES + 1. */
  readonly #treeSizes = new Map<string, number>();
  /** Filled copies of code roots taken lately (task-links.ts). */
  readonly #stock: TreeStock;
  /** A quiet moment being waited out (`quiet`), and what its end resolves. */
  #quietTimer: NodeJS.Timeout | undefined;
  #quietWait: Promise<void> | undefined;
  #quietDone: () => void = () => undefined;

  constructor(o: SandboxBlanksOptions) {
    this.#start = o.start;
    const mine = `${process.pid}-${Date.now().toString(36)}`;
    this.#tasks = path.join(o.taskDir, mine);
    mkdirSync(this.#tasks, { recursive: true, mode: 0o700 });
    this.#stock = new TreeStock(this.#tasks, o.max);
    // What an earlier run left (a hard kill): its sandboxes died with it.
    void sweepTaskDir(o.taskDir, mine);
    this.#prestarted = new PrestartedRuntimes({
      max: o.max,
      start: (req, h, name) => this.#startBlank(req, h, name),
      // A blank's sandbox is the function's but for /var/task: the same /tmp, the same
      // host paths, and no layers (/opt is mounted at start).
      keyOf: (req) =>
        req.layerDirs.length > 0
          ? undefined
          : [req.tmpSizeMb ?? DEFAULT_TMP_MB, req.hostPaths, req.codeCacheDir !== undefined],
      ...(o.newId === undefined ? {} : { newId: o.newId }),
      ...(o.onError === undefined ? {} : { onError: o.onError }),
    });
  }

  /** The pre-started runtimes (tests, diagnostics). */
  get prestarted(): PrestartedRuntimes {
    return this.#prestarted;
  }

  /**
   * No environment is starting: blanks and copies of code are made QUIET_DELAY_MS later,
   * if no start has begun meanwhile (`launch` cancels the wait; the next quiet moment
   * starts another). The environment whose start just ended is usually running its first
   * invocation then, and a blank's start here (bubblewrap forked from hearth's own thread,
   * before the spawner forked it, and a copy of the code made) held that answer ~5–8 ms,
   * against ~1.5 ms unsandboxed (_one-off_, timestamps in the environment); 1.1–3 ms with
   * the wait.
   */
  quiet(): void {
    if (this.#quietTimer !== undefined) {
      return;
    }
    this.#quietTimer = setTimeout(() => {
      this.#quietTimer = undefined;
      this.#prestarted.quiet();
      void this.#stock.quiet();
      this.#quietDone();
    }, QUIET_DELAY_MS).unref();
    this.#quietWait = new Promise((resolve) => (this.#quietDone = resolve));
  }

  /** Code roots with a filled copy ready for the next take (tests, diagnostics). */
  stockedCodeRoots(): string[] {
    return this.#stock.ready();
  }

  /**
   * The pids of the blanks waiting, once those being started now have been, and once the
   * copies of code roots being made now are ready (tests, diagnostics).
   */
  async settled(): Promise<number[]> {
    await this.#quietWait;
    const pids = await this.#prestarted.settled();
    await this.#stock.settled();
    return pids;
  }

  expect(req: LaunchRequest): void {
    if (req.layerDirs.length === 0) {
      this.#prestarted.expect(req);
    }
  }

  /** Starts `req`: in a blank when one suits it, else in a sandbox of its own. */
  launch(req: LaunchRequest, h: LaunchHandlers): LaunchedProcess | Promise<LaunchedProcess> {
    if (this.#quietTimer !== undefined) {
      // Not quiet any more: the next quiet moment starts the wait again.
      clearTimeout(this.#quietTimer);
      this.#quietTimer = undefined;
      this.#quietDone();
    }
    const p = this.#prestarted;
    if (req.layerDirs.length > 0 || req.startVariables === undefined || !req.privateChannel) {
      return this.#start(req, h, req.id);
    }
    const size = this.#treeSizes.get(req.cwd);
    if (size === undefined) {
      return this.#measureThenLaunch(p, req, h);
    }
    if (size > MAX_LINKED_ENTRIES) {
      return this.#start(req, h, req.id);
    }
    const claimed = p.claim(req);
    return claimed === undefined ? this.#start(req, h, req.id) : this.#assign(claimed, req, h);
  }

  /** The first launch of a code root: its size first (a few ms, bounded), then as `launch`. */
  async #measureThenLaunch(
    p: PrestartedRuntimes,
    req: LaunchRequest,
    h: LaunchHandlers,
  ): Promise<LaunchedProcess> {
    let size: number;
    try {
      size = await countEntries(req.cwd, MAX_LINKED_ENTRIES);
    } catch {
      size = MAX_LINKED_ENTRIES + 1;
    }
    if (this.#treeSizes.size >= TREE_SIZES) {
      this.#treeSizes.delete(this.#treeSizes.keys().next().value ?? '');
    }
    this.#treeSizes.set(req.cwd, size);
    const claimed = size > MAX_LINKED_ENTRIES ? undefined : p.claim(req);
    return claimed === undefined ? this.#start(req, h, req.id) : this.#assign(claimed, req, h);
  }

  /**
   * A pre-started sandbox for `req`: its /var/task filled with the function's code, then
   * ASSIGN (cwd /var/task, as a fresh sandbox's). Where that fails (or the blank died
   * meanwhile), the blank is killed and a sandbox of the function's own is started.
   */
  async #assign(claimed: ClaimedBlank, req: LaunchRequest, h: LaunchHandlers): Promise<LaunchedProcess> {
    const dir = path.join(this.#tasks, claimed.name);
    try {
      await this.#stock.fill(req.cwd, dir);
    } catch {
      claimed.release();
      return this.#start(req, h, req.id);
    }
    if (!claimed.alive()) {
      claimed.release();
      return this.#start(req, h, req.id);
    }
    if (req.codeCacheDir !== undefined) {
      // The function's code cache as it is now: entries are whole files (temp + rename),
      // and one that cannot be linked is only a miss.
      await fillTaskFolder(req.codeCacheDir, `${dir}${CACHE_SUFFIX}`).catch(() => undefined);
    }
    // bubblewrap sets PWD where it changes directory: a fresh sandbox's runtime has it.
    return claimed.assign({ ...req.env, PWD: TASK_ROOT }, TASK_ROOT, h);
  }

  /** A blank: a sandbox whose /var/task is an empty folder of its own, filled when taken. */
  #startBlank(
    req: LaunchRequest,
    h: LaunchHandlers,
    name: string,
  ): LaunchedProcess | Promise<LaunchedProcess> {
    const dir = path.join(this.#tasks, name);
    mkdirSync(dir, { mode: 0o755 });
    const cache = req.codeCacheDir === undefined ? undefined : `${dir}${CACHE_SUFFIX}`;
    if (cache !== undefined) {
      mkdirSync(cache, { mode: 0o755 });
    }
    return this.#start(
      { ...req, cwd: dir, ...(cache === undefined ? {} : { codeCacheDir: cache }) },
      {
        ...h,
        onClose: (code, signal) => {
          h.onClose(code, signal);
          void removeTaskFolder(dir);
          if (cache !== undefined) {
            void removeTaskFolder(cache);
          }
        },
      },
      name,
    );
  }

  /** Kills the waiting blanks and removes this run's folders. */
  async dispose(): Promise<void> {
    clearTimeout(this.#quietTimer);
    this.#quietDone();
    await this.#prestarted.dispose();
    this.#stock.dispose();
    await removeTaskFolder(this.#tasks);
  }
}

/**
 * Removes the task folders of earlier runs (a hard kill): every `<pid>-<time>` entry of
 * `dir` but `mine` whose process is gone.
 */
async function sweepTaskDir(dir: string, mine: string): Promise<void> {
  const entries = await readdir(dir).catch(() => []);
  for (const name of entries) {
    const pid = Number(name.split('-')[0]);
    if (name !== mine && !(Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))) {
      await removeTaskFolder(path.join(dir, name)).catch(() =>
        rm(path.join(dir, name), { recursive: true, force: true }),
      );
    }
  }
}
