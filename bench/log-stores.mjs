#!/usr/bin/env node
// The two function log stores on their own, in one process, in alternating rounds: SQLite
// (logs.db, written on its worker thread) and PostgreSQL (the cluster's shared tables,
// batched multi-row INSERTs, also from a worker thread), fed as the pool feeds them
// under load: 32 streams, 2,000 invocations a second (START, one line of output, END,
// REPORT: 4 lines each), 10,000 invocations per round. A third "none" store only counts,
// so that the feeder's own cost can be taken away. Per store and round it prints:
//
//   main µs/inv   main-thread CPU per invocation beyond the feeder's (the invoke path's
//                 share: splitting, queueing and handing batches to the writer's thread;
//                 /proc/self/task/<pid>/stat, 10 ms ticks)
//   proc µs/inv   this process's CPU per invocation, all threads (SQLite's writer too)
//   db µs/inv     the PostgreSQL server's backends' CPU per invocation (PostgreSQL only)
//   drain ms      from the last append until a flush saw every line written
//   write B/inv   bytes this process handed to write(2)/pwrite(2) per invocation
//                 (/proc/self/io wchar: SQLite's WAL and checkpoints, or the PostgreSQL wire)
//
// Needs a PostgreSQL server (HEARTH_TEST_POSTGRES, default the role scripts/dev-postgres.sh
// creates); without one it says so and exits 0.
// --a-root <checkout>: a fourth store, that checkout's built SQLite store ("sqlite-a", e.g.
// main), in the same rounds, and per round the ratio of this build's SQLite cost to it
// (proc µs/inv beyond the feeder's, B ÷ A).
//
// Run: npm run build && node bench/log-stores.mjs [--a-root ../main]   (BENCH_ROUNDS, default 3)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { benchPostgres, cpuMs, median, root } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INVOCATIONS = 10_000;
const PER_TICK = 20; // every 10 ms: 2,000 a second
const STREAMS = 32;
const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };

const load = (file, from = root) => import(pathToFileURL(path.join(from, 'dist/store/logs', file)).href);
const { SqliteLogStore } = await load('sqlite-log-store.js');
const aAt = process.argv.indexOf('--a-root');
const aRoot = aAt === -1 ? undefined : path.resolve(process.argv[aAt + 1] ?? '.');
const SqliteLogStoreA =
  aRoot === undefined ? undefined : (await load('sqlite-log-store.js', aRoot)).SqliteLogStore;
const { openPostgresLogStore } = await load('postgres-log-store.js');

const postgres = await benchPostgres('log stores bench');
if (postgres === undefined) {
  process.exit(0);
}
const db = await postgres.database();
const dir = mkdtempSync(path.join(tmpdir(), 'hearth-log-stores-'));
const errors = [];
const onError = (e) => errors.push(e);
const stores = {
  none: { append: () => undefined, flush: async () => undefined, close: async () => undefined },
  sqlite: new SqliteLogStore({ file: path.join(dir, 'logs.db'), maxBytes: 1 << 30, onError }),
  postgres: await openPostgresLogStore({ url: db.url, maxBytes: 1 << 30, onError }),
};
if (SqliteLogStoreA !== undefined) {
  stores['sqlite-a'] = new SqliteLogStoreA({ file: path.join(dir, 'logs-a.db'), maxBytes: 1 << 30, onError });
}
const names = Object.keys(stores);
const admin = new pg.Client({ connectionString: db.url });
await admin.connect();
const dbName = new URL(db.url).pathname.slice(1);

/** CPU time of this process's main thread so far, in ms. */
function mainThreadCpuMs() {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Bytes this process has passed to write system calls so far. */
function writtenBytes() {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
}

async function backendsCpuMs() {
  const res = await admin.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [dbName],
  );
  return res.rows.reduce((n, r) => n + cpuMs(r.pid), 0);
}

