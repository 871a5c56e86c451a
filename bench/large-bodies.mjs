#!/usr/bin/env node
// Large bodies and everyone else (issue 13 item 6): GetFunction latency while four 60 MB
// CreateFunction/UpdateFunctionCode bodies (a 45 MB zip in base64) are being handled,
// beside the same GetFunction latency on an otherwise idle hearth, in alternating rounds
// of the same run. Target: GetFunction p99 during the uploads <= 50 ms.
// Run with `node bench/large-bodies.mjs` after `npm run build`.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import { median, percentile, startHearth } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_LARGE_ROUNDS ?? 3);
const UPLOADS = 4;
const ZIP_MB = Number(process.env.BENCH_LARGE_ZIP_MB ?? 45);

function bigZip() {
  return new Promise((resolve, reject) => {
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from('export const handler = async () => 1;\n'), 'index.mjs');
    // Incompressible, stored: the zip is as large as its content.
    z.addBuffer(randomBytes(ZIP_MB * 1024 * 1024), 'blob.bin', { compress: false });
    z.end();
    const chunks = [];
    z.outputStream.on('data', (c) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function request(url, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      {
        method,
        agent,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length },
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

const hearth = await startHearth({
  name: 'large',
  ...(process.env.BENCH_BIN ? { bin: process.env.BENCH_BIN } : {}),
});
try {
  const zip = await bigZip();
  const small = await new Promise((resolve) => {
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from('export const handler = async () => 1;\n'), 'index.mjs');
    z.end();
    const chunks = [];
    z.outputStream.on('data', (c) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
  await hearth.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'probe',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/bench',
      Code: { ZipFile: small },
    }),
  );
  const body = (name) =>
    Buffer.from(
      JSON.stringify({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::123456789012:role/bench',
        Code: { ZipFile: zip.toString('base64') },
      }),
    );
  const bodies = Array.from({ length: UPLOADS }, (_, i) => body(`big-${i}`));
  const probe = async (untilDone) => {
    const lat = [];
    while (!untilDone()) {
      const t0 = performance.now();
      const status = await request(hearth.url, 'GET', '/2015-03-31/functions/probe');
      if (status !== 200) {
        throw new Error(`GetFunction answered ${status}`);
      }
      lat.push(performance.now() - t0);
    }
    return lat;
  };
  const idle = [];
  const busy = [];
  let seq = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // Idle: as many probes as a round of uploads takes, roughly (2 s).
    const idleUntil = performance.now() + 2000;
    idle.push(...(await probe(() => performance.now() > idleUntil)));
    let done = false;
    const uploads = Promise.all(
      bodies.map(async (b, i) => {
        const status = await request(hearth.url, 'POST', '/2015-03-31/functions', b);
        if (status !== 201) {
          throw new Error(`CreateFunction big-${i} answered ${status}`);
        }
        await request(hearth.url, 'DELETE', `/2015-03-31/functions/big-${i}`);
      }),
    ).finally(() => (done = true));
    const t0 = performance.now();
    busy.push(...(await probe(() => done)));
    await uploads;
    seq += performance.now() - t0;
  }
  idle.sort((a, b) => a - b);
  busy.sort((a, b) => a - b);
  const ms = (x) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify(
      {
        largeBodies: {
          uploads: `${UPLOADS} x ${Math.round((bodies[0].length / 1024 / 1024) * 10) / 10} MB at once`,
          roundMs: ms(seq / ROUNDS),
          getFunctionIdle: {
            p50Ms: ms(percentile(idle, 50)),
            p99Ms: ms(percentile(idle, 99)),
            n: idle.length,
          },
          getFunctionDuringUploads: {
            p50Ms: ms(percentile(busy, 50)),
            p99Ms: ms(percentile(busy, 99)),
            maxMs: ms(busy.at(-1)),
            n: busy.length,
          },
          p99Ratio: ms(percentile(busy, 99) / percentile(idle, 99)),
          medianOfBusy: ms(median(busy)),
          target: { getFunctionDuringUploadsP99Ms: '<= 50' },
        },
      },
      null,
      2,
    ),
  );
} finally {
  agent.destroy();
  await hearth.stop();
}
