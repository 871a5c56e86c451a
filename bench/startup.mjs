#!/usr/bin/env node
// Starting environments, beside what the machine allows (issue 15), in one run, in
// alternating rounds; every figure is a ratio of medians of per-round figures:
//
//   1. Put(100) -> READY on a version, beside starting 100 bare interpreters 8 at a time
//      (hearth's default --max-concurrent-starts), each "started" when it has written its
//      first byte; for Node.js (`node -e`; an ES module handler, `node`, and a CommonJS
//      one, `node-cjs`) and for Python (`python3 -S -c`), clean
//      environments on both sides, the bare ones kept alive until all 100 are up, as
//      hearth's are; hearth forks them from its spawner (the default,
//      src/pool/launchers/spawner.ts), and a second hearth with `--spawner false` itself,
//      in the same rounds;
//   2. the first invoke of an on-demand function whose init loads an AWS SDK v3 client
//      (@aws-sdk/client-lambda and its dependencies, bundled in the function's package),
//      on a hearth as configured by default (the code cache,
//      src/runtimes/node/code-cache.cjs, and pre-started runtimes,
//      src/pool/launchers/prestarted.ts) beside one with neither (`--code-cache false
//      --prestarted-runtimes 0`, hearth before either existed), and beside one with the
//      code cache alone (`--prestarted-runtimes 0`); each round changes an environment
//      variable on each, so each invoke is a cold start of unchanged code. Round 0 fills
//      the cache and starts the first pre-started runtime, and is shown apart. With
//      BENCH_BASELINE_BIN=<another checkout>/bin/hearth.js the side with neither runs that
//      build (say, the one before this work, to measure "against today");
//   3. the cold first invoke of part 1's functions, on-demand, with pre-started runtimes
//      (the default) beside without them (`--prestarted-runtimes 0`).
//
// Run: npm run build && node bench/startup.mjs   (BENCH_ROUNDS, BENCH_START_ROUNDS)
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import {
  CreateFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  childPids,
  closeClient,
  median,
  post,
  root,
  createSdkFunction,
  sdkPackage,
  startHearth,
  waitReady,
  zip,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const START_ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 5);
const ENVIRONMENTS = 100;
const AT_A_TIME = 8;
// The interpreter itself, as hearth resolves it (src/pool/interpreters.ts): a version
// manager's shim on the PATH would add its own start-up to every bare start.
const PYTHON = execFileSync(
  process.env.BENCH_PYTHON ?? 'python3',
  ['-c', 'import sys; print(sys.executable)'],
  {
    encoding: 'utf8',
  },
).trim();

/** Starts `count` processes `parallel` at a time; resolves with the ms until all are up. */
async function startBare(command, args, count, parallel) {
  const children = [];
  const t0 = performance.now();
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { PATH: process.env.PATH },
        detached: true,
      });
      children.push(child);
      child.once('error', reject);
      child.stdout.once('data', () => resolve());
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < count) {
        await one();
      }
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.once('exit', resolve);
          c.kill('SIGKILL');
        }),
    ),
  );
  return ms;
}

// `node -e` with the heap flags hearth gives a 128 MB function (src/pool/runtimes/node.ts):
// the least a runtime that bounds its heap as Lambda's does can cost (V8 then compiles the
// built-ins Node's own start loads from source: README "Pre-started runtimes, and Node's
// own code cache back").
const BARE_HEAP_FLAGS = [
  process.execPath,
  [
    '--max-old-space-size=115',
    '--max-semi-space-size=1',
    '-e',
    'process.stdout.write("r"); process.stdin.resume();',
  ],
];

const BARE = {
  node: [process.execPath, ['-e', 'process.stdout.write("r"); process.stdin.resume();']],
  python: [PYTHON, ['-S', '-c', 'import sys; sys.stdout.write("r"); sys.stdout.flush(); sys.stdin.read()']],
};

const FUNCTIONS = {
  node: {
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    files: { 'index.mjs': 'export const handler = async (event) => event;\n' },
  },
  // The same as a CommonJS module: Node's ES module loader is a cost of its own.
  'node-cjs': {
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    files: { 'index.js': 'exports.handler = async (event) => event;\n' },
  },
  python: {
    Runtime: 'python3.12',
    Handler: 'app.handler',
    files: { 'app.py': 'def handler(event, context):\n    return event\n' },
  },
};

