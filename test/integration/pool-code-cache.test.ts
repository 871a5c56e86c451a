/**
 * The code cache off the runtime's critical path, and kept bounded (issue 15; review 4):
 *   - the runtime asks for its next invocation before it writes the cache (provisioned:
 *     readiness first; on-demand: the /next after the first answer first: on the private
 *     channel it always went out with the answer, on HTTP it waited for the cache);
 *   - the pool prunes the folder at start and after a drain (a deleted or changed function).
 * What the runtime does, in order, is logged by a preload (`--require`) that wraps the
 * functions of node:fs the runtime calls, and logs each HTTP request once it is written.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import { codeCacheFolder } from '../../src/pool/code-cache.js';
import type { HearthPool } from '../../src/pool/index.js';
import { fixtureDir, json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

const root = mkdtempSync(path.join(tmpdir(), 'hearth-pool-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let pool: HearthPool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
});

const PRELOAD = `'use strict';
const fs = require('node:fs');
const http = require('node:http');
const log = (line) => fs.appendFileSync(__LOG__, line + '\\n');
const wrap = (obj, name, describe) => {
  const original = obj[name];
  obj[name] = function (...args) {
    const line = describe(...args);
    if (line !== undefined) log(line);
    return original.apply(this, args);
  };
};
wrap(fs, 'writeSync', (fd) => (typeof fd === 'number' && fd > 2 ? 'channel-write' : undefined));
wrap(fs, 'writevSync', (fd) => (typeof fd === 'number' && fd > 2 ? 'channel-write' : undefined));
wrap(fs, 'readSync', () => 'channel-read');
wrap(fs, 'readFileSync', (f) => (String(f).endsWith('.v8') ? 'cache-read' : undefined));
wrap(fs, 'writeFileSync', (f) => (String(f).endsWith('.tmp') ? 'cache-write' : undefined));
// A request counts once node:http has written it (it writes after the current turn).
const request = http.request;
http.request = function (o, ...rest) {
  const req = request.call(this, o, ...rest);
  const line = 'http ' + o.method + ' ' + String(o.path).replace(/^.*\\/runtime\\//, '');
  req.on('finish', () => log(line));
  return req;
};
`;

/** A pool whose runtime logs what it does (channel reads and writes, cache writes) to `log`. */
function openPool(channel: 'private' | 'http', log: string, cacheDir: string): HearthPool {
  const preload = path.join(root, `preload-${path.basename(log)}.cjs`);
  writeFileSync(preload, PRELOAD.replace('__LOG__', JSON.stringify(log)));
  writeFileSync(log, '');
  pool = testPool({
    codeCacheDir: cacheDir,
    nodeChannel: channel,
    nodeFlags: ['--v8-pool-size=1', '--require', preload],
  });
  return pool;
}

const events = (log: string): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

/**
 * The log's events once one of them is a cache write: the runtime writes the cache after
 * its /next is on the wire, so possibly after the invocation that /next brought.
 */
function afterCacheWrite(log: string, limitMs = 20_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const done = (): boolean => {
      const ev = events(log);
      if (ev.some((e) => e.startsWith('cache-write'))) {
        clearTimeout(timer);
        watcher.close();
        resolve(ev);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`no cache write within ${limitMs} ms:\n${events(log).join('\n')}`));
    }, limitMs);
    const watcher = watch(log, () => void done());
    done();
  });
}
const firstCacheWrite = (ev: readonly string[], from = 0): number =>
  ev.findIndex((e, i) => i >= from && e.startsWith('cache-write'));

let n = 0;
const echo = (): EnvironmentSpec => makeSpec('echo', { functionName: `cached${++n}`, key: `cached${n}@r` });

async function invokeOk(p: HearthPool, spec: EnvironmentSpec, provisionedKey?: string): Promise<void> {
  const o = await p.invoke(
    makeRequest(spec, { event: { n: 1 }, ...(provisionedKey === undefined ? {} : { provisionedKey }) }),
  );
  expect(o.kind, o.kind === 'success' ? '' : JSON.stringify(o)).toBe('success');
  expect(json(o.payload)).toMatchObject({ n: 1 });
}

