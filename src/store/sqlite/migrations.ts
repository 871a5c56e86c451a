/**
 * Schema migrations for the SQLite store, applied in order at open.
 *
 * `PRAGMA user_version` holds the number of migrations already applied. Each migration
 * runs in its own transaction together with the bump of `user_version`, so a crash
 * mid-migration leaves the database at the previous version, never half-migrated.
 * Migrations are append-only: never edit one that has shipped, add a new one.
 *
 * Records are stored as JSON next to their key columns: the store reads every row into
 * memory at open (see sqlite-store.ts), so SQL only needs the keys for uniqueness,
 * cascades and targeted writes.
 */
import type Database from 'better-sqlite3';

export type Migration = (db: Database.Database) => void;

export const migrations: readonly Migration[] = [
  function initialSchema(db) {
    db.exec(`
      CREATE TABLE functions (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        name       TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, namespace, name)
      ) WITHOUT ROWID;

      CREATE TABLE versions (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        function   TEXT NOT NULL,
        version    TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, namespace, function, version),
        FOREIGN KEY (account_id, region, namespace, function)
          REFERENCES functions (account_id, region, namespace, name) ON DELETE CASCADE
      ) WITHOUT ROWID;

      CREATE TABLE aliases (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        function   TEXT NOT NULL,
        name       TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, namespace, function, name),
        FOREIGN KEY (account_id, region, namespace, function)
          REFERENCES functions (account_id, region, namespace, name) ON DELETE CASCADE
      ) WITHOUT ROWID;

      -- qualifier is an alias name or a version number; the rows that name a deleted
      -- alias or version are removed by the store in the same transaction.
      CREATE TABLE provisioned_configs (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        function   TEXT NOT NULL,
        qualifier  TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, namespace, function, qualifier),
        FOREIGN KEY (account_id, region, namespace, function)
          REFERENCES functions (account_id, region, namespace, name) ON DELETE CASCADE
      ) WITHOUT ROWID;

      CREATE TABLE namespaces (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        name       TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, name)
      ) WITHOUT ROWID;

      CREATE TABLE settings (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        settings   TEXT NOT NULL CHECK (json_valid(settings)),
        PRIMARY KEY (account_id, region)
      ) WITHOUT ROWID;
    `);
  },
  function scalableTargets(db) {
    // No foreign key to functions: a target outlives its function (Store port).
    db.exec(`
      CREATE TABLE scalable_targets (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        function   TEXT NOT NULL,
        qualifier  TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, namespace, function, qualifier)
      ) WITHOUT ROWID;

      CREATE TABLE scaling_activities (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        function   TEXT NOT NULL,
        qualifier  TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record))
      );
      CREATE INDEX scaling_activities_target
        ON scaling_activities (account_id, region, namespace, function, qualifier, seq);
    `);
  },
  function layers(db) {
    // One row per layer name ever published in a scope: it keeps the highest version
    // number so that numbers are never reused after deletes (AWS, recorded 2025-11).
    db.exec(`
      CREATE TABLE layers (
        account_id   TEXT NOT NULL,
        region       TEXT NOT NULL,
        name         TEXT NOT NULL,
        last_version INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, name)
      ) WITHOUT ROWID;

      CREATE TABLE layer_versions (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        name       TEXT NOT NULL,
        version    INTEGER NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, name, version),
        FOREIGN KEY (account_id, region, name)
          REFERENCES layers (account_id, region, name) ON DELETE CASCADE
      ) WITHOUT ROWID;
    `);
  },
];

/**
 * Brings `db` up to the latest schema. Refuses a database written by a newer hearth
 * (user_version beyond what this build knows): running old code on a newer schema could
 * silently drop data it does not understand.
 */
export function migrate(db: Database.Database, list: readonly Migration[] = migrations): void {
  const current = db.pragma('user_version', { simple: true });
  if (typeof current !== 'number') {
    throw new Error(`unexpected user_version: ${String(current)}`);
  }
  if (current > list.length) {
    throw new Error(
      `database schema version ${current} is newer than this hearth supports (${list.length}); upgrade hearth`,
    );
  }
  for (let v = current; v < list.length; v++) {
    const step = list[v];
    if (step === undefined) {
      break;
    }
    db.transaction(() => {
      step(db);
      // PRAGMA takes no bound parameters; v is a loop integer, not input.
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
