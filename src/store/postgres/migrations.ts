/**
 * The PostgreSQL schema, migration by migration: the same history as the SQLite store's
 * (sqlite/migrations.ts, names in the same order; a test holds the two lists together), in
 * PostgreSQL's types. Records are `jsonb`; key columns and constraints are SQLite's.
 * `hearth_schema` keeps how many have run; each runs in its own transaction.
 */
import type pg from 'pg';

export type PgMigration = (db: pg.ClientBase) => Promise<unknown>;

const key = `account_id text NOT NULL, region text NOT NULL, namespace text NOT NULL`;
const child = (table: string, column: string): string => `
  CREATE TABLE ${table} (
    ${key}, function text NOT NULL, ${column} text NOT NULL, record jsonb NOT NULL,
    PRIMARY KEY (account_id, region, namespace, function, ${column}),
    FOREIGN KEY (account_id, region, namespace, function)
      REFERENCES functions (account_id, region, namespace, name) ON DELETE CASCADE
  );`;

export const pgMigrations: readonly PgMigration[] = [
  async function initialSchema(db) {
    await db.query(`
      CREATE TABLE functions (
        ${key}, name text NOT NULL, record jsonb NOT NULL,
        PRIMARY KEY (account_id, region, namespace, name)
      );
      ${child('versions', 'version')}
      ${child('aliases', 'name')}
      ${child('provisioned_configs', 'qualifier')}
      CREATE TABLE namespaces (
        account_id text NOT NULL, region text NOT NULL, name text NOT NULL, record jsonb NOT NULL,
        PRIMARY KEY (account_id, region, name)
      );
      CREATE TABLE settings (
        account_id text NOT NULL, region text NOT NULL, settings jsonb NOT NULL,
        PRIMARY KEY (account_id, region)
      );`);
  },
  async function scalableTargets(db) {
    // No foreign key to functions: a target outlives its function (Store port).
    await db.query(`
      CREATE TABLE scalable_targets (
        ${key}, function text NOT NULL, qualifier text NOT NULL, record jsonb NOT NULL,
        PRIMARY KEY (account_id, region, namespace, function, qualifier)
      );
      CREATE TABLE scaling_activities (
        seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE,
        ${key}, function text NOT NULL, qualifier text NOT NULL, record jsonb NOT NULL
      );
      CREATE INDEX scaling_activities_target
        ON scaling_activities (account_id, region, namespace, function, qualifier, seq);`);
  },
  async function layers(db) {
    await db.query(`
      CREATE TABLE layers (
        account_id text NOT NULL, region text NOT NULL, name text NOT NULL, last_version integer NOT NULL,
        PRIMARY KEY (account_id, region, name)
      );
      CREATE TABLE layer_versions (
        account_id text NOT NULL, region text NOT NULL, name text NOT NULL, version integer NOT NULL,
        record jsonb NOT NULL,
        PRIMARY KEY (account_id, region, name, version),
        FOREIGN KEY (account_id, region, name) REFERENCES layers (account_id, region, name) ON DELETE CASCADE
      );`);
  },
  async function scalingPolicyField(db) {
    await db.query(`
      UPDATE provisioned_configs
         SET record = (record - 'extra') || jsonb_build_object('scaling', record -> 'extra' -> 'scaling')
       WHERE jsonb_typeof(record -> 'extra' -> 'scaling') = 'object';
      UPDATE provisioned_configs SET record = record - 'extra' WHERE record ? 'extra';`);
  },
];

/**
 * The change feed's tables (postgres-store.ts): kept apart from the row tables' history,
 * which matches SQLite's migration for migration, since only a shared database has them.
 */
export const feedMigrations: readonly PgMigration[] = [
  async function changeFeed(db) {
    await db.query(`
      CREATE TABLE hearth_changes (
        seq bigserial PRIMARY KEY, writer text NOT NULL, ops jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE hearth_changes_floor (pruned_to bigint NOT NULL);
      INSERT INTO hearth_changes_floor (pruned_to) VALUES (0);`);
  },
];

/** Held while migrating, so that nodes starting together migrate one after another. */
const MIGRATE_LOCK = 0x6865_6172_746d;

/**
 * Brings the database up to the latest schema of `list` (its count kept in `table`);
 * refuses one written by a newer hearth.
 */
export async function migratePg(
  db: pg.ClientBase,
  list: readonly PgMigration[] = pgMigrations,
  table = 'hearth_schema',
): Promise<void> {
  await db.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
  try {
    await migrateLocked(db, list, table);
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
  }
}

async function migrateLocked(db: pg.ClientBase, list: readonly PgMigration[], table: string): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${table} (version integer NOT NULL)`);
  const res = await db.query<{ version: number }>(`SELECT version FROM ${table}`);
  let version = res.rows[0]?.version ?? 0;
  if (res.rows.length === 0) {
    await db.query(`INSERT INTO ${table} (version) VALUES (0)`);
  }
  if (version > list.length) {
    throw new Error(
      `the database's schema (version ${version}) is newer than this hearth supports (${list.length}): upgrade hearth`,
    );
  }
  for (const migration of list.slice(version)) {
    await db.query('BEGIN');
    try {
      await migration(db);
      await db.query(`UPDATE ${table} SET version = $1`, [version + 1]);
      await db.query('COMMIT');
    } catch (e) {
      await db.query('ROLLBACK');
      throw e;
    }
    version++;
  }
}
