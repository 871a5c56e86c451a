import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SandboxCacheIntake,
  entryName,
  sandboxEntriesWritten,
  writeSandboxEntry,
  type SandboxCacheTarget,
} from './code-cache-writer.js';

const require = createRequire(import.meta.url);
const runtimeEntryName = (require('../runtimes/node/code-cache.cjs') as { entryName: (f: string) => string })
  .entryName;

let base = '';
let t: SandboxCacheTarget;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'hearth-cache-writer-'));
  const root = path.join(base, 'code');
  mkdirSync(path.join(root, 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'lib', 'a.js'), 'exports.a = 1;\n');
  writeFileSync(path.join(base, 'outside.js'), 'secret');
  t = { folder: path.join(base, 'cache', 'fn', 'root'), root, taskRoot: '/var/task' };
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** An entry as code-cache.cjs makes one: u32 header length, header JSON, V8's data. */
function entry(header: object, data = Buffer.from('v8 data')): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(head.length, 0);
  return Buffer.concat([size, head, data]);
}

function written(name: string): { header: Record<string, unknown>; data: string } {
  const bytes = readFileSync(path.join(t.folder, name));
  const n = bytes.readUInt32LE(0);
  return {
    header: JSON.parse(bytes.toString('utf8', 4, 4 + n)) as Record<string, unknown>,
    data: bytes.subarray(4 + n).toString(),
  };
}

describe('entryName', () => {
  it('is the runtime’s own (code-cache.cjs)', () => {
    for (const f of ['/var/task/index.js', '/var/task/node_modules/é/x.js', '']) {
      expect(entryName(f)).toBe(runtimeEntryName(f));
    }
  });
});

describe('SandboxCacheIntake', () => {
  it('takes entries only before the first invocation, and within its budget', async () => {
    const file = '/var/task/lib/a.js';
    const one = entry({ file, size: 0, mtimeMs: 0, ino: 0, length: 15, node: 'v20 x64' });
    const late = new SandboxCacheIntake(t);
    late.offer(entryName(file), one, 1);
    await sandboxEntriesWritten();
    expect(existsSync(t.folder)).toBe(false);
    const intake = new SandboxCacheIntake(t);
    // Beyond the 128 MiB an environment may have written: dropped before any check.
    intake.offer(entryName(file), Buffer.alloc(128 * 1024 * 1024 + 1), 0);
    await sandboxEntriesWritten();
    expect(existsSync(t.folder)).toBe(false);
    intake.offer(entryName(file), one, 0);
    await sandboxEntriesWritten();
    expect(readdirSync(t.folder)).toEqual([entryName(file)]);
  });
});

describe('writeSandboxEntry', () => {
  it('writes an entry of a file of the code root, with the host file’s own size, mtime and inode', async () => {
    const file = '/var/task/lib/a.js';
    const lie = { file, size: 1, mtimeMs: 2, ino: 3, length: 15, node: 'v20 x64' };
    const r = await writeSandboxEntry(t, entryName(file), entry(lie));
    expect(r).toHaveProperty('written');
    const host = path.join(t.root, 'lib', 'a.js');
    const st = statSync(host);
    const w = written(entryName(file));
    expect(w.header).toEqual({
      file,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      length: 15,
      node: 'v20 x64',
      hostFile: host,
    });
    expect(w.data).toBe('v8 data');
    // No temp file is left.
    expect(readdirSync(t.folder)).toEqual([entryName(file)]);
  });

  it('writes the small-init marker of the code root (no data)', async () => {
    const name = 'small-0123456789abcdef.v8';
    const r = await writeSandboxEntry(
      t,
      name,
      entry({ file: '/var/task', length: 0, node: 'n' }, Buffer.alloc(0)),
    );
    expect(r).toHaveProperty('written');
    expect(written(name).header.hostFile).toBe(t.root);
  });

  it.each([
    ['a name that is not an entry’s', '../x.v8', { file: '/var/task/lib/a.js', length: 1, node: 'n' }],
    ['a file outside the code root', entryName('/etc/passwd'), { file: '/etc/passwd', length: 1, node: 'n' }],
    [
      'a path that climbs out',
      entryName('/var/task/../outside.js'),
      { file: '/var/task/../outside.js', length: 1, node: 'n' },
    ],
    [
      'a path not in its normal form',
      entryName('/var/task/lib//a.js'),
      { file: '/var/task/lib//a.js', length: 1, node: 'n' },
    ],
    [
      'a name that is not its file’s',
      entryName('/var/task/index.js'),
      { file: '/var/task/lib/a.js', length: 1, node: 'n' },
    ],
    [
      'a file that is not there',
      entryName('/var/task/lib/b.js'),
      { file: '/var/task/lib/b.js', length: 1, node: 'n' },
    ],
    ['a folder as a module', entryName('/var/task/lib'), { file: '/var/task/lib', length: 1, node: 'n' }],
    ['a header without its fields', entryName('/var/task/lib/a.js'), { file: '/var/task/lib/a.js' }],
    ['a marker of a file', 'small-0123456789abcdef.v8', { file: '/var/task/lib/a.js', length: 0, node: 'n' }],
  ])('refuses %s', async (_, name, header) => {
    const r = await writeSandboxEntry(t, name, entry(header));
    expect(r).toHaveProperty('refused');
    expect(existsSync(t.folder) ? readdirSync(t.folder) : []).toEqual([]);
  });

  it('refuses a marker with data, a truncated entry and a header that is not JSON', async () => {
    const marker = await writeSandboxEntry(
      t,
      'small-0123456789abcdef.v8',
      entry({ file: '/var/task', length: 0, node: 'n' }, Buffer.from('x')),
    );
    expect(marker).toHaveProperty('refused');
    expect(await writeSandboxEntry(t, entryName('/var/task/lib/a.js'), Buffer.from([1, 0]))).toHaveProperty(
      'refused',
    );
    const bad = Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('{x}')]);
    expect(await writeSandboxEntry(t, entryName('/var/task/lib/a.js'), bad)).toHaveProperty('refused');
    const long = Buffer.alloc(8);
    long.writeUInt32LE(1_000_000, 0);
    expect(await writeSandboxEntry(t, entryName('/var/task/lib/a.js'), long)).toHaveProperty('refused');
  });
});