const results = {
  ready: { node: [], 'node-cjs': [], python: [] },
  readyDirect: { node: [], 'node-cjs': [], python: [] },
  bare: { node: [], 'node-cjs': [], python: [] },
  bareFlags: [],
  sdk: [],
  sdkOff: [],
  sdkCacheOnly: [],
  sdkCpu: [],
  sdkOffCpu: [],
  sdkCacheOnlyCpu: [],
  small: { node: [], 'node-cjs': [], python: [] },
  smallOff: { node: [], 'node-cjs': [], python: [] },
};
const cached = await startHearth({ name: 'startup-cache' });
const BASELINE_BIN = process.env.BENCH_BASELINE_BIN;
const uncached = await startHearth({
  name: 'startup-nocache',
  ...(BASELINE_BIN === undefined ? {} : { bin: BASELINE_BIN }),
  env: { HEARTH_CODE_CACHE: 'false', HEARTH_PRESTARTED_RUNTIMES: '0' },
});
const cacheOnly = await startHearth({ name: 'startup-cacheonly', env: { HEARTH_PRESTARTED_RUNTIMES: '0' } });
const direct = await startHearth({ name: 'startup-direct', env: { HEARTH_SPAWNER: 'false' } });
let sdkFirstMiss;
try {
  // 1. Put(100) -> READY beside bare interpreters.
  const sides = [
    { hearth: cached, times: results.ready },
    { hearth: direct, times: results.readyDirect },
  ];
  const createFunctions = async (hearth) => {
    for (const [name, f] of Object.entries(FUNCTIONS)) {
      await hearth.lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: f.Runtime,
          Handler: f.Handler,
          Role: 'arn:aws:iam::123456789012:role/bench',
          Code: { ZipFile: await zip(f.files) },
        }),
      );
    }
  };
  for (const side of sides) {
    await createFunctions(side.hearth);
    for (const name of Object.keys(FUNCTIONS)) {
      await side.hearth.lambda.send(new PublishVersionCommand({ FunctionName: name }));
    }
    side.before = childPids(side.hearth.child.pid).length;
  }
  // Part 3 invokes them on a hearth without pre-started runtimes too.
  await createFunctions(cacheOnly);
  for (let r = 0; r < START_ROUNDS; r++) {
    for (const name of Object.keys(FUNCTIONS)) {
      results.bare[name].push(await startBare(...BARE[name.split('-')[0]], ENVIRONMENTS, AT_A_TIME));
      if (name === 'node-cjs') {
        results.bareFlags.push(await startBare(...BARE_HEAP_FLAGS, ENVIRONMENTS, AT_A_TIME));
      }
      // Alternating which hearth goes first, round by round.
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        const client = side.hearth.lambda;
        await client.send(
          new PutProvisionedConcurrencyConfigCommand({
            FunctionName: name,
            Qualifier: '1',
            ProvisionedConcurrentExecutions: ENVIRONMENTS,
          }),
        );
        // Every 50 ms: polling every 5 ms took ~1.3 s of the bench's CPU per Put(100) (the
        // SDK's request path; _one-off_), taken from the environments starting on the same
        // two cores, which the bare side does not pay; 50 ms adds 25 ms on average to a
        // figure of seconds.
        side.times[name].push(await waitReady(client, name, '1', 120_000, 50));
        await client.send(
          new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '1' }),
        );
        // The environments are gone before the next round starts anything.
        while (childPids(side.hearth.child.pid).length > side.before) {
          await new Promise((resolve) => setTimeout(resolve, 20)); // polling, as a client would
        }
      }
    }
  }

  // 2. The SDK function's cold first invoke: by default, with neither the code cache nor
  //    pre-started runtimes, with the code cache alone.
  const code = await sdkPackage();
  const sdkSides = [
    { hearth: cached, times: results.sdk, cpu: results.sdkCpu },
    { hearth: uncached, times: results.sdkOff, cpu: results.sdkOffCpu },
    { hearth: cacheOnly, times: results.sdkCacheOnly, cpu: results.sdkCacheOnlyCpu },
  ];
  for (const s of sdkSides) {
    await createSdkFunction(s.hearth.lambda, code);
  }
  for (let r = 0; r <= ROUNDS; r++) {
    for (const s of sdkSides) {
      await s.hearth.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'sdk',
          Environment: { Variables: { ROUND: String(r) } },
        }),
      );
      const t0 = performance.now();
      const res = await post(`${s.hearth.url}/2015-03-31/functions/sdk/invocations`, Buffer.from('{"n":1}'));
      const ms = performance.now() - t0;
      const got = res.status === 200 ? JSON.parse(res.body.toString()) : undefined;
      if (got?.client !== 'function' || got?.n !== 1) {
        throw new Error(`sdk invoke failed: ${res.status} ${res.body}`);
      }
      // A second, warm invoke before the next round replaces the environment: an
      // on-demand environment writes its cache entries after its first answer, and the
      // bench must not kill it in the middle (an idle environment lives for minutes).
      const warm = await post(`${s.hearth.url}/2015-03-31/functions/sdk/invocations`, Buffer.from('{"n":2}'));
      if (warm.status !== 200) {
        throw new Error(`sdk invoke failed: ${warm.status} ${warm.body}`);
      }
      if (r === 0 && s.hearth === cached) {
        sdkFirstMiss = ms;
      } else if (r > 0) {
        s.times.push(ms);
        s.cpu.push(got.cpuMs);
      }
    }
  }

  // 3. The cold first invoke of the small functions of part 1 (on-demand, $LATEST), with
  //    pre-started runtimes (the default) and without (the code cache alone).
  for (let r = 0; r <= ROUNDS; r++) {
    for (const name of Object.keys(FUNCTIONS)) {
      for (const [hearth, times] of [
        [cached, results.small[name]],
        [cacheOnly, results.smallOff[name]],
      ]) {
        await hearth.lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            Environment: { Variables: { ROUND: String(r) } },
          }),
        );
        const t0 = performance.now();
        const res = await post(
          `${hearth.url}/2015-03-31/functions/${name}/invocations`,
          Buffer.from('{"n":1}'),
        );
        const ms = performance.now() - t0;
        if (res.status !== 200) {
          throw new Error(`${name} invoke failed: ${res.status} ${res.body}`);
        }
        if (r > 0) {
          times.push(ms);
        }
      }
    }
  }
} finally {
  closeClient();
  await cached.stop();
  await uncached.stop();
  await cacheOnly.stop();
  await direct.stop();
}

