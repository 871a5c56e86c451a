/**
 * The Store port over a database (persistence.ts), with a write-through in-memory cache:
 * SQLite (sqlite/) and PostgreSQL (postgres/) differ only in how rows are loaded and
 * committed.
 *
 * Lifecycle of a write (writes run one at a time, in call order):
 *   1. check the request against the cache (conflicts, missing function) and throw the
 *      catalog's PlatformError before touching the database;
 *   2. encode every record to JSON once;
 *   3. commit the row changes in one transaction;
 *   4. only after the commit returned, apply the same change to the cache.
 * A failed transaction therefore leaves both database and cache as they were.
 *
 * Reads never touch the database: every row is loaded at open and served from Maps (the
 * port requires hot reads without a round trip). On a database shared by several nodes
 * (PostgreSQL), every write first catches the cache up with the other nodes' commits under
 * the database's write lock (store-gate.ts), and their commits wake a catch-up in between
 * (`watch`), so a change made on one node reaches every other within a notification.
 */
import { PlatformError, notFound } from '../core/errors.js';
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
} from '../core/model.js';
import { DEFAULT_NAMESPACE, LATEST } from '../core/model.js';
import type { Store } from '../core/ports.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from '../core/scaling/scalable-target.js';
import type { RemoteChange } from '../core/services/change-feed.js';
import { CacheTables, scopeId, type FunctionEntry } from './cache-tables.js';
import { encode } from './frozen-json.js';
import type { Persistence, WriteOp } from './persistence.js';
import { StoreGate } from './store-gate.js';

/** Code-unit order: deterministic and locale-independent (localeCompare is neither). */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const EMPTY_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Loads every row of `db` and serves the Store port from memory. */
export async function openCachedStore(db: Persistence, describe: string): Promise<Store> {
  const store = new CachedStore(db, describe);
  try {
    await store.load();
  } catch (e) {
    await db.close();
    throw e;
  }
  return store;
}

class CachedStore implements Store {
  readonly #db: Persistence;
  /** Every row, in memory (cache-tables.ts). */
  readonly #t: CacheTables;
  /** Reads and writes in order, refused after close (store-gate.ts). */
  readonly #gate: StoreGate;
  /** Listeners of other nodes' changes (shared databases). */
  readonly #remoteListeners = new Set<(changes: readonly RemoteChange[]) => void>();
  #stopWatch: (() => void) | undefined;

