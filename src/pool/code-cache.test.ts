import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneCodeCache } from './code-cache.js';

describe('pruneCodeCache', () => {
  let root: string;
  let cache: string;
  let code: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'hearth-prune-'));
    cache = path.join(root, 'cache');
    code = path.join(root, 'code');
    mkdirSync(cache);
    mkdirSync(code);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A module file, and an entry for it as code-cache.cjs writes one (header, then `dataBytes`). */
  const entry = (folder: string, name: string, dataBytes: number, writtenSec: number): string => {
    const module = path.join(code, `${folder}-${name}.js`);
    writeFileSync(module, `exports.n = ${JSON.stringify(name)};\n`);
    const st = statSync(module);
    const head = Buffer.from(
      JSON.stringify({ file: module, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, length: 1, node: 'x' }),
    );
    const size = Buffer.alloc(4);
    size.writeUInt32LE(head.length, 0);
    mkdirSync(path.join(cache, folder), { recursive: true });
    const file = path.join(cache, folder, `${name}.v8`);
    writeFileSync(file, Buffer.concat([size, head, Buffer.alloc(dataBytes)]));
    utimesSync(file, writtenSec, writtenSec);
    return module;
  };
  const left = (): string[] =>
    readdirSync(cache, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.includes('.'))
      .sort();

  it('removes the entries of modules that are gone or changed, and folders left empty', async () => {
    entry('f1', 'kept', 10, 1_000);
    rmSync(entry('f1', 'gone', 10, 1_000));
    writeFileSync(entry('f1', 'changed', 10, 1_000), 'exports.n = "something else, longer";\n');
    rmSync(entry('f2', 'deleted', 10, 1_000));
    writeFileSync(path.join(cache, 'f1', 'junk.v8'), 'not an entry');
    expect(await pruneCodeCache(cache, 1 << 20)).toMatchObject({ stale: 4, evicted: 0 });
    expect(left()).toEqual([path.join('f1', 'kept.v8')]);
    expect(readdirSync(cache)).toEqual(['f1']);
  });

  it('checks a sandboxed entry (in its code root’s folder) against its host file, and removes the folder left empty', async () => {
    // As code-cache-writer.ts writes them: the module as the sandbox sees it, and the host file.
    const sandboxed = (folder: string, name: string, hostFile: string): void => {
      const st = statSync(hostFile);
      const head = Buffer.from(
        JSON.stringify({
          file: `/var/task/${path.basename(hostFile)}`,
          size: st.size,
          mtimeMs: st.mtimeMs,
          ino: st.ino,
          length: 1,
          node: 'x',
          hostFile,
        }),
      );
      const size = Buffer.alloc(4);
      size.writeUInt32LE(head.length, 0);
      mkdirSync(path.join(cache, folder), { recursive: true });
      writeFileSync(path.join(cache, folder, `${name}.v8`), Buffer.concat([size, head]));
    };
    const kept = path.join(code, 'kept.js');
    const gone = path.join(code, 'gone.js');
    writeFileSync(kept, 'exports.a = 1;\n');
    writeFileSync(gone, 'exports.b = 1;\n');
    sandboxed('fn/root1', 'kept', kept);
    sandboxed('fn/root2', 'gone', gone);
    rmSync(gone);
    expect(await pruneCodeCache(cache, 1 << 20)).toMatchObject({ stale: 1, evicted: 0 });
    expect(left()).toEqual([path.join('fn', 'root1', 'kept.v8')]);
    expect(readdirSync(path.join(cache, 'fn'))).toEqual(['root1']);
  });

  it('keeps the folder under its cap, oldest written first', async () => {
    // A function updated three times: each code's entries, newest last.
    entry('fn', 'code1', 1_000, 1_000);
    entry('fn', 'code2', 1_000, 2_000);
    entry('fn', 'code3', 1_000, 3_000);
    entry('other', 'code1', 1_000, 2_500);
    const r = await pruneCodeCache(cache, 2_700);
    expect(r.evicted).toBe(2);
    expect(r.keptBytes).toBeLessThanOrEqual(2_700);
    expect(left()).toEqual([path.join('fn', 'code3.v8'), path.join('other', 'code1.v8')]);
  });

  it("removes a dead writer's temp file, not a live one's", async () => {
    mkdirSync(path.join(cache, 'fn'));
    const dead = path.join(cache, 'fn', 'a.v8.123.tmp');
    const live = path.join(cache, 'fn', 'b.v8.124.tmp');
    writeFileSync(dead, 'x');
    writeFileSync(live, 'x');
    utimesSync(dead, 1_000, 1_000);
    await pruneCodeCache(cache, 1 << 20);
    expect(left()).toEqual([path.join('fn', 'b.v8.124.tmp')]);
  });

  it('is a no-op on a folder that does not exist', async () => {
    expect(await pruneCodeCache(path.join(root, 'none'), 0)).toEqual({ stale: 0, evicted: 0, keptBytes: 0 });
  });
});
