#!/usr/bin/env node
// Python beside Node.js, in one hearth, in one run (issue 9): the same echo function in
// both languages, measured by the same client in alternating rounds; every figure is a
// Python/Node ratio (the machine is shared and noisy; only ratios travel).
//
//   1. cold first invoke of an on-demand version;
//   2. warm invoke p50, sequential, on a READY provisioned alias;
//   3. throughput at c=32 with 32 provisioned environments;
//   4. Put(100) -> READY;
//   5. unique memory (USS) per idle provisioned environment.
//
// Run: npm run build && node bench/python.mjs   (BENCH_ROUNDS, BENCH_WARM_N, BENCH_LOAD_SECONDS)
import { readFileSync } from 'node:fs';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  childPids,
  closeClient,
  median,
  memoryKb,
  percentile,
  post,
  startHearth,
  waitReady,
  zip,
} from './lib.mjs';

if (process.argv.includes('--help')) {
  console.log(
    'usage: node bench/python.mjs   (after npm run build; env BENCH_ROUNDS, BENCH_WARM_N, BENCH_LOAD_SECONDS)',
  );
  process.exit(0);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARM_N = Number(process.env.BENCH_WARM_N ?? 2000);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const CONCURRENCY = 32;

const FUNCTIONS = {
  node: {
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    files: { 'index.mjs': 'export const handler = async (event) => ({ ...event, pid: process.pid });\n' },
  },
  python: {
    Runtime: 'python3.12',
    Handler: 'app.handler',
    files: {
      'app.py':
        'import os\n\ndef handler(event, context):\n    event["pid"] = os.getpid()\n    return event\n',
    },
  },
};

const hearth = await startHearth({ name: 'bench-python' });
const client = hearth.lambda;
const url = (fn, q) => `${hearth.url}/2015-03-31/functions/${fn}/invocations?Qualifier=${q}`;

async function sequential(target, n, body) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const res = await post(target, body);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (res.status !== 200) {
      throw new Error(`status ${res.status}: ${res.body}`);
    }
  }
  return times;
}

async function load(target, seconds) {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const res = await post(target, Buffer.from(JSON.stringify({ w, i })));
        const got = res.status === 200 ? JSON.parse(res.body.toString()) : undefined;
        if (got?.w !== w || got?.i !== i) {
          errors++;
        }
        done++;
      }
    }),
  );
  return { rps: done / seconds, errors };
}

const provisionedPids = (runtimeMarker) =>
  childPids(hearth.child.pid).filter((pid) => {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      return (
        env.includes('AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency') && env.includes(runtimeMarker)
      );
    } catch {
      return false;
    }
  });

const r = {
  cold: {},
  p50: { node: [], python: [] },
  rps: { node: [], python: [] },
  ready: {},
  uss: {},
  errors: 0,
};
try {
  for (const [name, f] of Object.entries(FUNCTIONS)) {
    await client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: f.Runtime,
        Handler: f.Handler,
        Role: 'arn:aws:iam::123456789012:role/bench',
        Code: { ZipFile: await zip(f.files) },
      }),
    );
    await client.send(new PublishVersionCommand({ FunctionName: name }));
    await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
    // 1. cold first invoke ($LATEST has no environment yet).
    const t0 = process.hrtime.bigint();
    const cold = await post(url(name, '%24LATEST'), Buffer.from('{}'));
    r.cold[name] = Number(process.hrtime.bigint() - t0) / 1e6;
    if (cold.status !== 200) {
      throw new Error(`${name}: cold invoke failed: ${cold.status} ${cold.body}`);
    }
    await client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: name,
        Qualifier: 'live',
        ProvisionedConcurrentExecutions: CONCURRENCY,
      }),
    );
    await waitReady(client, name, 'live', 60_000);
  }
  // 2. warm p50 in alternating rounds, after the same warm-up for both.
  const body = Buffer.from('{"hello":"world"}');
  for (const name of Object.keys(FUNCTIONS)) {
    await sequential(url(name, 'live'), 1000, body);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(FUNCTIONS)) {
      r.p50[name].push(median(await sequential(url(name, 'live'), Math.ceil(WARM_N / ROUNDS), body)));
    }
  }
  // 3. throughput at c=32 in alternating slices after a warm-up each.
  for (const name of Object.keys(FUNCTIONS)) {
    await load(url(name, 'live'), 2);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(FUNCTIONS)) {
      const l = await load(url(name, 'live'), LOAD_SECONDS / ROUNDS);
      r.rps[name].push(l.rps);
      r.errors += l.errors;
    }
  }
  // 5. USS per idle provisioned environment.
  for (const [name, marker] of [
    ['node', 'AWS_EXECUTION_ENV=AWS_Lambda_nodejs'],
    ['python', 'AWS_EXECUTION_ENV=AWS_Lambda_python'],
  ]) {
    const uss = provisionedPids(marker)
      .map((pid) => memoryKb(pid).uss)
      .sort((a, b) => a - b);
    r.uss[name] = uss.length ? percentile(uss, 50) / 1024 : undefined;
  }
  // 4. Put(100) -> READY, one language after the other, on the version.
  for (const name of Object.keys(FUNCTIONS)) {
    await client.send(
      new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: 'live' }),
    );
  }
  for (const name of Object.keys(FUNCTIONS)) {
    await client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: name,
        Qualifier: '1',
        ProvisionedConcurrentExecutions: 100,
      }),
    );
    r.ready[name] = await waitReady(client, name, '1', 120_000);
    await client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '1' }));
  }
} finally {
  closeClient();
  await hearth.stop();
}

const fmt = (x, d = 0) => (x === undefined ? 'n/a' : x.toFixed(d));
const ratios = (a, b) => a.map((x, i) => x / b[i]);
const p50Ratios = ratios(r.p50.python, r.p50.node);
const rpsRatios = ratios(r.rps.python, r.rps.node);
console.log(`hearth bench, Python beside Node.js (${new Date().toISOString()}, node ${process.version})`);
console.log(
  `warm invoke p50: python/node ${fmt(median(p50Ratios), 2)}x (target <= 1.3x; rounds ${p50Ratios.map((x) => x.toFixed(2)).join(' ')}; ` +
    `python ${r.p50.python.map((x) => x.toFixed(0)).join('/')} µs, node ${r.p50.node.map((x) => x.toFixed(0)).join('/')} µs)`,
);
console.log(
  `throughput c=${CONCURRENCY}: python/node ${fmt(100 * median(rpsRatios), 1)}% (rounds ${rpsRatios.map((x) => (100 * x).toFixed(0)).join(' ')}; ` +
    `python ${r.rps.python.map((x) => x.toFixed(0)).join('/')} req/s, node ${r.rps.node.map((x) => x.toFixed(0)).join('/')} req/s; ${r.errors} wrong/failed)`,
);
console.log(
  `cold first invoke: python ${fmt(r.cold.python, 1)} ms, node ${fmt(r.cold.node, 1)} ms (${fmt(r.cold.python / r.cold.node, 2)}x)`,
);
console.log(
  `Put(100) -> READY: python ${fmt(r.ready.python)} ms, node ${fmt(r.ready.node)} ms (${fmt(r.ready.python / r.ready.node, 2)}x; target <= 1.3x)`,
);
console.log(
  `USS per idle provisioned environment: python ${fmt(r.uss.python, 1)} MiB, node ${fmt(r.uss.node, 1)} MiB (target <= 12 MiB)`,
);
process.exit(r.errors === 0 ? 0 : 1);
