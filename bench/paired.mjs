#!/usr/bin/env node
// Two hearths side by side, measured in alternating slices by the same client: the
// harness behind every "paired runs" figure in README.md and src/pool/README.md. Each side
// runs its own hearth (a checkout's bin/hearth.js, with its own HEARTH_* settings) with 32
// provisioned environments of the bench's echo function; a round is a c=32 load slice on
// each side, then (once both servers are quiet) sequential invokes on each, the side that
// goes first alternating by round. Per side and round it prints
// req/s, the CPU per request of the server and of its environments (from /proc), and the
// sequential p50; then the medians and the median of the per-round B/A ratios.
//
//   node bench/paired.mjs [--a-env JSON] [--b-env JSON] [--a-bin PATH] [--b-bin PATH]
//                         [--rounds 8] [--slice 1.5] [--warmup 3] [--sequential 500]
//                         [--a-scrape-ms N] [--b-scrape-ms N]
//                         [--latency-rounds 0] [--latency-n 300]
//
// --latency-rounds N: then N short rounds of --latency-n sequential invokes on each side,
// alternating (A, B, B, A, ...), no load between: each side's latencies pooled over all
// rounds, and its server's CPU per request. Short alternations share the machine's drift
// between the sides; differences of 2-3 % in p50 show in 40 rounds, where the p50 of the
// main rounds moves by more than that from one run to the next.
//
// --x-scrape-ms: GET /metrics on that side every N ms while it is measured (a Prometheus
// far more eager than the usual 15 s), so that the scrapes' cost shows in its figures.
//
// Examples:
//   # SCHED_BATCH off (A) against on (B):
//   node bench/paired.mjs --a-env '{"HEARTH_BATCH_SCHEDULING":"false"}'
//   # an older commit (A) against this checkout (B); the worktree needs node_modules and a
//   # build: git worktree add /tmp/old <commit> && ln -s $PWD/node_modules /tmp/old/ &&
//   # (cd /tmp/old && npx tsc -p tsconfig.build.json && node scripts/copy-runtimes.mjs)
//   node bench/paired.mjs --a-bin /tmp/old/bin/hearth.js
//   # the same, with /metrics scraped every second on this checkout's side:
//   node bench/paired.mjs --a-bin /tmp/old/bin/hearth.js --b-scrape-ms 1000
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  childPids,
  closeClient,
  cpuNs,
  createEchoFunction,
  median,
  percentile,
  post,
  provisionEcho,
  root,
  startHearth,
} from './lib.mjs';

const USAGE = `usage: node bench/paired.mjs [--a-env JSON] [--b-env JSON] [--a-bin PATH] [--b-bin PATH]
                             [--rounds 8] [--slice 1.5] [--warmup 3] [--sequential 500]
                             [--a-scrape-ms N] [--b-scrape-ms N]
                             [--latency-rounds 0] [--latency-n 300]`;
let parsed;
try {
  parsed = parseArgs({
    options: {
      help: { type: 'boolean', default: false },
      'a-env': { type: 'string', default: '{}' },
      'b-env': { type: 'string', default: '{}' },
      'a-bin': { type: 'string', default: path.join(root, 'bin/hearth.js') },
      'b-bin': { type: 'string', default: path.join(root, 'bin/hearth.js') },
      rounds: { type: 'string', default: '8' },
      slice: { type: 'string', default: '1.5' },
      warmup: { type: 'string', default: '3' },
      sequential: { type: 'string', default: '500' },
      'a-scrape-ms': { type: 'string', default: '0' },
      'b-scrape-ms': { type: 'string', default: '0' },
      'latency-rounds': { type: 'string', default: '0' },
      'latency-n': { type: 'string', default: '300' },
    },
  });
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
const o = parsed.values;
if (o.help) {
  console.log(USAGE);
  process.exit(0);
}
const ROUNDS = Number(o.rounds);
const SLICE_S = Number(o.slice);
const SEQUENTIAL = Number(o.sequential);
const CONCURRENCY = 32;

async function startSide(name, bin, env, scrapeMs) {
  const hearth = await startHearth({ name: `paired-${name}`, bin, env });
  const { child, url } = hearth;
  const client = hearth.lambda;
  await createEchoFunction(client);
  await provisionEcho(client, CONCURRENCY);
  return {
    name,
    child,
    stop: () => hearth.stop(),
    invokeUrl: `${url}/2015-03-31/functions/echo/invocations?Qualifier=live`,
    metricsUrl: `${url}/metrics`,
    scrapeMs,
    scrapes: 0,
    rounds: [],
  };
}

/** Runs `measure` on `side` while its /metrics is scraped every side.scrapeMs (if set). */
async function scraped(side, measure) {
  if (side.scrapeMs <= 0) {
    return measure();
  }
  let stop = false;
  const scraper = (async () => {
    while (!stop) {
      const res = await fetch(side.metricsUrl);
      if (res.status !== 200) {
        throw new Error(`${side.name}: /metrics answered ${res.status}`);
      }
      await res.text();
      side.scrapes++;
      await new Promise((r) => setTimeout(r, side.scrapeMs));
    }
  })();
  try {
    return await measure();
  } finally {
    stop = true;
    await scraper;
  }
}

/** c=32 for `seconds`: req/s and CPU µs per request of the server and its environments. */
async function load(side, seconds) {
  const envs = childPids(side.child.pid);
  const server0 = cpuNs(side.child.pid);
  const envs0 = envs.reduce((a, p) => a + cpuNs(p), 0);
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const res = await post(side.invokeUrl, Buffer.from(JSON.stringify({ w, i })));
        if (res.status !== 200) {
          throw new Error(`${side.name}: status ${res.status}: ${res.body}`);
        }
        done++;
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    rps: done / elapsedS,
    serverUs: (cpuNs(side.child.pid) - server0) / 1000 / done,
    envUs: (envs.reduce((a, p) => a + cpuNs(p), 0) - envs0) / 1000 / done,
  };
}

