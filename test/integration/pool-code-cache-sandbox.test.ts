/**
 * The code cache in bubblewrap sandboxes (src/pool/code-cache-writer.ts): a sandboxed
 * runtime sees its function's entries read-only, sends the ones it made before its first
 * NEXT, and the platform writes them; later cold starts (fresh sandboxes and pre-started
 * ones) load modules from them. What an environment sends once it has been given an
 * invocation is dropped: a function's code writing frames on the channel during an
 * invocation plants nothing.
 *
 * Needs Debian's `bubblewrap` (.ci/run installs it; sandbox.test.ts fails in CI without it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import { entryName, sandboxCacheFolder, sandboxEntriesWritten } from '../../src/pool/code-cache-writer.js';
import type { HearthPool } from '../../src/pool/index.js';
import { bubblewrapUsable } from '../helpers/bubblewrap.js';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const usable = bubblewrapUsable();

/**
 * Writes a CACHE frame on the private channel's fd, as a runtime would (frames.cjs), for a
 * file and its entry's name (the test gives both: `plant`).
 */
const INDEX = `
const fs = require('node:fs');
const big = require('./lib/big.js');
function plant([file, entry]) {
  const head = Buffer.from(JSON.stringify({ file, size: 0, mtimeMs: 0, ino: 0, length: 1, node: 'planted' }));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(head.length, 0);
  const bytes = Buffer.concat([size, head, Buffer.from('planted bytecode')]);
  const name = Buffer.from(entry);
  const frame = Buffer.alloc(7 + name.length + bytes.length);
  frame.writeUInt32LE(2 + name.length + bytes.length, 0);
  frame[4] = 9;
  frame.writeUInt16LE(name.length, 5);
  name.copy(frame, 7);
  bytes.copy(frame, 7 + name.length);
  fs.writeSync(3, frame);
}
if (process.env.PLANT_AT_INIT) plant(JSON.parse(process.env.PLANT_AT_INIT));
exports.handler = async (event) => {
  if (event.plant) plant(event.plant);
  return { n: big.n, cache: fs.readdirSync('/var/hearth/code-cache').length };
};
`;

/** ~80 KB of CommonJS: over the small-init threshold (64 KiB), so the cache is used. */
function bigModule(): string {
  const fns = Array.from({ length: 1200 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i % 7}; }`);
  return `${fns.join('\n')}\nexports.n = [${fns.map((_, i) => `f${i}(1)`).join(', ')}].length;\n`;
}

const pools: HearthPool[] = [];
let base = '';
let code = '';
let cacheDir = '';

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'hearth-cache-sandbox-'));
  code = path.join(base, 'code');
  mkdirSync(path.join(code, 'lib'), { recursive: true });
  writeFileSync(path.join(code, 'index.js'), INDEX);
  writeFileSync(path.join(code, 'lib', 'big.js'), bigModule());
  writeFileSync(path.join(code, 'lib', 'other.js'), 'exports.other = 1;\n');
  writeFileSync(path.join(code, 'lib', 'other2.js'), 'exports.other = 2;\n');
  execFileSync('chmod', ['-R', 'a-w', code]);
  cacheDir = path.join(base, 'cache');
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});
afterAll(() => {
  execFileSync('chmod', ['-R', 'u+w', base]);
  rmSync(base, { recursive: true, force: true });
});

/** Sandboxes forked by the pool itself (pool-prestarted-sandbox.test.ts uses the spawner). */
function pool(prestartedRuntimes = 0): HearthPool {
  const p = testPool({
    sandbox: 'bubblewrap',
    codeCacheDir: cacheDir,
    sandboxTaskDir: path.join(base, 'tasks'),
    prestartedRuntimes,
    spawner: false,
  });
  pools.push(p);
  return p;
}

function spec(run: string, environment: Record<string, string> = {}): EnvironmentSpec {
  return makeSpec('start-reporter', {
    functionName: 'cached',
    key: `cached/$LATEST@${run}`,
    codeDir: code,
    environment: { RUN: run, ...environment },
  });
}

async function invoke(
  p: HearthPool,
  s: EnvironmentSpec,
  event: unknown = {},
): Promise<{ n: number; cache: number }> {
  const o = await p.invoke(makeRequest(s, { event }));
  if (o.kind !== 'success') {
    throw new Error(`invoke failed: ${JSON.stringify(o)}`);
  }
  await sandboxEntriesWritten();
  return json(o.payload) as { n: number; cache: number };
}

/** What the function's `plant` writes a frame for: a file and its entry's name. */
const plant = (file: string): [string, string] => [file, entryName(file)];
const folder = (): string => sandboxCacheFolder(cacheDir, spec('x'));
const entryOf = (file: string): string => path.join(folder(), entryName(file));
/** An entry's inode: a rewrite (temp + rename) changes it. */
const inode = (file: string): number => statSync(entryOf(file)).ino;

describe.skipIf(!usable)('the code cache in sandboxes', () => {
  it('is written by the platform from what a runtime sends before its first NEXT, and used by the next cold start', async () => {
    const p = pool();
    expect((await invoke(p, spec('1'))).n).toBe(1200);
    const big = '/var/task/lib/big.js';
    expect(existsSync(entryOf(big))).toBe(true);
    const header = JSON.parse(
      readFileSync(entryOf(big)).toString('utf8', 4, 4 + readFileSync(entryOf(big)).readUInt32LE(0)),
    ) as Record<string, unknown>;
    expect(header.file).toBe(big);
    expect(header.hostFile).toBe(path.join(code, 'lib', 'big.js'));
    expect(header.ino).toBe(statSync(path.join(code, 'lib', 'big.js')).ino);

    // A second cold start reads it (sees the folder) and sends nothing for big.js.
    const before = inode(big);
    const second = await invoke(p, spec('2'));
    expect(second.cache).toBeGreaterThanOrEqual(2);
    expect(inode(big)).toBe(before);

    // The detection works: without the entry, the next cold start writes it again.
    execFileSync('rm', [entryOf(big)]);
    await invoke(p, spec('3'));
    expect(existsSync(entryOf(big))).toBe(true);
  });

  it('is read by a pre-started sandbox through its own linked folder', async () => {
    const p = pool(2);
    await invoke(p, spec('4'));
    const [blank] = await p.prestartedRuntimes();
    expect(blank).toBeGreaterThan(0);
    const big = '/var/task/lib/big.js';
    const before = inode(big);
    const s = spec('5');
    const taken = await invoke(p, s);
    expect(p.environments().find((e) => e.specKey === s.key)?.pid).toBe(blank);
    expect(taken.cache).toBeGreaterThanOrEqual(2);
    expect(inode(big)).toBe(before);
  });

  it('takes what init sends, and drops what an environment sends once it has been invoked', async () => {
    const p = pool();
    await invoke(p, spec('6', { PLANT_AT_INIT: JSON.stringify(plant('/var/task/lib/other.js')) }));
    // Init is the function's own code: its entry is written, its header the host file's.
    const other = JSON.parse(
      readFileSync(entryOf('/var/task/lib/other.js')).toString(
        'utf8',
        4,
        4 + readFileSync(entryOf('/var/task/lib/other.js')).readUInt32LE(0),
      ),
    ) as Record<string, unknown>;
    expect(other.size).toBe(statSync(path.join(code, 'lib', 'other.js')).size);
    // During an invocation: dropped.
    const s = spec('7');
    await invoke(p, s);
    await invoke(p, s, { plant: plant('/var/task/lib/other2.js') });
    expect(existsSync(entryOf('/var/task/lib/other2.js'))).toBe(false);
  });
});
