#!/usr/bin/env node
// hearth's benchmark: one run, every figure beside a baseline measured in the same run
// (the machine is shared and noisy; only ratios travel). Run with `npm run bench`.
// hearth and the echo are measured in alternating rounds, and each ratio is the median of
// the per-round ratios, so that a slow stretch of the machine does not fall on one side.
//
//   1. warm invokes: p50/p99 of sequential invokes on a READY provisioned alias, beside a
//      bare node:http echo server measured by the same client, and each side's CPU time per
//      request (server, and the processes it hands the request to);
//   2. throughput at concurrency 32 with 32 provisioned environments, beside the echo at 32;
//   3. the cold first invoke of an on-demand version;
//   4. Put → READY for 100 environments of a trivial Node function;
//   5. unique memory (USS) per idle provisioned environment;
//   and a check that no invocation was lost or run twice under load.
import { readFileSync } from 'node:fs';
import {
  PutProvisionedConcurrencyConfigCommand,
  DeleteProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  childPids,
  closeClient,
  cpuNs,
  createEchoFunction,
  median,
  memoryKb,
  percentile,
  post,
  provisionEcho,
  startHearth,
  startEcho,
  startProcess,
  stopProcess,
  waitReady,
  ECHO_HANDLER,
  floorChild,
  FLOOR_FLAGS,
} from './lib.mjs';

const WARM_N = Number(process.env.BENCH_WARM_N ?? 3000);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
// Steady state, not JIT warm-up: each of the 32 runtime processes compiles its own hot loop
// (about a thousand invocations each), so both servers get the same unmeasured warm-up load.
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONCURRENCY = 32;
/** Alternating rounds per comparison (see sequentialRounds). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// The client, the echo and hearth all compile their hot paths over the first thousand or so
// sequential requests; rounds measured before that flatter whichever side is slower.
const SEQUENTIAL_WARMUP = Number(process.env.BENCH_SEQUENTIAL_WARMUP ?? 2000);

const seen = new Map(); // pid -> highest invocation number seen (hearth only)
let sentToHearth = 0;
function record(url, res) {
  if (!url.startsWith(platformUrl)) {
    return;
  }
  count(JSON.parse(res.body.toString()));
}
function count({ n, pid }) {
  sentToHearth++;
  seen.set(pid, Math.max(seen.get(pid) ?? 0, n));
}

/** Sequential invokes; returns every latency in µs. */
async function sequential(url, n, body) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const res = await post(url, body);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (res.status !== 200) {
      throw new Error(`status ${res.status}: ${res.body}`);
    }
    record(url, res);
  }
  return times;
}

/**
 * The servers measured in alternating rounds (echo, floor, hearth, echo, ...), so that a
 * slow or fast stretch of the shared machine falls on all of them rather than on one; each
 * ratio is the median of the per-round ratios.
 */
async function sequentialRounds(urls, n, body, processes) {
  const names = Object.keys(urls);
  // CPU per request of each side's server and of the processes it hands requests to (its
  // environments), over its measured rounds: at c=1 the latency is about the sum of the
  // client's, the server's and the runtime's CPU time (a serial chain), so this says where
  // a side's latency goes.
  const cpu = Object.fromEntries(names.map((k) => [k, { server: 0, children: 0, requests: 0 }]));
  const cpuOf = (name) => {
    const p = processes[name];
    return { server: cpuNs(p.pid), children: p.children().map((c) => [c, cpuNs(c)]) };
  };
  for (let i = 0; i < SEQUENTIAL_WARMUP; i++) {
    for (const name of names) {
      record(urls[name], await post(urls[name], body));
    }
  }
  const all = Object.fromEntries(names.map((k) => [k, []]));
  const perRound = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of names) {
      const before = cpuOf(name);
      const t = await sequential(urls[name], Math.ceil(n / ROUNDS), body);
      const c = cpu[name];
      c.server += cpuNs(processes[name].pid) - before.server;
      for (const [child, ns] of before.children) {
        c.children += cpuNs(child) - ns;
      }
      c.requests += t.length;
      all[name].push(...t);
      perRound[name].push(median(t));
    }
  }
  const stats = (xs) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length };
  };
  const ratio = (a, b) => {
    const ratios = perRound[a].map((x, i) => x / perRound[b][i]);
    return { ratio: median(ratios), ratios };
  };
  return {
    ...Object.fromEntries(names.map((k) => [k, stats(all[k])])),
    vsEcho: ratio('hearth', 'echo'),
    floorVsEcho: ratio('floor', 'echo'),
    vsFloor: ratio('hearth', 'floor'),
    rounds: perRound.hearth.map(
      (h, i) => `${h.toFixed(0)}/${perRound.floor[i].toFixed(0)}/${perRound.echo[i].toFixed(0)}`,
    ),
    cpuUs: Object.fromEntries(
      names.map((k) => [
        k,
        {
          server: cpu[k].server / 1000 / cpu[k].requests,
          children: cpu[k].children / 1000 / cpu[k].requests,
        },
      ]),
    ),
  };
}

