/**
 * ClusterNode against a real PostgreSQL, with the interleaving of its reads and the
 * leader's own placement writes driven through its database (the ClusterDb it is given):
 * a read held just after it took its snapshot, a placement write held just before its
 * commit. What a node runs and reports must follow the placement forward only: a read whose
 * snapshot predates the leader's own write must not undo it (the flake of
 * test/integration/cluster.test.ts "joins late": a move's giver grew back for a moment and
 * reported its old share IN_PROGRESS on a config that stayed READY). Also: a node that
 * joins holds the placement in force before join() returns, and a read that ends while
 * the node's own report write is finishing does not bring back a report it just deleted
 * (a config it no longer runs would have kept its environments counted).
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProvisionedStatus } from '../core/model.js';
import type { EnvironmentSpec, Pool } from '../core/ports.js';
import { freshDatabase, postgresAvailable } from '../store/postgres/testing.js';
import { CLUSTER_CHANNEL, openClusterDb, type ClusterDb } from './cluster-db.js';
import { ClusterNode, type ShareReport } from './cluster-node.js';
import { ClusterPool } from './cluster-pool.js';

const available = await postgresAvailable();

const KEY = '123456789012/us-east-1/default/fn#live';
const spec = { key: 'fn/1@r1' } as EnvironmentSpec;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Holds the first query that reaches it until opened; `reached` says one is held. */
class Gate {
  readonly reached: Promise<void>;
  readonly #opened: Promise<void>;
  #reach: () => void = () => undefined;
  #open: () => void = () => undefined;
  constructor() {
    this.reached = new Promise((r) => (this.#reach = r));
    this.#opened = new Promise((r) => (this.#open = r));
  }
  pass(): Promise<void> {
    this.#reach();
    return this.#opened;
  }
  open(): void {
    this.#open();
  }
}

/** The held transactions to come: each gate holds one and is then spent. */
interface Gates {
  read: Gate | undefined;
  write: Gate | undefined;
  /** After the commit of a report write that deleted a report, before it returns. */
  deleted: Gate | undefined;
}

/**
 * A ClusterDb whose transactions can be held: `read` after a placement read's first
 * statement (its REPEATABLE READ snapshot is taken then), `write` before a placement
 * write's commit, `deleted` after the commit of a report write that deleted a report.
 */
function gated(db: ClusterDb): { db: ClusterDb; gates: Gates } {
  const gates: Gates = { read: undefined, write: undefined, deleted: undefined };
  /** Holds here if `name`'s gate is set and `when` holds; the gate is then spent. */
  const hold = async (name: keyof Gates, when: boolean): Promise<void> => {
    const gate = gates[name];
    if (when && gate !== undefined) {
      gates[name] = undefined;
      await gate.pass();
    }
  };
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    let placing = false;
    let deleting = false;
    const query = async (text: unknown, values?: unknown): Promise<unknown> => {
      const sql = typeof text === 'string' ? text : '';
      placing ||= sql.startsWith('DELETE FROM hearth_pc_shares');
      deleting ||= sql.startsWith('DELETE FROM hearth_pc_reports WHERE node = $1');
      const ends = sql === 'COMMIT' || sql === 'ROLLBACK';
      await hold('write', sql === 'COMMIT' && placing);
      const res: unknown = await client.query(text as string, values as unknown[]);
      await hold('deleted', sql === 'COMMIT' && deleting);
      await hold('read', sql.startsWith('SELECT pool_key, node, count FROM hearth_pc_shares'));
      if (ends) {
        placing = false;
        deleting = false;
      }
      return res;
    };
    return new Proxy(client, {
      get: (target, prop) => (prop === 'query' ? query : Reflect.get(target, prop, target)),
    });
  };
  const pool = new Proxy(db.pool, {
    get: (target, prop) =>
      prop === 'connect'
        ? async () => wrap(await target.connect())
        : typeof Reflect.get(target, prop) === 'function'
          ? (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target)
          : Reflect.get(target, prop),
  });
  return { db: { ...db, pool }, gates };
}

/** A local pool whose environments start when the test says: what it was given, and its truth. */
class Environments {
  readonly counts: number[] = [];
  #requested = 0;
  #ready = 0;
  #listener: ((key: string, s: ProvisionedStatus) => void) | undefined;
  setProvisioned(_key: string, _spec: EnvironmentSpec | undefined, count: number): void {
    this.counts.push(count);
    this.#requested = count;
    // Fewer: the surplus goes at once; more: the new ones start (and stay starting).
    this.#ready = Math.min(this.#ready, count);
  }
  provisionedStatus(): ProvisionedStatus {
    const n = this.#ready;
    return { allocated: n, available: n, status: n === this.#requested ? 'READY' : 'IN_PROGRESS' };
  }
  allReady(): void {
    this.#ready = this.#requested;
    this.#listener?.(KEY, this.provisionedStatus());
  }
  provisionedUtilization(): number {
    return 0;
  }
  provisionedIdle(): number {
    return 0;
  }
  watchProvisioned(l: (key: string, s: ProvisionedStatus) => void): () => void {
    this.#listener = l;
    return () => undefined;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

describe.skipIf(!available)('ClusterNode: what a node holds follows the database forward', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c();
    }
  });

