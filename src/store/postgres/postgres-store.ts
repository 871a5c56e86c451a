/**
 * The Store port on PostgreSQL (`--store postgres://…`): the cached store
 * (../cached-store.ts) over this persistence, which loads every row at open and commits
 * each write's rows in one transaction.
 *
 * Several hearth nodes may share the database. The cache serves every read, so each node
 * keeps its cache coherent through the change feed: every commit appends its row
 * operations to `hearth_changes` (under one database-wide write lock, so seq order is
 * commit order) and NOTIFYs; the other nodes replay them (a LISTEN connection wakes a
 * catch-up read, and every write catches up first, under the same lock, before it is
 * checked). A lost connection is opened again by itself: meanwhile writes are refused with
 * the reason and reads keep being served from memory.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Store } from '../../core/ports.js';
import { openCachedStore } from '../cached-store.js';
import {
  keyOf,
  rowParams,
  scopeOf,
  type KeyRow,
  type Persistence,
  type RemoteBatch,
  type Snapshot,
  type WriteOp,
  type WriteTx,
} from '../persistence.js';
import { listen } from './listen.js';
import { feedMigrations, migratePg } from './migrations.js';

/** Every write holds this lock ('hearth' + 'w' as an int8) until it commits: commit order is seq order. */
const WRITE_LOCK = 0x6865_6172_7477;
/** Notifications of committed writes carry their seq. */
const CHANNEL = 'hearth_changes';
/** Changes are kept this long, then pruned; a node that missed more reloads every row. */
const KEEP_CHANGES = '1 hour';
const PRUNE_EVERY_MS = 60_000;
/** A catch-up read at least this often, should a notification be missed. */
const SAFETY_POLL_MS = 5_000;

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

export interface PostgresStoreOptions {
  /** Who writes (a node id and incarnation): its own changes are not replayed to it. */
  readonly writer?: string;
}

/** Opens (and migrates) the database at `url`; fails clearly when it cannot. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  return openCachedStore(
    await PostgresPersistence.open(url, opts.writer ?? `w-${randomBytes(8).toString('hex')}`),
    redact(url),
  );
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

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // Before connect: an error event without a listener would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot reach PostgreSQL at ${redact(url)}: ${(e as Error).message}`, { cause: e });
  }
}

type ChangeRow = { seq: string; writer: string; ops: string };

/**
 * Rows on one connection that this persistence keeps for its life (and opens again when it
 * is lost), plus a second one that LISTENs for the other writers' commits. Every commit
 * also appends its row operations to `hearth_changes` under one database-wide write lock,
 * so the feed's order is commit order and a reader that has seen seq n has seen all before.
 */
class PostgresPersistence implements Persistence {
  readonly #url: string;
  readonly #writer: string;
  #client: pg.Client;
  /** Why the connection is down (it is being opened again). */
  #broken: Error | undefined;
  #reconnecting: Promise<void> | undefined;
  #closed = false;
  /** The last change this process has seen (its own or replayed). */
  #last = 0;
  #lastPruneMs = Date.now();
  #wake: (() => void) | undefined;

