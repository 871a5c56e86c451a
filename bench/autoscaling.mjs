#!/usr/bin/env node
// Autoscaling (issue 10): how long a scaling decision of Application Auto Scaling takes to
// reach READY for +10 environments, beside PutProvisionedConcurrencyConfig(+10) → READY done
// by hand in the same run, in alternating rounds; the figure is the median per-round ratio.
//
//   by hand:    Put(11) on an alias at 1 READY environment → READY at 11;
//   autoscaled: RegisterScalableTarget raising MinCapacity 1 → 11 on a target that the
//               scaler drives (it has a scheduled action) → the loop decides, puts 11 → READY.
// Both end at READY through the same Put path; the ratio is what the decision adds.
//
// Run: npm run build && node bench/autoscaling.mjs   (BENCH_ROUNDS)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { closeClient, createEchoFunction, median, root, startProcess, stopProcess } from './lib.mjs';

if (process.argv.includes('--help')) {
  console.log('usage: node bench/autoscaling.mjs   (after npm run build; env BENCH_ROUNDS)');
  process.exit(0);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STEP = 10;
const TARGET = {
  ServiceNamespace: 'lambda',
  ScalableDimension: 'lambda:function:ProvisionedConcurrency',
  ResourceId: 'function:echo:live',
};

const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-bench-autoscaling-'));
const hearth = await startProcess(
  [path.join(root, 'bin/hearth.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'error'],
  /hearth listening on (http:\/\/\S+)\n/,
);
const lambda = new LambdaClient({
  endpoint: hearth.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  maxAttempts: 1,
});

/** One Application Auto Scaling call (JSON 1.1; no JavaScript SDK client is installed). */
async function aas(operation, body) {
  const res = await fetch(hearth.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AnyScaleFrontendService.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) {
    throw new Error(`${operation}: ${JSON.stringify(json)}`);
  }
  return json;
}

/** Polls the config (as a client does) until READY with `count` allocated; ms since `t0`. */
async function readyAt(count, t0) {
  for (;;) {
    const c = await lambda
      .send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'echo', Qualifier: 'live' }))
      .catch(() => undefined);
    if (
      c?.Status === 'READY' &&
      c.RequestedProvisionedConcurrentExecutions === count &&
      c.AllocatedProvisionedConcurrentExecutions === count
    ) {
      return performance.now() - t0;
    }
    if (performance.now() - t0 > 60_000) {
      throw new Error(`not READY at ${count}: ${JSON.stringify(c)}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const put = (n) =>
  lambda.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'echo',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: n,
    }),
  );

async function byHand() {
  await put(1);
  await readyAt(1, performance.now());
  const t0 = performance.now();
  await put(1 + STEP);
  return readyAt(1 + STEP, t0);
}

async function autoscaled() {
  await aas('RegisterScalableTarget', { ...TARGET, MinCapacity: 1, MaxCapacity: 1 + STEP });
  await put(1);
  await readyAt(1, performance.now());
  const t0 = performance.now();
  await aas('RegisterScalableTarget', { ...TARGET, MinCapacity: 1 + STEP });
  const ms = await readyAt(1 + STEP, t0);
  // Hand the config back: without a target the next round's Puts are the caller's own.
  await aas('DeregisterScalableTarget', TARGET);
  return ms;
}

await createEchoFunction(lambda);
await aas('RegisterScalableTarget', { ...TARGET, MinCapacity: 1, MaxCapacity: 1 + STEP });
const governed = async () => {
  // A scheduled action far away makes the target one the scaler drives (README "Semantics").
  await aas('RegisterScalableTarget', { ...TARGET, MinCapacity: 1, MaxCapacity: 1 + STEP });
  await aas('PutScheduledAction', {
    ...TARGET,
    ScheduledActionName: 'later',
    Schedule: 'cron(0 0 1 1 ? 2099)',
    ScalableTargetAction: { MinCapacity: 1 },
  });
};
await aas('DeregisterScalableTarget', TARGET);

const rounds = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const hand = await byHand();
    await governed();
    const auto = await autoscaled();
    rounds.push({ hand, auto });
  }
} finally {
  lambda.destroy();
  closeClient();
  await stopProcess(hearth.child);
  rmSync(dataDir, { recursive: true, force: true });
}

const ratios = rounds.map((r) => r.auto / r.hand);
const fmt = (x, d = 0) => x.toFixed(d);
console.log(`hearth autoscaling bench (${new Date().toISOString()}, node ${process.version})`);
console.log(
  `scale-out +${STEP} -> READY: autoscaled p50 ${fmt(median(rounds.map((r) => r.auto)))} ms, by hand (Put) p50 ${fmt(median(rounds.map((r) => r.hand)))} ms`,
);
console.log(
  `  ratio ${fmt(median(ratios), 2)}x (target <= 1.2x; median of ${ROUNDS} alternating rounds: ${ratios.map((x) => fmt(x, 2)).join(' ')})`,
);
console.log(
  `  rounds, autoscaled/by hand ms: ${rounds.map((r) => `${fmt(r.auto)}/${fmt(r.hand)}`).join(' ')}`,
);
