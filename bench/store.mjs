#!/usr/bin/env node
// The store behind the control plane and the invoke path (issue 14): the same hearth on
// SQLite (its data dir) and on PostgreSQL (`--store postgres://…`), both running, measured
// in alternating rounds in the same run; figures are PostgreSQL ÷ SQLite (median of rounds).
//
//   writes:  UpdateFunctionConfiguration, sequential (each one a committed transaction)
//   reads:   GetFunction, 16 in flight (served from memory on both)
//   invoke:  warm on-demand invoke p50, sequential (reads on the invoke path)
//
// Needs a PostgreSQL server (HEARTH_TEST_POSTGRES, default the role scripts/dev-postgres.sh
// creates); without one it says so and exits 0.
// Run: npm run build && node bench/store.mjs   (BENCH_ROUNDS)
import { performance } from 'node:perf_hooks';
import {
  GetFunctionCommand,
  InvokeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { benchPostgres, closeClient, createEchoFunction, median, percentile, startHearth } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WRITES = 200;
const READS = 2000;
const INVOKES = 500;
const postgres = await benchPostgres('store bench');
if (postgres === undefined) {
  process.exit(0);
}
const db = await postgres.database();

const servers = {
  sqlite: await startHearth({ name: 'store-sqlite' }),
  postgres: await startHearth({ name: 'store-pg', store: db.url }),
};

async function writes(lambda) {
  const t0 = performance.now();
  for (let i = 0; i < WRITES; i++) {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'echo', Description: `d${i}` }));
  }
  return (WRITES * 1000) / (performance.now() - t0);
}

async function reads(lambda) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < READS) {
        await lambda.send(new GetFunctionCommand({ FunctionName: 'echo' }));
      }
    }),
  );
  return (READS * 1000) / (performance.now() - t0);
}

async function invokes(lambda) {
  const times = [];
  for (let i = 0; i < INVOKES; i++) {
    const t0 = performance.now();
    await lambda.send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'live', Payload: '{}' }));
    times.push(performance.now() - t0);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

const rounds = [];
try {
  for (const s of Object.values(servers)) {
    await createEchoFunction(s.lambda);
    await invokes(s.lambda); // warm
  }
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const [name, s] of r % 2 === 0 ? Object.entries(servers) : Object.entries(servers).reverse()) {
      round[name] = {
        writes: await writes(s.lambda),
        reads: await reads(s.lambda),
        p50: await invokes(s.lambda),
      };
    }
    rounds.push(round);
  }
} finally {
  for (const s of Object.values(servers)) {
    await s.stop();
  }
  closeClient();
  await db.drop();
  await postgres.end();
}

const ratio = (k) => median(rounds.map((r) => r.postgres[k] / r.sqlite[k]));
const med = (store, k) => median(rounds.map((r) => r[store][k]));
console.log(
  `hearth store bench (${new Date().toISOString()}, node ${process.version}, ${ROUNDS} alternating rounds)`,
);
console.log(
  `writes (UpdateFunctionConfiguration, sequential): postgres ${med('postgres', 'writes').toFixed(0)}/s, sqlite ${med('sqlite', 'writes').toFixed(0)}/s, ratio ${ratio('writes').toFixed(2)}x`,
);
console.log(
  `reads (GetFunction, 16 in flight): postgres ${med('postgres', 'reads').toFixed(0)}/s, sqlite ${med('sqlite', 'reads').toFixed(0)}/s, ratio ${ratio('reads').toFixed(2)}x`,
);
console.log(
  `warm invoke p50: postgres ${(med('postgres', 'p50') * 1000).toFixed(0)} µs, sqlite ${(med('sqlite', 'p50') * 1000).toFixed(0)} µs, ratio ${ratio('p50').toFixed(2)}x`,
);