async function load(url, concurrency, seconds, makeBody, check) {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = 0;
      while (Date.now() < end) {
        const n = i++;
        const body = makeBody(w, n);
        const res = await post(url, body);
        if (res.status !== 200 || !check(w, n, body, res)) {
          errors++;
        }
        done++;
      }
    }),
  );
  return { rps: done / seconds, done, errors };
}

/**
 * Throughput in alternating one-second slices (echo, floor, hearth, echo, ...) after each
 * has had the same warm-up; every ratio is the median of the per-slice ratios to the echo.
 */
async function loadRounds(urls, makeBody, checks) {
  const names = Object.keys(urls);
  const totals = Object.fromEntries(names.map((k) => [k, { done: 0, errors: 0 }]));
  for (const name of names) {
    const warm = await load(urls[name], CONCURRENCY, WARMUP_SECONDS, makeBody, checks[name]);
    if (name === 'hearth') {
      totals[name].errors += warm.errors;
    }
  }
  const slice = LOAD_SECONDS / ROUNDS;
  const perRound = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of names) {
      const got = await load(urls[name], CONCURRENCY, slice, makeBody, checks[name]);
      totals[name].done += got.done;
      totals[name].errors += got.errors;
      perRound[name].push(got.rps);
    }
  }
  const vsEcho = (name) => perRound[name].map((x, i) => x / perRound.echo[i]);
  return {
    ...Object.fromEntries(
      names.map((k) => [
        k,
        { rps: totals[k].done / LOAD_SECONDS, done: totals[k].done, errors: totals[k].errors },
      ]),
    ),
    ratio: median(vsEcho('hearth')),
    ratios: vsEcho('hearth'),
    floorRatio: median(vsEcho('floor')),
    floorRatios: vsEcho('floor'),
    rounds: perRound.hearth.map(
      (h, i) => `${h.toFixed(0)}/${perRound.floor[i].toFixed(0)}/${perRound.echo[i].toFixed(0)}`,
    ),
  };
}

// The floor of any design that runs the function in its own process: a node:http server
// that hands each request body to a pre-started child over a socketpair (4-byte length
// frames) and answers what the child returns. The child blocks in read(2), parses the
// event, awaits the same handler as hearth's echo function (lib.mjs ECHO_HANDLER) and
// writes the result: the least a runtime does.
// No routing, validation, admission or bookkeeping. One child for the sequential rounds;
// for the throughput at c=32, 32 children (a request goes to an idle one, or waits for
// the next to answer), started as hearth starts its runtimes where it can (`chrt --batch
// 0`, V8's early tier-up flags of src/runtimes/node/bootstrap.cjs), so that the floor is
// no weaker than hearth in what both do.
const FLOOR_SOURCE = `
const http = require('node:http');
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const count = Number(process.argv[1] ?? 1);
const chrt = count > 1 ? ['/usr/bin/chrt', '/bin/chrt'].find((c) => existsSync(c)) : undefined;
const flags = count > 1 ? ${JSON.stringify(FLOOR_FLAGS)} : [];
const node = [process.execPath, ...flags, '-e', ${JSON.stringify(floorChild(ECHO_HANDLER))}];
const idle = [];
const waiting = [];
const children = [];
for (let i = 0; i < count; i++) {
  const [command, ...args] = chrt === undefined ? node : [chrt, '--batch', '0', ...node];
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], env: { PATH: process.env.PATH } });
  children.push(child);
  const one = { sock: child.stdio[3], pending: undefined };
  let buf = Buffer.alloc(0);
  one.sock.on('data', (c) => {
    buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
    while (buf.length >= 4) {
      const len = buf.readUInt32LE(0);
      if (buf.length < 4 + len) break;
      const out = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      const p = one.pending;
      one.pending = undefined;
      p(out);
      const next = waiting.shift();
      if (next === undefined) idle.push(one);
      else next(one);
    }
  });
  idle.push(one);
}
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
process.on('SIGTERM', () => process.exit(0));
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const frame = Buffer.alloc(4 + body.length);
    frame.writeUInt32LE(body.length, 0);
    body.copy(frame, 4);
    const send = (one) => {
      one.pending = (out) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
        res.end(out);
      };
      one.sock.write(frame);
    };
    const one = idle.pop();
    if (one === undefined) waiting.push(send);
    else send(one);
  });
});
server.listen(0, '127.0.0.1', () => console.log('floor listening on http://127.0.0.1:' + server.address().port));
`;

