/**
 * Code packages on the local file system, content-addressed by sha256:
 *
 *   <dir>/zips/<aa>/<sha>.zip    the exact uploaded bytes (read-only), aa = sha[0..2]
 *   <dir>/unpacked/<sha>/        the extracted package, read-only, made on first use
 *   <dir>/unpacked/package.json  a neutral package scope above every code root (below)
 *
 * A zip is validated (zip-reader.ts) before it is stored, and is durable when `put`
 * resolves: temp file, fsync, rename, fsync of the directory. Unpacking extracts into a
 * temp directory and renames it into place, so a directory under unpacked/ is always
 * complete; leftovers of an interrupted write are removed at open.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { PromiseMemo } from '../../core/claims/promise-memo.js';
import { PlatformError } from '../../core/errors.js';
import type { PackageInfo, PackageStore } from '../../core/ports.js';
import { readPackage, type PackageEntry } from './zip-reader.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TEMP_PREFIX = '.tmp-';

/**
 * Node decides whether a `.js` is CommonJS or an ES module by the nearest package.json,
 * searching upwards from the file. On Lambda nothing lies above /var/task, so a package
 * without a package.json is CommonJS; here the data dir may sit inside a project whose
 * package.json says `"type": "module"` (hearth's own checkout does), and
 * `exports.handler = ...` would fail as an ES module. This file ends the search at the
 * code roots' parent and says nothing: a function's own package.json still decides.
 */
const SCOPE_BOUNDARY = `${JSON.stringify({
  private: true,
  description:
    'hearth: ends the package scope search above every unpacked code root, so that a function without a package.json is CommonJS as on Lambda',
})}\n`;

export async function createPackageStore(dir: string): Promise<PackageStore> {
  const root = path.resolve(dir);
  await mkdir(path.join(root, 'zips'), { recursive: true });
  await mkdir(path.join(root, 'unpacked'), { recursive: true });
  await removeLeftovers(root);
  await writeScopeBoundary(path.join(root, 'unpacked', 'package.json'));
  return new FsPackageStore(root);
}

class FsPackageStore implements PackageStore {
  readonly #root: string;
  /** One extraction per package at a time: concurrent callers share the same promise. */
  readonly #unpacking = new PromiseMemo<string, string>();

  constructor(root: string) {
    this.#root = root;
  }

  #zipPath(sha: string): string {
    return path.join(this.#root, 'zips', sha.slice(0, 2), `${sha}.zip`);
  }

  async put(zip: Buffer): Promise<PackageInfo> {
    const { unzippedSizeBytes } = await readPackage(zip);
    const sha256Hex = await sha256Sliced(zip);
    const target = this.#zipPath(sha256Hex);
    if (!(await exists(target))) {
      await writeDurably(target, zip);
    }
    return { sha256Hex, sizeBytes: zip.length, unzippedSizeBytes };
  }

