/**
 * AWS §3.8: an on-demand init that timed out is retried "at the time of the first function
 * invocation", inside that invocation: the retried environment serves the invocation that
 * waited for it, however the other environments of the function come and go meanwhile.
 *
 * The function's environments number themselves in start order (a directory each): the
 * first never becomes ready (its init times out); the others are ready when the test opens
 * their gate file: the retry (the second) only after a third, started for another
 * invocation meanwhile, is ready.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { HearthPool } from '../../src/pool/index.js';
import { json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

const root = mkdtempSync(path.join(tmpdir(), 'hearth-init-retry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let pool: HearthPool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
});

const INDEX = `import fs from 'node:fs';
import path from 'node:path';
const dir = process.env.STARTS;
let index = 0;
for (;; index++) {
  try { fs.mkdirSync(path.join(dir, String(index))); break; } catch {}
}
if (index === 0) {
  await new Promise(() => setInterval(() => {}, 1 << 30)); // never ready
} else {
  // Ready once the test opens this environment's gate.
  const gate = path.join(dir, \`gate\${index}\`);
  await new Promise((resolve) => {
    const w = fs.watch(dir, () => { if (fs.existsSync(gate)) { w.close(); resolve(); } });
    if (fs.existsSync(gate)) { w.close(); resolve(); }
  });
}
export const handler = async (_e, context) => ({ index, left: context.getRemainingTimeInMillis() });
`;

/** Resolves when `dir` holds an entry named `name`. */
function appears(dir: string, name: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(dir, () => {
      if (existsSync(path.join(dir, name))) {
        w.close();
        resolve();
      }
    });
    if (existsSync(path.join(dir, name))) {
      w.close();
      resolve();
    }
  });
}

it('the retried init serves the invocation it was retried for, not the next waiter', async () => {
  const code = path.join(root, 'code');
  const starts = path.join(root, 'starts');
  mkdirSync(code);
  mkdirSync(starts);
  writeFileSync(path.join(code, 'index.mjs'), INDEX);
  pool = testPool({ onDemandInitTimeoutMs: 3_000, finishingGraceMs: 0 });
  const spec = makeSpec('retry', { codeDir: code, timeoutSec: 30, environment: { STARTS: starts } });

  const first = pool.invoke(makeRequest(spec, { event: { who: 1 } }));
  // The first environment (index 0) never becomes ready: its init times out, and its
  // retry (index 1) starts for the first invocation.
  await until(pool, (e) => e?.type === 'environment-dead', 20_000);
  await appears(starts, '1');
  // A second invocation starts an environment of its own (index 2), ready while the
  // retry is still in its init.
  const second = pool.invoke(makeRequest(spec, { event: { who: 2 } }));
  await appears(starts, '2');
  writeFileSync(path.join(starts, 'gate2'), '');
  const firstDone = await Promise.race([first.then(() => 1), second.then(() => 2)]);
  writeFileSync(path.join(starts, 'gate1'), '');
  const [a, b] = await Promise.all([first, second]);
  expect(a.kind, JSON.stringify(a)).toBe('success');
  expect(b.kind, JSON.stringify(b)).toBe('success');
  const served = [json(a.payload), json(b.payload)] as { index: number; left: number }[];
  // The first invocation waited for the init that timed out: its retry (index 1) is its own.
  expect(served[0]?.index).toBe(1);
  expect(served[1]?.index).toBe(2);
  expect(firstDone).toBe(2);
  // Only the retried invocation pays for the retry's init out of its Timeout.
  expect(served[1]?.left).toBeGreaterThan(29_000);
});
