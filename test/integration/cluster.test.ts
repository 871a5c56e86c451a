/**
 * Three hearth nodes on one PostgreSQL (issue 14), driven with the AWS SDK: a change made
 * on one node is seen on the others; a provisioned config's environments are spread over
 * the nodes and every node answers the same sums; invokes reach warm environments on
 * other nodes; a node that leaves has its share placed on the others. (A node killed with
 * kill -9 is test/e2e/cluster-kill.test.ts.)
 */
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionConcurrencyCommand,
  PutFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PutProvisionedConcurrencyConfigCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { scfClient } from '../helpers/scf.js';
import { until } from '../helpers/serve.js';
import { makeZip } from '../helpers/zip.js';

const available = await postgresAvailable();

const pcOf = (client: LambdaClient) => () =>
  client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'blue', Qualifier: 'BLUE' }));

describe.skipIf(!available)('a cluster of three nodes on one PostgreSQL', () => {
  let url = '';
  let drop: () => Promise<void> = () => Promise.resolve();
  const nodes: TestPlatform[] = [];
  let db: pg.Client;

  beforeAll(async () => {
    const fresh = await freshDatabase();
    url = fresh.url;
    drop = fresh.drop;
    // A node is dead after 10 s of silence: under a loaded machine's stalls a shorter expiry
    // makes nodes die and come back (that is test/e2e/cluster-kill.test.ts's subject).
    for (const id of ['node-a', 'node-b', 'node-c']) {
      nodes.push(
        await startPlatform({
          store: url,
          nodeId: id,
          nodeCapacity: 10,
          clusterHeartbeatMs: 200,
          clusterExpiryMs: 10_000,
        }),
      );
    }
    db = new pg.Client({ connectionString: url });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    for (const n of nodes) {
      await n.dispose();
    }
    await drop();
  });

  const shares = async (): Promise<Record<string, number>> => {
    const res = await db.query<{ node: string; count: number }>(
      "SELECT node, count FROM hearth_pc_shares WHERE pool_key LIKE '%blue#BLUE' ORDER BY node",
    );
    return Object.fromEntries(res.rows.map((r) => [r.node, r.count]));
  };

  it('sees a function created on one node from the others', { timeout: 60_000 }, async () => {
    const [a, b, c] = nodes as [TestPlatform, TestPlatform, TestPlatform];
    await a.client.send(
      new CreateFunctionCommand({
        FunctionName: 'blue',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        Code: {
          ZipFile: await makeZip({
            'index.mjs':
              'export const handler = async () => ({ type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, pid: process.pid });',
          }),
        },
        Publish: true,
      }),
    );
    // The change feed's notification reaches the others (no write on them first).
    for (const n of [b, c]) {
      const fn = await until(
        () => n.client.send(new GetFunctionCommand({ FunctionName: 'blue' })).catch(() => undefined),
        (v) => v !== undefined,
        'function on another node',
        10_000,
      );
      expect(fn?.Configuration?.Version).toBe('$LATEST');
    }
    await b.client.send(new CreateAliasCommand({ FunctionName: 'blue', Name: 'BLUE', FunctionVersion: '1' }));
    await expect(
      c.client.send(new CreateAliasCommand({ FunctionName: 'blue', Name: 'BLUE', FunctionVersion: '1' })),
    ).rejects.toMatchObject({ name: 'ResourceConflictException' });
  });

  it(
    'spreads provisioned environments over the nodes, and every node answers the same sums',
    { timeout: 90_000 },
    async () => {
      const [a, b, c] = nodes as [TestPlatform, TestPlatform, TestPlatform];
      const put = await b.client.send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: 'blue',
          Qualifier: 'BLUE',
          ProvisionedConcurrentExecutions: 6,
        }),
      );
      expect(put.Status).toBe('IN_PROGRESS');
      // Each node sums the others' reports as they arrive: READY on one is READY on all soon.
      for (const n of [c, a, b]) {
        await until(pcOf(n.client), (v) => v.Status === 'READY', 'READY on every node');
      }
      for (const n of [a, b, c]) {
        const list = await n.client.send(
          new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'blue' }),
        );
        expect(list.ProvisionedConcurrencyConfigs).toEqual([
          expect.objectContaining({
            RequestedProvisionedConcurrentExecutions: 6,
            AllocatedProvisionedConcurrentExecutions: 6,
            AvailableProvisionedConcurrentExecutions: 6,
            Status: 'READY',
          }),
        ]);
      }
      expect(await shares()).toEqual({ 'node-a': 2, 'node-b': 2, 'node-c': 2 });
      // SCF's view of the same config, the same on every node.
      const scfViews = await Promise.all(
        [a, b, c].map((n) => scfClient(n.url).GetProvisionedConcurrencyConfig({ FunctionName: 'blue' })),
      );
      for (const v of scfViews) {
        expect(v.Allocated).toEqual(scfViews[0]?.Allocated);
        expect(v.Allocated?.[0]).toMatchObject({
          AllocatedProvisionedConcurrencyNum: 6,
          AvailableProvisionedConcurrencyNum: 6,
          Status: 'Done',
        });
      }
    },
  );

  it('serves invokes on warm environments from every node', { timeout: 60_000 }, async () => {
    const pids = new Set<number>();
    for (const n of nodes) {
      const outs = await Promise.all(
        Array.from({ length: 4 }, () =>
          n.client.send(new InvokeCommand({ FunctionName: 'blue', Qualifier: 'BLUE' })),
        ),
      );
      for (const out of outs) {
        const body = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { type: string; pid: number };
        expect(body.type).toBe('provisioned-concurrency');
        pids.add(body.pid);
      }
    }
    expect(pids.size).toBeGreaterThan(2);
  });

  it(
    'forwards to another node when this one has no free environment of the config',
    { timeout: 90_000 },
    async () => {
      const [a, b, c] = nodes as [TestPlatform, TestPlatform, TestPlatform];
      await a.client.send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: 'blue',
          Qualifier: 'BLUE',
          ProvisionedConcurrentExecutions: 1,
        }),
      );
      await until(
        pcOf(b.client),
        (v) => v.Status === 'READY' && v.AllocatedProvisionedConcurrentExecutions === 1,
        'READY with 1',
      );
      const owner = Object.keys(await shares());
      expect(owner).toHaveLength(1);
      // Every node answers from the one warm environment, wherever it runs.
      for (const n of [a, b, c]) {
        const out = await n.client.send(new InvokeCommand({ FunctionName: 'blue', Qualifier: 'BLUE' }));
        const body = JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { type: string };
        expect(body.type).toBe('provisioned-concurrency');
      }
    },
  );

  it("places a leaving node's share on the others", { timeout: 90_000 }, async () => {
    const [a, b] = nodes as [TestPlatform, TestPlatform, TestPlatform];
    await a.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'blue',
        Qualifier: 'BLUE',
        ProvisionedConcurrentExecutions: 6,
      }),
    );
    await until(
      pcOf(b.client),
      (v) => v.Status === 'READY' && v.AllocatedProvisionedConcurrentExecutions === 6,
      'READY with 6',
    );
    const c = nodes.pop() as TestPlatform;
    await c.dispose();
    const s = await until(
      shares,
      (v) => v['node-c'] === undefined && Object.values(v).reduce((x, y) => x + y, 0) === 6,
      'shares without node-c',
    );
    expect(Object.keys(s).sort()).toEqual(['node-a', 'node-b']);
    const ready = await until(
      pcOf(a.client),
      (v) => v.Status === 'READY' && v.AvailableProvisionedConcurrentExecutions === 6,
      'READY again on two nodes',
    );
    expect(ready.AllocatedProvisionedConcurrentExecutions).toBe(6);
  });

  it(
    'holds a reserved concurrency limit across the nodes, with the exact throttle',
    { timeout: 90_000 },
    async () => {
      const [a, b] = nodes as [TestPlatform, TestPlatform];
      await a.client.send(
        new CreateFunctionCommand({
          FunctionName: 'capped',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
          Code: {
            ZipFile: await makeZip({
              'index.mjs':
                'export const handler = async () => { await new Promise((r) => setTimeout(r, 1500)); return 1; };',
            }),
          },
        }),
      );
      await a.client.send(
        new PutFunctionConcurrencyCommand({ FunctionName: 'capped', ReservedConcurrentExecutions: 3 }),
      );
      await until(
        () => b.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'capped' })),
        (v) => v.ReservedConcurrentExecutions === 3,
        'reservation seen on node b',
        10_000,
      );
      // Two live nodes share the limit of 3 (2 + 1): five at once, three run, two are throttled.
      const calls = [a, a, a, b, b].map((n) =>
        n.client.send(new InvokeCommand({ FunctionName: 'capped' })).then(
          () => 'ran',
          (e: { name?: string; Reason?: string }) => `${e.name}/${e.Reason}`,
        ),
      );
      const results = (await Promise.all(calls)).sort();
      expect(results).toEqual([
        'TooManyRequestsException/ReservedFunctionConcurrentInvocationLimitExceeded',
        'TooManyRequestsException/ReservedFunctionConcurrentInvocationLimitExceeded',
        'ran',
        'ran',
        'ran',
      ]);
    },
  );

  it(
    "sees an account setting written on another node (SCF's TotalConcurrencyMem)",
    { timeout: 60_000 },
    async () => {
      const [a, b] = nodes as [TestPlatform, TestPlatform];
      const scfA = scfClient(a.url);
      const scfB = scfClient(b.url);
      // Node b has its view of the account already (kept until the settings change).
      const before = (await scfB.GetAccount()).AccountUsage?.TotalConcurrencyMem;
      expect(before).not.toBe(20480);
      await scfA.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 20480 });
      await until(
        () => scfB.GetAccount(),
        (v) => v.AccountUsage?.TotalConcurrencyMem === 20480,
        'the new total on node b',
        10_000,
      );
    },
  );

  it(
    'terminates an async event from a node other than the one running it (SCF)',
    { timeout: 60_000 },
    async () => {
      const [a, b] = nodes as [TestPlatform, TestPlatform];
      await a.client.send(
        new CreateFunctionCommand({
          FunctionName: 'sleeper',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
          Code: {
            ZipFile: await makeZip({
              'index.mjs':
                'export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); throw new Error("retry me"); };',
            }),
          },
        }),
      );
      await until(
        () =>
          b.client.send(new GetFunctionCommand({ FunctionName: 'sleeper' })).then(
            () => true,
            () => false,
          ),
        (v) => v,
        'sleeper seen on node b',
        10_000,
      );
      const scfA = scfClient(a.url);
      const scfB = scfClient(b.url);
      // Node a holds the event it accepted; it runs for 2 s and would be retried.
      const id =
        (
          await scfA.Invoke({
            FunctionName: 'sleeper',
            InvocationType: 'Event',
            ClientContext: '{"ms":2000}',
          })
        ).Result?.FunctionRequestId ?? '';
      await until(
        () =>
          db.query<{ owner: string }>('SELECT owner FROM hearth_async_events WHERE request_id = $1', [id]),
        (r) => r.rows[0]?.owner === 'node-a',
        'the event held by node a',
        10_000,
      );
      await scfB.TerminateAsyncEvent({ FunctionName: 'sleeper', InvokeRequestId: id });
      // Settled (read from the database: SCF rate-limits GetAsyncEventStatus to 20 a second).
      await until(
        () =>
          db.query<{ status: string }>('SELECT status FROM hearth_async_events WHERE request_id = $1', [id]),
        (r) => r.rows[0]?.status !== 'pending',
        'the event settled',
        20_000,
      );
      const done = await scfB.GetAsyncEventStatus({ InvokeRequestId: id });
      expect(done.Result?.Status).toBe('ABORTED');
    },
  );

  it(
    'a node that joins late gets its part of what runs, make-before-break: READY on every read meanwhile',
    { timeout: 120_000 },
    async () => {
      const [a, b] = nodes as [TestPlatform, TestPlatform];
      // BLUE runs 3/3 on nodes a and b since node c left.
      expect(await shares()).toEqual({ 'node-a': 3, 'node-b': 3 });
      await until(pcOf(a.client), (v) => v.Status === 'READY', 'READY on two nodes');
      const d = await startPlatform({
        store: url,
        nodeId: 'node-d',
        nodeCapacity: 10,
        clusterHeartbeatMs: 200,
        clusterExpiryMs: 10_000,
      });
      nodes.push(d);
      // Every read on every node, until the shares are even and the moves are over: READY
      // with 6 available each time (the receiver keeps serving, the giver gives back only
      // once the receiver is READY).
      const seen = new Set<string>();
      // Any other answer, with the cluster's state when it was given (for the failure message).
      const odd: string[] = [];
      const reads = [a, b, d].map(async (n, i) => {
        for (;;) {
          const v = await pcOf(n.client)();
          const answer = `${v.Status}/${v.AvailableProvisionedConcurrentExecutions}`;
          seen.add(answer);
          const moving = await db.query('SELECT giver, receiver, count FROM hearth_pc_moves');
          const now = await shares();
          if (answer !== 'READY/6' && odd.length < 5) {
            const reports = await db.query('SELECT node, share, status, available FROM hearth_pc_reports');
            const live = await db.query('SELECT id, now() - heartbeat_at AS age FROM hearth_nodes');
            odd.push(
              JSON.stringify({
                on: i,
                answer,
                now,
                moving: moving.rows,
                reports: reports.rows,
                live: live.rows,
              }),
            );
          }
          if (moving.rowCount === 0 && now['node-d'] === 2 && now['node-a'] === 2 && now['node-b'] === 2) {
            return v;
          }
        }
      });
      const last = await Promise.race([
        Promise.all(reads),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`not even after 60 s: ${[...seen].join(', ')}`)), 60_000).unref(),
        ),
      ]);
      expect(odd).toEqual([]);
      expect([...seen]).toEqual(['READY/6']);
      // The givers' surplus goes; READY all along (any other answer, with the state, fails).
      const settled = await until(
        pcOf(d.client),
        (v) => v.AllocatedProvisionedConcurrentExecutions === 6 || v.Status !== 'READY',
        "the givers' surplus gone",
        20_000,
      );
      if (settled.Status !== 'READY' || settled.AvailableProvisionedConcurrentExecutions !== 6) {
        const reports = await db.query(
          'SELECT node, share, status, allocated, available FROM hearth_pc_reports',
        );
        expect({ settled, shares: await shares(), reports: reports.rows }).toEqual('READY 6/6');
      }
      expect(last.map((v) => v.Status)).toEqual(['READY', 'READY', 'READY']);
      // Node d runs its two: an invoke there is served by one of its own environments.
      const out = await d.client.send(new InvokeCommand({ FunctionName: 'blue', Qualifier: 'BLUE' }));
      expect(out.StatusCode).toBe(200);
    },
  );
});