  async read(sha256Hex: string): Promise<Buffer> {
    assertSha(sha256Hex);
    try {
      return await readFile(this.#zipPath(sha256Hex));
    } catch (e) {
      throw missingOr(e, sha256Hex);
    }
  }

  has(sha256Hex: string): Promise<boolean> {
    return SHA256_HEX.test(sha256Hex) ? exists(this.#zipPath(sha256Hex)) : Promise.resolve(false);
  }

  unpacked(sha256Hex: string): Promise<string> {
    try {
      assertSha(sha256Hex);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    // One extraction per package at a time; a failure is not remembered (the next caller
    // retries, e.g. after disk space was freed).
    return this.#unpacking.get(sha256Hex, () => this.#unpack(sha256Hex));
  }

  /**
   * 1. reuse a directory a previous run already renamed into place;
   * 2. extract into a temp directory, validating as on `put`;
   * 3. create directories and symlinks, then drop write permission everywhere (files keep
   *    their execute bit: a `provided` runtime's `bootstrap` must stay executable);
   * 4. rename into place; losing that race to another process is fine, its copy is equal.
   */
  async #unpack(sha: string): Promise<string> {
    const final = path.join(this.#root, 'unpacked', sha);
    if (await exists(final)) {
      return final;
    }
    const zip = await this.read(sha);
    const temp = path.join(this.#root, 'unpacked', `${TEMP_PREFIX}${sha}-${randomBytes(6).toString('hex')}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      const created = new Set<string>();
      const ensureDir = async (relative: string): Promise<void> => {
        if (relative !== '' && !created.has(relative)) {
          await mkdir(path.join(temp, relative), { recursive: true, mode: 0o700 });
          // Remember the ancestors too: mkdir -p made them, makeReadOnly must find them.
          for (let slash = relative.indexOf('/'); slash !== -1; slash = relative.indexOf('/', slash + 1)) {
            created.add(relative.slice(0, slash));
          }
          created.add(relative);
        }
      };
      const { entries } = await readPackage(zip, {
        openFile: async (entry: PackageEntry): Promise<Writable> => {
          await ensureDir(path.posix.dirname(entry.path).replace(/^\.$/, ''));
          // 'wx': never follow or overwrite something already there.
          return createWriteStream(path.join(temp, entry.path), { flags: 'wx', mode: 0o600 });
        },
      });
      for (const entry of entries) {
        if (entry.kind === 'directory') {
          await ensureDir(entry.path);
        } else if (entry.kind === 'symlink' && entry.target !== undefined) {
          await ensureDir(path.posix.dirname(entry.path).replace(/^\.$/, ''));
          await symlink(entry.target, path.join(temp, entry.path));
        }
      }
      await makeReadOnly(temp, entries, created);
      try {
        await rename(temp, final);
      } catch (e) {
        if (!(await exists(final))) {
          throw e;
        }
        await removeTree(temp);
      }
      return final;
    } catch (e) {
      await removeTree(temp);
      throw e;
    }
  }
}

async function makeReadOnly(
  root: string,
  entries: readonly PackageEntry[],
  directories: Set<string>,
): Promise<void> {
  for (const entry of entries) {
    if (entry.kind === 'file') {
      await chmod(path.join(root, entry.path), entry.executable ? 0o555 : 0o444);
    }
  }
  // chmod needs only search permission on the parent, so 0555 parents do not get in the way.
  for (const relative of directories) {
    await chmod(path.join(root, relative), 0o555);
  }
  await chmod(root, 0o555);
}

async function writeScopeBoundary(file: string): Promise<void> {
  try {
    if ((await readFile(file, 'utf8')) === SCOPE_BOUNDARY) {
      return;
    }
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) {
      throw e;
    }
  }
  await rm(file, { force: true });
  await writeDurably(file, Buffer.from(SCOPE_BOUNDARY));
}

/** Writes `data` to `target` so that it survives a crash once this resolves. */
async function writeDurably(target: string, data: Buffer): Promise<void> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `${TEMP_PREFIX}${path.basename(target)}-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o444);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  // The rename is only durable once the directory entry is; the parent too, in case the
  // <aa> directory itself was just created.
  await syncDirectory(dir);
  await syncDirectory(path.dirname(dir));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes temp files and directories left by a process that died mid-write. */
async function removeLeftovers(root: string): Promise<void> {
  const unpacked = path.join(root, 'unpacked');
  for (const entry of await readdir(unpacked, { withFileTypes: true })) {
    if (entry.name.startsWith(TEMP_PREFIX)) {
      const leftover = path.join(unpacked, entry.name);
      await (entry.isDirectory() ? removeTree(leftover) : rm(leftover, { force: true }));
    }
  }
  const zips = path.join(root, 'zips');
  for (const shard of await readdir(zips)) {
    const shardDir = path.join(zips, shard);
    if (!(await stat(shardDir)).isDirectory()) {
      continue;
    }
    for (const name of await readdir(shardDir)) {
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(path.join(shardDir, name), { force: true });
      }
    }
  }
}

/** rm -rf that also works on our read-only trees (a 0555 directory's entries cannot be unlinked). */
async function removeTree(dir: string): Promise<void> {
  await makeWritable(dir);
  await rm(dir, { recursive: true, force: true });
}

async function makeWritable(dir: string): Promise<void> {
  try {
    await chmod(dir, 0o700);
  } catch {
    return; // gone already, or not ours to fix: rm reports what matters
  }
  for (const child of await readdir(dir, { withFileTypes: true })) {
    if (child.isDirectory()) {
      await makeWritable(path.join(dir, child.name));
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) {
      return false;
    }
    throw e;
  }
}

function assertSha(sha: string): void {
  // Also keeps a crafted argument from naming a path outside the store.
  if (!SHA256_HEX.test(sha)) {
    throw new PlatformError('INVALID_PARAMETER', {
      field: 'sha256Hex',
      reason: 'expected 64 lowercase hex digits',
    });
  }
}

function missingOr(e: unknown, sha: string): unknown {
  return isErrno(e, 'ENOENT')
    ? new PlatformError(
        'INTERNAL',
        { reason: `code package ${sha} is not in the package store` },
        { cause: e },
      )
    : e;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === code;
}

/** Bytes hashed between two turns of the event loop (~1 ms each). */
const HASH_SLICE_BYTES = 1024 * 1024;

/** sha256 of a large buffer in slices, so a 50 MB zip does not stall other requests. */
async function sha256Sliced(bytes: Buffer): Promise<string> {
  const h = createHash('sha256');
  for (let at = 0; at < bytes.length; at += HASH_SLICE_BYTES) {
    h.update(bytes.subarray(at, at + HASH_SLICE_BYTES));
    if (at + HASH_SLICE_BYTES < bytes.length) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return h.digest('hex');
}
