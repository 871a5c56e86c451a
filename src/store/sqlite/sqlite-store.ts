/**
 * The Store port on SQLite (better-sqlite3), with a write-through in-memory cache.
 *
 * Lifecycle of a write:
 *   1. check the request against the cache (conflicts, missing function) and throw the
 *      catalog's PlatformError before touching disk;
 *   2. encode every record to JSON once;
 *   3. run the SQL in one transaction (better-sqlite3 is synchronous, so nothing else in
 *      this process can interleave between 1 and 4);
 *   4. only after COMMIT returned, apply the same change to the cache.
 * A failed transaction therefore leaves both disk and cache as they were.
 *
 * Reads never touch SQLite: every row is loaded at open and served from Maps (the port
 * requires hot reads without a disk round trip). The cache is only coherent while this
 * process is the database's only writer, so the database is opened with an exclusive
 * lock: a second hearth pointed at the same data dir fails at open instead of serving
 * stale reads.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PlatformError, isPlatformError, notFound } from '../../core/errors.js';
import type {
  AliasRecord,
  FunctionKey,
  FunctionRecord,
  LayerKey,
  LayerVersionKey,
  LayerVersionRecord,
  NamespaceRecord,
  ProvisionedConfigRecord,
  Scope,
  VersionRecord,
} from '../../core/model.js';
import { DEFAULT_NAMESPACE, LATEST } from '../../core/model.js';
import type { Store } from '../../core/ports.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from '../../core/scaling/scalable-target.js';
import { decode, encode } from './frozen-json.js';
import { migrate } from './migrations.js';
import { ScalingTables } from './scaling-tables.js';
import { SqliteLayers } from './sqlite-layers.js';

/** How long a writer waits for a lock held by another connection before failing. */
const BUSY_TIMEOUT_MS = 5_000;

/** Cache keys join identifiers with NUL, which no account, region or name can contain. */
const SEP = '\u0000';
const scopeId = (s: Scope): string => s.accountId + SEP + s.region;
const functionId = (k: FunctionKey): string => scopeId(k) + SEP + k.namespace + SEP + k.name;
const keyParams = (k: FunctionKey): [string, string, string, string] => [
  k.accountId,
  k.region,
  k.namespace,
  k.name,
];

/** Code-unit order: deterministic and locale-independent (localeCompare is neither). */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface FunctionEntry {
  fn: FunctionRecord;
  readonly versions: Map<string, VersionRecord>;
  readonly aliases: Map<string, AliasRecord>;
  readonly provisioned: Map<string, ProvisionedConfigRecord>;
}

interface KeyRow {
  account_id: string;
  region: string;
  namespace: string;
  function: string;
  record: string;
}

const EMPTY_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

