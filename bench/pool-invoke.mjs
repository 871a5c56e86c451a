#!/usr/bin/env node
// The pool's invoke path against a bare node:http echo, measured in the same run
// (performance-notes.md: the machine is noisy; only ratios to a baseline run alongside mean
// anything). A node:http front end reads the body and calls pool.invoke with a warm
// nodejs20.x echo function; the load generator (bench/pool-loadgen.mjs) is its own process.
//
//   node bench/pool-invoke.mjs [durationMs=3000] [rounds=3] [modes=echo,private,http]
//
// modes: echo (no pool: the floor), private (bundled client on the private channel),
//        http (bundled client over the HTTP Runtime API), ric (official aws-lambda-ric).
// It uses the compiled pool in dist/ (`npm run build` first).
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { echoFixtureSpec, loadPool, readBody, root } from './lib.mjs';

const durationMs = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 3);
// A mode may carry node flags for the bundled client: `private[--max-semi-space-size=1]`.
const modes = (process.argv[4] ?? 'echo,private,http').split(',');

const { createPool } = await loadPool();

const spec = echoFixtureSpec();
const admission = { scopeKey: 's', functionKey: 'f', provisionedTotal: 0, unreservedCapacity: 100000 };

function poolFor(spelled) {
  const m = /^([a-z]+)(?:\[(.*)\])?$/.exec(spelled);
  const mode = m[1];
  const flags = m[2]?.split(' ').filter(Boolean);
  if (mode === 'echo') {
    return undefined;
  }
  return createPool({
    logger: pino({ level: 'silent' }),
    idleTimeoutMs: 600_000,
    maxConcurrentStarts: 32,
    nodeRuntimeEntry: path.join(root, 'dist/runtimes/node/bootstrap.cjs'),
    nodeChannel: mode === 'http' ? 'http' : 'private',
    ...(flags === undefined ? {} : { nodeFlags: flags }),
    ...(mode === 'ric'
      ? {
          runtimeCommands: {
            'nodejs20.x': {
              command: process.execPath,
              args: [path.join(root, 'node_modules/aws-lambda-ric/index.mjs')],
            },
          },
        }
      : {}),
  });
}

async function run(mode, concurrency) {
  const pool = poolFor(mode);
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    let out = body;
    if (pool !== undefined) {
      const o = await pool.invoke({
        spec,
        requestId: randomUUID(),
        payload: body,
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:echo:1',
        wantLog: false,
        admission,
      });
      out = o.payload;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
    res.end(out);
  });
  server.keepAliveTimeout = 0;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const lg = spawn(
    process.execPath,
    [
      path.join(root, 'bench/pool-loadgen.mjs'),
      String(server.address().port),
      String(concurrency),
      String(durationMs),
    ],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  lg.stdout.on('data', (c) => (out += c));
  await new Promise((r) => lg.on('close', r));
  const envs = pool?.environments().length ?? 0;
  server.close();
  await pool?.dispose();
  return { ...JSON.parse(out), envs };
}

const results = {};
for (let r = 0; r < rounds; r++) {
  for (const c of [1, 32]) {
    for (const mode of modes) {
      const res = await run(mode, c);
      (results[`${mode} c=${c}`] ??= []).push(res);
      console.log(
        `round ${r + 1} c=${c} ${mode.padEnd(12)} rps=${res.rps} p50=${res.p50Us}µs p99=${res.p99Us}µs envs=${res.envs} errors=${res.errors}`,
      );
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedians (ratio to echo in the same round, then median of ratios):');
for (const c of [1, 32]) {
  for (const mode of modes) {
    const rs = results[`${mode} c=${c}`];
    const base = results[`echo c=${c}`];
    const p50 = median(rs.map((x) => x.p50Us));
    const rps = median(rs.map((x) => x.rps));
    const line = `c=${c} ${mode.padEnd(12)} p50=${p50}µs rps=${rps}`;
    if (base === undefined || mode === 'echo') {
      console.log(line);
    } else {
      const p50Ratio = median(rs.map((x, i) => x.p50Us / base[i].p50Us));
      const rpsRatio = median(rs.map((x, i) => x.rps / base[i].rps));
      console.log(
        `${line}  p50 ×${p50Ratio.toFixed(2)} of echo, throughput ${(rpsRatio * 100).toFixed(0)}% of echo`,
      );
    }
  }
}
process.exit(0);
