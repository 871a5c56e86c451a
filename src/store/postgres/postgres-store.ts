/**
 * The Store port on PostgreSQL (`--store postgres://…`): the cached store
 * (../cached-store.ts) over this persistence, which loads every row at open and commits
 * each write's rows in one transaction, on one connection that it keeps for its life.
 *
 * The cache serves every read, so it is only coherent while this hearth is the database's
 * only writer: that connection holds a session advisory lock, and a second hearth on the
 * same database fails at open with a clear error (several nodes sharing one database come
 * with the cluster: ARCHITECTURE.md "Next shape"). A lost connection loses the lock: the
 * store then refuses every write (reads keep being served from memory) and says why.
 */
import pg from 'pg';
import type { Store } from '../../core/ports.js';
import { openCachedStore } from '../cached-store.js';
import {
  keyOf,
  rowParams,
  scopeOf,
  type KeyRow,
  type Persistence,
  type Snapshot,
  type WriteOp,
} from '../persistence.js';
import { migratePg } from './migrations.js';

/** The advisory lock every hearth takes on its database ('hearth' as an int8). */
const STORE_LOCK = 0x6865_6172_7468;

const keyCols = 'account_id, region, namespace';
const childSql = (table: string, column: string): { upsert: string; del: string } => ({
  upsert:
    `INSERT INTO ${table} (${keyCols}, function, ${column}, record) VALUES ($1, $2, $3, $4, $5, $6::jsonb) ` +
    `ON CONFLICT (${keyCols}, function, ${column}) DO UPDATE SET record = excluded.record`,
  del: `DELETE FROM ${table} WHERE account_id = $1 AND region = $2 AND namespace = $3 AND function = $4 AND ${column} = $5`,
});
const aliases = childSql('aliases', 'name');
const provisioned = childSql('provisioned_configs', 'qualifier');
const targets = childSql('scalable_targets', 'qualifier');