  constructor(db: Persistence, describe: string) {
    this.#db = db;
    this.#t = new CacheTables(describe);
    this.#gate = new StoreGate(db, {
      apply: (batches) => this.#announce(this.#t.applyRemote(batches)),
      reload: async () => {
        const before = this.#t.clear();
        this.#t.load(await db.load());
        // Functions the database no longer has are announced as deleted, the rest as changed.
        const gone: RemoteChange[] = [];
        for (const c of before) {
          if (c.kind === 'function-updated' && this.#t.entry(c.key) === undefined) {
            gone.push({ kind: 'function-deleted', key: c.key });
          } else if (c.kind === 'settings-changed' && !this.#t.settings.has(scopeId(c.scope))) {
            gone.push(c);
          }
        }
        this.#announce([...gone, ...this.#t.everything()]);
      },
    });
  }

  /** Reads every row into the cache; called once, at open. */
  async load(): Promise<void> {
    this.#t.load(await this.#db.load());
    // A shared database: other nodes' commits wake a catch-up (never concurrent with a write).
    this.#stopWatch = this.#db.watch?.(() => {
      this.sync().catch(() => undefined);
    });
  }

  #announce(changes: readonly RemoteChange[]): void {
    if (changes.length === 0 || this.#remoteListeners.size === 0) {
      return;
    }
    // After the gate's section: listeners read (and write) through the port themselves.
    queueMicrotask(() => {
      for (const listener of this.#remoteListeners) {
        listener(changes);
      }
    });
  }

  sync(): Promise<void> {
    return this.#gate.sync();
  }

  watchRemote(listener: (changes: readonly RemoteChange[]) => void): () => void {
    this.#remoteListeners.add(listener);
    return () => {
      this.#remoteListeners.delete(listener);
    };
  }

  #existing(key: FunctionKey): FunctionEntry {
    const entry = this.#t.entry(key);
    if (entry === undefined) {
      throw notFound.fn(key.name);
    }
    return entry;
  }

  // ---- functions ----------------------------------------------------------------------

  getFunction(key: FunctionKey): Promise<FunctionRecord | undefined> {
    return this.#gate.read(() => this.#t.entry(key)?.fn);
  }

  functionNow(key: FunctionKey): FunctionRecord | undefined {
    return this.#gate.readNow(() => this.#t.entry(key)?.fn);
  }

  listFunctions(scope: Scope, namespace?: string): Promise<FunctionRecord[]> {
    return this.#gate.read(() => {
      const out: FunctionRecord[] = [];
      for (const entry of this.#t.byScope.get(scopeId(scope))?.values() ?? []) {
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
    return this.#gate.read(() =>
      [...this.#t.functions.entries()].sort(([a], [b]) => byString(a, b)).map(([, entry]) => entry.fn),
    );
  }

  createFunction(fn: FunctionRecord, published?: VersionRecord): Promise<void> {
    return this.#gate.write(() => {
      if (this.#t.entry(fn.key) !== undefined) {
        throw new PlatformError('FUNCTION_ALREADY_EXISTS', { functionName: fn.key.name });
      }
      if (published !== undefined) {
        assertPublishable(published);
      }
      const fnRow = encode(fn);
      const versionRow = published === undefined ? undefined : encode(published);
      const ops: WriteOp[] = [{ op: 'insert-function', key: fn.key, json: fnRow.json }];
      if (versionRow !== undefined) {
        ops.push({
          op: 'insert-version',
          key: fn.key,
          child: versionRow.value.version,
          json: versionRow.json,
        });
      }
      return {
        ops,
        apply: () => {
          const entry = this.#t.cacheEntry(fnRow.value);
          if (versionRow !== undefined) {
            entry.versions.set(versionRow.value.version, versionRow.value);
          }
        },
      };
    });
  }

  updateFunction(fn: FunctionRecord): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(fn.key);
      const row = encode(fn);
      return {
        ops: [{ op: 'update-function', key: fn.key, json: row.json }],
        apply: () => {
          entry.fn = row.value;
        },
      };
    });
  }

  deleteFunction(key: FunctionKey): Promise<void> {
    return this.#gate.write(() => {
      if (this.#t.entry(key) === undefined) {
        return undefined;
      }
      return {
        ops: [{ op: 'delete-function', key }],
        apply: () => this.#t.dropEntry(key),
      };
    });
  }

  // ---- published versions -------------------------------------------------------------

  getVersion(key: FunctionKey, version: string): Promise<VersionRecord | undefined> {
    return this.#gate.read(() => this.#t.entry(key)?.versions.get(version));
  }

  listVersions(key: FunctionKey): Promise<VersionRecord[]> {
    return this.#gate.read(() =>
      [...(this.#t.entry(key)?.versions.values() ?? [])].sort(
        (a, b) => Number(a.version) - Number(b.version),
      ),
    );
  }

  publishVersion(fn: FunctionRecord, version: VersionRecord): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(fn.key);
      assertPublishable(version);
      // Version numbers are never reused; a duplicate means two publishes raced on one head.
      if (entry.versions.has(version.version)) {
        throw new PlatformError('UPDATE_IN_PROGRESS', { functionName: fn.key.name });
      }
      const fnRow = encode(fn);
      const versionRow = encode(version);
      return {
        ops: [
          { op: 'update-function', key: fn.key, json: fnRow.json },
          { op: 'insert-version', key: fn.key, child: version.version, json: versionRow.json },
        ],
        apply: () => {
          entry.fn = fnRow.value;
          entry.versions.set(versionRow.value.version, versionRow.value);
        },
      };
    });
  }

  deleteVersion(key: FunctionKey, version: string): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#t.entry(key);
      if (entry === undefined || !entry.versions.has(version)) {
        return undefined;
      }
      return {
        ops: [
          { op: 'delete-version', key, child: version },
          { op: 'delete-provisioned', key, child: version },
        ],
        apply: () => {
          entry.versions.delete(version);
          entry.provisioned.delete(version);
        },
      };
    });
  }

  // ---- aliases ------------------------------------------------------------------------

  getAlias(key: FunctionKey, name: string): Promise<AliasRecord | undefined> {
    return this.#gate.read(() => this.#t.entry(key)?.aliases.get(name));
  }

  aliasNow(key: FunctionKey, name: string): AliasRecord | undefined {
    return this.#gate.readNow(() => this.#t.entry(key)?.aliases.get(name));
  }

  listAliases(key: FunctionKey): Promise<AliasRecord[]> {
    return this.#gate.read(() =>
      [...(this.#t.entry(key)?.aliases.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }

  putAlias(key: FunctionKey, alias: AliasRecord, replace: boolean): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(key);
      if (!replace && entry.aliases.has(alias.name)) {
        throw new PlatformError('ALIAS_ALREADY_EXISTS', { functionName: key.name, alias: alias.name });
      }
      const row = encode(alias);
      return {
        ops: [{ op: 'upsert-alias', key, child: alias.name, json: row.json }],
        apply: () => {
          entry.aliases.set(row.value.name, row.value);
        },
      };
    });
  }

  deleteAlias(key: FunctionKey, name: string): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#t.entry(key);
      if (entry === undefined || !entry.aliases.has(name)) {
        return undefined;
      }
      return {
        ops: [
          { op: 'delete-alias', key, child: name },
          { op: 'delete-provisioned', key, child: name },
        ],
        apply: () => {
          entry.aliases.delete(name);
          entry.provisioned.delete(name);
        },
      };
    });
  }

  // ---- provisioned concurrency --------------------------------------------------------

  getProvisionedConfig(key: FunctionKey, qualifier: string): Promise<ProvisionedConfigRecord | undefined> {
    return this.#gate.read(() => this.#t.entry(key)?.provisioned.get(qualifier));
  }

  listProvisionedConfigs(key: FunctionKey): Promise<ProvisionedConfigRecord[]> {
    return this.#gate.read(() =>
      [...(this.#t.entry(key)?.provisioned.values() ?? [])].sort((a, b) =>
        byString(a.qualifier, b.qualifier),
      ),
    );
  }

  listAllProvisionedConfigs(): Promise<{ key: FunctionKey; config: ProvisionedConfigRecord }[]> {
    return this.#gate.read(() => {
      const out: { key: FunctionKey; config: ProvisionedConfigRecord }[] = [];
      const ids = [...this.#t.functions.keys()].sort(byString);
      for (const id of ids) {
        const entry = this.#t.functions.get(id);
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
    return this.#gate.write(() => {
      const entry = this.#existing(key);
      const row = encode(config);
      return {
        ops: [{ op: 'upsert-provisioned', key, child: config.qualifier, json: row.json }],
        apply: () => {
          entry.provisioned.set(row.value.qualifier, row.value);
        },
      };
    });
  }

  deleteProvisionedConfig(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#t.entry(key);
      if (entry === undefined || !entry.provisioned.has(qualifier)) {
        return undefined;
      }
      return {
        ops: [{ op: 'delete-provisioned', key, child: qualifier }],
        apply: () => {
          entry.provisioned.delete(qualifier);
        },
      };
    });
  }

  // ---- scalable targets and activities ------------------------------------------------

  listScalableTargets(scope: Scope): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]> {
    return this.#gate.read(() => this.#t.scaling.listTargets(scope));
  }

  listAllScalableTargets(): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]> {
    return this.#gate.read(() => this.#t.scaling.listTargets());
  }

  putScalableTarget(key: FunctionKey, target: ScalableTargetRecord): Promise<void> {
    return this.#gate.write(() => {
      const row = encode(target);
      return {
        ops: [{ op: 'upsert-target', key, child: target.qualifier, json: row.json }],
        apply: () => this.#t.scaling.putTarget({ ...key }, row.value),
      };
    });
  }

  deleteScalableTarget(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#gate.write(() => ({
      ops: [{ op: 'delete-target', key, child: qualifier }],
      apply: () => void this.#t.scaling.deleteTarget(key, qualifier),
    }));
  }

  async putScalingActivity(key: FunctionKey, activity: ScalingActivityRecord): Promise<void> {
    let dropped: string[] = [];
    await this.#gate.write(() => {
      const row = encode(activity);
      return {
        ops: [{ op: 'upsert-activity', id: activity.id, key, child: activity.qualifier, json: row.json }],
        apply: () => {
          dropped = this.#t.scaling.putActivity({ ...key }, row.value);
        },
      };
    });
    if (dropped.length > 0) {
      // The cache already keeps only the newest; the rows follow.
      await this.#gate.write(() => ({
        ops: dropped.map((id) => ({ op: 'delete-activity', id })),
        apply: () => undefined,
      }));
    }
  }

  listScalingActivities(scope: Scope): Promise<{ key: FunctionKey; activity: ScalingActivityRecord }[]> {
    return this.#gate.read(() => this.#t.scaling.listActivities(scope));
  }

  // ---- namespaces ---------------------------------------------------------------------

  listNamespaces(scope: Scope): Promise<NamespaceRecord[]> {
    return this.#gate.read(() =>
      [...(this.#t.namespaces.get(scopeId(scope))?.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }

  createNamespace(scope: Scope, ns: NamespaceRecord): Promise<void> {
    return this.#gate.write(() => {
      const existing = this.#t.scopeNamespaces(scope);
      // `default` always exists without a row (ports.ts), so creating it is a conflict too.
      if (ns.name === DEFAULT_NAMESPACE || existing.has(ns.name)) {
        throw new PlatformError('NAMESPACE_ALREADY_EXISTS', { namespace: ns.name });
      }
      const row = encode(ns);
      return {
        ops: [{ op: 'insert-namespace', scope, name: ns.name, json: row.json }],
        apply: () => void existing.set(row.value.name, row.value),
      };
    });
  }

  deleteNamespace(scope: Scope, name: string): Promise<void> {
    return this.#gate.write(() => {
      const existing = this.#t.namespaces.get(scopeId(scope));
      if (existing === undefined || !existing.has(name)) {
        return undefined;
      }
      // Functions in the namespace are not touched: refusing a non-empty namespace
      // (NAMESPACE_NOT_EMPTY) is core's rule, not the store's.
      return {
        ops: [{ op: 'delete-namespace', scope, name }],
        apply: () => void existing.delete(name),
      };
    });
  }

  // ---- layers -------------------------------------------------------------------------

  getLayerVersion(key: LayerVersionKey): Promise<LayerVersionRecord | undefined> {
    return this.#gate.read(() => this.#t.layers.get(key));
  }

  listLayerVersions(key: LayerKey): Promise<LayerVersionRecord[]> {
    return this.#gate.read(() => this.#t.layers.list(key));
  }

  listScopeLayerVersions(scope: Scope): Promise<LayerVersionRecord[]> {
    return this.#gate.read(() => this.#t.layers.listScope(scope));
  }

  lastLayerVersion(key: LayerKey): Promise<number> {
    return this.#gate.read(() => this.#t.layers.last(key));
  }

  putLayerVersion(scope: Scope, record: LayerVersionRecord): Promise<void> {
    return this.#gate.write(() => {
      const key = { ...scope, layerName: record.layerName };
      const last = this.#t.layers.last(key);
      if (!Number.isSafeInteger(record.version) || record.version <= last) {
        throw new PlatformError('INTERNAL', {
          reason: `layer ${record.layerName}: version ${record.version} is not above the last one (${last})`,
        });
      }
      const row = encode(record);
      return {
        ops: [
          { op: 'upsert-layer', scope, name: record.layerName, last: record.version },
          {
            op: 'insert-layer-version',
            scope,
            name: record.layerName,
            version: record.version,
            json: row.json,
          },
        ],
        apply: () => this.#t.layers.put(key, row.value),
      };
    });
  }

  deleteLayerVersion(key: LayerVersionKey): Promise<void> {
    return this.#gate.write(() => {
      if (!this.#t.layers.has(key)) {
        return undefined;
      }
      return {
        ops: [{ op: 'delete-layer-version', scope: key, name: key.layerName, version: key.version }],
        apply: () => this.#t.layers.delete(key),
      };
    });
  }

  // ---- settings -----------------------------------------------------------------------

  getSettings(scope: Scope): Promise<Readonly<Record<string, unknown>>> {
    return this.#gate.read(() => this.#t.settings.get(scopeId(scope)) ?? EMPTY_SETTINGS);
  }

  putSettings(scope: Scope, settings: Readonly<Record<string, unknown>>): Promise<void> {
    return this.#gate.write(() => {
      const row = encode(settings);
      return {
        ops: [{ op: 'upsert-settings', scope, json: row.json }],
        apply: () => void this.#t.settings.set(scopeId(scope), row.value),
      };
    });
  }

  async close(): Promise<void> {
    this.#stopWatch?.();
    if (await this.#gate.close()) {
      await this.#db.close();
    }
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
