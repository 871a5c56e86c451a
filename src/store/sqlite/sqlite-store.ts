/**
 * The Store port on SQLite (better-sqlite3): the cached store (../cached-store.ts) over
 * this file's persistence, which loads every row at open and commits each write's rows in
 * one IMMEDIATE transaction.
 *
 * The cache serves every read, so it is only coherent while this process is the
 * database's only writer: the database is opened with an exclusive lock, and a second
 * hearth pointed at the same data dir fails at open instead of serving stale reads.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../../core/ports.js';
import { openCachedStore } from '../cached-store.js';
import {
  keyOf,
  rowParams,
  scopeOf,
  type KeyRow,
  type ChildRow,
  type FunctionRow,
  type Persistence,
  type ScopeRow,
  type Snapshot,
  type WriteOp,
} from '../persistence.js';
import { migrate } from './migrations.js';

/** How long a writer waits for a lock held by another connection before failing. */
const BUSY_TIMEOUT_MS = 5_000;

type Statement = Database.Statement<unknown[], unknown>;

export async function openSqliteStore(file: string): Promise<Store> {
  return openCachedStore(SqlitePersistence.open(file), file);
}

/** The tables of migrations.ts, by the cached store's row operations. */
class SqlitePersistence implements Persistence {
  readonly #db: Database.Database;
  readonly #sql: Record<WriteOp['op'], Statement>;