const fmt = (xs) => xs.map((x) => x.toFixed(0)).join('/');
const rounds = (xs) => xs.map((x) => x.toFixed(2)).join(' ');
console.log(`hearth startup bench (${new Date().toISOString()}, node ${process.version})`);
for (const name of Object.keys(FUNCTIONS)) {
  const ratios = results.ready[name].map((x, i) => x / results.bare[name][i]);
  console.log(
    `Put(${ENVIRONMENTS}) -> READY, ${name}: ${median(ratios).toFixed(2)}x the time to start ${ENVIRONMENTS} bare interpreters ${AT_A_TIME} at a time (target <= 1.1x; rounds ${ratios.map((x) => x.toFixed(2)).join(' ')}; hearth ${fmt(results.ready[name])} ms, bare ${fmt(results.bare[name])} ms)`,
  );
  const directRatios = results.readyDirect[name].map((x, i) => x / results.bare[name][i]);
  console.log(
    `  without the spawner (--spawner false, forked by hearth itself): ${median(directRatios).toFixed(2)}x (rounds ${directRatios.map((x) => x.toFixed(2)).join(' ')}; hearth ${fmt(results.readyDirect[name])} ms)`,
  );
}
{
  const flagRatios = results.bareFlags.map((x, i) => x / results.bare['node-cjs'][i]);
  const cjsRatios = results.ready['node-cjs'].map((x, i) => x / results.bareFlags[i]);
  console.log(
    `  bare node with a 128 MB function's heap flags: ${median(flagRatios).toFixed(2)}x the bare (rounds ${rounds(flagRatios)}); node-cjs against it: ${median(cjsRatios).toFixed(2)}x (rounds ${rounds(cjsRatios)})`,
  );
}
for (const name of Object.keys(FUNCTIONS)) {
  const ratios = results.small[name].map((x, i) => x / results.smallOff[name][i]);
  console.log(
    `first invoke, on-demand, ${name}: ${median(ratios).toFixed(2)}x with pre-started runtimes against without (rounds ${rounds(ratios)}; ${fmt(results.small[name])} ms against ${fmt(results.smallOff[name])} ms)`,
  );
}
const sdkRatios = results.sdk.map((x, i) => x / results.sdkOff[i]);
const cacheRatios = results.sdkCacheOnly.map((x, i) => x / results.sdkOff[i]);
const cpuRatios = results.sdkCpu.map((x, i) => x / results.sdkOffCpu[i]);
console.log(
  `first invoke, on-demand, init loads an AWS SDK client: ${median(sdkRatios).toFixed(2)}x by default (code cache and pre-started runtimes) against neither${BASELINE_BIN === undefined ? '' : ` (${BASELINE_BIN})`} (target <= 0.5x; rounds ${rounds(sdkRatios)}; default ${fmt(results.sdk)} ms, neither ${fmt(results.sdkOff)} ms; round 0, which filled the cache, ${sdkFirstMiss?.toFixed(0)} ms)`,
);
console.log(
  `  the code cache alone (--prestarted-runtimes 0): ${median(cacheRatios).toFixed(2)}x against neither (rounds ${rounds(cacheRatios)}; ${fmt(results.sdkCacheOnly)} ms)`,
);
console.log(
  `  CPU of the environment until its first answer (a pre-started one's start included): ${median(cpuRatios).toFixed(2)}x by default against neither (rounds ${rounds(cpuRatios)}; default ${fmt(results.sdkCpu)} ms, neither ${fmt(results.sdkOffCpu)} ms)`,
);
