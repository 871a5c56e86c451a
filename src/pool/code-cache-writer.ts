/**
 * The code cache of sandboxed environments (src/runtimes/node/code-cache.cjs, issue 15): a
 * sandbox sees its entries read-only and cannot write them, so its runtime sends each
 * entry it made over the private channel (CACHE frames, before its first NEXT) and the
 * platform writes it here, after checking it against the function's own code:
 *
 *   - only from an environment that has been given no invocation yet (the environment
 *     drops later ones): what it sends then comes from the function's code and init alone,
 *     never from an event, so a compromised invocation cannot plant bytecode that later
 *     environments of the function would run;
 *   - only for a file of the environment's own code root: the entry's module must be a
 *     regular file under /var/task, and its name the digest of that path; its header's
 *     size, mtime and inode are replaced by the host file's own, so an entry can only ever
 *     describe the file it was sent for (code roots are content-addressed and read-only);
 *   - into a folder of that function and code root only (`<function>/<code root>/`), bound
 *     read-only at SANDBOX_CODE_CACHE in that function's later sandboxes.
 *
 * Each header also names the host file (`hostFile`), which the pool's pruning checks
 * (code-cache.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnvironmentSpec } from '../core/ports.js';
import { codeCacheFolder } from './code-cache.js';

/** Where a sandbox sees its function's entries (read-only). */
export const SANDBOX_CODE_CACHE = '/var/hearth/code-cache';
/** Set for a runtime that sends its entries rather than writing them (code-cache.cjs `send`). */
export const CODE_CACHE_SEND_VARIABLE = '_HEARTH_CODE_CACHE_SEND';
/** A header longer than this is not one code-cache.cjs wrote. */
const MAX_HEADER_BYTES = 64 * 1024;
/** What one environment may have written for it in all (its init's modules). */
const MAX_ENVIRONMENT_CACHE_BYTES = 128 * 1024 * 1024;

/** The host folder of a sandboxed function's entries for one code root. */
export function sandboxCacheFolder(
  codeCacheDir: string,
  spec: Pick<EnvironmentSpec, 'accountId' | 'region' | 'namespace' | 'functionName' | 'codeDir'>,
): string {
  const root = createHash('sha256').update(spec.codeDir).digest('hex').slice(0, 32);
  return path.join(codeCacheDir, codeCacheFolder(spec), root);
}

/** code-cache.cjs's entry name of a module path (small-init.cjs `digest`). */
export function entryName(file: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < file.length; i++) {
    const c = file.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x811c9dc5) + i;
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}.v8`;
}

/** Writes under way (sandboxEntriesWritten). */
const pending = new Set<Promise<unknown>>();

/** Resolves once every entry handed to `writeSandboxEntry` so far is written or refused (tests). */
export async function sandboxEntriesWritten(): Promise<void> {
  while (pending.size > 0) {
    await Promise.all(pending);
  }
}

export interface SandboxCacheTarget {
  /** The host folder the entries go to (sandboxCacheFolder). */
  readonly folder: string;
  /** The function's code root on the host (what the sandbox sees at `taskRoot`). */
  readonly root: string;
  /** Where the sandbox sees the code root: /var/task. */
  readonly taskRoot: string;
}

/**
 * One sandboxed environment's side of the cache: what its runtime sends is taken only
 * before its first invocation and within MAX_ENVIRONMENT_CACHE_BYTES, then checked and
 * written (writeSandboxEntry). Anything else is dropped without a word: a CACHE frame is a
 * runtime's offer, never something it waits on.
 */
export class SandboxCacheIntake {
  #bytes = 0;

  constructor(readonly target: SandboxCacheTarget) {}

  /** An entry the runtime sent, while `invocations` had been given to it so far. */
  offer(name: string, bytes: Buffer, invocations: number): void {
    if (invocations > 0 || this.#bytes + bytes.length > MAX_ENVIRONMENT_CACHE_BYTES) {
      return;
    }
    this.#bytes += bytes.length;
    void writeSandboxEntry(this.target, name, bytes);
  }
}

/**
 * Checks one entry a sandboxed runtime sent and writes it (temp file + rename). Resolves
 * with the bytes written, or with the reason it was refused (nothing is written then).
 */
export function writeSandboxEntry(
  t: SandboxCacheTarget,
  name: string,
  bytes: Buffer,
): Promise<{ written: number } | { refused: string }> {
  const p = write(t, name, bytes);
  pending.add(p);
  void p.finally(() => pending.delete(p));
  return p;
}

async function write(
  t: SandboxCacheTarget,
  name: string,
  bytes: Buffer,
): Promise<{ written: number } | { refused: string }> {
  const marker = /^small-[0-9a-f]{16}\.v8$/.test(name);
  if (!marker && !/^[0-9a-f]{16}\.v8$/.test(name)) {
    return { refused: 'not an entry name' };
  }
  if (bytes.length < 4) {
    return { refused: 'truncated' };
  }
  const headerBytes = bytes.readUInt32LE(0);
  if (headerBytes === 0 || headerBytes > MAX_HEADER_BYTES || 4 + headerBytes > bytes.length) {
    return { refused: 'bad header length' };
  }
  let header: { file?: unknown; length?: unknown; node?: unknown };
  try {
    header = JSON.parse(bytes.toString('utf8', 4, 4 + headerBytes)) as typeof header;
  } catch {
    return { refused: 'header is not JSON' };
  }
  const { file, length, node } = header;
  if (
    typeof file !== 'string' ||
    typeof node !== 'string' ||
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < 0
  ) {
    return { refused: 'bad header' };
  }
  const inRoot =
    file === t.taskRoot ||
    (file.startsWith(`${t.taskRoot}/`) && path.posix.normalize(file) === file && !file.includes('\0'));
  if (!inRoot) {
    return { refused: 'not a file of the function' };
  }
  const data = bytes.subarray(4 + headerBytes);
  if (marker ? file !== t.taskRoot || data.length > 0 : name !== entryName(file)) {
    return { refused: marker ? 'not a marker' : 'name does not match its file' };
  }
  const hostFile = path.join(t.root, file.slice(t.taskRoot.length));
  const st = await lstat(hostFile).catch(() => undefined);
  if (st === undefined || (marker ? !st.isDirectory() : !st.isFile())) {
    return { refused: 'no such file in the code root' };
  }
  const head = Buffer.from(
    JSON.stringify({ file, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, length, node, hostFile }),
  );
  const size = Buffer.alloc(4);
  size.writeUInt32LE(head.length, 0);
  const entry = path.join(t.folder, name);
  const temp = `${entry}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(t.folder, { recursive: true });
    await writeFile(temp, Buffer.concat([size, head, data]));
    await rename(temp, entry);
  } catch (e) {
    await rm(temp, { force: true });
    return { refused: `not written: ${String(e)}` };
  }
  return { written: 4 + head.length + data.length };
}
