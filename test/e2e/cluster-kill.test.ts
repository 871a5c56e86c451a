/**
 * Three `hearth serve` processes on one PostgreSQL (issue 14), each with its own data dir:
 * code uploaded to one node runs on the others (packages through the database); kill -9
 * of a node puts its share of a provisioned config back on the other two, IN_PROGRESS →
 * READY, and invokes keep landing on warm environments; a second node started with a live
 * node's id is refused with one line; the killed node, started again, gets its part back
 * without the config ever reading other than READY.
 */
import { once } from 'node:events';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PutProvisionedConcurrencyConfigCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, lambdaClient } from '../helpers/platform.js';
import { HearthProcesses, until, type ServedHearth } from '../helpers/serve.js';
import { makeZip } from '../helpers/zip.js';

const available = await postgresAvailable();
const hearths = new HearthProcesses();
const clients: LambdaClient[] = [];

afterAll(async () => {
  for (const c of clients) {
    c.destroy();
  }
  await hearths.cleanup();
});

const start = (store: string, id: string): ServedHearth =>
  hearths.start(['--store', store, '--node-id', id, '--log-level', 'warn'], {
    name: id,
    env: { HEARTH_SANDBOX: 'off', HEARTH_CLUSTER_HEARTBEAT_MS: '200', HEARTH_CLUSTER_EXPIRY_MS: '3000' },
  });

describe.skipIf(!available)('three hearth processes on one PostgreSQL', () => {
  it(
    'kill -9 of a node: its share comes back on the others, and nothing else stops',
    { timeout: 240_000 },
    async () => {
      const db = await freshDatabase();
      hearths.onCleanup(db.drop);
      const nodes = [start(db.url, 'node-a'), start(db.url, 'node-b'), start(db.url, 'node-c')];
      const urls = await Promise.all(nodes.map((n) => n.url));
      const [ca, cb, cc] = urls.map((u) => {
        const c = lambdaClient(u);
        clients.push(c);
        return c;
      }) as [LambdaClient, LambdaClient, LambdaClient];
      await ca.send(
        new CreateFunctionCommand({
          FunctionName: 'blue',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
          Code: {
            ZipFile: await makeZip({
              'index.mjs': 'export const handler = async () => process.env.AWS_LAMBDA_INITIALIZATION_TYPE;',
            }),
          },
          Publish: true,
        }),
      );
      await ca.send(new CreateAliasCommand({ FunctionName: 'blue', Name: 'BLUE', FunctionVersion: '1' }));
      await cb.send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: 'blue',
          Qualifier: 'BLUE',
          ProvisionedConcurrentExecutions: 6,
        }),
      );
      const pc = (c: LambdaClient) => () =>
        c.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'blue', Qualifier: 'BLUE' }));
      for (const c of [ca, cb, cc]) {
        await until(
          pc(c),
          (v) => v.Status === 'READY' && v.AvailableProvisionedConcurrentExecutions === 6,
          'READY',
        );
      }
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      const shares = async (): Promise<Record<string, number>> =>
        Object.fromEntries(
          (
            await sql.query<{ node: string; count: number }>(
              'SELECT node, count FROM hearth_pc_shares ORDER BY node',
            )
          ).rows.map((r) => [r.node, r.count]),
        );
      // The code was uploaded to node a: b and c read it from the database.
      expect(await shares()).toEqual({ 'node-a': 2, 'node-b': 2, 'node-c': 2 });

      const killed = nodes[2] as ServedHearth;
      killed.child.kill('SIGKILL');
      await once(killed.child, 'exit');
      const s = await until(
        shares,
        (v) => v['node-c'] === undefined && Object.values(v).reduce((x, y) => x + y, 0) === 6,
        'shares re-placed',
      );
      expect(s).toEqual({ 'node-a': 3, 'node-b': 3 });
      const back = await until(
        pc(ca),
        (v) => v.Status === 'READY' && v.AvailableProvisionedConcurrentExecutions === 6,
        'READY on two nodes',
      );
      expect(back.AllocatedProvisionedConcurrentExecutions).toBe(6);
      for (const c of [ca, cb]) {
        const out = await c.send(new InvokeCommand({ FunctionName: 'blue', Qualifier: 'BLUE' }));
        expect(Buffer.from(out.Payload ?? []).toString()).toBe('"provisioned-concurrency"');
      }

      // Another process with a live node's id is refused (after one expiry), in one line.
      const twin = start(db.url, 'node-a');
      await expect(twin.url).rejects.toThrow(/node id 'node-a' is in use by a live node/);
      expect(twin.child.exitCode).toBe(2);

      // Node c comes back: it gets its part of what runs again (make-before-break moves),
      // and the config reads READY with 6 available on every read meanwhile.
      const again = start(db.url, 'node-c');
      const cc2 = lambdaClient(await again.url);
      clients.push(cc2);
      const answers = new Set<string>();
      const even = await until(
        async () => {
          const v = await pc(ca)();
          answers.add(`${v.Status}/${v.AvailableProvisionedConcurrentExecutions}`);
          // The moves and the shares in one statement, one snapshot: read apart, a move
          // that began between the two reads showed its receiver grown and its giver not
          // yet shrunk, with no move in force.
          const r = await sql.query<{ moving: number; shares: Record<string, number> | null }>(
            `SELECT (SELECT count(*) FROM hearth_pc_moves)::int AS moving,
                    (SELECT json_object_agg(node, count ORDER BY node) FROM hearth_pc_shares) AS shares`,
          );
          const row = r.rows[0];
          return { shares: row?.shares ?? {}, moving: row?.moving ?? -1 };
        },
        (v) => v.moving === 0 && v.shares['node-c'] === 2,
        'node c given its part again',
      );
      expect(even.shares).toEqual({ 'node-a': 2, 'node-b': 2, 'node-c': 2 });
      expect([...answers]).toEqual(['READY/6']);
      const out = await cc2.send(new InvokeCommand({ FunctionName: 'blue', Qualifier: 'BLUE' }));
      expect(Buffer.from(out.Payload ?? []).toString()).toBe('"provisioned-concurrency"');
      await sql.end();
    },
  );
});
