#!/usr/bin/env node
// Several hearth nodes on one PostgreSQL (issue 14), measured in one run:
//
//   forwarded:  a warm provisioned invoke sent to the node that does not hold the config's
//               one environment (it forwards to the node that does) against the same
//               invoke sent to that node (local), p50 of sequential invokes, alternating
//               rounds; figure: forwarded ÷ local (median of rounds; target ≤ 1.5×)
//   joining:    two nodes hold a config of 50 environments, READY; a third joins; the time
//               until the shares are even again (make-before-break moves, placement.ts
//               rule 5) and how many of the status reads meanwhile (node a, back to
//               back) were not READY with 50 available (target: none)
//   kill -9:    the three then hold the 50 evenly; one is killed with kill -9;
//               the time until the config is READY with 50 available again, split into
//               detection (the heartbeat expiry, a setting) and re-provisioning its share
//               on the other two, beside a Put of the same count on a fresh config of one
//               node in the same run (the baseline of starting that many environments)
//
// The control plane and invoke path on PostgreSQL against SQLite: bench/store.mjs
// (`npm run bench:cluster` runs both). Needs a PostgreSQL server (HEARTH_TEST_POSTGRES,
// default the role scripts/dev-postgres.sh creates); without one it says so and exits 0.
// Run: npm run build && node bench/cluster.mjs   (BENCH_ROUNDS, BENCH_ENVS)
import { performance } from 'node:perf_hooks';
import {
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import pg from 'pg';
import {
  benchPostgres,
  closeClient,
  createEchoFunction,
  median,
  percentile,
  startHearth,
  waitReady,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const INVOKES = 300;
const ENVS = Number(process.env.BENCH_ENVS ?? 50);
const HEARTBEAT_MS = 200;
const EXPIRY_MS = 3000;
const postgres = await benchPostgres('cluster bench');
if (postgres === undefined) {
  process.exit(0);
}
const database = () => postgres.database();

const node = (store, id) =>
  startHearth({
    name: id,
    store,
    env: {
      HEARTH_NODE_ID: id,
      HEARTH_CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS),
      HEARTH_CLUSTER_EXPIRY_MS: String(EXPIRY_MS),
    },
  });

async function sharesOf(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query('SELECT node, count FROM hearth_pc_shares ORDER BY node');
    return Object.fromEntries(res.rows.map((r) => [r.node, r.count]));
  } finally {
    await c.end();
  }
}

async function p50(lambda) {
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

// ---- forwarded against local ----------------------------------------------------------
const fwd = await database();
const pair = [await node(fwd.url, 'node-a'), await node(fwd.url, 'node-b')];
const rounds = [];
try {
  await createEchoFunction(pair[0].lambda);
  await pair[0].lambda.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'echo',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 1,
    }),
  );
  for (const n of pair) {
    await waitReady(n.lambda, 'echo', 'live', 60_000);
  }
  const owner = Object.keys(await sharesOf(fwd.url))[0];
  const local = pair.find((_, i) => `node-${'ab'[i]}` === owner);
  const remote = pair.find((_, i) => `node-${'ab'[i]}` !== owner);
  await p50(local.lambda);
  await p50(remote.lambda);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['local', 'forwarded'] : ['forwarded', 'local'];
    const round = {};
    for (const k of order) {
      round[k] = await p50(k === 'local' ? local.lambda : remote.lambda);
    }
    rounds.push(round);
  }
} finally {
  for (const n of pair) {
    await n.stop();
  }
  await fwd.drop();
}

const ratio = median(rounds.map((r) => r.forwarded / r.local));
console.log(
  `hearth cluster bench (${new Date().toISOString()}, node ${process.version}, ${ROUNDS} alternating rounds)`,
);
console.log(
  `warm invoke p50: forwarded ${(median(rounds.map((r) => r.forwarded)) * 1000).toFixed(0)} µs, local ${(median(rounds.map((r) => r.local)) * 1000).toFixed(0)} µs, ratio ${ratio.toFixed(2)}x (target <= 1.5x)`,
);