/** Statements in the parameter order of persistence.ts `rowParams`. */
const SQL: Record<WriteOp['op'], string> = {
  'insert-function': `INSERT INTO functions (${keyCols}, name, record) VALUES ($1, $2, $3, $4, $5::jsonb)`,
  'update-function':
    'UPDATE functions SET record = $1::jsonb WHERE account_id = $2 AND region = $3 AND namespace = $4 AND name = $5',
  'delete-function':
    'DELETE FROM functions WHERE account_id = $1 AND region = $2 AND namespace = $3 AND name = $4',
  'insert-version': `INSERT INTO versions (${keyCols}, function, version, record) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
  'delete-version':
    'DELETE FROM versions WHERE account_id = $1 AND region = $2 AND namespace = $3 AND function = $4 AND version = $5',
  'upsert-alias': aliases.upsert,
  'delete-alias': aliases.del,
  'upsert-provisioned': provisioned.upsert,
  'delete-provisioned': provisioned.del,
  'insert-namespace':
    'INSERT INTO namespaces (account_id, region, name, record) VALUES ($1, $2, $3, $4::jsonb)',
  'delete-namespace': 'DELETE FROM namespaces WHERE account_id = $1 AND region = $2 AND name = $3',
  'upsert-settings':
    'INSERT INTO settings (account_id, region, settings) VALUES ($1, $2, $3::jsonb) ' +
    'ON CONFLICT (account_id, region) DO UPDATE SET settings = excluded.settings',
  'upsert-target': targets.upsert,
  'delete-target': targets.del,
  'upsert-activity':
    `INSERT INTO scaling_activities (id, ${keyCols}, function, qualifier, record) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ` +
    'ON CONFLICT (id) DO UPDATE SET record = excluded.record',
  'delete-activity': 'DELETE FROM scaling_activities WHERE id = $1',
  'upsert-layer':
    'INSERT INTO layers (account_id, region, name, last_version) VALUES ($1, $2, $3, $4) ' +
    'ON CONFLICT (account_id, region, name) DO UPDATE SET last_version = excluded.last_version',
  'insert-layer-version':
    'INSERT INTO layer_versions (account_id, region, name, version, record) VALUES ($1, $2, $3, $4, $5::jsonb)',
  'delete-layer-version':
    'DELETE FROM layer_versions WHERE account_id = $1 AND region = $2 AND name = $3 AND version = $4',
};

/** Opens (and migrates) the database at `url`; fails clearly when it cannot. */
export async function openPostgresStore(url: string): Promise<Store> {
  return openCachedStore(await PostgresPersistence.open(url), redact(url));
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') {
      u.password = '***';
    }
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

class PostgresPersistence implements Persistence {
  readonly #client: pg.Client;
  /** Why writes are refused (the connection, and with it the lock, was lost). */
  #broken: Error | undefined;

  static async open(url: string): Promise<PostgresPersistence> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    // Before connect: an error event without a listener would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      throw new Error(`cannot reach PostgreSQL at ${redact(url)}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [STORE_LOCK]);
      if (lock.rows[0]?.ok !== true) {
        throw new Error(
          `${redact(url)} is in use by another hearth (one hearth per database until nodes share one)`,
        );
      }
      await migratePg(client);
      return new PostgresPersistence(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  private constructor(client: pg.Client) {
    this.#client = client;
    client.removeAllListeners('error');
    client.on('error', (e) => {
      this.#broken = e;
    });
    client.on('end', () => {
      this.#broken ??= new Error('the connection to PostgreSQL ended');
    });
  }

  async load(): Promise<Snapshot> {
    const all = async <T extends object>(sql: string): Promise<T[]> =>
      (await this.#client.query<T>(sql)).rows;
    const children = async (table: string, column: string) =>
      (
        await all<KeyRow & { child: string }>(
          `SELECT account_id, region, namespace, function, ${column} AS child, record::text AS record FROM ${table}`,
        )
      ).map((row) => ({ key: keyOf(row), child: row.child, json: row.record }));
    const scoped = async (sql: string) =>
      (await all<{ account_id: string; region: string; name: string; record: string }>(sql)).map((row) => ({
        scope: scopeOf(row),
        name: row.name,
        json: row.record,
      }));
    return {
      functions: (
        await all<KeyRow>(
          'SELECT account_id, region, namespace, name AS function, record::text AS record FROM functions',
        )
      ).map((row) => ({ key: keyOf(row), json: row.record })),
      versions: await children('versions', 'version'),
      aliases: await children('aliases', 'name'),
      provisioned: await children('provisioned_configs', 'qualifier'),
      namespaces: await scoped('SELECT account_id, region, name, record::text AS record FROM namespaces'),
      settings: await scoped("SELECT account_id, region, '' AS name, settings::text AS record FROM settings"),
      targets: (
        await all<KeyRow>(
          'SELECT account_id, region, namespace, function, record::text AS record FROM scalable_targets',
        )
      ).map((row) => ({ key: keyOf(row), json: row.record })),
      activities: (
        await all<KeyRow & { seq: string }>(
          'SELECT seq, account_id, region, namespace, function, record::text AS record FROM scaling_activities ORDER BY seq',
        )
      ).map((row) => ({ key: keyOf(row), json: row.record, seq: Number(row.seq) })),
      layers: (
        await all<{ account_id: string; region: string; name: string; last_version: number }>(
          'SELECT account_id, region, name, last_version FROM layers',
        )
      ).map((row) => ({ scope: scopeOf(row), name: row.name, json: '', last: row.last_version })),
      layerVersions: (
        await all<{ account_id: string; region: string; name: string; version: number; record: string }>(
          'SELECT account_id, region, name, version, record::text AS record FROM layer_versions',
        )
      ).map((row) => ({ scope: scopeOf(row), name: row.name, json: row.record, version: row.version })),
    };
  }

  async commit(ops: readonly WriteOp[]): Promise<void> {
    if (this.#broken !== undefined) {
      throw new Error(
        `PostgreSQL connection lost, writes are refused until hearth restarts: ${this.#broken.message}`,
      );
    }
    const c = this.#client;
    await c.query('BEGIN');
    try {
      for (const o of ops) {
        await c.query(SQL[o.op], rowParams(o));
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
