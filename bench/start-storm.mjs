#!/usr/bin/env node
// The API's latency during a start storm (issue 15), in one run, in alternating rounds:
// while Put(100) -> READY runs on a version of one function, two other clients send
// back-to-back requests, one at a time each, and record every latency:
//
//   (a) GetFunction of another function (an unsigned GET, as open mode allows), and
//   (b) a warm invoke of another function's alias `live`, READY with provisioned environments;
//
// and the same requests for as long with no storm (quiet), just before. One hearth forks
// environments itself (the default), another from its spawner (`--spawner true`,
// src/pool/launchers/spawner.ts); which goes first alternates round by round. Every
// figure is the median over rounds of a per-round figure or ratio (storm ÷ quiet on the
// same hearth, spawner ÷ direct in the same round).
//
// Run: npm run build && node bench/start-storm.mjs   (BENCH_ROUNDS, BENCH_QUIET_SECONDS)
import {
  CreateFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  childPids,
  closeClient,
  createEchoFunction,
  get,
  median,
  percentile,
  post,
  provisionEcho,
  startHearth,
  waitReady,
  zip,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const QUIET_SECONDS = Number(process.env.BENCH_QUIET_SECONDS ?? 4);
const ENVIRONMENTS = 100;
const WARM = 2; // echo:live's provisioned environments (the invokes come one at a time)
const KINDS = ['getFunction', 'invoke'];

/** Sends `send()` back to back until `stop()` is true; the latencies in ms. */
async function backToBack(send, stop) {
  const times = [];
  while (!stop()) {
    const t0 = performance.now();
    await send();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Both clients at once until `until` settles; per kind, the sorted latencies. */
async function measure(hearth, until) {
  let done = false;
  const body = Buffer.from('{"storm":1}');
  const senders = {
    getFunction: async () => {
      const res = await get(`${hearth.url}/2015-03-31/functions/echo`);
      if (res.status !== 200) {
        throw new Error(`GetFunction: ${res.status} ${res.body}`);
      }
    },
    invoke: async () => {
      const res = await post(`${hearth.url}/2015-03-31/functions/echo/invocations?Qualifier=live`, body);
      if (res.status !== 200 || res.headers['x-amz-function-error'] !== undefined) {
        throw new Error(`invoke: ${res.status} ${res.body}`);
      }
    },
  };
  const loops = KINDS.map((k) => backToBack(senders[k], () => done));
  try {
    // A failing request ends the measurement at once (the loops settle only then or at the end).
    const extra = await Promise.race([until, Promise.all(loops)]);
    done = true;
    const lists = await Promise.all(loops);
    return { extra, ...Object.fromEntries(KINDS.map((k, i) => [k, lists[i].sort((a, b) => a - b)])) };
  } finally {
    done = true;
    await Promise.allSettled(loops);
  }
}

const stats = (sorted) => ({
  n: sorted.length,
  p50: percentile(sorted, 50),
  p99: percentile(sorted, 99),
  max: sorted[sorted.length - 1],
});

const direct = await startHearth({ name: 'storm-direct', env: { HEARTH_SPAWNER: 'false' } });
const spawning = await startHearth({ name: 'storm-spawner', env: { HEARTH_SPAWNER: 'true' } });
const sides = [
  { label: 'direct', hearth: direct, rounds: [] },
  { label: 'spawner', hearth: spawning, rounds: [] },
];
try {
  const code = await zip({ 'index.mjs': 'export const handler = async (event) => event;\n' });
  for (const side of sides) {
    const client = side.hearth.lambda;
    await createEchoFunction(client);
    await provisionEcho(client, WARM);
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'storm',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::123456789012:role/bench',
        Code: { ZipFile: code },
      }),
    );
    await client.send(new PublishVersionCommand({ FunctionName: 'storm' }));
    side.before = childPids(side.hearth.child.pid).length;
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const { hearth } = side;
      const client = hearth.lambda;
      const quiet = await measure(
        hearth,
        new Promise((resolve) => setTimeout(resolve, QUIET_SECONDS * 1000)),
      );
      const storm = await measure(
        hearth,
        (async () => {
          await client.send(
            new PutProvisionedConcurrencyConfigCommand({
              FunctionName: 'storm',
              Qualifier: '1',
              ProvisionedConcurrentExecutions: ENVIRONMENTS,
            }),
          );
          return waitReady(client, 'storm', '1', 120_000);
        })(),
      );
      side.rounds.push({
        readyMs: storm.extra,
        quiet: Object.fromEntries(KINDS.map((k) => [k, stats(quiet[k])])),
        storm: Object.fromEntries(KINDS.map((k) => [k, stats(storm[k])])),
      });
      await client.send(
        new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'storm', Qualifier: '1' }),
      );
      // The environments are gone before the next side measures anything.
      while (childPids(hearth.child.pid).length > side.before) {
        await new Promise((resolve) => setTimeout(resolve, 20)); // polling, as a client would
      }
    }
  }
} finally {
  closeClient();
  await direct.stop();
  await spawning.stop();
}

const [d, s] = sides;
const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
const list = (xs, f = f2) => xs.map(f).join(' ');
console.log(
  `hearth start-storm bench (${new Date().toISOString()}, node ${process.version}, ${ROUNDS} rounds, quiet ${QUIET_SECONDS} s)`,
);
const readyRatios = s.rounds.map((x, i) => x.readyMs / d.rounds[i].readyMs);
console.log(
  `Put(${ENVIRONMENTS}) -> READY during the storm: spawner ÷ direct ${f2(median(readyRatios))}x (rounds ${list(readyRatios)}; direct ${list(
    d.rounds.map((x) => x.readyMs),
    (x) => x.toFixed(0),
  )} ms, spawner ${list(
    s.rounds.map((x) => x.readyMs),
    (x) => x.toFixed(0),
  )} ms)`,
);
const names = {
  getFunction: 'GetFunction of another function',
  invoke: 'warm invoke of a READY provisioned alias',
};
for (const k of KINDS) {
  console.log(`${names[k]} (ms, median of rounds):`);
  for (const side of sides) {
    const m = (phase, stat) => median(side.rounds.map((x) => x[phase][k][stat]));
    const ratio = (stat) => median(side.rounds.map((x) => x.storm[k][stat] / x.quiet[k][stat]));
    console.log(
      `  ${side.label.padEnd(7)}: quiet p50 ${f2(m('quiet', 'p50'))} p99 ${f2(m('quiet', 'p99'))} (n ${m('quiet', 'n')}); storm p50 ${f2(m('storm', 'p50'))} p99 ${f1(m('storm', 'p99'))} max ${f1(m('storm', 'max'))} (n ${m('storm', 'n')}); storm ÷ quiet p50 ${f2(ratio('p50'))}x p99 ${f2(ratio('p99'))}x`,
    );
  }
  for (const stat of ['p50', 'p99', 'max']) {
    const ratios = s.rounds.map((x, i) => x.storm[k][stat] / d.rounds[i].storm[k][stat]);
    console.log(
      `  storm ${stat}, spawner ÷ direct: ${f2(median(ratios))}x (rounds ${list(ratios)}; direct ${list(
        d.rounds.map((x) => x.storm[k][stat]),
        f1,
      )}, spawner ${list(
        s.rounds.map((x) => x.storm[k][stat]),
        f1,
      )} ms)`,
    );
  }
  const quietRatios = s.rounds.map((x, i) => x.quiet[k].p99 / d.rounds[i].quiet[k].p99);
  console.log(`  quiet p99, spawner ÷ direct: ${f2(median(quietRatios))}x (rounds ${list(quietRatios)})`);
}
