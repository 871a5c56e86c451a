#!/usr/bin/env node
// The spawn cost of the sandbox (issue 12 item 6): Put(100) → READY of a trivial Node
// function on a hearth whose environments run in bubblewrap (HEARTH_SANDBOX=bubblewrap),
// beside the same on an unsandboxed hearth (HEARTH_SANDBOX=off), in alternating rounds of
// the same run; the figure is the median of the per-round ratios (target <= 1.2).
// Run with `npm run build && node bench/sandbox.mjs`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  childPids,
  closeClient,
  createEchoFunction,
  median,
  root,
  startProcess,
  stopProcess,
  waitReady,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COUNT = Number(process.env.BENCH_ENVIRONMENTS ?? 100);

async function start(sandbox) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `hearth-bench-${sandbox}-`));
  const p = await startProcess(
    [path.join(root, 'bin/hearth.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    /hearth listening on (http:\/\/\S+)\n/,
    { HEARTH_SANDBOX: sandbox },
  );
  const client = new LambdaClient({
    endpoint: p.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
  });
  await createEchoFunction(client);
  return { sandbox, dataDir, client, ...p };
}

async function putToReady(h) {
  await h.client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'echo',
      Qualifier: '1',
      ProvisionedConcurrentExecutions: COUNT,
    }),
  );
  const ms = await waitReady(h.client, 'echo', '1', 120_000);
  await h.client.send(
    new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'echo', Qualifier: '1' }),
  );
  // The next round starts from no environments (polled as a client would).
  const t0 = Date.now();
  while (childPids(h.child.pid).length > 0 && Date.now() - t0 < 30_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return ms;
}

const off = await start('off');
const sandboxed = await start('bubblewrap');
const ratios = [];
const times = { off: [], bubblewrap: [] };
try {
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first, so a slow stretch of the machine falls on both sides.
    const order = i % 2 === 0 ? [off, sandboxed] : [sandboxed, off];
    const r = {};
    for (const h of order) {
      r[h.sandbox] = await putToReady(h);
      times[h.sandbox].push(r[h.sandbox]);
    }
    ratios.push(r.bubblewrap / r.off);
    console.log(
      `round ${i + 1}: unsandboxed ${r.off} ms, bubblewrap ${r.bubblewrap} ms, ratio ${(r.bubblewrap / r.off).toFixed(2)}`,
    );
  }
} finally {
  closeClient();
  for (const h of [off, sandboxed]) {
    h.client.destroy();
    await stopProcess(h.child);
    rmSync(h.dataDir, { recursive: true, force: true });
  }
}
console.log(
  `Put(${COUNT}) -> READY: unsandboxed median ${median(times.off)} ms, bubblewrap median ${median(times.bubblewrap)} ms; ` +
    `ratio (median of ${ROUNDS} rounds) ${median(ratios).toFixed(2)} (target <= 1.2)`,
);
