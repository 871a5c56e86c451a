#!/usr/bin/env node
// Provisioned concurrency at scale: time for N environments to be READY, and the memory
// an idle environment costs (USS = private pages; PSS = private + share of shared pages),
// for the bundled client on its private channel and, for reference, over HTTP and with the
// official aws-lambda-ric.
//
//   node bench/pool-provision.mjs [count=100] [maxConcurrentStarts=32] [modes=private,http,ric]
import path from 'node:path';
import pino from 'pino';
import { echoFixtureSpec, loadPool, memoryKb, root } from './lib.mjs';

const count = Number(process.argv[2] ?? 100);
const maxConcurrentStarts = Number(process.argv[3] ?? 32);
const modes = (process.argv[4] ?? 'private,http,ric').split(',');

const { createPool } = await loadPool();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const mode of modes) {
  const pool = createPool({
    logger: pino({ level: 'silent' }),
    idleTimeoutMs: 600_000,
    maxConcurrentStarts,
    nodeRuntimeEntry: path.join(root, 'dist/runtimes/node/bootstrap.cjs'),
    nodeChannel: mode === 'http' ? 'http' : 'private',
    ...(mode === 'ric'
      ? {
          runtimeCommands: {
            'nodejs20.x': {
              command: process.execPath,
              args: [path.join(root, 'node_modules/aws-lambda-ric/index.mjs')],
            },
          },
        }
      : {}),
  });
  const spec = echoFixtureSpec(`bench/${mode}@1`);
  const initDurations = [];
  pool.subscribe((e) => {
    if (e.type === 'environment-ready') {
      initDurations.push(e.initDurationMs);
    }
  });
  const started = performance.now();
  await new Promise((resolve) => {
    const stop = pool.subscribe(() => {
      if (pool.provisionedStatus('k').status === 'READY') {
        stop();
        resolve();
      }
    });
    pool.setProvisioned('k', spec, count);
  });
  const readyMs = performance.now() - started;
  // Let the children settle (lazy compilation, GC) before reading their memory.
  await new Promise((r) => setTimeout(r, 1000));
  const mem = pool.environments().map((e) => memoryKb(e.pid));
  console.log(
    `${mode.padEnd(8)} ${count} environments READY in ${readyMs.toFixed(0)} ms ` +
      `(${((count * 1000) / readyMs).toFixed(0)}/s, maxConcurrentStarts ${maxConcurrentStarts}); ` +
      `init p50 ${median(initDurations).toFixed(1)} ms; ` +
      `idle memory per environment (median): USS ${(median(mem.map((m) => m.uss)) / 1024).toFixed(1)} MiB, ` +
      `PSS ${(median(mem.map((m) => m.pss)) / 1024).toFixed(1)} MiB, RSS ${(median(mem.map((m) => m.rss)) / 1024).toFixed(1)} MiB`,
  );
  await pool.dispose();
}
process.exit(0);