  static async open(url: string, writer: string): Promise<PostgresPersistence> {
    const client = await connect(url);
    try {
      await migratePg(client);
      await migratePg(client, feedMigrations, 'hearth_feed_schema');
      return new PostgresPersistence(url, writer, client);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  private constructor(url: string, writer: string, client: pg.Client) {
    this.#url = url;
    this.#writer = writer;
    this.#client = client;
    this.#watchConnection(client);
  }

  #watchConnection(client: pg.Client): void {
    client.removeAllListeners('error');
    const lost = (e: Error): void => {
      if (this.#client !== client || this.#closed) {
        return;
      }
      this.#broken ??= e;
      this.#reconnecting ??= this.#reconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the connection to PostgreSQL ended')));
  }

  /** Opens the connection again with a growing pause; then wakes a catch-up. */
  async #reconnect(): Promise<void> {
    let pauseMs = 100;
    while (!this.#closed) {
      try {
        const client = await connect(this.#url);
        this.#client = client;
        this.#watchConnection(client);
        this.#broken = undefined;
        this.#reconnecting = undefined;
        this.#wake?.();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, pauseMs).unref());
        pauseMs = Math.min(pauseMs * 2, 5_000);
      }
    }
  }

  #usable(): pg.Client {
    if (this.#broken !== undefined) {
      throw new Error(
        `PostgreSQL connection lost (hearth is reconnecting; writes are refused until then): ${this.#broken.message}`,
      );
    }
    return this.#client;
  }

  async load(): Promise<Snapshot> {
    const client = this.#usable();
    // One snapshot for the rows and the feed's position, so no change is missed or replayed.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const last = await client.query<{ last: string }>(
        'SELECT COALESCE(MAX(seq), 0)::text AS last FROM hearth_changes',
      );
      const snapshot = await this.#rows(client);
      await client.query('COMMIT');
      this.#last = Number(last.rows[0]?.last ?? 0);
      return snapshot;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async #rows(client: pg.Client): Promise<Snapshot> {
    const all = async <T extends object>(sql: string): Promise<T[]> => (await client.query<T>(sql)).rows;
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

  /** One write's rows in one transaction (a database this process alone writes to is not assumed). */
  async commit(ops: readonly WriteOp[]): Promise<void> {
    const tx = await this.begin();
    if (tx.remote === 'reload' || tx.remote.length > 0) {
      await tx.abort();
      throw new Error('another node wrote to the database: commit through begin()');
    }
    await tx.commit(ops);
  }

  async begin(): Promise<WriteTx> {
    const client = this.#usable();
    await client.query('BEGIN');
    let remote: readonly RemoteBatch[] | 'reload';
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      remote = await this.#since(client);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return {
      remote,
      commit: async (ops) => {
        try {
          for (const o of ops) {
            await client.query(SQL[o.op], rowParams(o));
          }
          if (ops.length > 0) {
            const res = await client.query<{ seq: string }>(
              'INSERT INTO hearth_changes (writer, ops) VALUES ($1, $2::jsonb) RETURNING seq::text AS seq',
              [this.#writer, JSON.stringify(ops)],
            );
            const seq = res.rows[0]?.seq ?? '0';
            await client.query('SELECT pg_notify($1, $2)', [CHANNEL, seq]);
            await client.query('COMMIT');
            this.#last = Number(seq);
          } else {
            await client.query('COMMIT');
          }
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      },
      abort: async () => {
        await client.query('ROLLBACK');
      },
    };
  }

  async poll(): Promise<readonly RemoteBatch[] | 'reload'> {
    const client = this.#usable();
    if (Date.now() - this.#lastPruneMs > PRUNE_EVERY_MS) {
      this.#lastPruneMs = Date.now();
      await this.#prune(client);
    }
    return this.#since(client);
  }

  /** Other writers' batches after the last one seen; 'reload' when some were pruned unseen. */
  async #since(client: pg.Client): Promise<readonly RemoteBatch[] | 'reload'> {
    const floor = await client.query<{ pruned_to: string }>(
      'SELECT pruned_to::text AS pruned_to FROM hearth_changes_floor',
    );
    if (Number(floor.rows[0]?.pruned_to ?? 0) > this.#last) {
      return 'reload';
    }
    const res = await client.query<ChangeRow>(
      'SELECT seq::text AS seq, writer, ops::text AS ops FROM hearth_changes WHERE seq > $1 ORDER BY seq',
      [this.#last],
    );
    const out: RemoteBatch[] = [];
    for (const row of res.rows) {
      this.#last = Number(row.seq);
      if (row.writer !== this.#writer) {
        out.push(JSON.parse(row.ops) as RemoteBatch);
      }
    }
    return out;
  }

  /** Forgets changes older than KEEP_CHANGES (a node away longer reloads every row). */
  async #prune(client: pg.Client): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      await client.query(
        `WITH gone AS (DELETE FROM hearth_changes WHERE at < now() - interval '${KEEP_CHANGES}' RETURNING seq)
         UPDATE hearth_changes_floor SET pruned_to = GREATEST(pruned_to, (SELECT COALESCE(MAX(seq), 0) FROM gone))`,
      );
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** LISTENs on a connection of its own (listen.ts) and polls as a safety net. */
  watch(wake: () => void): () => void {
    this.#wake = wake;
    const stop = listen(this.#url, CHANNEL, wake);
    const safety = setInterval(wake, SAFETY_POLL_MS);
    safety.unref();
    return () => {
      clearInterval(safety);
      stop();
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.end().catch(() => undefined);
  }
}
