/**
 * The placement's rows in the shared database (cluster-db.ts's tables), read and written
 * for cluster-node.ts: the shares the leader placed, what fits nowhere, the moves in force
 * (placement.ts rule 5), and every node's report of its share. A read is one snapshot (a
 * move and the shares it grew come together); a placement is written whole, fenced by the
 * leader's lease, in one transaction with its notification.
 */
import type pg from 'pg';
import type { ProvisionedStatus } from '../core/model.js';
import { CLUSTER_CHANNEL } from './cluster-db.js';
import type { Move, Placement } from './placement.js';

/** What a node reports of one config's share. */
export interface ShareReport extends ProvisionedStatus {
  /** The spec key the share runs: a node still on the spec an alias left is not READY for the new one. */
  readonly spec: string;
  /** The share this report is about: a report of an older share is not READY for a new one. */
  readonly share: number;
  readonly busy: number;
}

/** A live node's row (cluster-node.ts NodeInfo). */
export interface LiveNode {
  readonly id: string;
  readonly url: string;
  readonly link: string;
  readonly capacity: number;
}

/** The nodes whose heartbeat is younger than `expiryMs` (database time), by id. */
export const LIVE_NODES = `SELECT id, url, link, capacity FROM hearth_nodes
  WHERE heartbeat_at >= now() - make_interval(secs => $1::double precision / 1000) ORDER BY id`;

/** Everything placement-related as last read (or written by this node as leader). */
export interface PlacementState {
  /** config → node → count. */
  readonly shares: Map<string, Map<string, number>>;
  readonly unplaced: Map<string, number>;
  readonly moves: Map<string, Move>;
  /** node → config → its report. */
  readonly reports: Map<string, Map<string, ShareReport>>;
  /** The live nodes in the same snapshot: every node holding a share the leader placed is among them, unless it died since. */
  readonly live: readonly LiveNode[];
}

interface ReportRow {
  node: string;
  pool_key: string;
  spec: string;
  share: number;
  allocated: number;
  available: number;
  busy: number;
  status: ProvisionedStatus['status'];
  reason: string | null;
}

/** Reads the placement, every report and the live nodes in one snapshot. */
export async function readPlacementState(pool: pg.Pool, expiryMs: number): Promise<PlacementState> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const shares = await db.query<{ pool_key: string; node: string; count: number }>(
      'SELECT pool_key, node, count FROM hearth_pc_shares',
    );
    const unplaced = await db.query<{ pool_key: string; count: number }>(
      'SELECT pool_key, count FROM hearth_pc_unplaced',
    );
    const moves = await db.query<{ pool_key: string; giver: string; receiver: string; count: number }>(
      'SELECT pool_key, giver, receiver, count FROM hearth_pc_moves',
    );
    const reports = await db.query<ReportRow>(
      'SELECT node, pool_key, spec, share, allocated, available, busy, status, reason FROM hearth_pc_reports',
    );
    const live = await db.query<LiveNode>(LIVE_NODES, [expiryMs]);
    await db.query('COMMIT');
    const rep = new Map<string, Map<string, ShareReport>>();
    for (const r of reports.rows) {
      inner(rep, r.node).set(r.pool_key, {
        spec: r.spec,
        share: r.share,
        allocated: r.allocated,
        available: r.available,
        busy: r.busy,
        status: r.status,
        ...(r.reason === null ? {} : { statusReason: r.reason }),
      });
    }
    const s = new Map<string, Map<string, number>>();
    for (const r of shares.rows) {
      inner(s, r.pool_key).set(r.node, r.count);
    }
    return {
      shares: s,
      unplaced: new Map(unplaced.rows.map((r) => [r.pool_key, r.count])),
      moves: new Map(
        moves.rows.map((r) => [r.pool_key, { giver: r.giver, receiver: r.receiver, count: r.count }]),
      ),
      reports: rep,
      live: live.rows.map((r) => ({ id: r.id, url: r.url, link: r.link, capacity: r.capacity })),
    };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    db.release();
  }
}

