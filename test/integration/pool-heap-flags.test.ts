/**
 * The bundled Node.js runtime sets the heap flags aside during init
 * (src/runtimes/node/heap-flags.cjs), so that V8 accepts code-cache data made under the
 * default flags (Node's own, for its built-in modules), and restores them after: the heap
 * limits stay MemorySize's, also for a worker thread started later.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { HearthPool } from '../../src/pool/index.js';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const SOURCE = 'function probe(a) { return a + 1; } probe(1);';
const dir = mkdtempSync(path.join(tmpdir(), 'hearth-heap-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let pool: HearthPool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
});

/** Code-cache data for SOURCE, made by a `node` started with no flags at all. */
function probeCache(): string {
  const file = path.join(dir, 'probe.cache');
  const data = execFileSync(
    process.execPath,
    ['-e', `process.stdout.write(new (require('vm').Script)(${JSON.stringify(SOURCE)}).createCachedData())`],
    { env: { PATH: process.env.PATH ?? '' } },
  );
  writeFileSync(file, data);
  return file;
}

interface Report {
  atInit: boolean | null;
  afterInit: boolean | null;
  heapLimit: number;
  workerLimit: number;
}

describe('the heap flags during init', () => {
  it.each([
    ['on demand', 0],
    ['pre-started', 2],
  ])(
    'are the defaults while the function initialises, and MemorySize bounds the heaps (%s)',
    async (_, prestartedRuntimes) => {
      let log = '';
      const p = testPool({ prestartedRuntimes, onFunctionLog: (e) => (log += e.text) });
      pool = p;
      const spec = (name: string) =>
        makeSpec('heap-flags-reporter', {
          functionName: name,
          key: `${name}/$LATEST@r`,
          memoryMb: 128,
          environment: { PROBE_CACHE: probeCache() },
        });
      // (with pre-started runtimes, the second is started before its function)
      await p.invoke(makeRequest(spec('first')));
      await p.prestartedRuntimes();
      const o = await p.invoke(makeRequest(spec('second')));
      expect(o.kind).toBe('success');
      const r = json(o.kind === 'success' ? o.payload : Buffer.from('{}')) as Report;
      expect(r.atInit).toBe(true);
      expect(r.afterInit).toBe(false);
      // 115 MB of old space (90 % of 128) and 3 of young: set when the heap was.
      expect(Math.round(r.heapLimit / 1048576)).toBe(118);
      expect(r.workerLimit).toBe(r.heapLimit);
      // The runtime's way to V8's flags warns no one (heap-flags.cjs).
      expect(log).toContain('START RequestId');
      expect(log).not.toContain('Warning');
    },
  );
});