  static open(file: string): SqlitePersistence {
    if (file !== ':memory:') {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    }
    const db = new Database(file);
    try {
      configure(db, file);
      migrate(db);
      return new SqlitePersistence(db);
    } catch (e) {
      db.close();
      if (e instanceof Database.SqliteError && e.code === 'SQLITE_BUSY') {
        throw new Error(`${file} is locked by another process (is another hearth using this data dir?)`, {
          cause: e,
        });
      }
      throw e;
    }
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    const child = (table: string, column: string): { upsert: Statement; del: Statement } => ({
      upsert: db.prepare(
        `INSERT INTO ${table} (account_id, region, namespace, function, ${column}, record) VALUES (?, ?, ?, ?, ?, ?) ` +
          `ON CONFLICT DO UPDATE SET record = excluded.record`,
      ),
      del: db.prepare(
        `DELETE FROM ${table} WHERE account_id = ? AND region = ? AND namespace = ? AND function = ? AND ${column} = ?`,
      ),
    });
    const aliases = child('aliases', 'name');
    const provisioned = child('provisioned_configs', 'qualifier');
    const targets = child('scalable_targets', 'qualifier');
    const p = (sql: string): Statement => db.prepare(sql);
    this.#sql = {
      'insert-function': p(
        'INSERT INTO functions (account_id, region, namespace, name, record) VALUES (?, ?, ?, ?, ?)',
      ),
      'update-function': p(
        'UPDATE functions SET record = ? WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?',
      ),
      // versions, aliases and provisioned configs go with it through ON DELETE CASCADE.
      'delete-function': p(
        'DELETE FROM functions WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?',
      ),
      'insert-version': p(
        'INSERT INTO versions (account_id, region, namespace, function, version, record) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      'delete-version': p(
        'DELETE FROM versions WHERE account_id = ? AND region = ? AND namespace = ? AND function = ? AND version = ?',
      ),
      'upsert-alias': aliases.upsert,
      'delete-alias': aliases.del,
      'upsert-provisioned': provisioned.upsert,
      'delete-provisioned': provisioned.del,
      'insert-namespace': p('INSERT INTO namespaces (account_id, region, name, record) VALUES (?, ?, ?, ?)'),
      'delete-namespace': p('DELETE FROM namespaces WHERE account_id = ? AND region = ? AND name = ?'),
      'upsert-settings': p(
        'INSERT INTO settings (account_id, region, settings) VALUES (?, ?, ?) ' +
          'ON CONFLICT DO UPDATE SET settings = excluded.settings',
      ),
      'upsert-target': targets.upsert,
      'delete-target': targets.del,
      'upsert-activity': p(
        'INSERT INTO scaling_activities (id, account_id, region, namespace, function, qualifier, record) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
      ),
      'delete-activity': p('DELETE FROM scaling_activities WHERE id = ?'),
      'upsert-layer': p(
        'INSERT INTO layers (account_id, region, name, last_version) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT DO UPDATE SET last_version = excluded.last_version',
      ),
      'insert-layer-version': p(
        'INSERT INTO layer_versions (account_id, region, name, version, record) VALUES (?, ?, ?, ?, ?)',
      ),
      'delete-layer-version': p(
        'DELETE FROM layer_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
      ),
    };
  }

  load(): Promise<Snapshot> {
    const db = this.#db;
    const all = <T>(sql: string): T[] => db.prepare<[], T>(sql).all();
    const children = (table: string, column: string): ChildRow[] =>
      all<KeyRow & { child: string }>(
        `SELECT account_id, region, namespace, function, ${column} AS child, record FROM ${table}`,
      ).map((row) => ({ key: keyOf(row), child: row.child, json: row.record }));
    const functions: FunctionRow[] = all<KeyRow>(
      'SELECT account_id, region, namespace, name AS function, record FROM functions',
    ).map((row) => ({ key: keyOf(row), json: row.record }));
    const scoped = (sql: string): ScopeRow[] =>
      all<{ account_id: string; region: string; name: string; record: string }>(sql).map((row) => ({
        scope: scopeOf(row),
        name: row.name,
        json: row.record,
      }));
    return Promise.resolve({
      functions,
      versions: children('versions', 'version'),
      aliases: children('aliases', 'name'),
      provisioned: children('provisioned_configs', 'qualifier'),
      namespaces: scoped('SELECT account_id, region, name, record FROM namespaces'),
      settings: scoped("SELECT account_id, region, '' AS name, settings AS record FROM settings"),
      targets: all<KeyRow>(
        'SELECT account_id, region, namespace, function, record FROM scalable_targets',
      ).map((row) => ({ key: keyOf(row), json: row.record })),
      activities: all<KeyRow & { seq: number }>(
        'SELECT seq, account_id, region, namespace, function, record FROM scaling_activities ORDER BY seq',
      ).map((row) => ({ key: keyOf(row), json: row.record, seq: row.seq })),
      layers: all<{ account_id: string; region: string; name: string; last_version: number }>(
        'SELECT account_id, region, name, last_version FROM layers',
      ).map((row) => ({ scope: scopeOf(row), name: row.name, json: '', last: row.last_version })),
      layerVersions: all<{
        account_id: string;
        region: string;
        name: string;
        version: number;
        record: string;
      }>('SELECT account_id, region, name, version, record FROM layer_versions').map((row) => ({
        scope: scopeOf(row),
        name: row.name,
        json: row.record,
        version: row.version,
      })),
    });
  }

  commit(ops: readonly WriteOp[]): Promise<void> {
    try {
      // IMMEDIATE takes the write lock up front; we hold it exclusively anyway, but it
      // keeps the intent explicit should the locking mode ever change.
      this.#db
        .transaction(() => {
          for (const o of ops) {
            this.#sql[o.op].run(...rowParams(o));
          }
        })
        .immediate();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

function configure(db: Database.Database, file: string): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // The cache is authoritative for reads, so no other connection may write behind our
  // back: hold the file lock for the connection's lifetime (in WAL mode this also keeps
  // the WAL index in process memory instead of a shared -shm file).
  db.pragma('locking_mode = EXCLUSIVE');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (file !== ':memory:' && mode !== 'wal') {
    throw new Error(`could not switch ${file} to WAL mode (got ${String(mode)})`);
  }
  // Durability: with WAL, synchronous=NORMAL fsyncs the WAL at checkpoints, not at every
  // commit. A committed transaction is in the WAL file (in the OS page cache) when COMMIT
  // returns, so a killed process (kill -9, crash, OOM) loses nothing acknowledged; only an
  // OS crash or power cut can drop the last commits, and even then the database stays
  // consistent (the WAL is checksummed). That is the durability hearth promises
  // (ARCHITECTURE.md principle 7) at a fraction of FULL's per-commit fsync cost.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Taking the exclusive lock needs one read; doing it here makes a second hearth on the
  // same database fail at open (SQLITE_BUSY after the timeout) rather than on first write.
  db.prepare('SELECT count(*) FROM sqlite_master').get();
}
