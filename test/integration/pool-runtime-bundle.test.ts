/**
 * The Node.js client as built into dist/ (scripts/bundle-node-runtime.mjs): one bundled
 * file in place of src/runtimes/node's modules. The function must not be able to tell:
 * each case runs the same function on the source files and on a bundle built here, and
 * compares what it observed (variables, argv, flags, module paths, heap limit, errors),
 * on both channels, for a CommonJS and an ES module handler, with the code cache and a
 * pre-started runtime.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import type { HearthPool, PoolOptions } from '../../src/pool/index.js';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const SOURCE = fileURLToPath(new URL('../../src/runtimes/node/', import.meta.url));
const { bundleNodeRuntime } = (await import(
  new URL('../../scripts/bundle-node-runtime.mjs', import.meta.url).href
)) as { bundleNodeRuntime: (entry: string, outfile: string) => void };

const dir = mkdtempSync(path.join(tmpdir(), 'hearth-runtime-bundle-'));
const bundled = path.join(dir, 'bootstrap.cjs');
const source = path.join(SOURCE, 'bootstrap.cjs');
beforeAll(() => {
  bundleNodeRuntime(source, bundled);
  // Loaded by path beside the entry (code-root.cjs registers the loader-thread hook).
  copyFileSync(path.join(SOURCE, 'esm-confine.mjs'), path.join(dir, 'esm-confine.mjs'));
  copyFileSync(path.join(SOURCE, 'esm-confine.cjs'), path.join(dir, 'esm-confine.cjs'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pools: HearthPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});

function pool(entry: string, overrides: Partial<PoolOptions> = {}): HearthPool {
  const p = testPool({ nodeRuntimeEntry: entry, spawner: false, ...overrides });
  pools.push(p);
  return p;
}

async function invoke(p: HearthPool, s: EnvironmentSpec, event: unknown = { n: 1 }): Promise<unknown> {
  const o = await p.invoke(makeRequest(s, { event }));
  if (o.kind === 'success') {
    return json(o.payload);
  }
  const { payload, ...rest } = o as { payload?: Buffer };
  return { ...rest, payload: payload === undefined ? undefined : json(payload) };
}

/** What differs between any two starts, or names the entry file, made comparable. */
function comparable(r: unknown): unknown {
  const text = JSON.stringify(r)
    .replaceAll(bundled, '<entry>')
    .replaceAll(source, '<entry>')
    .replaceAll(dir, '<dir>')
    .replaceAll(SOURCE.replace(/\/$/, ''), '<dir>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/"(remainingMs|durationMs|initDurationMs)":[\d.]+/g, '"$1":0')
    // The runtime's own frames keep their names; only where they sit in the file differs.
    .replace(/<entry>:\d+:\d+/g, '<entry>:<line>')
    .replace(/\][0-9a-f]{32}/g, ']<random>')
    .replace(/"pid":\d+/g, '"pid":0')
    .replace(/"(?:requestId|awsRequestId)":"[^"]*"/g, '"requestId":""');
  return JSON.parse(text) as unknown;
}

describe.skipIf(process.platform !== 'linux')('the bundled Node.js client', () => {
  it.each(['private', 'http'] as const)(
    'is indistinguishable from the source files to a function (%s channel)',
    async (nodeChannel) => {
      const reporter = makeSpec('start-reporter', {
        environment: { MY_VAR: 'x', NODE_PATH: '/nowhere' },
      });
      const context = makeSpec('context-reporter');
      const esm = makeSpec('esm-echo', { handler: 'index.handler' });
      const thrower = makeSpec('error-thrower');
      const results = [];
      for (const entry of [source, bundled]) {
        const p = pool(entry, { nodeChannel });
        results.push(
          comparable({
            report: await invoke(p, reporter),
            context: await invoke(p, context),
            esm: await invoke(p, esm, { a: 1 }),
            thrown: await invoke(p, thrower, { n: 2 }),
          }),
        );
      }
      const [fromSource, fromBundle] = results;
      expect(fromBundle).toEqual(fromSource);
      expect(JSON.stringify(fromBundle)).toContain('"MY_VAR":"x"');
      expect(fromBundle).toMatchObject({ esm: { esm: true, event: { a: 1 } } });
    },
  );

  it('writes the code cache (with its small-init marker), and lends a pre-started runtime', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'hearth-runtime-bundle-cache-'));
    try {
      const p = pool(bundled, { codeCacheDir: cacheDir, prestartedRuntimes: 1 });
      const a = makeSpec('start-reporter', { functionName: 'a', key: 'a/$LATEST@b' });
      const first = (await invoke(p, a)) as { pid: number };
      expect(first.pid).toBeGreaterThan(0);
      const [blank] = await p.prestartedRuntimes();
      expect(blank).toBeGreaterThan(0);
      const b = makeSpec('start-reporter', { functionName: 'b', key: 'b/$LATEST@b' });
      const taken = (await invoke(p, b)) as { pid: number; env: Record<string, string> };
      expect(taken.pid).toBe(blank);
      expect(taken.env._HEARTH_BLANK).toBeUndefined();
      const entries = readdirSync(cacheDir, { recursive: true }).map(String);
      // The function's module's entry, and the marker of an init too small for the cache.
      expect(entries.filter((e) => e.endsWith('.v8') && !path.basename(e).startsWith('small-'))).not.toEqual(
        [],
      );
      expect(entries.filter((e) => path.basename(e).startsWith('small-'))).not.toEqual([]);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