describe.each(['private', 'http'] as const)(
  'the code cache is written after the /next (%s channel)',
  (channel) => {
    it('provisioned: the environment is ready before it writes the cache', async () => {
      const log = path.join(root, `prov-${channel}.log`);
      const p = openPool(channel, log, path.join(root, `cache-prov-${channel}`));
      const spec = echo();
      const key = `${spec.key}#live`;
      p.setProvisioned(key, spec, 1);
      await until(p, () => p.provisionedStatus(key).available === 1);
      await invokeOk(p, spec, key);
      const ev = await afterCacheWrite(log);
      const next = ev.findIndex((e) => e === 'channel-write' || e === 'http GET invocation/next');
      const write = firstCacheWrite(ev);
      expect(write, ev.join('\n')).toBeGreaterThan(0);
      expect(next, ev.join('\n')).toBeGreaterThanOrEqual(0);
      expect(next, ev.join('\n')).toBeLessThan(write);
    });

    it('on-demand: the /next after the first answer goes before the cache is written', async () => {
      const log = path.join(root, `od-${channel}.log`);
      const p = openPool(channel, log, path.join(root, `cache-od-${channel}`));
      const spec = echo();
      await invokeOk(p, spec);
      await invokeOk(p, spec);
      const ev = await afterCacheWrite(log);
      const write = firstCacheWrite(ev);
      expect(write, ev.join('\n')).toBeGreaterThan(0);
      if (channel === 'http') {
        const answer = ev.findIndex((e) => e.startsWith('http POST invocation/'));
        const next = ev.findIndex((e, i) => i > answer && e === 'http GET invocation/next');
        expect(answer, ev.join('\n')).toBeGreaterThanOrEqual(0);
        expect(next, ev.join('\n')).toBeGreaterThan(answer);
        expect(next, ev.join('\n')).toBeLessThan(write);
      } else {
        // The answer and the NEXT are one write (channel-fd.cjs), before the cache's.
        const answer = ev.indexOf('channel-write');
        expect(answer, ev.join('\n')).toBeGreaterThanOrEqual(0);
        expect(answer, ev.join('\n')).toBeLessThan(write);
      }
    });
  },
);

describe('an init too small for the code cache (small-init.cjs)', () => {
  it('leaves a marker; the next start of the same code and variables skips the cache, other variables do not', async () => {
    const log = path.join(root, 'small.log');
    const cacheDir = path.join(root, 'cache-small');
    const p = openPool('private', log, cacheDir);
    const first = echo();
    await invokeOk(p, first);
    await invokeOk(p, first);
    await afterCacheWrite(log);
    const folder = path.join(cacheDir, codeCacheFolder(first));
    expect(readdirSync(folder).filter((f) => f.startsWith('small-'))).toHaveLength(1);
    expect(events(log)).toContain('cache-read');

    // Another environment of the function, same variables: no entry read, none written.
    writeFileSync(log, '');
    const same = { ...first, key: `${first.key}-2` };
    await invokeOk(p, same);
    await invokeOk(p, same);
    expect(p.environments().filter((e) => e.specKey === same.key)).toHaveLength(1);
    expect(events(log).filter((e) => e.startsWith('cache-'))).toEqual([]);

    // Other variables: the cache again, which makes that init's own marker.
    writeFileSync(log, '');
    const other = { ...first, key: `${first.key}-3`, environment: { OTHER: '1' } };
    await invokeOk(p, other);
    await invokeOk(p, other);
    await afterCacheWrite(log);
    expect(events(log)).toContain('cache-read');
    expect(readdirSync(folder).filter((f) => f.startsWith('small-'))).toHaveLength(2);
  });
});

describe('the pool prunes the code cache folder', () => {
  /** A cache entry, as code-cache.cjs writes one, for `module` in `spec`'s folder. */
  const entry = (cacheDir: string, spec: EnvironmentSpec, module: string, name: string): string => {
    const st = statSync(module);
    const head = Buffer.from(
      JSON.stringify({ file: module, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, length: 1, node: 'x' }),
    );
    const size = Buffer.alloc(4);
    size.writeUInt32LE(head.length, 0);
    const dir = path.join(cacheDir, codeCacheFolder(spec));
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    writeFileSync(file, Buffer.concat([size, head, Buffer.alloc(100)]));
    return file;
  };

  it('at start (entries of code that is gone) and after a drain (over its cap)', async () => {
    const cacheDir = path.join(root, 'cache-prune');
    const spec = echo();
    const gone = path.join(root, 'gone.js');
    writeFileSync(gone, 'exports.x = 1;\n');
    const stale = entry(cacheDir, spec, gone, 'gone.v8');
    rmSync(gone);
    const current = entry(cacheDir, spec, path.join(fixtureDir('echo'), 'index.js'), 'echo.v8');
    pool = testPool({ codeCacheDir: cacheDir, codeCacheMaxMb: 1 });
    await pool.start();
    await pool.codeCachePruned();
    expect(readdirSync(path.dirname(current))).toEqual(['echo.v8']);
    expect(stale).not.toBe(current);
    await pool.dispose();

    // Under a cap of 0 bytes, a drain leaves nothing of the function's folder.
    pool = testPool({ codeCacheDir: cacheDir, codeCacheMaxMb: 0 });
    await pool.drain(spec.key);
    await pool.codeCachePruned();
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