/** Feeds one round into `store`; resolves with its figures. */
async function round(store, r) {
  const w0 = writtenBytes();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const db0 = await backendsCpuMs();
  let n = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      for (let i = 0; i < PER_TICK && n < INVOCATIONS; i++, n++) {
        const stream = `2026/12/04/[$LATEST]r${r}s${n % STREAMS}`;
        // A random UUID, as the front door gives every request (server/front-door.ts).
        const id = randomUUID();
        const put = (text) =>
          store.append({ scope, group: '/aws/lambda/bench', stream, functionName: 'bench', text });
        put(`START RequestId: ${id} Version: $LATEST\n`);
        put(`${new Date().toISOString()}\t${id}\tINFO\thandled ${n}\n`);
        put(`END RequestId: ${id}\n`);
        put(
          `REPORT RequestId: ${id}\tDuration: 0.42 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\t\n`,
        );
      }
      if (n >= INVOCATIONS) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  const fed = performance.now();
  await store.flush();
  const drainMs = performance.now() - fed;
  const cpu = process.cpuUsage(cpu0);
  return {
    mainUs: ((mainThreadCpuMs() - main0) * 1000) / INVOCATIONS,
    procUs: (cpu.user + cpu.system) / INVOCATIONS,
    dbUs: (((await backendsCpuMs()) - db0) * 1000) / INVOCATIONS,
    drainMs,
    writeB: (writtenBytes() - w0) / INVOCATIONS,
  };
}

const figures = Object.fromEntries(names.map((n) => [n, []]));
try {
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      figures[name].push(await round(stores[name], r));
    }
  }
} finally {
  for (const s of Object.values(stores)) {
    await s.close();
  }
  await admin.end();
  await db.drop();
  await postgres.end();
  rmSync(dir, { recursive: true, force: true });
}

const f = (x) => x.toFixed(1);
const feeder = median(figures.none.map((x) => x.mainUs));
console.log(`hearth log stores bench (${new Date().toISOString()}, node ${process.version})`);
console.log(
  `${INVOCATIONS} invocations (4 lines each) per round over ${STREAMS} streams at ${PER_TICK * 100}/s`,
);
for (const name of names.filter((n) => n !== 'none')) {
  const rows = figures[name];
  const col = (k, minus = 0) => rows.map((x) => f(x[k] - minus)).join(' ');
  const med = (k, minus = 0) => f(median(rows.map((x) => x[k])) - minus);
  console.log(`${name.padEnd(8)} main µs/inv  ${col('mainUs', feeder)}  median ${med('mainUs', feeder)}`);
  console.log(`${name.padEnd(8)} proc µs/inv  ${col('procUs')}  median ${med('procUs')}`);
  if (name === 'postgres') {
    console.log(`${name.padEnd(8)} db µs/inv    ${col('dbUs')}  median ${med('dbUs')}`);
  }
  console.log(
    `${name.padEnd(8)} write B/inv  ${rows.map((x) => x.writeB.toFixed(0)).join(' ')}  median ${median(rows.map((x) => x.writeB)).toFixed(0)}`,
  );
  console.log(`${name.padEnd(8)} drain ms     ${col('drainMs')}  median ${med('drainMs')}`);
}
console.log(
  `feeder alone: main µs/inv ${f(feeder)}, proc µs/inv ${f(median(figures.none.map((x) => x.procUs)))}`,
);
if (aRoot !== undefined) {
  const feederProc = figures.none.map((x) => x.procUs);
  const ratios = figures.sqlite.map(
    (b, i) =>
      (b.procUs - (feederProc[i] ?? 0)) / ((figures['sqlite-a'][i]?.procUs ?? NaN) - (feederProc[i] ?? 0)),
  );
  const mainRatios = figures.sqlite.map(
    (b, i) =>
      (b.mainUs - (figures.none[i]?.mainUs ?? 0)) /
      ((figures['sqlite-a'][i]?.mainUs ?? NaN) - (figures.none[i]?.mainUs ?? 0)),
  );
  console.log(
    `sqlite ÷ sqlite-a (${aRoot}), beyond the feeder: proc ${ratios.map((x) => x.toFixed(2)).join(' ')}  median ${median(ratios).toFixed(2)}; ` +
      `main ${mainRatios.map((x) => x.toFixed(2)).join(' ')}  median ${median(mainRatios).toFixed(2)}`,
  );
}
if (errors.length > 0) {
  console.log(`store errors: ${errors.length}, first: ${errors[0]}`);
}