  it("a read begun before the leader's own write (the end of a move) does not undo it", async () => {
    const fresh = await freshDatabase();
    cleanups.push(fresh.drop);
    const opened = await openClusterDb(fresh.url);
    cleanups.push(() => opened.close());
    const sql = new pg.Client({ connectionString: fresh.url });
    await sql.connect();
    cleanups.push(() => sql.end());
    const { db, gates } = gated(opened);
    const local = new Environments();
    // No heartbeat during the test but the one join makes: the test's notifications wake its reads.
    const node: ClusterNode = new ClusterNode({
      db,
      id: 'node-a',
      capacity: 10,
      heartbeatMs: 600_000,
      expiryMs: 60_000,
      requested: () => pool.requested(),
      log: silent,
    });
    const pool = new ClusterPool({
      local: local as unknown as Pool,
      node,
      forward: () => Promise.resolve(undefined),
    });
    const reports: ShareReport[] = [];
    const setReport = node.setReport.bind(node);
    vi.spyOn(node, 'setReport').mockImplementation((key, r) => {
      if (r !== undefined) {
        reports.push(r);
      }
      setReport(key, r);
    });
    await pool.start();
    pool.setProvisioned(KEY, spec, 4);
    await node.join('http://node-a', 'node-a:1');
    cleanups.push(async () => {
      gates.read?.open();
      gates.write?.open();
      await node.leave();
      await pool.dispose();
    });
    const notify = (what: string) => sql.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, what]);

    // 1. node-a leads and runs all four; they start.
    await vi.waitFor(() => expect(node.myShare(KEY)).toBe(4), { timeout: 10_000 });
    local.allReady();
    // 2. node-b joins late (its rows are written here): a move of two to it, make before break.
    await sql.query(
      `INSERT INTO hearth_nodes (id, incarnation, url, link, capacity) VALUES ('node-b', 'b', 'http://node-b', 'node-b:1', 10)`,
    );
    await notify('nodes');
    const moving = { giver: 'node-a', receiver: 'node-b', count: 2 };
    await vi.waitFor(() => expect(node.move(KEY)).toEqual(moving), { timeout: 10_000 });
    // 3. node-b reports READY for its two: node-a ends the move (2 and 2), held before its commit.
    const write = new Gate();
    gates.write = write;
    await sql.query(
      `INSERT INTO hearth_pc_reports (node, pool_key, spec, share, allocated, available, busy, status)
       VALUES ('node-b', $1, $2, 2, 2, 2, 0, 'READY')`,
      [KEY, spec.key],
    );
    await notify('reports');
    await write.reached;
    // 4. A read begins meanwhile (another node's report woke it), and takes its snapshot:
    // the move still in force.
    const read = new Gate();
    gates.read = read;
    await notify('reports');
    await read.reached;
    // 5. The end of the move commits and node-a gives back two.
    write.open();
    await vi.waitFor(() => expect(node.myShare(KEY)).toBe(2), { timeout: 10_000 });
    // 6. The read ends after it.
    const readEnded = new Promise<void>((resolve) => {
      const stop = node.onChange(() => {
        stop();
        resolve();
      });
    });
    read.open();
    await readEnded;

