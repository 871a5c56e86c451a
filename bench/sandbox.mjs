#!/usr/bin/env node
// The spawn cost of the sandbox (issue 12 item 6), in alternating rounds of one run; each
// figure is the median of the per-round ratios:
//   1. Put(100) → READY of a trivial Node function on a hearth whose environments run in
//      bubblewrap (HEARTH_SANDBOX=bubblewrap), beside the same on an unsandboxed hearth
//      (HEARTH_SANDBOX=off) (target <= 1.2);
//   2. the cold first invoke of that function ($LATEST, on-demand, after a change of its
//      variables, the rounds ~300 ms apart as cold starts some time apart are) in a
//      sandbox, by default (pre-started sandboxes and the code cache) beside neither
//      (--prestarted-runtimes 0 --code-cache false), and beside the unsandboxed hearth;
//   3. the same for a function whose init builds an AWS SDK client (bench/startup.mjs's;
//      round 0, which fills the code cache, is not counted).
// Run with `npm run build && node bench/sandbox.mjs`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  childPids,
  closeClient,
  createEchoFunction,
  median,
  post,
  root,
  createSdkFunction,
  sdkPackage,
  startProcess,
  stopProcess,
  waitReady,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COUNT = Number(process.env.BENCH_ENVIRONMENTS ?? 100);

async function start(sandbox, env = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), `hearth-bench-${sandbox}-`));
  const p = await startProcess(
    [path.join(root, 'bin/hearth.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    /hearth listening on (http:\/\/\S+)\n/,
    { HEARTH_SANDBOX: sandbox, ...env },
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

/** The cold first invoke of echo's $LATEST after a change of its variables, in ms. */
async function firstInvoke(h, round, name = 'echo') {
  await h.client.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: name,
      Environment: { Variables: { ROUND: String(round) } },
    }),
  );
  const t0 = performance.now();
  const res = await post(`${h.url}/2015-03-31/functions/${name}/invocations`, Buffer.from('{"n":1}'));
  const ms = performance.now() - t0;
  if (res.status !== 200) {
    throw new Error(`invoke failed: ${res.status} ${res.body}`);
  }
  return ms;
}

const off = await start('off');
const sandboxed = await start('bubblewrap');
const noBlanks = {
  // Neither pre-started sandboxes nor the code cache: a sandboxed hearth before either.
  ...(await start('bubblewrap', { HEARTH_PRESTARTED_RUNTIMES: '0', HEARTH_CODE_CACHE: 'false' })),
  sandbox: 'no-blanks',
};
const ratios = [];
const times = { off: [], bubblewrap: [] };
const first = { off: [], bubblewrap: [], 'no-blanks': [] };
const sdk = { off: [], bubblewrap: [], 'no-blanks': [] };
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
  // 2. Cold first invokes (round 0 warms each hearth's first start; not counted).
  for (let i = 0; i <= ROUNDS * 3; i++) {
    const order = [off, sandboxed, noBlanks];
    for (let k = 0; k < i % 3; k++) {
      order.push(order.shift());
    }
    for (const h of order) {
      const ms = await firstInvoke(h, i);
      if (i > 0) {
        first[h.sandbox].push(ms);
      }
    }
    // Cold starts some time apart: a pre-started sandbox is ready again by the next.
    await new Promise((r) => setTimeout(r, 300));
  }
  // 3. The same with a function whose init builds an AWS SDK client (bench/startup.mjs's).
  const code = await sdkPackage();
  for (const h of [off, sandboxed, noBlanks]) {
    await createSdkFunction(h.client, code);
  }
  for (let i = 0; i <= ROUNDS * 3; i++) {
    const order = [off, sandboxed, noBlanks];
    for (let k = 0; k < i % 3; k++) {
      order.push(order.shift());
    }
    for (const h of order) {
      const ms = await firstInvoke(h, i, 'sdk');
      if (i > 0) {
        sdk[h.sandbox].push(ms);
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
} finally {
  closeClient();
  for (const h of [off, sandboxed, noBlanks]) {
    h.client.destroy();
    await stopProcess(h.child);
    rmSync(h.dataDir, { recursive: true, force: true });
  }
}
console.log(
  `Put(${COUNT}) -> READY: unsandboxed median ${median(times.off)} ms, bubblewrap median ${median(times.bubblewrap)} ms; ` +
    `ratio (median of ${ROUNDS} rounds) ${median(ratios).toFixed(2)} (target <= 1.2)`,
);
const firstRatios = first.bubblewrap.map((x, i) => x / first['no-blanks'][i]);
const againstOff = first.bubblewrap.map((x, i) => x / first.off[i]);
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join('/');
console.log(
  `first invoke, on-demand, sandboxed: ${median(firstRatios).toFixed(2)}x by default (pre-started sandboxes, code cache) against neither ` +
    `(${first.bubblewrap.length} rounds; median ${median(first.bubblewrap).toFixed(1)} against ${median(first['no-blanks']).toFixed(1)} ms; ` +
    `${fmt(first.bubblewrap)} against ${fmt(first['no-blanks'])})`,
);
console.log(
  `  sandboxed against unsandboxed, both with pre-started runtimes: ${median(againstOff).toFixed(2)}x ` +
    `(unsandboxed median ${median(first.off).toFixed(1)} ms)`,
);
const sdkRatios = sdk.bubblewrap.map((x, i) => x / sdk['no-blanks'][i]);
console.log(
  `first invoke, on-demand, init loads an AWS SDK client, sandboxed: ${median(sdkRatios).toFixed(2)}x by default (pre-started sandboxes, code cache) against neither ` +
    `(median ${median(sdk.bubblewrap).toFixed(1)} against ${median(sdk['no-blanks']).toFixed(1)} ms; ${fmt(sdk.bubblewrap)} against ${fmt(sdk['no-blanks'])}; ` +
    `unsandboxed, with the code cache and pre-started runtimes, ${median(sdk.off).toFixed(1)} ms: ${fmt(sdk.off)})`,
);