/**
 * Writes a placement in place of the one in force, if `holder` still holds the leader's
 * lease under `fence`; false (nothing written) when it does not.
 */
export async function writePlacement(
  pool: pg.Pool,
  lease: { readonly name: string; readonly holder: string; readonly fence: number },
  placement: Placement,
): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const held = await client.query(
      'SELECT 1 FROM hearth_leases WHERE name = $1 AND holder = $2 AND fence = $3 AND expires_at > now() FOR UPDATE',
      [lease.name, lease.holder, lease.fence],
    );
    if (held.rowCount !== 1) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query('DELETE FROM hearth_pc_shares');
    await client.query('DELETE FROM hearth_pc_unplaced');
    await client.query('DELETE FROM hearth_pc_moves');
    await insertRows(
      client,
      'hearth_pc_shares (pool_key, node, count)',
      [...placement.shares].flatMap(([key, s]) => [...s].map(([node, n]) => [key, node, n])),
    );
    await insertRows(client, 'hearth_pc_unplaced (pool_key, count)', [...placement.unplaced]);
    await insertRows(
      client,
      'hearth_pc_moves (pool_key, giver, receiver, count)',
      [...placement.moves].map(([key, mv]) => [key, mv.giver, mv.receiver, mv.count]),
    );
    await client.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, 'shares']);
    await client.query('COMMIT');
    return true;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Writes a node's reports (undefined: the node runs none of that config any more). */
export async function writeReports(
  pool: pg.Pool,
  node: string,
  batch: readonly (readonly [string, ShareReport | undefined])[],
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const [key, r] of batch) {
      if (r === undefined) {
        await client.query('DELETE FROM hearth_pc_reports WHERE node = $1 AND pool_key = $2', [node, key]);
      } else {
        await client.query(
          `INSERT INTO hearth_pc_reports (node, pool_key, spec, share, allocated, available, busy, status, reason)
           VALUES ($1, $2, $9, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (node, pool_key) DO UPDATE SET spec = excluded.spec, share = excluded.share, allocated = excluded.allocated,
             available = excluded.available, busy = excluded.busy, status = excluded.status, reason = excluded.reason`,
          [node, key, r.share, r.allocated, r.available, r.busy, r.status, r.statusReason ?? null, r.spec],
        );
      }
    }
    await client.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, 'reports']);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Whether a placement is the one in force. */
export function samePlacement(a: Placement, b: Omit<PlacementState, 'reports' | 'live'>): boolean {
  if (
    a.shares.size !== b.shares.size ||
    !sameCounts(a.unplaced, b.unplaced) ||
    a.moves.size !== b.moves.size
  ) {
    return false;
  }
  for (const [key, s] of a.shares) {
    const t = b.shares.get(key);
    if (t === undefined || !sameCounts(s, t)) {
      return false;
    }
  }
  for (const [key, m] of a.moves) {
    const n = b.moves.get(key);
    if (n === undefined || n.giver !== m.giver || n.receiver !== m.receiver || n.count !== m.count) {
      return false;
    }
  }
  return true;
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) {
    return false;
  }
  for (const [k, v] of a) {
    if (b.get(k) !== v) {
      return false;
    }
  }
  return true;
}

function inner<V>(m: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let v = m.get(key);
  if (v === undefined) {
    v = new Map();
    m.set(key, v);
  }
  return v;
}

async function insertRows(
  client: pg.PoolClient,
  target: string,
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  if (rows.length === 0) {
    return;
  }
  const width = rows[0]?.length ?? 0;
  const values = rows.map(
    (_, i) => `(${Array.from({ length: width }, (_, j) => `$${i * width + j + 1}`).join(', ')})`,
  );
  await client.query(`INSERT INTO ${target} VALUES ${values.join(', ')}`, rows.flat());
}
