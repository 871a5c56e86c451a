#!/usr/bin/env node
// What the function log store costs the invoke path: two hearths side by side
// (bench/paired.mjs), A without the log store's sink (HEARTH_FUNCTION_LOGS=false) and B
// with it (the default), 32 provisioned environments each, alternating load slices. Every
// invoke writes at least START, END and REPORT lines, so B stores 3 events per request.
// Prints paired.mjs's table and the B/A ratios (req/s, server CPU per request, sequential
// p50): 1.00 means the log store is free.
//
// --postgres: the same pair twice in one run, first on SQLite (logs.db on its worker
// thread), then with both sides on PostgreSQL (`--store`, a fresh database each, so not a
// cluster; logs in the PostgreSQL log store), and a last line with both B/A ratios side by
// side. Needs a PostgreSQL server (HEARTH_TEST_POSTGRES, default the role
// scripts/dev-postgres.sh creates); without one it says so and exits 0.
//
//   npm run build && node bench/logs.mjs [--postgres] [paired.mjs options: --rounds 8 --slice 1.5 ...]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { benchPostgres, root } from './lib.mjs';

const args = process.argv.slice(2);
const onPostgres = args.includes('--postgres');
const passed = args.filter((a) => a !== '--postgres');

/** Runs one pair, echoing its output; resolves with its B/A line. */
function pair(aEnv, bEnv) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'bench/paired.mjs'),
        '--a-env',
        JSON.stringify({ ...aEnv, HEARTH_FUNCTION_LOGS: 'false' }),
        '--b-env',
        JSON.stringify({ ...bEnv, HEARTH_FUNCTION_LOGS: 'true' }),
        ...passed,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(out.split('\n').find((l) => l.startsWith('B/A')) ?? '')
        : reject(new Error(`paired.mjs exited with ${code}`)),
    );
  });
}

if (!onPostgres) {
  await pair({}, {});
} else {
  const postgres = await benchPostgres('logs bench on PostgreSQL');
  if (postgres === undefined) {
    process.exit(0);
  }
  try {
    console.log('== logs on SQLite (logs.db) ==');
    const sqlite = await pair({}, {});
    const [a, b] = [await postgres.database(), await postgres.database()];
    try {
      console.log('== logs on PostgreSQL (both sides --store postgres://…, one database each) ==');
      const pg = await pair({ HEARTH_STORE: a.url }, { HEARTH_STORE: b.url });
      console.log(`logs on / logs off, SQLite:     ${sqlite}`);
      console.log(`logs on / logs off, PostgreSQL: ${pg}`);
    } finally {
      await a.drop();
      await b.drop();
    }
  } finally {
    await postgres.end();
  }
}