// ---- kill -9 of one node of three -----------------------------------------------------
const kill = await database();
const trio = [await node(kill.url, 'node-a'), await node(kill.url, 'node-b')];
let killFigures;
let joinFigures;
try {
  await createEchoFunction(trio[0].lambda);
  await trio[0].lambda.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'echo',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: ENVS,
    }),
  );
  for (const n of trio) {
    await waitReady(n.lambda, 'echo', 'live', 120_000);
  }
  // A third node joins: status read back to back on node a until the shares are even.
  const j0 = performance.now();
  trio.push(await node(kill.url, 'node-c'));
  const joined = performance.now() - j0;
  let reads = 0;
  let notReady = 0;
  const db = new pg.Client({ connectionString: kill.url });
  await db.connect();
  try {
    for (;;) {
      const c = await trio[0].lambda.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'echo', Qualifier: 'live' }),
      );
      reads++;
      if (c.Status !== 'READY' || c.AvailableProvisionedConcurrentExecutions !== ENVS) {
        notReady++;
      }
      const moving = await db.query('SELECT 1 FROM hearth_pc_moves');
      const counts = (await db.query('SELECT count FROM hearth_pc_shares')).rows.map((r) => r.count);
      if (moving.rowCount === 0 && counts.length === 3 && Math.max(...counts) - Math.min(...counts) <= 1) {
        break;
      }
      if (performance.now() - j0 > 120_000) {
        throw new Error(`not even after 120 s: ${JSON.stringify(await sharesOf(kill.url))}`);
      }
    }
  } finally {
    await db.end();
  }
  joinFigures = {
    total: performance.now() - j0,
    joined,
    reads,
    notReady,
    after: JSON.stringify(await sharesOf(kill.url)),
  };
  // The node holding the largest share is killed (placement may have spread unevenly if a
  // node was slow to beat while its environments started); node-a is asked.
  const before = await sharesOf(kill.url);
  const [victimId, share] = Object.entries(before)
    .filter(([id]) => id !== 'node-a')
    .sort(([, x], [, y]) => y - x)[0];
  const victim = trio[{ 'node-b': 1, 'node-c': 2 }[victimId]];
  const t0 = performance.now();
  victim.child.kill('SIGKILL');
  let sawInProgress = 0;
  for (;;) {
    const c = await trio[0].lambda.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'echo', Qualifier: 'live' }),
    );
    if (c.Status === 'IN_PROGRESS' && sawInProgress === 0) {
      sawInProgress = performance.now() - t0;
    }
    if (sawInProgress > 0 && c.Status === 'READY' && c.AvailableProvisionedConcurrentExecutions === ENVS) {
      break;
    }
    if (performance.now() - t0 > 120_000) {
      throw new Error(`not READY again: ${c.Status}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const total = performance.now() - t0;
  // Baseline in the same run: the same number of environments put on a fresh node.
  const solo = await startHearth({ name: 'solo' });
  let baseline;
  try {
    await createEchoFunction(solo.lambda);
    baseline = await (async () => {
      const b0 = performance.now();
      await solo.lambda.send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: 'echo',
          Qualifier: 'live',
          ProvisionedConcurrentExecutions: share,
        }),
      );
      await waitReady(solo.lambda, 'echo', 'live', 120_000);
      return performance.now() - b0;
    })();
  } finally {
    await solo.stop();
  }
  killFigures = { share, total, detected: sawInProgress, baseline, before: JSON.stringify(before) };
} finally {
  for (const n of trio) {
    await n.stop().catch(() => undefined);
  }
  closeClient();
  await kill.drop();
  await postgres.end();
}

const jf = joinFigures;
console.log(
  `a third node joins 2 holding ${ENVS} READY: shares even (${jf.after}) ${((jf.total - jf.joined) / 1000).toFixed(2)} s after it was up ` +
    `(it took ${(jf.joined / 1000).toFixed(2)} s to start); status reads on node a meanwhile not READY with ${ENVS} available: ${jf.notReady} of ${jf.reads} (target 0)`,
);
const k = killFigures;
console.log(
  `kill -9 of 1 of 3 nodes (${ENVS} environments placed ${k.before}, its share ${k.share}): READY again after ${(k.total / 1000).toFixed(2)} s ` +
    `(IN_PROGRESS seen after ${(k.detected / 1000).toFixed(2)} s, heartbeat expiry ${EXPIRY_MS} ms; ` +
    `re-provisioning ${((k.total - k.detected) / 1000).toFixed(2)} s); baseline Put(${k.share}) -> READY on one node ${(k.baseline / 1000).toFixed(2)} s`,
);
