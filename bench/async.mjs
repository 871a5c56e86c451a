#!/usr/bin/env node
// The durable async queue (issue 13), beside synchronous invokes measured in the same run:
//
//   1. Event invokes accepted per second (202s, each stored in events.db before it is
//      answered, group commit), at concurrency 64, beside synchronous invokes per second of
//      the same function at the same concurrency (the events run meanwhile, as they would);
//   2. the end-to-end delay of an event on an idle system: from the request to the handler
//      calling back, p50/p99, beside the same for a synchronous invoke (alternating rounds);
//      the added delay is the difference of the p50s.
// Run with `npm run bench` (or `node bench/async.mjs` after `npm run build`).
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { median, percentile, root, startProcess, stopProcess, zip } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_ASYNC_SECONDS ?? 3);
const CONCURRENCY = 64;
const DELAY_N = Number(process.env.BENCH_ASYNC_DELAY_N ?? 300);
const ROUNDS = 5;

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function invoke(url, name, body, type) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/2015-03-31/functions/${name}/invocations`,
      {
        method: 'POST',
        agent,
        headers: { 'content-length': body.length, 'x-amz-invocation-type': type },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// Callbacks from the handler: request id → when it arrived.
const arrivals = new Map();
const waiting = new Map();
const callbacks = http.createServer((req, res) => {
  const id = new URL(req.url, 'http://x').searchParams.get('id');
  const t = performance.now();
  arrivals.set(id, t);
  waiting.get(id)?.(t);
  waiting.delete(id);
  res.end();
});
await new Promise((r) => callbacks.listen(0, '127.0.0.1', r));
const cbUrl = `http://127.0.0.1:${callbacks.address().port}/`;

const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-bench-async-'));
const hearth = await startProcess(
  [path.join(root, 'bin/hearth.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
  /hearth listening on (http:\/\/\S+)\n/,
  // The burst must fit: the bound is not what is measured here.
  { HEARTH_ASYNC_QUEUE_CAPACITY: '1000000' },
);
const url = hearth.url;
const client = new LambdaClient({
  endpoint: url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  maxAttempts: 1,
});

try {
  for (const [name, source] of [
    ['noop', 'export const handler = async () => 1;\n'],
    ['callback', 'export const handler = async (e) => { await fetch(e.cb + "?id=" + e.id); return 1; };\n'],
  ]) {
    await client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::123456789012:role/bench',
        Code: { ZipFile: await zip({ 'index.mjs': source }) },
      }),
    );
  }

  // 1. throughput: alternating slices of sync and Event at the same concurrency.
  const rate = async (type) => {
    const until = performance.now() + (SECONDS * 1000) / ROUNDS;
    let ok = 0;
    let other = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          const status = await invoke(url, 'noop', Buffer.from('{}'), type);
          if (status === (type === 'Event' ? 202 : 200)) {
            ok++;
          } else {
            other++;
          }
        }
      }),
    );
    return { perSecond: ok / (SECONDS / ROUNDS), other };
  };
  await rate('RequestResponse'); // warm-up: environments, JIT
  await rate('Event');
  const syncRates = [];
  const eventRates = [];
  let refused = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const s = await rate('RequestResponse');
    const e = await rate('Event');
    syncRates.push(s.perSecond);
    eventRates.push(e.perSecond);
    refused += s.other + e.other;
  }
  // Let the accepted events drain before the idle measurement: the queue is FIFO, so an
  // event sent now calls back once those before it have started.
  const drained = new Promise((resolve) => waiting.set('drain', resolve));
  await invoke(url, 'callback', Buffer.from(JSON.stringify({ cb: cbUrl, id: 'drain' })), 'Event');
  await drained;
  await new Promise((r) => setTimeout(r, 1000));

  // 2. end-to-end delay, idle: sequential, alternating rounds.
  let seq = 0;
  const one = async (type) => {
    const id = `${type}-${seq++}`;
    const arrived = new Promise((resolve) => waiting.set(id, resolve));
    const t0 = performance.now();
    await invoke(url, 'callback', Buffer.from(JSON.stringify({ cb: cbUrl, id })), type);
    return (await arrived) - t0;
  };
  for (let i = 0; i < 50; i++) {
    await one('RequestResponse');
    await one('Event');
  }
  const syncDelay = [];
  const eventDelay = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < DELAY_N / ROUNDS; i++) {
      syncDelay.push(await one('RequestResponse'));
    }
    for (let i = 0; i < DELAY_N / ROUNDS; i++) {
      eventDelay.push(await one('Event'));
    }
  }
  syncDelay.sort((a, b) => a - b);
  eventDelay.sort((a, b) => a - b);
  const ms = (x) => Math.round(x * 1000) / 1000;
  const results = {
    acceptedEventsPerSecond: Math.round(median(eventRates)),
    syncInvokesPerSecond: Math.round(median(syncRates)),
    eventToSyncRatio: Math.round((median(eventRates) / median(syncRates)) * 100) / 100,
    refusedDuringThroughput: refused,
    delayIdle: {
      syncP50Ms: ms(percentile(syncDelay, 50)),
      syncP99Ms: ms(percentile(syncDelay, 99)),
      eventP50Ms: ms(percentile(eventDelay, 50)),
      eventP99Ms: ms(percentile(eventDelay, 99)),
      addedP50Ms: ms(percentile(eventDelay, 50) - percentile(syncDelay, 50)),
    },
    targets: { acceptedEventsPerSecond: '>= 5000', addedP50Ms: '<= 2' },
  };
  console.log(JSON.stringify({ async: results }, null, 2));
} finally {
  client.destroy();
  agent.destroy();
  callbacks.close();
  await stopProcess(hearth.child);
  rmSync(dataDir, { recursive: true, force: true });
}