// The echo (lib.mjs) and the floor are sources for `node -e`, standalone on purpose: a
// baseline process loads nothing but node:http (and the floor its child), as a bare
// server would.
const hearth = await startHearth({ name: 'bench', env: JSON.parse(process.env.BENCH_HEARTH_ENV ?? '{}') });
const platform = { url: hearth.url };
const client = hearth.lambda;
const platformUrl = platform.url;
const echo = await startEcho();
const echoUrl = `${echo.url}/`;
const floor = await startProcess(['-e', FLOOR_SOURCE, '1'], /floor listening on (http:\/\/\S+)\n/);
const floorUrl = `${floor.url}/`;
const floor32 = await startProcess(
  ['-e', FLOOR_SOURCE, String(CONCURRENCY)],
  /floor listening on (http:\/\/\S+)\n/,
);
const floor32Url = `${floor32.url}/`;
const results = {};
try {
  await createEchoFunction(client);
  const invokeUrl = (q) => `${platform.url}/2015-03-31/functions/echo/invocations?Qualifier=${q}`;

  // 3. cold first invoke of an on-demand version ($LATEST has no provisioned environments).
  const t0 = process.hrtime.bigint();
  const cold = await post(invokeUrl('%24LATEST'), Buffer.from('{"cold":true}'));
  results.coldFirstInvokeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (cold.status !== 200) {
    throw new Error(`cold invoke failed: ${cold.status} ${cold.body}`);
  }
  const coldPid = JSON.parse(cold.body.toString()).pid;

  // 1 & 2: 32 provisioned environments on the alias.
  await provisionEcho(client, CONCURRENCY);
  const body = Buffer.from('{"hello":"world"}');
  results.sequential = await sequentialRounds(
    { echo: echoUrl, floor: floorUrl, hearth: invokeUrl('live') },
    WARM_N,
    body,
    {
      echo: { pid: echo.child.pid, children: () => [] },
      floor: { pid: floor.child.pid, children: () => childPids(floor.child.pid) },
      hearth: { pid: hearth.child.pid, children: () => childPids(hearth.child.pid) },
    },
  );
  const makeBody = (w, i) => Buffer.from(JSON.stringify({ w, i }));
  // Each side's check costs the client what it must: a byte comparison for the echo, one
  // JSON.parse for the floor and for hearth (which also feeds the lost/duplicate accounting).
  const same = (_w, _i, b, res) => res.body.equals(b);
  const answered = (w, i, _b, res) => {
    const got = JSON.parse(res.body.toString());
    return got.w === w && got.i === i;
  };
  const echoed = (w, i, _b, res) => {
    const got = JSON.parse(res.body.toString());
    if (got.w !== w || got.i !== i) {
      return false;
    }
    count(got);
    return true;
  };
  results.load = await loadRounds({ echo: echoUrl, floor: floor32Url, hearth: invokeUrl('live') }, makeBody, {
    echo: same,
    floor: answered,
    hearth: echoed,
  });
  const counted = [...seen.values()].reduce((a, b) => a + b, 0);
  results.accounting = { sent: sentToHearth, counted, coldPid };

  // 5. USS per idle provisioned environment (children of this process running the runtime).
  const envPids = childPids(hearth.child.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(
        'AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency',
      );
    } catch {
      return false;
    }
  });
  const uss = envPids.map((pid) => memoryKb(pid).uss).sort((a, b) => a - b);
  results.idleEnvironments = envPids.length;
  results.ussPerIdleEnvMiB = uss.length ? percentile(uss, 50) / 1024 : undefined;

  // 4. Put → READY for 100 environments.
  await client.send(
    new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'echo', Qualifier: 'live' }),
  );
  await client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'echo',
      Qualifier: '1',
      ProvisionedConcurrentExecutions: 100,
    }),
  );
  results.hundredReadyMs = await waitReady(client, 'echo', '1', 60_000);
} finally {
  closeClient();
  await stopProcess(echo.child);
  await stopProcess(floor.child);
  await stopProcess(floor32.child);
  await hearth.stop();
}

