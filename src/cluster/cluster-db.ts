/**
 * The cluster's tables in the shared PostgreSQL database, beside the store's: nodes and
 * their heartbeats and addresses, leases (the leader's, fenced), the provisioned shares the leader
 * placed (and the moves in force), each node's report of its share, code packages, and the secret that
 * authenticates cluster links (forwarded invokes). Times are the database's (`now()`), never a node's clock, so a
 * node whose clock is off neither expires others early nor lives on late.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migratePg, type PgMigration } from '../store/postgres/migrations.js';
import { redact } from '../store/postgres/postgres-store.js';

export { listen } from '../store/postgres/listen.js';

export const clusterMigrations: readonly PgMigration[] = [
  async function clusterTables(db) {
    await db.query(`
      CREATE TABLE hearth_nodes (
        id text PRIMARY KEY, incarnation text NOT NULL, url text NOT NULL, capacity integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(), heartbeat_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE hearth_leases (
        name text PRIMARY KEY, holder text NOT NULL, fence bigint NOT NULL, expires_at timestamptz NOT NULL
      );
      CREATE TABLE hearth_pc_shares (
        pool_key text NOT NULL, node text NOT NULL, count integer NOT NULL,
        PRIMARY KEY (pool_key, node)
      );
      CREATE TABLE hearth_pc_unplaced (pool_key text PRIMARY KEY, count integer NOT NULL);
      CREATE TABLE hearth_pc_reports (
        node text NOT NULL, pool_key text NOT NULL, spec text NOT NULL, share integer NOT NULL, allocated integer NOT NULL,
        available integer NOT NULL, busy integer NOT NULL, status text NOT NULL, reason text,
        PRIMARY KEY (node, pool_key)
      );
      CREATE TABLE hearth_packages (sha256 text PRIMARY KEY, bytes bytea NOT NULL);
      CREATE TABLE hearth_cluster_secret (secret text NOT NULL);`);
  },
  async function clusterLinks(db) {
    // Where a node takes cluster links (forwarded invokes): host:port of its cluster port.
    await db.query(`ALTER TABLE hearth_nodes ADD COLUMN link text NOT NULL DEFAULT ''`);
  },
  async function placementMoves(db) {
    // A make-before-break move of a config's environments from one node to another
    // (placement.ts rule 5): the receiver's share already includes `count`.
    await db.query(`
      CREATE TABLE hearth_pc_moves (
        pool_key text PRIMARY KEY, giver text NOT NULL, receiver text NOT NULL, count integer NOT NULL
      )`);
  },
];

/** Notifications of cluster state (shares placed, reports, nodes joining or leaving). */
export const CLUSTER_CHANNEL = 'hearth_cluster';

export interface ClusterDb {
  readonly pool: pg.Pool;
  /** Heartbeats' own connection: they never wait behind reads, reports or placements. */
  readonly beats: pg.Pool;
  readonly url: string;
  /** The secret cluster links are authenticated with (made by the first node). */
  readonly secret: string;
  close(): Promise<void>;
}

/** Connects, migrates the cluster's tables and reads (or makes) the cluster secret. */
export async function openClusterDb(url: string): Promise<ClusterDb> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  // A client's connection lost while it is checked out is reported on the client: the
  // query in flight fails with it; unheard, it would end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const client = await pool.connect().catch((e: unknown) => {
      throw new Error(`cannot reach PostgreSQL at ${redact(url)}: ${(e as Error).message}`, { cause: e });
    });
    try {
      await migratePg(client, clusterMigrations, 'hearth_cluster_schema');
      await client.query('BEGIN');
      await client.query('LOCK TABLE hearth_cluster_secret IN EXCLUSIVE MODE');
      let row = (await client.query<{ secret: string }>('SELECT secret FROM hearth_cluster_secret')).rows[0];
      if (row === undefined) {
        row = { secret: randomBytes(32).toString('hex') };
        await client.query('INSERT INTO hearth_cluster_secret (secret) VALUES ($1)', [row.secret]);
      }
      await client.query('COMMIT');
      const secret = row.secret;
      const beats = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
      beats.on('error', () => undefined);
      beats.on('connect', (client) => client.on('error', () => undefined));
      return {
        pool,
        beats,
        url,
        secret,
        close: async () => {
          await beats.end().catch(() => undefined);
          await pool.end().catch(() => undefined);
        },
      };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
}