export function openSqliteStore(file: string): Promise<Store> {
  try {
    return Promise.resolve(SqliteStore.open(file));
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

type Statement = Database.Statement<unknown[], unknown>;

class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #functions = new Map<string, FunctionEntry>();
  /** The same entries indexed by scope, so listing one scope does not scan all. */
  readonly #byScope = new Map<string, Map<string, FunctionEntry>>();
  readonly #namespaces = new Map<string, Map<string, NamespaceRecord>>();
  readonly #settings = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #layers: SqliteLayers;
  readonly #sql: Record<
    | 'insertFunction'
    | 'updateFunction'
    | 'deleteFunction'
    | 'insertVersion'
    | 'deleteVersion'
    | 'upsertAlias'
    | 'deleteAlias'
    | 'upsertProvisioned'
    | 'deleteProvisioned'
    | 'insertNamespace'
    | 'deleteNamespace'
    | 'upsertSettings',
    Statement
  >;
  readonly #scaling: ScalingTables;
  #closed = false;

  static open(file: string): SqliteStore {
    if (file !== ':memory:') {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    }
    const db = new Database(file);
    try {
      configure(db, file);
      migrate(db);
      return new SqliteStore(db);
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
    const child = (table: string, column: string): { upsert: string; del: string } => ({
      upsert:
        `INSERT INTO ${table} (account_id, region, namespace, function, ${column}, record) VALUES (?, ?, ?, ?, ?, ?) ` +
        `ON CONFLICT DO UPDATE SET record = excluded.record`,
      del: `DELETE FROM ${table} WHERE account_id = ? AND region = ? AND namespace = ? AND function = ? AND ${column} = ?`,
    });
    const aliases = child('aliases', 'name');
    const provisioned = child('provisioned_configs', 'qualifier');
    const p = (sql: string): Statement => db.prepare(sql);
    this.#sql = {
      insertFunction: p(
        'INSERT INTO functions (account_id, region, namespace, name, record) VALUES (?, ?, ?, ?, ?)',
      ),
      updateFunction: p(
        'UPDATE functions SET record = ? WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?',
      ),
      // versions, aliases and provisioned configs go with it through ON DELETE CASCADE.
      deleteFunction: p(
        'DELETE FROM functions WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?',
      ),
      insertVersion: p(
        'INSERT INTO versions (account_id, region, namespace, function, version, record) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteVersion: p(
        'DELETE FROM versions WHERE account_id = ? AND region = ? AND namespace = ? AND function = ? AND version = ?',
      ),
      upsertAlias: p(aliases.upsert),
      deleteAlias: p(aliases.del),
      upsertProvisioned: p(provisioned.upsert),
      deleteProvisioned: p(provisioned.del),
      insertNamespace: p('INSERT INTO namespaces (account_id, region, name, record) VALUES (?, ?, ?, ?)'),
      deleteNamespace: p('DELETE FROM namespaces WHERE account_id = ? AND region = ? AND name = ?'),
      upsertSettings: p(
        'INSERT INTO settings (account_id, region, settings) VALUES (?, ?, ?) ' +
          'ON CONFLICT DO UPDATE SET settings = excluded.settings',
      ),
    };
    this.#load();
    this.#scaling = new ScalingTables(db, (work) => this.#transaction(work));
    this.#layers = new SqliteLayers(db, (work) => this.#transaction(work));
  }

  /** Reads every row into the cache; called once, at open. */
  #load(): void {
    const db = this.#db;
    for (const row of db.prepare<[], { record: string }>('SELECT record FROM functions').all()) {
      this.#cacheEntry(decode<FunctionRecord>(row.record));
    }
    const children = (table: string, column: string): (KeyRow & { child: string })[] =>
      db
        .prepare<[], KeyRow & { child: string }>(
          `SELECT account_id, region, namespace, function, ${column} AS child, record FROM ${table}`,
        )
        .all();
    const entryOf = (row: KeyRow): FunctionEntry => {
      const entry = this.#functions.get(
        functionId({
          accountId: row.account_id,
          region: row.region,
          namespace: row.namespace,
          name: row.function,
        }),
      );
      // Foreign keys make an orphan impossible; finding one means the file was edited by hand.
      if (entry === undefined) {
        throw new Error(`orphan row for function ${row.function} in the store`);
      }
      return entry;
    };
    for (const row of children('versions', 'version')) {
      entryOf(row).versions.set(row.child, decode<VersionRecord>(row.record));
    }
    for (const row of children('aliases', 'name')) {
      entryOf(row).aliases.set(row.child, decode<AliasRecord>(row.record));
    }
    for (const row of children('provisioned_configs', 'qualifier')) {
      entryOf(row).provisioned.set(row.child, decode<ProvisionedConfigRecord>(row.record));
    }
    const nsRows = db
      .prepare<[], { account_id: string; region: string; name: string; record: string }>(
        'SELECT account_id, region, name, record FROM namespaces',
      )
      .all();
    for (const row of nsRows) {
      this.#scopeNamespaces({ accountId: row.account_id, region: row.region }).set(
        row.name,
        decode<NamespaceRecord>(row.record),
      );
    }
    const settingRows = db
      .prepare<[], { account_id: string; region: string; settings: string }>(
        'SELECT account_id, region, settings FROM settings',
      )
      .all();
    for (const row of settingRows) {
      this.#settings.set(
        scopeId({ accountId: row.account_id, region: row.region }),
        decode<Record<string, unknown>>(row.settings),
      );
    }
  }

  /** Adds the cache entry of a function being loaded or created. */
  #cacheEntry(fn: FunctionRecord): FunctionEntry {
    const entry: FunctionEntry = { fn, versions: new Map(), aliases: new Map(), provisioned: new Map() };
    const id = functionId(fn.key);
    this.#functions.set(id, entry);
    let scoped = this.#byScope.get(scopeId(fn.key));
    if (scoped === undefined) {
      scoped = new Map();
      this.#byScope.set(scopeId(fn.key), scoped);
    }
    scoped.set(id, entry);
    return entry;
  }

  #scopeNamespaces(scope: Scope): Map<string, NamespaceRecord> {
    let m = this.#namespaces.get(scopeId(scope));
    if (m === undefined) {
      m = new Map();
      this.#namespaces.set(scopeId(scope), m);
    }
    return m;
  }

  #entry(key: FunctionKey): FunctionEntry | undefined {
    return this.#functions.get(functionId(key));
  }

  #existing(key: FunctionKey): FunctionEntry {
    const entry = this.#entry(key);
    if (entry === undefined) {
      throw notFound.fn(key.name);
    }
    return entry;
  }

  /**
   * Runs one port call: rejects after close, turns synchronous throws into rejections and
   * wraps driver errors (disk full, I/O) as INTERNAL so dialects render them as 5xx.
   */
  #run<T>(work: () => T): Promise<T> {
    try {
      if (this.#closed) {
        throw new PlatformError('INTERNAL', { reason: 'store is closed' });
      }
      return Promise.resolve(work());
    } catch (e) {
      if (isPlatformError(e)) {
        return Promise.reject(e);
      }
      const reason = e instanceof Error ? e.message : String(e);
      return Promise.reject(new PlatformError('INTERNAL', { reason: `store: ${reason}` }, { cause: e }));
    }
  }

  #transaction(work: () => void): void {
    // IMMEDIATE takes the write lock up front; we hold it exclusively anyway, but it keeps
    // the intent explicit should the locking mode ever change.
    this.#db.transaction(work).immediate();
  }

  // ---- functions ----------------------------------------------------------------------

  getFunction(key: FunctionKey): Promise<FunctionRecord | undefined> {
    return this.#run(() => this.#entry(key)?.fn);
  }

  listFunctions(scope: Scope, namespace?: string): Promise<FunctionRecord[]> {
    return this.#run(() => {
      const out: FunctionRecord[] = [];
      for (const entry of this.#byScope.get(scopeId(scope))?.values() ?? []) {
        if (namespace === undefined || entry.fn.key.namespace === namespace) {
          out.push(entry.fn);
        }
      }
      // Ties (same name in two namespaces) fall back to the namespace, for a stable order.
      return out.sort(
        (a, b) => byString(a.key.name, b.key.name) || byString(a.key.namespace, b.key.namespace),
      );
    });
  }

  listAllFunctions(): Promise<FunctionRecord[]> {
    return this.#run(() =>
      [...this.#functions.entries()].sort(([a], [b]) => byString(a, b)).map(([, entry]) => entry.fn),
    );
  }

  createFunction(fn: FunctionRecord, published?: VersionRecord): Promise<void> {
    return this.#run(() => {
      if (this.#entry(fn.key) !== undefined) {
        throw new PlatformError('FUNCTION_ALREADY_EXISTS', { functionName: fn.key.name });
      }
      if (published !== undefined) {
        assertPublishable(published);
      }
      const fnRow = encode(fn);
      const versionRow = published === undefined ? undefined : encode(published);
      this.#transaction(() => {
        this.#sql.insertFunction.run(...keyParams(fn.key), fnRow.json);
        if (versionRow !== undefined) {
          this.#sql.insertVersion.run(...keyParams(fn.key), versionRow.value.version, versionRow.json);
        }
      });
      const entry = this.#cacheEntry(fnRow.value);
      if (versionRow !== undefined) {
        entry.versions.set(versionRow.value.version, versionRow.value);
      }
    });
  }

  updateFunction(fn: FunctionRecord): Promise<void> {
    return this.#run(() => {
      const entry = this.#existing(fn.key);
      const row = encode(fn);
      this.#transaction(() => {
        this.#sql.updateFunction.run(row.json, ...keyParams(fn.key));
      });
      entry.fn = row.value;
    });
  }

  deleteFunction(key: FunctionKey): Promise<void> {
    return this.#run(() => {
      if (this.#entry(key) === undefined) {
        return;
      }
      this.#transaction(() => {
        this.#sql.deleteFunction.run(...keyParams(key));
      });
      const id = functionId(key);
      this.#functions.delete(id);
      this.#byScope.get(scopeId(key))?.delete(id);
    });
  }

  // ---- published versions -------------------------------------------------------------

  getVersion(key: FunctionKey, version: string): Promise<VersionRecord | undefined> {
    return this.#run(() => this.#entry(key)?.versions.get(version));
  }

  listVersions(key: FunctionKey): Promise<VersionRecord[]> {
    return this.#run(() =>
      [...(this.#entry(key)?.versions.values() ?? [])].sort((a, b) => Number(a.version) - Number(b.version)),
    );
  }

  publishVersion(fn: FunctionRecord, version: VersionRecord): Promise<void> {
    return this.#run(() => {
      const entry = this.#existing(fn.key);
      assertPublishable(version);
      // Version numbers are never reused; a duplicate means two publishes raced on one head.
      if (entry.versions.has(version.version)) {
        throw new PlatformError('UPDATE_IN_PROGRESS', { functionName: fn.key.name });
      }
      const fnRow = encode(fn);
      const versionRow = encode(version);
      this.#transaction(() => {
        this.#sql.updateFunction.run(fnRow.json, ...keyParams(fn.key));
        this.#sql.insertVersion.run(...keyParams(fn.key), version.version, versionRow.json);
      });
      entry.fn = fnRow.value;
      entry.versions.set(versionRow.value.version, versionRow.value);
    });
  }

  deleteVersion(key: FunctionKey, version: string): Promise<void> {
    return this.#run(() => {
      const entry = this.#entry(key);
      if (entry === undefined || !entry.versions.has(version)) {
        return;
      }
      this.#transaction(() => {
        this.#sql.deleteVersion.run(...keyParams(key), version);
        this.#sql.deleteProvisioned.run(...keyParams(key), version);
      });
      entry.versions.delete(version);
      entry.provisioned.delete(version);
    });
  }

  // ---- aliases ------------------------------------------------------------------------

  getAlias(key: FunctionKey, name: string): Promise<AliasRecord | undefined> {
    return this.#run(() => this.#entry(key)?.aliases.get(name));
  }

  listAliases(key: FunctionKey): Promise<AliasRecord[]> {
    return this.#run(() =>
      [...(this.#entry(key)?.aliases.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }

  putAlias(key: FunctionKey, alias: AliasRecord, replace: boolean): Promise<void> {
    return this.#run(() => {
      const entry = this.#existing(key);
      if (!replace && entry.aliases.has(alias.name)) {
        throw new PlatformError('ALIAS_ALREADY_EXISTS', { functionName: key.name, alias: alias.name });
      }
      const row = encode(alias);
      this.#transaction(() => {
        this.#sql.upsertAlias.run(...keyParams(key), alias.name, row.json);
      });
      entry.aliases.set(row.value.name, row.value);
    });
  }

  deleteAlias(key: FunctionKey, name: string): Promise<void> {
    return this.#run(() => {
      const entry = this.#entry(key);
      if (entry === undefined || !entry.aliases.has(name)) {
        return;
      }
      this.#transaction(() => {
        this.#sql.deleteAlias.run(...keyParams(key), name);
        this.#sql.deleteProvisioned.run(...keyParams(key), name);
      });
      entry.aliases.delete(name);
      entry.provisioned.delete(name);
    });
  }

  // ---- provisioned concurrency --------------------------------------------------------

  getProvisionedConfig(key: FunctionKey, qualifier: string): Promise<ProvisionedConfigRecord | undefined> {
    return this.#run(() => this.#entry(key)?.provisioned.get(qualifier));
  }

  listProvisionedConfigs(key: FunctionKey): Promise<ProvisionedConfigRecord[]> {
    return this.#run(() =>
      [...(this.#entry(key)?.provisioned.values() ?? [])].sort((a, b) => byString(a.qualifier, b.qualifier)),
    );
  }

  listAllProvisionedConfigs(): Promise<{ key: FunctionKey; config: ProvisionedConfigRecord }[]> {
    return this.#run(() => {
      const out: { key: FunctionKey; config: ProvisionedConfigRecord }[] = [];
      const ids = [...this.#functions.keys()].sort(byString);
      for (const id of ids) {
        const entry = this.#functions.get(id);
        if (entry === undefined) {
          continue;
        }
        const configs = [...entry.provisioned.values()].sort((a, b) => byString(a.qualifier, b.qualifier));
        for (const config of configs) {
          out.push({ key: entry.fn.key, config });
        }
      }
      return out;
    });
  }

  putProvisionedConfig(key: FunctionKey, config: ProvisionedConfigRecord): Promise<void> {
    return this.#run(() => {
      const entry = this.#existing(key);
      const row = encode(config);
      this.#transaction(() => {
        this.#sql.upsertProvisioned.run(...keyParams(key), config.qualifier, row.json);
      });
      entry.provisioned.set(row.value.qualifier, row.value);
    });
  }

  deleteProvisionedConfig(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#run(() => {
      const entry = this.#entry(key);
      if (entry === undefined || !entry.provisioned.has(qualifier)) {
        return;
      }
      this.#transaction(() => {
        this.#sql.deleteProvisioned.run(...keyParams(key), qualifier);
      });
      entry.provisioned.delete(qualifier);
    });
  }

  // ---- scalable targets and activities (scaling-tables.ts) ---------------------------

  listScalableTargets(scope: Scope) {
    return this.#run(() => this.#scaling.listTargets(scope));
  }
  listAllScalableTargets() {
    return this.#run(() => this.#scaling.listTargets());
  }
  putScalableTarget(key: FunctionKey, target: ScalableTargetRecord) {
    return this.#run(() => this.#scaling.putTarget(key, target));
  }
  deleteScalableTarget(key: FunctionKey, qualifier: string) {
    return this.#run(() => this.#scaling.deleteTarget(key, qualifier));
  }
  putScalingActivity(key: FunctionKey, activity: ScalingActivityRecord) {
    return this.#run(() => this.#scaling.putActivity(key, activity));
  }
  listScalingActivities(scope: Scope) {
    return this.#run(() => this.#scaling.listActivities(scope));
  }

  // ---- namespaces ---------------------------------------------------------------------

  listNamespaces(scope: Scope): Promise<NamespaceRecord[]> {
    return this.#run(() =>
      [...(this.#namespaces.get(scopeId(scope))?.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }

  createNamespace(scope: Scope, ns: NamespaceRecord): Promise<void> {
    return this.#run(() => {
      const existing = this.#scopeNamespaces(scope);
      // `default` always exists without a row (ports.ts), so creating it is a conflict too.
      if (ns.name === DEFAULT_NAMESPACE || existing.has(ns.name)) {
        throw new PlatformError('NAMESPACE_ALREADY_EXISTS', { namespace: ns.name });
      }
      const row = encode(ns);
      this.#transaction(() => {
        this.#sql.insertNamespace.run(scope.accountId, scope.region, ns.name, row.json);
      });
      existing.set(row.value.name, row.value);
    });
  }

  deleteNamespace(scope: Scope, name: string): Promise<void> {
    return this.#run(() => {
      const existing = this.#namespaces.get(scopeId(scope));
      if (existing === undefined || !existing.has(name)) {
        return;
      }
      // Functions in the namespace are not touched: refusing a non-empty namespace
      // (NAMESPACE_NOT_EMPTY) is core's rule, not the store's.
      this.#transaction(() => {
        this.#sql.deleteNamespace.run(scope.accountId, scope.region, name);
      });
      existing.delete(name);
    });
  }

  // ---- layers (sqlite-layers.ts) -------------------------------------------------------

  getLayerVersion(key: LayerVersionKey): Promise<LayerVersionRecord | undefined> {
    return this.#run(() => this.#layers.get(key));
  }
  listLayerVersions(key: LayerKey): Promise<LayerVersionRecord[]> {
    return this.#run(() => this.#layers.list(key));
  }
  listScopeLayerVersions(scope: Scope): Promise<LayerVersionRecord[]> {
    return this.#run(() => this.#layers.listScope(scope));
  }
  lastLayerVersion(key: LayerKey): Promise<number> {
    return this.#run(() => this.#layers.last(key));
  }
  putLayerVersion(scope: Scope, record: LayerVersionRecord): Promise<void> {
    return this.#run(() => this.#layers.put(scope, record));
  }
  deleteLayerVersion(key: LayerVersionKey): Promise<void> {
    return this.#run(() => this.#layers.delete(key));
  }

  // ---- settings -----------------------------------------------------------------------

  getSettings(scope: Scope): Promise<Readonly<Record<string, unknown>>> {
    return this.#run(() => this.#settings.get(scopeId(scope)) ?? EMPTY_SETTINGS);
  }

  putSettings(scope: Scope, settings: Readonly<Record<string, unknown>>): Promise<void> {
    return this.#run(() => {
      const row = encode(settings);
      this.#transaction(() => {
        this.#sql.upsertSettings.run(scope.accountId, scope.region, row.json);
      });
      this.#settings.set(scopeId(scope), row.value);
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }
}

/** $LATEST is the function row's head, never a row of the versions table. */
function assertPublishable(version: VersionRecord): void {
  if (version.version === LATEST || !/^[0-9]+$/.test(version.version)) {
    throw new PlatformError('INVALID_PARAMETER', {
      field: 'version',
      reason: `a published version must be a decimal number, got ${version.version}`,
    });
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