/**
 * Resolves once no server of `sides` used more than 5 % of a CPU over 100 ms (or after 5 s):
 * what one did after a load slice is not measured against the other.
 */
async function quiet(sides) {
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    const before = sides.map((side) => cpuNs(side.child.pid));
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (sides.every((side, i) => cpuNs(side.child.pid) - before[i] < 5e6)) {
      return;
    }
  }
}

async function sequentialP50(side, n) {
  const times = await sequential(side, n);
  times.sort((a, b) => a - b);
  return percentile(times, 50);
}

/** `n` sequential invokes: each one's latency in µs. */
async function sequential(side, n) {
  const times = [];
  const body = Buffer.from('{"hello":"world"}');
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await post(side.invokeUrl, body);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return times;
}

/** --latency-rounds: short alternating rounds of sequential invokes, pooled per side. */
async function latencyRounds(sides, rounds, n) {
  const pooled = new Map(sides.map((side) => [side, { times: [], serverNs: 0, count: 0 }]));
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const p = pooled.get(side);
      const server0 = cpuNs(side.child.pid);
      p.times.push(...(await sequential(side, n)));
      p.serverNs += cpuNs(side.child.pid) - server0;
      p.count += n;
    }
  }
  return new Map(
    [...pooled].map(([side, p]) => {
      p.times.sort((x, y) => x - y);
      return [
        side,
        { p25: percentile(p.times, 25), p50: percentile(p.times, 50), serverUs: p.serverNs / 1000 / p.count },
      ];
    }),
  );
}

let latency;
const a = await startSide('A', o['a-bin'], JSON.parse(o['a-env']), Number(o['a-scrape-ms']));
const b = await startSide('B', o['b-bin'], JSON.parse(o['b-env']), Number(o['b-scrape-ms']));
try {
  for (const side of [a, b]) {
    await load(side, Number(o.warmup));
    await sequentialP50(side, SEQUENTIAL);
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Which side goes first alternates by round, and the sequential invokes wait for both
    // servers to be quiet after the load: a hearth finishes writing the log lines of a
    // c=32 slice after it, and with a fixed order the other side's sequential invokes ran
    // beside that (B's p50 read 8–10 % better than A's with the same build on both).
    const order = r % 2 === 0 ? [a, b] : [b, a];
    const loads = new Map();
    for (const side of order) {
      loads.set(side, await scraped(side, () => load(side, SLICE_S)));
    }
    await quiet([a, b]);
    for (const side of order) {
      const p50 = await scraped(side, () => sequentialP50(side, SEQUENTIAL));
      side.rounds.push({ ...loads.get(side), p50 });
    }
  }
  if (Number(o['latency-rounds']) > 0) {
    await quiet([a, b]);
    latency = await latencyRounds([a, b], Number(o['latency-rounds']), Number(o['latency-n']));
  }
} finally {
  closeClient();
  for (const side of [a, b]) {
    await side.stop();
  }
}

const f0 = (x) => x.toFixed(0);
console.log(`hearth paired bench (${new Date().toISOString()}, node ${process.version})`);
console.log(
  `A: ${o['a-bin']} ${o['a-env']}${a.scrapeMs > 0 ? ` (/metrics every ${a.scrapeMs} ms: ${a.scrapes} scrapes)` : ''}`,
);
console.log(
  `B: ${o['b-bin']} ${o['b-env']}${b.scrapeMs > 0 ? ` (/metrics every ${b.scrapeMs} ms: ${b.scrapes} scrapes)` : ''}`,
);
for (const side of [a, b]) {
  const col = (k) => side.rounds.map((x) => f0(x[k])).join(' ');
  const med = (k) => f0(median(side.rounds.map((x) => x[k])));
  console.log(`${side.name} c=${CONCURRENCY} req/s        ${col('rps')}  median ${med('rps')}`);
  console.log(`${side.name} server CPU µs/req   ${col('serverUs')}  median ${med('serverUs')}`);
  console.log(`${side.name} runtime CPU µs/req  ${col('envUs')}  median ${med('envUs')}`);
  console.log(`${side.name} sequential p50 µs  ${col('p50')}  median ${med('p50')}`);
}
const ratio = (k) => median(a.rounds.map((x, i) => b.rounds[i][k] / x[k])).toFixed(3);
console.log(
  `B/A (median of per-round ratios): req/s ${ratio('rps')}, server CPU ${ratio('serverUs')}, runtime CPU ${ratio('envUs')}, p50 ${ratio('p50')}`,
);
if (latency !== undefined) {
  const la = latency.get(a);
  const lb = latency.get(b);
  const n = Number(o['latency-rounds']) * Number(o['latency-n']);
  for (const [side, l] of [
    [a, la],
    [b, lb],
  ]) {
    console.log(
      `${side.name} sequential, ${o['latency-rounds']} alternating rounds (${n} invokes): p25 ${l.p25.toFixed(1)} µs, p50 ${l.p50.toFixed(1)} µs, server CPU ${l.serverUs.toFixed(1)} µs/req`,
    );
  }
  console.log(
    `B/A sequential (pooled): p25 ${(lb.p25 / la.p25).toFixed(3)}, p50 ${(lb.p50 / la.p50).toFixed(3)}, server CPU ${(lb.serverUs / la.serverUs).toFixed(3)}`,
  );
}
