import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import yazl from 'yazl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeZip } from '../../../test/helpers/zip.js';
import { PlatformError, type ErrorCode } from '../../core/errors.js';
import type { PackageStore } from '../../core/ports.js';
import { createPackageStore } from './package-store.js';
import { UNZIPPED_LIMIT_BYTES, ZIPPED_LIMIT_BYTES } from './zip-reader.js';

let dir: string;
let packages: PackageStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hearth-packages-'));
  packages = await createPackageStore(dir);
});

afterEach(async () => {
  // Unpacked trees are read-only; make them removable first.
  await promisify(execFile)('chmod', ['-R', 'u+w', dir]);
  await rm(dir, { recursive: true, force: true });
});

async function refusal(zip: Buffer): Promise<PlatformError> {
  const error: unknown = await packages.put(zip).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

async function expectRefused(zip: Buffer, code: ErrorCode, details?: Record<string, unknown>): Promise<void> {
  const error = await refusal(zip);
  expect(error.code).toBe(code);
  if (details !== undefined) {
    expect(error.details).toEqual(details);
  }
  // Nothing refused is ever stored.
  expect(await readdir(path.join(dir, 'zips'))).toEqual([]);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('put / read / has', () => {
  it('stores a valid zip content-addressed and returns its exact bytes', async () => {
    const zip = await makeZip({ 'index.mjs': 'export const handler = () => 1;', 'lib/a.txt': 'hello' });
    const info = await packages.put(zip);
    expect(info).toEqual({
      sha256Hex: sha256(zip),
      sizeBytes: zip.length,
      unzippedSizeBytes: 'export const handler = () => 1;'.length + 'hello'.length,
    });
    const stored = path.join(dir, 'zips', info.sha256Hex.slice(0, 2), `${info.sha256Hex}.zip`);
    expect((await readFile(stored)).equals(zip)).toBe(true);
    expect((await stat(stored)).mode & 0o222).toBe(0);
    expect((await packages.read(info.sha256Hex)).equals(zip)).toBe(true);
    expect(await packages.has(info.sha256Hex)).toBe(true);
  });

  it('accepts the same zip twice and keeps one copy', async () => {
    const zip = await makeZip({ 'a.txt': 'a' });
    const first = await packages.put(zip);
    const [second, third] = await Promise.all([packages.put(zip), packages.put(Buffer.from(zip))]);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await readdir(path.join(dir, 'zips', first.sha256Hex.slice(0, 2)))).toEqual([
      `${first.sha256Hex}.zip`,
    ]);
  });

  it('knows nothing of unknown or malformed digests', async () => {
    expect(await packages.has('0'.repeat(64))).toBe(false);
    expect(await packages.has('../../etc/passwd')).toBe(false);
    await expect(packages.read('0'.repeat(64))).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(packages.read('../x')).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    await expect(packages.unpacked('../x')).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    await expect(packages.unpacked('0'.repeat(64))).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('survives a reopen, and clears temp leftovers of a crashed write', async () => {
    const zip = await makeZip({ 'a.txt': 'a' });
    const { sha256Hex } = await packages.put(zip);
    await mkdir(path.join(dir, 'unpacked', `.tmp-${sha256Hex}-dead`, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'zips', sha256Hex.slice(0, 2), `.tmp-${sha256Hex}.zip-dead`), 'partial');
    await writeFile(path.join(dir, 'unpacked', '.tmp-package.json-dead'), '{');
    const reopened = await createPackageStore(dir);
    expect(await reopened.has(sha256Hex)).toBe(true);
    expect(await readdir(path.join(dir, 'unpacked'))).toEqual(['package.json']);
    expect(await readdir(path.join(dir, 'zips', sha256Hex.slice(0, 2)))).toEqual([`${sha256Hex}.zip`]);
  });
});

describe('the package scope above the code roots', () => {
  it('is a package.json without "type", so a package without one is CommonJS as on Lambda', async () => {
    const scope = JSON.parse(await readFile(path.join(dir, 'unpacked', 'package.json'), 'utf8'));
    expect(scope).not.toHaveProperty('type');
    expect(scope).toMatchObject({ private: true });
  });
});

describe('put refuses bad packages', () => {
  it('not a zip', async () => {
    await expectRefused(Buffer.from('this is not a zip file at all, just text'), 'CODE_INVALID_ZIP');
    await expectRefused(Buffer.alloc(0), 'CODE_INVALID_ZIP');
  });

  it('a truncated zip', async () => {
    const zip = await makeZip({ 'a.txt': 'x'.repeat(1000) });
    await expectRefused(zip.subarray(0, zip.length - 30), 'CODE_INVALID_ZIP');
  });

  it('corrupted file data (CRC-32 mismatch)', async () => {
    const zip = await makeZip({ 'a.txt': { data: 'hello world, stored', compress: false } });
    const at = zip.indexOf('hello world');
    zip[at] = 'j'.charCodeAt(0);
    const error = await refusal(zip);
    expect(error.code).toBe('CODE_INVALID_ZIP');
    expect(error.details).toMatchObject({ reason: expect.stringMatching(/CRC/) as unknown });
  });

  it('zipped bytes over the limit, before parsing', async () => {
    const big = Buffer.alloc(ZIPPED_LIMIT_BYTES + 1);
    await expectRefused(big, 'CODE_ZIPPED_TOO_LARGE', { limitBytes: 52_428_800 });
  });

  it('declared unzipped sizes over the limit', async () => {
    // Three entries of 100 MB of zeros: a ~300 KB zip that declares 300 MB.
    const zip = await zipOfZeros([100_000_000, 100_000_000, 100_000_000]);
    expect(zip.length).toBeLessThan(ZIPPED_LIMIT_BYTES);
    expect(UNZIPPED_LIMIT_BYTES).toBe(262_144_000);
    await expectRefused(zip, 'CODE_UNZIPPED_TOO_LARGE', { limitBytes: UNZIPPED_LIMIT_BYTES });
  });

  it('an entry that inflates to more than it declares (lying header)', async () => {
    // 20 MB of zeros declared as 1 KB in every header: the real bytes are counted, so the
    // lie is caught after 1 KB instead of trusting it.
    const zip = await zipOfZeros([20_000_000]);
    patchDeclaredSize(zip, 1024);
    const error = await refusal(zip);
    expect(error.code).toBe('CODE_INVALID_ZIP');
  });

  it.each([
    ['../evil.txt'],
    ['a/../../evil.txt'],
    ['a/..'],
    ['/etc/passwd'],
    ['C:/Windows/evil.txt'],
    ['c:evil.txt'],
    ['a\\..\\..\\evil.txt'],
    ['\\\\server\\share\\evil.txt'],
    [`${'d'.repeat(300)}/evil.txt`],
  ])('unsafe entry name %s', async (name) => {
    const zip = await makeZip({ 'ok.txt': 'fine', [name]: 'evil' });
    await expectRefused(zip, 'CODE_UNSAFE_ENTRY', { entry: name });
  });

  it('a path deeper than any file system holds (a/ × 30,000) is refused at upload', async () => {
    // Before the length limit this took 8.5 s of quadratic ancestor walking, then every
    // extraction failed; now it is refused by name.
    const name = `${'a/'.repeat(30_000)}x.txt`;
    await expectRefused(await makeZip({ [name]: 'x' }), 'CODE_UNSAFE_ENTRY', { entry: name });
  });

  it.each([
    ['absolute', 'link', '/etc/passwd'],
    ['climbing out', 'link', '../outside'],
    ['climbing out from a subdirectory', 'a/b/link', '../../../x'],
    ['through another link', 'b', 'a/..'],
  ])('a symlink escaping the root (%s)', async (_label, name, target) => {
    const files: Record<string, Parameters<typeof makeZip>[0][string]> = { [name]: { symlink: target } };
    if (name === 'b') {
      // `a -> .` is itself inside; `b -> a/..` is lexically `.`, physically the parent.
      files.a = { symlink: '.' };
    }
    const zip = await makeZip(files);
    await expectRefused(zip, 'CODE_UNSAFE_ENTRY', { entry: name });
  });

  it('an entry written through a symlink', async () => {
    const zip = await makeZip({ link: { symlink: 'dir' }, 'dir/x': 'x', 'link/passwd': 'evil' });
    await expectRefused(zip, 'CODE_UNSAFE_ENTRY', { entry: 'link' });
  });

  it('duplicate entries', async () => {
    const zip = await makeZip({ 'a.txt': 'first', 'b.txt': 'second' });
    // Rename b.txt to a.txt in place (same length) to get a genuine duplicate.
    let at = zip.indexOf('b.txt');
    while (at >= 0) {
      zip.write('a.txt', at);
      at = zip.indexOf('b.txt', at);
    }
    await expectRefused(zip, 'CODE_UNSAFE_ENTRY', { entry: 'a.txt' });
  });
});

describe('unpacked', () => {
  it('extracts once, read-only, keeping the execute bit and inner symlinks', async () => {
    const zip = await makeZip({
      bootstrap: { data: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'index.mjs': 'export const handler = async () => 42;',
      'lib/deep/util.js': 'module.exports = 1;',
      'empty/': { directory: true },
      'lib/current': { symlink: 'deep' },
      'lib/deep/up': { symlink: '../../index.mjs' },
    });
    const { sha256Hex } = await packages.put(zip);
    const [root, again] = await Promise.all([packages.unpacked(sha256Hex), packages.unpacked(sha256Hex)]);
    expect(again).toBe(root);
    expect(root).toBe(path.join(dir, 'unpacked', sha256Hex));

    expect(await readFile(path.join(root, 'index.mjs'), 'utf8')).toBe(
      'export const handler = async () => 42;',
    );
    expect(await readFile(path.join(root, 'lib/current/util.js'), 'utf8')).toBe('module.exports = 1;');
    expect(await readlink(path.join(root, 'lib/deep/up'))).toBe('../../index.mjs');
    expect((await lstat(path.join(root, 'lib/current'))).isSymbolicLink()).toBe(true);

    const mode = async (p: string): Promise<number> => (await stat(path.join(root, p))).mode & 0o777;
    expect(await mode('bootstrap')).toBe(0o555);
    expect(await mode('index.mjs')).toBe(0o444);
    expect(await mode('lib/deep/util.js')).toBe(0o444);
    expect(await mode('.')).toBe(0o555);
    expect(await mode('lib')).toBe(0o555);
    expect(await mode('lib/deep')).toBe(0o555);
    expect(await mode('empty')).toBe(0o555);
    // Only the finished directory is left: no temp directories.
    expect((await readdir(path.join(dir, 'unpacked'))).sort()).toEqual([sha256Hex, 'package.json'].sort());
  });

  it('reuses a directory unpacked by an earlier run', async () => {
    const { sha256Hex } = await packages.put(await makeZip({ 'a.txt': 'a' }));
    const root = await packages.unpacked(sha256Hex);
    const reopened = await createPackageStore(dir);
    expect(await reopened.unpacked(sha256Hex)).toBe(root);
  });

  it('runs the packaged bootstrap', async () => {
    const { sha256Hex } = await packages.put(
      await makeZip({ bootstrap: { data: '#!/bin/sh\necho "ran $1"\n', mode: 0o755 } }),
    );
    const root = await packages.unpacked(sha256Hex);
    const { stdout } = await promisify(execFile)(path.join(root, 'bootstrap'), ['ok']);
    expect(stdout).toBe('ran ok\n');
  });
});

/** A zip of entries full of zeros, streamed so the test never holds the inflated bytes. */
async function zipOfZeros(sizes: number[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [i, size] of sizes.entries()) {
    zip.addReadStream(zeros(size), `zeros-${i}.bin`, { size, compressionLevel: 1 });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function zeros(total: number): Readable {
  const block = Buffer.alloc(1 << 20);
  let left = total;
  return new Readable({
    read() {
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === 0 ? null : block.subarray(0, n));
    },
  });
}

/** Rewrites the uncompressed size of the (single) entry in its local and central headers. */
function patchDeclaredSize(zip: Buffer, size: number): void {
  const local = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  zip.writeUInt32LE(size, local + 22);
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(size, central + 24);
  // yazl streams with a data descriptor (bit 3): its sizes follow the data.
  const descriptor = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), central);
  if (descriptor >= 0) {
    zip.writeUInt32LE(size, descriptor + 12);
  }
}
