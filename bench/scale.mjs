#!/usr/bin/env node
// Scale (issue 8): the same reads against a small account (10 functions) and a large one
// (2,000 functions, 500 of them with a provisioned config), two hearths measured in the
// same run in alternating rounds; every figure is a large/small ratio of p50s.
//
//   - SCF GetProvisionedConcurrencyConfig of one function (reads the account's quotas);
//   - AWS GetAccountSettings (the account's claims and code size);
//   - an invoke of one warm function (admission reads unreserved concurrency).
//
// The 500 configs are real desired state (PutProvisionedConcurrencyConfig through the API,
// counted in every claim) on `provided.al2023` functions without a `bootstrap`: their
// environments fail at once (no process), so the run measures the control plane's
// bookkeeping of 500 configs without 500 processes sharing the 2 cores with it.
//
// Run: npm run build && node bench/scale.mjs   (BENCH_ROUNDS, BENCH_N per round)
import { createRequire } from 'node:module';
import {
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { closeClient, median, post, startHearth, zip } from './lib.mjs';

if (process.argv.includes('--help')) {
  console.log('usage: node bench/scale.mjs   (after npm run build; env BENCH_ROUNDS, BENCH_N, BENCH_LARGE)');
  process.exit(0);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const N = Number(process.env.BENCH_N ?? 300);
const LARGE = Number(process.env.BENCH_LARGE ?? 2000);
const LARGE_PC = Math.min(500, Math.floor(LARGE / 4));
const { scf } = createRequire(import.meta.url)('tencentcloud-sdk-nodejs-scf');

async function account(functions, configs) {
  const hearth = await startHearth({
    name: 'bench-scale',
    logLevel: 'error',
    // SCF's 20 requests/s per action would be the bottleneck being measured otherwise.
    env: { HEARTH_SCF_RATE_LIMIT_PER_SECOND: '1000000' },
  });
  const { lambda } = hearth;
  const tencent = new scf.v20180416.Client({
    credential: { secretId: 'AKIDbench', secretKey: 'bench' },
    region: 'us-east-1',
    profile: { httpProfile: { endpoint: new URL(hearth.url).host, protocol: 'http://' } },
  });
  const echo = await zip({ 'index.js': 'exports.handler = async (e) => e;\n' });
  const noBootstrap = await zip({ README: 'no bootstrap here\n' });
  const role = 'arn:aws:iam::123456789012:role/bench';
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'hot',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: role,
      Code: { ZipFile: echo },
    }),
  );
  for (let i = 1; i < functions; i++) {
    const provisioned = i <= configs;
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: `f${i}`,
        Runtime: provisioned ? 'provided.al2023' : 'nodejs20.x',
        Handler: 'index.handler',
        Role: role,
        Code: { ZipFile: provisioned ? noBootstrap : echo },
      }),
    );
    if (provisioned) {
      await lambda.send(new PublishVersionCommand({ FunctionName: `f${i}` }));
      await lambda.send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: `f${i}`,
          Qualifier: '1',
          ProvisionedConcurrentExecutions: 1,
        }),
      );
    }
  }
  const invokeUrl = `${hearth.url}/2015-03-31/functions/hot/invocations`;
  await post(invokeUrl, Buffer.from('{}'));
  return { hearth, lambda, tencent, invokeUrl };
}

const ops = {
  'SCF GetProvisionedConcurrencyConfig': (a) =>
    a.tencent.GetProvisionedConcurrencyConfig({ FunctionName: 'hot', Namespace: 'default' }),
  'AWS GetAccountSettings': (a) => a.lambda.send(new GetAccountSettingsCommand({})),
  'invoke (warm)': async (a) => {
    const res = await post(a.invokeUrl, Buffer.from('{"x":1}'));
    if (res.status !== 200) {
      throw new Error(`invoke: ${res.status} ${res.body}`);
    }
  },
};

async function p50(a, op, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await op(a);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(times);
}

const t0 = Date.now();
const small = await account(10, 2);
const large = await account(LARGE, LARGE_PC);
const setupS = (Date.now() - t0) / 1000;
const results = {};
try {
  for (const [name, op] of Object.entries(ops)) {
    await p50(small, op, 100);
    await p50(large, op, 100);
    const ratios = [];
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const s = await p50(small, op, N);
      const l = await p50(large, op, N);
      ratios.push(l / s);
      rounds.push(`${l.toFixed(0)}/${s.toFixed(0)}`);
    }
    results[name] = { ratio: median(ratios), ratios, rounds };
  }
} finally {
  closeClient();
  for (const a of [small, large]) {
    await a.hearth.stop();
  }
}

console.log(
  `hearth bench, scale (${new Date().toISOString()}, node ${process.version}; set-up ${setupS.toFixed(0)} s)`,
);
console.log(
  `large account: ${LARGE} functions, ${LARGE_PC} provisioned configs; small: 10 functions, 2 configs`,
);
let ok = true;
for (const [name, r] of Object.entries(results)) {
  ok &&= r.ratio <= 1.2;
  console.log(
    `${name}: large/small p50 ${r.ratio.toFixed(2)}x (target <= 1.2x; rounds ${r.ratios.map((x) => x.toFixed(2)).join(' ')}; µs large/small ${r.rounds.join(' ')})`,
  );
}
// The target is part of the figure: a miss fails the run (and `npm run bench`).
console.log(ok ? 'scale: every ratio within the target' : 'scale: a ratio above the 1.2x target');
process.exit(ok ? 0 : 1);