    // Once READY, every report it made reads READY: the config stayed READY throughout.
    const since = reports.findIndex((r) => r.status === 'READY');
    expect(since).toBeGreaterThanOrEqual(0);
    expect(reports.slice(since).map((r) => `share ${r.share} ${r.status} available ${r.available}`)).toEqual([
      'share 4 READY available 4',
      'share 2 READY available 2',
    ]);
    // Its environments were given 4, then 2, never 4 again (no start undone a moment later).
    expect(local.counts.filter((n) => n > 0)).toEqual([4, 2]);
    // And it holds the placement in force: the move over, two of four.
    expect(node.myShare(KEY)).toBe(2);
    expect(node.move(KEY)).toBeUndefined();
  });

  it('a node that joins a running cluster holds its placement and reports before join() returns', async () => {
    const fresh = await freshDatabase();
    cleanups.push(fresh.drop);
    const opened = await openClusterDb(fresh.url);
    cleanups.push(() => opened.close());
    // A cluster already running: node-a live, leading, running all four and READY.
    await opened.pool.query(
      `INSERT INTO hearth_nodes (id, incarnation, url, link, capacity) VALUES ('node-a', 'a', 'http://node-a', 'node-a:1', 10);
       INSERT INTO hearth_leases (name, holder, fence, expires_at) VALUES ('leader', 'node-a/a', 1, now() + interval '1 hour');
       INSERT INTO hearth_pc_shares (pool_key, node, count) VALUES ('${KEY}', 'node-a', 4);
       INSERT INTO hearth_pc_reports (node, pool_key, spec, share, allocated, available, busy, status)
         VALUES ('node-a', '${KEY}', '${spec.key}', 4, 4, 4, 0, 'READY');`,
    );
    const { db, gates } = gated(opened);
    const node = new ClusterNode({
      db,
      id: 'node-b',
      capacity: 10,
      heartbeatMs: 600_000,
      expiryMs: 60_000,
      requested: () => new Map(),
      log: silent,
    });
    cleanups.push(() => node.leave());
    // Its first read is held: join() must not return before it ends.
    const read = new Gate();
    gates.read = read;
    let joined = false;
    const joining = node.join('http://node-b', 'node-b:1').then(() => {
      joined = true;
    });
    await read.reached;
    await new Promise((r) => setImmediate(r));
    expect(joined).toBe(false);
    read.open();
    await joining;
    expect(node.isLeader).toBe(false);
    expect([...node.shares(KEY)]).toEqual([['node-a', 4]]);
    expect(node.report('node-a', KEY)).toMatchObject({ share: 4, status: 'READY' });
  });

  it('a read during the write that deletes its own report does not write the report again', async () => {
    const fresh = await freshDatabase();
    cleanups.push(fresh.drop);
    const opened = await openClusterDb(fresh.url);
    cleanups.push(() => opened.close());
    const { db, gates } = gated(opened);
    const node = new ClusterNode({
      db,
      id: 'node-a',
      capacity: 10,
      heartbeatMs: 600_000,
      expiryMs: 60_000,
      requested: () => new Map(),
      log: silent,
    });
    await node.join('http://node-a', 'node-a:1');
    cleanups.push(async () => {
      gates.deleted?.open();
      await node.leave();
    });
    const rows = async (): Promise<string[]> =>
      (
        await opened.pool.query<{ pool_key: string }>(
          "SELECT pool_key FROM hearth_pc_reports WHERE node = 'node-a' ORDER BY pool_key",
        )
      ).rows.map((r) => r.pool_key);
    const report: ShareReport = {
      spec: spec.key,
      share: 2,
      allocated: 2,
      available: 2,
      busy: 0,
      status: 'READY',
    };
    node.setReport(KEY, report);
    await vi.waitFor(async () => expect(await rows()).toEqual([KEY]), { timeout: 10_000 });

    // The config leaves this node: the delete commits, and the flush is held right after.
    const deleted = new Gate();
    gates.deleted = deleted;
    node.setReport(KEY, undefined);
    await deleted.reached;
    // A read meanwhile (the write's own notification wakes one) sees the row gone.
    await new Promise<void>((resolve) => {
      const stop = node.onChange(() => {
        stop();
        resolve();
      });
      void opened.pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, 'reports']);
    });
    deleted.open();

    // Another report, written after anything the read could have queued: the deleted one
    // stays deleted.
    const other = `${KEY}-other`;
    node.setReport(other, report);
    await vi.waitFor(async () => expect(await rows()).toContain(other), { timeout: 10_000 });
    expect(await rows()).toEqual([other]);
  });
});