const r = results;
const fmt = (x, d = 0) => (x === undefined ? 'n/a' : x.toFixed(d));
const seq = r.sequential;
const ld = r.load;
const pct = (xs) => xs.map((x) => (100 * x).toFixed(0)).join(' ');
console.log(`hearth bench (${new Date().toISOString()}, node ${process.version})`);
console.log(
  `warm invoke, sequential (n=${seq.hearth.n}): p50 ${fmt(seq.hearth.p50)} µs, p99 ${fmt(seq.hearth.p99)} µs`,
);
console.log(
  `bare echo,   sequential (n=${seq.echo.n}): p50 ${fmt(seq.echo.p50)} µs, p99 ${fmt(seq.echo.p99)} µs`,
);
console.log(
  `floor (node:http + one child over a socketpair, no hearth): p50 ${fmt(seq.floor.p50)} µs, p99 ${fmt(seq.floor.p99)} µs`,
);
const rs = (xs) => xs.map((x) => x.toFixed(2)).join(' ');
console.log(
  `  ratio p50 ${fmt(seq.vsEcho.ratio, 2)}x (target <= 2x; median of ${ROUNDS} alternating rounds: ${rs(seq.vsEcho.ratios)})`,
);
console.log(
  `  floor/echo ${fmt(seq.floorVsEcho.ratio, 2)}x (${rs(seq.floorVsEcho.ratios)}), hearth/floor ${fmt(seq.vsFloor.ratio, 2)}x (${rs(seq.vsFloor.ratios)})`,
);
console.log(`  rounds, hearth/floor/echo p50 µs: ${seq.rounds.join(' ')}`);
const cpuLine = (name) =>
  `${name} ${fmt(seq.cpuUs[name].server, 1)}` +
  (name === 'echo'
    ? ''
    : ` + ${fmt(seq.cpuUs[name].children, 1)} in its ${name === 'hearth' ? 'environments' : 'child'}`);
console.log(`  CPU per request, µs (all threads): ${['hearth', 'floor', 'echo'].map(cpuLine).join('; ')}`);
console.log(
  `throughput c=${CONCURRENCY}: hearth ${fmt(ld.hearth.rps)} req/s (${ld.hearth.errors} wrong/failed of ${ld.hearth.done}), echo ${fmt(ld.echo.rps)} req/s`,
);
console.log(
  `  ratio ${fmt(100 * ld.ratio, 1)}% of echo (target >= 40%; median of ${ROUNDS} alternating rounds: ${pct(ld.ratios)} %)`,
);
console.log(
  `  floor with ${CONCURRENCY} children: ${fmt(ld.floor.rps)} req/s, ${fmt(100 * ld.floorRatio, 1)}% of echo (${pct(ld.floorRatios)} %); hearth/floor ${fmt((100 * ld.ratio) / ld.floorRatio, 1)}%`,
);
console.log(`  rounds, hearth/floor/echo req/s: ${ld.rounds.join(' ')}`);
console.log(`cold first invoke (on-demand): ${fmt(r.coldFirstInvokeMs, 1)} ms`);
console.log(`Put -> READY, 100 environments: ${fmt(r.hundredReadyMs)} ms (target <= 3000 ms)`);
console.log(
  `USS per idle provisioned environment: ${fmt(r.ussPerIdleEnvMiB, 1)} MiB over ${r.idleEnvironments} environments (target <= 12 MiB)`,
);
const exact = r.accounting.sent === r.accounting.counted;
console.log(
  `invocations sent ${r.accounting.sent}, executed ${r.accounting.counted}: ${exact ? 'none lost or run twice' : 'MISMATCH'}`,
);
process.exit(ld.hearth.errors === 0 && exact ? 0 : 1);
