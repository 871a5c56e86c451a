import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countEntries, fillTaskFolder, removeTaskFolder } from './task-links.js';

const made: string[] = [];
afterEach(async () => {
  for (const d of made.splice(0)) {
    await removeTaskFolder(d);
  }
});

function temp(where = tmpdir()): string {
  const d = mkdtempSync(path.join(where, 'hearth-task-links-'));
  made.push(d);
  return d;
}

/** A code root as the package store leaves one (read-only), with a symlink and old times. */
function codeRoot(where?: string): string {
  const root = path.join(temp(where), 'code');
  mkdirSync(path.join(root, 'lib', 'deep'), { recursive: true });
  writeFileSync(path.join(root, 'index.js'), 'index');
  writeFileSync(path.join(root, 'lib', 'deep', 'x.js'), 'deep');
  writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\n');
  symlinkSync('lib/deep/x.js', path.join(root, 'link.js'));
  chmodSync(path.join(root, 'index.js'), 0o444);
  chmodSync(path.join(root, 'lib', 'deep', 'x.js'), 0o444);
  chmodSync(path.join(root, 'run.sh'), 0o555);
  const old = new Date('2020-01-02T03:04:05Z');
  for (const d of [path.join(root, 'lib', 'deep'), path.join(root, 'lib'), root]) {
    utimesSync(d, old, old);
    chmodSync(d, 0o555);
  }
  return root;
}

describe('fillTaskFolder', () => {
  it('links every file, makes the same symlinks, and gives folders their modes and times', async () => {
    const from = codeRoot();
    const to = path.join(temp(), 'task');
    mkdirSync(to);
    const r = await fillTaskFolder(from, to);
    expect(r).toEqual({ files: 3, dirs: 2, copied: 0 });
    for (const f of ['index.js', 'run.sh', 'lib/deep/x.js']) {
      const a = lstatSync(path.join(from, f));
      const b = lstatSync(path.join(to, f));
      expect(b.ino, f).toBe(a.ino);
      expect(b.mode, f).toBe(a.mode);
    }
    expect(readlinkSync(path.join(to, 'link.js'))).toBe('lib/deep/x.js');
    expect(readFileSync(path.join(to, 'link.js'), 'utf8')).toBe('deep');
    for (const d of ['', 'lib', 'lib/deep']) {
      const a = lstatSync(path.join(from, d));
      const b = lstatSync(path.join(to, d));
      expect(b.mode, d).toBe(a.mode);
      expect(Math.abs(b.mtimeMs - a.mtimeMs), d).toBeLessThan(0.001);
    }
  });

  // /dev/shm is a tmpfs: another file system than the temporary folder's.
  const otherFs = existsSync('/dev/shm') && lstatSync('/dev/shm').dev !== lstatSync(tmpdir()).dev;
  it.skipIf(!otherFs)('copies where a link cannot be made (another file system)', async () => {
    const from = codeRoot('/dev/shm');
    const to = path.join(temp(), 'task');
    mkdirSync(to);
    expect(await fillTaskFolder(from, to)).toEqual({ files: 3, dirs: 2, copied: 3 });
    expect(readFileSync(path.join(to, 'lib', 'deep', 'x.js'), 'utf8')).toBe('deep');
    expect(lstatSync(path.join(to, 'run.sh')).mode & 0o7777).toBe(0o555);
    const [a, b] = [from, to].map((d) => lstatSync(path.join(d, 'index.js')).mtimeMs);
    expect(Math.abs((a ?? 0) - (b ?? 0))).toBeLessThan(0.001);
  });

  it('rejects what it cannot reproduce (a missing code root)', async () => {
    const to = path.join(temp(), 'task');
    mkdirSync(to);
    await expect(fillTaskFolder(path.join(to, 'nothing'), to)).rejects.toThrow(/ENOENT/);
  });
});

describe('countEntries', () => {
  it('counts files, folders and symlinks, and stops past the limit', async () => {
    const root = codeRoot();
    expect(await countEntries(root, 100)).toBe(6);
    expect(await countEntries(root, 3)).toBe(4);
  });
});

describe('removeTaskFolder', () => {
  it('removes a tree of read-only folders', async () => {
    const d = temp();
    const from = codeRoot();
    const to = path.join(d, 'task');
    mkdirSync(to);
    await fillTaskFolder(from, to);
    await removeTaskFolder(to);
    expect(existsSync(to)).toBe(false);
    // The code root itself is untouched.
    expect(readFileSync(path.join(from, 'index.js'), 'utf8')).toBe('index');
    rmSync(d, { recursive: true, force: true });
  });
});
