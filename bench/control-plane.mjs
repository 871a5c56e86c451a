#!/usr/bin/env node
// The control plane's reads against the bare echo (issue 15): GetFunction and
// ListFunctions (a page of 50) with 8 requests in flight, beside the echo server at the
// same concurrency, measured by the same client in alternating one-second slices after the
// same warm-up; each ratio is the median of the per-slice ratios (the machine is shared
// and noisy; only ratios travel). Requests are unsigned GETs, as open mode allows: the
// SDK's own cost would otherwise dominate both sides.
//
// A third side is the ceiling: a bare node:http server answering the very bytes hearth
// answered (a ListFunctions page is ~44 KB, the echo's answer 17 bytes), so that what the
// response's size costs the client and the kernel is told apart from what hearth adds.
//
// Run: npm run build && node bench/control-plane.mjs   (BENCH_ROUNDS, BENCH_LOAD_SECONDS)
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import {
  closeClient,
  get,
  median,
  post,
  startEcho,
  startHearth,
  startProcess,
  stopProcess,
  zip,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONCURRENCY = 8;
const FUNCTIONS = 50;

/** Requests for `seconds` with `concurrency` in flight; every answer must pass `check`. */
async function load(send, seconds, check) {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const res = await send();
        if (res.status !== 200 || !check(res)) {
          errors++;
        }
        done++;
      }
    }),
  );
  return { rps: done / seconds, errors };
}

/** A node:http server answering `body` (JSON) to every request, like the echo otherwise. */
function startStatic(body) {
  const source = `
const http = require('node:http');
const body = Buffer.from(${JSON.stringify(body.toString('base64'))}, 'base64');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('static listening on http://127.0.0.1:' + server.address().port));
`;
  return startProcess(['-e', source], /static listening on (http:\/\/\S+)\n/);
}

const hearth = await startHearth({ name: 'control-plane' });
const echo = await startEcho();
const results = {};
const statics = [];
try {
  const code = await zip({ 'index.mjs': 'export const handler = async (e) => e;\n' });
  for (let i = 0; i < FUNCTIONS; i++) {
    await hearth.lambda.send(
      new CreateFunctionCommand({
        FunctionName: `f${String(i).padStart(2, '0')}`,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::123456789012:role/bench',
        Code: { ZipFile: code },
        Environment: { Variables: { STAGE: 'bench', LEVEL: 'info' } },
        Tags: { team: 'bench' },
      }),
    );
  }
  const body = Buffer.from('{"hello":"world"}');
  const echoSide = { send: () => post(`${echo.url}/`, body), check: (res) => res.body.equals(body) };
  const getUrl = `${hearth.url}/2015-03-31/functions/f07`;
  const listUrl = `${hearth.url}/2015-03-31/functions/`;
  const listBody = (await get(listUrl)).body;
  const getBody = (await get(getUrl)).body;
  const sides = {
    GetFunction: {
      send: () => get(getUrl),
      // Code.Location is presigned (it changes with the clock): parsed, not compared.
      check: (res) => JSON.parse(res.body.toString()).Configuration.FunctionName === 'f07',
      ceiling: getBody,
    },
    'ListFunctions(50)': {
      send: () => get(listUrl),
      check: (res) => res.body.equals(listBody),
      ceiling: listBody,
    },
  };
  if (JSON.parse(listBody.toString()).Functions.length !== FUNCTIONS) {
    throw new Error('ListFunctions did not list every function');
  }
  await load(echoSide.send, WARMUP_SECONDS, echoSide.check);
  for (const [name, side] of Object.entries(sides)) {
    const ceiling = await startStatic(side.ceiling);
    statics.push(ceiling);
    const staticSide = { send: () => get(`${ceiling.url}/`), check: (res) => res.body.equals(side.ceiling) };
    await load(staticSide.send, WARMUP_SECONDS, staticSide.check);
    await load(side.send, WARMUP_SECONDS, side.check);
    const ratios = [];
    const ceilings = [];
    const rounds = [];
    let errors = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const e = await load(echoSide.send, LOAD_SECONDS / ROUNDS, echoSide.check);
      const c = await load(staticSide.send, LOAD_SECONDS / ROUNDS, staticSide.check);
      const h = await load(side.send, LOAD_SECONDS / ROUNDS, side.check);
      errors += e.errors + c.errors + h.errors;
      ratios.push(h.rps / e.rps);
      ceilings.push(c.rps / e.rps);
      rounds.push(`${h.rps.toFixed(0)}/${c.rps.toFixed(0)}/${e.rps.toFixed(0)}`);
    }
    results[name] = { ratio: median(ratios), ratios, ceiling: median(ceilings), ceilings, rounds, errors };
  }
} finally {
  closeClient();
  for (const c of statics) {
    await stopProcess(c.child);
  }
  await stopProcess(echo.child);
  await hearth.stop();
}

console.log(`hearth control-plane bench (${new Date().toISOString()}, node ${process.version})`);
let failed = false;
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name} at c=${CONCURRENCY}: ${(100 * r.ratio).toFixed(1)}% of the echo's req/s at c=${CONCURRENCY} (target >= 50%; median of ${ROUNDS} alternating rounds: ${r.ratios.map((x) => (100 * x).toFixed(0)).join(' ')} %)`,
  );
  console.log(
    `  ceiling: a bare server answering the same bytes reaches ${(100 * r.ceiling).toFixed(1)}% of the echo (${r.ceilings.map((x) => (100 * x).toFixed(0)).join(' ')} %)`,
  );
  console.log(
    `  rounds, hearth/ceiling/echo req/s: ${r.rounds.join(' ')}${r.errors ? `; ${r.errors} wrong answers` : ''}`,
  );
  failed ||= r.errors > 0;
}
process.exit(failed ? 1 : 0);
